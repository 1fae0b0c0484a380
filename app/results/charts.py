"""Bar chart geometry for the public results: plain numbers the template draws, no JavaScript.

As the staff charts (app/staff/summaries/charts.py): a bar per figure with its label and figure as
text, and a hidden figure gets no bar, only the table's words. The difference is that a long label
wraps onto more lines: SVG text never wraps by itself, and answers run long in some languages (a
Polish one is 74 characters), so a one-line label would run out of the chart at 320 px.
"""

from dataclasses import dataclass

WIDTH = 480  # viewBox units
BAR_HEIGHT = 16
LINE = 18  # a label line
# Nastaliq's letters climb and fall far from the line (site.css gives Urdu a line height of 2): more room.
TALL_LINE, TALL = 28, {"ur"}
MARGIN = 8  # either side: Nastaliq's first letter reaches past where its line starts
VALUE_SPACE = 130  # room after the longest bar for "1,234 (56.7%)"
CHARS = 44  # a label line's characters: wide scripts (Nastaliq, Bengali) still fit in WIDTH at 15 units
INDENT = 12  # bars under a group's heading


@dataclass(frozen=True)
class Line:
    text: str
    y: int


@dataclass(frozen=True)
class Bar:
    lines: list[Line]
    value_text: str
    bar_y: int
    width: float  # 0 for a hidden figure (or a zero)


@dataclass(frozen=True)
class Chart:
    headings: list[Line]
    bars: list[Bar]
    width: int
    height: int
    bar_height: int
    indent: int  # where labels and bars start: the margin, and under a heading a little more
    margin: int = MARGIN  # where headings start


def wrap(text: str, chars: int = CHARS) -> list[str]:
    """Words into lines of at most `chars` characters (a longer word, such as an address, is cut)."""
    lines: list[str] = []
    words = [word[i:i + chars] for word in text.split() for i in range(0, len(word), chars)]
    for word in words:
        if lines and len(lines[-1]) + 1 + len(word) <= chars:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return lines or [""]


def _bar(label: str, value: float | None, text: str, y: int, scale: float, line: int) -> tuple[Bar, int]:
    lines = [Line(part, y + line - 4 + index * line) for index, part in enumerate(wrap(label))]
    bar_y = y + len(lines) * line + 2 + (line - LINE)  # tall letters: clear of the bar's figure too
    return Bar(lines, text, bar_y, round((value or 0) * scale, 1)), bar_y + BAR_HEIGHT + line - 8


def bar_chart(items: list[tuple[str, int | None, str]], language: str = "en") -> Chart:
    """items: (label, count or None when hidden, the text the table shows for it)."""
    line = TALL_LINE if language in TALL else LINE
    largest = max((count for _, count, _ in items if count), default=0)
    scale = (WIDTH - 2 * MARGIN - VALUE_SPACE) / largest if largest else 0
    bars, y = [], 0
    for label, count, text in items:
        bar, y = _bar(label, count, text, y, scale, line)
        bars.append(bar)
    return Chart([], bars, WIDTH, y + 4, BAR_HEIGHT, MARGIN)


def grouped_bar_chart(groups: list[tuple[str, list[tuple[str, float | None, str]]]], language: str = "en") -> Chart:
    """A heading per group, then a bar per item, its length the item's share (percent, None when hidden)."""
    line = TALL_LINE if language in TALL else LINE
    scale = (WIDTH - 2 * MARGIN - INDENT - VALUE_SPACE) / 100
    headings, bars, y = [], [], 0
    for heading, items in groups:
        for part in wrap(heading):
            headings.append(Line(part, y + line))
            y += line + 2
        y += 8
        for label, share, text in items:
            bar, y = _bar(label, share, text, y, scale, line)
            bars.append(bar)
        y += 10
    return Chart(headings, bars, WIDTH, y + 4, BAR_HEIGHT, MARGIN + INDENT)
