"""The moderation queue: readers flag messages, moderators review them (dismiss the flags,
hide the message with a reason, unhide it, warn its author) and read a message's edit
history. It works on messages of the messaging core, whatever space they belong to.

Rules kept here (DESIGN.md, DOMAIN.md):
- Who flags, who sees the queue and who reviews come from the policy (`moderation.flag`,
  `moderation.queue`, `moderation.review`, `message.moderate`); a reader flags anything
  but their own message, and no moderator reviews their own message.
- A conversation the actor cannot read answers NotFound, like a missing one (SEC-A2); a
  flag the actor may not review answers NotFound too, so flag ids cannot be probed.
- Flaggers stay anonymous: the queue shows how many flagged and why, never who. Warnings
  reach the author from "the moderators" of the conversation; the audit log keeps who.
- Every review action and every read of an edit history writes an audit entry for the
  conversation's institution, so the school's lead sees moderation in their school.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError

from artme_cop import policy
from artme_cop.conversations import queries as conversation_queries
from artme_cop.conversations import service as conversations
from artme_cop.conversations.models import Conversation, Message
from artme_cop.errors import Conflict, Invalid, NotFound
from artme_cop.identity import queries as identity_queries
from artme_cop.identity.models import Person
from artme_cop.moderation import queries
from artme_cop.moderation import service as audit
from artme_cop.moderation.models import FLAG_REASON_LABELS, Flag, FlagReason, FlagStatus, ModerationWarning
from artme_cop.notifications import service as notifications
from artme_cop.policy import Action, Actor, MessageRef, SpaceScope
from artme_cop.realtime.events import Event, conversation_topic, person_topic
from artme_cop.text import clean_text
from artme_cop.unit_of_work import UnitOfWork

NOTE_MAX = 1000
REASON_MAX = 500  # the width of messages.hide_reason and of a flag's resolution note
WARNING_MAX = 2000
QUEUE_PAGE = 50
WARNINGS_PAGE = 50
QUEUE_STATUSES = ("open", "resolved")
_MAX_KEY = 2**31 - 1


def message_link(conversation_id: int, seq: int) -> str:
    """Where a message is read: every conversation of the core has this page, and it sends a
    feature's conversations (a forum thread) on to the feature's own page at that message."""
    return f"/conversations/{int(conversation_id)}?seq={int(seq)}#m{int(seq)}"


# --- input -----------------------------------------------------------------------------------


def _positive_id(value: object) -> int | None:
    """A row id or seq from a form or a path, or None when it is not one (never a 500)."""
    text = str(value) if isinstance(value, (int, str)) and not isinstance(value, bool) else ""
    if not text.isascii() or not text.isdigit() or not 0 < int(text) <= _MAX_KEY:
        return None
    return int(text)


def _seq(value: object) -> int:
    seq = _positive_id(value)
    if seq is None:
        raise Invalid("seq must be a whole number.", field="seq")
    return seq


def _reason(value: object) -> FlagReason:
    for reason in FlagReason:
        if value == reason.value:
            return reason
    raise Invalid("Choose one of the reasons.", field="reason")


def _resolution_note(value: object) -> str:
    return clean_text(value, field="note", label="The note", max_length=REASON_MAX, required=False)


# --- loading what an action is about ---------------------------------------------------------


def _ref(conversation: Conversation, message: Message) -> MessageRef:
    return MessageRef(SpaceScope(conversation.scope), conversation.institution_id, conversation.cohort_id, message.author_id, conversation.id)


async def _readable_message(uow: UnitOfWork, actor: Actor, conversation_id: object, seq: object) -> tuple[Conversation, Message]:
    """The message at `seq` of a conversation the actor reads. NotFound for an unreadable
    conversation (as for a missing one) and for a seq with no message."""
    conversation = await conversations.access_conversation(uow, actor, conversation_id)
    message = await conversation_queries.get_message_by_seq(uow.session, conversation.id, _seq(seq))
    if message is None:
        raise NotFound("message")
    return conversation, message


async def _reviewable_message(uow: UnitOfWork, actor: Actor, conversation_id: object, seq: object) -> tuple[Conversation, Message]:
    """As `_readable_message`, and the actor reviews it (`moderation.review`), else Forbidden."""
    conversation, message = await _readable_message(uow, actor, conversation_id, seq)
    policy.require(actor, Action.MODERATION_REVIEW, _ref(conversation, message))
    return conversation, message


async def _author(uow: UnitOfWork, message: Message) -> Person:
    author = await uow.session.get(Person, message.author_id)
    assert author is not None  # people are never removed, only marked deleted
    return author


# --- flagging --------------------------------------------------------------------------------


@dataclass(frozen=True)
class FlagTarget:
    """A message shown on the flag form."""

    conversation: Conversation
    message: dict[str, Any]


@dataclass(frozen=True)
class Flagged:
    flag: Flag
    created: bool


async def flag_target(uow: UnitOfWork, actor: Actor, conversation_id: object, seq: object) -> FlagTarget:
    """The message the actor is about to flag, checked as `flag_message` will check it."""
    conversation, message = await _flaggable_message(uow, actor, conversation_id, seq)
    return FlagTarget(conversation, conversations.message_payload(message, await _author(uow, message)))


async def _flaggable_message(uow: UnitOfWork, actor: Actor, conversation_id: object, seq: object) -> tuple[Conversation, Message]:
    conversation, message = await _readable_message(uow, actor, conversation_id, seq)
    if not policy.can(actor, Action.MODERATION_FLAG, _ref(conversation, message)):
        raise Invalid("You cannot flag your own message; you can edit or delete it.", field="seq")
    if message.deleted_at is not None:
        raise Conflict("This message was deleted.")
    if message.hidden_at is not None:
        raise Conflict("This message is already hidden pending review.")
    return conversation, message


async def flag_message(uow: UnitOfWork, actor: Actor, conversation_id: object, seq: object, *, reason: object, note: object) -> Flagged:
    """Put a message in the moderation queue with a reason from the fixed list and an
    optional note (required for "something else").

    Who: `moderation.flag` (a reader of the conversation, not the author).
    Idempotent per person: while their flag on this message is open, flagging again returns
    it (created=False) and stores nothing.
    Raises: NotFound (conversation unreadable or missing, no message at seq), Invalid (own
    message, reason, note, seq), Conflict (the message is deleted or already hidden).
    """
    _, message = await _flaggable_message(uow, actor, conversation_id, seq)
    chosen = _reason(reason)
    text = clean_text(note, field="note", label="The note", max_length=NOTE_MAX, required=chosen is FlagReason.OTHER)
    existing = await queries.get_open_flag(uow.session, message.id, actor.person_id)
    if existing is not None:
        return Flagged(existing, created=False)
    flag = Flag(
        message_id=message.id, conversation_id=message.conversation_id, flagger_id=actor.person_id, reason=chosen.value, note=text,
        created_at=uow.clock.now(), status=FlagStatus.OPEN.value, resolution_note="",
    )
    try:
        async with uow.session.begin_nested():
            uow.session.add(flag)
    except IntegrityError:
        # The same person's concurrent request stored its flag first (the partial unique index).
        existing = await queries.get_open_flag(uow.session, message.id, actor.person_id)
        assert existing is not None
        return Flagged(existing, created=False)
    return Flagged(flag, created=True)


# --- the queue -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReasonCount:
    reason: str
    label: str
    count: int


@dataclass(frozen=True)
class Resolution:
    status: str
    by: str
    at: datetime | None
    note: str


@dataclass(frozen=True)
class QueueItem:
    """One flagged message with the flags in the listed state, flaggers left out."""

    flag_id: int  # the newest flag: the handle to dismiss the message's open flags with
    conversation_id: int
    conversation_title: str
    conversation_kind: str
    seq: int
    author: dict[str, Any]
    html: str  # moderators read the text, also of a hidden or deleted message
    created_at: datetime
    hidden: bool
    hide_reason: str
    deleted: bool
    purged_at: datetime | None  # the retention purge blanked the text (SEC-B5)
    flag_count: int
    reasons: list[ReasonCount]
    notes: list[str]
    first_flagged_at: datetime
    resolution: Resolution | None
    link: str


def _queue_status(value: object) -> bool:
    """True for the resolved view, False for the open flags."""
    if value not in QUEUE_STATUSES:
        raise Invalid("Show open or resolved flags.", field="status")
    return value == "resolved"


async def list_queue(uow: UnitOfWork, actor: Actor, *, status: object = "open", before_id: int | None = None, limit: int = QUEUE_PAGE) -> list[QueueItem]:
    """Flagged messages the actor may review, one item per message, newest flag first.

    Who: `moderation.queue`; the items are filtered by `policy.review_clause` (spaces they
    moderate, not their own messages). `before_id` pages by the newest flag id of an item.
    """
    policy.require(actor, Action.MODERATION_QUEUE)
    resolved = _queue_status(status)
    where = policy.review_clause(actor, Conversation.scope, Conversation.institution_id, Conversation.cohort_id, Message.author_id, Conversation.id)
    groups = await queries.flagged_messages(uow.session, where, resolved=resolved, before_id=before_id, limit=max(1, min(limit, 100)))
    message_ids = [message_id for message_id, _, _ in groups]
    messages = await queries.get_messages(uow.session, message_ids)
    spaces = await conversation_queries.get_conversations(uow.session, {m.conversation_id for m in messages.values()})
    flags: dict[int, list[Flag]] = {}
    for flag in await queries.flags_of_messages(uow.session, message_ids, resolved=resolved):
        flags.setdefault(flag.message_id, []).append(flag)
    people = await identity_queries.get_people(
        uow.session, {m.author_id for m in messages.values()} | {f.resolved_by_id for fs in flags.values() for f in fs if f.resolved_by_id}
    )
    return [
        _queue_item(latest, messages[message_id], spaces[messages[message_id].conversation_id], flags[message_id], people)
        for message_id, latest, _count in groups
    ]


def _queue_item(latest: int, message: Message, conversation: Conversation, flags: list[Flag], people: dict[int, Person]) -> QueueItem:
    counts: dict[str, int] = {}
    for flag in flags:
        counts[flag.reason] = counts.get(flag.reason, 0) + 1
    reasons = [ReasonCount(reason.value, label, counts[reason.value]) for reason, label in FLAG_REASON_LABELS.items() if reason.value in counts]
    last = flags[-1]
    resolution = None
    if last.status != FlagStatus.OPEN.value:
        resolver = people.get(last.resolved_by_id or 0)
        resolution = Resolution(last.status, resolver.display_name if resolver else "", last.resolved_at, last.resolution_note)
    return QueueItem(
        flag_id=latest,
        conversation_id=conversation.id,
        conversation_title=conversation.title or f"Conversation {conversation.id}",
        conversation_kind=conversation.kind,
        seq=message.seq,
        author=conversations.shown_author(message, people[message.author_id]),
        html=message.html,
        created_at=message.created_at,
        hidden=message.hidden_at is not None,
        hide_reason=message.hide_reason,
        deleted=message.deleted_at is not None,
        purged_at=message.purged_at,
        flag_count=len(flags),
        reasons=reasons,
        notes=[flag.note for flag in flags if flag.note],
        first_flagged_at=flags[0].created_at,
        resolution=resolution,
        link=message_link(conversation.id, message.seq),
    )


# --- review ----------------------------------------------------------------------------------


async def _resolve_open_flags(uow: UnitOfWork, actor: Actor, message: Message, status: FlagStatus, note: str) -> int:
    """Close the message's open flags; returns how many there were."""
    result = await uow.session.execute(
        update(Flag)
        .where(Flag.message_id == message.id, Flag.status == FlagStatus.OPEN.value)
        .values(status=status.value, resolved_by_id=actor.person_id, resolved_at=uow.clock.now(), resolution_note=note[:REASON_MAX])
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def _record(uow: UnitOfWork, actor: Actor, action: str, conversation: Conversation, message: Message, **detail: object) -> None:
    audit.record(
        uow, actor_id=actor.person_id, action=action, institution_id=conversation.institution_id,
        target_kind="message", target_id=message.id, detail={"conversation": conversation.id, "seq": message.seq, **detail},
    )


async def dismiss_flags(uow: UnitOfWork, actor: Actor, flag_id: object, *, note: object = "") -> int:
    """Dismiss the open flags on the message of `flag_id` (the queue shows one item per
    message); returns how many were dismissed.

    Who: `moderation.review` on the flagged message.
    Raises: NotFound (missing flag, or one the actor may not review), Invalid (note),
    Conflict (no open flag left on that message).
    """
    key = _positive_id(flag_id)
    flag = await queries.get_flag(uow.session, key) if key is not None else None
    conversation = await conversation_queries.get_conversation(uow.session, flag.conversation_id) if flag else None
    message = await conversation_queries.get_message(uow.session, flag.message_id) if flag else None
    if conversation is None or message is None or not policy.can(actor, Action.MODERATION_REVIEW, _ref(conversation, message)):
        raise NotFound("flag")
    text = _resolution_note(note)
    dismissed = await _resolve_open_flags(uow, actor, message, FlagStatus.DISMISSED, text)
    if dismissed == 0:
        raise Conflict("The flags on this message were already resolved.")
    _record(uow, actor, "flags_dismissed", conversation, message, flags=dismissed, note=text)
    return dismissed


async def hide_message(uow: UnitOfWork, actor: Actor, conversation_id: object, seq: object, *, reason: object) -> Message:
    """Hide a message from every reader, with a reason, and resolve its open flags as actioned.

    Who: `moderation.review`. Emits: hidden/update on conv:<id> (the message data with
    `html` empty and `hidden: true`), so live readers see it vanish.
    Raises: NotFound, Forbidden (not a moderator of the space, or one's own message),
    Invalid (reason), Conflict (already hidden, or deleted).
    """
    conversation, message = await _reviewable_message(uow, actor, conversation_id, seq)
    text = clean_text(reason, field="reason", label="The reason", max_length=REASON_MAX)
    if message.deleted_at is not None:
        raise Conflict("This message was deleted; dismiss its flags instead.")
    if message.hidden_at is not None:
        raise Conflict("This message is already hidden.")
    message.hidden_at = uow.clock.now()
    message.hidden_by_id = actor.person_id
    message.hide_reason = text
    actioned = await _resolve_open_flags(uow, actor, message, FlagStatus.ACTIONED, f"Hidden: {text}")
    _record(uow, actor, "message_hidden", conversation, message, flags=actioned, reason=text)
    payload = conversations.message_payload(message, await _author(uow, message))
    uow.emit(Event(conversation_topic(conversation.id), "hidden", "update", message.seq, payload))
    return message


async def unhide_message(uow: UnitOfWork, actor: Actor, conversation_id: object, seq: object, *, note: object = "") -> Message:
    """Show a hidden message again.

    Who: `moderation.review`. Emits: unhidden/update on conv:<id> with the message's html.
    Raises: NotFound, Forbidden, Invalid (note), Conflict (not hidden, or its text purged).
    """
    conversation, message = await _reviewable_message(uow, actor, conversation_id, seq)
    text = _resolution_note(note)
    if message.hidden_at is None:
        raise Conflict("This message is not hidden.")
    if message.purged_at is not None:
        raise Conflict("The text of this message was purged after its retention period; there is nothing to show again.")
    message.hidden_at = None
    message.hidden_by_id = None
    message.hide_reason = ""
    _record(uow, actor, "message_unhidden", conversation, message, note=text)
    payload = conversations.message_payload(message, await _author(uow, message))
    uow.emit(Event(conversation_topic(conversation.id), "unhidden", "update", message.seq, payload))
    return message


def warning_payload(warning: ModerationWarning, seq: int) -> dict[str, Any]:
    return {
        "id": warning.id,
        "conversation": warning.conversation_id,
        "seq": seq,
        "text": warning.text,
        "created_at": warning.created_at.isoformat(),
        "link": message_link(warning.conversation_id, seq),
    }


async def warn_author(uow: UnitOfWork, actor: Actor, conversation_id: object, seq: object, *, text: object) -> ModerationWarning:
    """Send the author of a message a warning they read on their warnings page; resolves the
    message's open flags as actioned.

    Who: `moderation.review`. Emits: warning/add on person:<author id>.
    Raises: NotFound, Forbidden, Invalid (text), Conflict (the author's account was deleted).
    """
    conversation, message = await _reviewable_message(uow, actor, conversation_id, seq)
    body = clean_text(text, field="text", label="The warning", max_length=WARNING_MAX)
    author = await _author(uow, message)
    if author.is_deleted:
        raise Conflict("The author's account was deleted.")
    warning = ModerationWarning(
        person_id=author.id, moderator_id=actor.person_id, message_id=message.id, conversation_id=conversation.id, text=body, created_at=uow.clock.now()
    )
    uow.session.add(warning)
    await uow.flush()
    actioned = await _resolve_open_flags(uow, actor, message, FlagStatus.ACTIONED, "Author warned.")
    _record(uow, actor, "author_warned", conversation, message, flags=actioned, warning=warning.id)
    uow.emit(Event(person_topic(author.id), "warning", "add", warning.id, warning_payload(warning, message.seq)))
    await notifications.notify(
        uow, recipients=[author.id], kind="warning", conversation=conversation, seq=message.seq, actor_id=None,
        summary="A moderator sent you a note about one of your messages", link="/moderation/warnings",
    )
    return warning


# --- reading: one's warnings, a message's edit history --------------------------------------


@dataclass(frozen=True)
class WarningView:
    id: int
    text: str
    created_at: datetime
    seq: int
    # None when the person can no longer read the conversation (SEC-A5).
    conversation_title: str | None
    link: str | None


async def list_my_warnings(uow: UnitOfWork, actor: Actor, *, before_id: int | None = None) -> list[WarningView]:
    """The warnings moderators sent the actor, newest first."""
    rows = await queries.list_warnings(uow.session, actor.person_id, before_id=before_id, limit=WARNINGS_PAGE)
    views = []
    for warning, message, conversation in rows:
        readable = policy.can(actor, Action.SPACE_READ, conversation)
        views.append(
            WarningView(
                id=warning.id,
                text=warning.text,
                created_at=warning.created_at,
                seq=message.seq,
                conversation_title=(conversation.title or f"Conversation {conversation.id}") if readable else None,
                link=message_link(conversation.id, message.seq) if readable else None,
            )
        )
    return views


@dataclass(frozen=True)
class Version:
    body: str
    at: datetime
    editor: str


@dataclass(frozen=True)
class MessageHistory:
    conversation: Conversation
    seq: int
    author: dict[str, Any]
    current: Version
    earlier: list[Version]  # oldest first
    hidden: bool
    deleted: bool
    purged_at: datetime | None


async def message_history(uow: UnitOfWork, actor: Actor, conversation_id: object, seq: object) -> MessageHistory:
    """Every text a message has had, for a moderator of its space; the read is audited.

    Who: `message.moderate`. Raises: NotFound, Forbidden (a reader who does not moderate).
    """
    conversation, message = await _readable_message(uow, actor, conversation_id, seq)
    policy.require(actor, Action.MESSAGE_MODERATE, conversation)
    edits = await queries.list_edits(uow.session, message.id)
    people = await identity_queries.get_people(uow.session, {message.author_id} | {edit.editor_id for edit in edits})
    author = people[message.author_id]
    _record(uow, actor, "message_history_read", conversation, message)
    return MessageHistory(
        conversation=conversation,
        seq=message.seq,
        # A pseudonymous or anonymous author stays so for moderators too (break-glass only, #5).
        author=conversations.shown_author(message, author),
        current=Version(message.body, message.edited_at or message.created_at, conversations.shown_author(message, author)["name"]),
        earlier=[Version(edit.body, edit.edited_at, conversations.shown_author(message, people[edit.editor_id])["name"]) for edit in edits],
        hidden=message.hidden_at is not None,
        deleted=message.deleted_at is not None,
        purged_at=message.purged_at,
    )
