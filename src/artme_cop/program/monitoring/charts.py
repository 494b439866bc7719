"""Bar charts as plain geometry for server-rendered SVG (no I/O, no script).

A chart is a title, a description for screen readers and its bars, each with its label,
value and the rectangle to draw. Templates draw the rectangles and always put the same
numbers in a table beside the chart, so nobody needs the picture to read the numbers.
"""

from __future__ import annotations

from dataclasses import dataclass

WIDTH = 400
BAR_HEIGHT = 22
GAP = 10
LABEL_WIDTH = 190
VALUE_WIDTH = 40


@dataclass(frozen=True)
class Bar:
    label: str
    value: int
    y: int
    width: int


@dataclass(frozen=True)
class BarChart:
    key: str  # unique on the page: ids of the title and description
    title: str
    description: str
    bars: tuple[Bar, ...]
    height: int
    width: int = WIDTH
    label_width: int = LABEL_WIDTH

    @property
    def total(self) -> int:
        return sum(bar.value for bar in self.bars)


def bar_chart(key: str, title: str, items: list[tuple[str, int]]) -> BarChart:
    """Horizontal bars scaled to the largest value; zero draws no bar but keeps its row."""
    largest = max((value for _, value in items), default=0)
    room = WIDTH - LABEL_WIDTH - VALUE_WIDTH
    bars = tuple(
        Bar(label, value, GAP + index * (BAR_HEIGHT + GAP), round(room * value / largest) if largest else 0)
        for index, (label, value) in enumerate(items)
    )
    description = "; ".join(f"{label}: {value}" for label, value in items) or "No data yet."
    return BarChart(key, title, description, bars, GAP + len(items) * (BAR_HEIGHT + GAP))
