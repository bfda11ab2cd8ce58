"""Schema migrations (Alembic, batch mode on SQLite), driven from code rather than alembic.ini.

The embedded SQLite database is upgraded on start; a PostgreSQL database is upgraded only by
`wsnego-tui db upgrade`, and the app refuses to start on an outdated one. No textual, no rich.

`is_current` (asked by every app start) reads the head from the version files and the
database's `alembic_version` row without importing Alembic, which would cost every kiosk
session about 12 MB and 50 modules; Alembic decides whenever that quick reading is unsure.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

from sqlalchemy.engine import Connection, Engine

MIGRATIONS = Path(__file__).with_name("migrations")
_REVISION_LINE = re.compile(r"^(revision|down_revision)\s*(?::[^=\n]*)?=\s*(.+?)\s*$", re.MULTILINE)


def _config(connection: Connection | None = None):  # type: ignore[no-untyped-def]
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(_config()).get_current_head()
    assert head is not None
    return head


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def quick_head_revision() -> str | None:
    """The head revision from the `revision = "..."` / `down_revision = ...` lines of the
    version files, or None when they cannot be read that simply (then ask Alembic)."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in (MIGRATIONS / "versions").glob("*.py"):
        found = dict(match.groups() for match in _REVISION_LINE.finditer(path.read_text(encoding="utf-8")))
        try:
            revision = ast.literal_eval(found["revision"])
            down = ast.literal_eval(found.get("down_revision", "None"))
        except (KeyError, ValueError, SyntaxError):
            return None
        if not isinstance(revision, str):
            return None
        revisions.add(revision)
        if isinstance(down, str):
            parents.add(down)
        elif isinstance(down, (tuple, list)) and all(isinstance(d, str) for d in down):
            parents.update(down)
        elif down is not None:
            return None
    heads = revisions - parents
    return heads.pop() if len(heads) == 1 else None


def _quick_current_revision(engine: Engine) -> tuple[bool, str | None]:
    """(sure, revision) from the alembic_version table, read with plain SQL."""
    from sqlalchemy import inspect, text

    with engine.connect() as connection:
        if not inspect(connection).has_table("alembic_version"):
            return True, None
        rows = connection.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
    return (True, rows[0]) if len(rows) == 1 else (False, None)


def is_current(engine: Engine) -> bool:
    head = quick_head_revision()
    if head is not None:
        try:
            sure, current = _quick_current_revision(engine)
        except Exception:
            sure, current = False, None
        if sure:
            return current == head
    return current_revision(engine) == head_revision()


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the schema up to `revision` in one transaction (on SQLite, under the write lock,
    so two processes starting at once do not both migrate)."""
    from alembic import command

    with engine.execution_options(wsnego_write=True).begin() as connection:
        command.upgrade(_config(connection), revision)


def downgrade(engine: Engine, revision: str) -> None:
    from alembic import command

    with engine.execution_options(wsnego_write=True).begin() as connection:
        command.downgrade(_config(connection), revision)
