"""dialogue

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-28

Chats for Change (#5): dialogue sessions with their agreement and room state, invited
cohorts, co-facilitators, participants (acceptance, per-room alias, mute, removal, hand,
last post for slow mode) and the session's rooms (members-only conversations).

`messages.author_alias` is added with a plain ADD COLUMN, never a batch rebuild of
`messages`: a rebuild would drop the forum search triggers of migration 0006.
Indexes: `ix_dialogue_sessions_institution_id` serves a school's session list;
`ix_dialogue_cohorts_cohort_id` the sessions a person's cohorts are invited to;
`ix_dialogue_facilitators_person_id` the sessions a person facilitates;
`ix_dialogue_participants_person_id` a person's standing across sessions (purge, export);
`ix_dialogue_rooms_session_id` a session's rooms.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import artme_cop.db


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('dialogue_sessions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('topic', sa.Text(), nullable=False),
    sa.Column('content_note', sa.Text(), nullable=False),
    sa.Column('pre_reading', sa.Text(), nullable=False),
    sa.Column('frame', sa.Text(), nullable=False),
    sa.Column('definition', sa.Text(), nullable=False),
    sa.Column('guiding_questions', sa.Text(), nullable=False),
    sa.Column('institution_id', sa.Integer(), nullable=False),
    sa.Column('calendar_session_id', sa.Integer(), nullable=True),
    sa.Column('starts_at', artme_cop.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('ends_at', artme_cop.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('identity_mode', sa.String(length=20), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('paused_from', sa.String(length=20), nullable=False),
    sa.Column('grounding_message', sa.String(length=500), nullable=False),
    sa.Column('agreement_text', sa.Text(), nullable=False),
    sa.Column('agreement_version', sa.Integer(), nullable=False),
    sa.Column('slow_mode_seconds', sa.Integer(), nullable=False),
    sa.Column('floor_mode', sa.Boolean(), nullable=False),
    sa.Column('floor_person_id', sa.Integer(), nullable=True),
    sa.Column('agenda_step', sa.String(length=200), nullable=False),
    sa.Column('prompt', sa.String(length=1000), nullable=False),
    sa.Column('round_ends_at', artme_cop.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('ouch_count', sa.Integer(), nullable=False),
    sa.Column('oops_count', sa.Integer(), nullable=False),
    sa.Column('state_version', sa.Integer(), nullable=False),
    sa.Column('main_conversation_id', sa.Integer(), nullable=False),
    sa.Column('backchannel_conversation_id', sa.Integer(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', artme_cop.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('closed_at', artme_cop.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('purged_at', artme_cop.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['backchannel_conversation_id'], ['conversations.id'], name=op.f('fk_dialogue_sessions_backchannel_conversation_id_conversations')),
    sa.ForeignKeyConstraint(['calendar_session_id'], ['program_sessions.id'], name=op.f('fk_dialogue_sessions_calendar_session_id_program_sessions')),
    sa.ForeignKeyConstraint(['created_by_id'], ['people.id'], name=op.f('fk_dialogue_sessions_created_by_id_people')),
    sa.ForeignKeyConstraint(['floor_person_id'], ['people.id'], name=op.f('fk_dialogue_sessions_floor_person_id_people')),
    sa.ForeignKeyConstraint(['institution_id'], ['institutions.id'], name=op.f('fk_dialogue_sessions_institution_id_institutions')),
    sa.ForeignKeyConstraint(['main_conversation_id'], ['conversations.id'], name=op.f('fk_dialogue_sessions_main_conversation_id_conversations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dialogue_sessions'))
    )
    with op.batch_alter_table('dialogue_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dialogue_sessions_institution_id'), ['institution_id'], unique=False)

    op.create_table('dialogue_cohorts',
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('cohort_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['cohort_id'], ['cohorts.id'], name=op.f('fk_dialogue_cohorts_cohort_id_cohorts')),
    sa.ForeignKeyConstraint(['session_id'], ['dialogue_sessions.id'], name=op.f('fk_dialogue_cohorts_session_id_dialogue_sessions')),
    sa.PrimaryKeyConstraint('session_id', 'cohort_id', name=op.f('pk_dialogue_cohorts'))
    )
    with op.batch_alter_table('dialogue_cohorts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dialogue_cohorts_cohort_id'), ['cohort_id'], unique=False)

    op.create_table('dialogue_facilitators',
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_dialogue_facilitators_person_id_people')),
    sa.ForeignKeyConstraint(['session_id'], ['dialogue_sessions.id'], name=op.f('fk_dialogue_facilitators_session_id_dialogue_sessions')),
    sa.PrimaryKeyConstraint('session_id', 'person_id', name=op.f('pk_dialogue_facilitators'))
    )
    with op.batch_alter_table('dialogue_facilitators', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dialogue_facilitators_person_id'), ['person_id'], unique=False)

    op.create_table('dialogue_participants',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('accepted_version', sa.Integer(), nullable=False),
    sa.Column('accepted_at', artme_cop.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('alias', sa.String(length=80), nullable=False),
    sa.Column('key', sa.String(length=32), nullable=False),
    sa.Column('muted_until', artme_cop.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('removed_at', artme_cop.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('hand_raised_at', artme_cop.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_posted_at', artme_cop.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_dialogue_participants_person_id_people')),
    sa.ForeignKeyConstraint(['session_id'], ['dialogue_sessions.id'], name=op.f('fk_dialogue_participants_session_id_dialogue_sessions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dialogue_participants')),
    sa.UniqueConstraint('key', name=op.f('uq_dialogue_participants_key')),
    sa.UniqueConstraint('session_id', 'alias', name=op.f('uq_dialogue_participants_session_id_alias')),
    sa.UniqueConstraint('session_id', 'person_id', name=op.f('uq_dialogue_participants_session_id_person_id'))
    )
    with op.batch_alter_table('dialogue_participants', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dialogue_participants_person_id'), ['person_id'], unique=False)

    op.create_table('dialogue_rooms',
    sa.Column('conversation_id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.ForeignKeyConstraint(['conversation_id'], ['conversations.id'], name=op.f('fk_dialogue_rooms_conversation_id_conversations')),
    sa.ForeignKeyConstraint(['session_id'], ['dialogue_sessions.id'], name=op.f('fk_dialogue_rooms_session_id_dialogue_sessions')),
    sa.PrimaryKeyConstraint('conversation_id', name=op.f('pk_dialogue_rooms'))
    )
    with op.batch_alter_table('dialogue_rooms', schema=None) as batch_op:
        batch_op.create_index('ix_dialogue_rooms_session_id', ['session_id'], unique=False)

    op.add_column('messages', sa.Column('author_alias', sa.String(length=80), nullable=True))



def downgrade() -> None:
    op.drop_column('messages', 'author_alias')

    with op.batch_alter_table('dialogue_rooms', schema=None) as batch_op:
        batch_op.drop_index('ix_dialogue_rooms_session_id')

    op.drop_table('dialogue_rooms')
    with op.batch_alter_table('dialogue_participants', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_dialogue_participants_person_id'))

    op.drop_table('dialogue_participants')
    with op.batch_alter_table('dialogue_facilitators', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_dialogue_facilitators_person_id'))

    op.drop_table('dialogue_facilitators')
    with op.batch_alter_table('dialogue_cohorts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_dialogue_cohorts_cohort_id'))

    op.drop_table('dialogue_cohorts')
    with op.batch_alter_table('dialogue_sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_dialogue_sessions_institution_id'))

    op.drop_table('dialogue_sessions')
