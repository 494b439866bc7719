"""Events as they travel: built by services, encoded once, delivered to every subscriber.

An event is JSON with the keys `type`, `op`, `topic`, `id`, `seq` and `data`. Topics are
`<kind>:<id>` strings built only by the helpers here, from server-side integer ids
(pitfall 7: a client string never becomes a channel name).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any


def conversation_topic(conversation_id: int) -> str:
    return f"conv:{int(conversation_id)}"


def person_topic(person_id: int) -> str:
    return f"person:{int(person_id)}"


def access_topic(person_id: int) -> str:
    """Told when a feature changes what the person may read (a breakout move, a team roster)."""
    return f"access:{int(person_id)}"


def encode(frame: dict[str, Any]) -> str:
    return json.dumps(frame, separators=(",", ":"), ensure_ascii=False)


@dataclass(frozen=True)
class Event:
    topic: str
    type: str
    op: str
    id: int | str | None
    data: dict[str, Any]
    # The conversation seq for message events: clients resume from it, and the gateway
    # drops duplicates and fills gaps by it. None for events outside the message log.
    seq: int | None = None
    _wire: list[str] = field(default_factory=list, compare=False, repr=False)

    @property
    def wire(self) -> str:
        """The JSON text, encoded once however many subscribers receive it."""
        if not self._wire:
            self._wire.append(
                encode({"type": self.type, "op": self.op, "topic": self.topic, "id": self.id, "seq": self.seq, "data": self.data})
            )
        return self._wire[0]
