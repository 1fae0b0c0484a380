"""Measurements of a page as people use it, for tests/browser/test_in_use.py.

- `LARGE_TEXT` and `ZOOM_400`: 320 CSS px wide with the browser's text size at 200%, and 400% zoom
  (a 1280 x 1024 window seen at 320 x 256 CSS px).
- `set_text_size(page, percent)`: the browser's default font size (what a phone's or a browser's
  "text size" setting changes), through the DevTools protocol.
- `layout(page)`: where the exit button and the heading are, the scroll position and the page's width.
- `focus_indicator(page)`: the focused element's indicator, measured from computed styles.
- `accessibility_tree(page)`: Chromium's full accessibility tree (DevTools `Accessibility.getFullAXTree`).
"""

LARGE_TEXT = {"name": "320 px, 200% text", "viewport": {"width": 320, "height": 568}, "text": 200}
ZOOM_400 = {"name": "400% zoom", "viewport": {"width": 320, "height": 256}, "text": 100}
MODES = (LARGE_TEXT, ZOOM_400)
DEFAULT_FONT_PX = 16


def cdp(page):
    session = getattr(page, "_cdp_session", None)
    if session is None:
        session = page.context.new_cdp_session(page)
        page._cdp_session = session
    return session


def set_text_size(page, percent: int) -> None:
    size = DEFAULT_FONT_PX * percent // 100
    cdp(page).send("Page.setFontSizes", {"fontSizes": {"standard": size, "fixed": size * 13 // 16}})


def set_mode(page, mode: dict) -> None:
    page.set_viewport_size(mode["viewport"])
    set_text_size(page, mode["text"])


_LAYOUT = """() => {
  const box = (element) => {
    if (!element) return null;
    const r = element.getBoundingClientRect();
    return {top: r.top, bottom: r.bottom, left: r.left, right: r.right};
  };
  const heading = document.querySelector("main h1");
  const summary = document.querySelector(".error-summary");
  return {
    url: location.href,
    exit: box(document.querySelector(".quick-exit")),
    width: document.documentElement.clientWidth,
    height: window.innerHeight,
    scrollWidth: document.documentElement.scrollWidth,
    scrollY: window.scrollY,
    headingTop: heading ? heading.getBoundingClientRect().top + window.scrollY : null,
    summaryTop: summary ? summary.getBoundingClientRect().top + window.scrollY : null,
    focusInSummary: !!(summary && summary.contains(document.activeElement)),
  };
}"""


def layout(page) -> dict:
    return page.evaluate(_LAYOUT)


def exit_in_reach(measure: dict) -> bool:
    """The exit button wholly inside the viewport, in its top half."""
    box = measure["exit"]
    return bool(
        box and box["top"] >= 0 and box["bottom"] <= measure["height"] / 2
        and box["left"] >= 0 and box["right"] <= measure["width"]
    )


# The focused element's indicator: the outline and each box-shadow ring, with their thickness and
# their contrast against what surrounds the element (the nearest ancestor's background colour).
_FOCUS_INDICATOR = """() => {
  const element = document.activeElement;
  if (!element || element === document.body) return null;
  const parse = (color) => {
    const m = color.match(/rgba?\\(([^)]+)\\)/);
    if (!m) return null;
    const [r, g, b, a] = m[1].split(/[ ,\\/]+/).filter(Boolean).map(Number);
    return {r, g, b, a: a === undefined ? 1 : a};
  };
  const luminance = ({r, g, b}) => {
    const c = [r, g, b].map((v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; });
    return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2];
  };
  const contrast = (x, y) => {
    const [a, b] = [luminance(x), luminance(y)].sort((p, q) => q - p);
    return (a + 0.05) / (b + 0.05);
  };
  let around = {r: 255, g: 255, b: 255, a: 1};
  for (let e = element.parentElement; e; e = e.parentElement) {
    const color = parse(getComputedStyle(e).backgroundColor);
    if (color && color.a > 0) { around = color; break; }
  }
  const style = getComputedStyle(element);
  const parts = [];
  const own = parse(style.backgroundColor);
  const text = contrast(parse(style.color), own && own.a > 0 ? own : around);
  // A native radio or checkbox draws no box-shadow of its own that a person could rely on.
  const native = element.matches("input[type=radio], input[type=checkbox]") && style.appearance !== "none";
  if (style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0) {
    const color = parse(style.outlineColor);
    if (color && color.a > 0) parts.push({part: "outline", width: parseFloat(style.outlineWidth), contrast: contrast(color, around)});
  }
  if (style.boxShadow && style.boxShadow !== "none" && !native) {
    // Chromium writes each shadow as "rgb(...) x y blur spread [inset]".
    for (const shadow of style.boxShadow.split(/,(?![^(]*\\))/)) {
      const color = parse(shadow);
      const numbers = shadow.replace(/rgba?\\([^)]*\\)/, "").trim().split(/\\s+/).map(parseFloat).filter((n) => !isNaN(n));
      const [x = 0, y = 0, blur = 0, spread = 0] = numbers;
      if (!color || color.a === 0 || shadow.includes("inset")) continue;
      parts.push({part: "box-shadow", width: Math.max(Math.abs(x), Math.abs(y)) + spread, contrast: contrast(color, around)});
    }
  }
  const describe = element.tagName.toLowerCase() + (element.type ? `[type=${element.type}]` : "")
    + (element.className && typeof element.className === "string" ? "." + element.className.trim().split(/\\s+/)[0] : "")
    + (element.closest(".error-summary") ? " in the error summary" : "")
    + (element.closest(".header, .exit-bar") ? " in the header" : "");
  return {element: describe, parts, text};
}"""


def focus_indicator(page) -> dict | None:
    return page.evaluate(_FOCUS_INDICATOR)


def visible_indicator(indicator: dict) -> bool:
    """At least one part of the indicator 2 px thick or more at 3:1 or more against its surroundings,
    and the focused element's own text still at 4.5:1 or more against its (focus) background."""
    ring = any(part["width"] >= 2 and part["contrast"] >= 3 for part in indicator["parts"])
    return ring and indicator["text"] >= 4.5


def accessibility_tree(page) -> tuple[list[dict], dict]:
    """The full accessibility tree as Chromium gives it to assistive technology: the nodes that are not
    ignored, in reading order (depth first from the root), and every node by id (for ancestors)."""
    nodes = cdp(page).send("Accessibility.getFullAXTree")["nodes"]
    by_id = {node["nodeId"]: node for node in nodes}
    ordered, stack = [], [node for node in nodes if node.get("parentId") not in by_id][::-1]
    while stack:
        node = stack.pop()
        if not node.get("ignored"):
            ordered.append(node)
        stack.extend(by_id[child] for child in reversed(node.get("childIds", [])) if child in by_id)
    return ordered, by_id


def ax_name(node: dict) -> str:
    return (node.get("name") or {}).get("value", "") or ""


def ax_role(node: dict) -> str:
    return (node.get("role") or {}).get("value", "") or ""
