"""Whole negotiations through the services on one database: submit, the engine decides when
due, the borrower accepts and the plan is replaced in one transaction, then repays on it.
Also deadlines, broken plans, settlements paid and left to expire."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from sqlmodel import func, select

from wsnego_tui.core.application_form import FormFields
from wsnego_tui.core.lifecycle import ApplicationKind as K
from wsnego_tui.core.proofs import ProofKind
from wsnego_tui.core.views import LoanStatus
from wsnego_tui.services import ServiceError
from wsnego_tui.store.engine import read_session
from wsnego_tui.store.models import AuditEntry, Loan, ScheduleVersion, StatusEvent

PDF = b"%PDF-1.4\n%proof\n"
FIRST_FORM = FormFields(
    hardship_category="income_drop", hardship_text="店铺营业额下降。",
    monthly_income=Decimal("8000.00"), essential_expenses=Decimal("3000.00"), other_debt=Decimal("0.00"),
    wish_months=24,
)
SETTLEMENT_FORM = FormFields(
    hardship_category="business_failure", hardship_text="店铺关闭，亲属借款一次性结清。",
    monthly_income=Decimal("3000.00"), essential_expenses=Decimal("2500.00"),
    lump_sum=Decimal("60000.00"), lump_date=dt.date(2026, 12, 1),
)


@pytest.fixture
def svc(demo_services, tmp_path: Path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    demo_services.settings = dataclasses.replace(demo_services.settings, extra={"proof_folders": [str(inbox)]})
    demo_services.inbox_dir = inbox
    return demo_services


def _login(svc, number: str, pin: str) -> int:
    return svc.login(number, pin).customer.id


def _submit(svc, customer: int, loan: int, kind: K, form: FormFields, proofs: list[ProofKind]):
    app = svc.start_application(customer, loan, kind)
    app = svc.save_application_form(customer, app.id, form, version=app.version)
    for i, proof in enumerate(proofs):
        path = svc.inbox_dir / f"{kind}-{proof}-{i}.pdf"
        path.write_bytes(PDF + f"{kind}{proof}{i}".encode())
        app = svc.attach_proof(customer, app.id, proof, path)
    return svc.submit_application(customer, app.id, version=app.version, idempotency_key=f"submit-{app.id}")


def _events(svc, application_id: int) -> list[str]:
    with read_session(svc.engine) as s:
        rows = s.exec(select(StatusEvent).where(StatusEvent.application_id == application_id).order_by(StatusEvent.id)).all()
        return [e.status for e in rows]


def test_a_first_negotiation_becomes_an_active_plan_and_is_repaid_on(svc) -> None:
    customer = _login(svc, "80000001", "111111")
    before = svc.loans_of(customer)[0]
    app = _submit(svc, customer, before.loan_id, K.FIRST, FIRST_FORM, [ProofKind.HARDSHIP])
    assert app.status == "submitted"
    current, offers = svc.offers(customer, app.id)  # reading it lets the due review happen
    assert svc.application(customer, app.id).status == "offer_issued"
    assert offers and all(o.months <= 60 for o in offers)
    assert all(o.waived_penalty == before.overdue_penalty for o in offers)  # first: penalty waived in full
    assert current.overdue_total == before.overdue_total
    chosen = min(offers, key=lambda o: o.installment)
    done = svc.accept_offer(customer, app.id, chosen.id, pin="111111", last4="0001")
    assert [e.status for e in done.events][-3:] == ["offer_issued", "accepted", "plan_active"]
    after = svc.loans_of(customer)[0]
    assert after.status == LoanStatus.NEGOTIATED and after.negotiations_used == 1
    assert after.overdue_total == 0 and after.next_due_amount == chosen.installment
    assert after.outstanding_principal == chosen.principal
    with read_session(svc.engine) as s:
        plans = s.exec(select(ScheduleVersion).where(ScheduleVersion.loan_id == before.loan_id).order_by(ScheduleVersion.seq)).all()
        assert [(p.origin, p.status) for p in plans] == [("original", "closed"), ("first", "active")]
        assert s.exec(select(AuditEntry).where(AuditEntry.action == "agreement.accept")).one()
    receipt = svc.pay(before.loan_id, chosen.installment, "pay-first-installment", actor="test")
    assert receipt.to_principal + receipt.to_interest == chosen.installment
    assert "offer_ready" in [n.kind for n in svc.inbox(customer)]


def test_the_agreement_needs_the_last_four_digits_and_the_pin_and_changes_nothing_otherwise(svc) -> None:
    customer = _login(svc, "80000001", "111111")
    loan = svc.loans_of(customer)[0]
    app = _submit(svc, customer, loan.loan_id, K.FIRST, FIRST_FORM, [ProofKind.HARDSHIP])
    _, offers = svc.offers(customer, app.id)
    for pin, last4, code in (("111111", "9999", "last4"), ("000000", "0001", "pin")):
        with pytest.raises(ServiceError) as refused:
            svc.accept_offer(customer, app.id, offers[0].id, pin=pin, last4=last4)
        assert refused.value.code == code
    assert svc.application(customer, app.id).status == "offer_issued"
    assert svc.loans_of(customer)[0] == svc.loans_of(customer)[0] and svc.loans_of(customer)[0].negotiations_used == 0


def test_the_review_is_taken_once_even_when_two_sessions_read_at_the_same_time(svc, clock) -> None:
    from wsnego_tui.services import Services

    customer = _login(svc, "80000001", "111111")
    loan = svc.loans_of(customer)[0]
    app = _submit(svc, customer, loan.loan_id, K.FIRST, FIRST_FORM, [ProofKind.HARDSHIP])
    other = Services(svc.settings, clock)
    try:
        assert svc.catch_up() + other.catch_up() == 1
    finally:
        other.close()
    assert _events(svc, app.id).count("offer_issued") == 1


def test_declining_the_offers_closes_the_application_and_keeps_the_old_plan(svc) -> None:
    customer = _login(svc, "80000001", "111111")
    loan = svc.loans_of(customer)[0]
    app = _submit(svc, customer, loan.loan_id, K.FIRST, FIRST_FORM, [ProofKind.HARDSHIP])
    svc.offers(customer, app.id)
    declined = svc.decline_offers(customer, app.id)
    assert declined.status == "withdrawn"
    assert svc.loans_of(customer)[0].status == LoanStatus.OVERDUE


def test_an_offer_not_answered_in_seven_days_expires(svc, clock) -> None:
    customer = _login(svc, "80000001", "111111")
    loan = svc.loans_of(customer)[0]
    app = _submit(svc, customer, loan.loan_id, K.FIRST, FIRST_FORM, [ProofKind.HARDSHIP])
    _, offers = svc.offers(customer, app.id)
    clock.advance(dt.timedelta(days=8))
    assert svc.application(customer, app.id).status == "offer_issued"  # a plain read changes nothing...
    assert svc.applications_of(customer)[0].status == "expired"  # ...the next catching-up read does
    with pytest.raises(ServiceError):
        svc.accept_offer(customer, app.id, offers[0].id, pin="111111", last4="0001")


def test_a_settlement_paid_in_full_settles_the_loan(svc) -> None:
    customer = _login(svc, "80000004", "444444")
    loan = svc.loans_of(customer)[0]
    app = _submit(svc, customer, loan.loan_id, K.SETTLEMENT, SETTLEMENT_FORM, [ProofKind.FUNDS])
    _, offers = svc.offers(customer, app.id)
    (offer,) = offers
    assert offer.principal == loan.outstanding_principal  # principal is never discounted
    assert offer.waived_penalty == loan.overdue_penalty
    assert offer.total_payment == loan.outstanding_principal + loan.overdue_interest - offer.waived_interest
    accepted = svc.accept_offer(customer, app.id, offer.id, pin="444444", last4="0004")
    assert accepted.status == "accepted"
    svc.pay(loan.loan_id, offer.total_payment, "settle", actor="test")
    settled = svc.loans_of(customer)[0]
    assert settled.status == LoanStatus.SETTLED and settled.outstanding_principal == 0
    assert svc.application(customer, app.id).status == "completed"
    assert "settled" in [n.kind for n in svc.inbox(customer)]


def test_a_settlement_left_unpaid_expires_and_the_loan_returns_to_its_earlier_plan(svc, clock) -> None:
    customer = _login(svc, "80000004", "444444")
    loan = svc.loans_of(customer)[0]
    app = _submit(svc, customer, loan.loan_id, K.SETTLEMENT, SETTLEMENT_FORM, [ProofKind.FUNDS])
    _, (offer,) = svc.offers(customer, app.id)
    svc.accept_offer(customer, app.id, offer.id, pin="444444", last4="0004")
    clock.advance(dt.timedelta(days=8))
    back = svc.loans_of(customer)[0]
    assert svc.application(customer, app.id).status == "expired"
    assert back.status == LoanStatus.OVERDUE and back.outstanding_principal == loan.outstanding_principal
    assert back.days_past_due == loan.days_past_due + 8
    with read_session(svc.engine) as s:
        plans = s.exec(select(ScheduleVersion).where(ScheduleVersion.loan_id == loan.loan_id).order_by(ScheduleVersion.seq)).all()
        assert [(p.origin, p.status) for p in plans] == [("original", "active"), ("settlement", "closed")]


def test_a_negotiated_plan_two_installments_behind_is_broken(svc, clock) -> None:
    customer = _login(svc, "80000002", "222222")
    assert svc.loans_of(customer)[0].status == LoanStatus.NEGOTIATED
    clock.advance(dt.timedelta(days=10))  # the next installment falls due too: two in a row
    loan = svc.loans_of(customer)[0]
    assert loan.status == LoanStatus.BROKEN
    assert "plan_broken" in [n.kind for n in svc.inbox(customer)]
    with read_session(svc.engine) as s:
        assert s.get(Loan, loan.loan_id).status == "broken"


def test_a_second_negotiation_always_goes_to_an_officer(svc) -> None:
    customer = _login(svc, "80000002", "222222")
    loan = svc.loans_of(customer)[0]
    checklist = svc.eligibility(customer, loan.loan_id)
    assert not checklist[K.FIRST].open and checklist[K.SECOND].open and checklist[K.SETTLEMENT].open
    form = FIRST_FORM.merged(wish_months=36)
    app = _submit(svc, customer, loan.loan_id, K.SECOND, form, [ProofKind.INCOME, ProofKind.EXPENSE])
    svc.catch_up(customer)
    view = svc.application(customer, app.id)
    assert view.status == "under_review" and view.events[-1].reason == "needs_officer"
    assert svc.offers(customer, app.id)[1] == []  # the engine's recommendation is for the officer only


def test_a_fully_current_loan_may_not_be_negotiated_and_says_why(svc) -> None:
    customer = _login(svc, "80000005", "555555")
    loan = svc.loans_of(customer)[0]
    checklist = svc.eligibility(customer, loan.loan_id)
    assert not any(e.open for e in checklist.values())
    assert all(e.reason for e in checklist.values())


# -- reminders ------------------------------------------------------------------------------------


def _reminders(svc, customer: int) -> list[tuple[object, object]]:
    return [(n.params["due_date"], n.params["amount"]) for n in svc.inbox(customer) if n.kind == "installment_due"]


def test_an_installment_due_within_the_reminder_days_is_reminded_once(svc, clock) -> None:
    """李娜 (80000002) pays her negotiated plan; the next installment falls due on 1 December.
    Reading her inbox again and again (as several sessions would) reminds her of it once."""
    customer = _login(svc, "80000002", "222222")
    (loan,) = svc.loans_of(customer)
    assert loan.next_due_date == dt.date(2026, 12, 1)
    assert _reminders(svc, customer) == [("2026-12-01", "2207.25")]
    svc.catch_up(customer)
    assert _reminders(svc, customer) == [("2026-12-01", "2207.25")]


def test_no_reminder_before_the_reminder_days_nor_for_what_is_already_paid(svc, clock) -> None:
    customer = _login(svc, "80000005", "555555")  # next due 7 December: nine days ahead
    (loan,) = svc.loans_of(customer)
    assert _reminders(svc, customer) == []
    clock.advance(dt.timedelta(days=5))  # now four days ahead
    assert _reminders(svc, customer) == []
    options = svc.payment_options(customer, loan.loan_id)
    svc.pay(loan.loan_id, options.next_installment, "pay-early", actor=f"customer:{customer}")
    clock.advance(dt.timedelta(days=1))  # three days ahead, but paid
    assert _reminders(svc, customer) == []


def test_a_policy_without_reminders_writes_none(svc) -> None:
    svc.policy = dataclasses.replace(svc.policy, reminder_days=0)
    customer = _login(svc, "80000002", "222222")
    assert _reminders(svc, customer) == []


# -- the loan changes under its offers; a settlement is paid whole, in time ---------------------


def _offer_rows(svc, application_id: int) -> list[tuple[int, str]]:
    from wsnego_tui.store.models import Offer

    with read_session(svc.engine) as s:
        rows = s.exec(select(Offer).where(Offer.application_id == application_id).order_by(Offer.id)).all()
        return [(o.id, o.status) for o in rows]  # type: ignore[misc]


def _payments(svc, loan_id: int) -> int:
    from wsnego_tui.store.models import Payment

    with read_session(svc.engine) as s:
        return s.exec(select(func.count()).select_from(Payment).where(Payment.loan_id == loan_id)).one()


def test_a_payment_after_the_offers_withdraws_them_and_the_loan_is_reviewed_again(svc) -> None:
    customer = _login(svc, "80000001", "111111")
    loan = svc.loans_of(customer)[0]
    app = _submit(svc, customer, loan.loan_id, K.FIRST, FIRST_FORM, [ProofKind.HARDSHIP])
    _, old_offers = svc.offers(customer, app.id)
    svc.pay(loan.loan_id, Decimal("5000.00"), "part-of-the-arrears", actor="test")
    paid = svc.loans_of(customer)[0]  # still overdue: still a case for a first negotiation
    assert 0 < paid.overdue_total < loan.overdue_total and paid.outstanding_principal < loan.outstanding_principal

    view = svc.application(customer, app.id)
    assert view.status == "offer_issued"  # reviewed again at once, on the loan as it now is
    assert [e.reason for e in view.events if e.status == "under_review"][-1] == "loan_changed.paid"
    statuses = dict(_offer_rows(svc, app.id))
    assert all(statuses[o.id] == "withdrawn" for o in old_offers)
    _, new_offers = svc.offers(customer, app.id)
    assert new_offers and {o.id for o in new_offers}.isdisjoint(o.id for o in old_offers)
    # the new offers carry what is still owed, not what was owed before the payment
    assert all(o.principal < min(old.principal for old in old_offers) for o in new_offers)

    with pytest.raises(ServiceError) as refused:
        svc.accept_offer(customer, app.id, old_offers[0].id, pin="111111", last4="0001")
    assert refused.value.code == "no_offer"
    assert svc.loans_of(customer)[0].status == paid.status  # the old offer changed nothing
    accepted = svc.accept_offer(customer, app.id, new_offers[0].id, pin="111111", last4="0001")
    assert accepted.status == "plan_active"
    assert svc.loans_of(customer)[0].outstanding_principal == new_offers[0].principal
    with read_session(svc.engine) as s:
        actions = [e.action for e in s.exec(select(AuditEntry).order_by(AuditEntry.id)).all()]
    assert "application.loan_changed" in actions


def test_repaying_the_whole_loan_ends_its_open_application(svc) -> None:
    customer = _login(svc, "80000001", "111111")
    loan = svc.loans_of(customer)[0]
    app = _submit(svc, customer, loan.loan_id, K.FIRST, FIRST_FORM, [ProofKind.HARDSHIP])
    _, offers = svc.offers(customer, app.id)
    payoff = svc.payment_options(customer, loan.loan_id).payoff_amount
    svc.pay(loan.loan_id, payoff, "payoff", actor="test")
    view = svc.application(customer, app.id)
    assert view.status == "withdrawn" and view.events[-1].reason == "loan_repaid"
    assert {status for _, status in _offer_rows(svc, app.id)} == {"withdrawn"}
    with pytest.raises(ServiceError):
        svc.accept_offer(customer, app.id, offers[0].id, pin="111111", last4="0001")
    assert svc.loans_of(customer)[0].status == LoanStatus.CLOSED  # not reopened by an old offer


def test_an_offer_made_before_the_loan_changed_cannot_be_accepted(svc) -> None:
    """However the loan changed after an offer was worked out (here its version is moved on
    by hand), accepting the offer is refused and nothing is written."""
    from wsnego_tui.store.engine import write_session

    customer = _login(svc, "80000001", "111111")
    loan = svc.loans_of(customer)[0]
    app = _submit(svc, customer, loan.loan_id, K.FIRST, FIRST_FORM, [ProofKind.HARDSHIP])
    _, offers = svc.offers(customer, app.id)
    with write_session(svc.engine) as s:
        row = s.get(Loan, loan.loan_id)
        row.version += 1
        s.add(row)
    with pytest.raises(ServiceError) as refused:
        svc.accept_offer(customer, app.id, offers[0].id, pin="111111", last4="0001")
    assert refused.value.code == "offer_stale"
    with read_session(svc.engine) as s:
        plans = s.exec(select(ScheduleVersion).where(ScheduleVersion.loan_id == loan.loan_id)).all()
        assert [p.status for p in plans] == ["active"]  # no plan replaced
    # nor left waiting with offers nobody can accept: reviewed again on the loan as it is
    view = svc.application(customer, app.id)
    assert "loan_changed.other" in [e.reason for e in view.events]
    _, fresh = svc.offers(customer, app.id)
    assert fresh and {o.id for o in fresh}.isdisjoint(o.id for o in offers)
    assert svc.accept_offer(customer, app.id, fresh[0].id, pin="111111", last4="0001").status == "plan_active"


def _accepted_settlement(svc):
    customer = _login(svc, "80000004", "444444")
    loan = svc.loans_of(customer)[0]
    app = _submit(svc, customer, loan.loan_id, K.SETTLEMENT, SETTLEMENT_FORM, [ProofKind.FUNDS])
    _, (offer,) = svc.offers(customer, app.id)
    svc.accept_offer(customer, app.id, offer.id, pin="444444", last4="0004")
    return customer, loan, app, offer


@pytest.mark.parametrize("amount", [Decimal("0.01"), Decimal("10000.00"), "one fen short"])
def test_a_settlement_takes_only_its_whole_sum_and_a_part_changes_nothing(svc, amount) -> None:
    customer, loan, _application, offer = _accepted_settlement(svc)
    payments = _payments(svc, loan.loan_id)
    if amount == "one fen short":
        amount = offer.total_payment - Decimal("0.01")
    with pytest.raises(ServiceError) as previewed:
        svc.payment_preview(customer, loan.loan_id, amount)
    assert previewed.value.code == "settlement_whole"
    with pytest.raises(ServiceError) as refused:
        svc.pay(loan.loan_id, amount, "part", actor="test")
    assert refused.value.code == "settlement_whole"
    assert _payments(svc, loan.loan_id) == payments
    assert svc.payment_options(customer, loan.loan_id).settlement_amount == offer.total_payment


def test_a_settlement_is_paid_on_its_pay_by_day_but_not_after(svc, clock) -> None:
    customer, loan, app, offer = _accepted_settlement(svc)
    payments = _payments(svc, loan.loan_id)
    pay_by = svc.payment_options(customer, loan.loan_id).settlement_pay_by
    clock.advance(dt.timedelta(days=(pay_by - clock.now().date()).days + 1))
    with pytest.raises(ServiceError) as refused:
        svc.pay(loan.loan_id, offer.total_payment, "late", actor="test")  # before any catch-up ran
    assert refused.value.code == "settlement_lapsed"
    assert _payments(svc, loan.loan_id) == payments
    back = svc.loans_of(customer)[0]  # the catch-up restores the earlier plan
    assert svc.application(customer, app.id).status == "expired"
    assert back.status == LoanStatus.OVERDUE and back.outstanding_principal == loan.outstanding_principal


def test_a_settlement_paid_on_its_last_day_settles_the_loan(svc, clock) -> None:
    customer, loan, app, offer = _accepted_settlement(svc)
    pay_by = svc.payment_options(customer, loan.loan_id).settlement_pay_by
    clock.advance(dt.timedelta(days=(pay_by - clock.now().date()).days))
    svc.pay(loan.loan_id, offer.total_payment, "on-time", actor="test")
    assert svc.loans_of(customer)[0].status == LoanStatus.SETTLED
    assert svc.application(customer, app.id).status == "completed"
