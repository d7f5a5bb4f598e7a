"""payroll: deduction file imports, the deposits each line made, the lines refused

Revision ID: 0011_payroll
Revises: 0010_outbox_member
Create Date: 2026-11-27 14:30:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0011_payroll'
down_revision = '0010_outbox_member'
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table('payroll_imports',
    sa.Column('id', BIG_ID, nullable=False),
    sa.Column('file_sha256', sa.String(length=64), nullable=False),
    sa.Column('file_name', sa.String(length=200), nullable=True),
    sa.Column('period', sa.String(length=7), nullable=False),
    sa.Column('posting_date', sa.Date(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('lines', sa.Integer(), nullable=False),
    sa.Column('posted_lines', sa.Integer(), nullable=False),
    sa.Column('postings', sa.Integer(), nullable=False),
    sa.Column('posted_amount', sa.BigInteger(), nullable=False),
    sa.Column('already_imported', sa.Integer(), nullable=False),
    sa.Column('rejected', sa.Integer(), nullable=False),
    sa.Column('unknown_columns', sa.Text(), nullable=False),
    sa.Column('actor', sa.String(length=120), nullable=False),
    sa.Column('role', sa.String(length=32), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payroll_imports'))
    )
    op.create_index(op.f('ix_payroll_imports_file_sha256'), 'payroll_imports',
                    ['file_sha256'], unique=False)
    op.create_table('payroll_lines',
    sa.Column('id', BIG_ID, nullable=False),
    sa.Column('file_sha256', sa.String(length=64), nullable=False),
    sa.Column('line_no', sa.Integer(), nullable=False),
    sa.Column('jenis', sa.String(length=16), nullable=False),
    sa.Column('period', sa.String(length=7), nullable=False),
    sa.Column('member_number', sa.BigInteger(), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('seq', sa.BigInteger(), nullable=False),
    sa.Column('import_id', BIG_ID, nullable=False),
    sa.ForeignKeyConstraint(['import_id'], ['payroll_imports.id'],
                            name=op.f('fk_payroll_lines_import_id_payroll_imports')),
    sa.ForeignKeyConstraint(['seq'], ['log_entries.seq'],
                            name=op.f('fk_payroll_lines_seq_log_entries')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payroll_lines')),
    sa.UniqueConstraint('file_sha256', 'period', 'line_no', 'jenis',
                        name=op.f('uq_payroll_lines_file_sha256')),
    sa.UniqueConstraint('seq', name=op.f('uq_payroll_lines_seq'))
    )
    op.create_index(op.f('ix_payroll_lines_import_id'), 'payroll_lines', ['import_id'],
                    unique=False)
    op.create_index('ix_payroll_lines_period_member', 'payroll_lines',
                    ['period', 'member_number'], unique=False)
    op.create_table('payroll_rejects',
    sa.Column('id', BIG_ID, nullable=False),
    sa.Column('import_id', BIG_ID, nullable=False),
    sa.Column('line_no', sa.Integer(), nullable=False),
    sa.Column('member_given', sa.String(length=40), nullable=False),
    sa.Column('code', sa.String(length=64), nullable=False),
    sa.Column('reason_id', sa.String(length=400), nullable=False),
    sa.Column('reason_en', sa.String(length=400), nullable=False),
    sa.ForeignKeyConstraint(['import_id'], ['payroll_imports.id'],
                            name=op.f('fk_payroll_rejects_import_id_payroll_imports')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payroll_rejects'))
    )
    op.create_index(op.f('ix_payroll_rejects_import_id'), 'payroll_rejects', ['import_id'],
                    unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_payroll_rejects_import_id'), table_name='payroll_rejects')
    op.drop_table('payroll_rejects')
    op.drop_index('ix_payroll_lines_period_member', table_name='payroll_lines')
    op.drop_index(op.f('ix_payroll_lines_import_id'), table_name='payroll_lines')
    op.drop_table('payroll_lines')
    op.drop_index(op.f('ix_payroll_imports_file_sha256'), table_name='payroll_imports')
    op.drop_table('payroll_imports')
