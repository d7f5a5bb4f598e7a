"""rat: meetings, agenda with content hashes, attendance, in-person counts, proxies,
online ballots, results and elected officers (docs/RAT.md)

Revision ID: 0014_rat
Revises: 0013_notifications
Create Date: 2026-11-27 18:30:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0014_rat'
down_revision = '0013_notifications'
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table('rat_meetings',
    sa.Column('id', BIG_ID, nullable=False),
    sa.Column('kind', sa.Enum('ANNUAL', 'EXTRAORDINARY', name='meetingkind', native_enum=False, length=16), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('held_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('record_date', sa.Date(), nullable=False),
    sa.Column('voting_start', sa.DateTime(timezone=True), nullable=False),
    sa.Column('voting_end', sa.DateTime(timezone=True), nullable=False),
    sa.Column('place', sa.String(length=200), nullable=False),
    sa.Column('online_link', sa.String(length=300), nullable=True),
    sa.Column('status', sa.Enum('DRAFT', 'ANNOUNCED', 'FINALIZING', 'DECIDED', name='meetingstatus', native_enum=False, length=16), nullable=False),
    sa.Column('agenda_hash', sa.String(length=66), nullable=True),
    sa.Column('created_by', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('seq', sa.BigInteger(), nullable=False),
    sa.Column('announced_seq', sa.BigInteger(), nullable=True),
    sa.Column('finalize_seq', sa.BigInteger(), nullable=True),
    sa.ForeignKeyConstraint(['announced_seq'], ['log_entries.seq'], name=op.f('fk_rat_meetings_announced_seq_log_entries')),
    sa.ForeignKeyConstraint(['finalize_seq'], ['log_entries.seq'], name=op.f('fk_rat_meetings_finalize_seq_log_entries')),
    sa.ForeignKeyConstraint(['seq'], ['log_entries.seq'], name=op.f('fk_rat_meetings_seq_log_entries')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rat_meetings')),
    sa.UniqueConstraint('announced_seq', name=op.f('uq_rat_meetings_announced_seq')),
    sa.UniqueConstraint('finalize_seq', name=op.f('uq_rat_meetings_finalize_seq')),
    sa.UniqueConstraint('seq', name=op.f('uq_rat_meetings_seq'))
    )
    op.create_index(op.f('ix_rat_meetings_status'), 'rat_meetings', ['status'], unique=False)
    op.create_table('rat_attendance',
    sa.Column('id', BIG_ID, nullable=False),
    sa.Column('meeting_id', BIG_ID, nullable=False),
    sa.Column('member_number', sa.BigInteger(), nullable=False),
    sa.Column('how', sa.Enum('IN_PERSON', 'QR', name='attendancehow', native_enum=False, length=16), nullable=False),
    sa.Column('recorded_by', sa.String(length=64), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('seq', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['meeting_id'], ['rat_meetings.id'], name=op.f('fk_rat_attendance_meeting_id_rat_meetings')),
    sa.ForeignKeyConstraint(['seq'], ['log_entries.seq'], name=op.f('fk_rat_attendance_seq_log_entries')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rat_attendance')),
    sa.UniqueConstraint('meeting_id', 'member_number', name=op.f('uq_rat_attendance_meeting_id')),
    sa.UniqueConstraint('seq', name=op.f('uq_rat_attendance_seq'))
    )
    op.create_index(op.f('ix_rat_attendance_meeting_id'), 'rat_attendance', ['meeting_id'], unique=False)
    op.create_table('rat_items',
    sa.Column('id', BIG_ID, nullable=False),
    sa.Column('meeting_id', BIG_ID, nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('LPJ', 'SHU', 'ELECTION', 'ADART_AMENDMENT', 'MOTION', name='itemkind', native_enum=False, length=16), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('figures', sa.Text(), nullable=True),
    sa.Column('office', sa.Enum('PENGURUS', 'PENGAWAS', name='office', native_enum=False, length=16), nullable=True),
    sa.Column('seats', sa.Integer(), nullable=True),
    sa.Column('candidates', sa.Text(), nullable=True),
    sa.Column('threshold_bps', sa.Integer(), nullable=True),
    sa.Column('content_hash', sa.String(length=66), nullable=False),
    sa.Column('seq', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['meeting_id'], ['rat_meetings.id'], name=op.f('fk_rat_items_meeting_id_rat_meetings')),
    sa.ForeignKeyConstraint(['seq'], ['log_entries.seq'], name=op.f('fk_rat_items_seq_log_entries')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rat_items')),
    sa.UniqueConstraint('meeting_id', 'position', name=op.f('uq_rat_items_meeting_id')),
    sa.UniqueConstraint('seq', name=op.f('uq_rat_items_seq'))
    )
    op.create_index(op.f('ix_rat_items_meeting_id'), 'rat_items', ['meeting_id'], unique=False)
    op.create_table('rat_officers',
    sa.Column('id', BIG_ID, nullable=False),
    sa.Column('meeting_id', BIG_ID, nullable=False),
    sa.Column('member_number', sa.BigInteger(), nullable=False),
    sa.Column('role', sa.Enum('PENGURUS', 'PENGAWAS', name='office', native_enum=False, length=16), nullable=False),
    sa.Column('term_from', sa.Date(), nullable=False),
    sa.Column('term_to', sa.Date(), nullable=False),
    sa.Column('seq', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['meeting_id'], ['rat_meetings.id'], name=op.f('fk_rat_officers_meeting_id_rat_meetings')),
    sa.ForeignKeyConstraint(['seq'], ['log_entries.seq'], name=op.f('fk_rat_officers_seq_log_entries')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rat_officers'))
    )
    op.create_index(op.f('ix_rat_officers_meeting_id'), 'rat_officers', ['meeting_id'], unique=False)
    op.create_index(op.f('ix_rat_officers_member_number'), 'rat_officers', ['member_number'], unique=False)
    op.create_table('rat_proxies',
    sa.Column('id', BIG_ID, nullable=False),
    sa.Column('meeting_id', BIG_ID, nullable=False),
    sa.Column('principal_number', sa.BigInteger(), nullable=False),
    sa.Column('proxy_number', sa.BigInteger(), nullable=False),
    sa.Column('proxy_address', sa.String(length=42), nullable=False),
    sa.Column('appointment_signature', sa.String(length=200), nullable=False),
    sa.Column('appointed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('acceptance_signature', sa.String(length=200), nullable=True),
    sa.Column('accepted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revocation_signature', sa.String(length=200), nullable=True),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('used', sa.Boolean(), nullable=False),
    sa.Column('seq', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['meeting_id'], ['rat_meetings.id'], name=op.f('fk_rat_proxies_meeting_id_rat_meetings')),
    sa.ForeignKeyConstraint(['seq'], ['log_entries.seq'], name=op.f('fk_rat_proxies_seq_log_entries')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rat_proxies')),
    sa.UniqueConstraint('seq', name=op.f('uq_rat_proxies_seq'))
    )
    op.create_index(op.f('ix_rat_proxies_meeting_id'), 'rat_proxies', ['meeting_id'], unique=False)
    op.create_index(op.f('ix_rat_proxies_principal_number'), 'rat_proxies', ['principal_number'], unique=False)
    op.create_index(op.f('ix_rat_proxies_proxy_number'), 'rat_proxies', ['proxy_number'], unique=False)
    op.create_table('rat_ballots',
    sa.Column('id', BIG_ID, nullable=False),
    sa.Column('meeting_id', BIG_ID, nullable=False),
    sa.Column('item_id', BIG_ID, nullable=False),
    sa.Column('member_number', sa.BigInteger(), nullable=False),
    sa.Column('cast_by', sa.BigInteger(), nullable=False),
    sa.Column('choice', sa.BigInteger(), nullable=False),
    sa.Column('content_hash', sa.String(length=66), nullable=False),
    sa.Column('signature', sa.String(length=200), nullable=False),
    sa.Column('signer_address', sa.String(length=42), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('outbox_id', BIG_ID, nullable=True),
    sa.ForeignKeyConstraint(['item_id'], ['rat_items.id'], name=op.f('fk_rat_ballots_item_id_rat_items')),
    sa.ForeignKeyConstraint(['meeting_id'], ['rat_meetings.id'], name=op.f('fk_rat_ballots_meeting_id_rat_meetings')),
    sa.ForeignKeyConstraint(['outbox_id'], ['chain_outbox.id'], name=op.f('fk_rat_ballots_outbox_id_chain_outbox')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rat_ballots')),
    sa.UniqueConstraint('item_id', 'member_number', name=op.f('uq_rat_ballots_item_id'))
    )
    op.create_index(op.f('ix_rat_ballots_item_id'), 'rat_ballots', ['item_id'], unique=False)
    op.create_index(op.f('ix_rat_ballots_meeting_id'), 'rat_ballots', ['meeting_id'], unique=False)
    op.create_index(op.f('ix_rat_ballots_member_number'), 'rat_ballots', ['member_number'], unique=False)
    op.create_table('rat_in_person_counts',
    sa.Column('id', BIG_ID, nullable=False),
    sa.Column('meeting_id', BIG_ID, nullable=False),
    sa.Column('item_id', BIG_ID, nullable=False),
    sa.Column('ballots', sa.Integer(), nullable=False),
    sa.Column('counts', sa.Text(), nullable=False),
    sa.Column('overridden', sa.Text(), nullable=False),
    sa.Column('chair', sa.String(length=64), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('cosigned_by', sa.String(length=64), nullable=True),
    sa.Column('cosigned_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('seq', sa.BigInteger(), nullable=True),
    sa.ForeignKeyConstraint(['item_id'], ['rat_items.id'], name=op.f('fk_rat_in_person_counts_item_id_rat_items')),
    sa.ForeignKeyConstraint(['meeting_id'], ['rat_meetings.id'], name=op.f('fk_rat_in_person_counts_meeting_id_rat_meetings')),
    sa.ForeignKeyConstraint(['seq'], ['log_entries.seq'], name=op.f('fk_rat_in_person_counts_seq_log_entries')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rat_in_person_counts')),
    sa.UniqueConstraint('item_id', name=op.f('uq_rat_in_person_counts_item_id')),
    sa.UniqueConstraint('seq', name=op.f('uq_rat_in_person_counts_seq'))
    )
    op.create_index(op.f('ix_rat_in_person_counts_meeting_id'), 'rat_in_person_counts', ['meeting_id'], unique=False)
    op.create_table('rat_results',
    sa.Column('id', BIG_ID, nullable=False),
    sa.Column('meeting_id', BIG_ID, nullable=False),
    sa.Column('item_id', BIG_ID, nullable=False),
    sa.Column('decision', sa.String(length=16), nullable=False),
    sa.Column('data', sa.Text(), nullable=False),
    sa.Column('seq', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['item_id'], ['rat_items.id'], name=op.f('fk_rat_results_item_id_rat_items')),
    sa.ForeignKeyConstraint(['meeting_id'], ['rat_meetings.id'], name=op.f('fk_rat_results_meeting_id_rat_meetings')),
    sa.ForeignKeyConstraint(['seq'], ['log_entries.seq'], name=op.f('fk_rat_results_seq_log_entries')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rat_results')),
    sa.UniqueConstraint('item_id', name=op.f('uq_rat_results_item_id')),
    sa.UniqueConstraint('seq', name=op.f('uq_rat_results_seq'))
    )
    op.create_index(op.f('ix_rat_results_meeting_id'), 'rat_results', ['meeting_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_rat_results_meeting_id'), table_name='rat_results')
    op.drop_table('rat_results')
    op.drop_index(op.f('ix_rat_in_person_counts_meeting_id'), table_name='rat_in_person_counts')
    op.drop_table('rat_in_person_counts')
    op.drop_index(op.f('ix_rat_ballots_member_number'), table_name='rat_ballots')
    op.drop_index(op.f('ix_rat_ballots_meeting_id'), table_name='rat_ballots')
    op.drop_index(op.f('ix_rat_ballots_item_id'), table_name='rat_ballots')
    op.drop_table('rat_ballots')
    op.drop_index(op.f('ix_rat_proxies_proxy_number'), table_name='rat_proxies')
    op.drop_index(op.f('ix_rat_proxies_principal_number'), table_name='rat_proxies')
    op.drop_index(op.f('ix_rat_proxies_meeting_id'), table_name='rat_proxies')
    op.drop_table('rat_proxies')
    op.drop_index(op.f('ix_rat_officers_member_number'), table_name='rat_officers')
    op.drop_index(op.f('ix_rat_officers_meeting_id'), table_name='rat_officers')
    op.drop_table('rat_officers')
    op.drop_index(op.f('ix_rat_items_meeting_id'), table_name='rat_items')
    op.drop_table('rat_items')
    op.drop_index(op.f('ix_rat_attendance_meeting_id'), table_name='rat_attendance')
    op.drop_table('rat_attendance')
    op.drop_index(op.f('ix_rat_meetings_status'), table_name='rat_meetings')
    op.drop_table('rat_meetings')
