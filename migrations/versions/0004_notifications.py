"""notifications

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28

Notifications (mentions, replies, watched posts, warnings) and each person's email
preference. The unique (recipient_id, conversation_id, seq) keeps one notification per
person per message and serves the de-duplication lookup; (recipient_id, id) serves the
notifications page, newest first with keyset pagination; (recipient_id, read_at, id) serves
the unread badge and the daily digest.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import artme_cop.db


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('notification_preferences',
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('email_mode', sa.String(length=20), nullable=False),
    sa.Column('last_digest_at', artme_cop.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('updated_at', artme_cop.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_notification_preferences_person_id_people')),
    sa.PrimaryKeyConstraint('person_id', name=op.f('pk_notification_preferences'))
    )
    op.create_table('notifications',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('recipient_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('conversation_id', sa.Integer(), nullable=True),
    sa.Column('seq', sa.Integer(), nullable=True),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('summary', sa.String(length=300), nullable=False),
    sa.Column('link', sa.String(length=500), nullable=False),
    sa.Column('created_at', artme_cop.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('read_at', artme_cop.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['actor_id'], ['people.id'], name=op.f('fk_notifications_actor_id_people')),
    sa.ForeignKeyConstraint(['conversation_id'], ['conversations.id'], name=op.f('fk_notifications_conversation_id_conversations')),
    sa.ForeignKeyConstraint(['recipient_id'], ['people.id'], name=op.f('fk_notifications_recipient_id_people')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notifications')),
    sa.UniqueConstraint('recipient_id', 'conversation_id', 'seq', name=op.f('uq_notifications_recipient_id_conversation_id_seq'))
    )
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.create_index('ix_notifications_recipient_id_id', ['recipient_id', 'id'], unique=False)
        batch_op.create_index('ix_notifications_recipient_id_read_at', ['recipient_id', 'read_at', 'id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_index('ix_notifications_recipient_id_read_at')
        batch_op.drop_index('ix_notifications_recipient_id_id')

    op.drop_table('notifications')
    op.drop_table('notification_preferences')
