"""A stored publication as the public page and its CSV show it, in the language of the request.

One function per figure, shared by the page, the chart and the CSV, so each hides exactly the
same figures with the same words. Labels fall back to the publication's default language when
it has no text in the one asked for (the page then marks that text with its own language).
"""

from dataclasses import dataclass

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext

from app.models import ResultsPublication
from app.questionnaire.characters import normalise_line_breaks
from app.results.snapshot import BREAKDOWN
from app.staff.summaries import tables
from app.results.charts import Chart, bar_chart, grouped_bar_chart

ROW_WORDS = {
    tables.NO_ANSWER: _l("No answer"),
    tables.RETIRED: _l("An answer no longer offered"),
    tables.TOTAL: _l("All responses"),
}


@dataclass(frozen=True)
class Words:
    """A text of the publication and the language it is in (for a lang attribute when it differs)."""

    text: str
    language: str


def words(texts: dict[str, str], language: str, languages: list[str]) -> Words:
    if language in texts:
        return Words(texts[language], language)
    fallback = next((code for code in languages if code in texts), next(iter(texts)))
    return Words(texts[fallback], fallback)


def paragraphs(text: str) -> list[list[str]]:
    """Plain text as paragraphs (split at blank lines), each a list of its lines. Never HTML: the
    template escapes every line."""
    blocks = [block.strip() for block in normalise_line_breaks(text).split("\n\n")]
    return [[line.strip() for line in block.split("\n") if line.strip()] for block in blocks if block]


def figure_text(cell: dict, threshold: int) -> str:
    if cell.get("hidden") == "small":
        return _("fewer than %(threshold)s", threshold=threshold)
    if cell.get("hidden"):
        return _("hidden")
    return f"{cell['count']:,}"


def share_text(cell: dict) -> str:
    """A share as shown ("34.5%"), or nothing where none is shown."""
    share = cell.get("share")
    return "" if share is None or cell.get("hidden") else f"{share}%"


def label_text(row: dict, language: str, languages: list[str]) -> Words:
    if row["label"] is None:
        return Words(str(ROW_WORDS[row["key"]]), language)
    return words(row["label"], language, languages)


@dataclass
class Table:
    """One published table, ready for the template: headings, rows of figures as text, its chart."""

    id: str
    kind: str
    heading: Words
    text: Words
    multiple: bool
    withheld: bool
    by_heading: Words | None = None
    rows: list | None = None  # one-way: (label, count text, share text); breakdown: (label, [(count, share)])
    columns: list | None = None  # breakdown: column labels
    total: int | None = None
    chart: Chart | None = None


def page_tables(publication: ResultsPublication, language: str) -> list[Table]:
    languages, threshold = publication.languages, publication.threshold
    shown = []
    for index, stored in enumerate(publication.tables, start=1):
        table = Table(
            id=f"table-{index}",
            kind=stored["kind"],
            heading=words(stored["heading"], language, languages),
            text=words(stored["text"], language, languages),
            multiple=stored["multiple"],
            withheld=stored["withheld"],
        )
        if stored["kind"] == BREAKDOWN:
            _fill_breakdown(table, stored, language, languages, threshold)
        else:
            _fill_one_way(table, stored, language, languages, threshold)
        shown.append(table)
    return shown


def _fill_one_way(table: Table, stored: dict, language: str, languages: list[str], threshold: int) -> None:
    table.total = stored["total"]
    table.rows = [
        (label_text(row, language, languages), figure_text(row, threshold), share_text(row) or figure_text(row, threshold))
        for row in stored["rows"]
    ]
    if not table.withheld:
        table.chart = bar_chart([
            (label.text, row.get("count"), f"{count} ({share})" if share != count else count)
            for row, (label, count, share) in zip(stored["rows"], table.rows)
        ], language)


def _fill_breakdown(table: Table, stored: dict, language: str, languages: list[str], threshold: int) -> None:
    table.by_heading = words(stored["by_heading"], language, languages)
    table.columns = [label_text(column, language, languages) for column in stored["columns"]]
    table.rows = [
        (label_text(row, language, languages), [(figure_text(cell, threshold), share_text(cell)) for cell in cells])
        for row, cells in zip(stored["rows"], stored["cells"])
    ]
    if table.withheld:
        return
    # A group of bars per column with responses (but "No answer"), a bar per answer (but "No
    # answer"), its length the answer's share of the column.
    groups = []
    for index, column in enumerate(stored["columns"]):
        if column["key"] == tables.NO_ANSWER or stored["cells"][-1][index].get("count") == 0:
            continue  # nobody in the column: bars of nothing
        items = []
        for row, cells in zip(stored["rows"], stored["cells"]):
            if row["key"] in (tables.NO_ANSWER, tables.TOTAL):
                continue
            cell = cells[index]
            count, share = figure_text(cell, threshold), share_text(cell)
            items.append((label_text(row, language, languages).text, cell.get("share"), f"{count} ({share})" if share else count))
        groups.append((table.columns[index].text, items))
    table.chart = grouped_bar_chart(groups, language)


def csv_rows(publication: ResultsPublication, language: str) -> list[list[str]]:
    """The published tables as CSV rows, each figure exactly as the page shows it."""
    from app.i18n import format_day

    languages = publication.languages
    title = words({code: texts["title"] for code, texts in publication.texts.items()}, language, languages)
    published = ngettext("Last published on %(day)s from %(num)s response.", "Last published on %(day)s from %(num)s responses.",
                         publication.responses, day=format_day(publication.published_on))
    rows = [[title.text], [published]]
    for table in page_tables(publication, language):
        rows.append([])
        if table.kind == BREAKDOWN:
            rows.append([_("%(question)s, by the answer to “%(by)s”", question=table.heading.text, by=table.by_heading.text)])
        else:
            rows.append([table.heading.text])
        if table.withheld:
            rows.append([_("Not shown: there are too few responses to show this table safely.")])
        elif table.kind == BREAKDOWN:
            header = [_("Answer")]
            for column in table.columns:
                header += [_("%(column)s: number of responses", column=column.text),
                           _("%(column)s: share of those who answered", column=column.text)]
            rows.append(header)
            rows.extend([label.text] + [text for cell in cells for text in cell] for label, cells in table.rows)
        else:
            rows.append([_("Answer"), _("Number of responses"), _("Share of all responses")])
            rows.extend([label.text, count, share] for label, count, share in table.rows)
            rows.append([_("All responses"), f"{table.total:,}", "100%" if table.total else ""])
    return rows
