"""Validation of short texts people type: names, titles, pronouns, emails.

Names are stored exactly as written (right-to-left scripts, emoji, combining marks), but
invisible control and bidirectional-override characters are refused (SEC-J3), because they
let one name masquerade as another.
"""

from __future__ import annotations

import unicodedata

from email_validator import EmailNotValidError, validate_email

from artme_cop.errors import Invalid

# Joiners are format characters that emoji sequences and some scripts need.
_ALLOWED_FORMAT = {"\u200c", "\u200d"}


def clean_line(value: object, *, field: str, label: str, max_length: int, required: bool = True) -> str:
    """Return a single-line text with outer spaces trimmed, or raise Invalid naming the field."""
    if not isinstance(value, str):
        raise Invalid(f"{label} must be text.", field=field)
    text = value.strip()
    if required and not text:
        raise Invalid(f"{label} is required.", field=field)
    if len(text) > max_length:
        raise Invalid(f"{label} must be at most {max_length} characters.", field=field)
    for char in text:
        category = unicodedata.category(char)
        if category in {"Cc", "Cs", "Co", "Cn", "Zl", "Zp"} or (category == "Cf" and char not in _ALLOWED_FORMAT):
            raise Invalid(f"{label} contains an invisible or control character.", field=field)
    return text


def clean_email(value: object, *, field: str = "email") -> str:
    """Return the address in its canonical, lower-cased form, or raise Invalid."""
    text = clean_line(value, field=field, label="Email", max_length=254)
    try:
        result = validate_email(text, check_deliverability=False)
    except EmailNotValidError:
        raise Invalid("Enter a valid email address, such as name@school.edu.", field=field) from None
    return unicodedata.normalize("NFKC", result.normalized).lower()


def clean_text(value: object, *, field: str, label: str, max_length: int, required: bool = True) -> str:
    """Return a text of one or more lines (a note, a reason) with outer spaces trimmed and
    line ends made `\\n`, or raise Invalid naming the field. Tabs and line breaks are the only
    control characters allowed."""
    if not isinstance(value, str):
        raise Invalid(f"{label} must be text.", field=field)
    text = value.replace("\r\n", "\n").replace("\r", "\n").strip()
    if required and not text:
        raise Invalid(f"{label} is required.", field=field)
    if len(text) > max_length:
        raise Invalid(f"{label} must be at most {max_length} characters.", field=field)
    for char in text:
        if char in "\n\t":
            continue
        category = unicodedata.category(char)
        if category in {"Cc", "Cs", "Co", "Cn", "Zl", "Zp"} or (category == "Cf" and char not in _ALLOWED_FORMAT):
            raise Invalid(f"{label} contains an invisible or control character.", field=field)
    return text
