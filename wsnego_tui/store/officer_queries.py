"""Queries for the officer side, inside the caller's session: the queue (filtered, sorted by
deadline and paged in SQL), the engine's recommendation, the officers' decisions and their views.

The queue must stay instant with 100,000 applications (scripts/bench_queue.py): it counts and
pages from indexes alone — `application_queue` (status, deadline_at), `application_queue_kind`
(status, kind, deadline_at, submitted_at), `application_queue_age` (status, submitted_at, kind,
deadline_at) — sorting index entries, never rows, and only then loads the names, loans and
recommended waivers of the one page it shows. No textual, no rich.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from decimal import Decimal

from sqlalchemy import and_, exists, func
from sqlmodel import Session, select

from wsnego_tui.core.clock import CHINA_TZ
from wsnego_tui.core.lifecycle import ApplicationStatus
from wsnego_tui.core.policy import Policy
from wsnego_tui.core.views_officer import (
    DecisionAction,
    DecisionStatus,
    DecisionView,
    QueueFilter,
    QueuePage,
    QueueRow,
    mask_customer_no,
)
from wsnego_tui.store.models import Application, Customer, Loan, Offer, OfficerDecision


def days_left(deadline_at: dt.datetime | None, today: dt.date) -> int | None:
    """Whole days from `today` to the deadline's business day (Beijing); negative once passed."""
    if deadline_at is None:
        return None
    return (deadline_at.astimezone(CHINA_TZ).date() - today).days


def due_application_ids(session: Session, now: dt.datetime, policy: Policy) -> list[int]:
    """Every application with automatic work due (a review, a passed deadline): the predicate of
    review_flow.due_application_ids, asked so that SQLite answers it from the queue indexes
    (a MULTI-INDEX OR: an ORDER BY in SQL makes it scan the whole table), sorted here.
    review_flow.advance re-checks each one under the write lock."""
    from sqlmodel import or_

    from wsnego_tui.store.review_flow import DEADLINE_STATUSES

    review_due_before = now - dt.timedelta(seconds=policy.review_delay_seconds)
    ids = session.exec(
        select(Application.id).where(
            or_(
                (Application.status == ApplicationStatus.SUBMITTED) & (Application.submitted_at <= review_due_before),  # type: ignore[operator]
                Application.status.in_([s.value for s in DEADLINE_STATUSES]) & (Application.deadline_at <= now),  # type: ignore[attr-defined, operator]
            )
        )
    ).all()
    return sorted(set(ids))  # type: ignore[arg-type]


def _pending_exists():  # type: ignore[no-untyped-def]
    return exists().where(
        OfficerDecision.application_id == Application.id,
        OfficerDecision.status == DecisionStatus.PENDING,
    )


def queue_page(
    session: Session, flt: QueueFilter, *, page: int, page_size: int, now: dt.datetime, today: dt.date
) -> QueuePage:
    """Page `page` (from 0) of the applications `flt` selects, soonest deadline first (then by
    id), with how many there are in all. An age of N days means submitted at least N whole days
    before `now` (min_age_days) or fewer than N + 1 (max_age_days)."""
    conditions = [Application.status.in_(flt.effective_statuses)]  # type: ignore[attr-defined]
    if flt.kinds:
        conditions.append(Application.kind.in_([k.value for k in flt.kinds]))  # type: ignore[attr-defined]
    if flt.min_age_days is not None:
        conditions.append(Application.submitted_at <= now - dt.timedelta(days=flt.min_age_days))  # type: ignore[operator]
    if flt.max_age_days is not None:
        conditions.append(Application.submitted_at > now - dt.timedelta(days=flt.max_age_days + 1))  # type: ignore[operator]
    if flt.awaiting_second_approval is True:
        pending_ids = select(OfficerDecision.application_id).where(OfficerDecision.status == DecisionStatus.PENDING)
        conditions.append(Application.id.in_(pending_ids))  # type: ignore[union-attr]
    elif flt.awaiting_second_approval is False:
        conditions.append(~_pending_exists())
    where = and_(*conditions)
    total = session.exec(select(func.count()).select_from(Application).where(where)).one()
    # The page's ids first, from the index alone (sorting index entries, never rows, even for
    # several statuses at once), then the page's details by id.
    ids = list(session.exec(
        select(Application.id).where(where)
        .order_by(Application.deadline_at, Application.id)  # type: ignore[arg-type]
        .limit(page_size).offset(page * page_size)
    ).all())
    details = {
        row[0]: row for row in session.exec(
            select(Application.id, Customer.customer_no, Customer.name, Loan.loan_no, Application.kind,
                   Application.status, Application.submitted_at, Application.deadline_at)
            .join(Customer, Customer.id == Application.customer_id)  # type: ignore[arg-type]
            .join(Loan, Loan.id == Application.loan_id)  # type: ignore[arg-type]
            .where(Application.id.in_(ids))  # type: ignore[union-attr]
        ).all()
    } if ids else {}
    waivers = recommended_waivers(session, ids)  # type: ignore[arg-type]
    pending = {d.application_id: d.made_by for d in pending_decisions(session, ids)}  # type: ignore[arg-type]
    rows = []
    for app_id in ids:
        _, customer_no, name, loan_no, kind, status, submitted_at, deadline_at = details[app_id]
        rows.append(QueueRow(
            application_id=app_id,  # type: ignore[arg-type]
            customer_no_masked=mask_customer_no(customer_no),
            customer_name=name,
            loan_no=loan_no,
            kind=kind,
            status=status,
            submitted_at=submitted_at,
            deadline_at=deadline_at,
            days_left=days_left(deadline_at, today),
            recommended_waiver=waivers.get(app_id),  # type: ignore[arg-type]
            awaiting_second_approval=app_id in pending,
            proposed_by=pending.get(app_id),  # type: ignore[arg-type]
        ))
    return QueuePage(rows=tuple(rows), total=int(total), page=page, page_size=page_size, filter=flt)


def recommended_waivers(session: Session, application_ids: Sequence[int]) -> dict[int, Decimal]:
    """The largest total waiver (penalty + interest) among each application's engine
    recommendation: its latest hand-over to an officer (see engine_recommendation)."""
    if not application_ids:
        return {}
    rows = session.exec(
        select(Offer.application_id, Offer.created_at, Offer.waived_penalty, Offer.waived_interest)
        .where(Offer.application_id.in_(list(application_ids)), Offer.status == "proposed",  # type: ignore[attr-defined]
               Offer.created_by == "engine")
    ).all()
    latest: dict[int, dt.datetime] = {}
    for app_id, created_at, _, _ in rows:
        latest[app_id] = max(created_at, latest.get(app_id, created_at))
    waivers: dict[int, Decimal] = {}
    for app_id, created_at, penalty, interest in rows:
        if created_at == latest[app_id]:
            waivers[app_id] = max(penalty + interest, waivers.get(app_id, Decimal(0)))
    return waivers


def pending_decisions(session: Session, application_ids: Sequence[int]) -> list[OfficerDecision]:
    if not application_ids:
        return []
    return list(session.exec(
        select(OfficerDecision).where(
            OfficerDecision.application_id.in_(list(application_ids)),  # type: ignore[attr-defined]
            OfficerDecision.status == DecisionStatus.PENDING,
        )
    ).all())


def pending_decision(session: Session, application_id: int, *, for_update: bool = False) -> OfficerDecision | None:
    query = select(OfficerDecision).where(
        OfficerDecision.application_id == application_id, OfficerDecision.status == DecisionStatus.PENDING
    )
    if for_update:
        query = query.with_for_update()
    return session.exec(query).first()


def decisions_of(session: Session, application_id: int) -> list[OfficerDecision]:
    return list(session.exec(
        select(OfficerDecision).where(OfficerDecision.application_id == application_id).order_by(OfficerDecision.id)  # type: ignore[arg-type]
    ).all())


def decision_view(row: OfficerDecision) -> DecisionView:
    assert row.id is not None
    return DecisionView(
        id=row.id,
        action=DecisionAction(row.action),
        status=DecisionStatus(row.status),
        made_by=row.made_by,
        made_at=row.made_at,
        note=row.note,
        params=json.loads(row.params),
        approval_reasons=tuple(json.loads(row.approval_reasons)),
        reviewed_by=row.reviewed_by,
        reviewed_at=row.reviewed_at,
        review_note=row.review_note,
    )


def engine_recommendation(session: Session, application_id: int) -> list[Offer]:
    """The offers the engine proposed when it last handed the application to an officer. They
    stay `proposed`, which the borrower never sees, whatever the officer decides (an officer
    issues offers of their own); an earlier hand-over's (before a materials request) are older."""
    rows = list(session.exec(
        select(Offer).where(Offer.application_id == application_id, Offer.status == "proposed",
                            Offer.created_by == "engine")
        .order_by(Offer.id)  # type: ignore[arg-type]
    ).all())
    if not rows:
        return []
    latest = max(o.created_at for o in rows)
    return [o for o in rows if o.created_at == latest]


def json_text(params: object) -> str:
    return json.dumps(params, ensure_ascii=False, sort_keys=True, default=str)


__all__ = [
    "days_left", "decision_view", "decisions_of", "engine_recommendation", "json_text", "pending_decision",
    "pending_decisions", "queue_page", "recommended_waivers",
]
