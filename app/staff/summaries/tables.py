"""Counts for the dashboard and breakdowns, with small-number protection. Plain functions.

Any count can be limited to one group: the responses with one answer to a single-choice or scale
question (`group`, a (question id, option code) pair), or to two such groups at once (a tuple of two
pairs: the responses in both, e.g. women and girls aged 16 to 24).

Every table's cells add up to the total number of responses (its options plus "No answer"), except
a multiple-choice question's, whose options overlap: there each count is protected on its own.
Exports stay exact; only these summaries are protected.
"""

import time
from dataclasses import dataclass, field
from datetime import date

from flask import current_app, g, has_request_context
from flask_babel import lazy_gettext as _l
from sqlalchemy import distinct, func, select
from sqlalchemy.orm import aliased

from app import counts as kept
from app.extensions import db
from app.models import Answer, Response
from app.questionnaire.model import Kind, Question, Questionnaire
from app.staff.summaries.suppression import suppress

NO_ANSWER = "__no_answer__"  # not an option code: a question skipped, or not shown by branching
ANSWERED = "__answered__"  # a free-text question that has an answer
RETIRED = "__retired__"  # an option code the current questionnaire no longer has
TOTAL = "__total__"
WITHHELD = "withheld"  # the whole table is not shown


@dataclass
class Row:
    key: str
    label: object
    count: int
    hidden: str | None  # None, "small" or "secondary"
    share: float | None  # percent of all responses; None when hidden

    @property
    def shown(self) -> bool:
        return self.hidden is None


@dataclass
class Table:
    question: Question | None
    rows: list[Row]
    total: int
    withheld: bool = False  # too few responses to show any count safely

    def row(self, key: str) -> Row:
        return next(row for row in self.rows if row.key == key)


@dataclass
class CrossTable:
    """`question` broken down by `by`: rows are `question`'s options, columns are `by`'s."""

    question: Question
    by: Question
    row_keys: list[tuple[str, object]]
    column_keys: list[tuple[str, object]]
    cells: dict = field(default_factory=dict)  # (row key, column key) -> (count, hidden)
    withheld: bool = False
    # (row key, column key) -> percent of the column's responses that answered `question`, or None
    shares: dict = field(default_factory=dict)


Group = tuple[str, str]  # (question id, option code): the responses with that answer


def groups_of(group) -> tuple[Group, ...]:
    """A group, several groups or None, as a tuple of groups."""
    if not group:
        return ()
    return (group,) if isinstance(group[0], str) else tuple(group)


def _in_group(column, group) -> list:
    """WHERE conditions keeping `column` (a response id) to the responses in the group (or in every one
    of the groups); none without a group."""
    return [
        column.in_(select(Answer.response_id).where(Answer.question_id == question_id, Answer.value == code))
        for question_id, code in groups_of(group)
    ]


# Counting (exact): for all responses and for one group, the counts kept at each release
# (app/counts.py); within two groups, straight from the answers.


class TooSlow(Exception):
    """A page has counted from the answers for longer than STAFF_SUMMARY_SECONDS."""


def _per_request(name: str, key, compute):
    """`compute()`, run once per request for each (name, key). A page within two groups needs the
    same group's margins for every question (each level is protected with the statuses of the level
    above): reading them again each time took 409 queries a page, 241 of them repeats. Outside a
    request (commands, tests calling these directly) nothing is kept, so nothing goes stale."""
    if not has_request_context():
        return compute()
    memo = g.setdefault("summary_counts", {})
    if (name, key) not in memo:
        memo[name, key] = compute()
    return memo[name, key]


def _from_answers(name: str, key, compute):
    """_per_request for counts read from the answers table (within two groups, and breakdowns within
    a group), which take longer as responses grow: 20 s for a page within two groups at a million.
    Before each such count the page's time so far is checked, and past STAFF_SUMMARY_SECONDS the page
    stops with TooSlow (a page saying so) rather than run into nginx's 30 s proxy timeout, which would cut
    it off with a bare 504 and leave its queries running in the worker."""
    if has_request_context():
        started = g.setdefault("summary_started", time.monotonic())
        if (name, key) not in g.get("summary_counts", {}) and time.monotonic() - started > current_app.config["STAFF_SUMMARY_SECONDS"]:
            raise TooSlow()
    return _per_request(name, key, compute)


def total_responses(group=None) -> int:
    if not group:
        return kept.total()
    groups = groups_of(group)
    count = _per_request if len(groups) == 1 else _from_answers  # one group's count is kept
    return count("total", groups, lambda: _count_total(groups))


def _count_total(groups: tuple[Group, ...]) -> int:
    if len(groups) == 1:  # the responses with that answer, as kept
        question_id, code = groups[0]
        return kept.answer_counts([question_id]).get(question_id, {}).get(code, 0)
    return db.session.scalar(select(func.count()).select_from(Response).where(*_in_group(Response.id, groups))) or 0


def responses_per_day() -> list[tuple[date, int]]:
    return kept.per_day()


def option_counts(group=None, question_ids=None) -> dict[str, dict[str, int]]:
    """question id -> value -> number of responses with that answer (all questions, or `question_ids`)."""
    if not group:
        return kept.answer_counts(question_ids)
    if len(groups_of(group)) == 1:  # of the questions with options, as kept
        return _kept_group(groups_of(group)[0])[0]
    return _from_answers("options", groups_of(group), lambda: _option_counts(groups_of(group)))


def _kept_group(group: Group) -> tuple[dict, dict]:
    return _per_request("kept group", group, lambda: kept.group_counts(*group))


def _option_counts(groups) -> dict[str, dict[str, int]]:
    counts: dict[str, dict[str, int]] = {}
    for question_id, value, count in db.session.execute(
        select(Answer.question_id, Answer.value, func.count())
        .where(*_in_group(Answer.response_id, groups))
        .group_by(Answer.question_id, Answer.value)
    ):
        counts.setdefault(question_id, {})[value] = count
    return counts


def answered_counts(group=None) -> dict[str, int]:
    """question id -> number of responses with any answer to it."""
    if not group:
        return kept.answered_counts()
    if len(groups_of(group)) == 1:
        return _kept_group(groups_of(group)[0])[1]
    return _from_answers("answered", groups_of(group), lambda: dict(
        db.session.execute(
            select(Answer.question_id, func.count(distinct(Answer.response_id)))
            .where(*_in_group(Answer.response_id, group))
            .group_by(Answer.question_id)
        ).all()
    ))


# One-way tables.


def _share(count: int, total: int) -> float:
    return round(100 * count / total, 1) if total else 0.0


def _rows(labelled: list[tuple[str, object, int]], status: dict | None, total: int) -> list[Row]:
    rows = []
    for key, label, count in labelled:
        hidden = status[key] if status else WITHHELD
        rows.append(Row(key, label, count, hidden, None if hidden else _share(count, total)))
    return rows


def _table(question, labelled, total: int, threshold: int, adds_up: bool) -> Table:
    values = {key: count for key, _, count in labelled}
    values[TOTAL] = total
    equations = [([key for key, _, _ in labelled], TOTAL)] if adds_up else []
    status = suppress(values, equations, threshold, public=[TOTAL])
    return Table(question, _rows(labelled, status, total), total, withheld=status is None)


def question_labelled(question: Question, counts: dict[str, int], answered: int, total: int) -> list:
    """(key, label, count) for a question's table: each option (or "Answered"), then "No answer"."""
    if question.kind is Kind.TEXT:
        labelled = [(ANSWERED, _l("Answered"), answered)]
    else:
        labelled = [(option.code, option.label, counts.get(option.code, 0)) for option in question.options]
        offered = {option.code for option in question.options}
        retired = sum(count for code, count in counts.items() if code not in offered)
        if retired:  # answers to an earlier version of the questionnaire, so the rows still add up
            labelled.append((RETIRED, _l("An answer no longer offered"), retired))
    return labelled + [(NO_ANSWER, _l("No answer"), total - answered)]


def question_table(question: Question, counts: dict[str, int], answered: int, total: int, threshold: int) -> Table:
    """A question's counts and shares, protected."""
    labelled = question_labelled(question, counts, answered, total)
    return _table(question, labelled, total, threshold, adds_up=question.kind is not Kind.MULTIPLE)


def question_tables(questionnaire: Questionnaire, threshold: int, only: Question | None = None) -> list[Table]:
    total = total_responses()
    counts, answered = option_counts(question_ids=_choice_ids(questionnaire)), answered_counts()
    return [
        question_table(question, counts.get(question.id, {}), answered.get(question.id, 0), total, threshold)
        for question in questionnaire.questions.values()
        if only is None or question is only
    ]


def days_table(threshold: int) -> Table:
    days = responses_per_day()
    labelled = [(day.isoformat(), day, count) for day, count in days]
    return _table(None, labelled, sum(count for _, count in days), threshold, adds_up=True)


# Breakdowns (two-way tables).


def breakdown_questions(questionnaire: Questionnaire) -> tuple[list[Question], list[Question]]:
    """Questions that can be broken down (any with options), and those to break down by (one answer each)."""
    choices = [q for q in questionnaire.questions.values() if q.has_choices]
    return choices, [q for q in choices if q.kind is not Kind.MULTIPLE]


def _pair_counts(question_id: str, by_id: str, group=None):
    """(question's value, by's value) -> responses with both; by's value -> responses with it that
    answered the question; responses that answered both."""
    if not group:
        return _kept_pairs(question_id, by_id)
    return _from_answers("pairs", (question_id, by_id, groups_of(group)), lambda: _count_pairs(question_id, by_id, group))


def _kept_pairs(question_id: str, by_id: str):
    """The same as _count_pairs for all responses, from the pairs kept at release: all of `by_id`'s
    pairs read once a request (a dashboard within a group breaks down every question by it)."""
    counted = _per_request("kept pairs", by_id, lambda: kept.pair_counts(by_id)).get(question_id, {})
    pairs = {(x, y): n for (x, y), n in counted.items() if x != kept.ANSWERED}
    responses_by_column = {y: n for (x, y), n in counted.items() if x == kept.ANSWERED}
    # `by` has one answer a response, so its columns' responses add up to those that answered both.
    return pairs, responses_by_column, sum(responses_by_column.values())


def _count_pairs(question_id: str, by_id: str, group=None):
    a, b = aliased(Answer), aliased(Answer)
    both_answered = (a.question_id == question_id, b.question_id == by_id, *_in_group(a.response_id, group))
    joined = select(a.value, b.value, func.count()).join(b, a.response_id == b.response_id)
    pairs = {(x, y): n for x, y, n in db.session.execute(joined.where(*both_answered).group_by(a.value, b.value))}
    responses_by_column = dict(
        db.session.execute(
            select(b.value, func.count(distinct(a.response_id)))
            .join(b, a.response_id == b.response_id)
            .where(*both_answered)
            .group_by(b.value)
        ).all()
    )
    # `by` has one answer a response, so its columns' responses add up to those that answered both.
    return pairs, responses_by_column, sum(responses_by_column.values())


@dataclass
class Margins:
    """What a breakdown's margins are made of: all responses, or one group's (with the statuses
    those counts already have where they are published, so every page hides the same counts)."""

    total: int
    counts: dict
    answered: dict
    group: tuple[Group, ...] | Group | None = None
    row_given: dict | None = None  # row key -> status, for a group: its column in `question` by the group's question
    column_given: dict | None = None


def all_margins(question_ids) -> Margins:
    """The margins of every breakdown of these questions."""
    question_ids = tuple(question_ids)
    return _per_request("all", question_ids, lambda: Margins(total_responses(), option_counts(question_ids=question_ids), answered_counts()))


def _choice_ids(questionnaire: Questionnaire) -> list[str]:
    """The questions whose answers are counted by value (free text is only counted as answered)."""
    return [q.id for q in questionnaire.questions.values() if q.has_choices]


def cross_table(question: Question, by: Question, threshold: int, margins: Margins | None = None) -> CrossTable:
    """Counts of `question`'s answers within each answer to `by` (a single-choice or scale question).

    The margins are the two questions' own one-way tables, protected exactly as on the dashboard,
    so reading both pages together reveals nothing either hides. Within a group, the margins are
    the group's column of `question` (and of `by`) broken down by the group's question, with the
    statuses they have there.
    """
    m = margins or all_margins([question.id, by.id])
    total, counts, answered = m.total, m.counts, m.answered
    row_table = question_table(question, counts.get(question.id, {}), answered.get(question.id, 0), total, threshold)
    column_table = question_table(by, counts.get(by.id, {}), answered.get(by.id, 0), total, threshold)
    if m.row_given is not None:
        _give(row_table, m.row_given)
    if m.column_given is not None:
        _give(column_table, m.column_given)
    raw_pairs, raw_by_column, both = _pair_counts(question.id, by.id, m.group)
    if question.kind is Kind.TEXT:  # one row, "Answered", whatever was written (within a group)
        raw_pairs = {(ANSWERED, y): n for y, n in raw_by_column.items()}
    row_keys = [(row.key, row.label) for row in row_table.rows]
    column_keys = [(row.key, row.label) for row in column_table.rows]
    # Codes no longer offered count under RETIRED, as in the one-way tables, so every line adds up.
    known_rows, known_columns = {key for key, _ in row_keys}, {key for key, _ in column_keys}
    pairs: dict = {}
    for (x, y), n in raw_pairs.items():
        key = (x if x in known_rows else RETIRED, y if y in known_columns else RETIRED)
        pairs[key] = pairs.get(key, 0) + n
    responses_by_column: dict = {}
    for y, n in raw_by_column.items():
        key = y if y in known_columns else RETIRED
        responses_by_column[key] = responses_by_column.get(key, 0) + n
    rows_answered = {row.key: sum(n for (x, _), n in pairs.items() if x == row.key) for row in row_table.rows}

    values: dict = {}
    for r, _ in row_keys:
        for c, _ in column_keys:
            if r != NO_ANSWER and c != NO_ANSWER:
                values[r, c] = pairs.get((r, c), 0)
            elif r != NO_ANSWER:  # answered the question but not `by`
                values[r, c] = row_table.row(r).count - rows_answered[r]
            elif c != NO_ANSWER:  # answered `by` but not the question
                values[r, c] = column_table.row(c).count - responses_by_column.get(c, 0)
            else:
                values[r, c] = total - answered.get(question.id, 0) - answered.get(by.id, 0) + both
    given = {}
    for row in row_table.rows:
        values[row.key, TOTAL] = row.count
        given[row.key, TOTAL] = row.hidden
    for row in column_table.rows:
        values[TOTAL, row.key] = row.count
        given[TOTAL, row.key] = row.hidden
    values[TOTAL, TOTAL] = total

    equations = [([(r, c) for c, _ in column_keys], (r, TOTAL)) for r, _ in row_keys]
    equations.append(([(TOTAL, c) for c, _ in column_keys], (TOTAL, TOTAL)))
    if question.kind is not Kind.MULTIPLE:  # options that overlap do not add up down a column
        equations += [([(r, c) for r, _ in row_keys], (TOTAL, c)) for c, _ in column_keys]
        equations.append(([(r, TOTAL) for r, _ in row_keys], (TOTAL, TOTAL)))
    status = suppress(values, equations, threshold, public=[(TOTAL, TOTAL)], given=given)
    table = CrossTable(question, by, row_keys, column_keys, withheld=status is None or row_table.withheld or column_table.withheld)
    table.cells = {key: (value, status[key] if status else "small") for key, value in values.items()}
    table.shares = _column_shares(table)
    return table


def _give(table: Table, statuses: dict) -> None:
    """Take the statuses a table's counts already have on another page."""
    for row in table.rows:
        row.hidden = statuses.get(row.key, row.hidden)
    table.withheld = table.withheld or any(status == WITHHELD for status in statuses.values())


def _column_shares(table: CrossTable) -> dict:
    """Each count as a percent of its column's responses that answered the question.

    A column's base is its total less its "No answer" count, so a share is shown only where both
    of those are shown: otherwise count / share would give the base, and with it a hidden count.
    """
    shares = {}
    for column, _ in [*table.column_keys, (TOTAL, None)]:
        total, total_hidden = table.cells[TOTAL, column]
        missing, missing_hidden = table.cells[NO_ANSWER, column]
        base = total - missing
        for row, _ in table.row_keys:
            count, hidden = table.cells[row, column]
            safe = not (table.withheld or hidden or total_hidden or missing_hidden) and base > 0
            shares[row, column] = _share(count, base) if safe and row != NO_ANSWER else None
    return shares


# One group: its figures are one column of the breakdowns by the group's question. Two groups: the
# second group's column of the breakdowns by its question within the first group, so each level is
# protected with the statuses the level above shows.


def group_allowed(group, questionnaire: Questionnaire, threshold: int) -> bool:
    """A group can be shown only if its own count is shown on the page above it (the dashboard, or the
    first group's dashboard for a second group): else its total would give it away."""
    groups = groups_of(group)
    for level, (question_id, code) in enumerate(groups):
        question = questionnaire.questions[question_id]
        if level == 0:
            m = all_margins(_choice_ids(questionnaire))
            table = question_table(question, m.counts.get(question_id, {}), m.answered.get(question_id, 0), m.total, threshold)
        else:
            table = filtered_table(question, groups[:level], questionnaire, threshold)
        row = next((row for row in table.rows if row.key == code), None)
        if table.withheld or row is None or not row.shown or row.count == 0:
            return False
    return True


def group_column(question: Question, group_question: Question, code: str, threshold: int, m: Margins) -> Table:
    """`question`'s one-way table within a group: the group's column of `question` by the group's question."""
    return _column(cross_table(question, group_question, threshold, m), question, code)


def _column(cross: CrossTable, question: Question, code: str) -> Table:
    total = cross.cells[TOTAL, code][0]
    rows = []
    for key, label in cross.row_keys:
        count, hidden = cross.cells[key, code]
        rows.append(Row(key, label, count, hidden, None if hidden or cross.withheld else _share(count, total)))
    return Table(question, rows, total, withheld=cross.withheld)


def filtered_table(question: Question, group, questionnaire: Questionnaire, threshold: int) -> Table:
    """`question`'s one-way table within one group or two (the second within the first)."""
    *outer, (question_id, code) = groups_of(group)
    group_question = questionnaire.questions[question_id]
    if not outer:
        return group_column(question, group_question, code, threshold, all_margins(_choice_ids(questionnaire)))
    return _column(group_cross_table(question, group_question, tuple(outer), questionnaire, threshold), question, code)


def group_tables(questionnaire: Questionnaire, group, threshold: int) -> list[Table]:
    """Every question's table within the group(s) (the groups' own questions left out: each is all one answer)."""
    groups = groups_of(group)
    if len(groups) == 1:  # the margins read once for every question
        group_question = questionnaire.questions[groups[0][0]]
        m = all_margins(_choice_ids(questionnaire))
        return [
            group_column(question, group_question, groups[0][1], threshold, m)
            for question in questionnaire.questions.values()
            if question is not group_question
        ]
    own = {question_id for question_id, _ in groups}
    return [
        filtered_table(question, groups, questionnaire, threshold)
        for question in questionnaire.questions.values()
        if question.id not in own
    ]


def group_cross_table(question: Question, by: Question, group, questionnaire: Questionnaire, threshold: int) -> CrossTable:
    """A breakdown within one group or two, its margins fixed to the group's columns as its dashboard shows them."""
    groups = groups_of(group)
    margins = Margins(
        total_responses(groups),
        option_counts(groups),
        answered_counts(groups),
        groups,
        row_given=_statuses(filtered_table(question, groups, questionnaire, threshold)),
        column_given=_statuses(filtered_table(by, groups, questionnaire, threshold)),
    )
    return cross_table(question, by, threshold, margins)


def _statuses(table: Table) -> dict:
    return {row.key: WITHHELD if table.withheld else row.hidden for row in table.rows}
