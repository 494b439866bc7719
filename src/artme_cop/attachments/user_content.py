"""Serving uploaded files: always as downloads that no browser renders (SEC-H5, H6), and
from an origin of their own when one is set (SEC-H8, `ARTME_FILES_BASE_URL`).

The app's download routes check who may read a file as always; with a files origin set they
answer with a redirect to `<files origin>/files/<token>` instead of the bytes. The token is
signed with the server's key (a salt of its own) and names the file and the moment it stops
working, a minute later. On the files origin this module answers `/files/<token>` and
nothing else: no page, no session, no API, so a file that some browser did render could not
reach the app's cookies, which are never sent to that host.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import select
from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import FileResponse, PlainTextResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from artme_cop.attachments import files
from artme_cop.attachments import service as attachments
from artme_cop.attachments.models import Attachment
from artme_cop.settings import Settings

LINK_LIFETIME = timedelta(minutes=1)
PREFIX = "/files/"
_SALT = "artme-user-content"


def file_response(attachment: Attachment, path: Path) -> Response:
    """A stored file as a download that no browser renders or sniffs."""
    headers = {
        "Content-Disposition": files.content_disposition(attachment.filename),
        "X-Content-Type-Options": "nosniff",
        # Even opened directly, the file runs nothing and loads nothing (SEC-H5, SEC-H6).
        "Content-Security-Policy": "sandbox; default-src 'none'",
        "Cache-Control": "private, no-store",
    }
    return FileResponse(path, media_type=attachment.content_type, headers=headers)


def _serializer(settings: Settings) -> URLSafeSerializer:
    return URLSafeSerializer(settings.signing_keys, salt=_SALT)


def link_to(settings: Settings, attachment: Attachment, now: datetime) -> str:
    """The files origin's address of this attachment, good for LINK_LIFETIME from `now`."""
    token = _serializer(settings).dumps([attachment.public_id, int((now + LINK_LIFETIME).timestamp())])
    return f"{settings.files_base_url}{PREFIX}{token}"


def _public_id(settings: Settings, token: str, now: datetime) -> str | None:
    """The attachment a token names, while it works; None for a bad or an old token."""
    try:
        public_id, expires = _serializer(settings).loads(token)
    except (BadSignature, ValueError, TypeError):
        return None
    if not isinstance(public_id, str) or not isinstance(expires, int) or expires < now.timestamp():
        return None
    return public_id


def serve(request: Request, attachment: Attachment, path: Path) -> Response:
    """A download the caller was allowed: the bytes, or with a files origin, a redirect there."""
    settings = request.app.state.settings
    if not settings.files_base_url:
        return file_response(attachment, path)
    return RedirectResponse(link_to(settings, attachment, request.app.state.clock.now()), status_code=303)


class UserContentHostMiddleware:
    """Serves the files origin's requests itself and passes every other host on to the app."""

    def __init__(self, app: ASGIApp, *, files_base_url: str) -> None:
        self.app = app
        self.files_host = urlsplit(files_base_url).netloc.lower()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in {"http", "websocket"} or Headers(scope=scope).get("host", "").lower() != self.files_host:
            await self.app(scope, receive, send)
        elif scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008})
        else:
            response = await self._file(scope)
            await response(scope, receive, send)

    async def _file(self, scope: Scope) -> Response:
        app = scope["app"]
        path: str = scope["path"]
        if scope["method"] not in {"GET", "HEAD"} or not path.startswith(PREFIX):
            return PlainTextResponse("Not found", status_code=404)
        public_id = _public_id(app.state.settings, path.removeprefix(PREFIX), app.state.clock.now())
        if public_id is None:
            return PlainTextResponse("This link has expired or is not valid. Open the file again from its page.", status_code=404)
        async with app.state.uow(read_only=True) as uow:
            attachment = (await uow.session.execute(select(Attachment).where(Attachment.public_id == public_id))).scalar_one_or_none()
            found = attachments.stored_path(uow, attachment) if attachment is not None else None
        if attachment is None or found is None:
            return PlainTextResponse("Not found", status_code=404)
        return file_response(attachment, found)
