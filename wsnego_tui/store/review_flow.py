"""The review as it happens in the database: building the engine's inputs from rows, taking
automatic decisions when they are due, moving applications past their deadlines, issuing and
accepting offers, and noticing when a negotiated plan is completed or broken.

Automatic work is done by whichever process next reads an affected application, inside one
write transaction that re-reads the row under the write lock (BEGIN IMMEDIATE on SQLite, FOR
UPDATE on PostgreSQL) and re-checks that the work is still due: it happens exactly once even
when several sessions look at the same moment. The clock is always passed in.

No textual, no rich.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

from sqlmodel import Session, or_, select

from wsnego_tui.core.clock import CHINA_TZ
from wsnego_tui.core.eligibility import FirstPlanFacts, LoanFacts, PlanStatus
from wsnego_tui.core.ledger import plan_outcome, position
from wsnego_tui.core.lifecycle import OPEN_STATUSES, ApplicationKind, ApplicationStatus
from wsnego_tui.core.policy import Policy
from wsnego_tui.core.proofs import ProofKind
from wsnego_tui.core.review import ApplicationFacts, Decision, OfferProposal, Outcome, review
from wsnego_tui.core.schedule import GraceKind, Method, Rate, build_schedule
from wsnego_tui.core.views import LoanStatus
from wsnego_tui.store import audit
from wsnego_tui.store.applications import ApplicationRefused, proofs_of, record_status
from wsnego_tui.store.engine import serialize_on
from wsnego_tui.store.models import Application, Installment, Loan, Notification, Offer, ScheduleVersion
from wsnego_tui.store.queries import active_version, installments_of, state_of

S = ApplicationStatus
ZERO = Decimal("0.00")
DEADLINE_STATUSES = (S.SUBMITTED, S.UNDER_REVIEW, S.MATERIALS_REQUESTED, S.OFFER_ISSUED, S.ACCEPTED)


def end_of_day(day: dt.date) -> dt.datetime:
    """The last moment of `day` in Beijing: deadlines given as days run to the day's end."""
    return dt.datetime.combine(day, dt.time(23, 59, 59), tzinfo=CHINA_TZ)


def _json(params: dict[str, object]) -> str:
    return json.dumps(params, ensure_ascii=False, sort_keys=True, default=str)


def notify(
    session: Session, customer_id: int, kind: str, now: dt.datetime, *, loan_id: int | None = None,
    application_id: int | None = None, dedupe_key: str | None = None, **params: object,
) -> None:
    if dedupe_key is not None:
        serialize_on(session, f"notification:{dedupe_key}")
        if session.exec(select(Notification.id).where(Notification.dedupe_key == dedupe_key)).first():
            return
    session.add(
        Notification(
            customer_id=customer_id, kind=kind, loan_id=loan_id, application_id=application_id,
            params=_json(params), created_at=now, dedupe_key=dedupe_key,
        )
    )


# -- the engine's inputs --------------------------------------------------------------------------


def loan_facts(
    session: Session, loan: Loan, today: dt.date, policy: Policy, *, excluding: int | None = None
) -> LoanFacts:
    assert loan.id is not None
    version = active_version(session, loan.id)
    rows = installments_of(session, version.id) if version and version.id else []
    rate = Rate.annual(version.annual_rate if version else loan.annual_rate)
    pos = position([state_of(r) for r in rows], rate, today, policy.penalty_multiplier)
    first_plan = None
    if loan.negotiations_used:
        first = session.exec(
            select(ScheduleVersion)
            .where(ScheduleVersion.loan_id == loan.id, ScheduleVersion.origin == ApplicationKind.FIRST)
            .order_by(ScheduleVersion.seq)
        ).first()
        if first is not None and first.id is not None:
            first_rows = installments_of(session, first.id)
            if first.status == "active":
                status = PlanStatus.BROKEN if loan.status == LoanStatus.BROKEN else PlanStatus.ACTIVE
            else:
                status = PlanStatus.COMPLETED if all(state_of(r).is_settled for r in first_rows) else PlanStatus.BROKEN
            first_plan = FirstPlanFacts(
                status=status, start_date=first.start_date, end_date=max(r.due_date for r in first_rows)
            )
    open_query = select(Application.id).where(
        Application.loan_id == loan.id, Application.status.in_([s.value for s in OPEN_STATUSES])  # type: ignore[attr-defined]
    )
    if excluding is not None:
        open_query = open_query.where(Application.id != excluding)
    closed = loan.status in (LoanStatus.CLOSED, LoanStatus.SETTLED)
    return LoanFacts(
        outstanding_principal=pos.outstanding_principal,
        overdue_principal=pos.overdue_principal,
        overdue_interest=pos.overdue_interest,
        overdue_penalty=pos.overdue_penalty,
        rate=rate,
        method=Method(version.method if version else Method.EQUAL_INSTALLMENT),
        days_past_due=pos.days_past_due,
        negotiations_used=loan.negotiations_used if first_plan else 0,
        first_plan=first_plan,
        has_open_application=session.exec(open_query).first() is not None,
        closed=closed,
    )


def application_facts(session: Session, row: Application) -> ApplicationFacts:
    assert row.id is not None
    settlement = row.kind == ApplicationKind.SETTLEMENT
    return ApplicationFacts(
        kind=ApplicationKind(row.kind),
        hardship_category=row.hardship_category,
        monthly_income=row.monthly_income or ZERO,
        essential_expenses=row.essential_expenses or ZERO,
        other_debt=row.other_debt or ZERO,
        wished_installment=None if settlement or row.wish_months else row.wish_monthly,
        wished_months=None if settlement else row.wish_months,
        grace_months=0 if settlement else row.grace_months,
        grace_kind=GraceKind(row.grace_kind) if row.grace_kind and not settlement else None,
        lump_sum=row.lump_sum if settlement else None,
        lump_date=row.lump_date if settlement else None,
        proofs=frozenset(ProofKind(p.kind) for p in proofs_of(session, row.id)),
    )


# -- automatic decisions and deadlines ------------------------------------------------------------


def due_application_ids(session: Session, now: dt.datetime, policy: Policy, *, customer_id: int | None = None) -> list[int]:
    """Applications with automatic work waiting: a review that is due, or a passed deadline."""
    review_due_before = now - dt.timedelta(seconds=policy.review_delay_seconds)
    query = select(Application.id).where(
        or_(
            (Application.status == S.SUBMITTED) & (Application.submitted_at <= review_due_before),  # type: ignore[operator]
            Application.status.in_([s.value for s in DEADLINE_STATUSES]) & (Application.deadline_at <= now),  # type: ignore[attr-defined, operator]
        )
    )
    if customer_id is not None:
        query = query.where(Application.customer_id == customer_id)
    # Sorted here, not by ORDER BY id: with that clause SQLite walks the whole table in id order
    # instead of using the (status, deadline) indexes, which costs seconds at 100,000 rows.
    return sorted(session.exec(query).all())


def advance(session: Session, application_id: int, now: dt.datetime, today: dt.date, policy: Policy) -> bool:
    """Do the automatic work due on one application (call inside a write transaction).
    Returns whether anything changed."""
    row = session.exec(select(Application).where(Application.id == application_id).with_for_update()).first()
    if row is None:
        return False
    if row.deadline_at is not None and row.deadline_at <= now and row.status in DEADLINE_STATUSES:
        _expire(session, row, now)
        return True
    review_due = row.submitted_at is not None and row.submitted_at + dt.timedelta(seconds=policy.review_delay_seconds) <= now
    if row.status == S.SUBMITTED and review_due:
        record_status(session, row, S.UNDER_REVIEW, actor="engine", now=now, deadline_at=row.deadline_at)
        run_engine(session, row, now, today, policy)
        return True
    return False


def run_engine(session: Session, row: Application, now: dt.datetime, today: dt.date, policy: Policy) -> Decision:
    """Decide an application that is under review and apply the decision."""
    loan = session.get(Loan, row.loan_id)
    assert loan is not None and row.id is not None
    decision = review(application_facts(session, row), loan_facts(session, loan, today, policy, excluding=row.id), policy, today)
    detail = {"rules": [r.rule for r in decision.rules_applied if not r.passed]}
    if decision.outcome == Outcome.OFFERS:
        for proposal in decision.offers:
            add_offer(session, row, proposal, status="issued", created_by="engine", now=now)
        deadline = end_of_day(today + dt.timedelta(days=policy.offer_valid_days))
        record_status(session, row, S.OFFER_ISSUED, actor="engine", now=now, deadline_at=deadline,
                      reason="offers", detail={"count": len(decision.offers)})
        row.decided_at = now
        notify(session, row.customer_id, "offer_ready", now, loan_id=row.loan_id, application_id=row.id,
               count=len(decision.offers), expires=deadline.date().isoformat())
    elif decision.outcome == Outcome.MATERIALS_REQUEST:
        assert decision.answer_by is not None
        missing = [m.kind.value for m in decision.missing]
        record_status(session, row, S.MATERIALS_REQUESTED, actor="engine", now=now,
                      deadline_at=end_of_day(decision.answer_by), reason="missing_proofs", detail={"missing": missing})
        notify(session, row.customer_id, "materials_requested", now, loan_id=row.loan_id, application_id=row.id,
               missing=missing, answer_by=decision.answer_by.isoformat())
    elif decision.outcome == Outcome.REJECTED:
        record_status(session, row, S.REJECTED, actor="engine", now=now, reason=decision.failed_rule,
                      note=decision.what_would_change_it or "", detail=detail)
        row.decided_at = now
        notify(session, row.customer_id, "rejected", now, loan_id=row.loan_id, application_id=row.id,
               rule=decision.failed_rule)
    else:
        for proposal in decision.offers:
            add_offer(session, row, proposal, status="proposed", created_by="engine", now=now)
        reasons = [r.rule for r in decision.officer_reasons]
        row.updated_at = now
        session.add(
            _event(row, S.UNDER_REVIEW, now, reason="needs_officer", detail={"reasons": reasons})
        )
        notify(session, row.customer_id, "needs_officer", now, loan_id=row.loan_id, application_id=row.id)
    session.add(row)
    return decision


def _event(row: Application, status: ApplicationStatus, now: dt.datetime, **kw: object):  # type: ignore[no-untyped-def]
    from wsnego_tui.store.models import StatusEvent

    detail = kw.pop("detail", {})
    return StatusEvent(application_id=row.id, status=status, at=now, actor="engine",  # type: ignore[arg-type]
                       deadline_at=row.deadline_at, detail=_json(detail), **kw)  # type: ignore[arg-type]


def _loan_version(session: Session, row: Application) -> int:
    loan = session.get(Loan, row.loan_id)
    assert loan is not None
    return loan.version


def add_offer(
    session: Session, row: Application, p: OfferProposal, *, status: str, created_by: str, now: dt.datetime
) -> Offer:
    rate = p.renegotiation.rate if p.renegotiation else None
    apr = p.annualized_rate
    offer = Offer(
        application_id=row.id,  # type: ignore[arg-type]
        kind=p.kind,
        status=status,
        label=p.label,
        principal=p.principal,
        capitalised_arrears=p.capitalised_arrears,
        waived_penalty=p.waived_penalty,
        waived_interest=p.waived_interest,
        down_payment=p.down_payment,
        annual_rate=rate.annual_pct if rate else Decimal(0),
        method=p.schedule.method if p.schedule else Method.EQUAL_INSTALLMENT,
        months=p.months,
        grace_months=p.grace_months,
        grace_kind=p.grace_kind,
        start_date=p.start_date,
        installment=p.installment,
        total_payment=p.total_payment,
        total_interest=p.total_interest,
        apr_nominal=apr.nominal_pct.quantize(Decimal("0.0001")) if apr else Decimal(0),
        apr_effective=apr.effective_pct.quantize(Decimal("0.0001")) if apr else Decimal(0),
        created_by=created_by,
        created_at=now,
        expires_at=end_of_day(p.expires_on),
        loan_version=_loan_version(session, row),
    )
    session.add(offer)
    session.flush()
    return offer


def _expire(session: Session, row: Application, now: dt.datetime) -> None:
    was = S(row.status)
    if was == S.ACCEPTED:
        _undo_settlement(session, row, now)
    for offer in session.exec(select(Offer).where(Offer.application_id == row.id, Offer.status == "issued")).all():
        offer.status = "expired"
        session.add(offer)
    record_status(session, row, S.EXPIRED, actor="engine", now=now, reason=f"deadline.{was.value}")
    notify(session, row.customer_id, "expired", now, loan_id=row.loan_id, application_id=row.id, was=was.value)


def _undo_settlement(session: Session, row: Application, now: dt.datetime) -> None:
    """An accepted settlement not paid by its deadline: the loan returns to its earlier plan."""
    settlement = session.exec(
        select(ScheduleVersion).where(ScheduleVersion.application_id == row.id, ScheduleVersion.status == "active")
    ).first()
    if settlement is None:
        return
    previous = session.exec(
        select(ScheduleVersion)
        .where(ScheduleVersion.loan_id == row.loan_id, ScheduleVersion.seq < settlement.seq)
        .order_by(ScheduleVersion.seq.desc())  # type: ignore[union-attr]
    ).first()
    assert previous is not None
    settlement.status = "closed"
    settlement.closed_at = now
    session.add(settlement)
    session.flush()
    previous.status = "active"
    previous.closed_at = None
    session.add(previous)
    for offer in session.exec(select(Offer).where(Offer.application_id == row.id, Offer.status == "accepted")).all():
        offer.status = "expired"
        session.add(offer)


# -- accepting an offer ---------------------------------------------------------------------------


def accept(
    session: Session, row: Application, offer_id: int, *, now: dt.datetime, today: dt.date, policy: Policy
) -> Offer:
    """Accept one issued offer, in the caller's transaction: the old plan closes, the new one
    starts, the application moves on, the other offers lapse. All of it or none of it."""
    if row.status != S.OFFER_ISSUED:
        raise ApplicationRefused("not_offered", "there is no offer to accept on this application")
    offer = session.exec(select(Offer).where(Offer.id == offer_id).with_for_update()).first()
    if offer is None or offer.application_id != row.id or offer.status != "issued":
        raise ApplicationRefused("no_offer", "no such offer")
    if offer.expires_at is not None and offer.expires_at <= now:
        raise ApplicationRefused("offer_expired", "the offer has expired")
    loan = session.exec(select(Loan).where(Loan.id == row.loan_id).with_for_update()).first()
    assert loan is not None and loan.id is not None
    if loan.status in (LoanStatus.CLOSED, LoanStatus.SETTLED) or (
        offer.loan_version is not None and offer.loan_version != loan.version
    ):
        # Paid or broken since the offer was worked out: its figures are not the loan's now.
        raise ApplicationRefused("offer_stale", "the loan has changed since this offer was made")
    old = active_version(session, loan.id, for_update=True)
    assert old is not None
    old.status = "closed"
    old.closed_at = now
    session.add(old)
    session.flush()  # one active plan at a time, even mid-transaction
    kind = ApplicationKind(offer.kind)
    version = ScheduleVersion(
        loan_id=loan.id, seq=old.seq + 1, origin=kind, application_id=row.id, principal=offer.principal,
        annual_rate=offer.annual_rate, method=offer.method, months=offer.months, grace_months=offer.grace_months,
        grace_kind=offer.grace_kind, start_date=today if kind == ApplicationKind.SETTLEMENT else offer.start_date,
        status="active", started_at=now,
    )
    session.add(version)
    session.flush()
    assert version.id is not None
    if kind == ApplicationKind.SETTLEMENT:
        pay_by = today + dt.timedelta(days=policy.settlement_pay_days)
        penalty = offer.total_payment - offer.principal - offer.total_interest
        session.add(Installment(
            schedule_version_id=version.id, period=1, due_date=pay_by, payment=offer.principal + offer.total_interest,
            interest=offer.total_interest, principal=offer.principal, balance=ZERO,
            penalty_accrued=penalty, penalty_through=pay_by,
        ))
        record_status(session, row, S.ACCEPTED, actor="customer", now=now, deadline_at=end_of_day(pay_by),
                      reason="settlement_due", detail={"amount": str(offer.total_payment), "pay_by": pay_by.isoformat()})
    else:
        schedule = build_schedule(
            offer.principal, Rate.annual(offer.annual_rate), offer.months, method=Method(offer.method),
            start=offer.start_date, grace_months=offer.grace_months,
            grace_kind=GraceKind(offer.grace_kind) if offer.grace_kind else None,
        )
        if schedule.installment != offer.installment or schedule.total_payment != offer.total_payment:
            raise RuntimeError(f"offer {offer.id} does not rebuild to the schedule it showed")
        if offer.down_payment > 0:
            session.add(Installment(
                schedule_version_id=version.id, period=0, due_date=today, payment=offer.down_payment,
                interest=ZERO, principal=offer.down_payment, balance=offer.principal,
            ))
        for r in schedule.rows:
            session.add(Installment(
                schedule_version_id=version.id, period=r.period, due_date=r.due_date, payment=r.payment,
                interest=r.interest, principal=r.principal, capitalised=r.capitalised, balance=r.balance,
            ))
        record_status(session, row, S.ACCEPTED, actor="customer", now=now)
        record_status(session, row, S.PLAN_ACTIVE, actor="engine", now=now)
        loan.negotiations_used += 1
        loan.status = LoanStatus.NEGOTIATED
        notify(session, row.customer_id, "plan_active", now, loan_id=loan.id, application_id=row.id,
               installment=str(offer.installment), months=offer.months)
    offer.status = "accepted"
    offer.version += 1
    session.add(offer)
    for other in session.exec(select(Offer).where(Offer.application_id == row.id, Offer.id != offer.id, Offer.status == "issued")).all():
        other.status = "declined"
        session.add(other)
    loan.version += 1
    session.add(loan)
    session.flush()
    return offer


REVIEWED_AGAIN_STATUSES = (S.SUBMITTED, S.UNDER_REVIEW, S.MATERIALS_REQUESTED, S.OFFER_ISSUED)
"""Open applications that a change of their loan affects (an accepted one is the plan itself)."""


def lock_open_applications(session: Session, loan_id: int) -> None:
    """Lock the loan's applications that a change of the loan may move, before the loan row
    itself: the order an agreement takes them in (the application, then its loan), so that a
    payment and an agreement on one loan never each wait for the other."""
    session.exec(
        select(Application.id)
        .where(Application.loan_id == loan_id, Application.status.in_(REVIEWED_AGAIN_STATUSES))  # type: ignore[attr-defined]
        .with_for_update()
    ).all()


def loan_changed(session: Session, loan: Loan, now: dt.datetime, today: dt.date, policy: Policy, *, reason: str) -> list[int]:
    """The loan changed under its open application, in the caller's transaction. `reason`:
    "loan_changed.paid" after a payment, "loan_changed.broken" when its plan broke,
    "loan_changed.other" when an offer was refused as stale. Offers worked out before no longer
    fit the loan: they are withdrawn and the engine reviews the application again at once with
    the loan as it is now (new offers, or a referral to an officer). When the loan is repaid in
    full, the application ends instead (withdrawn, "loan_repaid"). Each move is audited
    (application.loan_changed). Returns the ids of the applications it moved."""
    assert loan.id is not None
    rows = session.exec(
        select(Application)
        .where(Application.loan_id == loan.id, Application.status.in_(REVIEWED_AGAIN_STATUSES))  # type: ignore[attr-defined]
        .with_for_update()
    ).all()
    repaid = loan.status in (LoanStatus.CLOSED, LoanStatus.SETTLED)
    moved: list[int] = []
    for row in rows:
        if not repaid and row.status != S.OFFER_ISSUED:
            continue  # not decided yet: the review will read the loan as it then is
        for offer in session.exec(
            select(Offer).where(Offer.application_id == row.id, Offer.status.in_(["issued", "proposed"]))  # type: ignore[attr-defined]
        ).all():
            offer.status = "withdrawn"
            session.add(offer)
        if repaid:
            record_status(session, row, S.WITHDRAWN, actor="engine", now=now, reason="loan_repaid")
        else:
            record_status(session, row, S.UNDER_REVIEW, actor="engine", now=now, reason=reason,
                          deadline_at=now + dt.timedelta(days=policy.bank_decision_days))
            run_engine(session, row, now, today, policy)
        audit.append(session, at=now, actor="engine", action="application.loan_changed",
                     subject=f"application:{row.id}", detail={"reason": "loan_repaid" if repaid else reason})
        moved.append(row.id)  # type: ignore[arg-type]
    return moved


def decline(session: Session, row: Application, *, now: dt.datetime) -> None:
    if row.status != S.OFFER_ISSUED:
        raise ApplicationRefused("not_offered", "there is no offer to decline on this application")
    for offer in session.exec(select(Offer).where(Offer.application_id == row.id, Offer.status == "issued")).all():
        offer.status = "declined"
        session.add(offer)
    record_status(session, row, S.WITHDRAWN, actor="customer", now=now, reason="offers_declined")


# -- plans that end ---------------------------------------------------------------------------------


def plan_outcome_of(session: Session, loan: Loan, today: dt.date, policy: Policy) -> str | None:
    version = active_version(session, loan.id)  # type: ignore[arg-type]
    if version is None or version.application_id is None or version.id is None:
        return None
    states = [state_of(r) for r in installments_of(session, version.id)]
    return plan_outcome(
        states, today,
        consecutive_missed=policy.broken_consecutive_missed, days_late=policy.broken_days_late,
    )


def loans_with_plan_news(session: Session, customer_id: int | None, today: dt.date, policy: Policy) -> list[int]:
    """Loans on a negotiated plan (or an accepted settlement) that is now completed or broken."""
    query = select(Loan).where(Loan.status.in_([LoanStatus.NEGOTIATED, LoanStatus.SETTLED, LoanStatus.CLOSED]))  # type: ignore[attr-defined]
    if customer_id is not None:
        query = query.where(Loan.customer_id == customer_id)
    found = []
    for loan in session.exec(query).all():
        outcome = plan_outcome_of(session, loan, today, policy)
        if outcome is None:
            continue
        version = active_version(session, loan.id)  # type: ignore[arg-type]
        app = session.get(Application, version.application_id) if version else None
        if app is not None and app.status in (S.PLAN_ACTIVE, S.ACCEPTED):
            found.append(loan.id)
    return found  # type: ignore[return-value]


def settle_plan_outcome(session: Session, loan: Loan, today: dt.date, now: dt.datetime, policy: Policy) -> bool:
    """After a payment or with time passing: a negotiated plan fully paid completes its
    application; one with two consecutive missed installments, or one 30 days late, is broken.

    Returns whether it changed anything. The application's status is re-read under its row
    lock, so when another session has already settled the outcome this one changes nothing
    and says so (its caller then neither counts nor audits it)."""
    outcome = plan_outcome_of(session, loan, today, policy)
    version = active_version(session, loan.id)  # type: ignore[arg-type]
    if outcome is None or version is None:
        return False
    row = session.exec(
        select(Application).where(Application.id == version.application_id).with_for_update()
        .execution_options(populate_existing=True)
    ).first()
    if row is None:
        return False
    if outcome == "completed" and row.status in (S.PLAN_ACTIVE, S.ACCEPTED):
        record_status(session, row, S.COMPLETED, actor="engine", now=now)
        if row.kind == ApplicationKind.SETTLEMENT:
            notify(session, row.customer_id, "settled", now, loan_id=loan.id, application_id=row.id)
        return True
    if outcome == "broken" and row.status == S.PLAN_ACTIVE:
        record_status(session, row, S.BROKEN, actor="engine", now=now, reason="plan_broken")
        loan.status = LoanStatus.BROKEN
        loan.version += 1
        session.add(loan)
        notify(session, row.customer_id, "plan_broken", now, loan_id=loan.id, application_id=row.id)
        loan_changed(session, loan, now, today, policy, reason="loan_changed.broken")  # a second negotiation's offers
        return True
    return False


# -- reminders ------------------------------------------------------------------------------------

REPAYING = (LoanStatus.CURRENT, LoanStatus.OVERDUE, LoanStatus.NEGOTIATED, LoanStatus.BROKEN)
"""Loans that still have installments to pay on their active schedule."""


def due_reminders(
    session: Session, customer_id: int, today: dt.date, policy: Policy
) -> list[tuple[int, int, dt.date, Decimal]]:
    """Installments of the customer's loans falling due within `policy.reminder_days` (today
    included) with something still to pay and no reminder yet: (loan id, installment id, due
    date, amount still due). Read-only, so that a reader only opens a write transaction when
    there is a reminder to write."""
    if policy.reminder_days <= 0:
        return []
    last_day = today + dt.timedelta(days=policy.reminder_days)
    rows = session.exec(
        select(Loan.id, Installment)
        .join(ScheduleVersion, ScheduleVersion.loan_id == Loan.id)  # type: ignore[arg-type]
        .join(Installment, Installment.schedule_version_id == ScheduleVersion.id)  # type: ignore[arg-type]
        .where(
            Loan.customer_id == customer_id,
            Loan.status.in_([s.value for s in REPAYING]),  # type: ignore[attr-defined]
            ScheduleVersion.status == "active",
            Installment.due_date >= today,  # type: ignore[operator]
            Installment.due_date <= last_day,  # type: ignore[operator]
        )
        .order_by(Installment.due_date)  # type: ignore[arg-type]
    ).all()
    found = []
    for loan_id, row in rows:
        left = row.payment - row.paid_principal - row.paid_interest
        if left > 0 and not _reminded(session, row.id):  # type: ignore[arg-type]
            found.append((loan_id, row.id, row.due_date, left))
    return found  # type: ignore[return-value]


def remind(
    session: Session, customer_id: int, reminders: list[tuple[int, int, dt.date, Decimal]], now: dt.datetime
) -> None:
    """Write the reminders `due_reminders` found, once per installment even when two readers
    found the same ones (the dedupe key is unique)."""
    for loan_id, installment_id, due_date, amount in reminders:
        notify(
            session, customer_id, "installment_due", now, loan_id=loan_id,
            dedupe_key=_reminder_key(installment_id), due_date=due_date.isoformat(), amount=str(amount),
        )


def _reminder_key(installment_id: int) -> str:
    return f"installment_due:{installment_id}"


def _reminded(session: Session, installment_id: int) -> bool:
    key = _reminder_key(installment_id)
    return session.exec(select(Notification.id).where(Notification.dedupe_key == key)).first() is not None
