"""The row source every export format reads: columns in questionnaire order, responses in batches.

Columns: response id, submitted day, language, questionnaire version, then, in questionnaire order,
one column per single-choice, scale or free-text question (headed by its id) and one 0/1 column per
option of a multiple-choice question (headed `question.option`). An answer left blank, a question
branching did not show, or a question or option the response's version did not offer, gives empty cells.
"""

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date

from flask_babel import force_locale
from sqlalchemy import func, select

from app.extensions import db
from app.models import Answer, Response
from app.questionnaire.model import Kind, Question, Questionnaire

FIXED_COLUMNS = ("response_id", "submitted_on", "language", "questionnaire_version")
BATCH_SIZE = 500  # responses per query: bounds memory, and stays under SQLite's limit on bound values
_PLACEHOLDERS = {"qmark": "?", "format": "%s", "pyformat": "%s"}  # SQLite's, psycopg's
# A response's answers come back as two texts, its question ids and its values, each joined by the
# record separator, pair by pair in the same order. That control character is never in a stored
# answer (the survey's text field drops every character that is not printable, and option codes are
# names), so splitting on it is exact. Two aggregates of the columns as stored cost the database a
# quarter less than one of "question<US>value" texts it must build first.
_SEPARATOR = "\x1e"
_ANSWERS_BY_RESPONSE = {
    # Both aggregates step through the same rows in the same order: each response's answers in key
    # order (question, value), as SQLite reads a WITHOUT ROWID table by its key. The separator is a
    # literal: char(30) would be called again for every answer row.
    "sqlite": f"SELECT response_id, group_concat(question_id, '{_SEPARATOR}'), group_concat(value, '{_SEPARATOR}')"
    " FROM answers WHERE {} GROUP BY response_id",
    # PostgreSQL is told the same order, so a response reads the same on both databases.
    "postgresql": "SELECT response_id, string_agg(question_id, chr(30) ORDER BY question_id, value),"
    " string_agg(value, chr(30) ORDER BY question_id, value) FROM answers WHERE {} GROUP BY response_id",
}


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


def unoffered(cols: list[Column], questionnaire: Questionnaire) -> dict[str, list[int]]:
    """Version -> the indexes in `cols` of option columns that version did not offer.

    Their cells stay empty (system-missing in SPSS, NA in R) for its responses rather than 0: a
    respondent never offered an option did not decline it. Only the questionnaire over every version
    (versions.Covered) knows who offered what; any other has none."""
    offered_in = getattr(questionnaire, "offered_in", {})
    every = {version for offered in offered_in.values() for version in offered}
    return {
        version: [
            index for index, column in enumerate(cols)
            if column.option_code is not None and version not in offered_in.get((column.question.id, column.option_code), ())
        ]
        for version in every
    }


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


def _fixed_page(connection, after_id: str, start: date | None, end: date | None, size: int) -> list:
    """The next `size` responses' fixed columns after `after_id`: keyset pagination on the random id."""
    return connection.execute(
        select(Response.id, Response.submitted_on, Response.language, Response.questionnaire_version)
        .where(Response.id > after_id, *_filters(start, end))
        .order_by(Response.id)
        .limit(size)
    ).all()


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
        fixed = _fixed_page(connection, last_id, start, end, batch_size)
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


def cell_rows(
    cols: list[Column],
    start: date | None = None,
    end: date | None = None,
    labels: dict | None = None,
    batch_size: int = BATCH_SIZE,
    text: Callable[[str], str] | None = None,
    not_offered: dict[str, list[int]] | None = None,
) -> Iterator[list[list[str]]]:
    """Batches of finished rows of text cells, as response_row makes them, built straight from the
    answer rows: each answer is put in its cell once, rather than every cell asking for its answer,
    which roughly halves the Python work per response in a large export.

    `text`, if given, is applied to every cell that can hold stored text (the language, the version
    and each single answer, code or label): the CSV's formula guard and quoting, run on those cells
    alone rather than on every 0, 1 and empty cell of every row. Response ids (hex) and days (ISO
    dates) are the app's own and never need it.

    `not_offered` (see `unoffered`) names, per version, the option columns left empty rather than 0.
    """
    text = text or str
    width = len(FIXED_COLUMNS) + len(cols)
    single: dict[str, tuple[int, dict]] = {}  # question id -> (cell, codes to cell text)
    multiple: dict[str, dict[str, int]] = {}  # question id -> option code -> cell
    for index, column in enumerate(cols, start=len(FIXED_COLUMNS)):
        question = column.question
        if column.option_code is not None:
            multiple.setdefault(question.id, {})[column.option_code] = index
        elif labels is None:  # each option's cell text made once, not for every answer
            single[question.id] = (index, {o.code: text(o.code) for o in question.options})
        else:
            single[question.id] = (index, {code: text(label) for (qid, code), label in labels.items() if qid == question.id})
    # A multiple choice's option columns are side by side (columns()): once it is answered, every one
    # becomes 0 until chosen, in one slice assignment. Its span: (first cell, past the last, the zeros).
    spans = {
        question_id: (min(cells.values()), max(cells.values()) + 1, ["0"] * len(cells))
        for question_id, cells in multiple.items()
    }
    # Every answer the questionnaire offers, (question, code): its cell, the cell's text, and for a
    # multiple choice its span. One lookup per answer; free text and codes no longer offered take
    # the longer way below.
    known: dict[tuple[str, str], tuple[int, str, tuple | None]] = {}
    for question_id, (index, names) in single.items():
        known.update({(question_id, code): (index, name, None) for code, name in names.items()})
    for question_id, options in multiple.items():
        known.update({(question_id, code): (index, "1", spans[question_id]) for code, index in options.items()})
    fixed_texts: dict[str, str] = {}  # a language or version -> its cell: a few values, made once each
    connection = db.session.connection()
    # The answers go straight through the database driver, one text per response: a Python row per
    # answer (about eleven per response) cost more than all the rest of the CSV writing.
    placeholder = _PLACEHOLDERS[connection.dialect.paramstyle]
    answers_by_response = _ANSWERS_BY_RESPONSE[connection.dialect.name]
    cursor = connection.connection.cursor()
    last_id = ""
    while True:
        fixed = _fixed_page(connection, last_id, start, end, batch_size)
        if not fixed:
            cursor.close()
            return
        rows = {}
        blanks = []
        for response_id, day, language, version in fixed:
            row = [""] * width
            row[0], row[1] = response_id, str(day)
            row[2] = fixed_texts.get(language) or fixed_texts.setdefault(language, text(language))
            row[3] = fixed_texts.get(version) or fixed_texts.setdefault(version, text(version))
            rows[response_id] = row
            if not_offered and not_offered.get(version):
                blanks.append((row, not_offered[version]))
        if start is None and end is None:
            # Every response from the first id of the page to its last is in it: one range of the
            # answers' key, read in order, is a fifth quicker than a lookup per response.
            cursor.execute(answers_by_response.format(f"response_id >= {placeholder} AND response_id <= {placeholder}"),
                           (fixed[0][0], fixed[-1][0]))
        else:
            cursor.execute(answers_by_response.format(f"response_id IN ({', '.join([placeholder] * len(rows))})"), tuple(rows))
        for response_id, question_ids, values in cursor.fetchall():
            row = rows.get(response_id)
            if row is None:  # released in between the two queries: it comes in a later page, or in none
                continue
            question_ids, values = question_ids.split(_SEPARATOR), values.split(_SEPARATOR)
            if len(values) != len(question_ids):  # a value holding the separator (written by hand): read it plainly
                answers = [tuple(answer) for answer in connection.execute(
                    select(Answer.question_id, Answer.value).where(Answer.response_id == response_id)
                    .order_by(Answer.question_id, Answer.value)
                )]
            else:
                answers = zip(question_ids, values)
            for answer in answers:
                offered = known.get(answer)
                if offered is not None:
                    index, cell, span = offered
                    if span is None:
                        if not row[index]:  # the first answer, as response_row takes values[0]
                            row[index] = cell
                    else:
                        first, past, zeros = span
                        if not row[first]:  # the question's first answer here
                            row[first:past] = zeros
                        row[index] = cell
                    continue
                question_id, value = answer
                cell = single.get(question_id)
                if cell is not None:
                    index, names = cell
                    if not row[index]:  # the first answer, as response_row takes values[0]
                        row[index] = names.get(value) or text(value)  # an old code stays a code
                    continue
                options = multiple.get(question_id)
                if options is not None:
                    first, past, zeros = spans[question_id]
                    if not row[first]:
                        row[first:past] = zeros
                    index = options.get(value)
                    if index is not None:
                        row[index] = "1"
        for row, indexes in blanks:
            for index in indexes:
                if row[len(FIXED_COLUMNS) + index] == "0":  # a stored answer, however odd, stays shown
                    row[len(FIXED_COLUMNS) + index] = ""
        yield list(rows.values())
        last_id = fixed[-1][0]
