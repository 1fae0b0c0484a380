"""Publishing results: a snapshot of chosen summary tables, protected exactly as the staff summaries
protect them (app/staff/summaries: the same counting, the same primary and secondary suppression),
stored as the public sees them.

A hidden count is stored as its reason ("small" or "secondary"), never as a number. Each table
is one of the dashboard's one-way tables or one of its breakdowns of all responses, and a
breakdown's margins are the one-way tables as the dashboard protects them, so tables published
together reveal nothing that any of them hides.

Why a new publication waits for THRESHOLD new responses: two snapshots read side by side give the
difference of every count. If only a few responses came in between, that difference is the answers
of those few people. So a publication is refused until at least the suppression threshold of
responses has been released since the last one (fewer in total, after a purge, counts as none).
"""

from dataclasses import dataclass, field

from sqlalchemy import select

from app import counts as kept
from app.extensions import db
from app.models import ResultsPublication
from app.questionnaire.model import Kind, Question, Questionnaire
from app.staff import audit
from app.staff.summaries import tables
from app.survey.state import today_london

TABLE, BREAKDOWN = "table", "breakdown"
SPECIAL_ROWS = {tables.NO_ANSWER, tables.RETIRED, tables.TOTAL}  # labelled by the page, in its language


@dataclass
class Choice:
    """What an owner chose to publish: question ids, (question id, by id) pairs, and per language
    (default first) a title and the "what we did" text."""

    questions: list[str] = field(default_factory=list)
    breakdowns: list[tuple[str, str]] = field(default_factory=list)
    texts: dict[str, dict[str, str]] = field(default_factory=dict)


class TooSoon(Exception):
    """Fewer than the threshold of responses released since the last publication."""

    def __init__(self, threshold: int):
        super().__init__(threshold)
        self.threshold = threshold


def latest() -> ResultsPublication | None:
    """The publication on show: the newest."""
    return db.session.scalar(select(ResultsPublication).order_by(ResultsPublication.id.desc()).limit(1))


def may_publish(threshold: int, last: ResultsPublication | None = None) -> bool:
    """At least `threshold` responses released since the last publication (or in all, for the first);
    the threshold the last was published under, if higher (an operator may lower the setting)."""
    if last is not None:
        threshold = max(threshold, last.threshold)
    return kept.total() - (last.responses if last else 0) >= threshold


def publishable(questionnaire: Questionnaire) -> tuple[list[Question], list[Question]]:
    """(questions whose tables may be published, questions a breakdown may be by): free text never."""
    return tables.breakdown_questions(questionnaire)


def publish(questionnaire: Questionnaire, choice: Choice, actor: str, threshold: int) -> ResultsPublication:
    """Count, protect and store the chosen tables as one publication, audited; TooSoon if refused.

    The counts are read with releases (and any other publisher) held off until the row is
    committed, so every table is of the same responses and two publishers cannot both pass the check.
    """
    questions, by_questions = publishable(questionnaire)
    allowed, allowed_by = {q.id for q in questions}, {q.id for q in by_questions}
    if not set(choice.questions) <= allowed or any(q not in allowed or b not in allowed_by or q == b for q, b in choice.breakdowns):
        raise ValueError("only questions with options, broken down by a single-choice or scale question")
    if len({frozenset(pair) for pair in choice.breakdowns}) != len(choice.breakdowns):
        # A by B and B by A hold the same cells, but secondary suppression may hide different ones
        # in each (it breaks ties by a cell's place): read together, they would give small counts away.
        raise ValueError("a breakdown chosen twice, or with its transpose")
    languages = list(questionnaire.languages)
    _only_publisher()
    last = latest()
    if not may_publish(threshold, last):
        db.session.rollback()
        raise TooSoon(threshold)
    snapshot = [one_way(questionnaire.questions[q], questionnaire, threshold, languages) for q in choice.questions]
    snapshot += [
        breakdown(questionnaire.questions[q], questionnaire.questions[b], threshold, languages) for q, b in choice.breakdowns
    ]
    publication = ResultsPublication(
        published_on=today_london(),
        published_by=actor,
        responses=tables.total_responses(),
        threshold=threshold,
        languages=languages,
        texts={language: dict(choice.texts[language]) for language in languages if language in choice.texts},
        tables=snapshot,
    )
    db.session.add(publication)
    # Choices and counts only: the words typed are on the public page, never in the audit trail.
    audit.record(
        audit.RESULTS_PUBLISHED, actor, tables=list(choice.questions),
        breakdowns=[f"{q} by {b}" for q, b in choice.breakdowns], responses=publication.responses,
        languages=sorted(publication.texts),
    )  # commits the publication with its event
    return publication


def _only_publisher() -> None:
    """Make this transaction the only writer of counts until it ends: PostgreSQL locks the table every
    release writes first (in a mode that also conflicts with itself); SQLite takes its write lock."""
    db.session.commit()  # whatever the request did before stands on its own
    connection = db.session.connection()
    if connection.dialect.name == "postgresql":
        kept.hold_releases()
    else:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def texts_of(value, languages: list[str]) -> dict[str, str]:
    """A questionnaire text in each language (a plain string, in questionnaires built by hand, as it is)."""
    if hasattr(value, "in_language"):
        return {language: value.in_language(language) for language in languages}
    return {language: str(value) for language in languages}


def _question_texts(question: Question, languages: list[str]) -> dict:
    return {
        "question": question.id,
        "heading": texts_of(question.summary_label or question.text, languages),
        "text": texts_of(question.text, languages),
        "multiple": question.kind is Kind.MULTIPLE,
    }


def _label(key: str, label, languages: list[str]) -> dict | None:
    return None if key in SPECIAL_ROWS else texts_of(label, languages)


def _figure(count: int, hidden: str | None, share: float | None = None) -> dict:
    """A figure as stored: a shown count and its share, or only why it is hidden."""
    if hidden:
        return {"hidden": hidden}
    return {"count": count, "share": share}


def one_way(question: Question, questionnaire: Questionnaire, threshold: int, languages: list[str]) -> dict:
    """A question's dashboard table (all responses), as it is published."""
    table = tables.question_tables(questionnaire, threshold, only=question)[0]
    rows = [] if table.withheld else [
        {"key": row.key, "label": _label(row.key, row.label, languages), **_figure(row.count, row.hidden, row.share)}
        for row in table.rows
    ]
    return {"kind": TABLE, **_question_texts(question, languages), "withheld": table.withheld, "total": table.total, "rows": rows}


def breakdown(question: Question, by: Question, threshold: int, languages: list[str]) -> dict:
    """A breakdown of all responses (the staff breakdown page's table), as it is published: cells by
    row (the question's answers, then all responses) and column (by's answers, then all responses)."""
    table = tables.cross_table(question, by, threshold)
    row_keys = [*table.row_keys, (tables.TOTAL, None)]
    column_keys = [*table.column_keys, (tables.TOTAL, None)]
    cells = [] if table.withheld else [
        [_figure(*table.cells[row, column], table.shares.get((row, column))) for column, _ in column_keys]
        for row, _ in row_keys
    ]
    by_texts = _question_texts(by, languages)
    return {
        "kind": BREAKDOWN,
        **_question_texts(question, languages),
        "by": by.id,
        "by_heading": by_texts["heading"],
        "withheld": table.withheld,
        "rows": [{"key": key, "label": _label(key, label, languages)} for key, label in row_keys],
        "columns": [{"key": key, "label": _label(key, label, languages)} for key, label in column_keys],
        "cells": cells,
    }
