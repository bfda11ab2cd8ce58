"""Initial schema: customers, officers, products, loans, plans, applications, payments, audit.

Money columns are BIGINT fen and rates INTEGER ten-thousandths of a percent (see store.types);
the audit log is append-only, enforced by triggers on both databases.

Revision ID: 0001
Revises: 
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


AUDIT_GUARD_SQLITE = (
    "CREATE TRIGGER audit_log_no_{op} BEFORE {OP} ON audit_log "
    "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END"
)
AUDIT_GUARD_PG_FUNCTION = """
CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only';
END $$
"""
AUDIT_GUARD_PG_TRIGGER = (
    "CREATE TRIGGER audit_log_no_update_delete BEFORE UPDATE OR DELETE OR TRUNCATE ON audit_log "
    "FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only()"
)


def _guard_audit_log() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(AUDIT_GUARD_PG_FUNCTION)
        op.execute(AUDIT_GUARD_PG_TRIGGER)
    else:
        for name in ("update", "delete"):
            op.execute(AUDIT_GUARD_SQLITE.format(op=name, OP=name.upper()))


def _unguard_audit_log() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_update_delete ON audit_log")
        op.execute("DROP FUNCTION IF EXISTS audit_log_append_only()")
    else:
        for name in ("update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS audit_log_no_{name}")


def upgrade() -> None:
    op.create_table('audit_log',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('actor', sa.String(length=32), nullable=False),
    sa.Column('action', sa.String(length=48), nullable=False),
    sa.Column('subject', sa.String(length=64), nullable=False),
    sa.Column('detail', sa.Text(), nullable=False),
    sa.Column('prev_hash', sa.String(length=64), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('hash'),
    sa.UniqueConstraint('prev_hash')
    )
    op.create_table('customer',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('customer_no', sa.String(length=8), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('pin_hash', sa.String(length=200), nullable=False),
    sa.Column('failed_logins', sa.Integer(), nullable=False),
    sa.Column('locked_until', sa.DateTime(), nullable=True),
    sa.Column('is_demo', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.CheckConstraint('failed_logins >= 0', name='failed_logins_not_negative'),
    sa.CheckConstraint('length(customer_no) = 8', name='customer_no_length'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('customer_no')
    )
    op.create_table('loan_product',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('name_zh', sa.String(length=64), nullable=False),
    sa.Column('name_en', sa.String(length=64), nullable=False),
    sa.Column('method', sa.String(length=24), nullable=False),
    sa.Column('rate_basis', sa.String(length=8), nullable=False),
    sa.Column('quoted_rate', sa.Integer(), nullable=False),
    sa.CheckConstraint("method IN ('equal-installment', 'equal-principal', 'interest-first')", name='product_method'),
    sa.CheckConstraint("rate_basis IN ('annual', 'daily')", name='product_rate_basis'),
    sa.CheckConstraint('quoted_rate >= 0', name='product_rate_not_negative'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('code')
    )
    op.create_table('officer',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('officer_no', sa.String(length=16), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('pin_hash', sa.String(length=200), nullable=False),
    sa.Column('failed_logins', sa.Integer(), nullable=False),
    sa.Column('locked_until', sa.DateTime(), nullable=True),
    sa.Column('is_demo', sa.Boolean(), nullable=False),
    sa.CheckConstraint("role IN ('officer', 'senior')", name='officer_role'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('officer_no')
    )
    op.create_table('loan',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('loan_no', sa.String(length=24), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('principal', sa.BigInteger(), nullable=False),
    sa.Column('annual_rate', sa.Integer(), nullable=False),
    sa.Column('term_months', sa.Integer(), nullable=False),
    sa.Column('start_date', sa.Date(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('negotiations_used', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.CheckConstraint("status IN ('current', 'overdue', 'negotiated', 'broken', 'settled', 'closed')", name='loan_status'),
    sa.CheckConstraint('negotiations_used >= 0', name='negotiations_used_not_negative'),
    sa.CheckConstraint('principal > 0', name='loan_principal_positive'),
    sa.CheckConstraint('term_months > 0', name='loan_term_positive'),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], ),
    sa.ForeignKeyConstraint(['product_id'], ['loan_product.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('loan_no')
    )
    with op.batch_alter_table('loan', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_loan_customer_id'), ['customer_id'], unique=False)

    op.create_table('application',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('loan_id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('status', sa.String(length=24), nullable=False),
    sa.Column('hardship_category', sa.String(length=32), nullable=True),
    sa.Column('hardship_text', sa.Text(), nullable=False),
    sa.Column('monthly_income', sa.BigInteger(), nullable=True),
    sa.Column('essential_expenses', sa.BigInteger(), nullable=True),
    sa.Column('other_debt', sa.BigInteger(), nullable=True),
    sa.Column('wish_monthly', sa.BigInteger(), nullable=True),
    sa.Column('wish_months', sa.Integer(), nullable=True),
    sa.Column('grace_months', sa.Integer(), nullable=False),
    sa.Column('grace_kind', sa.String(length=16), nullable=True),
    sa.Column('lump_sum', sa.BigInteger(), nullable=True),
    sa.Column('lump_date', sa.Date(), nullable=True),
    sa.Column('idempotency_key', sa.String(length=64), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('submitted_at', sa.DateTime(), nullable=True),
    sa.Column('deadline_at', sa.DateTime(), nullable=True),
    sa.Column('decided_at', sa.DateTime(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.CheckConstraint("grace_kind IS NULL OR grace_kind IN ('interest-only', 'deferral')", name='application_grace_kind'),
    sa.CheckConstraint("kind IN ('first', 'second', 'settlement')", name='application_kind'),
    sa.CheckConstraint("status IN ('draft', 'submitted', 'under_review', 'materials_requested', 'offer_issued', 'accepted', 'plan_active', 'completed', 'broken', 'rejected', 'expired', 'withdrawn')", name='application_status'),
    sa.CheckConstraint('essential_expenses >= 0', name='essential_expenses_not_negative'),
    sa.CheckConstraint('length(hardship_text) <= 500', name='hardship_text_length'),
    sa.CheckConstraint('lump_sum >= 0', name='lump_sum_not_negative'),
    sa.CheckConstraint('monthly_income >= 0', name='monthly_income_not_negative'),
    sa.CheckConstraint('other_debt >= 0', name='other_debt_not_negative'),
    sa.CheckConstraint('wish_monthly >= 0', name='wish_monthly_not_negative'),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], ),
    sa.ForeignKeyConstraint(['loan_id'], ['loan.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('idempotency_key')
    )
    with op.batch_alter_table('application', schema=None) as batch_op:
        batch_op.create_index('application_queue', ['status', 'deadline_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_application_customer_id'), ['customer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_application_loan_id'), ['loan_id'], unique=False)

    op.create_table('payment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('loan_id', sa.Integer(), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('to_penalty', sa.BigInteger(), nullable=False),
    sa.Column('to_interest', sa.BigInteger(), nullable=False),
    sa.Column('to_principal', sa.BigInteger(), nullable=False),
    sa.Column('unapplied', sa.BigInteger(), nullable=False),
    sa.Column('paid_at', sa.DateTime(), nullable=False),
    sa.Column('idempotency_key', sa.String(length=64), nullable=False),
    sa.Column('receipt_no', sa.String(length=32), nullable=False),
    sa.CheckConstraint('amount = to_penalty + to_interest + to_principal + unapplied', name='payment_allocated'),
    sa.CheckConstraint('amount > 0', name='payment_positive'),
    sa.CheckConstraint('to_interest >= 0', name='to_interest_not_negative'),
    sa.CheckConstraint('to_penalty >= 0', name='to_penalty_not_negative'),
    sa.CheckConstraint('to_principal >= 0', name='to_principal_not_negative'),
    sa.CheckConstraint('unapplied >= 0', name='unapplied_not_negative'),
    sa.ForeignKeyConstraint(['loan_id'], ['loan.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('idempotency_key'),
    sa.UniqueConstraint('receipt_no')
    )
    with op.batch_alter_table('payment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_payment_loan_id'), ['loan_id'], unique=False)

    op.create_table('offer',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('application_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('principal', sa.BigInteger(), nullable=False),
    sa.Column('capitalised_arrears', sa.BigInteger(), nullable=False),
    sa.Column('waived_penalty', sa.BigInteger(), nullable=False),
    sa.Column('waived_interest', sa.BigInteger(), nullable=False),
    sa.Column('down_payment', sa.BigInteger(), nullable=False),
    sa.Column('annual_rate', sa.Integer(), nullable=False),
    sa.Column('method', sa.String(length=24), nullable=False),
    sa.Column('months', sa.Integer(), nullable=False),
    sa.Column('grace_months', sa.Integer(), nullable=False),
    sa.Column('grace_kind', sa.String(length=16), nullable=True),
    sa.Column('start_date', sa.Date(), nullable=False),
    sa.Column('installment', sa.BigInteger(), nullable=False),
    sa.Column('total_payment', sa.BigInteger(), nullable=False),
    sa.Column('total_interest', sa.BigInteger(), nullable=False),
    sa.Column('apr_nominal', sa.Integer(), nullable=False),
    sa.Column('apr_effective', sa.Integer(), nullable=False),
    sa.Column('created_by', sa.String(length=32), nullable=False),
    sa.Column('approved_by', sa.String(length=32), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.CheckConstraint("grace_kind IS NULL OR grace_kind IN ('interest-only', 'deferral')", name='offer_grace_kind'),
    sa.CheckConstraint("kind IN ('first', 'second', 'settlement')", name='offer_kind'),
    sa.CheckConstraint("method IN ('equal-installment', 'equal-principal', 'interest-first')", name='offer_method'),
    sa.CheckConstraint("status IN ('proposed', 'issued', 'accepted', 'declined', 'expired', 'withdrawn')", name='offer_status'),
    sa.CheckConstraint('capitalised_arrears >= 0', name='capitalised_arrears_not_negative'),
    sa.CheckConstraint('down_payment >= 0', name='down_payment_not_negative'),
    sa.CheckConstraint('installment >= 0', name='installment_not_negative'),
    sa.CheckConstraint('months > 0 AND grace_months >= 0 AND grace_months < months', name='offer_term'),
    sa.CheckConstraint('principal >= 0', name='principal_not_negative'),
    sa.CheckConstraint('total_interest >= 0', name='total_interest_not_negative'),
    sa.CheckConstraint('total_payment >= 0', name='total_payment_not_negative'),
    sa.CheckConstraint('waived_interest >= 0', name='waived_interest_not_negative'),
    sa.CheckConstraint('waived_penalty >= 0', name='waived_penalty_not_negative'),
    sa.ForeignKeyConstraint(['application_id'], ['application.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('offer', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_offer_application_id'), ['application_id'], unique=False)

    op.create_table('proof',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('application_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('original_name', sa.String(length=255), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('size_bytes', sa.Integer(), nullable=False),
    sa.Column('media_type', sa.String(length=32), nullable=False),
    sa.Column('added_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("kind IN ('income', 'expense', 'hardship', 'funds')", name='proof_kind'),
    sa.CheckConstraint("media_type IN ('application/pdf', 'image/png', 'image/jpeg')", name='proof_media_type'),
    sa.CheckConstraint('size_bytes > 0', name='proof_size_positive'),
    sa.ForeignKeyConstraint(['application_id'], ['application.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('application_id', 'sha256', name='proof_once_per_application')
    )
    with op.batch_alter_table('proof', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_proof_application_id'), ['application_id'], unique=False)

    op.create_table('schedule_version',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('loan_id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('origin', sa.String(length=16), nullable=False),
    sa.Column('application_id', sa.Integer(), nullable=True),
    sa.Column('principal', sa.BigInteger(), nullable=False),
    sa.Column('annual_rate', sa.Integer(), nullable=False),
    sa.Column('method', sa.String(length=24), nullable=False),
    sa.Column('months', sa.Integer(), nullable=False),
    sa.Column('grace_months', sa.Integer(), nullable=False),
    sa.Column('grace_kind', sa.String(length=16), nullable=True),
    sa.Column('start_date', sa.Date(), nullable=False),
    sa.Column('status', sa.String(length=8), nullable=False),
    sa.Column('started_at', sa.DateTime(), nullable=False),
    sa.Column('closed_at', sa.DateTime(), nullable=True),
    sa.CheckConstraint("grace_kind IS NULL OR grace_kind IN ('interest-only', 'deferral')", name='schedule_grace_kind'),
    sa.CheckConstraint("method IN ('equal-installment', 'equal-principal', 'interest-first')", name='schedule_method'),
    sa.CheckConstraint("origin IN ('original', 'first', 'second', 'settlement')", name='schedule_origin'),
    sa.CheckConstraint("status IN ('active', 'closed')", name='schedule_status'),
    sa.CheckConstraint('months > 0 AND grace_months >= 0 AND grace_months < months', name='schedule_term'),
    sa.CheckConstraint('principal >= 0', name='principal_not_negative'),
    sa.ForeignKeyConstraint(['application_id'], ['application.id'], ),
    sa.ForeignKeyConstraint(['loan_id'], ['loan.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('loan_id', 'seq', name='schedule_version_seq')
    )
    with op.batch_alter_table('schedule_version', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_schedule_version_loan_id'), ['loan_id'], unique=False)

    op.create_table('status_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('application_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=24), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('actor', sa.String(length=32), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('deadline_at', sa.DateTime(), nullable=True),
    sa.CheckConstraint("status IN ('draft', 'submitted', 'under_review', 'materials_requested', 'offer_issued', 'accepted', 'plan_active', 'completed', 'broken', 'rejected', 'expired', 'withdrawn')", name='event_status'),
    sa.ForeignKeyConstraint(['application_id'], ['application.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('status_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_status_event_application_id'), ['application_id'], unique=False)

    op.create_table('installment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('schedule_version_id', sa.Integer(), nullable=False),
    sa.Column('period', sa.Integer(), nullable=False),
    sa.Column('due_date', sa.Date(), nullable=False),
    sa.Column('payment', sa.BigInteger(), nullable=False),
    sa.Column('interest', sa.BigInteger(), nullable=False),
    sa.Column('principal', sa.BigInteger(), nullable=False),
    sa.Column('capitalised', sa.BigInteger(), nullable=False),
    sa.Column('balance', sa.BigInteger(), nullable=False),
    sa.Column('paid_principal', sa.BigInteger(), nullable=False),
    sa.Column('paid_interest', sa.BigInteger(), nullable=False),
    sa.Column('paid_penalty', sa.BigInteger(), nullable=False),
    sa.Column('penalty_accrued', sa.BigInteger(), nullable=False),
    sa.Column('penalty_through', sa.Date(), nullable=True),
    sa.Column('settled_on', sa.Date(), nullable=True),
    sa.CheckConstraint('balance >= 0', name='balance_not_negative'),
    sa.CheckConstraint('capitalised >= 0', name='capitalised_not_negative'),
    sa.CheckConstraint('interest >= 0', name='interest_not_negative'),
    sa.CheckConstraint('paid_interest >= 0', name='paid_interest_not_negative'),
    sa.CheckConstraint('paid_penalty <= penalty_accrued', name='installment_penalty_overpaid'),
    sa.CheckConstraint('paid_penalty >= 0', name='paid_penalty_not_negative'),
    sa.CheckConstraint('paid_principal <= principal AND paid_interest <= interest', name='installment_overpaid'),
    sa.CheckConstraint('paid_principal >= 0', name='paid_principal_not_negative'),
    sa.CheckConstraint('payment = interest + principal', name='installment_sum'),
    sa.CheckConstraint('payment >= 0', name='payment_not_negative'),
    sa.CheckConstraint('penalty_accrued >= 0', name='penalty_accrued_not_negative'),
    sa.CheckConstraint('principal >= 0', name='principal_not_negative'),
    sa.ForeignKeyConstraint(['schedule_version_id'], ['schedule_version.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('schedule_version_id', 'period', name='installment_period')
    )
    with op.batch_alter_table('installment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_installment_schedule_version_id'), ['schedule_version_id'], unique=False)


    _guard_audit_log()

def downgrade() -> None:
    _unguard_audit_log()
    with op.batch_alter_table('installment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_installment_schedule_version_id'))

    op.drop_table('installment')
    with op.batch_alter_table('status_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_status_event_application_id'))

    op.drop_table('status_event')
    with op.batch_alter_table('schedule_version', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_schedule_version_loan_id'))

    op.drop_table('schedule_version')
    with op.batch_alter_table('proof', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_proof_application_id'))

    op.drop_table('proof')
    with op.batch_alter_table('offer', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_offer_application_id'))

    op.drop_table('offer')
    with op.batch_alter_table('payment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_payment_loan_id'))

    op.drop_table('payment')
    with op.batch_alter_table('application', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_application_loan_id'))
        batch_op.drop_index(batch_op.f('ix_application_customer_id'))
        batch_op.drop_index('application_queue')

    op.drop_table('application')
    with op.batch_alter_table('loan', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_loan_customer_id'))

    op.drop_table('loan')
    op.drop_table('officer')
    op.drop_table('loan_product')
    op.drop_table('customer')
    op.drop_table('audit_log')
