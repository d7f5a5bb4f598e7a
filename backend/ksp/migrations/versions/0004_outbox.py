"""outbox: a generic ref (seq optional), the block a row was included in

Revision ID: 0004_outbox
Revises: 0003_anchors_replaced
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0004_outbox'
down_revision = '0003_anchors_replaced'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('chain_outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('ref', sa.String(length=80), nullable=True))
        batch_op.add_column(sa.Column('block_number', sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column('block_hash', sa.String(length=66), nullable=True))
    # Every row so far mirrors a ledger posting: its ref is its seq.
    op.execute("UPDATE chain_outbox SET ref = 'seq:' || CAST(seq AS VARCHAR(20))")
    with op.batch_alter_table('chain_outbox', schema=None) as batch_op:
        batch_op.alter_column('ref', existing_type=sa.String(length=80), nullable=False)
        batch_op.alter_column('seq', existing_type=sa.BigInteger(), nullable=True)
        batch_op.create_index(batch_op.f('ix_chain_outbox_ref'), ['ref'], unique=False)


def downgrade() -> None:
    op.execute("DELETE FROM chain_outbox WHERE seq IS NULL")
    op.execute("UPDATE chain_outbox SET status = 'CONFIRMED' WHERE status = 'INCLUDED'")
    with op.batch_alter_table('chain_outbox', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_chain_outbox_ref'))
        batch_op.alter_column('seq', existing_type=sa.BigInteger(), nullable=False)
        batch_op.drop_column('block_hash')
        batch_op.drop_column('block_number')
        batch_op.drop_column('ref')
