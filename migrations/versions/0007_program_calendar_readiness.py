"""program: phases, the session calendar, readiness

Revision ID: 0007
Revises: 0003
Create Date: 2026-11-28

Phases (each wave's schedule, each cohort's current phase, exit-checklist marks), calendar
sessions with the cohorts they invite and the hashed secrets of personal iCalendar feeds,
and the readiness assessment: surveys, anonymous answers and the separate "has answered"
records. The two readiness tables are WITHOUT ROWID on SQLite, so no hidden rowid keeps
the order in which answers arrived (issue #8). No data step.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import artme_cop.db


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('program_calendar_feeds',
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', artme_cop.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_program_calendar_feeds_person_id_people')),
    sa.PrimaryKeyConstraint('person_id', name=op.f('pk_program_calendar_feeds')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_program_calendar_feeds_token_hash'))
    )
    op.create_table('program_checklist_marks',
    sa.Column('cohort_id', sa.Integer(), nullable=False),
    sa.Column('phase', sa.Integer(), nullable=False),
    sa.Column('item_key', sa.String(length=40), nullable=False),
    sa.Column('completed_at', artme_cop.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('completed_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['cohort_id'], ['cohorts.id'], name=op.f('fk_program_checklist_marks_cohort_id_cohorts')),
    sa.ForeignKeyConstraint(['completed_by_id'], ['people.id'], name=op.f('fk_program_checklist_marks_completed_by_id_people')),
    sa.PrimaryKeyConstraint('cohort_id', 'phase', 'item_key', name=op.f('pk_program_checklist_marks'))
    )
    op.create_table('program_cohort_phases',
    sa.Column('cohort_id', sa.Integer(), nullable=False),
    sa.Column('phase', sa.Integer(), nullable=False),
    sa.Column('changed_at', artme_cop.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('changed_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['changed_by_id'], ['people.id'], name=op.f('fk_program_cohort_phases_changed_by_id_people')),
    sa.ForeignKeyConstraint(['cohort_id'], ['cohorts.id'], name=op.f('fk_program_cohort_phases_cohort_id_cohorts')),
    sa.PrimaryKeyConstraint('cohort_id', name=op.f('pk_program_cohort_phases'))
    )
    op.create_table('program_readiness_surveys',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('cohort_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', artme_cop.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('closed_at', artme_cop.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['cohort_id'], ['cohorts.id'], name=op.f('fk_program_readiness_surveys_cohort_id_cohorts')),
    sa.ForeignKeyConstraint(['created_by_id'], ['people.id'], name=op.f('fk_program_readiness_surveys_created_by_id_people')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_program_readiness_surveys'))
    )
    with op.batch_alter_table('program_readiness_surveys', schema=None) as batch_op:
        # a cohort's surveys (the readiness list)
        batch_op.create_index(batch_op.f('ix_program_readiness_surveys_cohort_id'), ['cohort_id'], unique=False)

    op.create_table('program_sessions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('phase', sa.Integer(), nullable=True),
    sa.Column('starts_at', artme_cop.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('ends_at', artme_cop.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('timezone', sa.String(length=60), nullable=False),
    sa.Column('place', sa.String(length=200), nullable=False),
    sa.Column('link', sa.String(length=500), nullable=False),
    sa.Column('audience', sa.String(length=20), nullable=False),
    sa.Column('institution_id', sa.Integer(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', artme_cop.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('cancelled_at', artme_cop.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['people.id'], name=op.f('fk_program_sessions_created_by_id_people')),
    sa.ForeignKeyConstraint(['institution_id'], ['institutions.id'], name=op.f('fk_program_sessions_institution_id_institutions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_program_sessions'))
    )
    with op.batch_alter_table('program_sessions', schema=None) as batch_op:
        # sessions of a school (invitations to a school, the sessions its lead manages)
        batch_op.create_index(batch_op.f('ix_program_sessions_institution_id'), ['institution_id'], unique=False)
        # upcoming sessions in time order (home page, calendar, feed)
        batch_op.create_index('ix_program_sessions_starts_at', ['starts_at', 'id'], unique=False)

    op.create_table('program_wave_phases',
    sa.Column('wave', sa.Integer(), nullable=False),
    sa.Column('phase', sa.Integer(), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=True),
    sa.Column('ends_on', sa.Date(), nullable=True),
    sa.Column('updated_at', artme_cop.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['updated_by_id'], ['people.id'], name=op.f('fk_program_wave_phases_updated_by_id_people')),
    sa.PrimaryKeyConstraint('wave', 'phase', name=op.f('pk_program_wave_phases'))
    )
    op.create_table('program_readiness_answered',
    sa.Column('survey_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_program_readiness_answered_person_id_people')),
    sa.ForeignKeyConstraint(['survey_id'], ['program_readiness_surveys.id'], name=op.f('fk_program_readiness_answered_survey_id_program_readiness_surveys')),
    sa.PrimaryKeyConstraint('survey_id', 'person_id', name=op.f('pk_program_readiness_answered')),
    sqlite_with_rowid=False
    )
    op.create_table('program_readiness_responses',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('survey_id', sa.Integer(), nullable=False),
    sa.Column('constituency', sa.String(length=20), nullable=False),
    sa.Column('scores', sa.String(length=100), nullable=False),
    sa.Column('comment', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['survey_id'], ['program_readiness_surveys.id'], name=op.f('fk_program_readiness_responses_survey_id_program_readiness_surveys')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_program_readiness_responses')),
    sqlite_with_rowid=False
    )
    with op.batch_alter_table('program_readiness_responses', schema=None) as batch_op:
        # a survey's answers (the rewrite at each answer, the results)
        batch_op.create_index(batch_op.f('ix_program_readiness_responses_survey_id'), ['survey_id'], unique=False)

    op.create_table('program_session_cohorts',
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('cohort_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['cohort_id'], ['cohorts.id'], name=op.f('fk_program_session_cohorts_cohort_id_cohorts')),
    sa.ForeignKeyConstraint(['session_id'], ['program_sessions.id'], name=op.f('fk_program_session_cohorts_session_id_program_sessions')),
    sa.PrimaryKeyConstraint('session_id', 'cohort_id', name=op.f('pk_program_session_cohorts'))
    )
    with op.batch_alter_table('program_session_cohorts', schema=None) as batch_op:
        # the sessions inviting one of a person's cohorts
        batch_op.create_index(batch_op.f('ix_program_session_cohorts_cohort_id'), ['cohort_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('program_session_cohorts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_program_session_cohorts_cohort_id'))

    op.drop_table('program_session_cohorts')
    with op.batch_alter_table('program_readiness_responses', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_program_readiness_responses_survey_id'))

    op.drop_table('program_readiness_responses')
    op.drop_table('program_readiness_answered')
    op.drop_table('program_wave_phases')
    with op.batch_alter_table('program_sessions', schema=None) as batch_op:
        batch_op.drop_index('ix_program_sessions_starts_at')
        batch_op.drop_index(batch_op.f('ix_program_sessions_institution_id'))

    op.drop_table('program_sessions')
    with op.batch_alter_table('program_readiness_surveys', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_program_readiness_surveys_cohort_id'))

    op.drop_table('program_readiness_surveys')
    op.drop_table('program_cohort_phases')
    op.drop_table('program_checklist_marks')
    op.drop_table('program_calendar_feeds')
