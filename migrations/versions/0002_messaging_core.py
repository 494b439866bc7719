"""messaging core

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28

Conversations, messages with their per-conversation seq, edit history, reactions,
mentions and read markers. The unique (conversation_id, seq) index also serves replay
(seq > n in order); (author_id, client_msg_id) makes retried sends idempotent.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('conversations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('scope', sa.String(length=20), nullable=False),
    sa.Column('institution_id', sa.Integer(), nullable=True),
    sa.Column('cohort_id', sa.Integer(), nullable=True),
    sa.Column('last_seq', sa.Integer(), nullable=False),
    sa.Column('is_locked', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['cohort_id'], ['cohorts.id'], name=op.f('fk_conversations_cohort_id_cohorts')),
    sa.ForeignKeyConstraint(['institution_id'], ['institutions.id'], name=op.f('fk_conversations_institution_id_institutions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_conversations'))
    )
    op.create_table('messages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('conversation_id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('client_msg_id', sa.String(length=64), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('html', sa.Text(), nullable=False),
    sa.Column('renderer_version', sa.Integer(), nullable=False),
    sa.Column('reply_to_seq', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('edited_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('deleted_by_id', sa.Integer(), nullable=True),
    sa.Column('hidden_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('hidden_by_id', sa.Integer(), nullable=True),
    sa.Column('hide_reason', sa.String(length=500), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['people.id'], name=op.f('fk_messages_author_id_people')),
    sa.ForeignKeyConstraint(['conversation_id'], ['conversations.id'], name=op.f('fk_messages_conversation_id_conversations')),
    sa.ForeignKeyConstraint(['deleted_by_id'], ['people.id'], name=op.f('fk_messages_deleted_by_id_people')),
    sa.ForeignKeyConstraint(['hidden_by_id'], ['people.id'], name=op.f('fk_messages_hidden_by_id_people')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_messages')),
    sa.UniqueConstraint('author_id', 'client_msg_id', name=op.f('uq_messages_author_id_client_msg_id')),
    sa.UniqueConstraint('conversation_id', 'seq', name=op.f('uq_messages_conversation_id_seq'))
    )
    op.create_table('read_markers',
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('conversation_id', sa.Integer(), nullable=False),
    sa.Column('last_read_seq', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['conversation_id'], ['conversations.id'], name=op.f('fk_read_markers_conversation_id_conversations')),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_read_markers_person_id_people')),
    sa.PrimaryKeyConstraint('person_id', 'conversation_id', name=op.f('pk_read_markers'))
    )
    op.create_table('mentions',
    sa.Column('message_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['message_id'], ['messages.id'], name=op.f('fk_mentions_message_id_messages')),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_mentions_person_id_people')),
    sa.PrimaryKeyConstraint('message_id', 'person_id', name=op.f('pk_mentions'))
    )
    # serves: a person's mentions, newest first (notifications)
    op.create_index('ix_mentions_person_id_message_id', 'mentions', ['person_id', 'message_id'])

    op.create_table('message_edits',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('message_id', sa.Integer(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('edited_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('editor_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['editor_id'], ['people.id'], name=op.f('fk_message_edits_editor_id_people')),
    sa.ForeignKeyConstraint(['message_id'], ['messages.id'], name=op.f('fk_message_edits_message_id_messages')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_message_edits'))
    )
    # serves: a message's edit history for moderators
    op.create_index('ix_message_edits_message_id', 'message_edits', ['message_id'])

    op.create_table('reactions',
    sa.Column('message_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('emoji', sa.String(length=20), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['message_id'], ['messages.id'], name=op.f('fk_reactions_message_id_messages')),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_reactions_person_id_people')),
    sa.PrimaryKeyConstraint('message_id', 'person_id', 'emoji', name=op.f('pk_reactions'))
    )


def downgrade() -> None:
    for table in ("reactions", "message_edits", "mentions", "read_markers", "messages", "conversations"):
        op.drop_table(table)
