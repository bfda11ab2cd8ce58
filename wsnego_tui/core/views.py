"""Plain, immutable objects that the services hand to the screens.

Screens never see ORM rows: everything they show arrives as one of these. Pure: no UI, no SQL.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum


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
