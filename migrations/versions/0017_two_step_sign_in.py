"""two-step sign-in

Revision ID: 0017
Revises: 0016
Create Date: 2026-11-29

SEC-C7: a person's authenticator-app secret (`two_step_secrets`, one per person, confirmed
once a first code matched) and their single-use recovery codes (`two_step_recovery_codes`,
SHA-256 only). Safe to run once per database.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import artme_cop.db


revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'two_step_secrets',
        sa.Column('person_id', sa.Integer(), nullable=False),
        sa.Column('secret', sa.String(length=64), nullable=False),
        sa.Column('created_at', artme_cop.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column('confirmed_at', artme_cop.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column('last_step', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_two_step_secrets_person_id_people')),
        sa.PrimaryKeyConstraint('person_id', name=op.f('pk_two_step_secrets')),
    )
    op.create_table(
        'two_step_recovery_codes',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('person_id', sa.Integer(), nullable=False),
        sa.Column('code_hash', sa.String(length=64), nullable=False),
        sa.Column('used_at', artme_cop.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_two_step_recovery_codes_person_id_people')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_two_step_recovery_codes')),
    )
    op.create_index(op.f('ix_two_step_recovery_codes_person_id'), 'two_step_recovery_codes', ['person_id'])


def downgrade() -> None:
    op.drop_index(op.f('ix_two_step_recovery_codes_person_id'), table_name='two_step_recovery_codes')
    op.drop_table('two_step_recovery_codes')
    op.drop_table('two_step_secrets')
