"""Seven languages as a respondent meets them: the whole survey in each, the language switch, how the
language is chosen, translated error messages, and answers stored the same whatever the language."""

import re
from datetime import date
from functools import cache
from pathlib import Path

import pytest
from babel.dates import format_date
from babel.messages.pofile import read_po
from sqlalchemy import select

from app.config import LANGUAGES, parse_london_time
from app.extensions import db
from app.i18n import select_locale
from app.models import Answer, Response
from app.questionnaire import QUESTIONNAIRE
from app.questionnaire.engine import place
from app.questionnaire.review import text_in
from tests.helpers import FULL_ANSWERS, Respondent, question_url, questionnaire_texts, release_today, soup

TRANSLATIONS = Path(__file__).resolve().parent.parent / "translations"
ALL = sorted(LANGUAGES)
TRANSLATED = [code for code in ALL if code != "en"]
PLACEHOLDER = re.compile(r"%\(\w+\)s")
SHORT = 12  # English strings shorter than this are only looked for as a whole text, never inside one


@cache
def catalogue(code: str) -> dict:
    """msgid -> translation (singular forms), from the .po the app is compiled from."""
    with (TRANSLATIONS / code / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        entries = read_po(handle, locale=code)
    table = {}
    for message in entries:
        if not message.id:
            continue
        if message.pluralizable:
            for english in message.id:
                table[english] = message.string
        else:
            table[message.id] = message.string
    return table


def tr(code: str, english: str, **values) -> str:
    text = english if code == "en" else catalogue(code)[english]
    return text % values if values else text


@cache
def translations(code: str) -> dict:
    """English -> translation of everything a respondent can meet: the catalogue's and the questionnaire's
    (its spreadsheet's) texts."""
    table = dict(catalogue(code))
    for text in questionnaire_texts(QUESTIONNAIRE):
        table[text_in(text, "en")] = text_in(text, code)
    return table


@cache
def english_leftovers(code: str) -> tuple[set, list]:
    """English text that must not appear on a page in `code`: (whole texts, fragments to search for).

    Strings translated to themselves (organisation names, "Galop", "Online" in Romanian) are allowed,
    and so is any English inside a translation (a service's own name next to its explanation).
    """
    table = translations(code)
    allowed = "\n".join(
        form for value in table.values() for form in (value if isinstance(value, tuple) else (value,))
    )
    whole, fragments = set(), []
    for english, translated in table.items():
        if translated == english or (isinstance(translated, tuple) and english in translated):
            continue
        for part in PLACEHOLDER.split(english):
            part = part.strip(" :.,")
            if not part or part in allowed:
                continue
            if len(part) >= SHORT:
                fragments.append(part)
            elif part == english.strip(" :.,"):
                whole.add(part)
    return whole, fragments


def page_texts(page) -> list[str]:
    """Every piece of text a person can meet: text nodes, the title, and labels for assistive technology."""
    texts = [" ".join(node.split()) for node in page.find_all(string=True)]
    texts += [element["aria-label"] for element in page.select("[aria-label]")]
    return [text for text in texts if text]


def assert_in_language(response, code: str) -> None:
    assert response.status_code < 500, response.status_code
    page = soup(response)
    html = page.find("html")
    assert html["lang"] == code
    assert html["dir"] == LANGUAGES[code]["dir"]
    if code == "en":
        return
    whole, fragments = english_leftovers(code)
    texts = page_texts(page)
    everything = "\n".join(texts)
    left_whole = sorted({text.strip(" :.,") for text in texts} & whole)
    left_fragments = [fragment for fragment in fragments if fragment in everything]
    assert not left_whole and not left_fragments, (response.request.path, left_whole, left_fragments)


def walk(client, respondent: Respondent, code: str) -> list[str]:
    """Answer every page (taking every branch), checking each page as it is shown; returns the paths seen."""
    seen = []

    def visit(url):
        response = client.get(url)
        assert response.status_code == 200, url
        assert_in_language(response, code)
        seen.append(url)
        return response

    visit(f"/?lang={code}")
    response = respondent.start()
    while response.status_code == 303 and "/question/" in response.headers["Location"]:
        url = response.headers["Location"]
        visit(url)
        page = QUESTIONNAIRE.pages[int(url.rsplit("/", 1)[1]) - 1]
        response = respondent.answer(page.id)
        assert response.status_code == 303, (code, page.id, response.status_code)
    assert response.headers["Location"] == "/check"
    visit("/check")
    response = respondent.submit()
    assert response.headers["Location"] == "/done"
    visit("/done")
    for url in ("/help", "/privacy", "/leaving-quickly", "/accessibility"):
        visit(url)
    return seen


@pytest.mark.parametrize("code", ALL)
def test_whole_survey_in_each_language(app, client, respondent, code):
    seen = walk(client, respondent, code)
    assert len([url for url in seen if url.startswith("/question/")]) == len(QUESTIONNAIRE.pages)
    release_today(app)
    with app.app_context():
        response = db.session.scalars(select(Response)).one()
        assert response.language == code


@pytest.mark.parametrize("code", ALL)
def test_page_title_and_step_in_each_language(client, respondent, code):
    client.get(f"/?lang={code}")
    respondent.start()
    respondent.answer("safe_day")
    page = soup(client.get("/question/2"))
    page_one = {q.id: FULL_ANSWERS[q.id] for q in QUESTIONNAIRE.page("safe_day").questions}
    here = place(QUESTIONNAIRE, QUESTIONNAIRE.page("safe_dark"), page_one)
    step = tr(code, "Question %(number)s", number=here.number)
    assert page.select_one(".caption").get_text() == step
    assert page.title.get_text().startswith(step)
    assert page.title.get_text().endswith(tr(code, "Community survey"))
    assert page.select_one(".quick-exit").get_text() == tr(code, "Emergency:") + " " + tr(code, "Exit this page")


@pytest.mark.parametrize("code", ALL)
def test_error_pages_in_each_language(make_app, code):
    app = make_app(POSTS_PER_DRAFT_PER_MINUTE=1, POSTS_PER_DRAFT_BURST=4)
    client = app.test_client()
    respondent = Respondent(client)
    client.get(f"/?lang={code}")

    def check(response, status, heading, paragraph=None):
        assert response.status_code == status
        page = soup(response)
        assert page.h1.get_text() == tr(code, heading)
        if paragraph:
            assert tr(code, paragraph) in page.main.get_text()
        assert_in_language(response, code)

    check(client.get("/no-such-page"), 404, "Page not found")
    respondent.start()
    # A post without its CSRF token (a cookie blocked, a page kept open from another session).
    check(client.post("/question/1", data={"safe_day_street": "very_safe"}), 400,
          "Sorry, we could not save that page",
          "This can happen if your browser blocks cookies. Answers you saved on earlier pages are still saved."
          " Go back and try again.")
    check(respondent.post("/question/1", {"website": "spam"}), 400, "Sorry, there is a problem",
          "We could not understand what your browser sent. Your earlier answers are still saved.")
    check(respondent.post("/question/1", {"safe_day_street": "x" * (70 * 1024)}), 413,
          "Sorry, that was too much to send")
    responses = [respondent.post("/question/1", {}) for _ in range(6)]  # more than the burst of 4
    response = responses[-1]
    check(response, 429, "Sorry, there have been too many requests",
          "Wait a minute, then go back and try again. Answers you saved on earlier pages are still saved.")


@pytest.mark.parametrize("code", ALL)
def test_validation_messages_in_each_language(make_app, code):
    """Our own messages, never WTForms' English ones: required, unknown answers, exclusive answers, too long."""
    respondent = Respondent(make_app(POSTS_PER_DRAFT_BURST=100).test_client())
    respondent.complete(language=code)
    experiences = QUESTIONNAIRE.questions["experiences"]
    prefer_not = text_in(experiences.option("prefer_not_to_say").label, code)

    # Each required question has its own message: which question, and what to do.
    for page_id in ("safe_day", "safe_dark"):
        response = respondent.answer(page_id, {})
        page = soup(response)
        own = [text_in(q.error, code) for q in QUESTIONNAIRE.page(page_id).questions]
        assert page.title.get_text().startswith(tr(code, "Error:"))
        assert [p.get_text() for p in page.select(".error-message")] == [tr(code, "Error:") + " " + m for m in own]
        assert [link.get_text() for link in page.select(".error-summary a")] == own
        assert len(set(own)) == len(own), "two questions share an error message"
        assert_in_language(response, code)

    response = respondent.answer("experiences", {"experiences": []})
    page = soup(response)
    assert page.select_one(".error-summary a").get_text() == text_in(experiences.error, code)
    assert_in_language(response, code)

    response = respondent.answer("experiences", {"experiences": ["comments", "prefer_not_to_say"]})
    page = soup(response)
    together = tr(code, "You cannot choose “%(answer)s” together with other answers", answer=prefer_not)
    assert page.select_one(".error-summary a").get_text() == together
    assert_in_language(response, code)

    response = respondent.answer("area", {"area": "atlantis"})
    assert soup(response).select_one(".error-summary a").get_text() == tr(code, "Choose one of the answers shown")
    assert_in_language(response, code)

    response = respondent.answer("where", {"where": ["street", "moon"]})
    assert soup(response).select_one(".error-summary a").get_text() == tr(code, "Choose from the answers shown")
    assert_in_language(response, code)

    response = respondent.answer("difference_text", {"difference_text": "x" * 501})
    page = soup(response)
    too_long = tr(code, "Your answer must be %(limit)s characters or fewer. It has %(count)s.", limit=500, count=501)
    assert page.select_one(".error-summary a").get_text() == too_long
    assert_in_language(response, code)


@pytest.mark.parametrize("code", ALL)
def test_closed_survey_gives_the_last_day_in_each_language(make_app, code):
    app = make_app(SURVEY_CLOSES=parse_london_time("2021-06-22", end_of_day=True))
    client = app.test_client()
    response = client.get(f"/?lang={code}")
    assert_in_language(response, code)
    day = format_date(date(2021, 6, 22), "long", locale="en_GB" if code == "en" else code)
    assert tr(code, "The last day to take part was %(date)s.", date=day) in soup(response).get_text()


@pytest.mark.parametrize("code", ALL)
def test_expired_answers_page_in_each_language(make_app, code):
    app = make_app(DRAFT_IDLE_MINUTES=0)  # every draft has already expired when the next page loads
    client = app.test_client()
    respondent = Respondent(client)
    client.get(f"/?lang={code}")
    respondent.start()
    response = client.get("/question/1")
    assert soup(response).h1.get_text() == tr(code, "Your answers were deleted")
    assert_in_language(response, code)


# How the language is chosen -------------------------------------------------------------------------


def html_lang(response) -> str:
    return soup(response).find("html")["lang"]


def test_query_parameter_sets_an_httponly_lax_cookie(client):
    response = client.get("/?lang=pl")
    assert html_lang(response) == "pl"
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("lang=pl;")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/" in cookie
    assert "Secure" not in cookie  # development over plain HTTP
    assert html_lang(client.get("/help")) == "pl"  # remembered on the next page


def test_cookie_is_secure_in_production(make_app):
    client = make_app(SESSION_COOKIE_SECURE=True).test_client()
    cookie = client.get("/?lang=ur").headers["Set-Cookie"]
    assert cookie.startswith("__Host-lang=ur;") and "Secure" in cookie and "Domain" not in cookie


def test_the_language_cookie_ends_with_the_browser_session(client):
    """A cookie kept for months would be a trace of the visit on a shared phone."""
    cookie = client.get("/?lang=pl").headers["Set-Cookie"]
    assert cookie.startswith("lang=pl;")
    assert "Expires" not in cookie and "Max-Age" not in cookie


def browser_target(href: str, base: str = "https://survey.example/question/1") -> str:
    """The host a browser would open for a link: it drops tabs and newlines and reads "\\" as "/"."""
    from urllib.parse import urljoin, urlsplit

    cleaned = re.sub(r"[\t\n\r]", "", href).replace("\\", "/")
    return urlsplit(urljoin(base, cleaned)).netloc


@pytest.mark.parametrize(
    "path",
    ["/%5Cevil.example/", "/%5C%5Cevil.example/", "//evil.example/", "/%2F%2Fevil.example/", "/%09/evil.example/",
     "/%5C%09evil.example/", "///evil.example/x", "/%0A/evil.example/", "/.%5Cevil.example", "/help/%5Cevil.example"],
)
def test_links_on_an_unknown_address_stay_on_this_site(client, path):
    from urllib.parse import unquote

    # Straight into the WSGI environ, as a server passes it on (the test client would read "//x" as a host).
    response = client.get("/", environ_overrides={"PATH_INFO": unquote(path)})
    assert response.status_code in (404, 308)
    page = soup(response)
    for link in page.select("a[href]"):
        href = link["href"]
        assert "evil.example" not in href, href
        if not href.startswith("https://"):  # the quick exit and help contacts are absolute on purpose
            assert browser_target(href) == "survey.example", href


def test_language_links_keep_only_what_changes_the_page(client):
    from tests.helpers import Respondent

    Respondent(client).start()
    page = soup(client.get("/question/1?change=1&utm_source=x&next=//evil.example"))
    links = [link["href"] for link in page.select("nav.languages a")]
    assert links and all(href.startswith("/question/1?change=1&lang=") for href in links)
    page = soup(client.get("/question/1?change=2"))
    assert all(link["href"].startswith("/question/1?lang=") for link in page.select("nav.languages a"))


def test_choice_order_query_then_cookie_then_accept_language_then_english(client):
    assert html_lang(client.get("/", headers={"Accept-Language": "bn-BD,bn;q=0.9,en;q=0.5"})) == "bn"
    assert html_lang(client.get("/", headers={"Accept-Language": "fr-FR,fr;q=0.9,de;q=0.8"})) == "en"
    assert html_lang(client.get("/")) == "en"
    client.set_cookie("lang", "ur")
    assert html_lang(client.get("/", headers={"Accept-Language": "bn"})) == "ur"
    assert html_lang(client.get("/?lang=ro", headers={"Accept-Language": "bn"})) == "ro"
    assert html_lang(client.get("/", headers={"Accept-Language": "bn"})) == "ro"


@pytest.mark.parametrize("asked, expected", [("PL", "pl"), ("pl-PL", "pl"), ("pa_IN", "pa"), ("ar-GB", "ar")])
def test_regional_or_capitalised_codes_pick_the_language(client, asked, expected):
    assert html_lang(client.get("/", query_string={"lang": asked})) == expected


@pytest.mark.parametrize(
    "bad",
    ["", "xx", "fr", "-", "_pl", "ur\x00", "../../etc/passwd", "<script>", "pl;ro", "a" * 5000, "%", "ليس"],
)
def test_unsupported_or_malformed_codes_fall_back_quietly(client, bad):
    client.set_cookie("lang", "bn")
    response = client.get("/question/1", query_string={"lang": bad})  # not started: redirects to the start
    assert response.status_code == 302
    response = client.get("/", query_string={"lang": bad})
    assert response.status_code == 200
    assert html_lang(response) == "bn"  # the cookie decides, and is not replaced
    assert "lang=" not in response.headers.get("Set-Cookie", "")


@pytest.mark.parametrize("bad", ["zz", "", "ur; Path=/", "x" * 4000, "ਪੰਜਾਬੀ"])
def test_a_bad_cookie_or_header_is_ignored(client, bad):
    client.set_cookie("lang", bad)
    assert html_lang(client.get("/")) == "en"
    for header in ("*", "q=0.5", ";;;,,,", "ur;q=abc", "x" * 3000, "ur-PK;q=0.9"):
        response = client.get("/help", headers={"Accept-Language": header})
        assert response.status_code == 200
        assert html_lang(response) in ("en", "ur")


def test_no_request_no_error(app):
    """Outside a request (a CLI command, a background job) the choice is the source language, not an error."""
    with app.app_context():
        assert select_locale() == "en"


# The language switch ------------------------------------------------------------------------------


def test_switch_names_each_language_in_itself_and_marks_the_current_one(client):
    page = soup(client.get("/help?lang=ur"))
    links = page.select("nav.languages a")
    assert [link["hreflang"] for link in links] == list(LANGUAGES)
    for link, (code, language) in zip(links, LANGUAGES.items()):
        assert link["lang"] == code
        assert link.get_text() == language["name"]
        assert link["href"] == f"/help?lang={code}"
        assert (link.get("aria-current") == "true") == (code == "ur")
    assert page.select_one("nav.languages")["aria-label"] == tr("ur", "Language")


def test_switch_keeps_the_page_and_the_answers_in_progress(client, respondent):
    client.get("/?lang=en")
    respondent.start()
    respondent.answer("safe_day")
    respondent.answer("safe_dark")
    page = soup(client.get("/question/2"))
    link = page.select_one('nav.languages a[hreflang="ar"]')["href"]
    assert link == "/question/2?lang=ar"
    response = client.get(link)
    assert_in_language(response, "ar")
    page = soup(response)
    for question in QUESTIONNAIRE.page("safe_dark").questions:
        checked = page.select_one(f'input[name="{question.id}"][checked]')
        assert checked["value"] == FULL_ANSWERS[question.id]
    # The answers go on in Arabic, from where they were.
    assert respondent.answer("experiences").status_code == 303
    change = soup(client.get("/question/1?change=1")).select_one('nav.languages a[hreflang="pl"]')["href"]
    assert change == "/question/1?change=1&lang=pl"


def test_switch_on_a_page_reached_by_a_post_goes_to_a_page_that_exists(client, respondent):
    client.get("/?lang=bn")
    response = client.post("/start", data={})  # no CSRF token: the error page, at a POST-only address
    assert response.status_code == 400
    link = soup(response).select_one('nav.languages a[hreflang="pa"]')["href"]
    assert link == "/?lang=pa"
    assert client.get(link).status_code == 200


# Stored answers are codes, whatever the language ----------------------------------------------------


def test_urdu_and_english_answers_store_identical_rows(app, make_app):
    rows = {}
    for code in ("en", "ur"):
        respondent = Respondent(app.test_client())
        respondent.complete(language=code)
        assert respondent.submit().headers["Location"] == "/done"
    release_today(app)
    with app.app_context():
        for response in db.session.scalars(select(Response)):
            answers = db.session.scalars(select(Answer).where(Answer.response_id == response.id))
            rows[response.language] = sorted((answer.question_id, answer.value) for answer in answers)
    assert set(rows) == {"en", "ur"}
    assert rows["en"] == rows["ur"]
    assert ("area", "coventry") in rows["ur"]


def test_question_links_in_the_flow_stay_in_the_language(client, respondent):
    """Redirects carry no ?lang=: the cookie keeps the language from page to page."""
    client.get("/?lang=pa")
    response = respondent.start()
    assert "lang=" not in response.headers["Location"]
    assert html_lang(client.get(response.headers["Location"])) == "pa"
    assert question_url("safe_day") == "/question/1"


# Right to left --------------------------------------------------------------------------------------

PHYSICAL = re.compile(
    r"(?:margin|padding|border)-(?:left|right)|(?<![-\w])(?:left|right)\s*:|text-align\s*:\s*(?:left|right)"
    r"|float\s*:\s*(?:left|right)|clear\s*:\s*(?:left|right)"
)


def test_public_stylesheet_uses_logical_properties_so_rtl_pages_mirror():
    css = (Path(__file__).resolve().parent.parent / "app" / "static" / "site.css").read_text()
    assert not PHYSICAL.findall(css), "use inline-start/end instead of left/right"
    for rule in (".choice{display:flex", ".field-error{border-inline-start", ".inset{border-inline-start"):
        assert rule in css


@pytest.mark.parametrize("code", [code for code in ALL if LANGUAGES[code]["dir"] == "rtl"])
def test_rtl_pages_keep_phone_numbers_and_other_languages_readable(client, code):
    page = soup(client.get(f"/help?lang={code}"))
    assert page.find("html")["dir"] == "rtl"
    css = (Path(__file__).resolve().parent.parent / "app" / "static" / "site.css").read_text()
    assert "[dir=rtl] .phone{direction:ltr" in css
    assert page.select(".phone")
    # Each language link carries its own direction, so "Polski" stays left to right on an Arabic page.
    assert all(link["dir"] == LANGUAGES[link["lang"]]["dir"] for link in page.select("nav.languages a"))
