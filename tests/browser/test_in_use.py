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

import pytest

from app.config import LANGUAGES
from app.questionnaire import QUESTIONNAIRE as Q
from app.questionnaire.model import Kind
from tests.browser.checks import _WIDE_ELEMENTS, DESKTOP
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
from tests.browser.test_public_pages import fill_in, owned_server, path_of, press  # noqa: F401 (a fixture)
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


class Findings:
    """What a walk saw, sorted by the issue's findings, so each has its own test (and a walk runs once)."""

    def __init__(self):
        self.problems: dict[str, list[str]] = {}
        self.positions: dict[tuple[str, str], int] = {}

    def add(self, finding: str, problem: str | None = None) -> None:
        self.problems.setdefault(finding, [])
        if problem:
            self.problems[finding].append(problem)

    def check(self, finding: str, ok: bool, problem: str) -> None:
        self.add(finding, None if ok else problem)

    def assert_none(self, finding: str) -> None:
        assert finding in self.problems, f"the walk never checked {finding!r}"
        problems = self.problems[finding]
        assert not problems, f"{len(problems)} problem(s):\n" + "\n".join(problems[:15])


def look(page, findings: Findings, where: str, opened: bool) -> dict:
    """The checks of one page in the current mode; `opened`: the page has just loaded."""
    measure = layout(page)
    findings.check("exit in reach", exit_in_reach(measure), f"{where}: the exit button is not inside the top of the screen: {measure['exit']}")
    if opened:
        findings.check("opens at its top", "#" not in measure["url"], f"{where}: opened with a fragment: {measure['url']}")
        if measure["summaryTop"] is None:
            findings.check("opens at its top", measure["scrollY"] == 0, f"{where}: opened scrolled {measure['scrollY']} px down")
    wide = measure["scrollWidth"] > measure["width"]
    findings.check(
        "no sideways scroll", not wide,
        f"{where}: {measure['scrollWidth']} px wide: {'; '.join(page.evaluate(_WIDE_ELEMENTS, measure['width'])) if wide else ''}",
    )
    return measure


def look_in_both_modes(page, findings: Findings, kind: str) -> None:
    """Both modes on the page as it is: at the top, then scrolled to the bottom."""
    for mode in MODES:
        set_mode(page, mode)
        where = f"{kind}, {mode['name']}"
        page.evaluate("() => window.scrollTo(0, 0)")
        measure = look(page, findings, where, opened=False)
        top = measure["summaryTop"] if measure["summaryTop"] is not None else measure["headingTop"]
        if top is not None:
            findings.check(
                "heading on the first screen", top < measure["height"],
                f"{where}: the {'error summary' if measure['summaryTop'] is not None else 'heading'} starts at "
                f"{top:.0f} px, below the first screen ({measure['height']} px)",
            )
            findings.positions[(kind, mode["name"])] = round(top)
        page.evaluate("() => window.scrollTo(0, document.documentElement.scrollHeight)")
        look(page, findings, f"{where}, scrolled to the bottom", opened=False)
    set_mode(page, LARGE_TEXT)
    page.evaluate("() => window.scrollTo(0, 0)")


def look_at_the_tree(page, findings: Findings, kind: str, trap_label: str) -> None:
    """The accessibility tree of a form page."""
    nodes, by_id = accessibility_tree(page)
    controls = [node for node in nodes if ax_role(node) in FORM_ROLES]
    names = [ax_name(node) for node in controls]
    findings.check(
        "no bot trap in the tree",
        not any(trap_label.lower() in name.lower() or "leave this empty" in name.lower() for name in names),
        f"{kind}: a control is named like the bot trap: {names[:4]}",
    )
    answers = page.evaluate(
        """() => [...document.querySelectorAll("main .field :is(input, textarea)")].map(
             (control) => (control.labels[0] || {}).textContent.trim())"""
    )
    if answers:
        first = controls[0]
        findings.check(
            "first control is a question's",
            ax_role(first) in {"radio", "checkbox", "textbox"} and ax_name(first) in answers,
            f"{kind}: the first form control is {ax_role(first)} {ax_name(first)!r}, not a question's",
        )
    if len(page.locator("main .field").all()) > 1:
        heading = page.evaluate("() => document.querySelector('main h1').textContent.trim()")
        for node in controls:
            if ax_role(node) not in {"radio", "checkbox"}:
                continue
            groups, parent = [], node.get("parentId")
            while parent in by_id:
                if ax_role(by_id[parent]) in {"group", "radiogroup"} and not by_id[parent].get("ignored"):
                    groups.append(ax_name(by_id[parent]))
                parent = by_id[parent].get("parentId")
            findings.check(
                "groups named with the page's question", heading in groups,
                f"{kind}: {ax_name(node)!r} is in groups {groups}, none named {heading!r}",
            )


def wait_for_autofocus(page) -> None:
    """autofocus is applied at the page's first rendering, which may come just after "load"."""
    try:
        page.wait_for_function("() => !!document.activeElement.closest('.error-summary')", timeout=3000)
    except Exception:
        pass  # the check that follows says what is wrong


def follow_the_skip_link(page, findings: Findings, kind: str) -> None:
    """From a fresh load: Tab to the skip link and follow it; the exit stays in reach, main clear of it."""
    if "#" in page.url:  # a page that opened at a fragment (already a finding): start it afresh
        page.goto(page.url.split("#")[0])
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    measure = layout(page)
    findings.check("exit in reach", measure["url"].endswith("#main"), f"{kind}: the skip link did not go to #main")
    findings.check("exit in reach", exit_in_reach(measure), f"{kind}: after the skip link the exit is out of reach")
    main_top = page.evaluate("() => document.querySelector('main').getBoundingClientRect().top")
    findings.check(
        "exit in reach", main_top >= (measure["exit"] or {"bottom": 0})["bottom"] - 1,
        f"{kind}: after the skip link, the start of main is under the exit button",
    )


@pytest.fixture(scope="module", params=list(LANGUAGES))
def walked(request, browser_context, survey_server) -> tuple[str, Findings]:
    """One respondent per language walks the whole survey at 320 px and 200% text, looking at every
    page in both modes, making a mistake on pages of each kind, and following the skip link before
    posting each question page."""
    language, url, findings = request.param, survey_server.url, Findings()
    with survey_server.app.test_request_context(f"/?lang={language}"):
        from flask_babel import gettext, refresh

        refresh()
        trap_label = gettext("Leave this empty")
    browser_context.clear_cookies()
    page = browser_context.new_page()
    set_mode(page, LARGE_TEXT)
    try:
        for path in ("/help", "/privacy", "/leaving-quickly", "/accessibility", "/no-such-page", f"/?lang={language}"):
            page.goto(f"{url}{path}")
            kind = page_kind(page) if path != "/no-such-page" else "page not found"
            look(page, findings, kind, opened=True)
            look_in_both_modes(page, findings, kind)
        look_at_the_tree(page, findings, "start", trap_label)

        press(page)  # "Start now"
        errors_shown = set()
        while path_of(page).startswith("/question/"):
            kind = page_kind(page)
            number = int(path_of(page).rsplit("/", 1)[1])
            questions = Q.pages[number - 1].questions
            look(page, findings, f"{kind}, as it opened", opened=True)
            look_in_both_modes(page, findings, kind)
            look_at_the_tree(page, findings, kind, trap_label)
            kinds = {q.kind for q in questions if q.required}
            if kinds and not kinds <= errors_shown:
                errors_shown |= kinds
                press(page)  # nothing chosen: the page comes back with errors
                wait_for_autofocus(page)
                measure = look(page, findings, f"{kind} with errors, as it opened", opened=True)
                findings.check("error summary focused", measure["focusInSummary"], f"{kind}: focus is not in the error summary")
                if measure["summaryTop"] is not None and measure["exit"]:
                    findings.check(
                        "error summary focused", measure["summaryTop"] - measure["scrollY"] >= measure["exit"]["bottom"] - 1,
                        f"{kind}: the focused error summary is under the exit button",
                    )
                look_in_both_modes(page, findings, f"{kind} with errors")
                page.goto(f"{url}{path_of(page)}")  # afresh, so the skip link is the second Tab again
            follow_the_skip_link(page, findings, kind)
            fill_in(page, questions, FULL_ANSWERS)
            press(page)
        assert path_of(page) == "/check", f"the walk ended at {page.url}"
        look(page, findings, "check answers, as it opened", opened=True)
        look_in_both_modes(page, findings, "check answers")
        look_at_the_tree(page, findings, "check answers", trap_label)
        press(page)
        assert path_of(page) == "/done"
        look(page, findings, "answers sent, as it opened", opened=True)
        look_in_both_modes(page, findings, "answers sent")
    finally:
        page.close()

    lines = [f"\nWhere the heading (or error summary) starts, in CSS px from the top of the page [{language}]:"]
    for (kind, mode), top in findings.positions.items():
        height = (LARGE_TEXT if mode == LARGE_TEXT["name"] else ZOOM_400)["viewport"]["height"]
        lines.append(f"  {kind:40} {mode:18} {top:5} of {height}")
    print("\n".join(lines))
    return language, findings


def test_exit_button_in_reach_at_the_top_after_scrolling_and_after_the_skip_link(walked):
    """Finding 1: the exit button inside the top of the screen on opening, scrolled to the bottom, after
    the skip link and after posting; at 320 px with 200% text and at 400% zoom."""
    walked[1].assert_none("exit in reach")


def test_every_page_opens_at_its_top_without_a_fragment(walked):
    """Finding 1: no "#main" carried through posts and redirects; no page opens scrolled down."""
    walked[1].assert_none("opens at its top")


def test_the_heading_starts_on_the_first_screen_at_200_percent_text(walked):
    """Finding 2: a compact header: the heading (the error summary on a page with errors) starts within
    the first screen at 320 px with 200% text, and at 400% zoom."""
    walked[1].assert_none("heading on the first screen")


def test_the_error_summary_has_focus_when_the_page_loads(walked):
    """Finding 3: focus in the error summary after an error page loads, not at the top of the page."""
    walked[1].assert_none("error summary focused")


def test_no_bot_trap_and_a_question_first_in_the_accessibility_tree(walked):
    """Finding 4: the honeypot is not the first field a screen reader meets; nothing named like it."""
    walked[1].assert_none("no bot trap in the tree")
    walked[1].assert_none("first control is a question's")


def test_each_group_of_answers_carries_the_pages_question(walked):
    """Finding 5: on a page of several questions, each group sits in a group named by the page's question."""
    walked[1].assert_none("groups named with the page's question")


def test_nothing_scrolls_sideways_at_200_percent_text_or_400_percent_zoom(walked):
    """Finding 8: phone numbers and long words wrap; nothing sticks out at 320 px."""
    walked[1].assert_none("no sideways scroll")


@pytest.mark.parametrize("language", list(LANGUAGES))
def test_accessibility_statement_filled_in_at_200_percent_text_and_400_percent_zoom(browser_context, owned_server, language):
    """The statement with the owner's parts given (a longer page, an address in English inside a
    right-to-left one): the exit button in reach, the heading on the first screen, nothing sideways."""
    findings = Findings()
    browser_context.clear_cookies()
    page = browser_context.new_page()
    set_mode(page, LARGE_TEXT)
    try:
        page.goto(f"{owned_server.url}/accessibility?lang={language}")
        look(page, findings, "accessibility statement", opened=True)
        look_in_both_modes(page, findings, "accessibility statement")
    finally:
        page.close()
    for finding in ("exit in reach", "opens at its top", "heading on the first screen", "no sideways scroll"):
        findings.assert_none(finding)


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


@pytest.fixture(scope="module", params=["en", "ur"])
def walked_by_keyboard(request, browser_context, survey_server) -> tuple[Keyboard, Findings]:
    """The whole survey with Tab, Space, Enter and arrows only, at desktop size, with an error on the first page."""
    language, url, findings = request.param, survey_server.url, Findings()
    browser_context.clear_cookies()
    page = browser_context.new_page()
    page.set_viewport_size(DESKTOP)
    keyboard = Keyboard(page)
    try:
        page.goto(f"{url}/?lang={language}")
        keyboard.kind = "start"
        keyboard.tab_to("e.matches('main form button')")
        keyboard.follow()
        while path_of(page).startswith("/question/"):
            number = int(path_of(page).rsplit("/", 1)[1])
            keyboard.kind = page_kind(page)
            questions = Q.pages[number - 1].questions
            if number == 1:
                # Continue with nothing chosen: the page comes back with its errors.
                keyboard.tab_to("e.matches('main form button')")
                keyboard.follow()
                keyboard.kind = f"{page_kind(page)} with errors"
                keyboard.counts[keyboard.kind] = 0
                wait_for_autofocus(page)
                measure = layout(page)
                findings.check("error summary focused", measure["focusInSummary"], "focus is not in the error summary")
                keyboard.measure()
                keyboard.tab_to("e.matches('.error-summary a')")
                keyboard.press("Enter")
                first = questions[0]
                shown = page.evaluate(
                    """(id) => { const field = document.querySelector(`input[name="${id}"]`).closest('.field');
                      const box = (s) => field.querySelector(s).getBoundingClientRect();
                      const bar = document.querySelector('.quick-exit').getBoundingClientRect().bottom;
                      return {legend: box('legend').top >= bar - 1, error: box('.error-message').bottom <= innerHeight,
                              focus: field.contains(document.activeElement)}; }""",
                    first.id,
                )
                findings.check(
                    "error links lead to the question", shown == {"legend": True, "error": True, "focus": True},
                    f"after following the first error link, the question and its message are not both on screen "
                    f"below the exit button, with focus in it: {shown}",
                )
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
    finally:
        page.close()

    print(f"\nKeystrokes per page, keyboard only [{language}] (typing a text answer counts as one):")
    for kind, count in keyboard.counts.items():
        print(f"  {kind:45} {count:4}")
    print(f"Focus indicators [{language}] (the weakest seen per kind of element):")
    for element, indicator in sorted(keyboard.indicators.items()):
        parts = ", ".join(f"{p['part']} {p['width']:.0f} px at {p['contrast']:.2f}:1" for p in indicator["parts"])
        parts += f"; text {indicator['text']:.2f}:1"
        print(f"  {element:45} {parts}")
        findings.check("focus visible", visible_indicator(indicator), f"{element}: {parts}")
    kinds = " ".join(keyboard.indicators)
    for expected in ("input[type=radio]", "input[type=checkbox]", "textarea", "button", "a.quick-exit", "summary",
                     "in the error summary"):
        findings.check("focus visible", expected in kinds, f"no {expected} was focused on the walk: {kinds}")
    return keyboard, findings


def test_keyboard_only_the_error_summary_has_focus_and_its_links_show_the_question(walked_by_keyboard):
    """Finding 3: after the error page loads, focus is in the error summary; an error link shows the
    question with its message (not just the control at the top edge), below the exit button."""
    walked_by_keyboard[1].assert_none("error summary focused")
    walked_by_keyboard[1].assert_none("error links lead to the question")


def test_keyboard_only_every_focus_indicator_is_3_to_1_and_2_px(walked_by_keyboard):
    """Finding 7: every focused element's indicator at 3:1 or more against its surroundings and 2 px
    or thicker, measured from computed styles; its text still readable (4.5:1) when focused."""
    walked_by_keyboard[1].assert_none("focus visible")
