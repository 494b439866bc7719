"""CSRF protection of the JSON API (SECURITY.md E): every POST, PUT, PATCH and DELETE under
/api needs the session's token in the X-CSRF-Token header, a body must be
application/json, and a request a browser marks as cross-site is refused. Each refusal
changes nothing; the same request done right does change something, which shows it was the
token (or the body type, or the origin) that made the difference.

The cases come from the app's route inventory: a new state-changing API route fails here
until it has a case below. (The form routes are covered by test_csrf.py.)
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Awaitable, Callable

import httpx
import pytest

from artme_cop.conversations import service as conversations
from artme_cop.conversations.models import ConversationKind
from artme_cop.identity import service as identity
from artme_cop.identity.models import Person
from artme_cop.moderation import flags
from artme_cop.notifications import service as notifications
from artme_cop.policy import SpaceScope
from artme_cop.knowledge.cycle import State as KnowledgeState
from tests.factories import World
from tests.knowledge import helpers as knowledge_helpers
from tests.forum.api_support import api_client, assert_error
from tests.forum.conftest import reply, start
from tests.security.test_api_contract import api_routes_of
from tests.support import snapshot

CATEGORY = {"name": "Curriculum review", "description": "Course by course.", "position": 5, "start_rule": "everyone"}


@dataclass(frozen=True)
class Request:
    path: str
    body: dict[str, object] | None
    changes: bool = True  # the preview writes nothing even when accepted


Builder = Callable[[Any, World], Awaitable[Request]]


def _on_thread(suffix: str, body: dict[str, object] | None) -> Builder:
    """A request about a consortium thread the admin started (the admin may read, write and
    moderate there)."""

    async def build(app: Any, world: World) -> Request:
        thread = await start(app, world.admin, where="consortium", title="The admin's thread")
        return Request(f"/api/forum/threads/{thread}{suffix}", body)

    return build


async def _read_a_reply(app: Any, world: World) -> Request:
    """The admin's own first post is read already; a student's reply is not."""
    thread = await start(app, world.admin, where="consortium", title="The admin's thread")
    await reply(app, world.student_a, thread, "A reply to read")
    return Request(f"/api/forum/threads/{thread}/read", {"seq": 2})


def _fixed(path: str, body: dict[str, object] | None, *, changes: bool = True) -> Builder:
    async def build(app: Any, world: World) -> Request:
        return Request(path, body, changes)

    return build


async def _consortium_message(app: Any, author: Person) -> tuple[int, int]:
    """(conversation id, seq) of a message of `author` in a consortium-wide conversation."""
    async with app.state.uow() as uow:
        conversation = await conversations.open_conversation(uow, kind=ConversationKind.LOUNGE, scope=SpaceScope.CONSORTIUM, title="Consortium lounge")
        [actor] = await identity.actors_for(uow, [author.id])
        posted = await conversations.post_message(uow, actor, conversation.id, body="words under review", client_msg_id="csrf-review")
    return conversation.id, posted.seq


def _on_message(action: str, body: dict[str, object], *, hidden: bool = False) -> Builder:
    """A review action of the admin (who moderates the consortium) on a student's message."""

    async def build(app: Any, world: World) -> Request:
        conversation_id, seq = await _consortium_message(app, world.student_a)
        if hidden:
            async with app.state.uow() as uow:
                [admin] = await identity.actors_for(uow, [world.admin.id])
                await flags.hide_message(uow, admin, conversation_id, seq, reason="pending")
        return Request(f"/api/moderation/messages/{conversation_id}/{seq}/{action}", body)

    return build


async def _flag(app: Any, world: World) -> Request:
    conversation_id, seq = await _consortium_message(app, world.student_a)
    return Request("/api/moderation/flags", {"conversation": conversation_id, "seq": seq, "reason": "spam"})


async def _dismiss(app: Any, world: World) -> Request:
    conversation_id, seq = await _consortium_message(app, world.student_a)
    async with app.state.uow() as uow:
        [reader] = await identity.actors_for(uow, [world.participant_b.id])
        flagged = await flags.flag_message(uow, reader, conversation_id, seq, reason="spam", note="")
    return Request(f"/api/moderation/flags/{flagged.flag.id}/dismiss", {"note": "fine"})


async def _mark_all_read(app: Any, world: World) -> Request:
    conversation_id, seq = await _consortium_message(app, world.student_a)
    async with app.state.uow() as uow:
        about = await conversations.access_conversation(uow, (await identity.actors_for(uow, [world.admin.id]))[0], conversation_id)
        await notifications.notify(uow, recipients=[world.admin.id], kind="mention", conversation=about, seq=seq, actor_id=world.student_a.id, summary="Sam mentioned you", link="/")
    return Request("/api/notifications/read", {"all": True})


async def _publish_proposal(app: Any, world: World) -> Request:
    """The admin curates a school's proposal into the program."""
    public_id = await knowledge_helpers.resource_in(app, world, KnowledgeState.PROPOSED_PROGRAM)
    return Request(f"/api/knowledge/resources/{public_id}/transitions", {"move": "publish_program", "reason": ""})


CASES: dict[tuple[str, str], Builder] = {
    ("POST", "/api/forum/categories"): _fixed("/api/forum/categories", CATEGORY),
    ("PUT", "/api/forum/categories/{category_id}"): _fixed("/api/forum/categories/1", {**CATEGORY, "name": "Renamed"}),
    ("POST", "/api/forum/threads"): _fixed("/api/forum/threads", {"category": "introductions", "where": "consortium", "title": "T", "body": "b", "client_msg_id": "csrf-start"}),
    ("POST", "/api/forum/threads/{thread_id}/posts"): _on_thread("/posts", {"body": "A reply", "client_msg_id": "csrf-reply"}),
    ("PATCH", "/api/forum/threads/{thread_id}/posts/{seq}"): _on_thread("/posts/1", {"body": "Edited"}),
    ("DELETE", "/api/forum/threads/{thread_id}/posts/{seq}"): _on_thread("/posts/1", None),
    ("POST", "/api/forum/threads/{thread_id}/posts/{seq}/reactions"): _on_thread("/posts/1/reactions", {"emoji": "heart"}),
    ("POST", "/api/forum/threads/{thread_id}/posts/{seq}/bookmark"): _on_thread("/posts/1/bookmark", None),
    ("PUT", "/api/forum/threads/{thread_id}/watch"): _on_thread("/watch", {"level": "muted"}),
    ("PUT", "/api/forum/threads/{thread_id}/read"): _read_a_reply,
    ("PUT", "/api/forum/threads/{thread_id}/lock"): _on_thread("/lock", {"locked": True}),
    ("PUT", "/api/forum/threads/{thread_id}/pin"): _on_thread("/pin", {"pinned": True}),
    ("PUT", "/api/forum/threads/{thread_id}/category"): _on_thread("/category", {"category": "short-term-wins"}),
    ("POST", "/api/forum/preview"): _fixed("/api/forum/preview", {"body": "**hi**"}, changes=False),
    ("POST", "/api/notifications/read"): _mark_all_read,
    ("PUT", "/api/notifications/settings"): _fixed("/api/notifications/settings", {"email_mode": "off"}),
    ("POST", "/api/moderation/flags"): _flag,
    ("POST", "/api/moderation/flags/{flag_id}/dismiss"): _dismiss,
    ("POST", "/api/moderation/messages/{conversation_id}/{seq}/hide"): _on_message("hide", {"reason": "off-topic"}),
    ("POST", "/api/moderation/messages/{conversation_id}/{seq}/unhide"): _on_message("unhide", {"note": "on reflection"}, hidden=True),
    ("POST", "/api/moderation/messages/{conversation_id}/{seq}/warn"): _on_message("warn", {"text": "Please mind the agreements."}),
    ("POST", "/api/knowledge/resources/{resource_id}/transitions"): _publish_proposal,
}
IDS = [f"{method} {path}" for method, path in sorted(CASES)]
PARAMS = sorted(CASES)


def test_every_unsafe_api_route_has_a_csrf_case(app: Any) -> None:
    unsafe = {(method, path) for method, path in api_routes_of(app.routes) if method in {"POST", "PUT", "PATCH", "DELETE"}}
    assert unsafe == set(CASES)


async def _send(http: httpx.AsyncClient, method: str, request: Request, headers: dict[str, str]) -> httpx.Response:
    if request.body is None:
        return await http.request(method, request.path, headers=headers)
    return await http.request(method, request.path, json=request.body, headers=headers)


@pytest.mark.parametrize(("method", "route"), PARAMS, ids=IDS)
async def test_api_write_refused_without_token(app: Any, world: World, method: str, route: str) -> None:
    request = await CASES[(method, route)](app, world)
    async with api_client(app, world.admin) as api:
        before = await snapshot(app)
        response = await _send(api.http, method, request, {})
        assert_error(response, 403, "csrf_failed")
        assert await snapshot(app) == before


@pytest.mark.parametrize(("method", "route"), PARAMS, ids=IDS)
async def test_api_write_refused_with_another_sessions_token(app: Any, world: World, method: str, route: str) -> None:
    request = await CASES[(method, route)](app, world)
    async with api_client(app, world.lead_a) as other, api_client(app, world.admin) as api:
        assert other.token != api.token
        before = await snapshot(app)
        response = await _send(api.http, method, request, {"X-CSRF-Token": other.token})
        assert_error(response, 403, "csrf_failed")
        assert await snapshot(app) == before


@pytest.mark.parametrize(("method", "route"), PARAMS, ids=IDS)
@pytest.mark.parametrize(
    "headers",
    [{"Origin": "https://evil.example"}, {"Origin": "null"}, {"Sec-Fetch-Site": "cross-site"}],
    ids=["evil-origin", "null-origin", "fetch-metadata-cross-site"],
)
async def test_api_write_refused_when_cross_site(app: Any, world: World, method: str, route: str, headers: dict[str, str]) -> None:
    """A valid token does not help a request a browser marks as cross-site (SEC-E4)."""
    request = await CASES[(method, route)](app, world)
    async with api_client(app, world.admin) as api:
        before = await snapshot(app)
        response = await _send(api.http, method, request, {"X-CSRF-Token": api.token, **headers})
        assert_error(response, 403, "cross_site")
        assert await snapshot(app) == before


BODY_CASES = [(method, route) for method, route in PARAMS if route != "/api/forum/threads/{thread_id}/posts/{seq}/bookmark" and method != "DELETE"]


@pytest.mark.parametrize(("method", "route"), BODY_CASES, ids=[f"{m} {r}" for m, r in BODY_CASES])
@pytest.mark.parametrize("content_type", ["application/x-www-form-urlencoded", "text/plain", "multipart/form-data; boundary=x", None])
async def test_api_write_refused_when_body_is_not_json(app: Any, world: World, method: str, route: str, content_type: str | None) -> None:
    """The body types an HTML form can send cross-site (even a JSON text sent as text/plain)
    are refused with 415, token or not."""
    request = await CASES[(method, route)](app, world)
    assert request.body is not None
    async with api_client(app, world.admin) as api:
        before = await snapshot(app)
        headers = {"X-CSRF-Token": api.token} | ({"Content-Type": content_type} if content_type else {})
        response = await api.http.request(method, request.path, content=json.dumps(request.body).encode(), headers=headers)
        assert_error(response, 415, "unsupported")
        assert await snapshot(app) == before


@pytest.mark.parametrize(("method", "route"), PARAMS, ids=IDS)
async def test_api_write_with_token_is_accepted(app: Any, world: World, method: str, route: str) -> None:
    """Control: with the token, JSON and a same-origin Origin the same request succeeds."""
    request = await CASES[(method, route)](app, world)
    async with api_client(app, world.admin) as api:
        before = await snapshot(app)
        response = await _send(api.http, method, request, {"X-CSRF-Token": api.token, "Origin": "http://testserver", "Sec-Fetch-Site": "same-origin"})
        assert response.status_code in (200, 201, 204), response.text
        assert (await snapshot(app) != before) is request.changes


async def test_token_header_with_non_ascii_is_refused_not_an_error(app: Any, world: World) -> None:
    async with api_client(app, world.admin) as api:
        response = await api.http.post("/api/forum/preview", json={"body": "x"}, headers={"X-CSRF-Token": ("é" * 43).encode("latin-1")})
    assert_error(response, 403, "csrf_failed")


async def test_form_token_with_non_ascii_is_refused_not_an_error(app: Any, world: World) -> None:
    """The form check shares the comparison: a non-ASCII token is a 403 page, not a 500."""
    async with api_client(app, world.admin) as api:
        response = await api.http.post("/logout", data={"csrf_token": "é" * 43})
    assert response.status_code == 403
