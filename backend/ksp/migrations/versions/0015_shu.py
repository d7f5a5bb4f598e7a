"""shu: closed fiscal years (proposal, distribution) and each member's SHU line

Revision ID: 0015_shu
Revises: 0014_rat
Create Date: 2026-11-27 19:00:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0015_shu'
down_revision = '0014_rat'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('shu_years',
    sa.Column('fiscal_year', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('since', sa.Date(), nullable=False),
    sa.Column('through', sa.Date(), nullable=False),
    sa.Column('shu', sa.BigInteger(), nullable=False),
    sa.Column('closing_seq', sa.BigInteger(), nullable=False),
    sa.Column('proposed_by', sa.String(length=64), nullable=True),
    sa.Column('figures', sa.Text(), nullable=True),
    sa.Column('figures_hash', sa.String(length=66), nullable=True),
    sa.Column('proposal_seq', sa.BigInteger(), nullable=True),
    sa.Column('distributed_by', sa.String(length=64), nullable=True),
    sa.Column('distribution_seq', sa.BigInteger(), nullable=True),
    sa.ForeignKeyConstraint(['closing_seq'], ['log_entries.seq'],
                            name=op.f('fk_shu_years_closing_seq_log_entries')),
    sa.ForeignKeyConstraint(['proposal_seq'], ['log_entries.seq'],
                            name=op.f('fk_shu_years_proposal_seq_log_entries')),
    sa.ForeignKeyConstraint(['distribution_seq'], ['log_entries.seq'],
                            name=op.f('fk_shu_years_distribution_seq_log_entries')),
    sa.PrimaryKeyConstraint('fiscal_year', name=op.f('pk_shu_years')),
    sa.UniqueConstraint('closing_seq', name=op.f('uq_shu_years_closing_seq')),
    sa.UniqueConstraint('proposal_seq', name=op.f('uq_shu_years_proposal_seq')),
    sa.UniqueConstraint('distribution_seq', name=op.f('uq_shu_years_distribution_seq'))
    )
    op.create_table('shu_member_lines',
    sa.Column('fiscal_year', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('member_number', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('settlement', sa.String(length=16), nullable=False),
    sa.Column('seq', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['seq'], ['log_entries.seq'],
                            name=op.f('fk_shu_member_lines_seq_log_entries')),
    sa.PrimaryKeyConstraint('fiscal_year', 'member_number', name=op.f('pk_shu_member_lines')),
    sa.UniqueConstraint('seq', name=op.f('uq_shu_member_lines_seq'))
    )


def downgrade() -> None:
    op.drop_table('shu_member_lines')
    op.drop_table('shu_years')
