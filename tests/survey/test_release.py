"""Responses become visible by the day: held until their day ends (Europe/London), then released
all together, in random order, under new ids (app/survey/release.py)."""

import threading
from datetime import date, datetime, timedelta
from pathlib import Path

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


def test_released_responses_are_shuffled_across_several_days_and_record_the_batch_s_last_day(app):
    with app.app_context():
        for index in range(30):
            day = date(2026, 6, 1 + index % 3)
            release.hold(day, "en", "v", [("area", f"a{index:02}")])
        db.session.commit()
        assert release.release_ended_days(date(2026, 6, 3)) == 20  # 1 and 2 June; 3 June waits
        released = db.session.execute(select(Answer.value, Response.submitted_on).join(Response)).all()
        assert sorted(value for value, _ in released) == sorted(f"a{i:02}" for i in range(30) if i % 3 != 2)
        assert {day for _, day in released} == {date(2026, 6, 2)}  # one batch: its last day
        assert release.waiting_count() == 10


def hold_days(app, days: dict[date, int]) -> None:
    with app.app_context():
        for day, how_many in days.items():
            for index in range(how_many):
                release.hold(day, "en", "v", [("area", "walsall"), ("difference_text", f"{day} {index}")])
        db.session.commit()
        db.session.remove()


def due_release(app, today: date, monkeypatch) -> int:
    """The release the first request (or the command) makes on `today`, under RELEASE_MIN_RESPONSES."""
    monkeypatch.setattr(release, "now_london", lambda: datetime(today.year, today.month, today.day, 0, 5, tzinfo=LONDON))
    with app.app_context():
        released = release.release_due()
        db.session.remove()
    return released


def released_days(app) -> list[date]:
    with app.app_context():
        days = sorted(db.session.scalars(select(Response.submitted_on)))
        db.session.remove()
    return days


def test_a_quiet_day_waits_until_a_batch_reaches_the_minimum(app, monkeypatch):
    """A release is never smaller than RELEASE_MIN_RESPONSES (by default the suppression threshold, 5):
    comparing every page before and after it then shows at least five people's answers together."""
    assert app.config["RELEASE_MIN_RESPONSES"] == app.config["STAFF_SUPPRESSION_THRESHOLD"] == 5
    monday = date(2026, 6, 8)
    hold_days(app, {monday: 1})
    assert due_release(app, monday + timedelta(days=1), monkeypatch) == 0  # one response: it waits
    hold_days(app, {monday + timedelta(days=1): 3})
    assert due_release(app, monday + timedelta(days=2), monkeypatch) == 0  # four: still waiting
    assert released_days(app) == []
    hold_days(app, {monday + timedelta(days=2): 1, monday + timedelta(days=3): 2})
    assert due_release(app, monday + timedelta(days=3), monkeypatch) == 5  # Thursday's two wait for their day
    # Every response of the batch records its last day: Monday's lone response is not told apart.
    assert released_days(app) == [monday + timedelta(days=2)] * 5
    assert counts(app) == (2, 5)


def test_the_minimum_can_be_set_and_follows_the_threshold(make_app):
    assert make_app(STAFF_SUPPRESSION_THRESHOLD=10).config["RELEASE_MIN_RESPONSES"] == 10
    assert make_app(STAFF_SUPPRESSION_THRESHOLD=10, RELEASE_MIN_RESPONSES="20").config["RELEASE_MIN_RESPONSES"] == 20
    with pytest.raises(RuntimeError):
        make_app(RELEASE_MIN_RESPONSES=0)


def test_after_the_survey_closes_a_batch_records_its_last_day_open(make_app, monkeypatch):
    closes = datetime(2026, 6, 10, tzinfo=LONDON)  # SURVEY_CLOSES=2026-06-09: open all of 9 June
    app = make_app(SURVEY_CLOSES=closes)
    hold_days(app, {date(2026, 6, 8): 3, date(2026, 6, 9): 2})
    assert due_release(app, date(2026, 6, 20), monkeypatch) == 5
    assert released_days(app) == [date(2026, 6, 9)] * 5


def test_a_release_is_in_chunks_of_at_least_the_minimum(app, monkeypatch):
    """Memory stays bounded (a chunk at a time) and no chunk is ever below the minimum, as a page
    read between two chunks' transactions must single out nobody."""
    monkeypatch.setattr(release, "CHUNK", 3)
    chunks = []
    of_responses = release.counts.of_responses
    monkeypatch.setattr(release.counts, "of_responses", lambda rows: chunks.append(len(rows)) or of_responses(rows))
    for held, expected in ((8, [3, 3, 2]), (7, [3, 4]), (2, [2]), (1, [])):
        chunks.clear()
        hold_days(app, {date(2026, 6, 8): held})
        with app.app_context():
            assert release.release_ended_days(date(2026, 6, 9), minimum=2) == sum(expected)
            db.session.remove()
        assert chunks == expected
    assert counts(app) == (1, 17)


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


def test_the_dashboard_never_says_how_many_are_waiting(app):
    """The number waiting moved as each response arrived, dating it to the minute on a quiet day."""
    make_user(app, role="viewer")
    staff = app.test_client()
    sign_in(staff)

    def page():
        main = soup(staff.get("/staff")).select_one("main")
        for token in main.select("input[name=csrf_token]"):
            token.decompose()
        return str(main)

    before = page()
    send(app)
    send(app)
    assert page() == before
    assert "batches of at least 5" in soup(staff.get("/staff")).select_one("#waiting").get_text()


def _after_midnight(app, monkeypatch, days=1):
    """Move the release's clock to 00:05 `days` days from now, London time, and make it look again."""
    day = today_london() + timedelta(days=days)
    moment = datetime(day.year, day.month, day.day, 0, 5, tzinfo=LONDON)
    monkeypatch.setattr(release, "now_london", lambda: moment)
    app.extensions["response_release"]["next"] = 0.0
    return moment


def _wait_for_the_release(app):
    thread = app.extensions["response_release"]["thread"]
    if thread is not None:
        thread.join(timeout=60)


def test_the_first_request_after_midnight_starts_the_release_in_a_thread_of_its_own(app, monkeypatch):
    hold_days(app, {today_london(): 5})
    app.test_client().get("/")
    _wait_for_the_release(app)
    assert counts(app) == (5, 0)  # the same day: still held
    threads = []
    run = release._release
    monkeypatch.setattr(release, "_release", lambda *args: threads.append(threading.current_thread()) or run(*args))
    _after_midnight(app, monkeypatch)
    assert app.test_client().get("/help").status_code == 200
    _wait_for_the_release(app)
    assert counts(app) == (0, 5)
    # Never in the respondent's request: it answered without waiting for the release.
    assert threads and threads[0] is not threading.main_thread() and threads[0].name == "response-release"


def test_a_release_still_running_a_minute_later_gets_no_second_thread(app, monkeypatch):
    # A release of 100,000 held takes minutes; each process looks again after RETRY_SECONDS.
    hold_days(app, {today_london(): 5})
    started, go_on = [], threading.Event()
    run = release._release

    def slow(*args):
        started.append(threading.current_thread())
        go_on.wait(60)
        return run(*args)

    monkeypatch.setattr(release, "_release", slow)
    _after_midnight(app, monkeypatch)
    assert app.test_client().get("/help").status_code == 200
    app.extensions["response_release"]["next"] = 0.0  # a minute later
    assert app.test_client().get("/help").status_code == 200
    go_on.set()
    _wait_for_the_release(app)
    assert len(started) == 1
    assert counts(app) == (0, 5)


def test_the_sqlite_lock_file_is_never_a_link_planted_in_its_place(app, tmp_path):
    with app.app_context():
        database = db.engine.url.database
        if db.engine.dialect.name != "sqlite":
            pytest.skip("the lock file is SQLite's; PostgreSQL takes an advisory lock")
        target = tmp_path / "elsewhere"
        Path(f"{database}-release.lock").unlink(missing_ok=True)
        Path(f"{database}-release.lock").symlink_to(target)
        with pytest.raises(OSError):
            release.release_ended_days(today_london() + timedelta(days=1))
        assert not target.exists()
        Path(f"{database}-release.lock").unlink()
        release.release_ended_days(today_london() + timedelta(days=1))
        mode = Path(f"{database}-release.lock").stat().st_mode & 0o777
        assert mode == 0o600


def test_the_release_command(app, monkeypatch):
    send(app)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["responses", "release"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Released 0 responses; some responses are held")
    hold_days(app, {today_london(): 4})
    _after_midnight(app, monkeypatch)
    result = runner.invoke(args=["responses", "release"])
    assert result.output == "Released 5 responses; no responses are held.\n"
    assert counts(app) == (0, 5)


def test_a_failed_release_keeps_the_responses_held_and_the_page_works(app, monkeypatch):
    hold_days(app, {today_london(): 5})
    _after_midnight(app, monkeypatch)

    def database_down(*args):
        raise OperationalError("DELETE", {}, Exception("database is down"))

    monkeypatch.setattr(release, "_release", database_down)
    assert app.test_client().get("/").status_code == 200
    _wait_for_the_release(app)
    assert counts(app) == (5, 0)
    monkeypatch.undo()
    _after_midnight(app, monkeypatch)  # a minute later
    app.test_client().get("/")  # tried again
    _wait_for_the_release(app)
    assert counts(app) == (0, 5)


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


def test_a_remainder_below_the_minimum_waits_for_a_decision_once_the_survey_has_closed(make_app, monkeypatch):
    from app.models import AuditEvent

    today = today_london()
    closes = datetime(today.year, today.month, today.day, tzinfo=LONDON) - timedelta(days=5)
    app = make_app(SURVEY_CLOSES=closes)
    runner = app.test_cli_runner()
    hold_days(app, {closes.date() - timedelta(days=2): 2})
    assert runner.invoke(args=["responses", "release"]).output.startswith("Released 0 responses; some")

    asked = runner.invoke(args=["responses", "release", "--below-minimum"], input="n\n")
    assert asked.exit_code == 1 and "whole set" in asked.output  # it explains, then asks; "n" changes nothing
    assert counts(app) == (2, 0)
    done = runner.invoke(args=["responses", "release", "--below-minimum"], input="y\n")
    assert done.exit_code == 0 and done.output.endswith("Released 2 responses below the minimum.\n")
    assert counts(app) == (0, 2)
    assert released_days(app) == [closes.date() - timedelta(days=1)] * 2  # the survey's last day

    hold_days(app, {closes.date() - timedelta(days=1): 3})
    gone = runner.invoke(args=["responses", "discard-held", "--yes"])
    assert gone.exit_code == 0 and gone.output.endswith("Discarded 3 held responses.\n")
    assert counts(app) == (0, 2)
    with app.app_context():
        events = [(event.action, event.details) for event in db.session.scalars(select(AuditEvent).order_by(AuditEvent.id))]
        db.session.remove()
    assert events == [
        ("release_below_minimum", {"responses": 2, "minimum": 5}),
        ("discard_held", {"responses": 3, "minimum": 5}),
    ]
    assert runner.invoke(args=["responses", "discard-held", "--yes"]).exit_code == 1  # nothing left to decide


def test_while_the_survey_is_open_nothing_is_released_below_the_minimum(app):
    hold_days(app, {today_london() - timedelta(days=2): 2})
    for command in (["responses", "release", "--below-minimum", "--yes"], ["responses", "discard-held", "--yes"]):
        result = app.test_cli_runner().invoke(args=command)
        assert result.exit_code == 1 and "has not closed" in result.output
    assert counts(app) == (2, 0)


@pytest.mark.parametrize("closed", [False, True])
def test_an_admin_is_told_of_a_remainder_only_once_the_survey_has_closed(make_app, closed):
    today = today_london()
    closes = datetime(today.year, today.month, today.day, tzinfo=LONDON) - timedelta(days=5)
    app = make_app(SURVEY_CLOSES=closes if closed else None)
    hold_days(app, {closes.date() - timedelta(days=2): 2})
    for role in ("viewer", "admin"):
        make_user(app, username=role, role=role)
        staff = app.test_client()
        sign_in(staff, username=role)
        note = soup(staff.get("/staff")).select_one("#held-after-close")
        assert (note is not None) == (closed and role == "admin")
    _wait_for_the_release(app)  # the first request looked for a release: two are too few
    assert counts(app) == (2, 0)
