"""The snapshot: stored already protected, hiding exactly what the staff summaries hide, recoverable
from nothing published, and refused until enough new responses have been released."""

from datetime import date

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, select

from app.extensions import db
from app.models import AuditEvent, ResultsPublication
from app.questionnaire import QUESTIONNAIRE
from app.results import snapshot
from app.staff import summaries
from app.staff.retention import purge_responses
from app.staff.summaries.suppression import disclosed
from tests.results.conftest import BREAKDOWN, TABLES, THRESHOLD, exact_counts, responses

TOTAL, NO_ANSWER = summaries.TOTAL, summaries.NO_ANSWER
TEXTS = {"en": {"title": "Results", "text": "What we did."}, "pl": {"title": "Wyniki", "text": "Co zrobiliśmy."}}


def publish_now(app, questions=TABLES, breakdowns=(BREAKDOWN,), actor="sam"):
    with app.test_request_context():
        choice = snapshot.Choice(list(questions), list(breakdowns), TEXTS)
        snapshot.publish(QUESTIONNAIRE, choice, actor, THRESHOLD)


def stored(app) -> ResultsPublication:
    with app.app_context():
        publication = db.session.scalars(select(ResultsPublication).order_by(ResultsPublication.id.desc())).first()
        db.session.expunge(publication)
        return publication


def cells_of(publication):
    """Every published figure with its key in one system of equations over all the tables: a one-way
    table's row is the same count as the breakdown's margin for that answer (and must be shown the
    same). Yields (key, stored cell)."""
    for table in publication.tables:
        if table["kind"] == snapshot.TABLE:
            for row in table["rows"]:
                yield ("one", table["question"], row["key"]), row
            yield "all", {"count": table["total"]}
        else:
            q, b = table["question"], table["by"]
            for row, line in zip(table["rows"], table["cells"]):
                for column, cell in zip(table["columns"], line):
                    yield _key(q, b, row["key"], column["key"]), cell


def _key(q, b, r, c):
    if r == TOTAL and c == TOTAL:
        return "all"
    if c == TOTAL:
        return ("one", q, r)
    if r == TOTAL:
        return ("one", b, c)
    return ("pair", *sorted([(q, r), (b, c)]))  # one key for a cell of A by B and of B by A


def exact_value(key, items):
    """The true count behind a key, counted from the responses themselves (not by the app)."""
    total, ones, pairs = exact_counts(items)
    if key == "all":
        return total
    if key[0] == "one":
        _, q, r = key
        return total - sum(1 for *_, a in items if q in {x for x, _ in a}) if r == NO_ANSWER else ones[q, r]
    _, (q, r), (b, c) = key
    has = lambda answers, question, value: (  # noqa: E731
        question not in {x for x, _ in answers} if value == NO_ANSWER else (question, value) in answers
    )
    return sum(1 for *_, a in items if has(a, q, r) and has(a, b, c))


def equations_of(publication):
    """What a reader knows adds up: each table's rows (and columns, unless its question is multiple
    choice, whose options overlap) add up to the totals shown beside them."""
    equations = []
    for table in publication.tables:
        q = table["question"]
        row_keys = [row["key"] for row in table["rows"]]
        if table["kind"] == snapshot.TABLE:
            if not table["multiple"]:
                equations.append(([("one", q, r) for r in row_keys], "all"))
            continue
        b = table["by"]
        answers = [r for r in row_keys if r != TOTAL]
        columns = [column["key"] for column in table["columns"] if column["key"] != TOTAL]
        equations += [([_key(q, b, r, c) for c in columns], _key(q, b, r, TOTAL)) for r in answers]
        equations.append(([_key(q, b, TOTAL, c) for c in columns], "all"))
        if not table["multiple"]:
            equations += [([_key(q, b, r, c) for r in answers], _key(q, b, TOTAL, c)) for c in columns]
            equations.append(([_key(q, b, r, TOTAL) for r in answers], "all"))
    return equations


@pytest.mark.parametrize("breakdowns", [
    [BREAKDOWN],
    [BREAKDOWN, ("age", "area"), ("experiences", "age")],  # margins shared between breakdowns too
])
def test_the_published_tables_and_totals_give_away_no_hidden_count(app, survey_rows, breakdowns):
    """The issue's "done when": three tables and a breakdown; no count from 1 to the threshold is
    shown, and solving every published equation together pins no hidden count."""
    publish_now(app, TABLES, breakdowns)
    publication = stored(app)
    assert [t["kind"] for t in publication.tables] == ["table"] * 3 + ["breakdown"] * len(breakdowns)
    values, status = {}, {}
    for key, cell in cells_of(publication):
        hidden = cell.get("hidden")
        assert status.setdefault(key, hidden) == hidden, f"{key} is shown in one table and hidden in another"
        values[key] = exact_value(key, survey_rows)
        if not hidden:
            assert cell["count"] == values[key], key
            assert not 0 < cell["count"] < THRESHOLD, f"{key}: a small count is shown"
    assert any(s == "small" for s in status.values()) and any(s == "secondary" for s in status.values())
    assert not disclosed(values, status, equations_of(publication), THRESHOLD)


def test_a_hidden_count_is_stored_as_its_reason_never_as_a_number(app, survey_rows):
    publish_now(app)
    publication = stored(app)
    hidden = [cell for _, cell in cells_of(publication) if cell.get("hidden")]
    assert hidden and all(set(cell) - {"key", "label"} == {"hidden"} for cell in hidden)
    assert type(publication.published_on) is date  # a day, never a time
    assert publication.responses == len(survey_rows) and publication.published_by == "sam"
    assert publication.threshold == THRESHOLD and publication.languages[0] == "en"
    assert publication.texts == TEXTS


def test_the_public_tables_hide_exactly_what_the_staff_summaries_hide(app, survey_rows):
    publish_now(app)
    publication = stored(app)
    with app.app_context():
        for table in publication.tables:
            question = QUESTIONNAIRE.questions[table["question"]]
            if table["kind"] == snapshot.TABLE:
                staff = summaries.question_tables(QUESTIONNAIRE, THRESHOLD, only=question)[0]
                assert [(r.key, r.hidden) for r in staff.rows] == [(r["key"], r.get("hidden")) for r in table["rows"]]
            else:
                staff = summaries.cross_table(question, QUESTIONNAIRE.questions[table["by"]], THRESHOLD)
                for row, line in zip(table["rows"], table["cells"]):
                    for column, cell in zip(table["columns"], line):
                        assert staff.cells[row["key"], column["key"]][1] == cell.get("hidden")
                        assert staff.shares.get((row["key"], column["key"])) == cell.get("share")


def test_a_second_publication_waits_for_the_threshold_of_new_responses(app, rows, survey_rows):
    publish_now(app)
    with pytest.raises(snapshot.TooSoon):
        publish_now(app)
    rows(responses(THRESHOLD - 1, seed=1, prefix="n"))
    with pytest.raises(snapshot.TooSoon):
        publish_now(app)
    rows(responses(1, seed=2, prefix="m"))
    publish_now(app)
    assert stored(app).responses == len(survey_rows) + THRESHOLD
    with app.app_context():
        assert db.session.scalar(select(ResultsPublication.id).order_by(ResultsPublication.id.desc())) == 2
        events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "results_published")).all()
        assert len(events) == 2
        assert events[0].details == {"tables": TABLES, "breakdowns": ["safe_dark_street by area"],
                                     "responses": len(survey_rows), "languages": ["en", "pl"]}


def test_responses_deleted_since_count_against_the_next_publication(app, rows, survey_rows):
    """Fewer responses in all than at the last publication (a purge) is not "new responses"."""
    rows(responses(20, seed=3, prefix="old", day=date(2026, 1, 5)))
    publish_now(app)
    with app.app_context():
        assert purge_responses(date(2026, 2, 1)) == 20
    rows(responses(THRESHOLD, seed=4, prefix="new"))
    with pytest.raises(snapshot.TooSoon):
        publish_now(app)


def test_the_first_publication_needs_the_threshold_of_responses(app, rows):
    rows(responses(THRESHOLD - 1))
    with pytest.raises(snapshot.TooSoon):
        publish_now(app)
    with app.app_context():
        assert db.session.scalar(select(ResultsPublication.id)) is None


@pytest.mark.parametrize("questions, breakdowns", [
    (["difference_text"], []),  # free text: never published
    (["no_such_question"], []),
    ([], [("area", "experiences")]),  # by a multiple choice: not a breakdown the summaries make
    ([], [("area", "area")]),
    ([], [("difference_text", "area")]),
    ([], [("area", "age"), ("age", "area")]),  # a breakdown and its transpose: different cells hidden
    ([], [("area", "age"), ("area", "age")]),
])
def test_only_questions_the_summaries_count_can_be_published(app, survey_rows, questions, breakdowns):
    with pytest.raises(ValueError):
        publish_now(app, questions, breakdowns)


def test_the_migration_adds_and_removes_the_table(app):
    with app.app_context():
        downgrade(revision="0010")
        assert "results_publications" not in inspect(db.engine).get_table_names()
        upgrade()
        assert "results_publications" in inspect(db.engine).get_table_names()
