"""answer pair counts for the dashboard within a group and breakdowns

Revision ID: 0008
Revises: 0007

answer_pair_counts: responses per pair of answers, the first to a question a group or breakdown can
be by (single choice or scale), the second to any question with options; and, with the value ''
(app.counts.ANSWERED), per by-answer and question, the responses that answered that question at all.

Kept up to date by each release and purge like the counts of 0006 (app/counts.py), so the dashboard
within one group and the breakdowns no longer join the answers table to itself. Filled here from the
responses already released, as app.counts.rebuild() counts them.
"""
from alembic import op
import sqlalchemy as sa

from app.counts import PAIR_KEYS, answer_sets, pairs_of, paired_questions


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
    versions = sa.table('questionnaire_versions', sa.column('id'), sa.column('version'), sa.column('definition', sa.JSON))
    responses = sa.table('responses', sa.column('questionnaire_version'))
    pending = sa.table('pending_responses', sa.column('questionnaire_version'))
    answers = sa.table('answers', sa.column('response_id'), sa.column('question_id'), sa.column('value'))
    pair_counts = sa.table('answer_pair_counts', *(sa.column(name) for name in (*PAIR_KEYS, 'responses')))
    connection = op.get_bind()
    answered = sa.select(responses.c.questionnaire_version).union(sa.select(pending.c.questionnaire_version))
    questions = paired_questions(connection.scalars(  # the versions with responses, as app/counts.py pairs them
        sa.select(versions.c.definition).where(versions.c.version.in_(answered)).order_by(versions.c.id)
    ))
    rows = connection.execute(
        sa.select(answers.c.response_id, answers.c.question_id, answers.c.value).order_by(answers.c.response_id)
        .execution_options(yield_per=10_000)  # a million responses' answers are never all in memory
    )
    pairs = pairs_of(answer_sets(rows), *questions)
    if pairs:
        connection.execute(
            sa.insert(pair_counts), [{**dict(zip(PAIR_KEYS, key)), 'responses': n} for key, n in sorted(pairs.items())]
        )


def downgrade():
    op.drop_table('answer_pair_counts')
