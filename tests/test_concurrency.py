"""Several processes paying into one loan at the same time end with exactly the right balance.

The case behind it: with SQLite's default deferred transactions, two processes can both read
an installment's paid amount and both write their own sum, so one payment vanishes; or the
second fails with "database is locked" when it tries to upgrade its read lock. Write
transactions therefore begin with BEGIN IMMEDIATE (and lock rows FOR UPDATE on PostgreSQL).
"""

from __future__ import annotations

import multiprocessing
from collections import Counter
from decimal import Decimal

from sqlmodel import func, select

from wsnego_tui.store.engine import read_session
from wsnego_tui.store.models import Installment, Payment

PROCESSES = 4
PAYMENTS_EACH = 25
AMOUNT = Decimal("3.17")


def _pay_many(settings, now, loan_id: int, worker: int, errors) -> None:  # type: ignore[no-untyped-def]
    from wsnego_tui.core.clock import FixedClock
    from wsnego_tui.services import Services

    svc = Services(settings, FixedClock(now))
    try:
        for i in range(PAYMENTS_EACH):
            svc.pay(loan_id, AMOUNT, f"w{worker}-p{i}", actor=f"worker-{worker}")
    except Exception as exc:  # reported to the parent, which fails the test
        errors.put(f"{type(exc).__name__}: {exc}")
    finally:
        svc.close()


def _paid_total(svc, loan_id: int) -> Decimal:
    from wsnego_tui.store.queries import active_version

    with read_session(svc.engine) as s:
        version = active_version(s, loan_id)
        rows = s.exec(select(Installment).where(Installment.schedule_version_id == version.id)).all()
        return sum((r.paid_penalty + r.paid_interest + r.paid_principal for r in rows), Decimal(0))


def test_concurrent_payments_from_several_processes_all_count(demo_services, clock) -> None:
    loan = demo_services.loans_of(demo_services.login("80000004", "444444").customer.id)[0]
    before = _paid_total(demo_services, loan.loan_id)
    ctx = multiprocessing.get_context("spawn")
    errors = ctx.Queue()
    workers = [
        ctx.Process(target=_pay_many, args=(demo_services.settings, clock.now(), loan.loan_id, w, errors))
        for w in range(PROCESSES)
    ]
    for p in workers:
        p.start()
    for p in workers:
        p.join(timeout=120)
    failures = []
    while not errors.empty():
        failures.append(errors.get())
    assert failures == []
    assert all(p.exitcode == 0 for p in workers)
    expected = AMOUNT * PROCESSES * PAYMENTS_EACH
    assert _paid_total(demo_services, loan.loan_id) - before == expected
    with read_session(demo_services.engine) as s:
        count = s.exec(select(func.count()).select_from(Payment).where(Payment.idempotency_key.startswith("w"))).one()  # type: ignore[attr-defined]
    assert count == PROCESSES * PAYMENTS_EACH


def test_two_sessions_writing_the_same_reminder_at_once_write_it_once_without_an_error(demo_services, clock) -> None:
    """Two readers of one customer's inbox (two kiosks, or two app processes) can both find the
    same reminder missing. The second must wait for the first and then see its row: on
    PostgreSQL, without the advisory lock, it would insert too and fail on the unique key,
    and the customer's screen with it."""
    import threading

    from wsnego_tui.store.engine import write_session
    from wsnego_tui.store.models import Notification
    from wsnego_tui.store.review_flow import notify

    customer = demo_services.login("80000002", "222222").customer.id
    key, outcome = "installment_due:test", []

    def second() -> None:
        try:
            with write_session(demo_services.engine) as s:
                notify(s, customer, "installment_due", clock.now(), dedupe_key=key)
            outcome.append("ok")
        except Exception as exc:  # reported below
            outcome.append(f"{type(exc).__name__}: {exc}")

    with write_session(demo_services.engine) as s:
        notify(s, customer, "installment_due", clock.now(), dedupe_key=key)
        other = threading.Thread(target=second)
        other.start()
        other.join(timeout=1.0)
        assert other.is_alive()  # waiting for the first transaction, not writing beside it
    other.join(timeout=30)
    assert outcome == ["ok"]
    with read_session(demo_services.engine) as s:
        assert s.exec(select(func.count()).select_from(Notification).where(Notification.dedupe_key == key)).one() == 1


class _SlowCheck:
    """A PIN check for a wrong PIN that takes its time inside the log-in's transaction: long
    enough for every other log-in to read the customer's row meanwhile, unless the row is
    locked (FOR UPDATE)."""

    def __init__(self, pin: str) -> None:
        self.pin = pin

    def is_for(self, pin: str) -> bool:
        return pin == self.pin

    def matches(self, stored: str) -> bool:
        import time

        time.sleep(0.2)
        return False


def test_wrong_pins_at_the_same_moment_all_count_towards_the_lock_out(demo_services) -> None:
    """Five kiosks try a wrong PIN for one customer at once: all five count, so the customer is
    locked (on PostgreSQL each log-in locks the row before reading its counter)."""
    import threading

    from wsnego_tui.core.views import LoginOutcome
    from wsnego_tui.services.api import MAX_LOGIN_FAILURES

    start = threading.Barrier(MAX_LOGIN_FAILURES)
    outcomes: list[LoginOutcome] = []

    def attempt() -> None:
        start.wait()
        outcomes.append(demo_services.login("80000003", "000000", _SlowCheck("000000")).outcome)  # type: ignore[arg-type]

    threads = [threading.Thread(target=attempt) for _ in range(MAX_LOGIN_FAILURES)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert Counter(outcomes) == {LoginOutcome.REJECTED: MAX_LOGIN_FAILURES - 1, LoginOutcome.LOCKED: 1}
    assert demo_services.login("80000003", "333333").outcome == LoginOutcome.LOCKED


def test_a_payment_and_an_agreement_at_the_same_moment_never_lose_the_payment(
    demo_services, tmp_path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    """The borrower pays at one kiosk while accepting an offer at another. Whichever commits
    first, the other sees it: the agreement after the payment is refused (the offers were
    worked out before it), or the payment after the agreement goes to the new plan. Neither
    waits for the other forever (both take the application before the loan)."""
    import dataclasses
    import threading
    import time

    from wsnego_tui.core.lifecycle import ApplicationKind
    from wsnego_tui.core.proofs import ProofKind
    from wsnego_tui.services import ServiceError
    from wsnego_tui.store import review_flow as rf
    from wsnego_tui.store.models import ScheduleVersion
    from app_factory import FIRST_FORM

    svc = demo_services
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    svc.settings = dataclasses.replace(svc.settings, extra={"proof_folders": [str(inbox)]})
    customer = svc.login("80000001", "111111").customer.id
    loan = svc.loans_of(customer)[0]
    draft = svc.start_application(customer, loan.loan_id, ApplicationKind.FIRST)
    draft = svc.save_application_form(customer, draft.id, FIRST_FORM, version=draft.version)
    (inbox / "hardship.pdf").write_bytes(b"%PDF-1.4\n%hardship\n")
    draft = svc.attach_proof(customer, draft.id, ProofKind.HARDSHIP, inbox / "hardship.pdf")
    app = svc.submit_application(customer, draft.id, version=draft.version, idempotency_key="race")
    _, offers = svc.offers(customer, app.id)
    check = svc.customer_pin_check(customer, "111111")

    # each side holds its transaction a moment once it has its first lock, so they overlap
    accept, lock = rf.accept, rf.lock_open_applications
    monkeypatch.setattr(rf, "accept", lambda *a, **k: (time.sleep(0.2), accept(*a, **k))[1])
    monkeypatch.setattr(rf, "lock_open_applications", lambda *a, **k: (lock(*a, **k), time.sleep(0.2))[0])
    start = threading.Barrier(2)
    results: dict[str, object] = {}

    def pay() -> None:
        start.wait()
        try:
            results["pay"] = svc.pay(loan.loan_id, Decimal("1000.00"), "race-pay", actor="test")
        except Exception as exc:  # noqa: BLE001 - reported below
            results["pay"] = exc

    def agree() -> None:
        start.wait()
        try:
            results["accept"] = svc.accept_offer(customer, app.id, offers[0].id, pin="111111", last4="0001", check=check)
        except Exception as exc:  # noqa: BLE001 - reported below
            results["accept"] = exc

    threads = [threading.Thread(target=pay), threading.Thread(target=agree)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not isinstance(results["pay"], Exception), results["pay"]  # a payment is always taken
    with read_session(svc.engine) as s:
        versions = s.exec(select(ScheduleVersion).where(ScheduleVersion.loan_id == loan.loan_id)
                          .order_by(ScheduleVersion.seq)).all()
        paid_on = {v.seq: sum((r.paid_penalty + r.paid_interest + r.paid_principal
                               for r in s.exec(select(Installment).where(Installment.schedule_version_id == v.id)).all()),
                              Decimal(0)) for v in versions}
    if isinstance(results["accept"], Exception):
        assert isinstance(results["accept"], ServiceError), results["accept"]
        assert results["accept"].code in ("no_offer", "not_offered", "offer_stale")
        assert [v.status for v in versions] == ["active"]
    else:
        # the agreement came first: the new plan is built on the old balance, and the payment
        # that followed is on the new plan
        assert [v.status for v in versions] == ["closed", "active"]
        assert paid_on[versions[-1].seq] == Decimal("1000.00")
