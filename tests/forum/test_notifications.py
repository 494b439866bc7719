"""Forum notifications (issue #4 item 7): mentions, replies to one's posts and new posts in
watched threads, on the notifications page, in the unread count and by email; muting
silences all but mentions; and nobody is ever told about a thread they may not see
(SEC-A3): not a mention from a cohort they are not in, not a watched thread that left their
scope, not by email."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import select

from artme_cop.forum import service as forum
from artme_cop.notifications.models import Notification
from tests.conftest import make_client
from tests.factories import World
from tests.forum.conftest import Threads, actor_of, reply
from tests.support import RecordingMailer, sign_in, soup


async def _notifications(app: Any, person_id: int) -> list[tuple[str, int | None, str]]:
    async with app.state.uow(read_only=True) as uow:
        rows = (await uow.session.execute(select(Notification).where(Notification.recipient_id == person_id).order_by(Notification.id))).scalars()
        return [(row.kind, row.seq, row.summary) for row in rows]


async def test_a_reply_notifies_the_author_of_the_post_it_answers(app: Any, world: World, threads: Threads) -> None:
    await reply(app, world.faculty_a, threads.consortium, "a first answer")
    await reply(app, world.participant_b, threads.consortium, "answering Fran", reply_to=2)
    kinds = await _notifications(app, world.faculty_a.id)
    assert ("reply", 3, "Blair Participant replied to your post in “Open to all schools”") in kinds
    # The thread's author watches it (writing watches) and hears of both posts.
    assert [(kind, seq) for kind, seq, _ in await _notifications(app, world.student_a.id)] == [("reply", 2), ("watched_post", 3)]
    async with make_client(app) as client:
        await sign_in(client, world.faculty_a.email)
        assert (await client.get("/notifications/unread")).json() == {"unread": 1}
        page = soup(await client.get("/notifications/"))
        link = page.find("a", string=lambda text: text and "replied to your post" in text) or page.find("a", href=f"/forum/threads/{threads.consortium}?post=3#p3")
        assert link is not None


async def test_a_mention_is_the_strongest_reason_and_is_sent_only_to_readers(app: Any, world: World, threads: Threads) -> None:
    body = f"@**Sam Student|{world.student_a.id}** and @**Blair Participant|{world.participant_b.id}**, see this"
    await reply(app, world.faculty_a, threads.cohort_a1, body)
    assert [(kind, seq) for kind, seq, _ in await _notifications(app, world.student_a.id)] == [("mention", 2)]
    assert await _notifications(app, world.participant_b.id) == []


async def test_muting_silences_replies_and_watched_posts_but_not_mentions(app: Any, world: World, threads: Threads) -> None:
    async with app.state.uow() as uow:
        await forum.set_watch(uow, await actor_of(uow, world.student_a), threads.consortium, "muted")
    await reply(app, world.faculty_a, threads.consortium, "a reply to the thread")
    assert await _notifications(app, world.student_a.id) == []
    await reply(app, world.faculty_a, threads.consortium, f"but @**Sam Student|{world.student_a.id}** should hear this")
    assert [kind for kind, _, _ in await _notifications(app, world.student_a.id)] == ["mention"]


async def test_a_watcher_outside_the_scope_hears_nothing(app: Any, world: World, threads: Threads) -> None:
    """A participant of cohort A2 watches a school-wide thread; once it belongs to cohort A1
    only, new posts there are not announced to them, in the page or by email."""
    from artme_cop.conversations.models import Conversation
    from artme_cop.forum.models import Thread

    async with app.state.uow() as uow:
        await forum.set_watch(uow, await actor_of(uow, world.participant_a2), threads.institution_a, "watching")
    await reply(app, world.student_a, threads.institution_a, "visible to the school")
    assert [kind for kind, _, _ in await _notifications(app, world.participant_a2.id)] == ["watched_post"]
    async with app.state.uow() as uow:
        thread = await uow.session.get(Thread, threads.institution_a)
        conversation = await uow.session.get(Conversation, thread.conversation_id)  # type: ignore[union-attr]
        conversation.scope, conversation.cohort_id = "cohort", world.cohort_a1.id  # type: ignore[union-attr]
    await reply(app, world.student_a, threads.institution_a, "now cohort only")
    assert [seq for _, seq, _ in await _notifications(app, world.participant_a2.id)] == [2]
    async with make_client(app) as client:
        await sign_in(client, world.participant_a2.email)
        assert (await client.get("/notifications/unread")).json() == {"unread": 0}  # the earlier one is no longer visible either
        assert "visible to the school" not in (await client.get("/notifications/")).text


async def test_immediate_email_for_a_reply(app: Any, world: World, threads: Threads, mailer: RecordingMailer) -> None:
    async with make_client(app) as client:
        await sign_in(client, world.student_a.email)
        page = await client.get("/notifications/settings")
        token = soup(page).find("input", attrs={"name": "csrf_token"})["value"]
        assert (await client.post("/notifications/settings", data={"csrf_token": token, "email_mode": "immediate"})).status_code == 303
    mailer.sent.clear()
    await reply(app, world.participant_b, threads.consortium, "hello from Birch")
    [mail] = [m for m in mailer.sent if m.to == world.student_a.email]
    assert "Blair Participant replied to your post" in mail.subject + mail.body
    assert f"/forum/threads/{threads.consortium}?post=2#p2" in mail.body
    await reply(app, world.participant_b, threads.cohort_b1, f"@**Sam Student|{world.student_a.id}** (not in this cohort)")
    assert [m for m in mailer.sent if m.to == world.student_a.email] == [mail]


async def test_the_badge_counts_only_own_notifications(client: httpx.AsyncClient, app: Any, world: World, threads: Threads) -> None:
    await reply(app, world.faculty_a, threads.consortium, "one")
    await sign_in(client, world.participant_b.email)
    assert (await client.get("/notifications/unread")).json() == {"unread": 0}
