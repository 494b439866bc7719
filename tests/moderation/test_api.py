"""The moderation queue through the JSON API (/api/moderation): flag to queue to hide, unhide,
warn and dismiss; the queue shows each moderator only what they may moderate and never who
flagged; outsiders get 404 exactly like a missing object (SEC-A2), readers who do not
moderate 403, and neither changes anything (SEC-A4); bad input is 400 JSON naming the field.
Responses are checked against the schemas of /api/openapi.json."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from artme_cop.conversations import service as conversations
from artme_cop.conversations.models import Message
from artme_cop.identity.models import Person
from artme_cop.moderation import flags
from artme_cop.moderation.models import AuditEntry, Flag, ModerationWarning
from tests.factories import World
from tests.forum.api_support import api_client, assert_error, assert_schema, served_document
from tests.moderation.conftest import Extras, UowFactory, actor_of, post
from tests.realtime.conftest import Spaces
from tests.support import snapshot

MISSING = 987654


@pytest.fixture
async def spec(app: Any) -> dict[str, Any]:
    return await served_document(app)


async def flag_as(units: UowFactory, person: Person, conversation_id: int, seq: int, reason: str = "harmful") -> int:
    async with units() as uow:
        flagged = await flags.flag_message(uow, await actor_of(units, person), conversation_id, seq, reason=reason, note="")
    return flagged.flag.id


async def rows(app: Any, model: type) -> list[Any]:
    async with app.state.uow(read_only=True) as uow:
        return list((await uow.session.execute(select(model))).scalars())


# --- the queue: only what one may moderate ------------------------------------------------------


@pytest.fixture
async def flagged(units: UowFactory, world: World, spaces: Spaces, extras: Extras) -> dict[str, int]:
    """A flagged message in A1, A2, B1 and the consortium (the last one written by facilitator_a);
    by space, the conversation id."""
    await flag_as(units, world.student_a, spaces.cohort_a1, await post(units, world.faculty_a, spaces.cohort_a1, "queue words in A1"))
    await flag_as(units, extras.facilitator_a2, spaces.cohort_a2, await post(units, world.participant_a2, spaces.cohort_a2, "queue words in A2"))
    await flag_as(units, world.lead_b, spaces.cohort_b1, await post(units, world.participant_b, spaces.cohort_b1, "queue words in B1"))
    await flag_as(units, world.student_a, spaces.consortium, await post(units, world.facilitator_a, spaces.consortium, "queue words of a facilitator"))
    return {"a1": spaces.cohort_a1, "a2": spaces.cohort_a2, "b1": spaces.cohort_b1, "consortium": spaces.consortium}


# (moderator, the spaces of the queue items they see): cohorts their facilitators and coaches,
# the consortium every facilitator, coach and admin; never one's own message; power is not
# reading (the admin does not moderate A1, which they cannot read).
QUEUES = [
    ("facilitator_a", {"a1"}),
    ("coach", {"a1", "consortium"}),
    ("facilitator_a2", {"a2", "consortium"}),
    ("facilitator_b1", {"b1", "consortium"}),
    ("admin", {"consortium"}),
    ("lead_a", set()),
    ("lead_b", set()),
]


@pytest.mark.parametrize(("persona", "visible"), QUEUES, ids=[persona for persona, _ in QUEUES])
async def test_queue_shows_only_what_the_moderator_may_moderate(
    app: Any, world: World, extras: Extras, flagged: dict[str, int], spec: dict[str, Any], persona: str, visible: set[str]
) -> None:
    person = getattr(extras, persona, None) or getattr(world, persona)
    async with api_client(app, person) as api:
        response = await api.get("/api/moderation/queue")
    assert response.status_code == 200, response.text
    assert_schema(spec, "Queue", response.json())
    items = response.json()["items"]
    assert {item["conversation"]["id"] for item in items} == {flagged[space] for space in visible}
    for name in (world.student_a.display_name, extras.facilitator_a2.display_name, world.lead_b.display_name):
        assert name not in response.text  # flaggers stay anonymous


async def test_queue_refused_to_people_who_moderate_nothing(app: Any, world: World, flagged: dict[str, int]) -> None:
    for person in (world.student_a, world.coalition_a):
        async with api_client(app, person) as api:
            assert_error(await api.get("/api/moderation/queue"), 403, "forbidden")


async def test_queue_pages_by_before(app: Any, units: UowFactory, world: World, spaces: Spaces) -> None:
    for number in range(flags.QUEUE_PAGE + 2):
        await flag_as(units, world.student_a, spaces.cohort_a1, await post(units, world.faculty_a, spaces.cohort_a1, f"words {number}"))
    async with api_client(app, world.facilitator_a) as api:
        first = (await api.get("/api/moderation/queue")).json()
        second = (await api.get("/api/moderation/queue", before=first["next_before"])).json()
    assert len(first["items"]) == flags.QUEUE_PAGE and len(second["items"]) == 2
    assert second["next_before"] is None
    seqs = [item["seq"] for item in first["items"] + second["items"]]
    assert seqs == list(range(flags.QUEUE_PAGE + 2, 0, -1))


# --- flag to queue to hide, unhide, warn, dismiss ----------------------------------------------------


async def test_flag_to_queue_to_hide_and_back(app: Any, units: UowFactory, world: World, spaces: Spaces, spec: dict[str, Any]) -> None:
    seq = await post(units, world.faculty_a, spaces.cohort_a1, "words to **review**")
    async with api_client(app, world.student_a) as student, api_client(app, world.facilitator_a) as moderator:
        flagged = await student.send("POST", "/api/moderation/flags", {"conversation": spaces.cohort_a1, "seq": seq, "reason": "other", "note": "It stung."})
        assert flagged.status_code == 201, flagged.text
        assert_schema(spec, "Flagged", flagged.json())
        assert flagged.json() | {"id": 0, "created_at": ""} == {
            "id": 0, "conversation": spaces.cohort_a1, "seq": seq, "reason": "other", "status": "open", "created_at": "", "created": True,
        }
        before = await snapshot(app)
        again = await student.send("POST", "/api/moderation/flags", {"conversation": spaces.cohort_a1, "seq": seq, "reason": "spam"})
        assert again.status_code == 201 and again.json()["created"] is False and again.json()["id"] == flagged.json()["id"]
        assert await snapshot(app) == before

        [item] = (await moderator.get("/api/moderation/queue")).json()["items"]
        assert (item["flag_id"], item["seq"], item["flag_count"], item["notes"]) == (flagged.json()["id"], seq, 1, ["It stung."])
        assert item["reasons"] == [{"reason": "other", "label": "Something else", "count": 1}]
        assert "<strong>review</strong>" in item["html"] and item["author"]["id"] == world.faculty_a.id

        hidden = await moderator.send("POST", f"/api/moderation/messages/{spaces.cohort_a1}/{seq}/hide", {"reason": "hurtful"})
        assert hidden.status_code == 200
        assert_schema(spec, "HiddenState", hidden.json())
        assert hidden.json() == {"conversation": spaces.cohort_a1, "seq": seq, "hidden": True, "hide_reason": "hurtful"}
        assert (await moderator.get("/api/moderation/queue")).json()["items"] == []
        [resolved] = (await moderator.get("/api/moderation/queue", status="resolved")).json()["items"]
        assert resolved["hidden"] is True and resolved["resolution"]["status"] == "actioned"
        assert resolved["resolution"]["by"] == world.facilitator_a.display_name
        assert_error(await moderator.send("POST", f"/api/moderation/messages/{spaces.cohort_a1}/{seq}/hide", {"reason": "again"}), 409, "conflict")
        assert_error(await student.send("POST", "/api/moderation/flags", {"conversation": spaces.cohort_a1, "seq": seq, "reason": "spam"}), 409, "conflict")

        shown = await moderator.send("POST", f"/api/moderation/messages/{spaces.cohort_a1}/{seq}/unhide", {"note": "on reflection"})
        assert shown.json() == {"conversation": spaces.cohort_a1, "seq": seq, "hidden": False, "hide_reason": ""}
        assert_error(await moderator.send("POST", f"/api/moderation/messages/{spaces.cohort_a1}/{seq}/unhide", {}), 409, "conflict")
    assert [m.hidden_at for m in await rows(app, Message)] == [None]
    assert [entry.action for entry in await rows(app, AuditEntry)] == ["message_hidden", "message_unhidden"]


async def test_warning_reaches_the_author_only(app: Any, units: UowFactory, world: World, spaces: Spaces, spec: dict[str, Any]) -> None:
    seq = await post(units, world.faculty_a, spaces.cohort_a1, "sharp words")
    await flag_as(units, world.student_a, spaces.cohort_a1, seq)
    async with api_client(app, world.coach) as coach, api_client(app, world.faculty_a) as author, api_client(app, world.student_a) as other:
        warned = await coach.send("POST", f"/api/moderation/messages/{spaces.cohort_a1}/{seq}/warn", {"text": "Please mind the agreements."})
        assert warned.status_code == 201, warned.text
        assert_schema(spec, "WarningSent", warned.json())
        mine = await author.get("/api/moderation/warnings")
        theirs = await other.get("/api/moderation/warnings")
        notified = await author.get("/api/notifications")
    assert_schema(spec, "WarningList", mine.json())
    [warning] = mine.json()["warnings"]
    assert (warning["id"], warning["text"], warning["seq"]) == (warned.json()["id"], "Please mind the agreements.", seq)
    assert warning["link"] == flags.message_link(spaces.cohort_a1, seq)
    assert world.coach.display_name not in mine.text  # from "the moderators"
    assert theirs.json() == {"warnings": [], "next_before": None}
    assert [n["kind"] for n in notified.json()["notifications"]] == ["warning"]
    assert [f.status for f in await rows(app, Flag)] == ["actioned"]


async def test_dismiss_closes_the_open_flags(app: Any, units: UowFactory, world: World, spaces: Spaces, spec: dict[str, Any]) -> None:
    seq = await post(units, world.faculty_a, spaces.cohort_a1, "fine words")
    await flag_as(units, world.student_a, spaces.cohort_a1, seq)
    flag_id = await flag_as(units, world.coalition_a, spaces.cohort_a1, seq, reason="spam")
    async with api_client(app, world.facilitator_a) as api:
        dismissed = await api.send("POST", f"/api/moderation/flags/{flag_id}/dismiss", {"note": "fine"})
        again = await api.send("POST", f"/api/moderation/flags/{flag_id}/dismiss", {})
    assert dismissed.status_code == 200 and dismissed.json() == {"dismissed": 2}
    assert_schema(spec, "Dismissed", dismissed.json())
    assert_error(again, 409, "conflict")
    assert [f.status for f in await rows(app, Flag)] == ["dismissed", "dismissed"]


async def test_edit_history_for_moderators_only(app: Any, units: UowFactory, world: World, spaces: Spaces, spec: dict[str, Any]) -> None:
    seq = await post(units, world.faculty_a, spaces.cohort_a1, "before the edit")
    async with units() as uow:
        await conversations.edit_message(uow, await actor_of(units, world.faculty_a), spaces.cohort_a1, seq, body="after the edit")
    path = f"/api/moderation/messages/{spaces.cohort_a1}/{seq}/history"
    async with api_client(app, world.facilitator_a) as moderator:
        history = await moderator.get(path)
    assert history.status_code == 200, history.text
    assert_schema(spec, "MessageHistory", history.json())
    assert history.json()["current"]["body"] == "after the edit"
    assert [version["body"] for version in history.json()["earlier"]] == ["before the edit"]
    assert [entry.action for entry in await rows(app, AuditEntry)] == ["message_history_read"]
    for person, status, code in ((world.student_a, 403, "forbidden"), (world.faculty_a, 403, "forbidden"), (world.lead_b, 404, "not_found"), (world.admin, 404, "not_found")):
        async with api_client(app, person) as api:
            before = await snapshot(app)
            assert_error(await api.get(path), status, code)
            assert await snapshot(app) == before


# --- outsiders, readers, bad input -----------------------------------------------------------------


def _actions(conversation: int, seq: int) -> list[tuple[str, str, dict[str, object] | None]]:
    return [
        ("POST", "/api/moderation/flags", {"conversation": conversation, "seq": seq, "reason": "harmful"}),
        ("POST", f"/api/moderation/messages/{conversation}/{seq}/hide", {"reason": "harmful"}),
        ("POST", f"/api/moderation/messages/{conversation}/{seq}/unhide", {}),
        ("POST", f"/api/moderation/messages/{conversation}/{seq}/warn", {"text": "Mind the agreements."}),
        ("GET", f"/api/moderation/messages/{conversation}/{seq}/history", None),
    ]


@pytest.mark.parametrize("persona", ["lead_b", "admin", "participant_a2"])
async def test_outsider_gets_404_like_a_missing_conversation(app: Any, units: UowFactory, world: World, spaces: Spaces, persona: str) -> None:
    """SEC-A2/SEC-A4: people who cannot read A1 get, for every action on its message and on
    its flag, the bytes a missing id gets, and nothing changes."""
    seq = await post(units, world.faculty_a, spaces.cohort_a1, "words in a hidden space")
    flag_id = await flag_as(units, world.student_a, spaces.cohort_a1, seq)
    async with api_client(app, getattr(world, persona)) as api:
        before = await snapshot(app)
        for (method, path, body), (_, missing_path, missing_body) in zip(_actions(spaces.cohort_a1, seq), _actions(MISSING, seq), strict=True):
            hidden = await api.get(path) if method == "GET" else await api.send(method, path, body)
            missing = await api.get(missing_path) if method == "GET" else await api.send(method, missing_path, missing_body)
            assert_error(hidden, 404, "not_found")
            assert hidden.content == missing.content, path
        dismiss = await api.send("POST", f"/api/moderation/flags/{flag_id}/dismiss", {})
        dismiss_missing = await api.send("POST", f"/api/moderation/flags/{MISSING}/dismiss", {})
        assert_error(dismiss, 404, "not_found")
        assert dismiss.content == dismiss_missing.content
        assert await snapshot(app) == before


async def test_reader_who_does_not_moderate_is_refused(app: Any, units: UowFactory, world: World, spaces: Spaces) -> None:
    seq = await post(units, world.faculty_a, spaces.cohort_a1, "words")
    flag_id = await flag_as(units, world.student_a, spaces.cohort_a1, seq)
    async with api_client(app, world.coalition_a) as api:
        before = await snapshot(app)
        for method, path, body in _actions(spaces.cohort_a1, seq)[1:]:
            response = await api.get(path) if method == "GET" else await api.send(method, path, body)
            assert_error(response, 403, "forbidden")
        # a flag one may not review looks like a missing one, also to readers (flag ids cannot be probed)
        assert_error(await api.send("POST", f"/api/moderation/flags/{flag_id}/dismiss", {}), 404, "not_found")
        assert await snapshot(app) == before


async def test_moderator_cannot_review_their_own_message(app: Any, units: UowFactory, world: World, spaces: Spaces) -> None:
    seq = await post(units, world.facilitator_a, spaces.cohort_a1, "my own words")
    await flag_as(units, world.student_a, spaces.cohort_a1, seq)
    async with api_client(app, world.facilitator_a) as api:
        before = await snapshot(app)
        own_flag = await api.send("POST", "/api/moderation/flags", {"conversation": spaces.cohort_a1, "seq": seq, "reason": "spam"})
        hide = await api.send("POST", f"/api/moderation/messages/{spaces.cohort_a1}/{seq}/hide", {"reason": "mine"})
        queue = await api.get("/api/moderation/queue")
        assert await snapshot(app) == before
    assert_error(own_flag, 400, "invalid", "seq")
    assert_error(hide, 403, "forbidden")
    assert queue.json()["items"] == []


BAD_FLAGS = [
    ("reason-unknown", {"reason": "rude"}, 400, "reason"),
    ("reason-missing", {"reason": None}, 400, "reason"),
    ("reason-number", {"reason": 3}, 400, "reason"),
    ("note-too-long", {"note": "x" * (flags.NOTE_MAX + 1)}, 400, "note"),
    ("note-needed-for-other", {"reason": "other"}, 400, "note"),
    ("note-control", {"note": "a\x07b"}, 400, "note"),
    ("conversation-string", {"conversation": "1"}, 400, "conversation"),
    ("seq-string", {"seq": "1"}, 400, "seq"),
    ("seq-zero", {"seq": 0}, 400, "seq"),
    ("seq-huge", {"seq": 2**31}, 400, "seq"),
    ("seq-float", {"seq": 1.0}, 400, "seq"),
    ("unknown-field", {"flagger": 1}, 400, "flagger"),
    ("seq-missing-message", {"seq": 99}, 404, None),
    ("conversation-missing", {"conversation": MISSING}, 404, None),
]


@pytest.mark.parametrize(("case", "change", "status", "field"), BAD_FLAGS, ids=[case for case, *_ in BAD_FLAGS])
async def test_bad_flag_is_refused_and_changes_nothing(app: Any, units: UowFactory, world: World, spaces: Spaces, case: str, change: dict[str, object], status: int, field: str | None) -> None:
    seq = await post(units, world.faculty_a, spaces.cohort_a1, "words")
    body = {"conversation": spaces.cohort_a1, "seq": seq, "reason": "harmful", **change}
    body = {key: value for key, value in body.items() if value is not None}
    async with api_client(app, world.student_a) as api:
        before = await snapshot(app)
        response = await api.send("POST", "/api/moderation/flags", body)
        assert await snapshot(app) == before
    assert_error(response, status, "invalid" if status == 400 else "not_found", field)


async def test_bad_review_input_is_refused_and_changes_nothing(app: Any, units: UowFactory, world: World, spaces: Spaces) -> None:
    seq = await post(units, world.faculty_a, spaces.cohort_a1, "steady words")
    flag_id = await flag_as(units, world.student_a, spaces.cohort_a1, seq)
    message = f"/api/moderation/messages/{spaces.cohort_a1}/{seq}"
    cases: list[tuple[str, dict[str, object], int, str, str | None]] = [
        (f"{message}/hide", {"reason": ""}, 400, "invalid", "reason"),
        (f"{message}/hide", {}, 400, "invalid", "reason"),
        (f"{message}/hide", {"reason": "x" * (flags.REASON_MAX + 1)}, 400, "invalid", "reason"),
        (f"{message}/warn", {"text": "x" * (flags.WARNING_MAX + 1)}, 400, "invalid", "text"),
        (f"{message}/warn", {"text": 5}, 400, "invalid", "text"),
        (f"{message}/unhide", {"note": ["x"]}, 400, "invalid", "note"),
        (f"/api/moderation/flags/{flag_id}/dismiss", {"note": "x" * (flags.REASON_MAX + 1)}, 400, "invalid", "note"),
        # a malformed seq in a conversation one reads is bad input; a malformed conversation or flag id is missing
        (f"/api/moderation/messages/{spaces.cohort_a1}/abc/hide", {"reason": "x"}, 400, "invalid", "seq"),
        (f"/api/moderation/messages/{spaces.cohort_a1}/{seq + 5}/hide", {"reason": "x"}, 404, "not_found", None),
        (f"/api/moderation/messages/abc/{seq}/warn", {"text": "x"}, 404, "not_found", None),
        ("/api/moderation/flags/abc/dismiss", {}, 404, "not_found", None),
        ("/api/moderation/flags/99999999999/dismiss", {}, 404, "not_found", None),
    ]
    async with api_client(app, world.coach) as api:
        before = await snapshot(app)
        for path, body, status, code, field in cases:
            assert_error(await api.send("POST", path, body), status, code, field)
        for params, field in (({"status": "everything"}, "status"), ({"before": "abc"}, "before"), ({"before": "0"}, "before")):
            assert_error(await api.get("/api/moderation/queue", **params), 400, "invalid", field)
        assert_error(await api.get("/api/moderation/warnings", before="-1"), 400, "invalid", "before")
        assert await snapshot(app) == before


async def test_every_operation_needs_a_session(app: Any, units: UowFactory, world: World, spaces: Spaces) -> None:
    seq = await post(units, world.faculty_a, spaces.cohort_a1, "words")
    flag_id = await flag_as(units, world.student_a, spaces.cohort_a1, seq)
    async with api_client(app, None) as anonymous:
        before = await snapshot(app)
        responses = [await anonymous.get("/api/moderation/queue"), await anonymous.get("/api/moderation/warnings")]
        responses.append(await anonymous.send("POST", f"/api/moderation/flags/{flag_id}/dismiss", {}))
        for method, path, body in _actions(spaces.cohort_a1, seq):
            responses.append(await anonymous.get(path) if method == "GET" else await anonymous.send(method, path, body))
        assert await snapshot(app) == before
    for response in responses:
        assert_error(response, 401, "sign_in_required")


async def test_writes_need_the_csrf_token(app: Any, units: UowFactory, world: World, spaces: Spaces) -> None:
    seq = await post(units, world.faculty_a, spaces.cohort_a1, "words")
    flag_id = await flag_as(units, world.student_a, spaces.cohort_a1, seq)
    async with api_client(app, world.coach) as api:
        before = await snapshot(app)
        responses = [await api.http.post(f"/api/moderation/flags/{flag_id}/dismiss", json={})]
        for method, path, body in _actions(spaces.cohort_a1, seq)[:4]:
            responses.append(await api.http.request(method, path, json=body, headers={"X-CSRF-Token": "not-the-token"}))
        assert await snapshot(app) == before
    for response in responses:
        assert_error(response, 403, "csrf_failed")
    assert await rows(app, ModerationWarning) == []
