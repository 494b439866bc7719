"""SEC-B5: the text of a deleted or hidden message is kept for the moderators for
`ARTME_REMOVED_RETENTION_DAYS`, then purged: the body and HTML are blank, the edit history,
the mentions and the notifications that may quote it are gone, its files leave the disk and
the uploader's quota; the marks and the audit log stay, and the log never held the text. A
message with an open flag waits; a hidden message whose text is purged cannot be shown again.
Reported dialogue messages (held by the dialogue) are in tests/dialogue/test_safety_and_purge.py.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, select

from artme_cop.attachments import service as attachments
from artme_cop.attachments.models import Attachment
from artme_cop.conversations import service as conversations
from artme_cop.conversations.models import Mention, Message, MessageEdit
from artme_cop.forum import service as forum
from artme_cop.labs import service as labs
from artme_cop.labs.models import LabChannel
from artme_cop.moderation import flags, retention
from artme_cop.moderation.models import AuditEntry
from artme_cop.notifications.models import Notification
from tests.factories import World
from tests.forum.api_support import api_client, assert_error, assert_schema, served_document
from tests.forum.conftest import reply, start
from tests.moderation.conftest import UowFactory, actor_of
from tests.samples import PNG
from tests.support import MutableClock, csrf_from, sign_in, snapshot, soup, text_of

RETENTION = 30


async def purge(units: UowFactory) -> int:
    return await retention.run_purge(units, keep_days=RETENTION)


async def message(units: UowFactory, conversation_id: int, seq: int) -> Message:
    async with units() as uow:
        found = (await uow.session.execute(select(Message).where(Message.conversation_id == conversation_id, Message.seq == seq))).scalar_one()
    return found


async def count(units: UowFactory, statement: Any) -> int:
    async with units() as uow:
        return int((await uow.session.execute(statement)).scalar_one())


async def test_removed_text_is_purged_after_the_retention_and_live_text_stays(app: Any, units: UowFactory, world: World, clock: MutableClock) -> None:
    thread_id = await start(app, world.faculty_a, where=f"cohort:{world.cohort_a1.id}", title="Placements", body="What did your placement teach you?")
    student = await actor_of(units, world.student_a)
    mention = f"@**{world.lead_a.display_name}|{world.lead_a.id}**"
    hidden = await reply(app, world.student_a, thread_id, f"canary-hidden first draft {mention}")
    deleted = await reply(app, world.student_a, thread_id, "canary-deleted words")
    waiting = await reply(app, world.student_a, thread_id, "canary-waiting words")
    live = await reply(app, world.student_a, thread_id, "canary-live words")
    async with units() as uow:
        thread, conversation = await forum.access_thread(uow, student, thread_id)
    cid = conversation.id
    async with units() as uow:
        await conversations.edit_message(uow, student, cid, hidden, body=f"canary-hidden second version {mention}")
    async with units() as uow:
        await flags.flag_message(uow, await actor_of(units, world.faculty_a), cid, hidden, reason="harmful", note="")
    async with units() as uow:  # which resolves the flag
        await flags.hide_message(uow, await actor_of(units, world.coach), cid, hidden, reason="Names a patient")
    async with units() as uow:
        await conversations.delete_message(uow, student, cid, deleted)
    async with units() as uow:  # flagged, then deleted by its author: a moderator has still to look
        await flags.flag_message(uow, await actor_of(units, world.faculty_a), cid, waiting, reason="harmful", note="please look")
    async with units() as uow:
        await conversations.delete_message(uow, student, cid, waiting)
    about_hidden = select(func.count()).select_from(Notification).where(Notification.conversation_id == cid, Notification.seq == hidden)
    assert await count(units, about_hidden) == 2  # the thread's author (a reply) and the lead (a mention)

    # Within the retention the moderators still read everything.
    clock.advance(days=RETENTION - 1)
    assert await purge(units) == 0
    async with api_client(app, world.coach) as coach:
        history = await coach.get(f"/api/moderation/messages/{cid}/{hidden}/history")
    assert [v["body"] for v in history.json()["earlier"]] == [f"canary-hidden first draft {mention}"]
    assert history.json()["purged_at"] is None

    clock.advance(days=1, seconds=1)
    assert await purge(units) == 2
    for seq in (hidden, deleted):
        purged = await message(units, cid, seq)
        assert (purged.body, purged.html, purged.purged_at) == ("", "", clock.now())
        assert purged.hidden_at is not None or purged.deleted_at is not None  # the marks stay
    assert (await message(units, cid, hidden)).hide_reason == "Names a patient"
    assert (await message(units, cid, waiting)).body == "canary-waiting words"
    assert (await message(units, cid, live)).body == "canary-live words"
    hidden_id = (await message(units, cid, hidden)).id
    assert await count(units, select(func.count()).select_from(MessageEdit).where(MessageEdit.message_id == hidden_id)) == 0
    assert await count(units, select(func.count()).select_from(Mention).where(Mention.message_id == hidden_id)) == 0
    assert await count(units, about_hidden) == 0
    assert await purge(units) == 0  # safe to run again

    # The moderators see that the text is gone, and cannot show the message again.
    spec = await served_document(app)
    async with api_client(app, world.coach) as coach:
        history = await coach.get(f"/api/moderation/messages/{cid}/{hidden}/history")
        assert_schema(spec, "MessageHistory", history.json())
        assert history.json()["current"]["body"] == "" and history.json()["earlier"] == []
        assert history.json()["purged_at"] == clock.now().isoformat()
        [item] = (await coach.get("/api/moderation/queue", status="resolved")).json()["items"]
        assert item["seq"] == hidden and item["purged_at"] == clock.now().isoformat() and item["html"] == ""
        before = await snapshot(app)
        assert_error(await coach.send("POST", f"/api/moderation/messages/{cid}/{hidden}/unhide", {}), 409, "conflict")
        assert await snapshot(app) == before
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as browser:
        await sign_in(browser, world.coach.email)
        queue = await browser.get("/moderation/queue?status=resolved")
        assert "purged on" in text_of(queue) and "canary" not in queue.text
        assert soup(queue).find("form", attrs={"action": f"/moderation/messages/{cid}/{hidden}/unhide"}) is None
        page = await browser.get(f"/moderation/messages/{cid}/{hidden}/history")
        assert "were purged on" in text_of(page) and "canary" not in page.text
        thread_page = await browser.get(f"/forum/threads/{thread_id}")
        assert "canary-live words" in thread_page.text and "canary-hidden" not in thread_page.text

    # The audit log says what was purged, never the text.
    async with units() as uow:
        entries = list((await uow.session.execute(select(AuditEntry).where(AuditEntry.action == "removed_messages_purged"))).scalars())
    assert [(e.actor_id, e.institution_id, json.loads(e.detail)) for e in entries] == [(None, world.institution_a.id, {"messages": 2})]

    # Once its flag is dealt with, the waiting message goes at the next run.
    [open_item] = (await _queue(app, world.coach))
    async with units() as uow:
        await flags.dismiss_flags(uow, await actor_of(units, world.coach), open_item["flag_id"])
    assert await purge(units) == 1
    assert (await message(units, cid, waiting)).body == ""


async def _queue(app: Any, person: Any) -> list[dict[str, Any]]:
    async with api_client(app, person) as moderator:
        return (await moderator.get("/api/moderation/queue")).json()["items"]  # type: ignore[no-any-return]


async def test_a_deleted_messages_file_leaves_the_disk_and_the_quota(app: Any, units: UowFactory, world: World, clock: MutableClock) -> None:
    async with units() as uow:
        lead = await actor_of(units, world.lead_a)
        roster = labs.Roster(frozenset({world.student_a.id, world.faculty_a.id}), frozenset({world.faculty_a.id}), world.facilitator_a.id)
        team = await labs.register_team(uow, lead, institution_id=world.institution_a.id, name="Alder ED", unit="Emergency medicine", purpose="", roster=roster)
        channel = (await uow.session.execute(select(LabChannel).where(LabChannel.team_id == team.id))).scalar_one()
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as browser:
        await sign_in(browser, world.student_a.email)
        for index, name in enumerate(("kept.png", "gone.png")):
            token = csrf_from(await browser.get(f"/labs/channels/{channel.id}"))
            sent = await browser.post(
                f"/labs/channels/{channel.id}/messages", data={"body": f"canary-file {index}", "client_msg_id": f"f{index}", "csrf_token": token},
                files={"file": (name, PNG, "image/png")},
            )
            assert sent.status_code == 303, sent.text
        token = csrf_from(await browser.get(f"/labs/channels/{channel.id}"))
        assert (await browser.post(f"/labs/channels/{channel.id}/messages/2/delete", data={"csrf_token": token})).status_code == 303
    async with units() as uow:
        files = {a.filename: a for a in (await uow.session.execute(select(Attachment))).scalars()}
        paths = {name: attachments.stored_path(uow, a) for name, a in files.items()}
        assert await attachments.stored_bytes(uow, world.student_a.id) == 2 * len(PNG)
    assert all(isinstance(path, Path) and path.is_file() for path in paths.values())  # kept for the moderators

    clock.advance(days=RETENTION, seconds=1)
    assert await purge(units) == 1
    assert paths["kept.png"].is_file() and not paths["gone.png"].exists()  # type: ignore[union-attr]
    async with units() as uow:
        assert [a.filename for a in (await uow.session.execute(select(Attachment))).scalars()] == ["kept.png"]
        assert await attachments.stored_bytes(uow, world.student_a.id) == len(PNG)
    assert (await message(units, channel.conversation_id, 2)).body == ""
    assert (await message(units, channel.conversation_id, 1)).body.startswith("canary-file 0")
