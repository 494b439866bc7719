"""A readable line diff between two versions of a resource, as pure data (no I/O, no HTML):
templates escape every line like any other text, so a diff can never inject markup."""

from __future__ import annotations

import difflib
from dataclasses import dataclass


@dataclass(frozen=True)
class DiffLine:
    kind: str  # "same", "added" or "removed"
    text: str


def diff_lines(old: str, new: str) -> list[DiffLine]:
    """The lines of `new` against `old`: removed lines before the lines that replace them."""
    before, after = old.splitlines(), new.splitlines()
    lines: list[DiffLine] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(a=before, b=after, autojunk=False).get_opcodes():
        if tag == "equal":
            lines.extend(DiffLine("same", text) for text in before[i1:i2])
            continue
        lines.extend(DiffLine("removed", text) for text in before[i1:i2])
        lines.extend(DiffLine("added", text) for text in after[j1:j2])
    return lines


def changed(lines: list[DiffLine]) -> int:
    return sum(1 for line in lines if line.kind != "same")
