"""Money: exact Decimal yuan, rounding to the fen, integer fen for storage, parsing and display.

Every amount in the app is a `Decimal` with at most two decimal places (the fen, 分). Rounding
is half-up (ROUND_HALF_UP), the way a bank statement rounds, never banker's rounding.

Pure: no textual, no rich, no SQL, no files. It must never use float (no float literals, no
float() calls): binary floating point cannot hold 0.1 yuan and silently changes amounts.
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Context, Decimal, InvalidOperation

FEN = Decimal("0.01")

# Wide enough for any amount a loan can reach and for exact intermediate products.
_WIDE = Context(prec=60, rounding=ROUND_HALF_UP)

# Nothing typed into the app is larger than this (just under a trillion yuan). It keeps every
# calculation far inside the Decimal precision used by the schedule calculator.
HARD_MAXIMUM = Decimal("999999999999.99")

AMOUNT_ERROR_MESSAGES: dict[str, str] = {
    "empty": "no amount given",
    "not_a_number": "not a number",
    "negative": "negative amount",
    "too_many_decimals": "more than two decimals",
    "zero": "must be more than zero",
    "above_maximum": "above the maximum",
}
"""Stable error codes of `parse_amount` and their English phrases; the UI translates by code."""


class AmountError(ValueError):
    """A typed amount that cannot be used. `code` is stable (see AMOUNT_ERROR_MESSAGES)."""

    def __init__(self, code: str, message: str | None = None, *, limit: Decimal | None = None) -> None:
        if code not in AMOUNT_ERROR_MESSAGES:
            raise ValueError(f"unknown amount error code {code!r}")
        self.code = code
        self.limit = limit
        super().__init__(message or AMOUNT_ERROR_MESSAGES[code])


def _require_decimal(amount: object, name: str = "amount") -> Decimal:
    if isinstance(amount, bool) or not isinstance(amount, (Decimal, int)):
        raise TypeError(f"{name} must be a Decimal (or int), not {type(amount).__name__}")
    value = Decimal(amount)
    if not value.is_finite():
        raise ValueError(f"{name} must be a finite number, not {value}")
    return value


def checked_amount(value: object, name: str) -> Decimal:
    """`value` as an amount of money for a domain object: a Decimal (or int), finite, not
    negative and a whole number of fen; ValueError/TypeError naming `name` otherwise."""
    amount = _require_decimal(value, name)
    if amount < 0:
        raise ValueError(f"{name} must be a finite amount >= 0, not {amount}")
    if not has_at_most_two_decimals(amount):
        raise ValueError(f"{name} must have at most two decimals, not {amount}")
    return quantize_fen(amount)


def quantize_fen(x: Decimal) -> Decimal:
    """`x` rounded half-up to the fen: 1.005 -> 1.01, 1.004 -> 1.00, -1.005 -> -1.01.
    ValueError for an amount too large to hold to the fen (58 digits and more)."""
    return _to_fen(_require_decimal(x))


def has_at_most_two_decimals(amount: Decimal) -> bool:
    """True when `amount` is a whole number of fen (1.50, 1.500 and 2 are; 1.005 is not).
    ValueError for an amount too large to hold to the fen."""
    value = _require_decimal(amount)
    return value == _to_fen(value)


def _to_fen(value: Decimal) -> Decimal:
    try:
        return value.quantize(FEN, rounding=ROUND_HALF_UP, context=_WIDE)
    except InvalidOperation:  # more digits than the context holds
        raise ValueError(f"{value} is too large an amount") from None


def to_fen(amount: Decimal) -> int:
    """The exact number of fen in `amount`, for the database; refuses to round anything away.

    Raises ValueError for amounts with sub-fen digits (1.005) or that are not finite.
    """
    value = _require_decimal(amount)
    scaled = value.scaleb(2, context=_WIDE)
    if scaled != scaled.to_integral_value(context=_WIDE):
        raise ValueError(f"{value} has digits below the fen; round it first")
    return int(scaled)


def from_fen(fen: int) -> Decimal:
    """The amount of `fen` fen in yuan, with exactly two decimal places: 12345 -> 123.45."""
    if isinstance(fen, bool) or not isinstance(fen, int):
        raise TypeError(f"fen must be an int, not {type(fen).__name__}")
    return Decimal(fen).scaleb(-2, context=_WIDE)


_PLAIN_NUMBER = re.compile(
    r"(?P<int>[0-9]+|[0-9]{1,3}(?:,[0-9]{3})+)(?:\.(?P<frac>[0-9]*))?"
    r"|\.(?P<frac_only>[0-9]+)",
    re.ASCII,
)


def parse_amount(text: str, *, allow_zero: bool = True, maximum: Decimal | None = None) -> Decimal:
    """An amount typed by a person, as a Decimal with two decimal places.

    Accepts "1234.5", "1,234.56" (thousands grouped by three), " 12 ", "12." and ".5".
    Raises AmountError (code in brackets) for: nothing typed [empty], letters, signs other than a
    leading minus, NaN/Infinity/exponent forms or full-width digits [not_a_number], a leading
    minus [negative], more than two decimal places, even trailing zeros [too_many_decimals],
    zero when `allow_zero` is false [zero], and more than `maximum` [above_maximum].
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, not {type(text).__name__}")
    stripped = text.strip()
    if not stripped:
        raise AmountError("empty")
    negative = stripped.startswith("-")
    match = _PLAIN_NUMBER.fullmatch(stripped[1:] if negative else stripped)
    if match is None:
        raise AmountError("not_a_number")
    if negative:
        raise AmountError("negative")
    fraction = match.group("frac") or match.group("frac_only") or ""
    if len(fraction) > 2:
        raise AmountError("too_many_decimals")
    integer = (match.group("int") or "0").replace(",", "")
    # Too many digits to be a real amount: say so without building a huge Decimal first.
    if len(integer.lstrip("0")) > len(str(int(HARD_MAXIMUM))):
        raise AmountError("above_maximum", _above_message(maximum), limit=_limit(maximum))
    value = Decimal(f"{integer}.{fraction or '0'}").quantize(FEN, context=_WIDE)
    limit = _limit(maximum)
    if value > limit:
        raise AmountError("above_maximum", _above_message(maximum), limit=limit)
    if value == 0 and not allow_zero:
        raise AmountError("zero")
    return value


def _limit(maximum: Decimal | None) -> Decimal:
    if maximum is None:
        return HARD_MAXIMUM
    return min(_require_decimal(maximum, "maximum"), HARD_MAXIMUM)


def _above_message(maximum: Decimal | None) -> str:
    return f"{AMOUNT_ERROR_MESSAGES['above_maximum']} {format_yuan(_limit(maximum))}"


def format_amount(amount: Decimal) -> str:
    """`amount` with thousands separators and two decimals, no currency sign: "1,234.56"."""
    value = quantize_fen(amount)
    text = format(abs(value), ",f")
    return f"-{text}" if value < 0 else text


def format_yuan(amount: Decimal) -> str:
    """`amount` for display: "¥1,234.56", negative "-¥1,234.56"; rounds half-up to the fen."""
    value = quantize_fen(amount)
    text = f"¥{format(abs(value), ',f')}"
    return f"-{text}" if value < 0 else text


def parse_decimal_text(text: str) -> Decimal | None:
    """A plain non-negative decimal ("4.9", "0.05", ".5") or None; no grouping, signs, exponents.

    For rates and percentages typed on the command line or in a form, where the amount rules of
    `parse_amount` (two decimals, thousands separators) do not apply.
    """
    match = re.fullmatch(r"[0-9]+(?:\.[0-9]*)?|\.[0-9]+", text.strip(), re.ASCII)
    if match is None:
        return None
    try:
        return Decimal(match.group(0))
    except InvalidOperation:  # pragma: no cover - the pattern admits only valid literals
        return None
