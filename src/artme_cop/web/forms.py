"""Small helpers to read form fields as plain strings."""

from __future__ import annotations

from starlette.datastructures import FormData


def text(form: FormData, name: str) -> str:
    """The field as a string; absent fields and file parts read as empty."""
    value = form.get(name)
    return value if isinstance(value, str) else ""


def values(form: FormData, *names: str) -> dict[str, str]:
    return {name: text(form, name) for name in names}
