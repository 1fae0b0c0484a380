"""Quick exit: on every public page, first to receive focus, and it leaves as little behind as possible."""

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Draft
from tests.helpers import question_url, soup

PUBLIC_PAGES = ["/", "/help", "/privacy", "/leaving-quickly", "/no-such-page"]


@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_every_public_page_has_the_exit_link_first(client, path):
    page = soup(client.get(path))
    focusable = page.select("a[href], button, input:not([type=hidden]), textarea, select")
    assert focusable[0]["href"] == "/exit"
    buttons = page.select("a.quick-exit")
    assert len(buttons) == 1 and buttons[0]["href"] == "/exit"
    assert "Emergency" in buttons[0].select_one(".visually-hidden").get_text()
    for link in page.select("a[href='/exit']"):
        assert set(link["rel"]) == {"nofollow", "noreferrer"}
        assert "Exit this page" in link.get_text()


def test_question_and_check_pages_have_the_exit_link(client, respondent):
    respondent.complete()
    for path in (question_url("experiences"), "/check"):
        assert soup(client.get(path)).select("a[href='/exit']")


def test_exit_deletes_the_draft_and_the_session(app, client, respondent):
    respondent.start()
    respondent.answer("safe_day")
    client.get("/?lang=pl")
    response = client.get("/exit")
    assert response.status_code == 303
    assert response.headers["Location"] == "https://www.bbc.co.uk/weather"
    assert response.headers["Clear-Site-Data"] == '"cache", "cookies", "storage"'
    assert response.headers["Cache-Control"] == "no-store"
    cleared = {c.split("=", 1)[0] for c in response.headers.getlist("Set-Cookie") if "Expires=Thu, 01 Jan 1970" in c}
    assert {"session", "lang"} <= cleared
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Draft)) == 0
    # Back in the browser: nothing to show, the survey starts afresh.
    assert client.get(question_url("safe_dark")).headers["Location"] == "/"


def test_exit_works_with_no_session(client):
    response = client.get("/exit")
    assert response.status_code == 303


def test_exit_address_is_configurable(make_app):
    client = make_app(QUICK_EXIT_URL="https://www.example.org/").test_client()
    assert client.get("/exit").headers["Location"] == "https://www.example.org/"


@pytest.mark.parametrize("path", PUBLIC_PAGES + ["/exit"])
def test_public_pages_are_never_cached(client, path):
    assert client.get(path).headers["Cache-Control"] == "no-store"


def test_session_cookie_attributes(make_app):
    app = make_app(SESSION_COOKIE_SECURE=True)
    client = app.test_client()
    client.get("/")
    # "__Host-": browsers accept it only over HTTPS from this very host, for the whole site, so a
    # sibling subdomain or a plain-HTTP page cannot plant a session (draft fixation).
    assert client.get_cookie("session") is None
    cookie = client.get_cookie("__Host-session")
    assert cookie.http_only and cookie.secure and cookie.same_site == "Lax"
    assert cookie.path == "/" and cookie.domain in ("", "localhost", None)
    assert "Domain=" not in str(client.get("/").headers.get("Set-Cookie", ""))
