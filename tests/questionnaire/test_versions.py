"""Changing the survey while it is live: a new `version` of the spreadsheet, drafts begun under the old
one, the definitions kept in the database, and exports and codebook covering every version answered.

v1 and v2 are small XLSForms built here. v2 adds a question on a page before the others, adds an
option, removes an option of a single and of a multiple choice, and removes a question.
"""

import csv
import hashlib
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app import create_app
from app.extensions import db
from app.models import Answer, PendingResponse, QuestionnaireVersion, Response
from app.models import SurveyFile
from app.questionnaire import QUESTIONNAIRE, engine, questionnaire_for, versions
from app.surveys import live
from app.staff.exports import r as r_export
from tests.helpers import release_today, soup
from tests.questionnaire.xlsforms import write_form
from tests.staff.conftest import make_user, sign_in
from tests.staff.test_export import post_csv

ROOT = Path(__file__).resolve().parents[2]
FLASK = Path(sys.executable).parent / "flask"


def form(version: str) -> dict:
    v2 = version == "v2"
    survey = [
        {"type": "select_one yn", "name": "q_new", "label": "Is this new?", "required": "yes"} if v2 else None,
        {"type": "begin_group", "name": "p_where", "label": "Where", "appearance": "field-list"},
        {"type": "select_one areas", "name": "q_area", "label": "Which area?", "required": "yes"},
        {"type": "end_group"},
        {"type": "select_one feel", "name": "q_feel", "label": "How do you feel?", "required": "yes"},
        None if v2 else {"type": "select_multiple things", "name": "q_old", "label": "Old things?", "required": "yes"},
        {"type": "select_multiple pets", "name": "q_pets", "label": "Which pets?", "required": "yes"},
        {"type": "text", "name": "q_text", "label": "Anything else?"},
    ]
    choices = [
        ("yn", "yes", "Yes"), ("yn", "no", "No"),
        ("areas", "north", "North"), ("areas", "south", "South"), ("areas", "east", "East"),
        ("feel", "safe", "Safe"), ("feel", "unsafe", "Unsafe"), ("feel", "gone", "Gone option"),
        ("things", "a", "Thing A"), ("things", "b", "Thing B"),
        ("pets", "cat", "Cat"), ("pets", "dog", "Dog"), ("pets", "hamster", "Hamster"),
    ]
    removed = {("feel", "gone"), ("pets", "hamster"), ("things", "a"), ("things", "b")} if v2 else {("yn", "yes"), ("yn", "no")}
    if v2:
        choices.append(("areas", "west", "West"))
    return {
        "survey": [row for row in survey if row],
        "choices": [{"list_name": l, "name": n, "label": t} for l, n, t in choices if (l, n) not in removed],
        "settings": [{"form_title": "Test", "version": version, "default_language": "English (en)", "minutes": 3,
                      "start_title": "Tell us", "purpose": "Why we ask"}],
    }


V1_ANSWERS = {"q_area": "north", "q_feel": "gone", "q_old": ["a"], "q_pets": ["cat", "hamster"], "q_text": "hello"}
V2_ANSWERS = {"q_new": "no", "q_area": "west", "q_feel": "unsafe", "q_pets": ["dog"], "q_text": ""}


@pytest.fixture
def files(tmp_path):
    return {version: str(write_form(tmp_path / f"{version}.xlsx", form(version))) for version in ("v1", "v2")}


@pytest.fixture(autouse=True)
def frozen_clock(monkeypatch):
    """The stamps' clock stands still: an app reads the live version once, and again only after it
    made one live itself, so which version each app serves never depends on how fast a test runs."""
    monkeypatch.setattr(live, "clock", lambda: 1000.0)


def published(make_app, path: str):
    """An app of the service after `flask survey publish FILE` (before survey files were stored in the
    database, a restart with the new SURVEY_FILE)."""
    app = make_app(SURVEY_FILE=path)
    done = app.test_cli_runner().invoke(args=["survey", "publish", path])
    assert done.exit_code == 0, done.output
    return app


def csrf(client) -> str:
    return soup(client.get("/")).select_one("input[name=csrf_token]")["value"]


def walk(client, answers: dict):
    """Start (or continue) and answer every page asked with `answers`, as a browser would; ends at /check."""
    token = csrf(client)
    response = client.post("/start", data={"csrf_token": token})
    while "/question/" in response.headers.get("Location", ""):
        response = client.post(response.headers["Location"], data={"csrf_token": token, **answers})
        assert response.status_code == 303, response.get_data(as_text=True)
    assert response.headers["Location"] == "/check"
    return response


def same_browser(client, app):
    """A client of `app` holding the cookie of `client`: the respondent after the server restarted."""
    moved = app.test_client()
    moved.set_cookie("session", client.get_cookie("session").value)
    return moved


def stored(app) -> list[tuple[str, str, list]]:
    with app.app_context():
        rows = db.session.execute(select(Response.id, Response.questionnaire_version)).all()
        result = []
        for response_id, version in rows:
            answers = db.session.execute(
                select(Answer.question_id, Answer.value).where(Answer.response_id == response_id)
            ).all()
            result.append((version, sorted(map(tuple, answers))))
        db.session.remove()
    return sorted(result)


def test_known_answers_drops_what_the_questionnaire_no_longer_has(files):
    v2 = questionnaire_for(files["v2"])
    answers = {**V1_ANSWERS, "q_gone_for_ever": "x", "q_text": ["not text"], "q_pets": ["hamster"]}
    assert engine.known_answers(v2, answers) == {"q_area": "north"}
    assert engine.known_answers(v2, {"q_pets": ["cat", "hamster"], "q_text": ""}) == {"q_pets": ["cat"], "q_text": ""}
    assert engine.known_answers(v2, {"q_new": ""}) == {}  # skipped when optional, required now: asked again
    every = {"q_new": "yes", **V2_ANSWERS}
    assert engine.known_answers(v2, every) == every  # a draft of the current version is left as it is


def test_a_draft_begun_under_v1_continues_under_v2(make_app, files):
    v1_app = make_app(SURVEY_FILE=files["v1"])
    before = v1_app.test_client()
    walk(before, V1_ANSWERS)
    assert before.get("/check").status_code == 200

    v2_app = published(make_app, files["v2"])
    client = same_browser(before, v2_app)
    # Sending the check page shown under v1 sends nothing: v2 has a question still to answer.
    sent_early = client.post("/check", data={"csrf_token": csrf(client)})
    assert sent_early.status_code == 302 and sent_early.headers["Location"] == "/question/1"
    release_today(v2_app)
    assert stored(v2_app) == []
    # The new question, on the first page, is the first still to answer, wherever the respondent goes.
    assert client.get("/check").headers["Location"] == "/question/1"
    assert client.get("/question/3").headers["Location"] == "/question/1"
    start = soup(client.get("/"))
    token = start.select_one("input[name=csrf_token]")["value"]
    assert client.post("/start", data={"csrf_token": token}).headers["Location"] == "/question/1"
    page = soup(client.get("/question/1"))
    assert page.select_one("h1, legend").get_text(strip=True).startswith("Is this new?")

    assert client.post("/question/1", data={"csrf_token": token, "q_new": "yes"}).status_code == 303
    # The area saved under v1 is still there; the removed option of "How do you feel?" is asked again.
    assert soup(client.get("/question/2")).select_one("input[name=q_area][value=north]").has_attr("checked")
    assert client.get("/check").headers["Location"] == "/question/3"
    feel = soup(client.get("/question/3"))
    assert not feel.select("input[name=q_feel][checked]")
    assert client.post("/question/3", data={"csrf_token": token, "q_feel": "safe"}).headers["Location"] == "/question/4"
    pets = soup(client.get("/question/4"))
    assert [i["value"] for i in pets.select("input[name=q_pets][checked]")] == ["cat"]
    assert soup(client.get("/question/5")).select_one("textarea[name=q_text]").get_text() == "hello"

    check = client.get("/check")
    assert check.status_code == 200
    summary = {dt.get_text(strip=True): dt.find_next("dd").get_text(" ", strip=True) for dt in soup(check).select("dl dt")}
    assert summary == {
        "Is this new?": "Yes", "Which area?": "North", "How do you feel?": "Safe", "Which pets?": "Cat",
        "Anything else?": "hello",
    }
    sent = client.post("/check", data={"csrf_token": token})
    assert sent.status_code == 303 and sent.headers["Location"] == "/done"
    assert client.get("/done").status_code == 200
    release_today(v2_app)
    assert stored(v2_app) == [
        ("v2", [("q_area", "north"), ("q_feel", "safe"), ("q_new", "yes"), ("q_pets", "cat"), ("q_text", "hello")]),
    ]


def test_a_draft_with_nothing_left_starts_again_from_the_first_page(make_app, files, tmp_path):
    v1_app = make_app(SURVEY_FILE=files["v1"])
    before = v1_app.test_client()
    token = csrf(before)
    before.post("/start", data={"csrf_token": token})
    before.post("/question/1", data={"csrf_token": token, "q_area": "north"})
    other = form("v2")
    other["choices"] = [c for c in other["choices"] if c["name"] != "north"]
    other["settings"][0]["version"] = "v3"
    v3_app = published(make_app, str(write_form(tmp_path / "v3.xlsx", other)))
    client = same_browser(before, v3_app)
    start = soup(client.get("/"))
    assert client.get("/question/2").headers["Location"] == "/question/1"
    assert client.get("/question/1").status_code == 200
    assert start.select_one("main form button")  # no error anywhere


def test_each_version_is_kept_once_and_a_changed_definition_under_the_same_version_is_not_made_live(make_app, files, tmp_path, caplog):
    v1_app = make_app(SURVEY_FILE=files["v1"])  # the table did not exist when it started: stored at the first request
    client = v1_app.test_client()
    walk(client, V1_ANSWERS)
    client.post("/check", data={"csrf_token": csrf(client)})
    make_app(SURVEY_FILE=files["v1"])  # restarted, unchanged: starts
    published(make_app, files["v2"])
    published(make_app, files["v2"])
    with v1_app.app_context():
        kept = db.session.execute(select(QuestionnaireVersion.version, QuestionnaireVersion.definition).order_by(QuestionnaireVersion.id)).all()
    assert [version for version, _ in kept] == ["v1", "v2"]
    assert [q["id"] for q in kept[0][1]["questions"]] == ["q_area", "q_feel", "q_old", "q_pets", "q_text"]
    assert kept[0][1]["questions"][1] == {
        "id": "q_feel", "page": "q_feel", "shown_when": "always", "kind": "single", "text": "How do you feel?",
        "summary_label": None, "required": True, "max_length": None,
        "options": [{"code": "safe", "label": "Safe", "exclusive": False}, {"code": "unsafe", "label": "Unsafe", "exclusive": False},
                    {"code": "gone", "label": "Gone option", "exclusive": False}],
    }

    changed = form("v1")
    changed["choices"][-1]["label::English (en)"] = "Hamsters"  # a changed text under the same version
    changed_file = str(write_form(tmp_path / "changed.xlsx", changed))
    done = v1_app.test_cli_runner().invoke(args=["survey", "publish", changed_file])
    assert done.exit_code == 1
    assert "version 'v1' was used before with other questions or texts, and has responses; give this file a new version" in done.output
    assert "Version v1 was not made live; it is kept as a draft." in done.output
    # A restart with that file starts, and serves the live version: the database wins.
    restarted = make_app(SURVEY_FILE=changed_file)
    assert "is not the live version (v2), which the database keeps: the database wins" in caplog.text
    with restarted.app_context():
        assert QUESTIONNAIRE.version == "v2"
        states = db.session.scalars(select(SurveyFile.state).where(SurveyFile.version == "v1").order_by(SurveyFile.id)).all()
    assert states == ["retired", "draft"]


def answered(app, answers=V1_ANSWERS):
    """One response sent (held until the day ends) with the app's questionnaire."""
    client = app.test_client()
    walk(client, answers)
    assert client.post("/check", data={"csrf_token": csrf(client)}).status_code == 303


def kind_changed(tmp_path, version: str = "v2") -> str:
    """v1 with "Which pets?" a single choice rather than a multiple choice, under `version`."""
    changed = form("v1")
    changed["settings"][0]["version"] = version
    next(row for row in changed["survey"] if row.get("name") == "q_pets")["type"] = "select_one pets"
    return str(write_form(tmp_path / f"kind-{version}.xlsx", changed))


@pytest.mark.parametrize("change", ["text", "kind"])
def test_a_refused_start_prints_no_traceback(make_app, files, tmp_path, change):
    app = make_app(SURVEY_FILE=files["v1"])
    answered(make_app(SURVEY_FILE=files["v1"]))  # kept now that the table exists, and answered
    with app.app_context():  # a database from before survey files were stored: SURVEY_FILE seeds it
        db.session.execute(SurveyFile.__table__.delete())
        db.session.commit()
    if change == "text":
        changed = form("v1")
        changed["survey"][-1]["required"] = "yes"
        survey_file, said = str(write_form(tmp_path / "changed.xlsx", changed)), "version 'v1' was used before"
    else:
        survey_file, said = kind_changed(tmp_path), "Give the changed question a new name (survey sheet, column name)"
    env = {**os.environ, "SURVEY_FILE": survey_file, "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"]}
    done = subprocess.run([FLASK, "--app", "wsgi", "routes"], capture_output=True, text=True, cwd=ROOT, env=env, timeout=120)
    assert done.returncode == 4
    assert said in done.stderr
    assert "Traceback" not in done.stderr + done.stdout


def test_several_processes_starting_at_once_keep_one_definition(make_app, files):
    app = make_app(SURVEY_FILE=files["v1"])
    env = {**os.environ, "SURVEY_FILE": files["v2"], "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"]}
    starts = [subprocess.Popen([FLASK, "--app", "wsgi", "routes"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                               text=True, cwd=ROOT, env=env) for _ in range(3)]
    errors = [process.communicate(timeout=120)[1] for process in starts]
    assert [process.returncode for process in starts] == [0, 0, 0], errors
    with app.app_context():
        assert db.session.scalars(select(QuestionnaireVersion.version)).all() == ["v2"]
        assert db.session.execute(select(SurveyFile.version, SurveyFile.state)).all() == [("v2", "live")]


def test_the_app_starts_while_the_database_is_unreachable(tmp_path, files):
    app = create_app({"TESTING": True, "SECRET_KEY": "x", "SURVEY_FILE": files["v1"],
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'no' / 'such' / 'dir.sqlite3'}"})
    with app.app_context():
        assert QUESTIONNAIRE.version == "v1"  # SURVEY_FILE's, until the database can be read


@pytest.fixture
def two_versions(make_app, files):
    """One response under v1, one under v2, released; a staff client of the v2 app signed in."""
    v1_app = make_app(SURVEY_FILE=files["v1"])
    client = v1_app.test_client()
    walk(client, V1_ANSWERS)
    assert client.post("/check", data={"csrf_token": csrf(client)}).status_code == 303
    v2_app = published(make_app, files["v2"])
    client = v2_app.test_client()
    walk(client, V2_ANSWERS)
    assert client.post("/check", data={"csrf_token": csrf(client)}).status_code == 303
    release_today(v2_app)
    make_user(v2_app)
    staff = v2_app.test_client()
    assert sign_in(staff).status_code == 303
    return v2_app, staff


HEADER = [
    "response_id", "submitted_on", "language", "questionnaire_version",
    "q_new", "q_area", "q_feel", "q_pets.cat", "q_pets.dog", "q_pets.hamster", "q_text", "q_old.a", "q_old.b",
]


def test_the_export_has_a_column_for_every_question_ever_asked(two_versions):
    app, staff = two_versions
    for values, feel_v1, area_v2 in (("codes", "gone", "west"), ("labels", "Gone option", "West")):
        response = post_csv(staff, "/staff/export.csv", f"bom=0&values={values}")
        assert response.status_code == 200
        rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
        assert rows[0] == HEADER
        by_version = {row[3]: dict(zip(HEADER, row)) for row in rows[1:]}
        assert {k: v for k, v in by_version["v1"].items() if k not in ("response_id", "submitted_on")} == {
            "language": "en", "questionnaire_version": "v1", "q_new": "", "q_area": "north" if values == "codes" else "North",
            "q_feel": feel_v1, "q_pets.cat": "1", "q_pets.dog": "0", "q_pets.hamster": "1", "q_text": "hello",
            "q_old.a": "1", "q_old.b": "0",
        }
        assert by_version["v2"]["q_area"] == area_v2
        # v2 did not ask q_old nor offer the hamster: empty, not "not chosen".
        assert (by_version["v2"]["q_old.a"], by_version["v2"]["q_old.b"], by_version["v2"]["q_pets.hamster"]) == ("", "", "")


def test_the_codebook_says_which_versions_asked_each_question(two_versions):
    app, staff = two_versions
    table = list(csv.DictReader(io.StringIO(post_csv(staff, "/staff/codebook.csv", "bom=0").get_data(as_text=True))))
    assert list(dict.fromkeys(row["column"] for row in table)) == HEADER
    versions_of = {(row["column"], row["option_code"]): row["versions"] for row in table[4:]}
    assert versions_of[("q_new", "yes")] == "v2"
    assert versions_of[("q_area", "north")] == "v1, v2"
    assert versions_of[("q_area", "west")] == "v2"
    assert versions_of[("q_feel", "gone")] == "v1"
    assert versions_of[("q_pets.hamster", "hamster")] == "v1"
    assert versions_of[("q_text", "")] == "v1, v2"
    old = next(row for row in table if row["column"] == "q_old.a")
    assert old["question_text"] == "Old things?" and old["option_label"] == "Thing A" and old["versions"] == "v1"
    assert old["page_id"] == "q_old" and old["page_number"] == "" and old["shown_when"].startswith("no longer asked")


def test_spss_numbers_excel_and_r_labels_cover_every_version(two_versions, tmp_path):
    from openpyxl import load_workbook

    from app.staff.exports import spss, xlsx

    app, _ = two_versions
    with app.test_request_context():
        covered = versions.covered(QUESTIONNAIRE)
        frame = spss.data_frame(covered)
        numbers = spss.option_numbers(covered.questions["q_feel"])
        script = r_export.r_script(covered)
        assert xlsx.write_workbook(str(tmp_path / "export.xlsx"), covered) == 2
        assert spss.write_sav(str(tmp_path / "export.sav"), covered) == 2
    import pyreadstat

    _, meta = pyreadstat.read_sav(str(tmp_path / "export.sav"), metadataonly=True)
    assert meta.variable_value_labels["q_feel"] == {1: "Safe", 2: "Unsafe", 3: "Gone option", 97: "An answer no longer offered"}
    assert meta.column_names_to_labels["q_old.a"] == "Old things?: Thing A"
    workbook = load_workbook(tmp_path / "export.xlsx", read_only=True)
    assert [cell.value for cell in next(workbook["responses"].iter_rows(max_row=1))] == HEADER
    codebook = [[cell.value for cell in row] for row in workbook["codebook"].iter_rows()]
    workbook.close()
    assert codebook[0][-1] == "versions" and ["q_old.b", "v1"] == [codebook[-1][0], codebook[-1][-1]]
    assert numbers == {"safe": 1, "unsafe": 2, "gone": 3}  # as v1 numbered them: the same in every export
    v1 = frame[frame["questionnaire_version"] == "v1"].iloc[0]
    assert v1["q_feel"] == 3 and v1["q_old.a"] == 1 and v1["q_pets.hamster"] == 1
    assert '"gone"' in script and '"Gone option"' in script and '"q_old.b"' in script


def test_a_version_without_responses_adds_no_retired_questions(make_app, files):
    make_app(SURVEY_FILE=files["v1"])
    app = make_app(SURVEY_FILE=files["v1"])  # kept now, but nobody answered it
    app = published(make_app, files["v2"])
    with app.test_request_context():
        covered = versions.covered(QUESTIONNAIRE)
    assert "q_old" not in covered.questions
    assert [o.code for o in covered.questions["q_pets"].options] == ["cat", "dog", "hamster"]  # every option offered


# The definition of every version of the shipped survey, as servers have stored it. A server refuses to
# start when its version is stored with other questions or texts, so the shipped file must never change
# them under a version already published: change its `version` too, and add a line here.
SHIPPED_DEFINITIONS = {"2026-11.1": "931d92da298f871a0361a24251cdbe2c84532be1f2788c19da2bad4813335f4d"}


def test_the_shipped_spreadsheet_changes_no_question_without_a_new_version(app):
    from app.config import SHIPPED_SURVEY

    with app.app_context():
        shipped = questionnaire_for(str(SHIPPED_SURVEY))
        definition = versions.definition(shipped)
    digest = hashlib.sha256(json.dumps(definition, sort_keys=True).encode()).hexdigest()
    assert SHIPPED_DEFINITIONS.get(shipped.version, digest) == digest, "a published version's questions changed"
    assert shipped.version in SHIPPED_DEFINITIONS, f"add {shipped.version!r}: {digest!r} to SHIPPED_DEFINITIONS"
    where = next(q for q in definition["questions"] if q["id"] == "where")
    assert where["shown_when"].startswith("selected(${experiences}, 'comments')")


def test_survey_check_says_when_a_file_changes_a_version_already_used(make_app, files, tmp_path):
    app = make_app(SURVEY_FILE=files["v1"])
    app = make_app(SURVEY_FILE=files["v1"])  # kept now that the table exists
    answered(app)
    runner = app.test_cli_runner()
    assert runner.invoke(args=["survey", "check", files["v2"]]).exit_code == 0  # a new version
    assert runner.invoke(args=["survey", "check", files["v1"]]).exit_code == 0  # the same questions
    changed = form("v1")
    changed["choices"][-1]["label::English (en)"] = "Hamsters"
    done = runner.invoke(args=["survey", "check", str(write_form(tmp_path / "changed.xlsx", changed))])
    assert done.exit_code == 1
    assert "version 'v1' was used before with other questions or texts, and has responses; give this file a new version" in done.output


def test_a_version_longer_than_the_database_keeps_is_a_problem_of_the_file(tmp_path):
    from app.config import LANGUAGES
    from app.questionnaire.xlsform import SurveyFileError, load

    long = form("v1")
    long["settings"][0]["version"] = "v" * 33
    with pytest.raises(SurveyFileError) as refused:
        load(str(write_form(tmp_path / "long.xlsx", long)), LANGUAGES)
    assert "settings row 2, column version: the version can be at most 32 characters long" in refused.value.problems


def test_a_question_whose_kind_changed_since_a_version_answered_is_refused(make_app, files, tmp_path):
    # A v1 "cat dog" would be exported as "cat" under a single choice column: refused instead.
    answered(make_app(SURVEY_FILE=files["v1"]))
    app = make_app(SURVEY_FILE=files["v1"])
    refused = app.test_cli_runner().invoke(args=["survey", "publish", kind_changed(tmp_path)])
    assert refused.exit_code == 1
    message = refused.output
    assert "question 'q_pets' was a multiple question under version 'v1', which has responses, and is a single" in message
    assert "Give the changed question a new name (survey sheet, column name)" in message
    with app.app_context():  # the refused version is not kept
        assert db.session.scalars(select(QuestionnaireVersion.version)).all() == ["v1"]
    done = app.test_cli_runner().invoke(args=["survey", "check", kind_changed(tmp_path)])
    assert done.exit_code == 1
    assert "question 'q_pets' was a multiple question under version 'v1'" in done.output


def test_a_kind_changed_since_a_version_nobody_answered_is_accepted(make_app, files, tmp_path):
    make_app(SURVEY_FILE=files["v1"])
    app = make_app(SURVEY_FILE=files["v1"])  # kept, never answered
    assert app.test_cli_runner().invoke(args=["survey", "check", kind_changed(tmp_path)]).exit_code == 0
    published(make_app, kind_changed(tmp_path))


def test_an_option_its_version_did_not_offer_is_empty_not_zero(make_app, files, tmp_path):
    answered(make_app(SURVEY_FILE=files["v1"]))
    v3 = form("v2")
    v3["settings"][0]["version"] = "v3"
    v3["choices"].append({"list_name": "pets", "name": "fish", "label": "Fish"})
    v3_app = published(make_app, str(write_form(tmp_path / "v3.xlsx", v3)))
    answered(v3_app, V2_ANSWERS)
    release_today(v3_app)
    make_user(v3_app)
    staff = v3_app.test_client()
    assert sign_in(staff).status_code == 303
    rows = list(csv.DictReader(io.StringIO(post_csv(staff, "/staff/export.csv", "bom=0&values=codes").get_data(as_text=True))))
    pets = {row["questionnaire_version"]: [row[f"q_pets.{code}"] for code in ("cat", "dog", "hamster", "fish")] for row in rows}
    assert pets == {"v1": ["1", "0", "1", ""], "v3": ["0", "1", "", "0"]}

    from app.staff.exports import spss, xlsx
    from openpyxl import load_workbook

    with v3_app.test_request_context():
        covered = versions.covered(QUESTIONNAIRE)
        frame = spss.data_frame(covered)
        xlsx.write_workbook(str(tmp_path / "export.xlsx"), covered)
    by_version = {row["questionnaire_version"]: row for _, row in frame.iterrows()}
    assert by_version["v1"]["q_pets.dog"] == 0 and by_version["v1"]["q_pets.fish"] != by_version["v1"]["q_pets.fish"]  # NaN
    assert by_version["v3"]["q_pets.fish"] == 0 and by_version["v3"]["q_pets.hamster"] != by_version["v3"]["q_pets.hamster"]
    workbook = load_workbook(tmp_path / "export.xlsx", read_only=True)
    sheet = [[cell.value for cell in row] for row in workbook["responses"].iter_rows()]
    workbook.close()
    fish = sheet[0].index("q_pets.fish")
    assert sorted((row[3], row[fish]) for row in sheet[1:]) == [("v1", None), ("v3", 0)]


def test_a_response_under_a_version_kept_with_other_questions_is_refused_and_the_draft_stays(make_app, files, tmp_path, caplog):
    # This worker read v1 as live; another then made a v1 with other texts live (nobody had answered
    # v1, so its kept definition was replaced) before this worker's stamp ran out.
    stale = make_app(SURVEY_FILE=files["v1"])
    client = stale.test_client()
    walk(client, V1_ANSWERS)
    changed = form("v1")
    changed["choices"][-1]["label::English (en)"] = "Hamsters"
    published(make_app, str(write_form(tmp_path / "changed.xlsx", changed)))
    refused = client.post("/check", data={"csrf_token": csrf(client)})
    assert refused.status_code == 503 and refused.headers["Retry-After"]
    assert client.get("/check").status_code == 200  # nothing lost: the draft is still there
    assert "questionnaire version 'v1' is kept in the database with other questions or texts" in caplog.text
    with stale.app_context():
        assert db.session.scalar(select(func.count()).select_from(PendingResponse)) == 0


def test_a_response_confirms_the_kept_version_once(make_app, files):
    app = make_app(SURVEY_FILE=files["v1"])
    answered(app)
    with app.app_context():
        served = QUESTIONNAIRE._get_current_object()
    assert app.extensions["questionnaire_versions_kept"] == {served: True}  # later responses skip the INSERT


def test_a_version_nobody_answered_takes_the_changed_file(make_app, files, tmp_path, caplog):
    make_app(SURVEY_FILE=files["v1"])
    app = make_app(SURVEY_FILE=files["v1"])  # kept, but nobody answered yet
    changed = form("v1")
    changed["choices"][-1]["label::English (en)"] = "Hamsters"  # the typo fixed before launch
    changed_file = str(write_form(tmp_path / "changed.xlsx", changed))
    assert app.test_cli_runner().invoke(args=["survey", "check", changed_file]).exit_code == 0
    fixed = published(make_app, changed_file)
    assert "Questionnaire version 'v1' had no responses: its kept definition replaced by this file's" in caplog.text
    with fixed.app_context():
        kept = db.session.scalars(select(QuestionnaireVersion.definition)).all()
        assert kept == [versions.definition(QUESTIONNAIRE)]
    assert kept[0]["questions"][3]["options"][-1]["label"] == "Hamsters"
    answered(fixed)
    release_today(fixed)
    assert stored(fixed)[0][0] == "v1"
