"""reopening closed periods: maker-checker requests

Revision ID: 0006_dates
Revises: 0005_auth
Create Date: 2026-11-27 11:20:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0006_dates'
down_revision = '0005_auth'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('period_reopen_requests',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('through', sa.Date(), nullable=True),
    sa.Column('closed_through', sa.Date(), nullable=False),
    sa.Column('reason', sa.String(length=200), nullable=False),
    sa.Column('requested_by', sa.String(length=64), nullable=False),
    sa.Column('requested_role', sa.String(length=16), nullable=False),
    sa.Column('requested_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('approved_by', sa.String(length=64), nullable=True),
    sa.Column('approved_role', sa.String(length=16), nullable=True),
    sa.Column('approved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('seq', sa.BigInteger(), nullable=True),
    sa.ForeignKeyConstraint(['seq'], ['log_entries.seq'],
                            name=op.f('fk_period_reopen_requests_seq_log_entries')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_period_reopen_requests')),
    sa.UniqueConstraint('seq', name=op.f('uq_period_reopen_requests_seq'))
    )


def downgrade() -> None:
    op.drop_table('period_reopen_requests')
