"""A plain XLSForm (as KoboToolbox or ODK write it: no extra columns, form_title and version in settings)
runs as it is, in the languages its file has and no others."""

import pytest
from flask_babel import force_locale

from app.config import LANGUAGES
from app.questionnaire.xlsform import SurveyFileError, estimated_minutes, load
from app.staff.exports.codebook import codebook_rows
from app.staff.exports.rows import english_labels
from tests.helpers import Respondent, soup
from tests.questionnaire.xlsforms import write_form

KOBO_LANGUAGES = {"en": "English", "pl": "Polski"}  # KoboToolbox names a language in itself


def kobo_form() -> dict:
    """Five questions on four pages, with a group, a note, a hint and a condition; row numbers in comments."""
    return {
        "survey": [
            {"type": "select_one yn", "name": "safe", "label": "Do you feel safe?", "required": "true"},  # 2
            {"type": "begin_group", "name": "where", "label": "Where", "appearance": "field-list"},  # 3
            {"type": "note", "name": "where_note", "label": "Think of the last month."},  # 4
            {"type": "select_multiple places", "name": "places", "label": "Which places?", "hint": "Choose all that apply"},  # 5
            {"type": "select_one yn", "name": "night", "label": "At night too?"},  # 6
            {"type": "end_group"},  # 7
            {"type": "text", "name": "why", "label": "Why?", "relevant": "${safe} = 'no'"},  # 8
            {"type": "text", "name": "more", "label": "Anything else?"},  # 9
        ],
        "choices": [
            {"list_name": "yn", "name": "yes", "label": "Yes"},  # 2
            {"list_name": "yn", "name": "no", "label": "No"},  # 3
            {"list_name": "places", "name": "street", "label": "The street"},  # 4
            {"list_name": "places", "name": "park", "label": "The park"},  # 5
        ],
        "settings": [{"form_title": "Safety in our town", "version": "2024-05"}],
    }


@pytest.fixture
def kobo_file(tmp_path):
    return str(write_form(tmp_path / "kobo.xlsx", kobo_form(), languages=KOBO_LANGUAGES))


@pytest.fixture
def plain_file(tmp_path):
    return str(write_form(tmp_path / "plain.xlsx", kobo_form(), languages={}))


def problems(path) -> list[str]:
    with pytest.raises(SurveyFileError) as error:
        load(path, LANGUAGES)
    return error.value.problems


def walk(client, language: str | None = None) -> list:
    """Answer every page ("no" to the first question, so the condition shows "Why?"), send, and return
    the parsed pages seen, from the start page to the confirmation."""
    respondent = Respondent(client)
    seen = [soup(client.get(f"/?lang={language}" if language else "/"))]
    response = respondent.start()
    while "/question/" in response.headers.get("Location", ""):
        url = response.headers["Location"]
        page = soup(client.get(url))
        seen.append(page)
        data = {}
        for field in page.select("main form input[type=radio], main form input[type=checkbox]"):
            data.setdefault(field["name"], "no" if field["name"] == "safe" else field["value"])
        data.update({field["name"]: "Typed words" for field in page.select("main form textarea, main form input[type=text]")
                     if field["name"] != "website"})  # not the honeypot
        response = respondent.post(url, data)
        assert response.status_code == 303, (url, response.status_code)
    assert response.headers["Location"].endswith("/check")
    seen.append(soup(client.get("/check")))
    assert respondent.submit().status_code == 303
    seen.append(soup(client.get("/done")))
    return seen


def switch_languages(page) -> list[str]:
    return [link["hreflang"] for link in page.select("nav.languages a")]


def test_a_kobo_form_in_two_languages_loads_in_those_two(kobo_file):
    questionnaire = load(kobo_file, LANGUAGES)
    assert questionnaire.languages == ("en", "pl")
    assert questionnaire.questions["safe"].text.in_language("pl") == "Do you feel safe? [pl]"
    assert questionnaire.title.in_language("pl") == "Safety in our town"  # form_title, in every language
    assert questionnaire.purpose is None
    assert questionnaire.minutes == estimated_minutes(5) == 2


@pytest.mark.parametrize("language, question", [("en", "Do you feel safe?"), ("pl", "Do you feel safe? [pl]")])
def test_a_kobo_form_runs_end_to_end_in_each_of_its_languages(make_app, kobo_file, language, question):
    client = make_app(SURVEY_FILE=kobo_file).test_client()
    pages = walk(client, language)
    start, first = pages[0], pages[1]
    assert start.h1.get_text(strip=True) == "Safety in our town"
    assert first.select_one("legend, h1").get_text(strip=True) == question
    assert ("Why? [pl]" if language == "pl" else "Why?") in pages[-2].get_text()  # check your answers
    assert len(pages) == 1 + 4 + 2  # start, the four pages (the condition showed "Why?"), check, done
    for page in pages:
        assert page.html["lang"] == language
        assert switch_languages(page) == ["en", "pl"]


def test_the_start_page_without_purpose_says_about_n_minutes(make_app, kobo_file):
    start = soup(make_app(SURVEY_FILE=kobo_file).test_client().get("/"))
    assert start.select_one("main h1 + p") is None  # no purpose: no paragraph under the title
    assert "It takes about 2 minutes." in [item.get_text(strip=True) for item in start.select("main ul.list li")]


@pytest.mark.parametrize("asked", [{"query_string": {"lang": "ur"}}, {"headers": {"Accept-Language": "ur, ar;q=0.5"}}])
def test_a_language_the_survey_does_not_have_is_ignored(make_app, kobo_file, asked):
    client = make_app(SURVEY_FILE=kobo_file).test_client()
    response = client.get("/", **asked)
    assert soup(response).html["lang"] == "en"
    assert "Set-Cookie" not in response.headers or "ur" not in response.headers["Set-Cookie"]


def test_a_remembered_language_the_survey_does_not_have_is_ignored(make_app, kobo_file):
    app = make_app(SURVEY_FILE=kobo_file)
    client = app.test_client()
    client.set_cookie(app.config["LANGUAGE_COOKIE"], "ur")
    assert soup(client.get("/")).html["lang"] == "en"
    client.set_cookie(app.config["LANGUAGE_COOKIE"], "pl")
    assert soup(client.get("/")).html["lang"] == "pl"


def test_a_plain_one_language_form_is_english_with_no_switch(make_app, plain_file):
    assert load(plain_file, LANGUAGES).languages == ("en",)
    client = make_app(SURVEY_FILE=plain_file).test_client()
    for page in walk(client, "pl"):  # ?lang=pl asks for a language the survey does not have
        assert page.html["lang"] == "en"
        assert page.select("nav.languages, details.language-switch") == []
    assert soup(client.get("/no-such-page")).select("details.language-switch") == []  # error pages too


def test_a_plain_form_is_in_its_default_language(make_app, tmp_path):
    """A one-language survey in Polish: Polish pages, and staff exports still have its labels."""
    form = kobo_form()
    form["settings"][0]["default_language"] = "Polski (pl)"
    path = str(write_form(tmp_path / "polish.xlsx", form, languages={}))
    questionnaire = load(path, LANGUAGES)
    assert questionnaire.languages == ("pl",)
    app = make_app(SURVEY_FILE=path)
    page = soup(app.test_client().get("/", headers={"Accept-Language": "en"}))
    assert page.html["lang"] == "pl" and page.select("details.language-switch") == []
    with app.test_request_context(), force_locale("en"):  # as every export renders its labels
        assert english_labels(questionnaire)[("safe", "yes")] == "Yes"
        assert ["safe", "Do you feel safe?", "yes", "Yes"] == [
            next(row for row in codebook_rows(questionnaire) if row[0] == "safe")[i] for i in (1, 4, 7, 8)
        ]


def test_a_default_language_the_file_does_not_have_is_a_problem(tmp_path):
    form = kobo_form()
    form["settings"][0]["default_language"] = "Română (ro)"
    found = problems(write_form(tmp_path / "bad.xlsx", form, languages=KOBO_LANGUAGES))
    assert found == ["settings row 2, column default_language: 'Română (ro)' is not a language of this file,"
                     " which has English (en), Polski (pl)"]


def test_the_default_language_comes_first(tmp_path):
    form = kobo_form()
    form["settings"][0]["default_language"] = "Polski (pl)"
    assert load(write_form(tmp_path / "pl.xlsx", form, languages=KOBO_LANGUAGES), LANGUAGES).languages == ("pl", "en")
    # With none given: English when the file has it (above), else the file's first language column.
    only = load(write_form(tmp_path / "ro.xlsx", kobo_form(), languages={"ro": "Română", "pl": "Polski"}), LANGUAGES)
    assert only.languages == ("ro", "pl")


def test_a_text_missing_in_one_of_the_files_languages_names_sheet_row_and_column(tmp_path):
    form = kobo_form()
    form["survey"][4]["hint::Polski (pl)"] = ""  # row 6, whose hint is given only in English
    form["survey"][4]["hint::English (en)"] = "Only in English"
    form["choices"][2]["label::Polski (pl)"] = None  # row 4
    found = problems(write_form(tmp_path / "bad.xlsx", form, languages=KOBO_LANGUAGES))
    assert found == ["choices row 4: no label::Polski (pl)", "survey row 6: no hint::Polski (pl)"]


def test_a_missing_text_in_a_plain_form_names_the_plain_column(tmp_path):
    form = kobo_form()
    form["survey"][7]["label"] = ""  # row 9
    assert problems(write_form(tmp_path / "bad.xlsx", form, languages={})) == ["survey row 9: no label"]


def test_a_language_the_service_cannot_show_names_the_column_and_the_languages_it_can(tmp_path):
    form = kobo_form()
    form["survey"][0]["label::Klingon (tlh)"] = "bIHo'a'?"
    found = problems(write_form(tmp_path / "bad.xlsx", form, languages=KOBO_LANGUAGES))
    assert found == ["survey, column label::Klingon (tlh): 'tlh' is not a language of this service; it can show"
                     " English (en), Polish (pl), Romanian (ro), Punjabi (pa), Urdu (ur), Bangla (bn), Arabic (ar)"]


def test_start_title_and_purpose_win_over_form_title_when_given(tmp_path):
    form = kobo_form()
    form["settings"][0].update(start_title="Tell us how safe you feel", purpose="The council asks", minutes=7)
    questionnaire = load(write_form(tmp_path / "own.xlsx", form, languages=KOBO_LANGUAGES), LANGUAGES)
    assert questionnaire.title.in_language("pl") == "Tell us how safe you feel [pl]"
    assert questionnaire.purpose.in_language("pl") == "The council asks [pl]"
    assert questionnaire.minutes == 7


def test_a_purpose_given_in_one_language_only_is_a_problem(tmp_path):
    form = kobo_form()
    form["settings"][0].update({"purpose::English (en)": "The council asks"})
    found = problems(write_form(tmp_path / "bad.xlsx", form, languages=KOBO_LANGUAGES))
    assert found == ["settings: no column purpose::Polski (pl)"]  # named as the file names the language


def test_a_survey_with_no_title_is_a_problem(tmp_path):
    form = kobo_form()
    del form["settings"][0]["form_title"]
    found = problems(write_form(tmp_path / "bad.xlsx", form, languages=KOBO_LANGUAGES))
    assert found == ["settings row 2, column form_title: the survey needs a title for its start page: a form_title,"
                     " or a start_title in each language"]


@pytest.mark.parametrize("questions, minutes", [(1, 1), (3, 1), (4, 2), (24, 8), (100, 34)])
def test_minutes_are_estimated_at_three_questions_a_minute(questions, minutes):
    assert estimated_minutes(questions) == minutes
