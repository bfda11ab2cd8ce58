"""Alembic environment: runs on the connection the app hands in (see store.migrate)."""

from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

from wsnego_tui.store import models  # noqa: F401  (registers the tables)

config = context.config
connection = config.attributes.get("connection")
if connection is None:  # `alembic` run by hand: build an engine from the URL option
    from wsnego_tui.store.engine import create_db_engine

    connection = create_db_engine(config.get_main_option("sqlalchemy.url")).connect()

context.configure(
    connection=connection,
    target_metadata=SQLModel.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
