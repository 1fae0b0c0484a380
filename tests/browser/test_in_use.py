"""The survey as people use it, beyond what axe-core and the Nu checker look for, in headless Chromium.

- Reach and reflow, in every language, at 320 px with 200% text and at 400% zoom: the exit button
  stays inside the screen at the top when a page opens, when scrolled to the bottom, after the skip
  link and after posting a form; every page opens at its top; the heading (or on a page with errors,
  the error summary) starts within the first screen; nothing scrolls sideways.
- The accessibility tree of every form page in every language: the first form control is a question's,
  nothing is named like the bot trap, and on a page of several questions each group of answers sits
  in a group named by the page's question.
- A keyboard-only walk of the whole survey in English and Urdu (Tab, Space, Enter, arrows), with an
  error on the first page: focus is in the error summary when the error page loads, and an error
  link leads to its question. Every focused control's indicator is measured on the way. The
  keystrokes per page and the heading's position at 200% text are printed (pytest -s or -rP shows them).
"""

from urllib.parse import urlsplit

import pytest

from app.config import LANGUAGES
from app.questionnaire import QUESTIONNAIRE as Q
from app.questionnaire.model import Kind
from tests.browser.checks import _WIDE_ELEMENTS
from tests.browser.in_use import (
    LARGE_TEXT,
    MODES,
    ZOOM_400,
    accessibility_tree,
    ax_name,
    ax_role,
    exit_in_reach,
    focus_indicator,
    layout,
    set_mode,
    visible_indicator,
)
from tests.browser.test_public_pages import fill_in, path_of, press
from tests.helpers import FULL_ANSWERS

pytestmark = pytest.mark.browser

FORM_ROLES = {"radio", "checkbox", "textbox", "button", "combobox", "spinbutton", "searchbox", "slider"}


def page_kind(page) -> str:
    path = path_of(page)
    if path.startswith("/question/"):
        number = int(path.rsplit("/", 1)[1])
        questions = Q.pages[number - 1].questions
        kinds = sorted({q.kind.value for q in questions})
        return f"question {number} ({len(questions)} x {'/'.join(kinds)})"
    return {"/": "start", "/check": "check answers", "/done": "answers sent"}.get(path, path.strip("/"))


def assert_in_reach(page, where: str, opened: bool = True) -> dict:
    """The checks of one page in the current mode; `opened`: the page has just loaded."""
    measure = layout(page)
    assert exit_in_reach(measure), f"{where}: the exit button is not inside the top of the screen: {measure}"
    if opened:
        assert "#" not in measure["url"], f"{where}: opened with a fragment: {measure['url']}"
        if measure["summaryTop"] is None:
            assert measure["scrollY"] == 0, f"{where}: did not open at its top (scrolled {measure['scrollY']} px)"
    if measure["scrollWidth"] > measure["width"]:
        wide = page.evaluate(_WIDE_ELEMENTS, measure["width"])
        raise AssertionError(f"{where}: scrolls sideways ({measure['scrollWidth']} px): {'; '.join(wide)}")
    return measure


def check_reach(page, kind: str, positions: dict) -> None:
    """Both modes on the page as it is: at the top, then scrolled to the bottom."""
    for mode in MODES:
        set_mode(page, mode)
        where = f"{kind}, {mode['name']}"
        page.evaluate("() => window.scrollTo(0, 0)")
        measure = assert_in_reach(page, where, opened=False)
        top = measure["summaryTop"] if measure["summaryTop"] is not None else measure["headingTop"]
        assert top is not None, f"{where}: no heading"
        assert top < measure["height"], (
            f"{where}: the {'error summary' if measure['summaryTop'] is not None else 'heading'} starts at "
            f"{top:.0f} px, below the first screen ({measure['height']} px)"
        )
        positions[(kind, mode["name"])] = round(top)
        page.evaluate("() => window.scrollTo(0, document.documentElement.scrollHeight)")
        assert_in_reach(page, f"{where}, scrolled to the bottom", opened=False)
    set_mode(page, LARGE_TEXT)
    page.evaluate("() => window.scrollTo(0, 0)")


def check_tree(page, kind: str, language: str, trap_label: str) -> None:
    """The accessibility tree of a form page."""
    nodes, by_id = accessibility_tree(page)
    controls = [node for node in nodes if ax_role(node) in FORM_ROLES]
    names = [ax_name(node) for node in controls]
    assert not any(trap_label.lower() in name.lower() or "leave this empty" in name.lower() for name in names), (
        f"{kind} [{language}]: a control is named like the bot trap: {names}"
    )
    answers = page.evaluate(
        """() => [...document.querySelectorAll("main .field :is(input, textarea)")].map(
             (control) => (control.labels[0] || {}).textContent.trim())"""
    )
    if answers:
        first = controls[0]
        assert ax_role(first) in {"radio", "checkbox", "textbox"} and ax_name(first) in answers, (
            f"{kind} [{language}]: the first form control is {ax_role(first)} {ax_name(first)!r}, not a question's"
        )
    heading = page.evaluate("() => document.querySelector('main h1').textContent.trim()")
    if page.locator("main .question-group").count():
        for node in controls:
            if ax_role(node) not in {"radio", "checkbox"}:
                continue
            groups, parent = [], node.get("parentId")
            while parent in by_id:
                if ax_role(by_id[parent]) in {"group", "radiogroup"} and not by_id[parent].get("ignored"):
                    groups.append(ax_name(by_id[parent]))
                parent = by_id[parent].get("parentId")
            assert heading in groups, (
                f"{kind} [{language}]: {ax_name(node)!r} is in groups {groups}, none named {heading!r}"
            )


def wait_for_autofocus(page) -> None:
    """autofocus is applied at the page's first rendering, which may come just after "load"."""
    try:
        page.wait_for_function("() => !!document.activeElement.closest('.error-summary')", timeout=3000)
    except Exception:
        pass  # the assertion that follows says what is wrong


def skip_link_then_post(page, url: str, kind: str) -> None:
    """Follow the skip link by keyboard: the exit stays in reach, main is not under the exit bar."""
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    measure = layout(page)
    assert measure["url"].endswith("#main"), f"{kind}: the skip link did not go to #main: {measure['url']}"
    assert exit_in_reach(measure), f"{kind}: after the skip link the exit button is out of reach: {measure}"
    main_top = page.evaluate("() => document.querySelector('main').getBoundingClientRect().top")
    assert main_top >= measure["exit"]["bottom"], f"{kind}: after the skip link, main starts under the exit bar"


@pytest.mark.parametrize("language", list(LANGUAGES))
def test_exit_in_reach_heading_on_the_first_screen_and_no_sideways_scroll(
    browser_page, survey_server, language, request
):
    page, url, positions = browser_page, survey_server.url, {}
    trap_label = survey_server.app.jinja_env.globals["gettext"]  # placeholder, replaced below
    with survey_server.app.test_request_context(f"/?lang={language}"):
        from flask_babel import gettext, refresh

        refresh()
        trap_label = gettext("Leave this empty")
    set_mode(page, LARGE_TEXT)

    for path in ("/help", "/privacy", "/leaving-quickly", "/no-such-page", f"/?lang={language}"):
        page.goto(f"{url}{path}")
        assert_in_reach(page, f"{path} [{language}]")
        check_reach(page, page_kind(page) if path != "/no-such-page" else "page not found", positions)
    check_tree(page, "start", language, trap_label)

    press(page)  # "Start now"
    errors_shown = set()
    seen = 0
    while path_of(page).startswith("/question/"):
        kind = page_kind(page)
        number = int(path_of(page).rsplit("/", 1)[1])
        questions = Q.pages[number - 1].questions
        assert_in_reach(page, f"{kind} [{language}], as it opened")
        check_reach(page, kind, positions)
        check_tree(page, kind, language, trap_label)
        kinds = {q.kind for q in questions if q.required}
        if kinds and not kinds <= errors_shown:
            errors_shown |= kinds
            press(page)  # nothing chosen: the page comes back with errors
            wait_for_autofocus(page)
            measure = assert_in_reach(page, f"{kind} with errors [{language}], as it opened")
            assert measure["focusInSummary"], f"{kind} with errors [{language}]: focus is not in the error summary"
            assert measure["summaryTop"] - measure["scrollY"] >= measure["exit"]["bottom"] - 1, (
                f"{kind} with errors [{language}]: the error summary is under the exit bar"
            )
            check_reach(page, f"{kind} with errors", positions)
            page.goto(f"{url}{path_of(page)}")  # afresh, so the skip link is the second Tab again
        skip_link_then_post(page, url, f"{kind} [{language}]")
        fill_in(page, questions, FULL_ANSWERS)
        press(page)
        seen += 1
    assert path_of(page) == "/check"
    assert_in_reach(page, f"check answers [{language}], as it opened")
    check_reach(page, "check answers", positions)
    check_tree(page, "check answers", language, trap_label)
    press(page)
    assert path_of(page) == "/done"
    assert_in_reach(page, f"answers sent [{language}], as it opened")
    check_reach(page, "answers sent", positions)

    lines = [f"Where the heading (or error summary) starts, in CSS px from the top of the page [{language}]:"]
    for (kind, mode), top in positions.items():
        height = (LARGE_TEXT if mode == LARGE_TEXT["name"] else ZOOM_400)["viewport"]["height"]
        lines.append(f"  {kind:40} {mode:18} {top:5} of {height}")
    print("\n".join(lines))


class Keyboard:
    """Presses keys like a keyboard-only respondent, counting them per page and measuring every focus."""

    def __init__(self, page):
        self.page = page
        self.counts: dict[str, int] = {}
        self.kind = ""
        self.indicators: dict[str, dict] = {}  # the weakest indicator seen, per kind of element

    def press(self, key: str, times: int = 1, measure: bool = True) -> None:
        for _ in range(times):
            self.page.keyboard.press(key)
            self.counts[self.kind] = self.counts.get(self.kind, 0) + 1
            if measure:
                self.measure()

    def measure(self) -> None:
        indicator = focus_indicator(self.page)
        if indicator is None:
            return
        ring = max((min(part["width"] / 2, part["contrast"] / 3) for part in indicator["parts"]), default=0)
        best = min(ring, indicator["text"] / 4.5)
        seen = self.indicators.get(indicator["element"])
        if seen is None or best < seen["score"]:
            self.indicators[indicator["element"]] = {"score": best, **indicator}

    def focused(self, script: str) -> bool:
        return self.page.evaluate(f"() => {{ const e = document.activeElement; return !!e && ({script}); }}")

    def tab_to(self, script: str, limit: int = 120) -> None:
        for _ in range(limit):
            if self.focused(script):
                return
            self.press("Tab")
        raise AssertionError(f"{self.kind}: {limit} Tabs never reached {script}")

    def follow(self, key: str = "Enter") -> None:
        with self.page.expect_navigation():
            self.press(key, measure=False)


def answer_by_keyboard(keyboard: Keyboard, question) -> None:
    page, value = keyboard.page, FULL_ANSWERS[question.id]
    if question.kind is Kind.TEXT:
        keyboard.tab_to(f"e.name === '{question.id}'")
        page.keyboard.type(value)  # typing is counted as one step
        keyboard.counts[keyboard.kind] += 1
        return
    codes = [option.code for option in question.options]
    keyboard.tab_to(f"e.name === '{question.id}'")
    if question.kind is Kind.MULTIPLE:
        wanted = [codes.index(code) for code in value]
        for index in range(max(wanted) + 1):
            if index in wanted:
                keyboard.press("Space")
            if index < max(wanted):
                keyboard.press("Tab")
        chosen = page.eval_on_selector_all(f"input[name='{question.id}']:checked", "(boxes) => boxes.map((b) => b.value)")
    else:
        index = codes.index(value)
        # Space chooses the focused first answer; an arrow key moves to the next answer and chooses it.
        keyboard.press("Space") if index == 0 else keyboard.press("ArrowDown", index)
        chosen = page.eval_on_selector_all(f"input[name='{question.id}']:checked", "(radios) => radios.map((r) => r.value)")
    assert chosen == (value if isinstance(value, list) else [value]), f"{keyboard.kind}: chose {chosen}, not {value}"


@pytest.mark.parametrize("language", ["en", "ur"])
def test_the_whole_survey_by_keyboard_with_visible_focus(browser_page, survey_server, language):
    page, url = browser_page, survey_server.url
    keyboard = Keyboard(page)
    page.goto(f"{url}/?lang={language}")
    keyboard.kind = "start"
    keyboard.tab_to("e.matches('main form button')")
    keyboard.follow()

    while path_of(page).startswith("/question/"):
        number = int(path_of(page).rsplit("/", 1)[1])
        keyboard.kind = page_kind(page)
        questions = Q.pages[number - 1].questions
        if number == 1:
            # Continue with nothing chosen: the page comes back with its errors, focus in the summary.
            keyboard.tab_to("e.matches('main form button')")
            keyboard.follow()
            keyboard.kind = f"{page_kind(page)} with errors"
            keyboard.counts[keyboard.kind] = 0
            measure = layout(page)
            assert measure["focusInSummary"], f"{language}: focus is not in the error summary after the page loads"
            assert exit_in_reach(measure)
            keyboard.measure()
            keyboard.press("Tab")
            assert keyboard.focused("e.matches('.error-summary a')"), "Tab from the summary does not reach its first link"
            keyboard.press("Enter")
            first = questions[0]
            assert keyboard.focused(f"e.id === '{first.id}-question'"), "the error link does not lead to its question"
            shown = page.evaluate(
                """(id) => { const field = document.getElementById(id);
                  const top = (s) => field.querySelector(s).getBoundingClientRect();
                  const bar = document.querySelector('.exit-bar').getBoundingClientRect().bottom;
                  return {legend: top('legend').top >= bar - 1, error: top('.error-message').bottom <= innerHeight}; }""",
                f"{first.id}-question",
            )
            assert shown == {"legend": True, "error": True}, f"{language}: the question or its message is hidden: {shown}"
            keyboard.measure()
        for question in questions:
            answer_by_keyboard(keyboard, question)
        keyboard.tab_to("e.matches('main form button')")
        keyboard.follow()

    assert path_of(page) == "/check"
    keyboard.kind = "check answers"
    keyboard.tab_to("e.matches('main form button')")
    keyboard.follow()
    assert path_of(page) == "/done"

    print(f"\nKeystrokes per page, keyboard only [{language}] (typing a text answer counts as one):")
    for kind, count in keyboard.counts.items():
        print(f"  {kind:45} {count:4}")
    print(f"Focus indicators [{language}] (the weakest seen per kind of element):")
    weak = []
    for element, indicator in sorted(keyboard.indicators.items()):
        parts = ", ".join(f"{p['part']} {p['width']:.0f} px at {p['contrast']:.2f}:1" for p in indicator["parts"])
        parts += f"; text {indicator['text']:.2f}:1"
        print(f"  {element:45} {parts}")
        if not visible_indicator(indicator):
            weak.append(f"{element}: {parts or 'no indicator'}")
    kinds = " ".join(keyboard.indicators)
    for expected in ("input[type=radio]", "input[type=checkbox]", "textarea", "button", "a.quick-exit", "summary",
                     "in the error summary", "div.field"):
        assert expected in kinds, f"no {expected} was focused on the walk: {kinds}"
    assert not weak, "focus indicators under 3:1 or under 2 px:\n" + "\n".join(weak)
