"""The Excel export: a workbook with a `responses` sheet (the CSV's columns) and a `codebook` sheet.

XlsxWriter in constant-memory mode writes each row to a temporary file as soon as the next row
starts, so memory stays flat whatever the number of responses; the finished workbook is a file on
disk that the view streams and deletes. Every text cell is written as text: an id, a code or a
typed answer never becomes a number, a date, a link or a formula in Excel.
"""

import os
from datetime import date

import xlsxwriter

from app.questionnaire.model import Questionnaire
from app.staff.exports.codebook import codebook_rows
from app.staff.exports.files import remove, temporary_path
from app.staff.exports.rows import BATCH_SIZE, FIXED_COLUMNS, cell_rows, columns, english_labels, unoffered

MAX_RESPONSES = 1_048_575  # Excel's 1,048,576 rows, less the header
OPTIONS = {
    "constant_memory": True,
    # Belt and braces: every cell below is written with write_string or write_number, which never
    # convert, but these keep any later plain write() from turning text into formulas, links or numbers.
    "strings_to_formulas": False,
    "strings_to_urls": False,
    "strings_to_numbers": False,
}


def fits(responses: int) -> bool:
    """Whether this many responses fit on one sheet (beyond it Excel would cut the file)."""
    return responses <= MAX_RESPONSES


def write_workbook(
    path: str,
    questionnaire: Questionnaire,
    start: date | None = None,
    end: date | None = None,
    use_labels: bool = False,
    batch_size: int = BATCH_SIZE,
) -> int:
    """Write the workbook to `path`; returns the number of responses written."""
    cols = columns(questionnaire)
    labels = english_labels(questionnaire) if use_labels else None
    workbook = xlsxwriter.Workbook(path, {**OPTIONS, "tmpdir": os.path.dirname(path)})
    try:
        bold = workbook.add_format({"bold": True})
        day = workbook.add_format({"num_format": "yyyy-mm-dd"})
        sheet = workbook.add_worksheet("responses")
        sheet.freeze_panes(1, 0)
        for index, header in enumerate([*FIXED_COLUMNS, *(c.header for c in cols)]):
            sheet.write_string(0, index, header, bold)
        # A 0/1 column is a number (so it sums); every other answer cell is text.
        numeric = {len(FIXED_COLUMNS) + i for i, c in enumerate(cols) if c.option_code is not None}
        written = 0
        for batch in cell_rows(cols, start, end, labels, batch_size, not_offered=unoffered(cols, questionnaire)):
            for row in batch:
                written += 1
                sheet.write_string(written, 0, row[0])
                sheet.write_datetime(written, 1, date.fromisoformat(row[1]), day)
                for index in range(2, len(row)):
                    cell = row[index]
                    if not cell:
                        continue  # a blank cell, not an empty string
                    if index in numeric:
                        sheet.write_number(written, index, int(cell))
                    else:
                        sheet.write_string(written, index, cell)
        sheet.set_column(1, 1, 11)
        codebook = workbook.add_worksheet("codebook")
        codebook.freeze_panes(1, 0)
        for row_index, cells in enumerate(codebook_rows(questionnaire)):
            for index, cell in enumerate(cells):
                if cell:
                    codebook.write_string(row_index, index, cell, bold if row_index == 0 else None)
    finally:
        workbook.close()
    return written


def workbook_file(questionnaire: Questionnaire, **filters) -> tuple[str, int]:
    """Write the workbook to a new temporary file; returns its path (the caller deletes it) and the row count."""
    path = temporary_path("survey-responses.xlsx")
    try:
        return path, write_workbook(path, questionnaire, **filters)
    except BaseException:
        remove(path)
        raise
