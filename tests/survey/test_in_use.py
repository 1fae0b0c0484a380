"""What the accessibility checkers do not look for, as the server sends it (the browser side is in
tests/browser/test_in_use.py): forms that keep no fragment, the exit button first and in its own bar,
the languages one step away, progress that stays true, and each language's own script details."""

import re
from pathlib import Path

import pytest

from app.config import LANGUAGES
from app.help_contacts import CONTACTS
from app.questionnaire import QUESTIONNAIRE as Q
from app.questionnaire.review import text_in
from tests.helpers import FULL_ANSWERS, Respondent, question_url, soup

ALL = sorted(LANGUAGES)
STYLESHEET = Path(__file__).parents[2] / "app" / "static" / "site.css"


def test_every_form_posts_to_its_own_address_without_a_fragment(client, respondent):
    """A form without an action posts to the address the browser shows, "#main" from the skip link
    included, and every later page would open scrolled past the exit button."""
    forms = {"/": soup(client.get("/")).select_one("main form")}
    respondent.complete()
    for page in Q.pages:
        url = question_url(page.id)
        forms[url] = soup(client.get(url)).select_one("main form")
        forms[url + "?change=1"] = soup(client.get(url + "?change=1")).select_one("main form")
    forms["/check"] = soup(client.get("/check")).select_one("main form")
    for url, form in forms.items():
        expected = "/start" if url == "/" else url
        assert form.get("action") == expected, f"{url}: the form posts to {form.get('action')!r}"


def test_a_post_from_a_page_reached_by_the_skip_link_redirects_without_a_fragment(client, respondent):
    respondent.start()
    response = respondent.answer("safe_day")
    assert response.status_code == 303 and "#" not in response.headers["Location"]


def test_the_exit_button_comes_first_in_its_own_bar_and_the_languages_behind_one_disclosure(client, respondent):
    respondent.start()
    for url in ("/", "/question/1", "/help", "/no-such-page"):
        page = soup(client.get(url))
        first = page.body.find(True)
        assert "exit-bar" in first["class"], f"{url}: the exit bar is not the first thing in the page"
        assert first.select_one("a.quick-exit")["href"] == "/exit"
        assert not page.select(".quick-exit-first"), f"{url}: a second, hidden exit link"
        switch = page.select_one("header details.language-switch")
        assert switch.summary.get_text(strip=True) == "Language"
        names = [link.get_text() for link in switch.select("nav.languages a")]
        assert names == [language["name"] for language in LANGUAGES.values()]


def test_progress_gives_no_total_that_branching_changes(client):
    """Answers that add pages and answers that skip them: every caption is "Question N", counting up."""
    for answers in (FULL_ANSWERS, {**FULL_ANSWERS, "experiences": ["none"], "gender": "woman_girl"}):
        respondent = Respondent(client)
        client.get("/?lang=en")
        response = respondent.start()
        numbers = []
        while response.status_code == 303 and "/question/" in response.headers["Location"]:
            url = response.headers["Location"]
            page = soup(client.get(url))
            caption = page.select_one(".caption").get_text()
            assert re.fullmatch(r"Question \d+", caption), f"{url}: {caption!r}"
            assert page.title.get_text().startswith(caption + " – ")
            numbers.append(int(caption.split()[1]))
            page_id = Q.pages[int(url.rsplit("/", 1)[1]) - 1].id
            response = respondent.answer(page_id, answers)
        assert numbers == list(range(1, len(numbers) + 1))
        client.get("/exit")


@pytest.mark.parametrize("code", ALL)
def test_the_full_stop_after_a_link_is_the_languages_own(client, code):
    stop = {"ur": "۔", "pa": "।", "bn": "।"}.get(code, ".")
    page = soup(client.get(f"/?lang={code}"))
    for link in page.select("main p > a"):
        after = link.next_sibling
        if after is not None and str(after).strip():
            assert str(after) == stop, f"{code}: {str(after)!r} after {link.get_text()!r}, not {stop!r}"


@pytest.mark.parametrize("code", [code for code in ALL if code != "en"])
def test_english_service_names_are_marked_as_english(client, code):
    page = soup(client.get(f"/help?lang={code}"))
    marked = [span.get_text() for span in page.select(".contacts strong span[lang=en]")]
    assert marked == [contact.service for contact in CONTACTS if contact.service]
    # The rest of each name is the language's own explanation, not marked.
    assert all(span.find_parent(lang=True)["lang"] == code for span in page.select(".contacts strong"))


def test_english_pages_need_no_language_marks(client):
    assert not soup(client.get("/help?lang=en")).select(".contacts [lang]")


@pytest.mark.parametrize("code", ["en", "ur"])
def test_phone_links_say_whom_they_call(client, code):
    page = soup(client.get(f"/help?lang={code}"))
    links = page.select("a[href^='tel:']")
    assert len(links) == len([contact for contact in CONTACTS if contact.dial])
    for link in links:
        ids = link["aria-labelledby"].split()
        parts = [page.find(id=id_).get_text() for id_ in ids]
        assert parts[0] == link.get_text(), "the name starts with the number shown (label in name)"
        assert parts[1] == link.find_parent("li").strong.get_text(), "then whom it calls"


def test_the_stylesheet_names_arabic_script_fonts_phones_have_and_no_web_fonts():
    css = STYLESHEET.read_text(encoding="utf-8")
    rules = dict(re.findall(r"([^{}]+)\{([^{}]*)\}", css))
    urdu = next(body for selector, body in rules.items() if ":lang(ur)" in selector and "font-family" in body)
    arabic = next(body for selector, body in rules.items() if ":lang(ar)" in selector and "font-family" in body)
    assert '"Noto Nastaliq Urdu"' in urdu and '"Noto Naskh Arabic"' in arabic
    assert "@font-face" not in css and "url(" not in css


def test_the_error_messages_of_required_questions_are_each_their_own():
    required = [question for question in Q.questions.values() if question.required]
    assert all(question.error is not None for question in required)
    messages = [str(question.error) for question in required]
    assert len(set(messages)) == len(messages)
    assert all("Prefer not to say" in message for message in messages)


@pytest.mark.parametrize("code", ALL)
def test_every_error_message_is_translated(code):
    """The spreadsheet's required_message::… cells: one of its own for each question, in every language."""
    messages = [text_in(question.error, code) for question in Q.questions.values() if question.error is not None]
    assert all(messages) and len(set(messages)) == len(messages)
    if code != "en":
        english = {text_in(question.error, "en") for question in Q.questions.values()}
        assert not english & set(messages)
