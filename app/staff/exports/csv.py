"""The CSV export: RFC 4180 text, formula-safe, streamed a batch of responses at a time."""

import csv
import io
import re
from collections.abc import Iterable, Iterator
from datetime import date

from app.questionnaire.model import Questionnaire
from app.staff.exports.rows import BATCH_SIZE, FIXED_COLUMNS, cell_rows, columns, english_labels, unoffered

BOM = "\ufeff"
# A spreadsheet treats a cell starting with one of these as a formula (or strips it before one).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_FORMULA_FIRST = frozenset(FORMULA_STARTS)
_NEEDS_QUOTES = re.compile('[,"\r\n]')  # what the csv module quotes, with our delimiter and line end


def neutralise(cell: str) -> str:
    """Make a cell that a spreadsheet would run as a formula read as text (OWASP's "CSV injection")."""
    return "'" + cell if cell.startswith(FORMULA_STARTS) else cell


def cell(text: str) -> str:
    """A cell that can hold stored text as it goes into a line of the CSV: neutralised, then quoted
    as the csv module would (RFC 4180: only where it holds a comma, a quote or a line break)."""
    text = neutralise(text)
    return '"' + text.replace('"', '""') + '"' if _NEEDS_QUOTES.search(text) else text


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
    # Every cell that can hold text comes ready (neutralised and quoted, each option's once); the rest
    # are ids, days, 0, 1 or empty. So a line is a plain join: a third quicker than csv.writer.
    for rows in cell_rows(cols, start, end, labels, batch_size, text=cell, not_offered=unoffered(cols, questionnaire)):
        yield "".join([",".join(row) + "\r\n" for row in rows]).encode()
