"""a lost key replaced by the board: maker-checker proposals

Revision ID: 0007_lostkey
Revises: 0006_dates
Create Date: 2026-11-27 12:30:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0007_lostkey'
down_revision = '0006_dates'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('member_key_replacements',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('member_number', sa.BigInteger(), nullable=False),
    sa.Column('old_address', sa.String(length=42), nullable=False),
    sa.Column('new_address', sa.String(length=42), nullable=False),
    sa.Column('reason', sa.String(length=200), nullable=False),
    sa.Column('proposed_by', sa.String(length=64), nullable=False),
    sa.Column('proposed_role', sa.String(length=16), nullable=False),
    sa.Column('proposed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('approved_by', sa.String(length=64), nullable=True),
    sa.Column('approved_role', sa.String(length=16), nullable=True),
    sa.Column('approved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('seq', sa.BigInteger(), nullable=True),
    sa.ForeignKeyConstraint(['seq'], ['log_entries.seq'],
                            name=op.f('fk_member_key_replacements_seq_log_entries')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_member_key_replacements')),
    sa.UniqueConstraint('seq', name=op.f('uq_member_key_replacements_seq'))
    )
    op.create_index(op.f('ix_member_key_replacements_member_number'),
                    'member_key_replacements', ['member_number'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_member_key_replacements_member_number'),
                  table_name='member_key_replacements')
    op.drop_table('member_key_replacements')
