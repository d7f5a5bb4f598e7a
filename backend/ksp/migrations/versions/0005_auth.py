"""auth: session epochs, login throttling, wallet challenges deleted when used

Revision ID: 0005_auth
Revises: 0004_outbox
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_auth"
down_revision = "0004_outbox"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("staff_users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("session_epoch", sa.Integer(), server_default="0",
                                      nullable=False))
    op.create_table(
        "login_throttle",
        sa.Column("key", sa.String(length=120), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("window_started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_login_throttle")),
    )
    # Open challenges only: used ones are deleted, expired ones swept on the next issue.
    op.execute("DELETE FROM wallet_challenges WHERE used_at IS NOT NULL")
    with op.batch_alter_table("wallet_challenges", schema=None) as batch_op:
        batch_op.drop_column("used_at")
        batch_op.create_index(batch_op.f("ix_wallet_challenges_expires_at"), ["expires_at"],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table("wallet_challenges", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_wallet_challenges_expires_at"))
        batch_op.add_column(sa.Column("used_at", sa.DateTime(timezone=True), nullable=True))
    op.drop_table("login_throttle")
    with op.batch_alter_table("staff_users", schema=None) as batch_op:
        batch_op.drop_column("session_epoch")
