"""Counts of the released responses, kept up to date so the dashboard never counts every answer.

Why: counting the answers table on every visit took 12.7 s at a million responses. Responses
only ever arrive in a release (app/survey/release.py) and leave in a purge
(app/staff/retention.py), so each of those adds or subtracts its own responses' counts in its
own transaction: the kept counts always equal a fresh count, and change exactly when the
summaries would (never while a day is still going on).

Three tables (app/models.py): responses per day, responses per answer (question, value), and
responses per question answered. `fresh()` counts the same from the responses themselves.
"""

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import delete, distinct, func, select, text
from sqlalchemy.dialects import postgresql, sqlite

from app.extensions import db
from app.models import Answer, AnswerCount, DayCount, QuestionCount, Response


@dataclass
class Counts:
    days: Counter = field(default_factory=Counter)  # day -> responses
    answers: Counter = field(default_factory=Counter)  # (question id, value) -> responses
    answered: Counter = field(default_factory=Counter)  # question id -> responses that answered it


def of_responses(responses: Iterable[tuple[date, Iterable[tuple[str, str]]]]) -> Counts:
    """The counts of some responses given as (day, [(question id, value), ...])."""
    counts = Counts()
    for day, rows in responses:
        counts.days[day] += 1
        pairs = set(map(tuple, rows))  # a (question, value) pair is stored once per response
        counts.answers.update(pairs)
        counts.answered.update({question_id for question_id, _ in pairs})
    return counts


def fresh(*conditions) -> Counts:
    """Count the responses table (those matching `conditions` on Response) from scratch."""
    counts = Counts()
    chosen = select(Response.id).where(*conditions)
    in_chosen = [Answer.response_id.in_(chosen)] if conditions else []
    counts.days.update(dict(db.session.execute(
        select(Response.submitted_on, func.count()).where(*conditions).group_by(Response.submitted_on)
    ).all()))
    counts.answers.update({(q, v): n for q, v, n in db.session.execute(
        select(Answer.question_id, Answer.value, func.count()).where(*in_chosen).group_by(Answer.question_id, Answer.value)
    )})
    counts.answered.update(dict(db.session.execute(
        select(Answer.question_id, func.count(distinct(Answer.response_id))).where(*in_chosen).group_by(Answer.question_id)
    ).all()))
    return counts


def kept() -> Counts:
    """Everything the count tables hold (tests compare it with fresh())."""
    return Counts(
        Counter(dict(db.session.execute(select(DayCount.submitted_on, DayCount.responses)).all())),
        Counter({(q, v): n for q, v, n in db.session.execute(select(AnswerCount.question_id, AnswerCount.value, AnswerCount.responses))}),
        Counter(dict(db.session.execute(select(QuestionCount.question_id, QuestionCount.responses)).all())),
    )


def add(counts: Counts, sign: int = 1) -> None:
    """Add (or with sign=-1 subtract) counts to the tables, in the caller's transaction.

    An upsert that adds to the stored number in the database (not a read, then a write), so two
    processes releasing at once both count. Keys are written in sorted order, so two such
    transactions on PostgreSQL take their row locks in the same order and cannot deadlock.
    """
    _upsert(DayCount, ["submitted_on"], [{"submitted_on": d, "responses": sign * n} for d, n in sorted(counts.days.items())])
    _upsert(AnswerCount, ["question_id", "value"],
            [{"question_id": q, "value": v, "responses": sign * n} for (q, v), n in sorted(counts.answers.items())])
    _upsert(QuestionCount, ["question_id"],
            [{"question_id": q, "responses": sign * n} for q, n in sorted(counts.answered.items())])
    if sign < 0:  # nothing is kept for a day or an answer no response has any longer
        for model in (DayCount, AnswerCount, QuestionCount):
            db.session.execute(delete(model).where(model.responses <= 0))


def hold_releases() -> None:
    """Make a release wait until the caller's transaction ends (PostgreSQL; SQLite has one writer at
    a time anyway), so what a purge counts and what it deletes are the same responses."""
    if db.session.get_bind().dialect.name == "postgresql":
        # Conflicts with the row lock every release's upsert takes on this table.
        db.session.execute(text("LOCK TABLE day_counts IN SHARE ROW EXCLUSIVE MODE"))


def _upsert(model, keys: list[str], rows: list[dict]) -> None:
    if not rows:
        return
    dialect = postgresql if db.session.get_bind().dialect.name == "postgresql" else sqlite
    statement = dialect.insert(model)
    column = model.__table__.c.responses
    statement = statement.on_conflict_do_update(index_elements=keys, set_={"responses": column + statement.excluded.responses})
    db.session.execute(statement, rows)


def rebuild() -> None:
    """Count everything afresh (for responses written without a release: test data, benchmarks).
    The migration that made the tables filled them the same way. The caller commits."""
    for model in (DayCount, AnswerCount, QuestionCount):
        db.session.execute(delete(model))
    add(fresh())


# What the dashboard reads.


def total() -> int:
    return db.session.scalar(select(func.sum(DayCount.responses))) or 0


def per_day() -> list[tuple[date, int]]:
    return [tuple(row) for row in db.session.execute(select(DayCount.submitted_on, DayCount.responses).order_by(DayCount.submitted_on))]


def answer_counts(question_ids: Iterable[str] | None = None) -> dict[str, dict[str, int]]:
    """question id -> value -> responses; only the questions asked for (free text has a row per
    text written, which the dashboard never needs)."""
    query = select(AnswerCount.question_id, AnswerCount.value, AnswerCount.responses)
    if question_ids is not None:
        query = query.where(AnswerCount.question_id.in_(list(question_ids)))
    result: dict[str, dict[str, int]] = {}
    for question_id, value, count in db.session.execute(query):
        result.setdefault(question_id, {})[value] = count
    return result


def answered_counts() -> dict[str, int]:
    return dict(db.session.execute(select(QuestionCount.question_id, QuestionCount.responses)).all())
