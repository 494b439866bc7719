"""Likely patient identifiers in a post (SEC-L1): a medical record number or a date of birth
written as such. A match is not proof, and a miss is no clearance; the detector only makes
sure such a post never goes by unnoticed (`moderation.screening`).

The patterns are bounded (no nested repetition, short gaps), so a hostile body is scanned in
linear time (SEC-J5).
"""

from __future__ import annotations

import re

_GAP = r"[\s:#.]{0,4}"
_MRN = re.compile(rf"\b(?:MRN|medical\s{{1,3}}record\s{{1,3}}(?:number|no\b|\#)){_GAP}\d{{5,12}}\b", re.IGNORECASE)
_DATE = r"\d{1,4}[/.-]\d{1,2}[/.-]\d{1,4}"
_DOB = re.compile(rf"\b(?:DOB|D\.O\.B|date\s{{1,3}}of\s{{1,3}}birth|born(?:\s{{1,3}}on)?){_GAP}{_DATE}\b", re.IGNORECASE)

KINDS = (("a medical record number", _MRN), ("a date of birth", _DOB))


def found(body: str) -> list[str]:
    """What kinds of patient identifier the body seems to hold, in a fixed order."""
    return [label for label, pattern in KINDS if pattern.search(body)]


def described(body: str) -> str:
    """The kinds found, as one phrase for a warning or a flag's note."""
    return " or ".join(found(body))


def any_found(body: str) -> bool:
    return any(pattern.search(body) for _, pattern in KINDS)
