"""random-order tables, and responses held until the day ends

Nothing in the respondents' tables may follow the order responses were sent:
- answers lose their autoincrement id (the key is response, question, value);
- on SQLite drafts, responses and answers become WITHOUT ROWID tables keyed by random values, so
  neither a hidden rowid nor the rows' place in the file follows insertion order;
- existing responses and answers are copied into the new tables in random order (on PostgreSQL
  the heap keeps insertion order);
- pending_responses holds today's responses (in short pieces) until the day ends; sent_drafts replaces the
  submitted draft rows, whose minute-precise expiry dated each response.

Revision ID: c3d9a1f04e12
Revises: 0003
"""
import hashlib
import json
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op

revision = 'c3d9a1f04e12'
down_revision = '0003'
branch_labels = None
depends_on = None

RANDOM_ORDER = {"sqlite_with_rowid": False}


def _sent_key(draft_key: str) -> str:
    # As app.survey.drafts computes it from the draft's key.
    return hashlib.sha256(f"sent:{draft_key}".encode()).hexdigest()


def upgrade():
    op.create_table('drafts_new',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('previous_id', sa.String(length=64), nullable=True),
    sa.Column('answers', sa.JSON(), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    **RANDOM_ORDER,
    )
    op.create_table('sent_drafts',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('expires_on', sa.Date(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    **RANDOM_ORDER,
    )
    op.create_index('ix_sent_drafts_expires_on', 'sent_drafts', ['expires_on'], unique=False)
    op.create_table('pending_responses',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('part', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('submitted_on', sa.Date(), nullable=False),
    sa.Column('language', sa.String(length=16), nullable=False),
    sa.Column('questionnaire_version', sa.String(length=32), nullable=False),
    sa.Column('answers', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id', 'part'),
    **RANDOM_ORDER,
    )
    op.create_index('ix_pending_responses_submitted_on', 'pending_responses', ['submitted_on'], unique=False)
    op.create_table('responses_new',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('submitted_on', sa.Date(), nullable=False),
    sa.Column('language', sa.String(length=16), nullable=False),
    sa.Column('questionnaire_version', sa.String(length=32), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    **RANDOM_ORDER,
    )
    op.create_table('answers_new',
    sa.Column('response_id', sa.String(length=32), nullable=False),
    sa.Column('question_id', sa.String(length=64), nullable=False),
    sa.Column('value', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['response_id'], ['responses_new.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('response_id', 'question_id', 'value'),
    **RANDOM_ORDER,
    )

    connection = op.get_bind()
    connection.execute(sa.text(
        "INSERT INTO drafts_new (id, answers, expires_at) SELECT id, answers, expires_at FROM drafts WHERE NOT submitted"
    ))
    sent_until = datetime.now(ZoneInfo("Europe/London")).date() + timedelta(days=1)
    sent = [{"id": _sent_key(key), "expires_on": sent_until}
            for key in connection.execute(sa.text("SELECT id FROM drafts WHERE submitted")).scalars()]
    if sent:
        connection.execute(sa.text("INSERT INTO sent_drafts (id, expires_on) VALUES (:id, :expires_on)"), sent)
    # random() in the ORDER BY: on PostgreSQL the copies lie in the heap in this order.
    connection.execute(sa.text(
        "INSERT INTO responses_new (id, submitted_on, language, questionnaire_version) "
        "SELECT id, submitted_on, language, questionnaire_version FROM responses ORDER BY random()"
    ))
    connection.execute(sa.text(
        "INSERT INTO answers_new (response_id, question_id, value) "
        "SELECT response_id, question_id, value FROM "
        "(SELECT DISTINCT response_id, question_id, value FROM answers) AS distinct_answers ORDER BY random()"
    ))

    op.drop_table('answers')
    op.drop_table('responses')
    op.drop_table('drafts')
    op.rename_table('drafts_new', 'drafts')
    op.rename_table('responses_new', 'responses')
    op.rename_table('answers_new', 'answers')
    op.create_index('ix_drafts_expires_at', 'drafts', ['expires_at'], unique=False)
    op.create_index('ix_drafts_previous_id', 'drafts', ['previous_id'], unique=False)
    op.create_index('ix_responses_submitted_on', 'responses', ['submitted_on'], unique=False)
    op.create_index('ix_answers_question_value', 'answers', ['question_id', 'value'], unique=False)
    op.create_index('ix_answers_question_response', 'answers', ['question_id', 'response_id'], unique=False)


def downgrade():
    # Back to tables with rowids and an answer counter; responses still waiting are kept as responses.
    op.create_table('drafts_old',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('answers', sa.JSON(), nullable=False),
    sa.Column('submitted', sa.Boolean(), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('responses_old',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('submitted_on', sa.Date(), nullable=False),
    sa.Column('language', sa.String(length=16), nullable=False),
    sa.Column('questionnaire_version', sa.String(length=32), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('answers_old',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('response_id', sa.String(length=32), nullable=False),
    sa.Column('question_id', sa.String(length=64), nullable=False),
    sa.Column('value', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['response_id'], ['responses_old.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    connection = op.get_bind()
    connection.execute(sa.text(
        "INSERT INTO drafts_old (id, answers, submitted, expires_at) SELECT id, answers, false, expires_at FROM drafts"
    ))
    connection.execute(sa.text(
        "INSERT INTO responses_old (id, submitted_on, language, questionnaire_version) "
        "SELECT id, submitted_on, language, questionnaire_version FROM responses"
    ))
    connection.execute(sa.text(
        "INSERT INTO answers_old (response_id, question_id, value) SELECT response_id, question_id, value FROM answers"
    ))
    held = {}
    for row in connection.execute(sa.text(
        "SELECT id, part, submitted_on, language, questionnaire_version, answers FROM pending_responses"
    )):
        held.setdefault(row.id, []).append(row)
    for parts in held.values():
        parts.sort(key=lambda part: part.part)
        row = parts[0]
        answers = json.loads("".join(part.answers for part in parts))
        connection.execute(sa.text(
            "INSERT INTO responses_old (id, submitted_on, language, questionnaire_version) "
            "VALUES (:id, :day, :language, :version)"
        ), {"id": row.id, "day": row.submitted_on, "language": row.language, "version": row.questionnaire_version})
        rows = [{"id": row.id, "question_id": question_id, "value": value} for question_id, value in answers]
        if rows:
            connection.execute(sa.text(
                "INSERT INTO answers_old (response_id, question_id, value) VALUES (:id, :question_id, :value)"
            ), rows)

    op.drop_table('answers')
    op.drop_table('responses')
    op.drop_table('drafts')
    op.drop_index('ix_pending_responses_submitted_on', table_name='pending_responses')
    op.drop_table('pending_responses')
    op.drop_index('ix_sent_drafts_expires_on', table_name='sent_drafts')
    op.drop_table('sent_drafts')
    op.rename_table('drafts_old', 'drafts')
    op.rename_table('responses_old', 'responses')
    op.rename_table('answers_old', 'answers')
    op.create_index('ix_drafts_expires_at', 'drafts', ['expires_at'], unique=False)
    op.create_index('ix_responses_submitted_on', 'responses', ['submitted_on'], unique=False)
    op.create_index('ix_answers_question_value', 'answers', ['question_id', 'value'], unique=False)
    op.create_index('ix_answers_response_id', 'answers', ['response_id'], unique=False)
    op.create_index('ix_answers_question_response', 'answers', ['question_id', 'response_id'], unique=False)
