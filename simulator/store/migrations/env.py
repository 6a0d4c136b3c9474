"""Alembic environment: runs on the connection `simulator.store.migrate` hands over (never its own engine).

SQLite goes through batch mode (`render_as_batch`): it cannot ALTER most things in place.
"""

from __future__ import annotations

from alembic import context

from simulator.store.tables import metadata

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
