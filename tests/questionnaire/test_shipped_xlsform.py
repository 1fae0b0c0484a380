"""The West Midlands survey shipped as an XLSForm: a real XLSForm, the one source of every questionnaire
text in every language, and no longer in the gettext catalogues (they keep the service's own words)."""

import warnings
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from openpyxl import load_workbook
from pyxform.xls2xform import convert

from app.config import LANGUAGES, SHIPPED_SURVEY
from app.questionnaire import QUESTIONNAIRE
from app.questionnaire.xlsform import check, load

TRANSLATIONS = Path(__file__).resolve().parents[2] / "translations"


def _text_columns():
    """{sheet: (header, rows, {base column: {language code: index}})} of the shipped file."""
    workbook = load_workbook(SHIPPED_SURVEY, read_only=True)
    found = {}
    for sheet in workbook:
        rows = list(sheet.iter_rows(values_only=True))
        header = [str(cell or "") for cell in rows[0]]
        columns: dict[str, dict[str, int]] = {}
        for index, heading in enumerate(header):
            if "::" in heading:
                base, language = heading.split("::")
                columns.setdefault(base, {})[language.rsplit("(", 1)[1].rstrip(")")] = index
        found[sheet.title] = (header, rows[1:], columns)
    workbook.close()
    return found


def _english_texts() -> set[str]:
    texts = set()
    for _, rows, columns in _text_columns().values():
        for row in rows:
            texts.update(row[by_language["en"]] for by_language in columns.values() if row[by_language["en"]])
    return texts


def test_pyxform_converts_it_without_errors_or_warnings():
    found = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # pyxform's own, not ours
        result = convert(xlsform=str(SHIPPED_SURVEY), warnings=found)
    assert found == []
    assert "<h:html" in result.xform and "Urdu (ur)" in result.xform


def test_survey_check_passes():
    assert check(SHIPPED_SURVEY, LANGUAGES) == []


def test_the_app_serves_the_shipped_file():
    """Every other test of the public pages (the whole survey walked in every language, the browser
    checks) therefore runs on the spreadsheet."""
    shipped = load(SHIPPED_SURVEY, LANGUAGES)
    assert [page.id for page in QUESTIONNAIRE.pages] == [page.id for page in shipped.pages]
    assert QUESTIONNAIRE.version == shipped.version and QUESTIONNAIRE.minutes == shipped.minutes
    assert str(QUESTIONNAIRE.questions["area"].options[0].label) == str(shipped.questions["area"].options[0].label)


def test_every_text_cell_is_filled_in_every_language():
    sheets = _text_columns()
    for sheet, (header, rows, columns) in sheets.items():
        for base, by_language in columns.items():
            assert set(by_language) == set(LANGUAGES), f"{sheet}, {base}: a column for each language"
            for number, row in enumerate(rows, start=2):
                given = {code: str(row[index] or "").strip() for code, index in by_language.items()}
                assert all(given.values()) or not any(given.values()), f"{sheet} row {number}, {base}: {given}"
    # The questionnaire's own texts: question, options, page headings, the start page.
    assert len(_english_texts()) > 150


@pytest.mark.parametrize("language", [code for code in LANGUAGES if code != "en"])
def test_no_catalogue_holds_a_questionnaire_text(language):
    with (TRANSLATIONS / language / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        catalogue = read_po(handle, locale=language)
    msgids = {message.id if isinstance(message.id, str) else message.id[0] for message in catalogue if message.id}
    assert sorted(msgids & _english_texts()) == []
