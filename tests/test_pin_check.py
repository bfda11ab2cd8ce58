"""A PIN is checked before the transaction that acts on the answer (core.pins.PinCheck), so a
log-in or a confirmation never holds the database's write lock for scrypt's time, and the
answer still follows the hash the transaction sees."""

from __future__ import annotations

import dataclasses
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url
from sqlmodel import select
from app_factory import record_scrypt_runs
from test_review_flow import FIRST_FORM, _submit

from wsnego_tui.core import pins
from wsnego_tui.core.lifecycle import ApplicationKind as K
from wsnego_tui.core.pins import UNKNOWN_CUSTOMER_HASH, PinCheck, hash_pin
from wsnego_tui.core.proofs import ProofKind
from wsnego_tui.core.views import LoginOutcome
from wsnego_tui.services import ServiceError, Services
from wsnego_tui.services.officer import OfficerServices
from wsnego_tui.store.engine import read_session, write_session
from wsnego_tui.store.models import AuditEntry, Customer

ONE = hash_pin("111111", salt=b"\x01" * 16)
TWO = hash_pin("222222", salt=b"\x02" * 16)


@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The hashes scrypt was run against, in order."""
    return record_scrypt_runs(monkeypatch, lambda pin, stored: stored)


def test_the_answer_is_reused_while_the_hash_is_unchanged(counted: list[str]) -> None:
    check = PinCheck("111111", ONE)
    assert check.matches(ONE) is True
    assert counted == [ONE]


def test_a_hash_changed_meanwhile_is_checked_again(counted: list[str]) -> None:
    check = PinCheck("222222", ONE)
    assert check.matches(TWO) is True
    assert PinCheck("111111", UNKNOWN_CUSTOMER_HASH).matches(ONE) is True  # the row appeared meanwhile
    assert PinCheck("111111", ONE).matches(TWO) is False
    assert counted == [ONE, TWO, UNKNOWN_CUSTOMER_HASH, ONE, ONE, TWO]


def test_a_malformed_pin_never_matches_and_costs_no_scrypt(counted: list[str]) -> None:
    for pin in ("11111", "1111111", "１１１１１１", "11111a", ""):
        assert PinCheck(pin, ONE).matches(TWO) is False
    assert counted == []


def _write_lock_free(db_url: str) -> bool:
    """Whether another process could start writing to the SQLite file now."""
    connection = sqlite3.connect(make_url(db_url).database or "", timeout=0.2, isolation_level=None)
    try:
        connection.execute("BEGIN IMMEDIATE")
        connection.execute("ROLLBACK")
        return True
    except sqlite3.OperationalError:  # database is locked
        return False
    finally:
        connection.close()


@pytest.fixture
def lock_seen_by_scrypt(monkeypatch: pytest.MonkeyPatch, sqlite_demo_services: Services) -> list[bool]:
    """For every scrypt run: whether the database's write lock was free meanwhile."""
    seen: list[bool] = []
    real = pins.verify_pin

    def verify(pin: str, stored: str) -> bool:
        seen.append(_write_lock_free(sqlite_demo_services.settings.db_url))
        return real(pin, stored)

    monkeypatch.setattr(pins, "verify_pin", verify)
    return seen


def test_a_customer_log_in_runs_scrypt_without_the_write_lock(sqlite_demo_services: Services, lock_seen_by_scrypt: list[bool]) -> None:
    assert sqlite_demo_services.login("80000001", "000000").outcome == LoginOutcome.REJECTED
    assert sqlite_demo_services.login("89999999", "000000").outcome == LoginOutcome.REJECTED
    assert sqlite_demo_services.login("80000001", "111111").outcome == LoginOutcome.OK
    assert lock_seen_by_scrypt == [True, True, True]


def test_an_officer_log_in_runs_scrypt_without_the_write_lock(sqlite_demo_services: Services, lock_seen_by_scrypt: list[bool]) -> None:
    officers = OfficerServices(sqlite_demo_services)
    assert officers.login("O0002", "900002").outcome == LoginOutcome.OK
    assert officers.login("O0002", "000000").outcome == LoginOutcome.REJECTED
    assert lock_seen_by_scrypt == [True, True]


def test_a_pin_changed_during_the_check_is_judged_by_the_new_one(
    sqlite_demo_services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another session changes the PIN while this log-in runs scrypt on the old hash: the
    log-in is judged by the PIN in force when it writes its outcome."""
    real = pins.verify_pin
    changed: list[bool] = []

    def verify(pin: str, stored: str) -> bool:
        if not changed:
            changed.append(True)
            with write_session(sqlite_demo_services.engine) as s:
                customer = s.exec(select(Customer).where(Customer.customer_no == "80000001")).one()
                customer.pin_hash = hash_pin("654321")
                s.add(customer)
        return real(pin, stored)

    monkeypatch.setattr(pins, "verify_pin", verify)
    assert sqlite_demo_services.login("80000001", "654321").outcome == LoginOutcome.OK
    assert sqlite_demo_services.login("80000001", "111111").outcome == LoginOutcome.REJECTED


def _offered(svc: Services, tmp_path: Path):  # type: ignore[no-untyped-def]
    """80000001 logged in, a first negotiation submitted and reviewed: (customer id, the
    application, its offers)."""
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    svc.settings = dataclasses.replace(svc.settings, extra={"proof_folders": [str(inbox)]})
    svc.inbox_dir = inbox  # type: ignore[attr-defined]
    customer = svc.login("80000001", "111111").customer.id
    application = _submit(svc, customer, svc.loans_of(customer)[0].loan_id, K.FIRST, FIRST_FORM, [ProofKind.HARDSHIP])
    _, offers = svc.offers(customer, application.id)
    return customer, application, offers


def test_the_agreement_runs_scrypt_without_the_write_lock(
    sqlite_demo_services: Services, tmp_path: Path, lock_seen_by_scrypt: list[bool]
) -> None:
    svc = sqlite_demo_services
    customer, application, offers = _offered(svc, tmp_path)
    lock_seen_by_scrypt.clear()  # the log-in's check above
    done = svc.accept_offer(customer, application.id, offers[0].id, pin="111111", last4="0001")
    assert done.status == "plan_active"
    assert lock_seen_by_scrypt == [True]


def _login_state(services: Services, customer_no: str) -> tuple[int, object, int]:
    """(failed log-ins, locked until, audit entries about log-ins) of one customer."""
    with read_session(services.engine) as s:
        customer = s.exec(select(Customer).where(Customer.customer_no == customer_no)).one()
        entries = s.exec(select(AuditEntry).where(AuditEntry.action.startswith("login"))).all()  # type: ignore[attr-defined]
        return customer.failed_logins, customer.locked_until, len(entries)


def test_an_early_check_answers_nothing_and_counts_no_attempt(sqlite_demo_services: Services) -> None:
    """What a log-in form computes before Enter: six wrong PINs checked early lock nothing and
    leave no trace; only `login` counts."""
    before = _login_state(sqlite_demo_services, "80000003")
    for _ in range(6):
        sqlite_demo_services.pin_check("80000003", "000000")
    assert _login_state(sqlite_demo_services, "80000003") == before
    assert sqlite_demo_services.login("80000003", "333333").outcome == LoginOutcome.OK


def test_a_log_in_with_its_early_check_runs_no_second_scrypt(sqlite_demo_services: Services, counted: list[str]) -> None:
    for number, pin, outcome in (("80000001", "111111", LoginOutcome.OK), ("80000001", "000000", LoginOutcome.REJECTED),
                                 ("89999999", "111111", LoginOutcome.REJECTED)):
        counted.clear()
        check = sqlite_demo_services.pin_check(number, pin)
        assert sqlite_demo_services.login(number, pin, check).outcome == outcome
        assert len(counted) == 1, (number, pin)
    assert _login_state(sqlite_demo_services, "80000001")[0] == 1  # the wrong PIN counted once, at log-in


def test_an_early_check_of_another_pin_or_number_is_not_trusted(sqlite_demo_services: Services, counted: list[str]) -> None:
    svc = sqlite_demo_services
    # Checked early with a wrong PIN, then the right one was typed: the log-in checks again.
    assert svc.login("80000001", "111111", svc.pin_check("80000001", "999999")).outcome == LoginOutcome.OK
    # Checked early with the right PIN, then a wrong one: rejected, and counted.
    assert svc.login("80000001", "999999", svc.pin_check("80000001", "111111")).outcome == LoginOutcome.REJECTED
    assert _login_state(svc, "80000001")[0] == 1
    # A check made against another customer's hash opens nothing here.
    assert svc.login("80000002", "111111", svc.pin_check("80000001", "111111")).outcome == LoginOutcome.REJECTED
    # ... and a check against an unknown number does not stand for a real one.
    assert svc.login("80000001", "111111", svc.pin_check("89999999", "111111")).outcome == LoginOutcome.OK
    assert len(counted) == 8  # every early check, and a fresh one for each mismatch


def test_an_officer_log_in_takes_its_early_check_too(sqlite_demo_services: Services, counted: list[str]) -> None:
    officers = OfficerServices(sqlite_demo_services)
    check = officers.pin_check("O0002", "900002")
    assert officers.login("O0002", "900002", check).outcome == LoginOutcome.OK
    assert len(counted) == 1
    assert officers.login("O0002", "900002", officers.pin_check("O0002", "000000")).outcome == LoginOutcome.OK
    assert len(counted) == 3


def test_the_agreement_takes_its_early_check_and_trusts_none_made_for_another_pin(
    sqlite_demo_services: Services, tmp_path: Path, counted: list[str]
) -> None:
    svc = sqlite_demo_services
    customer, application, offers = _offered(svc, tmp_path)
    counted.clear()
    wrong = svc.customer_pin_check(customer, "000000")
    with pytest.raises(ServiceError) as refused:
        svc.accept_offer(customer, application.id, offers[0].id, pin="000000", last4="0001", check=wrong)
    assert refused.value.code == "pin" and len(counted) == 1
    assert _login_state(svc, "80000001")[0] == 1  # counted by the agreement, not by the early check
    # A check of the wrong PIN does not stand for the right one: checked again, accepted.
    done = svc.accept_offer(customer, application.id, offers[0].id, pin="111111", last4="0001", check=wrong)
    assert done.status == "plan_active" and len(counted) == 2
