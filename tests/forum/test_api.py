"""The forum's JSON API (/api/forum): the visibility matrix through it, the moderators' lock,
idempotent posting, pagination, edits, categories, and bad input answered by JSON errors
that change nothing. Responses are checked against the schemas of /api/openapi.json."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from limits.aio.storage import MemoryStorage
from sqlalchemy import func, select

from artme_cop.app import create_app
from artme_cop.conversations.models import Message
from artme_cop.forum.models import Thread
from artme_cop.ratelimit import RateLimiter
from artme_cop.settings import Settings
from artme_cop.web.api import JSON_BODY_LIMIT
from tests.factories import World
from tests.forum.api_support import ApiClient, api_client, assert_error, assert_schema
from tests.forum.conftest import Threads, reply, start
from tests.support import MutableClock, snapshot

MISSING = 987654


@pytest.fixture
async def spec(app: Any) -> dict[str, Any]:
    async with api_client(app, None) as anonymous:
        response = await anonymous.get("/api/openapi.json")
    assert response.status_code == 200
    return response.json()  # type: ignore[no-any-return]


async def count(app: Any, model: Any) -> int:
    async with app.state.uow(read_only=True) as uow:
        return int((await uow.session.execute(select(func.count()).select_from(model))).scalar_one())


# --- the visibility matrix ------------------------------------------------------------------------------

# (thread, person, may see it): the consortium thread is everyone's; a school's thread is its
# people's only; a cohort's thread is its members' only (not the school's other cohorts, not
# another school's lead, not the program admin: authority never becomes visibility).
VISIBILITY = [
    ("consortium", "student_a", True),
    ("consortium", "participant_b", True),
    ("institution_a", "participant_a2", True),
    ("institution_a", "participant_b", False),
    ("institution_a", "admin", False),
    ("cohort_a1", "faculty_a", True),
    ("cohort_a1", "participant_a2", False),
    ("cohort_a1", "lead_b", False),
    ("cohort_a1", "admin", False),
    ("cohort_b1", "participant_b", True),
    ("cohort_b1", "lead_a", False),
]


async def _listed_ids(api: ApiClient) -> set[int]:
    found: set[int] = set()
    for sort in ("latest", "new", "active"):
        for params in ({"sort": sort}, {"sort": sort, "category": "introductions"}):
            response = await api.get("/api/forum/threads", **params)
            assert response.status_code == 200
            body = response.json()
            found |= {t["id"] for t in body["threads"] + body["pinned"]}
    return found


def _reads(thread: int) -> list[str]:
    return [
        f"/api/forum/threads/{thread}",
        f"/api/forum/threads/{thread}/posts",
        f"/api/forum/threads/{thread}/posts?after_seq=0",
        f"/api/forum/threads/{thread}/posts/1",
        f"/api/forum/threads/{thread}/posts/1/quote",
        f"/api/forum/mentions?q=Sam&thread={thread}",
    ]


def _writes(thread: int) -> list[tuple[str, str, object]]:
    return [
        ("POST", f"/api/forum/threads/{thread}/posts", {"body": "Can I get in?", "client_msg_id": "outsider-1"}),
        ("POST", f"/api/forum/threads/{thread}/posts/1/reactions", {"emoji": "heart"}),
        ("POST", f"/api/forum/threads/{thread}/posts/1/bookmark", None),
        ("PUT", f"/api/forum/threads/{thread}/watch", {"level": "muted"}),
        ("PUT", f"/api/forum/threads/{thread}/read", {"seq": 1}),
        ("PATCH", f"/api/forum/threads/{thread}/posts/1", {"body": "rewritten"}),
        ("DELETE", f"/api/forum/threads/{thread}/posts/1", None),
        ("PUT", f"/api/forum/threads/{thread}/lock", {"locked": True}),
    ]


@pytest.mark.parametrize(("where", "persona", "visible"), VISIBILITY, ids=[f"{w}-{p}" for w, p, _ in VISIBILITY])
async def test_thread_visibility_through_the_api(app: Any, world: World, threads: Threads, spec: dict[str, Any], where: str, persona: str, visible: bool) -> None:
    """Inside the scope: listed, readable, writable. Outside: absent from every list, and
    every read and write by id answers exactly what a missing id answers; nothing changes."""
    thread = getattr(threads, where)
    async with api_client(app, getattr(world, persona)) as api:
        listed = await _listed_ids(api)
        if visible:
            assert thread in listed
            page = await api.get(f"/api/forum/threads/{thread}")
            assert page.status_code == 200
            assert_schema(spec, "ThreadPage", page.json())
            assert [p["seq"] for p in page.json()["posts"]] == [1]
            posted = await api.send("POST", f"/api/forum/threads/{thread}/posts", {"body": "Inside reply", "client_msg_id": f"inside-{persona}"})
            assert posted.status_code == 201, posted.text
            assert_schema(spec, "Posted", posted.json())
            reacted = await api.send("POST", f"/api/forum/threads/{thread}/posts/1/reactions", {"emoji": "heart"})
            assert reacted.status_code == 200 and reacted.json()["counts"] == {"heart": 1}
            bookmarked = await api.send("POST", f"/api/forum/threads/{thread}/posts/1/bookmark")
            assert bookmarked.json() == {"bookmarked": True}
            bookmarks = await api.get("/api/forum/bookmarks")
            assert [(b["thread"], b["seq"]) for b in bookmarks.json()["bookmarks"]] == [(thread, 1)]
            return

        assert thread not in listed
        before = await snapshot(app)
        for path in _reads(thread):
            hidden, missing = await api.get(path), await api.get(path.replace(str(thread), str(MISSING), 1))
            assert_error(hidden, 404, "not_found")
            assert hidden.content == missing.content, path
        for method, path, body in _writes(thread):
            hidden = await api.send(method, path, body)
            missing = await api.send(method, path.replace(str(thread), str(MISSING), 1), body)
            assert_error(hidden, 404, "not_found")
            assert hidden.content == missing.content, (method, path)
        assert (await api.get("/api/forum/bookmarks")).json() == {"bookmarks": []}
        assert await snapshot(app) == before


async def test_category_counts_only_visible_threads(app: Any, world: World, threads: Threads, spec: dict[str, Any]) -> None:
    async with api_client(app, world.participant_b) as api:
        response = await api.get("/api/forum/categories")
    assert response.status_code == 200
    assert_schema(spec, "CategoryList", response.json())
    counts = {c["slug"]: c["thread_count"] for c in response.json()["categories"]}
    assert counts["introductions"] == 2  # the consortium thread and B1's, not A's two


# --- sessions ------------------------------------------------------------------------------------------


async def test_session_gives_person_and_token(app: Any, world: World, spec: dict[str, Any]) -> None:
    async with api_client(app, world.student_a) as api:
        response = await api.get("/api/session")
    assert_schema(spec, "Session", response.json())
    assert response.json()["person"] == {"id": world.student_a.id, "name": "Sam Student", "pronouns": "they/them"}
    assert response.json()["csrf_token"] == api.token


# --- locking, idempotency ----------------------------------------------------------------------------------


async def test_reply_refused_when_thread_locked(app: Any, world: World, threads: Threads, spec: dict[str, Any]) -> None:
    """A cohort facilitator locks the thread over the API; a member's reply then gets 403 and
    nothing is stored; unlocking lets the reply through."""
    thread = threads.cohort_a1
    async with api_client(app, world.facilitator_a) as facilitator, api_client(app, world.student_a) as student:
        refused_lock = await student.send("PUT", f"/api/forum/threads/{thread}/lock", {"locked": True})
        assert_error(refused_lock, 403, "forbidden")
        locked = await facilitator.send("PUT", f"/api/forum/threads/{thread}/lock", {"locked": True, "reason": "cooling off"})
        assert locked.status_code == 200 and locked.json() == {"id": thread, "locked": True}
        assert_schema(spec, "LockState", locked.json())
        page = await student.get(f"/api/forum/threads/{thread}")
        assert page.json()["thread"]["locked"] is True and page.json()["can_post"] is False
        before = await snapshot(app)

        refused = await student.send("POST", f"/api/forum/threads/{thread}/posts", {"body": "Still here?", "client_msg_id": "locked-1"})

        assert_error(refused, 403, "forbidden")
        assert await snapshot(app) == before
        await facilitator.send("PUT", f"/api/forum/threads/{thread}/lock", {"locked": False})
        accepted = await student.send("POST", f"/api/forum/threads/{thread}/posts", {"body": "Still here?", "client_msg_id": "locked-1"})
        assert accepted.status_code == 201 and accepted.json()["seq"] == 2


async def test_reply_is_idempotent_on_client_msg_id(app: Any, world: World, threads: Threads) -> None:
    async with api_client(app, world.student_a) as api:
        path = f"/api/forum/threads/{threads.consortium}/posts"
        first = await api.send("POST", path, {"body": "Once only", "client_msg_id": "retry-me"})
        stored = await count(app, Message)
        again = await api.send("POST", path, {"body": "Once only", "client_msg_id": "retry-me"})
    assert first.status_code == again.status_code == 201
    assert first.json()["duplicate"] is False and again.json()["duplicate"] is True
    assert first.json()["seq"] == again.json()["seq"] == 2
    assert first.headers["location"] == again.headers["location"] == f"/api/forum/threads/{threads.consortium}/posts/2"
    assert await count(app, Message) == stored


async def test_thread_start_is_idempotent_on_client_msg_id(app: Any, world: World, spec: dict[str, Any]) -> None:
    body = {"category": "introductions", "where": f"cohort:{world.cohort_a1.id}", "title": "Hello A1", "body": "First words", "client_msg_id": "start-once"}
    async with api_client(app, world.student_a) as api:
        first = await api.send("POST", "/api/forum/threads", body)
        again = await api.send("POST", "/api/forum/threads", body)
        page = await api.get(first.headers["location"])
    assert first.status_code == again.status_code == 201
    assert_schema(spec, "ThreadCreated", first.json())
    assert first.json() == again.json()
    assert await count(app, Thread) == 1
    assert page.json()["thread"]["space"] == {"scope": "cohort", "institution_id": world.institution_a.id, "cohort_id": world.cohort_a1.id}
    assert [p["body"] for p in page.json()["posts"]] == ["First words"]


async def test_thread_start_refused_in_a_space_not_ones_own(app: Any, world: World) -> None:
    async with api_client(app, world.student_a) as api:
        before = await snapshot(app)
        response = await api.send(
            "POST", "/api/forum/threads", {"category": "introductions", "where": f"cohort:{world.cohort_b1.id}", "title": "Sneaking in", "body": "hi", "client_msg_id": "sneak"}
        )
    assert_error(response, 400, "invalid", "where")
    assert await snapshot(app) == before


async def test_reused_client_msg_id_of_a_reply_cannot_start_a_thread(app: Any, world: World, threads: Threads) -> None:
    async with api_client(app, world.student_a) as api:
        await api.send("POST", f"/api/forum/threads/{threads.consortium}/posts", {"body": "a reply", "client_msg_id": "used-once"})
        before = await snapshot(app)
        response = await api.send("POST", "/api/forum/threads", {"category": "introductions", "where": "consortium", "title": "T", "body": "b", "client_msg_id": "used-once"})
    assert_error(response, 409, "conflict", "client_msg_id")
    assert await snapshot(app) == before


# --- reading: pages, catching up, lists ------------------------------------------------------------------------


async def test_posts_by_page_and_after_seq(app: Any, world: World, threads: Threads, spec: dict[str, Any]) -> None:
    for number in range(2, 36):
        await reply(app, world.student_a, threads.consortium, f"Post {number}")
    async with api_client(app, world.faculty_a) as api:
        second = await api.get(f"/api/forum/threads/{threads.consortium}/posts", page=2)
        after = await api.get(f"/api/forum/threads/{threads.consortium}/posts", after_seq=33)
        past_the_end = await api.get(f"/api/forum/threads/{threads.consortium}", page=99)
        unread = await api.get(f"/api/forum/threads/{threads.consortium}", unread="true")
        both = await api.get(f"/api/forum/threads/{threads.consortium}/posts", page=1, after_seq=3)
    assert_schema(spec, "PostList", second.json())
    assert [p["seq"] for p in second.json()["posts"]] == list(range(31, 36))
    assert (second.json()["page"], second.json()["pages"]) == (2, 2)
    assert [p["seq"] for p in after.json()["posts"]] == [34, 35]
    assert past_the_end.json()["page"] == 2
    assert unread.json()["first_unread"] == 1 and unread.json()["page"] == 1
    assert_error(both, 400, "invalid", "after_seq")


async def test_read_marker_moves_forward_only(app: Any, world: World, threads: Threads) -> None:
    for number in range(2, 6):
        await reply(app, world.student_a, threads.consortium, f"Post {number}")
    async with api_client(app, world.faculty_a) as api:
        path = f"/api/forum/threads/{threads.consortium}"
        assert (await api.send("PUT", f"{path}/read", {"seq": 4})).json() == {"last_read_seq": 4}
        assert (await api.send("PUT", f"{path}/read", {"seq": 2})).json() == {"last_read_seq": 4}
        assert (await api.send("PUT", f"{path}/read", {"seq": 500})).json() == {"last_read_seq": 5}
        page = await api.get(path)
    assert page.json()["thread"]["unread"] == 0


async def test_thread_list_pages_by_cursor_without_gaps_or_repeats(app: Any, world: World, spec: dict[str, Any]) -> None:
    ids = {await start(app, world.student_a, where="consortium", title=f"Thread {n}") for n in range(33)}
    async with api_client(app, world.participant_b) as api:
        seen: list[int] = []
        cursor = None
        for _ in range(5):
            response = await api.get("/api/forum/threads", sort="new", cursor=cursor)
            assert_schema(spec, "ThreadList", response.json())
            seen += [t["id"] for t in response.json()["threads"]]
            cursor = response.json()["next_cursor"]
            if cursor is None:
                break
    assert sorted(seen) == sorted(ids) and len(seen) == len(set(seen))
    assert seen == sorted(seen, reverse=True)


async def test_pinned_threads_are_listed_apart_on_a_category_first_page(app: Any, world: World, threads: Threads) -> None:
    async with api_client(app, world.admin) as admin, api_client(app, world.student_a) as student:
        pinned = await admin.send("PUT", f"/api/forum/threads/{threads.consortium}/pin", {"pinned": True})
        assert pinned.json() == {"id": threads.consortium, "pinned": True}
        listing = (await student.get("/api/forum/threads", category="introductions")).json()
    assert [t["id"] for t in listing["pinned"]] == [threads.consortium]
    assert threads.consortium not in [t["id"] for t in listing["threads"]]


async def test_moderator_moves_thread_to_another_category(app: Any, world: World, threads: Threads) -> None:
    async with api_client(app, world.facilitator_a) as facilitator:
        moved = await facilitator.send("PUT", f"/api/forum/threads/{threads.cohort_a1}/category", {"category": "short-term-wins"})
        unknown = await facilitator.send("PUT", f"/api/forum/threads/{threads.cohort_a1}/category", {"category": "no-such-category"})
        page = await facilitator.get(f"/api/forum/threads/{threads.cohort_a1}")
    assert moved.status_code == 200, moved.text
    assert page.json()["thread"]["category"]["slug"] == "short-term-wins"
    assert moved.json() == {"id": threads.cohort_a1, "category": page.json()["thread"]["category"]["id"]}
    assert_error(unknown, 404, "not_found")


# --- writing: edit, delete, react, watch, helpers ------------------------------------------------------------


async def test_author_edits_own_post_and_not_others(app: Any, world: World, threads: Threads, spec: dict[str, Any]) -> None:
    seq = await reply(app, world.faculty_a, threads.consortium, "Faculty words")
    async with api_client(app, world.student_a) as student, api_client(app, world.faculty_a) as faculty:
        edited = await student.send("PATCH", f"/api/forum/threads/{threads.consortium}/posts/1", {"body": "Better **words**"})
        before = await snapshot(app)
        refused = await student.send("PATCH", f"/api/forum/threads/{threads.consortium}/posts/{seq}", {"body": "Not mine"})
        assert await snapshot(app) == before
        seen_by_other = await faculty.get(f"/api/forum/threads/{threads.consortium}/posts/1")
    assert edited.status_code == 200
    assert_schema(spec, "Post", edited.json())
    assert edited.json()["body"] == "Better **words**" and "<strong>words</strong>" in edited.json()["html"]
    assert edited.json()["edited_at"] is not None
    assert_error(refused, 403, "forbidden")
    assert seen_by_other.json()["body"] == "" and seen_by_other.json()["mine"] is False


async def test_deleted_post_shows_deleted_and_cannot_be_edited(app: Any, world: World, threads: Threads) -> None:
    async with api_client(app, world.student_a) as api:
        deleted = await api.send("DELETE", f"/api/forum/threads/{threads.consortium}/posts/1")
        post = await api.get(f"/api/forum/threads/{threads.consortium}/posts/1")
        edit = await api.send("PATCH", f"/api/forum/threads/{threads.consortium}/posts/1", {"body": "back"})
        quote = await api.get(f"/api/forum/threads/{threads.consortium}/posts/1/quote")
    assert deleted.status_code == 204 and deleted.content == b""
    assert post.json()["deleted"] is True and post.json()["html"] == ""
    assert_error(edit, 409, "conflict")
    assert_error(quote, 400, "invalid", "quote")


async def test_moderator_deletes_any_post_in_their_space_and_member_cannot(app: Any, world: World, threads: Threads) -> None:
    async with api_client(app, world.faculty_a) as member, api_client(app, world.coach) as coach:
        refused = await member.send("DELETE", f"/api/forum/threads/{threads.cohort_a1}/posts/1")
        assert_error(refused, 403, "forbidden")
        deleted = await coach.send("DELETE", f"/api/forum/threads/{threads.cohort_a1}/posts/1")
    assert deleted.status_code == 204


async def test_reactions_add_and_remove(app: Any, world: World, threads: Threads) -> None:
    path = f"/api/forum/threads/{threads.consortium}/posts/1/reactions"
    async with api_client(app, world.faculty_a) as api:
        added = await api.send("POST", path, {"emoji": "clap"})
        removed = await api.send("POST", path, {"emoji": "clap", "on": False})
        unknown = await api.send("POST", path, {"emoji": "skull"})
    assert added.json() == {"counts": {"clap": 1}}
    assert removed.json() == {"counts": {}}
    assert_error(unknown, 400, "invalid", "emoji")


async def test_watch_levels(app: Any, world: World, threads: Threads) -> None:
    async with api_client(app, world.faculty_a) as api:
        muted = await api.send("PUT", f"/api/forum/threads/{threads.consortium}/watch", {"level": "muted"})
        latest = await api.get("/api/forum/threads")
        wrong = await api.send("PUT", f"/api/forum/threads/{threads.consortium}/watch", {"level": "loud"})
    assert muted.json() == {"level": "muted"}
    assert threads.consortium not in [t["id"] for t in latest.json()["threads"]]  # muted ones leave "latest"
    assert_error(wrong, 400, "invalid", "level")


async def test_places_mentions_preview_and_quote(app: Any, world: World, threads: Threads, spec: dict[str, Any]) -> None:
    async with api_client(app, world.student_a) as api:
        places = await api.get("/api/forum/places")
        in_cohort = await api.get("/api/forum/mentions", q="Fr", thread=threads.cohort_a1)
        consortium = await api.get("/api/forum/mentions", q="B")
        cohort_b = await api.get("/api/forum/mentions", q="B", where=f"cohort:{world.cohort_b1.id}")
        preview = await api.send("POST", "/api/forum/preview", {"body": "**bold** <script>alert(1)</script>"})
        quote = await api.get(f"/api/forum/threads/{threads.consortium}/posts/1/quote")
    assert_schema(spec, "PlaceList", places.json())
    assert [p["value"] for p in places.json()["places"]] == ["consortium", f"institution:{world.institution_a.id}", f"cohort:{world.cohort_a1.id}"]
    assert_schema(spec, "MentionList", in_cohort.json())
    assert {p["name"] for p in in_cohort.json()["people"]} == {"Frankie Facilitator", "Fran Faculty"}
    assert {p["name"] for p in consortium.json()["people"]} == {"Bo Lead", "Blair Participant"}
    assert_error(cohort_b, 400, "invalid", "where")
    assert "<strong>bold</strong>" in preview.json()["html"] and "<script" not in preview.json()["html"]
    assert quote.json()["markdown"].startswith("Sam Student wrote in")


# --- categories -----------------------------------------------------------------------------------------------

CATEGORY = {"name": "Curriculum review", "description": "Course by course.", "position": 5, "start_rule": "facilitators"}


async def test_admin_creates_and_updates_category(app: Any, world: World, spec: dict[str, Any]) -> None:
    async with api_client(app, world.admin) as api:
        created = await api.send("POST", "/api/forum/categories", CATEGORY)
        category_id = created.json()["id"]
        updated = await api.send("PUT", f"/api/forum/categories/{category_id}", {**CATEGORY, "name": "Curriculum", "start_rule": "everyone"})
        missing = await api.send("PUT", f"/api/forum/categories/{MISSING}", CATEGORY)
    assert created.status_code == 201 and created.headers["location"] == f"/api/forum/categories/{category_id}"
    assert_schema(spec, "Category", created.json())
    assert created.json()["slug"] == "curriculum-review" and created.json()["start_rule"] == "facilitators"
    assert updated.json()["name"] == "Curriculum" and updated.json()["start_rule"] == "everyone"
    assert_error(missing, 404, "not_found")


@pytest.mark.parametrize("persona", ["student_a", "facilitator_a", "lead_a"])
async def test_category_management_refused_to_non_admins(app: Any, world: World, persona: str) -> None:
    async with api_client(app, getattr(world, persona)) as api:
        before = await snapshot(app)
        created = await api.send("POST", "/api/forum/categories", CATEGORY)
        invalid = await api.send("POST", "/api/forum/categories", {**CATEGORY, "name": ""})
        updated = await api.send("PUT", "/api/forum/categories/1", CATEGORY)
    for response in (created, invalid, updated):
        assert_error(response, 403, "forbidden")
    assert await snapshot(app) == before


async def test_category_start_rule_applies_through_the_api(app: Any, world: World) -> None:
    async with api_client(app, world.admin) as admin, api_client(app, world.student_a) as student:
        category = (await admin.send("POST", "/api/forum/categories", {**CATEGORY, "start_rule": "admins"})).json()
        before = await snapshot(app)
        refused = await student.send("POST", "/api/forum/threads", {"category": category["id"], "where": "consortium", "title": "T", "body": "b", "client_msg_id": "rule-1"})
        assert await snapshot(app) == before
        allowed = await admin.send("POST", "/api/forum/threads", {"category": category["slug"], "where": "consortium", "title": "T", "body": "b", "client_msg_id": "rule-1"})
    assert_error(refused, 403, "forbidden")
    assert allowed.status_code == 201


# --- bad input: a JSON error, and nothing changes ------------------------------------------------------------------

THREAD_ID_SHAPES = ["abc", "-1", "0", "99999999999999999999", "1.5", "%20", "%E2%91%A0", "0x10"]


@pytest.mark.parametrize("shape", THREAD_ID_SHAPES)
async def test_malformed_ids_look_like_missing_ones(app: Any, world: World, threads: Threads, shape: str) -> None:
    async with api_client(app, world.student_a) as api:
        before = await snapshot(app)
        missing = await api.get(f"/api/forum/threads/{MISSING}")
        for response in (
            await api.get(f"/api/forum/threads/{shape}"),
            await api.get(f"/api/forum/threads/{shape}/posts"),
            await api.send("POST", f"/api/forum/threads/{shape}/posts", {"body": "x", "client_msg_id": "shape-1"}),
            await api.send("PUT", f"/api/forum/threads/{shape}/watch", {"level": "muted"}),
        ):
            assert_error(response, 404, "not_found")
            assert response.content == missing.content
        for response in (
            await api.get(f"/api/forum/threads/{threads.consortium}/posts/{shape}"),
            await api.send("POST", f"/api/forum/threads/{threads.consortium}/posts/{shape}/reactions", {"emoji": "heart"}),
            await api.send("POST", f"/api/forum/threads/{threads.consortium}/posts/{shape}/bookmark"),
            await api.send("DELETE", f"/api/forum/threads/{threads.consortium}/posts/{shape}"),
        ):
            assert_error(response, 404, "not_found")
        assert await snapshot(app) == before


REPLY_FIELDS = {"body": "A fine reply", "client_msg_id": "bad-input-1"}
BAD_BODIES = [
    ("body-number", {**REPLY_FIELDS, "body": 5}, "body"),
    ("body-null", {**REPLY_FIELDS, "body": None}, "body"),
    ("body-list", {**REPLY_FIELDS, "body": ["a"]}, "body"),
    ("body-missing", {"client_msg_id": "bad-input-1"}, "body"),
    ("body-empty", {**REPLY_FIELDS, "body": "   "}, "body"),
    ("body-too-long", {**REPLY_FIELDS, "body": "x" * 10_001}, "body"),
    ("body-nul", {**REPLY_FIELDS, "body": "a\x00b"}, "body"),
    ("client-id-number", {**REPLY_FIELDS, "client_msg_id": 7}, "client_msg_id"),
    ("client-id-missing", {"body": "hi"}, "client_msg_id"),
    ("client-id-spaces", {**REPLY_FIELDS, "client_msg_id": "has spaces"}, "client_msg_id"),
    ("reply-to-string", {**REPLY_FIELDS, "reply_to": "1"}, "reply_to"),
    ("reply-to-bool", {**REPLY_FIELDS, "reply_to": True}, "reply_to"),
    ("reply-to-float", {**REPLY_FIELDS, "reply_to": 1.0}, "reply_to"),
    ("reply-to-huge", {**REPLY_FIELDS, "reply_to": 10**20}, "reply_to"),
    ("reply-to-negative", {**REPLY_FIELDS, "reply_to": -1}, "reply_to"),
    ("reply-to-future", {**REPLY_FIELDS, "reply_to": 99}, "reply_to"),
    ("unknown-field", {**REPLY_FIELDS, "author_id": 1}, "author_id"),
]


@pytest.mark.parametrize(("case", "body", "field"), BAD_BODIES, ids=[case for case, _, _ in BAD_BODIES])
async def test_reply_with_bad_field_is_refused_naming_it(app: Any, world: World, threads: Threads, case: str, body: dict[str, object], field: str) -> None:
    async with api_client(app, world.student_a) as api:
        before = await snapshot(app)
        response = await api.send("POST", f"/api/forum/threads/{threads.consortium}/posts", body)
    assert_error(response, 400, "invalid", field)
    assert await snapshot(app) == before


RAW_BODIES = [
    ("malformed", b'{"body": "unterminated', 400, "invalid"),
    ("array", b'[{"body": "hi", "client_msg_id": "x"}]', 400, "invalid"),
    ("string", b'"hello"', 400, "invalid"),
    ("empty", b"", 400, "invalid"),
    ("nan", b'{"body": "hi", "client_msg_id": "x", "reply_to": NaN}', 400, "invalid"),
    ("deep", b"[" * 100_000 + b"]" * 100_000, 413, "too_large"),
    ("deep-small", b"[" * 20_000 + b"]" * 20_000, 400, "invalid"),
    ("invalid-utf8", b'{"body": "\xff\xfe", "client_msg_id": "x"}', 400, "invalid"),
    ("lone-surrogate", b'{"body": "a\\ud800b", "client_msg_id": "x"}', 400, "invalid"),
    ("over-api-cap", b'{"body": "' + b"x" * JSON_BODY_LIMIT + b'", "client_msg_id": "x"}', 413, "too_large"),
]


@pytest.mark.parametrize(("case", "raw", "status", "code"), RAW_BODIES, ids=[case for case, *_ in RAW_BODIES])
async def test_unreadable_body_is_refused(app: Any, world: World, threads: Threads, case: str, raw: bytes, status: int, code: str) -> None:
    async with api_client(app, world.student_a) as api:
        before = await snapshot(app)
        response = await api.http.post(
            f"/api/forum/threads/{threads.consortium}/posts", content=raw, headers={"X-CSRF-Token": api.token, "Content-Type": "application/json"}
        )
    assert_error(response, status, code)
    assert await snapshot(app) == before


async def test_body_over_the_server_cap_is_refused_as_json(app: Any, world: World, threads: Threads) -> None:
    """Bodies over ARTME_MAX_BODY_BYTES are stopped by the middleware, by Content-Length or
    while streaming; under /api the refusal is JSON too."""
    oversized = b'{"body": "' + b"x" * app.state.settings.max_body_bytes + b'"}'

    async def chunks():  # type: ignore[no-untyped-def]
        for start_at in range(0, len(oversized), 65536):
            yield oversized[start_at : start_at + 65536]

    async with api_client(app, world.student_a) as api:
        before = await snapshot(app)
        headers = {"X-CSRF-Token": api.token, "Content-Type": "application/json"}
        declared = await api.http.post(f"/api/forum/threads/{threads.consortium}/posts", content=oversized, headers=headers)
        streamed = await api.http.post(f"/api/forum/threads/{threads.consortium}/posts", content=chunks(), headers=headers)
    assert_error(declared, 413, "too_large")
    assert_error(streamed, 413, "too_large")
    assert await snapshot(app) == before


BAD_QUERIES = [
    ("/api/forum/threads", {"sort": "loudest"}, "sort"),
    ("/api/forum/threads", {"cursor": "not-a-cursor"}, "cursor"),
    ("/api/forum/threads", {"cursor": "2020-01-01T00:00:00~99999999999999999999"}, "cursor"),
    ("/api/forum/threads/{thread}", {"page": "abc"}, "page"),
    ("/api/forum/threads/{thread}", {"page": "0"}, "page"),
    ("/api/forum/threads/{thread}", {"page": "99999999999999999999"}, "page"),
    ("/api/forum/threads/{thread}", {"unread": "maybe"}, "unread"),
    ("/api/forum/threads/{thread}/posts", {"after_seq": "-1"}, "after_seq"),
    ("/api/forum/threads/{thread}/posts", {"after_seq": "1e3"}, "after_seq"),
]


@pytest.mark.parametrize(("path", "params", "field"), BAD_QUERIES, ids=[f"{p.rsplit('/', 1)[-1]}-{f}-{list(q.values())[0]}" for p, q, f in BAD_QUERIES])
async def test_bad_query_parameter_is_refused_naming_it(app: Any, world: World, threads: Threads, path: str, params: dict[str, str], field: str) -> None:
    async with api_client(app, world.student_a) as api:
        response = await api.get(path.format(thread=threads.consortium), **params)
    assert_error(response, 400, "invalid", field)


async def test_unknown_category_in_list_is_not_found(app: Any, world: World) -> None:
    async with api_client(app, world.student_a) as api:
        for ref in ("no-such-slug", str(MISSING), "-3"):
            assert_error(await api.get("/api/forum/threads", category=ref), 404, "not_found")


async def test_wrong_field_types_on_other_operations(app: Any, world: World, threads: Threads) -> None:
    cases = [
        ("PUT", f"/api/forum/threads/{threads.consortium}/lock", {"locked": "true"}, "locked"),
        ("PUT", f"/api/forum/threads/{threads.consortium}/pin", {"pinned": 1}, "pinned"),
        ("PUT", f"/api/forum/threads/{threads.consortium}/category", {"category": 1.5}, "category"),
        ("PUT", f"/api/forum/threads/{threads.consortium}/read", {"seq": "3"}, "seq"),
        ("POST", f"/api/forum/threads/{threads.consortium}/posts/1/reactions", {"emoji": "heart", "on": "yes"}, "on"),
        ("POST", "/api/forum/threads", {"category": ["introductions"], "where": "consortium", "title": "T", "body": "b", "client_msg_id": "c"}, "category"),
        ("POST", "/api/forum/threads", {"category": "introductions", "where": "consortium", "title": "\x00", "body": "b", "client_msg_id": "c"}, "title"),
        ("POST", "/api/forum/threads", {"category": "introductions", "where": "consortium", "title": "", "body": "b", "client_msg_id": "c"}, "title"),
        ("POST", "/api/forum/categories", {**CATEGORY, "position": "5"}, "position"),
        ("POST", "/api/forum/preview", {"body": {"nested": True}}, "body"),
    ]
    async with api_client(app, world.admin) as api:
        before = await snapshot(app)
        for method, path, body, field in cases:
            assert_error(await api.send(method, path, body), 400, "invalid", field)
    assert await snapshot(app) == before


async def test_unknown_endpoint_and_method_answer_json(app: Any, world: World, threads: Threads) -> None:
    async with api_client(app, world.student_a) as api:
        unknown = await api.get("/api/forum/nothing-here")
        wrong_method = await api.send("DELETE", "/api/forum/threads")
        root = await api.get("/api/")
    assert_error(unknown, 404, "not_found")
    assert_error(wrong_method, 405, "method_not_allowed")
    assert "POST" in wrong_method.headers["allow"]
    assert_error(root, 404, "not_found")


# --- the posting budget -----------------------------------------------------------------------------------------


async def test_posting_too_fast_is_refused_with_429(settings: Settings, world: World, clock: MutableClock) -> None:
    """Replies through the API spend the same per-person budget as WebSocket sends; over it,
    429 with Retry-After, and the refused reply is not stored."""
    slow = create_app(replace(settings, message_rate=1), clock=clock, rate_limiter=RateLimiter(MemoryStorage(), prefix="slow"))
    try:
        thread = await start(slow, world.student_a, where="consortium")
        async with api_client(slow, world.student_a) as api:
            responses = [await api.send("POST", f"/api/forum/threads/{thread}/posts", {"body": f"fast {n}", "client_msg_id": f"fast-{n}"}) for n in range(6)]
        refused = [r for r in responses if r.status_code == 429]
        assert refused, [r.status_code for r in responses]
        assert_error(refused[0], 429, "rate_limited")
        assert int(refused[0].headers["retry-after"]) >= 1
        accepted = [r for r in responses if r.status_code == 201]
        assert len(accepted) + len(refused) == 6
        assert await count(slow, Message) == 1 + len(accepted)
    finally:
        await slow.state.engine.dispose()
