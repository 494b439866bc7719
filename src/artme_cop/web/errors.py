"""Domain errors and failures turned into pages with the right status code.

Pages leak nothing: a forbidden object looks exactly like a missing one (SEC-A2), and a
server error shows no traceback, SQL or path (SEC-K3). Under /api the same failures are
JSON errors instead (an unknown API path, a wrong method, an unexpected exception), since
the API's clients never read a page.
"""

from __future__ import annotations

import logging
from typing import Any, Awaitable, Callable
from urllib.parse import urlsplit

from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from artme_cop.errors import ConfirmationNeeded, Conflict, DomainError, Forbidden, Invalid, NotFound, RateLimited, Unavailable
from artme_cop.web.api import domain_error_response
from artme_cop.web.auth import SignInRequired, note_denial, sign_in_url
from artme_cop.web.csrf import FIELD as CSRF_FIELD, CsrfFailed
from artme_cop.web.forms import CONFIRM, same_site_path
from artme_cop.web.json_errors import error_response, is_api_path
from artme_cop.web.security import SECURITY_HEADERS
from artme_cop.web.templating import render

log = logging.getLogger(__name__)

NOT_FOUND_TEXT = "We could not find that page. It may have moved, or you may not have access to it."


def _page(request: Request, status: int, title: str, message: str, headers: dict[str, str] | None = None) -> Response:
    return render(request, "errors/error.html", {"title": title, "message": message, "status": status}, status_code=status, headers=headers)


async def not_found(request: Request, exc: Exception) -> Response:
    return _page(request, 404, "Not found", NOT_FOUND_TEXT)


async def forbidden(request: Request, exc: Exception) -> Response:
    note_denial(request)
    return _page(request, 403, "Not allowed", "You do not have permission to do that.")


async def invalid(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, Invalid)
    return _page(request, 400, "Something is wrong with the request", exc.message)


async def conflict(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, Conflict)
    return _page(request, 409, "That cannot be done now", exc.message)


async def confirmation_needed(request: Request, exc: Exception) -> Response:
    """A post or an edit the screen warned about, from any form: the same form again, its
    text editable and a box to confirm it, sent to the same address (SEC-L1)."""
    assert isinstance(exc, ConfirmationNeeded)
    form = getattr(request.state, "form", None)
    fields = [] if form is None else [(name, value) for name, value in form.multi_items() if isinstance(value, str)]
    # The text warned about is the field the error names (a broadcast's `text`), else the post's body.
    text_field = exc.field if exc.field in {name for name, _ in fields} else "body"
    context = {
        "message": exc.message, "action": request.url.path, "text_field": text_field,
        "text": next((value for name, value in fields if name == text_field), ""),
        "hidden": [(name, value) for name, value in fields if name not in (CSRF_FIELD, CONFIRM, text_field)],
        "had_file": form is not None and any(not isinstance(value, str) and getattr(value, "filename", "") for value in form.values()),
        "back": _page_before(request),
    }
    return render(request, "errors/confirm.html", context, status_code=409)


def _page_before(request: Request) -> str:
    """The page the form was sent from, when it is one of ours (else the home page)."""
    referer = urlsplit(request.headers.get("referer", ""))
    if referer.netloc != request.url.netloc:
        return "/"
    return same_site_path(referer.path + (f"?{referer.query}" if referer.query else "")) or "/"


async def rate_limited(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RateLimited)
    return _page(request, 429, "Too many attempts", f"{exc.message} You can try again in {exc.retry_after} seconds.", headers={"Retry-After": str(exc.retry_after)})


async def unavailable(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, Unavailable)
    return _page(request, 503, "Not possible right now", exc.message, headers={"Retry-After": "60"})


async def csrf_failed(request: Request, exc: Exception) -> Response:
    return _page(request, 403, "This form has expired", "The form was missing its security token or it was no longer valid. Go back, reload the page and send it again.")


async def sign_in_required(request: Request, exc: Exception) -> Response:
    return RedirectResponse(sign_in_url(request), status_code=303)


async def bad_form(request: Request, exc: Exception) -> Response:
    return _page(request, 400, "Something is wrong with the request", "The form could not be read.")


async def http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 404:
        return await not_found(request, exc)
    if exc.status_code == 405:
        return _page(request, 405, "Not allowed here", "This address does not accept that kind of request.")
    return _page(request, exc.status_code, "Something is wrong with the request", str(exc.detail))


async def server_error(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    try:
        response: Response = _page(request, 500, "Something went wrong", "The server could not finish your request. Nothing was changed. Try again in a moment.")
    except Exception:  # the error page itself must not fail
        response = Response("Something went wrong. Nothing was changed.", status_code=500, media_type="text/plain")
    return _with_security_headers(request, response)


def _with_security_headers(request: Request, response: Response) -> Response:
    """Starlette runs this handler outside every middleware, so the 500 page gets the headers
    of SecurityHeadersMiddleware here (SEC-G7)."""
    for name, value in SECURITY_HEADERS:
        response.headers.setdefault(name.decode(), value.decode())
    if request.app.state.settings.secure_cookies:
        response.headers.setdefault("strict-transport-security", "max-age=31536000; includeSubDomains")
    response.headers.setdefault("cache-control", "no-store")
    return response


Handler = Callable[[Request, Exception], Awaitable[Response]]

HTTP_CODES = {404: "not_found", 405: "method_not_allowed", 413: "too_large", 415: "unsupported"}


def _api_error(request: Request, exc: Exception) -> Response:
    """The JSON error for a failure under /api that no API endpoint answered itself."""
    if isinstance(exc, DomainError):
        if isinstance(exc, Forbidden):
            note_denial(request)
        return domain_error_response(exc)
    if isinstance(exc, SignInRequired):
        return error_response(401, "sign_in_required", "Sign in first.")
    if isinstance(exc, CsrfFailed):
        return error_response(403, "csrf_failed", "The CSRF token is missing or wrong.")
    if isinstance(exc, MultiPartException):
        return error_response(400, "invalid", "The body could not be read.")
    if isinstance(exc, HTTPException):
        code = HTTP_CODES.get(exc.status_code, "invalid")
        message = "No such API endpoint." if exc.status_code == 404 else "This endpoint does not accept that method." if exc.status_code == 405 else str(exc.detail)
        return error_response(exc.status_code, code, message, headers=dict(exc.headers or {}))
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return _with_security_headers(request, error_response(500, "internal", "The server could not finish the request. Nothing was changed."))


def _json_under_api(handler: Handler) -> Handler:
    async def handle(request: Request, exc: Exception) -> Response:
        if is_api_path(request.scope["path"]):
            return _api_error(request, exc)
        return await handler(request, exc)

    return handle


PAGE_HANDLERS: dict[Any, Handler] = {
    NotFound: not_found,
    Forbidden: forbidden,
    Invalid: invalid,
    Conflict: conflict,
    ConfirmationNeeded: confirmation_needed,
    RateLimited: rate_limited,
    Unavailable: unavailable,
    CsrfFailed: csrf_failed,
    SignInRequired: sign_in_required,
    MultiPartException: bad_form,
    HTTPException: http_error,
    Exception: server_error,
}

EXCEPTION_HANDLERS: dict[Any, Handler] = {kind: _json_under_api(handler) for kind, handler in PAGE_HANDLERS.items()}
