"""Schema migrations (Alembic, batch mode on SQLite), driven from code rather than alembic.ini.

The embedded SQLite database is upgraded on start; a PostgreSQL database is upgraded only by
`wsnego-tui db upgrade`, and the app refuses to start on an outdated one. No textual, no rich.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import Connection, Engine

MIGRATIONS = Path(__file__).with_name("migrations")


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


def is_current(engine: Engine) -> bool:
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
