"""When the database goes away: a clear 503 page, never a 500; nothing confirmed lost; recovery by itself.

Three ways it goes away, as a reviewer would try them: the server cannot be reached (every new
connection fails, as while PostgreSQL restarts), SQLite locked by another process past the busy
timeout (a backup), and a full disk (each INSERT failing as SQLite's SQLITE_FULL does). Each time the respondent gets the "try again in a
minute" page in their language with the quick exit, the answers saved before are kept, the page
they were on can be sent again, and /healthz says 503 until the database is back.
"""

import sqlite3
from contextlib import contextmanager

import pytest
from sqlalchemy import event, func, select

from app.config import LANGUAGES
from app.extensions import db
from app.models import Draft, PendingResponse, Response
from app.questionnaire import QUESTIONNAIRE as Q
from tests.helpers import FULL_ANSWERS, Respondent, question_url, soup

FIRST, SECOND = Q.pages[0], Q.pages[1]


def _engine(app):
    with app.app_context():
        return db.engine


def _sqlite_file(app) -> str:
    engine = _engine(app)
    if engine.dialect.name != "sqlite":
        pytest.skip("SQLite only")
    return engine.url.database


@contextmanager
def unreachable(app):
    """Every pooled connection dropped and every new one refused, until the block ends."""
    engine = _engine(app)
    driver_error = engine.dialect.loaded_dbapi.OperationalError

    def refuse(*_args, **_kwargs):
        raise driver_error("connection refused (test)")

    engine.dispose()
    event.listen(engine, "do_connect", refuse)
    try:
        yield
    finally:
        event.remove(engine, "do_connect", refuse)


@contextmanager
def locked(app):
    """Another process holds SQLite's lock, readers included (as an exclusive backup would)."""
    path = _sqlite_file(app)
    _engine(app).dispose()  # the app's pooled connections hold shared locks in WAL mode
    holder = sqlite3.connect(path, isolation_level=None, timeout=10)
    holder.execute("PRAGMA locking_mode=EXCLUSIVE")
    holder.execute("BEGIN EXCLUSIVE")
    holder.execute("SELECT count(*) FROM drafts").fetchone()  # takes the lock on the WAL index too
    try:
        yield
    finally:
        holder.execute("ROLLBACK")
        holder.close()


@contextmanager
def disk_full(app):
    """Every INSERT fails as SQLite fails on a full disk (SQLITE_FULL), after the UPDATEs before it ran."""
    engine = _engine(app)
    driver_error = engine.dialect.loaded_dbapi.OperationalError

    def refuse(_conn, _cursor, statement, *_args):
        if statement.lstrip().upper().startswith("INSERT"):
            raise driver_error("database or disk is full")

    event.listen(engine, "before_cursor_execute", refuse)
    try:
        yield
    finally:
        event.remove(engine, "before_cursor_execute", refuse)


def _counts(app):
    with app.app_context():
        # A sent response waits in the holding table (in pieces) until its day ends; both count as stored.
        responses = db.session.scalar(select(func.count()).select_from(Response)) + db.session.scalar(
            select(func.count(PendingResponse.id.distinct()))
        )
        drafts = [draft.answers for draft in db.session.scalars(select(Draft))]
        db.session.remove()
    return responses, drafts


def assert_try_again_page(response, language="en"):
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "60"
    assert response.headers["Cache-Control"] == "no-store"
    page = soup(response)
    assert page.html["lang"] == language
    assert page.select_one("a.quick-exit[href='/exit']")
    return page


OUTAGES = {"unreachable": unreachable, "locked": locked}


@pytest.fixture
def quick_app(make_app):
    return make_app(SQLITE_BUSY_TIMEOUT_MS=200)


@pytest.mark.parametrize("outage", OUTAGES)
def test_a_page_view_gets_the_try_again_page_and_recovers(quick_app, outage):
    respondent = Respondent(quick_app.test_client())
    respondent.start()
    respondent.answer(FIRST.id)
    with OUTAGES[outage](quick_app):
        page = assert_try_again_page(respondent.client.get(question_url(SECOND.id)))
        assert page.select_one("main a[href='/question/2']").get_text() == "Try again"
        assert respondent.client.get("/healthz").status_code == 503
        assert respondent.client.get("/help").status_code == 200  # pages without the database still work
    assert respondent.client.get("/healthz").status_code == 200
    assert respondent.client.get(question_url(SECOND.id)).status_code == 200


@pytest.mark.parametrize("outage", OUTAGES)
def test_a_page_sent_during_an_outage_can_be_sent_again(quick_app, outage):
    respondent = Respondent(quick_app.test_client())
    respondent.start()
    respondent.answer(FIRST.id)
    before = _counts(quick_app)
    with OUTAGES[outage](quick_app):
        response = respondent.answer(SECOND.id)
        page = assert_try_again_page(response)
    assert _counts(quick_app) == before  # the earlier answers are kept; nothing half-saved
    form = page.select_one("main form[method=post]")
    assert form["action"] == question_url(SECOND.id)
    resent = {field["name"]: field["value"] for field in form.select("input[type=hidden]")}
    assert resent["csrf_token"] == respondent.csrf()
    again = respondent.client.post(form["action"], data=resent)
    assert again.status_code == 303
    _, drafts = _counts(quick_app)
    saved = drafts[0]
    assert all(saved[q.id] == FULL_ANSWERS[q.id] for q in FIRST.questions + SECOND.questions)


@pytest.mark.parametrize("language", list(LANGUAGES))
def test_the_try_again_page_is_in_the_respondents_language(quick_app, language):
    headings = {}
    for asked in {"en", language}:
        respondent = Respondent(quick_app.test_client())
        respondent.client.get(f"/?lang={asked}")
        respondent.start()
        with unreachable(quick_app):
            page = assert_try_again_page(respondent.client.get("/question/1"), asked)
        headings[asked] = page.select_one("h1").get_text()
        assert page.select_one("main a").get_text()
    assert headings["en"] == "Sorry, the survey is not available just now"
    assert language == "en" or headings[language] != headings["en"]


def test_the_quick_exit_works_during_an_outage(quick_app):
    respondent = Respondent(quick_app.test_client())
    respondent.start()
    with unreachable(quick_app):
        response = respondent.client.get("/exit")
    assert response.status_code == 303
    assert response.headers["Location"] == "https://www.bbc.co.uk/weather"
    assert "Clear-Site-Data" in response.headers


def test_a_submit_on_a_full_disk_loses_nothing_and_can_be_sent_again(quick_app):
    respondent = Respondent(quick_app.test_client())
    respondent.complete()
    with disk_full(quick_app):
        page = assert_try_again_page(respondent.submit())
        assert _counts(quick_app)[0] == 0
        assert respondent.client.get("/check").status_code == 200  # the draft is still there, unsent
    form = page.select_one("main form[method=post]")
    assert form["action"] == "/check"
    resent = {field["name"]: field["value"] for field in form.select("input[type=hidden]")}
    assert respondent.client.post("/check", data=resent).status_code == 303
    assert _counts(quick_app)[0] == 1


def test_an_outage_is_a_warning_without_answers_not_an_error_trace(quick_app, caplog):
    respondent = Respondent(quick_app.test_client())
    respondent.start()
    with unreachable(quick_app):
        respondent.answer(FIRST.id, {"safe_day_street": "very_safe"})
    messages = [record.getMessage() for record in caplog.records if record.name == "app"]
    assert messages == ["Database unavailable (OperationalError: connection refused (test)) on POST /question/1"]
    assert "very_safe" not in caplog.text


def test_a_staff_post_during_an_outage_is_never_echoed_into_the_page(quick_app):
    """The "send again" form carries a respondent's answers; a sign-in's password must not be in any page."""
    from tests.staff.conftest import PASSWORD, USERNAME, csrf_token, make_user

    make_user(quick_app)
    client = quick_app.test_client()
    token = csrf_token(client, "/staff/login")
    with unreachable(quick_app):
        response = client.post("/staff/login", data={"csrf_token": token, "username": USERNAME, "password": PASSWORD})
    assert response.status_code == 503
    html = response.get_data(as_text=True)
    assert PASSWORD not in html and USERNAME not in html
    assert not soup(response).select("input[type=hidden]")


def test_a_post_to_the_start_page_during_an_outage_can_be_sent_again(quick_app):
    respondent = Respondent(quick_app.test_client())
    respondent.csrf()
    with unreachable(quick_app):
        page = assert_try_again_page(respondent.start())
    form = page.select_one("main form[method=post]")
    assert form["action"] == "/start"
    resent = {field["name"]: field["value"] for field in form.select("input[type=hidden]")}
    assert respondent.client.post("/start", data=resent).status_code in (302, 303)
