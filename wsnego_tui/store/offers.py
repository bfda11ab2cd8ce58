"""Offers and the plan they would replace, as the offer screen shows them side by side.

An offer's schedule is not stored row by row: it is rebuilt from the offer's inputs by the
shared calculator, exactly as acceptance will build it (acceptance checks that it matches).
No textual, no rich.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlmodel import Session, select

from wsnego_tui.core.ledger import position
from wsnego_tui.core.lifecycle import ApplicationKind
from wsnego_tui.core.policy import Policy
from wsnego_tui.core.schedule import GraceKind, Method, Rate, build_schedule
from wsnego_tui.core.views import CurrentPlanView, OfferView, ScheduleRowView
from wsnego_tui.store.models import Application, Offer
from wsnego_tui.store.queries import active_version, installments_of, state_of

ZERO = Decimal("0.00")


def current_plan(session: Session, loan_id: int, today: dt.date, policy: Policy) -> CurrentPlanView:
    """What is still to pay on the plan in force: overdue amounts now, then the rows to come."""
    version = active_version(session, loan_id)
    if version is None or version.id is None:
        return CurrentPlanView(None, 0, None, ZERO, ZERO, ZERO, ())
    rate = Rate.annual(version.annual_rate)
    rows = installments_of(session, version.id)
    states = [state_of(r) for r in rows]
    pos = position(states, rate, today, policy.penalty_multiplier)
    remaining = [(r, st) for r, st in zip(rows, states, strict=True) if not st.is_settled]
    future = [r for r, st in remaining if r.due_date >= today]
    views = tuple(
        ScheduleRowView(
            period=r.period,
            due_date=r.due_date,
            payment=st.amount_due(today, rate, policy.penalty_multiplier),
            interest=st.unpaid_interest + st.penalty_due(today, rate, policy.penalty_multiplier),
            principal=st.unpaid_principal,
            balance=r.balance,
        )
        for r, st in remaining
    )
    return CurrentPlanView(
        installment=future[0].payment if future else None,
        remaining_months=len(remaining),
        end_date=rows[-1].due_date if rows else None,
        total_payment=pos.payoff_amount,
        total_interest=pos.payoff_amount - pos.outstanding_principal,
        overdue_total=pos.overdue_total,
        rows=views,
    )


def offers_of(session: Session, application: Application) -> list[OfferView]:
    """The offers the borrower was given on the application, of its latest round: when the
    loan changed under the offers (a payment, a broken plan) and the application was reviewed
    again, the offers withdrawn then are no longer shown beside the new ones."""
    rows = session.exec(select(Offer).where(Offer.application_id == application.id).order_by(Offer.id)).all()
    # the latest round counts the engine's proposals for an officer too: a round the officers
    # have not decided yet shows nothing to the borrower
    latest = max((o.loan_version for o in rows if o.loan_version is not None), default=None)
    return [offer_view(o) for o in rows if o.status != "proposed" and (latest is None or o.loan_version == latest)]


def offer_view(offer: Offer) -> OfferView:
    assert offer.id is not None
    if offer.kind == ApplicationKind.SETTLEMENT:
        rows: tuple[ScheduleRowView, ...] = (
            ScheduleRowView(1, offer.start_date, offer.total_payment, offer.total_payment - offer.principal, offer.principal, ZERO),
        )
        end = offer.expires_at.date() if offer.expires_at else offer.start_date
    else:
        schedule = build_schedule(
            offer.principal, Rate.annual(offer.annual_rate), offer.months, method=Method(offer.method),
            start=offer.start_date, grace_months=offer.grace_months,
            grace_kind=GraceKind(offer.grace_kind) if offer.grace_kind else None,
        )
        rows = tuple(ScheduleRowView(r.period, r.due_date, r.payment, r.interest, r.principal, r.balance) for r in schedule.rows)
        end = schedule.end_date
    return OfferView(
        id=offer.id, kind=offer.kind, label=offer.label, status=offer.status, principal=offer.principal,
        installment=offer.installment, months=offer.months, grace_months=offer.grace_months,
        grace_kind=offer.grace_kind, start_date=offer.start_date, end_date=end,
        total_payment=offer.total_payment, total_interest=offer.total_interest,
        waived_penalty=offer.waived_penalty, waived_interest=offer.waived_interest,
        down_payment=offer.down_payment, capitalised_arrears=offer.capitalised_arrears,
        annual_rate_pct=offer.annual_rate, apr_nominal_pct=offer.apr_nominal, apr_effective_pct=offer.apr_effective,
        expires_at=offer.expires_at, rows=rows,
    )
