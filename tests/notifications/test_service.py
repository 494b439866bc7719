"""The notification service: who is notified (readers only, never the actor), one
notification per message with the strongest kind, the live events, marking read, the
email modes and the daily digest against a real SMTP server (issue #4 item 7, SEC-A3, SEC-A5)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import delete, select, update

from artme_cop.conversations import service as conversations
from artme_cop.conversations.models import Conversation
from artme_cop.errors import Invalid, NotFound
from artme_cop.identity import service as identity
from artme_cop.identity.models import CohortMembership, Role, RoleAssignment
from artme_cop.moderation import flags
from artme_cop import schedule
from artme_cop.notifications import jobs
from artme_cop.notifications import service as notifications
from artme_cop.notifications.models import EmailMode, Notification, NotificationPreference
from artme_cop.policy import Actor
from artme_cop.realtime.events import person_topic
from tests.factories import World
from tests.notifications.conftest import Inbox, Recorder, Smtp, notify_about
from tests.realtime.conftest import Spaces
from tests.support import MutableClock


async def actor_of(app: Any, person_id: int) -> Actor:
    async with app.state.uow(read_only=True) as uow:
        [actor] = await identity.actors_for(uow, [person_id])
    return actor


async def set_mode(app: Any, person_id: int, mode: EmailMode) -> None:
    actor = await actor_of(app, person_id)
    async with app.state.uow() as uow:
        await notifications.set_email_mode(uow, actor, mode.value)


async def rows(app: Any) -> list[Notification]:
    async with app.state.uow(read_only=True) as uow:
        return list((await uow.session.execute(select(Notification).order_by(Notification.id))).scalars())


async def unread(app: Any, person_id: int) -> int:
    actor = await actor_of(app, person_id)
    async with app.state.uow(read_only=True) as uow:
        return await notifications.unread_count(uow, actor)


# --- who is notified ---------------------------------------------------------------------------------


async def test_notify_drops_recipients_who_may_not_read_the_conversation(smtp_app: Any, smtp: Smtp, world: World, spaces: Spaces) -> None:
    """A cohort A1 conversation: the A1 member is notified; a member of cohort A2, a member
    of school B and A's lead outside the cohort get no row, no event and no mail."""
    outsiders = [world.participant_a2, world.participant_b, world.admin]
    for person in (world.student_a, *outsiders):
        await set_mode(smtp_app, person.id, EmailMode.IMMEDIATE)
    recorder = Recorder(smtp_app)

    made = await notify_about(recorder, spaces.cohort_a1, [world.student_a.id, *(p.id for p in outsiders)], actor_id=world.faculty_a.id)

    assert [row.recipient_id for row in await rows(smtp_app)] == [world.student_a.id]
    assert len(made) == 1
    assert [event.topic for event in recorder.of_type("notification")] == [person_topic(world.student_a.id)]
    assert [message["To"] for message in smtp.inbox.messages] == [world.student_a.email]
    for person in outsiders:
        assert await unread(smtp_app, person.id) == 0


async def test_notify_drops_the_actor_and_unknown_people(app: Any, world: World, spaces: Spaces) -> None:
    recorder = Recorder(app)
    await notify_about(recorder, spaces.consortium, [world.faculty_a.id, world.student_a.id, 987654], actor_id=world.faculty_a.id)
    assert [row.recipient_id for row in await rows(app)] == [world.student_a.id]


async def test_notify_keeps_one_notification_per_message_with_the_strongest_kind(app: Any, world: World, spaces: Spaces) -> None:
    recorder = Recorder(app)
    student = world.student_a.id
    await notify_about(recorder, spaces.consortium, [student], kind="watched_post", summary="New post in a thread you watch")
    await notify_about(recorder, spaces.consortium, [student], kind="mention", summary="Fran mentioned you")
    weaker = await notify_about(recorder, spaces.consortium, [student], kind="reply", summary="Fran replied to you")
    again = await notify_about(recorder, spaces.consortium, [student, student], kind="mention", summary="Fran mentioned you")

    [row] = await rows(app)
    assert (row.kind, row.summary) == ("mention", "Fran mentioned you")
    assert weaker == again == []
    assert [event.data["kind"] for event in recorder.of_type("notification")] == ["watched_post", "mention"]
    assert await unread(app, student) == 1


async def test_a_stronger_kind_makes_a_read_notification_unread_again(app: Any, world: World, spaces: Spaces) -> None:
    recorder = Recorder(app)
    student = await actor_of(app, world.student_a.id)
    await notify_about(recorder, spaces.consortium, [student.person_id], kind="watched_post")
    async with app.state.uow() as uow:
        await notifications.mark_read(uow, student, "all")
    assert await unread(app, student.person_id) == 0

    await notify_about(recorder, spaces.consortium, [student.person_id], kind="mention")

    assert await unread(app, student.person_id) == 1


async def test_other_messages_are_separate_notifications(app: Any, world: World, spaces: Spaces) -> None:
    recorder = Recorder(app)
    await notify_about(recorder, spaces.consortium, [world.student_a.id], seq=1)
    await notify_about(recorder, spaces.consortium, [world.student_a.id], seq=2)
    assert await unread(app, world.student_a.id) == 2


async def test_notification_event_carries_the_unread_count(app: Any, world: World, spaces: Spaces) -> None:
    recorder = Recorder(app)
    await notify_about(recorder, spaces.consortium, [world.student_a.id], seq=1, summary="first")
    [second] = await notify_about(recorder, spaces.consortium, [world.student_a.id], seq=2, summary="second")

    event = recorder.of_type("notification")[-1]
    assert (event.topic, event.type, event.op, event.id) == (person_topic(world.student_a.id), "notification", "add", second)
    assert event.data == {
        "unread": 2,
        "kind": "mention",
        "summary": "second",
        "link": f"/conversations/{spaces.consortium}#m2",
        "conversation": spaces.consortium,
        "seq": 2,
        "created_at": event.data["created_at"],
    }


async def test_notification_about_no_conversation_reaches_its_recipient(app: Any, world: World) -> None:
    recorder = Recorder(app)
    async with recorder.uow() as uow:
        [made] = await notifications.notify(
            uow, recipients=[world.student_a.id], kind="warning", conversation=None, seq=None, actor_id=world.facilitator_a.id,
            summary="A facilitator sent you a warning", link="/notifications/",
        )
    assert made.conversation_id is None
    assert await unread(app, world.student_a.id) == 1


@pytest.mark.parametrize(
    ("field", "value"),
    [("kind", "gossip"), ("link", "https://evil.example/x"), ("link", "//evil.example/x"), ("link", "/\\evil.example"), ("link", "/a b"), ("summary", " \n ")],
)
async def test_notify_refuses_a_callers_mistake(app: Any, world: World, spaces: Spaces, field: str, value: str) -> None:
    arguments: dict[str, Any] = {"kind": "mention", "link": "/conversations/1#m1", "summary": "fine"}
    arguments[field] = value
    with pytest.raises(ValueError):
        async with app.state.uow() as uow:
            about = await uow.session.get(Conversation, spaces.consortium)
            await notifications.notify(uow, recipients=[world.student_a.id], conversation=about, seq=1, actor_id=None, **arguments)
    assert await rows(app) == []


async def test_summary_is_one_line_of_bounded_plain_text(app: Any, world: World, spaces: Spaces) -> None:
    await notify_about(Recorder(app), spaces.consortium, [world.student_a.id], summary="two\nlines\x00 and " + "x" * 400)
    [row] = await rows(app)
    assert row.summary.startswith("two lines and x")
    assert len(row.summary) == notifications.SUMMARY_LIMIT and row.summary.endswith("…")


# --- reading and marking read ----------------------------------------------------------------------


async def test_list_is_newest_first_with_keyset_pages(app: Any, world: World, spaces: Spaces) -> None:
    recorder = Recorder(app)
    ids = [(await notify_about(recorder, spaces.consortium, [world.student_a.id], seq=seq))[0] for seq in range(1, 6)]
    await notify_about(recorder, spaces.consortium, [world.faculty_a.id], seq=9)
    student = await actor_of(app, world.student_a.id)
    async with app.state.uow(read_only=True) as uow:
        first = await notifications.list_notifications(uow, student, limit=2)
        second = await notifications.list_notifications(uow, student, before_id=first.older, limit=2)
        last = await notifications.list_notifications(uow, student, before_id=second.older, limit=2)
    assert [n.id for n in first.notifications + second.notifications + last.notifications] == ids[::-1]
    assert last.older is None


async def test_content_that_became_invisible_leaves_the_list_and_the_count(app: Any, world: World, spaces: Spaces) -> None:
    """SEC-A5: a conversation moved to another cohort takes its notifications out of sight."""
    await notify_about(Recorder(app), spaces.cohort_a1, [world.student_a.id])
    assert await unread(app, world.student_a.id) == 1
    async with app.state.uow() as uow:
        await uow.session.execute(update(Conversation).where(Conversation.id == spaces.cohort_a1).values(cohort_id=world.cohort_a2.id))
    student = await actor_of(app, world.student_a.id)
    async with app.state.uow(read_only=True) as uow:
        page = await notifications.list_notifications(uow, student)
    assert page.notifications == []
    assert await unread(app, world.student_a.id) == 0


async def test_mark_read_one_and_all(app: Any, world: World, spaces: Spaces) -> None:
    recorder = Recorder(app)
    first = (await notify_about(recorder, spaces.consortium, [world.student_a.id], seq=1))[0]
    await notify_about(recorder, spaces.consortium, [world.student_a.id], seq=2)
    await notify_about(recorder, spaces.consortium, [world.student_a.id], seq=3)
    student = await actor_of(app, world.student_a.id)

    async with recorder.uow() as uow:
        assert await notifications.mark_read(uow, student, [str(first)]) == 2
    async with recorder.uow() as uow:
        assert await notifications.mark_read(uow, student, [first]) == 2  # again: nothing changes
    async with recorder.uow() as uow:
        assert await notifications.mark_read(uow, student, "all") == 0

    reads = [(event.topic, event.op, event.data) for event in recorder.of_type("notification") if event.op == "read"]
    assert reads == [
        (person_topic(world.student_a.id), "read", {"unread": 2, "ids": [first]}),
        (person_topic(world.student_a.id), "read", {"unread": 0, "ids": [first + 1, first + 2]}),
    ]


async def test_mark_read_of_someone_elses_notification_changes_nothing(app: Any, world: World, spaces: Spaces) -> None:
    recorder = Recorder(app)
    [theirs] = await notify_about(recorder, spaces.consortium, [world.faculty_a.id])
    [mine] = await notify_about(recorder, spaces.consortium, [world.student_a.id])
    student = await actor_of(app, world.student_a.id)
    before = [(row.id, row.read_at) for row in await rows(app)]

    for chosen in ([theirs], [mine, theirs], [987654]):
        with pytest.raises(NotFound):
            async with recorder.uow() as uow:
                await notifications.mark_read(uow, student, chosen)
    for chosen in ([], ["abc"], ["-1"], [True], [None], ["99999999999"], [str(i) for i in range(1, 200)]):
        with pytest.raises(Invalid):
            async with recorder.uow() as uow:
                await notifications.mark_read(uow, student, chosen)

    assert [(row.id, row.read_at) for row in await rows(app)] == before
    assert [event for event in recorder.events if event.op == "read"] == []


async def test_email_mode_defaults_to_daily_and_refuses_unknown_modes(app: Any, world: World) -> None:
    student = await actor_of(app, world.student_a.id)
    async with app.state.uow(read_only=True) as uow:
        assert await notifications.email_mode(uow, student) is EmailMode.DAILY
    for bad in ("weekly", "", None, 3):
        with pytest.raises(Invalid):
            async with app.state.uow() as uow:
                await notifications.set_email_mode(uow, student, bad)
    async with app.state.uow() as uow:
        assert await notifications.set_email_mode(uow, student, "off") is EmailMode.OFF
    async with app.state.uow() as uow:
        assert await notifications.set_email_mode(uow, student, "immediate") is EmailMode.IMMEDIATE
    async with app.state.uow(read_only=True) as uow:
        assert await notifications.email_mode(uow, student) is EmailMode.IMMEDIATE


# --- email through a real SMTP server -----------------------------------------------------------------


async def test_immediate_mode_sends_one_mail_after_the_commit(smtp_app: Any, smtp: Smtp, world: World, spaces: Spaces) -> None:
    await set_mode(smtp_app, world.student_a.id, EmailMode.IMMEDIATE)
    recorder = Recorder(smtp_app)
    async with recorder.uow() as uow:
        about = await uow.session.get(Conversation, spaces.cohort_a1)
        await notifications.notify(
            uow, recipients=[world.student_a.id], kind="mention", conversation=about, seq=4, actor_id=world.faculty_a.id,
            summary="Fran Faculty mentioned you in A1", link=f"/conversations/{spaces.cohort_a1}#m4",
        )
        assert smtp.inbox.messages == []  # not before the commit

    [message] = smtp.inbox.messages
    assert message["To"] == world.student_a.email
    assert message["Subject"] == "ARTME Community: Fran Faculty mentioned you in A1"
    body = Inbox.body(message)
    assert "Fran Faculty mentioned you in A1" in body
    assert f"http://testserver/conversations/{spaces.cohort_a1}#m4" in body
    assert "http://testserver/notifications/settings" in body


async def test_a_mail_is_plain_text_with_one_line_subject(smtp_app: Any, smtp: Smtp, world: World, spaces: Spaces) -> None:
    """SEC-G9: what people wrote reaches a mail as plain text only (no HTML part to run
    markup in), and a summary with line breaks cannot add a header."""
    await set_mode(smtp_app, world.student_a.id, EmailMode.IMMEDIATE)
    hostile = '<img src=x onerror=alert(1)> =HYPERLINK("http://evil.example")'
    async with Recorder(smtp_app).uow() as uow:
        about = await uow.session.get(Conversation, spaces.cohort_a1)
        await notifications.notify(
            uow, recipients=[world.student_a.id], kind="mention", conversation=about, seq=4, actor_id=world.faculty_a.id,
            summary=f"{hostile} mentioned you\r\nBcc: everyone@evil.example", link=f"/conversations/{spaces.cohort_a1}#m4",
        )
    [message] = smtp.inbox.messages
    assert not message.is_multipart() and message.get_content_type() == "text/plain"
    assert message["Bcc"] is None and "everyone@evil.example" in message["Subject"]
    assert message["Subject"] == f"ARTME Community: {hostile} mentioned you Bcc: everyone@evil.example"
    assert hostile in Inbox.body(message)


async def test_no_mail_when_the_transaction_rolls_back(smtp_app: Any, smtp: Smtp, world: World, spaces: Spaces) -> None:
    await set_mode(smtp_app, world.student_a.id, EmailMode.IMMEDIATE)
    recorder = Recorder(smtp_app)
    with pytest.raises(RuntimeError):
        async with recorder.uow() as uow:
            about = await uow.session.get(Conversation, spaces.consortium)
            await notifications.notify(uow, recipients=[world.student_a.id], kind="mention", conversation=about, seq=1, actor_id=None, summary="s", link="/x")
            raise RuntimeError("the post failed after notifying")
    assert smtp.inbox.messages == []
    assert recorder.events == []
    assert await rows(smtp_app) == []


@pytest.mark.parametrize("mode", [EmailMode.OFF, EmailMode.DAILY])
async def test_off_and_daily_modes_send_nothing_at_once(smtp_app: Any, smtp: Smtp, world: World, spaces: Spaces, mode: EmailMode) -> None:
    await set_mode(smtp_app, world.student_a.id, mode)
    await notify_about(Recorder(smtp_app), spaces.consortium, [world.student_a.id])
    assert smtp.inbox.messages == []
    assert await unread(smtp_app, world.student_a.id) == 1


async def run_digests(app: Any) -> int:
    async with app.state.uow() as uow:
        return await notifications.send_daily_digests(uow, uow.clock.now())


async def test_daily_digest_groups_unread_notifications_in_one_mail(smtp_app: Any, smtp: Smtp, world: World, spaces: Spaces, clock: MutableClock) -> None:
    recorder = Recorder(smtp_app)
    await notify_about(recorder, spaces.consortium, [world.student_a.id], seq=1, summary="Fran mentioned you in the lounge")
    await notify_about(recorder, spaces.cohort_a1, [world.student_a.id], seq=1, summary="Fran replied to you in A1")
    read_one = (await notify_about(recorder, spaces.cohort_a1, [world.student_a.id], seq=2, summary="already read"))[0]
    async with smtp_app.state.uow() as uow:
        await notifications.mark_read(uow, await actor_of(smtp_app, world.student_a.id), [read_one])
    await notify_about(recorder, spaces.consortium, [world.faculty_a.id], seq=3, summary="for Fran")
    await set_mode(smtp_app, world.faculty_a.id, EmailMode.OFF)
    clock.advance(hours=1)

    assert await run_digests(smtp_app) == 1

    [message] = smtp.inbox.messages
    assert message["To"] == world.student_a.email
    assert message["Subject"] == "ARTME Community: 2 new notifications"
    body = Inbox.body(message)
    assert "Fran mentioned you in the lounge" in body and "Fran replied to you in A1" in body
    assert f"http://testserver/conversations/{spaces.consortium}#m1" in body
    assert "already read" not in body and "for Fran" not in body


async def test_daily_digest_goes_once_a_day_and_covers_what_came_since(smtp_app: Any, smtp: Smtp, world: World, spaces: Spaces, clock: MutableClock) -> None:
    recorder = Recorder(smtp_app)
    await notify_about(recorder, spaces.consortium, [world.student_a.id], seq=1, summary="monday news")
    assert await run_digests(smtp_app) == 1
    clock.advance(hours=2)
    await notify_about(recorder, spaces.consortium, [world.student_a.id], seq=2, summary="tuesday news")
    assert await run_digests(smtp_app) == 0  # not yet a day

    clock.advance(hours=22)
    assert await run_digests(smtp_app) == 1
    assert await run_digests(smtp_app) == 0

    first, second = smtp.inbox.messages
    assert "monday news" in Inbox.body(first)
    assert "tuesday news" in Inbox.body(second) and "monday news" not in Inbox.body(second)


async def test_daily_digest_rechecks_visibility_at_send_time(smtp_app: Any, smtp: Smtp, world: World, spaces: Spaces, clock: MutableClock) -> None:
    """SEC-A3/SEC-A5: the student left cohort A1 after being notified: the A1 notification
    is not mailed, the consortium one is; with only invisible ones, no mail at all."""
    recorder = Recorder(smtp_app)
    await notify_about(recorder, spaces.cohort_a1, [world.student_a.id, world.faculty_a.id], seq=1, summary="secret-A1-canary")
    await notify_about(recorder, spaces.consortium, [world.student_a.id], seq=1, summary="open news")
    async with smtp_app.state.uow() as uow:
        for person in (world.student_a, world.faculty_a):
            await uow.session.execute(delete(CohortMembership).where(CohortMembership.person_id == person.id))
            await uow.session.execute(delete(RoleAssignment).where(RoleAssignment.person_id == person.id, RoleAssignment.role == Role.PARTICIPANT.value))
    clock.advance(hours=1)

    assert await run_digests(smtp_app) == 1

    [message] = smtp.inbox.messages
    assert message["To"] == world.student_a.email
    assert "open news" in Inbox.body(message)
    assert "secret-A1-canary" not in message.as_string()
    assert smtp.inbox.to(world.faculty_a.email) == []


async def test_daily_digest_sends_nothing_when_there_is_nothing(smtp_app: Any, smtp: Smtp, world: World, clock: MutableClock) -> None:
    assert await run_digests(smtp_app) == 0
    assert smtp.inbox.messages == []


async def test_first_digest_covers_the_last_day_only(smtp_app: Any, smtp: Smtp, world: World, spaces: Spaces, clock: MutableClock) -> None:
    await notify_about(Recorder(smtp_app), spaces.consortium, [world.student_a.id], summary="old news")
    clock.advance(days=2)
    assert await run_digests(smtp_app) == 0
    assert smtp.inbox.messages == []


async def test_digest_schedule_checks_until_cancelled(smtp_app: Any, smtp: Smtp, world: World, spaces: Spaces, clock: MutableClock) -> None:
    """The server's loop: a check after each sleep; a failing check does not end it."""
    await notify_about(Recorder(smtp_app), spaces.consortium, [world.student_a.id], summary="scheduled news")
    sleeps: list[float] = []
    failing = {"first": True}
    real_uow = smtp_app.state.uow

    def uow() -> Any:
        if failing.pop("first", False):
            raise OSError("database away")
        return real_uow()

    class Stop(Exception):
        pass

    async def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        if len(sleeps) == 4:
            raise Stop

    with pytest.raises(Stop):
        await jobs.run_digest_schedule(uow, clock, interval=3600, sleep=sleep)

    assert sleeps == [schedule.FIRST_RUN_DELAY, 3600, 3600, 3600]
    [message] = smtp.inbox.messages
    assert "scheduled news" in Inbox.body(message)
    async with smtp_app.state.uow(read_only=True) as uow_:
        preference = await uow_.session.get(NotificationPreference, world.student_a.id)
    assert preference is not None and preference.last_digest_at == clock.now()
    assert preference.email_mode == EmailMode.DAILY.value
    assert clock.now() - preference.last_digest_at < timedelta(seconds=1)


@pytest.mark.parametrize("removal", ["deleted by its author", "hidden by a moderator"])
async def test_a_removed_message_takes_its_notification_out_of_sight(smtp_app: Any, smtp: Smtp, world: World, spaces: Spaces, clock: MutableClock, removal: str) -> None:
    """SEC-B4: the summary may quote the message, so once it is deleted or hidden the
    notification is neither listed, counted nor mailed."""
    faculty = await actor_of(smtp_app, world.faculty_a.id)
    async with smtp_app.state.uow() as uow:
        posted = await conversations.post_message(uow, faculty, spaces.consortium, body="deleted-words-canary", client_msg_id="n-1")
        about = await uow.session.get(Conversation, spaces.consortium)
        await notifications.notify(
            uow, recipients=[world.student_a.id], kind="reply", conversation=about, seq=posted.seq, actor_id=faculty.person_id,
            summary="Fran replied: deleted-words-canary", link=f"/conversations/{spaces.consortium}#m{posted.seq}",
        )
    assert await unread(smtp_app, world.student_a.id) == 1
    async with smtp_app.state.uow() as uow:
        if removal == "deleted by its author":
            await conversations.delete_message(uow, faculty, spaces.consortium, posted.seq)
        else:
            await flags.hide_message(uow, await actor_of(smtp_app, world.admin.id), spaces.consortium, posted.seq, reason="quotes a patient")

    student = await actor_of(smtp_app, world.student_a.id)
    async with smtp_app.state.uow(read_only=True) as uow:
        assert (await notifications.list_notifications(uow, student)).notifications == []
    assert await unread(smtp_app, world.student_a.id) == 0
    clock.advance(hours=1)
    assert await run_digests(smtp_app) == 0
    assert smtp.inbox.messages == []
