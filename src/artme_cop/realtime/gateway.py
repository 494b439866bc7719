"""The one WebSocket endpoint: handshake checks, subscribe and resume, command dispatch,
and the send path.

Handshake: the signed session must name a current person and the Origin must be exactly
our own (cross-site WebSocket hijacking, SEC-F1/F2); otherwise the socket is closed before
it is accepted, which the client sees as HTTP 403.

Receiving runs in the connection's own task: it decodes frames, applies the rate limits and
calls the registered handler. Sending has two paths, and they never overlap:

- Directly: when nothing is queued and no sender task runs, a live event or a reply is
  written to the socket in the caller's step (realtime.direct: uvicorn's protocol, open,
  write buffer below its high-water mark). No task wakes, nothing awaits; this is how most
  frames leave. The events of one commit (a group-commit batch) are delivered together
  (Hub.deliver_batch): each socket's frames are held and then written with one call, before
  anything else runs, so under load a socket costs one system call per batch, not per
  message.
- Through the queue: otherwise the frame joins the connection's outgoing queue, and a
  sender task, started on demand and gone once the queue is empty, writes it in order. It
  also runs the replays. When the queue passes OUTGOING_LIMIT the consumer is too slow
  (its socket buffer stayed full) and is closed with 4008 (it resumes on reconnect);
  nobody else waits for it.

Resume (`subscribe` with `after_seq`): the subscription is registered and a replay request
queued in the same step. While the replay pages through the database, live messages of
that conversation are skipped rather than queued (a long replay under heavy traffic must
not look like a slow consumer); when it ends, one more read catches up with what was
committed meanwhile, and from then on live messages flow. Both paths drop what was already
sent (seq <= last); a gap is filled from the database by the sender, so each message
reaches the client once and in order.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from dataclasses import dataclass
from typing import Any, Awaitable, Callable

from starlette.types import ASGIApp, Receive, Scope, Send
from starlette.websockets import WebSocket

from artme_cop import security_log
from artme_cop.conversations import hooks as conversation_hooks
from artme_cop.conversations import service as conversations
from artme_cop.errors import DomainError, NotFound, RateLimited
from artme_cop.identity import service as identity
from artme_cop.policy import Actor
from artme_cop.realtime import protocol
from artme_cop.realtime.direct import direct_protocol, text_frame, writable_now, write_now
from artme_cop.realtime.brokers import Broker
from artme_cop.realtime.commands import CommandContext, CommandRegistry
from artme_cop.realtime.events import Event, access_topic, conversation_topic, encode, person_topic
from artme_cop.realtime.hub import Hub
from artme_cop.realtime.protocol import FrameError
from artme_cop.realtime.ratelimit import TokenBucket
from artme_cop.settings import Settings
from artme_cop.unit_of_work import UnitOfWork
from artme_cop.web.client import client_address

log = logging.getLogger(__name__)

OUTGOING_LIMIT = 1000
MAX_CONNECTIONS_PER_PERSON = 10
MAX_SUBSCRIPTIONS = 200
MAX_IN_FLIGHT = 256
REVALIDATE_SECONDS = 15.0
FRAME_RATE = 30.0
FRAME_BURST = 60.0
# After this many refused frames in a row the client is not listening: close it.
MAX_REFUSALS = 200

_LIVE, _CONTROL, _REPLAY, _CLOSE = range(4)
# What a sender task returns when it wrote the close request: the connection ends.
_STOPPED = "stopped"


@dataclass
class Realtime:
    """What the gateway needs from the app, built once in create_app."""

    settings: Settings
    hub: Hub
    broker: Broker
    commands: CommandRegistry
    uow: Callable[..., UnitOfWork]
    connections: dict[int, int]
    # One send budget per person in this process, shared by all their sockets.
    send_buckets: dict[int, TokenBucket]

    @classmethod
    def build(cls, settings: Settings, hub: Hub, broker: Broker, uow: Callable[..., UnitOfWork]) -> Realtime:
        return cls(settings, hub, broker, CommandRegistry(), uow, {}, {})

    def send_bucket(self, person_id: int) -> TokenBucket:
        bucket = self.send_buckets.get(person_id)
        if bucket is None:
            rate = self.settings.message_rate
            bucket = self.send_buckets[person_id] = TokenBucket(rate, rate * 2)
        return bucket


async def websocket_endpoint(websocket: WebSocket) -> None:
    realtime: Realtime = websocket.app.state.realtime
    actor: Actor | None = getattr(websocket.state, "actor", None)
    origin = websocket.headers.get("origin")
    address = client_address(websocket)
    refusal = (
        "no_session" if actor is None else "foreign_origin" if origin != realtime.settings.base_url
        else "too_many_connections" if realtime.connections.get(actor.person_id, 0) >= MAX_CONNECTIONS_PER_PERSON else None
    )
    if refusal is not None:
        security_log.event("ws_connect", outcome=security_log.REFUSED, person=actor.person_id if actor else None, address=address, origin=origin, reason=refusal)
        await websocket.close(code=protocol.CLOSE_POLICY)
        return
    assert actor is not None
    security_log.event("ws_connect", outcome=security_log.OK, person=actor.person_id, address=address, origin=origin)
    await websocket.accept()
    realtime.connections[actor.person_id] = realtime.connections.get(actor.person_id, 0) + 1
    connection = Connection(websocket, actor, realtime)
    try:
        await connection.run()
    finally:
        security_log.event("ws_disconnect", outcome=security_log.OK, person=actor.person_id, address=address, code=connection.closing)
        remaining = realtime.connections.get(actor.person_id, 1) - 1
        if remaining:
            realtime.connections[actor.person_id] = remaining
        else:
            realtime.connections.pop(actor.person_id, None)
            realtime.send_buckets.pop(actor.person_id, None)


RAW_SEND = "artme.raw_send"


class RawSendMiddleware:
    """Keeps the server's own `send` for WebSockets, so the fan-out path writes frames without
    passing through every middleware's send wrapper (sessions, exceptions) per delivery."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    def __call__(self, scope: Scope, receive: Receive, send: Send) -> Awaitable[None]:
        if scope["type"] == "websocket":
            scope[RAW_SEND] = send
        # Returned, not awaited here: no frame of this middleware lives as long as the socket.
        return self.app(scope, receive, send)  # type: ignore[return-value]


class Connection:
    # Class-level defaults: most connections never need their own (memory per idle
    # connection, docs/performance.md).
    sender: asyncio.Task[str | None] | None = None
    receiver: asyncio.Task[Any] | None = None
    protocol: Any = None  # uvicorn's protocol when frames may be written directly
    # Frames of a batch delivery waiting for `release` (Hub.deliver_batch).
    held: list[bytes] | None = None
    # Made when a frame has to wait, dropped when the sender has emptied it.
    outgoing: deque[tuple[int, str | None, int | None, Any]] | None = None
    # Pipelined commands running now; a set of its own once the connection sends.
    in_flight: set[asyncio.Task[None]] | frozenset[asyncio.Task[None]] = frozenset()
    access_check: asyncio.Task[None] | None = None
    # topic -> how this person appears there, for kinds with a presenter (a dialogue room's
    # pseudonym; None: left out of typing). Made only when such a room is subscribed.
    shown: dict[str, dict[str, Any] | None] | None = None
    presenters: dict[str, conversation_hooks.Presenter] | None = None

    def __init__(self, websocket: WebSocket, actor: Actor, realtime: Realtime) -> None:
        self.websocket = websocket
        self.actor = actor
        self.person_id = actor.person_id
        self.realtime = realtime
        self.closing: int | None = None
        self.topics: dict[int, str] = {}
        self.last_seq: dict[str, int] = {}
        rate = realtime.settings.message_rate
        # Every send is a frame, so the frame budget grows with the message budget.
        self.frame_bucket = TokenBucket(max(FRAME_RATE, 4 * rate), max(FRAME_BURST, 8 * rate))
        self.send_bucket = realtime.send_bucket(actor.person_id)
        self.refusals = 0
        self.validated_at = time.monotonic()
        # Topics being replayed from the database: their live messages are skipped meanwhile.
        self.replaying: set[str] = set()
        protocol = direct_protocol(websocket.scope.get(RAW_SEND))
        if protocol is not None:
            self.protocol = protocol

    # --- what the hub and handlers call -------------------------------------------------

    def push(self, topic: str, seq: int | None, text: str) -> None:
        self._push(topic, seq, text, None)

    def hold(self, topic: str, seq: int | None, text: str, holders: list[Any]) -> None:
        self._push(topic, seq, text, holders)

    def release(self) -> None:
        held, self.held = self.held, None
        if held:
            self.protocol.transport.write(b"".join(held))

    def _push(self, topic: str, seq: int | None, text: str, holders: list[Any] | None) -> None:
        if self.closing is not None:
            return
        if seq is not None and topic in self.replaying:
            return  # the replay reads it from the database; queuing it would only fill the queue
        if self.sender is None and self.protocol is not None and not self.outgoing:
            # Idle: nothing is ahead of this frame, so it may leave now (see the module doc).
            last = self.last_seq.get(topic)
            if last is None or (seq is not None and seq <= last):
                return  # unsubscribed meanwhile, or already sent: the sender would drop it too
            if (seq is None or seq == last + 1) and (write_now(self.protocol, text) if holders is None else self._hold(text, holders)):
                if seq is not None:
                    self.last_seq[topic] = seq
                return
        if len(self.outgoing or ()) >= OUTGOING_LIMIT:
            log.warning("websocket of person %s is too slow; closing it", self.person_id)
            self.close(protocol.CLOSE_SLOW_CONSUMER)
            return
        self._enqueue((_LIVE, topic, seq, text))

    def _hold(self, text: str, holders: list[Any]) -> bool:
        """Keep the frame for `release`, which the hub calls before anything else can run, so
        it still leaves ahead of whatever is queued after it."""
        if self.held is None:
            if not writable_now(self.protocol):
                return False
            self.held = []
            holders.append(self)
        self.held.append(text_frame(text))
        return True

    def reply(self, text: str) -> None:
        if self.closing is not None:
            return
        if self.sender is None and self.protocol is not None and not self.outgoing and write_now(self.protocol, text):
            return
        self._enqueue((_CONTROL, None, None, text))

    def close(self, code: int) -> None:
        if self.closing is None:
            self.closing = code
            sender = self.sender
            self._enqueue((_CLOSE, None, None, code), first=True)
            if code == protocol.CLOSE_SLOW_CONSUMER and sender is not None:
                # Its sender is likely stuck writing to a full socket: stop waiting for it.
                sender.cancel()

    def is_subscribed(self, conversation_id: int) -> bool:
        return conversation_id in self.topics

    def limit_sends(self) -> float:
        return self.send_bucket.take()

    # --- the receiving task and the sender ----------------------------------------------

    async def run(self) -> None:
        """Receive in this task; a sender task runs beside it only while frames are queued.
        When the sender stops the connection (close, dead socket), receiving ends too."""
        # Every socket hears its person's own topic (mentions, notifications) from the start.
        personal = person_topic(self.person_id)
        self.last_seq[personal] = 0
        self.realtime.hub.add(personal, self)
        watcher = _AccessWatcher(self)
        self.realtime.hub.add(access_topic(self.person_id), watcher)
        self.receiver = asyncio.current_task()
        try:
            await self._receive_loop()
        except asyncio.CancelledError:
            if self.receiver is not None:
                raise
            asyncio.current_task().uncancel()  # type: ignore[union-attr]  # cut by the sender: not a shutdown
        finally:
            self.receiver = None
            sender = self.sender
            if sender is not None:
                sender.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await sender
            for task in list(self.in_flight):
                task.cancel()
            self.realtime.hub.remove(personal, self)
            self.realtime.hub.remove(access_topic(self.person_id), watcher)
            await self._leave_all()
            if self.closing is not None:
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(self.websocket.close(code=self.closing), timeout=1.0)

    def _enqueue(self, item: tuple[int, str | None, int | None, Any], *, first: bool = False) -> None:
        if self.outgoing is None:
            self.outgoing = deque()
        if first:
            self.outgoing.appendleft(item)
        else:
            self.outgoing.append(item)
        self._ensure_sender()

    def _ensure_sender(self) -> None:
        if self.sender is None:
            sender = self.sender = asyncio.create_task(self._send_queued())
            sender.add_done_callback(self._sender_done)

    def _sender_done(self, task: asyncio.Task[str | None]) -> None:
        if self.sender is task:
            self.sender = None
        stopped = task.cancelled() or task.exception() is not None or task.result() == _STOPPED
        receiver = self.receiver
        if stopped and receiver is not None:
            self.receiver = None  # tells run() that this cancellation is ours
            receiver.cancel()

    async def _send_text(self, text: str) -> None:
        if self.protocol is not None and write_now(self.protocol, text):
            return
        raw = self.websocket.scope.get(RAW_SEND)
        if raw is None:
            await self.websocket.send_text(text)
        else:
            await raw({"type": "websocket.send", "text": text})

    async def _send_queued(self) -> str | None:
        """Write the queued frames in order, replaying where needed; end when the queue is
        empty (returning None) or with _STOPPED after the close request."""
        send_text = self._send_text
        outgoing = self.outgoing
        while outgoing:
            kind, topic, seq, payload = outgoing.popleft()
            if kind == _LIVE:
                if topic not in self.last_seq:
                    continue
                if seq is not None:
                    last = self.last_seq[topic]
                    if seq <= last:
                        continue
                    if seq > last + 1:
                        await self._replay(topic, up_to=seq - 1)
                    self.last_seq[topic] = seq
                await send_text(payload)
            elif kind == _CONTROL:
                await send_text(payload)
            elif kind == _REPLAY:
                await self._replay(topic, up_to=None)
                self.replaying.discard(topic)
                # Catch up with what was committed while live events were being skipped.
                await self._replay(topic, up_to=None)
                outgoing.append((_CONTROL, None, None, payload))
            else:
                return _STOPPED
        # Nothing awaits between the emptiness check and here: a frame pushed from now on
        # sees no sender and takes the direct path or starts a new sender (and a new queue).
        self.sender = None
        self.outgoing = None
        return None

    async def _replay(self, topic: str | None, *, up_to: int | None) -> None:
        """Send the stored messages after the last one sent (up to `up_to`), in pages."""
        assert topic is not None
        conversation_id = int(topic.split(":", 1)[1])
        while topic in self.last_seq:
            async with self.realtime.uow(read_only=True) as uow:
                events = await conversations.replay(uow, self.actor, conversation_id, after_seq=self.last_seq[topic], up_to_seq=up_to)
            if events and self.protocol is not None and writable_now(self.protocol):
                # The whole page in one write; a full buffer then makes the next page wait.
                self.protocol.transport.write(b"".join([text_frame(event.wire) for event in events]))
                self.last_seq[topic] = max(self.last_seq[topic], events[-1].seq or 0)
            else:
                for event in events:
                    await self._send_text(event.wire)
                    self.last_seq[topic] = event.seq or self.last_seq[topic]
            if len(events) < conversations.REPLAY_PAGE:
                return

    async def _receive_loop(self) -> None:
        self.reply(encode({"type": "ready", "protocol": protocol.PROTOCOL_VERSION, "person": {"id": self.actor.person_id, "name": self.actor.display_name}}))
        while True:
            message = await self.websocket.receive()
            if message["type"] == "websocket.disconnect":
                return
            text = message.get("text")
            if text is None:
                self._refuse(None, FrameError("invalid", "Binary frames are not accepted; send JSON text."))
                continue
            frame = None
            try:
                wait = self.frame_bucket.take()
                if wait:
                    raise FrameError("rate_limited", "Too many frames; slow down.", retry_after=protocol.retry_after(wait))
                frame = protocol.decode(text)
                await self._revalidate_if_due()
            except FrameError as exc:
                self._refuse(frame, exc)
                continue
            except SessionEnded:
                self.close(protocol.CLOSE_SESSION_ENDED)
                return
            if self.realtime.commands.is_pipelined(frame["type"]):
                await self._pipeline(frame)
            else:
                await self._execute(frame)
            if self.closing is not None:
                return

    async def _pipeline(self, frame: dict[str, Any]) -> None:
        """Run the command beside the next frames, at most MAX_IN_FLIGHT at once."""
        while len(self.in_flight) >= MAX_IN_FLIGHT:
            await asyncio.wait(self.in_flight, return_when=asyncio.FIRST_COMPLETED)
        in_flight = self.in_flight
        if not isinstance(in_flight, set):
            in_flight = self.in_flight = set()
        task = asyncio.create_task(self._execute(frame))
        in_flight.add(task)
        task.add_done_callback(in_flight.discard)

    async def _execute(self, frame: dict[str, Any]) -> None:
        """Run one command and queue its ack or error frame."""
        try:
            result = await self._dispatch(frame)
            self.refusals = 0
            if result is not None:
                self.reply(protocol.ack(protocol.reply_ref(frame), **result))
        except FrameError as exc:
            self._refuse(frame, exc)
        except RateLimited as exc:
            self._refuse(frame, FrameError("rate_limited", exc.message, retry_after=exc.retry_after))
        except DomainError as exc:
            self._refuse(frame, FrameError(exc.code, exc.message))
        except Exception:  # a bug must not take the connection down with a half answer
            log.exception("websocket frame of person %s failed", self.person_id)
            self._refuse(frame, FrameError("internal", "The server could not handle this frame; nothing was changed."))

    def _refuse(self, frame: dict[str, Any] | None, exc: FrameError) -> None:
        self.refusals += 1
        if exc.code in {"forbidden", "not_found", "rate_limited"}:
            security_log.event("ws_refused", outcome=security_log.REFUSED, person=self.person_id, frame=frame.get("type") if frame else "", code=exc.code)
        self.reply(protocol.error(protocol.reply_ref(frame), exc.code, exc.message, **exc.extra))
        if self.refusals >= MAX_REFUSALS:
            log.warning("websocket of person %s closed after %d refused frames", self.person_id, self.refusals)
            self.close(protocol.CLOSE_POLICY)

    def access_changed(self) -> None:
        """A feature changed what this person may read: check the subscriptions now rather
        than at the next periodic revalidation, so a moved or removed member stops hearing."""
        if self.closing is not None:
            return
        in_flight = self.in_flight
        if not isinstance(in_flight, set):
            in_flight = self.in_flight = set()
        task = self.access_check = asyncio.create_task(self._revalidate_now())
        in_flight.add(task)
        task.add_done_callback(in_flight.discard)

    async def _revalidate_now(self) -> None:
        try:
            await self.revalidate()
        except SessionEnded:
            self.close(protocol.CLOSE_SESSION_ENDED)

    async def _revalidate_if_due(self) -> None:
        """Reload the actor now and then, so revoked sessions and roles take effect (SEC-D5, SEC-F5).
        A check started by an access change is awaited, so the next frame sees the new rights."""
        access_check = self.access_check
        if access_check is not None:
            self.access_check = None
            if not access_check.done():
                await asyncio.shield(access_check)
        if time.monotonic() - self.validated_at < REVALIDATE_SECONDS:
            return
        await self.revalidate()

    async def revalidate(self) -> None:
        self.validated_at = time.monotonic()
        async with self.realtime.uow(read_only=True) as uow:
            actor = await identity.load_actor(uow, self.actor.person_id, self.actor.session_epoch)
            if actor is None:
                raise SessionEnded()
            self.actor = actor
            for conversation_id, topic in list(self.topics.items()):
                try:
                    await conversations.access_conversation(uow, actor, conversation_id)
                except NotFound:
                    await self._unsubscribe(conversation_id)
                    self.reply(encode({"type": "unsubscribed", "conversation": conversation_id, "reason": "no_access"}))

    # --- commands -----------------------------------------------------------------------

    async def _dispatch(self, frame: dict[str, Any]) -> dict[str, Any] | None:
        kind = frame["type"]
        if kind == "ping":
            return {"pong": True}
        if kind == "hello":
            version = frame.get("protocol", protocol.PROTOCOL_VERSION)
            if version != protocol.PROTOCOL_VERSION:
                raise FrameError("unsupported", f"This server speaks protocol {protocol.PROTOCOL_VERSION}.")
            return {"protocol": protocol.PROTOCOL_VERSION}
        if kind == "subscribe":
            await self._subscribe(frame)
            return None
        if kind == "unsubscribe":
            conversation_id = protocol.int_field(frame, "conversation")
            assert conversation_id is not None
            await self._unsubscribe(conversation_id)
            return {"conversation": conversation_id}
        if kind == "typing":
            return await self._typing(frame)
        handler = self.realtime.commands.get(kind)
        if handler is None:
            raise FrameError("invalid", f"Unknown frame type {kind[:40]!r}.")
        context = CommandContext(self.actor, self, self.realtime.uow, self.realtime.broker)
        return await handler(context, frame)

    async def _subscribe(self, frame: dict[str, Any]) -> None:
        conversation_id = protocol.int_field(frame, "conversation")
        after_seq = protocol.int_field(frame, "after_seq", required=False)
        assert conversation_id is not None
        if conversation_id in self.topics:
            raise FrameError("conflict", "Already subscribed to this conversation.")
        if len(self.topics) >= MAX_SUBSCRIPTIONS:
            raise FrameError("rate_limited", f"At most {MAX_SUBSCRIPTIONS} subscriptions per connection.")
        async with self.realtime.uow(read_only=True) as uow:
            # Same answer for missing and forbidden conversations (SEC-A2, SEC-F3).
            conversation = await conversations.access_conversation(uow, self.actor, conversation_id)
            last_seq = conversation.last_seq
            presenter = conversation_hooks.presenter_for(conversation.kind)
            if presenter is not None:
                me = (await presenter(uow, conversation, [self.person_id])).get(self.person_id)
        topic = conversation_topic(conversation.id)
        start = last_seq if after_seq is None else min(after_seq, last_seq)
        if presenter is not None:
            self._present_as(topic, presenter, me)
        # Register, then queue the replay, with no await between: nothing can slip by.
        self.topics[conversation.id] = topic
        self.last_seq[topic] = start
        self.replaying.add(topic)
        self.realtime.hub.add(topic, self)
        ref = protocol.reply_ref(frame)
        present = await self._join(topic)
        self._enqueue((_REPLAY, topic, None, protocol.ack(ref, conversation=conversation.id, present=present)))

    async def _unsubscribe(self, conversation_id: int) -> None:
        topic = self.topics.pop(conversation_id, None)
        if topic is None:
            return
        self.realtime.hub.remove(topic, self)
        self.last_seq.pop(topic, None)
        self.replaying.discard(topic)
        await self._leave(topic)
        if self.shown is not None:
            self.shown.pop(topic, None)
            self.presenters.pop(topic, None)  # type: ignore[union-attr]

    async def _typing(self, frame: dict[str, Any]) -> dict[str, Any] | None:
        conversation_id = protocol.int_field(frame, "conversation")
        assert conversation_id is not None
        if conversation_id not in self.topics:
            raise FrameError("not_found", "Subscribe to the conversation first.")
        topic = self.topics[conversation_id]
        me = self._me(topic)
        if me is None or "key" in me:
            return None  # people shown under a room handle send no typing: it can identify them (DOMAIN.md)
        event = Event(topic, "typing", "add", me["id"], {"conversation": conversation_id, "person": me})
        await self.realtime.broker.publish(event)
        return None

    # --- presence -------------------------------------------------------------------------

    async def _join(self, topic: str) -> list[dict[str, Any]]:
        broker = self.realtime.broker
        if await broker.join(topic, self.person_id):
            await self._publish_presence(topic, "join")
        people = sorted(await broker.present(topic))
        presenter = None if self.presenters is None else self.presenters.get(topic)
        async with self.realtime.uow(read_only=True) as uow:
            if presenter is None:
                return [conversations.author_payload(p) for p in await identity.people_by_id(uow, people)]
            conversation = await conversations.access_conversation(uow, self.actor, int(topic.split(":", 1)[1]))
            shown = await presenter(uow, conversation, people)
        return [shown[pid] for pid in people if shown.get(pid) is not None]  # type: ignore[misc]

    async def _leave(self, topic: str) -> None:
        broker = self.realtime.broker
        with contextlib.suppress(Exception):
            if await broker.leave(topic, self.person_id):
                await self._publish_presence(topic, "leave")

    async def _publish_presence(self, topic: str, op: str) -> None:
        me = self._me(topic)
        if me is None and self.shown is not None and topic in self.shown:
            return
        person = me or {"id": self.person_id, "name": self.actor.display_name}
        # Where people show under a room handle, the event's id is that handle, not the person id.
        await self.realtime.broker.publish(Event(topic, "presence", op, person.get("key", person["id"]), {"person": person}))

    async def _leave_all(self) -> None:
        for conversation_id in list(self.topics):
            await self._unsubscribe(conversation_id)

    def _present_as(self, topic: str, presenter: conversation_hooks.Presenter, me: dict[str, Any] | None) -> None:
        if self.shown is None:
            self.shown, self.presenters = {}, {}
        self.shown[topic] = me
        self.presenters[topic] = presenter  # type: ignore[index]

    def _me(self, topic: str) -> dict[str, Any] | None:
        if self.shown is not None and topic in self.shown:
            return self.shown[topic]
        return {"id": self.person_id, "name": self.actor.display_name}


class _AccessWatcher:
    """Listens on the person's access topic for its connection; a separate subscriber so the
    hot delivery path of the connection itself compares no topics."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.person_id = connection.person_id

    def push(self, topic: str, seq: int | None, text: str) -> None:
        self.connection.access_changed()

    def hold(self, topic: str, seq: int | None, text: str, holders: list[Any]) -> None:
        self.connection.access_changed()

    def release(self) -> None:
        return None


class SessionEnded(Exception):
    """The person's session was revoked while the socket was open."""

