"""The registry of WebSocket commands: frame type -> handler.

The messaging core and the feature packages register their handlers when the app starts;
the gateway looks them up and knows none of them. A handler gets the acting connection's
context and the decoded frame, calls one service function, and returns the ack's data.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Awaitable, Callable, Protocol

from artme_cop.policy import Actor
from artme_cop.realtime.brokers import Broker
from artme_cop.unit_of_work import UnitOfWork


class Session(Protocol):
    """What a handler may ask of the connection it serves."""

    def is_subscribed(self, conversation_id: int) -> bool: ...

    def limit_sends(self) -> float: ...


@dataclass
class CommandContext:
    actor: Actor
    connection: Session
    # Called as uow() or uow(read_only=True), like Realtime.uow.
    uow: Callable[..., UnitOfWork]
    broker: Broker


Handler = Callable[[CommandContext, dict[str, Any]], Awaitable[dict[str, Any] | None]]


class CommandRegistry:
    def __init__(self) -> None:
        self._handlers: dict[str, Handler] = {}
        self._pipelined: set[str] = set()

    def register(self, frame_type: str, handler: Handler, *, pipelined: bool = False) -> None:
        """Add a handler. A pipelined handler runs while the connection reads on, so a
        client may have many in flight (sends waiting for a group commit); the others run
        one at a time in frame order."""
        if frame_type in self._handlers:
            raise ValueError(f"a handler for {frame_type!r} is registered already")
        self._handlers[frame_type] = handler
        if pipelined:
            self._pipelined.add(frame_type)

    def get(self, frame_type: str) -> Handler | None:
        return self._handlers.get(frame_type)

    def is_pipelined(self, frame_type: str) -> bool:
        return frame_type in self._pipelined

    def types(self) -> list[str]:
        return sorted(self._handlers)
