"""SURVEY_FILE: the app serves the questionnaire of a spreadsheet, and will not start on a bad one.

The questionnaire is read once, when the app is imported, so each case runs in a process of its own.
"""

import os
import subprocess
import sys
from pathlib import Path

from app.questionnaire.cli import SHIPPED
from tests.questionnaire.xlsforms import good_form, write_form

ROOT = Path(__file__).resolve().parents[2]
FLASK = Path(sys.executable).parent / "flask"


def run_flask(survey_file, *args):
    # An empty database in memory: the test's questionnaires are never kept in a real one.
    env = {**os.environ, "SURVEY_FILE": str(survey_file), "DATABASE_URL": "sqlite://"}
    return subprocess.run([FLASK, "--app", "wsgi", *args], capture_output=True, text=True, cwd=ROOT, env=env, timeout=120)


def test_the_app_serves_the_questionnaire_of_the_file(tmp_path):
    done = run_flask(write_form(tmp_path / "good.xlsx"), "survey", "show", "--lang", "pl")
    assert done.returncode == 0, done.stderr
    assert "Page 1 (p_start): About you [pl]" in done.stdout


def test_the_shipped_file_serves_the_same_questionnaire_as_default_py():
    from_file = run_flask(SHIPPED, "survey", "show", "--lang", "ur")
    from_python = run_flask("", "survey", "show", "--lang", "ur")
    assert from_file.returncode == from_python.returncode == 0
    assert from_file.stdout == from_python.stdout


def test_a_bad_file_stops_the_start_with_every_problem_and_no_traceback(tmp_path):
    form = good_form()
    form["survey"][5]["relevant"] = "${nope} = 'x'"  # row 7
    form["choices"][1]["label::Urdu (ur)"] = ""  # row 3
    done = run_flask(write_form(tmp_path / "bad.xlsx", form), "routes")
    assert done.returncode == 4  # gunicorn's "the app failed to load": it stops instead of retrying
    assert "cannot be used" in done.stderr
    assert "survey row 7, column relevant: ${nope} is not a question of this form" in done.stderr
    assert "choices row 3: no label::Urdu (ur)" in done.stderr
    assert "Traceback" not in done.stderr + done.stdout


def test_a_missing_file_stops_the_start(tmp_path):
    done = run_flask(tmp_path / "nowhere.xlsx", "routes")
    assert done.returncode == 4
    assert "cannot be read as an .xlsx spreadsheet" in done.stderr
    assert "Traceback" not in done.stderr


def test_the_whole_survey_walked_in_every_language_from_the_shipped_file():
    """The public flow and every language, run again with the app serving the spreadsheet."""
    env = {**os.environ, "SURVEY_FILE": str(SHIPPED)}
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider", "tests/survey/test_flow.py", "tests/test_i18n.py"],
        capture_output=True, text=True, cwd=ROOT, env=env, timeout=900,
    )
    assert done.returncode == 0, done.stdout[-3000:]
    assert " passed" in done.stdout and "failed" not in done.stdout
