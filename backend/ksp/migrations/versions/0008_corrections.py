"""corrections: maker-checker reversal proposals

Revision ID: 0008_corrections
Revises: 0007_lostkey
Create Date: 2026-11-27 12:30:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0008_corrections'
down_revision = '0007_lostkey'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('correction_requests',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('entry_seq', sa.BigInteger(), nullable=False),
    sa.Column('reason', sa.String(length=200), nullable=False),
    sa.Column('status', sa.Enum('MENUNGGU', 'DISETUJUI', 'DITOLAK', name='correctionstatus',
                                native_enum=False, length=16), nullable=False),
    sa.Column('proposed_by', sa.String(length=64), nullable=False),
    sa.Column('proposed_role', sa.String(length=16), nullable=False),
    sa.Column('proposed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('proposal_seq', sa.BigInteger(), nullable=False),
    sa.Column('decided_by', sa.String(length=64), nullable=True),
    sa.Column('decided_role', sa.String(length=16), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decision_reason', sa.String(length=200), nullable=True),
    sa.Column('decision_seq', sa.BigInteger(), nullable=True),
    sa.ForeignKeyConstraint(['entry_seq'], ['log_entries.seq'],
                            name=op.f('fk_correction_requests_entry_seq_log_entries')),
    sa.ForeignKeyConstraint(['proposal_seq'], ['log_entries.seq'],
                            name=op.f('fk_correction_requests_proposal_seq_log_entries')),
    sa.ForeignKeyConstraint(['decision_seq'], ['log_entries.seq'],
                            name=op.f('fk_correction_requests_decision_seq_log_entries')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_correction_requests')),
    sa.UniqueConstraint('proposal_seq', name=op.f('uq_correction_requests_proposal_seq')),
    sa.UniqueConstraint('decision_seq', name=op.f('uq_correction_requests_decision_seq'))
    )
    op.create_index(op.f('ix_correction_requests_entry_seq'), 'correction_requests',
                    ['entry_seq'], unique=False)
    op.create_index(op.f('ix_correction_requests_status'), 'correction_requests', ['status'],
                    unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_correction_requests_status'), table_name='correction_requests')
    op.drop_index(op.f('ix_correction_requests_entry_seq'), table_name='correction_requests')
    op.drop_table('correction_requests')
