"""The schema check every app start makes (store.migrate.is_current) answers without
importing Alembic, and agrees with Alembic."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from sqlalchemy import create_engine

from wsnego_tui.config import Settings
from wsnego_tui.store import migrate


def test_the_head_read_from_the_version_files_is_alembics_head() -> None:
    assert migrate.quick_head_revision() == migrate.head_revision()


def test_an_empty_database_is_not_current_and_an_upgraded_one_is(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'db.sqlite3'}")
    assert migrate.is_current(engine) is False
    migrate.upgrade(engine)
    assert migrate.is_current(engine) is True
    migrate.downgrade(engine, "0001")
    assert migrate.is_current(engine) is False
    engine.dispose()


def test_starting_on_a_current_database_never_imports_alembic(sqlite_demo_services, settings: Settings) -> None:
    """Alembic costs each kiosk session about 12 MB; a current schema does not need it."""
    code = (
        "import sys; from wsnego_tui.config import load_settings; from wsnego_tui.services import Services;"
        f"s = Services(load_settings(home={str(settings.paths.config_dir.parent)!r})); s.prepare(); s.close();"
        "print('alembic' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
