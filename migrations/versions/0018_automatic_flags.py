"""flags by nobody

Revision ID: 0018
Revises: 0017
Create Date: 2026-11-29

SEC-L1: the screening for patient identifiers flags a post by itself, so
`moderation_flags.flagger_id` may be NULL. On SQLite the column changes through a batch copy
of the table; the partial unique index (one open flag per person and message) is dropped
before and made again after, since a copy would not keep its WHERE clause. Safe to run once
per database.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None

OPEN_INDEX = 'ux_moderation_flags_open_message_id_flagger_id'
OPEN = "status = 'open'"


def _flagger(nullable: bool) -> None:
    op.drop_index(OPEN_INDEX, table_name='moderation_flags')
    with op.batch_alter_table('moderation_flags') as batch:
        batch.alter_column('flagger_id', existing_type=sa.Integer(), nullable=nullable)
    op.create_index(OPEN_INDEX, 'moderation_flags', ['message_id', 'flagger_id'], unique=True, sqlite_where=sa.text(OPEN), postgresql_where=sa.text(OPEN))


def upgrade() -> None:
    _flagger(True)


def downgrade() -> None:
    op.execute("DELETE FROM moderation_flags WHERE flagger_id IS NULL")
    _flagger(False)
