"""`flask survey check | show`: what a survey owner runs on a spreadsheet."""

import subprocess
import sys
from pathlib import Path

import pytest

from app.config import SHIPPED_SURVEY as SHIPPED
from tests.questionnaire.xlsforms import good_form, write_form


@pytest.fixture
def good_file(tmp_path):
    return write_form(tmp_path / "good.xlsx")


def test_check_a_good_file_exits_0(runner, good_file):
    result = runner.invoke(args=["survey", "check", str(good_file)])
    assert result.exit_code == 0, result.output
    assert "4 pages, 5 questions, no problems" in result.output


def test_check_the_shipped_file(runner):
    result = runner.invoke(args=["survey", "check", str(SHIPPED)])
    assert result.exit_code == 0, result.output


def test_check_a_bad_file_prints_every_problem_and_exits_1(runner, tmp_path):
    form = good_form()
    form["survey"][5]["relevant"] = "${q_text} = 'x'"  # row 7
    form["choices"][1]["label::Urdu (ur)"] = ""  # row 3
    form["survey"][6]["type"] = "select_one areas"  # row 8
    del form["survey"][6]["constraint"]
    result = runner.invoke(args=["survey", "check", str(write_form(tmp_path / "bad.xlsx", form))])
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert "survey row 7, column relevant: ${q_text} refers to a question that comes later" in lines
    assert "choices row 3: no label::Urdu (ur)" in lines
    assert "survey row 8, column type: list 'areas' is not in choices" in lines
    assert "3 problem(s)" in lines[-1]
    assert "Traceback" not in result.output and isinstance(result.exception, SystemExit)


@pytest.mark.parametrize("content", [None, b"", b"plain text"])
def test_check_a_missing_or_broken_file_exits_1_without_a_traceback(runner, tmp_path, content):
    path = tmp_path / "survey.xlsx"
    if content is not None:
        path.write_bytes(content)
    result = runner.invoke(args=["survey", "check", str(path)])
    assert result.exit_code == 1
    assert "cannot be read as an .xlsx spreadsheet" in result.output
    assert "Traceback" not in result.output


def test_show_prints_pages_questions_options_and_conditions(runner, good_file):
    result = runner.invoke(args=["survey", "show", str(good_file)])
    assert result.exit_code == 0, result.output
    out = result.output
    assert "Page 1 (p_start): About you" in out
    assert "  note: Some intro" in out
    assert "  q_scale (scale, optional): How good?" in out
    assert "    - pnts: Prefer not to say (exclusive)" in out
    assert "    [Group one]" in out
    assert "  shown when: ${q_yes} = 'yes'" in out  # "one of these codes" of a single choice, written with =
    assert "  shown when: ${q_yes} = 'yes' and not(selected(${q_multi}, 'none'))" in out
    assert "  q_text (text, optional, up to 100 characters): Tell us" in out
    assert "    hint: Choose all" in out
    assert "    short label: Yes?" in out


def test_show_in_another_language(runner, good_file):
    result = runner.invoke(args=["survey", "show", str(good_file), "--lang", "ur"])
    assert result.exit_code == 0
    assert "Page 1 (p_start): About you [ur]" in result.output


def test_show_refuses_a_language_the_service_does_not_have(runner, good_file):
    result = runner.invoke(args=["survey", "show", str(good_file), "--lang", "fr"])
    assert result.exit_code == 2
    assert "'fr' is not one of" in result.output


def test_show_without_a_file_prints_the_questionnaire_the_app_serves(runner):
    result = runner.invoke(args=["survey", "show", "--lang", "pl"])
    assert result.exit_code == 0
    assert "Page 3 (experiences): " in result.output
    assert "shown when: selected(${experiences}, 'comments') or selected(${experiences}, 'shouted_at')" in result.output


def test_show_without_a_file_prints_the_shipped_file(runner):
    served = runner.invoke(args=["survey", "show", "--lang", "ar"]).output
    shipped = runner.invoke(args=["survey", "show", str(SHIPPED), "--lang", "ar"]).output
    assert served == shipped


def test_the_real_command_exits_1_with_the_problems_on_stderr_and_no_traceback(tmp_path):
    form = good_form()
    form["survey"][5]["relevant"] = "${nope} = 'x'"  # row 7
    path = write_form(tmp_path / "bad.xlsx", form)
    flask = Path(sys.executable).parent / "flask"
    done = subprocess.run([flask, "--app", "wsgi", "survey", "check", path], capture_output=True, text=True,
                          cwd=Path(__file__).resolve().parents[2], timeout=120)
    assert done.returncode == 1
    assert "survey row 7, column relevant: ${nope} is not a question of this form" in done.stderr
    assert "Traceback" not in done.stderr + done.stdout


def test_show_prints_a_one_language_survey_in_its_own_language_and_refuses_others(runner, tmp_path):
    form = good_form()
    form["settings"][0]["default_language"] = "Polski (pl)"
    polish = write_form(tmp_path / "polski.xlsx", form, languages={})
    result = runner.invoke(args=["survey", "show", str(polish)])
    assert result.exit_code == 0, result.output
    assert "language pl" in result.output.splitlines()[1]
    refused = runner.invoke(args=["survey", "show", str(polish), "--lang", "en"])
    assert refused.exit_code == 2 and "'en' is not one of pl" in refused.output
