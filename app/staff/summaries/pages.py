"""What each summary page shows, as plain data for its template and its CSV download."""

from flask_babel import gettext as _

from app.questionnaire.model import Kind, Questionnaire
from app.staff.summaries import tables
from app.staff.summaries.charts import GroupedChart, grouped_bar_chart
from app.staff.summaries.display import figure_text, share_text

ALL = ""  # the group choice for all responses


def group_choices(questionnaire: Questionnaire) -> list[tuple[str, str]]:
    """Every answer to a single-choice or scale question, as "question_id:code" -> "Question: answer"."""
    choices = [(ALL, _("All responses"))]
    for question in questionnaire.questions.values():
        if question.kind in (Kind.SINGLE, Kind.SCALE):
            name = str(question.summary_label or question.text)
            choices.extend((f"{question.id}:{o.code}", f"{name}: {o.label}") for o in question.options)
    return choices


def and_group_choices(questionnaire: Questionnaire) -> list[tuple[str, str]]:
    """The second level of the filter: the same answers, or none."""
    return [(ALL, _("No second group"))] + group_choices(questionnaire)[1:]


def parse_group(value: str | None, and_value: str | None = None, questionnaire: Questionnaire | None = None):
    """The filter's choices as a group, two groups (the second within the first), or None.

    Two groups are put in questionnaire order: "A and B" and "B and A" are the same responses, and
    must be the same figures with the same hidden counts (the second is protected within the first).
    """
    groups = [tuple(part.split(":", 1)) for part in (value, and_value) if part]
    if len(groups) == 2 and questionnaire is not None:
        order = list(questionnaire.questions)
        groups.sort(key=lambda group: order.index(group[0]))
    return groups[0] if len(groups) == 1 else tuple(groups) or None


def group_label(questionnaire: Questionnaire, group) -> str:
    labels = []
    for question_id, code in tables.groups_of(group):
        question = questionnaire.questions[question_id]
        labels.append(f"{question.summary_label or question.text}: {question.option(code).label}")
    return _(" and ").join(labels)


def dashboard(questionnaire: Questionnaire, group: tables.Group | None, threshold: int) -> dict:
    """The dashboard's figures: all responses, or one group's (None if the group is too small to show)."""
    if group is None:
        return {
            "total": tables.total_responses(),
            "days": tables.days_table(threshold),
            "tables": tables.question_tables(questionnaire, threshold),
            "group_label": None,
            "group_refused": False,
        }
    label = group_label(questionnaire, group)
    if not tables.group_allowed(group, questionnaire, threshold):
        return {"total": None, "days": None, "tables": [], "group_label": label, "group_refused": True}
    return {
        "total": tables.total_responses(group),
        "days": None,  # per day within a group would be a breakdown of its own: not shown
        "tables": tables.group_tables(questionnaire, group, threshold),
        "group_label": label,
        "group_refused": False,
    }


def question_figures(questionnaire: Questionnaire, question_id: str, group: tables.Group | None, threshold: int):
    """One dashboard table ("days" for responses per day), within a group if given; None if not shown."""
    if question_id == "days":
        return tables.days_table(threshold) if group is None else None
    question = questionnaire.questions[question_id]
    if group is None:
        return tables.question_tables(questionnaire, threshold, only=question)[0]
    if question_id in {qid for qid, _code in tables.groups_of(group)} or not tables.group_allowed(group, questionnaire, threshold):
        return None
    return tables.filtered_table(question, group, questionnaire, threshold)


def breakdown(questionnaire: Questionnaire, question_id: str, by_id: str, group: tables.Group | None, threshold: int):
    """A breakdown, within a group if given: (table or None when the group is too small, refused?)."""
    question, by = questionnaire.questions[question_id], questionnaire.questions[by_id]
    if group is None:
        return tables.cross_table(question, by, threshold), False
    if not tables.group_allowed(group, questionnaire, threshold):
        return None, True
    return tables.group_cross_table(question, by, group, questionnaire, threshold), False


def cell_text(table: tables.CrossTable, row: str, column: str, threshold: int) -> tuple[str, str]:
    """A breakdown cell as shown: (count, share)."""
    count, hidden = table.cells[row, column]
    return figure_text(count, hidden, threshold), share_text(table.shares.get((row, column)))


def breakdown_chart(table: tables.CrossTable, threshold: int) -> GroupedChart:
    """One group of bars per answer to `by` (and all responses), a bar per answer to the question."""
    columns = [(key, str(label)) for key, label in table.column_keys if key != tables.NO_ANSWER]
    columns.append((tables.TOTAL, _("All responses")))
    groups = []
    for column, heading in columns:
        items = []
        for row, label in table.row_keys:
            if row == tables.NO_ANSWER:
                continue
            count, share = cell_text(table, row, column, threshold)
            items.append((str(label), table.shares.get((row, column)), f"{count} ({share})" if share else count))
        groups.append((heading, items))
    return grouped_bar_chart(groups)


def one_way_rows(table: tables.Table, threshold: int, share_heading: str) -> list[list[str]]:
    """A dashboard table as CSV rows, exactly as shown."""
    rows = [[_("Answer"), _("Count"), share_heading]]
    for row in table.rows:
        text = figure_text(row.count, row.hidden, threshold)
        rows.append([str(row.label), text, share_text(row.share) if row.shown else text])
    rows.append([_("All responses"), f"{table.total:,}", "100%" if table.total else ""])
    return rows


def cross_rows(table: tables.CrossTable, threshold: int) -> list[list[str]]:
    """A breakdown as CSV rows, exactly as shown: a count and a share column per answer to `by`."""
    columns = [*table.column_keys, (tables.TOTAL, _("All responses"))]
    header = [_("Answer")]
    for _key, label in columns:
        header += [_("%(column)s: count", column=label), _("%(column)s: share of those who answered", column=label)]
    rows = [header]
    for row, label in [*table.row_keys, (tables.TOTAL, _("All responses"))]:
        line = [str(label)]
        for column, _label in columns:
            line.extend(cell_text(table, row, column, threshold))
        rows.append(line)
    return rows
