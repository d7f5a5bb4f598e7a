"""loans: products (versioned), loans, decisions, collateral, guarantors, repayments, denda
accruals; the related-party flag on members

Revision ID: 0012_loans
Revises: 0011_payroll
Create Date: 2026-11-27 18:00:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0012_loans'
down_revision = '0011_payroll'
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    with op.batch_alter_table('members') as batch:
        batch.add_column(sa.Column('related_party', sa.String(length=16), nullable=True))
    op.create_table('loan_products',
    sa.Column('id', BIG_ID, nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('effective_date', sa.Date(), nullable=False),
    sa.Column('rules', sa.Text(), nullable=False),
    sa.Column('seq', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['seq'], ['log_entries.seq'],
                            name=op.f('fk_loan_products_seq_log_entries')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_loan_products')),
    sa.UniqueConstraint('code', 'version', name=op.f('uq_loan_products_code')),
    sa.UniqueConstraint('seq', name=op.f('uq_loan_products_seq'))
    )
    op.create_index(op.f('ix_loan_products_code'), 'loan_products', ['code'], unique=False)
    op.create_table('loans',
    sa.Column('id', BIG_ID, nullable=False),
    sa.Column('member_number', sa.BigInteger(), nullable=False),
    sa.Column('product_code', sa.String(length=32), nullable=False),
    sa.Column('product_version', sa.Integer(), nullable=False),
    sa.Column('principal', sa.BigInteger(), nullable=False),
    sa.Column('rate_bps', sa.Integer(), nullable=False),
    sa.Column('method', sa.String(length=16), nullable=False),
    sa.Column('tenor_months', sa.Integer(), nullable=False),
    sa.Column('admin_fee', sa.BigInteger(), nullable=False),
    sa.Column('purpose', sa.String(length=200), nullable=False),
    sa.Column('declared_income', sa.BigInteger(), nullable=True),
    sa.Column('related_party', sa.Boolean(), nullable=False),
    sa.Column('status', sa.Enum('DIAJUKAN', 'DIUSULKAN', 'DITOLAK', 'DISETUJUI', 'DITERIMA',
                                'AKTIF', 'LUNAS', 'MACET', 'DIHAPUSBUKUKAN', 'DIBATALKAN',
                                'DIRESTRUKTURISASI', name='loanstatus', native_enum=False,
                                length=20), nullable=False),
    sa.Column('applied_on', sa.Date(), nullable=False),
    sa.Column('applied_by', sa.String(length=64), nullable=False),
    sa.Column('first_due_date', sa.Date(), nullable=True),
    sa.Column('terms_hash', sa.String(length=66), nullable=True),
    sa.Column('terms_json', sa.Text(), nullable=True),
    sa.Column('accepted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('disbursed_on', sa.Date(), nullable=True),
    sa.Column('closed_on', sa.Date(), nullable=True),
    sa.Column('restructured_from', BIG_ID, nullable=True),
    sa.Column('days_past_due', sa.Integer(), nullable=False),
    sa.Column('kolektibilitas', sa.String(length=16), nullable=False),
    sa.Column('closed_through', sa.Date(), nullable=True),
    sa.Column('written_off', sa.BigInteger(), nullable=False),
    sa.Column('recovered', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['restructured_from'], ['loans.id'],
                            name=op.f('fk_loans_restructured_from_loans')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_loans'))
    )
    op.create_index(op.f('ix_loans_member_number'), 'loans', ['member_number'], unique=False)
    op.create_index(op.f('ix_loans_status'), 'loans', ['status'], unique=False)
    op.create_table('loan_decisions',
    sa.Column('id', BIG_ID, nullable=False),
    sa.Column('loan_id', BIG_ID, nullable=False),
    sa.Column('action', sa.String(length=32), nullable=False),
    sa.Column('actor', sa.String(length=64), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('note', sa.String(length=500), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('seq', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['loan_id'], ['loans.id'],
                            name=op.f('fk_loan_decisions_loan_id_loans')),
    sa.ForeignKeyConstraint(['seq'], ['log_entries.seq'],
                            name=op.f('fk_loan_decisions_seq_log_entries')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_loan_decisions')),
    sa.UniqueConstraint('seq', name=op.f('uq_loan_decisions_seq'))
    )
    op.create_index(op.f('ix_loan_decisions_loan_id'), 'loan_decisions', ['loan_id'],
                    unique=False)
    op.create_table('loan_collateral',
    sa.Column('id', BIG_ID, nullable=False),
    sa.Column('loan_id', BIG_ID, nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('document_number', sa.String(length=80), nullable=False),
    sa.Column('appraised_value', sa.BigInteger(), nullable=False),
    sa.Column('released_on', sa.Date(), nullable=True),
    sa.ForeignKeyConstraint(['loan_id'], ['loans.id'],
                            name=op.f('fk_loan_collateral_loan_id_loans')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_loan_collateral'))
    )
    op.create_index(op.f('ix_loan_collateral_loan_id'), 'loan_collateral', ['loan_id'],
                    unique=False)
    op.create_table('loan_guarantors',
    sa.Column('id', BIG_ID, nullable=False),
    sa.Column('loan_id', BIG_ID, nullable=False),
    sa.Column('member_number', sa.BigInteger(), nullable=False),
    sa.Column('consent_signature', sa.String(length=200), nullable=True),
    sa.Column('consented_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('released_on', sa.Date(), nullable=True),
    sa.ForeignKeyConstraint(['loan_id'], ['loans.id'],
                            name=op.f('fk_loan_guarantors_loan_id_loans')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_loan_guarantors')),
    sa.UniqueConstraint('loan_id', 'member_number', name=op.f('uq_loan_guarantors_loan_id'))
    )
    op.create_index(op.f('ix_loan_guarantors_loan_id'), 'loan_guarantors', ['loan_id'],
                    unique=False)
    op.create_index(op.f('ix_loan_guarantors_member_number'), 'loan_guarantors',
                    ['member_number'], unique=False)
    op.create_table('loan_repayments',
    sa.Column('id', BIG_ID, nullable=False),
    sa.Column('loan_id', BIG_ID, nullable=False),
    sa.Column('seq', sa.BigInteger(), nullable=False),
    sa.Column('paid_on', sa.Date(), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('denda', sa.BigInteger(), nullable=False),
    sa.Column('jasa', sa.BigInteger(), nullable=False),
    sa.Column('pokok', sa.BigInteger(), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.ForeignKeyConstraint(['loan_id'], ['loans.id'],
                            name=op.f('fk_loan_repayments_loan_id_loans')),
    sa.ForeignKeyConstraint(['seq'], ['log_entries.seq'],
                            name=op.f('fk_loan_repayments_seq_log_entries')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_loan_repayments')),
    sa.UniqueConstraint('seq', name=op.f('uq_loan_repayments_seq'))
    )
    op.create_index(op.f('ix_loan_repayments_loan_id'), 'loan_repayments', ['loan_id'],
                    unique=False)
    op.create_table('loan_denda_accruals',
    sa.Column('id', BIG_ID, nullable=False),
    sa.Column('loan_id', BIG_ID, nullable=False),
    sa.Column('accrued_on', sa.Date(), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['loan_id'], ['loans.id'],
                            name=op.f('fk_loan_denda_accruals_loan_id_loans')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_loan_denda_accruals')),
    sa.UniqueConstraint('loan_id', 'accrued_on', name=op.f('uq_loan_denda_accruals_loan_id'))
    )
    op.create_index(op.f('ix_loan_denda_accruals_loan_id'), 'loan_denda_accruals',
                    ['loan_id'], unique=False)


def downgrade() -> None:
    for table in ('loan_denda_accruals', 'loan_repayments', 'loan_guarantors',
                  'loan_collateral', 'loan_decisions', 'loans', 'loan_products'):
        op.drop_table(table)
    with op.batch_alter_table('members') as batch:
        batch.drop_column('related_party')
