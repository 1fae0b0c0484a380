"""counts kept at release for the dashboard

Revision ID: 0006
Revises: 0005

- day_counts: responses released per day;
- answer_counts: responses with each answer (question, value);
- question_counts: responses that answered each question.

The release that adds responses and the purge that deletes them keep these up to date in their
own transaction (app/counts.py), so the dashboard no longer counts every answer on every visit.
They are filled here from the responses already released.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('day_counts',
    sa.Column('submitted_on', sa.Date(), nullable=False),
    sa.Column('responses', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('submitted_on')
    )
    op.create_table('answer_counts',
    sa.Column('question_id', sa.String(length=64), nullable=False),
    sa.Column('value', sa.Text(), nullable=False),
    sa.Column('responses', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('question_id', 'value'),
    sqlite_with_rowid=False,
    )
    op.create_table('question_counts',
    sa.Column('question_id', sa.String(length=64), nullable=False),
    sa.Column('responses', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('question_id')
    )
    # The same counts app.counts.rebuild() makes.
    op.execute(
        "INSERT INTO day_counts (submitted_on, responses)"
        " SELECT submitted_on, count(*) FROM responses GROUP BY submitted_on"
    )
    op.execute(
        "INSERT INTO answer_counts (question_id, value, responses)"
        " SELECT question_id, value, count(*) FROM answers GROUP BY question_id, value"
    )
    op.execute(
        "INSERT INTO question_counts (question_id, responses)"
        " SELECT question_id, count(DISTINCT response_id) FROM answers GROUP BY question_id"
    )


def downgrade():
    op.drop_table('question_counts')
    op.drop_table('answer_counts')
    op.drop_table('day_counts')
