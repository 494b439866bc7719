"""The hub: which local connections listen to which topic, and delivery to them.

Delivery never awaits a recipient: each subscriber's `push` writes to its socket at once or
appends to its own bounded outgoing queue, and a subscriber that falls too far behind
closes itself (see gateway). The hub knows no feature and no permission; the gateway
checked the policy when the subscription was made.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Iterable, Protocol


class Subscriber(Protocol):
    person_id: int

    def push(self, topic: str, seq: int | None, text: str) -> None: ...

    def hold(self, topic: str, seq: int | None, text: str, holders: list[Subscriber]) -> None:
        """`push` within a batch: a frame that could be written now may wait for `release`;
        a subscriber holding frames appends itself to `holders` once."""

    def release(self) -> None:
        """Write the frames held since the batch began, in one write."""


class Hub:
    def __init__(self) -> None:
        self._topics: dict[str, set[Subscriber]] = defaultdict(set)

    def add(self, topic: str, subscriber: Subscriber) -> None:
        self._topics[topic].add(subscriber)

    def remove(self, topic: str, subscriber: Subscriber) -> None:
        subscribers = self._topics.get(topic)
        if subscribers is None:
            return
        subscribers.discard(subscriber)
        if not subscribers:
            del self._topics[topic]

    def deliver(self, topic: str, seq: int | None, text: str) -> int:
        """Hand the encoded event to every local subscriber of the topic; returns how many."""
        subscribers = self._topics.get(topic)
        if not subscribers:
            return 0
        for subscriber in tuple(subscribers):
            subscriber.push(topic, seq, text)
        return len(subscribers)

    def deliver_batch(self, events: Iterable[tuple[str, int | None, str]]) -> None:
        """Deliver several events (topic, seq, text) in order. A subscriber gets its frames
        of the whole batch in one socket write: under load the group-commit writer stores
        dozens of messages at once, and a write per frame is most of a delivery's cost."""
        holders: list[Subscriber] = []
        try:
            for topic, seq, text in events:
                subscribers = self._topics.get(topic)
                if subscribers:
                    for subscriber in tuple(subscribers):
                        subscriber.hold(topic, seq, text, holders)
        finally:
            for subscriber in holders:
                subscriber.release()

    def people(self, topic: str) -> set[int]:
        return {s.person_id for s in self._topics.get(topic, ())}

    def topics(self) -> list[str]:
        return list(self._topics)

    def subscriber_count(self) -> int:
        return sum(len(s) for s in self._topics.values())
