"""The survey owner's pages and the preview in headless Chromium (issue 21), signing in as an editor
through the real forms and uploading spreadsheets through the real file input.

- Every page and error state: axe-core (WCAG 2.2 A/AA) at desktop width and 320 px, 320 px reflow,
  the Nu HTML checker once at the end; on preview pages (English, Polish, and Urdu right to left)
  the first Tab reaches the preview's own quick exit.
- Keyboard only: a preview walked from start to done with Tab, Space, Enter and arrows, and every
  control of the survey page reached by Tab, each focus indicator measured (3:1, 2 px).
- At 320 px with 200% text and at 400% zoom: nothing scrolls sideways on the survey page, a draft's
  page (long lines in what it changes) or the preview; the preview's quick exit stays at the top.
- The preview's quick exit, clicked: it leaves for QUICK_EXIT_URL and the staff session is over.
"""

from datetime import date
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import StaffSession
from tests.browser.checks import _WIDE_ELEMENTS, DESKTOP, PageChecks
from tests.browser.in_use import MODES, exit_in_reach, focus_indicator, layout, set_mode, visible_indicator
from tests.browser.test_in_use import Keyboard, wait_for_autofocus
from tests.questionnaire.test_plain_xlsform import KOBO_LANGUAGES, kobo_form
from tests.questionnaire.xlsforms import write_form
from tests.staff.conftest import PASSWORD, make_user, next_code

pytestmark = pytest.mark.browser

EDITOR = "owner"
UPLOAD = "main form[action='/staff/survey/upload'] button"
DATES = "main form[action='/staff/survey/dates'] button"
# The answers a preview is given (by clicking, or by keys): "no" first, so the condition shows "Why?".
CHOICES = {"safe": "no", "places": "street", "night": "yes"}
TYPED = "Typed in a preview"
# A label with a long sentence and an address with no space in it: lines of the draft's "what it
# changes" and of the preview that must wrap at 320 px.
LONG_LABEL = ("Anything else you would like to tell us about feeling safe in the town centre after dark? "
              "See https://www.example.org/community-safety/consultations/town-centre-after-dark-2024/"
              "questions-and-answers-for-residents")


def press(page, selector: str = "main form button"):
    """Press a button like a person and return the response that loaded the next page."""
    with page.expect_navigation() as navigation:
        page.locator(selector).click()
    return navigation.value


def path_of(page) -> str:
    return urlsplit(page.url).path


def sign_in(page, server) -> None:
    """An editor account with a known two-factor secret, signed in through the two real forms."""
    make_user(server.app, EDITOR, role="editor")
    page.goto(f"{server.url}/staff/login")
    page.fill("#username", EDITOR)
    page.fill("#password", PASSWORD)
    press(page)
    page.fill("#code", next_code(server.app, EDITOR))
    press(page, "main form button.button")
    assert path_of(page) == "/staff/survey", f"signing in ended at {page.url}"


def spreadsheet(tmp_path, name: str, languages: dict[str, str], version: str = "2024-05", change=None) -> str:
    """A KoboToolbox-style form in `languages`, written to a file for the file input."""
    form = kobo_form()
    form["settings"][0]["version"] = version
    if change:
        change(form)
    return str(write_form(tmp_path / name, form, languages=languages))


def long_lines(form) -> None:
    form["survey"][7]["label"] = LONG_LABEL


def upload(page, path: str):
    """Choose the file in the real file input and press "Upload and check"."""
    page.set_input_files("#file", path)
    return press(page, UPLOAD)


def answer(page) -> None:
    """Answer the preview page shown, with clicks and typing."""
    names = page.eval_on_selector_all(
        "main form input[type=radio], main form input[type=checkbox]",
        "(inputs) => [...new Set(inputs.map((i) => i.name))]",
    )
    for name in names:
        page.check(f"main form input[name='{name}'][value='{CHOICES[name]}']")
    for box in page.locator("main form textarea").all():
        box.fill(TYPED)


def check_preview(page, checks: PageChecks, server, file_id: int, language: str) -> None:
    """A preview in one language: start, a question page, the same with an error, check answers, done."""
    base = f"{server.url}/staff/preview/{file_id}"
    checks.check(page, page.goto(f"{base}/?lang={language}"), f"preview start ({language})")
    assert page.locator("html").get_attribute("lang") == language
    assert page.title().startswith("Preview: ")
    checks.check(page, press(page), f"preview question 1 ({language})")
    checks.check(page, press(page), f"preview question 1 with an error ({language})")
    assert page.locator(".error-summary").count() == 1
    response = None
    while "/question/" in path_of(page):
        answer(page)
        response = press(page)
    assert path_of(page).endswith("/check"), f"the preview walk ended at {page.url}"
    checks.check(page, response, f"preview check answers ({language})")
    checks.check(page, press(page), f"preview done ({language})")
    assert path_of(page).endswith("/done")


def test_survey_owner_pages_pass_axe_and_the_nu_html_checker(browser_page, serve_app, tmp_path):
    server = serve_app()
    page, checks, url = browser_page, PageChecks(), server.url
    sign_in(page, server)

    checks.check(page, page.goto(f"{url}/staff/survey"), "survey page", quick_exit=False)
    checks.check(page, press(page, UPLOAD), "survey page, no file chosen", status=400, quick_exit=False)
    assert "Choose the .xlsx file to upload" in page.inner_text(".error-summary")

    def broken(form):
        form["survey"][0]["type"] = "select_one no_such_list"

    response = upload(page, spreadsheet(tmp_path, "broken.xlsx", KOBO_LANGUAGES, change=broken))
    checks.check(page, response, "upload problems", status=400, quick_exit=False)
    assert "no_such_list" in page.inner_text("ol.problems")

    page.goto(f"{url}/staff/survey")
    checks.check(page, upload(page, spreadsheet(tmp_path, "kobo.xlsx", KOBO_LANGUAGES)), "draft page", quick_exit=False)
    assert page.inner_text("main h1") == "Draft version 2024-05"
    assert page.locator("main ul.diff").count() == 2  # what it changes, in English and in Polish
    file_id = int(path_of(page).rsplit("/", 1)[1])

    for language in KOBO_LANGUAGES:
        check_preview(page, checks, server, file_id, language)

    page.goto(f"{url}/staff/survey/files/{file_id}")
    checks.check(page, press(page, "main a[href$='/make-live']"), "make-live confirmation", quick_exit=False)
    checks.check(page, press(page), "survey page after make live", quick_exit=False)
    assert "The new version is live" in page.inner_text("main p.notice")

    page.fill("#opens", f"{date.today().year + 1}-02-01")
    page.fill("#last_day", f"{date.today().year + 1}-01-01")
    checks.check(page, press(page, DATES), "survey page, dates the wrong way round", status=400, quick_exit=False)
    assert "The last day must be the first day or after it" in page.inner_text(".error-summary")

    # Right to left: the same form with an Urdu column too.
    page.goto(f"{url}/staff/survey")
    path = spreadsheet(tmp_path, "urdu.xlsx", {"en": "English", "ur": "اردو"}, version="2024-06", change=long_lines)
    checks.check(page, upload(page, path), "draft page, English and Urdu", quick_exit=False)
    urdu_id = int(path_of(page).rsplit("/", 1)[1])
    checks.check(page, page.goto(f"{url}/staff/preview/{urdu_id}/?lang=ur"), "preview start (ur)")
    assert page.locator("html").get_attribute("dir") == "rtl"
    checks.check(page, press(page), "preview question 1 (ur)")
    assert page.locator("html").get_attribute("dir") == "rtl"
    assert page.locator("main .preview-banner").get_attribute("dir") == "ltr"  # the banner is staff English

    checks.validate_html()


def tab_through(keyboard: Keyboard, limit: int = 200) -> list[str]:
    """Tab from the top of the page until focus comes round again; each focus is measured on the way.
    Returns the focused elements in order (by their place in the document: a date input's parts are one)."""
    page, seen = keyboard.page, []
    for _ in range(limit):
        keyboard.press("Tab")
        where = page.evaluate(
            "() => document.activeElement === document.body ? -1"
            " : [...document.querySelectorAll('*')].indexOf(document.activeElement)"
        )
        if where < 0 or (seen and where < seen[-1][0]):
            break  # back on the document, or round to the start
        if not seen or where != seen[-1][0]:
            seen.append((where, page.evaluate("() => document.activeElement.outerHTML.slice(0, 80)")))
    else:
        raise AssertionError(f"{limit} Tabs never came round")
    return [html for _, html in seen]


def indicator_problems(keyboard: Keyboard) -> list[str]:
    problems = []
    for element, indicator in sorted(keyboard.indicators.items()):
        parts = ", ".join(f"{p['part']} {p['width']:.0f} px at {p['contrast']:.2f}:1" for p in indicator["parts"])
        line = f"{element}: {parts or 'no indicator'}; text {indicator['text']:.2f}:1"
        print(f"  {line}")
        if not visible_indicator(indicator):
            problems.append(line)
    return problems


def test_keyboard_only_the_survey_page_and_a_preview_from_start_to_done(browser_page, serve_app, tmp_path):
    server = serve_app()
    page = browser_page
    sign_in(page, server)
    upload(page, spreadsheet(tmp_path, "kobo.xlsx", KOBO_LANGUAGES))
    file_id = int(path_of(page).rsplit("/", 1)[1])

    # The survey page: Tab reaches every control, each with a visible focus.
    page.goto(f"{server.url}/staff/survey")
    staff = Keyboard(page)
    staff.kind = "survey page"
    reached = tab_through(staff)
    controls = page.evaluate(
        """() => [...document.querySelectorAll(
               "a[href], button, input:not([type=hidden]), select, textarea, [tabindex='0']")]
             .filter((e) => !e.closest("[hidden]")).map((e) => e.outerHTML.slice(0, 80))"""
    )
    missed = set(controls) - set(reached)
    assert reached == controls, f"Tab reached {len(reached)} of {len(controls)} controls; not reached: {missed}"
    print(f"\nSurvey page: {len(reached)} controls in {staff.counts['survey page']} Tabs. Focus indicators:")
    problems = indicator_problems(staff)
    for expected in ("input[type=file]", "input[type=date]", "button[type=submit].button", "a.button",
                     "div.table-scroll"):
        if expected not in " ".join(staff.indicators):
            problems.append(f"no {expected} was focused on the survey page")

    # The preview, from its start page to its confirmation, keys only.
    page.goto(f"{server.url}/staff/preview/{file_id}/?lang=en")
    keyboard = Keyboard(page)
    keyboard.kind = "start"
    keyboard.press("Tab")
    assert keyboard.focused("e.matches('a.quick-exit')"), "the first Tab does not reach the preview's quick exit"
    keyboard.tab_to("e.closest('.preview-banner')")
    banner = focus_indicator(page)
    if not visible_indicator(banner):
        problems.append(f"the preview banner's link: {banner}")
    keyboard.tab_to("e.matches('main form button')")
    keyboard.follow()

    keyboard.kind = "question 1"
    keyboard.tab_to("e.matches('main form button')")  # nothing chosen: the page comes back with its error
    keyboard.follow()
    wait_for_autofocus(page)
    assert keyboard.focused("!!e.closest('.error-summary')"), "focus is not in the error summary"
    keyboard.measure()
    keyboard.tab_to("e.matches('.error-summary a')")
    keyboard.press("Enter")
    assert keyboard.focused("!!e.querySelector(\"input[name='safe']\")"), "the error link does not lead to the question"
    keyboard.measure()
    keyboard.tab_to("e.name === 'safe'")
    keyboard.press("ArrowDown")  # from "Yes" to "No", choosing it: the condition shows "Why?"
    assert page.eval_on_selector_all("input[name='safe']:checked", "(inputs) => inputs.map((i) => i.value)") == ["no"]
    keyboard.tab_to("e.matches('main form button')")
    keyboard.follow()
    pages = ["question 1"]
    while "/question/" in path_of(page):
        keyboard.kind = f"question {path_of(page).rsplit('/', 1)[1]}"
        pages.append(keyboard.kind)
        for name in page.eval_on_selector_all("main form :is(input[type=radio], input[type=checkbox], textarea)",
                                              "(inputs) => [...new Set(inputs.map((i) => i.name))]"):
            keyboard.tab_to(f"e.name === '{name}'")
            if name in CHOICES:
                keyboard.press("Space")  # the first answer (each page's first is the one wanted)
                chosen = page.eval_on_selector_all(f"input[name='{name}']:checked",
                                                   "(inputs) => inputs.map((i) => i.value)")
                assert chosen == [CHOICES[name]], f"{keyboard.kind}: chose {chosen}"
            else:
                page.keyboard.type(TYPED)
        keyboard.tab_to("e.matches('main form button')")
        keyboard.follow()
    assert pages == ["question 1", "question 2", "question 3", "question 4"], pages
    assert path_of(page).endswith("/check"), page.url
    keyboard.kind = "check answers"
    assert TYPED in page.inner_text("main")
    keyboard.tab_to("e.matches('main form button')")
    keyboard.follow()
    assert path_of(page).endswith("/done"), page.url

    print(f"Preview by keyboard: keystrokes per page {keyboard.counts}. Focus indicators:")
    problems += indicator_problems(keyboard)
    for expected in ("a.quick-exit", "summary", "input[type=radio]", "input[type=checkbox]", "textarea", "button",
                     "in the error summary"):
        if expected not in " ".join(keyboard.indicators):
            problems.append(f"no {expected} was focused on the preview walk")
    assert not problems, "\n".join(problems)


# Words of table cells split across lines (a table in a scrolling region should keep whole words and
# scroll; breaking anywhere squeezes a column to a letter a line). Hyphens are break points, not splits.
_SPLIT_WORDS = """() => {
  const split = [];
  for (const cell of document.querySelectorAll("main table th, main table td")) {
    const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      if (node.parentElement.closest(".visually-hidden")) continue;
      for (const word of node.textContent.matchAll(/[^\\s-]+/g)) {
        const range = document.createRange();
        range.setStart(node, word.index);
        range.setEnd(node, word.index + word[0].length);
        if (range.getClientRects().length > 1) split.push(word[0]);
      }
    }
  }
  return split;
}"""


def look(page, where: str, preview: bool, problems: list[str]) -> None:
    """In both modes, at the top and scrolled to the bottom: nothing scrolls sideways, no word of a
    table is split across lines, and on a preview page the quick exit is inside the top of the screen."""
    for mode in MODES:
        set_mode(page, mode)
        for scroll in ("0", "document.documentElement.scrollHeight"):
            page.evaluate(f"() => window.scrollTo(0, {scroll})")
            measure = layout(page)
            at = f"{where}, {mode['name']}, {'top' if scroll == '0' else 'bottom'}"
            if measure["scrollWidth"] > measure["width"]:
                wide = "; ".join(page.evaluate(_WIDE_ELEMENTS, measure["width"]))
                problems.append(f"{at}: {measure['scrollWidth']} px wide: {wide}")
            split = page.evaluate(_SPLIT_WORDS)
            if split:
                problems.append(f"{at}: words of a table split across lines: {split[:5]}")
            if preview and not exit_in_reach(measure):
                problems.append(f"{at}: the quick exit is not inside the top of the screen: {measure['exit']}")
    set_mode(page, MODES[0])


def test_nothing_scrolls_sideways_at_200_percent_text_or_400_percent_zoom(browser_page, serve_app, tmp_path):
    server = serve_app()
    page, problems = browser_page, []
    sign_in(page, server)
    path = spreadsheet(tmp_path, "long.xlsx", {"en": "English", "ur": "اردو"}, change=long_lines)
    upload(page, path)
    file_id = int(path_of(page).rsplit("/", 1)[1])
    assert LONG_LABEL in page.inner_text("main ul.diff")
    set_mode(page, MODES[0])
    look(page, "draft page", False, problems)
    page.goto(f"{server.url}/staff/survey")
    look(page, "survey page", False, problems)

    for language in ("en", "ur"):
        page.goto(f"{server.url}/staff/preview/{file_id}/?lang={language}")
        look(page, f"preview start ({language})", True, problems)
        press(page)
        look(page, f"preview question 1 ({language})", True, problems)
        press(page)
        look(page, f"preview question 1 with an error ({language})", True, problems)
        while "/question/" in path_of(page):
            answer(page)
            press(page)
            if "/question/" in path_of(page):
                look(page, f"preview question {path_of(page).rsplit('/', 1)[1]} ({language})", True, problems)
        look(page, f"preview check answers ({language})", True, problems)
        press(page)
        look(page, f"preview done ({language})", True, problems)
    page.set_viewport_size(DESKTOP)
    assert not problems, f"{len(problems)} problem(s):\n" + "\n".join(problems[:20])


def test_the_quick_exit_in_a_preview_leaves_and_ends_the_staff_session(browser_page, serve_app, tmp_path):
    server = serve_app()
    # A page of the test server itself, so no outside site is reached (/favicon.ico answers 204, which a
    # browser does not navigate to).
    server.app.config["QUICK_EXIT_URL"] = f"{server.url}/static/site.css"
    page = browser_page
    sign_in(page, server)
    upload(page, spreadsheet(tmp_path, "kobo.xlsx", KOBO_LANGUAGES))
    file_id = int(path_of(page).rsplit("/", 1)[1])
    page.goto(f"{server.url}/staff/preview/{file_id}/")
    press(page)
    answer(page)
    press(page)
    assert path_of(page) == f"/staff/preview/{file_id}/question/2"

    press(page, "a.quick-exit")
    assert page.url == server.app.config["QUICK_EXIT_URL"]
    assert not [cookie for cookie in page.context.cookies() if cookie["name"] == "staff"]
    with server.app.app_context():
        assert db.session.scalar(select(func.count()).select_from(StaffSession)) == 0  # the answers went with it
    page.goto(f"{server.url}/staff/survey")
    assert path_of(page) == "/staff/login", f"the staff session survived the quick exit: {page.url}"
