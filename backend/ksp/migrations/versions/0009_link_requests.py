"""wallet link requests: a member's signed link proof waiting at the counter under a code

Revision ID: 0009_link_requests
Revises: 0008_corrections
Create Date: 2026-11-27 14:00:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0009_link_requests'
down_revision = '0008_corrections'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('wallet_link_requests',
    sa.Column('code', sa.String(length=8), nullable=False),
    sa.Column('nonce', sa.String(length=64), nullable=False),
    sa.Column('address', sa.String(length=42), nullable=False),
    sa.Column('member_number', sa.BigInteger(), nullable=False),
    sa.Column('message', sa.String(length=1000), nullable=False),
    sa.Column('signature', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_wallet_link_requests')),
    sa.UniqueConstraint('nonce', name=op.f('uq_wallet_link_requests_nonce'))
    )
    op.create_index(op.f('ix_wallet_link_requests_expires_at'), 'wallet_link_requests',
                    ['expires_at'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_wallet_link_requests_expires_at'),
                  table_name='wallet_link_requests')
    op.drop_table('wallet_link_requests')
