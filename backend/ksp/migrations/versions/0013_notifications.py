"""notifications: the outbox of messages to members (rendered text; no addresses)

Revision ID: 0013_notifications
Revises: 0012_loans
Create Date: 2026-11-27 18:30:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0013_notifications'
down_revision = '0012_loans'
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table('notifications',
    sa.Column('id', BIG_ID, nullable=False),
    sa.Column('member_number', sa.BigInteger(), nullable=True),
    sa.Column('channel', sa.Enum('SMS', 'WHATSAPP', 'EMAIL', name='channel',
                                 native_enum=False, length=16), nullable=False),
    sa.Column('template', sa.String(length=64), nullable=False),
    sa.Column('dedupe_key', sa.String(length=200), nullable=False),
    sa.Column('subject', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('status', sa.Enum('PENDING', 'SENDING', 'SENT', 'FAILED',
                                name='notificationstatus', native_enum=False, length=16),
              nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.String(length=500), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notifications')),
    sa.UniqueConstraint('dedupe_key', name=op.f('uq_notifications_dedupe_key'))
    )
    op.create_index('ix_notifications_due', 'notifications', ['status', 'next_attempt_at'],
                    unique=False)
    op.create_index(op.f('ix_notifications_member_number'), 'notifications',
                    ['member_number'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_notifications_member_number'), table_name='notifications')
    op.drop_index('ix_notifications_due', table_name='notifications')
    op.drop_table('notifications')
