"""CSRF protection: a synchronizer token kept in the signed session and put in every form.

`read_form` is the only way routes read a posted form; it refuses a missing or wrong token
with CsrfFailed (shown as a 403 page) before anything is parsed further (SEC-E1). The JSON
API checks the same token, sent in its `X-CSRF-Token` header, through `matches`.
The token is rotated at sign-in (SEC-E3).
"""

from __future__ import annotations

import hmac
import secrets

from starlette.datastructures import FormData
from starlette.requests import HTTPConnection, Request

FIELD = "csrf_token"
KEY = "csrf"
MAX_FIELDS = 50
MAX_PART_SIZE = 64 * 1024


class CsrfFailed(Exception):
    """A state-changing request without the session's token."""


def token(request: HTTPConnection) -> str:
    if "session" not in request.scope:
        return ""
    current = request.session.get(KEY)
    if not isinstance(current, str) or not current:
        current = secrets.token_urlsafe(32)
        request.session[KEY] = current
    return current


def rotate(request: HTTPConnection) -> str:
    request.session[KEY] = secrets.token_urlsafe(32)
    return str(request.session[KEY])


def matches(request: HTTPConnection, sent: object) -> bool:
    """Whether `sent` is this session's token (compared in constant time)."""
    expected = request.session.get(KEY)
    if not (isinstance(sent, str) and isinstance(expected, str) and expected and sent.isascii()):
        return False  # compare_digest raises on non-ASCII text: a refusal, never a 500
    return hmac.compare_digest(sent, expected)


async def read_form(request: Request) -> FormData:
    """Parse a posted form (no files) and check its CSRF token."""
    form = await request.form(max_files=0, max_fields=MAX_FIELDS, max_part_size=MAX_PART_SIZE)
    if not matches(request, form.get(FIELD)):
        raise CsrfFailed()
    request.state.form = form  # for an error page that offers the form again
    return form
