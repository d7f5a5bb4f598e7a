"""Alembic environment: runs on the connection handed in by ksp.core.schema.migrate."""

from __future__ import annotations

from alembic import context

from ksp.core.db import Base
from ksp.core.schema import import_models

import_models()
connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
