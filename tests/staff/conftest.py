"""Fixtures for the staff area: accounts of each role, a signed-in client (password and two-factor code,
through the real forms), responses made through the real survey."""

import pyotp
import pytest
from sqlalchemy import select

from app import counts
from app.extensions import db
from app.models import StaffUser
from app.staff import auth
from tests.helpers import Respondent, release_today, soup

USERNAME = "sam"
PASSWORD = "correct horse battery"
TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def make_user(app, username=USERNAME, role="admin", enrolled=True):
    """An account with a password and, unless `enrolled` is False, two-factor already set up."""
    with app.app_context():
        auth.create_user(username, PASSWORD, role)
        if enrolled:
            user = auth.find_user(username)
            user.totp_secret = TOTP_SECRET
            db.session.commit()


@pytest.fixture
def staff_user(app):
    make_user(app)


def next_code(app, username=USERNAME, secret=TOTP_SECRET):
    """A code the account has not used yet (each time-step works once; the next one is accepted too)."""
    with app.app_context():
        last = db.session.scalar(select(StaffUser.totp_last_step).where(StaffUser.username == username))
    totp = pyotp.TOTP(secret)
    step = totp.timecode(auth.clock.now())
    step = max(step - 1, (last or 0) + 1)
    return totp.generate_otp(step)


def csrf_token(client, url="/staff"):
    return soup(client.get(url)).select_one("input[name=csrf_token]")["value"]


def post_password(client, username=USERNAME, password=PASSWORD, token=None):
    if token is None:
        token = csrf_token(client, "/staff/login")
    return client.post("/staff/login", data={"csrf_token": token, "username": username, "password": password})


def sign_in(client, username=USERNAME, password=PASSWORD, code=None):
    """Both steps, the way a browser would. Returns the last response (303 to /staff on success)."""
    response = post_password(client, username, password)
    if response.status_code != 303 or response.headers["Location"] != "/staff/two-factor":
        return response
    token = csrf_token(client, "/staff/two-factor")
    return client.post(
        "/staff/two-factor", data={"csrf_token": token, "code": code or next_code(client.application, username)}
    )


def staff_cookie(client):
    cookie = client.get_cookie("staff")
    return cookie.value if cookie else None


@pytest.fixture
def staff(client, staff_user):
    """A client signed in as an admin."""
    response = sign_in(client)
    assert response.status_code == 303 and response.headers["Location"] == "/staff", response.get_data(as_text=True)
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
            db.session.flush()
            counts.rebuild()  # written without a release: count them as one would
            db.session.commit()

    return insert
