"""knowledge adaptations

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-28

Adaptations of knowledge resources keep their lineage: `adapted_from_id` (the resource
another school adapted) and `adapted_from_version` (the version they read). The index on
`adapted_from_id` serves a resource's list of adaptations. A separate revision because 0011
is merged already. No data step.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('knowledge_resources', schema=None) as batch_op:
        batch_op.add_column(sa.Column('adapted_from_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('adapted_from_version', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_knowledge_resources_adapted_from_id'), ['adapted_from_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_knowledge_resources_adapted_from_id_knowledge_resources'), 'knowledge_resources', ['adapted_from_id'], ['id'])


def downgrade() -> None:
    with op.batch_alter_table('knowledge_resources', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_knowledge_resources_adapted_from_id_knowledge_resources'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_knowledge_resources_adapted_from_id'))
        batch_op.drop_column('adapted_from_version')
        batch_op.drop_column('adapted_from_id')
