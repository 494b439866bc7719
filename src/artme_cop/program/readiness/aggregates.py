"""The readiness items and the rules that turn answers into what may be shown. Pure code.

Items: organisational readiness for change in two scales, change commitment and change
efficacy (after the ORIC instrument, in our own words), each answered from 1 (disagree)
to 5 (agree).

What may be shown (issue #8, DOMAIN.md "Identity modes"):
- nothing at all unless at least `MIN_TOTAL` (five) people answered in the cohort;
- a constituency's cell only when at least `MIN_CELL` (ten) people of it answered: DOMAIN.md
  asks for ten in breakdowns by constituency, which identify people more easily than totals;
- secondary suppression: when exactly one non-empty cell is hidden while the total is
  shown, the smallest other non-empty cell is hidden too, so the hidden cell cannot be
  recovered by subtracting the shown cells from the total. Ties go to the constituency
  listed first. Empty cells (nobody of that constituency answered) are shown like hidden
  ones, so "nobody" and "fewer than five" look the same;
- free-text comments only when the cohort's total is shown, shuffled, without constituency.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from enum import StrEnum
from typing import Iterable, Mapping, Sequence

MIN_TOTAL = 5
MIN_CELL = 10
SCALE = (1, 2, 3, 4, 5)
SCALE_LABELS = {1: "Disagree", 2: "Somewhat disagree", 3: "Neither agree nor disagree", 4: "Somewhat agree", 5: "Agree"}


class Scale(StrEnum):
    COMMITMENT = "commitment"
    EFFICACY = "efficacy"


SCALE_NAMES = {Scale.COMMITMENT: "Change commitment", Scale.EFFICACY: "Change efficacy"}


@dataclass(frozen=True)
class Item:
    key: str
    scale: Scale
    text: str


ITEMS: tuple[Item, ...] = (
    Item("c1", Scale.COMMITMENT, "People in our school are committed to this change."),
    Item("c2", Scale.COMMITMENT, "People in our school are determined to see this change through."),
    Item("c3", Scale.COMMITMENT, "People in our school want to make this change happen."),
    Item("c4", Scale.COMMITMENT, "People in our school will do whatever it takes to carry out this change."),
    Item("c5", Scale.COMMITMENT, "People in our school are motivated to carry out this change."),
    Item("e1", Scale.EFFICACY, "People in our school are confident they can keep track of progress in this change."),
    Item("e2", Scale.EFFICACY, "People in our school are confident the school can support people as they adjust."),
    Item("e3", Scale.EFFICACY, "People in our school are confident they can carry out this change well."),
    Item("e4", Scale.EFFICACY, "People in our school are confident they can handle the challenges that come up."),
    Item("e5", Scale.EFFICACY, "People in our school are confident they can coordinate the tasks this change needs."),
    Item("e6", Scale.EFFICACY, "People in our school are confident they can manage the politics of this change."),
    Item("e7", Scale.EFFICACY, "People in our school are confident they can get the resources this change needs."),
)


def suppressed_cells(counts: Mapping[str, int], order: Sequence[str], *, minimum: int = MIN_CELL, total_minimum: int = MIN_TOTAL) -> tuple[set[str], bool]:
    """Which cells to hide, and whether the total may be shown.

    `counts` gives the number of answers per cell (missing = 0); `order` lists every cell,
    which breaks ties. Returns (hidden cells, total shown). Empty cells are always hidden.
    """
    total = sum(counts.get(cell, 0) for cell in order)
    if total < total_minimum:
        return set(order), False
    hidden = {cell for cell in order if counts.get(cell, 0) < minimum}
    small = [cell for cell in order if 0 < counts.get(cell, 0) < minimum]
    if len(small) == 1:
        shown = [cell for cell in order if cell not in hidden]
        if shown:
            # min() keeps the first of equal counts, so ties go to the cell listed first.
            hidden.add(min(shown, key=lambda cell: counts[cell]))
    return hidden, True


@dataclass(frozen=True)
class Cell:
    label: str
    count: int | None  # None when hidden
    means: dict[Scale, float] | None


@dataclass(frozen=True)
class Results:
    total: int | None
    cells: list[Cell]
    item_means: list[tuple[Item, float]] | None
    scale_means: dict[Scale, float] | None
    comments: list[str]


def _means(rows: Iterable[Sequence[int]]) -> dict[Scale, float]:
    sums: dict[Scale, list[float]] = {scale: [] for scale in Scale}
    for scores in rows:
        for item, score in zip(ITEMS, scores):
            sums[item.scale].append(score)
    return {scale: round(sum(values) / len(values), 2) for scale, values in sums.items() if values}


def summarise(answers: Sequence[tuple[str, Sequence[int], str]], order: Sequence[str], *, rng: random.Random | None = None) -> Results:
    """Aggregate (constituency, scores, comment) answers under the suppression rules."""
    counts: dict[str, int] = {}
    for constituency, _scores, _comment in answers:
        counts[constituency] = counts.get(constituency, 0) + 1
    hidden, total_shown = suppressed_cells(counts, order)
    cells = []
    for cell in order:
        if cell in hidden:
            cells.append(Cell(cell, None, None))
        else:
            cells.append(Cell(cell, counts[cell], _means(scores for c, scores, _ in answers if c == cell)))
    if not total_shown:
        return Results(None, cells, None, None, [])
    item_means = [(item, round(sum(scores[index] for _, scores, _ in answers) / len(answers), 2)) for index, item in enumerate(ITEMS)]
    comments = [comment for _, _, comment in answers if comment]
    (rng or random.SystemRandom()).shuffle(comments)
    return Results(len(answers), cells, item_means, _means(scores for _, scores, _ in answers), comments)
