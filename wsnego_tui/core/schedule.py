"""The repayment schedule calculator shared by every screen, the review engine and the CLI.

Given a principal, a rate, a term and a method (等额本息 / 等额本金 / 先息后本), optionally after
grace months, it produces every period's due date, payment, interest, principal and balance,
exactly, in Decimal, by the rules of DESIGN §3:

- The period rate is the annual rate / 12; a product quoted by daily rate (日利率) has
  annual = daily × 360, so its period rate is daily × 30.
- The installment and each period's interest are rounded half-up to the fen; principal =
  installment − interest, never more than the balance (clamp); the last period takes whatever
  balance remains (the residue), so the final balance is exactly zero. A zero rate works.
- Grace months come first. Interest-only grace: the period's interest is paid, no principal.
  Deferral grace: nothing is paid; the period's interest is capitalised (added to the balance,
  monthly) and is recorded in `Row.capitalised`, so that no amount in a row is ever negative.
- Totals: total_interest = Σ interest paid + Σ capitalised, and
  total_payment = principal + total_interest exactly (capitalised interest is repaid later as
  principal, so Σ row principal = principal + Σ capitalised).

A renegotiated plan is just another schedule: `Renegotiation` turns the negotiated inputs into
the new principal and `renegotiate` builds it; `compare` sets old and new side by side.

Pure: no textual, rich, SQLModel or SQLAlchemy, no clock, no I/O. It must never use float.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, localcontext
from enum import StrEnum

from wsnego_tui.core.dates import add_months
from wsnego_tui.core.money import has_at_most_two_decimals, quantize_fen

# Precision for every intermediate result. Amounts have at most 15 significant digits and rates
# a handful, so exact products fit easily; repeating quotients (4.9 % / 12) are carried to 50
# digits, far below the fen, and can never sit exactly on a half-fen boundary.
PRECISION = 50

MAX_ANNUAL_PCT = Decimal("36")
"""The legal ceiling of a loan's annualized rate in China; no product quotes more."""

MAX_MONTHS = 600
"""A sanity bound on the term (50 years), far beyond any product; keeps the CLI responsive."""

ZERO = Decimal("0.00")


class Method(StrEnum):
    EQUAL_INSTALLMENT = "equal-installment"  # 等额本息
    EQUAL_PRINCIPAL = "equal-principal"  # 等额本金
    INTEREST_FIRST = "interest-first"  # 先息后本


class GraceKind(StrEnum):
    INTEREST_ONLY = "interest-only"  # 宽限期只还利息
    DEFERRAL = "deferral"  # 宽限期暂停还款, 利息按月资本化


class RowKind(StrEnum):
    GRACE = "grace"
    REGULAR = "regular"


def _decimal_arg(value: object, name: str) -> Decimal:
    if isinstance(value, bool) or isinstance(value, float):
        raise TypeError(f"{name} must be a Decimal, int or str, not {type(value).__name__}")
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, (int, str)):
        try:
            result = Decimal(value)
        except ArithmeticError:
            raise ValueError(f"{name} is not a number: {value!r}") from None
    else:
        raise TypeError(f"{name} must be a Decimal, int or str, not {type(value).__name__}")
    if not result.is_finite():
        raise ValueError(f"{name} must be a finite number, not {result}")
    return result


def _amount_arg(value: object, name: str, *, positive: bool = False) -> Decimal:
    amount = _decimal_arg(value, name)
    if positive and amount <= 0:
        raise ValueError(f"{name} must be more than zero, not {amount}")
    if amount < 0:
        raise ValueError(f"{name} must not be negative, not {amount}")
    if not has_at_most_two_decimals(amount):
        raise ValueError(f"{name} must be a whole number of fen (at most two decimals), not {amount}")
    return quantize_fen(amount)


def _int_arg(value: object, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{name} must be a whole number, not {value!r}")
    return value


@dataclass(frozen=True)
class Rate:
    """A contract interest rate, stored as the annual percentage (4.9 means 4.9 % a year).

    Build it with `Rate.annual(pct)` or `Rate.daily(pct)`; a daily rate of 0.05 % is an annual
    18 % (× 360), and both give the same period rate, 1.5 % a month.
    """

    annual_pct: Decimal

    def __post_init__(self) -> None:
        pct = _decimal_arg(self.annual_pct, "annual_pct")
        if not 0 <= pct <= MAX_ANNUAL_PCT:
            raise ValueError(f"annual rate must be between 0 and {MAX_ANNUAL_PCT} %, not {pct} %")
        object.__setattr__(self, "annual_pct", pct)

    @classmethod
    def annual(cls, pct: Decimal | int | str) -> Rate:
        return cls(_decimal_arg(pct, "annual rate"))

    @classmethod
    def daily(cls, pct: Decimal | int | str) -> Rate:
        """A rate quoted per day (日利率) in percent: annual = daily × 360."""
        daily = _decimal_arg(pct, "daily rate")
        maximum = MAX_ANNUAL_PCT / 360
        if not 0 <= daily <= maximum:
            raise ValueError(f"daily rate must be between 0 and {maximum} %, not {daily} %")
        with localcontext(prec=PRECISION):
            return cls(daily * 360)

    @property
    def period_rate(self) -> Decimal:
        """The monthly rate as a fraction: annual_pct / 1200 (for a daily product daily × 30 / 100)."""
        with localcontext(prec=PRECISION):
            return self.annual_pct / 1200

    @property
    def daily_pct(self) -> Decimal:
        """The daily rate in percent: annual_pct / 360."""
        with localcontext(prec=PRECISION):
            return self.annual_pct / 360

    def interest_for(self, balance: Decimal) -> Decimal:
        """One month's interest on `balance`, rounded half-up to the fen."""
        with localcontext(prec=PRECISION):
            return quantize_fen(balance * self.annual_pct / 1200)


@dataclass(frozen=True)
class Row:
    """One period of a schedule. Every amount is >= 0 and rounded to the fen.

    payment = interest + principal on every row. `capitalised` is the interest added to the
    balance in a deferral grace month (0 elsewhere); `balance` is what is owed after the period.
    """

    period: int
    due_date: date
    payment: Decimal
    interest: Decimal
    principal: Decimal
    balance: Decimal
    kind: str = RowKind.REGULAR
    capitalised: Decimal = ZERO


@dataclass(frozen=True)
class Schedule:
    """A whole repayment plan: its inputs and its rows (see the module docstring for totals)."""

    principal: Decimal
    rate: Rate
    method: Method
    start: date
    months: int
    grace_months: int
    grace_kind: GraceKind | None
    upfront_fee: Decimal
    rows: tuple[Row, ...] = field(repr=False)

    @property
    def total_payment(self) -> Decimal:
        """Everything the borrower pays over the plan (the upfront fee is not included)."""
        return sum((row.payment for row in self.rows), ZERO)

    @property
    def total_capitalised(self) -> Decimal:
        return sum((row.capitalised for row in self.rows), ZERO)

    @property
    def total_interest(self) -> Decimal:
        """Interest paid plus interest capitalised; always total_payment − principal."""
        return sum((row.interest for row in self.rows), ZERO) + self.total_capitalised

    @property
    def total_cost(self) -> Decimal:
        """What borrowing costs over the plan: total interest plus the upfront fee."""
        return self.total_interest + self.upfront_fee

    @property
    def term(self) -> int:
        return self.months

    @property
    def end_date(self) -> date:
        """The last due date."""
        return self.rows[-1].due_date

    @property
    def first_due_date(self) -> date:
        return self.rows[0].due_date

    @property
    def installment(self) -> Decimal:
        """The regular payment: the first non-grace row's payment.

        For equal installment that is the amortising installment; for equal principal the
        first (largest) payment; for interest-first the monthly interest.
        """
        for row in self.rows:
            if row.kind == RowKind.REGULAR:
                return row.payment
        raise AssertionError("a schedule always has at least one regular row")  # pragma: no cover

    def cash_flows(self) -> tuple[Decimal, ...]:
        """Monthly cash flows from the borrower's side, for the annualized rate (IRR).

        Flow 0 is minus what the borrower actually receives (principal − upfront fee); flow k is
        period k's payment (0 in a deferral month).
        """
        return (-(self.principal - self.upfront_fee), *(row.payment for row in self.rows))


def pmt(principal: Decimal, period_rate: Decimal, n: int) -> Decimal:
    """The level payment that repays `principal` in `n` periods at `period_rate`, half-up to the fen.

    principal × r / (1 − (1 + r)^−n), or principal / n at a zero rate. Excel's
    PMT(8%/12, 10, 10000) gives −1,037.03; this gives 1037.03.
    """
    n = _int_arg(n, "n")
    if n < 1:
        raise ValueError(f"n must be at least 1, not {n}")
    principal = _decimal_arg(principal, "principal")
    rate = _decimal_arg(period_rate, "period_rate")
    if rate < 0:
        raise ValueError(f"period_rate must not be negative, not {rate}")
    with localcontext(prec=PRECISION, rounding=ROUND_HALF_UP):
        if rate == 0:
            return quantize_fen(principal / n)
        return quantize_fen(principal * rate / (1 - (1 + rate) ** -n))


def build_schedule(
    principal: Decimal,
    rate: Rate,
    months: int,
    *,
    method: Method = Method.EQUAL_INSTALLMENT,
    start: date,
    grace_months: int = 0,
    grace_kind: GraceKind | None = None,
    upfront_fee: Decimal = ZERO,
) -> Schedule:
    """The schedule of `principal` over `months` months from `start` (first due one month later).

    `months` is the whole term including the grace months; the grace months come first and the
    remaining months − grace_months periods amortise the balance by `method`.
    Raises ValueError naming the argument for: principal not > 0 or with sub-fen digits, months
    < 1 (or > MAX_MONTHS), grace_months not in [0, months), grace_kind given without grace
    months or missing with them, a negative or sub-fen upfront fee, or a fee not below principal.
    """
    principal = _amount_arg(principal, "principal", positive=True)
    if not isinstance(rate, Rate):
        raise ValueError(f"rate must be a Rate, not {type(rate).__name__}")
    months = _int_arg(months, "months")
    if not 1 <= months <= MAX_MONTHS:
        raise ValueError(f"months must be between 1 and {MAX_MONTHS}, not {months}")
    try:
        method = Method(method)
    except ValueError:
        raise ValueError(f"method must be one of {', '.join(Method)}, not {method!r}") from None
    if not isinstance(start, date):
        raise ValueError(f"start must be a date, not {type(start).__name__}")
    grace_months = _int_arg(grace_months, "grace_months")
    if not 0 <= grace_months < months:
        raise ValueError(f"grace_months must be at least 0 and less than months ({months}), not {grace_months}")
    if grace_months and grace_kind is None:
        raise ValueError("grace_kind is required when grace_months > 0")
    if not grace_months and grace_kind is not None:
        raise ValueError("grace_kind needs grace_months > 0")
    if grace_kind is not None:
        try:
            grace_kind = GraceKind(grace_kind)
        except ValueError:
            raise ValueError(f"grace_kind must be one of {', '.join(GraceKind)}, not {grace_kind!r}") from None
    upfront_fee = _amount_arg(upfront_fee, "upfront_fee")
    if upfront_fee >= principal:
        raise ValueError(f"upfront_fee must be less than principal ({principal}), not {upfront_fee}")

    with localcontext(prec=PRECISION, rounding=ROUND_HALF_UP):
        rows: list[Row] = []
        balance = principal
        for period in range(1, grace_months + 1):
            due = add_months(start, period)
            interest = rate.interest_for(balance)
            if grace_kind == GraceKind.DEFERRAL:
                balance += interest
                rows.append(Row(period, due, ZERO, ZERO, ZERO, balance, RowKind.GRACE, interest))
            else:
                rows.append(Row(period, due, interest, interest, ZERO, balance, RowKind.GRACE))
        rows.extend(_amortise(balance, rate, months - grace_months, method, start, grace_months))
    return Schedule(
        principal=principal,
        rate=rate,
        method=method,
        start=start,
        months=months,
        grace_months=grace_months,
        grace_kind=grace_kind,
        upfront_fee=upfront_fee,
        rows=tuple(rows),
    )


def _amortise(balance: Decimal, rate: Rate, n: int, method: Method, start: date, offset: int) -> list[Row]:
    """The n regular rows that take `balance` to exactly zero, numbered after `offset` grace rows."""
    installment = pmt(balance, rate.period_rate, n) if method == Method.EQUAL_INSTALLMENT else ZERO
    level_principal = quantize_fen(balance / n) if method == Method.EQUAL_PRINCIPAL else ZERO
    rows = []
    for k in range(1, n + 1):
        interest = rate.interest_for(balance)
        if k == n:
            principal = balance  # the last period takes the residue
        elif method == Method.EQUAL_INSTALLMENT:
            principal = min(max(installment - interest, ZERO), balance)
        elif method == Method.EQUAL_PRINCIPAL:
            principal = min(level_principal, balance)
        else:  # interest first: principal only at the end
            principal = ZERO
        balance -= principal
        period = offset + k
        rows.append(
            Row(period, add_months(start, period), interest + principal, interest, principal, balance)
        )
    return rows


@dataclass(frozen=True, kw_only=True)
class Renegotiation:
    """A negotiated plan expressed as inputs (DESIGN §3); every amount in yuan, to the fen.

    new_principal = outstanding_principal + arrears_capitalised − waived − down_payment, where
    arrears_capitalised is the overdue interest and penalty folded into the new plan and waived
    what the bank forgives. Keyword-only: `Renegotiation(outstanding_principal=..., rate=...,
    months=..., start=...)`.
    """

    outstanding_principal: Decimal
    arrears_capitalised: Decimal = ZERO
    waived: Decimal = ZERO
    down_payment: Decimal = ZERO
    rate: Rate
    months: int
    method: Method = Method.EQUAL_INSTALLMENT
    grace_months: int = 0
    grace_kind: GraceKind | None = None
    start: date

    @property
    def new_principal(self) -> Decimal:
        """The balance the new plan repays; ValueError naming the input when it cannot be built."""
        amounts = {
            "outstanding_principal": self.outstanding_principal,
            "arrears_capitalised": self.arrears_capitalised,
            "waived": self.waived,
            "down_payment": self.down_payment,
        }
        checked = {name: _amount_arg(value, name) for name, value in amounts.items()}
        owed = checked["outstanding_principal"] + checked["arrears_capitalised"]
        if checked["waived"] > owed:
            raise ValueError(f"waived ({checked['waived']}) is more than what is owed ({owed})")
        result = owed - checked["waived"] - checked["down_payment"]
        if result <= 0:
            raise ValueError(f"nothing left to repay: the new principal would be {result}")
        return result


def renegotiate(r: Renegotiation) -> Schedule:
    """The new plan's schedule for a renegotiation."""
    return build_schedule(
        r.new_principal,
        r.rate,
        r.months,
        method=r.method,
        start=r.start,
        grace_months=r.grace_months,
        grace_kind=r.grace_kind,
    )


@dataclass(frozen=True)
class Comparison:
    """Old plan against new plan, as shown before the borrower confirms (old → new)."""

    old_installment: Decimal
    new_installment: Decimal
    old_term: int
    new_term: int
    old_end_date: date
    new_end_date: date
    old_total_payment: Decimal
    new_total_payment: Decimal
    old_total_interest: Decimal
    new_total_interest: Decimal
    saving: Decimal
    """old_total_payment − new_total_payment; negative when the new plan costs more."""

    @property
    def installment_change(self) -> Decimal:
        return self.new_installment - self.old_installment


def compare(old: Schedule, new: Schedule) -> Comparison:
    return Comparison(
        old_installment=old.installment,
        new_installment=new.installment,
        old_term=old.term,
        new_term=new.term,
        old_end_date=old.end_date,
        new_end_date=new.end_date,
        old_total_payment=old.total_payment,
        new_total_payment=new.total_payment,
        old_total_interest=old.total_interest,
        new_total_interest=new.total_interest,
        saving=old.total_payment - new.total_payment,
    )
