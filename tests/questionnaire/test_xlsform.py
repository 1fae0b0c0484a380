"""Reading XLSForms: every kind and condition of the subset, and every refusal named by sheet, row, column."""

import pytest
from flask_babel import force_locale
from openpyxl import load_workbook

from app.config import LANGUAGES
from app.questionnaire import engine
from app.questionnaire.conditions import All, Equals, Not, Selected
from app.questionnaire.model import Kind, Text
from app.questionnaire.xlsform import SurveyFileError, load
from tests.questionnaire.xlsforms import good_form, translated, write_form


@pytest.fixture
def good(tmp_path):
    return load(write_form(tmp_path / "good.xlsx"), LANGUAGES)


def test_settings(good):
    assert good.version == "2026-1"
    assert good.minutes == 5
    assert good.title.in_language("en") == "Tell us"
    assert good.purpose.in_language("ur") == "Why we ask [ur]"


def test_groups_are_pages_and_a_question_outside_a_group_is_a_page_of_its_own(good):
    assert [page.id for page in good.pages] == ["p_start", "q_multi", "q_text", "p_more"]
    assert [[q.id for q in page.questions] for page in good.pages] == [["q_yes", "q_scale"], ["q_multi"], ["q_text"], ["q_more"]]
    start, multi, text, more = good.pages
    assert start.title.in_language("pl") == "About you [pl]"
    assert multi.title.in_language("en") == "Which things?"  # a page of its own: its label is the heading
    assert start.intro.in_language("ar") == "Some intro [ar]"  # the note is the paragraph above the questions
    assert start.content_note and not start.optional_section
    assert more.optional_section and not more.content_note


def test_every_kind(good):
    questions = good.questions
    assert questions["q_yes"].kind is Kind.SINGLE
    assert questions["q_scale"].kind is Kind.SCALE  # select_one with appearance likert
    assert questions["q_multi"].kind is Kind.MULTIPLE
    assert questions["q_text"].kind is Kind.TEXT
    assert questions["q_text"].max_length == 100  # from string-length(.) <= 100
    assert questions["q_more"].max_length == 500  # the default without a constraint
    assert [o.code for o in questions["q_yes"].options] == ["yes", "no", "pnts"]
    assert [o.exclusive for o in questions["q_multi"].options] == [False, False, True]
    assert questions["q_yes"].required and not questions["q_multi"].required and not questions["q_text"].required


def test_option_groups_share_one_heading(good):
    a, b, none = good.questions["q_multi"].options
    assert a.group.in_language("bn") == "Group one [bn]"
    assert a.group == b.group and none.group is None


@pytest.mark.parametrize("code", list(LANGUAGES))
def test_every_text_in_every_language(good, code):
    question = good.questions["q_multi"]
    assert question.text.in_language(code) == translated("Which things?", code)
    assert question.hint.in_language(code) == translated("Choose all", code)
    assert good.questions["q_yes"].summary_label.in_language(code) == translated("Yes?", code)
    assert question.options[0].label.in_language(code) == translated("A", code)


def test_texts_follow_the_language_of_the_request(make_app, good):
    app = make_app()
    with app.app_context():
        for code in LANGUAGES:
            with force_locale(code):
                assert str(good.questions["q_yes"].text) == translated("Yes or no?", code)
        assert str(good.questions["q_yes"].text) == "Yes or no?"  # no request: the default language


def test_a_text_escapes_html():
    text = Text((("en", "<b>bold</b> & co"),))
    assert text.__html__() == "&lt;b&gt;bold&lt;/b&gt; &amp; co"


def test_conditions(good):
    _, multi, text, more = good.pages
    # "the answer is one of these codes" stays the plain form the codebook describes
    assert [(c.question, c.codes) for c in multi.shown_if] == [("q_yes", ("yes",))]
    assert multi.condition is None
    assert text.condition == All((Equals("q_yes", "yes"), Not(Selected("q_multi", "none"))))
    assert more.condition == Equals("q_scale", "bad", negate=True)


@pytest.mark.parametrize(
    "answers, shown",
    [
        ({"q_yes": "no", "q_scale": "good"}, ["p_start", "p_more"]),
        ({"q_yes": "no", "q_scale": "bad"}, ["p_start"]),
        ({"q_yes": "yes", "q_scale": "good", "q_multi": ["a"]}, ["p_start", "q_multi", "q_text", "p_more"]),
        ({"q_yes": "yes", "q_scale": "good", "q_multi": ["none"]}, ["p_start", "q_multi", "p_more"]),
    ],
)
def test_the_engine_walks_a_loaded_form(good, answers, shown):
    assert [page.id for page in engine.visible_pages(good, answers)] == shown


def test_a_hidden_page_hides_the_pages_that_depend_on_it(good):
    # q_multi's answer is kept in the draft but its page is hidden: q_text must not see it
    answers = {"q_yes": "no", "q_scale": "good", "q_multi": ["a"]}
    assert "q_text" not in [page.id for page in engine.visible_pages(good, answers)]
    assert "q_multi" not in engine.prune(good, answers)


def row(form, sheet, number):
    """A row by the number a spreadsheet program shows (the headings are row 1)."""
    return form[sheet][number - 2]


def set_cell(sheet, number, column, value):
    def change(form):
        row(form, sheet, number)[column] = value

    return change


BAD = [
    # conditions
    (set_cell("survey", 7, "relevant", "${q_text} = 'x'"), "survey row 7, column relevant: ${q_text} refers to a question that comes later"),
    (set_cell("survey", 7, "relevant", "${nope} = 'x'"), "survey row 7, column relevant: ${nope} is not a question of this form"),
    (set_cell("survey", 7, "relevant", "${q_yes} = 'maybe'"), "survey row 7, column relevant: 'maybe' is not an option of ${q_yes}"),
    (set_cell("survey", 9, "relevant", "${q_more} = 'x'"), "survey row 9, column relevant: ${q_more} is on the same page"),
    (set_cell("survey", 7, "relevant", "selected(${q_multi}, 'a')"), "survey row 7, column relevant: ${q_multi} is on the same page"),
    (set_cell("survey", 9, "relevant", "${q_text} = 'x'"), "survey row 9, column relevant: ${q_text} is a text question"),
    (set_cell("survey", 9, "relevant", "${p_start} = 'x'"), "survey row 9, column relevant: ${p_start} is a group or a note"),
    (set_cell("survey", 7, "relevant", "${q_yes} > 1"), "survey row 7, column relevant: '>' is not supported"),
    (set_cell("survey", 7, "relevant", "count-selected(${q_yes}) = '1'"), "survey row 7, column relevant: 'count-selected' is not supported"),
    (set_cell("survey", 4, "relevant", "${q_scale} = 'good'"), "survey row 4, column relevant: a question inside a group cannot have a relevant: put it on the group"),
    # types and appearances
    (set_cell("survey", 7, "type", "integer"), "survey row 7, column type: 'integer' is not a supported type"),
    (set_cell("survey", 7, "type", "select_one areas"), "survey row 7, column type: list 'areas' is not in choices"),
    (set_cell("survey", 7, "type", "select_one things or_other"), "survey row 7, column type: 'select_one things or_other' is not a supported type"),
    (set_cell("survey", 7, "type", "select_one_from_file places.csv"), "survey row 7, column type: 'select_one_from_file places.csv' is not a supported type"),
    (set_cell("survey", 7, "type", "calculate"), "survey row 7, column type: 'calculate' is not a supported type"),
    (set_cell("survey", 2, "type", "begin_repeat"), "survey row 2, column type: 'begin_repeat' is not a supported type"),
    (set_cell("survey", 2, "appearance", ""), "survey row 2, column appearance: a group is a page: its appearance must be field-list"),
    (set_cell("survey", 4, "appearance", "minimal"), "survey row 4, column appearance: 'minimal' is not supported"),
    (set_cell("survey", 7, "appearance", "likert"), "survey row 7, column appearance: 'likert' is not supported"),
    (set_cell("survey", 8, "appearance", "multiline"), "survey row 8, column appearance: 'multiline' is not supported on a text question"),
    (set_cell("survey", 8, "constraint", ". != 'x'"), "survey row 8, column constraint: \". != 'x'\" is not supported"),
    (set_cell("survey", 7, "constraint", "string-length(.) <= 5"), "survey row 7, column constraint: a choice question cannot have a constraint"),
    (set_cell("survey", 4, "required", "maybe"), "survey row 4, column required: 'maybe' is not yes or no"),
    (set_cell("survey", 9, "optional_section", "perhaps"), "survey row 9, column optional_section: 'perhaps' is not yes or no"),
    (set_cell("survey", 2, "hint", "A hint"), "survey row 2, column hint: a group cannot have a hint"),
    (set_cell("survey", 2, "required", "yes"), "survey row 2, column required: a group cannot have a required"),
    (set_cell("survey", 3, "required", "yes"), "survey row 3, column required: a note cannot have a required"),
    (set_cell("survey", 4, "content_note", "yes"), "survey row 4, column content_note: a question inside a group"),
    # names
    (set_cell("survey", 9, "page_name", "p_start"), "survey row 9, column page_name: 'p_start' is not a usable name, or names another page"),
    (set_cell("survey", 9, "page_name", "q_multi"), "survey row 9, column page_name: 'q_multi' is not a usable name, or names another page"),
    (set_cell("survey", 10, "page_name", "x"), "survey row 10, column page_name: a question cannot have a page_name (only a group can)"),
    (set_cell("survey", 3, "page_name", "x"), "survey row 3, column page_name: a note cannot have a page_name"),
    (set_cell("survey", 2, "page_name", "q_text"), "survey row 8, column name: 'q_text' is already the page_name of a group"),
    (set_cell("survey", 8, "name", "q_multi"), "survey row 8, column name: 'q_multi' is already the name of another row"),
    (set_cell("survey", 8, "name", "2nd question"), "survey row 8, column name: '2nd question' is not a usable name"),
    (set_cell("survey", 8, "name", ""), "survey row 8, column name: '' is not a usable name"),
    # structure
    (set_cell("survey", 6, "type", "begin_group"), "survey row 6, column type: a group inside a group is not supported"),
    (set_cell("survey", 2, "type", "note"), "survey row 6, column type: end_group without a begin_group before it"),
    (set_cell("survey", 11, "type", "note"), "survey row 9, column type: this group has no end_group"),
    (set_cell("survey", 10, "type", "note"), "survey row 9, column type: this group has no questions"),
    (set_cell("survey", 7, "type", "note"), "survey row 7, column type: a note must be inside a field-list group"),
    (set_cell("survey", 4, "type", "note"), "survey row 4, column type: a page has one note, before its questions"),
    (set_cell("survey", 5, "type", "note"), "survey row 5, column type: a page has one note, before its questions"),
    # translations
    (set_cell("survey", 4, "label::Urdu (ur)", ""), "survey row 4: no label::Urdu (ur)"),
    (set_cell("survey", 7, "hint::Polish (pl)", None), "survey row 7: no hint::Polish (pl)"),
    (set_cell("survey", 2, "label::Punjabi (pa)", ""), "survey row 2: no label::Punjabi (pa)"),
    (set_cell("choices", 3, "label::Urdu (ur)", ""), "choices row 3: no label::Urdu (ur)"),
    (set_cell("choices", 10, "label::Arabic (ar)", ""), "choices row 10: no label::Arabic (ar)"),
    (set_cell("settings", 2, "purpose::Romanian (ro)", ""), "settings row 2: no purpose::Romanian (ro)"),
    (set_cell("survey", 4, "label::French (fr)", "Oui ou non ?"), "survey, column label::French (fr): 'fr' is not a language of this service"),
    # columns XLSForm has and we do not
    (set_cell("survey", 4, "constraint_message", "Choose one"), "survey, column constraint_message: this column is not part of the supported XLSForm subset"),
    (set_cell("survey", 4, "default", "yes"), "survey, column default: this column is not part of the supported XLSForm subset"),
    (set_cell("survey", 4, "media::image::English (en)", "a.png"), "survey, column media::image::English (en): this column is not part"),
    (set_cell("choices", 2, "filter", "x"), "choices, column filter: this column is not part of the supported XLSForm subset"),
    # choices
    (set_cell("choices", 3, "name", "yes"), "choices row 3, column name: 'yes' is already an option of list 'yn'"),
    (set_cell("choices", 3, "name", "not sure"), "choices row 3, column name: 'not sure' is not a usable option name"),
    (set_cell("choices", 4, "exclusive", "maybe"), "choices row 4, column exclusive: 'maybe' is not yes or no"),
    (set_cell("choices", 7, "option_group", "g2"), "choices row 7, column option_group: 'g2' is not a choice of list 'option_groups'"),
    (set_cell("choices", 5, "list_name", ""), "choices row 5, column list_name: every choice needs a list_name"),
    # settings
    (set_cell("settings", 2, "version", ""), "settings row 2, column version: the questionnaire needs a version"),
    (set_cell("settings", 2, "default_language", "French (fr)"), "settings row 2, column default_language: 'French (fr)' is not a language of this service"),
    (set_cell("settings", 2, "minutes", "ten"), "settings row 2, column minutes: say how many minutes"),
    (set_cell("settings", 2, "style", "pages"), "settings, column style: this column is not part of the supported XLSForm subset"),
    (lambda form: form["settings"].append(dict(form["settings"][0])), "settings: the settings sheet needs exactly one row"),
    (lambda form: form.update(external_choices=[{"list_name": "x"}]), "external_choices: this sheet is not part of the supported XLSForm subset"),
    (lambda form: form.update(survey=[]), "survey: the form has no questions"),
]


@pytest.mark.parametrize("change, message", BAD, ids=[message[:60] for _, message in BAD])
def test_a_problem_is_named_by_sheet_row_and_column(tmp_path, change, message):
    form = good_form()
    change(form)
    with pytest.raises(SurveyFileError) as error:
        load(write_form(tmp_path / "bad.xlsx", form), LANGUAGES)
    assert any(problem.startswith(message) for problem in error.value.problems), error.value.problems


def test_a_bare_label_column_asks_for_one_column_per_language(tmp_path):
    path = write_form(tmp_path / "bare.xlsx")
    workbook = load_workbook(path)
    workbook["survey"].cell(1, workbook["survey"].max_column + 1, "label")
    workbook.save(path)
    with pytest.raises(SurveyFileError) as error:
        load(path, LANGUAGES)
    assert "survey, column label: give one column per language, e.g. label::English (en)" in error.value.problems


@pytest.mark.parametrize(
    "drop, message",
    [
        ("label::Arabic (ar)", "survey: no column label::Arabic (ar)"),
        ("hint::Bangla (bn)", "survey: no column hint::Bangla (bn)"),
        ("summary_label::Polish (pl)", "survey: no column summary_label::Polish (pl)"),
        ("start_title::Urdu (ur)", "settings: no column start_title::Urdu (ur)"),
    ],
)
def test_a_missing_language_column_is_an_error(tmp_path, drop, message):
    with pytest.raises(SurveyFileError) as error:
        load(write_form(tmp_path / "bad.xlsx", drop=(drop,)), LANGUAGES)
    assert message in error.value.problems


@pytest.mark.parametrize("sheet", ["survey", "choices", "settings"])
def test_a_missing_sheet_is_an_error(tmp_path, sheet):
    sheets = tuple(name for name in ("survey", "choices", "settings") if name != sheet)
    with pytest.raises(SurveyFileError) as error:
        load(write_form(tmp_path / "bad.xlsx", sheets=sheets), LANGUAGES)
    assert f"{sheet}: the file has no sheet named '{sheet}'" in error.value.problems


def test_every_problem_is_reported_not_just_the_first(tmp_path):
    form = good_form()
    row(form, "survey", 7)["relevant"] = "${q_text} = 'x'"
    row(form, "survey", 8)["type"] = "integer"
    row(form, "choices", 3)["label::Urdu (ur)"] = ""
    row(form, "settings", 2)["version"] = ""
    with pytest.raises(SurveyFileError) as error:
        load(write_form(tmp_path / "bad.xlsx", form), LANGUAGES)
    problems = error.value.problems
    assert len(problems) == 4, problems
    assert "choices row 3: no label::Urdu (ur)" in problems


@pytest.mark.parametrize("content", [b"", b"not a spreadsheet", b"PK\x03\x04broken zip"])
def test_a_file_that_is_no_spreadsheet_is_one_clear_problem(tmp_path, content):
    path = tmp_path / "survey.xlsx"
    path.write_bytes(content)
    with pytest.raises(SurveyFileError) as error:
        load(path, LANGUAGES)
    assert len(error.value.problems) == 1
    assert "cannot be read as an .xlsx spreadsheet" in error.value.problems[0]


def test_a_missing_file_is_one_clear_problem(tmp_path):
    with pytest.raises(SurveyFileError) as error:
        load(tmp_path / "nowhere.xlsx", LANGUAGES)
    assert "cannot be read as an .xlsx spreadsheet" in error.value.problems[0]


def test_numbers_typed_as_names_and_versions_are_read_as_text(tmp_path):
    form = good_form()
    row(form, "settings", 2)["version"] = 3
    for number, code in ((2, 1), (3, 2), (4, 99)):
        row(form, "choices", number)["name"] = code
    row(form, "survey", 7)["relevant"] = "selected(${q_yes}, '1')"
    row(form, "survey", 8)["relevant"] = "${q_yes} = '1'"
    questionnaire = load(write_form(tmp_path / "numbers.xlsx", form), LANGUAGES)
    assert questionnaire.version == "3"
    assert [o.code for o in questionnaire.questions["q_yes"].options] == ["1", "2", "99"]


def test_blank_rows_and_group_spelling_with_a_space_are_accepted(tmp_path):
    form = good_form()
    row(form, "survey", 2)["type"] = "begin group"
    row(form, "survey", 6)["type"] = "end group"
    form["survey"].insert(5, {})
    questionnaire = load(write_form(tmp_path / "spaced.xlsx", form), LANGUAGES)
    assert [page.id for page in questionnaire.pages] == ["p_start", "q_multi", "q_text", "p_more"]


def test_page_name_names_a_page_apart_from_its_group(tmp_path):
    """XLSForm names are unique across the form, so a page may keep a name its question also has."""
    form = good_form()
    row(form, "survey", 9)["name"] = "more_page"
    row(form, "survey", 9)["page_name"] = "q_more"
    questionnaire = load(write_form(tmp_path / "named.xlsx", form), LANGUAGES)
    assert [page.id for page in questionnaire.pages] == ["p_start", "q_multi", "q_text", "q_more"]
    assert questionnaire.page("q_more").questions[0].id == "q_more"
