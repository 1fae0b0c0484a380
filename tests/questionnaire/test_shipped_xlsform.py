"""The West Midlands survey shipped as an XLSForm: a real XLSForm, and the same questionnaire, in every
language, as the one written in Python (default.py) with its translations in the catalogues.

When this fails after a change to default.py or to a catalogue, make the file anew:
`make translations && flask --app wsgi survey export-default`.
"""

import itertools
import warnings

import pytest
from pyxform.xls2xform import convert

from app.config import LANGUAGES
from app.questionnaire.cli import SHIPPED
from app.questionnaire.default import QUESTIONNAIRE as PYTHON
from app.questionnaire.review import text_in
from app.questionnaire.xlsform import check, language_column, load


@pytest.fixture(scope="module")
def shipped():
    return load(SHIPPED, LANGUAGES)


@pytest.fixture
def app_context(make_app):
    with make_app().app_context():
        yield


def test_pyxform_converts_it_without_errors_or_warnings():
    found = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # pyxform's own, not ours
        result = convert(xlsform=str(SHIPPED), warnings=found)
    assert found == []
    assert "<h:html" in result.xform and "Urdu (ur)" in result.xform


def test_survey_check_passes():
    assert check(SHIPPED, LANGUAGES) == []


def test_same_settings(shipped):
    assert shipped.version == PYTHON.version
    assert shipped.minutes == PYTHON.minutes


def test_same_pages_questions_and_options(shipped):
    assert [page.id for page in shipped.pages] == [page.id for page in PYTHON.pages]
    for python_page, page in zip(PYTHON.pages, shipped.pages, strict=True):
        assert (page.content_note, page.optional_section) == (python_page.content_note, python_page.optional_section)
        assert bool(page.intro) == bool(python_page.intro)
        assert [q.id for q in page.questions] == [q.id for q in python_page.questions]
        for python_question, question in zip(python_page.questions, page.questions):
            assert question.kind is python_question.kind
            assert question.required == python_question.required
            assert question.max_length == python_question.max_length
            assert [(o.code, o.exclusive) for o in question.options] == [(o.code, o.exclusive) for o in python_question.options]
            assert [o.group is None for o in question.options] == [o.group is None for o in python_question.options]


def test_same_conditions(shipped):
    for python_page, page in zip(PYTHON.pages, shipped.pages):
        assert [(c.question, c.codes) for c in page.shown_if] == [(c.question, c.codes) for c in python_page.shown_if]
        assert page.condition is None and python_page.condition is None


def _answer_sets(questionnaire):
    """Every combination of one option for each question a condition looks at."""
    looked_at = sorted({c.question for page in questionnaire.pages for c in page.shown_if})
    choices = [[o.code for o in questionnaire.questions[qid].options] for qid in looked_at]
    for combination in itertools.product(*choices):
        yield {qid: [code] if questionnaire.questions[qid].kind.value == "multiple" else code
               for qid, code in zip(looked_at, combination)}


def test_same_pages_shown_for_every_combination_of_answers(shipped):
    from app.questionnaire import engine

    for answers in itertools.islice(_answer_sets(PYTHON), 5000):
        python_pages = [page.id for page in engine.visible_pages(PYTHON, answers)]
        shipped_pages = [page.id for page in engine.visible_pages(shipped, answers)]
        assert python_pages == shipped_pages


def _texts(questionnaire, language):
    yield text_in(questionnaire.title, language)
    yield text_in(questionnaire.purpose, language)
    for page in questionnaire.pages:
        yield text_in(page.title, language)
        yield text_in(page.intro, language)
        for question in page.questions:
            for text in (question.text, question.hint, question.summary_label, question.error):
                yield text_in(text, language)
            for option in question.options:
                yield text_in(option.label, language)
                yield text_in(option.group, language)


@pytest.mark.parametrize("language", list(LANGUAGES))
def test_same_texts_in_every_language(app_context, shipped, language):
    expected = list(_texts(PYTHON, language))
    assert list(_texts(shipped, language)) == expected
    if language != "en":  # the catalogue really translates them (a compiled catalogue is there)
        assert expected != list(_texts(PYTHON, "en"))


def _cells_by_english(path):
    """{English text: {language: {texts in that language of every cell whose English is that text}}}."""
    from openpyxl import load_workbook

    found: dict[str, dict[str, set[str]]] = {}
    workbook = load_workbook(path, read_only=True)
    for sheet in workbook:
        rows = sheet.iter_rows(values_only=True)
        header = [str(cell or "") for cell in next(rows)]
        for row in rows:
            cells = dict(zip(header, row))
            for column, english in cells.items():
                if not english or not column.endswith(" (en)"):
                    continue
                base = column.split("::")[0]
                for code in LANGUAGES:
                    value = cells[language_column(base, code)]
                    found.setdefault(english, {}).setdefault(code, set()).add(value)
    workbook.close()
    return found


@pytest.mark.parametrize("language", [code for code in LANGUAGES if code != "en"])
def test_every_questionnaire_text_of_the_catalogues_is_the_cell_of_the_file(language):
    """Before the questionnaire's entries leave the .po files: each of them, read from the catalogue
    itself (not the compiled one), is exactly the text of every cell of the file in that language."""
    from pathlib import Path

    from babel.messages.extract import extract_from_file
    from babel.messages.pofile import read_po

    import app.questionnaire.default as default

    msgids = {message for _, message, _, _ in extract_from_file("python", default.__file__, keywords={"_l": None})}
    po = Path(__file__).resolve().parents[2] / "translations" / language / "LC_MESSAGES" / "messages.po"
    with po.open("rb") as handle:
        catalogue = read_po(handle, locale=language)
    cells = _cells_by_english(SHIPPED)
    assert len(msgids) > 100
    for msgid in msgids:
        message = catalogue.get(msgid)
        assert message is not None and message.string and not message.fuzzy, msgid
        assert msgid in cells, f"{msgid!r} is in no cell of the file"
        assert cells[msgid][language] == {message.string}, msgid
