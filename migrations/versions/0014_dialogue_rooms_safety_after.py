"""dialogue rooms, safety and the after phase

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-28

Chats for Change (#5), after 0010 was merged: breakouts and side rooms (a participant's
`breakout_id`; a room's `min_size`, `ends_at`, `closed_at`), reported messages kept past the
purge (`dialogue_reports`), the harvest (`dialogue_takeaways`, no author column), anonymous
feedback (`dialogue_feedback`, and apart from it `dialogue_feedback_given`: who answered, never
which answer), the facilitators' `debrief_note`, and the knowledge-repository draft made of the harvest
(`harvest_resource_id`).

Written after 0010 on its own branch; merged after 0011 to 0013 (knowledge, labs), none of
which it depends on.
The added NOT NULL columns carry a server default so existing rows get a value; the batch
operations rebuild only dialogue tables (no triggers on them). Safe to run once per database.
Indexes: `ix_dialogue_reports_session_id` serves a session's incident list and the purge's
"messages kept"; `ix_dialogue_reports_message_id` the purge's delete of a message's reports;
`ix_dialogue_takeaways_session_id` the harvest board; `ix_dialogue_feedback_session_id` the
feedback results.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import artme_cop.db


revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('dialogue_sessions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('debrief_note', sa.Text(), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('harvest_resource_id', sa.String(length=32), nullable=True))
    with op.batch_alter_table('dialogue_participants', schema=None) as batch_op:
        batch_op.add_column(sa.Column('breakout_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_dialogue_participants_breakout_id_conversations'), 'conversations', ['breakout_id'], ['id'])
    with op.batch_alter_table('dialogue_rooms', schema=None) as batch_op:
        batch_op.add_column(sa.Column('min_size', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('ends_at', artme_cop.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('closed_at', artme_cop.db.UTCDateTime(timezone=True), nullable=True))

    op.create_table('dialogue_takeaways',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('room_id', sa.Integer(), nullable=False),
    sa.Column('text', sa.String(length=1000), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('created_at', artme_cop.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('reviewed_at', artme_cop.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['room_id'], ['conversations.id'], name=op.f('fk_dialogue_takeaways_room_id_conversations')),
    sa.ForeignKeyConstraint(['session_id'], ['dialogue_sessions.id'], name=op.f('fk_dialogue_takeaways_session_id_dialogue_sessions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dialogue_takeaways'))
    )
    with op.batch_alter_table('dialogue_takeaways', schema=None) as batch_op:
        batch_op.create_index('ix_dialogue_takeaways_session_id', ['session_id'], unique=False)

    op.create_table('dialogue_feedback',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('learned', sa.String(length=2000), nullable=False),
    sa.Column('safety', sa.Integer(), nullable=False),
    sa.Column('change', sa.String(length=2000), nullable=False),
    sa.ForeignKeyConstraint(['session_id'], ['dialogue_sessions.id'], name=op.f('fk_dialogue_feedback_session_id_dialogue_sessions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dialogue_feedback'))
    )
    with op.batch_alter_table('dialogue_feedback', schema=None) as batch_op:
        batch_op.create_index('ix_dialogue_feedback_session_id', ['session_id'], unique=False)

    op.create_table('dialogue_feedback_given',
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_dialogue_feedback_given_person_id_people')),
    sa.ForeignKeyConstraint(['session_id'], ['dialogue_sessions.id'], name=op.f('fk_dialogue_feedback_given_session_id_dialogue_sessions')),
    sa.PrimaryKeyConstraint('session_id', 'person_id', name=op.f('pk_dialogue_feedback_given'))
    )

    op.create_table('dialogue_reports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('message_id', sa.Integer(), nullable=False),
    sa.Column('reporter_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.String(length=1000), nullable=False),
    sa.Column('created_at', artme_cop.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('resolved_at', artme_cop.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('resolved_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['message_id'], ['messages.id'], name=op.f('fk_dialogue_reports_message_id_messages')),
    sa.ForeignKeyConstraint(['reporter_id'], ['people.id'], name=op.f('fk_dialogue_reports_reporter_id_people')),
    sa.ForeignKeyConstraint(['resolved_by_id'], ['people.id'], name=op.f('fk_dialogue_reports_resolved_by_id_people')),
    sa.ForeignKeyConstraint(['session_id'], ['dialogue_sessions.id'], name=op.f('fk_dialogue_reports_session_id_dialogue_sessions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dialogue_reports'))
    )
    with op.batch_alter_table('dialogue_reports', schema=None) as batch_op:
        batch_op.create_index('ix_dialogue_reports_session_id', ['session_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_dialogue_reports_message_id'), ['message_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('dialogue_reports', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_dialogue_reports_message_id'))
        batch_op.drop_index('ix_dialogue_reports_session_id')
    op.drop_table('dialogue_reports')
    op.drop_table('dialogue_feedback_given')
    with op.batch_alter_table('dialogue_feedback', schema=None) as batch_op:
        batch_op.drop_index('ix_dialogue_feedback_session_id')
    op.drop_table('dialogue_feedback')
    with op.batch_alter_table('dialogue_takeaways', schema=None) as batch_op:
        batch_op.drop_index('ix_dialogue_takeaways_session_id')
    op.drop_table('dialogue_takeaways')
    with op.batch_alter_table('dialogue_rooms', schema=None) as batch_op:
        batch_op.drop_column('closed_at')
        batch_op.drop_column('ends_at')
        batch_op.drop_column('min_size')
    with op.batch_alter_table('dialogue_participants', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_dialogue_participants_breakout_id_conversations'), type_='foreignkey')
        batch_op.drop_column('breakout_id')
    with op.batch_alter_table('dialogue_sessions', schema=None) as batch_op:
        batch_op.drop_column('harvest_resource_id')
        batch_op.drop_column('debrief_note')
