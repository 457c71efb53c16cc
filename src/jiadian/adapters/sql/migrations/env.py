"""Alembic environment. Run through `jiadian.adapters.sql.migrate`, which hands over a connection."""

from __future__ import annotations

from alembic import context

from jiadian.adapters.sql.tables import metadata

config = context.config
connection = config.attributes.get("connection")
if connection is None:  # pragma: no cover - the shop always passes its own connection
    raise RuntimeError("run migrations through `jiadian db upgrade`")

context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
