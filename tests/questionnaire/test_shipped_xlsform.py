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
from app.questionnaire.xlsform import check, load


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
