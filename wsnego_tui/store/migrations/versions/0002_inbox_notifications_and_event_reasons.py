"""The borrower's inbox (notification), a reason code with JSON detail on status events, and
which plan an offer is (offer.label).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('notification',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('loan_id', sa.Integer(), nullable=True),
    sa.Column('application_id', sa.Integer(), nullable=True),
    sa.Column('params', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('read_at', sa.DateTime(), nullable=True),
    sa.Column('dedupe_key', sa.String(length=96), nullable=True),
    sa.CheckConstraint("kind IN ('materials_requested', 'offer_ready', 'rejected', 'expired', 'needs_officer', 'plan_active', 'installment_due', 'plan_broken', 'settled')", name='notification_kind'),
    sa.ForeignKeyConstraint(['application_id'], ['application.id'], ),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], ),
    sa.ForeignKeyConstraint(['loan_id'], ['loan.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('dedupe_key')
    )
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.create_index('notification_inbox', ['customer_id', 'created_at'], unique=False)

    with op.batch_alter_table('status_event', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reason', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('detail', sa.Text(), server_default='{}', nullable=False))

    with op.batch_alter_table('offer', schema=None) as batch_op:
        batch_op.add_column(sa.Column('label', sa.String(length=24), server_default='officer', nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('offer', schema=None) as batch_op:
        batch_op.drop_column('label')

    with op.batch_alter_table('status_event', schema=None) as batch_op:
        batch_op.drop_column('detail')
        batch_op.drop_column('reason')

    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.drop_index('notification_inbox')

    op.drop_table('notification')
