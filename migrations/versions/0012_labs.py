"""team learning labs

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-28

Teams, their rosters and channels (members-only conversations), thread reply counts, pins,
lab sessions with readiness questions, individual answers and team attempts, commitments
and success reports, value stories, and the shared attachments table (files of
messages and of knowledge resources; attachments.conversation_id serves a conversation's files,
attachments.resource_id a resource's). Indexes: lab_teams.institution_id serves a school's team list for its
lead; lab_team_members.person_id "my teams"; lab_channels.team_id a team's channel list;
lab_session_teams.team_id a team's sessions; lab_commitments.check_on the reminder job.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import artme_cop.db


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('lab_managers',
    sa.Column('institution_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('named_by_id', sa.Integer(), nullable=False),
    sa.Column('named_at', artme_cop.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['institution_id'], ['institutions.id'], name=op.f('fk_lab_managers_institution_id_institutions')),
    sa.ForeignKeyConstraint(['named_by_id'], ['people.id'], name=op.f('fk_lab_managers_named_by_id_people')),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_lab_managers_person_id_people')),
    sa.PrimaryKeyConstraint('institution_id', 'person_id', name=op.f('pk_lab_managers'))
    )
    op.create_table('lab_sessions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('institution_id', sa.Integer(), nullable=False),
    sa.Column('facilitator_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('concept', sa.String(length=120), nullable=False),
    sa.Column('prework', sa.Text(), nullable=False),
    sa.Column('exercise', sa.Text(), nullable=False),
    sa.Column('stage', sa.String(length=20), nullable=False),
    sa.Column('starts_at', artme_cop.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('revealed_at', artme_cop.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', artme_cop.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['facilitator_id'], ['people.id'], name=op.f('fk_lab_sessions_facilitator_id_people')),
    sa.ForeignKeyConstraint(['institution_id'], ['institutions.id'], name=op.f('fk_lab_sessions_institution_id_institutions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lab_sessions'))
    )
    with op.batch_alter_table('lab_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lab_sessions_institution_id'), ['institution_id'], unique=False)

    op.create_table('lab_teams',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('institution_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('unit', sa.String(length=120), nullable=False),
    sa.Column('purpose', sa.Text(), nullable=False),
    sa.Column('facilitator_id', sa.Integer(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', artme_cop.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['people.id'], name=op.f('fk_lab_teams_created_by_id_people')),
    sa.ForeignKeyConstraint(['facilitator_id'], ['people.id'], name=op.f('fk_lab_teams_facilitator_id_people')),
    sa.ForeignKeyConstraint(['institution_id'], ['institutions.id'], name=op.f('fk_lab_teams_institution_id_institutions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lab_teams'))
    )
    with op.batch_alter_table('lab_teams', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lab_teams_institution_id'), ['institution_id'], unique=False)

    op.create_table('attachments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.String(length=32), nullable=False),
    sa.Column('conversation_id', sa.Integer(), nullable=True),
    sa.Column('seq', sa.Integer(), nullable=True),
    sa.Column('resource_id', sa.Integer(), nullable=True),
    sa.Column('uploader_id', sa.Integer(), nullable=False),
    sa.Column('filename', sa.String(length=200), nullable=False),
    sa.Column('content_type', sa.String(length=100), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('storage_name', sa.String(length=64), nullable=False),
    sa.Column('created_at', artme_cop.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['conversation_id'], ['conversations.id'], name=op.f('fk_attachments_conversation_id_conversations')),
    sa.ForeignKeyConstraint(['resource_id'], ['knowledge_resources.id'], name=op.f('fk_attachments_resource_id_knowledge_resources')),
    sa.ForeignKeyConstraint(['uploader_id'], ['people.id'], name=op.f('fk_attachments_uploader_id_people')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_attachments')),
    sa.UniqueConstraint('public_id', name=op.f('uq_attachments_public_id')),
    sa.UniqueConstraint('storage_name', name=op.f('uq_attachments_storage_name'))
    )
    with op.batch_alter_table('attachments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_attachments_conversation_id'), ['conversation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_attachments_resource_id'), ['resource_id'], unique=False)

    op.create_table('lab_channels',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=False),
    sa.Column('conversation_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('is_general', sa.Boolean(), nullable=False),
    sa.Column('created_at', artme_cop.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['conversation_id'], ['conversations.id'], name=op.f('fk_lab_channels_conversation_id_conversations')),
    sa.ForeignKeyConstraint(['team_id'], ['lab_teams.id'], name=op.f('fk_lab_channels_team_id_lab_teams')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lab_channels')),
    sa.UniqueConstraint('conversation_id', name=op.f('uq_lab_channels_conversation_id'))
    )
    with op.batch_alter_table('lab_channels', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lab_channels_team_id'), ['team_id'], unique=False)

    op.create_table('lab_commitments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=False),
    sa.Column('concept', sa.String(length=120), nullable=False),
    sa.Column('job_function', sa.String(length=120), nullable=False),
    sa.Column('action', sa.Text(), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('check_on', sa.Date(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('reminded_at', artme_cop.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', artme_cop.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['people.id'], name=op.f('fk_lab_commitments_created_by_id_people')),
    sa.ForeignKeyConstraint(['owner_id'], ['people.id'], name=op.f('fk_lab_commitments_owner_id_people')),
    sa.ForeignKeyConstraint(['team_id'], ['lab_teams.id'], name=op.f('fk_lab_commitments_team_id_lab_teams')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lab_commitments'))
    )
    with op.batch_alter_table('lab_commitments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lab_commitments_check_on'), ['check_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_lab_commitments_team_id'), ['team_id'], unique=False)

    op.create_table('lab_pins',
    sa.Column('conversation_id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('pinned_by_id', sa.Integer(), nullable=False),
    sa.Column('pinned_at', artme_cop.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['conversation_id'], ['conversations.id'], name=op.f('fk_lab_pins_conversation_id_conversations')),
    sa.ForeignKeyConstraint(['pinned_by_id'], ['people.id'], name=op.f('fk_lab_pins_pinned_by_id_people')),
    sa.PrimaryKeyConstraint('conversation_id', 'seq', name=op.f('pk_lab_pins'))
    )
    op.create_table('lab_questions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('prompt', sa.Text(), nullable=False),
    sa.Column('options', sa.Text(), nullable=False),
    sa.Column('correct', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['session_id'], ['lab_sessions.id'], name=op.f('fk_lab_questions_session_id_lab_sessions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lab_questions'))
    )
    with op.batch_alter_table('lab_questions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lab_questions_session_id'), ['session_id'], unique=False)

    op.create_table('lab_session_teams',
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=False),
    sa.Column('report', sa.Text(), nullable=False),
    sa.Column('report_by_id', sa.Integer(), nullable=True),
    sa.Column('reported_at', artme_cop.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['report_by_id'], ['people.id'], name=op.f('fk_lab_session_teams_report_by_id_people')),
    sa.ForeignKeyConstraint(['session_id'], ['lab_sessions.id'], name=op.f('fk_lab_session_teams_session_id_lab_sessions')),
    sa.ForeignKeyConstraint(['team_id'], ['lab_teams.id'], name=op.f('fk_lab_session_teams_team_id_lab_teams')),
    sa.PrimaryKeyConstraint('session_id', 'team_id', name=op.f('pk_lab_session_teams'))
    )
    with op.batch_alter_table('lab_session_teams', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lab_session_teams_team_id'), ['team_id'], unique=False)

    op.create_table('lab_success_reports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('what_changed', sa.Text(), nullable=False),
    sa.Column('evidence', sa.Text(), nullable=False),
    sa.Column('reported_on', sa.Date(), nullable=False),
    sa.Column('promoted_win_id', sa.Integer(), nullable=True),
    sa.Column('drafted_resource_id', sa.String(length=32), nullable=True),
    sa.Column('created_at', artme_cop.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['people.id'], name=op.f('fk_lab_success_reports_author_id_people')),
    sa.ForeignKeyConstraint(['team_id'], ['lab_teams.id'], name=op.f('fk_lab_success_reports_team_id_lab_teams')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lab_success_reports'))
    )
    with op.batch_alter_table('lab_success_reports', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lab_success_reports_team_id'), ['team_id'], unique=False)

    op.create_table('lab_team_members',
    sa.Column('team_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('is_lead', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_lab_team_members_person_id_people')),
    sa.ForeignKeyConstraint(['team_id'], ['lab_teams.id'], name=op.f('fk_lab_team_members_team_id_lab_teams')),
    sa.PrimaryKeyConstraint('team_id', 'person_id', name=op.f('pk_lab_team_members'))
    )
    with op.batch_alter_table('lab_team_members', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lab_team_members_person_id'), ['person_id'], unique=False)

    op.create_table('lab_threads',
    sa.Column('conversation_id', sa.Integer(), nullable=False),
    sa.Column('root_seq', sa.Integer(), nullable=False),
    sa.Column('reply_count', sa.Integer(), nullable=False),
    sa.Column('last_reply_seq', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['conversation_id'], ['conversations.id'], name=op.f('fk_lab_threads_conversation_id_conversations')),
    sa.PrimaryKeyConstraint('conversation_id', 'root_seq', name=op.f('pk_lab_threads'))
    )
    op.create_table('lab_value_stories',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=False),
    sa.Column('what_we_did', sa.Text(), nullable=False),
    sa.Column('what_changed', sa.Text(), nullable=False),
    sa.Column('difference', sa.Text(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('created_at', artme_cop.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['people.id'], name=op.f('fk_lab_value_stories_author_id_people')),
    sa.ForeignKeyConstraint(['team_id'], ['lab_teams.id'], name=op.f('fk_lab_value_stories_team_id_lab_teams')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lab_value_stories'))
    )
    with op.batch_alter_table('lab_value_stories', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lab_value_stories_team_id'), ['team_id'], unique=False)

    op.create_table('lab_individual_answers',
    sa.Column('question_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('choice', sa.Integer(), nullable=False),
    sa.Column('answered_at', artme_cop.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_lab_individual_answers_person_id_people')),
    sa.ForeignKeyConstraint(['question_id'], ['lab_questions.id'], name=op.f('fk_lab_individual_answers_question_id_lab_questions')),
    sa.PrimaryKeyConstraint('question_id', 'person_id', name=op.f('pk_lab_individual_answers'))
    )
    op.create_table('lab_team_attempts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('question_id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=False),
    sa.Column('choice', sa.Integer(), nullable=False),
    sa.Column('is_correct', sa.Boolean(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('answered_at', artme_cop.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_lab_team_attempts_person_id_people')),
    sa.ForeignKeyConstraint(['question_id'], ['lab_questions.id'], name=op.f('fk_lab_team_attempts_question_id_lab_questions')),
    sa.ForeignKeyConstraint(['team_id'], ['lab_teams.id'], name=op.f('fk_lab_team_attempts_team_id_lab_teams')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lab_team_attempts')),
    sa.UniqueConstraint('question_id', 'team_id', 'choice', name=op.f('uq_lab_team_attempts_question_id_team_id_choice'))
    )
    with op.batch_alter_table('lab_team_attempts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lab_team_attempts_team_id'), ['team_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('lab_team_attempts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lab_team_attempts_team_id'))

    op.drop_table('lab_team_attempts')
    op.drop_table('lab_individual_answers')
    with op.batch_alter_table('lab_value_stories', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lab_value_stories_team_id'))

    op.drop_table('lab_value_stories')
    op.drop_table('lab_threads')
    with op.batch_alter_table('lab_team_members', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lab_team_members_person_id'))

    op.drop_table('lab_team_members')
    with op.batch_alter_table('lab_success_reports', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lab_success_reports_team_id'))

    op.drop_table('lab_success_reports')
    with op.batch_alter_table('lab_session_teams', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lab_session_teams_team_id'))

    op.drop_table('lab_session_teams')
    with op.batch_alter_table('lab_questions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lab_questions_session_id'))

    op.drop_table('lab_questions')
    op.drop_table('lab_pins')
    with op.batch_alter_table('lab_commitments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lab_commitments_team_id'))
        batch_op.drop_index(batch_op.f('ix_lab_commitments_check_on'))

    op.drop_table('lab_commitments')
    with op.batch_alter_table('lab_channels', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lab_channels_team_id'))

    op.drop_table('lab_channels')
    with op.batch_alter_table('attachments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_attachments_resource_id'))
        batch_op.drop_index(batch_op.f('ix_attachments_conversation_id'))

    op.drop_table('attachments')
    with op.batch_alter_table('lab_teams', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lab_teams_institution_id'))

    op.drop_table('lab_teams')
    with op.batch_alter_table('lab_sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lab_sessions_institution_id'))

    op.drop_table('lab_sessions')
    op.drop_table('lab_managers')
