"""Intents of the messaging core: post, edit, delete, react, mark read, and the
policy-checked readers every space uses.

Every write runs in the caller's unit of work and queues its event there, so the event
leaves only after the commit. A message's seq comes from its conversation's counter,
incremented in the same transaction. Posting is idempotent on the author's
`client_msg_id`: a retry returns the first message and stores nothing (DESIGN.md).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import Connection, delete
from sqlalchemy.orm import Session

from artme_cop import policy
from artme_cop.conversations import hooks, queries
from artme_cop.conversations.models import REACTIONS, Conversation, ConversationKind, ConversationMember, Message, MessageEdit, Reaction
from artme_cop.conversations.rendering import RENDERER_VERSION, find_mentions, render_markdown
from artme_cop.conversations.statements import ConversationRow, CoreStatements, statements_for
from artme_cop.errors import ConfirmationNeeded, Conflict, DomainError, Forbidden, Invalid, NotFound
from artme_cop.identity import service as identity
from artme_cop.identity.models import Person
from artme_cop.policy import Action, Actor, SpaceScope
from artme_cop.realtime.events import Event, access_topic, conversation_topic, person_topic
from artme_cop.unit_of_work import UnitOfWork

MAX_BODY = 10_000
REPLAY_PAGE = 500
_CLIENT_ID = re.compile(r"[A-Za-z0-9_.:-]{1,64}")
_FORBIDDEN_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


@dataclass(frozen=True)
class Posted:
    conversation_id: int
    seq: int
    client_msg_id: str
    duplicate: bool

    def ack(self) -> dict[str, Any]:
        return {"client_msg_id": self.client_msg_id, "conversation": self.conversation_id, "seq": self.seq}


@dataclass(frozen=True)
class SendRequest:
    """One `send`: who, where, what. Fields are raw input; `post_messages` validates them."""

    actor: Actor
    conversation_id: object
    body: object
    client_msg_id: object
    reply_to: object = None
    # The author saw the screen's warning (a patient's identifiers) and posts anyway.
    confirmed: bool = False


# --- events ----------------------------------------------------------------------------------


def author_payload(person: Person) -> dict[str, Any]:
    if person.is_deleted:
        return {"id": None, "name": "Deleted account", "pronouns": ""}
    return {"id": person.id, "name": person.display_name, "pronouns": person.pronouns}


def alias_payload(alias: str) -> dict[str, Any]:
    """The author as a feature chose to show them (a per-room pseudonym): no id, no pronouns."""
    return {"id": None, "name": alias, "pronouns": ""}


def shown_author(message: Message, author: Person) -> dict[str, Any]:
    """The author as readers of the message see them: its alias where the feature set one."""
    return author_payload(author) if message.author_alias is None else alias_payload(message.author_alias)


def message_payload(message: Message, author: Person) -> dict[str, Any]:
    removed = message.deleted_at is not None or message.hidden_at is not None
    alias = message.author_alias
    return {
        "conversation": message.conversation_id,
        "seq": message.seq,
        "author": author_payload(author) if alias is None else alias_payload(alias),
        "html": "" if removed else message.html,
        "deleted": message.deleted_at is not None,
        "hidden": message.hidden_at is not None,
        "reply_to": message.reply_to_seq,
        "client_msg_id": message.client_msg_id,
        "created_at": message.created_at.isoformat(),
        "edited_at": message.edited_at.isoformat() if message.edited_at else None,
    }


def message_event(message: Message, author: Person) -> Event:
    topic = conversation_topic(message.conversation_id)
    return Event(topic, "message", "add", message.seq, message_payload(message, author), seq=message.seq)


def payload_for(actor: Actor, conversation: Conversation, message: Message, author: Person) -> dict[str, Any]:
    """`message_payload` as one reader sees it: where the kind keeps hidden messages for their
    author and the moderators, those two still read the text (marked hidden)."""
    payload = message_payload(message, author)
    if message.hidden_at is not None and message.deleted_at is None and hooks.keeps_hidden(conversation.kind):
        if message.author_id == actor.person_id or policy.can(actor, Action.MESSAGE_MODERATE, conversation):
            payload["html"] = message.html
    return payload


def _change_event(kind: str, op: str, message: Message, author: Person) -> Event:
    topic = conversation_topic(message.conversation_id)
    return Event(topic, kind, op, message.seq, message_payload(message, author))


# --- reading ---------------------------------------------------------------------------------


def _key(value: object, label: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise Invalid(f"{label} must be a whole number.", field=label)
    try:
        number = int(value)
    except ValueError:
        raise Invalid(f"{label} must be a whole number.", field=label) from None
    if not 0 <= number < 2**31:
        raise Invalid(f"{label} is out of range.", field=label)
    return number


async def access_conversation(uow: UnitOfWork, actor: Actor, conversation_id: object) -> Conversation:
    """Fetch a conversation the actor may read.

    Raises: NotFound for a missing and a hidden conversation alike, so ids cannot be probed (SEC-A2).
    """
    try:
        key = _key(conversation_id, "conversation")
    except Invalid:
        raise NotFound("conversation") from None
    conversation = await queries.get_conversation(uow.session, key)
    if conversation is None or not policy.can(actor, Action.SPACE_READ, conversation):
        raise NotFound("conversation")
    return conversation


async def replay(uow: UnitOfWork, actor: Actor, conversation_id: object, *, after_seq: object, up_to_seq: int | None = None, limit: int = REPLAY_PAGE) -> list[Event]:
    """Message events with seq > after_seq, oldest first, a page at a time."""
    conversation = await access_conversation(uow, actor, conversation_id)
    after = _key(after_seq, "after_seq")
    rows = await queries.list_messages_after(uow.session, conversation.id, after, limit=limit, up_to_seq=up_to_seq)
    if not hooks.keeps_hidden(conversation.kind):
        return [message_event(message, author) for message, author in rows]
    topic = conversation_topic(conversation.id)
    return [Event(topic, "message", "add", m.seq, payload_for(actor, conversation, m, a), seq=m.seq) for m, a in rows]


async def history(uow: UnitOfWork, actor: Actor, conversation_id: object, *, before_seq: int | None = None, limit: int = 50) -> tuple[Conversation, list[dict[str, Any]]]:
    """A page of a conversation for a page render: the newest, or those before `before_seq`."""
    conversation = await access_conversation(uow, actor, conversation_id)
    rows = await queries.list_messages_before(uow.session, conversation.id, before_seq, limit=limit)
    return conversation, [payload_for(actor, conversation, message, author) for message, author in rows]


async def list_conversations(uow: UnitOfWork, actor: Actor) -> list[Conversation]:
    """The conversations the actor may read, by the policy's visibility filter."""
    where = policy.space_clause(actor, Conversation.scope, Conversation.institution_id, Conversation.cohort_id, Conversation.id)
    return await queries.list_conversations(uow.session, where)


# --- writing ---------------------------------------------------------------------------------


def clean_body(body: object) -> str:
    if not isinstance(body, str):
        raise Invalid("The message must be text.", field="body")
    text = body.replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        raise Invalid("Write something first.", field="body")
    if len(text) > MAX_BODY:
        raise Invalid(f"A message can be at most {MAX_BODY} characters.", field="body")
    if _FORBIDDEN_CONTROLS.search(text):
        raise Invalid("The message contains control characters.", field="body")
    return text


def require_confirmed(text: str, confirmed: bool, *, subject: str = "This message", field: str = "body") -> None:
    """Refuse a text a screen wants until its author confirms it (SEC-L1: the warning comes
    before anything is published)."""
    if not confirmed:
        warning = hooks.warning_for(text, subject)
        if warning is not None:
            raise ConfirmationNeeded(warning, field=field)


async def screen_attached_text(uow: UnitOfWork, posted: Posted, text: str) -> None:
    """Run the screens over the text of a file posted with a message (confirmed by then), as
    if it were the message's own text: a screen's hook then flags the message."""
    if not hooks.screened([text]):
        return
    message = await queries.get_message_by_seq(uow.session, posted.conversation_id, posted.seq)
    conversation = await uow.session.get(Conversation, posted.conversation_id)
    assert message is not None and conversation is not None
    await hooks.run_screens(uow, [_screened_as(message, conversation, text)])


def _screened_as(message: Message, conversation: Conversation, text: str, mentioned: list[Person] | None = None) -> hooks.StoredMessage:
    """A stored message as the screens see it, with `text` as its body (an edit's new text,
    an attached file's text)."""
    return hooks.StoredMessage(
        conversation=conversation, message_id=message.id, seq=message.seq, author_id=message.author_id, body=text,
        reply_to=message.reply_to_seq, mentioned=tuple(p.id for p in mentioned or ()), created_at=message.created_at,
    )


def clean_client_msg_id(value: object) -> str:
    if not isinstance(value, str) or not _CLIENT_ID.fullmatch(value):
        raise Invalid("client_msg_id must be 1 to 64 letters, digits or _.:-", field="client_msg_id")
    return value


async def open_conversation(
    uow: UnitOfWork, *, kind: ConversationKind, scope: SpaceScope, title: str = "", institution_id: int | None = None, cohort_id: int | None = None
) -> Conversation:
    """Create the conversation a feature's space writes into (features check their own rights)."""
    conversation = Conversation(
        kind=kind.value, title=title, scope=scope.value, institution_id=institution_id, cohort_id=cohort_id, last_seq=0, is_locked=False, created_at=uow.clock.now()
    )
    uow.session.add(conversation)
    await uow.flush()
    return conversation


async def members_of(uow: UnitOfWork, conversation: Conversation) -> dict[int, bool]:
    """A members-scope conversation's list: person id -> whether they moderate it."""
    return {m.person_id: m.is_moderator for m in await queries.list_members(uow.session, conversation.id)}


async def set_members(uow: UnitOfWork, conversation: Conversation, members: dict[int, bool]) -> set[int]:
    """Make a members-scope conversation's list exactly `members` (person id -> moderates), for
    the feature that owns it (it checked its own rights). Everyone whose access changed is told
    on their access topic after the commit, so their open sockets drop or gain it at once.
    Returns the people whose access changed."""
    if conversation.scope != SpaceScope.MEMBERS.value:
        raise Invalid("Only a members-only conversation has a member list.", field="conversation")
    current = {m.person_id: m for m in await queries.list_members(uow.session, conversation.id)}
    changed: set[int] = set()
    for person_id, member in current.items():
        if person_id not in members:
            await uow.session.delete(member)
            changed.add(person_id)
        elif member.is_moderator != members[person_id]:
            member.is_moderator = members[person_id]
            changed.add(person_id)
    for person_id, moderates in members.items():
        if person_id not in current:
            uow.session.add(ConversationMember(conversation_id=conversation.id, person_id=person_id, is_moderator=moderates, added_at=uow.clock.now()))
            changed.add(person_id)
    await uow.flush()
    for person_id in sorted(changed):
        uow.emit(Event(access_topic(person_id), "access", "changed", conversation.id, {}))
    return changed


async def post_message(
    uow: UnitOfWork, actor: Actor, conversation_id: object, *, body: object, client_msg_id: object, reply_to: object = None, confirmed: bool = False
) -> Posted:
    """Add a message to a conversation, or return the one this client_msg_id already made.

    Who: `message.post` on the conversation (can read it, not locked).
    Emits: message/add on conv:<id>, and mention/add on person:<id> for each mentioned person.
    Raises: NotFound (missing or hidden conversation), Forbidden (locked), Invalid (body, ids),
    ConfirmationNeeded (a screen wants the text and `confirmed` is false).
    """
    [outcome] = await post_messages(uow, [SendRequest(actor, conversation_id, body, client_msg_id, reply_to, confirmed)])
    if isinstance(outcome, DomainError):
        raise outcome
    return outcome


@dataclass
class _Accepted:
    request: SendRequest
    conversation: ConversationRow
    client_msg_id: str
    body: str
    reply_to: int | None
    mentioned: list[Person]
    alias: str | None = None
    seq: int = 0


async def post_messages(uow: UnitOfWork, requests: list[SendRequest]) -> list[Posted | DomainError]:
    """Post many messages in one go (the group-commit path), each under the rules of
    `post_message`; returns, in order, each one's Posted or the domain error it got.

    The work runs in the unit of work's transaction as one synchronous block
    (`store_messages`), so a batch crosses into the database layer once, not per statement.
    """
    stored: list[hooks.StoredMessage] = []
    outcomes, events = await uow.session.run_sync(_store_in_session, requests, uow.clock.now(), stored)
    # Features (a forum thread's counts and notifications) add to the post in this transaction.
    await hooks.run_after_post(uow, stored)
    for event in events:
        uow.emit(event)
    return outcomes


def _store_in_session(
    session: Session, requests: list[SendRequest], now: datetime, stored: list[hooks.StoredMessage]
) -> tuple[list[Posted | DomainError], list[Event]]:
    session.flush()  # the statements bypass the ORM, so it must not hold pending changes
    return store_messages(session.connection(), requests, now, stored)


def store_messages(
    connection: Connection, requests: list[SendRequest], now: datetime, stored: list[hooks.StoredMessage] | None = None
) -> tuple[list[Posted | DomainError], list[Event]]:
    """The body of `post_messages` on a synchronous connection, inside the caller's
    transaction; returns the outcomes and the events to emit once the transaction commits.

    The group-commit writer runs it on SQLite's write thread (one thread hop per batch), and
    `post_messages` through `run_sync` (PostgreSQL, and posts inside a larger unit of work).
    The work per batch is a handful of statements whatever its size (conversations.statements:
    plain sqlite3 on the write thread, SQLAlchemy Core elsewhere): one for earlier
    client_msg_ids, one for the conversations, one for the authors, one seq update per
    conversation and the inserts.
    """
    db = statements_for(connection)
    outcomes: list[Posted | DomainError | None] = [None] * len(requests)
    keys: dict[int, tuple[int, str]] = {}
    for index, request in enumerate(requests):
        try:
            keys[index] = (request.actor.person_id, clean_client_msg_id(request.client_msg_id))
        except DomainError as exc:
            outcomes[index] = exc
    earlier = _earlier(db, set(keys.values()))
    conversation_ids = {c for c in (_maybe_key(r.conversation_id) for r in requests) if c is not None}
    conversations = db.conversations(sorted(conversation_ids)) if conversation_ids else {}
    accepted: dict[int, _Accepted] = {}
    first_in_batch: dict[tuple[int, str], int] = {}
    for index, key in keys.items():
        if key in earlier:
            outcomes[index] = Posted(earlier[key][0], earlier[key][1], key[1], duplicate=True)
        elif key in first_in_batch:
            continue  # a retry inside this very batch: answered below from the first
        else:
            try:
                accepted[index] = _accept(db, requests[index], conversations, key[1], now)
                first_in_batch[key] = index
            except DomainError as exc:
                outcomes[index] = exc
    events = _store(db, list(accepted.values()), now, stored)
    for index, item in accepted.items():
        outcomes[index] = Posted(item.conversation.id, item.seq, item.client_msg_id, duplicate=False)
    for index, key in keys.items():
        if outcomes[index] is None:
            first = outcomes[first_in_batch[key]]
            assert isinstance(first, (Posted, DomainError))
            outcomes[index] = Posted(first.conversation_id, first.seq, key[1], duplicate=True) if isinstance(first, Posted) else first
    return [o for o in outcomes if o is not None], events


def _earlier(db: CoreStatements, keys: set[tuple[int, str]]) -> dict[tuple[int, str], tuple[int, int]]:
    """(author_id, client_msg_id) -> (conversation_id, seq) for the keys already stored."""
    if not keys:
        return {}
    return {(a, c): (conv, seq) for a, c, conv, seq in db.earlier(sorted(keys))}


def _maybe_key(value: object) -> int | None:
    try:
        return _key(value, "conversation")
    except Invalid:
        return None


def _accept(db: CoreStatements, request: SendRequest, conversations: dict[int, ConversationRow], client_id: str, now: datetime) -> _Accepted:
    """Check one send against the policy, the input rules and its kind's accept check (which
    may note what it needs, such as a last-post time, in the same transaction)."""
    actor = request.actor
    conversation = conversations.get(_maybe_key(request.conversation_id) or -1)
    # Same answer for a missing and a hidden conversation (SEC-A2).
    if conversation is None or not policy.can(actor, Action.SPACE_READ, conversation):
        raise NotFound("conversation")
    if not policy.can(actor, Action.MESSAGE_POST, conversation):
        raise Forbidden("This conversation is closed to new messages.")
    text = clean_body(request.body)
    reply_seq = None if request.reply_to in (None, "") else _key(request.reply_to, "reply_to")
    if reply_seq is not None and not 1 <= reply_seq <= conversation.last_seq:
        raise Invalid("The message you reply to does not exist.", field="reply_to")
    require_confirmed(text, request.confirmed)  # before the kind's check, which may note the post
    mention_ids = [pid for pid in find_mentions(text) if pid != actor.person_id]
    mentioned = _addressable_on(db.connection, conversation, mention_ids) if mention_ids else []
    check = hooks.accept_check(conversation.kind)
    alias = None if check is None else check(db.connection, actor, conversation, now)
    return _Accepted(request, conversation, client_id, text, reply_seq, mentioned, alias)


def _shown_mentions(mentioned: list[Person], author_alias: str | None) -> dict[int, str]:
    """The mentions rendered as links to people. In a room where people speak under a handle
    (the author has an alias) none is: a name and person id in the HTML would tell the room who
    is there. The mention stays text as typed, and the person is still notified."""
    return {} if author_alias is not None else {p.id: p.display_name for p in mentioned}


class _NewMessage(NamedTuple):
    """A message just inserted, as `message_payload` reads it: building an ORM instance per
    message only to read it back cost more than the insert."""

    conversation_id: int
    seq: int
    html: str
    reply_to_seq: int | None
    client_msg_id: str
    created_at: datetime
    author_alias: str | None = None
    deleted_at: None = None
    hidden_at: None = None
    edited_at: None = None


def _store(db: CoreStatements, items: list[_Accepted], now: datetime, stored: list[hooks.StoredMessage] | None = None) -> list[Event]:
    """Allocate seqs per conversation, insert every message; returns the events to emit."""
    if not items:
        return []
    by_conversation: dict[int, list[_Accepted]] = {}
    for item in items:
        by_conversation.setdefault(item.conversation.id, []).append(item)
    for conversation_id, group in by_conversation.items():
        last = db.advance_seq(conversation_id, len(group))
        for offset, item in enumerate(group):
            item.seq = last - len(group) + 1 + offset
    rows = [
        {
            "conversation_id": item.conversation.id,
            "seq": item.seq,
            "author_id": item.request.actor.person_id,
            "client_msg_id": item.client_msg_id,
            "body": item.body,
            "html": render_markdown(item.body, _shown_mentions(item.mentioned, item.alias)),
            "renderer_version": RENDERER_VERSION,
            "reply_to_seq": item.reply_to,
            "created_at": now,
            "hide_reason": "",
            "author_alias": item.alias,
        }
        for item in items
    ]
    ids = db.insert_messages(rows)
    authors = db.authors(sorted({item.request.actor.person_id for item in items}))
    mentions = [{"message_id": message_id, "person_id": p.id} for message_id, item in zip(ids, items) for p in item.mentioned]
    if mentions:
        db.insert_mentions(mentions)
    if stored is not None:
        stored.extend(_stored(message_id, item, now) for message_id, item in zip(ids, items))
    events: list[Event] = []
    for message_id, item, row in zip(ids, items, rows):
        author = authors[item.request.actor.person_id]
        message = _NewMessage(item.conversation.id, item.seq, row["html"], item.reply_to, item.client_msg_id, now, item.alias)
        events.append(message_event(message, author))  # type: ignore[arg-type]
        for person in item.mentioned:
            by = author_payload(author) if item.alias is None else alias_payload(item.alias)  # type: ignore[arg-type]
            data = {"conversation": item.conversation.id, "seq": item.seq, "by": by}
            events.append(Event(person_topic(person.id), "mention", "add", message_id, data))
    return events


def _stored(message_id: int, item: _Accepted, now: datetime) -> hooks.StoredMessage:
    return hooks.StoredMessage(
        conversation=item.conversation, message_id=message_id, seq=item.seq, author_id=item.request.actor.person_id,
        body=item.body, reply_to=item.reply_to, mentioned=tuple(p.id for p in item.mentioned), created_at=now,
    )


def _addressable_on(connection: Connection, conversation: Any, person_ids: list[int]) -> list[Person]:
    """`_addressable` on a bare connection (the write path has no ORM session; mentions are rare)."""
    with Session(bind=connection) as session:
        return _addressable(session, conversation, person_ids)


def _addressable(session: Session, conversation: Any, person_ids: list[int]) -> list[Person]:
    """The mentioned people who can read the conversation; the others are not told (SEC-A3)."""
    if not person_ids:
        return []
    readers = {a.person_id for a in identity.actors_for_sync(session, person_ids) if policy.can(a, Action.SPACE_READ, conversation)}
    people = [session.get(Person, pid) for pid in person_ids if pid in readers]
    return [p for p in people if p is not None]


async def _own_or_moderated(uow: UnitOfWork, actor: Actor, conversation_id: object, seq: object) -> tuple[Conversation, Message]:
    conversation = await access_conversation(uow, actor, conversation_id)
    message = await queries.get_message_by_seq(uow.session, conversation.id, _key(seq, "seq"))
    if message is None:
        raise NotFound("message")
    return conversation, message


async def edit_message(uow: UnitOfWork, actor: Actor, conversation_id: object, seq: object, *, body: object, confirmed: bool = False) -> Message:
    """Change one's own message, keeping the earlier text in the edit history; the new text
    is screened as a new post is.

    Who: `message.edit` (the author). Emits: edited/update on conv:<id>.
    """
    _, message = await _own_or_moderated(uow, actor, conversation_id, seq)
    policy.require(actor, Action.MESSAGE_EDIT, message)
    if message.deleted_at is not None:
        raise Conflict("A deleted message cannot be edited.")
    text = clean_body(body)
    require_confirmed(text, confirmed)
    now = uow.clock.now()
    uow.session.add(MessageEdit(message_id=message.id, body=message.body, edited_at=now, editor_id=actor.person_id))
    conversation = await access_conversation(uow, actor, conversation_id)
    mention_ids = [pid for pid in find_mentions(text) if pid != actor.person_id]
    mentioned = await uow.session.run_sync(_addressable, conversation, mention_ids)
    message.body = text
    message.html = render_markdown(text, _shown_mentions(mentioned, message.author_alias))
    message.edited_at = now
    await hooks.run_screens(uow, [_screened_as(message, conversation, text, mentioned)])
    author = await identity.get_profile(uow, actor)
    uow.emit(_change_event("edited", "update", message, author))
    return message


async def delete_message(uow: UnitOfWork, actor: Actor, conversation_id: object, seq: object, *, reason: str = "") -> Message:
    """Soft-delete a message: one's own, or any as a moderator of the space.

    Emits: deleted/remove on conv:<id>. The text is blanked for everyone (SEC-B4).
    """
    conversation, message = await _own_or_moderated(uow, actor, conversation_id, seq)
    if not (policy.can(actor, Action.MESSAGE_EDIT, message) or policy.can(actor, Action.MESSAGE_MODERATE, conversation)):
        raise Forbidden("You can delete only your own messages.")
    if message.deleted_at is not None:
        return message
    message.deleted_at = uow.clock.now()
    message.deleted_by_id = actor.person_id
    author = await uow.session.get(Person, message.author_id)
    assert author is not None
    if message.author_id != actor.person_id:
        from artme_cop.moderation import service as moderation

        moderation.record(
            uow, actor_id=actor.person_id, action="message_deleted", institution_id=conversation.institution_id,
            target_kind="message", target_id=message.id, detail={"conversation": conversation.id, "seq": message.seq, "reason": reason[:500]},
        )
    uow.emit(_change_event("deleted", "remove", message, author))
    return message


async def react(uow: UnitOfWork, actor: Actor, conversation_id: object, seq: object, *, emoji: object, on: bool = True) -> dict[str, int]:
    """Add or remove one's reaction from the fixed set; returns the counts.

    Emits: reaction/add or reaction/remove on conv:<id>.
    """
    _, message = await _own_or_moderated(uow, actor, conversation_id, seq)
    if emoji not in REACTIONS:
        raise Invalid(f"Choose one of the reactions: {', '.join(REACTIONS)}.", field="emoji")
    if message.deleted_at is not None:
        raise Conflict("A deleted message cannot get reactions.")
    existing = await uow.session.get(Reaction, (message.id, actor.person_id, emoji))
    if on and existing is None:
        uow.session.add(Reaction(message_id=message.id, person_id=actor.person_id, emoji=str(emoji), created_at=uow.clock.now()))
    elif not on and existing is not None:
        await uow.session.execute(delete(Reaction).where(Reaction.message_id == message.id, Reaction.person_id == actor.person_id, Reaction.emoji == emoji))
    await uow.flush()
    counts = await queries.reaction_counts(uow.session, message.id)
    data = {"conversation": message.conversation_id, "seq": message.seq, "emoji": emoji, "person": actor.person_id, "counts": counts}
    uow.emit(Event(conversation_topic(message.conversation_id), "reaction", "add" if on else "remove", message.seq, data))
    return counts


async def mark_read(uow: UnitOfWork, actor: Actor, conversation_id: object, *, seq: object) -> int:
    """Move the actor's read marker forward (never back); returns the marker."""
    conversation = await access_conversation(uow, actor, conversation_id)
    asked = _key(seq, "seq")
    if asked > conversation.last_seq:
        # a post of this unit of work moved last_seq in the database, not in this loaded object
        await uow.session.refresh(conversation, attribute_names=["last_seq"])
    target = min(asked, conversation.last_seq)
    return await queries.advance_read_marker(uow.session, actor.person_id, conversation.id, target, uow.clock.now())
