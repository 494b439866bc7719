"""Real server processes over real sockets: a crash in the middle of a burst, two
processes sharing conversations through Redis and PostgreSQL, and a consumer that stops
reading (SEC-F4; DESIGN.md, How a message flows)."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path
from typing import AsyncIterator

import pytest
import redis.asyncio as redis
import websockets
from alembic import command
from sqlalchemy import select

from artme_cop.cli import alembic_config
from artme_cop.conversations.models import Message
from artme_cop.db import make_engine, make_sessionmaker
from artme_cop.realtime.client import LiveClient, ProtocolError, sign_in
from artme_cop.settings import Settings
from tests.conftest import SECRET, make_settings
from tests.factories import World, seed_world
from tests.pg import create_database, drop_database
from tests.realtime.conftest import Spaces, open_spaces
from tests.servers import ServerProcess
from tests.support import PASSWORD, MutableClock

REDIS_URL = "redis://127.0.0.1:6379/0"


def server(tmp_path: Path, name: str, database_url: str, **extra: str) -> ServerProcess:
    return ServerProcess(
        tmp_path / f"{name}.log",
        ARTME_DATABASE_URL=database_url,
        ARTME_SECRET_KEY=SECRET,
        ARTME_DATA_DIR=str(tmp_path / name),
        ARTME_MESSAGE_RATE="100000",
        **extra,
    )


async def stored(database_url: str, conversation_id: int) -> list[tuple[int, str]]:
    engine = make_engine(database_url)
    try:
        async with make_sessionmaker(engine)() as session:
            rows = await session.execute(select(Message.seq, Message.client_msg_id).where(Message.conversation_id == conversation_id).order_by(Message.seq))
            return [(seq, cid) for seq, cid in rows.all()]
    finally:
        await engine.dispose()


async def test_acked_messages_survive_sigkill_and_retries_store_nothing_twice(tmp_path: Path, settings: Settings, world: World, spaces: Spaces) -> None:
    first = server(tmp_path, "first", settings.database_url).start()
    ids = [f"burst-{index}" for index in range(400)]
    acked: dict[str, int] = {}
    try:
        client = await LiveClient.connect(first.base_url, await sign_in(first.base_url, world.student_a.email, PASSWORD))
        # A steady stream with 10 sends always in flight: however fast the server commits,
        # the kill lands with sends under way and most of the burst still to come (all 400
        # at once were once committed and acked before the kill could land).
        in_flight = asyncio.Semaphore(10)

        async def send(cid: str) -> None:
            async with in_flight:
                reply = await client.send(spaces.cohort_a1, f"message {cid}", cid)
                acked[cid] = reply["seq"]

        pending = [asyncio.create_task(send(cid)) for cid in ids]
        while len(acked) < 60:
            await asyncio.sleep(0.001)
        first.kill()
        await asyncio.gather(*pending, return_exceptions=True)
    finally:
        first.kill()
    assert 60 <= len(acked) < len(ids), "the kill should land in the middle of the burst"
    after_crash = dict((cid, seq) for seq, cid in await stored(settings.database_url, spaces.cohort_a1))
    assert all(after_crash.get(cid) == seq for cid, seq in acked.items()), "an acknowledged message was lost"

    second = server(tmp_path, "second", settings.database_url).start()
    try:
        client = await LiveClient.connect(second.base_url, await sign_in(second.base_url, world.student_a.email, PASSWORD))
        replies = await asyncio.gather(*(client.send(spaces.cohort_a1, f"message {cid}", cid) for cid in ids))
        await client.close()
    finally:
        second.stop()
    for cid, reply in zip(ids, replies):
        if cid in acked:
            assert reply["duplicate"] is True and reply["seq"] == acked[cid]
    rows = await stored(settings.database_url, spaces.cohort_a1)
    assert sorted(cid for _, cid in rows) == sorted(ids)
    assert [seq for seq, _ in rows] == list(range(1, len(ids) + 1))


@pytest.fixture
async def scale_out(tmp_path: Path) -> AsyncIterator[tuple[str, str, World, Spaces]]:
    """A PostgreSQL database and a Redis prefix of this test's own, removed afterwards."""
    url = await create_database("artme_scale")
    prefix = f"artmetest{uuid.uuid4().hex[:10]}"
    try:
        await asyncio.to_thread(command.upgrade, alembic_config(make_settings(tmp_path, url)), "head")
        engine = make_engine(url)
        from artme_cop.unit_of_work import UnitOfWork

        async with UnitOfWork(make_sessionmaker(engine), MutableClock(), make_settings(tmp_path, url)) as uow:
            world = await seed_world(uow)
            spaces = await open_spaces(uow, world)
        await engine.dispose()
        yield url, prefix, world, spaces
    finally:
        await drop_database(url)
        client = redis.from_url(REDIS_URL)
        keys = [key async for key in client.scan_iter(f"{prefix}:*")]
        if keys:
            await client.delete(*keys)
        await client.aclose()


@pytest.mark.postgres
@pytest.mark.redis
async def test_two_processes_share_messages_and_presence_through_redis(tmp_path: Path, scale_out: tuple[str, str, World, Spaces]) -> None:
    url, prefix, world, spaces = scale_out
    settings = {"ARTME_REDIS_URL": REDIS_URL, "ARTME_REDIS_PREFIX": prefix}
    one = server(tmp_path, "one", url, **settings).start()
    two = server(tmp_path, "two", url, **settings).start()
    try:
        writer = await LiveClient.connect(one.base_url, await sign_in(one.base_url, world.student_a.email, PASSWORD))
        reader = await LiveClient.connect(two.base_url, await sign_in(two.base_url, world.faculty_a.email, PASSWORD))
        outsider = await LiveClient.connect(two.base_url, await sign_in(two.base_url, world.participant_b.email, PASSWORD))
        await writer.subscribe(spaces.cohort_a1)
        joined = await reader.subscribe(spaces.cohort_a1)
        assert sorted(p["name"] for p in joined["present"]) == ["Fran Faculty", "Sam Student"]
        await outsider.subscribe(spaces.cohort_b1)
        with pytest.raises(ProtocolError):
            await outsider.subscribe(spaces.cohort_a1)
        ack = await writer.send(spaces.cohort_a1, "across processes", "x-1")
        message = await reader.next_event("message")
        assert (message["seq"], message["data"]["html"]) == (ack["seq"], "<p>across processes</p>")
        await reader.close()
        seen = [await writer.next_event("presence") for _ in range(3)]
        assert [(e["op"], e["data"]["person"]["name"]) for e in seen] == [("join", "Sam Student"), ("join", "Fran Faculty"), ("leave", "Fran Faculty")]
        # The outsider on process two got nothing of A1 (SEC-F4).
        with pytest.raises(asyncio.TimeoutError):
            await outsider.next_event("message", timeout=0.5)
        await writer.close()
        await outsider.close()
    finally:
        one.stop()
        two.stop()


async def test_consumer_that_stops_reading_is_cut_off_while_others_keep_up(tmp_path: Path, settings: Settings, world: World, spaces: Spaces) -> None:
    process = server(tmp_path, "slow", settings.database_url).start()
    try:
        base = process.base_url
        stalled = await LiveClient.connect(base, await sign_in(base, world.coalition_a.email, PASSWORD), max_queue=1)
        healthy = await LiveClient.connect(base, await sign_in(base, world.faculty_a.email, PASSWORD))
        writer = await LiveClient.connect(base, await sign_in(base, world.student_a.email, PASSWORD))
        await stalled.subscribe(spaces.cohort_a1)
        await healthy.subscribe(spaces.cohort_a1)
        stalled._reader.cancel()  # stop reading: the kernel buffers fill, then the server's queue
        body = "x" * 8000
        total = 3000
        for start in range(0, total, 200):
            await asyncio.gather(*(writer.send(spaces.cohort_a1, body, f"slow-{index}") for index in range(start, start + 200)))
        received = await healthy.messages(total, timeout=60)
        assert [m["seq"] for m in received] == list(range(1, total + 1))
        await asyncio.sleep(0.5)
        assert process.healthy()
        assert "too slow; closing it" in process.log.read_text()
        # Reading again, the stalled client finds its socket closed by the server.
        with pytest.raises(websockets.ConnectionClosed):
            while True:
                await asyncio.wait_for(stalled.socket.recv(), timeout=30)
        assert stalled.socket.close_code in {4008, 1006}
        await healthy.close()
        await writer.close()
    finally:
        process.stop()


PEER_SCRIPT = """
import asyncio, os, sys
from artme_cop.realtime.client import LiveClient

async def main():
    client = await LiveClient.connect(os.environ["BASE"], os.environ["COOKIE"])
    await client.subscribe(int(os.environ["CONV"]))
    print("subscribed", flush=True)
    await asyncio.sleep(120)

asyncio.run(main())
"""


async def test_peer_that_stops_answering_is_dropped_and_leaves_presence(tmp_path: Path, settings: Settings, world: World, spaces: Spaces) -> None:
    """Heartbeats: a frozen client (SIGSTOP) stops answering pings; the server drops it
    and the others see it leave."""
    import os
    import signal
    import subprocess
    import sys

    process = server(tmp_path, "ping", settings.database_url, ARTME_WS_PING_INTERVAL="1").start()
    peer = None
    try:
        base = process.base_url
        watcher = await LiveClient.connect(base, await sign_in(base, world.student_a.email, PASSWORD))
        await watcher.subscribe(spaces.cohort_a1)
        env = {**os.environ, "BASE": base, "COOKIE": await sign_in(base, world.faculty_a.email, PASSWORD), "CONV": str(spaces.cohort_a1)}
        peer = subprocess.Popen([sys.executable, "-c", PEER_SCRIPT], env=env, stdout=subprocess.PIPE)
        assert peer.stdout is not None
        assert (await asyncio.to_thread(peer.stdout.readline)).strip() == b"subscribed"
        events = [await watcher.next_event("presence") for _ in range(2)]
        assert [(e["op"], e["data"]["person"]["name"]) for e in events] == [("join", "Sam Student"), ("join", "Fran Faculty")]
        peer.send_signal(signal.SIGSTOP)
        left = await watcher.next_event("presence", timeout=10)
        assert (left["op"], left["data"]["person"]["id"]) == ("leave", world.faculty_a.id)
        await watcher.close()
    finally:
        if peer is not None:
            peer.kill()
            peer.wait()
        process.stop()


@pytest.mark.postgres
@pytest.mark.redis
async def test_presence_forgets_the_people_of_a_process_that_died(tmp_path: Path, scale_out: tuple[str, str, World, Spaces]) -> None:
    url, prefix, world, spaces = scale_out
    settings = {"ARTME_REDIS_URL": REDIS_URL, "ARTME_REDIS_PREFIX": prefix, "ARTME_PRESENCE_TTL": "2"}
    doomed = server(tmp_path, "doomed", url, **settings).start()
    survivor = server(tmp_path, "survivor", url, **settings).start()
    try:
        victim = await LiveClient.connect(doomed.base_url, await sign_in(doomed.base_url, world.faculty_a.email, PASSWORD))
        await victim.subscribe(spaces.cohort_a1)
        watcher = await LiveClient.connect(survivor.base_url, await sign_in(survivor.base_url, world.student_a.email, PASSWORD))
        joined = await watcher.subscribe(spaces.cohort_a1)
        assert sorted(p["name"] for p in joined["present"]) == ["Fran Faculty", "Sam Student"]
        doomed.kill()
        while True:
            event = await watcher.next_event("presence", timeout=10)
            if event["op"] == "leave":
                break
        assert event["data"]["person"]["id"] == world.faculty_a.id
        again = await LiveClient.connect(survivor.base_url, await sign_in(survivor.base_url, world.coalition_a.email, PASSWORD))
        assert sorted(p["name"] for p in (await again.subscribe(spaces.cohort_a1))["present"]) == ["Cam Coalition", "Sam Student"]
        await watcher.close()
        await again.close()
    finally:
        doomed.kill()
        survivor.stop()
