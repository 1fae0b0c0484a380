"""A hostile XLSForm (a future upload) never crashes the reader, never fills a worker's memory and never
carries a hidden control character into the questionnaire: each gives problems naming what to fix."""

import hashlib
import io
import json
import struct
import tracemalloc
import unicodedata
import zipfile

import pytest

from app.config import LANGUAGES, SHIPPED_SURVEY
from app.questionnaire import export_names, xlsform, xlsx_file
from app.questionnaire.versions import definition
from app.questionnaire.xlsform import SurveyFileError, read_xlsform
from app.staff.exports.rows import FIXED_COLUMNS
from tests.questionnaire.test_versions import SHIPPED_DEFINITIONS
from tests.questionnaire.xlsforms import good_form, write_form

SHARED_STRINGS_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"
SST = b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" uniqueCount="1"><si><t>%s</t></si></sst>'


def problems(source) -> list[str]:
    with pytest.raises(SurveyFileError) as raised:
        read_xlsform(source, LANGUAGES)
    return raised.value.problems


def with_shared_strings(tmp_path, write_strings) -> bytes:
    """A good form whose settings form_title comes from a sharedStrings.xml that `write_strings(file)`
    writes, built by hand as Excel would (openpyxl writes inline strings)."""
    good = write_form(tmp_path / "good.xlsx")
    out = io.BytesIO()
    with zipfile.ZipFile(good) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for part in source.infolist():
            data = source.read(part.filename)
            if part.filename == "[Content_Types].xml":
                override = f'<Override PartName="/xl/sharedStrings.xml" ContentType="{SHARED_STRINGS_TYPE}"/>'
                data = data.replace(b"</Types>", override.encode() + b"</Types>")
            if part.filename == "xl/worksheets/sheet3.xml":  # settings
                cell = b'<c r="A2" t="inlineStr"><is><t>Test survey</t></is></c>'
                assert cell in data
                data = data.replace(cell, b'<c r="A2" t="s"><v>0</v></c>')
            target.writestr(part.filename, data)
        with target.open("xl/sharedStrings.xml", "w") as strings:
            write_strings(strings)
    return out.getvalue()


def test_shared_strings_built_by_hand_are_read(tmp_path):
    assert read_xlsform(with_shared_strings(tmp_path, lambda f: f.write(SST % b"Test survey")), LANGUAGES).version == "2026-1"


# 1. Control characters -------------------------------------------------------------------------------

REFUSED = {
    "tab": "\t", "delete": "\x7f", "next line U+0085": "\x85", "line separator": "\u2028",
    "paragraph separator": "\u2029", "right-to-left override": "\u202e", "left-to-right embedding": "\u202a",
    "pop directional formatting": "\u202c", "right-to-left isolate": "\u2067", "pop directional isolate": "\u2069",
    "byte order mark": "\ufeff", "word joiner": "\u2060", "tag": "\U000e0041",
}


@pytest.mark.parametrize("character", REFUSED.values(), ids=REFUSED.keys())
def test_a_control_character_in_a_label_is_refused_with_sheet_row_and_column(tmp_path, character):
    form = good_form()
    form["survey"][2]["label::English (en)"] = f"Yes{character}or no?"  # row 4
    assert problems(write_form(tmp_path / "bad.xlsx", form)) == [
        f"survey row 4, column label::English (en): the text holds the invisible control character U+{ord(character):04X}"
        f" {unicodedata.name(character, 'control character')}; delete it"
    ]


@pytest.mark.parametrize("character", ["\x00", "\x0b", "\x0c", "\x1b"], ids=["NUL", "VT", "FF", "ESC"])
def test_a_c0_control_character_openpyxl_hands_back_is_refused(tmp_path, monkeypatch, character):
    """XML 1.0 cannot hold these (such a file is refused as bad XML, below); checked anyway at the
    seam, for any future reader that can."""
    real = xlsform.read_sheets

    def injected(source, wanted):
        sheets = real(source, wanted)
        sheets["choices"][1] = tuple(f"ye{character}s" if value == "yes" else value for value in sheets["choices"][1])
        return sheets

    monkeypatch.setattr(xlsform, "read_sheets", injected)
    found = problems(write_form(tmp_path / "bad.xlsx"))
    assert f"choices row 2, column name: the text holds the invisible control character U+{ord(character):04X} control character; delete it" in found


@pytest.mark.parametrize("sheet, index, column", [
    ("survey", 2, "name"), ("survey", 5, "relevant"), ("settings", 0, "version"), ("choices", 0, "list_name"),
])
def test_a_line_break_is_refused_where_no_page_shows_the_text(tmp_path, sheet, index, column):
    form = good_form()
    row = form[sheet][index]
    row[column] = row[column][:1] + "\n" + row[column][1:]
    found = problems(write_form(tmp_path / "bad.xlsx", form))
    number = index + 2
    assert f"{sheet} row {number}, column {column}: a line break is only allowed in texts a page shows (labels, hints, titles)" in found


@pytest.mark.parametrize("typed", ["First line\nsecond", "First line\r\nsecond", "First line\rsecond"], ids=["LF", "CRLF", "CR"])
def test_a_line_break_in_a_label_is_kept_as_lf(tmp_path, typed):
    form = good_form()
    form["survey"][2]["label"] = typed
    form["settings"][0]["purpose"] = typed
    questionnaire = read_xlsform(write_form(tmp_path / "good.xlsx", form), LANGUAGES)
    assert questionnaire.questions["q_yes"].text.in_language("en") == "First line\nsecond"
    assert questionnaire.purpose.in_language("ur") == "First line\nsecond [ur]"


def test_marks_and_joiners_of_urdu_arabic_and_bengali_are_kept(tmp_path):
    form = good_form()
    label = "\u0622\u067e \u200f(BSL)\u200f \u061c\u0661 \u09b0\u200d\u09cd\u09af \u0645\u06cc\u200c\u06ba \u200eA\u00ad"
    form["survey"][2]["label::Urdu (ur)"] = label
    questionnaire = read_xlsform(write_form(tmp_path / "good.xlsx", form), LANGUAGES)
    assert questionnaire.questions["q_yes"].text.in_language("ur") == label


def test_a_very_long_text_is_refused(tmp_path):
    form = good_form()
    form["survey"][2]["hint"] = "x" * (xlsform.MAX_TEXT + 1)
    assert "survey row 4, column hint::English (en): the text is longer than 5,000 characters" in problems(write_form(tmp_path / "bad.xlsx", form))


def test_the_shipped_questionnaire_loads_unchanged_from_its_bytes(app):
    """No false positive on its Urdu, Arabic, Bengali and Panjabi texts, read as an upload would be."""
    shipped = read_xlsform(SHIPPED_SURVEY.read_bytes(), LANGUAGES)
    with app.app_context():
        described = definition(shipped)
    digest = hashlib.sha256(json.dumps(described, sort_keys=True).encode()).hexdigest()
    assert SHIPPED_DEFINITIONS[shipped.version] == digest


# 2. Deep nesting and long expressions ----------------------------------------------------------------

def test_340_nested_brackets_in_relevant_are_refused_with_row_and_column(tmp_path):
    form = good_form()
    form["survey"][5]["relevant"] = "(" * 340 + "selected(${q_yes}, 'yes')" + ")" * 340  # row 7
    assert problems(write_form(tmp_path / "bad.xlsx", form)) == [
        "survey row 7, column relevant: brackets and not(...) are nested more than 32 deep; write a simpler condition"
    ]


def test_32_nested_brackets_are_fine(tmp_path):
    form = good_form()
    form["survey"][5]["relevant"] = "not(" * 16 + "(" * 16 + "selected(${q_yes}, 'yes')" + ")" * 32
    assert read_xlsform(write_form(tmp_path / "good.xlsx", form), LANGUAGES).pages[1].condition is not None


def test_a_very_long_relevant_is_refused(tmp_path):
    form = good_form()
    form["survey"][5]["relevant"] = " or ".join(["selected(${q_yes}, 'yes')"] * 100)  # row 7, 2,896 characters
    assert problems(write_form(tmp_path / "bad.xlsx", form)) == [
        "survey row 7, column relevant: the expression is longer than 2,000 characters; write a simpler condition"
    ]


@pytest.mark.parametrize("sheet, index, column, value, message", [
    ("settings", 0, "minutes", "\u00b2", "say how many minutes the survey takes, as a whole number"),  # "²".isdigit()
    ("survey", 6, "constraint", "string-length(.) <= " + "9" * 4400, "the limit can be at most 100,000 characters"),
])
def test_numbers_int_cannot_read_are_problems_not_crashes(tmp_path, sheet, index, column, value, message):
    form = good_form()
    form[sheet][index][column] = value
    assert f"{sheet} row {index + 2}, column {column}: {message}" in problems(write_form(tmp_path / "bad.xlsx", form))


# 3. Files openpyxl cannot read -----------------------------------------------------------------------

@pytest.mark.parametrize("strings", [
    SST % b"Test\x01survey",  # a character XML 1.0 cannot hold
    SST % b"Test&#11;survey",  # the same as a character reference
    SST % b"Test &nope; survey",  # an undefined entity
    SST[:80],  # cut short
], ids=["invalid character", "invalid character reference", "undefined entity", "truncated"])
def test_bad_xml_is_one_problem(tmp_path, strings):
    found = problems(with_shared_strings(tmp_path, lambda f: f.write(strings)))
    assert len(found) == 1 and found[0].startswith("the file: cannot be read as an .xlsx spreadsheet (ParseError: ")


def test_a_dtd_is_refused_before_openpyxl_reads_it(tmp_path):
    laughs = b'<?xml version="1.0"?><!DOCTYPE sst [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;">]>'
    found = problems(with_shared_strings(tmp_path, lambda f: f.write(laughs + SST % b"&b;")))
    assert found == ["the file: cannot be read as an .xlsx spreadsheet (xl/sharedStrings.xml has a DTD, which no spreadsheet part has)"]


@pytest.mark.parametrize("content", [b"", b"plain text", b"PK\x03\x04 not really"], ids=["empty", "text", "zip signature"])
def test_a_file_that_is_not_a_zip_is_one_problem(content):
    found = problems(content)
    assert len(found) == 1 and found[0].startswith("the file: cannot be read as an .xlsx spreadsheet (not a zip file")


def test_a_truncated_zip_is_one_problem(tmp_path):
    data = write_form(tmp_path / "good.xlsx").read_bytes()
    found = problems(data[: len(data) // 2])
    assert len(found) == 1 and "cannot be read as an .xlsx spreadsheet" in found[0]


def test_a_zip_without_a_workbook_is_one_problem():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("hello.txt", "hello")
    found = problems(out.getvalue())
    assert len(found) == 1 and "cannot be read as an .xlsx spreadsheet" in found[0]


# 4. Size: the file, the zip bomb, rows, columns and sheets ------------------------------------------

def test_a_file_over_the_size_cap_is_refused_before_it_is_read(tmp_path):
    path = tmp_path / "big.xlsx"
    path.write_bytes(b"PK" + b"\0" * xlsx_file.MAX_FILE_BYTES)
    assert problems(path) == [f"{path}: the file is bigger than 2 MB; a questionnaire is far smaller"]
    assert problems(path.read_bytes()) == ["the file: the file is bigger than 2 MB; a questionnaire is far smaller"]


def zeros(size: int):
    def write(strings):
        strings.write(b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><si><t>')
        chunk = b"0" * 1_000_000
        for _ in range(size // len(chunk)):
            strings.write(chunk)
        strings.write(b"</t></si></sst>")
    return write


def test_a_zip_bomb_is_refused_from_its_central_directory_without_expanding_it(tmp_path):
    bomb = with_shared_strings(tmp_path, zeros(200_000_000))
    assert len(bomb) < xlsx_file.MAX_FILE_BYTES  # ~200 KB: the size cap alone does not stop it
    tracemalloc.start()
    try:
        found = problems(bomb)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(found) == 1 and found[0].startswith("the file: cannot be read as an .xlsx spreadsheet (it would expand to 200,")
    assert found[0].endswith(" bytes, more than 10,000,000)")
    assert peak < 5_000_000  # the 200 MB were never decompressed


def test_a_part_compressed_absurdly_well_is_refused(tmp_path):
    found = problems(with_shared_strings(tmp_path, zeros(4_000_000)))  # under the 5 MB cap, ~1,000 times smaller
    assert len(found) == 1 and "xl/sharedStrings.xml is compressed" in found[0] and "a zip bomb?" in found[0]


def test_a_part_of_millions_of_short_strings_is_refused_before_openpyxl_reads_it(tmp_path):
    # Compressed only about 26 times (under MAX_RATIO) and under the file's size cap, such a part once
    # took openpyxl a minute and 270 MB to read, in every worker.
    def short_strings(strings):
        strings.write(b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">')
        strings.write(b"<si><t>Test survey</t></si>")
        for start in range(0, 400_000, 1_000):
            strings.write(b"".join(b"<si><t>%d</t></si>" % (start + index) for index in range(1_000)))
        strings.write(b"</sst>")

    data = with_shared_strings(tmp_path, short_strings)
    assert len(data) < xlsx_file.MAX_FILE_BYTES
    found = problems(data)
    assert len(found) == 1 and "xl/sharedStrings.xml would expand to" in found[0]
    assert found[0].endswith(f"more than {xlsx_file.MAX_PART_BYTES:,})")


def test_a_part_that_holds_more_than_it_declares_is_refused_while_reading_it_in_chunks(tmp_path, monkeypatch):
    monkeypatch.setattr(xlsx_file, "MAX_RATIO", 10_000)
    data = bytearray(with_shared_strings(tmp_path, zeros(5_000_000)))
    # The declared size, in the local header and the central directory, says 1,000 bytes.
    for signature, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        at = data.find(signature)
        while at >= 0:
            name_at = at + (30 if signature == b"PK\x03\x04" else 46)
            if data[name_at:name_at + 20] == b"xl/sharedStrings.xml":
                data[at + offset:at + offset + 4] = struct.pack("<I", 1000)
            at = data.find(signature, at + 4)
    tracemalloc.start()
    try:
        found = problems(bytes(data))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert found == ["the file: cannot be read as an .xlsx spreadsheet (xl/sharedStrings.xml: Bad CRC-32 for file 'xl/sharedStrings.xml')"]
    assert peak < 5_000_000


@pytest.mark.parametrize("limit, value, message", [
    ("MAX_ROWS", 10, "survey: more than 10 rows; a questionnaire has far fewer"),  # survey has 11 (with its headings)
    ("MAX_COLUMNS", 10, "survey row 1: more than 10 columns; a questionnaire has far fewer"),
    ("MAX_SHEETS", 2, "the file: 3 sheets; a questionnaire has survey, choices and settings"),
])
def test_too_many_rows_columns_or_sheets_is_one_problem(tmp_path, monkeypatch, limit, value, message):
    monkeypatch.setattr(xlsx_file, limit, value)
    assert problems(write_form(tmp_path / "big.xlsx").read_bytes()) == [message]


def test_the_shipped_file_is_well_within_the_limits():
    with zipfile.ZipFile(SHIPPED_SURVEY) as archive:
        expanded = sum(part.file_size for part in archive.infolist())
    assert SHIPPED_SURVEY.stat().st_size * 10 < xlsx_file.MAX_FILE_BYTES
    assert expanded * 10 < xlsx_file.MAX_EXPANDED_BYTES


# 5. Export columns with the same name ----------------------------------------------------------------

def exp_question(after: bool) -> dict:
    """A multiple choice `exp` with options a and b (choices rows 11, 12), and a text question `exp.a`
    after it (survey rows 12, 13) or before it (rows 12, 13 the other way round)."""
    form = good_form()
    form["choices"] += [{"list_name": "ab", "name": "a", "label": "A"}, {"list_name": "ab", "name": "b", "label": "B"}]
    multiple = {"type": "select_multiple ab", "name": "exp", "label": "Which?"}
    text = {"type": "text", "name": "exp.a", "label": "Tell us"}
    form["survey"] += [multiple, text] if after else [text, multiple]
    return form


def test_a_question_named_like_an_option_column_after_it_is_refused(tmp_path):
    assert problems(write_form(tmp_path / "bad.xlsx", exp_question(after=True))) == [
        "survey row 13, column name: the export column 'exp.a' of question 'exp.a' (survey row 13) is also the column of"
        " option 'a' (choices row 11) of the multiple choice 'exp' (survey row 12); rename one of them"
    ]


def test_a_question_named_like_an_option_column_before_it_is_refused(tmp_path):
    assert problems(write_form(tmp_path / "bad.xlsx", exp_question(after=False))) == [
        "choices row 11, column name: the export column 'exp.a' of option 'a' (choices row 11) of the multiple choice"
        " 'exp' (survey row 13) is also the column of question 'exp.a' (survey row 12); rename one of them"
    ]


@pytest.mark.parametrize("name, message", [
    ("Q_YES", "the export column 'Q_YES' of question 'Q_YES' (survey row 12) is also the column of question 'q_yes'"
              " (survey row 4) (SPSS does not tell capital letters from small ones); rename one of them"),
    ("language", "the export column 'language' of question 'language' (survey row 12) is also the column of"
                 " the export's own column 'language'; rename one of them"),
    ("q-dash", "the export column 'q-dash' of question 'q-dash' (survey row 12) is not a name SPSS accepts: a letter,"
               " then letters, digits, _ or . (no -, not ending in .), and not a word such as and, or, not"),
    ("_q", "the export column '_q' of question '_q' (survey row 12) is not a name SPSS accepts: a letter,"
           " then letters, digits, _ or . (no -, not ending in .), and not a word such as and, or, not"),
    ("q.", "the export column 'q.' of question 'q.' (survey row 12) is not a name SPSS accepts: a letter,"
           " then letters, digits, _ or . (no -, not ending in .), and not a word such as and, or, not"),
    ("q" * 65, f"the export column '{'q' * 65}' of question '{'q' * 65}' (survey row 12) is longer than SPSS's 64"
               " characters; use shorter names"),
])
def test_other_export_column_names_the_exports_would_trip_on_are_refused(tmp_path, name, message):
    form = good_form()
    form["survey"].append({"type": "text", "name": name, "label": "Tell us"})  # row 12
    assert problems(write_form(tmp_path / "bad.xlsx", form)) == [f"survey row 12, column name: {message}"]


def test_the_reader_knows_the_exports_own_columns():
    assert export_names.FIXED_COLUMNS == FIXED_COLUMNS


# Every bad file: `flask survey check` and the app's start list the problems, with no traceback --------

def bad_file(tmp_path, kind: str):
    form = good_form()
    if kind == "nested brackets":
        form["survey"][5]["relevant"] = "(" * 340 + "selected(${q_yes}, 'yes')" + ")" * 340
    elif kind == "control character":
        form["survey"][2]["label::English (en)"] = "Yes\u202eor no?"
    elif kind == "column clash":
        form = exp_question(after=True)
    elif kind == "invalid XML character":
        return with_shared_strings(tmp_path, lambda f: f.write(SST % b"Test\x01survey"))
    elif kind == "undefined entity":
        return with_shared_strings(tmp_path, lambda f: f.write(SST % b"Test &nope; survey"))
    elif kind == "zip bomb":
        return with_shared_strings(tmp_path, zeros(200_000_000))
    elif kind == "not a zip":
        return b"plain text"
    elif kind == "too large":
        return b"PK" + b"\0" * xlsx_file.MAX_FILE_BYTES
    return write_form(tmp_path / "form.xlsx", form).read_bytes()


BAD_FILES = {
    "nested brackets": "survey row 7, column relevant: brackets and not(...) are nested more than 32 deep",
    "control character": "survey row 4, column label::English (en): the text holds the invisible control character U+202E",
    "column clash": "survey row 13, column name: the export column 'exp.a' of question 'exp.a'",
    "invalid XML character": "cannot be read as an .xlsx spreadsheet (ParseError: not well-formed (invalid token)",
    "undefined entity": "cannot be read as an .xlsx spreadsheet (ParseError: undefined entity",
    "zip bomb": "cannot be read as an .xlsx spreadsheet (it would expand to",
    "not a zip": "cannot be read as an .xlsx spreadsheet (not a zip file",
    "too large": "the file is bigger than 2 MB",
}


@pytest.mark.parametrize("kind", BAD_FILES)
def test_survey_check_prints_the_problem_of_every_bad_file_and_exits_1(runner, tmp_path, kind):
    path = tmp_path / "bad.xlsx"
    path.write_bytes(bad_file(tmp_path, kind))
    result = runner.invoke(args=["survey", "check", str(path)])
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit)
    assert BAD_FILES[kind] in result.output
    assert "problem(s) in" in result.output.splitlines()[-1]
    assert "Traceback" not in result.output


def test_a_survey_file_openpyxl_cannot_read_stops_the_start_without_a_traceback(tmp_path):
    from tests.questionnaire.test_survey_file import run_flask

    path = tmp_path / "bad.xlsx"
    path.write_bytes(bad_file(tmp_path, "undefined entity"))
    done = run_flask(path, "routes")
    assert done.returncode == 4
    assert f"{path}: cannot be read as an .xlsx spreadsheet (ParseError: undefined entity" in done.stderr
    assert "Traceback" not in done.stderr + done.stdout
