"""The CSV export: plain functions that turn responses into RFC 4180 rows, streamed in batches.

Columns: response id, submitted day, language, questionnaire version, then, in questionnaire order,
one column per single-choice, scale or free-text question (headed by its id) and one 0/1 column per
option of a multiple-choice question (headed `question.option`). An answer left blank, or a question
branching did not show, gives empty cells.
"""

import csv
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date

from flask_babel import force_locale
from sqlalchemy import func, select

from app.extensions import db
from app.models import Answer, Response
from app.questionnaire.model import Kind, Question, Questionnaire

FIXED_COLUMNS = ("response_id", "submitted_on", "language", "questionnaire_version")
BOM = "\ufeff"
BATCH_SIZE = 500  # responses per query: bounds memory, and stays under SQLite's limit on bound values
# A spreadsheet treats a cell starting with one of these as a formula (or strips it before one).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_FORMULA_FIRST = frozenset(FORMULA_STARTS)


@dataclass(frozen=True)
class Column:
    header: str
    question: Question | None = None
    option_code: str | None = None  # set for the 0/1 column of a multiple-choice option


def columns(questionnaire: Questionnaire) -> list[Column]:
    """Every column after the fixed ones, in questionnaire order."""
    result = []
    for page in questionnaire.pages:
        for question in page.questions:
            if question.kind is Kind.MULTIPLE:
                result.extend(Column(f"{question.id}.{o.code}", question, o.code) for o in question.options)
            else:
                result.append(Column(question.id, question))
    return result


def neutralise(cell: str) -> str:
    """Make a cell that a spreadsheet would run as a formula read as text (OWASP's "CSV injection")."""
    return "'" + cell if cell.startswith(FORMULA_STARTS) else cell


def english_labels(questionnaire: Questionnaire) -> dict[tuple[str, str], str]:
    """(question id, option code) -> the option's English label, rendered once."""
    with force_locale("en"):
        return {
            (question.id, option.code): str(option.label)
            for question in questionnaire.questions.values()
            for option in question.options
        }


def response_row(
    fixed: tuple, answers: dict[str, list[str]], cols: list[Column], labels: dict | None = None
) -> list[str]:
    """One CSV row. `answers` maps question id to its stored values; `labels` switches codes to English labels."""
    row = [str(value) for value in fixed]
    append = row.append  # called for every cell of a large export: kept cheap
    for column in cols:
        question_id = column.question.id
        values = answers.get(question_id)
        if not values:
            append("")
        elif column.option_code is not None:
            append("1" if column.option_code in values else "0")
        elif labels is None or column.question.kind is Kind.TEXT:
            append(values[0])
        else:
            append(labels.get((question_id, values[0]), values[0]))  # an old code stays a code
    return row


def _filters(start: date | None, end: date | None) -> list:
    conditions = []
    if start:
        conditions.append(Response.submitted_on >= start)
    if end:
        conditions.append(Response.submitted_on <= end)
    return conditions


def count_responses(start: date | None = None, end: date | None = None) -> int:
    return db.session.scalar(select(func.count()).select_from(Response).where(*_filters(start, end))) or 0


def response_batches(
    start: date | None = None, end: date | None = None, batch_size: int = BATCH_SIZE
) -> Iterator[list[tuple[tuple, dict[str, list[str]]]]]:
    """Responses with their answers, a batch at a time, by keyset pagination on the random id.

    Each batch is two short queries, so no transaction or cursor stays open while the CSV is sent,
    and memory holds one batch however many responses there are. Ordering by the random id means
    the order of rows says nothing about when anyone answered.
    """
    connection = db.session.connection()  # Core rows: no ORM processing for millions of cells
    last_id = ""
    while True:
        fixed = connection.execute(
            select(Response.id, Response.submitted_on, Response.language, Response.questionnaire_version)
            .where(Response.id > last_id, *_filters(start, end))
            .order_by(Response.id)
            .limit(batch_size)
        ).all()
        if not fixed:
            return
        ids = [row[0] for row in fixed]
        answers: dict[str, dict[str, list[str]]] = {response_id: {} for response_id in ids}
        for response_id, question_id, value in connection.execute(
            select(Answer.response_id, Answer.question_id, Answer.value)
            .where(Answer.response_id.in_(ids))
            .order_by(Answer.response_id, Answer.question_id, Answer.value)  # the key: no order of storing
        ).all():  # one fetch per batch is much quicker than a row at a time
            answers[response_id].setdefault(question_id, []).append(value)
        yield [(tuple(row), answers[row[0]]) for row in fixed]
        last_id = ids[-1]


def csv_text(rows: Iterable[list[str]]) -> str:
    """RFC 4180 text (CRLF line ends, quotes only where needed) with every cell neutralised."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    # neutralise(), inlined: this runs for every cell of a large export.
    writer.writerows([cell if cell[:1] not in _FORMULA_FIRST else "'" + cell for cell in row] for row in rows)
    return buffer.getvalue()


def export_chunks(
    questionnaire: Questionnaire,
    start: date | None = None,
    end: date | None = None,
    use_labels: bool = False,
    bom: bool = True,
    batch_size: int = BATCH_SIZE,
) -> Iterator[bytes]:
    """The whole export as UTF-8 chunks: the header, then one chunk per batch of responses."""
    cols = columns(questionnaire)
    labels = english_labels(questionnaire) if use_labels else None
    yield ((BOM if bom else "") + csv_text([list(FIXED_COLUMNS) + [c.header for c in cols]])).encode()
    for batch in response_batches(start, end, batch_size):
        yield csv_text(response_row(fixed, answers, cols, labels) for fixed, answers in batch).encode()
