"""Engines and transactions for SQLite (embedded default) and PostgreSQL (shared, by URL).

SQLite: WAL, a busy timeout, foreign keys on, and every write transaction opened with
`BEGIN IMMEDIATE` so that two processes never both read a balance and then both write it (the
default deferred transaction loses one of the updates, or fails with "database is locked" when
it tries to upgrade its lock). PostgreSQL: psycopg 3; writes lock the rows they change with
SELECT ... FOR UPDATE (see the services).

No engine is created at import time. No textual, no rich.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import Session

SQLITE_BUSY_TIMEOUT_MS = 30_000


def normalise_url(url: str) -> str:
    """`postgresql://` and `postgres://` mean psycopg 3 here."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def create_db_engine(url: str) -> Engine:
    from sqlalchemy import create_engine

    url = normalise_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url,
            connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000, "check_same_thread": False},
        )
        _configure_sqlite(engine)
        return engine
    if parsed.get_backend_name() == "postgresql":
        return create_engine(url, pool_pre_ping=True)
    raise ValueError(f"unsupported database: {parsed.get_backend_name()} (use sqlite or postgresql)")


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
        # Let SQLAlchemy's "begin" event below issue BEGIN itself (pysqlite's own handling
        # would start a deferred transaction late, after the first write statement).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection) -> None:  # type: ignore[no-untyped-def]
        if connection.get_execution_options().get("wsnego_write"):
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            connection.exec_driver_sql("BEGIN")


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


@contextmanager
def write_session(engine: Engine) -> Iterator[Session]:
    """A transaction that will write: on SQLite it takes the write lock up front (BEGIN
    IMMEDIATE). Commits on success, rolls back on any error."""
    from sqlmodel import Session as SQLModelSession

    bound = engine.execution_options(wsnego_write=True)
    with SQLModelSession(bound, expire_on_commit=False) as session:
        with session.begin():
            yield session


def serialize_on(session: Session, name: str) -> None:
    """Make writers that check-then-insert under the same `name` take turns until the end of
    the transaction. PostgreSQL's read-committed transactions run side by side, so two could
    both see "not there yet" and insert twice: a transaction-scoped advisory lock keyed on the
    name makes the second wait and then see the first one's row. SQLite needs nothing: a write
    transaction (BEGIN IMMEDIATE) already holds the database's single write lock."""
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy import text

        session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:name))"), {"name": name})


@contextmanager
def read_session(engine: Engine) -> Iterator[Session]:
    """A read-only transaction (a consistent snapshot on both databases)."""
    from sqlmodel import Session as SQLModelSession

    with SQLModelSession(engine, expire_on_commit=False) as session:
        with session.begin():
            yield session
