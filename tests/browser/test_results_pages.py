"""The results pages in headless Chromium: an editor publishes through the real staff form, then the
public page in every language gets the checks every public page gets (axe-core at desktop width
and 320 px, nothing sideways, the quick exit first, the Nu HTML checker), and beyond them: 320 px
with 200% text, a keyboard walk through every link and table, one request a page, every chart's
text drawn inside the chart (right to left too), and the print stylesheet."""

import pytest

from app import counts
from app.config import LANGUAGES
from app.extensions import db
from app.models import Answer, Response
from app.staff import auth
from app.surveys import live
from tests.browser.checks import DESKTOP, PageChecks, assert_no_horizontal_scroll
from tests.browser.in_use import LARGE_TEXT, focus_indicator, set_mode, set_text_size, visible_indicator
from tests.results.conftest import responses

pytestmark = pytest.mark.browser

PASSWORD = "correct horse battery"
TITLES = {"en": ("Your safety: what you told us", "We asked how safe you feel.\n\nWe are adding lighting in two parks."),
          "ur": ("آپ کی حفاظت: آپ نے ہمیں کیا بتایا", "ہم نے پوچھا کہ آپ کتنا محفوظ محسوس کرتے ہیں۔\n\nہم دو پارکوں میں روشنی لگا رہے ہیں۔")}


def press(page, selector: str):
    with page.expect_navigation() as navigation:
        page.locator(selector).click()
    return navigation.value


def add_responses(app) -> None:
    with app.app_context():
        live.current(app)  # stored before the write below, which a first read's seeding would wait for
        for response_id, day, language, version, answers in responses():
            response = Response(id=response_id, submitted_on=day, language=language, questionnaire_version=version)
            response.answers = [Answer(question_id=q, value=v) for q, v in answers]
            db.session.add(response)
        db.session.flush()
        counts.rebuild()  # written without a release: count them as one would
        db.session.commit()
        auth.create_user("editor", PASSWORD, "editor")


@pytest.fixture(scope="module")
def results_server(serve_app):
    # Signing in with a password only: two-factor has its own browser tests (test_staff_pages.py).
    server = serve_app(STAFF_TWO_FACTOR=False)
    add_responses(server.app)
    return server


def sign_in(page, server):
    page.goto(f"{server.url}/staff/login")
    page.fill("#username", "editor")
    page.fill("#password", PASSWORD)
    press(page, "main form button")


def test_an_editor_publishes_through_the_staff_page(browser_page, results_server):
    page, checks, url = browser_page, PageChecks(), results_server.url
    checks.check(page, page.goto(f"{url}/results"), "results, nothing published", status=404)
    sign_in(page, results_server)
    checks.check(page, page.goto(f"{url}/staff/results"), "staff results", quick_exit=False)
    checks.check(page, press(page, "main form button"), "staff results, nothing chosen", status=400, quick_exit=False)
    assert page.locator(".error-summary a[href='#questions']").count() == 1
    for question in ("area", "age", "experiences"):
        page.check(f"input[name=questions][value={question}]")
    page.select_option("#question_1", "safe_dark_street")
    page.select_option("#by_1", "area")
    for language, (title, text) in TITLES.items():
        page.fill(f"#title_{language}", title)
        page.fill(f"#text_{language}", text)
    response = press(page, "main form button")
    assert page.url.endswith("/staff/results?published=1")
    checks.check(page, response, "staff results, published", quick_exit=False)
    checks.check(page, press(page, "main form button"), "staff results, refused: too soon", status=400, quick_exit=False)
    assert "Not published: fewer than 5 new responses" in page.inner_text(".error-summary")
    checks.validate_html()


@pytest.fixture(scope="module")
def published(results_server, browser_context):
    browser_context.clear_cookies()
    page = browser_context.new_page()
    try:
        sign_in(page, results_server)
        page.goto(f"{results_server.url}/staff/results")
        if page.locator("#current a").count() == 0:  # this module's first test may have published already
            for question in ("area", "age", "experiences"):
                page.check(f"input[name=questions][value={question}]")
            page.select_option("#question_1", "safe_dark_street")
            page.select_option("#by_1", "area")
            for language, (title, text) in TITLES.items():
                page.fill(f"#title_{language}", title)
                page.fill(f"#text_{language}", text)
            press(page, "main form button")
        browser_context.clear_cookies()
    finally:
        page.close()
    return results_server


@pytest.mark.parametrize("language", list(LANGUAGES))
def test_the_results_page_in_every_language(browser_page, published, language):
    page, checks, url = browser_page, PageChecks(), published.url
    requests = []
    page.on("request", lambda request: requests.append(request.url))
    response = page.goto(f"{url}/results?lang={language}")
    page.wait_for_timeout(300)  # time for anything the browser would fetch after load
    assert requests == [f"{url}/results?lang={language}"], f"one request a page, not {requests}"
    checks.check(page, response, "results")
    assert page.locator("html").get_attribute("dir") == LANGUAGES[language]["dir"]
    assert page.locator("section.result table").count() == 4 and page.locator("section.result svg").count() == 4
    assert_chart_text_inside(page, "results")

    set_mode(page, LARGE_TEXT)
    assert_no_horizontal_scroll(page, f"results, {LARGE_TEXT['name']}")
    set_text_size(page, 100)
    page.set_viewport_size(DESKTOP)

    page.reload()  # the walk starts from a fresh load, as a keyboard user's would
    walk_by_keyboard(page, "results")
    print_as_a_report(page)

    page.context.clear_cookies()
    checks.check(page, page.goto(f"{url}/?lang={language}"), "start, with the results link")
    assert page.locator("#results-link a").get_attribute("href") == "/results"
    checks.validate_html()


def assert_chart_text_inside(page, name: str) -> None:
    """Every label and figure of every chart is drawn inside its chart (a mirrored chart that was not
    would start its right-to-left labels at the left edge and run off it)."""
    outside = page.evaluate("""() => {
      const problems = [];
      for (const svg of document.querySelectorAll("section.result svg")) {
        const box = svg.getBoundingClientRect();
        for (const text of svg.querySelectorAll("text")) {
          const r = text.getBoundingClientRect();
          if (r.width && (r.left < box.left - 1 || r.right > box.right + 1)) problems.push(text.textContent);
        }
      }
      return problems.slice(0, 5);
    }""")
    assert not outside, f"{name}: chart text drawn outside its chart: {outside}"


def walk_by_keyboard(page, name: str) -> None:
    """Tab from the top to the footer: the quick exit first, every table's scrolling box and the CSV
    link on the way, each with a focus indicator that can be seen."""
    regions = page.locator("section.result [role=region]").count()
    seen, reached_regions = [], 0
    for _ in range(80):
        page.keyboard.press("Tab")
        focused = page.evaluate("""() => { const e = document.activeElement;
          return {tag: e.tagName.toLowerCase(), href: e.getAttribute('href'), role: e.getAttribute('role'),
                  footer: !!e.closest('footer')}; }""")
        seen.append(focused)
        indicator = focus_indicator(page)
        assert indicator and visible_indicator(indicator), f"{name}: no visible focus on {focused}: {indicator}"
        if focused["role"] == "region":
            reached_regions += 1
        if focused["footer"]:
            break
    assert seen[0]["href"].endswith("/exit"), f"{name}: the first Tab reaches {seen[0]}"
    assert reached_regions == regions, f"{name}: {reached_regions} of {regions} tables reached by Tab"
    assert any((item["href"] or "").startswith("/results.csv") for item in seen), f"{name}: the CSV link is not reached"
    page.evaluate("() => document.activeElement.blur()")


def print_as_a_report(page) -> None:
    page.emulate_media(media="print")
    try:
        hidden = page.evaluate("""() => [".exit-bar", ".footer", ".language-switch", ".no-print"].map(
          (s) => [...document.querySelectorAll(s)].every((e) => getComputedStyle(e).display === "none"))""")
        assert all(hidden), f"printed, the controls still show: {hidden}"
        assert page.locator("section.result table").first.is_visible()
    finally:
        page.emulate_media(media="screen")
