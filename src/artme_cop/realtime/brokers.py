"""Brokers carry committed events to the hub of every server process.

`MemoryBroker` (the default) delivers inside this process. `RedisBroker` publishes each
event once, already encoded, to a Redis channel named from the configured prefix and the
server-built topic, and one pattern subscription per process feeds the local hub; Redis
does no authorization (pitfall 7), so delivery relies on the subscriptions the gateway
checked. Both also keep presence: who is connected to which topic, across processes.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from typing import Iterator, Protocol

from artme_cop.realtime.events import Event
from artme_cop.realtime.hub import Hub

log = logging.getLogger(__name__)



class Broker(Protocol):
    hub: Hub

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    async def publish(self, event: Event) -> None: ...

    async def publish_many(self, events: list[Event]) -> None: ...

    async def join(self, topic: str, person_id: int) -> bool: ...

    async def leave(self, topic: str, person_id: int) -> bool: ...

    async def present(self, topic: str) -> set[int]: ...


def _encoded(events: list[Event]) -> Iterator[tuple[str, int | None, str]]:
    """(topic, seq, text) of each event; one that cannot be encoded is logged and skipped."""
    for event in events:
        try:
            yield event.topic, event.seq, event.wire
        except Exception:
            log.exception("encoding %s/%s on %s failed", event.type, event.op, event.topic)


def _redis_message(items: list[tuple[int | None, str]]) -> str:
    """One topic's events as a Redis message: a line of comma-separated seqs (empty for
    none), then one line of JSON per event (encoded JSON holds no raw newline)."""
    header = ",".join("" if seq is None else str(seq) for seq, _ in items)
    return "\n".join([header, *(text for _, text in items)])


class ConnectionCounts:
    """How many of this process's connections each person has on each topic."""

    def __init__(self) -> None:
        self.by_topic: dict[str, dict[int, int]] = {}

    def add(self, topic: str, person_id: int) -> bool:
        """Count one more connection; True when it is the person's first here."""
        counts = self.by_topic.setdefault(topic, {})
        counts[person_id] = counts.get(person_id, 0) + 1
        return counts[person_id] == 1

    def remove(self, topic: str, person_id: int) -> bool | None:
        """Count one fewer; True when it was the person's last here, None when unknown."""
        counts = self.by_topic.get(topic, {})
        if person_id not in counts:
            return None
        counts[person_id] -= 1
        if counts[person_id] > 0:
            return False
        del counts[person_id]
        if not counts:
            self.by_topic.pop(topic, None)
        return True

    def people(self, topic: str) -> set[int]:
        return set(self.by_topic.get(topic, {}))


class MemoryBroker:
    def __init__(self, hub: Hub) -> None:
        self.hub = hub
        self._present = ConnectionCounts()

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None

    async def publish(self, event: Event) -> None:
        self.hub.deliver(event.topic, event.seq, event.wire)

    async def publish_many(self, events: list[Event]) -> None:
        """The events of one commit, in order; each subscriber's share leaves in one write."""
        self.hub.deliver_batch(_encoded(events))

    async def join(self, topic: str, person_id: int) -> bool:
        """Count one more connection of the person on the topic; True when they just arrived."""
        return self._present.add(topic, person_id)

    async def leave(self, topic: str, person_id: int) -> bool:
        """Count one connection fewer; True when the person's last connection left."""
        return bool(self._present.remove(topic, person_id))

    async def present(self, topic: str) -> set[int]:
        return self._present.people(topic)


class RedisBroker:
    """Pub/sub across processes; presence in sorted sets whose scores are expiry times, so a
    process that dies stops counting after PRESENCE_TTL seconds."""

    def __init__(self, hub: Hub, url: str, *, prefix: str, presence_ttl: float = 30.0) -> None:
        import redis.asyncio as redis

        self.hub = hub
        self._ttl = presence_ttl
        self._redis = redis.from_url(url)
        self._prefix = prefix
        self._process = uuid.uuid4().hex[:12]
        self._local = ConnectionCounts()
        self._tasks: list[asyncio.Task[None]] = []
        self._pubsub = self._redis.pubsub(ignore_subscribe_messages=True)

    def _channel(self, topic: str) -> str:
        return f"{self._prefix}:ev:{topic}"

    def _presence_key(self, topic: str) -> str:
        return f"{self._prefix}:presence:{topic}"

    async def start(self) -> None:
        await self._pubsub.psubscribe(f"{self._prefix}:ev:*")
        self._tasks = [asyncio.create_task(self._listen()), asyncio.create_task(self._refresh_presence())]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        for topic, people in list(self._local.by_topic.items()):
            for person_id in list(people):
                await self._redis.zrem(self._presence_key(topic), f"{self._process}:{person_id}")
        await self._pubsub.aclose()
        await self._redis.aclose()

    async def publish(self, event: Event) -> None:
        await self._redis.publish(self._channel(event.topic), _redis_message([(event.seq, event.wire)]))

    async def publish_many(self, events: list[Event]) -> None:
        """The events of one commit: one Redis message per topic, holding that topic's events
        in order, so every process hands each socket its share in one write (deliver_batch)."""
        by_topic: dict[str, list[tuple[int | None, str]]] = {}
        for topic, seq, text in _encoded(events):
            by_topic.setdefault(topic, []).append((seq, text))
        for topic, items in by_topic.items():
            try:
                await self._redis.publish(self._channel(topic), _redis_message(items))
            except Exception:  # one failed topic must not hold back the others
                log.exception("publishing %d events on %s failed", len(items), topic)

    async def _listen(self) -> None:
        prefix_length = len(self._prefix) + len(":ev:")
        while True:
            try:
                async for message in self._pubsub.listen():
                    if message.get("type") != "pmessage":
                        continue
                    topic = message["channel"].decode()[prefix_length:]
                    header, *texts = message["data"].decode().split("\n")
                    seqs = [int(seq) if seq else None for seq in header.split(",")]
                    if len(texts) == 1:
                        self.hub.deliver(topic, seqs[0], texts[0])
                    else:
                        self.hub.deliver_batch((topic, seq, text) for seq, text in zip(seqs, texts, strict=True))
            except asyncio.CancelledError:
                raise
            except Exception:  # a dropped Redis connection: wait, then listen again
                log.exception("redis listener failed; retrying")
                await asyncio.sleep(1)

    async def join(self, topic: str, person_id: int) -> bool:
        if not self._local.add(topic, person_id):
            return False
        before = await self.present(topic)
        await self._redis.zadd(self._presence_key(topic), {f"{self._process}:{person_id}": time.time() + self._ttl})
        return person_id not in before

    async def leave(self, topic: str, person_id: int) -> bool:
        if not self._local.remove(topic, person_id):
            return False
        await self._redis.zrem(self._presence_key(topic), f"{self._process}:{person_id}")
        return person_id not in await self.present(topic)

    async def present(self, topic: str) -> set[int]:
        key = self._presence_key(topic)
        await self._redis.zremrangebyscore(key, "-inf", time.time())
        members = await self._redis.zrange(key, 0, -1)
        return {int(member.decode().rsplit(":", 1)[1]) for member in members}

    async def _refresh_presence(self) -> None:
        while True:
            await asyncio.sleep(self._ttl / 3)
            try:
                expiry = time.time() + self._ttl
                for topic, people in list(self._local.by_topic.items()):
                    if people:
                        await self._redis.zadd(self._presence_key(topic), {f"{self._process}:{p}": expiry for p in people})
                    await self._sweep(topic)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("refreshing presence failed")

    async def _sweep(self, topic: str) -> None:
        """Announce the people whose process died: its entries expired unrefreshed. Of all
        processes sweeping, the one whose ZREM removed the entry announces it."""
        key = self._presence_key(topic)
        for member in await self._redis.zrangebyscore(key, "-inf", time.time()):
            if await self._redis.zrem(key, member):
                person_id = int(member.decode().rsplit(":", 1)[1])
                if person_id not in await self.present(topic):
                    await self.publish(Event(topic, "presence", "leave", person_id, {"person": {"id": person_id}}))


def make_broker(hub: Hub, redis_url: str, *, prefix: str, presence_ttl: float = 30.0) -> Broker:
    if redis_url:
        return RedisBroker(hub, redis_url, prefix=prefix, presence_ttl=presence_ttl)
    return MemoryBroker(hub)
