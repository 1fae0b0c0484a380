"""answer pair counts for the dashboard within a group and breakdowns

Revision ID: 0008
Revises: 0007

answer_pair_counts: responses per pair of answers, the first to a question a group or breakdown can
be by (single choice or scale), the second to any question with options; and, with the value ''
(app.counts.ANSWERED), per by-answer and question, the responses that answered that question at all.

Kept up to date by each release and purge like the counts of 0006 (app/counts.py), so the dashboard
within one group and the breakdowns no longer join the answers table to itself. Filled here from the
responses already released, as app.counts.rebuild() counts them (a few minutes at a million).
"""
from alembic import op
import sqlalchemy as sa

from app.counts import paired_questions


# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('answer_pair_counts',
    sa.Column('by_question', sa.String(length=64), nullable=False),
    sa.Column('by_value', sa.Text(), nullable=False),
    sa.Column('question_id', sa.String(length=64), nullable=False),
    sa.Column('value', sa.Text(), nullable=False),
    sa.Column('responses', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('by_question', 'by_value', 'question_id', 'value'),
    sqlite_with_rowid=False,
    )
    versions = sa.table('questionnaire_versions', sa.column('id'), sa.column('definition', sa.JSON))
    connection = op.get_bind()
    by_ids, counted_ids = paired_questions(connection.scalars(sa.select(versions.c.definition).order_by(versions.c.id)))
    ids = {"by_ids": sorted(by_ids), "counted_ids": sorted(counted_ids)}
    expanding = [sa.bindparam("by_ids", expanding=True), sa.bindparam("counted_ids", expanding=True)]
    pairs = (
        "INSERT INTO answer_pair_counts (by_question, by_value, question_id, value, responses)"
        " SELECT b.question_id, b.value, a.question_id, {value}, {count}"
        " FROM answers b JOIN answers a ON a.response_id = b.response_id"
        " WHERE b.question_id IN :by_ids {where}"
        " GROUP BY b.question_id, b.value, a.question_id{group}"
    )
    # Each pair of answers, then each by-answer with each question answered at all.
    connection.execute(sa.text(pairs.format(
        value="a.value", count="count(*)", where="AND a.question_id IN :counted_ids", group=", a.value",
    )).bindparams(*expanding), ids)
    connection.execute(sa.text(pairs.format(
        value="''", count="count(DISTINCT a.response_id)", where="", group="",
    )).bindparams(expanding[0]), {"by_ids": ids["by_ids"]})


def downgrade():
    op.drop_table('answer_pair_counts')
