"""staff sessions hold a survey preview's answers; the editor role

Revision ID: 0010
Revises: 0009

staff_sessions.preview_file_id and preview_answers: a member of staff previewing a stored survey
file (a draft, or any version) walks it as a respondent would; the answers they type are kept with
their session, which ends (row deleted) at sign-out or expiry. A preview never writes a draft, a
response or a count.

The new `editor` role (staff_users.role is a plain string, so only the code knows it) needs no
change to the schema.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('staff_sessions') as batch_op:
        batch_op.add_column(sa.Column('preview_file_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('preview_answers', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('staff_sessions') as batch_op:
        batch_op.drop_column('preview_answers')
        batch_op.drop_column('preview_file_id')
