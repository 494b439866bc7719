"""forum

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28

Categories (seeded with the program's phases and the general ones), threads over
conversations of the messaging core, watch/mute choices and bookmarks. The thread indexes
serve the list orders with keyset pagination: (category_id, last_post_at, id) for a
category by latest activity, (last_post_at, id), (created_at, id) and (post_count, id)
for the lists across categories.
"""

from __future__ import annotations

from datetime import datetime, timezone

import sqlalchemy as sa
from alembic import op

import artme_cop.db
from artme_cop.forum.defaults import default_category_rows


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('forum_categories',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=60), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('phase', sa.Integer(), nullable=True),
    sa.Column('start_rule', sa.String(length=20), nullable=False),
    sa.Column('created_at', artme_cop.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_forum_categories')),
    sa.UniqueConstraint('slug', name=op.f('uq_forum_categories_slug'))
    )
    op.create_table('forum_threads',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('conversation_id', sa.Integer(), nullable=False),
    sa.Column('category_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('is_pinned', sa.Boolean(), nullable=False),
    sa.Column('post_count', sa.Integer(), nullable=False),
    sa.Column('last_post_at', artme_cop.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_author_id', sa.Integer(), nullable=True),
    sa.Column('created_at', artme_cop.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['people.id'], name=op.f('fk_forum_threads_author_id_people')),
    sa.ForeignKeyConstraint(['category_id'], ['forum_categories.id'], name=op.f('fk_forum_threads_category_id_forum_categories')),
    sa.ForeignKeyConstraint(['conversation_id'], ['conversations.id'], name=op.f('fk_forum_threads_conversation_id_conversations')),
    sa.ForeignKeyConstraint(['last_author_id'], ['people.id'], name=op.f('fk_forum_threads_last_author_id_people')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_forum_threads')),
    sa.UniqueConstraint('conversation_id', name=op.f('uq_forum_threads_conversation_id'))
    )
    with op.batch_alter_table('forum_threads', schema=None) as batch_op:
        batch_op.create_index('ix_forum_threads_category_id_last_post_at', ['category_id', 'last_post_at', 'id'], unique=False)
        batch_op.create_index('ix_forum_threads_created_at', ['created_at', 'id'], unique=False)
        batch_op.create_index('ix_forum_threads_last_post_at', ['last_post_at', 'id'], unique=False)
        batch_op.create_index('ix_forum_threads_post_count', ['post_count', 'id'], unique=False)

    op.create_table('forum_bookmarks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('thread_id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('created_at', artme_cop.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_forum_bookmarks_person_id_people')),
    sa.ForeignKeyConstraint(['thread_id'], ['forum_threads.id'], name=op.f('fk_forum_bookmarks_thread_id_forum_threads')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_forum_bookmarks')),
    sa.UniqueConstraint('person_id', 'thread_id', 'seq', name=op.f('uq_forum_bookmarks_person_id_thread_id_seq'))
    )
    op.create_table('forum_thread_watches',
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('thread_id', sa.Integer(), nullable=False),
    sa.Column('level', sa.String(length=20), nullable=False),
    sa.Column('updated_at', artme_cop.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_forum_thread_watches_person_id_people')),
    sa.ForeignKeyConstraint(['thread_id'], ['forum_threads.id'], name=op.f('fk_forum_thread_watches_thread_id_forum_threads')),
    sa.PrimaryKeyConstraint('person_id', 'thread_id', name=op.f('pk_forum_thread_watches'))
    )
    with op.batch_alter_table('forum_thread_watches', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_forum_thread_watches_thread_id'), ['thread_id'], unique=False)
    categories = sa.table(
        'forum_categories', sa.column('slug'), sa.column('name'), sa.column('phase'), sa.column('description'),
        sa.column('position'), sa.column('start_rule'), sa.column('created_at', artme_cop.db.UTCDateTime(timezone=True)),
    )
    op.bulk_insert(categories, default_category_rows(datetime.now(timezone.utc)))



def downgrade() -> None:
    with op.batch_alter_table('forum_thread_watches', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_forum_thread_watches_thread_id'))

    op.drop_table('forum_thread_watches')
    op.drop_table('forum_bookmarks')
    with op.batch_alter_table('forum_threads', schema=None) as batch_op:
        batch_op.drop_index('ix_forum_threads_post_count')
        batch_op.drop_index('ix_forum_threads_last_post_at')
        batch_op.drop_index('ix_forum_threads_created_at')
        batch_op.drop_index('ix_forum_threads_category_id_last_post_at')

    op.drop_table('forum_threads')
    op.drop_table('forum_categories')
