"""Shared fixtures: every test gets its own home folder (config, SQLite database, proofs) and a
fixed clock, so nothing touches the real user folders and results never depend on the date."""

from __future__ import annotations

import datetime as dt
import os

import pytest

from wsnego_tui.config import Settings, load_settings
from wsnego_tui.core.clock import CHINA_TZ, FixedClock

# The business date every test runs on: Saturday 28 November 2026, 09:30 in Beijing.
FIXED_NOW = dt.datetime(2026, 11, 28, 9, 30, tzinfo=CHINA_TZ)


@pytest.fixture(autouse=True)
def _isolated_environment(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test reads the developer's own config or database."""
    monkeypatch.setenv("WSNEGO_HOME", str(tmp_path_factory.mktemp("home")))
    for name in ("WSNEGO_DB_URL", "WSNEGO_LANG"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(FIXED_NOW)


@pytest.fixture
def settings(tmp_path) -> Settings:
    return load_settings(home=tmp_path / "home")


@pytest.fixture
def pg_url() -> str:
    url = os.environ.get("WSNEGO_TEST_PG_URL")
    if not url:
        pytest.skip("WSNEGO_TEST_PG_URL is not set")
    return url


def _reset_pg(url: str) -> None:
    """An empty public schema, so each PostgreSQL test starts from nothing."""
    import sqlalchemy as sa

    from wsnego_tui.store.engine import create_db_engine

    engine = create_db_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(sa.text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_settings(request: pytest.FixtureRequest, settings: Settings) -> Settings:
    """The embedded SQLite database, and PostgreSQL when WSNEGO_TEST_PG_URL is set."""
    if request.param == "sqlite":
        return settings
    url = os.environ.get("WSNEGO_TEST_PG_URL")
    if not url:
        pytest.skip("WSNEGO_TEST_PG_URL is not set")
    _reset_pg(url)
    from dataclasses import replace

    return replace(settings, db_url=url)


@pytest.fixture
def services(db_settings: Settings, clock: FixedClock):
    """Services on a migrated, empty database."""
    from wsnego_tui.services import Services

    svc = Services(db_settings, clock)
    svc.prepare() if db_settings.is_embedded_sqlite else svc.upgrade_schema()
    yield svc
    svc.close()


@pytest.fixture
def demo_services(services):
    """Services on a database holding the demo data."""
    services.load_demo()
    return services


@pytest.fixture
def sqlite_demo_services(settings: Settings, clock: FixedClock):  # type: ignore[no-untyped-def]
    """Services on the embedded SQLite database with the demo data (for the app's own tests,
    which run the UI over it)."""
    from wsnego_tui.services import Services

    services = Services(settings, clock)
    services.prepare()
    services.load_demo()
    yield services
    services.close()


@pytest.fixture
def scrypt_runs(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The PINs scrypt was run for (in whichever thread), in order."""
    from app_factory import record_scrypt_runs

    return record_scrypt_runs(monkeypatch, lambda pin, stored: pin)
