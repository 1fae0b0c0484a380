"""staff sessions on the server, two-factor sign-in, roles and the sign-in throttle

Revision ID: 0005
Revises: c3d9a1f04e12

- staff_sessions: a row per sign-in, keyed by the SHA-256 of the cookie's token, so signing out,
  an idle or absolute limit, or an account change ends it on the server.
- staff_recovery_codes: one-time codes for a lost phone, hashed.
- staff_users: a role, the TOTP secret and the last time-step used, and failure counts for the
  throttle's growing delays; the session counter the cookie used to carry is gone.
- staff_sign_in_failures goes: it kept a row per failure for any typed username, known or not.
- staff_audit_events.count: failed sign-ins for unknown accounts are one counted row a day; the
  text typed for earlier failures for unknown or locked usernames is forgotten.

Accounts that exist before this migration become analysts; give the first admin its role with
`flask --app wsgi staff set-role USERNAME admin`. Everyone enrols in two-factor at the next sign-in.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0005'
down_revision = 'c3d9a1f04e12'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('staff_users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('role', sa.String(length=16), nullable=False, server_default='analyst'))
        batch_op.add_column(sa.Column('totp_secret', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('totp_last_step', sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column('failed_passwords', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('last_failed_password_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('failed_codes', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('last_failed_code_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.drop_column('session_version')

    op.create_table('staff_sessions',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('two_factor_done', sa.Boolean(), nullable=False),
    sa.Column('pending_totp_secret', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['staff_users.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('staff_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_staff_sessions_user_id'), ['user_id'], unique=False)

    op.create_table('staff_recovery_codes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('code_hash', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['staff_users.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('staff_recovery_codes', schema=None) as batch_op:
        batch_op.create_index('ix_staff_recovery_codes_user_code', ['user_id', 'code_hash'], unique=True)

    with op.batch_alter_table('staff_audit_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('count', sa.Integer(), nullable=False, server_default='1'))

    with op.batch_alter_table('staff_sign_in_failures', schema=None) as batch_op:
        batch_op.drop_index('ix_staff_sign_in_failures_username_failed_at')
    op.drop_table('staff_sign_in_failures')

    # Earlier failed sign-ins for unknown or locked usernames kept the text typed as the actor (it
    # could be a password typed into the wrong box): forget it.
    op.execute(
        "UPDATE staff_audit_events SET actor = NULL WHERE action = 'sign_in_failed' AND "
        "(CAST(details AS TEXT) LIKE '%unknown_user%' OR CAST(details AS TEXT) LIKE '%locked%')"
    )


def downgrade():
    op.create_table('staff_sign_in_failures',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('username', sa.String(length=64), nullable=False),
    sa.Column('failed_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('staff_sign_in_failures', schema=None) as batch_op:
        batch_op.create_index('ix_staff_sign_in_failures_username_failed_at', ['username', 'failed_at'], unique=False)

    with op.batch_alter_table('staff_audit_events', schema=None) as batch_op:
        batch_op.drop_column('count')

    with op.batch_alter_table('staff_recovery_codes', schema=None) as batch_op:
        batch_op.drop_index('ix_staff_recovery_codes_user_code')
    op.drop_table('staff_recovery_codes')
    with op.batch_alter_table('staff_sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_staff_sessions_user_id'))
    op.drop_table('staff_sessions')

    with op.batch_alter_table('staff_users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_version', sa.Integer(), nullable=False, server_default='0'))
        batch_op.drop_column('last_failed_code_at')
        batch_op.drop_column('failed_codes')
        batch_op.drop_column('last_failed_password_at')
        batch_op.drop_column('failed_passwords')
        batch_op.drop_column('totp_last_step')
        batch_op.drop_column('totp_secret')
        batch_op.drop_column('role')
