"""moderation flags

Revision ID: 0005
Revises: 0003
Create Date: 2026-11-28

Flags on messages (the moderation queue) and warnings to authors. A partial unique index on
(message_id, flagger_id) where the flag is open keeps one open flag per person and message,
and serves finding a message's open flags when a moderator resolves them; (status, id)
serves the queue page, newest first with keyset pagination; message_id alone serves the
flags of a message in the resolved view. (person_id, id) serves a person's warnings page.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('moderation_flags',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('message_id', sa.Integer(), nullable=False),
    sa.Column('conversation_id', sa.Integer(), nullable=False),
    sa.Column('flagger_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.String(length=30), nullable=False),
    sa.Column('note', sa.String(length=1000), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('resolved_by_id', sa.Integer(), nullable=True),
    sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('resolution_note', sa.String(length=500), nullable=False),
    sa.ForeignKeyConstraint(['conversation_id'], ['conversations.id'], name=op.f('fk_moderation_flags_conversation_id_conversations')),
    sa.ForeignKeyConstraint(['flagger_id'], ['people.id'], name=op.f('fk_moderation_flags_flagger_id_people')),
    sa.ForeignKeyConstraint(['message_id'], ['messages.id'], name=op.f('fk_moderation_flags_message_id_messages')),
    sa.ForeignKeyConstraint(['resolved_by_id'], ['people.id'], name=op.f('fk_moderation_flags_resolved_by_id_people')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_moderation_flags'))
    )
    with op.batch_alter_table('moderation_flags', schema=None) as batch_op:
        batch_op.create_index('ix_moderation_flags_message_id', ['message_id'], unique=False)
        batch_op.create_index('ix_moderation_flags_status_id', ['status', 'id'], unique=False)
        batch_op.create_index('ux_moderation_flags_open_message_id_flagger_id', ['message_id', 'flagger_id'], unique=True, sqlite_where=sa.text("status = 'open'"), postgresql_where=sa.text("status = 'open'"))

    op.create_table('moderation_warnings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('moderator_id', sa.Integer(), nullable=False),
    sa.Column('message_id', sa.Integer(), nullable=False),
    sa.Column('conversation_id', sa.Integer(), nullable=False),
    sa.Column('text', sa.String(length=2000), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['conversation_id'], ['conversations.id'], name=op.f('fk_moderation_warnings_conversation_id_conversations')),
    sa.ForeignKeyConstraint(['message_id'], ['messages.id'], name=op.f('fk_moderation_warnings_message_id_messages')),
    sa.ForeignKeyConstraint(['moderator_id'], ['people.id'], name=op.f('fk_moderation_warnings_moderator_id_people')),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_moderation_warnings_person_id_people')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_moderation_warnings'))
    )
    with op.batch_alter_table('moderation_warnings', schema=None) as batch_op:
        batch_op.create_index('ix_moderation_warnings_person_id_id', ['person_id', 'id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('moderation_warnings', schema=None) as batch_op:
        batch_op.drop_index('ix_moderation_warnings_person_id_id')

    op.drop_table('moderation_warnings')
    with op.batch_alter_table('moderation_flags', schema=None) as batch_op:
        batch_op.drop_index('ux_moderation_flags_open_message_id_flagger_id', sqlite_where=sa.text("status = 'open'"), postgresql_where=sa.text("status = 'open'"))
        batch_op.drop_index('ix_moderation_flags_status_id')
        batch_op.drop_index('ix_moderation_flags_message_id')

    op.drop_table('moderation_flags')
