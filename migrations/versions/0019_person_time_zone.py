"""a person's time zone

Revision ID: 0019
Revises: 0018
Create Date: 2026-11-29

Pages show times in the reader's zone and forms read them in it (`artme_cop.zones`). Everyone
starts in UTC, which is what every page showed before. Safe to run once per database.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('people') as batch:
        batch.add_column(sa.Column('time_zone', sa.String(length=64), nullable=False, server_default='UTC'))


def downgrade() -> None:
    with op.batch_alter_table('people') as batch:
        batch.drop_column('time_zone')
