"""anchors: a vanished anchor is kept as `replaced`; one live row per size and per number

Revision ID: 0002_anchors_replaced
Revises: 0002_outbox
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0002_anchors_replaced'
down_revision = '0002_outbox'
branch_labels = None
depends_on = None

_GONE = sa.text("status NOT IN ('replaced', 'superseded')")


def upgrade() -> None:
    # Rows that share an anchor number (left by a rollback): all but the newest lose it;
    # the anchor job's repair puts the right number back from the chain's events.
    op.execute(
        "UPDATE anchors SET anchor_index = NULL, status = 'replaced' WHERE anchor_index IS "
        "NOT NULL AND id NOT IN (SELECT MAX(id) FROM anchors WHERE anchor_index IS NOT NULL "
        "GROUP BY chain_id, registry_address, anchor_index)"
    )
    with op.batch_alter_table('anchors', schema=None) as batch_op:
        batch_op.drop_constraint('uq_anchors_chain_id', type_='unique')
        batch_op.create_index('uq_anchors_live_size',
                              ['chain_id', 'registry_address', 'tree_size'], unique=True,
                              sqlite_where=_GONE, postgresql_where=_GONE)
        batch_op.create_index('uq_anchors_index',
                              ['chain_id', 'registry_address', 'anchor_index'], unique=True)


def downgrade() -> None:
    with op.batch_alter_table('anchors', schema=None) as batch_op:
        batch_op.drop_index('uq_anchors_index')
        batch_op.drop_index('uq_anchors_live_size')
        batch_op.create_unique_constraint('uq_anchors_chain_id',
                                          ['chain_id', 'registry_address', 'tree_size'])
