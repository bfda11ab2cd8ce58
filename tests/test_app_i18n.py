"""The UI strings and how dates, instants and money read in each language."""

from __future__ import annotations

import datetime as dt
import string
import subprocess
import sys
from decimal import Decimal

import pytest

from wsnego_tui.core.clock import CHINA_TZ
from wsnego_tui.core.views import LoanStatus
from wsnego_tui.i18n import (
    LANGUAGES,
    MESSAGES,
    Translator,
    enum_label,
    format_date,
    format_datetime,
    other_language,
    stage_label,
    t,
)

AMBIGUOUS_WIDTH = "·…—▲▼↑↓│"


def placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def test_both_languages_have_exactly_the_same_keys() -> None:
    assert set(LANGUAGES) == set(MESSAGES)
    assert set(MESSAGES["zh"]) == set(MESSAGES["en"])


@pytest.mark.parametrize("key", sorted(MESSAGES["zh"]))
def test_a_string_has_the_same_placeholders_in_both_languages(key: str) -> None:
    assert placeholders(MESSAGES["zh"][key]) == placeholders(MESSAGES["en"][key])


@pytest.mark.parametrize("lang", LANGUAGES)
def test_no_string_uses_a_character_of_ambiguous_width(lang: str) -> None:
    """A CJK terminal draws ·, … or — two cells wide while Textual counts one: the line shifts."""
    offenders = {key: text for key, text in MESSAGES[lang].items() if set(text) & set(AMBIGUOUS_WIDTH)}
    assert offenders == {}


def test_every_loan_status_has_a_label_in_both_languages() -> None:
    for status in LoanStatus:
        assert enum_label("zh", "status", status) != status.value
        assert enum_label("en", "status", status) != status.value


def test_dates_read_the_chinese_way_and_the_english_way() -> None:
    day = dt.date(2026, 11, 28)
    assert format_date("zh", day) == "2026年11月28日"
    assert format_date("en", day) == "28 Nov 2026"
    assert format_date("en", dt.date(2027, 1, 5)) == "5 Jan 2027"


def test_an_instant_is_shown_on_the_bank_clock() -> None:
    utc_evening = dt.datetime(2026, 11, 28, 17, 5, tzinfo=dt.timezone.utc)
    assert format_datetime("zh", utc_evening) == "2026年11月29日 01:05"
    assert format_datetime("en", utc_evening.astimezone(CHINA_TZ)) == "29 Nov 2026 01:05"


def test_fill_formats_values_for_the_language() -> None:
    until = dt.datetime(2026, 11, 28, 9, 45, tzinfo=CHINA_TZ)
    assert Translator("zh").fill("login.locked", until=until) == "登录已暂时锁定，请于2026年11月28日 09:45之后再试。"
    assert "28 Nov 2026 09:45" in Translator("en").fill("login.locked", until=until)
    summary = Translator("en").fill("loans.summary", count=2, outstanding=Decimal("1234.5"), overdue=Decimal(0))
    assert "¥1,234.50" in summary and "¥0.00" in summary


def test_a_negotiation_stage_is_translated_by_kind_and_status() -> None:
    assert stage_label("zh", "second:under_review") == "二次协商还款审核中"
    assert stage_label("en", "first:offer_issued") == "1st negotiation: offer to answer"
    assert stage_label("en", "something_new") == "something_new"


def test_the_language_key_switches_between_the_two_languages() -> None:
    assert other_language("zh") == "en"
    assert other_language("en") == "zh"


def test_a_missing_key_is_an_error_not_an_empty_string() -> None:
    with pytest.raises(KeyError):
        t("zh", "no.such.key")


def test_the_strings_module_imports_no_ui_and_no_database() -> None:
    code = (
        "import sys, wsnego_tui.i18n; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'rich', 'sqlmodel', 'sqlalchemy')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
