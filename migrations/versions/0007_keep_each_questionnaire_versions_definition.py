"""keep each questionnaire version's definition

Revision ID: 0007
Revises: 0006

questionnaire_versions: the questions and options (English texts) of every questionnaire version an
app has started with, so exports and the codebook cover answers given under earlier versions.
Responses given before this migration under a version no app starts with again have no definition;
their answers to questions the current version still asks are exported as before.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('questionnaire_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version', sa.String(length=32), nullable=False),
    sa.Column('definition', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_questionnaire_versions_version', 'questionnaire_versions', ['version'], unique=True)


def downgrade():
    op.drop_index('ix_questionnaire_versions_version', table_name='questionnaire_versions')
    op.drop_table('questionnaire_versions')
