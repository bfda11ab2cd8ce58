"""The store on SQLite (and PostgreSQL when WSNEGO_TEST_PG_URL is set): exact amounts, refused
bad rows, migrations from empty, and the append-only audit chain."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings as hsettings, strategies as st
from sqlalchemy.exc import DBAPIError, IntegrityError, StatementError
from sqlmodel import select

from wsnego_tui.core.money import from_fen
from wsnego_tui.store import audit, migrate
from wsnego_tui.store.engine import read_session, write_session
from wsnego_tui.store.models import AuditEntry, Customer, Loan, Payment

NOW = dt.datetime(2026, 11, 28, 1, 30, tzinfo=dt.timezone.utc)


def _payment(loan_id: int, amount: str, key: str, **parts: str) -> Payment:
    split = {"to_penalty": "0", "to_interest": "0", "to_principal": amount} | parts
    return Payment(
        loan_id=loan_id,
        amount=Decimal(amount),
        paid_at=NOW,
        idempotency_key=key,
        receipt_no=key,
        **{k: Decimal(v) for k, v in split.items()},
    )


@pytest.fixture
def loan_id(demo_services) -> int:
    with read_session(demo_services.engine) as s:
        return s.exec(select(Loan.id).order_by(Loan.id)).first()


@hsettings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(fen=st.integers(min_value=1, max_value=10**15))
def test_amounts_round_trip_exactly_to_the_fen(demo_services, loan_id, fen) -> None:
    """SQLite's NUMERIC would pass 9,007,199,254,740.993 through a double; BIGINT fen keeps it."""
    amount = from_fen(fen)
    key = f"rt-{fen}"
    with write_session(demo_services.engine) as s:
        s.add(_payment(loan_id, str(amount), key))
    with read_session(demo_services.engine) as s:
        stored = s.exec(select(Payment).where(Payment.idempotency_key == key)).one()
        raw = s.execute(sa.text("SELECT amount FROM payment WHERE idempotency_key = :k"), {"k": key}).scalar_one()
    assert stored.amount == amount
    assert raw == fen


def test_a_sub_fen_amount_is_refused_not_rounded(demo_services, loan_id) -> None:
    with pytest.raises(StatementError, match="fen|decimal"):
        with write_session(demo_services.engine) as s:
            s.add(_payment(loan_id, "10.005", "subfen"))
    with read_session(demo_services.engine) as s:
        assert s.exec(select(Payment).where(Payment.idempotency_key == "subfen")).first() is None


def test_a_float_amount_is_refused(demo_services, loan_id) -> None:
    with pytest.raises(StatementError, match="Decimal"):
        with write_session(demo_services.engine) as s:
            p = _payment(loan_id, "10.00", "float")
            p.amount = 10.0  # type: ignore[assignment]
            s.add(p)


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE payment SET amount = -100 WHERE id = (SELECT MIN(id) FROM payment)",
        "UPDATE payment SET to_principal = to_principal + 1 WHERE id = (SELECT MIN(id) FROM payment)",
        "UPDATE loan SET status = 'forgiven' WHERE id = (SELECT MIN(id) FROM loan)",
        "UPDATE installment SET paid_principal = principal + 1 WHERE id = (SELECT MIN(id) FROM installment)",
        "UPDATE installment SET interest = interest + 1 WHERE id = (SELECT MIN(id) FROM installment)",
        "UPDATE customer SET customer_no = '123' WHERE id = (SELECT MIN(id) FROM customer)",
        "UPDATE loan SET customer_id = 9999 WHERE id = (SELECT MIN(id) FROM loan)",
    ],
    ids=[
        "negative amount",
        "allocation not adding up",
        "unknown loan status",
        "installment overpaid",
        "payment not interest plus principal",
        "malformed customer number",
        "dangling foreign key",
    ],
)
def test_the_database_itself_refuses_rows_that_break_the_rules(demo_services, statement) -> None:
    with pytest.raises((IntegrityError, DBAPIError)):
        with write_session(demo_services.engine) as s:
            s.execute(sa.text(statement))


def test_the_same_idempotency_key_cannot_be_stored_twice(demo_services, loan_id) -> None:
    with write_session(demo_services.engine) as s:
        s.add(_payment(loan_id, "1.00", "twice"))
    with pytest.raises(IntegrityError):
        with write_session(demo_services.engine) as s:
            s.add(_payment(loan_id, "1.00", "twice"))


def test_migrations_build_the_schema_the_models_describe(services) -> None:
    """Autogenerate against the migrated database finds nothing to do: the migration and the
    SQLModel tables agree (types, nullability, indexes)."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext
    from sqlmodel import SQLModel

    with services.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), SQLModel.metadata)
    assert diff == []
    assert migrate.is_current(services.engine)


def test_migrations_run_down_to_empty_and_up_again(services) -> None:
    migrate.downgrade(services.engine, "base")
    assert sa.inspect(services.engine).get_table_names() in ([], ["alembic_version"])
    migrate.upgrade(services.engine)
    assert {"customer", "loan", "installment", "audit_log"} <= set(sa.inspect(services.engine).get_table_names())


def _append(services, n: int) -> None:
    with write_session(services.engine) as s:
        for i in range(n):
            audit.append(s, at=NOW, actor="test", action="note", subject=f"s{i}", detail={"amount": Decimal("1.50")})


def test_the_audit_log_refuses_updates_and_deletes(services) -> None:
    _append(services, 2)
    for statement in ("UPDATE audit_log SET actor = 'mallory'", "DELETE FROM audit_log"):
        with pytest.raises(DBAPIError, match="append-only"):
            with write_session(services.engine) as s:
                s.execute(sa.text(statement))
    with read_session(services.engine) as s:
        assert len(s.exec(select(AuditEntry).where(AuditEntry.action == "note")).all()) == 2


def test_the_audit_chain_detects_an_altered_and_a_removed_entry(services) -> None:
    _append(services, 4)
    with read_session(services.engine) as s:
        entries = list(s.exec(select(AuditEntry).order_by(AuditEntry.id)).all())
    assert audit.verify(entries) == []
    altered = [e.model_copy() for e in entries]
    altered[1].detail = '{"amount":"1000.00"}'
    assert [b.entry_id for b in audit.verify(altered)] == [entries[1].id]
    removed = entries[:2] + entries[3:]
    assert [b.entry_id for b in audit.verify(removed)] == [entries[3].id]


def test_an_outdated_postgresql_schema_is_refused_with_the_upgrade_instruction(pg_url, settings, clock) -> None:
    from dataclasses import replace

    from tests.conftest import _reset_pg
    from wsnego_tui.services import SchemaOutdated, Services

    _reset_pg(pg_url)
    svc = Services(replace(settings, db_url=pg_url), clock)
    try:
        with pytest.raises(SchemaOutdated, match="wsnego-tui db upgrade"):
            svc.prepare()
        svc.upgrade_schema()
        assert svc.prepare().empty
    finally:
        svc.close()


def test_the_embedded_sqlite_database_is_created_and_upgraded_on_start(settings, clock) -> None:
    from wsnego_tui.services import Services

    svc = Services(settings, clock)
    try:
        assert svc.prepare().empty
        assert settings.paths.default_db_file.exists()
        with svc.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 5000
    finally:
        svc.close()


def test_customers_are_stored_with_a_salted_pin_hash_only(demo_services) -> None:
    with read_session(demo_services.engine) as s:
        hashes = [c.pin_hash for c in s.exec(select(Customer)).all()]
    assert all(h.startswith("scrypt$") for h in hashes)
    assert not any("111111" in h for h in hashes)
    assert len({h.split("$")[4] for h in hashes}) == len(hashes)  # every salt differs
