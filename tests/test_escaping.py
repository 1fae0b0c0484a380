"""app.escaping: every function keeps any text whatsoever inside its CSV cell, string or comment."""

import csv
import io
import os
import re
import shutil
import subprocess

import pytest

from app import escaping

# Every kind of text a writer might be handed, by name (the names make the test ids).
HOSTILE = {
    "plain": "Where do you feel unsafe?",
    "empty": "",
    "lf": "Where?\n\nHOST COMMAND=['touch pwned'].\n*",
    "cr": 'Where?\rsystem("touch pwned")  #',
    "crlf": "a\r\nb",
    "nul": "a\x00b",
    "vt": "a\x0bb",
    "ff": "a\x0cb",
    "file-group-record-separators": "a\x1cb\x1dc\x1ed",
    "nel": "a\x85b",
    "line-separator": "a\u2028b",
    "paragraph-separator": "a\u2029b",
    "tab": "a\tb",
    "escape": "a\x1b[31mb",
    "del-and-c1": "a\x7fb\x9bc",
    "apostrophes": "Your pet's name' + 'x",
    "double-quotes": 'He said "no"',
    "backslashes": "C:\\temp\\ and \\\" and \\",
    "r-breakout": '"); system("touch pwned"); ("',
    "spss-breakout": "x'.\nHOST COMMAND=['touch pwned'].\n* '",
    "period-at-line-end": "It ends here.\n",
    "spss-comment-marks": "/* not */ a comment */",
    "right-to-left-override": "safe \u202e;)\"dwp\"(metsys\u202c #",
    "isolates-and-marks": "\u2066a\u2069 \u2067b\u2069 \u2068c\u2069 \u200ed\u200f \u061ce \u202af\u202c \u202bg\u202c \u202dh\u202c",
    "urdu": "آپ کہاں غیر محفوظ محسوس کرتے ہیں؟",
    "urdu-with-zwnj": "می\u200cخواهم",
    "emoji": "Feeling 😀 👩‍👩‍👧 🏳️‍🌈",
    "lone-surrogate": "a\ud800b",
    "long": "Where " + "do you feel unsafe, and why? " * 345,  # about 10,000 characters
    "long-multibyte": "é" * 10_000,
    "long-apostrophes": "'" * 10_000,
    "formula": "=cmd|' /C calc'!A0",
    "semicolon-formula": "x;=cmd|' /C calc'!A0",
}
CASES = pytest.mark.parametrize("text", list(HOSTILE.values()), ids=list(HOSTILE))
# What must never be left in a line of a script: the line breaks and other controls, the bidi controls.
UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069\ud800-\udfff]")


def one_line_of_script(text: str) -> None:
    """What any line of a script must be: no line break of any reader, no control or bidi character."""
    assert "\n" not in text
    assert not UNSAFE.search(text), repr(text)
    assert text.splitlines() == [text] or text == ""  # Python's idea of line breaks is the widest


# CSV.


@CASES
def test_a_csv_cell_reads_back_as_one_cell_with_every_part_guarded(text):
    line = ",".join(["x", escaping.csv_cell(text), "y"]) + "\r\n"
    cells = list(csv.reader(io.StringIO(line, newline="")))
    assert cells == [["x", escaping.csv_guard(text), "y"]]
    guarded = escaping.csv_guard(text)
    # Every place a spreadsheet might start a cell (the start, and after ; tab CR LF) holds no formula.
    for part in re.split("[;\t\r\n]", guarded):
        assert not part.startswith(("=", "+", "-", "@")), part
    if re.search('[;\t,"\r\n]', guarded):
        assert escaping.csv_cell(text).startswith('"')
    # The guard only adds an apostrophe before what would be a formula: the text is all there.
    assert re.sub("(?:^|(?<=[;\t\r\n]))'(?=[=+\\-@\t\r])", "", guarded) == text


@pytest.mark.parametrize(
    "text, cell",
    [
        ("x;=cmd|' /C calc'!A0", "\"x;'=cmd|' /C calc'!A0\""),
        ("\t=1+1", "\"'\t'=1+1\""),
        ("a;b", '"a;b"'),
        ("tab\tin", '"tab\tin"'),
        ("=1", "'=1"),
        ("a=1", "a=1"),
        ("a\n@x", "\"a\n'@x\""),
    ],
)
def test_semicolons_and_tabs_are_quoted_and_each_part_guarded(text, cell):
    assert escaping.csv_cell(text) == cell


# SPSS.

SPSS_PIECE = re.compile(r"'((?:[^']|'')*)'")


def spss_literal_value(literal: str) -> str:
    """Read an SPSS string literal back as SPSS would: 'pieces' joined by +, each '' one '."""
    lines = literal.split("\n")
    pieces = []
    for number, line in enumerate(lines):
        piece = line if number == 0 else line.removeprefix("    + ")
        assert number == 0 or line.startswith("    + "), line
        match = SPSS_PIECE.fullmatch(piece)
        assert match, line
        pieces.append(match[1].replace("''", "'"))
    return "".join(pieces)


@CASES
@pytest.mark.parametrize("limit", [255, 120])
def test_an_spss_label_is_one_line_of_printable_text_within_the_byte_limit(text, limit):
    label = escaping.spss_text(text, limit)
    one_line_of_script(label)
    assert len(label.encode()) <= limit
    # The meaning stays: line breaks and tabs read as spaces, the invisible controls are gone.
    expected = UNSAFE.sub("", re.sub(f"[\t{escaping.LINE_BREAKS}]", " ", text))
    assert expected.startswith(label)
    if len(expected.encode()) <= limit:
        assert label == expected
    else:  # cut by bytes, never within a character
        assert len(label.encode()) > limit - 4


@CASES
def test_an_spss_string_literal_cannot_end_a_command_or_leave_its_quotes(text):
    literal = escaping.spss_string(text)
    for line in literal.split("\n"):
        one_line_of_script(line)
        assert len(line.encode()) <= 251  # older SPSS's longest syntax line
        assert line.endswith("'") and line.strip()  # never a period (or nothing) at a line's end
    assert spss_literal_value(literal) == escaping.spss_text(text)


@CASES
def test_an_spss_comment_is_one_line_ending_with_its_period(text):
    comment = escaping.spss_comment(text)
    one_line_of_script(comment)
    assert comment.startswith("* ") and comment.endswith(".") and not comment.endswith("..")
    assert "/*" not in comment and "*/" not in comment
    assert len(comment) <= escaping.COMMENT_LIMIT + 4


@pytest.mark.parametrize("name", ["q", "experiences.followed", "q_2.a", "@x", "Q.x.y"])
def test_spss_names_that_syntax_holds_as_they_stand(name):
    assert escaping.spss_name(name) == name


@pytest.mark.parametrize("name", ["a b", "a-b", "q.", "a'b", "a\nb", "x/DISPLAY", "a=1", "é", "x" * 65, ""])
def test_spss_names_that_would_break_the_syntax_are_refused(name):
    with pytest.raises(ValueError):
        escaping.spss_name(name)


# Stata.


@CASES
@pytest.mark.parametrize("limit", [80, 32_000])
def test_a_stata_label_is_one_line_of_printable_text_within_the_limits(text, limit):
    label = escaping.stata_text(text, limit)
    one_line_of_script(label)
    assert len(label) <= limit and len(label.encode()) <= 32_000
    expected = UNSAFE.sub("", re.sub(f"[\t{escaping.LINE_BREAKS}]", " ", text))
    assert expected.startswith(label)
    if len(expected) <= limit and len(expected.encode()) <= 32_000:
        assert label == expected
    else:  # cut by characters, or by bytes never within a character
        assert len(label) == limit or len(label.encode()) > 32_000 - 4


def test_a_stata_label_counts_characters_not_bytes():
    assert escaping.stata_text("ٹ" * 100, 80) == "ٹ" * 80  # 160 bytes: Stata takes 80 characters of any script
    assert escaping.stata_text("ٹ" * 20_000, 32_000) == "ٹ" * 16_000  # 32,000 bytes


# R.


@CASES
def test_an_r_string_literal_is_plain_ascii_on_short_lines(text):
    literal = escaping.r_string(text)
    assert literal.isascii()
    lines = literal.split("\n")
    for line in lines:
        one_line_of_script(line)
        assert len(line) <= 80
    if len(lines) == 1:
        assert re.fullmatch(r'"(?:[^"\\]|\\.)*"', literal)
    else:
        assert lines[0] == "paste0(" and lines[-1].endswith(")")
        assert all(re.fullmatch(r'    "(?:[^"\\]|\\.)*",?\)?', line) for line in lines[1:])


@CASES
def test_an_r_comment_is_one_line(text):
    comment = escaping.r_comment(text)
    assert comment.startswith("# ")
    one_line_of_script(comment)
    assert len(comment) <= escaping.COMMENT_LIMIT + 2


def test_an_r_comment_shows_the_hidden_characters():
    assert escaping.r_comment("a\u202eb\x00c\rd") == "# a<U+202E>b<U+0000>c d"


def r_meaning(text: str) -> list[int]:
    """The code points R should read: the text, with NUL and lone surrogates as U+FFFD (R holds neither)."""
    return [0xFFFD if c == "\x00" or 0xD800 <= ord(c) <= 0xDFFF else ord(c) for c in text]


@pytest.mark.skipif(shutil.which("Rscript") is None and not os.environ.get("CI"), reason="R is not installed (make r-deps installs r-base-core)")
@pytest.mark.parametrize("run", ["Rscript", "source"])
def test_r_reads_every_literal_back_as_the_text_and_runs_nothing_else(tmp_path, run):
    names = list(HOSTILE)
    script = ["values <- list("]
    script.append(",\n".join(f"  {escaping.r_comment(name)}\n  {escaping.r_string(text)}" for name, text in HOSTILE.items()))
    script.append(")")
    script.append('for (v in values) cat(paste(utf8ToInt(v), collapse = " "), "\\n", sep = "")')
    (tmp_path / "literals.R").write_text("\n".join(script) + "\n", encoding="ascii")
    command = ["Rscript", "literals.R"] if run == "Rscript" else ["Rscript", "-e", 'source("literals.R")']
    result = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    read = [[int(n) for n in line.split()] for line in result.stdout.split("\n")[: len(names)]]
    assert dict(zip(names, read)) == {name: r_meaning(text) for name, text in HOSTILE.items()}
    assert not (tmp_path / "pwned").exists()
