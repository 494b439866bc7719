"""The suppression rules of the readiness results (`program/readiness/aggregates.py`), as a
table: nothing below five answers in all, a constituency's cell only with ten (DOMAIN.md),
secondary suppression when exactly one non-empty cell is hidden while the total is shown,
ties to the cell listed first. The table exercises the algorithm with a cell minimum of
five; the defaults are checked apart."""

from __future__ import annotations

import random

import pytest

from artme_cop.program.readiness.aggregates import ITEMS, MIN_CELL, MIN_TOTAL, suppressed_cells, summarise

ORDER = ("student", "trainee", "staff", "faculty", "leadership")


@pytest.mark.parametrize(
    ("counts", "hidden", "total_shown"),
    [
        # fewer than five in all: nothing is shown
        ({"student": 4}, set(ORDER), False),
        ({"student": 2, "faculty": 2}, set(ORDER), False),
        ({}, set(ORDER), False),
        # every non-empty cell has five or more: only the empty ones are hidden
        ({"student": 5}, {"trainee", "staff", "faculty", "leadership"}, True),
        ({"student": 5, "faculty": 6}, {"trainee", "staff", "leadership"}, True),
        # one small cell: the smallest other non-empty cell goes too
        ({"student": 3, "faculty": 6, "staff": 7}, {"student", "faculty", "trainee", "leadership"}, True),
        ({"student": 1, "faculty": 9}, set(ORDER), True),
        ({"leadership": 4, "staff": 5, "faculty": 5}, {"leadership", "staff", "trainee", "student"}, True),  # tie: staff is listed first
        # two small cells: their sum is known, neither alone; nothing more to hide
        ({"student": 2, "trainee": 3, "faculty": 8}, {"student", "trainee", "staff", "leadership"}, True),
        # a total of exactly five made of small cells
        ({"student": 4, "faculty": 1}, {"student", "trainee", "staff", "faculty", "leadership"}, True),
    ],
)
def test_suppressed_cells(counts: dict[str, int], hidden: set[str], total_shown: bool) -> None:
    assert suppressed_cells(counts, ORDER, minimum=5) == (hidden, total_shown)


def test_the_defaults_are_five_in_all_and_ten_per_constituency() -> None:
    assert (MIN_TOTAL, MIN_CELL) == (5, 10)
    assert suppressed_cells({"student": 5}, ORDER) == (set(ORDER), True)  # a total of five, no cell of ten
    assert suppressed_cells({"student": 9, "faculty": 10}, ORDER) == (set(ORDER), True)  # 9 hidden, so 10 goes too
    assert suppressed_cells({"student": 10, "faculty": 12}, ORDER) == ({"trainee", "staff", "leadership"}, True)


@pytest.mark.parametrize("student", range(1, MIN_CELL))
def test_hidden_cell_cannot_be_recovered_from_total(student: int) -> None:
    """Whatever the small cell's size, total minus shown cells never isolates one hidden cell."""
    counts = {"student": student, "faculty": 11, "staff": 14, "leadership": 10}
    hidden, shown_total = suppressed_cells(counts, ORDER)
    assert shown_total
    non_empty_hidden = [cell for cell in hidden if counts.get(cell, 0) > 0]
    assert len(non_empty_hidden) >= 2


def test_summary_hides_cells_and_comments_as_the_rules_say() -> None:
    answers = [("faculty", [4] * len(ITEMS), f"faculty comment {n}") for n in range(5)] + [("student", [1] * len(ITEMS), "student comment")]
    results = summarise(answers, ORDER, rng=random.Random(1))
    cells = {cell.label: cell for cell in results.cells}
    assert results.total == 6
    assert cells["student"].count is None and cells["student"].means is None
    assert cells["faculty"].count is None  # secondary suppression
    assert sorted(results.comments) == sorted(text for _, _, text in answers)
    assert results.scale_means is not None and 3.0 < results.scale_means["commitment"] < 4.0


def test_summary_below_five_shows_nothing() -> None:
    answers = [("faculty", [5] * len(ITEMS), "a comment")] * 4
    results = summarise(answers, ORDER)
    assert results.total is None and results.comments == [] and results.item_means is None
    assert all(cell.count is None for cell in results.cells)


def test_summary_shows_cells_of_ten() -> None:
    answers = [("faculty", [5] * len(ITEMS), "")] * 10 + [("staff", [3] * len(ITEMS), "")] * 10
    cells = {cell.label: cell for cell in summarise(answers, ORDER).cells}
    assert cells["faculty"].count == 10 and cells["faculty"].means == {"commitment": 5.0, "efficacy": 5.0}
    assert cells["staff"].count == 10 and cells["staff"].means == {"commitment": 3.0, "efficacy": 3.0}
