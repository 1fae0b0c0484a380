"""Excel, SPSS and R exports, each read back by the tool it is for (openpyxl, pyreadstat, R)."""

import csv
import io
import os
import shutil
import subprocess
import sys
import zipfile
from datetime import date
from urllib.parse import parse_qsl

import openpyxl
import pyreadstat
import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import AuditEvent
from app.questionnaire import QUESTIONNAIRE
from app.staff import export_views
from app.staff.exports import r, spss, xlsx
from tests.helpers import FULL_ANSWERS, soup
from tests.staff.conftest import USERNAME, csrf_token

# Text a spreadsheet or a careless reader would turn into something else.
HOSTILE_TEXT = ["=1+1", "=HYPERLINK(\"http://x\")", "+44 121 000", "-2", "@SUM(A1)", "0123", "1e5", "2026-06-08",
                "http://example.com", "TRUE", "1/2", "  leading space"]


@pytest.fixture
def responses(rows):
    """Three responses of the real questionnaire, one typing every kind of hostile text."""
    rows([
        ("0001", date(2026, 6, 8), "en", "v1", [
            ("safe_day_street", "very_safe"), ("safe_dark_transport", "does_not_apply"),
            ("experiences", "comments"), ("experiences", "followed"), ("age", "prefer_not_to_say"),
            ("area", "walsall"), ("difference_text", HOSTILE_TEXT[0]),
        ]),
        ("1e10", date(2026, 6, 9), "ur", "v1", [
            ("safe_day_street", "no_longer_offered"), ("experiences", "prefer_not_to_say"), ("age", "18_24"),
            ("gender", "self_describe"), ("gender_self_described", HOSTILE_TEXT[1]),
        ]),
        ("ffff", date(2026, 6, 10), "pl", "v1", [("difference_text", " | ".join(HOSTILE_TEXT))]),
    ])


def post(client, path, **data):
    return client.post(path, data={"csrf_token": csrf_token(client, "/staff/export"), **data}, buffered=True)


def csv_download(client, query="?bom=0") -> bytes:
    """The CSV export, posted as the export page's form does (a download is a POST with the CSRF token)."""
    return post(client, "/staff/export.csv", **dict(parse_qsl(query.lstrip("?")))).data


def csv_table(client, query="?bom=0"):
    return list(csv.reader(io.StringIO(csv_download(client, query).decode("utf-8"))))


# Excel.


def workbook(client, tmp_path, **data):
    response = post(client, "/staff/export.xlsx", **data)
    assert response.status_code == 200, response.get_data(as_text=True)[:2000]
    assert response.headers["Content-Type"] == xlsx_type()
    assert response.headers["Content-Disposition"] == 'attachment; filename="survey-responses.xlsx"'
    assert response.headers["Cache-Control"] == "no-store"
    path = tmp_path / "export.xlsx"
    path.write_bytes(response.data)
    return openpyxl.load_workbook(path)


def xlsx_type():
    return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def test_the_workbook_has_the_csv_columns_and_rows(staff, responses, tmp_path):
    book = workbook(staff, tmp_path)
    assert book.sheetnames == ["responses", "codebook"]
    sheet = book["responses"]
    assert sheet.freeze_panes == "A2"
    table = csv_table(staff)
    cells = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert cells[0] == table[0]
    by_id = {row[0]: row for row in cells[1:]}
    for expected in table[1:]:
        got = by_id[expected[0]]
        assert got[1] == expected[1] + "T00:00:00" or got[1].date().isoformat() == expected[1]
        # The CSV puts ' before a cell a spreadsheet would run; the workbook needs no such mark.
        assert ["" if v is None else str(v) for v in got[2:]] == [c.removeprefix("'") for c in expected[2:]]


def test_the_workbook_has_no_formula_and_keeps_typed_text_as_text(staff, responses, tmp_path):
    sheet = workbook(staff, tmp_path)["responses"]
    header = [cell.value for cell in sheet[1]]
    kinds = {cell.data_type for row in sheet.iter_rows() for cell in row}
    assert "f" not in kinds  # no formula anywhere
    rows = {row[0].value: row for row in sheet.iter_rows(min_row=2)}
    assert set(rows) == {"0001", "1e10", "ffff"}  # ids stay text: no 1, no 10000000000
    assert all(row[0].data_type == "s" for row in rows.values())
    text = rows["0001"][header.index("difference_text")]
    assert (text.value, text.data_type) == ("=1+1", "s")
    assert rows["1e10"][header.index("gender_self_described")].value == HOSTILE_TEXT[1]
    assert rows["ffff"][header.index("difference_text")].value == " | ".join(HOSTILE_TEXT)
    assert rows["0001"][header.index("age")].value == "prefer_not_to_say"
    assert (rows["0001"][header.index("experiences.followed")].value, rows["0001"][header.index("experiences.followed")].data_type) == (1, "n")
    assert rows["ffff"][header.index("experiences.followed")].value is None  # not answered: blank
    assert sheet.parent["responses"]["B2"].number_format == "yyyy-mm-dd"


def test_every_typed_text_is_a_text_cell(staff, rows, tmp_path):
    rows([(f"r{i}", date(2026, 6, 8), "en", "v1", [("difference_text", text)]) for i, text in enumerate(HOSTILE_TEXT)])
    sheet = workbook(staff, tmp_path)["responses"]
    column = [cell.value for cell in sheet[1]].index("difference_text")
    cells = [row[column] for row in sheet.iter_rows(min_row=2)]
    assert sorted(cell.value for cell in cells) == sorted(HOSTILE_TEXT)
    assert {cell.data_type for cell in cells} == {"s"}
    assert not any(cell.hyperlink for cell in cells)


def test_the_workbook_labels_and_date_filter(staff, responses, tmp_path):
    sheet = workbook(staff, tmp_path, values="labels", start="2026-06-09")["responses"]
    header = [cell.value for cell in sheet[1]]
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    assert sorted(row[0] for row in rows) == ["1e10", "ffff"]
    ages = {row[0]: row[header.index("age")] for row in rows}
    assert ages == {"1e10": "18 to 24", "ffff": None}


def test_the_codebook_sheet_is_the_codebook(staff, tmp_path):
    sheet = workbook(staff, tmp_path)["codebook"]
    expected = list(csv.reader(io.StringIO(post(staff, "/staff/codebook.csv", bom="0").get_data(as_text=True))))
    got = [["" if v is None else v for v in row] for row in sheet.iter_rows(values_only=True)]
    assert got == [[cell.removeprefix("'") for cell in row] for row in expected]


def test_too_many_responses_for_excel_says_so_and_offers_the_csv(staff, responses, monkeypatch, app):
    monkeypatch.setattr(xlsx, "MAX_RESPONSES", 2)
    response = post(staff, "/staff/export.xlsx")
    assert response.status_code == 400
    page = soup(response)
    assert "would be cut" in page.select_one("#too-many").get_text()
    assert page.select_one("main form button:not([formaction])").get_text() == "Download the CSV file"
    assert post(staff, "/staff/export.xlsx", start="2026-06-10").status_code == 200  # one response fits
    with app.app_context():
        assert [e.details["rows"] for e in db.session.scalars(select(AuditEvent).where(AuditEvent.action == "export"))] == [1]


def test_the_workbook_is_written_a_row_at_a_time(app, responses, tmp_path):
    """constant_memory: XlsxWriter keeps one row in memory; the option is what makes memory flat."""
    assert xlsx.OPTIONS["constant_memory"] is True
    with app.test_request_context():
        path = str(tmp_path / "small-batches.xlsx")
        assert xlsx.write_workbook(path, QUESTIONNAIRE, batch_size=1) == 3
    assert openpyxl.load_workbook(path)["responses"].max_row == 4


# Every new download: a POST with the CSRF token, audited, its temporary file gone afterwards.


@pytest.mark.parametrize("path", ["/staff/export.xlsx", "/staff/export-spss.zip", "/staff/labels.R"])
def test_downloads_are_posts_with_the_token(staff, path):
    assert staff.get(path).status_code == 405
    for data in ({}, {"csrf_token": "forged"}):
        response = staff.post(path, data=data)
        assert response.status_code == 400
        assert soup(response).h1.get_text() == "Sorry, that form has expired"


@pytest.mark.parametrize(
    "path, action, details",
    [
        ("/staff/export.xlsx", "export", {"format": "xlsx", "start": "2026-06-09", "end": None, "rows": 2}),
        ("/staff/export-spss.zip", "export", {"format": "spss", "start": "2026-06-09", "end": None, "rows": 2}),
        ("/staff/export.dta", "export", {"format": "stata", "start": "2026-06-09", "end": None, "rows": 2}),
        ("/staff/labels.R", "r_script", {}),
    ],
)
def test_downloads_are_audited_without_answers(app, staff, responses, path, action, details):
    assert post(staff, path, start="2026-06-09").status_code == 200
    with app.app_context():
        event = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
        assert (event.actor, event.action, event.details) == (USERNAME, action, details)
    text = soup(staff.get("/staff/audit")).select_one("main table").get_text()
    assert "Exported 2 responses as" in text or "Downloaded the R script" in text
    named = {"xlsx": "as an Excel workbook", "spss": "as SPSS files", "stata": "as a Stata file"}
    assert named.get(details.get("format"), "") in text


@pytest.mark.parametrize("path", ["/staff/export.xlsx", "/staff/export-spss.zip"])
def test_bad_filters_get_the_export_page_with_errors(staff, path):
    response = post(staff, path, start="2026-13-01")
    assert response.status_code == 400
    assert soup(response).select_one(".error-summary a")["href"] == "#start"


@pytest.mark.parametrize("path", ["/staff/export.xlsx", "/staff/export-spss.zip"])
def test_no_temporary_file_is_left(staff, responses, path, tmp_path, monkeypatch):
    import tempfile

    folder = tmp_path / "temporary"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    assert post(staff, path).status_code == 200
    assert list(folder.iterdir()) == []


def test_the_export_page_posts_every_format_with_the_token(staff):
    page = soup(staff.get("/staff/export"))
    form = page.select_one("main form[method=post][action='/staff/export.csv']")
    assert form.select_one("input[name=csrf_token]")["value"]
    assert [b.get("formaction") for b in form.select("button")] == [
        None, "/staff/export.xlsx", "/staff/export-spss.zip", "/staff/export.dta"]
    assert page.select_one("main form[method=post][action='/staff/labels.R'] input[name=csrf_token]")


def test_the_csv_can_be_posted_from_the_form(staff, responses):
    response = post(staff, "/staff/export.csv", bom="0", values="codes")
    assert response.status_code == 200
    assert list(csv.reader(io.StringIO(response.get_data(as_text=True)))) == csv_table(staff)


# SPSS.


def spss_files(client, tmp_path, **data):
    response = post(client, "/staff/export-spss.zip", **data)
    assert response.status_code == 200, response.get_data(as_text=True)[:2000]
    assert response.headers["Content-Type"] == "application/zip"
    assert response.headers["Content-Disposition"] == 'attachment; filename="survey-responses-spss.zip"'
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    assert archive.namelist() == ["survey-responses.sav", "survey-responses.sps"]
    archive.extractall(tmp_path)
    frame, meta = pyreadstat.read_sav(tmp_path / "survey-responses.sav", user_missing=True)
    return frame, meta, (tmp_path / "survey-responses.sps").read_bytes().decode()


def test_the_sav_has_labels_codes_and_missing_values(staff, responses, tmp_path):
    frame, meta, _ = spss_files(staff, tmp_path)
    assert list(frame.columns) == csv_table(staff)[0]
    labels = meta.column_names_to_labels
    assert labels["safe_day_street"] == "During the day, in a quiet street near your home"
    assert labels["age"] == "How old are you?"
    assert labels["experiences.followed"] == "What happened in the last 12 months: Being followed"
    assert meta.variable_value_labels["safe_day_street"] == {
        1: "Very safe", 2: "Fairly safe", 3: "Fairly unsafe", 4: "Very unsafe",
        97: "An answer no longer offered", 98: "Does not apply to me", 99: "Prefer not to say",
    }
    assert meta.variable_value_labels["age"][99] == "Prefer not to say"
    assert meta.variable_value_labels["experiences.followed"] == {0: "Not chosen", 1: "Being followed"}
    assert meta.missing_ranges["safe_day_street"] == [{"lo": 98.0, "hi": 98.0}, {"lo": 99.0, "hi": 99.0}]
    assert meta.missing_ranges["age"] == [{"lo": 99.0, "hi": 99.0}]
    assert "experiences.followed" not in meta.missing_ranges
    assert meta.variable_measure["safe_day_street"] == "ordinal"
    assert meta.variable_measure["age"] == "nominal"

    rows = {row["response_id"]: row for row in frame.to_dict("records")}
    assert set(rows) == {"0001", "1e10", "ffff"}  # ids stay text
    first, second, third = rows["0001"], rows["1e10"], rows["ffff"]
    assert first["submitted_on"] == date(2026, 6, 8) and first["language"] == "en"
    assert (first["safe_day_street"], first["safe_dark_transport"], first["age"]) == (1, 98, 99)
    assert first["area"] == spss.option_numbers(QUESTIONNAIRE.questions["area"])["walsall"]
    assert (first["experiences.comments"], first["experiences.followed"], first["experiences.online"]) == (1, 0 + 1, 0)
    assert first["difference_text"] == "=1+1"
    assert second["safe_day_street"] == 97  # a code this questionnaire no longer has
    assert second["experiences.prefer_not_to_say"] == 1 and second["experiences.comments"] == 0
    assert second["gender_self_described"] == HOSTILE_TEXT[1]
    assert third["safe_day_street"] != third["safe_day_street"]  # not answered: system-missing (NaN)
    assert third["experiences.followed"] != third["experiences.followed"]
    assert third["difference_text"] == " | ".join(HOSTILE_TEXT)


def test_user_missing_values_read_as_missing_by_default(staff, responses, tmp_path):
    spss_files(staff, tmp_path)
    frame, _ = pyreadstat.read_sav(tmp_path / "survey-responses.sav")  # user-missing become missing
    rows = {row["response_id"]: row for row in frame.to_dict("records")}
    assert rows["0001"]["age"] != rows["0001"]["age"] and rows["0001"]["safe_day_street"] == 1


def test_option_numbers_do_not_depend_on_the_data(staff, rows, tmp_path):
    rows([("a", date(2026, 6, 8), "en", "v1", [("age", "75_over")])])
    _, first, _ = spss_files(staff, tmp_path / "one")
    rows([("b", date(2026, 6, 8), "en", "v1", [("age", "under_16"), ("area", "coventry")])])
    frame, second, _ = spss_files(staff, tmp_path / "two")
    assert first.variable_value_labels == second.variable_value_labels
    assert dict(zip(frame["response_id"], frame["age"])) == {"a": 9, "b": 1}


def test_the_syntax_defines_a_multiple_response_set_per_multiple_choice_question(staff, responses, tmp_path):
    frame, _, syntax = spss_files(staff, tmp_path)
    assert syntax.startswith("* ") and syntax.rstrip().endswith("/DISPLAY NAME=ALL.")
    assert "\r\n" in syntax
    multiple = [q for q in QUESTIONNAIRE.questions.values() if q.kind.value == "multiple"]
    assert syntax.count("/MDGROUP") == len(multiple)
    assert "/MDGROUP NAME=$experiences LABEL='What happened in the last 12 months'" in syntax
    block = syntax.split("NAME=$experiences")[1].split("/MDGROUP")[0]
    names = block.split("VARIABLES=")[1].split()
    assert names == [f"experiences.{o.code}" for o in QUESTIONNAIRE.questions["experiences"].options if o.code != "prefer_not_to_say"]
    assert set(names) <= set(frame.columns)
    assert "CATEGORYLABELS=COUNTEDVALUES VALUE=1" in block


def test_a_quote_in_a_set_label_is_doubled():
    from app.questionnaire.model import Kind, Option, Page, Question, Questionnaire
    from flask_babel import lazy_gettext as _l

    questionnaire = Questionnaire("t", _l("T"), _l("T"), (Page("p", _l("P"), (
        Question("pets", _l("Your pet's names?"), Kind.MULTIPLE, (Option("cat", _l("Cat")), Option("dog", _l("Dog")))),)),), 1)
    from flask import Flask
    from flask_babel import Babel

    app = Flask(__name__)
    Babel(app)
    with app.app_context():
        assert "LABEL='Your pet''s names?'" in spss.multiple_response_syntax(questionnaire, "x.sav")


# R.


def r_script(client):
    response = post(client, "/staff/labels.R")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == 'attachment; filename="survey-labels.R"'
    return response.get_data(as_text=True)


def test_the_r_script_names_every_coded_column_in_questionnaire_order(staff):
    script = r_script(staff)
    assert script.count("(") == script.count(")") and script.count("{") == script.count("}")
    assert script.count('"') % 2 == 0
    age = QUESTIONNAIRE.questions["age"]
    assert 'responses <- labelled(responses, "age",\n  c(' + ", ".join(f'"{o.code}"' for o in age.options) in script
    assert 'responses <- chosen(responses, "experiences.followed")' in script
    order = [script.index(f'"{q.id}') for q in QUESTIONNAIRE.questions.values() if q.kind.value != "text"]
    assert order == sorted(order)


def test_r_strings_are_escaped():
    assert r.r_string('say "hi" \\ now\n') == '"say \\"hi\\" \\\\ now\\n"'


@pytest.mark.skipif(shutil.which("Rscript") is None and not os.environ.get("CI"), reason="R is not installed (make test installs r-base-core)")
@pytest.mark.parametrize("query", ["?bom=0&values=codes", "?bom=1&values=labels"])
def test_r_reads_the_csv_into_labelled_factors(staff, responses, submit_response, tmp_path, query):
    submit_response(FULL_ANSWERS)
    (tmp_path / "survey-labels.R").write_text(r_script(staff))
    (tmp_path / "survey-responses.csv").write_bytes(csv_download(staff, query))
    check = """
source("survey-labels.R")
stopifnot(is.factor(responses$age), is.factor(responses$safe_day_street), is.factor(responses[["experiences.followed"]]))
stopifnot(identical(levels(responses$safe_day_street)[1:2], c("Very safe", "Fairly safe")))
stopifnot(identical(levels(responses[["experiences.followed"]]), c("Not chosen", "Chosen")))
stopifnot(is.character(responses$response_id), inherits(responses$submitted_on, "Date"))
by_id <- function(id, column) as.character(responses[responses$response_id == id, column])
stopifnot(by_id("0001", "age") == "Prefer not to say", by_id("0001", "area") == "Walsall")
stopifnot(by_id("0001", "experiences.followed") == "Chosen", by_id("1e10", "age") == "18 to 24")
stopifnot(is.na(by_id("ffff", "age")), is.na(by_id("1e10", "safe_day_street")))
stopifnot(by_id("0001", "difference_text") == "'=1+1")
stopifnot(sum(!is.na(responses$gender_self_described)) == 2)
cat("ok", nrow(responses), "\\n")
"""
    (tmp_path / "check.R").write_text(check)
    result = subprocess.run(["Rscript", "check.R"], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith("ok 4")
    assert "no longer offered become NA: no_longer_offered" in result.stderr


def test_the_app_does_not_load_pandas_until_someone_downloads_spss_files():
    """pyreadstat's pandas and numpy cost every server process about 40 MB: loaded on first use only."""
    code = "import sys; from app import create_app; create_app(); print('pandas' in sys.modules, 'numpy' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    assert result.stdout.split() == ["False", "False"]
