"""Parsing of raw form and URL values shared by the program's services: ids, small numbers,
dates and times. Anything malformed becomes `Invalid` (or None for ids), never a query."""

from __future__ import annotations

from datetime import date, time

from artme_cop.errors import Invalid

MAX_ID = 2**31 - 1


def id_or_none(value: object) -> int | None:
    """A positive id that fits an id column, or None for anything else (missing and malformed
    ids then answer the same as unknown ones)."""
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        return None
    text = str(value).strip()
    if not text.isascii() or not text.isdigit():
        return None
    number = int(text)
    return number if 0 < number <= MAX_ID else None


def number_in(value: object, *, low: int, high: int, field: str, label: str) -> int:
    number = id_or_none(value) if low >= 1 else None
    if number is None or not low <= number <= high:
        raise Invalid(f"{label} must be a whole number from {low} to {high}.", field=field)
    return number


def parse_date(value: object, *, field: str, label: str, required: bool = True) -> date | None:
    text = value.strip() if isinstance(value, str) else ""
    if not text:
        if required:
            raise Invalid(f"{label} is required.", field=field)
        return None
    try:
        if len(text) != 10 or not text.isascii():
            raise ValueError(text)
        parsed = date.fromisoformat(text)
    except ValueError:
        raise Invalid(f"{label} must be a date such as 2027-02-14.", field=field) from None
    if not 2000 <= parsed.year <= 2100:
        raise Invalid(f"{label} must be a date between 2000 and 2100.", field=field)
    return parsed


def parse_time(value: object, *, field: str, label: str) -> time:
    text = value.strip() if isinstance(value, str) else ""
    try:
        if len(text) != 5 or not text.isascii() or text[2] != ":":
            raise ValueError(text)
        return time(int(text[:2]), int(text[3:]))
    except ValueError:
        raise Invalid(f"{label} must be a time such as 14:30.", field=field) from None

