"""conversation members

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-28

Conversations of the `members` scope (team channels, breakouts, back-channels) are read only
by the people listed here. The primary key (conversation_id, person_id) serves "is this
person a member" and a conversation's roster; `person_id` serves loading a person's
memberships when their actor is built, once per request.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import artme_cop.db


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('conversation_members',
    sa.Column('conversation_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('is_moderator', sa.Boolean(), nullable=False),
    sa.Column('added_at', artme_cop.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['conversation_id'], ['conversations.id'], name=op.f('fk_conversation_members_conversation_id_conversations')),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_conversation_members_person_id_people')),
    sa.PrimaryKeyConstraint('conversation_id', 'person_id', name=op.f('pk_conversation_members'))
    )
    op.create_index('ix_conversation_members_person_id', 'conversation_members', ['person_id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_conversation_members_person_id', table_name='conversation_members')
    op.drop_table('conversation_members')
