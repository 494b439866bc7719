"""Parsing of the raw values the program's forms send: ids, dates, choices and texts.

Everything raises `Invalid` naming the field, so a bad value becomes a 400 with a clear
message before any query runs (SEC-J1). No permission checks and no I/O here.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import TypeVar

from artme_cop.errors import Invalid
from artme_cop.text import clean_line

E = TypeVar("E", bound=StrEnum)

MAX_ID = 2**31 - 1
LONG_TEXT = 4000
# Bidirectional overrides let text masquerade as other text (SEC-J3).
_BIDI = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def key(value: object, *, field: str, label: str) -> int:
    """A positive id from raw input; anything else is Invalid (never reaches a query)."""
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise Invalid(f"{label} is not valid.", field=field)
    text = str(value).strip()
    if not text.isascii() or not text.isdigit() or not 0 < int(text) <= MAX_ID:
        raise Invalid(f"{label} is not valid.", field=field)
    return int(text)


def maybe_key(value: object) -> int | None:
    """An id, or None for anything that is not one (lookups then find nothing: a 404)."""
    try:
        return key(value, field="id", label="id")
    except Invalid:
        return None


def day(value: object, *, field: str, label: str) -> date:
    if not isinstance(value, str) or not value.strip():
        raise Invalid(f"{label} is required (YYYY-MM-DD).", field=field)
    try:
        parsed = date.fromisoformat(value.strip())
    except ValueError:
        raise Invalid(f"{label} must be a date written YYYY-MM-DD.", field=field) from None
    if not 2000 <= parsed.year <= 2100:
        raise Invalid(f"{label} must be between the years 2000 and 2100.", field=field)
    return parsed


def choice(value: object, enum: type[E], *, field: str, label: str) -> E:
    try:
        return enum(value)
    except ValueError:
        raise Invalid(f"Choose {label}.", field=field) from None


def line(value: object, *, field: str, label: str, max_length: int, required: bool = True) -> str:
    return clean_line(value, field=field, label=label, max_length=max_length, required=required)


def long_text(value: object, *, field: str, label: str, required: bool = True, max_length: int = LONG_TEXT) -> str:
    """Several lines of plain text: no NUL or other control characters except line breaks and tabs."""
    if not isinstance(value, str):
        raise Invalid(f"{label} must be text.", field=field)
    text = value.replace("\r\n", "\n").strip()
    if required and not text:
        raise Invalid(f"{label} is required.", field=field)
    if len(text) > max_length:
        raise Invalid(f"{label} must be at most {max_length} characters.", field=field)
    if any((ord(ch) < 32 and ch not in "\n\t") or ord(ch) == 127 or 0xD800 <= ord(ch) <= 0xDFFF or ch in _BIDI for ch in text):
        raise Invalid(f"{label} contains a control character.", field=field)
    return text


def phase(value: object, *, field: str = "phase") -> int:
    number = key(value, field=field, label="The phase")
    if not 1 <= number <= 6:
        raise Invalid("The phase must be between 1 and 6.", field=field)
    return number


PHASES = {
    1: "Onboarding and Assessment",
    2: "Preparing for Change",
    3: "Creating a Climate for Change",
    4: "Engaging and Enabling the Institution for Change",
    5: "Implementing and Sustaining Change",
    6: "Building a Community of Practice",
}
