"""`wsnego-tui schedule`: JSON for scripts, an aligned table in both languages, one-line errors."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from wsnego_tui.cli import cli
from wsnego_tui.cli_schedule import display_width
from wsnego_tui.core import clock

BASE = ["--principal", "1000", "--annual-rate", "12", "--months", "3", "--start", "2024-01-31"]
FOUR_MONTHS_ONE_DEFERRED = [*BASE[:4], "--months", "4", "--grace-months", "1", "--grace", "deferral", *BASE[6:]]
TWELVE_MONTHS_TWO_INTEREST_ONLY = [
    *BASE[:4], "--months", "12", "--grace-months", "2", "--grace", "interest-only", *BASE[6:]
]


@pytest.fixture
def home(tmp_path: Path) -> Path:
    folder = tmp_path / "home"
    folder.mkdir()
    return folder


@pytest.fixture
def run(home: Path, monkeypatch: pytest.MonkeyPatch):
    """Invoke the real command group with a private home folder and no language from outside."""
    for name in ("WSNEGO_LANG", "WSNEGO_DB_URL", "WSNEGO_HOME"):
        monkeypatch.delenv(name, raising=False)

    def invoke(*args: str, env: dict[str, str] | None = None) -> Result:
        environment = {"WSNEGO_HOME": str(home), **(env or {})}
        return CliRunner().invoke(cli, list(args), env=environment)

    return invoke


def as_json(result: Result) -> dict[str, object]:
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def table_lines(output: str) -> list[str]:
    """The header, the rows and the totals row, without the rules between them."""
    lines = output.splitlines()
    rules = [i for i, line in enumerate(lines) if line and set(line) == {"-"}]
    assert len(rules) == 2, output
    return [lines[rules[0] - 1], *lines[rules[0] + 1 : rules[1]], lines[rules[1] + 1]]


# --- JSON -----------------------------------------------------------------------------------------


def test_json_gives_every_row_with_amounts_as_two_decimal_strings(run) -> None:
    data = as_json(run("--lang", "en", "schedule", *BASE, "--json"))
    keys = ("period", "due_date", "payment", "interest", "principal", "balance")
    assert data["rows"] == [
        dict(zip(keys, (1, "2024-02-29", "340.02", "10.00", "330.02", "669.98"))),
        dict(zip(keys, (2, "2024-03-31", "340.02", "6.70", "333.32", "336.66"))),
        dict(zip(keys, (3, "2024-04-30", "340.03", "3.37", "336.66", "0.00"))),
    ]
    assert data["total_payment"] == "1020.07"
    assert data["total_interest"] == "20.07"
    assert data["apr_nominal"] == "12.00"
    assert data["apr_effective"] == "12.68"


def test_json_reproduces_the_mortgage_anchor(run) -> None:
    data = as_json(
        run("schedule", "--principal", "1,000,000", "--annual-rate", "4.9", "--months", "360", *BASE[6:], "--json")
    )
    rows = data["rows"]
    assert isinstance(rows, list) and len(rows) == 360
    assert rows[0]["payment"] == "5307.27"
    assert rows[-1]["balance"] == "0.00"
    assert data["apr_nominal"] == "4.90"


def test_json_total_interest_is_what_is_paid_beyond_the_principal_even_with_deferral(run) -> None:
    data = as_json(run("schedule", *FOUR_MONTHS_ONE_DEFERRED, "--json"))
    assert data["total_payment"] == "1030.27"
    assert data["total_interest"] == "30.27"
    assert data["rows"][0]["payment"] == "0.00"  # type: ignore[index]
    assert data["rows"][0]["balance"] == "1010.00"  # type: ignore[index]


def test_a_daily_rate_gives_its_annual_equivalent(run) -> None:
    data = as_json(
        run("schedule", "--principal", "10000", "--daily-rate", "0.05", "--months", "12", *BASE[6:], "--json")
    )
    assert (data["apr_nominal"], data["apr_effective"]) == ("18.00", "19.56")


def test_an_upfront_fee_raises_the_annualized_rate_but_not_the_payments(run) -> None:
    plain = as_json(run("schedule", *BASE, "--json"))
    charged = as_json(run("schedule", *BASE, "--upfront-fee", "10", "--json"))
    assert charged["rows"] == plain["rows"]
    assert Decimal(str(charged["apr_nominal"])) > Decimal(str(plain["apr_nominal"]))


@pytest.mark.parametrize("method", ["equal-installment", "equal-principal", "interest-first"])
def test_every_method_is_available(run, method: str) -> None:
    data = as_json(run("schedule", *BASE, "--method", method, "--json"))
    assert data["method"] == method
    assert data["rows"][-1]["balance"] == "0.00"  # type: ignore[index]


def test_a_percent_sign_after_the_rate_is_accepted(run) -> None:
    data = as_json(run("schedule", *BASE[:2], "--annual-rate", "12%", *BASE[4:], "--json"))
    assert data["apr_nominal"] == "12.00"


def test_the_start_defaults_to_the_business_date_today(run, monkeypatch: pytest.MonkeyPatch) -> None:
    """23:30 UTC on 30 January is already 31 January in China: the first payment falls due on 29 February."""
    fixed = clock.FixedClock(dt.datetime(2024, 1, 30, 23, 30, tzinfo=dt.timezone.utc))
    monkeypatch.setattr(clock, "SystemClock", lambda: fixed)
    data = as_json(run("schedule", "--principal", "1000", "--annual-rate", "12", "--months", "2", "--json"))
    assert data["start"] == "2024-01-31"
    assert data["rows"][0]["due_date"] == "2024-02-29"  # type: ignore[index]


# --- table ----------------------------------------------------------------------------------------


def test_the_english_table_has_headers_totals_and_both_labelled_rates(run) -> None:
    result = run("--lang", "en", "schedule", *BASE)
    assert result.exit_code == 0, result.output
    out = result.output
    for header in ("Period", "Due date", "Payment", "Interest", "Principal", "Balance"):
        assert header in out
    assert "Total" in out and "1,020.07" in out
    assert "Nominal annualized rate" in out and "12.00%" in out
    assert "Effective annualized rate" in out and "12.68%" in out
    assert "2024-02-29" in out and "340.03" in out


def test_the_chinese_table_has_chinese_headers_and_labels(run) -> None:
    result = run("--lang", "zh", "schedule", *BASE)
    assert result.exit_code == 0, result.output
    header = table_lines(result.output)[0]
    assert header.split() == ["期数", "还款日", "月供", "利息", "本金", "剩余本金"]
    for label in ("合计", "名义年化利率", "实际年化利率", "等额本息"):
        assert label in result.output


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_columns_line_up_by_display_width(run, lang: str) -> None:
    """A CJK character takes two terminal cells: 剩余本金 is 8 cells wide, not 4. Every line of
    the table has the same width, and each amount ends in the same cell as its header."""
    result = run("--lang", lang, "schedule", *TWELVE_MONTHS_TWO_INTEREST_ONLY)
    assert result.exit_code == 0, result.output
    header, *rows, totals = table_lines(result.output)
    assert {display_width(line) for line in [header, *rows]} == {display_width(header)}
    amount_columns = token_ends(header)[-4:]
    for row in rows:
        assert token_ends(row)[-4:] == amount_columns, row
    assert token_ends(totals)[-3:] == amount_columns[:3]


def token_ends(line: str) -> list[int]:
    """The terminal cell just after each space-separated token of `line`."""
    ends = []
    for index, char in enumerate(line):
        if char != " " and (index + 1 == len(line) or line[index + 1] == " "):
            ends.append(display_width(line[: index + 1]))
    return ends


def test_display_width_counts_wide_characters_twice() -> None:
    assert display_width("期数") == 4
    assert display_width("Period") == 6
    assert display_width("¥1,234.56") == 9


def test_grace_rows_are_marked_and_explained(run) -> None:
    result = run("--lang", "en", "schedule", *FOUR_MONTHS_ONE_DEFERRED)
    assert result.exit_code == 0, result.output
    first_row = table_lines(result.output)[1]
    assert first_row.split()[0] == "1*"
    assert "* grace period" in result.output
    assert "capitalised" in result.output


def test_the_language_comes_from_the_settings_when_not_given(run, home: Path) -> None:
    assert "期数" in run("schedule", *BASE).output
    assert "Period" in run("schedule", *BASE, env={"WSNEGO_LANG": "en"}).output
    (home / "config").mkdir()
    (home / "config" / "config.toml").write_text('language = "en"\n', encoding="utf-8")
    assert "Period" in run("schedule", *BASE).output


def test_the_calculator_touches_no_files(run, home: Path) -> None:
    assert run("--lang", "en", "schedule", *BASE).exit_code == 0
    assert list(home.iterdir()) == []


def test_help_lists_every_option(run) -> None:
    result = run("schedule", "--help")
    assert result.exit_code == 0
    options = "--principal --annual-rate --daily-rate --months --method --grace-months --grace --upfront-fee"
    for option in [*options.split(), "--start", "--json"]:
        assert option in result.output


# --- bad input ------------------------------------------------------------------------------------


def replace_option(option: str, value: str) -> list[str]:
    args = list(BASE)
    args[args.index(option) + 1] = value
    return args


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (replace_option("--principal", "-100"), "Error: --principal: negative amount"),
        (replace_option("--principal", "abc"), "Error: --principal: not a number"),
        (replace_option("--principal", "100.005"), "Error: --principal: more than two decimals"),
        (replace_option("--principal", "0"), "Error: --principal: must be more than zero"),
        (replace_option("--principal", "1e6"), "Error: --principal: not a number"),
        (replace_option("--months", "0"), "Error: --months: must be at least 1"),
        (replace_option("--months", "three"), "Error: --months: not a whole number"),
        (replace_option("--months", "-3"), "Error: --months: must be at least 1"),
        (replace_option("--months", "601"), "Error: --months: must be at most 600"),
        (replace_option("--annual-rate", "36.5"), "Error: --annual-rate: must be between 0 and 36"),
        (replace_option("--annual-rate", "-1"), "Error: --annual-rate: negative rate"),
        (replace_option("--annual-rate", "NaN"), "Error: --annual-rate: not a number"),
        (
            ["--principal", "1000", "--daily-rate", "0.2", "--months", "3"],
            "Error: --daily-rate: must be between 0 and 0.1",
        ),
        ([*BASE, "--daily-rate", "0.05"], "Error: --annual-rate: give either --annual-rate or --daily-rate"),
        (["--principal", "1000", "--months", "3"], "Error: --annual-rate: required"),
        (["--annual-rate", "12", "--months", "3"], "Error: --principal: required"),
        (["--principal", "1000", "--annual-rate", "12"], "Error: --months: required"),
        ([*BASE, "--grace-months", "3", "--grace", "deferral"], "Error: --grace-months: must be less than"),
        ([*BASE, "--grace-months", "5", "--grace", "deferral"], "Error: --grace-months: must be less than"),
        ([*BASE, "--grace-months", "1"], "Error: --grace: required with --grace-months"),
        ([*BASE, "--grace", "deferral"], "Error: --grace-months: required with --grace"),
        ([*BASE, "--grace-months", "1", "--grace", "holiday"], "Error: --grace: must be one of interest-only"),
        ([*BASE, "--method", "balloon"], "Error: --method: must be one of equal-installment, equal-principal"),
        ([*BASE, "--upfront-fee", "-5"], "Error: --upfront-fee: negative amount"),
        ([*BASE, "--upfront-fee", "1000"], "Error: --upfront-fee: must be less than the principal"),
        (replace_option("--start", "2024-02-30"), "Error: --start: not a date (YYYY-MM-DD)"),
        (replace_option("--start", "31/01/2024"), "Error: --start: not a date (YYYY-MM-DD)"),
    ],
)
def test_bad_input_ends_in_one_line_naming_the_option(run, args: list[str], expected: str) -> None:
    result = run("--lang", "en", "schedule", *args)
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(expected)
