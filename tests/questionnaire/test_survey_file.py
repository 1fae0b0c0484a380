"""SURVEY_FILE: the app serves the questionnaire of a spreadsheet, and will not start on a bad one.

The questionnaire is read once, when the app is imported, so each case runs in a process of its own.
"""

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from app.config import SHIPPED_SURVEY as SHIPPED
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


@pytest.mark.parametrize("unset", [None, ""])
def test_without_survey_file_the_app_serves_the_shipped_file(unset):
    env = {name: value for name, value in os.environ.items() if name != "SURVEY_FILE"}
    if unset is not None:
        env["SURVEY_FILE"] = unset
    served = subprocess.run([FLASK, "--app", "wsgi", "survey", "show", "--lang", "ur"], capture_output=True, text=True,
                            cwd=ROOT, env=env, timeout=120)
    shipped = run_flask(SHIPPED, "survey", "show", "--lang", "ur")
    assert served.returncode == shipped.returncode == 0, served.stderr
    assert served.stdout == shipped.stdout


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


def test_an_installed_package_serves_its_shipped_file(tmp_path):
    """The default is inside the package: a wheel carries it, and an app imported from the wheel, run
    away from the repository, loads it."""
    source = tmp_path / "source"  # a copy: building leaves build/ behind, which later wheels would reuse
    shutil.copytree(ROOT / "app", source / "app", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source)
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation", "-w", tmp_path, source],
                   check=True, capture_output=True, timeout=300)
    wheel = next(tmp_path.glob("*.whl"))
    installed = tmp_path / "installed"
    with zipfile.ZipFile(wheel) as archive:
        assert "app/questionnaire/west-midlands.xlsx" in archive.namelist()
        archive.extractall(installed)
    code = "import app.questionnaire as q; print(q.__file__); print(len(q.QUESTIONNAIRE.pages))"
    env = {**{name: value for name, value in os.environ.items() if name != "SURVEY_FILE"}, "PYTHONPATH": str(installed)}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    where, pages = done.stdout.split()
    assert where.startswith(str(installed)) and int(pages) > 10
