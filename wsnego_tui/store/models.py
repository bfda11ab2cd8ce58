"""The database tables (SQLModel).

Money columns are `Fen` (integer fen, exact); instants are `UtcDateTime`; every table that two
people can change at once carries a `version` that guarded updates compare and bump; payments
and submissions carry an idempotency key. States are checked by CHECK constraints, so even a
hand-written UPDATE cannot store a status the app does not know.

Rows never leave the store/services layer: screens get plain objects from core.views.
No textual, no rich.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import CheckConstraint, Column, Date, ForeignKey, Index, String, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from wsnego_tui.core.lifecycle import ApplicationKind, ApplicationStatus
from wsnego_tui.core.schedule import GraceKind, Method
from wsnego_tui.core.views import LoanStatus
from wsnego_tui.store.types import Fen, Percent, UtcDateTime


def _in(column: str, values: object) -> str:
    quoted = ", ".join(f"'{v}'" for v in values)  # type: ignore[attr-defined]
    return f"{column} IN ({quoted})"


def money(name: str, *, nullable: bool = False, default: Decimal | None = None) -> object:
    """A money field: integer fen in the database, never negative."""
    return Field(
        default=default,
        sa_column=Column(name, Fen(), nullable=nullable),
    )


def instant(name: str, *, nullable: bool = False) -> object:
    return Field(default=None, sa_column=Column(name, UtcDateTime(), nullable=nullable))


def non_negative(*columns: str) -> list[CheckConstraint]:
    return [CheckConstraint(f"{c} >= 0", name=f"{c}_not_negative") for c in columns]


METHODS = [m.value for m in Method]
GRACE_KINDS = [g.value for g in GraceKind]
KINDS = [k.value for k in ApplicationKind]
APP_STATUSES = [s.value for s in ApplicationStatus]
LOAN_STATUSES = [s.value for s in LoanStatus]


class Customer(SQLModel, table=True):
    __tablename__ = "customer"
    __table_args__ = (
        CheckConstraint("failed_logins >= 0", name="failed_logins_not_negative"),
        CheckConstraint("length(customer_no) = 8", name="customer_no_length"),
    )

    id: int | None = Field(default=None, primary_key=True)
    customer_no: str = Field(sa_column=Column(String(8), nullable=False, unique=True))
    name: str = Field(sa_column=Column(String(64), nullable=False))
    pin_hash: str = Field(sa_column=Column(String(200), nullable=False))
    failed_logins: int = Field(default=0, nullable=False)
    locked_until: dt.datetime | None = instant("locked_until", nullable=True)
    is_demo: bool = Field(default=False, nullable=False)
    created_at: dt.datetime = instant("created_at")
    version: int = Field(default=1, nullable=False)


class Officer(SQLModel, table=True):
    __tablename__ = "officer"
    __table_args__ = (CheckConstraint(_in("role", ["officer", "senior"]), name="officer_role"),)

    id: int | None = Field(default=None, primary_key=True)
    officer_no: str = Field(sa_column=Column(String(16), nullable=False, unique=True))
    name: str = Field(sa_column=Column(String(64), nullable=False))
    role: str = Field(sa_column=Column(String(16), nullable=False))
    pin_hash: str = Field(sa_column=Column(String(200), nullable=False))
    failed_logins: int = Field(default=0, nullable=False)
    locked_until: dt.datetime | None = instant("locked_until", nullable=True)
    is_demo: bool = Field(default=False, nullable=False)


class LoanProduct(SQLModel, table=True):
    __tablename__ = "loan_product"
    __table_args__ = (
        CheckConstraint(_in("method", METHODS), name="product_method"),
        CheckConstraint(_in("rate_basis", ["annual", "daily"]), name="product_rate_basis"),
        CheckConstraint("quoted_rate >= 0", name="product_rate_not_negative"),
    )

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(sa_column=Column(String(32), nullable=False, unique=True))
    name_zh: str = Field(sa_column=Column(String(64), nullable=False))
    name_en: str = Field(sa_column=Column(String(64), nullable=False))
    method: str = Field(sa_column=Column(String(24), nullable=False))
    rate_basis: str = Field(sa_column=Column(String(8), nullable=False))
    quoted_rate: Decimal = Field(sa_column=Column("quoted_rate", Percent(), nullable=False))


class Loan(SQLModel, table=True):
    __tablename__ = "loan"
    __table_args__ = (
        CheckConstraint(_in("status", LOAN_STATUSES), name="loan_status"),
        CheckConstraint("principal > 0", name="loan_principal_positive"),
        CheckConstraint("term_months > 0", name="loan_term_positive"),
        CheckConstraint("negotiations_used >= 0", name="negotiations_used_not_negative"),
    )

    id: int | None = Field(default=None, primary_key=True)
    loan_no: str = Field(sa_column=Column(String(24), nullable=False, unique=True))
    customer_id: int = Field(sa_column=Column(ForeignKey("customer.id"), nullable=False, index=True))
    product_id: int = Field(sa_column=Column(ForeignKey("loan_product.id"), nullable=False))
    principal: Decimal = money("principal")
    annual_rate: Decimal = Field(sa_column=Column("annual_rate", Percent(), nullable=False))
    term_months: int = Field(nullable=False)
    start_date: dt.date = Field(sa_column=Column(Date, nullable=False))
    status: str = Field(sa_column=Column(String(16), nullable=False))
    negotiations_used: int = Field(default=0, nullable=False)
    version: int = Field(default=1, nullable=False)


class ScheduleVersion(SQLModel, table=True):
    """One repayment plan of a loan: the original, or one that a negotiation put in its place.
    Exactly one version of a loan is active; the others are kept, closed, as history."""

    __tablename__ = "schedule_version"
    __table_args__ = (
        UniqueConstraint("loan_id", "seq", name="schedule_version_seq"),
        CheckConstraint(_in("origin", ["original", *KINDS]), name="schedule_origin"),
        CheckConstraint(_in("method", METHODS), name="schedule_method"),
        CheckConstraint(_in("status", ["active", "closed"]), name="schedule_status"),
        CheckConstraint("grace_kind IS NULL OR " + _in("grace_kind", GRACE_KINDS), name="schedule_grace_kind"),
        CheckConstraint("months > 0 AND grace_months >= 0 AND grace_months < months", name="schedule_term"),
        *non_negative("principal"),
    )

    id: int | None = Field(default=None, primary_key=True)
    loan_id: int = Field(sa_column=Column(ForeignKey("loan.id"), nullable=False, index=True))
    seq: int = Field(nullable=False)
    origin: str = Field(sa_column=Column(String(16), nullable=False))
    application_id: int | None = Field(
        default=None, sa_column=Column(ForeignKey("application.id"), nullable=True)
    )
    principal: Decimal = money("principal")
    annual_rate: Decimal = Field(sa_column=Column("annual_rate", Percent(), nullable=False))
    method: str = Field(sa_column=Column(String(24), nullable=False))
    months: int = Field(nullable=False)
    grace_months: int = Field(default=0, nullable=False)
    grace_kind: str | None = Field(default=None, sa_column=Column(String(16), nullable=True))
    start_date: dt.date = Field(sa_column=Column(Date, nullable=False))
    status: str = Field(sa_column=Column(String(8), nullable=False))
    started_at: dt.datetime = instant("started_at")
    closed_at: dt.datetime | None = instant("closed_at", nullable=True)


class Installment(SQLModel, table=True):
    """One row of a plan, with what has been paid against it. Penalty interest (罚息) accrues on
    the unpaid principal from the day after the due date; `penalty_accrued` holds what accrued up
    to `penalty_through`, the rest is computed on the fly."""

    __tablename__ = "installment"
    __table_args__ = (
        UniqueConstraint("schedule_version_id", "period", name="installment_period"),
        CheckConstraint("payment = interest + principal", name="installment_sum"),
        CheckConstraint("paid_principal <= principal AND paid_interest <= interest", name="installment_overpaid"),
        *non_negative(
            "payment", "interest", "principal", "capitalised", "balance",
            "paid_principal", "paid_interest", "paid_penalty", "penalty_accrued",
        ),
        CheckConstraint("paid_penalty <= penalty_accrued", name="installment_penalty_overpaid"),
    )

    id: int | None = Field(default=None, primary_key=True)
    schedule_version_id: int = Field(
        sa_column=Column(ForeignKey("schedule_version.id"), nullable=False, index=True)
    )
    period: int = Field(nullable=False)
    due_date: dt.date = Field(sa_column=Column(Date, nullable=False))
    payment: Decimal = money("payment")
    interest: Decimal = money("interest")
    principal: Decimal = money("principal")
    capitalised: Decimal = money("capitalised", default=Decimal(0))
    balance: Decimal = money("balance")
    paid_principal: Decimal = money("paid_principal", default=Decimal(0))
    paid_interest: Decimal = money("paid_interest", default=Decimal(0))
    paid_penalty: Decimal = money("paid_penalty", default=Decimal(0))
    penalty_accrued: Decimal = money("penalty_accrued", default=Decimal(0))
    penalty_through: dt.date | None = Field(default=None, sa_column=Column(Date, nullable=True))
    settled_on: dt.date | None = Field(default=None, sa_column=Column(Date, nullable=True))


class Application(SQLModel, table=True):
    """A negotiation application (协商申请), from draft to its outcome."""

    __tablename__ = "application"
    __table_args__ = (
        CheckConstraint(_in("kind", KINDS), name="application_kind"),
        CheckConstraint(_in("status", APP_STATUSES), name="application_status"),
        CheckConstraint("grace_kind IS NULL OR " + _in("grace_kind", GRACE_KINDS), name="application_grace_kind"),
        CheckConstraint("length(hardship_text) <= 500", name="hardship_text_length"),
        *non_negative("monthly_income", "essential_expenses", "other_debt", "wish_monthly", "lump_sum"),
        Index("application_queue", "status", "deadline_at"),
        Index("application_queue_kind", "status", "kind", "deadline_at", "submitted_at"),
        Index("application_queue_age", "status", "submitted_at", "kind", "deadline_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    loan_id: int = Field(sa_column=Column(ForeignKey("loan.id"), nullable=False, index=True))
    customer_id: int = Field(sa_column=Column(ForeignKey("customer.id"), nullable=False, index=True))
    kind: str = Field(sa_column=Column(String(16), nullable=False))
    status: str = Field(sa_column=Column(String(24), nullable=False))
    hardship_category: str | None = Field(default=None, sa_column=Column(String(32), nullable=True))
    hardship_text: str = Field(default="", sa_column=Column(Text, nullable=False))
    monthly_income: Decimal | None = money("monthly_income", nullable=True)
    essential_expenses: Decimal | None = money("essential_expenses", nullable=True)
    other_debt: Decimal | None = money("other_debt", nullable=True)
    wish_monthly: Decimal | None = money("wish_monthly", nullable=True)
    wish_months: int | None = Field(default=None, nullable=True)
    grace_months: int = Field(default=0, nullable=False)
    grace_kind: str | None = Field(default=None, sa_column=Column(String(16), nullable=True))
    lump_sum: Decimal | None = money("lump_sum", nullable=True)
    lump_date: dt.date | None = Field(default=None, sa_column=Column(Date, nullable=True))
    idempotency_key: str | None = Field(default=None, sa_column=Column(String(64), nullable=True, unique=True))
    created_at: dt.datetime = instant("created_at")
    updated_at: dt.datetime = instant("updated_at")
    submitted_at: dt.datetime | None = instant("submitted_at", nullable=True)
    deadline_at: dt.datetime | None = instant("deadline_at", nullable=True)
    decided_at: dt.datetime | None = instant("decided_at", nullable=True)
    version: int = Field(default=1, nullable=False)


class Proof(SQLModel, table=True):
    __tablename__ = "proof"
    __table_args__ = (
        CheckConstraint(_in("kind", ["income", "expense", "hardship", "funds"]), name="proof_kind"),
        CheckConstraint(_in("media_type", ["application/pdf", "image/png", "image/jpeg"]), name="proof_media_type"),
        CheckConstraint("size_bytes > 0", name="proof_size_positive"),
        UniqueConstraint("application_id", "sha256", name="proof_once_per_application"),
    )

    id: int | None = Field(default=None, primary_key=True)
    application_id: int = Field(sa_column=Column(ForeignKey("application.id"), nullable=False, index=True))
    kind: str = Field(sa_column=Column(String(16), nullable=False))
    original_name: str = Field(sa_column=Column(String(255), nullable=False))
    sha256: str = Field(sa_column=Column(String(64), nullable=False))
    size_bytes: int = Field(nullable=False)
    media_type: str = Field(sa_column=Column(String(32), nullable=False))
    added_at: dt.datetime = instant("added_at")


class Offer(SQLModel, table=True):
    """A plan the bank proposes (协商方案): the engine's or an officer's."""

    __tablename__ = "offer"
    __table_args__ = (
        CheckConstraint(_in("kind", KINDS), name="offer_kind"),
        CheckConstraint(_in("method", METHODS), name="offer_method"),
        CheckConstraint(
            _in("status", ["proposed", "issued", "accepted", "declined", "expired", "withdrawn"]),
            name="offer_status",
        ),
        CheckConstraint("grace_kind IS NULL OR " + _in("grace_kind", GRACE_KINDS), name="offer_grace_kind"),
        CheckConstraint("months > 0 AND grace_months >= 0 AND grace_months < months", name="offer_term"),
        *non_negative(
            "principal", "capitalised_arrears", "waived_penalty", "waived_interest",
            "down_payment", "installment", "total_payment", "total_interest",
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    application_id: int = Field(sa_column=Column(ForeignKey("application.id"), nullable=False, index=True))
    kind: str = Field(sa_column=Column(String(16), nullable=False))
    status: str = Field(sa_column=Column(String(16), nullable=False))
    label: str = Field(default="officer", sa_column=Column(String(24), nullable=False, server_default="officer"))
    """Which plan this is: shortest_affordable, lowest_installment, grace_then_amortise, ..."""
    principal: Decimal = money("principal")
    capitalised_arrears: Decimal = money("capitalised_arrears", default=Decimal(0))
    waived_penalty: Decimal = money("waived_penalty", default=Decimal(0))
    waived_interest: Decimal = money("waived_interest", default=Decimal(0))
    down_payment: Decimal = money("down_payment", default=Decimal(0))
    annual_rate: Decimal = Field(sa_column=Column("annual_rate", Percent(), nullable=False))
    method: str = Field(sa_column=Column(String(24), nullable=False))
    months: int = Field(nullable=False)
    grace_months: int = Field(default=0, nullable=False)
    grace_kind: str | None = Field(default=None, sa_column=Column(String(16), nullable=True))
    start_date: dt.date = Field(sa_column=Column(Date, nullable=False))
    installment: Decimal = money("installment")
    total_payment: Decimal = money("total_payment")
    total_interest: Decimal = money("total_interest")
    apr_nominal: Decimal = Field(sa_column=Column("apr_nominal", Percent(), nullable=False))
    apr_effective: Decimal = Field(sa_column=Column("apr_effective", Percent(), nullable=False))
    created_by: str = Field(sa_column=Column(String(32), nullable=False))
    approved_by: str | None = Field(default=None, sa_column=Column(String(32), nullable=True))
    created_at: dt.datetime = instant("created_at")
    expires_at: dt.datetime | None = instant("expires_at", nullable=True)
    loan_version: int | None = Field(default=None, nullable=True)
    """The loan's `version` when the offer was worked out (None: offers older than this column).
    A payment or a broken plan changes it, and an offer from before cannot be accepted."""
    version: int = Field(default=1, nullable=False)


class StatusEvent(SQLModel, table=True):
    """One step on an application's timeline (审核进度)."""

    __tablename__ = "status_event"
    __table_args__ = (CheckConstraint(_in("status", APP_STATUSES), name="event_status"),)

    id: int | None = Field(default=None, primary_key=True)
    application_id: int = Field(sa_column=Column(ForeignKey("application.id"), nullable=False, index=True))
    status: str = Field(sa_column=Column(String(24), nullable=False))
    at: dt.datetime = instant("at")
    actor: str = Field(sa_column=Column(String(32), nullable=False))
    note: str = Field(default="", sa_column=Column(Text, nullable=False))
    deadline_at: dt.datetime | None = instant("deadline_at", nullable=True)
    reason: str | None = Field(default=None, sa_column=Column(String(64), nullable=True))
    """A stable code for why (a rule id, a missing proof kind), phrased by the UI."""
    detail: str = Field(default="{}", sa_column=Column(Text, nullable=False, server_default="{}"))
    """JSON parameters for the reason (amounts as strings), e.g. {"missing": ["income"]}."""


class Notification(SQLModel, table=True):
    """A message from the bank in the borrower's inbox (消息). The text is not stored: the UI
    phrases it in the reader's language from `kind` and the JSON `params`."""

    __tablename__ = "notification"
    __table_args__ = (
        CheckConstraint(
            _in("kind", [
                "materials_requested", "offer_ready", "rejected", "expired", "needs_officer",
                "plan_active", "installment_due", "plan_broken", "settled",
            ]),
            name="notification_kind",
        ),
        Index("notification_inbox", "customer_id", "created_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = Field(sa_column=Column(ForeignKey("customer.id"), nullable=False))
    kind: str = Field(sa_column=Column(String(32), nullable=False))
    loan_id: int | None = Field(default=None, sa_column=Column(ForeignKey("loan.id"), nullable=True))
    application_id: int | None = Field(
        default=None, sa_column=Column(ForeignKey("application.id"), nullable=True)
    )
    params: str = Field(default="{}", sa_column=Column(Text, nullable=False))
    created_at: dt.datetime = instant("created_at")
    read_at: dt.datetime | None = instant("read_at", nullable=True)
    dedupe_key: str | None = Field(default=None, sa_column=Column(String(96), nullable=True, unique=True))
    """Set for reminders that must be sent once (e.g. one 'due soon' per installment)."""


class Payment(SQLModel, table=True):
    __tablename__ = "payment"
    __table_args__ = (
        CheckConstraint("amount > 0", name="payment_positive"),
        CheckConstraint(
            "amount = to_penalty + to_interest + to_principal + unapplied", name="payment_allocated"
        ),
        *non_negative("to_penalty", "to_interest", "to_principal", "unapplied"),
    )

    id: int | None = Field(default=None, primary_key=True)
    loan_id: int = Field(sa_column=Column(ForeignKey("loan.id"), nullable=False, index=True))
    amount: Decimal = money("amount")
    to_penalty: Decimal = money("to_penalty")
    to_interest: Decimal = money("to_interest")
    to_principal: Decimal = money("to_principal")
    unapplied: Decimal = money("unapplied", default=Decimal(0))
    paid_at: dt.datetime = instant("paid_at")
    idempotency_key: str = Field(sa_column=Column(String(64), nullable=False, unique=True))
    receipt_no: str = Field(sa_column=Column(String(32), nullable=False, unique=True))


class AuditEntry(SQLModel, table=True):
    """Append-only: database triggers refuse UPDATE and DELETE. Each entry carries the hash of
    the one before it, so a removed or altered entry breaks the chain."""

    __tablename__ = "audit_log"

    id: int | None = Field(default=None, primary_key=True)
    at: dt.datetime = instant("at")
    actor: str = Field(sa_column=Column(String(32), nullable=False))
    action: str = Field(sa_column=Column(String(48), nullable=False))
    subject: str = Field(sa_column=Column(String(64), nullable=False))
    detail: str = Field(default="{}", sa_column=Column(Text, nullable=False))
    prev_hash: str = Field(sa_column=Column(String(64), nullable=False, unique=True))
    hash: str = Field(sa_column=Column(String(64), nullable=False, unique=True))


class OfficerDecision(SQLModel, table=True):
    """An officer's decision on an application (issue offers, request materials, reject), with
    the officer's note. One beyond a single officer's authority is stored `pending` until a
    second officer approves it (then it takes effect, `effective`) or sends it back
    (`returned`); the officer who proposed it may take it back (`withdrawn`). `params` holds the
    decision as JSON (the offer settings, the proofs asked for, the rejection reason)."""

    __tablename__ = "officer_decision"
    __table_args__ = (
        CheckConstraint(_in("action", ["issue_offers", "request_materials", "reject"]), name="decision_action"),
        CheckConstraint(_in("status", ["pending", "effective", "returned", "withdrawn"]), name="decision_status"),
        CheckConstraint("reviewed_by IS NULL OR reviewed_by <> made_by", name="decision_four_eyes"),
        Index("officer_decision_status", "status", "application_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    application_id: int = Field(sa_column=Column(ForeignKey("application.id"), nullable=False, index=True))
    action: str = Field(sa_column=Column(String(24), nullable=False))
    status: str = Field(sa_column=Column(String(16), nullable=False))
    made_by: str = Field(sa_column=Column(String(16), nullable=False))
    """The officer number of the officer who decided or proposed."""
    made_at: dt.datetime = instant("made_at")
    note: str = Field(sa_column=Column(Text, nullable=False))
    params: str = Field(default="{}", sa_column=Column(Text, nullable=False))
    approval_reasons: str = Field(default="[]", sa_column=Column(Text, nullable=False))
    """JSON list of the rule ids that made it need a second officer (empty: it did not)."""
    application_version: int = Field(nullable=False)
    """The application's version the officer decided on."""
    reviewed_by: str | None = Field(default=None, sa_column=Column(String(16), nullable=True))
    reviewed_at: dt.datetime | None = instant("reviewed_at", nullable=True)
    review_note: str = Field(default="", sa_column=Column(Text, nullable=False))
    version: int = Field(default=1, nullable=False)
