"""One-shot messages shown on the next page after a redirect, kept in the session."""

from __future__ import annotations

from starlette.requests import HTTPConnection

KEY = "flash"


def add(request: HTTPConnection, message: str, kind: str = "info") -> None:
    request.session.setdefault(KEY, []).append([kind, message])


def pop_all(request: HTTPConnection) -> list[tuple[str, str]]:
    if "session" not in request.scope:
        return []
    return [(kind, message) for kind, message in request.session.pop(KEY, [])]
