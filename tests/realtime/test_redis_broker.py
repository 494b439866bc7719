"""The Redis broker against the real local Redis: the events of one commit cross to another
process's hub as one message per topic and reach each subscriber in one batch, in order."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any, AsyncIterator

import pytest
import redis.asyncio as redis

from artme_cop.realtime.brokers import RedisBroker
from artme_cop.realtime.events import Event
from artme_cop.realtime.hub import Hub

REDIS_URL = "redis://127.0.0.1:6379/0"

pytestmark = pytest.mark.redis


class BatchRecorder:
    """A subscriber that notes which frames came singly and which came in one batch."""

    def __init__(self) -> None:
        self.person_id = 1
        self.singles: list[tuple[str, int | None, str]] = []
        self.batches: list[list[tuple[str, int | None, str]]] = []
        self._held: list[tuple[str, int | None, str]] | None = None

    def push(self, topic: str, seq: int | None, text: str) -> None:
        self.singles.append((topic, seq, text))

    def hold(self, topic: str, seq: int | None, text: str, holders: list[Any]) -> None:
        if self._held is None:
            self._held = []
            holders.append(self)
        self._held.append((topic, seq, text))

    def release(self) -> None:
        self.batches.append(self._held or [])
        self._held = None


@pytest.fixture
async def two_brokers() -> AsyncIterator[tuple[RedisBroker, Hub]]:
    """A publishing broker and a second one, as in another process, with its own hub."""
    prefix = f"artmetest{uuid.uuid4().hex[:10]}"
    sender, receiver_hub = RedisBroker(Hub(), REDIS_URL, prefix=prefix), Hub()
    receiver = RedisBroker(receiver_hub, REDIS_URL, prefix=prefix)
    await sender.start()
    await receiver.start()
    try:
        yield sender, receiver_hub
    finally:
        await sender.stop()
        await receiver.stop()
        client = redis.from_url(REDIS_URL)
        keys = [key async for key in client.scan_iter(f"{prefix}:*")]
        if keys:
            await client.delete(*keys)
        await client.aclose()


async def until(condition: Any, timeout: float = 5.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "nothing arrived through Redis"
        await asyncio.sleep(0.01)


async def test_a_commits_events_cross_as_one_batch_per_topic_in_order(two_brokers: tuple[RedisBroker, Hub]) -> None:
    sender, receiver_hub = two_brokers
    first, second = BatchRecorder(), BatchRecorder()
    receiver_hub.add("conv:1", first)
    receiver_hub.add("conv:2", second)
    events = [
        Event("conv:1", "message", "add", 1, {"body": "one"}, seq=1),
        Event("conv:2", "message", "add", 7, {"body": "line\nbreak"}, seq=7),
        Event("conv:1", "message", "add", 2, {"body": "two, with a comma"}, seq=2),
        Event("conv:1", "typing", "add", 5, {"person": 5}),
    ]
    await sender.publish_many(events)
    await until(lambda: first.batches and second.singles)
    assert first.batches == [[("conv:1", 1, events[0].wire), ("conv:1", 2, events[2].wire), ("conv:1", None, events[3].wire)]]
    assert second.singles == [("conv:2", 7, events[1].wire)], "a topic's lone event comes as a plain delivery"
    assert first.singles == [] and second.batches == []
    await sender.publish(Event("conv:1", "message", "add", 3, {}, seq=3))
    await until(lambda: first.singles)
    assert first.singles[0][:2] == ("conv:1", 3)
