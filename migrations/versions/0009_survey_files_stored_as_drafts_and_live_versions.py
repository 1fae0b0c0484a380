"""survey files stored in the database as drafts and live versions, and the survey's dates

Revision ID: 0009
Revises: 0008

survey_files: each uploaded XLSForm (.xlsx bytes), with its `version`, its state (draft, live or
retired), a sha256 of the bytes, who uploaded it and when, and who made it live and when (staff
actions, never anything a respondent did). At most one row is live (a unique index over the live
rows), so two staff members making drafts live at once cannot leave two.

survey_settings: one row (id 1) once the opening and closing dates are set in the staff area;
until then SURVEY_OPENS and SURVEY_CLOSES apply.

No row is filled here: the first start (or request, or command) after this migration stores
SURVEY_FILE as the live version (app/surveys/lifecycle.py, seed).
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('survey_files',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version', sa.String(length=32), nullable=False),
    sa.Column('state', sa.String(length=8), nullable=False),
    sa.Column('content', sa.LargeBinary(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('uploaded_by', sa.String(length=64), nullable=False),
    sa.Column('uploaded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('made_live_by', sa.String(length=64), nullable=True),
    sa.Column('made_live_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_survey_files_state', 'survey_files', ['state'], unique=False)
    op.create_index('ix_survey_files_one_live', 'survey_files', ['state'], unique=True,
                    sqlite_where=sa.text("state = 'live'"), postgresql_where=sa.text("state = 'live'"))
    op.create_table('survey_settings',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('opens', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closes', sa.DateTime(timezone=True), nullable=True),
    sa.Column('changed_by', sa.String(length=64), nullable=False),
    sa.Column('changed_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )


def downgrade():
    op.drop_table('survey_settings')
    op.drop_index('ix_survey_files_one_live', table_name='survey_files')
    op.drop_index('ix_survey_files_state', table_name='survey_files')
    op.drop_table('survey_files')
