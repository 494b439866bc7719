"""Group commit: concurrent sends are written in one transaction.

SQLite has one writer, and a commit (an fsync) costs far more than an insert, so the
writer task takes every send waiting at that moment (up to MAX_BATCH), hands them to
`store_messages` (the rules of `post_messages`, a few queries per batch), commits once,
and only then answers each sender. A send refused by the rules gets its own error; the
others are stored. Events leave after the commit, as always.

On a SQLite file the batch runs as one job on the database's write thread (db.WriteThread):
one thread hop per batch instead of one per statement. Elsewhere (PostgreSQL) it runs in
the unit of work's session.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from typing import Callable

from sqlalchemy.exc import IntegrityError

from artme_cop.conversations import hooks, queries
from artme_cop.conversations.service import Posted, SendRequest, post_messages, store_messages
from artme_cop.db import WriteThread
from artme_cop.errors import DomainError
from artme_cop.policy import Actor
from artme_cop.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)


def _conversation_key(value: object) -> int | None:
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        return None
    text = str(value)
    return int(text) if text.isascii() and text.isdigit() and 0 < int(text) < 2**31 else None

MAX_BATCH = 128


@dataclass
class _Send:
    request: SendRequest
    result: asyncio.Future[Posted]


class MessageWriter:
    def __init__(self, uow: Callable[..., UnitOfWork], write_thread: WriteThread | None = None) -> None:
        self._uow = uow
        self._write_thread = write_thread
        self._queue: asyncio.Queue[_Send] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None
        self.batches = 0
        self.messages = 0
        # conversation id -> kind (kinds never change), to send the few batches that touch a
        # feature's conversations (forum threads) through the path that runs its hooks.
        self._kinds: dict[int, str] = {}

    async def post(self, actor: Actor, conversation_id: object, *, body: object, client_msg_id: object, reply_to: object = None, confirmed: bool = False) -> Posted:
        """Post a message; returns once it is committed (or raises the domain error)."""
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run())
        future: asyncio.Future[Posted] = asyncio.get_running_loop().create_future()
        self._queue.put_nowait(_Send(SendRequest(actor, conversation_id, body, client_msg_id, reply_to, confirmed), future))
        return await future

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._write_thread is not None:
            self._write_thread.stop()

    async def _run(self) -> None:
        while True:
            batch = [await self._queue.get()]
            while len(batch) < MAX_BATCH and not self._queue.empty():
                batch.append(self._queue.get_nowait())
            await self._write(batch)

    async def _write(self, batch: list[_Send]) -> None:
        requests = [send.request for send in batch]
        outcomes: list[Posted | BaseException]
        try:
            outcomes = list(await self._commit(requests))
        except IntegrityError:
            # Another process stored one of these client_msg_ids first; a second pass
            # finds it and answers that send as a duplicate.
            try:
                outcomes = list(await self._commit(requests))
            except Exception as exc:
                log.exception("writing a batch of %d messages failed twice", len(batch))
                outcomes = [exc] * len(batch)
        except asyncio.CancelledError:
            for send in batch:
                send.result.cancel()
            raise
        except Exception as exc:  # the commit failed: nobody's message is stored
            log.exception("writing a batch of %d messages failed", len(batch))
            outcomes = [exc] * len(batch)
        self.batches += 1
        self.messages += len(batch)
        for send, outcome in zip(batch, outcomes):
            if send.result.done():
                continue
            if isinstance(outcome, BaseException):
                send.result.set_exception(outcome)
            else:
                send.result.set_result(outcome)

    async def _needs_hooks(self, requests: list[SendRequest]) -> bool:
        if hooks.screened([r.body for r in requests if isinstance(r.body, str)]):
            return True
        hooked = hooks.hooked_kinds()
        if not hooked:
            return False
        ids = {c for c in (_conversation_key(r.conversation_id) for r in requests) if c is not None}
        unknown = ids - self._kinds.keys()
        if unknown:
            async with self._uow(read_only=True) as uow:
                self._kinds.update(await queries.kinds_of(uow.session, unknown))
        return any(self._kinds.get(c) in hooked for c in ids)

    async def _commit(self, requests: list[SendRequest]) -> list[Posted | DomainError]:
        async with self._uow() as uow:
            if self._write_thread is None or await self._needs_hooks(requests):
                return await post_messages(uow, requests)
            # The thread commits; this unit of work only publishes the events afterwards
            # (its own session stays unused, so its commit touches no database).
            outcomes, events = await self._write_thread.transaction(store_messages, requests, uow.clock.now())
            for event in events:
                uow.emit(event)
            return outcomes
