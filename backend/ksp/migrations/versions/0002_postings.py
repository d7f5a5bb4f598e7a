"""postings: PostgreSQL refuses an unbalanced journal entry at commit

Revision ID: 0002_postings
Revises: 0001
"""
from __future__ import annotations

from alembic import op

from ksp.core.schema import balanced_entry_ddl

revision = "0002_postings"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    for statement in balanced_entry_ddl(op.get_bind().dialect.name):
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in ("journal_entries", "journal_lines"):
            op.execute(f"DROP TRIGGER IF EXISTS {table}_balanced ON {table}")
        op.execute("DROP FUNCTION IF EXISTS ksp_check_entry_balanced()")
