"""knowledge repository

Revision ID: 0011
Revises: 0008
Create Date: 2026-11-28

The knowledge repository of issue #7: resources (working copy, context, scope, attribution,
review date), their authors and stewards, tags and phases, every submitted version, the
history of transitions, the content and safety reviews of each version, and "we applied
this" reports. Indexes: `institution_id` serves a school's resources; `(scope, updated_at)`
the browse page; `(state, review_due_on)` the review-due job; `knowledge_people.person_id`
the "involves this person" visibility test; `knowledge_tags.tag` and `knowledge_phases.phase`
the tag and phase facets; `resource_id` on transitions, reviews and reports a resource's
page; `(decision, due_at)` the reviewers' reminders; `conversation_id` (no index) points at the
resource's live discussion in the messaging core; `reviewer_id` "my reviews". No data step.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import artme_cop.db


revision = '0011'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('knowledge_resources',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.String(length=32), nullable=False),
    sa.Column('institution_id', sa.Integer(), nullable=False),
    sa.Column('type', sa.String(length=30), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('summary', sa.String(length=1000), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('body_html', sa.Text(), nullable=False),
    sa.Column('change_target', sa.String(length=300), nullable=False),
    sa.Column('priority', sa.String(length=10), nullable=False),
    sa.Column('state', sa.String(length=30), nullable=False),
    sa.Column('scope', sa.String(length=20), nullable=False),
    sa.Column('attribution', sa.String(length=20), nullable=True),
    sa.Column('approved_by_id', sa.Integer(), nullable=True),
    sa.Column('approved_at', artme_cop.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('conditions', sa.Text(), nullable=False),
    sa.Column('when_not_to_use', sa.Text(), nullable=False),
    sa.Column('contact_id', sa.Integer(), nullable=True),
    sa.Column('conversation_id', sa.Integer(), nullable=True),
    sa.Column('review_due_on', sa.Date(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', artme_cop.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', artme_cop.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("attribution IS NULL OR attribution IN ('named', 'partner')", name=op.f('ck_knowledge_resources_attribution_known')),
    sa.CheckConstraint("scope IN ('private', 'institution', 'program')", name=op.f('ck_knowledge_resources_scope_known')),
    sa.ForeignKeyConstraint(['approved_by_id'], ['people.id'], name=op.f('fk_knowledge_resources_approved_by_id_people')),
    sa.ForeignKeyConstraint(['contact_id'], ['people.id'], name=op.f('fk_knowledge_resources_contact_id_people')),
    sa.ForeignKeyConstraint(['conversation_id'], ['conversations.id'], name=op.f('fk_knowledge_resources_conversation_id_conversations')),
    sa.ForeignKeyConstraint(['created_by_id'], ['people.id'], name=op.f('fk_knowledge_resources_created_by_id_people')),
    sa.ForeignKeyConstraint(['institution_id'], ['institutions.id'], name=op.f('fk_knowledge_resources_institution_id_institutions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_knowledge_resources')),
    sa.UniqueConstraint('public_id', name=op.f('uq_knowledge_resources_public_id'))
    )
    with op.batch_alter_table('knowledge_resources', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_knowledge_resources_institution_id'), ['institution_id'], unique=False)
        batch_op.create_index('ix_knowledge_resources_scope_updated_at', ['scope', 'updated_at'], unique=False)
        batch_op.create_index('ix_knowledge_resources_state_review_due_on', ['state', 'review_due_on'], unique=False)

    op.create_table('knowledge_people',
    sa.Column('resource_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=20), nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_knowledge_people_person_id_people')),
    sa.ForeignKeyConstraint(['resource_id'], ['knowledge_resources.id'], name=op.f('fk_knowledge_people_resource_id_knowledge_resources')),
    sa.PrimaryKeyConstraint('resource_id', 'person_id', 'role', name=op.f('pk_knowledge_people'))
    )
    with op.batch_alter_table('knowledge_people', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_knowledge_people_person_id'), ['person_id'], unique=False)

    op.create_table('knowledge_phases',
    sa.Column('resource_id', sa.Integer(), nullable=False),
    sa.Column('phase', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['resource_id'], ['knowledge_resources.id'], name=op.f('fk_knowledge_phases_resource_id_knowledge_resources')),
    sa.PrimaryKeyConstraint('resource_id', 'phase', name=op.f('pk_knowledge_phases'))
    )
    with op.batch_alter_table('knowledge_phases', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_knowledge_phases_phase'), ['phase'], unique=False)

    op.create_table('knowledge_reports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('resource_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('institution_id', sa.Integer(), nullable=False),
    sa.Column('where', sa.String(length=200), nullable=False),
    sa.Column('applied_on', sa.Date(), nullable=False),
    sa.Column('what_happened', sa.Text(), nullable=False),
    sa.Column('evidence', sa.Text(), nullable=False),
    sa.Column('created_at', artme_cop.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['institution_id'], ['institutions.id'], name=op.f('fk_knowledge_reports_institution_id_institutions')),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_knowledge_reports_person_id_people')),
    sa.ForeignKeyConstraint(['resource_id'], ['knowledge_resources.id'], name=op.f('fk_knowledge_reports_resource_id_knowledge_resources')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_knowledge_reports'))
    )
    with op.batch_alter_table('knowledge_reports', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_knowledge_reports_resource_id'), ['resource_id'], unique=False)

    op.create_table('knowledge_tags',
    sa.Column('resource_id', sa.Integer(), nullable=False),
    sa.Column('tag', sa.String(length=40), nullable=False),
    sa.ForeignKeyConstraint(['resource_id'], ['knowledge_resources.id'], name=op.f('fk_knowledge_tags_resource_id_knowledge_resources')),
    sa.PrimaryKeyConstraint('resource_id', 'tag', name=op.f('pk_knowledge_tags'))
    )
    with op.batch_alter_table('knowledge_tags', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_knowledge_tags_tag'), ['tag'], unique=False)

    op.create_table('knowledge_transitions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('resource_id', sa.Integer(), nullable=False),
    sa.Column('move', sa.String(length=30), nullable=False),
    sa.Column('from_state', sa.String(length=30), nullable=False),
    sa.Column('to_state', sa.String(length=30), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('reason', sa.String(length=1000), nullable=False),
    sa.Column('version_number', sa.Integer(), nullable=True),
    sa.Column('at', artme_cop.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['people.id'], name=op.f('fk_knowledge_transitions_actor_id_people')),
    sa.ForeignKeyConstraint(['resource_id'], ['knowledge_resources.id'], name=op.f('fk_knowledge_transitions_resource_id_knowledge_resources')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_knowledge_transitions'))
    )
    with op.batch_alter_table('knowledge_transitions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_knowledge_transitions_resource_id'), ['resource_id'], unique=False)

    op.create_table('knowledge_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('resource_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('summary', sa.String(length=1000), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('body_html', sa.Text(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', artme_cop.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('scope', sa.String(length=20), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['people.id'], name=op.f('fk_knowledge_versions_created_by_id_people')),
    sa.ForeignKeyConstraint(['resource_id'], ['knowledge_resources.id'], name=op.f('fk_knowledge_versions_resource_id_knowledge_resources')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_knowledge_versions')),
    sa.UniqueConstraint('resource_id', 'number', name=op.f('uq_knowledge_versions_resource_id_number'))
    )
    op.create_table('knowledge_reviews',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('resource_id', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=20), nullable=False),
    sa.Column('reviewer_id', sa.Integer(), nullable=False),
    sa.Column('decision', sa.String(length=20), nullable=False),
    sa.Column('comments', sa.Text(), nullable=False),
    sa.Column('due_at', artme_cop.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('decided_at', artme_cop.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('reminded_at', artme_cop.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['resource_id'], ['knowledge_resources.id'], name=op.f('fk_knowledge_reviews_resource_id_knowledge_resources')),
    sa.ForeignKeyConstraint(['reviewer_id'], ['people.id'], name=op.f('fk_knowledge_reviews_reviewer_id_people')),
    sa.ForeignKeyConstraint(['version_id'], ['knowledge_versions.id'], name=op.f('fk_knowledge_reviews_version_id_knowledge_versions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_knowledge_reviews')),
    sa.UniqueConstraint('version_id', 'role', name=op.f('uq_knowledge_reviews_version_id_role'))
    )
    with op.batch_alter_table('knowledge_reviews', schema=None) as batch_op:
        batch_op.create_index('ix_knowledge_reviews_decision_due_at', ['decision', 'due_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_knowledge_reviews_resource_id'), ['resource_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_knowledge_reviews_reviewer_id'), ['reviewer_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('knowledge_reviews', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_knowledge_reviews_reviewer_id'))
        batch_op.drop_index(batch_op.f('ix_knowledge_reviews_resource_id'))
        batch_op.drop_index('ix_knowledge_reviews_decision_due_at')

    op.drop_table('knowledge_reviews')
    op.drop_table('knowledge_versions')
    with op.batch_alter_table('knowledge_transitions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_knowledge_transitions_resource_id'))

    op.drop_table('knowledge_transitions')
    with op.batch_alter_table('knowledge_tags', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_knowledge_tags_tag'))

    op.drop_table('knowledge_tags')
    with op.batch_alter_table('knowledge_reports', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_knowledge_reports_resource_id'))

    op.drop_table('knowledge_reports')
    with op.batch_alter_table('knowledge_phases', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_knowledge_phases_phase'))

    op.drop_table('knowledge_phases')
    with op.batch_alter_table('knowledge_people', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_knowledge_people_person_id'))

    op.drop_table('knowledge_people')
    with op.batch_alter_table('knowledge_resources', schema=None) as batch_op:
        batch_op.drop_index('ix_knowledge_resources_state_review_due_on')
        batch_op.drop_index('ix_knowledge_resources_scope_updated_at')
        batch_op.drop_index(batch_op.f('ix_knowledge_resources_institution_id'))

    op.drop_table('knowledge_resources')
