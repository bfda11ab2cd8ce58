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
