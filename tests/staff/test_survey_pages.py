"""The survey owner's pages: upload a draft, read its problems or changes, preview it in each of its
languages, make it live with no restart, close and open, dates, downloads; and what an editor may
not do. The walk in `test_an_owner_publishes_a_kobo_form_in_two_languages` is the issue's "done when"."""

import io
import zipfile
from datetime import date

import pytest
from sqlalchemy import func, select, text
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from app.extensions import db
from app.models import AuditEvent, StaffSession, SurveyFile
from app.questionnaire.xlsx_file import MAX_FILE_BYTES
from app.surveys import lifecycle, live
from tests.helpers import soup
from tests.questionnaire.test_plain_xlsform import KOBO_LANGUAGES, kobo_form
from tests.questionnaire.xlsforms import write_form
from tests.staff.conftest import csrf_token, make_user, sign_in

NEXT_YEAR = date.today().year + 1
# Everything a respondent's answer could leave behind: none of it may change in a preview.
ANSWER_TABLES = ("drafts", "sent_drafts", "pending_responses", "responses", "answers", "day_counts",
                 "answer_counts", "question_counts", "answer_pair_counts")


@pytest.fixture
def editor(app, client):
    make_user(app, role="editor")
    assert sign_in(client).headers["Location"] == "/staff/survey"
    return client


@pytest.fixture
def kobo_bytes(tmp_path):
    return write_form(tmp_path / "kobo.xlsx", kobo_form(), languages=KOBO_LANGUAGES).read_bytes()


def upload(client, data: bytes, name="kobo.xlsx", mimetype=None, token=None):
    """Post a file as a browser would. The body is encoded here, in memory: the test client's own
    encoder spools a big body to a temporary file it never closes."""
    token = token if token is not None else csrf_token(client, "/staff/survey")
    file = FileStorage(io.BytesIO(data), filename=name, content_type=mimetype or "application/octet-stream")
    boundary, body = encode_multipart({"csrf_token": token, "file": file})
    return client.post("/staff/survey/upload", data=body, content_type=f"multipart/form-data; boundary={boundary}")


def answer_rows(app) -> dict[str, int]:
    with app.app_context():
        found = {table: db.session.execute(text(f"SELECT COUNT(*) FROM {table}")).scalar_one() for table in ANSWER_TABLES}
        db.session.remove()
    return found


def stored_files(app) -> int:
    with app.app_context():
        try:
            return lifecycle.count_stored()
        finally:
            db.session.remove()


def walk_preview(client, file_id: int, language: str) -> list:
    """Answer every page of a preview (like a respondent: "no" first, so the condition shows), send;
    the parsed pages from the start page to the confirmation."""
    base = f"/staff/preview/{file_id}"
    seen = [soup(client.get(f"{base}/?lang={language}"))]
    token = seen[0].select_one("main form input[name=csrf_token]")["value"]
    response = client.post(seen[0].select_one("main form")["action"], data={"csrf_token": token})
    while "/question/" in response.headers.get("Location", ""):
        page = soup(client.get(response.headers["Location"]))
        seen.append(page)
        data = {"csrf_token": token}
        for field in page.select("main form input[type=radio], main form input[type=checkbox]"):
            data.setdefault(field["name"], "no" if field["name"] == "safe" else field["value"])
        data.update({field["name"]: "Typed in a preview" for field in page.select("main form textarea")})
        response = client.post(page.select_one("main form")["action"], data=data)
        assert response.status_code == 303, (response.status_code, response.get_data(as_text=True)[:500])
    # The preview keeps its language in its addresses: it sets no respondent's language cookie.
    assert response.headers["Location"] == f"{base}/check?lang={language}"
    check = soup(client.get(response.headers["Location"]))
    seen.append(check)
    response = client.post(check.select_one("main form")["action"], data={"csrf_token": token})
    assert response.headers["Location"] == f"{base}/done?lang={language}"
    seen.append(soup(client.get(response.headers["Location"])))
    return seen


def test_an_owner_publishes_a_kobo_form_in_two_languages(app, make_app, editor, kobo_bytes):
    other_worker = make_app(SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"])
    public = other_worker.test_client()
    assert soup(public.get("/")).h1.get_text(strip=True) != "Safety in our town"  # the shipped survey is live
    before = answer_rows(app)

    response = upload(editor, kobo_bytes)
    assert response.status_code == 303
    file_page = soup(editor.get(response.headers["Location"]))
    file_id = int(response.headers["Location"].rsplit("/", 1)[1])
    assert file_page.h1.get_text(strip=True) == "Draft version 2024-05"
    assert [h.get_text() for h in file_page.select("main h3")] == ["English", "Polski"]  # what changes, per language
    assert "Added: Safety in our town" in file_page.select_one("ul.diff").get_text()
    assert file_page.select_one(f"a[href='/staff/survey/files/{file_id}/make-live']")  # nothing stops it

    for language, question in [("en", "Do you feel safe?"), ("pl", "Do you feel safe? [pl]")]:
        pages = walk_preview(editor, file_id, language)
        assert pages[0].h1.get_text(strip=True) == "Safety in our town"
        assert pages[1].select_one("main legend, main h1").get_text(strip=True) == question
        assert len(pages) == 1 + 4 + 2  # start, four question pages ("Why?" shown), check, done
        for page in pages:
            assert page.html["lang"] == language
            assert page.title.get_text().startswith("Preview: ")
            main = page.select_one("main")
            banner = main.find(True)  # the first element in the main content: read before the heading
            assert "preview-banner" in banner["class"] and banner["lang"] == "en"
            assert "Answers typed here are not kept" in banner.get_text()
            assert [link["hreflang"] for link in page.select("nav.languages a")] == ["en", "pl"]
            assert page.select_one("a.quick-exit")["href"] == f"/staff/preview/{file_id}/exit"
    assert answer_rows(app) == before  # nothing typed became a draft, a response or a count
    assert public.get("/").status_code == 200 and soup(public.get("/")).h1.get_text(strip=True) != "Safety in our town"

    confirm = soup(editor.get(f"/staff/survey/files/{file_id}/make-live"))
    assert "People part-way through carry on" in confirm.get_text()
    token = confirm.select_one("main form input[name=csrf_token]")["value"]
    response = editor.post(f"/staff/survey/files/{file_id}/make-live", data={"csrf_token": token})
    assert response.headers["Location"] == "/staff/survey?done=made-live"
    assert "The new version is live" in soup(editor.get(response.headers["Location"])).select_one("p.notice").get_text()

    # The other worker serves it once its stamp is STAMP_SECONDS old, with no restart.
    live.clock, real_clock = (lambda: real_clock() + live.STAMP_SECONDS + 1), live.clock
    try:
        assert soup(public.get("/")).h1.get_text(strip=True) == "Safety in our town"
        assert soup(public.get("/?lang=pl")).html["lang"] == "pl"
    finally:
        live.clock = real_clock
    with app.app_context():
        actions = list(db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))
    assert actions[-2:] == ["survey_uploaded", "survey_made_live"]


def test_the_survey_page_shows_the_live_version_history_and_drafts(app, editor, kobo_bytes):
    page = soup(editor.get("/staff/survey"))
    facts = {div.dt.get_text(): div.dd.get_text(strip=True) for div in page.select("dl.facts div")}
    assert facts["Version"] == "2026-11.1" and facts["Responses released to this version"] == "0"
    assert "by command line" in facts["Live since"]
    assert "There are no drafts." in page.get_text()
    upload(editor, kobo_bytes)
    page = soup(editor.get("/staff/survey"))
    assert [a.get_text() for a in page.select("ul.file-list a")] == ["Draft version 2024-05"]
    assert [row.td.get_text() for row in page.select("table tbody tr")] == ["2026-11.1"]


def problems_page(response) -> list[str]:
    assert response.status_code == 400
    return [item.get_text() for item in soup(response).select("ol.problems li, .error-message")]


def test_a_file_with_problems_lists_each_with_its_row_and_keeps_nothing(app, editor, tmp_path):
    form = kobo_form()
    form["survey"][0]["type"] = "select_one no_such_list"
    before = stored_files(app)
    found = problems_page(upload(editor, write_form(tmp_path / "bad.xlsx", form, languages=KOBO_LANGUAGES).read_bytes()))
    assert any("survey" in problem and "row 2" in problem and "no_such_list" in problem for problem in found), found
    assert stored_files(app) == before


def zip_bomb() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"<a>" + b" " * 60_000_000 + b"</a>")
    return buffer.getvalue()


@pytest.mark.parametrize("name, data, mimetype, expected", [
    ("survey.xls", b"PK\x03\x04", None, "must be an Excel .xlsx spreadsheet"),
    ("survey.xlsx", b"not a spreadsheet at all", None, ""),  # the reader's own problem
    ("survey.xlsx", b"", None, "The file is empty"),
    ("survey.xlsx.exe", b"MZ", None, "must be an Excel .xlsx spreadsheet"),
    ("survey.xlsx", b"PK\x03\x04", "text/html", "cannot be read as an .xlsx spreadsheet"),  # the reader's, not the type's
    ("survey.xlsx", b"x" * (MAX_FILE_BYTES + 1), None, "smaller than 2 MB"),
    ("survey.xlsx", zip_bomb(), None, ""),
])
def test_bad_files_are_refused_before_anything_is_kept(app, editor, name, data, mimetype, expected):
    before = stored_files(app)
    found = problems_page(upload(editor, data, name, mimetype))
    assert found and all(problem.strip() for problem in found)
    assert not expected or any(expected in problem for problem in found), found
    assert stored_files(app) == before


def test_a_body_beyond_the_upload_limit_is_refused_before_it_is_read(app, editor):
    response = upload(editor, b"x" * (MAX_FILE_BYTES + 200_000))
    assert response.status_code == 413
    assert soup(response).h1.get_text() == "Too much was sent"
    assert "smaller than 2 MB" in soup(response).select_one("main").get_text()
    assert not soup(response).select_one("a.quick-exit")  # a staff page, not the public one


def test_other_posts_keep_the_small_body_limit(app, editor):
    token = csrf_token(editor, "/staff/survey")
    response = editor.post("/staff/survey/dates", data={"csrf_token": token, "opens": "x" * 100_000})
    assert response.status_code == 413


def test_an_upload_without_the_staff_token_is_refused(app, editor, kobo_bytes):
    before = stored_files(app)
    assert upload(editor, kobo_bytes, token="forged").status_code == 400
    assert stored_files(app) == before


def test_texts_from_the_file_are_escaped_on_every_page(app, editor, tmp_path):
    form = kobo_form()
    form["survey"][0]["label"] = "<script>alert(1)</script><b>bold</b>"
    form["settings"][0]["form_title"] = "<img src=x onerror=alert(1)>"
    response = upload(editor, write_form(tmp_path / "hostile.xlsx", form, languages=KOBO_LANGUAGES).read_bytes())
    file_id = int(response.headers["Location"].rsplit("/", 1)[1])
    for url in (f"/staff/survey/files/{file_id}", f"/staff/preview/{file_id}/"):
        page = soup(editor.get(url))
        assert not page.select("main script, main img, main b"), url
    assert "<script>alert(1)</script>" in soup(editor.get(f"/staff/survey/files/{file_id}")).select_one("ul.diff").get_text()


def test_a_draft_that_would_change_an_answered_version_says_so_and_cannot_go_live(app, editor, submit_response, tmp_path):
    submit_response()
    live_bytes = lifecycle_live_bytes(app)
    changed = change_a_label(live_bytes, tmp_path)
    response = upload(editor, changed)
    file_id = int(response.headers["Location"].rsplit("/", 1)[1])
    page = soup(editor.get(f"/staff/survey/files/{file_id}"))
    assert "Not as it is" in page.select_one("main .error-summary").get_text()
    assert not page.select_one(f"a[href='/staff/survey/files/{file_id}/make-live']")
    token = csrf_token(editor, "/staff/survey")
    assert editor.post(f"/staff/survey/files/{file_id}/make-live", data={"csrf_token": token}).status_code == 409
    with app.app_context():
        assert lifecycle.live_file().id != file_id


def lifecycle_live_bytes(app) -> bytes:
    with app.app_context():
        try:
            return lifecycle.live_file().content
        finally:
            db.session.remove()


def change_a_label(data: bytes, tmp_path) -> bytes:
    """The same file with its first question's English text changed and the version kept."""
    from openpyxl import load_workbook

    workbook = load_workbook(io.BytesIO(data))
    sheet = workbook["survey"]
    header = [cell.value for cell in sheet[1]]
    column = next(i for i, name in enumerate(header) if name and name.startswith("label"))
    for row in sheet.iter_rows(min_row=2):
        if str(row[0].value).startswith("select_one"):
            row[column].value = f"{row[column].value} (changed)"
            break
    path = tmp_path / "changed.xlsx"
    workbook.save(path)
    return path.read_bytes()


def test_download_gives_back_the_bytes_uploaded(app, editor, kobo_bytes):
    response = upload(editor, kobo_bytes)
    file_id = int(response.headers["Location"].rsplit("/", 1)[1])
    download = editor.get(f"/staff/survey/files/{file_id}/download")
    assert download.data == kobo_bytes
    assert download.headers["Content-Disposition"] == f'attachment; filename="survey-2024-05-draft-{file_id}.xlsx"'
    assert download.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def test_close_now_open_again_and_dates(app, editor):
    public = app.test_client()
    token = csrf_token(editor, "/staff/survey")
    assert editor.post("/staff/survey/close", data={"csrf_token": token}).headers["Location"] == "/staff/survey?done=closed"
    assert "Closed: it takes no answers." in soup(editor.get("/staff/survey")).get_text()
    assert not soup(public.get("/")).select_one("main form button")  # no "Start now"
    assert editor.post("/staff/survey/open", data={"csrf_token": token}).headers["Location"] == "/staff/survey?done=opened"
    assert soup(public.get("/")).select_one("main form button")
    response = editor.post("/staff/survey/dates", data={"csrf_token": token, "opens": f"{NEXT_YEAR}-01-01", "last_day": f"{NEXT_YEAR}-01-31"})
    assert response.headers["Location"] == "/staff/survey?done=dates"
    page = soup(editor.get("/staff/survey"))
    assert "Not open yet" in page.get_text() and f"Closes: {NEXT_YEAR}-02-01 00:00" in page.get_text()
    assert page.select_one("#opens")["value"] == f"{NEXT_YEAR}-01-01" and page.select_one("#last_day")["value"] == f"{NEXT_YEAR}-01-31"
    assert not soup(public.get("/")).select_one("main form button")


@pytest.mark.parametrize("days, message", [
    ({"opens": f"{NEXT_YEAR}-02-01", "last_day": f"{NEXT_YEAR}-01-01"}, "The last day must be the first day or after it"),
    ({"opens": "not a day"}, "Enter a real date"),
])
def test_bad_dates_are_explained(app, editor, days, message):
    token = csrf_token(editor, "/staff/survey")
    response = editor.post("/staff/survey/dates", data={"csrf_token": token, **days})
    assert response.status_code == 400
    assert message in soup(response).select_one(".error-summary").get_text()


def test_the_preview_quick_exit_forgets_the_answers_and_ends_the_staff_session(app, editor, kobo_bytes):
    file_id = int(upload(editor, kobo_bytes).headers["Location"].rsplit("/", 1)[1])
    token = csrf_token(editor, f"/staff/preview/{file_id}/")
    editor.post(f"/staff/preview/{file_id}/start", data={"csrf_token": token})
    editor.post(f"/staff/preview/{file_id}/question/1", data={"csrf_token": token, "safe": "no"})
    with app.app_context():
        assert db.session.scalar(select(StaffSession.preview_answers)) == {"safe": "no"}
    response = editor.get(f"/staff/preview/{file_id}/exit")
    assert response.status_code == 303 and response.headers["Location"] == app.config["QUICK_EXIT_URL"]
    assert response.headers["Clear-Site-Data"] == '"cache", "cookies", "storage"'
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(StaffSession)) == 0
    assert editor.get("/staff/survey").headers["Location"].startswith("/staff/login")


def test_a_preview_continues_where_it_was_left_and_is_per_file(app, editor, kobo_bytes, tmp_path):
    file_id = int(upload(editor, kobo_bytes).headers["Location"].rsplit("/", 1)[1])
    token = csrf_token(editor, f"/staff/preview/{file_id}/")
    editor.post(f"/staff/preview/{file_id}/start", data={"csrf_token": token})
    editor.post(f"/staff/preview/{file_id}/question/1", data={"csrf_token": token, "safe": "yes"})
    start = soup(editor.get(f"/staff/preview/{file_id}/"))
    assert start.select_one("main form button").get_text() == "Continue where you left off"
    assert editor.post(f"/staff/preview/{file_id}/start", data={"csrf_token": token}).headers["Location"] == f"/staff/preview/{file_id}/question/2?lang=en"
    with app.app_context():
        live_id = lifecycle.live_file().id
    assert soup(editor.get(f"/staff/preview/{live_id}/")).select_one("main form button").get_text() == "Start now"
    assert editor.get(f"/staff/preview/{live_id}/question/1").headers["Location"] == f"/staff/preview/{live_id}/?lang=en"


def test_an_error_in_a_preview_shows_as_on_the_survey(app, editor, kobo_bytes):
    file_id = int(upload(editor, kobo_bytes).headers["Location"].rsplit("/", 1)[1])
    token = csrf_token(editor, f"/staff/preview/{file_id}/")
    editor.post(f"/staff/preview/{file_id}/start", data={"csrf_token": token})
    page = soup(editor.post(f"/staff/preview/{file_id}/question/1", data={"csrf_token": token}))
    assert page.title.get_text().startswith("Preview: Error:")
    assert page.select_one(".error-summary a")["href"].startswith("#")


def test_no_preview_for_a_file_that_does_not_exist(app, editor):
    for url in ("/staff/preview/999/", "/staff/survey/files/999", "/staff/survey/files/999/download"):
        response = editor.get(url)
        assert response.status_code == 404
        assert soup(response).h1.get_text() == "Page not found"
        assert not soup(response).select_one("a.quick-exit"), url  # a staff page, not the public one


@pytest.mark.parametrize("role", ["viewer", "analyst"])
def test_staff_who_read_the_data_cannot_change_or_preview_the_survey(app, client, role, kobo_bytes):
    make_user(app, role=role)
    sign_in(client)
    assert client.get("/staff/survey").status_code == 403
    assert client.get("/staff/preview/1/").status_code == 403
    assert upload(client, kobo_bytes, token=csrf_token(client, "/staff")).status_code == 403


def test_an_editor_sees_no_data(app, editor):
    assert editor.get("/staff").headers["Location"] == "/staff/survey"  # the front door leads to their page
    for url in ("/staff/breakdown", "/staff/export", "/staff/audit", "/staff/accounts"):
        assert editor.get(url).status_code == 403, url
    links = [a["href"] for a in soup(editor.get("/staff/survey")).select("nav.staff-nav a")]
    assert links == ["/staff/survey", "/staff/results"]


# Findings of the outside review, each a test that failed before its fix.

@pytest.mark.parametrize("days", [{"opens": "0001-01-01"}, {"last_day": "9999-12-31"}, {"opens": "1999-12-31"}])
def test_a_day_far_from_now_is_refused_and_the_survey_stays_up(app, editor, days):
    token = csrf_token(editor, "/staff/survey")
    response = editor.post("/staff/survey/dates", data={"csrf_token": token, **days})
    assert response.status_code == 400
    assert "Enter a day between 2000 and" in soup(response).select_one(".error-summary").get_text()
    assert app.test_client().get("/").status_code == 200
    assert editor.get("/staff/survey").status_code == 200


def test_a_last_day_already_past_is_refused(app, editor):
    token = csrf_token(editor, "/staff/survey")
    response = editor.post("/staff/survey/dates", data={"csrf_token": token, "last_day": "2020-01-02"})
    assert response.status_code == 400
    assert "cannot be before today" in soup(response).select_one(".error-summary").get_text()


def test_a_summer_day_opens_at_midnight_london_time(app, editor):
    token = csrf_token(editor, "/staff/survey")
    editor.post("/staff/survey/dates", data={"csrf_token": token, "opens": f"{NEXT_YEAR}-06-08", "last_day": f"{NEXT_YEAR}-06-22"})
    with app.test_request_context():
        live.forget()
        opens, closes = live.dates()
    assert (opens.isoformat(), closes.isoformat()) == (f"{NEXT_YEAR}-06-08T00:00:00+01:00", f"{NEXT_YEAR}-06-23T00:00:00+01:00")
    assert f"Closes: {NEXT_YEAR}-06-23 00:00" in soup(editor.get("/staff/survey")).get_text()


def test_close_now_before_the_first_day_reads_as_closed(app, editor):
    token = csrf_token(editor, "/staff/survey")
    editor.post("/staff/survey/dates", data={"csrf_token": token, "opens": f"{NEXT_YEAR}-06-08"})
    editor.post("/staff/survey/close", data={"csrf_token": token})
    assert "Closed: it takes no answers." in soup(editor.get("/staff/survey")).get_text()


def test_a_version_with_letters_beyond_ascii_downloads_with_a_latin_1_header(app, editor, tmp_path):
    form = kobo_form()
    form["settings"][0]["version"] = "версия-2025é"
    response = upload(editor, write_form(tmp_path / "v.xlsx", form, languages=KOBO_LANGUAGES).read_bytes())
    file_id = int(response.headers["Location"].rsplit("/", 1)[1])
    disposition = editor.get(f"/staff/survey/files/{file_id}/download").headers["Content-Disposition"]
    disposition.encode("latin-1")  # gunicorn refuses any other header
    assert disposition.startswith('attachment; filename="survey-') and disposition.endswith(f'-2025--draft-{file_id}.xlsx"')


def test_the_same_file_twice_is_one_draft(app, editor, kobo_bytes):
    first, second = upload(editor, kobo_bytes), upload(editor, kobo_bytes)
    assert first.headers["Location"] == second.headers["Location"]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(SurveyFile).where(SurveyFile.state == "draft")) == 1


@pytest.mark.parametrize("mimetype", ["application/vnd.ms-excel", "application/x-zip-compressed", "application/zip"])
def test_the_type_a_browser_guesses_does_not_refuse_a_good_file(app, editor, kobo_bytes, mimetype):
    assert upload(editor, kobo_bytes, mimetype=mimetype).status_code == 303


def test_nobody_signed_in_can_make_the_server_read_a_big_upload(app):
    client = app.test_client()
    token = csrf_token(client, "/staff/login")
    response = upload(client, b"x" * 1_000_000, token=token)
    assert response.status_code == 413  # refused at the small limit, before the form was read


def test_two_versions_made_live_at_the_same_moment_one_is_refused(app, editor, kobo_bytes, tmp_path, monkeypatch):
    form = kobo_form()
    form["settings"][0]["version"] = "2024-06"
    ids = [int(upload(editor, data).headers["Location"].rsplit("/", 1)[1])
           for data in (kobo_bytes, write_form(tmp_path / "b.xlsx", form, languages=KOBO_LANGUAGES).read_bytes())]
    with app.test_request_context():
        stale = lifecycle.live_file()  # what the second request read before the first made its file live
        lifecycle.make_live(db.session.get(SurveyFile, ids[0]), "one")
        monkeypatch.setattr(lifecycle, "live_file", lambda: stale)
        with pytest.raises(lifecycle.NotMadeLive, match="at the same moment"):
            lifecycle.make_live(db.session.get(SurveyFile, ids[1]), "two")
        monkeypatch.undo()
        assert lifecycle.live_file().id == ids[0]
        made_live = db.session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "survey_made_live"))
    assert made_live == 1


def test_a_preview_in_another_language_leaves_the_language_cookie_alone(app, editor, kobo_bytes):
    file_id = int(upload(editor, kobo_bytes).headers["Location"].rsplit("/", 1)[1])
    response = editor.get(f"/staff/preview/{file_id}/?lang=pl")
    assert soup(response).html["lang"] == "pl"
    assert not any(cookie.startswith(app.config["LANGUAGE_COOKIE"] + "=") for cookie in response.headers.getlist("Set-Cookie"))
    assert "lang=pl" in soup(response).select_one("main form")["action"]  # the language goes on in the addresses
