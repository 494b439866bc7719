"""the retention purge of removed messages

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-29

SEC-B5: the text and files of a deleted or hidden message are purged after
`ARTME_REMOVED_RETENTION_DAYS`. `messages.purged_at` says when; the partial index
`ix_messages_removed_unpurged` lets each run find the few messages still to purge without
reading the whole table. A plain ADD COLUMN, so the SQLite search triggers on `messages`
stay as they are. Safe to run once per database.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import artme_cop.db


revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None

REMOVED_UNPURGED = "purged_at IS NULL AND (deleted_at IS NOT NULL OR hidden_at IS NOT NULL)"


def upgrade() -> None:
    op.add_column('messages', sa.Column('purged_at', artme_cop.db.UTCDateTime(timezone=True), nullable=True))
    op.create_index(
        'ix_messages_removed_unpurged', 'messages', ['id'],
        sqlite_where=sa.text(REMOVED_UNPURGED), postgresql_where=sa.text(REMOVED_UNPURGED),
    )


def downgrade() -> None:
    op.drop_index('ix_messages_removed_unpurged', table_name='messages')
    op.drop_column('messages', 'purged_at')
