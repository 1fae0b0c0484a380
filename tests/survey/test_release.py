"""Responses become visible by the day: held until their day ends (Europe/London), then released
all together, in random order, under new ids (app/survey/release.py)."""

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import inspect, select
from sqlalchemy.exc import OperationalError

from app.config import LONDON
from app.extensions import db
from app.models import Answer, PendingResponse, Response
from app.staff.summaries import tables as summaries
from app.survey import release
from app.survey.state import today_london
from tests.helpers import FULL_ANSWERS, Respondent, release_today, soup
from tests.staff.conftest import csrf_token, make_user, sign_in


def send(app, answers=None):
    respondent = Respondent(app.test_client())
    assert respondent.complete(answers).headers["Location"] == "/check"
    assert respondent.submit().headers["Location"] == "/done"


def counts(app) -> tuple[int, int]:
    with app.app_context():
        held = release.waiting_count()
        released = db.session.query(Response).count()
        db.session.remove()
    return held, released


def test_a_response_sent_today_waits_and_appears_after_the_day_ends(app):
    send(app)
    assert counts(app) == (1, 0)
    with app.app_context():
        held_id, held_day = db.session.execute(select(PendingResponse.id, PendingResponse.submitted_on).distinct()).one()
        # The answers and the day (with the language and version every response has), nothing more.
        columns = {column["name"] for column in inspect(db.engine).get_columns("pending_responses")}
        db.session.remove()
    assert columns == {"id", "part", "submitted_on", "language", "questionnaire_version", "answers"}
    assert held_day == today_london()
    with app.app_context():  # the release of the days before today leaves today's alone
        assert release.release_ended_days(today_london()) == 0
    assert counts(app) == (1, 0)

    assert release_today(app) == 1
    assert counts(app) == (0, 1)
    with app.app_context():
        response = db.session.scalars(select(Response)).one()
        assert response.submitted_on == held_day and response.id != held_id
        stored = {(answer.question_id, answer.value) for answer in response.answers}
    assert ("difference_text", FULL_ANSWERS["difference_text"]) in stored
    assert ("experiences", "followed") in stored and ("experiences", "comments") in stored


def test_a_release_claims_each_response_once(app):
    send(app)
    send(app)
    assert release_today(app) == 2
    assert release_today(app) == 0  # another process releasing at the same time finds nothing left
    assert counts(app) == (0, 2)


def test_released_responses_are_shuffled_across_several_days(app):
    with app.app_context():
        for index in range(30):
            day = date(2026, 6, 1 + index % 3)
            release.hold(day, "en", "v", [("area", f"a{index:02}")])
        db.session.commit()
        assert release.release_ended_days(date(2026, 6, 3)) == 20  # 1 and 2 June; 3 June waits
        released = db.session.execute(select(Answer.value, Response.submitted_on).join(Response)).all()
        assert sorted(value for value, _ in released) == sorted(f"a{i:02}" for i in range(30) if i % 3 != 2)
        assert all(day < date(2026, 6, 3) for _, day in released)
        assert release.waiting_count() == 10


def _export_and_summaries(app, client) -> tuple[bytes, str, str]:
    export = client.post("/staff/export.csv", data={"csrf_token": csrf_token(client, "/staff/export"), "bom": "0"})
    assert export.status_code == 200
    csv = export.get_data()  # read it all now: a streamed response keeps its request's context open
    dashboard = soup(client.get("/staff"))
    waiting = dashboard.select_one("#waiting")
    waiting.decompose()  # the one line that says how many are waiting, by design
    for token in dashboard.select("input[name=csrf_token]"):
        token.decompose()  # signed with the second it was made: two pages a second apart differ there only
    with app.app_context():
        figures = repr((summaries.total_responses(), summaries.responses_per_day(), summaries.option_counts(),
                        summaries.answered_counts()))
        db.session.remove()
    return csv, str(dashboard.select_one("main")), figures


def test_exports_and_summaries_do_not_change_with_a_response_sent_today(app):
    make_user(app)
    staff = app.test_client()
    assert sign_in(staff).status_code == 303
    send(app)
    release_today(app)
    before = _export_and_summaries(app, staff)

    send(app, {**FULL_ANSWERS, "area": "walsall", "difference_text": "Sent an hour later"})
    after = _export_and_summaries(app, staff)
    assert after == before  # two exports an hour apart tell nothing about who answered in between

    release_today(app)
    released = _export_and_summaries(app, staff)
    assert b"Sent an hour later" in released[0] and b"Sent an hour later" not in before[0]
    assert released[0].count(b"\r\n") == before[0].count(b"\r\n") + 1
    assert released[2] != before[2]


def test_the_dashboard_says_how_many_are_waiting_and_when_they_appear(app):
    make_user(app)
    staff = app.test_client()
    sign_in(staff)
    send(app)
    send(app)
    line = soup(staff.get("/staff")).select_one("#waiting").get_text(" ", strip=True)
    assert line.startswith("2 responses sent today are waiting")
    assert "appear tomorrow" in line
    release_today(app)
    assert soup(staff.get("/staff")).select_one("#waiting").get_text().startswith("0 responses")


def _tomorrow(monkeypatch):
    """Move this process's clock to 00:05 tomorrow, London time."""
    tomorrow = today_london() + timedelta(days=1)
    moment = datetime(tomorrow.year, tomorrow.month, tomorrow.day, 0, 5, tzinfo=LONDON)
    monkeypatch.setattr(release, "now_london", lambda: moment)
    monkeypatch.setattr(release.time, "time", lambda: moment.timestamp())
    return moment


def test_the_first_request_after_midnight_releases_the_day_that_ended(app, monkeypatch):
    send(app)
    app.test_client().get("/")
    assert counts(app) == (1, 0)  # the same day: still held
    _tomorrow(monkeypatch)
    assert app.test_client().get("/help").status_code == 200
    assert counts(app) == (0, 1)


def test_the_release_command(app, monkeypatch):
    send(app)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["responses", "release"])
    assert result.exit_code == 0, result.output
    assert result.output == "Released 0 responses; 1 sent today are waiting for the day to end.\n"
    moment = _tomorrow(monkeypatch)
    monkeypatch.setattr("app.survey.state.now_london", lambda: moment)
    result = runner.invoke(args=["responses", "release"])
    assert result.output == "Released 1 responses; 0 sent today are waiting for the day to end.\n"
    assert counts(app) == (0, 1)


def test_a_failed_release_keeps_the_responses_held_and_the_page_works(app, monkeypatch):
    send(app)
    _tomorrow(monkeypatch)

    def database_down(today):
        raise OperationalError("DELETE", {}, Exception("database is down"))

    monkeypatch.setattr(release, "release_ended_days", database_down)
    assert app.test_client().get("/").status_code == 200
    assert counts(app) == (1, 0)
    monkeypatch.undo()
    _tomorrow(monkeypatch)
    app.test_client().get("/")  # tried again on the next request
    assert counts(app) == (0, 1)


@pytest.mark.parametrize("path", ["/exit"])
def test_exit_after_sending_keeps_the_held_response(app, path):
    respondent = Respondent(app.test_client())
    respondent.complete()
    respondent.submit()
    respondent.client.get(path)
    assert counts(app) == (1, 0)


def test_nothing_confirmed_is_lost_when_the_release_fails_midway(app, monkeypatch):
    """The release is one transaction: an insert that fails leaves every response held."""
    send(app)
    send(app)

    def broken(*args, **kwargs):
        raise OperationalError("INSERT", {}, Exception("disk full"))

    with app.app_context():
        monkeypatch.setattr(release, "insert", broken)
        with pytest.raises(OperationalError):
            release.release_ended_days(today_london() + timedelta(days=1))
        db.session.rollback()
        db.session.remove()
    assert counts(app) == (2, 0)
