"""The names a questionnaire gives the export's columns: each one usable, and no two the same.

The exports (app/staff/exports/rows.py) head a column with a question's name, or `question.option`
for each option of a multiple choice, after four columns of their own. So a question `exp.a` and
option `a` of a multiple choice `exp` would share a column, and the SPSS frame would keep one of them
silently. SPSS names are also case-insensitive (`Q1` and `q1` are one variable there), and pyreadstat
refuses a name that is not an SPSS name, which would make every SPSS download fail; both are refused
when the questionnaire is read, with the rows to change.
"""

import re
from collections.abc import Iterator

from app.questionnaire.model import Kind, Option, Question

# The export's own columns, as in app/staff/exports/rows.py (a test keeps the two the same).
FIXED_COLUMNS = ("response_id", "submitted_on", "language", "questionnaire_version")
SPSS_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_.]*")  # also the names `NAME` in xlsform.py lets through
SPSS_NAME_BYTES = 64
SPSS_RESERVED = {"all", "and", "by", "eq", "ge", "gt", "le", "lt", "ne", "not", "or", "to", "with"}

Where = tuple[str, int, str]  # sheet, row, column


def _columns(questions, option_rows) -> Iterator[tuple[str, Where, str]]:
    """(column name, where to report it, what it is) for every answer column, in export order."""
    for question, row in questions:
        if question.kind is Kind.MULTIPLE:
            for option in question.options:
                choices_row = option_rows.get(option)
                yield (f"{question.id}.{option.code}", ("choices", choices_row, "name"),
                       f"option {option.code!r} (choices row {choices_row}) of the multiple choice {question.id!r} (survey row {row})")
        else:
            yield question.id, ("survey", row, "name"), f"question {question.id!r} (survey row {row})"


def problems(questions: list[tuple[Question, int]], option_rows: dict[Option, int]) -> Iterator[tuple[Where, str]]:
    """(where, message) for every export column name that is unusable or already taken.

    `questions` are the questions with their survey rows, `option_rows` the choices row of each option."""
    taken: dict[str, tuple[str, str]] = {name: (name, f"the export's own column {name!r}") for name in FIXED_COLUMNS}
    for name, where, what in _columns(questions, option_rows):
        if name.lower() in taken:
            other_name, other = taken[name.lower()]
            case = " (SPSS does not tell capital letters from small ones)" if other_name != name else ""
            yield where, f"the export column {name!r} of {what} is also the column of {other}{case}; rename one of them"
            continue
        taken[name.lower()] = (name, what)
        # A name ending in "." would end an SPSS command where it stands at the end of a syntax line.
        if not SPSS_NAME.fullmatch(name) or name.endswith(".") or name.lower() in SPSS_RESERVED:
            yield where, (f"the export column {name!r} of {what} is not a name SPSS accepts: a letter, then letters,"
                          " digits, _ or . (no -, not ending in .), and not a word such as and, or, not")
        elif len(name.encode()) > SPSS_NAME_BYTES:
            yield where, f"the export column {name!r} of {what} is longer than SPSS's {SPSS_NAME_BYTES} characters; use shorter names"
