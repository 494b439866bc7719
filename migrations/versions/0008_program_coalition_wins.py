"""program coalition and wins

Revision ID: 0008
Revises: 0003
Create Date: 2026-11-28

The guiding coalition (spheres, members and co-leads with terms, SMART change targets, plan
steps, DARCI grids), each school's choice to share its monitoring aggregates, outcome mapping
(boundary partners, progress markers, the outcome journal) and short-term wins with their
credits. Indexes: the `institution_id` ones serve a school's lists (spheres, targets,
partners, wins) and the per-school monitoring counts; `sphere_id`, `target_id` and
`partner_id` serve a sphere's targets, a target's steps and wins, a partner's markers and
journal; `person_id` on members and credits serves "my spheres" and "my consents";
`(sharing, shared_at)` serves the consortium's list of shared wins. The unique partial index
on darci_entries(target_id) WHERE letter = 'A' is the database's own "at most one
Accountable"; it serves no query.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import artme_cop.db


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('coalition_spheres',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('institution_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('created_at', artme_cop.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['institution_id'], ['institutions.id'], name=op.f('fk_coalition_spheres_institution_id_institutions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_coalition_spheres')),
    sa.UniqueConstraint('institution_id', 'name', name=op.f('uq_coalition_spheres_institution_id_name'))
    )
    with op.batch_alter_table('coalition_spheres', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_coalition_spheres_institution_id'), ['institution_id'], unique=False)

    op.create_table('change_targets',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('sphere_id', sa.Integer(), nullable=False),
    sa.Column('institution_id', sa.Integer(), nullable=False),
    sa.Column('specific', sa.String(length=300), nullable=False),
    sa.Column('measure', sa.String(length=300), nullable=False),
    sa.Column('baseline', sa.String(length=60), nullable=False),
    sa.Column('target_value', sa.String(length=60), nullable=False),
    sa.Column('unit', sa.String(length=60), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', artme_cop.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', artme_cop.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['people.id'], name=op.f('fk_change_targets_created_by_id_people')),
    sa.ForeignKeyConstraint(['institution_id'], ['institutions.id'], name=op.f('fk_change_targets_institution_id_institutions')),
    sa.ForeignKeyConstraint(['sphere_id'], ['coalition_spheres.id'], name=op.f('fk_change_targets_sphere_id_coalition_spheres')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_change_targets'))
    )
    with op.batch_alter_table('change_targets', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_change_targets_institution_id'), ['institution_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_change_targets_sphere_id'), ['sphere_id'], unique=False)

    op.create_table('coalition_sphere_members',
    sa.Column('sphere_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('is_co_lead', sa.Boolean(), nullable=False),
    sa.Column('term_starts_on', sa.Date(), nullable=True),
    sa.Column('term_ends_on', sa.Date(), nullable=True),
    sa.Column('joined_at', artme_cop.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('NOT is_co_lead OR (term_starts_on IS NOT NULL AND term_ends_on IS NOT NULL)', name=op.f('ck_coalition_sphere_members_co_lead_has_term')),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_coalition_sphere_members_person_id_people')),
    sa.ForeignKeyConstraint(['sphere_id'], ['coalition_spheres.id'], name=op.f('fk_coalition_sphere_members_sphere_id_coalition_spheres')),
    sa.PrimaryKeyConstraint('sphere_id', 'person_id', name=op.f('pk_coalition_sphere_members'))
    )
    with op.batch_alter_table('coalition_sphere_members', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_coalition_sphere_members_person_id'), ['person_id'], unique=False)

    op.create_table('monitoring_shares',
    sa.Column('institution_id', sa.Integer(), nullable=False),
    sa.Column('shares_aggregates', sa.Boolean(), nullable=False),
    sa.Column('changed_by_id', sa.Integer(), nullable=True),
    sa.Column('changed_at', artme_cop.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['changed_by_id'], ['people.id'], name=op.f('fk_monitoring_shares_changed_by_id_people')),
    sa.ForeignKeyConstraint(['institution_id'], ['institutions.id'], name=op.f('fk_monitoring_shares_institution_id_institutions')),
    sa.PrimaryKeyConstraint('institution_id', name=op.f('pk_monitoring_shares'))
    )
    op.create_table('outcome_partners',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('institution_id', sa.Integer(), nullable=False),
    sa.Column('cohort_id', sa.Integer(), nullable=True),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('outcome_challenge', sa.Text(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', artme_cop.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['cohort_id'], ['cohorts.id'], name=op.f('fk_outcome_partners_cohort_id_cohorts')),
    sa.ForeignKeyConstraint(['created_by_id'], ['people.id'], name=op.f('fk_outcome_partners_created_by_id_people')),
    sa.ForeignKeyConstraint(['institution_id'], ['institutions.id'], name=op.f('fk_outcome_partners_institution_id_institutions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outcome_partners'))
    )
    with op.batch_alter_table('outcome_partners', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_outcome_partners_institution_id'), ['institution_id'], unique=False)

    op.create_table('darci_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('target_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('letter', sa.String(length=1), nullable=False),
    sa.CheckConstraint("letter IN ('D', 'A', 'R', 'C', 'I')", name=op.f('ck_darci_entries_letter_is_darci')),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_darci_entries_person_id_people')),
    sa.ForeignKeyConstraint(['target_id'], ['change_targets.id'], name=op.f('fk_darci_entries_target_id_change_targets')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_darci_entries')),
    sa.UniqueConstraint('target_id', 'person_id', name=op.f('uq_darci_entries_target_id_person_id'))
    )
    with op.batch_alter_table('darci_entries', schema=None) as batch_op:
        batch_op.create_index('uq_darci_entries_one_accountable', ['target_id'], unique=True, sqlite_where=sa.text("letter = 'A'"), postgresql_where=sa.text("letter = 'A'"))

    op.create_table('outcome_markers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('partner_id', sa.Integer(), nullable=False),
    sa.Column('level', sa.String(length=10), nullable=False),
    sa.Column('description', sa.String(length=300), nullable=False),
    sa.Column('created_at', artme_cop.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['partner_id'], ['outcome_partners.id'], name=op.f('fk_outcome_markers_partner_id_outcome_partners')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outcome_markers'))
    )
    with op.batch_alter_table('outcome_markers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_outcome_markers_partner_id'), ['partner_id'], unique=False)

    op.create_table('plan_steps',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('target_id', sa.Integer(), nullable=False),
    sa.Column('description', sa.String(length=300), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('created_at', artme_cop.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', artme_cop.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['owner_id'], ['people.id'], name=op.f('fk_plan_steps_owner_id_people')),
    sa.ForeignKeyConstraint(['target_id'], ['change_targets.id'], name=op.f('fk_plan_steps_target_id_change_targets')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_plan_steps'))
    )
    with op.batch_alter_table('plan_steps', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_plan_steps_target_id'), ['target_id'], unique=False)

    op.create_table('outcome_journal_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('partner_id', sa.Integer(), nullable=False),
    sa.Column('marker_id', sa.Integer(), nullable=False),
    sa.Column('observed_on', sa.Date(), nullable=False),
    sa.Column('evidence', sa.Text(), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', artme_cop.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['marker_id'], ['outcome_markers.id'], name=op.f('fk_outcome_journal_entries_marker_id_outcome_markers')),
    sa.ForeignKeyConstraint(['partner_id'], ['outcome_partners.id'], name=op.f('fk_outcome_journal_entries_partner_id_outcome_partners')),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['people.id'], name=op.f('fk_outcome_journal_entries_recorded_by_id_people')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outcome_journal_entries'))
    )
    with op.batch_alter_table('outcome_journal_entries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_outcome_journal_entries_marker_id'), ['marker_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_outcome_journal_entries_partner_id'), ['partner_id'], unique=False)

    op.create_table('wins',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.String(length=32), nullable=False),
    sa.Column('institution_id', sa.Integer(), nullable=False),
    sa.Column('target_id', sa.Integer(), nullable=True),
    sa.Column('marker_id', sa.Integer(), nullable=True),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('evidence', sa.Text(), nullable=False),
    sa.Column('theme', sa.String(length=40), nullable=False),
    sa.Column('phase', sa.Integer(), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', artme_cop.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('no_student_or_patient_details', sa.Boolean(), nullable=False),
    sa.Column('no_named_accusations', sa.Boolean(), nullable=False),
    sa.Column('small_numbers_checked', sa.Boolean(), nullable=False),
    sa.Column('no_identifying_context', sa.Boolean(), nullable=False),
    sa.Column('checked_by_id', sa.Integer(), nullable=True),
    sa.Column('checked_at', artme_cop.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('sharing', sa.String(length=20), nullable=False),
    sa.Column('shared_by_id', sa.Integer(), nullable=True),
    sa.Column('shared_at', artme_cop.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('curated_at', artme_cop.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('curated_phase', sa.Integer(), nullable=True),
    sa.Column('curated_theme', sa.String(length=40), nullable=True),
    sa.CheckConstraint("sharing IN ('undecided', 'local', 'named', 'partner')", name=op.f('ck_wins_sharing_choice')),
    sa.CheckConstraint('(target_id IS NULL) <> (marker_id IS NULL)', name=op.f('ck_wins_target_or_marker')),
    sa.ForeignKeyConstraint(['checked_by_id'], ['people.id'], name=op.f('fk_wins_checked_by_id_people')),
    sa.ForeignKeyConstraint(['institution_id'], ['institutions.id'], name=op.f('fk_wins_institution_id_institutions')),
    sa.ForeignKeyConstraint(['marker_id'], ['outcome_markers.id'], name=op.f('fk_wins_marker_id_outcome_markers')),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['people.id'], name=op.f('fk_wins_recorded_by_id_people')),
    sa.ForeignKeyConstraint(['shared_by_id'], ['people.id'], name=op.f('fk_wins_shared_by_id_people')),
    sa.ForeignKeyConstraint(['target_id'], ['change_targets.id'], name=op.f('fk_wins_target_id_change_targets')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_wins')),
    sa.UniqueConstraint('public_id', name=op.f('uq_wins_public_id'))
    )
    with op.batch_alter_table('wins', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_wins_institution_id'), ['institution_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_wins_marker_id'), ['marker_id'], unique=False)
        batch_op.create_index('ix_wins_sharing_shared_at', ['sharing', 'shared_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_wins_target_id'), ['target_id'], unique=False)

    op.create_table('win_credits',
    sa.Column('win_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('consent', sa.String(length=20), nullable=False),
    sa.Column('responded_at', artme_cop.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_win_credits_person_id_people')),
    sa.ForeignKeyConstraint(['win_id'], ['wins.id'], name=op.f('fk_win_credits_win_id_wins')),
    sa.PrimaryKeyConstraint('win_id', 'person_id', name=op.f('pk_win_credits'))
    )
    with op.batch_alter_table('win_credits', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_win_credits_person_id'), ['person_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('win_credits', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_win_credits_person_id'))

    op.drop_table('win_credits')
    with op.batch_alter_table('wins', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_wins_target_id'))
        batch_op.drop_index('ix_wins_sharing_shared_at')
        batch_op.drop_index(batch_op.f('ix_wins_marker_id'))
        batch_op.drop_index(batch_op.f('ix_wins_institution_id'))

    op.drop_table('wins')
    with op.batch_alter_table('outcome_journal_entries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outcome_journal_entries_partner_id'))
        batch_op.drop_index(batch_op.f('ix_outcome_journal_entries_marker_id'))

    op.drop_table('outcome_journal_entries')
    with op.batch_alter_table('plan_steps', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_plan_steps_target_id'))

    op.drop_table('plan_steps')
    with op.batch_alter_table('outcome_markers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outcome_markers_partner_id'))

    op.drop_table('outcome_markers')
    with op.batch_alter_table('darci_entries', schema=None) as batch_op:
        batch_op.drop_index('uq_darci_entries_one_accountable', sqlite_where=sa.text("letter = 'A'"), postgresql_where=sa.text("letter = 'A'"))

    op.drop_table('darci_entries')
    with op.batch_alter_table('outcome_partners', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outcome_partners_institution_id'))

    op.drop_table('outcome_partners')
    op.drop_table('monitoring_shares')
    with op.batch_alter_table('coalition_sphere_members', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_coalition_sphere_members_person_id'))

    op.drop_table('coalition_sphere_members')
    with op.batch_alter_table('change_targets', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_change_targets_sphere_id'))
        batch_op.drop_index(batch_op.f('ix_change_targets_institution_id'))

    op.drop_table('change_targets')
    with op.batch_alter_table('coalition_spheres', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_coalition_spheres_institution_id'))

    op.drop_table('coalition_spheres')
