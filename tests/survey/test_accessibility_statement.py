"""The accessibility statement: linked from every public page, the owner's parts from configuration, and a
plain sentence wherever the owner has not given one."""

from datetime import date, datetime, timedelta, timezone

import pytest

from app.config import LANGUAGES
from tests.helpers import soup

NOT_GIVEN = "The organisation running this survey has not yet given"


def test_every_public_page_links_to_the_statement(client):
    for path in ("/", "/help", "/privacy", "/leaving-quickly", "/accessibility", "/no-such-page"):
        footer = soup(client.get(path)).select_one("footer")
        assert footer.select_one('a[href="/accessibility"]'), path


def test_the_owner_s_parts_come_from_configuration(make_app):
    app = make_app(
        ORGANISATION_NAME="West Midlands Police",
        ACCESSIBILITY_CONTACT="accessibility@example.org\nPhone: 0121 000 0000",
        ACCESSIBILITY_STATEMENT_DATE=date(2026, 12, 1),
        ACCESSIBILITY_REVIEWED=date(2027, 3, 2),
        TRANSLATIONS_REVIEWED=True,
    )
    page = soup(app.test_client().get("/accessibility"))
    text = " ".join(page.select_one("main").get_text(" ").split())
    assert "It is run by West Midlands Police." in text
    assert page.select_one('a[href="mailto:accessibility@example.org"]')
    assert "Phone: 0121 000 0000" in text
    assert "This statement was prepared on 1 December 2026." in text
    assert "It was last reviewed on 2 March 2027." in text
    assert NOT_GIVEN not in text
    assert "native speakers" not in text


def test_what_the_owner_has_not_given_is_said_plainly(client):
    page = soup(client.get("/accessibility"))
    given = [strong.get_text() for strong in page.select("main strong")]
    assert [line.startswith(NOT_GIVEN) for line in given] == [True, True, True]
    assert "It has not yet been reviewed." in page.select_one("main").get_text()
    # Until they are reviewed, the unreviewed translations are the known problem.
    assert "not yet been checked by native speakers" in page.select_one("main").get_text()


def test_the_enforcement_bodies_are_named(client):
    page = soup(client.get("/accessibility"))
    links = {a["href"] for a in page.select("main a")}
    assert {"https://www.equalityadvisoryservice.com/", "https://www.equalityni.org/Home"} <= links


@pytest.mark.parametrize("code", list(LANGUAGES))
def test_the_title_stays_neutral(client, code):
    """Page titles end up in browser history: the statement's says nothing about the survey's subject."""
    title = soup(client.get(f"/accessibility?lang={code}")).title.get_text()
    assert "safety" not in title.lower() and "statement" not in title.lower()


def test_the_statement_is_there_when_the_survey_is_closed(make_app):
    app = make_app(SURVEY_CLOSES=datetime.now(timezone.utc) - timedelta(days=3))
    response = app.test_client().get("/accessibility")
    assert response.status_code == 200
    assert soup(response).select_one("h1").get_text() == "Accessibility statement"
