"""What a feature adds to a post in its own kind of conversation.

The core stays ignorant of features: a feature registers one function per conversation
kind, and `post_messages` calls it in the same unit of work, once per batch, after the
messages are inserted. So a post made through any door (an HTML form, a JSON call, a
WebSocket `send`) updates the feature's own state (a thread's counts, its notifications)
in the transaction that stores it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Awaitable, Callable

if TYPE_CHECKING:
    from artme_cop.conversations.models import Conversation
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


async def run_after_post(uow: UnitOfWork, stored: list[StoredMessage]) -> None:
    by_kind: dict[str, list[StoredMessage]] = {}
    for item in stored:
        by_kind.setdefault(item.conversation.kind, []).append(item)
    for kind, items in by_kind.items():
        hook = _after_post.get(kind)
        if hook is not None:
            await hook(uow, items)


PageOf = Callable[["UnitOfWork", "Conversation", "int | None"], Awaitable["str | None"]]

_pages: dict[str, PageOf] = {}


def on_page(kind: str, page_of: PageOf) -> None:
    """Register where a feature shows its conversations of `kind` (a forum thread's page), so
    generic links to a conversation (moderation, notifications) land on the feature's page."""
    _pages[kind] = page_of


async def feature_page(uow: UnitOfWork, conversation: Conversation, seq: int | None) -> str | None:
    page_of = _pages.get(conversation.kind)
    return None if page_of is None else await page_of(uow, conversation, seq)
