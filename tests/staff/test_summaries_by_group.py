"""Summaries by group: column shares in breakdowns, one group only, the breakdown chart, tables as CSV."""

import csv
import io
from datetime import date

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import AuditEvent
from app.questionnaire import QUESTIONNAIRE
from app.staff import summaries
from app.staff.summaries import pages
from app.staff.summaries.suppression import disclosed
from tests.helpers import soup
from tests.staff.conftest import csrf_token

# Feeling after dark by area and gender: no count from 1 to 4, so every figure shows.
PEOPLE = (
    [("very_safe", "birmingham", "woman_girl")] * 8 + [("very_unsafe", "birmingham", "woman_girl")] * 12
    + [("very_safe", "birmingham", "man_boy")] * 10 + [("very_unsafe", "birmingham", "man_boy")] * 6
    + [("very_safe", "coventry", "woman_girl")] * 6 + [("very_unsafe", "coventry", "woman_girl")] * 9
    + [("very_safe", "coventry", "man_boy")] * 5 + [(None, "coventry", "woman_girl")] * 5
    + [("very_unsafe", "dudley", "woman_girl")] * 7
)


@pytest.fixture
def people(rows):
    items = []
    for index, (feeling, area, gender) in enumerate(PEOPLE):
        answers = [("area", area), ("gender", gender)] + ([("safe_dark_street", feeling)] if feeling else [])
        items.append((f"p{index:03}", date(2026, 6, 8), "en", "v", answers))
    rows(items)


def cells(table_tag):
    """Row heading -> [(count, share)] for every cell, as a reader sees them."""
    result = {}
    for tr in table_tag.select("tbody tr, tfoot tr"):
        result[tr.th.get_text()] = [
            (next(td.strings), td.select_one(".share").get_text() if td.select_one(".share") else "") for td in tr.select("td")
        ]
    return result


def test_a_breakdown_shows_each_count_with_its_share_of_the_column(staff, people):
    page = soup(staff.get("/staff/breakdown?question=safe_dark_street&by=area"))
    table = cells(page.select_one("main table"))
    # Birmingham: 36 answered; Coventry: 20 of 25 answered (5 left it blank); Dudley 7.
    assert table["Very safe"][:3] == [("18", "50.0%"), ("11", "55.0%"), ("0", "0.0%")]
    assert table["Very unsafe"][:3] == [("18", "50.0%"), ("9", "45.0%"), ("7", "100.0%")]
    assert table["No answer"][1] == ("5", "")  # not part of any share's base
    assert table["Very safe"][-1] == ("29", "46.0%")  # all responses: 29 of the 63 who answered
    assert "share of the column" in page.select_one("main table caption").get_text()


def test_a_share_is_hidden_with_its_count_and_where_its_base_is_hidden(app, people):
    with app.app_context():
        table = summaries.cross_table(QUESTIONNAIRE.questions["safe_dark_street"], QUESTIONNAIRE.questions["gender"], 5)
    for (row, column), share in table.shares.items():
        count, hidden = table.cells[row, column]
        if hidden:
            assert share is None
        base_hidden = table.cells[summaries.TOTAL, column][1] or table.cells[summaries.NO_ANSWER, column][1]
        if base_hidden:
            assert share is None, (row, column)
    # Women: "No answer" (5) and the total (47) are shown, so their shares are shown: 14 of 42.
    assert table.shares["very_safe", "woman_girl"] == 33.3


def test_shares_never_give_away_a_hidden_base():
    """Crafted: a column whose "No answer" count is hidden shows no shares at all."""
    table = summaries.CrossTable(None, None, [("a", "A"), (summaries.NO_ANSWER, "No answer")], [("c", "C")])
    table.cells = {("a", "c"): (20, None), (summaries.NO_ANSWER, "c"): (3, "small"), (summaries.TOTAL, "c"): (23, None),
                   ("a", summaries.TOTAL): (20, None), (summaries.NO_ANSWER, summaries.TOTAL): (3, "small"),
                   (summaries.TOTAL, summaries.TOTAL): (23, None)}
    from app.staff.summaries.tables import _column_shares

    assert _column_shares(table)["a", "c"] is None  # 20 / share would give 20, and 23 - 20 = 3


def test_the_dashboard_for_one_group(staff, people, app):
    page = soup(staff.get("/staff?group=gender:woman_girl"))
    assert page.select_one("#group-shown").get_text() == "Only responses from: Which of these describes you?: Woman or girl."
    assert "47 responses so far." in page.select_one(".lead").get_text()
    assert not page.select("#per-day") and not page.select("section[aria-labelledby='q-gender']")
    section = page.select_one("section[aria-labelledby='q-safe_dark_street']")
    shown = {tr.th.get_text(): [td.get_text() for td in tr.select("td")] for tr in section.select("tbody tr")}
    assert shown["Very safe"] == ["14", "29.8%"]  # of the group's 47 responses
    assert shown["Very unsafe"] == ["28", "59.6%"]
    assert shown["No answer"] == ["5", "10.6%"]
    assert section.select_one("tfoot td").get_text() == "47"
    assert page.select_one("select[name=group] option[selected]")["value"] == "gender:woman_girl"


def test_a_group_shows_what_its_column_in_the_breakdown_shows(app, people):
    """The same counts with the same hidden ones: reading both pages together gives nothing away."""
    with app.app_context():
        gender = QUESTIONNAIRE.questions["gender"]
        for question_id in ("safe_dark_street", "area"):
            question = QUESTIONNAIRE.questions[question_id]
            cross = summaries.cross_table(question, gender, 5)
            for code in ("woman_girl", "man_boy"):
                table = next(t for t in summaries.group_tables(QUESTIONNAIRE, ("gender", code), 5) if t.question is question)
                assert {row.key: (row.count, row.hidden) for row in table.rows} == {
                    key: cross.cells[key, code] for key, _ in cross.row_keys
                }


def test_a_group_too_small_to_show_is_refused(staff, people):
    # Dudley has 7 responses, so it can be shown; a group of 2 cannot (its size would be on the page).
    assert soup(staff.get("/staff?group=area:dudley")).select_one("#group-shown")
    page = soup(staff.get("/staff?group=age:25_34"))  # nobody gave an age: a group of 0
    assert page.select_one("#group-refused") and not page.select("main table")


def test_a_group_whose_count_is_hidden_on_the_dashboard_is_refused(staff, rows):
    rows([(f"x{i}", date(2026, 6, 8), "en", "v", [("area", "walsall" if i < 3 else "birmingham")]) for i in range(30)])
    page = soup(staff.get("/staff?group=area:walsall"))
    assert page.select_one("#group-refused") and not page.select("main table")
    assert "3 responses" not in page.get_text()


@pytest.mark.parametrize("query", ["?group=nope:x", "?group=gender", "?group=experiences:followed"])
def test_bad_groups_are_errors(staff, query):
    response = staff.get("/staff" + query)
    assert response.status_code == 400
    page = soup(response)
    assert page.select_one(page.select_one(".error-summary a")["href"])


def test_a_breakdown_within_one_group(staff, people, app):
    page = soup(staff.get("/staff/breakdown?question=safe_dark_street&by=area&group=gender:woman_girl"))
    assert page.select_one("#group-shown")
    table = cells(page.select_one("main table"))
    assert table["Very unsafe"][:3] == [("12", "60.0%"), ("9", "60.0%"), ("7", "100.0%")]
    # Its margins are the group's columns as the group's dashboard shows them.
    with app.app_context():
        cross = summaries.group_cross_table(
            QUESTIONNAIRE.questions["safe_dark_street"], QUESTIONNAIRE.questions["area"], ("gender", "woman_girl"), QUESTIONNAIRE, 5)
        dashboard = next(t for t in summaries.group_tables(QUESTIONNAIRE, ("gender", "woman_girl"), 5)
                         if t.question.id == "safe_dark_street")
        assert {row.key: (row.count, row.hidden) for row in dashboard.rows} == {
            key: cross.cells[key, summaries.TOTAL] for key, _ in cross.row_keys}
        status = {key: hidden for key, (_, hidden) in cross.cells.items()}
        values = {key: count for key, (count, _) in cross.cells.items()}
        rows_, cols = [r for r, _ in cross.row_keys], [c for c, _ in cross.column_keys]
        equations = [([(r, c) for c in cols], (r, summaries.TOTAL)) for r in rows_]
        equations += [([(r, c) for r in rows_], (summaries.TOTAL, c)) for c in cols]
        assert not disclosed(values, status, equations, 5)


def test_a_breakdown_cannot_be_within_a_group_of_its_own_question(staff):
    response = staff.get("/staff/breakdown?question=safe_dark_street&by=area&group=area:dudley")
    assert response.status_code == 400


def test_a_breakdown_has_a_chart_with_a_label_on_every_bar(staff, people):
    page = soup(staff.get("/staff/breakdown?question=safe_dark_street&by=area"))
    chart = page.select_one("main svg[role=img]")
    assert chart["aria-labelledby"] == chart.select_one("title")["id"]
    texts = [t.get_text() for t in chart.select("text")]
    assert {"Birmingham", "Coventry", "Dudley", "All responses"} <= set(texts)  # a heading per column
    assert "18 (50.0%)" in texts and "7 (100.0%)" in texts
    # One label and one figure per bar: the chart needs no colour to read.
    bars = len(chart.select("rect"))
    groups = len(page.select("main table thead th")) - 1  # every column but "No answer", and all responses
    assert bars and texts.count("Very safe") == groups and texts.count("Very unsafe") == groups
    assert page.select_one("main table")  # the table stays beside it


# Summary tables as CSV.


def download(client, **data):
    return client.post("/staff/summary.csv", data={"csrf_token": csrf_token(client), **data})


def as_rows(response):
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    return list(csv.reader(io.StringIO(response.get_data(as_text=True).removeprefix("\ufeff"))))


def test_a_dashboard_table_downloads_exactly_as_shown(staff, rows):
    items = [(f"b{i:03}", date(2026, 6, 8), "en", "v", [("area", "birmingham")]) for i in range(40)]
    items += [(f"d{i:03}", date(2026, 6, 9), "en", "v", [("area", "dudley")]) for i in range(12)]
    items += [(f"c{i:03}", date(2026, 6, 9), "en", "v", [("area", "coventry")]) for i in range(2)]
    rows(items)
    page = soup(staff.get("/staff"))
    section = page.select_one("section[aria-labelledby='q-area']")
    form = section.select_one("form[method=post][action='/staff/summary.csv']")
    assert form.select_one("input[name=question]")["value"] == "area"
    response = download(staff, question="area")
    assert response.headers["Content-Disposition"] == 'attachment; filename="summary-area.csv"'
    table = as_rows(response)
    shown = [[tr.th.get_text(), *(td.get_text() for td in tr.select("td"))] for tr in section.select("tbody tr, tfoot tr")]
    assert table[0] == ["Answer", "Count", "Share of all responses"]
    assert table[1:] == shown
    assert ["Coventry", "fewer than 5", "fewer than 5"] in table and ["Dudley", "hidden", "hidden"] in table


def test_a_breakdown_downloads_exactly_as_shown(staff, people):
    query = dict(question="safe_dark_street", by="area", group="gender:woman_girl")
    page = soup(staff.get("/staff/breakdown", query_string=query))
    form = page.select_one("form[method=post][action='/staff/summary.csv']")
    assert {i["name"]: i["value"] for i in form.select("input[type=hidden]") if i["name"] != "csrf_token"} == query
    table = as_rows(download(staff, **query))
    shown = cells(page.select_one("main table"))
    assert table[0][:3] == ["Answer", "Birmingham: count", "Birmingham: share of those who answered"]
    for line in table[1:]:
        assert [(line[i], line[i + 1]) for i in range(1, len(line), 2)] == shown[line[0]] or line[0] == "All responses"
    assert len(table) == len(shown) + 1


def test_the_days_table_downloads(staff, people):
    table = as_rows(download(staff, question="days"))
    assert table[1] == ["2026-06-08", "68", "100.0%"]


@pytest.mark.parametrize(
    "data",
    [{"question": "nope"}, {"question": "area", "by": "area"}, {"question": "area", "group": "area:dudley"},
     {"question": "days", "group": "gender:woman_girl"}, {"question": "difference_text", "by": "area"},
     {"question": "age", "group": "gender:non_binary"}],
)
def test_tables_not_shown_cannot_be_downloaded(staff, people, data):
    response = download(staff, **data)
    assert response.status_code == 400
    assert soup(response).h1.get_text() == "That table is not shown"


def test_summary_downloads_are_posts_with_the_token_and_audited(app, staff, people):
    assert staff.get("/staff/summary.csv").status_code == 405
    assert staff.post("/staff/summary.csv", data={"question": "area"}).status_code == 400
    as_rows(download(staff, question="safe_dark_street", by="area", group="gender:woman_girl"))
    with app.app_context():
        event = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
    assert (event.action, event.details) == ("summary", {"question": "safe_dark_street", "by": "area", "group": "gender:woman_girl"})
    text = soup(staff.get("/staff/audit")).select_one("main table").get_text()
    assert "Downloaded a summary table: safe_dark_street by area within gender:woman_girl" in text


def test_group_choices_are_every_single_answer(app):
    with app.test_request_context():
        choices = dict(pages.group_choices(QUESTIONNAIRE))
    assert choices[""] == "All responses"
    assert choices["gender:woman_girl"] == "Which of these describes you?: Woman or girl"
    assert "safe_dark_street:very_unsafe" in choices and not any(key.startswith("experiences:") for key in choices)


def test_small_counts_within_a_group_are_hidden(staff, rows):
    # In Birmingham 3 feel very unsafe: fine among all 60 responses' 13, but small within the group.
    items = [(f"b{i:02}", date(2026, 6, 8), "en", "v", [("area", "birmingham"), ("safe_dark_street", "very_unsafe" if i < 3 else "very_safe")]) for i in range(30)]
    items += [(f"c{i:02}", date(2026, 6, 8), "en", "v", [("area", "coventry"), ("safe_dark_street", "very_unsafe" if i < 10 else "very_safe")]) for i in range(30)]
    rows(items)
    everyone = soup(staff.get("/staff")).select_one("section[aria-labelledby='q-safe_dark_street'] tbody")
    assert {tr.th.get_text(): tr.td.get_text() for tr in everyone.select("tr")}["Very unsafe"] == "13"
    page = soup(staff.get("/staff?group=area:birmingham"))
    section = page.select_one("section[aria-labelledby='q-safe_dark_street']")
    shown = {tr.th.get_text(): [td.get_text() for td in tr.select("td")] for tr in section.select("tbody tr")}
    assert shown["Very unsafe"] == ["fewer than 5", "fewer than 5"]
    assert shown["Very safe"] == ["hidden", "hidden"]  # else 30 - 27 would give the 3 away
    table = as_rows(download(staff, question="safe_dark_street", group="area:birmingham"))
    assert ["Very unsafe", "fewer than 5", "fewer than 5"] in table and ["Very safe", "hidden", "hidden"] in table
    assert "3" not in [cell for line in table[1:-1] for cell in line[1:]]


# Two groups at once: the second group's column of each question within the first group.


def test_the_dashboard_for_two_groups(staff, people):
    page = soup(staff.get("/staff?group=gender:woman_girl&and_group=area:coventry"))
    assert page.select_one("#group-shown").get_text() == (  # in questionnaire order
        "Only responses from: Which area do you live in?: Coventry and Which of these describes you?: Woman or girl."
    )
    assert "20 responses so far." in page.select_one(".lead").get_text()
    assert not page.select("section[aria-labelledby='q-gender']") and not page.select("section[aria-labelledby='q-area']")
    section = page.select_one("section[aria-labelledby='q-safe_dark_street']")
    shown = {tr.th.get_text(): [td.get_text() for td in tr.select("td")] for tr in section.select("tbody tr")}
    assert shown["Very safe"] == ["6", "30.0%"]  # of the 20 women and girls in Coventry
    assert shown["Very unsafe"] == ["9", "45.0%"]
    assert shown["No answer"] == ["5", "25.0%"]
    assert page.select_one("select[name=and_group] option[selected]")["value"] == "area:coventry"


def test_a_page_counted_from_the_answers_for_too_long_says_so(staff, people, app, monkeypatch):
    # Within two groups the figures are counted from the answers, which grows with the responses
    # (20 s at a million): past STAFF_SUMMARY_SECONDS a page stops with a page saying why, rather
    # than run into nginx's proxy timeout (a bare 504). Pages read from the kept counts never stop.
    monkeypatch.setitem(app.config, "STAFF_SUMMARY_SECONDS", -1)
    for url in ("/staff?group=gender:woman_girl&and_group=area:coventry",
                "/staff/breakdown?question=safe_dark_street&by=area&group=gender:woman_girl"):
        response = staff.get(url)
        assert response.status_code == 503
        page = soup(response)
        assert page.h1.get_text() == "That page would take too long to count"
        assert "Choose one group" in page.select_one("main").get_text()
    assert staff.get("/staff?group=gender:woman_girl").status_code == 200
    assert staff.get("/staff/breakdown?question=safe_dark_street&by=area").status_code == 200
    assert staff.get("/staff").status_code == 200


def test_two_groups_show_what_the_breakdown_within_the_first_group_shows(app, people):
    """Each level is protected with the statuses of the level above: pages read together give nothing away."""
    with app.app_context():
        area = QUESTIONNAIRE.questions["area"]
        for question_id in ("safe_dark_street", "age"):
            question = QUESTIONNAIRE.questions[question_id]
            cross = summaries.group_cross_table(question, area, ("gender", "woman_girl"), QUESTIONNAIRE, 5)
            for code in ("birmingham", "coventry", "dudley"):
                tables = summaries.group_tables(QUESTIONNAIRE, (("gender", "woman_girl"), ("area", code)), 5)
                table = next(t for t in tables if t.question is question)
                assert {row.key: (row.count, row.hidden) for row in table.rows} == {
                    key: cross.cells[key, code] for key, _ in cross.row_keys
                }


def test_a_second_group_too_small_within_the_first_is_refused(staff, rows):
    # 30 women in Birmingham and 3 in Walsall: Walsall's 3 are fine among all 40 responses' 10 from
    # Walsall, but small among women, so women in Walsall are not shown.
    items = [(f"w{i:02}", date(2026, 6, 8), "en", "v", [("gender", "woman_girl"), ("area", "birmingham" if i < 30 else "walsall")]) for i in range(33)]
    items += [(f"m{i:02}", date(2026, 6, 8), "en", "v", [("gender", "man_boy"), ("area", "walsall")]) for i in range(7)]
    rows(items)
    assert soup(staff.get("/staff?group=area:walsall")).select_one("#group-shown")
    page = soup(staff.get("/staff?group=gender:woman_girl&and_group=area:walsall"))
    assert page.select_one("#group-refused") and not page.select("main table")
    assert "3 responses" not in page.get_text()
    assert soup(staff.get("/staff?group=gender:man_boy&and_group=area:birmingham")).select_one("#group-refused")  # none


def test_small_counts_within_two_groups_are_hidden(staff, people):
    page = soup(staff.get("/staff?group=gender:woman_girl&and_group=area:dudley"))
    assert "7 responses so far." in page.select_one(".lead").get_text()
    section = page.select_one("section[aria-labelledby='q-age']")
    assert section is not None  # nobody gave an age: "No answer" 7, nothing small
    rows_shown = {tr.th.get_text(): tr.td.get_text() for tr in section.select("tbody tr")}
    assert rows_shown["No answer"] == "7"


@pytest.mark.parametrize("query", [
    "?and_group=area:dudley",  # a second group without a first
    "?group=area:dudley&and_group=area:coventry",  # the same question twice
    "?group=gender:woman_girl&and_group=nope:x",
])
def test_bad_second_groups_are_errors(staff, query):
    response = staff.get("/staff" + query)
    assert response.status_code == 400
    page = soup(response)
    assert page.select_one(page.select_one(".error-summary a")["href"])


def test_a_breakdown_within_two_groups_downloads_exactly_as_shown(app, staff, people):
    query = dict(question="safe_dark_street", by="age", group="gender:woman_girl", and_group="area:birmingham")
    page = soup(staff.get("/staff/breakdown", query_string=query))
    assert page.select_one("#group-shown") and page.select_one("main table.cross-table")
    form = page.select_one("form[method=post][action='/staff/summary.csv']")
    assert {i["name"]: i["value"] for i in form.select("input[type=hidden]") if i["name"] != "csrf_token"} == query
    response = download(staff, **query)
    assert response.headers["Content-Disposition"] == 'attachment; filename="summary-safe_dark_street-age-gender-woman_girl-area-birmingham.csv"'
    table = as_rows(response)
    shown = cells(page.select_one("main table"))
    for line in table[1:]:
        assert [(line[i], line[i + 1]) for i in range(1, len(line), 2)] == shown[line[0]] or line[0] == "All responses"
    bad = staff.get("/staff/breakdown", query_string={**query, "and_group": "age:16_17"})
    assert bad.status_code == 400  # a group from a question in the breakdown
    with app.app_context():
        event = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
    assert event.details["and_group"] == "area:birmingham"


def test_two_groups_in_either_order_are_the_same_figures(staff, people):
    """Else each order would be protected within a different first group, and could hide different counts."""
    one = soup(staff.get("/staff?group=gender:woman_girl&and_group=area:coventry"))
    other = soup(staff.get("/staff?group=area:coventry&and_group=gender:woman_girl"))
    assert one.select_one("#group-shown").get_text() == other.select_one("#group-shown").get_text()
    assert [t.get_text() for t in one.select("main table")] == [t.get_text() for t in other.select("main table")]


def test_a_free_text_question_within_a_group_counts_those_who_answered(app, rows):
    """Its column of "Answered" and "No answer" adds up to the group, as on the dashboard."""
    rows([(f"t{i:02}", date(2026, 6, 8), "en", "v", [("area", "walsall")] + ([("difference_text", f"Idea {i}")] if i < 20 else []))
          for i in range(30)])
    with app.app_context():
        table = next(t for t in summaries.group_tables(QUESTIONNAIRE, ("area", "walsall"), 5) if t.question.id == "difference_text")
    assert [(row.key, row.count, row.hidden) for row in table.rows] == [
        (summaries.ANSWERED, 20, None), (summaries.NO_ANSWER, 10, None)
    ]
    assert table.total == 30
