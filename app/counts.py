"""Counts of the released responses, kept up to date so the dashboard never counts every answer.

Why: counting the answers table on every visit took 12.7 s at a million responses. Responses
only ever arrive in a release (app/survey/release.py) and leave in a purge
(app/staff/retention.py), so each of those adds or subtracts its own responses' counts in its
own transaction: the kept counts always equal a fresh count, and change exactly when the
summaries would (never while a day is still going on).

Four tables (app/models.py): responses per day, responses per answer (question, value),
responses per question answered, and responses per pair of answers (AnswerPairCount: the
dashboard within one group, and breakdowns). `fresh()` counts the same from the responses themselves
(the pairs with the same Python as a release, reading each response's answers in turn: tests also
compare the pages with the answers joined to themselves, as the summaries once counted them).

Which questions are paired comes from the questions' kinds: every version's kept definition
(app/questionnaire/versions.py) and the current questionnaire. A question's kind never changes once
it has answers (an app refuses to start otherwise), so the questions only ever grow by new ones,
which nobody answered before: what a release counted is what a fresh count gives, at any later time.
"""

from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from itertools import groupby
from operator import itemgetter

from sqlalchemy import delete, distinct, func, select, text
from sqlalchemy.dialects import postgresql, sqlite

from app.extensions import db
from app.models import (
    Answer,
    AnswerCount,
    AnswerPairCount,
    DayCount,
    PendingResponse,
    QuestionCount,
    QuestionnaireVersion,
    Response,
)
from app.questionnaire import current_questionnaire

# The value of an AnswerPairCount row counting the responses that answered its question at all. Never
# an option code (the survey file's option names are never empty), and free text is never counted by value.
ANSWERED = ""
BY_KINDS = {"single", "scale"}  # one answer each: what a group or a breakdown can be by
PAIR_KEYS = ["by_question", "by_value", "question_id", "value"]  # AnswerPairCount's key


@dataclass
class Counts:
    days: Counter = field(default_factory=Counter)  # day -> responses
    answers: Counter = field(default_factory=Counter)  # (question id, value) -> responses
    answered: Counter = field(default_factory=Counter)  # question id -> responses that answered it
    # (by question, by value, question id, value or ANSWERED) -> responses with both answers
    pairs: Counter = field(default_factory=Counter)


def paired_questions(definitions: Iterable[dict]) -> tuple[set[str], set[str]]:
    """(questions to pair by, questions counted by value) given the definitions of the kept versions
    that have responses, and the current questionnaire. Their kinds agree: a server refuses to start
    with a kind that differs from an answered version's. A version nobody answered is left out, as
    its kinds may still change, which would pair a question differently at a recount than at the
    releases. Free text is left out of the second: a row per text written and by-answer."""
    kinds = {}
    for definition in definitions:
        kinds.update({question["id"]: question["kind"] for question in definition["questions"]})
    kinds.update({question.id: question.kind.value for question in current_questionnaire().questions.values()})
    return {q for q, kind in kinds.items() if kind in BY_KINDS}, {q for q, kind in kinds.items() if kind != "text"}


def _paired_questions() -> tuple[set[str], set[str]]:
    answered = select(Response.questionnaire_version).union(select(PendingResponse.questionnaire_version))
    return paired_questions(db.session.scalars(
        select(QuestionnaireVersion.definition).where(QuestionnaireVersion.version.in_(answered)).order_by(QuestionnaireVersion.id)
    ))


def of_responses(responses: Iterable[tuple[date, Iterable[tuple[str, str]]]]) -> Counts:
    """The counts of some responses given as (day, [(question id, value), ...])."""
    counts = Counts()
    answer_sets = []
    for day, rows in responses:
        counts.days[day] += 1
        pairs = set(map(tuple, rows))  # a (question, value) pair is stored once per response
        counts.answers.update(pairs)
        counts.answered.update({question_id for question_id, _ in pairs})
        answer_sets.append(pairs)
    counts.pairs = pairs_of(answer_sets, *_paired_questions())
    return counts


def pairs_of(answer_sets: Iterable[set[tuple[str, str]]], by_ids: set[str], counted_ids: set[str]) -> Counter:
    """The AnswerPairCount counts of some responses, each given as its set of (question id, value).

    Counted here rather than by joining the answers table to itself, for recounts and purges too:
    with that join a recount of 100,000 responses took 181 s on SQLite, this way 17 s (a million: 3 minutes).
    """
    # by-answer -> Counter of the answers with it, each answer as a small number: a Counter's update
    # from a list runs in C, and counts numbers twice as fast as pairs of strings.
    with_answer: dict = defaultdict(Counter)
    numbers: dict = {}  # (question id, value or ANSWERED) -> its number
    for pairs in answer_sets:
        together = [numbers.setdefault(pair, len(numbers)) for pair in pairs if pair[0] in counted_ids]
        answered = {question_id for question_id, _ in pairs}
        together += [numbers.setdefault((question_id, ANSWERED), len(numbers)) for question_id in answered]
        for pair in pairs:
            if pair[0] in by_ids:
                with_answer[pair].update(together)
    answers = list(numbers)
    return Counter({(b, y, *answers[number]): n for (b, y), counted in with_answer.items() for number, n in counted.items()})


def answer_sets(rows: Iterable[tuple[str, str, str]]) -> Iterator[set[tuple[str, str]]]:
    """Each response's set of (question id, value), from (response id, question id, value) rows in
    response order."""
    for _, answers in groupby(rows, key=itemgetter(0)):
        yield {(question_id, value) for _, question_id, value in answers}


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
    questions = _paired_questions()  # read before the answers' cursor is opened
    rows = db.session.connection().execute(  # not through the ORM: a third of the time
        select(Answer.response_id, Answer.question_id, Answer.value).where(*in_chosen).order_by(Answer.response_id)
        .execution_options(yield_per=10_000)  # a million responses' answers are never all in memory
    )
    counts.pairs = pairs_of(answer_sets(rows), *questions)
    return counts


def kept() -> Counts:
    """Everything the count tables hold (tests compare it with fresh())."""
    return Counts(
        Counter(dict(db.session.execute(select(DayCount.submitted_on, DayCount.responses)).all())),
        Counter({(q, v): n for q, v, n in db.session.execute(select(AnswerCount.question_id, AnswerCount.value, AnswerCount.responses))}),
        Counter(dict(db.session.execute(select(QuestionCount.question_id, QuestionCount.responses)).all())),
        Counter({tuple(row[:4]): row[4] for row in db.session.execute(select(
            AnswerPairCount.by_question, AnswerPairCount.by_value, AnswerPairCount.question_id, AnswerPairCount.value,
            AnswerPairCount.responses,
        ))}),
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
    _upsert(AnswerPairCount, PAIR_KEYS,
            [{**dict(zip(PAIR_KEYS, key)), "responses": sign * n} for key, n in sorted(counts.pairs.items())])
    if sign < 0:  # nothing is kept for a day or an answer no response has any longer
        for model in (DayCount, AnswerCount, QuestionCount, AnswerPairCount):
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
    statement = dialect.insert(model.__table__)
    column = model.__table__.c.responses
    statement = statement.on_conflict_do_update(index_elements=keys, set_={"responses": column + statement.excluded.responses})
    db.session.connection().execute(statement, rows)  # Core: the ORM's bulk path doubled a release's time


def rebuild() -> None:
    """Count everything afresh (for responses written without a release: test data, benchmarks).
    The migration that made the tables filled them the same way. The caller commits."""
    for model in (DayCount, AnswerCount, QuestionCount, AnswerPairCount):
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


def pair_counts(by_question: str) -> dict[str, dict[tuple[str, str], int]]:
    """question id -> (value or ANSWERED, answer to `by_question`) -> responses with both."""
    result: dict = {}
    for by_value, question_id, value, count in db.session.execute(
        select(AnswerPairCount.by_value, AnswerPairCount.question_id, AnswerPairCount.value, AnswerPairCount.responses)
        .where(AnswerPairCount.by_question == by_question)
    ):
        result.setdefault(question_id, {})[value, by_value] = count
    return result


def group_counts(by_question: str, by_value: str) -> tuple[dict[str, dict[str, int]], dict[str, int]]:
    """Within the responses with one answer: (question id -> value -> responses, question id -> responses
    that answered it), as answer_counts() and answered_counts() give for all responses."""
    options: dict = {}
    answered: dict = {}
    for question_id, value, count in db.session.execute(
        select(AnswerPairCount.question_id, AnswerPairCount.value, AnswerPairCount.responses)
        .where(AnswerPairCount.by_question == by_question, AnswerPairCount.by_value == by_value)
    ):
        if value == ANSWERED:
            answered[question_id] = count
        else:
            options.setdefault(question_id, {})[value] = count
    return options, answered
