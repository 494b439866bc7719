"""The detector of patient identifiers (SEC-L1): what it finds, what it leaves alone, and
that a hostile body is scanned in linear time (SEC-J5)."""

from __future__ import annotations

import time

import pytest

from artme_cop.moderation.identifiers import found

MAX_BODY = 10_000  # a message's longest body

MRN, DOB = "a medical record number", "a date of birth"


@pytest.mark.parametrize(
    ("body", "kinds"),
    [
        ("Patient MRN 12345678 came back", [MRN]),
        ("mrn: 1234567", [MRN]),
        ("MRN#00123456", [MRN]),
        ("Medical record number 4455667", [MRN]),
        ("medical record no. 99887766", [MRN]),
        ("DOB 12/03/1961", [DOB]),
        ("date of birth: 1961-03-12", [DOB]),
        ("born on 3.12.61", [DOB]),
        ("D.O.B. 01/02/1999", [DOB]),
        ("MRN 1234567, DOB 1/2/1990", [MRN, DOB]),
        ("MRN is short for medical record number", []),
        ("12345678 records were read", []),
        ("She was born in 1961", []),
        ("Call 555-1234", []),
        ("The session of 2026/11/29", []),
        ("MRNs matter, and so does the DOB field", []),
        ("MRN 1234", []),  # too short for a record number
    ],
)
def test_what_is_found(body: str, kinds: list[str]) -> None:
    assert found(body) == kinds


def _cpu_seconds(body: str) -> float:
    started = time.process_time()
    for _ in range(20):
        found(body)
    return time.process_time() - started


@pytest.mark.parametrize("pattern", ["MRN ", "born on ", "medical record ", "DOB 1/", "1/", " :#."])
def test_hostile_bodies_take_linear_time(pattern: str) -> None:
    """Four times the body may cost at most eight times the CPU (linear gives about four, a
    backtracking pattern far more), compared within one run, as in test_rendering."""
    small = (pattern * (MAX_BODY // len(pattern)))[: MAX_BODY // 4] + "!"
    large = (pattern * (MAX_BODY // len(pattern) + 1))[:MAX_BODY] + "!"
    ratio = _cpu_seconds(large) / max(_cpu_seconds(small), 1e-4)
    assert ratio < 8, f"{pattern!r}: {ratio:.1f}x the CPU for 4x the body"
