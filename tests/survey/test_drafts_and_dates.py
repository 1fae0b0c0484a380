"""Drafts expire after the idle time; outside the opening dates no answer is accepted."""

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select, update

from app.config import LONDON, parse_london_time
from app.extensions import db
from app.models import Draft, Response
from app.survey import drafts
from app.survey.state import survey_status
from tests.helpers import Respondent, question_url, soup


def expire_all_drafts(app):
    with app.app_context():
        past = datetime.now(timezone.utc) - timedelta(minutes=1)
        db.session.execute(update(Draft).values(expires_at=past))
        db.session.commit()


def test_expired_draft_shows_a_clear_page(app, client, respondent):
    respondent.start()
    respondent.answer("safe_day")
    expire_all_drafts(app)
    response = client.get(question_url("safe_dark"))
    assert response.status_code == 200
    page = soup(response)
    assert page.select_one("h1").get_text(strip=True) == "Your answers were deleted"
    assert "60 minutes" in page.get_text()
    assert page.select_one("form[action='/start'] button")
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Draft)) == 0


def test_posting_to_an_expired_draft_shows_the_same_page(app, client, respondent):
    respondent.start()
    expire_all_drafts(app)
    response = respondent.answer("safe_day")
    assert response.status_code == 200
    assert soup(response).select_one("h1").get_text(strip=True) == "Your answers were deleted"
    # Then "Start again" begins a fresh draft.
    assert respondent.start().headers["Location"] == "/question/1"


def test_submitting_an_expired_draft_stores_nothing(app, respondent):
    respondent.complete()
    expire_all_drafts(app)
    assert respondent.submit().status_code == 200
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Response)) == 0


def test_idle_time_is_configurable(make_app):
    app = make_app(DRAFT_IDLE_MINUTES=15)
    client = app.test_client()
    assert "15 minutes" in soup(client.get("/")).get_text()
    Respondent(client).start()
    with app.app_context():
        draft = db.session.scalars(select(Draft)).one()
        left = drafts._aware(draft.expires_at) - datetime.now(timezone.utc)
        assert timedelta(minutes=13) < left <= timedelta(minutes=15)


def test_expired_drafts_are_purged_when_new_respondents_arrive(app):
    first = Respondent(app.test_client())
    first.start()
    expire_all_drafts(app)
    Respondent(app.test_client()).start()
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Draft)) == 1


def test_purge_command(app, runner):
    Respondent(app.test_client()).start()
    expire_all_drafts(app)
    result = runner.invoke(args=["drafts", "purge"])
    assert "Deleted 1 expired drafts" in result.output


def test_draft_key_is_a_hash_of_the_cookie_token(app, client, respondent):
    respondent.start()
    with client.session_transaction() as session:
        token = session["draft"]
    with app.app_context():
        draft = db.session.scalars(select(Draft)).one()
        assert draft.id != token and len(draft.id) == 64


@pytest.mark.parametrize(
    "opens, closes, now, expected",
    [
        (None, None, "2021-06-10T12:00", "open"),
        ("2021-06-08", "2021-06-22", "2021-06-07T23:59", "not_yet"),
        ("2021-06-08", "2021-06-22", "2021-06-08T00:00", "open"),
        ("2021-06-08", "2021-06-22", "2021-06-22T23:59", "open"),  # a closing date is open all that day
        ("2021-06-08", "2021-06-22", "2021-06-23T00:00", "closed"),
        (None, "2021-06-22T17:00", "2021-06-22T17:00", "closed"),
    ],
)
def test_survey_status(opens, closes, now, expected):
    status = survey_status(
        parse_london_time(opens), parse_london_time(closes, end_of_day=True),
        datetime.fromisoformat(now).replace(tzinfo=LONDON),
    )
    assert status == expected


def test_closed_survey_says_so_with_the_date_and_accepts_nothing(make_app):
    app = make_app(SURVEY_CLOSES=parse_london_time("2021-06-22", end_of_day=True))
    client = app.test_client()
    page = soup(client.get("/"))
    assert "This survey has closed" in page.get_text()
    assert "22 June 2021" in page.get_text()
    assert not page.select("form[action='/start']")
    assert client.post("/start").status_code in (400, 403)
    assert client.get("/question/1").status_code == 200
    assert "This survey is not open" in soup(client.get("/question/1")).get_text()
    assert client.get("/help").status_code == 200


def test_not_yet_open(make_app):
    opens = datetime.now(LONDON) + timedelta(days=3)
    client = make_app(SURVEY_OPENS=opens).test_client()
    text = soup(client.get("/")).get_text()
    assert "not open yet" in text and str(opens.year) in text


def test_draft_in_progress_when_the_survey_closes(app, client, respondent):
    respondent.complete()
    app.config["SURVEY_CLOSES"] = datetime.now(LONDON) - timedelta(minutes=1)
    response = respondent.submit()
    assert response.status_code == 403
    assert "This survey is not open" in soup(response).get_text()
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Response)) == 0


def test_production_refuses_to_start_without_a_secret_key():
    from app import create_app

    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app({"ENV_NAME": "production", "SECRET_KEY": None})
