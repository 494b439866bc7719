"""Who is asking: the signed session cookie turned into an `Actor` for every request.

The cookie (Starlette's signed session) holds only the person id, their session epoch,
the time of sign-in, whether the second step of two-step sign-in was passed, and the CSRF
token (SEC-D2). The actor is loaded from the database on every request, so a revoked
session (epoch moved on), a deleted account or a changed role takes effect at once (SEC-D3,
SEC-B7). Between the password and the second step the cookie holds only who is half signed
in, for a few minutes; that is not a session. When the installation requires two-step
sign-in (SEC-C7), a session without the second step acts without the roles that need it.
"""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import quote

import itsdangerous
from starlette.middleware import sessions
from starlette.requests import HTTPConnection, Request
from starlette.types import ASGIApp, Receive, Scope, Send

from artme_cop import policy, security_log
from artme_cop.identity import service as identity
from artme_cop.identity.models import Person
from artme_cop.notifications import service as notifications
from artme_cop.policy import Actor
from artme_cop.web import csrf
from artme_cop.web.client import client_address

PERSON = "pid"
EPOCH = "ep"
ISSUED = "iat"
TWO_STEP = "2s"
# Half signed in: the password was right, the second step is still to come.
PENDING = "half"
PENDING_SECONDS = 300


class SessionMiddleware(sessions.SessionMiddleware):
    """Starlette's signed-cookie sessions with key rotation (SEC-D6): a cookie is signed with
    the newest key and read with any key still listed; one signed with an older key is signed
    anew on the next answer, so visitors move to the new key as they come back."""

    def __init__(self, app: ASGIApp, *, signing_keys: list[str], **options: Any) -> None:
        super().__init__(app, secret_key=signing_keys[-1], **options)
        self.signer = itsdangerous.TimestampSigner(signing_keys)  # type: ignore[arg-type]
        self.newest = itsdangerous.TimestampSigner(signing_keys[-1])
        if len(signing_keys) > 1:
            self.app = self._renewing(self.app)

    def _renewing(self, app: ASGIApp) -> ASGIApp:
        async def renew_old_signatures(scope: Scope, receive: Receive, send: Send) -> None:
            if scope.get("session") and self._signed_with_an_older_key(scope):
                # Older Starlette signs every answer's cookie anyway; newer versions only a changed session.
                getattr(scope["session"], "mark_modified", lambda: None)()
            await app(scope, receive, send)

        return renew_old_signatures

    def _signed_with_an_older_key(self, scope: Scope) -> bool:
        cookie = HTTPConnection(scope).cookies.get(self.session_cookie, "")
        try:
            self.newest.unsign(cookie.encode("utf-8"), max_age=self.max_age)
        except itsdangerous.BadSignature:
            return True
        return False


class SignInRequired(Exception):
    """The page needs a signed-in person."""


def begin_session(request: HTTPConnection, person: Person, *, two_step: bool = False) -> None:
    """A fresh session for a sign-in: nothing of the anonymous session survives (SEC-D4).
    `two_step`: the person passed the second step of two-step sign-in."""
    request.session.clear()
    request.session.update({PERSON: person.id, EPOCH: person.session_epoch, ISSUED: int(time.time())})
    if two_step:
        request.session[TWO_STEP] = 1
    csrf.rotate(request)


def passed_two_step(request: HTTPConnection) -> bool:
    return request.session.get(TWO_STEP) == 1


def begin_half_sign_in(request: HTTPConnection, person: Person) -> None:
    """The password was right and the person has two-step sign-in on: remember who, for the
    second step only. Any earlier session ends here."""
    request.session.clear()
    request.session[PENDING] = [person.id, person.session_epoch, int(time.time())]
    csrf.rotate(request)


def half_signed_in(request: HTTPConnection) -> tuple[int, int] | None:
    """(person id, session epoch) of a recent half sign-in, else None."""
    pending = request.session.get(PENDING)
    if not (isinstance(pending, list) and len(pending) == 3 and all(isinstance(v, int) for v in pending)):
        return None
    person_id, epoch, started = pending
    return (person_id, epoch) if started + PENDING_SECONDS >= time.time() else None


def end_session(request: HTTPConnection) -> None:
    request.session.clear()
    csrf.rotate(request)


def actor_of(request: HTTPConnection) -> Actor | None:
    return getattr(request.state, "actor", None)


def require_actor(request: HTTPConnection) -> Actor:
    actor = actor_of(request)
    if actor is None:
        raise SignInRequired()
    return actor


def note_denial(request: HTTPConnection) -> None:
    """A permission denial on the security log (SEC-K1): who, from where, what they asked."""
    actor = actor_of(request)
    security_log.event(
        "permission_denied", outcome=security_log.REFUSED, person=actor.person_id if actor else None, address=client_address(request),
        method=request.scope.get("method", ""), path=request.url.path,
    )


def sign_in_url(request: Request) -> str:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return f"/login?next={quote(target, safe='/')}"


class ActorMiddleware:
    """Loads the actor of the session into `request.state.actor` (None when anonymous), and
    for pages (GET) the unread notification count the navigation shows, in the same read."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in {"http", "websocket"} and not scope["path"].startswith("/static/"):
            connection = HTTPConnection(scope)
            connection.state.actor = await self._load(connection, page=scope["type"] == "http" and scope["method"] == "GET")
        await self.app(scope, receive, send)

    async def _load(self, connection: HTTPConnection, *, page: bool) -> Actor | None:
        session = connection.session
        person_id, epoch, issued = session.get(PERSON), session.get(EPOCH), session.get(ISSUED)
        if not (isinstance(person_id, int) and isinstance(epoch, int) and isinstance(issued, int)):
            return None
        settings = connection.app.state.settings
        if issued + settings.session_lifetime < time.time():
            end_session(connection)
            return None
        async with connection.app.state.uow(read_only=True) as uow:
            actor = await identity.load_actor(uow, person_id, epoch)
            if actor is not None and page:
                connection.state.unread_notifications = await notifications.unread_count(uow, actor)
        if actor is None:
            end_session(connection)
        elif settings.require_two_step and not passed_two_step(connection) and policy.needs_two_step(actor):
            connection.state.two_step_missing = True
            actor = policy.without_two_step_roles(actor)
        return actor
