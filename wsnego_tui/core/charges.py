"""Charges on an overdue loan: penalty interest (罚息) and the quote of a negotiated settlement.

Penalty interest accrues per day on overdue principal at the contract daily rate times the
policy multiplier (1.5 by default). A settlement (协商一次性还款) quote never discounts
principal; it waives up to the policy's share of the penalty and of the overdue interest and
must be paid within the policy's days of acceptance.

Pure: no textual, no SQL, no clock (dates come in as arguments). It must never use float.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal, localcontext

from wsnego_tui.core.money import FEN, checked_amount, quantize_fen
from wsnego_tui.core.policy import DEFAULT_POLICY, Policy
from wsnego_tui.core.schedule import PRECISION, Rate




def _percent(value: object, name: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, (Decimal, int)):
        raise TypeError(f"{name} must be a Decimal percentage, not {type(value).__name__}")
    pct = Decimal(value)
    if not pct.is_finite() or pct < 0:
        raise ValueError(f"{name} must be a percentage >= 0, not {pct}")
    return pct


def penalty_interest(
    overdue_principal: Decimal,
    contract_rate: Rate,
    days: int,
    multiplier: Decimal = DEFAULT_POLICY.penalty_multiplier,
) -> Decimal:
    """Penalty interest for `days` days: overdue principal × daily rate × multiplier × days.

    Computed exactly and rounded half-up to the fen once, at the end: 10,000 overdue at a daily
    rate of 0.05 % for 10 days at 1.5× is 10,000 × 0.0005 × 1.5 × 10 = 75.00.
    """
    principal = checked_amount(overdue_principal, "overdue_principal")
    if not isinstance(contract_rate, Rate):
        raise TypeError(f"contract_rate must be a Rate, not {type(contract_rate).__name__}")
    if isinstance(days, bool) or not isinstance(days, int) or days < 0:
        raise ValueError(f"days must be a whole number >= 0, not {days!r}")
    factor = _percent(multiplier, "multiplier")
    with localcontext(prec=PRECISION, rounding=ROUND_HALF_UP):
        # daily fraction = annual_pct / 100 / 360
        return quantize_fen(principal * contract_rate.annual_pct * factor * days / 36000)


@dataclass(frozen=True)
class SettlementQuote:
    """What settles the loan in one payment, and what the bank waives to get there."""

    outstanding_principal: Decimal
    interest_due: Decimal
    penalty_due: Decimal
    interest_waiver: Decimal
    penalty_waiver: Decimal
    amount_due: Decimal
    """outstanding_principal + interest_due − interest_waiver + penalty_due − penalty_waiver."""
    pay_by: date
    """The last day to pay; after it the offer expires."""

    @property
    def total_owed(self) -> Decimal:
        """What is owed before any waiver."""
        return self.outstanding_principal + self.interest_due + self.penalty_due

    @property
    def total_waived(self) -> Decimal:
        return self.interest_waiver + self.penalty_waiver


def settlement_quote(
    outstanding_principal: Decimal,
    interest_due: Decimal,
    penalty_due: Decimal,
    *,
    policy: Policy,
    accepted_on: date,
    interest_waiver_pct: Decimal | None = None,
    penalty_waiver_pct: Decimal | None = None,
) -> SettlementQuote:
    """A settlement quote; waivers default to the policy maxima and may not exceed them.

    Principal is never discounted. Each waiver is due × pct / 100, rounded down to the fen (a
    waiver never exceeds its percentage).
    Raises ValueError for a waiver percentage above the policy's maximum or below zero.
    """
    principal = checked_amount(outstanding_principal, "outstanding_principal")
    interest = checked_amount(interest_due, "interest_due")
    penalty = checked_amount(penalty_due, "penalty_due")
    if not isinstance(accepted_on, date):
        raise TypeError(f"accepted_on must be a date, not {type(accepted_on).__name__}")
    interest_pct = _waiver_pct(
        interest_waiver_pct, policy.settlement_interest_waiver_pct, "interest_waiver_pct"
    )
    penalty_pct = _waiver_pct(penalty_waiver_pct, policy.settlement_penalty_waiver_pct, "penalty_waiver_pct")
    # A waiver is at most its percentage: rounded down to the fen, so that "up to 50%" of 0.01
    # waives nothing rather than all of it.
    with localcontext(prec=PRECISION):
        interest_waiver = (interest * interest_pct / 100).quantize(FEN, rounding=ROUND_DOWN)
        penalty_waiver = (penalty * penalty_pct / 100).quantize(FEN, rounding=ROUND_DOWN)
    return SettlementQuote(
        outstanding_principal=principal,
        interest_due=interest,
        penalty_due=penalty,
        interest_waiver=interest_waiver,
        penalty_waiver=penalty_waiver,
        amount_due=principal + interest - interest_waiver + penalty - penalty_waiver,
        pay_by=accepted_on + timedelta(days=policy.settlement_pay_days),
    )


def _waiver_pct(requested: Decimal | None, maximum: Decimal, name: str) -> Decimal:
    if requested is None:
        return maximum
    pct = _percent(requested, name)
    if pct > maximum:
        raise ValueError(f"{name} {pct} % is above the policy maximum of {maximum} %")
    return pct
