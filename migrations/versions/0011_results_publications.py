"""results publications: the "you said, we did" snapshots shown on /results

Revision ID: 0011
Revises: 0010

One row per publication: the owner's title and words in each language, the tables already
protected (a hidden count is stored as its reason, never as a number), how many released
responses there were, the day (not the time) and the member of staff who published it.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'results_publications',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('published_on', sa.Date(), nullable=False),
        sa.Column('published_by', sa.String(length=64), nullable=False),
        sa.Column('responses', sa.Integer(), nullable=False),
        sa.Column('threshold', sa.Integer(), nullable=False),
        sa.Column('languages', sa.JSON(), nullable=False),
        sa.Column('texts', sa.JSON(), nullable=False),
        sa.Column('tables', sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )


def downgrade():
    op.drop_table('results_publications')
