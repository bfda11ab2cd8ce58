"""The bank-editable policy file: the packaged default is exactly DEFAULT_POLICY, every setting is
documented in Chinese and English, and a bad file is refused with one error naming the file and
the key. These tests write only into pytest's temporary folders; they never touch the packaged
file.
"""

from __future__ import annotations

import dataclasses
import json
import re
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from wsnego_tui.core.eligibility import LoanFacts
from wsnego_tui.core.lifecycle import ApplicationKind
from wsnego_tui.core.policy import (
    DEFAULT_POLICY,
    DEFAULT_POLICY_FILE,
    Policy,
    PolicyError,
    load_policy,
    policy_to_toml,
)
from wsnego_tui.core.review import ApplicationFacts, OfferLabel, Outcome, review
from wsnego_tui.core.schedule import Rate

D = Decimal
CJK = re.compile(r"[\u4e00-\u9fff]")


def write(tmp_path: Path, text: str, name: str = "policy.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# --- the default file ----------------------------------------------------------------------------


def test_the_packaged_policy_file_loads_as_exactly_the_default_policy() -> None:
    assert DEFAULT_POLICY_FILE.is_file()
    assert load_policy(DEFAULT_POLICY_FILE) == DEFAULT_POLICY


def test_the_packaged_policy_file_is_what_policy_to_toml_writes_so_they_never_drift() -> None:
    """Regenerate it with: .venv/bin/python -c "from wsnego_tui.core.policy import *;
    DEFAULT_POLICY_FILE.write_text(policy_to_toml(), encoding='utf-8')"."""
    assert DEFAULT_POLICY_FILE.read_text(encoding="utf-8") == policy_to_toml(DEFAULT_POLICY)


def test_every_setting_appears_once_with_a_chinese_and_an_english_comment_above_it() -> None:
    lines = DEFAULT_POLICY_FILE.read_text(encoding="utf-8").splitlines()
    for spec in dataclasses.fields(Policy):
        positions = [i for i, line in enumerate(lines) if line.startswith(f"{spec.name} = ")]
        assert len(positions) == 1, spec.name
        zh, en = lines[positions[0] - 2], lines[positions[0] - 1]
        assert zh.startswith("# ") and CJK.search(zh), f"{spec.name} lacks a Chinese comment"
        assert en.startswith("# ") and re.search(r"[A-Za-z]{3}", en) and not CJK.search(en.split("(")[0]), (
            f"{spec.name} lacks an English comment"
        )


def test_a_written_policy_reads_back_as_the_same_policy(tmp_path: Path) -> None:
    custom = dataclasses.replace(
        DEFAULT_POLICY,
        max_term_months=36,
        affordability_pct=D("62.5"),
        officer_waiver_limit=D("1234.56"),
        auto_decide_first=False,
        hardship_categories=("income_drop", "illness", "flood"),
        second_grace_hardships=("illness", "flood"),
    )
    assert load_policy(write(tmp_path, policy_to_toml(custom))) == custom


def test_a_key_left_out_keeps_its_default(tmp_path: Path) -> None:
    policy = load_policy(write(tmp_path, "max_term_months = 36\n"))
    assert policy == dataclasses.replace(DEFAULT_POLICY, max_term_months=36)


def test_an_empty_file_is_the_default_policy(tmp_path: Path) -> None:
    assert load_policy(write(tmp_path, "# nothing changed\n")) == DEFAULT_POLICY


def test_numbers_in_the_file_never_pass_through_float(tmp_path: Path) -> None:
    """0.1 + 0.2 style drift would show in the last digit: 66.67 must stay exactly 66.67."""
    policy = load_policy(write(tmp_path, "affordability_pct = 66.67\nofficer_waiver_limit = 0.10\n"))
    assert policy.affordability_pct == D("66.67") and isinstance(policy.affordability_pct, Decimal)
    assert str(policy.officer_waiver_limit) == "0.10"


# --- bad files -----------------------------------------------------------------------------------

BAD_FILES = [
    pytest.param("max_term_month = 36\n", "max_term_month", "did you mean 'max_term_months'",
                 id="an unknown key is refused with the closest known key suggested"),
    pytest.param("[negotiation]\nmax_term_months = 36\n", "negotiation", "unknown key",
                 id="a table is refused because settings are flat keys"),
    pytest.param('max_term_months = "60"\n', "max_term_months", "must be a whole number, not a string",
                 id="a string where a whole number belongs is refused"),
    pytest.param("max_term_months = 36.5\n", "max_term_months", "must be a whole number, not a decimal",
                 id="a decimal where a whole number belongs is refused"),
    pytest.param("affordability_pct = true\n", "affordability_pct", "must be a number",
                 id="true or false where a number belongs is refused"),
    pytest.param('auto_decide_first = "yes"\n', "auto_decide_first", "must be true or false",
                 id="a string where true or false belongs is refused"),
    pytest.param("hardship_categories = [1, 2]\n", "hardship_categories", "must be a list of strings",
                 id="a list of numbers where codes belong is refused"),
    pytest.param("affordability_pct = 0\n", "affordability_pct", "must be more than 0",
                 id="an affordability of zero is refused"),
    pytest.param("affordability_pct = 100.5\n", "affordability_pct", "cannot exceed 100",
                 id="an affordability above 100 percent is refused"),
    pytest.param("affordability_pct = inf\n", "affordability_pct", "finite",
                 id="an infinite percentage is refused"),
    pytest.param("offer_valid_days = -1\n", "offer_valid_days", "must be >= 0",
                 id="a negative number of days is refused"),
    pytest.param("max_term_months = 0\n", "max_term_months", "at least 1",
                 id="a term cap of zero months is refused"),
    pytest.param("max_grace_months = 61\n", "max_grace_months", "shorter than max_term_months",
                 id="grace longer than the term cap is refused"),
    pytest.param("max_term_months = 3\n", "max_grace_months", "shorter than max_term_months",
                 id="a term cap no longer than the grace is refused naming the grace"),
    pytest.param("penalty_multiplier = 0.5\n", "penalty_multiplier", "at least 1",
                 id="a penalty multiplier below one is refused"),
    pytest.param('second_grace_hardships = ["illness", "flood"]\n', "second_grace_hardships", "'flood'",
                 id="a grace hardship that is not a hardship category is refused"),
    pytest.param('hardship_categories = ["income_drop", "other"]\n', "second_grace_hardships", "'illness'",
                 id="dropping a category that grace still names is refused"),
    pytest.param('hardship_categories = ["Income Drop"]\n', "hardship_categories", "is not a code",
                 id="a hardship category that is not a code is refused"),
    pytest.param('hardship_categories = []\nsecond_grace_hardships = []\n', "hardship_categories",
                 "at least one", id="an empty list of hardship categories is refused"),
    pytest.param("officer_waiver_limit = 10.001\n", "officer_waiver_limit", "at most two decimals",
                 id="a waiver limit below the fen is refused"),
    pytest.param("second_officer_waiver_limit = 100\n", "second_officer_waiver_limit",
                 "must not be below officer_waiver_limit", id="a second officer limit below the first is refused"),
    pytest.param('proof_types = ["text/html"]\n', "proof_types", "is not one of",
                 id="a proof type the intake cannot recognise is refused"),
    pytest.param('second_grace_hardships = ["illness", "illness"]\n', "second_grace_hardships", "twice",
                 id="a value listed twice is refused"),
]


@pytest.mark.parametrize(("text", "key", "phrase"), BAD_FILES)
def test_a_bad_policy_file_gives_one_clear_error_naming_the_file_and_the_key(
    tmp_path: Path, text: str, key: str, phrase: str
) -> None:
    path = write(tmp_path, text)
    with pytest.raises(PolicyError) as caught:
        load_policy(path)
    error = caught.value
    message = str(error)
    assert error.key == key
    assert error.path == path
    assert str(path) in message and f"{key}: " in message
    assert phrase in message
    assert "\n" not in message


def test_a_file_that_is_not_toml_is_refused_naming_the_file_and_the_line(tmp_path: Path) -> None:
    path = write(tmp_path, "max_term_months = 36\nthis is not toml\n")
    with pytest.raises(PolicyError, match=r"is not valid TOML.*line 2") as caught:
        load_policy(path)
    assert str(path) in str(caught.value) and caught.value.key is None


def test_a_missing_policy_file_is_refused_naming_the_file(tmp_path: Path) -> None:
    path = tmp_path / "absent.toml"
    with pytest.raises(PolicyError, match="cannot be read") as caught:
        load_policy(path)
    assert str(path) in str(caught.value)


def test_a_policy_error_is_a_value_error_so_callers_can_catch_either() -> None:
    assert issubclass(PolicyError, ValueError)


def test_a_policy_built_in_code_names_the_key_too() -> None:
    with pytest.raises(PolicyError) as caught:
        Policy(affordability_pct=D("0"))
    assert caught.value.key == "affordability_pct" and caught.value.path is None


# --- the file drives the engine ------------------------------------------------------------------


def test_a_file_that_shortens_the_term_cap_shortens_the_engines_offers(tmp_path: Path) -> None:
    loan = LoanFacts(
        outstanding_principal=D("30000.00"), overdue_principal=D("5000.00"), overdue_interest=D("400.00"),
        overdue_penalty=D("120.00"), rate=Rate.annual(D("14.4")), days_past_due=45,
    )
    application = ApplicationFacts(
        kind=ApplicationKind.FIRST, hardship_category="income_drop", monthly_income=D("9000.00"),
        essential_expenses=D("4000.00"), other_debt=D("500.00"), proofs=frozenset({"hardship"}),
    )
    today = date(2026, 11, 28)
    default = review(application, loan, DEFAULT_POLICY, today)
    shorter = review(application, loan, load_policy(write(tmp_path, "max_term_months = 24\n")), today)

    def lowest(decision):
        return next(o for o in decision.offers if o.label == OfferLabel.LOWEST_INSTALLMENT)

    assert default.outcome == shorter.outcome == Outcome.OFFERS
    assert lowest(default).months == 60
    assert lowest(shorter).months == 24
    assert lowest(shorter).installment > lowest(default).installment
    assert all(offer.months <= 24 for offer in shorter.offers)


def test_the_services_use_the_policy_file_named_in_the_config(tmp_path) -> None:
    import dataclasses

    from wsnego_tui.config import load_settings
    from wsnego_tui.services import Services

    policy_file = tmp_path / "policy.toml"
    policy_file.write_text("max_term_months = 36\n", encoding="utf-8")
    settings = dataclasses.replace(load_settings(home=tmp_path / "home"), policy_file=policy_file)
    assert Services(settings).policy.max_term_months == 36
    policy_file.write_text("max_term_months = 'long'\n", encoding="utf-8")
    with pytest.raises(PolicyError, match="max_term_months"):
        Services(settings)


def _config(home: Path, text: str) -> None:
    from wsnego_tui.config import resolve_paths

    config = resolve_paths(home).config_file
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(text, encoding="utf-8")


def test_only_a_demo_run_waits_a_few_seconds_before_the_automatic_review(tmp_path: Path) -> None:
    """`wsnego-tui --demo` shows an application under review for a moment before the offers;
    an ordinary run (and every test) keeps the policy's delay, 0 by default."""
    from wsnego_tui.config import DEMO_REVIEW_DELAY_SECONDS, load_settings
    from wsnego_tui.services import Services

    home = tmp_path / "home"
    assert Services(load_settings(home=home)).policy.review_delay_seconds == 0
    demo = Services(load_settings(home=home, demo=True)).policy
    assert demo.review_delay_seconds == DEMO_REVIEW_DELAY_SECONDS > 0
    assert dataclasses.replace(demo, review_delay_seconds=0) == DEFAULT_POLICY  # nothing else changes
    _config(home, "demo_review_delay_seconds = 12\n")
    assert Services(load_settings(home=home, demo=True)).policy.review_delay_seconds == 12


def test_a_bank_policy_file_decides_the_review_delay_even_in_a_demo_run(tmp_path: Path) -> None:
    from wsnego_tui.config import load_settings
    from wsnego_tui.services import Services

    home = tmp_path / "home"
    write(tmp_path, "review_delay_seconds = 30\n")
    _config(home, f"policy_file = '{tmp_path / 'policy.toml'}'\n")
    assert Services(load_settings(home=home, demo=True)).policy.review_delay_seconds == 30


@pytest.mark.parametrize("value", ["-1", "'5'", "true", "3601", "1.5"])
def test_a_bad_demo_review_delay_is_refused_naming_the_key(tmp_path: Path, value: str) -> None:
    from wsnego_tui.config import ConfigError, load_settings

    home = tmp_path / "home"
    _config(home, f"demo_review_delay_seconds = {value}\n")
    with pytest.raises(ConfigError, match="demo_review_delay_seconds"):
        load_settings(home=home, demo=True)


def test_the_policy_in_force_is_audited_once_and_again_when_the_bank_changes_it(tmp_path: Path, clock) -> None:
    """Opening the database records the policy in force in the audit log; reopening with the
    same policy records nothing; a changed policy file records exactly what changed, before
    and after, and the hash chain stays intact."""
    from sqlmodel import select

    from wsnego_tui.config import load_settings
    from wsnego_tui.services import Services
    from wsnego_tui.store import audit
    from wsnego_tui.store.engine import read_session
    from wsnego_tui.store.models import AuditEntry

    settings = load_settings(home=tmp_path / "home")

    def entries(svc: Services) -> list[AuditEntry]:
        with read_session(svc.engine) as s:
            return list(s.exec(select(AuditEntry).order_by(AuditEntry.id)).all())

    first = Services(settings, clock)
    first.prepare()
    first.prepare()
    (entry,) = [e for e in entries(first) if e.action == "policy.change"]
    detail = json.loads(entry.detail)
    assert (entry.actor, detail["source"], detail["first"], detail["changed"]) == ("system", "default", True, {})
    assert detail["values"]["max_term_months"] == "60" and detail["values"]["affordability_pct"] == "70"
    first.close()

    policy_file = write(tmp_path, "max_term_months = 36\naffordability_pct = 65.5\n")
    changed = Services(dataclasses.replace(settings, policy_file=policy_file), clock)
    changed.prepare()
    changed.prepare()
    later = [e for e in entries(changed) if e.action == "policy.change"]
    assert len(later) == 2
    detail = json.loads(later[1].detail)
    assert detail["source"] == str(policy_file) and not detail["first"]
    assert detail["changed"] == {"max_term_months": ["60", "36"], "affordability_pct": ["70", "65.5"]}
    assert audit.verify(entries(changed)) == []
    changed.close()
