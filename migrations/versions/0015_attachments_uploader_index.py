"""an index on attachments.uploader_id

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-29

The upload quota (SEC-H1, `ARTME_UPLOAD_QUOTA_BYTES`) sums the sizes of one person's files
at every upload: `ix_attachments_uploader_id` serves that sum. Safe to run once per database.
"""

from __future__ import annotations

from alembic import op


revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_attachments_uploader_id', 'attachments', ['uploader_id'])


def downgrade() -> None:
    op.drop_index('ix_attachments_uploader_id', table_name='attachments')
