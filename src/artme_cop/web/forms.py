"""Small helpers to read form fields and query parameters as plain values."""

from __future__ import annotations

from starlette.datastructures import FormData


def text(form: FormData, name: str) -> str:
    """The field as a string; absent fields and file parts read as empty."""
    value = form.get(name)
    return value if isinstance(value, str) else ""


# The field of a post's form by which its author confirms a text the screen warned about
# (SEC-L1); the WebSocket `send` and the JSON API call it `confirm` too.
CONFIRM = "confirm"


def confirmed(form: FormData) -> bool:
    return text(form, CONFIRM) == "1"


def values(form: FormData, *names: str) -> dict[str, str]:
    return {name: text(form, name) for name in names}


# The largest id the integer columns hold on PostgreSQL; larger numbers must not reach a query.
MAX_ID = 2**31 - 1


def page_key(value: str | None) -> int | None:
    """A keyset-pagination id from the query string, or None (the first page) when it is not a
    plain positive number that fits an id column: never a 500 for `?after=²` or 20 digits (SEC-J1)."""
    if not value or not value.isascii() or not value.isdigit():
        return None
    number = int(value)
    return number if 0 < number <= MAX_ID else None


def same_site_path(target: str) -> str | None:
    """`target` when it is a path on this site (to redirect to after a form), else None.

    Refuses anything a browser could read as another origin: `//host`, `/\\host`, a scheme,
    and control characters (a browser drops tabs and line breaks, so `/\\t/host` is `//host`).
    """
    if not target.startswith("/") or target.startswith("//") or "\\" in target or len(target) > 2000:
        return None
    if not target.isascii() or any(ord(char) < 0x21 or ord(char) == 0x7F for char in target):
        return None
    return target
