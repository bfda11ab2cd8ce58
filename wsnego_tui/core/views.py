"""Plain, immutable objects that the services hand to the screens.

Screens never see ORM rows: everything they show arrives as one of these. Pure: no UI, no SQL.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from wsnego_tui.core.application_form import FormFields


class LoanStatus(StrEnum):
    CURRENT = "current"  # 正常: nothing overdue
    OVERDUE = "overdue"  # 逾期
    NEGOTIATED = "negotiated"  # 协商中还款: repaying on a negotiated plan
    BROKEN = "broken"  # 协商计划已违约
    SETTLED = "settled"  # 结清 by a negotiated settlement
    CLOSED = "closed"  # 已还清 on schedule


class LoginOutcome(StrEnum):
    OK = "ok"
    REJECTED = "rejected"  # wrong number or PIN: never says which
    LOCKED = "locked"


@dataclass(frozen=True)
class CustomerView:
    id: int
    customer_no: str
    name: str


@dataclass(frozen=True)
class LoginResult:
    outcome: LoginOutcome
    customer: CustomerView | None = None
    locked_until: dt.datetime | None = None


@dataclass(frozen=True)
class LoanSummary:
    """One row of My Loans (我的贷款): what is owed, what is overdue, what comes next."""

    loan_id: int
    loan_no: str
    product_zh: str
    product_en: str
    principal: Decimal
    repaid_principal: Decimal
    outstanding_principal: Decimal
    overdue_principal: Decimal
    overdue_interest: Decimal
    overdue_penalty: Decimal
    days_past_due: int
    next_due_date: dt.date | None
    next_due_amount: Decimal | None
    status: LoanStatus
    negotiations_used: int
    negotiation_stage: str | None = None

    @property
    def overdue_total(self) -> Decimal:
        return self.overdue_principal + self.overdue_interest + self.overdue_penalty


@dataclass(frozen=True)
class DatabaseState:
    """What the app found when it opened the database."""

    customers: int
    demo_only: bool

    @property
    def empty(self) -> bool:
        return self.customers == 0


@dataclass(frozen=True)
class PaymentReceipt:
    """A receipt (还款凭证): what was paid and where each yuan went."""

    receipt_no: str
    loan_no: str
    amount: Decimal
    to_penalty: Decimal
    to_interest: Decimal
    to_principal: Decimal
    paid_at: dt.datetime
    replayed: bool = False
    """True when the same payment was submitted again and the first receipt is returned."""


class InstallmentStatus(StrEnum):
    PAID = "paid"  # 已还
    PARTIAL = "partial"  # 部分还款 (due date not yet passed)
    OVERDUE = "overdue"  # 逾期
    DUE = "due"  # 本期 (the next one to pay)
    UPCOMING = "upcoming"  # 未到期
    REPLACED = "replaced"  # 已由协商计划承接: unpaid when a negotiated plan took the plan's place


@dataclass(frozen=True)
class InstallmentView:
    period: int
    due_date: dt.date
    payment: Decimal
    interest: Decimal
    principal: Decimal
    balance: Decimal
    capitalised: Decimal
    paid: Decimal
    penalty_due: Decimal
    amount_due: Decimal
    status: InstallmentStatus


@dataclass(frozen=True)
class PlanView:
    """One repayment plan of a loan (原计划 or a negotiated one)."""

    seq: int
    origin: str  # "original" | "first" | "second" | "settlement"
    status: str  # "active" | "closed"
    principal: Decimal
    annual_rate_pct: Decimal
    method: str
    months: int
    grace_months: int
    grace_kind: str | None
    start_date: dt.date
    closed_at: dt.datetime | None
    installments: tuple[InstallmentView, ...]


@dataclass(frozen=True)
class NegotiationRecord:
    """One application in a loan's negotiation history."""

    application_id: int
    kind: str
    status: str
    created_at: dt.datetime
    submitted_at: dt.datetime | None
    decided_at: dt.datetime | None


@dataclass(frozen=True)
class LoanDetail:
    summary: LoanSummary
    annual_rate_pct: Decimal
    rate_basis: str  # "annual" | "daily": how the product quotes its rate
    quoted_rate_pct: Decimal
    term_months: int
    start_date: dt.date
    payoff_amount: Decimal
    plans: tuple[PlanView, ...]  # the active plan first, then earlier ones, newest first
    history: tuple[NegotiationRecord, ...]

    @property
    def active_plan(self) -> PlanView | None:
        return next((p for p in self.plans if p.status == "active"), None)


@dataclass(frozen=True)
class ProofView:
    id: int
    kind: str
    original_name: str
    sha256: str
    size_bytes: int
    media_type: str
    added_at: dt.datetime


@dataclass(frozen=True)
class TimelineEvent:
    status: str
    at: dt.datetime
    actor: str
    note: str
    deadline_at: dt.datetime | None
    reason: str | None = None
    detail: dict[str, object] = field(default_factory=dict, hash=False)


@dataclass(frozen=True)
class ApplicationView:
    """A negotiation application as its owner sees it: the form, the proofs, where it stands."""

    id: int
    loan_id: int
    loan_no: str
    kind: str
    status: str
    form: "FormFields"
    proofs: tuple[ProofView, ...]
    events: tuple[TimelineEvent, ...]
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime
    submitted_at: dt.datetime | None
    deadline_at: dt.datetime | None
    missing_proofs: tuple[str, ...]


@dataclass(frozen=True)
class OfferView:
    """One offer (协商方案) with the schedule it would put in place."""

    id: int
    kind: str
    label: str
    status: str
    principal: Decimal
    installment: Decimal
    months: int
    grace_months: int
    grace_kind: str | None
    start_date: dt.date
    end_date: dt.date
    total_payment: Decimal
    total_interest: Decimal
    waived_penalty: Decimal
    waived_interest: Decimal
    down_payment: Decimal
    capitalised_arrears: Decimal
    annual_rate_pct: Decimal
    apr_nominal_pct: Decimal
    apr_effective_pct: Decimal
    expires_at: dt.datetime | None
    rows: tuple["ScheduleRowView", ...]


@dataclass(frozen=True)
class ScheduleRowView:
    period: int
    due_date: dt.date
    payment: Decimal
    interest: Decimal
    principal: Decimal
    balance: Decimal


@dataclass(frozen=True)
class CurrentPlanView:
    """The plan an offer would replace, from today on: what is still to pay on it."""

    installment: Decimal | None
    remaining_months: int
    end_date: dt.date | None
    total_payment: Decimal
    total_interest: Decimal
    overdue_total: Decimal
    rows: tuple[ScheduleRowView, ...]


@dataclass(frozen=True)
class NotificationView:
    id: int
    kind: str
    loan_id: int | None
    application_id: int | None
    params: dict[str, object]
    created_at: dt.datetime
    read: bool


@dataclass(frozen=True)
class AllocationLine:
    period: int
    due_date: dt.date
    to_penalty: Decimal
    to_interest: Decimal
    to_principal: Decimal


@dataclass(frozen=True)
class PaymentOptions:
    """What the repay screen offers (按新计划还款): the amounts a borrower would typically pay."""

    loan_id: int
    loan_no: str
    next_installment: Decimal | None  # everything overdue plus the next installment due
    next_due_date: dt.date | None
    overdue_total: Decimal
    payoff_amount: Decimal  # everything still owed on the plan in force
    settlement_amount: Decimal | None  # set when an accepted settlement awaits payment
    settlement_pay_by: dt.date | None
    on_negotiated_plan: bool


@dataclass(frozen=True)
class PaymentPreview:
    """Where a payment would go before it is made: oldest first, penalty → interest → principal."""

    amount: Decimal
    lines: tuple[AllocationLine, ...]
    to_penalty: Decimal
    to_interest: Decimal
    to_principal: Decimal
