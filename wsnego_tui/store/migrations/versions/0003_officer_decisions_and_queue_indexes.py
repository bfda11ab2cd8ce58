"""Officers' decisions (officer_decision: direct ones, and proposals waiting for a second
officer's approval) and indexes for the officer queue filtered by kind and by age.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('officer_decision',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('application_id', sa.Integer(), nullable=False),
    sa.Column('action', sa.String(length=24), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('made_by', sa.String(length=16), nullable=False),
    sa.Column('made_at', sa.DateTime(), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('params', sa.Text(), nullable=False),
    sa.Column('approval_reasons', sa.Text(), nullable=False),
    sa.Column('application_version', sa.Integer(), nullable=False),
    sa.Column('reviewed_by', sa.String(length=16), nullable=True),
    sa.Column('reviewed_at', sa.DateTime(), nullable=True),
    sa.Column('review_note', sa.Text(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.CheckConstraint("action IN ('issue_offers', 'request_materials', 'reject')", name='decision_action'),
    sa.CheckConstraint("status IN ('pending', 'effective', 'returned', 'withdrawn')", name='decision_status'),
    sa.CheckConstraint('reviewed_by IS NULL OR reviewed_by <> made_by', name='decision_four_eyes'),
    sa.ForeignKeyConstraint(['application_id'], ['application.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('officer_decision', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_officer_decision_application_id'), ['application_id'], unique=False)
        batch_op.create_index('officer_decision_status', ['status', 'application_id'], unique=False)

    with op.batch_alter_table('application', schema=None) as batch_op:
        batch_op.create_index('application_queue_age', ['status', 'submitted_at', 'kind', 'deadline_at'], unique=False)
        batch_op.create_index('application_queue_kind', ['status', 'kind', 'deadline_at', 'submitted_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('application', schema=None) as batch_op:
        batch_op.drop_index('application_queue_kind')
        batch_op.drop_index('application_queue_age')

    with op.batch_alter_table('officer_decision', schema=None) as batch_op:
        batch_op.drop_index('officer_decision_status')
        batch_op.drop_index(batch_op.f('ix_officer_decision_application_id'))

    op.drop_table('officer_decision')
