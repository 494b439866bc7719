"""The hub and the memory broker without sockets: fan-out, removal, and a slow consumer
closed without slowing the others."""

from __future__ import annotations

import asyncio
from typing import Any

from artme_cop.realtime import gateway, protocol
from artme_cop.realtime.brokers import MemoryBroker
from artme_cop.realtime.events import Event
from artme_cop.realtime.hub import Hub


class Recorder:
    def __init__(self, person_id: int) -> None:
        self.person_id = person_id
        self.received: list[tuple[str, int | None, str]] = []

    def push(self, topic: str, seq: int | None, text: str) -> None:
        self.received.append((topic, seq, text))


async def test_publish_reaches_each_subscriber_once_with_the_same_bytes() -> None:
    hub = Hub()
    broker = MemoryBroker(hub)
    first, second, elsewhere = Recorder(1), Recorder(2), Recorder(3)
    hub.add("conv:1", first)
    hub.add("conv:1", second)
    hub.add("conv:2", elsewhere)
    event = Event("conv:1", "message", "add", 5, {"x": 1}, seq=5)
    await broker.publish(event)
    assert first.received == second.received == [("conv:1", 5, event.wire)]
    assert first.received[0][2] is second.received[0][2]
    assert elsewhere.received == []
    hub.remove("conv:1", first)
    await broker.publish(Event("conv:1", "message", "add", 6, {}, seq=6))
    assert len(first.received) == 1 and len(second.received) == 2
    hub.remove("conv:1", second)
    assert hub.topics() == ["conv:2"]


async def test_memory_presence_counts_connections_per_person() -> None:
    broker = MemoryBroker(Hub())
    assert await broker.join("conv:1", 7) is True
    assert await broker.join("conv:1", 7) is False
    assert await broker.present("conv:1") == {7}
    assert await broker.leave("conv:1", 7) is False
    assert await broker.leave("conv:1", 7) is True
    assert await broker.present("conv:1") == set()


class StuckSocket:
    """A socket whose peer stopped reading: every send waits forever."""

    scope: dict[str, Any] = {}

    def __init__(self) -> None:
        self.sent = 0

    async def send_text(self, text: str) -> None:
        self.sent += 1
        await asyncio.Event().wait()


class FastSocket:
    scope: dict[str, Any] = {}

    def __init__(self) -> None:
        self.sent: list[str] = []

    async def send_text(self, text: str) -> None:
        self.sent.append(text)


def _connection(socket: Any, person_id: int) -> gateway.Connection:
    connection = gateway.Connection.__new__(gateway.Connection)
    connection.websocket = socket
    connection.person_id = person_id
    connection.outgoing = gateway.deque()
    connection.closing = None
    connection.replaying = set()
    connection.last_seq = {"conv:1": 0}
    return connection


async def test_slow_consumer_is_closed_and_others_are_not_held_up() -> None:
    hub = Hub()
    stuck, fast = _connection(StuckSocket(), 1), _connection(FastSocket(), 2)
    hub.add("conv:1", stuck)
    hub.add("conv:1", fast)
    # Neither socket can be written directly (no uvicorn protocol): every frame is queued
    # and written by the connection's sender task, started when the first one arrives.
    for seq in range(1, gateway.OUTGOING_LIMIT + 50):
        hub.deliver("conv:1", seq, f'{{"seq":{seq}}}')
        if seq % 100 == 0:
            await asyncio.sleep(0)
    await asyncio.sleep(0.05)
    assert stuck.closing == protocol.CLOSE_SLOW_CONSUMER
    assert len(fast.websocket.sent) == gateway.OUTGOING_LIMIT + 49
    assert [f'{{"seq":{seq}}}' for seq in range(1, gateway.OUTGOING_LIMIT + 50)] == fast.websocket.sent
    senders = [c.sender for c in (stuck, fast) if c.sender is not None]
    for sender in senders:
        sender.cancel()
    await asyncio.gather(*senders, return_exceptions=True)
