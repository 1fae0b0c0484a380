"""Dashboard and breakdown: counts that match the database, suppression and secondary suppression."""

from datetime import date

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Answer
from app.questionnaire import QUESTIONNAIRE
from app.staff import summaries
from app.staff.summaries.suppression import SECONDARY, SMALL, disclosed, suppress
from tests.helpers import soup
from tests.staff.conftest import make_user, sign_in


def one_way(counts, threshold=5):
    values = {index: count for index, count in enumerate(counts)}
    values["total"] = sum(counts)
    equations = [(list(range(len(counts))), "total")]
    return suppress(values, equations, threshold, public=["total"]), values, equations


# The suppression rules, on crafted tables.


@pytest.mark.parametrize(
    "counts, expected",
    [
        ([10, 20, 30], [None, None, None]),
        ([0, 10, 20], [None, None, None]),  # a zero is shown
        ([3, 20, 30, 40], [SMALL, SECONDARY, None, None]),  # the smallest other count hides with it
        ([1, 1, 10], [SMALL, SMALL, SECONDARY]),  # two small counts adding to a known 2 would give each away
        ([4, 4, 100], [SMALL, SMALL, SECONDARY]),  # 4 + 4 = 8 pins both at 4
        ([2, 30, 3, 50], [SMALL, None, SMALL, None]),  # 5 splits many ways between two small counts
        ([0, 3, 50, 7], [None, SMALL, None, SECONDARY]),
    ],
)
def test_one_way_suppression(counts, expected):
    status, values, equations = one_way(counts)
    assert [status[i] for i in range(len(counts))] == expected
    assert status["total"] is None
    assert not disclosed(values, status, equations, 5)


def test_a_table_that_cannot_be_protected_is_withheld():
    status, _, _ = one_way([1, 5])  # hiding both still leaves 1 = 6 - (at least 5)
    assert status is None


def test_threshold_is_configurable():
    assert one_way([6, 20, 30], threshold=10)[0][0] == SMALL
    assert one_way([1, 20, 30], threshold=1)[0] == {0: None, 1: None, 2: None, "total": None}


def test_two_way_secondary_suppression_protects_rows_and_columns():
    # rows r1, r2; columns c1, c2, c3; margins shown; one small cell.
    cells = {("r1", "c1"): 2, ("r1", "c2"): 10, ("r1", "c3"): 12, ("r2", "c1"): 9, ("r2", "c2"): 11, ("r2", "c3"): 30}
    values = dict(cells)
    for r in ("r1", "r2"):
        values[r, "T"] = sum(v for (x, _), v in cells.items() if x == r)
    for c in ("c1", "c2", "c3"):
        values["T", c] = sum(v for (_, y), v in cells.items() if y == c)
    values["T", "T"] = sum(cells.values())
    equations = [([(r, c) for c in ("c1", "c2", "c3")], (r, "T")) for r in ("r1", "r2")]
    equations += [([(r, c) for r in ("r1", "r2")], ("T", c)) for c in ("c1", "c2", "c3")]
    status = suppress(values, equations, 5, public=[key for key in values if "T" in key])
    hidden = {key for key, s in status.items() if s}
    assert status["r1", "c1"] == SMALL
    # Its row and its column each need another hidden cell, and those need a partner too: a rectangle.
    assert hidden == {("r1", "c1"), ("r1", "c2"), ("r2", "c1"), ("r2", "c2")}
    assert not disclosed(values, status, equations, 5)


# Counts through the pages, on responses made through the real survey or inserted directly.


def test_dashboard_counts_match_the_database(make_app, submit_response):
    app = make_app(STAFF_SUPPRESSION_THRESHOLD=1)  # nothing hidden: every count is on the page
    submit_response()
    submit_response({"safe_day_street": "very_unsafe", "experiences": ["none"], "changed_behaviour": ["none"],
                     "unsafe_features": ["poor_lighting"], "difference": ["cctv"], "safe_day_busy": "very_safe",
                     "safe_day_park": "very_safe", "safe_dark_street": "very_safe", "safe_dark_busy": "very_safe",
                     "safe_dark_park": "very_safe", "safe_dark_transport": "very_safe"}, language="pl")
    client = app.test_client()
    make_user(app, role="viewer")
    with app.app_context():
        expected = dict(
            ((q, v), n)
            for q, v, n in db.session.execute(
                select(Answer.question_id, Answer.value, func.count()).group_by(Answer.question_id, Answer.value)
            )
        )
    sign_in(client)
    page = soup(client.get("/staff"))
    assert page.select_one(".lead").get_text() == "2 responses so far."
    for question in QUESTIONNAIRE.questions.values():
        table = page.select_one(f"section[aria-labelledby='q-{question.id}'] table")
        shown = {tr.th.get_text(): tr.select("td")[0].get_text() for tr in table.select("tbody tr")}
        for option in question.options:
            assert shown[str(option.label)] == str(expected.get((question.id, option.code), 0)), (question.id, option.code)
        assert table.select_one("tfoot td").get_text() == "2"


def test_small_counts_are_hidden_on_the_dashboard(app, staff, rows):
    # area: 2 in Coventry, 40 in Birmingham, 12 in Dudley; nobody skipped it.
    items = [(f"b{i:03}", date(2026, 6, 8), "en", "v", [("area", "birmingham")]) for i in range(40)]
    items += [(f"d{i:03}", date(2026, 6, 9), "en", "v", [("area", "dudley")]) for i in range(12)]
    items += [(f"c{i:03}", date(2026, 6, 9), "en", "v", [("area", "coventry")]) for i in range(2)]
    rows(items)
    page = soup(staff.get("/staff"))
    section = page.select_one("section[aria-labelledby='q-area']")
    shown = {tr.th.get_text(): [td.get_text() for td in tr.select("td")] for tr in section.select("tbody tr")}
    assert shown["Birmingham"] == ["40", "74.1%"]
    assert shown["Coventry"] == ["fewer than 5", "fewer than 5"]
    assert shown["Dudley"] == ["hidden", "hidden"]  # else 54 - 40 - 12 would give Coventry away
    assert shown["Wolverhampton"] == ["0", "0.0%"]
    assert shown["No answer"] == ["0", "0.0%"]
    # The chart: a text alternative, bars only for shown counts, and the same words as the table.
    chart = section.select_one("svg[role=img]")
    assert chart.select_one("title").get_text().startswith("Bar chart of the figures in the table")
    assert chart["aria-labelledby"] == chart.select_one("title")["id"]
    assert len(chart.select("rect")) == 1  # Birmingham only (zeros have no bar)
    texts = [t.get_text() for t in chart.select("text")]
    assert "fewer than 5" in texts and "hidden" in texts and "40 (74.1%)" in texts
    assert not page.select("[style], script")


def test_a_table_too_small_to_protect_is_not_shown(staff, rows):
    rows([("a", date(2026, 6, 8), "en", "v", [("age", "25_34")])])
    section = soup(staff.get("/staff")).select_one("section[aria-labelledby='q-age']")
    assert not section.select("table, svg")
    assert "too few responses" in section.get_text()


def test_breakdown_form_and_result(app, staff, rows):
    # Very safe / very unsafe after dark, by area: Birmingham 10 + 10, Coventry 15 + 10, Dudley 1 + 0.
    counts = {("very_safe", "birmingham"): 10, ("very_unsafe", "birmingham"): 10, ("very_safe", "coventry"): 15,
              ("very_unsafe", "coventry"): 10, ("very_safe", "dudley"): 1}
    rows([(f"{feeling}-{area}-{i}", date(2026, 6, 8), "en", "v", [("area", area), ("safe_dark_street", feeling)])
          for (feeling, area), n in counts.items() for i in range(n)])
    page = soup(staff.get("/staff/breakdown"))
    form = page.select_one("main form[method=get][action='/staff/breakdown']")
    assert form.select_one("select[name=question] option[selected]")["value"] == "safe_dark_street"
    assert form.select_one("select[name=by] option[selected]")["value"] == "area"
    assert not form.select("input[name=csrf_token]")
    assert not page.select("main table")

    page = soup(staff.get("/staff/breakdown?question=safe_dark_street&by=area"))
    table = page.select_one("main table")
    columns = [th.get_text() for th in table.select("thead th")]
    assert columns[:3] == ["Birmingham", "Coventry", "Dudley"] and columns[-2:] == ["No answer", "All responses"]
    cells = {tr.th.get_text(): [next(td.strings) for td in tr.select("td")][:3] + [next(tr.select("td")[-1].strings)]
             for tr in table.select("tbody tr, tfoot tr")}
    # Dudley's one response is small; on the dashboard Birmingham's total hides with it, so here the
    # Birmingham cell in the same row hides too, or 26 - 15 - (fewer than 5) would pin it.
    assert cells["Very safe"] == ["hidden", "15", "fewer than 5", "26"]
    assert cells["Very unsafe"] == ["10", "10", "0", "20"]
    assert cells["All responses"] == ["hidden", "25", "fewer than 5", "46"]
    dashboard = soup(staff.get("/staff")).select_one("section[aria-labelledby='q-area'] tbody")
    shown = {tr.th.get_text(): tr.td.get_text() for tr in dashboard.select("tr")}
    assert [shown["Birmingham"], shown["Coventry"], shown["Dudley"]] == ["hidden", "25", "fewer than 5"]


def test_breakdown_tables_never_disclose_a_hidden_count(app, rows):
    items = [(f"r{i:03}", date(2026, 6, 8), "en", "v", [("area", ("birmingham", "coventry", "dudley")[i % 3]),
              ("age", ("18_24", "25_34")[i % 2] if i % 50 else "75_over"), ("experiences", "followed"),
              *([("experiences", "online")] if i % 40 == 0 else [])]) for i in range(300)]
    rows(items)
    with app.app_context():
        for question_id in ("age", "experiences"):
            table = summaries.cross_table(QUESTIONNAIRE.questions[question_id], QUESTIONNAIRE.questions["area"], 5)
            assert not table.withheld
            status = {key: hidden for key, (_, hidden) in table.cells.items()}
            values = {key: count for key, (count, _) in table.cells.items()}
            rows_ = [r for r, _ in table.row_keys]
            cols = [c for c, _ in table.column_keys]
            equations = [([(r, c) for c in cols], (r, summaries.TOTAL)) for r in rows_]
            if question_id == "age":
                equations += [([(r, c) for r in rows_], (summaries.TOTAL, c)) for c in cols]
            assert not disclosed(values, status, equations, 5)
            assert any(hidden == SMALL for hidden in status.values())
        assert values["followed", "birmingham"] == 100  # exact, whether shown or not


@pytest.mark.parametrize("query", ["?question=area&by=area", "?question=nope&by=area", "?question=area&by=experiences"])
def test_breakdown_refuses_bad_choices(staff, query):
    response = staff.get("/staff/breakdown" + query)
    assert response.status_code == 400
    page = soup(response)
    assert page.title.string.startswith("Error:")
    assert page.select_one(page.select_one(".error-summary a")["href"])


def test_answers_to_an_option_no_longer_offered_keep_the_table_adding_up(app, rows):
    rows([(f"r{i}", date(2026, 6, 8), "en", "old", [("area", "birmingham" if i < 20 else "old_code")]) for i in range(30)])
    with app.app_context():
        table = summaries.question_tables(QUESTIONNAIRE, 5)[list(QUESTIONNAIRE.questions).index("area")]
    assert table.row(summaries.RETIRED).count == 10 and table.row(summaries.RETIRED).shown
    assert sum(row.count for row in table.rows) == table.total == 30
    assert table.row("birmingham").shown and not table.withheld


def test_breakdowns_count_retired_codes_in_their_own_row_and_column(app, rows):
    items = [(f"r{i}", date(2026, 6, 8), "en", "old", [("area", ("birmingham", "coventry", "gone")[i % 3]),
              ("age", ("18_24", "25_34", "gone_too")[i % 3 if i % 2 else 0])]) for i in range(90)]
    rows(items)
    with app.app_context():
        table = summaries.cross_table(QUESTIONNAIRE.questions["age"], QUESTIONNAIRE.questions["area"], 5)
    counts = {key: count for key, (count, _) in table.cells.items()}
    TOTAL, RETIRED = summaries.TOTAL, summaries.RETIRED
    for r, _ in table.row_keys:
        assert sum(counts[r, c] for c, _ in table.column_keys) == counts[r, TOTAL]
    for c, _ in table.column_keys:
        assert sum(counts[r, c] for r, _ in table.row_keys) == counts[TOTAL, c]
    assert counts[RETIRED, RETIRED] == 15 and counts[TOTAL, TOTAL] == 90
