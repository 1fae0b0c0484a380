"""create staff users, sign-in failures and audit events

Revision ID: 0002
Revises: 0001

The staff area: accounts (managed from the command line), failed sign-ins (so a lockout holds
across server processes) and the audit trail. None of them holds an address or a user agent.
Also an index on answers (question, response) for the staff summaries.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('staff_users',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('username', sa.String(length=64), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('session_version', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('username')
    )

    op.create_table('staff_sign_in_failures',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('username', sa.String(length=64), nullable=False),
    sa.Column('failed_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('staff_sign_in_failures', schema=None) as batch_op:
        batch_op.create_index('ix_staff_sign_in_failures_username_failed_at', ['username', 'failed_at'], unique=False)

    op.create_table('staff_audit_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('occurred_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor', sa.String(length=64), nullable=True),
    sa.Column('action', sa.String(length=32), nullable=False),
    sa.Column('details', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('staff_audit_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_staff_audit_events_occurred_at'), ['occurred_at'], unique=False)


def downgrade():
    with op.batch_alter_table('staff_audit_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_staff_audit_events_occurred_at'))

    op.drop_table('staff_audit_events')
    with op.batch_alter_table('staff_sign_in_failures', schema=None) as batch_op:
        batch_op.drop_index('ix_staff_sign_in_failures_username_failed_at')

    op.drop_table('staff_sign_in_failures')
    op.drop_table('staff_users')
