"""The direct send path (realtime.direct): frames written straight to uvicorn's transport
keep the gateway's promises: order, exactly-once resume, and a slow consumer cut off with
4008 while the others keep up.

Real uvicorn runs in this test's own loop, so the test can see the server-side connections;
a socket-level fake checks the hand-over between the direct path and the sender task."""

from __future__ import annotations

import asyncio
import dataclasses
import socket
from typing import Any, AsyncIterator

import pytest
import uvicorn
from starlette.applications import Starlette

from artme_cop.app import create_app
from artme_cop.realtime import direct, gateway, protocol
from artme_cop.realtime.client import LiveClient, sign_in
from artme_cop.realtime.events import conversation_topic
from artme_cop.realtime.hub import Hub
from artme_cop.settings import Settings
from tests.factories import World
from tests.realtime.conftest import Spaces
from tests.support import PASSWORD


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
async def served(settings: Settings, spaces: Spaces, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[tuple[str, Starlette]]:
    """The app behind real uvicorn (its default WebSocket protocol), in this loop."""
    monkeypatch.setattr(gateway, "FRAME_RATE", 1e6)
    monkeypatch.setattr(gateway, "FRAME_BURST", 1e6)
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    app = create_app(dataclasses.replace(settings, base_url=base_url, message_rate=1_000_000))
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", ws_per_message_deflate=False, ws_ping_interval=None, timeout_graceful_shutdown=5)
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.01)
    try:
        yield base_url, app
    finally:
        server.should_exit = True
        await task


def server_connections(app: Starlette, conversation_id: int) -> list[gateway.Connection]:
    hub = app.state.realtime.hub
    return list(hub._topics.get(conversation_topic(conversation_id), ()))


class Counting:
    """Wraps direct.write_now to count the frames that left directly, and Connection._hold to
    count those that left in a batch's single write."""

    def __init__(self) -> None:
        self.written = 0
        self.held = 0

    def __call__(self, protocol_: Any, text: str) -> bool:
        done = direct.write_now(protocol_, text)
        self.written += done
        return done

    def hold(self, original: Any) -> Any:
        def counted(connection: gateway.Connection, text: str, holders: list[Any]) -> bool:
            done = bool(original(connection, text, holders))
            self.held += done
            return done

        return counted


async def test_direct_deliveries_keep_order_and_resume_exactly_once(
    served: tuple[str, Starlette], world: World, spaces: Spaces, monkeypatch: pytest.MonkeyPatch
) -> None:
    base, app = served
    counting = Counting()
    monkeypatch.setattr(gateway, "write_now", counting)
    monkeypatch.setattr(gateway.Connection, "_hold", counting.hold(gateway.Connection._hold))
    writer = await LiveClient.connect(base, await sign_in(base, world.student_a.email, PASSWORD))
    reader = await LiveClient.connect(base, await sign_in(base, world.faculty_a.email, PASSWORD))
    await writer.subscribe(spaces.cohort_a1)
    await reader.subscribe(spaces.cohort_a1)
    assert all(c.protocol is not None for c in server_connections(app, spaces.cohort_a1)), "uvicorn's default protocol allows direct writes"
    total = 600
    first = await asyncio.gather(*(writer.send(spaces.cohort_a1, f"m {i}", f"d-{i}") for i in range(200)))
    # A third client resumes from seq 100 while the other 400 are being sent.
    resumer = await LiveClient.connect(base, await sign_in(base, world.coalition_a.email, PASSWORD))
    rest = asyncio.gather(*(writer.send(spaces.cohort_a1, f"m {i}", f"d-{i}") for i in range(200, total)))
    await resumer.subscribe(spaces.cohort_a1, after_seq=100)
    acks = first + await rest
    assert sorted(a["seq"] for a in acks) == list(range(1, total + 1))
    assert [m["seq"] for m in await reader.messages(total)] == list(range(1, total + 1))
    assert [m["seq"] for m in await resumer.messages(total - 100)] == list(range(101, total + 1))
    with pytest.raises(asyncio.TimeoutError):
        await resumer.next_event("message", timeout=0.3)
    assert counting.written + counting.held >= 2 * total, "the live deliveries to reader and writer left directly"
    assert counting.held > 0, "200 pipelined sends commit in batches, each reaching a socket in one write"
    for client in (writer, reader, resumer):
        await client.close()


async def test_a_stalled_reader_is_cut_off_with_4008_and_the_others_get_everything(
    served: tuple[str, Starlette], world: World, spaces: Spaces
) -> None:
    base, app = served
    stalled = await LiveClient.connect(base, await sign_in(base, world.coalition_a.email, PASSWORD), max_queue=1)
    healthy = await LiveClient.connect(base, await sign_in(base, world.faculty_a.email, PASSWORD))
    writer = await LiveClient.connect(base, await sign_in(base, world.student_a.email, PASSWORD))
    await stalled.subscribe(spaces.cohort_a1)
    await healthy.subscribe(spaces.cohort_a1)
    [stalled_here] = [c for c in server_connections(app, spaces.cohort_a1) if c.person_id == world.coalition_a.id]
    stalled._reader.cancel()  # stop reading: the kernel buffers fill, then the server's
    body = "x" * 8000
    total = 3000
    for start in range(0, total, 200):
        await asyncio.gather(*(writer.send(spaces.cohort_a1, body, f"s-{i}") for i in range(start, start + 200)))
    received = await healthy.messages(total, timeout=60)
    assert [m["seq"] for m in received] == list(range(1, total + 1))
    assert stalled_here.closing == protocol.CLOSE_SLOW_CONSUMER
    stalled.socket.transport.abort()  # the peer goes away; its unread frames with it
    await healthy.close()
    await writer.close()


# --- the hand-over between the direct path and the sender, on a fake socket --------------------


class FakeTransport:
    def __init__(self) -> None:
        self.frames: list[bytes] = []

    def is_closing(self) -> bool:
        return False

    def write(self, data: bytes) -> None:
        self.frames.append(data)


class FakeProtocol:
    """What realtime.direct reads of uvicorn's protocol, plus uvicorn's send, which waits
    while the transport is paused."""

    def __init__(self) -> None:
        self.close_sent = False
        self.writable = asyncio.Event()
        self.writable.set()
        self.conn = type("Conn", (), {"state": direct._OPEN})()
        self.transport = FakeTransport()

    async def send(self, message: dict[str, Any]) -> None:
        await self.writable.wait()
        self.transport.write(direct.text_frame(message["text"]))

    def seqs(self) -> list[int]:
        return [int(frame.rsplit(b":", 1)[1].rstrip(b"}")) for frame in self.transport.frames]

    def seqs_in_writes(self) -> list[int]:
        return [int(payload.rsplit(b":", 1)[1].rstrip(b"}")) for write in self.transport.frames for payload in frames_of(write)]


def fake_connection(fake: FakeProtocol) -> gateway.Connection:
    connection = gateway.Connection.__new__(gateway.Connection)
    connection.websocket = type("Socket", (), {"scope": {gateway.RAW_SEND: fake.send}})()
    connection.person_id = 1
    connection.outgoing = gateway.deque()
    connection.closing = None
    connection.replaying = set()
    connection.last_seq = {"conv:1": 0}
    connection.protocol = fake
    return connection


def live(seq: int) -> str:
    return f'{{"seq":{seq}}}'


async def test_paused_socket_queues_in_order_then_goes_direct_again() -> None:
    fake = FakeProtocol()
    connection = fake_connection(fake)
    connection.push("conv:1", 1, live(1))
    assert connection.sender is None and fake.seqs() == [1], "idle: written in the caller's step"
    fake.writable.clear()  # the peer's buffer is full
    for seq in range(2, 6):
        connection.push("conv:1", seq, live(seq))
    connection.push("conv:1", 3, live(3))  # a duplicate from a second broker path
    connection.reply(live(50))  # an ack
    assert connection.sender is not None and len(connection.outgoing) >= 4
    await asyncio.sleep(0.01)
    fake.writable.set()
    # The sender is still busy: these queue behind the others, even one without a seq.
    connection.push("conv:1", 6, live(6))
    connection.push("conv:1", None, live(60))
    await asyncio.sleep(0.01)
    assert connection.sender is None and not connection.outgoing
    connection.push("conv:1", 7, live(7))
    assert fake.seqs() == [1, 2, 3, 4, 5, 50, 6, 60, 7]


async def test_slow_consumer_on_the_direct_path_is_closed_once_its_queue_is_full() -> None:
    fake = FakeProtocol()
    connection = fake_connection(fake)
    fake.writable.clear()
    for seq in range(1, gateway.OUTGOING_LIMIT + 2):
        connection.push("conv:1", seq, live(seq))
    assert connection.closing == protocol.CLOSE_SLOW_CONSUMER
    await asyncio.sleep(0)
    connection.push("conv:1", gateway.OUTGOING_LIMIT + 2, live(1))
    assert fake.transport.frames == [], "nothing is written to a consumer being closed"
    if connection.sender is not None:
        connection.sender.cancel()


# --- a batch of events (Hub.deliver_batch): one write per socket, same order --------------------


def frames_of(data: bytes) -> list[bytes]:
    """Split a write into the payloads of its unmasked text frames (short ones here)."""
    payloads = []
    while data:
        assert data[0] == 0x81 and data[1] < 126
        payloads.append(data[2 : 2 + data[1]])
        data = data[2 + data[1] :]
    return payloads


def event(topic: str, seq: int | None) -> tuple[str, int | None, str]:
    return topic, seq, f'{{"topic":"{topic}","seq":{seq}}}'


def test_a_batch_reaches_each_socket_in_one_write_in_commit_order() -> None:
    hub = Hub()
    both, only_first = FakeProtocol(), FakeProtocol()
    reader_of_both, reader_of_first = fake_connection(both), fake_connection(only_first)
    reader_of_both.last_seq["conv:2"] = 4
    for topic in ("conv:1", "conv:2"):
        hub.add(topic, reader_of_both)
    hub.add("conv:1", reader_of_first)
    batch = [event("conv:1", 1), event("conv:2", 5), event("conv:1", 2), event("conv:1", 2), event("conv:2", None), event("conv:9", 1)]
    hub.deliver_batch(batch)
    [write] = both.transport.frames
    assert frames_of(write) == [text.encode() for text in (batch[0][2], batch[1][2], batch[2][2], batch[4][2])], "the duplicate is dropped"
    [write] = only_first.transport.frames
    assert frames_of(write) == [batch[0][2].encode(), batch[2][2].encode()]
    assert reader_of_both.held is None and reader_of_both.sender is None
    assert reader_of_both.last_seq == {"conv:1": 2, "conv:2": 5}
    # The next event, alone, goes straight out again.
    hub.deliver(*event("conv:1", 3))
    assert frames_of(only_first.transport.frames[-1]) == [event("conv:1", 3)[2].encode()]


async def test_a_batch_to_a_paused_socket_queues_behind_nothing_and_keeps_order() -> None:
    hub = Hub()
    fake = FakeProtocol()
    connection = fake_connection(fake)
    hub.add("conv:1", connection)
    hub.deliver_batch([event("conv:1", 1), event("conv:1", 2)])
    fake.writable.clear()  # the peer's buffer is full: the rest must wait, in order
    hub.deliver_batch([event("conv:1", 3), event("conv:1", 4)])
    connection.push("conv:1", 5, event("conv:1", 5)[2])
    assert fake.seqs_in_writes() == [1, 2] and connection.outgoing and connection.held is None
    fake.writable.set()
    await asyncio.sleep(0.01)
    hub.deliver_batch([event("conv:1", 6), event("conv:1", 7)])
    assert fake.seqs_in_writes() == [1, 2, 3, 4, 5, 6, 7]
    assert connection.sender is None and not connection.outgoing
