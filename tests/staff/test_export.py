"""The CSV export and codebook: exact bytes, BOM, codes or labels, date filter, formula injection, streaming."""

import csv
import io
from datetime import date
from urllib.parse import parse_qsl

import pytest
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app import escaping
from app.extensions import db
from app.models import AuditEvent
from app.questionnaire.model import Kind, Option, Page, Question, Questionnaire, ShownIf
from app.staff import views
from app.staff.exports import csv as export
from tests.helpers import FULL_ANSWERS, soup
from tests.staff.conftest import USERNAME, csrf_token

BOM = b"\xef\xbb\xbf"

SMALL = Questionnaire(
    version="t1",
    title=_l("Test"),
    purpose=_l("Test"),
    minutes=1,
    pages=(
        Page("colour", _l("Colour"), (Question("colour", _l("Favourite colour?"), Kind.SINGLE, (Option("red", _l("Red")), Option("blue", _l("Blue, or navy")))),)),
        Page("pets", _l("Pets"), (Question("pets", _l("Which pets?"), Kind.MULTIPLE, (Option("cat", _l("Cat")), Option("dog", _l("Dog")))),)),
        Page("why", _l("Why"), (Question("why_dog", _l("Why a dog?"), Kind.TEXT, required=False),), shown_if=(ShownIf("pets", ("dog",)),)),
    ),
)

FIXTURE = [
    ("aaa1", date(2026, 6, 8), "en", "t1", [("colour", "red"), ("pets", "cat"), ("pets", "dog"), ("why_dog", 'They say "hello",\nloudly')]),
    ("bbb2", date(2026, 6, 9), "ur", "t1", [("colour", "blue"), ("pets", "cat")]),
    ("ccc3", date(2026, 6, 10), "pl", "t1", []),
]

HEADER = b"response_id,submitted_on,language,questionnaire_version,colour,pets.cat,pets.dog,why_dog\r\n"
ROW_A = b'aaa1,2026-06-08,en,t1,red,1,1,"They say ""hello"",\nloudly"\r\n'
ROW_B = b"bbb2,2026-06-09,ur,t1,blue,1,0,\r\n"
ROW_C = b"ccc3,2026-06-10,pl,t1,,,,\r\n"


@pytest.fixture
def small(monkeypatch, rows):
    monkeypatch.setattr(views, "QUESTIONNAIRE", SMALL)
    rows(FIXTURE)


def post_csv(client, url, query="", headers=None):
    """Download as the export page does: a POST with the page's CSRF token and the query's fields."""
    token = csrf_token(client, "/staff/export")
    return client.post(url, data={"csrf_token": token, **dict(parse_qsl(query.lstrip("?"), keep_blank_values=True))}, headers=headers)


def download(client, query=""):
    response = post_csv(client, "/staff/export.csv", query)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response


def test_exact_bytes_for_a_small_fixture(staff, small):
    response = download(staff)
    assert response.is_streamed
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"] == 'attachment; filename="survey-responses.csv"'
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Robots-Tag"] == "noindex, nofollow"
    assert response.data == BOM + HEADER + ROW_A + ROW_B + ROW_C


def test_the_byte_order_mark_can_be_switched_off(staff, small):
    assert download(staff, "?bom=0").data == HEADER + ROW_A + ROW_B + ROW_C
    assert download(staff, "?bom=1").data.startswith(BOM + b"response_id,")


def test_codes_or_english_labels(staff, small):
    labelled = download(staff, "?values=labels&bom=0").data
    assert labelled.splitlines()[1].startswith(b"aaa1,2026-06-08,en,t1,Red,1,1,")
    assert b"bbb2,2026-06-09,ur,t1,\"Blue, or navy\",1,0,\r\n" in labelled
    assert download(staff, "?values=codes&bom=0").data == HEADER + ROW_A + ROW_B + ROW_C


def test_labels_are_english_whatever_the_browser_asks_for(staff, small):
    response = post_csv(staff, "/staff/export.csv?lang=ur", "values=labels", headers={"Accept-Language": "ur"})
    assert b",Red,1,1," in response.data


@pytest.mark.parametrize(
    "query, expected",
    [
        ("?start=2026-06-09", [ROW_B, ROW_C]),
        ("?end=2026-06-09", [ROW_A, ROW_B]),
        ("?start=2026-06-09&end=2026-06-09", [ROW_B]),
        ("?start=2026-07-01", []),
        ("?start=&end=", [ROW_A, ROW_B, ROW_C]),
    ],
)
def test_date_filter(staff, small, query, expected):
    assert download(staff, query + "&bom=0").data == HEADER + b"".join(expected)


@pytest.mark.parametrize(
    "query",
    ["?start=2026-13-01", "?start=yesterday", "?start=2026-06-10&end=2026-06-09", "?values=html", "?bom=2"],
)
def test_bad_filters_get_the_form_with_errors(staff, small, query):
    response = post_csv(staff, "/staff/export.csv", query)
    page = soup(response)
    assert response.status_code == 400
    assert page.title.string.startswith("Error:")
    link = page.select_one(".error-summary a")["href"]
    assert page.select_one(link)


@pytest.mark.parametrize(
    "answer, cell",
    [
        ("=1+1", b"'=1+1"),
        ("+44 121", b"'+44 121"),
        ("-2", b"'-2"),
        ("@SUM(A1:A9)", b"'@SUM(A1:A9)"),
        ("\tx", b"\"'\tx\""),  # a tab is a delimiter too: quoted
        ("\rx", b"\"'\rx\""),
        ("a=1", b"a=1"),
        # Where Excel splits on semicolons (or tabs, or a line break it does not see quoted), each part
        # starts a cell of its own: quoted, and each part that is a formula guarded.
        ("x;=cmd|' /C calc'!A0", b"\"x;'=cmd|' /C calc'!A0\""),
        ("a;b", b'"a;b"'),
        ("a\t@SUM(A1)", b"\"a\t'@SUM(A1)\""),
        ("safe\n=1+1", b"\"safe\n'=1+1\""),
        ("a; -2", b'"a; -2"'),
    ],
)
def test_formula_injection_in_answers_is_neutralised(staff, monkeypatch, rows, answer, cell):
    monkeypatch.setattr(views, "QUESTIONNAIRE", SMALL)
    rows([("aaa1", date(2026, 6, 8), "en", "t1", [("pets", "dog"), ("why_dog", answer)])])
    assert download(staff, "?bom=0").data == HEADER + b"aaa1,2026-06-08,en,t1,,0,1," + cell + b"\r\n"


def test_formula_injection_in_headers_is_neutralised(staff, monkeypatch, rows):
    hostile = Questionnaire(
        version="t2", title=_l("T"), purpose=_l("T"), minutes=1,
        pages=(
            Page("p", _l("P"), (
                Question("=cmd|' /C calc'!A0", _l("Q"), Kind.TEXT),
                Question("@x", _l("Q"), Kind.MULTIPLE, (Option("-y", _l("Y")),)),
                Question("+z", _l("Q"), Kind.SINGLE, (Option("=2", _l("=2 as a label")),)),
            )),
        ),
    )
    monkeypatch.setattr(views, "QUESTIONNAIRE", hostile)
    rows([("aaa1", date(2026, 6, 8), "en", "t2", [("+z", "=2")])])
    data = download(staff, "?bom=0&values=labels").data
    header, row = data.split(b"\r\n")[:2]
    assert header == b"response_id,submitted_on,language,questionnaire_version,'=cmd|' /C calc'!A0,'@x.-y,'+z"
    assert row == b"aaa1,2026-06-08,en,t2,,,'=2 as a label"


def test_an_urdu_and_an_english_response_with_the_same_answers_give_the_same_answer_columns(staff, submit_response):
    submit_response(FULL_ANSWERS, language="ur")
    submit_response(FULL_ANSWERS, language="en")
    for values in ("codes", "labels"):
        table = list(csv.reader(io.StringIO(download(staff, f"?bom=0&values={values}").get_data(as_text=True))))
        header, first, second = table
        assert sorted([first[2], second[2]]) == ["en", "ur"]
        assert first[4:] == second[4:]
        assert first[header.index("experiences.followed")] == "1"
        assert first[header.index("experiences.touched")] == "0"
        assert first[header.index("difference_text")] == FULL_ANSWERS["difference_text"]
        assert first[header.index("area")] == ("coventry" if values == "codes" else "Coventry")


def test_every_export_is_audited_without_answers(app, staff, small):
    download(staff, "?start=2026-06-09&values=labels&bom=0")
    with app.app_context():
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "export"))
        assert event.actor == USERNAME
        assert event.details == {"start": "2026-06-09", "end": None, "values": "labels", "bom": False, "rows": 2}
    page = soup(staff.get("/staff/audit"))
    text = page.select_one("main table").get_text()
    assert "Exported 2 responses (from 2026-06-09 to the last, labels, no byte-order mark)" in text
    assert "hello" not in page.get_text()


def test_rows_come_in_batches_and_any_batch_size_gives_the_same_file(app, small):
    with app.test_request_context():
        whole = list(export.export_chunks(SMALL, batch_size=1000))
        batched = list(export.export_chunks(SMALL, batch_size=1))
    assert len(whole) == 2 and len(batched) == 4
    assert b"".join(whole) == b"".join(batched) == BOM + HEADER + ROW_A + ROW_B + ROW_C


def test_a_response_released_while_a_page_is_read_is_left_out_not_an_error(app, small, monkeypatch, rows):
    # A page's answers are read by a range of ids: a response released between the page's two
    # queries, inside that range, comes back with the answers but is in no page. It is left out
    # (as it would be if it came a moment later), never a failed download.
    from app.staff.exports import rows as source

    real = source._fixed_page

    def page_then_release(*args):
        page = real(*args)
        if page and page[0][0] == "aaa1":
            rows([("aaa2", date(2026, 6, 8), "en", "t1", [("colour", "red")])])  # between aaa1 and bbb2
        return page

    monkeypatch.setattr(source, "_fixed_page", page_then_release)
    with app.test_request_context():
        assert b"".join(export.export_chunks(SMALL, batch_size=2)) == BOM + HEADER + ROW_A + ROW_B + ROW_C


def test_an_answer_holding_the_separator_stays_in_its_own_cell(app, monkeypatch, rows):
    # The survey drops control characters, but a value written another way may hold the character
    # that joins a response's answers: its question ids and values must not slide out of step.
    monkeypatch.setattr(views, "QUESTIONNAIRE", SMALL)
    rows([("aaa1", date(2026, 6, 8), "en", "t1", [("colour", "red"), ("pets", "dog"), ("why_dog", "a\x1eb")])])
    with app.test_request_context():
        lines = b"".join(export.export_chunks(SMALL, bom=False)).split(b"\r\n")
    assert lines[1] == b"aaa1,2026-06-08,en,t1,red,0,1,a\x1eb"


def test_the_export_page_offers_the_choices(staff):
    page = soup(staff.get("/staff/export"))
    form = page.select_one("main form[method=post][action='/staff/export.csv']")
    assert form.select_one("input[name=csrf_token]")["value"]
    assert [i["type"] for i in form.select("input[name=start], input[name=end]")] == ["date", "date"]
    assert [i["value"] for i in form.select("input[name=values]")] == ["codes", "labels"]
    assert form.select_one("input[name=values][checked]")["value"] == "codes"
    assert form.select_one("input[name=bom][checked]")["value"] == "1"
    assert page.select_one("main form[method=post][action='/staff/codebook.csv'] input[name=csrf_token]")


def test_codebook(app, staff, monkeypatch):
    monkeypatch.setattr(views, "QUESTIONNAIRE", SMALL)
    response = post_csv(staff, "/staff/codebook.csv", "bom=0")
    assert response.headers["Content-Disposition"] == 'attachment; filename="survey-codebook.csv"'
    table = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert [row["column"] for row in table] == [
        "response_id", "submitted_on", "language", "questionnaire_version", "colour", "colour", "pets.cat", "pets.dog", "why_dog",
    ]
    assert table[5] == {
        "column": "colour", "question_id": "colour", "page_id": "colour", "page_number": "1",
        "question_text": "Favourite colour?", "kind": "single", "required": "yes", "option_code": "blue",
        "option_label": "Blue, or navy", "shown_when": "always", "versions": "t1",
    }
    assert table[8]["shown_when"] == "pets is any of: dog"
    assert table[8]["kind"] == "text" and table[8]["required"] == "no"
    assert post_csv(staff, "/staff/codebook.csv").data.startswith(BOM)


def test_codebook_covers_every_export_column_of_the_real_questionnaire(staff, submit_response):
    submit_response()
    header = post_csv(staff, "/staff/export.csv", "bom=0").get_data(as_text=True).split("\r\n")[0].split(",")
    codebook = list(csv.DictReader(io.StringIO(post_csv(staff, "/staff/codebook.csv", "bom=0").get_data(as_text=True))))
    assert list(dict.fromkeys(row["column"] for row in codebook)) == header
    where = next(row for row in codebook if row["question_id"] == "where")
    assert where["shown_when"].startswith("experiences is any of: comments")


@pytest.mark.parametrize("use_labels", [False, True])
def test_rows_built_from_the_answers_equal_rows_built_per_column(app, rows, use_labels):
    """cell_rows (the quick path the CSV takes) gives exactly what response_row gives, odd answers included."""
    from app.questionnaire import QUESTIONNAIRE
    from app.staff.exports import rows as source

    full = [(q, v) for q, value in FULL_ANSWERS.items() for v in (value if isinstance(value, list) else [value])]
    rows([
        ("a", date(2026, 6, 8), "en", "v", full),
        ("b", date(2026, 6, 9), "ur", "v", [("area", "gone"), ("experiences", "gone_too"), ("not_a_question", "x")]),
        ("c", date(2026, 6, 9), "pl", "v", [("age", "18_24"), ("age", "25_34"), ("experiences", "online")]),
        ("d", date(2026, 6, 10), "en", "v", []),
    ])
    with app.test_request_context():
        cols = source.columns(QUESTIONNAIRE)
        labels = source.english_labels(QUESTIONNAIRE) if use_labels else None
        quick = [row for batch in source.cell_rows(cols, labels=labels, batch_size=3) for row in batch]
        per_column = [source.response_row(fixed, answers, cols, labels) for batch in source.response_batches() for fixed, answers in batch]
    assert quick == per_column and len(quick) == 4


@pytest.mark.parametrize(
    "text",
    ["plain", "", "a,b", 'say "no"', '"', "line\nbreak", "cr\rhere", "crlf\r\n", " lead", "trail ", "=SUM(1)",
     "-1", "'quoted'", "semi;colon", "tab\tin", "ünï©ødé ٹیسٹ", "a\x1fb", ",", "\n", ";", "\t", "x;=1", "a\n+1"],
)
def test_a_cell_goes_into_its_line_as_the_csv_module_would_write_it(text):
    # The export joins lines itself (quicker than csv.writer); each cell must read back as written.
    # The reference: csv.writer's own quoting (QUOTE_MINIMAL quotes a cell holding any character of
    # the line terminator), told that a semicolon and a tab need quotes too.
    guarded = escaping.csv_guard(text)
    expected = io.StringIO()
    csv.writer(expected, lineterminator="\r\n;\t").writerow(["x", guarded, "y"])
    expected = expected.getvalue().removesuffix(";\t")
    line = ",".join(["x", escaping.csv_cell(text), "y"]) + "\r\n"
    assert line == expected
    assert next(csv.reader(io.StringIO(line, newline=""))) == ["x", guarded, "y"]
