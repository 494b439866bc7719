"""Intents of the forum: categories, starting and reading threads, replies through the
messaging core, watch/mute, bookmarks, and the moderators' lock, pin and move.

A thread is a conversation of kind "thread" plus a row here with its title, category and
the counts lists sort by. Posts are messages of the core, so a reply made through a form,
the JSON API or a WebSocket `send` is the same `post_message`; the hook registered at the
end of this module keeps the thread's counts and watchers in step in that transaction.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert, update

from artme_cop import policy
from artme_cop.conversations import hooks
from artme_cop.conversations import queries as conversation_queries
from artme_cop.conversations import service as conversations
from artme_cop.conversations.models import REACTIONS, Conversation, ConversationKind, Message
from artme_cop.conversations.rendering import render_markdown
from artme_cop.errors import Conflict, Invalid, NotFound
from artme_cop.forum import queries
from artme_cop.forum.models import Bookmark, Category, StartRule, Thread, ThreadWatch, WatchLevel
from artme_cop.forum.queries import Cursor, ThreadOrder, ThreadRow
from artme_cop.identity import queries as identity_queries
from artme_cop.identity.models import Cohort, Institution, Person
from artme_cop.moderation import service as audit
from artme_cop.notifications import service as notifications
from artme_cop.policy import Action, Actor, NewThread, Space, SpaceScope
from artme_cop.realtime.events import Event, conversation_topic
from artme_cop.text import clean_line
from artme_cop.unit_of_work import UnitOfWork

THREAD_PAGE = 30
POSTS_PAGE = 30
TITLE_LIMIT = 200
_SLUG_UNSAFE = re.compile(r"[^a-z0-9]+")


def _key(value: object, label: str) -> int:
    """A positive id from raw input; anything else is Invalid (never reaches a query)."""
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise Invalid(f"{label} must be a whole number.", field=label)
    text = str(value).strip()
    if not text.isascii() or not text.isdigit() or not 0 < int(text) < 2**31:
        raise Invalid(f"{label} must be a whole number.", field=label)
    return int(text)


# --- categories ------------------------------------------------------------------------------


async def list_categories(uow: UnitOfWork, actor: Actor) -> list[tuple[Category, int]]:
    """Every category with the number of threads in it the actor may see."""
    counts = await queries.count_threads_by_category(uow.session, _visible(actor))
    return [(category, counts.get(category.id, 0)) for category in await queries.list_categories(uow.session)]


async def get_category(uow: UnitOfWork, category_ref: object) -> Category:
    """A category by id or slug; categories themselves are visible to every member."""
    category = None
    if isinstance(category_ref, str) and not category_ref.isdigit():
        category = await queries.get_category_by_slug(uow.session, category_ref[:60])
    else:
        try:
            category = await queries.get_category(uow.session, _key(category_ref, "category"))
        except Invalid:
            category = None
    if category is None:
        raise NotFound("category")
    return category


@dataclass(frozen=True)
class CategoryFields:
    name: str
    description: str
    position: int
    start_rule: str


def clean_category(*, name: object, description: object, position: object, start_rule: object) -> CategoryFields:
    clean_name = clean_line(name, field="name", label="Name", max_length=100)
    if not isinstance(description, str) or len(description) > 1000:
        raise Invalid("The description must be text of at most 1000 characters.", field="description")
    try:
        order = int(str(position).strip() or "0")
    except ValueError:
        raise Invalid("The position must be a whole number.", field="position") from None
    if not 0 <= order <= 100_000:
        raise Invalid("The position must be between 0 and 100000.", field="position")
    if start_rule not in {rule.value for rule in StartRule}:
        raise Invalid("Choose who may start threads.", field="start_rule")
    return CategoryFields(clean_name, description.strip(), order, str(start_rule))


async def create_category(uow: UnitOfWork, actor: Actor, fields: CategoryFields) -> Category:
    """Who: program admins. Audit: category_created."""
    policy.require(actor, Action.CATEGORY_MANAGE)
    slug = _SLUG_UNSAFE.sub("-", fields.name.lower()).strip("-")[:50] or "category"
    if await queries.get_category_by_slug(uow.session, slug) is not None:
        slug = f"{slug}-{uow.clock.now():%Y%m%d%H%M%S}"
    category = Category(slug=slug, name=fields.name, description=fields.description, position=fields.position, start_rule=fields.start_rule, created_at=uow.clock.now())
    uow.session.add(category)
    await uow.flush()
    audit.record(uow, actor_id=actor.person_id, action="category_created", target_kind="category", target_id=category.id, detail={"name": category.name})
    return category


async def update_category(uow: UnitOfWork, actor: Actor, category_ref: object, fields: CategoryFields) -> Category:
    """Who: program admins. Audit: category_updated."""
    policy.require(actor, Action.CATEGORY_MANAGE)
    category = await get_category(uow, category_ref)
    category.name, category.description = fields.name, fields.description
    category.position, category.start_rule = fields.position, fields.start_rule
    audit.record(uow, actor_id=actor.person_id, action="category_updated", target_kind="category", target_id=category.id, detail={"name": category.name, "start_rule": category.start_rule})
    return category


# --- where a thread can live -----------------------------------------------------------------


@dataclass(frozen=True)
class Place:
    """One answer to "where does this thread live": its form value, label and space."""

    value: str
    label: str
    space: Space


async def places(uow: UnitOfWork, actor: Actor) -> list[Place]:
    """The spaces the actor may start a thread in: the consortium, their school(s), their cohort(s)."""
    found = [Place("consortium", "Whole consortium (all schools and cohorts)", Space(SpaceScope.CONSORTIUM, None, None))]
    for institution in await _institutions(uow, actor):
        space = Space(SpaceScope.INSTITUTION, institution.id, None)
        if policy.can(actor, Action.SPACE_READ, space):
            found.append(Place(f"institution:{institution.id}", f"{institution.name} only", space))
    for cohort, institution in await _cohorts(uow, actor):
        space = Space(SpaceScope.COHORT, cohort.institution_id, cohort.id)
        if policy.can(actor, Action.SPACE_READ, space):
            found.append(Place(f"cohort:{cohort.id}", f"{cohort.name} ({institution.short_name}) only", space))
    return found


async def _institutions(uow: UnitOfWork, actor: Actor) -> list[Institution]:
    ids = {g.institution_id for g in actor.grants if g.institution_id is not None} | ({actor.institution_id} if actor.institution_id else set())
    rows = [await uow.session.get(Institution, i) for i in sorted(ids)]
    return [row for row in rows if row is not None]


async def _cohorts(uow: UnitOfWork, actor: Actor) -> list[tuple[Cohort, Institution]]:
    ids = actor.cohort_ids | {g.cohort_id for g in actor.grants if g.cohort_id is not None}
    found = []
    for cohort_id in sorted(ids):
        cohort = await uow.session.get(Cohort, cohort_id)
        institution = await uow.session.get(Institution, cohort.institution_id) if cohort else None
        if cohort is not None and institution is not None:
            found.append((cohort, institution))
    return found


async def _place(uow: UnitOfWork, actor: Actor, where: object) -> Place:
    for place in await places(uow, actor):
        if place.value == where:
            return place
    raise Invalid("Choose where the thread lives: the consortium, your school or your cohort.", field="where")


# --- threads ---------------------------------------------------------------------------------


def clean_title(value: object) -> str:
    return clean_line(value, field="title", label="The title", max_length=TITLE_LIMIT)


async def start_thread(
    uow: UnitOfWork, actor: Actor, *, category: object, where: object, title: object, body: object, client_msg_id: object, confirmed: bool = False
) -> Thread:
    """Open a thread with its first post.

    Who: `thread.start` (the space is the actor's own; the category's rule admits them).
    Emits: the first post's message/add. Raises: Invalid, NotFound (category), Forbidden.
    """
    retried = await _thread_started_with(uow, actor, client_msg_id)
    if retried is not None:
        return retried
    chosen = await get_category(uow, category)
    clean = clean_title(title)
    conversations.clean_body(body)  # a clear error for an empty first post before anything is written
    place = await _place(uow, actor, where)
    policy.require(actor, Action.THREAD_START, NewThread(chosen.start_rule, place.space))
    space = place.space
    conversation = await conversations.open_conversation(
        uow, kind=ConversationKind.THREAD, scope=space.scope, title=clean, institution_id=space.institution_id, cohort_id=space.cohort_id
    )
    now = uow.clock.now()
    thread = Thread(
        conversation_id=conversation.id, category_id=chosen.id, author_id=actor.person_id, title=clean,
        is_pinned=False, post_count=0, last_post_at=now, last_author_id=None, created_at=now,
    )
    uow.session.add(thread)
    await uow.flush()
    posted = await conversations.post_message(uow, actor, conversation.id, body=body, client_msg_id=client_msg_id, confirmed=confirmed)
    await conversations.mark_read(uow, actor, conversation.id, seq=posted.seq)  # one's own post is read, as in `reply`
    return thread


async def _thread_started_with(uow: UnitOfWork, actor: Actor, client_msg_id: object) -> Thread | None:
    """The thread whose first post this client_msg_id already made: a retried start returns
    it instead of opening a second, empty thread (idempotent like every post)."""
    key = (actor.person_id, conversations.clean_client_msg_id(client_msg_id))
    earlier = await conversation_queries.find_by_client_ids(uow.session, {key})
    if key not in earlier:
        return None
    conversation_id, seq = earlier[key]
    thread = (await queries.threads_of_conversations(uow.session, {conversation_id})).get(conversation_id)
    if thread is None or seq != 1:
        raise Conflict("This client_msg_id was already used for another message.", field="client_msg_id")
    return thread


async def access_thread(uow: UnitOfWork, actor: Actor, thread_ref: object) -> tuple[Thread, Conversation]:
    """A thread the actor may read. NotFound for missing and hidden alike (SEC-A2)."""
    try:
        found = await queries.get_thread(uow.session, _key(thread_ref, "thread"))
    except Invalid:
        found = None
    if found is None or not policy.can(actor, Action.SPACE_READ, found[1]):
        raise NotFound("thread")
    return found


def _visible(actor: Actor):  # type: ignore[no-untyped-def]
    return policy.space_clause(actor, Conversation.scope, Conversation.institution_id, Conversation.cohort_id)


def parse_cursor(value: str | None, order: ThreadOrder) -> Cursor | None:
    """`<sort value>~<id>` from a list's "next page" link; a bad cursor is Invalid (a 400)."""
    if not value:
        return None
    head, _, tail = value.rpartition("~")
    try:
        thread_id = _key(tail, "cursor")
        sort_value: datetime | int = int(head) if order is ThreadOrder.ACTIVE else datetime.fromisoformat(head)
    except (Invalid, ValueError):
        raise Invalid("This page link is not valid.", field="cursor") from None
    return Cursor(sort_value, thread_id)


def next_cursor(rows: list[ThreadRow], order: ThreadOrder, limit: int) -> str | None:
    if len(rows) < limit:
        return None
    last = rows[-1].thread
    value = {ThreadOrder.LATEST: last.last_post_at, ThreadOrder.NEW: last.created_at, ThreadOrder.ACTIVE: last.post_count}[order]
    return f"{value.isoformat() if isinstance(value, datetime) else value}~{last.id}"


def parse_order(value: str | None) -> ThreadOrder:
    try:
        return ThreadOrder(value or ThreadOrder.LATEST.value)
    except ValueError:
        raise Invalid("Sort by latest, new or active.", field="sort") from None


async def list_threads(
    uow: UnitOfWork, actor: Actor, *, category: Category | None = None, order: ThreadOrder = ThreadOrder.LATEST, cursor: Cursor | None = None, limit: int = THREAD_PAGE
) -> list[ThreadRow]:
    """A page of the threads the actor may see: one category's (pinned ones are listed
    apart, see `pinned_threads`), or the latest across categories without muted ones."""
    return await queries.list_threads(
        uow.session, visible=_visible(actor), person_id=actor.person_id, order=order, limit=limit,
        category_id=category.id if category else None, after=cursor,
        pinned=False if category else None, exclude_muted=category is None,
    )


async def unread_threads(uow: UnitOfWork, actor: Actor, *, limit: int = 5) -> list[ThreadRow]:
    """The threads with posts the actor has not read, newest activity first (muted ones left
    out), for the home page."""
    return await queries.list_threads(
        uow.session, visible=_visible(actor), person_id=actor.person_id, order=ThreadOrder.LATEST, limit=limit, exclude_muted=True, unread_only=True
    )


async def pinned_threads(uow: UnitOfWork, actor: Actor, category: Category) -> list[ThreadRow]:
    return await queries.list_threads(
        uow.session, visible=_visible(actor), person_id=actor.person_id, order=ThreadOrder.LATEST, limit=20, category_id=category.id, pinned=True
    )


@dataclass(frozen=True)
class ThreadPage:
    row: ThreadRow
    posts: list[dict[str, Any]]
    page: int
    pages: int
    first_unread: int | None
    can_post: bool
    can_moderate: bool


def page_of(seq: int) -> int:
    return (seq - 1) // POSTS_PAGE + 1


async def read_thread(uow: UnitOfWork, actor: Actor, thread_ref: object, *, page: int | None = None, unread: bool = False) -> ThreadPage:
    """One page of a thread's posts. Seqs are dense, so page N is the seq range
    ((N-1)*size, N*size]: a range scan whatever the thread's length, and stable while
    posts are added (they only ever append)."""
    thread, conversation = await access_thread(uow, actor, thread_ref)
    row = await queries.get_thread_row(uow.session, thread.id, actor.person_id)
    assert row is not None
    pages = max(1, page_of(max(conversation.last_seq, 1)))
    first_unread = (row.last_read_seq or 0) + 1 if (row.last_read_seq or 0) < conversation.last_seq else None
    if unread and first_unread is not None:
        page = page_of(first_unread)
    number = min(max(page or 1, 1), pages)
    first = (number - 1) * POSTS_PAGE + 1
    rows = await queries.posts_in_range(uow.session, conversation.id, first, first + POSTS_PAGE - 1)
    posts = await _post_views(uow, actor, conversation, thread, rows)
    return ThreadPage(
        row, posts, number, pages, first_unread,
        can_post=policy.can(actor, Action.MESSAGE_POST, conversation),
        can_moderate=policy.can(actor, Action.MESSAGE_MODERATE, conversation),
    )


async def _post_views(uow: UnitOfWork, actor: Actor, conversation: Conversation, thread: Thread, rows: list[tuple[Message, Person]]) -> list[dict[str, Any]]:
    counts, mine = await queries.reactions_of(uow.session, [m.id for m, _ in rows], actor.person_id)
    replied = await queries.reply_authors(uow.session, conversation.id, {m.reply_to_seq for m, _ in rows if m.reply_to_seq})
    bookmarked = await queries.bookmarked_seqs(uow.session, actor.person_id, thread.id)
    views = []
    for message, author in rows:
        view = conversations.message_payload(message, author)
        view["reactions"] = [(emoji, counts.get(message.id, {}).get(emoji, 0), (message.id, emoji) in mine) for emoji in REACTIONS]
        view["reply_to_name"] = replied.get(message.reply_to_seq or 0, "")
        view["mine"] = message.author_id == actor.person_id
        view["bookmarked"] = message.seq in bookmarked
        view["body"] = message.body if view["mine"] and not (view["deleted"] or view["hidden"]) else ""
        views.append(view)
    return views


async def read_posts_after(uow: UnitOfWork, actor: Actor, thread_ref: object, *, after_seq: int, limit: int = POSTS_PAGE) -> list[dict[str, Any]]:
    """The posts with seq > after_seq, oldest first, at most `limit`: how a client catches up.
    Seqs are dense, so this is the same range scan as a page."""
    thread, conversation = await access_thread(uow, actor, thread_ref)
    rows = await queries.posts_in_range(uow.session, conversation.id, after_seq + 1, after_seq + limit)
    return await _post_views(uow, actor, conversation, thread, rows)


async def read_post(uow: UnitOfWork, actor: Actor, thread_ref: object, seq: object) -> dict[str, Any]:
    """One post, in the same view as a page's posts."""
    thread, conversation = await access_thread(uow, actor, thread_ref)
    message = await _message(uow, conversation, seq)
    rows = await queries.posts_in_range(uow.session, conversation.id, message.seq, message.seq)
    [view] = await _post_views(uow, actor, conversation, thread, rows)
    return view


async def mark_read(uow: UnitOfWork, actor: Actor, thread_ref: object, seq: object) -> int:
    """Move the actor's read marker of a thread forward (never back); returns the marker."""
    _, conversation = await access_thread(uow, actor, thread_ref)
    return await conversations.mark_read(uow, actor, conversation.id, seq=seq)


async def quote(uow: UnitOfWork, actor: Actor, thread_ref: object, seq: object) -> str:
    """The markdown that quotes a post in a reply: its text as a block quote with a credit."""
    thread, conversation = await access_thread(uow, actor, thread_ref)
    message = await _message(uow, conversation, seq)
    if message.deleted_at is not None or message.hidden_at is not None:
        raise Invalid("A removed post cannot be quoted.", field="quote")
    author = await uow.session.get(Person, message.author_id)
    name = "Deleted account" if author is None or author.is_deleted else author.display_name
    quoted = "\n".join(f"> {line}" for line in message.body.splitlines())
    return f"{name} wrote in [#{message.seq}](/forum/threads/{thread.id}?post={message.seq}#p{message.seq}):\n{quoted}\n\n"


async def _message(uow: UnitOfWork, conversation: Conversation, seq: object) -> Message:
    try:
        number = _key(seq, "seq")
    except Invalid:
        raise NotFound("post") from None
    message = await conversation_queries.get_message_by_seq(uow.session, conversation.id, number)
    if message is None:
        raise NotFound("post")
    return message


async def reply(
    uow: UnitOfWork, actor: Actor, thread_ref: object, *, body: object, client_msg_id: object, reply_to: object = None, confirmed: bool = False
) -> conversations.Posted:
    """Post in a thread (the core checks the lock and the body; the hook updates the thread)."""
    _, conversation = await access_thread(uow, actor, thread_ref)
    posted = await conversations.post_message(uow, actor, conversation.id, body=body, client_msg_id=client_msg_id, reply_to=reply_to, confirmed=confirmed)
    await conversations.mark_read(uow, actor, conversation.id, seq=posted.seq)
    return posted


async def own_post(uow: UnitOfWork, actor: Actor, conversation: Conversation, seq: object) -> Message:
    """The actor's own post, to edit it; somebody else's is Forbidden, a removed one a Conflict."""
    message = await _message(uow, conversation, seq)
    policy.require(actor, Action.MESSAGE_EDIT, message)
    if message.deleted_at is not None or message.hidden_at is not None:
        raise Conflict("A removed post cannot be edited.")
    return message


async def edit_post(uow: UnitOfWork, actor: Actor, thread_ref: object, seq: object, *, body: object, confirmed: bool = False) -> Message:
    """Who: the author. The earlier text goes to the edit history (moderators can read it)."""
    _, conversation = await access_thread(uow, actor, thread_ref)
    message = await own_post(uow, actor, conversation, seq)
    return await conversations.edit_message(uow, actor, conversation.id, message.seq, body=body, confirmed=confirmed)


async def delete_post(uow: UnitOfWork, actor: Actor, thread_ref: object, seq: object) -> Message:
    """Soft delete: one's own post, or any as a moderator (logged by the core)."""
    _, conversation = await access_thread(uow, actor, thread_ref)
    message = await _message(uow, conversation, seq)
    return await conversations.delete_message(uow, actor, conversation.id, message.seq)


async def react(uow: UnitOfWork, actor: Actor, thread_ref: object, seq: object, *, emoji: object, on: bool) -> dict[str, int]:
    _, conversation = await access_thread(uow, actor, thread_ref)
    message = await _message(uow, conversation, seq)
    return await conversations.react(uow, actor, conversation.id, message.seq, emoji=emoji, on=on)


def require_category_manager(actor: Actor) -> None:
    policy.require(actor, Action.CATEGORY_MANAGE)


def preview(body: object) -> str:
    """The sanitized HTML a post would get; mentions show as typed until posted."""
    if not isinstance(body, str) or len(body) > conversations.MAX_BODY:
        raise Invalid(f"A post can be at most {conversations.MAX_BODY} characters.", field="body")
    return render_markdown(body, {})


# --- watching and bookmarks -----------------------------------------------------------------


async def set_watch(uow: UnitOfWork, actor: Actor, thread_ref: object, level: object) -> str:
    thread, _ = await access_thread(uow, actor, thread_ref)
    if level not in {choice.value for choice in WatchLevel}:
        raise Invalid("Choose watching, normal or muted.", field="level")
    watch = await queries.get_watch(uow.session, actor.person_id, thread.id)
    if watch is None:
        uow.session.add(ThreadWatch(person_id=actor.person_id, thread_id=thread.id, level=str(level), updated_at=uow.clock.now()))
    else:
        watch.level, watch.updated_at = str(level), uow.clock.now()
    return str(level)


async def toggle_bookmark(uow: UnitOfWork, actor: Actor, thread_ref: object, seq: object) -> bool:
    """Bookmark a post, or remove the bookmark; returns whether it is bookmarked now."""
    thread, conversation = await access_thread(uow, actor, thread_ref)
    message = await _message(uow, conversation, seq)
    existing = await queries.get_bookmark(uow.session, actor.person_id, thread.id, message.seq)
    if existing is not None:
        await uow.session.delete(existing)
        return False
    uow.session.add(Bookmark(person_id=actor.person_id, thread_id=thread.id, seq=message.seq, created_at=uow.clock.now()))
    return True


async def list_bookmarks(uow: UnitOfWork, actor: Actor) -> list[tuple[Bookmark, Thread, Message]]:
    """The actor's bookmarks in threads they can still see, newest first."""
    return await queries.list_bookmarks(uow.session, actor.person_id, _visible(actor), limit=200)


# --- moderation of threads --------------------------------------------------------------------


async def _moderated(uow: UnitOfWork, actor: Actor, thread_ref: object) -> tuple[Thread, Conversation]:
    thread, conversation = await access_thread(uow, actor, thread_ref)
    policy.require(actor, Action.MESSAGE_MODERATE, conversation)
    return thread, conversation


def _thread_event(uow: UnitOfWork, thread: Thread, conversation: Conversation) -> None:
    data = {"thread": thread.id, "conversation": conversation.id, "locked": conversation.is_locked, "pinned": thread.is_pinned, "category": thread.category_id}
    uow.emit(Event(conversation_topic(conversation.id), "thread", "update", thread.id, data))


async def set_locked(uow: UnitOfWork, actor: Actor, thread_ref: object, locked: bool, *, reason: str = "") -> Thread:
    """Lock (no new posts anywhere) or unlock. Who: moderators of the space. Audit + event."""
    thread, conversation = await _moderated(uow, actor, thread_ref)
    conversation.is_locked = locked
    _record(uow, actor, "thread_locked" if locked else "thread_unlocked", thread, conversation, reason=reason)
    _thread_event(uow, thread, conversation)
    return thread


async def set_pinned(uow: UnitOfWork, actor: Actor, thread_ref: object, pinned: bool) -> Thread:
    thread, conversation = await _moderated(uow, actor, thread_ref)
    thread.is_pinned = pinned
    _record(uow, actor, "thread_pinned" if pinned else "thread_unpinned", thread, conversation)
    _thread_event(uow, thread, conversation)
    return thread


async def move_thread(uow: UnitOfWork, actor: Actor, thread_ref: object, category_ref: object) -> Thread:
    thread, conversation = await _moderated(uow, actor, thread_ref)
    target = await get_category(uow, category_ref)
    before = thread.category_id
    thread.category_id = target.id
    _record(uow, actor, "thread_moved", thread, conversation, extra={"from": before, "to": target.id})
    _thread_event(uow, thread, conversation)
    return thread


def _record(uow: UnitOfWork, actor: Actor, action: str, thread: Thread, conversation: Conversation, *, reason: str = "", extra: dict[str, object] | None = None) -> None:
    detail: dict[str, object] = {"thread": thread.id, "title": thread.title, **(extra or {})}
    if reason:
        detail["reason"] = reason[:500]
    audit.record(uow, actor_id=actor.person_id, action=action, institution_id=conversation.institution_id, target_kind="thread", target_id=thread.id, detail=detail)


# --- mentions -------------------------------------------------------------------------------


async def mention_candidates(uow: UnitOfWork, actor: Actor, *, prefix: object, thread_ref: object = None, where: object = None) -> list[Person]:
    """People the actor may address in a thread (or in a new thread's chosen space): only
    those who can read it, so the list never reveals who is in a space one is not in."""
    if not isinstance(prefix, str) or not prefix.strip() or len(prefix) > 100:
        return []
    if thread_ref not in (None, ""):
        _, space = await access_thread(uow, actor, thread_ref)
        target: object = space
    else:
        target = (await _place(uow, actor, where or "consortium")).space
    from artme_cop.identity import service as identity

    found = await identity_queries.people_by_name_prefix(uow.session, prefix.strip(), limit=50)
    readers = {a.person_id for a in await identity.actors_for(uow, [p.id for p in found]) if policy.can(a, Action.SPACE_READ, target)}
    return [person for person in found if person.id in readers and person.id != actor.person_id][:8]


# --- the hook: every post in a thread, through any door ----------------------------------------


async def _after_thread_posts(uow: UnitOfWork, stored: list[hooks.StoredMessage]) -> None:
    threads = await queries.threads_of_conversations(uow.session, {item.conversation.id for item in stored})
    for item in stored:
        thread = threads.get(item.conversation.id)
        if thread is None:
            continue
        await uow.session.execute(
            update(Thread)
            .where(Thread.id == thread.id)
            .values(post_count=item.seq, last_post_at=item.created_at, last_author_id=item.author_id)
            .execution_options(synchronize_session=False)
        )
        await _auto_watch(uow, thread.id, item.author_id)
        await _notify_post(uow, thread, item)


async def _notify_post(uow: UnitOfWork, thread: Thread, item: hooks.StoredMessage) -> None:
    """Tell the people a post concerns: those it mentions, the author of the post it answers
    (the thread's author when it answers none), and the thread's watchers. The notifications
    service drops anyone who may not read the thread; muting silences all but mentions."""
    author = (await identity_queries.get_people(uow.session, {item.author_id}))[item.author_id]
    name = "Deleted account" if author.is_deleted else author.display_name
    link = f"/forum/threads/{thread.id}?post={item.seq}#p{item.seq}"
    answered = await _author_of(uow, item.conversation.id, item.reply_to or 1) if item.seq > 1 else None
    watching = set(await queries.watchers(uow.session, thread.id))
    muted = await queries.muted_by(uow.session, thread.id, watching | ({answered} if answered else set()))
    batches = (
        ("mention", set(item.mentioned), f"{name} mentioned you in “{thread.title}”"),
        ("reply", {answered} - muted if answered else set(), f"{name} replied to your post in “{thread.title}”"),
        ("watched_post", watching - muted, f"{name} posted in “{thread.title}”"),
    )
    for kind, recipients, summary in batches:
        if recipients:
            await notifications.notify(
                uow, recipients=sorted(recipients), kind=kind, conversation=item.conversation, seq=item.seq, actor_id=item.author_id, summary=summary, link=link
            )


async def _author_of(uow: UnitOfWork, conversation_id: int, seq: int) -> int | None:
    message = await conversation_queries.get_message_by_seq(uow.session, conversation_id, seq)
    return None if message is None else message.author_id


async def _auto_watch(uow: UnitOfWork, thread_id: int, person_id: int) -> None:
    """Writing in a thread watches it, unless the person already chose a level."""
    if await queries.get_watch(uow.session, person_id, thread_id) is None:
        await uow.session.execute(insert(ThreadWatch).values(person_id=person_id, thread_id=thread_id, level=WatchLevel.WATCHING.value, updated_at=uow.clock.now()))


async def _thread_page(uow: UnitOfWork, conversation: Conversation, seq: int | None) -> str | None:
    thread = (await queries.threads_of_conversations(uow.session, {conversation.id})).get(conversation.id)
    if thread is None:
        return None
    return f"/forum/threads/{thread.id}" if seq is None else f"/forum/threads/{thread.id}?post={seq}#p{seq}"


hooks.on_post(ConversationKind.THREAD.value, _after_thread_posts)
hooks.on_page(ConversationKind.THREAD.value, _thread_page)
