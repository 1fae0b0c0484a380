"""Every generated script and CSV is safe for any text whatsoever (security review, issue 20).

The .R script is run with Rscript and with source(), and must run nothing but itself and read every
label as it was written; the .sps syntax is checked line by line as SPSS reads it; every CSV the
service writes quotes and guards cells a spreadsheet splitting on semicolons or tabs would run.
Texts with line breaks, quotes, backslashes, right-to-left marks and long texts go through the real
XLSForm reader; CR, NUL and the other control characters (which the reader refuses) go straight to
the writers in a questionnaire built here: whatever reaches them must be safe.
"""

import csv
import dataclasses
import io
import os
import re
import shutil
import subprocess
import zipfile
from datetime import date

import pyreadstat
import pytest
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

from app import escaping
from app.config import LANGUAGES
from app.questionnaire.model import Kind, Option, Page, Question, Questionnaire
from app.questionnaire.xlsform import load
from app.staff import views
from app.staff.exports import r, spss
from app.staff.exports.csv import export_chunks
from app.staff.summaries import pages
from tests.questionnaire.xlsforms import good_form, write_form
from tests.staff.conftest import csrf_token
from tests.test_escaping import UNSAFE, r_meaning, spss_literal_value

# Skipped only outside CI: under `make test` in CI a missing R (or PSPP) fails the run, never hides it.
needs_r = pytest.mark.skipif(
    shutil.which("Rscript") is None and not os.environ.get("CI"), reason="R is not installed (make r-deps installs r-base-core)"
)

# Each would create a file named pwned... in the working folder if it ran.
SPSS_HOST = 'Where do you feel unsafe?\n\nHOST COMMAND=["touch pwned-spss"].\n*'
R_COMMENT = 'Yes or no?\nsystem("touch pwned-r-comment")  #'
R_LABEL = 'Yes\n"); file.create("pwned-r-label"); ("'
QUOTES = 'He said "good" \\ then \\" and it\'s \u200fگڈ\u200f \u200edone\u200e \u061c.'
LONG = "A long option, " + "and longer still; " * 220  # about 4,000 characters: under the reader's 5,000


def hostile_form() -> dict:
    """The tests' good XLSForm with hostile English texts (line breaks as Excel's Alt+Enter types them)."""
    form = good_form()
    survey = {row.get("name"): row for row in form["survey"]}
    survey["q_yes"]["summary_label"] = R_COMMENT
    survey["q_scale"]["label"] = QUOTES + "\n\n.\nHOST COMMAND=['touch pwned-spss']."
    survey["q_multi"]["label"] = SPSS_HOST
    choices = {row["name"]: row for row in form["choices"]}
    choices["yes"]["label"] = R_LABEL
    choices["good"]["label"] = QUOTES
    choices["bad"]["label"] = LONG
    choices["a"]["label"] = "A.\n"
    choices["b"]["label"] = "B 'quoted' \"twice\" \\"
    return form


@pytest.fixture
def from_the_reader(tmp_path):
    return load(write_form(tmp_path / "hostile.xlsx", hostile_form()), LANGUAGES)


def direct(controls: bool = True) -> Questionnaire:
    """What the reader refuses, built directly: CR everywhere, and with `controls` also NUL, the other
    controls, bidi overrides and quotes in a code (R itself refuses to parse NUL and bidi overrides)."""
    more = controls and "\x00\u2028\u202eevil\u202c\x0b\x0c\x85\x1e;=1+1"
    options = (
        Option("yes", _l('Yes\r"); file.create("pwned-option"); ("' + (more or ""))),
        Option("no", _l("No\r\n" + (more or ""))),
    )
    which = "Which?\r\n\r\nHOST COMMAND=['touch pwned-spss'].\r\n*\u2029x\r"
    if controls:
        options += (Option("q\"); file.create('pwned-code'); (\"", _l("A code with quotes\r")),)
    else:  # what R can parse, so only the finding stands between it and running
        which = "Which?\r\rfile.create('pwned-which')  #"
    return Questionnaire(
        version="h1\r\n=1+1", title=_l("T"), purpose=_l("T"), minutes=1,
        pages=(Page("p", _l("P"), (
            Question("where", _l('Where?\rsystem("touch pwned-cr")  #'), Kind.SINGLE, options),
            Question("which", _l(which), Kind.MULTIPLE, (
                Option("a", _l("A\rB")), Option("b", _l("B'\"\\" + ("\x00" if controls else ""))),
            )),
            Question("why", _l("Why?\r#" + ("\u202e" if controls else "")), Kind.TEXT, required=False),
        )),),
    )


def english(questionnaire: Questionnaire, question_id: str) -> tuple[str, list[str]]:
    """A question's English text (as the writers take it) and its options' English labels."""
    with force_locale("en"):
        question = questionnaire.questions[question_id]
        return str(question.summary_label or question.text), [str(o.label) for o in question.options]


def responses_for(rows, questionnaire):
    first = next(q for q in questionnaire.questions.values() if q.kind is Kind.SINGLE)
    multiple = next(q for q in questionnaire.questions.values() if q.kind is Kind.MULTIPLE)
    rows([
        ("a1", date(2026, 6, 8), "en", questionnaire.version, [(first.id, first.options[0].code), (multiple.id, multiple.options[0].code)]),
        ("b2", date(2026, 6, 9), "en", questionnaire.version, [(first.id, first.options[1].code)]),
    ])


# R.


def run_r(app, rows, questionnaire, tmp_path, how: str) -> dict[str, list[list[int]]]:
    """Export the script and the CSV, run the script with Rscript or source(); every coded column's
    levels as R read them, as code points."""
    responses_for(rows, questionnaire)
    with app.app_context():
        script = r.r_script(questionnaire)
        (tmp_path / "survey-responses.csv").write_bytes(b"".join(export_chunks(questionnaire)))
    (tmp_path / "survey-labels.R").write_text(script, encoding="utf-8")
    coded = [q.id for q in questionnaire.questions.values() if q.kind is Kind.SINGLE or q.kind is Kind.SCALE]
    check = "".join(
        f'for (level in levels(responses[[{escaping.r_string(column)}]])) cat("level\\t", {escaping.r_string(column)}, "\\t",'
        ' paste(utf8ToInt(level), collapse = " "), "\\n", sep = "")\n' for column in coded
    )
    if how == "Rscript":  # as the script's own comment says to run it
        result = subprocess.run(["Rscript", "survey-labels.R", "survey-responses.csv"], cwd=tmp_path,
                                capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stderr
        assert "'data.frame':\t2 obs." in result.stdout
    (tmp_path / "check.R").write_text('source("survey-labels.R")\n' + check, encoding="ascii")
    result = subprocess.run(["Rscript", "check.R"], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert not list(tmp_path.glob("pwned*"))
    levels: dict[str, list[list[int]]] = {column: [] for column in coded}
    for line in result.stdout.splitlines():
        if not line.startswith("level\t"):
            continue  # the script's own str() of the data
        column, _, points = line.removeprefix("level\t").partition("\t")
        levels[column].append([int(point) for point in points.split()])
    # Plain ASCII on short lines: read alike in every locale, never cut by a console's line limit.
    assert script.isascii()
    assert all(len(line) <= 250 for line in script.split("\n"))
    return levels


@needs_r
@pytest.mark.parametrize("how", ["Rscript", "source"])
def test_r_runs_nothing_from_labels_and_reads_them_as_written_through_the_reader(app, rows, from_the_reader, tmp_path, how):
    levels = run_r(app, rows, from_the_reader, tmp_path, how)
    for question_id in ("q_yes", "q_scale"):
        assert levels[question_id] == [r_meaning(label) for label in english(from_the_reader, question_id)[1]]
    assert levels["q_yes"][0] == [ord(c) for c in R_LABEL]


@needs_r
@pytest.mark.parametrize("how", ["Rscript", "source"])
@pytest.mark.parametrize("controls", [False, True], ids=["carriage returns", "nul and other controls"])
def test_r_runs_nothing_from_carriage_returns_nul_and_other_controls(app, rows, tmp_path, how, controls):
    questionnaire = direct(controls)
    levels = run_r(app, rows, questionnaire, tmp_path, how)
    assert levels["where"] == [r_meaning(label) for label in english(questionnaire, "where")[1]]


def test_every_comment_of_the_r_script_is_one_line_of_its_question(app):
    with app.app_context():
        script = r.r_script(direct())
    assert "# where: Where? system(\"touch pwned-cr\")  #" in script.split("\n")
    assert "# why: Why? #<U+202E>" in script.split("\n")
    assert not UNSAFE.search(script.replace("\n", ""))


# SPSS.


def spss_commands(syntax: str) -> list[list[str]]:
    """The .sps as SPSS reads it, line by line: a command starts at the margin after the last one's
    period; every other line is indented (so it never starts a command) and not blank; a period as a
    line's last character ends the command, and the last command ends so. Returns each command's lines."""
    assert syntax.endswith("\r\n")
    lines = syntax.removesuffix("\r\n").split("\r\n")
    commands: list[list[str]] = []
    current: list[str] | None = None
    for line in lines:
        assert line.strip(), "a blank line inside a command ends it"
        assert "\r" not in line and "\n" not in line and not UNSAFE.search(line), repr(line)
        assert len(line.encode()) <= 251, "longer than older SPSS reads"
        if current is None:
            assert not line[0].isspace()
            current = [line]
        else:
            assert line.startswith("  "), f"{line!r} would start a command"
            current.append(line)
        if line.endswith("."):
            commands.append(current)
            current = None
    assert current is None, "the last command has no period"
    return commands


def set_labels(mrsets: list[str]) -> dict[str, str]:
    """Set name -> label, read from the MRSETS command's lines as SPSS would."""
    labels, name, literal = {}, None, []
    for line in mrsets[1:] + ["  /END"]:
        if literal and not line.startswith("    + '"):
            labels[name] = spss_literal_value("\n".join(literal))
            literal = []
        match = re.fullmatch(r"  /MDGROUP NAME=\$(\S+) LABEL=('.*)", line)
        if match:
            name, literal = match[1], [match[2]]
        elif literal:
            literal.append(line)
    return labels


def check_syntax(questionnaire: Questionnaire) -> dict[str, str]:
    syntax = spss.multiple_response_syntax(questionnaire, "survey-responses.sav")
    commands = spss_commands(syntax)
    *comments, mrsets = commands
    assert len(comments) == 2 and all(len(c) == 1 and c[0].startswith("* ") for c in comments)
    assert mrsets[0] == "MRSETS" and mrsets[-1] == "  /DISPLAY NAME=ALL."
    # Each subcommand on a line of its own; every other line continues one.
    for line in mrsets[1:]:
        assert re.match(r"  /(MDGROUP NAME=\$\S+ LABEL='|DISPLAY )|    (\+ '|CATEGORYLABELS=|VARIABLES=|\S+$)", line), line
    multiple = [q for q in questionnaire.questions.values() if q.kind is Kind.MULTIPLE
                and len([o for o in q.options if o.code != "prefer_not_to_say"]) >= 2]
    assert sum(line.startswith("  /MDGROUP") for line in mrsets) == len(multiple)
    return set_labels(mrsets)


def test_the_syntax_stays_one_command_with_labels_from_the_reader(app, from_the_reader):
    with app.app_context():
        labels = check_syntax(from_the_reader)
    assert labels == {"q_multi": "Where do you feel unsafe?  HOST COMMAND=[\"touch pwned-spss\"]. *"}


def test_the_syntax_stays_one_command_with_carriage_returns_and_controls(app):
    with app.app_context():
        labels = check_syntax(direct())
    assert labels == {"which": "Which?    HOST COMMAND=['touch pwned-spss'].  * x "}


def test_a_long_set_label_is_split_and_cut_within_spss_limits(app, from_the_reader):
    form = Questionnaire(version="l1", title=_l("T"), purpose=_l("T"), minutes=1, pages=(Page("p", _l("P"), (
        Question("m", _l(LONG + "é'"), Kind.MULTIPLE, (Option("a", _l("A")), Option("b", _l("B")))),)),))
    with app.app_context():
        labels = check_syntax(form)
    assert labels["m"] == escaping.cut_to_bytes(LONG, 255) and len(labels["m"].encode()) == 255


def test_a_question_with_one_set_variable_is_left_out_and_display_takes_all_without_brackets(app):
    # SPSS (and PSPP) refuse the whole MRSETS command for a set of one variable, or for NAME=[ALL].
    form = Questionnaire(version="o1", title=_l("T"), purpose=_l("T"), minutes=1, pages=(Page("p", _l("P"), (
        Question("one", _l("One"), Kind.MULTIPLE, (Option("a", _l("A")), Option("prefer_not_to_say", _l("No")))),
        Question("two", _l("Two"), Kind.MULTIPLE, (Option("a", _l("A")), Option("b", _l("B")))),
    )),))
    with app.app_context():
        assert check_syntax(form) == {"two": "Two"}


def test_names_spss_cannot_hold_are_refused_not_written(app):
    form = Questionnaire(version="n1", title=_l("T"), purpose=_l("T"), minutes=1, pages=(Page("p", _l("P"), (
        Question("m", _l("M"), Kind.MULTIPLE, (Option("a.", _l("A")),)),)),))  # m.a. would end the command
    with app.app_context(), pytest.raises(ValueError, match="SPSS variable name"):
        spss.multiple_response_syntax(form, "x.sav")


def sav_safe(questionnaire: Questionnaire) -> Questionnaire:
    """The questionnaire without options whose code cannot name a .sav variable (direct()'s code with
    quotes: pyreadstat refuses it, and the syntax refuses it, above)."""
    return Questionnaire(version="s1", title=_l("T"), purpose=_l("T"), minutes=1, pages=tuple(
        Page(page.id, page.title, tuple(
            dataclasses.replace(q, options=tuple(o for o in q.options if re.fullmatch(r"\w+", o.code)))
            for q in page.questions
        )) for page in questionnaire.pages
    ))


def spss_zip_in(app, rows, questionnaire, folder) -> None:
    responses_for(rows, questionnaire)
    with app.app_context():
        path, _ = spss.spss_zip(questionnaire)
        with zipfile.ZipFile(path) as archive:
            archive.extractall(folder)


@pytest.mark.parametrize("questionnaire", ["reader", "direct"])
def test_the_sav_labels_are_one_line_within_spss_limits(app, rows, from_the_reader, tmp_path, questionnaire):
    questionnaire = sav_safe(from_the_reader if questionnaire == "reader" else direct())
    spss_zip_in(app, rows, questionnaire, tmp_path)
    _, meta = pyreadstat.read_sav(str(tmp_path / "survey-responses.sav"))
    texts = [*meta.column_labels, *(label for labels in meta.variable_value_labels.values() for label in labels.values())]
    for text in texts:
        assert not UNSAFE.search(text), repr(text)
        assert len(text.encode()) <= 255
    with app.app_context():
        for question in questionnaire.questions.values():
            text, labels = english(questionnaire, question.id)
            if question.kind is Kind.SINGLE or question.kind is Kind.SCALE:
                read = meta.variable_value_labels[question.id]
                assert [read[n] for n in sorted(read) if n < spss.RETIRED] == [escaping.spss_text(label, 120) for label in labels]
                assert meta.column_names_to_labels[question.id] == escaping.spss_text(text)


@pytest.mark.skipif(shutil.which("pspp") is None and not os.environ.get("CI"), reason="PSPP is not installed (make r-deps)")
@pytest.mark.parametrize("questionnaire", ["reader", "direct"])
def test_pspp_runs_the_syntax_as_one_command_and_nothing_else(app, rows, from_the_reader, tmp_path, questionnaire):
    # PSPP, GNU's SPSS, runs HOST commands (without --safer): the old syntax ran one from a label.
    questionnaire = sav_safe(from_the_reader if questionnaire == "reader" else direct())
    spss_zip_in(app, rows, questionnaire, tmp_path)
    (tmp_path / "run.sps").write_text("GET FILE='survey-responses.sav'.\n"
                                      "INSERT FILE='survey-responses.sps' SYNTAX=INTERACTIVE.\n"
                                      "SAVE OUTFILE='with-sets.sav'.\n")
    result = subprocess.run(["pspp", "-o", "output.txt", "run.sps"], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "error" not in (tmp_path / "output.txt").read_text()
    assert not list(tmp_path.glob("pwned*"))
    _, meta = pyreadstat.read_sav(str(tmp_path / "with-sets.sav"))
    with app.app_context():
        expected = check_syntax(questionnaire)
    assert {name: s["label"] for name, s in meta.mr_sets.items()} == {name: label.rstrip() for name, label in expected.items()}


# CSV: every CSV the service writes.

CELLS = ["x;=cmd|' /C calc'!A0", "\t=1+1", "a;b", "tab\tin", "=1+1"]
GUARDED = ["\"x;'=cmd|' /C calc'!A0\"", "\"'\t'=1+1\"", '"a;b"', '"tab\tin"', "'=1+1"]


def cells_questionnaire() -> Questionnaire:
    return Questionnaire(version="c1", title=_l("T"), purpose=_l("T"), minutes=1, pages=(Page("p", _l("P"), (
        Question("pick", _l(CELLS[0]), Kind.SINGLE, tuple(Option(f"o{i}", _l(cell)) for i, cell in enumerate(CELLS))),
        Question("text", _l("Text"), Kind.TEXT, required=False),
    )),))


def post_csv(staff, path: str, **data) -> bytes:
    token = csrf_token(staff, "/staff/export")
    response = staff.post(path, data={"csrf_token": token, "bom": "0", **data})
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    return response.data


def answers_csv(staff, monkeypatch, rows, values: str) -> bytes:
    monkeypatch.setattr(views, "QUESTIONNAIRE", cells_questionnaire())
    rows([(f"r{i}", date(2026, 6, 8), "en", "c1", [("pick", f"o{i}"), ("text", cell)]) for i, cell in enumerate(CELLS)])
    return post_csv(staff, "/staff/export.csv", values=values)


def codebook_csv(staff, monkeypatch, rows) -> bytes:
    monkeypatch.setattr(views, "QUESTIONNAIRE", cells_questionnaire())
    return post_csv(staff, "/staff/codebook.csv")


def summary_csv(staff, monkeypatch, rows) -> bytes:
    # The summary's figures come from the shipped questionnaire; its rows get the hostile cells.
    rows([(f"r{i}", date(2026, 6, 8), "en", "v", [("area", "birmingham")]) for i in range(20)])
    real = pages.one_way_rows
    monkeypatch.setattr(pages, "one_way_rows", lambda *args: real(*args) + [[cell, "1", cell] for cell in CELLS])
    response = staff.post("/staff/summary.csv", data={"csrf_token": csrf_token(staff), "question": "area"})
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    return response.data.removeprefix("\ufeff".encode())


CSVS = {
    "export with codes": lambda *args: answers_csv(*args, "codes"),
    "export with labels": lambda *args: answers_csv(*args, "labels"),
    "codebook": codebook_csv,
    "summary table": summary_csv,
}


@pytest.mark.parametrize("which", list(CSVS))
def test_every_csv_quotes_and_guards_semicolons_and_tabs(staff, monkeypatch, rows, which):
    data = CSVS[which](staff, monkeypatch, rows).decode()
    for cell in GUARDED:
        assert f",{cell}," in data or f",{cell}\r\n" in data or f"\r\n{cell}," in data, cell
    for raw in CELLS:
        assert f",{raw}," not in data and f",{raw}\r\n" not in data
    # However a spreadsheet splits the lines (commas, semicolons, tabs, quotes seen or not), no cell
    # holds a formula.
    for delimiter in (",", ";", "\t"):
        for quoting in (csv.QUOTE_MINIMAL, csv.QUOTE_NONE):
            for row in csv.reader(io.StringIO(data, newline=""), delimiter=delimiter, quoting=quoting):
                for cell in row:
                    assert not cell.lstrip('"').startswith(("=", "+", "@")), (delimiter, cell)
