"""Geometry for the server-rendered SVG bar charts: plain numbers a template draws, no JavaScript.

A chart shows only what its table shows: a hidden count gets no bar, just the same words as the table.
"""

from dataclasses import dataclass

WIDTH = 480  # viewBox units; about the width it is shown at, so text stays near its set size
ROW_HEIGHT = 46
BAR_HEIGHT = 16
LABEL_SPACE = 20  # the label sits above its bar
VALUE_SPACE = 130  # room after the longest bar for "1,234 (56.7%)"


@dataclass(frozen=True)
class Bar:
    label: str
    value_text: str
    label_y: int
    bar_y: int
    width: float  # 0 for a hidden count


@dataclass(frozen=True)
class Chart:
    bars: list[Bar]
    width: int
    height: int
    bar_height: int


def bar_chart(items: list[tuple[str, int | None, str]]) -> Chart:
    """items: (label, count or None when hidden, the text the table shows for it)."""
    largest = max((count for _, count, _ in items if count), default=0)
    scale = (WIDTH - VALUE_SPACE) / largest if largest else 0
    bars = [
        Bar(label, text, index * ROW_HEIGHT + 14, index * ROW_HEIGHT + LABEL_SPACE, round((count or 0) * scale, 1))
        for index, (label, count, text) in enumerate(items)
    ]
    return Chart(bars, WIDTH, len(items) * ROW_HEIGHT + 4, BAR_HEIGHT)


@dataclass(frozen=True)
class Heading:
    text: str
    y: int


@dataclass(frozen=True)
class GroupedChart:
    headings: list[Heading]
    bars: list[Bar]
    width: int
    height: int
    bar_height: int


def grouped_bar_chart(groups: list[tuple[str, list[tuple[str, float | None, str]]]]) -> GroupedChart:
    """Grouped bars: a heading per group, then a labelled bar per item, its length the item's share.

    groups: (heading, [(label, share in percent or None when hidden, the text the table shows)]).
    Every bar carries its own label and figure as text, so the chart reads without colour.
    """
    scale = (WIDTH - VALUE_SPACE) / 100
    headings, bars, y = [], [], 0
    for heading, items in groups:
        headings.append(Heading(heading, y + 18))
        y += 28
        for label, share, text in items:
            bars.append(Bar(label, text, y + 14, y + LABEL_SPACE, round((share or 0) * scale, 1)))
            y += ROW_HEIGHT
        y += 10
    return GroupedChart(headings, bars, WIDTH, y + 4, BAR_HEIGHT)
