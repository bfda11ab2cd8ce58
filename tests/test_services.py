"""Use cases through the services layer, checked against what the database then holds."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlmodel import select

from wsnego_tui.core.views import LoanStatus, LoginOutcome
from wsnego_tui.services import ServiceError, Services
from wsnego_tui.store.demo import DEMO_CUSTOMERS, DemoRefused
from wsnego_tui.store.engine import read_session, write_session
from wsnego_tui.store.models import AuditEntry, Customer, Installment, Loan, Payment

PINS = {c.customer_no: c.pin for c in DEMO_CUSTOMERS}


def _customer_id(svc: Services, number: str) -> int:
    result = svc.login(number, PINS[number])
    assert result.outcome == LoginOutcome.OK and result.customer
    return result.customer.id


def _loans(svc: Services, number: str):
    return svc.loans_of(_customer_id(svc, number))


# -- logging in -------------------------------------------------------------------------------


def test_a_demo_customer_logs_in_with_the_printed_pin(demo_services) -> None:
    result = demo_services.login("80000001", "111111")
    assert result.outcome == LoginOutcome.OK
    assert result.customer is not None and result.customer.name == "张伟"


def test_a_wrong_pin_does_not_say_whether_the_customer_exists(demo_services) -> None:
    wrong_pin = demo_services.login("80000001", "000000")
    no_such_customer = demo_services.login("89999999", "000000")
    assert wrong_pin == no_such_customer
    assert wrong_pin.outcome == LoginOutcome.REJECTED and wrong_pin.customer is None


def test_five_wrong_pins_lock_the_customer_for_fifteen_minutes_in_every_session(demo_services, clock) -> None:
    """The counter lives in the database: a second session (another kiosk) sees the lock."""
    for _ in range(4):
        assert demo_services.login("80000002", "000000").outcome == LoginOutcome.REJECTED
    fifth = demo_services.login("80000002", "000000")
    assert fifth.outcome == LoginOutcome.LOCKED
    assert fifth.locked_until == clock.now() + dt.timedelta(minutes=15)
    other_kiosk = Services(demo_services.settings, clock)
    try:
        assert other_kiosk.login("80000002", "222222").outcome == LoginOutcome.LOCKED
        clock.advance(dt.timedelta(minutes=15, seconds=1))
        assert other_kiosk.login("80000002", "222222").outcome == LoginOutcome.OK
    finally:
        other_kiosk.close()


def test_a_successful_login_resets_the_failure_counter(demo_services) -> None:
    for _ in range(4):
        demo_services.login("80000003", "000000")
    assert demo_services.login("80000003", "333333").outcome == LoginOutcome.OK
    for _ in range(4):
        assert demo_services.login("80000003", "000000").outcome == LoginOutcome.REJECTED


def test_every_login_attempt_is_audited_without_the_pin(demo_services) -> None:
    demo_services.login("80000001", "111111")
    demo_services.login("80000001", "000000")
    with read_session(demo_services.engine) as s:
        entries = s.exec(select(AuditEntry).where(AuditEntry.action.startswith("login"))).all()  # type: ignore[attr-defined]
    assert [e.action for e in entries] == ["login.ok", "login.rejected"]
    assert not any("111111" in e.detail or "000000" in e.detail for e in entries)


# -- demo data --------------------------------------------------------------------------------


def test_the_demo_covers_every_path_of_the_journey(demo_services) -> None:
    zhang = _loans(demo_services, "80000001")
    assert zhang[0].status == LoanStatus.OVERDUE and zhang[0].days_past_due > 30
    assert zhang[0].overdue_penalty > 0 and zhang[0].negotiations_used == 0
    li = _loans(demo_services, "80000002")[0]
    assert li.status == LoanStatus.NEGOTIATED and li.negotiations_used == 1
    wang = _loans(demo_services, "80000003")[0]
    assert wang.status == LoanStatus.BROKEN and wang.negotiations_used == 1
    liu = _loans(demo_services, "80000004")[0]
    assert liu.status == LoanStatus.OVERDUE and liu.days_past_due >= 90
    chen = _loans(demo_services, "80000005")
    assert [loan.status for loan in chen] == [LoanStatus.CURRENT]
    assert chen[0].overdue_total == 0 and chen[0].next_due_date is not None


def test_a_customer_sees_only_their_own_loans(demo_services) -> None:
    numbers = {loan.loan_no for loan in _loans(demo_services, "80000001")}
    others = {loan.loan_no for n in PINS if n != "80000001" for loan in _loans(demo_services, n)}
    assert numbers and not numbers & others


def test_loading_the_demo_twice_adds_nothing(demo_services) -> None:
    assert demo_services.load_demo() == 0
    assert demo_services.database_state().customers == len(DEMO_CUSTOMERS)


def test_demo_data_is_never_loaded_into_a_database_with_real_customers(services, clock) -> None:
    from wsnego_tui.core.pins import hash_pin

    with write_session(services.engine) as s:
        s.add(Customer(customer_no="10000001", name="Real", pin_hash=hash_pin("123456"), created_at=clock.now()))
    with pytest.raises(DemoRefused):
        services.load_demo()
    assert services.database_state() .customers == 1


# -- paying -----------------------------------------------------------------------------------


def test_a_payment_goes_to_the_oldest_overdue_installment_penalty_first(demo_services) -> None:
    loan = _loans(demo_services, "80000001")[0]
    receipt = demo_services.pay(loan.loan_id, Decimal("100.00"), "k-1", actor="test")
    assert receipt.to_penalty == Decimal("100.00") and receipt.to_interest == 0
    big = demo_services.pay(loan.loan_id, loan.overdue_total - Decimal("100.00"), "k-2", actor="test")
    assert big.to_principal == loan.overdue_principal
    after = _loans(demo_services, "80000001")[0]
    assert after.overdue_total == 0 and after.days_past_due == 0
    assert after.status == LoanStatus.CURRENT
    assert after.outstanding_principal == loan.outstanding_principal - loan.overdue_principal


def test_the_same_payment_submitted_twice_pays_once(demo_services) -> None:
    loan = _loans(demo_services, "80000004")[0]
    first = demo_services.pay(loan.loan_id, Decimal("500.00"), "double-press", actor="test")
    second = demo_services.pay(loan.loan_id, Decimal("500.00"), "double-press", actor="test")
    assert second.receipt_no == first.receipt_no and second.replayed and not first.replayed
    with read_session(demo_services.engine) as s:
        assert len(s.exec(select(Payment).where(Payment.idempotency_key == "double-press")).all()) == 1


def test_paying_more_than_is_owed_is_refused_and_changes_nothing(demo_services) -> None:
    loan = _loans(demo_services, "80000005")[0]
    with pytest.raises(ServiceError) as refused:
        demo_services.pay(loan.loan_id, Decimal("999999.00"), "too-much", actor="test")
    assert refused.value.code == "overpayment"
    assert _loans(demo_services, "80000005")[0] == loan


def test_paying_everything_closes_the_loan(demo_services, clock) -> None:
    loan = _loans(demo_services, "80000001")[1]
    with read_session(demo_services.engine) as s:
        rows = s.exec(select(Installment).join(Installment.schedule_version_id == Installment.schedule_version_id)).all() if False else None  # noqa: E501
    from wsnego_tui.store.queries import active_version, installments_of, state_of
    from wsnego_tui.core.ledger import position
    from wsnego_tui.core.schedule import Rate

    with read_session(demo_services.engine) as s:
        version = active_version(s, loan.loan_id)
        rows = installments_of(s, version.id)
        payoff = position([state_of(r) for r in rows], Rate.annual(version.annual_rate), dt.date(2026, 11, 28), Decimal("1.5")).payoff_amount
    demo_services.pay(loan.loan_id, payoff, "payoff", actor="test")
    closed = _loans(demo_services, "80000001")[1]
    assert closed.status == LoanStatus.CLOSED and closed.outstanding_principal == 0
    with read_session(demo_services.engine) as s:
        assert s.get(Loan, loan.loan_id).status == "closed"
    with pytest.raises(ServiceError):
        demo_services.pay(loan.loan_id, Decimal("1.00"), "after-close", actor="test")


# -- loan detail ------------------------------------------------------------------------------


def test_loan_detail_shows_the_active_plan_first_and_marks_every_row(demo_services) -> None:
    from wsnego_tui.core.views import InstallmentStatus as S

    customer = _customer_id(demo_services, "80000002")
    loan = demo_services.loans_of(customer)[0]
    detail = demo_services.loan_detail(customer, loan.loan_id)
    active, original = detail.plans
    assert (active.origin, active.status, original.origin, original.status) == ("first", "active", "original", "closed")
    assert [i.status for i in active.installments[:6]] == [S.PAID, S.PAID, S.PAID, S.OVERDUE, S.DUE, S.UPCOMING]
    assert {i.status for i in original.installments} == {S.PAID, S.REPLACED}
    assert [(h.kind, h.status) for h in detail.history] == [("first", "plan_active")]
    overdue = [i for i in active.installments if i.status == S.OVERDUE]
    assert sum(i.amount_due for i in overdue) == loan.overdue_total
    assert detail.payoff_amount == sum(i.amount_due for i in active.installments)


def test_a_customer_cannot_open_another_customers_loan(demo_services) -> None:
    someone_else = demo_services.loans_of(_customer_id(demo_services, "80000001"))[0]
    with pytest.raises(ServiceError) as refused:
        demo_services.loan_detail(_customer_id(demo_services, "80000005"), someone_else.loan_id)
    assert refused.value.code == "no_loan"


def test_the_payment_preview_matches_what_the_payment_then_does(demo_services) -> None:
    customer = _customer_id(demo_services, "80000001")
    loan = demo_services.loans_of(customer)[0]
    options = demo_services.payment_options(customer, loan.loan_id)
    assert options.overdue_total == loan.overdue_total
    assert options.next_installment == loan.overdue_total + loan.next_due_amount
    preview = demo_services.payment_preview(customer, loan.loan_id, Decimal("5000.00"))
    assert [line.period for line in preview.lines] == [6, 7]  # the oldest overdue first
    receipt = demo_services.pay(loan.loan_id, Decimal("5000.00"), "as-previewed", actor="test")
    assert (receipt.to_penalty, receipt.to_interest, receipt.to_principal) == (
        preview.to_penalty, preview.to_interest, preview.to_principal,
    )
    with pytest.raises(ServiceError) as refused:
        demo_services.payment_preview(customer, loan.loan_id, options.payoff_amount + Decimal("1.00"))
    assert refused.value.code == "overpayment"
