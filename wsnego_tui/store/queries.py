"""Reads and writes that several use cases share, inside the caller's session.

Rows are turned into core objects here (`InstallmentState`, `LoanSummary`, `PaymentReceipt`), so
the arithmetic stays in core.ledger and nothing above the services sees a row. No textual, no
rich.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from decimal import Decimal

from sqlmodel import Session, func, select

from wsnego_tui.core.ledger import AllocationPlan, InstallmentState, allocate, position
from wsnego_tui.core.lifecycle import OPEN_STATUSES
from wsnego_tui.core.policy import Policy
from wsnego_tui.core.schedule import Rate
from wsnego_tui.core.views import (
    AllocationLine,
    PaymentOptions,
    PaymentPreview,
    InstallmentStatus,
    InstallmentView,
    LoanDetail,
    LoanStatus,
    LoanSummary,
    NegotiationRecord,
    PaymentReceipt,
    PlanView,
)
from wsnego_tui.store.models import Application, Installment, Loan, LoanProduct, Payment, ScheduleVersion

ZERO = Decimal("0.00")


class PaymentRefused(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def active_version(session: Session, loan_id: int, *, for_update: bool = False) -> ScheduleVersion | None:
    query = select(ScheduleVersion).where(
        ScheduleVersion.loan_id == loan_id, ScheduleVersion.status == "active"
    )
    if for_update:
        query = query.with_for_update()
    return session.exec(query).first()


def installments_of(session: Session, version_id: int, *, for_update: bool = False) -> list[Installment]:
    query = select(Installment).where(Installment.schedule_version_id == version_id).order_by(Installment.period)
    if for_update:
        query = query.with_for_update()
    return list(session.exec(query).all())


def state_of(row: Installment) -> InstallmentState:
    return InstallmentState(
        period=row.period,
        due_date=row.due_date,
        interest=row.interest,
        principal=row.principal,
        paid_interest=row.paid_interest,
        paid_principal=row.paid_principal,
        paid_penalty=row.paid_penalty,
        penalty_accrued=row.penalty_accrued,
        penalty_through=row.penalty_through,
    )


def loan_summary(session: Session, loan: Loan, today: dt.date, policy: Policy) -> LoanSummary:
    assert loan.id is not None
    product = session.get(LoanProduct, loan.product_id)
    assert product is not None
    version = active_version(session, loan.id)
    rows = installments_of(session, version.id) if version and version.id else []
    rate = Rate.annual(version.annual_rate if version else loan.annual_rate)
    pos = position([state_of(r) for r in rows], rate, today, policy.penalty_multiplier)
    repaid = session.exec(
        select(func.coalesce(func.sum(Payment.to_principal), 0)).where(Payment.loan_id == loan.id)
    ).one()
    stage = session.exec(
        select(Application.kind, Application.status)
        .where(Application.loan_id == loan.id, Application.status.in_([s.value for s in OPEN_STATUSES]))  # type: ignore[attr-defined]
        .order_by(Application.id.desc())  # type: ignore[union-attr]
    ).first()
    status = LoanStatus(loan.status)
    if status == LoanStatus.CURRENT and pos.overdue_total > 0:
        status = LoanStatus.OVERDUE
    return LoanSummary(
        loan_id=loan.id,
        loan_no=loan.loan_no,
        product_zh=product.name_zh,
        product_en=product.name_en,
        principal=loan.principal,
        repaid_principal=_fen_sum(repaid),
        outstanding_principal=pos.outstanding_principal,
        overdue_principal=pos.overdue_principal,
        overdue_interest=pos.overdue_interest,
        overdue_penalty=pos.overdue_penalty,
        days_past_due=pos.days_past_due,
        next_due_date=pos.next_due_date,
        next_due_amount=pos.next_due_amount,
        status=status,
        negotiations_used=loan.negotiations_used,
        negotiation_stage=f"{stage[0]}:{stage[1]}" if stage else None,
    )


def _fen_sum(value: object) -> Decimal:
    """SUM() over a Fen column comes back as raw integer fen (the type decorator is not applied
    to aggregates)."""
    from wsnego_tui.core.money import from_fen

    if isinstance(value, Decimal):
        return value
    return from_fen(int(value))  # type: ignore[call-overload]


def _receipt(payment: Payment, loan_no: str, *, replayed: bool) -> PaymentReceipt:
    return PaymentReceipt(
        receipt_no=payment.receipt_no,
        loan_no=loan_no,
        amount=payment.amount,
        to_penalty=payment.to_penalty,
        to_interest=payment.to_interest,
        to_principal=payment.to_principal,
        paid_at=payment.paid_at,
        replayed=replayed,
    )


def find_payment(session: Session, idempotency_key: str) -> PaymentReceipt | None:
    found = session.exec(
        select(Payment, Loan.loan_no).join(Loan).where(Payment.idempotency_key == idempotency_key)
    ).first()
    if found is None:
        return None
    payment, loan_no = found
    return _receipt(payment, loan_no, replayed=True)


def receipt_number(idempotency_key: str, when: dt.datetime) -> str:
    digest = hashlib.sha256(idempotency_key.encode()).hexdigest()[:12].upper()
    return f"R{when:%Y%m%d}{digest}"


def check_settlement_payment(version: ScheduleVersion, rows: list[Installment], plan: AllocationPlan, today: dt.date) -> None:
    """A settlement plan (协商一次性还款) takes one payment of the whole sum, on or before its
    pay-by date. A part payment would sit on a plan that is undone, with everything paid on it,
    if the rest is not paid in time; after the pay-by date the settlement has lapsed (the next
    catch-up restores the earlier plan), so its reduced sum is no longer on offer."""
    if version.origin != "settlement":
        return
    if any(r.due_date < today for r in rows if not _fully_paid(r)):
        raise PaymentRefused("settlement_lapsed", "the settlement's pay-by date has passed")
    paid = {a.period: a for a in plan.allocations}
    for r in rows:
        part = paid.get(r.period)
        principal = r.paid_principal + (part.to_principal if part else ZERO)
        interest = r.paid_interest + (part.to_interest if part else ZERO)
        if principal != r.principal or interest != r.interest:
            raise PaymentRefused("settlement_whole", "a settlement is paid in one payment of the whole sum")


def _fully_paid(row: Installment) -> bool:
    return row.paid_principal == row.principal and row.paid_interest == row.interest


def apply_payment(
    session: Session,
    loan_id: int,
    amount: Decimal,
    idempotency_key: str,
    today: dt.date,
    now: dt.datetime,
    policy: Policy,
) -> PaymentReceipt:
    loan = session.exec(select(Loan).where(Loan.id == loan_id).with_for_update()).first()
    if loan is None:
        raise PaymentRefused("no_loan", "no such loan")
    if loan.status in (LoanStatus.CLOSED, LoanStatus.SETTLED):
        raise PaymentRefused("loan_closed", "this loan is already repaid")
    version = active_version(session, loan_id, for_update=True)
    if version is None or version.id is None:
        raise PaymentRefused("no_plan", "this loan has no active repayment plan")
    rows = installments_of(session, version.id, for_update=True)
    rate = Rate.annual(version.annual_rate)
    plan = allocate(amount, [state_of(r) for r in rows], rate, today, policy.penalty_multiplier)
    if plan.unapplied > 0:
        raise PaymentRefused("overpayment", "the amount is more than everything owed on this loan")
    check_settlement_payment(version, rows, plan, today)
    by_period = {r.period: r for r in rows}
    for part in plan.allocations:
        row = by_period[part.period]
        row.penalty_accrued = part.penalty_accrued
        row.penalty_through = max(today, row.due_date)
        row.paid_penalty += part.to_penalty
        row.paid_interest += part.to_interest
        row.paid_principal += part.to_principal
        if _fully_paid(row):
            row.settled_on = today
        session.add(row)
    if all(_fully_paid(r) for r in rows):
        loan.status = LoanStatus.SETTLED if version.origin == "settlement" else LoanStatus.CLOSED
    loan.version += 1
    session.add(loan)
    payment = Payment(
        loan_id=loan_id,
        amount=amount,
        to_penalty=plan.total("penalty"),
        to_interest=plan.total("interest"),
        to_principal=plan.total("principal"),
        unapplied=ZERO,
        paid_at=now,
        idempotency_key=idempotency_key,
        receipt_no=receipt_number(idempotency_key, now),
    )
    session.add(payment)
    session.flush()
    return _receipt(payment, loan.loan_no, replayed=False)


def loan_detail(session: Session, loan: Loan, today: dt.date, policy: Policy) -> LoanDetail:
    """Everything the loan detail screen shows: every plan with its rows marked, the history."""
    assert loan.id is not None
    product = session.get(LoanProduct, loan.product_id)
    assert product is not None
    versions = session.exec(
        select(ScheduleVersion).where(ScheduleVersion.loan_id == loan.id).order_by(ScheduleVersion.seq.desc())  # type: ignore[union-attr]
    ).all()
    versions = sorted(versions, key=lambda v: (v.status != "active", -v.seq))
    plans = []
    payoff = ZERO
    for version in versions:
        assert version.id is not None
        rate = Rate.annual(version.annual_rate)
        rows = installments_of(session, version.id)
        states = [state_of(r) for r in rows]
        active = version.status == "active"
        if active:
            payoff = position(states, rate, today, policy.penalty_multiplier).payoff_amount
        plans.append(
            PlanView(
                seq=version.seq,
                origin=version.origin,
                status=version.status,
                principal=version.principal,
                annual_rate_pct=version.annual_rate,
                method=version.method,
                months=version.months,
                grace_months=version.grace_months,
                grace_kind=version.grace_kind,
                start_date=version.start_date,
                closed_at=version.closed_at,
                installments=tuple(_installment_views(rows, states, rate, today, policy, active)),
            )
        )
    history = session.exec(
        select(Application).where(Application.loan_id == loan.id, Application.status != "draft").order_by(Application.id)  # type: ignore[arg-type]
    ).all()
    return LoanDetail(
        summary=loan_summary(session, loan, today, policy),
        annual_rate_pct=loan.annual_rate,
        rate_basis=product.rate_basis,
        quoted_rate_pct=product.quoted_rate,
        term_months=loan.term_months,
        start_date=loan.start_date,
        payoff_amount=payoff,
        plans=tuple(plans),
        history=tuple(
            NegotiationRecord(
                application_id=a.id,  # type: ignore[arg-type]
                kind=a.kind,
                status=a.status,
                created_at=a.created_at,
                submitted_at=a.submitted_at,
                decided_at=a.decided_at,
            )
            for a in history
        ),
    )


def _installment_views(rows, states, rate, today, policy, active):  # type: ignore[no-untyped-def]
    multiplier = policy.penalty_multiplier
    next_seen = False
    for row, st in zip(rows, states, strict=True):
        penalty = st.penalty_due(today, rate, multiplier) if active else ZERO
        if st.is_settled:
            status = InstallmentStatus.PAID
        elif not active:
            status = InstallmentStatus.REPLACED
        elif st.is_overdue(today):
            status = InstallmentStatus.OVERDUE
        elif not next_seen:
            status = InstallmentStatus.DUE
            next_seen = True
        elif st.paid_principal or st.paid_interest:
            status = InstallmentStatus.PARTIAL
        else:
            status = InstallmentStatus.UPCOMING
        paid = row.paid_principal + row.paid_interest + row.paid_penalty
        yield InstallmentView(
            period=row.period,
            due_date=row.due_date,
            payment=row.payment,
            interest=row.interest,
            principal=row.principal,
            balance=row.balance,
            capitalised=row.capitalised,
            paid=paid,
            penalty_due=penalty,
            amount_due=(st.unpaid_principal + st.unpaid_interest + penalty) if active else ZERO,
            status=status,
        )


def payment_options(session: Session, loan: Loan, today: dt.date, policy: Policy) -> PaymentOptions:
    assert loan.id is not None
    version = active_version(session, loan.id)
    rows = installments_of(session, version.id) if version and version.id else []
    rate = Rate.annual(version.annual_rate if version else loan.annual_rate)
    states = [state_of(r) for r in rows]
    pos = position(states, rate, today, policy.penalty_multiplier)
    settlement = version is not None and version.origin == "settlement" and pos.payoff_amount > 0
    upcoming = [st for st in states if st.due_date >= today and not st.is_settled]
    nxt = (pos.overdue_total + upcoming[0].amount_due(today, rate, policy.penalty_multiplier)) if upcoming else (
        pos.overdue_total or None
    )
    return PaymentOptions(
        loan_id=loan.id,
        loan_no=loan.loan_no,
        next_installment=nxt,
        next_due_date=upcoming[0].due_date if upcoming else None,
        overdue_total=pos.overdue_total,
        payoff_amount=pos.payoff_amount,
        settlement_amount=pos.payoff_amount if settlement else None,
        settlement_pay_by=rows[0].due_date if settlement and rows else None,
        on_negotiated_plan=version is not None and version.origin in ("first", "second"),
    )


def payment_preview(session: Session, loan: Loan, amount: Decimal, today: dt.date, policy: Policy) -> PaymentPreview:
    assert loan.id is not None
    if amount <= 0:
        raise PaymentRefused("not_positive", "the amount must be more than zero")
    version = active_version(session, loan.id)
    if version is None or version.id is None:
        raise PaymentRefused("no_plan", "this loan has no active repayment plan")
    rows = installments_of(session, version.id)
    plan = allocate(amount, [state_of(r) for r in rows], Rate.annual(version.annual_rate), today, policy.penalty_multiplier)
    if plan.unapplied > 0:
        raise PaymentRefused("overpayment", "the amount is more than everything owed on this loan")
    check_settlement_payment(version, rows, plan, today)
    due = {r.period: r.due_date for r in rows}
    return PaymentPreview(
        amount=amount,
        lines=tuple(AllocationLine(a.period, due[a.period], a.to_penalty, a.to_interest, a.to_principal) for a in plan.allocations),
        to_penalty=plan.total("penalty"),
        to_interest=plan.total("interest"),
        to_principal=plan.total("principal"),
    )
