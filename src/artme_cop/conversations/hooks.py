"""What a feature adds to a post in its own kind of conversation.

The core stays ignorant of features: a feature registers one function per conversation
kind, and `post_messages` calls it in the same unit of work, once per batch, after the
messages are inserted (`on_post`). A feature may also check each send before it is stored
(`on_accept`) and say how people appear in presence and typing (`on_present`). So a post made through any door (an HTML form, a JSON call, a
WebSocket `send`) updates the feature's own state (a thread's counts, its notifications)
in the transaction that stores it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Awaitable, Callable

if TYPE_CHECKING:
    from sqlalchemy import ColumnElement, Connection

    from artme_cop.conversations.models import Conversation
    from artme_cop.conversations.statements import ConversationRow
    from artme_cop.policy import Actor
    from artme_cop.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class StoredMessage:
    conversation: Conversation
    message_id: int
    seq: int
    author_id: int
    body: str
    reply_to: int | None
    mentioned: tuple[int, ...]
    created_at: datetime


AfterPost = Callable[["UnitOfWork", list[StoredMessage]], Awaitable[None]]

_after_post: dict[str, AfterPost] = {}


def on_post(kind: str, hook: AfterPost) -> None:
    """Register the feature's hook for conversations of `kind` (one per kind)."""
    _after_post[kind] = hook


def hooked_kinds() -> frozenset[str]:
    """The conversation kinds whose posts a feature adds to (the write path must run them)."""
    return frozenset(_after_post)


# A screen looks at every post, whatever its kind (the moderators' detector of patient
# identifiers): `wants(body)` says cheaply whether a post concerns it. A post it wants is
# refused until its author confirms it, with `warning(body, subject)` as the reason, subject
# being "This message" or a file's name (SEC-L1: warned before it is published). Once it is
# confirmed, the write path runs the screen's hook in the post's transaction, like a kind's
# after-post hook; an edit does the same.
@dataclass(frozen=True)
class Screen:
    wants: Callable[[str], bool]
    hook: AfterPost
    warning: Callable[[str, str], str]


_screens: list[Screen] = []


def screen_every_post(wants: Callable[[str], bool], hook: AfterPost, warning: Callable[[str, str], str]) -> None:
    _screens.append(Screen(wants, hook, warning))


def screened(bodies: list[str]) -> bool:
    """Whether a screen wants any of these bodies (the write path must then run the hooks)."""
    return any(screen.wants(body) for screen in _screens for body in bodies)


def warning_for(body: str, subject: str) -> str | None:
    """What the author must be told before this body (or an attached text) is posted, if a
    screen wants it; `subject` names it in the warning."""
    return next((screen.warning(body, subject) for screen in _screens if screen.wants(body)), None)


async def run_after_post(uow: UnitOfWork, stored: list[StoredMessage]) -> None:
    by_kind: dict[str, list[StoredMessage]] = {}
    for item in stored:
        by_kind.setdefault(item.conversation.kind, []).append(item)
    for kind, items in by_kind.items():
        hook = _after_post.get(kind)
        if hook is not None:
            await hook(uow, items)
    await run_screens(uow, stored)


async def run_screens(uow: UnitOfWork, stored: list[StoredMessage]) -> None:
    for screen in _screens:
        wanted = [item for item in stored if screen.wants(item.body)]
        if wanted:
            await screen.hook(uow, wanted)


PageOf = Callable[["UnitOfWork", "Conversation", "int | None"], Awaitable["str | None"]]

_pages: dict[str, PageOf] = {}


def on_page(kind: str, page_of: PageOf) -> None:
    """Register where a feature shows its conversations of `kind` (a forum thread's page), so
    generic links to a conversation (moderation, notifications) land on the feature's page."""
    _pages[kind] = page_of


async def feature_page(uow: UnitOfWork, conversation: Conversation, seq: int | None) -> str | None:
    page_of = _pages.get(conversation.kind)
    return None if page_of is None else await page_of(uow, conversation, seq)


# An accept check decides, inside the write transaction, whether one send to a conversation
# of its kind may be stored (a dialogue room's pause, mute, slow mode, floor), raising a
# domain error when not; it returns the alias to show for the author (None: the person).
# It runs synchronously on the write path's connection, so it sees and writes in the batch's
# own transaction; kinds without one pay a single dict lookup.
AcceptCheck = Callable[["Connection", "Actor", "ConversationRow", datetime], "str | None"]

_accept_checks: dict[str, AcceptCheck] = {}


def on_accept(kind: str, check: AcceptCheck) -> None:
    """Register the feature's accept check for conversations of `kind` (one per kind)."""
    _accept_checks[kind] = check


def accept_check(kind: str) -> AcceptCheck | None:
    return _accept_checks.get(kind)


# A presenter says how people appear in a conversation's presence list and typing events:
# person id -> the payload to show, or None to leave them out (typing in a pseudonymous
# room). Kinds without one show display names.
Presenter = Callable[["UnitOfWork", "Conversation", list[int]], Awaitable[dict[int, "dict[str, Any] | None"]]]

_presenters: dict[str, Presenter] = {}


def on_present(kind: str, presenter: Presenter) -> None:
    """Register how people of conversations of `kind` are shown live."""
    _presenters[kind] = presenter


def presenter_for(kind: str) -> Presenter | None:
    return _presenters.get(kind)


# Kinds whose hidden messages stay readable to their author and the conversation's moderators
# (a dialogue room: "hidden by a facilitator" for everyone else, pending review). Elsewhere a
# hidden message is blank for every reader.
_hidden_kept: set[str] = set()


def keep_hidden_for_author_and_moderators(kind: str) -> None:
    _hidden_kept.add(kind)


def keeps_hidden(kind: str) -> bool:
    return kind in _hidden_kept


# A hold keeps a removed message's text and files past the retention purge (SEC-B5) while the
# feature still needs them (a reported dialogue message, kept for its incident handlers until
# the dialogue's own purge deletes it). It is a SQL condition on `messages`, so the purge
# leaves held messages out in its query.
Hold = Callable[[], "ColumnElement[bool]"]

_holds: list[Hold] = []


def hold_from_purge(hold: Hold) -> None:
    _holds.append(hold)


def purge_holds() -> list[ColumnElement[bool]]:
    return [hold() for hold in _holds]
