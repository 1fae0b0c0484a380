"""Every public page, in every state and every language, in headless Chromium.

Each page gets axe-core (WCAG 2.0/2.1/2.2 A and AA) at desktop width and at 320 px, a check that
nothing scrolls sideways at 320 px, and a check that the first Tab reaches the quick exit link;
the HTML the server sent is then validated by the Nu HTML checker, one Java run per language.
The respondent clicks and types in the real forms, with the answers that show every branch.
"""

from datetime import datetime, timedelta, timezone
from urllib.parse import urlsplit

import pytest
from sqlalchemy import update

from app.config import LANGUAGES
from app.extensions import db
from app.models import Draft
from app.questionnaire import QUESTIONNAIRE as Q
from app.questionnaire.model import Kind
from tests.browser.checks import PageChecks
from tests.helpers import FULL_ANSWERS

pytestmark = pytest.mark.browser

CONTINUE = "main form button"
UNKNOWN_CODE = "not-an-answer"


def press(page, selector: str = CONTINUE):
    """Press a form's button like a respondent and return the response that loaded the next page."""
    with page.expect_navigation() as navigation:
        page.locator(selector).click()
    return navigation.value


def path_of(page) -> str:
    return urlsplit(page.url).path


def fill_in(page, questions, answers: dict) -> None:
    """Choose and type the given answers in the real form (unchosen boxes are left as they are)."""
    for question in questions:
        value = answers.get(question.id)
        if value is None:
            continue
        if question.kind is Kind.TEXT:
            page.locator(f'textarea[name="{question.id}"]').fill(value)
            continue
        for code in value if isinstance(value, list) else [value]:
            page.locator(f'input[name="{question.id}"][value="{code}"]').check()


def make_mistake(page, questions) -> None:
    """Leave the page in a state the server must refuse, for its error state."""
    for question in questions:
        if question.kind is Kind.TEXT:
            page.locator(f'textarea[name="{question.id}"]').fill("a" * (question.max_length + 1))
        elif not question.required:
            # Every option of an optional question is valid and none is needed, so a real respondent
            # cannot make an error here. Alter the form from the test instead, as a stale or tampered
            # form would, so that it posts an option code the question does not have.
            page.locator(f'input[name="{question.id}"]').first.evaluate(
                "(input, code) => { input.value = code; input.checked = true; }", UNKNOWN_CODE
            )
        # A required question is simply left unanswered.


def walk_questionnaire(page, checks: PageChecks, server) -> None:
    """From "Start now": every question page, plain and with errors, a CSRF failure, too much sent,
    check answers and the confirmation."""
    response = press(page)  # "Start now"
    seen = set()
    while path_of(page).startswith("/question/"):
        number = int(path_of(page).rsplit("/", 1)[1])
        assert number not in seen, f"question {number} came back: the walk is going round in circles"
        seen.add(number)
        questions = Q.pages[number - 1].questions
        checks.check(page, response, f"question {number}")
        title = page.title()

        make_mistake(page, questions)
        response = press(page)
        assert path_of(page) == f"/question/{number}", f"question {number}: a mistake was accepted"
        assert page.locator(".error-summary").count() == 1, f"question {number}: no error summary"
        assert page.title() != title, f"question {number}: the title does not say there is an error"
        checks.check(page, response, f"question {number} with errors")

        if number == 1:
            # The CSRF error page: the form posted without its token (as after a lost session cookie).
            page.locator('input[name="csrf_token"]').evaluate("(input) => input.remove()")
            checks.check(page, press(page), "form sent without its security token", status=400)
            response = page.goto(f"{server.url}/question/1")
        elif any(question.kind is Kind.TEXT for question in questions) and "too much sent" not in checks.documents:
            # Pasting far more than the server accepts (MAX_CONTENT_LENGTH): the 413 page.
            flood = "a" * (server.app.config["MAX_CONTENT_LENGTH"] + 1)
            page.locator("textarea").first.fill(flood)
            checks.check(page, press(page), "too much sent", status=413)
            response = page.goto(f"{server.url}/question/{number}")

        fill_in(page, questions, FULL_ANSWERS)
        response = press(page)

    assert len(seen) == len(Q.pages), f"the walk saw questions {sorted(seen)}, not all {len(Q.pages)}"
    assert path_of(page) == "/check"
    checks.check(page, response, "check your answers")
    response = press(page)  # "Send my answers"
    assert path_of(page) == "/done"
    checks.check(page, response, "answers sent")


def see_draft_expire(page, checks: PageChecks, server) -> None:
    """A new draft left alone for too long: move its expiry into the past, then come back."""
    page.goto(f"{server.url}/")
    press(page)  # "Start now"
    assert path_of(page) == "/question/1"
    with server.app.app_context():
        a_minute_ago = datetime.now(timezone.utc) - timedelta(minutes=1)
        db.session.execute(update(Draft).values(expires_at=a_minute_ago))
        db.session.commit()
    checks.check(page, page.goto(f"{server.url}/question/1"), "draft expired")


@pytest.fixture(scope="module")
def closed_server(serve_app):
    return serve_app(SURVEY_OPENS=None, SURVEY_CLOSES=datetime.now(timezone.utc) - timedelta(days=3))


@pytest.fixture(scope="module")
def future_server(serve_app):
    return serve_app(SURVEY_OPENS=datetime.now(timezone.utc) + timedelta(days=3), SURVEY_CLOSES=None)


@pytest.fixture(scope="module")
def owned_server(serve_app):
    """The accessibility statement with every part its owner gives: a name, a contact of several lines, dates."""
    return serve_app(
        ORGANISATION_NAME="West Midlands Police and the Police and Crime Commissioner",
        ACCESSIBILITY_CONTACT="accessibility@example.org\nPhone: 0121 000 0000 (Monday to Friday, 9am to 5pm)\n"
        "Accessibility team, Lloyd House, Colmore Circus Queensway, Birmingham B4 6NQ",
        ACCESSIBILITY_STATEMENT_DATE=datetime(2026, 12, 1).date(),
        ACCESSIBILITY_REVIEWED=datetime(2027, 3, 2).date(),
    )


@pytest.mark.parametrize("language", list(LANGUAGES))
def test_accessibility_statement_filled_in(browser_page, owned_server, language):
    """The statement's other state: the owner's parts given (the default server shows them missing)."""
    page, checks = browser_page, PageChecks()
    checks.check(page, page.goto(f"{owned_server.url}/accessibility?lang={language}"), "accessibility statement, filled in")
    assert page.locator("html").get_attribute("lang") == language
    checks.validate_html()


@pytest.mark.parametrize("language", list(LANGUAGES))
def test_every_public_page_in_every_state(browser_page, survey_server, closed_server, future_server, language):
    page, checks, url = browser_page, PageChecks(), survey_server.url

    # The language is chosen once; the cookie keeps it from then on.
    checks.check(page, page.goto(f"{url}/?lang={language}"), "start")
    assert page.locator("html").get_attribute("lang") == language
    assert page.locator("html").get_attribute("dir") == LANGUAGES[language]["dir"]
    checks.check(page, page.goto(f"{url}/help"), "help")
    checks.check(page, page.goto(f"{url}/privacy"), "privacy")
    checks.check(page, page.goto(f"{url}/leaving-quickly"), "leaving quickly")
    checks.check(page, page.goto(f"{url}/accessibility"), "accessibility statement")
    checks.check(page, page.goto(f"{url}/no-such-page"), "page not found", status=404)

    page.goto(f"{url}/")
    walk_questionnaire(page, checks, survey_server)
    see_draft_expire(page, checks, survey_server)
    assert page.locator("html").get_attribute("lang") == language, "the language was lost on the way"

    # Other servers on the same host: start again from no cookies, choosing the language once.
    for server, state in ((closed_server, "closed"), (future_server, "not open yet")):
        page.context.clear_cookies()
        checks.check(page, page.goto(f"{server.url}/?lang={language}"), f"start page, survey {state}")
        checks.check(page, page.goto(f"{server.url}/question/1"), f"question page, survey {state}")

    checks.validate_html()
