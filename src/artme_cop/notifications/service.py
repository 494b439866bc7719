"""Notification intents: notify people (the API other features call), list, count, mark
read, choose the email mode, and the daily digest.

The rule above all (issue #4, SEC-A3): a person never hears about content they may not see.
`notify` drops every recipient who may not read the conversation; the page, the unread count
and the digest check visibility again when they show or mail a notification, because
content moves and people leave cohorts after the notification was made, and they leave out
notifications about messages deleted or hidden since (their summary may quote them).

Events leave and mail goes only after the commit, through the unit of work's outboxes.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from sqlalchemy import ColumnElement, insert, or_, select, update

from artme_cop import policy
from artme_cop.conversations.models import Conversation
from artme_cop.errors import Invalid, NotFound
from artme_cop.identity import service as identity
from artme_cop.identity.models import Person
from artme_cop.mail import Mail
from artme_cop.notifications import queries
from artme_cop.notifications.models import DEFAULT_EMAIL_MODE, EmailMode, Notification, NotificationKind, NotificationPreference
from artme_cop.policy import Action, Actor, Space, SpaceScope
from artme_cop.realtime.events import Event, person_topic
from artme_cop.unit_of_work import UnitOfWork

PAGE_SIZE = 30
SUMMARY_LIMIT = 300
LINK_LIMIT = 500
MAX_IDS = 100
# When several reasons apply to one message, the person keeps the strongest (issue #4).
# A warning from the moderators outranks them all. New kinds need a rank here.
_RANK = {
    NotificationKind.WARNING: 4,
    NotificationKind.MENTION: 3,
    NotificationKind.REPLY: 2,
    NotificationKind.WATCHED_POST: 1,
    NotificationKind.KNOWLEDGE: 1,
    NotificationKind.REMINDER: 1,
}
# Digests go at most once a day per person. The spacing is an hour short of a day so that
# an hourly check sends at the same hour each day instead of drifting an hour later.
DIGEST_SPACING = timedelta(hours=23)
# A first digest (or one after switching to daily) covers the last day.
DIGEST_WINDOW = timedelta(days=1)
DIGEST_ITEMS = 50
_CONTROLS = re.compile(r"[\x00-\x1f\x7f-\x9f]")
# A path on this server: one leading slash (never `//host`), no backslash, no spaces.
_LINK = re.compile(r"/(?![/\\])[^\s\\]*")
_ID = re.compile(r"[0-9]{1,10}")


@dataclass(frozen=True)
class NotificationPage:
    notifications: list[Notification]
    older: int | None  # the `before_id` of the next page, None on the last one


# --- events -------------------------------------------------------------------------------------


def notification_payload(notification: Notification) -> dict[str, Any]:
    return {
        "kind": notification.kind,
        "summary": notification.summary,
        "link": notification.link,
        "conversation": notification.conversation_id,
        "seq": notification.seq,
        "created_at": notification.created_at.isoformat(),
    }


def notification_event(notification: Notification, unread: int) -> Event:
    data = {"unread": unread, **notification_payload(notification)}
    return Event(person_topic(notification.recipient_id), "notification", "add", notification.id, data)


def read_event(person_id: int, unread: int, ids: list[int]) -> Event:
    """Tells the person's other open pages that notifications were read."""
    return Event(person_topic(person_id), "notification", "read", None, {"unread": unread, "ids": ids})


# --- notify: the API of the other features ------------------------------------------------------------


async def notify(
    uow: UnitOfWork,
    *,
    recipients: Iterable[int],
    kind: str,
    conversation: Conversation | None,
    seq: int | None,
    actor_id: int | None,
    summary: str,
    link: str,
) -> list[Notification]:
    """Notify people about a message (or about nothing in particular, such as a warning).

    Drops the actor themself, deleted people and everyone who may not read `conversation`.
    One notification per person per (conversation, seq): a stronger kind replaces a weaker
    one (and counts as new again), an equal or weaker one is dropped. `summary` is plain
    text; `link` a path on this server such as `/forum/threads/12#p5`.
    Emits: notification/add on person:<id> with the unread count, per notified person.
    Mails: those who chose immediate email, after the commit.
    Returns the notifications made or renewed. Raises ValueError for a caller's mistake
    (unknown kind, a seq without a conversation, an empty summary, a link off this server).
    """
    chosen = NotificationKind(kind)
    if seq is not None and conversation is None:
        raise ValueError("a seq needs its conversation")
    text, path = clean_summary(summary), clean_link(link)
    readers = await _readers(uow, recipients, conversation, actor_id=actor_id)
    earlier = await queries.for_message(uow.session, conversation.id, seq, list(readers)) if conversation is not None and seq is not None else {}
    notified: list[tuple[Actor, Notification]] = []
    for person_id, reader in readers.items():
        row = earlier.get(person_id)
        if row is not None and _rank(row.kind) >= _RANK[chosen]:
            continue  # told already, for as good a reason
        if row is None:
            row = Notification(recipient_id=person_id, conversation_id=conversation.id if conversation else None, seq=seq)
            uow.session.add(row)
        row.kind, row.summary, row.link, row.actor_id = chosen.value, text, path, actor_id
        row.created_at, row.read_at = uow.clock.now(), None
        notified.append((reader, row))
    await uow.flush()
    await _announce(uow, notified)
    return [row for _, row in notified]


async def _readers(uow: UnitOfWork, recipients: Iterable[int], conversation: Conversation | None, *, actor_id: int | None) -> dict[int, Actor]:
    """The recipients who may be told: existing people, not the actor, who may read the
    conversation (SEC-A3); by person id."""
    wanted = sorted({int(pid) for pid in recipients} - {actor_id})
    actors = await identity.actors_for(uow, wanted)
    return {a.person_id: a for a in actors if conversation is None or policy.can(a, Action.SPACE_READ, conversation)}


def _rank(kind: str) -> int:
    try:
        return _RANK[NotificationKind(kind)]
    except ValueError:
        return 0


def clean_summary(summary: str) -> str:
    """One line of plain text, at most SUMMARY_LIMIT characters."""
    text = " ".join(_CONTROLS.sub(" ", summary).split())
    if not text:
        raise ValueError("a notification needs a summary")
    return text if len(text) <= SUMMARY_LIMIT else text[: SUMMARY_LIMIT - 1] + "…"


def clean_link(link: str) -> str:
    """A path on this server; mails put the base URL in front, so nothing may point elsewhere."""
    if len(link) > LINK_LIMIT or not _LINK.fullmatch(link) or _CONTROLS.search(link):
        raise ValueError(f"a notification link must be a path on this server, not {link!r}")
    return link


async def _announce(uow: UnitOfWork, notified: list[tuple[Actor, Notification]]) -> None:
    """The live badge for everyone notified, and a mail for those who want it at once."""
    if not notified:
        return
    unread = await _unread_counts(uow, [reader for reader, _ in notified])
    modes = await queries.email_modes(uow.session, [reader.person_id for reader, _ in notified])
    mailed = [reader.person_id for reader, _ in notified if modes[reader.person_id] is EmailMode.IMMEDIATE]
    people = {person.id: person for person in await identity.people_by_id(uow, mailed)}
    for reader, row in notified:
        uow.emit(notification_event(row, unread[reader.person_id]))
        if reader.person_id in people:
            uow.send_mail(_immediate_mail(uow, people[reader.person_id], row))


def _immediate_mail(uow: UnitOfWork, person: Person, notification: Notification) -> Mail:
    base = uow.settings.base_url
    subject = notification.summary if len(notification.summary) <= 120 else notification.summary[:119] + "…"
    body = (
        f"Hello {person.display_name},\n\n{notification.summary}\n\n{base}{notification.link}\n\n"
        f"All your notifications: {base}/notifications/\n"
        f"To change how often we email you: {base}/notifications/settings\n"
    )
    return Mail(to=person.email, subject=f"ARTME Community: {subject}", body=body)


# --- reading -----------------------------------------------------------------------------------------


def _visible(actor: Actor) -> ColumnElement[bool]:
    """Notifications whose content the actor may still see (needs the conversations joined)."""
    return or_(
        Notification.conversation_id.is_(None),
        policy.space_clause(actor, Conversation.scope, Conversation.institution_id, Conversation.cohort_id, Conversation.id),
    )


async def list_notifications(uow: UnitOfWork, actor: Actor, *, before_id: int | None = None, limit: int = PAGE_SIZE) -> NotificationPage:
    """The actor's own notifications (`notification.read`: the recipient's alone) that they may
    still see, newest first, a page at a time."""
    rows = await queries.list_for_recipient(uow.session, actor.person_id, _visible(actor), before_id=before_id, limit=limit + 1)
    page = rows[:limit]
    return NotificationPage(page, page[-1].id if len(rows) > limit else None)


async def unread_count(uow: UnitOfWork, actor: Actor) -> int:
    """How many of the actor's notifications are unread, counting only what they may still see."""
    return (await _unread_counts(uow, [actor]))[actor.person_id]


async def _unread_counts(uow: UnitOfWork, actors: list[Actor]) -> dict[int, int]:
    """Unread counts of several people in one query, summed by the policy's SPACE_READ rule."""
    by_person = {actor.person_id: actor for actor in actors}
    counts = dict.fromkeys(by_person, 0)
    for person_id, scope, institution_id, cohort_id, conversation_id, count in await queries.unread_by_conversation(uow.session, sorted(by_person)):
        space = Space(SpaceScope(scope), institution_id, cohort_id, conversation_id) if scope is not None else None
        if space is None or policy.can(by_person[person_id], Action.SPACE_READ, space):
            counts[person_id] += count
    return counts


# --- writing -----------------------------------------------------------------------------------------


async def mark_read(uow: UnitOfWork, actor: Actor, notification_ids: Iterable[object] | Literal["all"]) -> int:
    """Mark some of one's own notifications read, or all of them; returns the unread count.

    Raises: Invalid for malformed or too many ids; NotFound when any id is not one of the
    actor's own notifications (someone else's and a missing one alike), and then nothing changes.
    Emits: notification/read on person:<id> when something changed.
    """
    unread = Notification.read_at.is_(None)
    mine = Notification.recipient_id == actor.person_id
    if notification_ids == "all":
        where = mine & unread
    else:
        ids = _ids(notification_ids)
        chosen = await queries.get_notifications(uow.session, ids)
        # Someone else's notification answers like a missing one, so ids cannot be probed (SEC-A2).
        if len(chosen) != len(ids) or not all(policy.can(actor, Action.NOTIFICATION_READ, row) for row in chosen):
            raise NotFound("notification")
        where = mine & unread & Notification.id.in_(sorted(ids))
    result = await uow.session.execute(
        update(Notification).where(where).values(read_at=uow.clock.now()).returning(Notification.id).execution_options(synchronize_session=False)
    )
    marked = sorted(result.scalars())
    count = await unread_count(uow, actor)
    if marked:
        uow.emit(read_event(actor.person_id, count, marked))
    return count


def _ids(values: Iterable[object]) -> set[int]:
    ids = set()
    for value in values:
        if not isinstance(value, (int, str)) or isinstance(value, bool) or not _ID.fullmatch(str(value)) or not 0 < int(value) < 2**31:
            raise Invalid("Choose notifications from the list.", field="id")
        ids.add(int(value))
    if not ids:
        raise Invalid("Choose a notification, or mark all as read.", field="id")
    if len(ids) > MAX_IDS:
        raise Invalid(f"Mark at most {MAX_IDS} notifications at once.", field="id")
    return ids


async def email_mode(uow: UnitOfWork, actor: Actor) -> EmailMode:
    return (await queries.email_modes(uow.session, [actor.person_id]))[actor.person_id]


async def set_email_mode(uow: UnitOfWork, actor: Actor, mode: object) -> EmailMode:
    """Choose how notifications reach one by email: immediate, daily (digest) or off.

    Raises: Invalid for any other value.
    """
    try:
        chosen = EmailMode(mode) if isinstance(mode, str) else None
    except ValueError:
        chosen = None
    if chosen is None:
        raise Invalid("Choose immediately, a daily digest, or off.", field="email_mode")
    preference = await uow.session.get(NotificationPreference, actor.person_id)
    now = uow.clock.now()
    if preference is None:
        uow.session.add(NotificationPreference(person_id=actor.person_id, email_mode=chosen.value, last_digest_at=None, updated_at=now))
    else:
        preference.email_mode, preference.updated_at = chosen.value, now
    return chosen


# --- the daily digest ---------------------------------------------------------------------------------


async def send_daily_digests(uow: UnitOfWork, now: datetime) -> int:
    """Queue one mail for each person on the daily digest who is due (no digest in the last
    DIGEST_SPACING) and has unread notifications since their last digest; returns how many.

    Visibility is checked again here: a notification about content the person may no longer
    see is left out, and a person with nothing left gets no mail. Safe to run from several
    processes at once: each person's digest is claimed by a conditional update first.
    """
    due_before = now - DIGEST_SPACING
    candidates = await queries.digest_recipients(uow.session, due_before=due_before, window_start=now - DIGEST_WINDOW)
    actors = {actor.person_id: actor for actor in await identity.actors_for(uow, candidates)}
    people = {person.id: person for person in await identity.people_by_id(uow, list(actors))}
    preferences = await _last_digests(uow, list(actors))
    sent = 0
    for person_id, actor in actors.items():
        since = preferences.get(person_id) or now - DIGEST_WINDOW
        rows = await queries.unread_since(uow.session, person_id, since)
        visible = [notification for notification, conversation in rows if conversation is None or policy.can(actor, Action.SPACE_READ, conversation)]
        if visible and await _claim_digest(uow, person_id, now, due_before):
            uow.send_mail(_digest_mail(uow, people[person_id], visible))
            sent += 1
    return sent


async def _last_digests(uow: UnitOfWork, person_ids: list[int]) -> dict[int, datetime | None]:
    query = select(NotificationPreference.person_id, NotificationPreference.last_digest_at).where(NotificationPreference.person_id.in_(person_ids))
    return {person_id: at for person_id, at in (await uow.session.execute(query)).all()}


async def _claim_digest(uow: UnitOfWork, person_id: int, now: datetime, due_before: datetime) -> bool:
    """Stamp the person's digest time unless another process just did; True when ours."""
    preference = NotificationPreference
    result = await uow.session.execute(
        update(preference)
        .where(
            preference.person_id == person_id,
            preference.email_mode == EmailMode.DAILY.value,
            preference.last_digest_at.is_(None) | (preference.last_digest_at <= due_before),
        )
        .values(last_digest_at=now)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount == 1:  # type: ignore[attr-defined]
        return True
    exists = (await uow.session.execute(select(preference.person_id).where(preference.person_id == person_id))).first()
    if exists is not None:
        return False
    # No row yet: the default mode. A second process inserting too fails on the primary key
    # and rolls its run back, so the person still gets one digest.
    await uow.session.execute(
        insert(preference).values(person_id=person_id, email_mode=DEFAULT_EMAIL_MODE.value, last_digest_at=now, updated_at=now)
    )
    return True


def _digest_mail(uow: UnitOfWork, person: Person, notifications: list[Notification]) -> Mail:
    base = uow.settings.base_url
    shown = notifications[:DIGEST_ITEMS]
    lines = [f"- {n.summary}\n  {base}{n.link}" for n in shown]
    if len(notifications) > len(shown):
        lines.append(f"- and {len(notifications) - len(shown)} more on your notifications page")
    count = len(notifications)
    body = (
        f"Hello {person.display_name},\n\nHere is what happened in the ARTME Community since your last digest:\n\n"
        + "\n".join(lines)
        + f"\n\nAll your notifications: {base}/notifications/\n"
        f"To change how often we email you: {base}/notifications/settings\n"
    )
    return Mail(to=person.email, subject=f"ARTME Community: {count} new notification{'s' if count != 1 else ''}", body=body)
