"""Money: half-up rounding to the fen, exact integer fen, parsing what people type, display."""

from __future__ import annotations

import io
import subprocess
import sys
import tokenize
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wsnego_tui.core.money import (
    AMOUNT_ERROR_MESSAGES,
    FEN,
    HARD_MAXIMUM,
    AmountError,
    checked_amount,
    format_amount,
    format_yuan,
    from_fen,
    has_at_most_two_decimals,
    parse_amount,
    quantize_fen,
    to_fen,
)

D = Decimal
CORE = Path(__file__).resolve().parent.parent / "wsnego_tui" / "core"
CALCULATOR_MODULES = ("money", "dates", "schedule", "apr", "charges", "policy")

fen_amounts = st.integers(min_value=-(10**14), max_value=10**14)


# --- rounding -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "rounded"),
    [
        ("1.005", "1.01"),
        ("1.004", "1.00"),
        ("0.125", "0.13"),
        ("2.675", "2.68"),
        ("-1.005", "-1.01"),
        ("7", "7.00"),
    ],
)
def test_quantize_fen_rounds_half_up_never_to_even(raw: str, rounded: str) -> None:
    """0.125 goes to 0.13 (banker's rounding would give 0.12), as on a bank statement."""
    result = quantize_fen(D(raw))
    assert result == D(rounded)
    assert str(result) == rounded


def test_quantize_fen_has_the_fen_as_its_quantum() -> None:
    assert FEN == D("0.01")
    assert quantize_fen(D("123456789012.344")).as_tuple().exponent == -2


def test_quantize_fen_refuses_a_float() -> None:
    with pytest.raises(TypeError):
        quantize_fen(0.1)  # type: ignore[arg-type]


# --- integer fen ----------------------------------------------------------------------------------


def test_to_fen_refuses_an_amount_with_digits_below_the_fen() -> None:
    with pytest.raises(ValueError, match="below the fen"):
        to_fen(D("1.005"))


@pytest.mark.parametrize("amount", [D("NaN"), D("Infinity"), D("-Infinity"), D("sNaN")])
def test_to_fen_refuses_what_is_not_finite(amount: Decimal) -> None:
    with pytest.raises(ValueError):
        to_fen(amount)


def test_to_fen_accepts_trailing_zeros_beyond_the_fen() -> None:
    """1.500 has three decimal places but is exactly 150 fen: nothing is rounded away."""
    assert to_fen(D("1.500")) == 150
    assert to_fen(D("12")) == 1200
    assert to_fen(D("-0.01")) == -1


def test_from_fen_gives_yuan_with_two_decimal_places() -> None:
    assert str(from_fen(12345)) == "123.45"
    assert str(from_fen(100)) == "1.00"
    assert str(from_fen(0)) == "0.00"
    assert str(from_fen(-5)) == "-0.05"


def test_from_fen_refuses_anything_but_an_int() -> None:
    with pytest.raises(TypeError):
        from_fen(D("1"))  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        from_fen(True)


@given(fen_amounts)
@settings(max_examples=200, deadline=None)
def test_fen_and_yuan_round_trip_exactly(fen: int) -> None:
    assert to_fen(from_fen(fen)) == fen
    assert from_fen(to_fen(from_fen(fen))) == from_fen(fen)


def test_has_at_most_two_decimals_ignores_trailing_zeros() -> None:
    assert has_at_most_two_decimals(D("1.50"))
    assert has_at_most_two_decimals(D("1.500"))
    assert has_at_most_two_decimals(D("3"))
    assert not has_at_most_two_decimals(D("1.005"))


# --- parsing ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "amount"),
    [
        ("1234.5", "1234.50"),
        ("1,234.56", "1234.56"),
        (" 12 ", "12.00"),
        ("12.", "12.00"),
        (".5", "0.50"),
        ("0", "0.00"),
        ("1,000,000", "1000000.00"),
        ("007", "7.00"),
    ],
)
def test_parse_amount_accepts_what_people_type(text: str, amount: str) -> None:
    result = parse_amount(text)
    assert result == D(amount)
    assert str(result) == amount


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("abc", "not_a_number"),
        ("12a", "not_a_number"),
        ("NaN", "not_a_number"),
        ("Infinity", "not_a_number"),
        ("-Infinity", "not_a_number"),
        ("1e5", "not_a_number"),
        ("1E-2", "not_a_number"),
        ("+5", "not_a_number"),
        ("1,23", "not_a_number"),
        ("1,2345.00", "not_a_number"),
        ("1.2.3", "not_a_number"),
        ("１２３", "not_a_number"),
        ("¥12", "not_a_number"),
        ("-5", "negative"),
        ("-0.01", "negative"),
        ("1.005", "too_many_decimals"),
        ("1.500", "too_many_decimals"),
        ("9" * 40, "above_maximum"),
    ],
)
def test_parse_amount_refuses_with_a_stable_code(text: str, code: str) -> None:
    with pytest.raises(AmountError) as info:
        parse_amount(text)
    assert info.value.code == code
    assert str(info.value).startswith(AMOUNT_ERROR_MESSAGES[code])


def test_parse_amount_messages_are_short_english_phrases() -> None:
    assert AMOUNT_ERROR_MESSAGES["not_a_number"] == "not a number"
    assert AMOUNT_ERROR_MESSAGES["negative"] == "negative amount"
    assert AMOUNT_ERROR_MESSAGES["too_many_decimals"] == "more than two decimals"


def test_an_amount_error_is_a_value_error() -> None:
    with pytest.raises(ValueError):
        parse_amount("x")


def test_parse_amount_refuses_zero_only_when_asked() -> None:
    assert parse_amount("0.00") == 0
    with pytest.raises(AmountError) as info:
        parse_amount("0.00", allow_zero=False)
    assert info.value.code == "zero"


def test_parse_amount_refuses_more_than_the_maximum_and_names_it() -> None:
    assert parse_amount("1,000.00", maximum=D("1000")) == D("1000")
    with pytest.raises(AmountError) as info:
        parse_amount("1000.01", maximum=D("1000"))
    assert info.value.code == "above_maximum"
    assert info.value.limit == D("1000")
    assert "¥1,000.00" in str(info.value)


def test_parse_amount_never_accepts_more_than_the_hard_maximum() -> None:
    assert parse_amount("999,999,999,999.99") == HARD_MAXIMUM
    with pytest.raises(AmountError) as info:
        parse_amount("1000000000000")
    assert info.value.code == "above_maximum"


@given(st.integers(min_value=0, max_value=to_fen(HARD_MAXIMUM)))
@settings(max_examples=200, deadline=None)
def test_a_formatted_amount_parses_back_to_itself(fen: int) -> None:
    amount = from_fen(fen)
    assert parse_amount(format_amount(amount)) == amount
    assert parse_amount(str(amount)) == amount


# --- display ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "text"),
    [
        ("1234.56", "¥1,234.56"),
        ("-1234.56", "-¥1,234.56"),
        ("0", "¥0.00"),
        ("-0.001", "¥0.00"),
        ("0.005", "¥0.01"),
        ("1000000", "¥1,000,000.00"),
        ("999.995", "¥1,000.00"),
    ],
)
def test_format_yuan_shows_the_sign_before_the_currency(amount: str, text: str) -> None:
    assert format_yuan(D(amount)) == text


def test_format_amount_has_no_currency_sign() -> None:
    assert format_amount(D("1234.5")) == "1,234.50"
    assert format_amount(D("-3")) == "-3.00"


# --- hygiene ------------------------------------------------------------------------------------


def test_the_calculator_modules_never_call_float_nor_write_a_float_literal() -> None:
    """Money must never pass through binary floating point, not even in a conversion."""
    for name in CALCULATOR_MODULES:
        source = (CORE / f"{name}.py").read_text(encoding="utf-8")
        tokens = [
            token
            for token in tokenize.generate_tokens(io.StringIO(source).readline)
            if token.type not in (tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE)
        ]
        for token, following in zip(tokens, tokens[1:]):
            called = token.type == tokenize.NAME and token.string == "float" and following.string == "("
            assert not called, f"core/{name}.py:{token.start[0]} calls float()"
        for token in tokens:
            if token.type == tokenize.NUMBER:
                literal = token.string.lower()
                is_float = ("." in literal or "e" in literal) and not literal.startswith("0x")
                assert not is_float, f"core/{name}.py:{token.start[0]} has the float literal {literal}"


def test_the_calculator_imports_no_ui_or_database_library() -> None:
    """Checked in a fresh interpreter, where nothing else could have imported them first."""
    modules = ", ".join(f"wsnego_tui.core.{name}" for name in CALCULATOR_MODULES)
    code = (
        f"import sys, {modules}\n"
        "banned = ('textual', 'rich', 'sqlmodel', 'sqlalchemy')\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in banned))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


@pytest.mark.parametrize("huge", ["1E+60", "1E+100", "123456789012345678901234567890123456789012345678901234567890"])
def test_an_amount_too_large_for_the_fen_is_a_value_error_not_a_decimal_signal(huge: str) -> None:
    with pytest.raises(ValueError, match="too large"):
        checked_amount(Decimal(huge), "principal")
    with pytest.raises(ValueError, match="too large"):
        quantize_fen(Decimal(huge))
