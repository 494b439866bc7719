"""Validation of short typed texts: names kept exactly as written, invisible and control
characters refused (SEC-J3), lengths enforced without truncation (SEC-J1), emails lower-cased."""

from __future__ import annotations

import unicodedata

import pytest

from artme_cop.errors import Invalid
from artme_cop.text import clean_email, clean_line, clean_text
from artme_cop.web.forms import same_site_path

KEPT_EXACTLY = {
    "arabic": "مريم الحسيني",
    "hebrew": "נועה לוי",
    "mixed-direction": "Dr. מרים Cohen (مريم)",
    "persian-zwnj": "می\u200cخواهم",  # ZWNJ is part of correct Persian spelling
    "emoji-zwj-health-worker": "Ada \U0001f469\U0001f3fd\u200d\u2695\ufe0f",
    "emoji-zwj-family": "The \U0001f468\u200d\U0001f469\u200d\U0001f467\u200d\U0001f466 team",
    "emoji-flag": "Zoë \U0001f1e8\U0001f1e6",
    "combining-decomposed": "Jose\u0301 Zoe\u0308",  # NFD: must not be composed
    "combining-composed": "José Zoë",
    "combining-stacked": "Z\u0335\u0321a\u0334\u0357",
    "devanagari": "प्रिया नटराजन",
    "vietnamese": "Nguyễn Thị Minh Khai",
    "cjk": "陳偉",
    "apostrophes-and-hyphens": "Siobhán O’Brien-Ní Dhomhnaill",
    "sql-ish": "Robert'); DROP TABLE people;--",
    "html": "<script>alert(1)</script>",
    "template": "{{ 7*7 }} {% raw %}",
}


@pytest.mark.parametrize("name", KEPT_EXACTLY.values(), ids=KEPT_EXACTLY.keys())
def test_names_are_kept_exactly(name: str) -> None:
    cleaned = clean_line(name, field="display_name", label="Name", max_length=100)
    assert cleaned == name
    # Byte for byte: no Unicode normalization happened.
    assert cleaned.encode("utf-8") == name.encode("utf-8")


def test_decomposed_and_composed_names_stay_distinct() -> None:
    decomposed = clean_line("Jose\u0301", field="n", label="Name", max_length=10)
    composed = clean_line("José", field="n", label="Name", max_length=10)
    assert decomposed != composed
    assert unicodedata.normalize("NFC", decomposed) == composed


def test_outer_whitespace_is_trimmed_inner_kept() -> None:
    assert clean_line("  Sam   Student \u3000", field="n", label="Name", max_length=100) == "Sam   Student"


REFUSED = {
    "nul": "Sam\x00Student",
    "bell": "Sam\x07",
    "escape": "Sam\x1b[31m",
    "newline": "Sam\nStudent",
    "tab": "Sam\tStudent",
    "carriage-return": "Sam\rStudent",
    "del": "Sam\x7f",
    "c1-control": "Sam\x85Student",
    "right-to-left-override": "admin\u202e",
    "left-to-right-override": "\u202dadmin",
    "right-to-left-embedding": "\u202bSam",
    "pop-directional": "Sam\u202c",
    "isolate": "\u2067Sam\u2069",
    "left-to-right-mark": "Sam\u200e",
    "right-to-left-mark": "Sam\u200f",
    "arabic-letter-mark": "Sam\u061c",
    "zero-width-space": "ad\u200bmin",
    "byte-order-mark": "\ufeffSam",
    "soft-hyphen": "ad\u00admin",
    "word-joiner": "ad\u2060min",
    "line-separator": "Sam\u2028Student",
    "paragraph-separator": "Sam\u2029Student",
    "private-use": "Sam\ue000",
    "unassigned": "Sam\u0378",
    "lone-surrogate": "Sam\ud800",
    "tag-character": "Sam\U000e0041",
}


@pytest.mark.parametrize("value", REFUSED.values(), ids=REFUSED.keys())
def test_control_and_bidi_characters_are_refused(value: str) -> None:
    """SEC-J3: refused with a message naming the field, never silently stripped."""
    with pytest.raises(Invalid) as caught:
        clean_line(value, field="display_name", label="Name", max_length=100)
    assert caught.value.field == "display_name"
    assert "Name" in caught.value.message


def test_length_limit_counts_characters_and_refuses_rather_than_truncates() -> None:
    assert clean_line("é" * 100, field="n", label="Name", max_length=100) == "é" * 100
    with pytest.raises(Invalid, match="at most 100") as caught:
        clean_line("é" * 101, field="display_name", label="Name", max_length=100)
    assert caught.value.field == "display_name"
    with pytest.raises(Invalid):
        clean_line("x" * 1_000_000, field="n", label="Name", max_length=100)
    # Spaces around the text do not count.
    assert clean_line("  " + "a" * 100 + "  ", field="n", label="Name", max_length=100) == "a" * 100


@pytest.mark.parametrize("value", ["", "   ", "\u3000"])
def test_required_text_must_not_be_blank(value: str) -> None:
    with pytest.raises(Invalid, match="required"):
        clean_line(value, field="n", label="Name", max_length=10)
    assert clean_line(value, field="n", label="Name", max_length=10, required=False) == ""


@pytest.mark.parametrize("value", [None, 42, b"Sam", ["Sam"]])
def test_non_text_is_refused(value: object) -> None:
    with pytest.raises(Invalid, match="must be text"):
        clean_line(value, field="n", label="Name", max_length=10)


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("Sam.Student@Alder.Example.EDU", "sam.student@alder.example.edu"),
        ("  lead@alder.example.edu ", "lead@alder.example.edu"),
        ("ÅSA@Example.org", "åsa@example.org"),
        ("FAC+tag@ALDER.example.edu", "fac+tag@alder.example.edu"),
    ],
)
def test_emails_are_lower_cased(given: str, expected: str) -> None:
    assert clean_email(given) == expected


@pytest.mark.parametrize(
    "value",
    [
        "",
        "not-an-email",
        "a@b",
        "a@@alder.example.edu",
        "two words@alder.example.edu",
        "<script>@alder.example.edu",
        "sam@alder..example.edu",
        "sam@localhost",
        "sam\x00@alder.example.edu",
        "sam\u202e@alder.example.edu",
        "x" * 250 + "@alder.example.edu",
        None,
    ],
)
def test_invalid_emails_are_refused(value: object) -> None:
    with pytest.raises(Invalid) as caught:
        clean_email(value, field="email")
    assert caught.value.field == "email"


# --- notes and reasons (several lines) ----------------------------------------------------------


def test_clean_text_keeps_lines_and_normalises_line_ends() -> None:
    assert clean_text("  first\r\nsecond\rthird\tcolumn  ", field="note", label="Note", max_length=100) == "first\nsecond\nthird\tcolumn"
    assert clean_text(KEPT_EXACTLY["persian-zwnj"], field="note", label="Note", max_length=100) == KEPT_EXACTLY["persian-zwnj"]
    assert clean_text("   ", field="note", label="Note", max_length=10, required=False) == ""


@pytest.mark.parametrize("value", ["", "  \n ", "x" * 11, "bell\x07", "nul\x00", "rtl\u202eoverride", 7, None])
def test_clean_text_refuses(value: object) -> None:
    with pytest.raises(Invalid) as refused:
        clean_text(value, field="note", label="Note", max_length=10)
    assert refused.value.field == "note"


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/conversations/3#m4", "/conversations/3#m4"),
        ("/moderation/queue?status=open", "/moderation/queue?status=open"),
        ("//evil.example", None),
        ("/\\evil.example", None),
        ("/\t/evil.example", None),
        ("/\n/evil.example", None),
        ("https://evil.example/", None),
        ("javascript:alert(1)", None),
        ("/caf\u00e9", None),
        ("", None),
    ],
)
def test_same_site_path(target: str, expected: str | None) -> None:
    assert same_site_path(target) == expected
