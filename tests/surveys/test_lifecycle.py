"""The survey as a stored, versioned record: SURVEY_FILE seeds an empty database, `flask survey publish`
makes a new version live on every app sharing the database within the stamp's life, problems keep
nothing, refusals come before "make live", and a restart never undoes a published version."""

from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from app.config import LANGUAGES, LONDON
from app.extensions import db
from app.models import AuditEvent, SurveyFile
from app.questionnaire import QUESTIONNAIRE
from app.questionnaire.xlsform import SurveyFileError
from app.surveys import lifecycle, live
from tests.helpers import soup
from tests.questionnaire.test_versions import answered, csrf, files, form, kind_changed  # noqa: F401 (fixture)
from tests.questionnaire.xlsforms import write_form


class Clock:
    """The stamps' clock, moved on by hand instead of sleeping."""

    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


@pytest.fixture
def clock(monkeypatch):
    frozen = Clock()
    monkeypatch.setattr(live, "clock", frozen)
    return frozen


def rows(app) -> list[tuple[str, str, str, str | None]]:
    with app.app_context():
        found = db.session.execute(
            select(SurveyFile.version, SurveyFile.state, SurveyFile.uploaded_by, SurveyFile.made_live_by).order_by(SurveyFile.id)
        ).all()
        db.session.remove()
    return [tuple(row) for row in found]


def heading(client) -> str:
    return soup(client.get("/")).select_one("h1").get_text(strip=True)


def publish(app, path):
    return app.test_cli_runner().invoke(args=["survey", "publish", str(path)])


def test_survey_file_seeds_an_empty_database_at_the_first_request(make_app, files, clock):
    app = make_app(SURVEY_FILE=files["v1"])  # built before `flask db upgrade`: nothing stored yet
    assert rows(app) == []
    assert heading(app.test_client()) == "Tell us"
    assert rows(app) == [("v1", "live", "command line", "command line")]
    make_app(SURVEY_FILE=files["v1"])  # a restart adds nothing
    assert rows(app) == [("v1", "live", "command line", "command line")]


def test_a_published_version_reaches_another_worker_within_the_stamps_life(make_app, files, clock, tmp_path):
    first = make_app(SURVEY_FILE=files["v1"])
    other = make_app(SURVEY_FILE=files["v1"])  # a second worker on the same database
    visitor = other.test_client()
    assert heading(visitor) == "Tell us"
    v2 = form("v2")
    v2["settings"][0]["start_title"] = "Tell us again"
    done = publish(first, write_form(tmp_path / "v2.xlsx", v2))
    assert done.exit_code == 0, done.output
    assert "Version v2 is live (before: v1)." in done.output
    assert heading(first.test_client()) == "Tell us again"  # the worker that made it live: at once
    clock.now += live.STAMP_SECONDS - 0.1
    assert heading(visitor) == "Tell us"  # the other still within its stamp's life
    clock.now += 0.2
    assert heading(visitor) == "Tell us again"
    assert rows(first) == [("v1", "retired", "command line", "command line"), ("v2", "live", "command line", "command line")]
    with first.app_context():
        event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "survey_made_live")).one()
        assert (event.actor, event.details["version"], event.details["before"]) == (None, "v2", "v1")


def test_a_file_with_problems_keeps_nothing(make_app, files, clock, tmp_path):
    app = make_app(SURVEY_FILE=files["v1"])
    broken = form("v2")
    broken["survey"][0]["type"] = "select_one nowhere"
    path = write_form(tmp_path / "broken.xlsx", broken)
    done = publish(app, path)
    assert done.exit_code == 1
    assert "survey row 2, column type" in done.output and "nothing was kept" in done.output
    with app.app_context():
        with pytest.raises(SurveyFileError):
            lifecycle.upload(path.read_bytes(), "kim")
        assert db.session.scalars(select(SurveyFile)).all() == []
        assert db.session.scalars(select(AuditEvent)).all() == []


def test_refusals_are_reported_before_make_live_and_make_live_refuses(make_app, files, clock, tmp_path):
    app = make_app(SURVEY_FILE=files["v1"])
    answered(app)  # v1 has a response now
    with app.test_request_context():
        draft = lifecycle.upload(Path(kind_changed(tmp_path)).read_bytes(), "kim")
        refused = lifecycle.problems_before_live(draft)
        assert len(refused) == 1 and "question 'q_pets' was a multiple question under version 'v1'" in refused[0]
        with pytest.raises(lifecycle.NotMadeLive) as stopped:
            lifecycle.make_live(draft, "kim")
        assert stopped.value.problems == refused
        assert QUESTIONNAIRE.version == "v1"
    assert rows(app) == [("v1", "live", "command line", "command line"), ("v2", "draft", "kim", None)]


def test_changes_are_shown_line_by_line_in_each_language(make_app, files, clock):
    app = make_app(SURVEY_FILE=files["v1"])
    with app.test_request_context():
        QUESTIONNAIRE.version  # seeds v1
        draft = lifecycle.upload(Path(files["v2"]).read_bytes(), "kim")
        changed = lifecycle.changes(draft, lifecycle.live_file())
    assert set(changed) == set(LANGUAGES)
    assert changed["en"][:2] == ["--- live (version v1)", "+++ draft (version v2)"]
    assert "+  q_new (single, required): Is this new?" in changed["en"]
    assert "-  q_old (multiple, required): Old things?" in changed["en"]
    assert "+  q_new (single, required): Is this new? [ur]" in changed["ur"]


def test_a_restart_with_another_survey_file_does_not_undo_a_published_version(make_app, files, clock, caplog):
    app = make_app(SURVEY_FILE=files["v1"])
    heading(app.test_client())  # v1 stored at the first request
    assert publish(app, files["v2"]).exit_code == 0
    restarted = make_app(SURVEY_FILE=files["v1"])  # the old file still in the environment
    assert "is not the live version (v2), which the database keeps: the database wins" in caplog.text
    with restarted.app_context():
        assert QUESTIONNAIRE.version == "v2"
    assert [state for _, state, _, _ in rows(app)] == ["retired", "live"]


def test_download_gives_back_the_stored_bytes(make_app, files, clock, tmp_path):
    app = make_app(SURVEY_FILE=files["v1"])
    heading(app.test_client())  # v1 stored at the first request
    assert publish(app, files["v2"]).exit_code == 0
    runner = app.test_cli_runner()
    assert runner.invoke(args=["survey", "download", str(tmp_path / "live.xlsx")]).exit_code == 0
    assert runner.invoke(args=["survey", "download", "--version", "v1", str(tmp_path / "v1.xlsx")]).exit_code == 0
    assert (tmp_path / "live.xlsx").read_bytes() == Path(files["v2"]).read_bytes()
    assert (tmp_path / "v1.xlsx").read_bytes() == Path(files["v1"]).read_bytes()
    missing = runner.invoke(args=["survey", "download", "--version", "v9", str(tmp_path / "v9.xlsx")])
    assert missing.exit_code == 1 and "No survey file is stored under version v9." in missing.output


def test_the_page_cache_never_serves_a_page_of_the_old_version(make_app, files, clock, tmp_path):
    app = make_app(SURVEY_FILE=files["v1"])
    client = app.test_client()
    token = csrf(client)
    client.post("/start", data={"csrf_token": token})
    assert soup(client.get("/question/1")).select_one("legend, h1").get_text(strip=True).startswith("Which area?")  # cached
    renamed = form("v1")
    renamed["settings"][0]["version"] = "v1.1"
    renamed["survey"][1]["label"] = "Which area do you live in?"
    assert publish(app, write_form(tmp_path / "v1.1.xlsx", renamed)).exit_code == 0
    assert soup(client.get("/question/1")).select_one("legend, h1").get_text(strip=True).startswith("Which area do you live in?")


def test_dates_set_here_replace_the_environments_and_close_now_and_open_again(make_app, files, clock):
    later = datetime.now(LONDON) + timedelta(days=30)
    app = make_app(SURVEY_FILE=files["v1"], SURVEY_CLOSES=later)
    other = make_app(SURVEY_FILE=files["v1"], SURVEY_CLOSES=later)
    visitor = other.test_client()
    assert visitor.post("/start", data={"csrf_token": csrf(visitor)}).status_code == 303
    with app.test_request_context():
        lifecycle.close_now("kim")
    clock.now += live.STAMP_SECONDS
    closed = visitor.get("/question/1")
    assert closed.status_code == 200 and soup(closed).select_one("h1").get_text(strip=True) == "This survey is not open"
    with app.test_request_context():
        lifecycle.open_again("kim")
        assert live.dates() == (None, None)
        soon = datetime.now(LONDON).replace(microsecond=0) + timedelta(days=1)
        lifecycle.set_dates(None, soon, "kim")
        assert live.dates() == (None, soon)
        with pytest.raises(ValueError):
            lifecycle.set_dates(soon, soon, "kim")
        actions = db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert actions == ["survey_closed", "survey_opened", "survey_dates_set"]
    clock.now += live.STAMP_SECONDS
    assert soup(visitor.get("/question/1")).select_one("legend, h1").get_text(strip=True).startswith("Which area?")
