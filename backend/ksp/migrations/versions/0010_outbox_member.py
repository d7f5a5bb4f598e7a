"""chain outbox rows name their member, so a member's chain backlog is one indexed lookup

Revision ID: 0010_outbox_member
Revises: 0009_link_requests
Create Date: 2026-11-27 14:50:00
"""
from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op

revision = '0010_outbox_member'
down_revision = '0009_link_requests'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('chain_outbox') as batch:
        batch.add_column(sa.Column('member_number', sa.BigInteger(), nullable=True))
        batch.create_index(batch.f('ix_chain_outbox_member_number'), ['member_number'])
    outbox = sa.table('chain_outbox', sa.column('id', sa.BigInteger()),
                      sa.column('payload', sa.Text()),
                      sa.column('member_number', sa.BigInteger()))
    connection = op.get_bind()
    for row_id, payload in connection.execute(sa.select(outbox.c.id, outbox.c.payload)):
        member = json.loads(payload).get('member')
        if member is not None:
            connection.execute(outbox.update().where(outbox.c.id == row_id)
                               .values(member_number=int(member)))


def downgrade() -> None:
    with op.batch_alter_table('chain_outbox') as batch:
        batch.drop_index(batch.f('ix_chain_outbox_member_number'))
        batch.drop_column('member_number')
