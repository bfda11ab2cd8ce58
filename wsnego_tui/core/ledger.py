"""Where a loan stands, and how a payment is split: the arithmetic of repayment.

- Overdue: an installment whose due date is before today and that is not fully paid.
- Penalty interest (罚息) accrues per day on an installment's unpaid principal from its due date;
  what accrued up to `penalty_through` is stored, the days after it are computed here.
- Allocation (DESIGN §2): overdue first, oldest first; within an installment penalty, then
  interest, then principal. Anything beyond what is owed is reported as unapplied.

Pure: no UI, no SQL. Amounts are Decimal yuan to the fen.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from wsnego_tui.core.charges import penalty_interest
from wsnego_tui.core.schedule import Rate

ZERO = Decimal("0.00")


@dataclass(frozen=True)
class InstallmentState:
    period: int
    due_date: dt.date
    interest: Decimal
    principal: Decimal
    paid_interest: Decimal = ZERO
    paid_principal: Decimal = ZERO
    paid_penalty: Decimal = ZERO
    penalty_accrued: Decimal = ZERO
    penalty_through: dt.date | None = None

    @property
    def unpaid_principal(self) -> Decimal:
        return self.principal - self.paid_principal

    @property
    def unpaid_interest(self) -> Decimal:
        return self.interest - self.paid_interest

    def is_overdue(self, today: dt.date) -> bool:
        return self.due_date < today and (self.unpaid_principal > 0 or self.unpaid_interest > 0)

    def penalty_accrued_by(self, today: dt.date, rate: Rate, multiplier: Decimal) -> Decimal:
        """All penalty accrued up to and including `today` (paid or not)."""
        since = self.penalty_through or self.due_date
        days = (today - since).days
        if days <= 0 or self.unpaid_principal <= 0:
            return self.penalty_accrued
        return self.penalty_accrued + penalty_interest(self.unpaid_principal, rate, days, multiplier)

    def penalty_due(self, today: dt.date, rate: Rate, multiplier: Decimal) -> Decimal:
        return self.penalty_accrued_by(today, rate, multiplier) - self.paid_penalty

    def amount_due(self, today: dt.date, rate: Rate, multiplier: Decimal) -> Decimal:
        return self.unpaid_principal + self.unpaid_interest + self.penalty_due(today, rate, multiplier)

    @property
    def is_settled(self) -> bool:
        return self.unpaid_principal == 0 and self.unpaid_interest == 0


@dataclass(frozen=True)
class Position:
    """What a loan's active plan says today."""

    outstanding_principal: Decimal
    overdue_principal: Decimal
    overdue_interest: Decimal
    overdue_penalty: Decimal
    days_past_due: int
    next_due_date: dt.date | None
    next_due_amount: Decimal | None
    payoff_amount: Decimal
    """Everything still owed on the plan: all unpaid principal, interest and penalty."""

    @property
    def overdue_total(self) -> Decimal:
        return self.overdue_principal + self.overdue_interest + self.overdue_penalty


def position(
    installments: Sequence[InstallmentState], rate: Rate, today: dt.date, multiplier: Decimal
) -> Position:
    ordered = sorted(installments, key=lambda i: i.due_date)
    overdue = [i for i in ordered if i.is_overdue(today)]
    upcoming = [i for i in ordered if i.due_date >= today and not i.is_settled]
    nxt = upcoming[0] if upcoming else None
    return Position(
        outstanding_principal=sum((i.unpaid_principal for i in ordered), ZERO),
        overdue_principal=sum((i.unpaid_principal for i in overdue), ZERO),
        overdue_interest=sum((i.unpaid_interest for i in overdue), ZERO),
        overdue_penalty=sum((i.penalty_due(today, rate, multiplier) for i in ordered), ZERO),
        days_past_due=(today - overdue[0].due_date).days if overdue else 0,
        next_due_date=nxt.due_date if nxt else None,
        next_due_amount=nxt.amount_due(today, rate, multiplier) if nxt else None,
        payoff_amount=sum((i.amount_due(today, rate, multiplier) for i in ordered), ZERO),
    )


@dataclass(frozen=True)
class Allocation:
    """What one payment does to one installment."""

    period: int
    to_penalty: Decimal
    to_interest: Decimal
    to_principal: Decimal
    penalty_accrued: Decimal
    """The installment's accrued penalty, brought up to date (stored with penalty_through=today)."""

    @property
    def total(self) -> Decimal:
        return self.to_penalty + self.to_interest + self.to_principal


@dataclass(frozen=True)
class AllocationPlan:
    amount: Decimal
    allocations: tuple[Allocation, ...]
    unapplied: Decimal

    def total(self, part: str) -> Decimal:
        return sum((getattr(a, f"to_{part}") for a in self.allocations), ZERO)


def allocate(
    amount: Decimal,
    installments: Sequence[InstallmentState],
    rate: Rate,
    today: dt.date,
    multiplier: Decimal,
) -> AllocationPlan:
    """Split `amount` over the plan: oldest due date first; penalty → interest → principal."""
    if amount <= 0:
        raise ValueError("a payment must be positive")
    left = amount
    allocations: list[Allocation] = []
    for inst in sorted(installments, key=lambda i: (i.due_date, i.period)):
        if left <= 0:
            break
        accrued = inst.penalty_accrued_by(today, rate, multiplier)
        parts = []
        for owed in (accrued - inst.paid_penalty, inst.unpaid_interest, inst.unpaid_principal):
            take = min(left, owed)
            parts.append(take)
            left -= take
        if any(parts):
            allocations.append(Allocation(inst.period, *parts, penalty_accrued=accrued))
    return AllocationPlan(amount, tuple(allocations), left)


def plan_outcome(
    installments: Sequence[InstallmentState], today: dt.date, *, consecutive_missed: int, days_late: int
) -> str | None:
    """"completed" when every installment is paid; "broken" when `consecutive_missed`
    installments in a row are overdue or one is `days_late` days late (DESIGN §2); else None."""
    if all(i.is_settled for i in installments):
        return "completed"
    run = longest = late = 0
    for inst in sorted(installments, key=lambda i: (i.due_date, i.period)):
        if inst.is_overdue(today):
            run += 1
            late = max(late, (today - inst.due_date).days)
        else:
            run = 0
        longest = max(longest, run)
    if longest >= consecutive_missed or late >= days_late:
        return "broken"
    return None
