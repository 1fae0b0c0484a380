"""The CSV export: RFC 4180 text, formula-safe, streamed a batch of responses at a time."""

import csv
import io
from collections.abc import Iterable, Iterator
from datetime import date

from app.questionnaire.model import Questionnaire
from app.staff.exports.rows import BATCH_SIZE, FIXED_COLUMNS, cell_rows, columns, english_labels, unoffered

BOM = "\ufeff"
# A spreadsheet treats a cell starting with one of these as a formula (or strips it before one).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_FORMULA_FIRST = frozenset(FORMULA_STARTS)


def neutralise(cell: str) -> str:
    """Make a cell that a spreadsheet would run as a formula read as text (OWASP's "CSV injection")."""
    return "'" + cell if cell.startswith(FORMULA_STARTS) else cell


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
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    # The rows come with every cell that can hold text already neutralised (the rest are 0, 1 or empty).
    for rows in cell_rows(cols, start, end, labels, batch_size, text=neutralise, not_offered=unoffered(cols, questionnaire)):
        writer.writerows(rows)
        yield buffer.getvalue().encode()
        buffer.seek(0)
        buffer.truncate()
