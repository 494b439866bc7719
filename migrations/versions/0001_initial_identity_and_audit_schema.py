"""initial identity and audit schema

Revision ID: 0001
Revises: 
Create Date: 2026-11-28

Institutions, cohorts, people, cohort memberships, role assignments, invitations, password
resets and the append-only audit log. Tables are declared inline: a migration never imports
the application's models.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('institutions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('short_name', sa.String(length=40), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_institutions')),
    sa.UniqueConstraint('name', name=op.f('uq_institutions_name'))
    )
    op.create_table('cohorts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('institution_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('wave', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['institution_id'], ['institutions.id'], name=op.f('fk_cohorts_institution_id_institutions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cohorts')),
    sa.UniqueConstraint('institution_id', 'name', name=op.f('uq_cohorts_institution_id_name'))
    )
    # serves: the cohorts of one institution (admin pages, invitation form)
    op.create_index('ix_cohorts_institution_id', 'cohorts', ['institution_id'])

    op.create_table('people',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('display_name', sa.String(length=100), nullable=False),
    sa.Column('pronouns', sa.String(length=40), nullable=False),
    sa.Column('title', sa.String(length=120), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=False),
    sa.Column('institution_id', sa.Integer(), nullable=True),
    sa.Column('session_epoch', sa.Integer(), nullable=False),
    sa.Column('is_deleted', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_sign_in_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['institution_id'], ['institutions.id'], name=op.f('fk_people_institution_id_institutions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_people')),
    sa.UniqueConstraint('email', name=op.f('uq_people_email'))
    )
    # serves: the people list of an institution
    op.create_index('ix_people_institution_id', 'people', ['institution_id'])

    op.create_table('audit_log',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('action', sa.String(length=60), nullable=False),
    sa.Column('institution_id', sa.Integer(), nullable=True),
    sa.Column('target_kind', sa.String(length=40), nullable=False),
    sa.Column('target_id', sa.Integer(), nullable=True),
    sa.Column('detail', sa.Text(), nullable=False),
    sa.Column('address', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['people.id'], name=op.f('fk_audit_log_actor_id_people')),
    sa.ForeignKeyConstraint(['institution_id'], ['institutions.id'], name=op.f('fk_audit_log_institution_id_institutions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_log'))
    )
    # serves: an institution lead's audit page, newest first
    op.create_index('ix_audit_log_institution_id_id', 'audit_log', ['institution_id', 'id'])

    op.create_table('cohort_memberships',
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('cohort_id', sa.Integer(), nullable=False),
    sa.Column('constituency', sa.String(length=20), nullable=False),
    sa.Column('joined_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['cohort_id'], ['cohorts.id'], name=op.f('fk_cohort_memberships_cohort_id_cohorts')),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_cohort_memberships_person_id_people')),
    sa.PrimaryKeyConstraint('person_id', 'cohort_id', name=op.f('pk_cohort_memberships'))
    )
    # serves: a cohort's roster
    op.create_index('ix_cohort_memberships_cohort_id', 'cohort_memberships', ['cohort_id'])

    op.create_table('invitations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.String(length=64), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('institution_id', sa.Integer(), nullable=False),
    sa.Column('cohort_id', sa.Integer(), nullable=True),
    sa.Column('role', sa.String(length=30), nullable=False),
    sa.Column('constituency', sa.String(length=20), nullable=False),
    sa.Column('invited_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('accepted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('accepted_person_id', sa.Integer(), nullable=True),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['accepted_person_id'], ['people.id'], name=op.f('fk_invitations_accepted_person_id_people')),
    sa.ForeignKeyConstraint(['cohort_id'], ['cohorts.id'], name=op.f('fk_invitations_cohort_id_cohorts')),
    sa.ForeignKeyConstraint(['institution_id'], ['institutions.id'], name=op.f('fk_invitations_institution_id_institutions')),
    sa.ForeignKeyConstraint(['invited_by_id'], ['people.id'], name=op.f('fk_invitations_invited_by_id_people')),
    sa.ForeignKeyConstraint(['revoked_by_id'], ['people.id'], name=op.f('fk_invitations_revoked_by_id_people')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_invitations')),
    sa.UniqueConstraint('public_id', name=op.f('uq_invitations_public_id'))
    )
    # serves: the invitation list of an institution
    op.create_index('ix_invitations_institution_created', 'invitations', ['institution_id', 'created_at'])

    op.create_table('password_resets',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_password_resets_person_id_people')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_password_resets')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_password_resets_token_hash'))
    )
    # serves: foreign-key checks when a person is scrubbed
    op.create_index('ix_password_resets_person_id', 'password_resets', ['person_id'])

    op.create_table('role_assignments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=30), nullable=False),
    sa.Column('institution_id', sa.Integer(), nullable=True),
    sa.Column('cohort_id', sa.Integer(), nullable=True),
    sa.Column('granted_by_id', sa.Integer(), nullable=True),
    sa.Column('granted_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("(role = 'program_admin' AND institution_id IS NULL AND cohort_id IS NULL) OR (role <> 'program_admin' AND institution_id IS NOT NULL)", name=op.f('ck_role_assignments_scope_matches_role')),
    sa.ForeignKeyConstraint(['cohort_id'], ['cohorts.id'], name=op.f('fk_role_assignments_cohort_id_cohorts')),
    sa.ForeignKeyConstraint(['granted_by_id'], ['people.id'], name=op.f('fk_role_assignments_granted_by_id_people')),
    sa.ForeignKeyConstraint(['institution_id'], ['institutions.id'], name=op.f('fk_role_assignments_institution_id_institutions')),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_role_assignments_person_id_people')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_role_assignments')),
    sa.UniqueConstraint('person_id', 'role', 'institution_id', 'cohort_id', name=op.f('uq_role_assignments_person_id_role_institution_id_cohort_id'))
    )
    # serves: loading the actor's roles on every request
    op.create_index('ix_role_assignments_person_id', 'role_assignments', ['person_id'])
    _make_audit_log_append_only()


def _make_audit_log_append_only() -> None:
    """Refuse UPDATE and DELETE on audit_log in the database itself. Safe to re-run only after a downgrade."""
    if op.get_bind().dialect.name == "sqlite":
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER audit_log_no_{verb.lower()} BEFORE {verb} ON audit_log "
                "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END"
            )
        return
    op.execute(
        "CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS "
        "$$ BEGIN RAISE EXCEPTION 'audit_log is append-only'; END $$"
    )
    op.execute(
        "CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log "
        "FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()"
    )


def _drop_audit_log_triggers() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_update")
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_delete")
        return
    op.execute("DROP TRIGGER IF EXISTS audit_log_append_only ON audit_log")
    op.execute("DROP FUNCTION IF EXISTS audit_log_append_only()")


def downgrade() -> None:
    _drop_audit_log_triggers()
    for table in (
        "role_assignments",
        "password_resets",
        "invitations",
        "cohort_memberships",
        "audit_log",
        "people",
        "cohorts",
        "institutions",
    ):
        op.drop_table(table)
