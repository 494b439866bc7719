"""ASGI middleware for the browser-facing protections that do not depend on a route:
security headers on every response (SEC-G7), a cap on request bodies enforced while
streaming (SEC-H1, pitfall P5), and a same-origin check on state-changing requests (SEC-E4).
"""

from __future__ import annotations

from typing import Awaitable

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from artme_cop.web.json_errors import error_bytes, is_api_path

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
SECURITY_HEADERS = [
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
]
UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


class SecurityHeadersMiddleware:
    def __init__(self, app: ASGIApp, *, hsts: bool) -> None:
        self.app = app
        self.headers = list(SECURITY_HEADERS)
        if hsts:
            self.headers.append((b"strict-transport-security", b"max-age=31536000; includeSubDomains"))

    def __call__(self, scope: Scope, receive: Receive, send: Send) -> Awaitable[None]:
        return _pass_through(self.app, scope, receive, send) or self._http(scope, receive, send)

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                extra = [(n, v) for n, v in self.headers if n not in present]
                message["headers"] = list(message.get("headers", [])) + extra
                if not scope["path"].startswith("/static/") and b"cache-control" not in present:
                    message["headers"].append((b"cache-control", b"no-store"))
            await send(message)

        await self.app(scope, receive, send_with_headers)


class BodyTooLarge(Exception):
    pass


class BodyLimitMiddleware:
    """Refuse bodies over the cap with 413: by Content-Length up front, or while streaming."""

    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    def __call__(self, scope: Scope, receive: Receive, send: Send) -> Awaitable[None]:
        return _pass_through(self.app, scope, receive, send) or self._http(scope, receive, send)

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        declared = Headers(scope=scope).get("content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_bytes):
            await _refuse(scope, send, 413, "too_large", "Request body too large.")
            return
        received = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise BodyTooLarge()
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except BodyTooLarge:
            if not started:
                await _refuse(scope, send, 413, "too_large", "Request body too large.")


class SameOriginMiddleware:
    """A state-changing request that a browser marks as coming from another site is refused."""

    def __init__(self, app: ASGIApp, *, base_url: str) -> None:
        self.app = app
        self.base_url = base_url

    def __call__(self, scope: Scope, receive: Receive, send: Send) -> Awaitable[None]:
        return _pass_through(self.app, scope, receive, send) or self._http(scope, receive, send)

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["method"] in UNSAFE_METHODS:
            headers = Headers(scope=scope)
            origin = headers.get("origin")
            own = f"{scope.get('scheme', 'http')}://{headers.get('host', '')}"
            if origin is not None and origin not in {self.base_url, own}:
                await _refuse(scope, send, 403, "cross_site", "Cross-site request refused.")
                return
            if headers.get("sec-fetch-site") == "cross-site":
                await _refuse(scope, send, 403, "cross_site", "Cross-site request refused.")
                return
        await self.app(scope, receive, send)


def _pass_through(app: ASGIApp, scope: Scope, receive: Receive, send: Send) -> Awaitable[None] | None:
    """Anything but HTTP (WebSockets, lifespan) goes straight to the app: the caller awaits
    the app itself, so no frame of these middlewares stays alive for a long-lived socket
    (memory per idle connection, docs/performance.md). None for HTTP."""
    if scope["type"] != "http":
        return app(scope, receive, send)  # type: ignore[return-value]
    return None


async def _refuse(scope: Scope, send: Send, status: int, code: str, text: str) -> None:
    """Answer before any route: JSON under /api (its clients read only JSON), plain text elsewhere."""
    if is_api_path(scope["path"]):
        body, content_type = error_bytes(code, text), b"application/json"
    else:
        body, content_type = text.encode(), b"text/plain; charset=utf-8"
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", content_type), (b"content-length", str(len(body)).encode())]
            + SECURITY_HEADERS,
        }
    )
    await send({"type": "http.response.body", "body": body})
