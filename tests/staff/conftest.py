"""Fixtures for the staff area: an account, a signed-in client, responses made through the real survey."""

import pytest

from app.extensions import db
from app.staff import auth
from tests.helpers import Respondent, release_today, soup

USERNAME = "analyst"
PASSWORD = "correct horse battery"


@pytest.fixture
def staff_user(app):
    with app.app_context():
        auth.create_user(USERNAME, PASSWORD)


def sign_in(client, username=USERNAME, password=PASSWORD, token=None):
    """Post the sign-in form the way a browser would (with the CSRF token from the page)."""
    if token is None:
        token = soup(client.get("/staff/login")).select_one("input[name=csrf_token]")["value"]
    return client.post("/staff/login", data={"csrf_token": token, "username": username, "password": password})


def csrf_token(client, url="/staff"):
    return soup(client.get(url)).select_one("input[name=csrf_token]")["value"]


@pytest.fixture
def staff(client, staff_user):
    """A client signed in as a member of staff."""
    response = sign_in(client)
    assert response.status_code == 303, response.get_data(as_text=True)
    return client


@pytest.fixture
def submit_response(app):
    """Send one response through the public survey in a fresh browser, and release it (as the
    first request after midnight would); returns nothing."""

    def submit(answers=None, language=None):
        respondent = Respondent(app.test_client())
        last = respondent.complete(answers, language=language)
        assert last.headers["Location"] == "/check"
        assert respondent.submit().headers["Location"] == "/done"
        release_today(app)

    return submit


@pytest.fixture
def rows(app):
    """Insert responses directly: [(id, day, language, version, [(question id, value), ...]), ...]."""
    from app.models import Answer, Response

    def insert(items):
        with app.app_context():
            for response_id, day, language, version, answers in items:
                response = Response(id=response_id, submitted_on=day, language=language, questionnaire_version=version)
                response.answers = [Answer(question_id=q, value=v) for q, v in answers]
                db.session.add(response)
            db.session.commit()

    return insert
