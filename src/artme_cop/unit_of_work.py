"""One unit of work per request or command: a database session, a clock and an outbox.

Services never commit. The unit of work commits when its block ends without an error and
only then hands the queued events to the publisher; on an error it rolls back and drops
them, so nobody is ever told about a write that did not happen. Files follow the rows that
name them: a file written for the work is removed again if it does not commit, and a file
whose row the work deletes is removed only once that is committed.
"""

from __future__ import annotations

import logging
from pathlib import Path
from types import TracebackType
from typing import Awaitable, Callable

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from artme_cop.clock import Clock
from artme_cop.db import READ_ONLY
from artme_cop.mail import Mail, Mailer
from artme_cop.realtime.events import Event
from artme_cop.settings import Settings

log = logging.getLogger(__name__)


Publisher = Callable[[Event], Awaitable[None]]
BatchPublisher = Callable[[list[Event]], Awaitable[None]]


async def _discard(_event: Event) -> None:
    return None


class UnitOfWork:
    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        clock: Clock,
        settings: Settings,
        publish: Publisher = _discard,
        mailer: Mailer | None = None,
        publish_many: BatchPublisher | None = None,
        *,
        read_only: bool = False,
        strict_events: bool = False,
    ) -> None:
        self._sessionmaker = sessionmaker
        self.clock = clock
        self.settings = settings
        self._publish = publish
        self._publish_many = publish_many
        self._strict_events = strict_events
        self.read_only = read_only
        self.outbox: list[Event] = []
        self._mailer = mailer
        self.mail_outbox: list[Mail] = []
        self._session: AsyncSession | None = None
        self._written: list[Path] = []
        self._unwanted: list[Path] = []

    @property
    def session(self) -> AsyncSession:
        """The database session, made on first use: a unit of work that never touches it
        (the message writer's, whose batch commits on SQLite's write thread) costs nothing
        at its end."""
        if self._session is None:
            self._session = self._sessionmaker()
        return self._session

    async def __aenter__(self) -> UnitOfWork:
        self._session = None
        if self.read_only:
            # Marks the connection before its transaction begins (see db._sqlite_begin).
            await self.session.connection(execution_options={READ_ONLY: True})
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        session = self._session
        committed = False
        try:
            if exc_type is not None:
                if session is not None:
                    await session.rollback()
                self.outbox.clear()
                self.mail_outbox.clear()
            elif session is not None and not self.read_only:
                await session.commit()
            # A read-only session is only closed: that ends the read transaction and keeps
            # loaded objects usable.
            committed = exc_type is None
        finally:
            if session is not None:
                await session.close()
            self._settle_files(committed)
        await self._publish_outbox()
        await self._send_mail()

    def wrote_file(self, path: Path) -> None:
        """A file written for this work: removed again unless the work commits."""
        self._written.append(path)

    def remove_file_after_commit(self, path: Path) -> None:
        """A file whose row this work deletes: removed once that is committed, kept otherwise."""
        self._unwanted.append(path)

    def _settle_files(self, committed: bool) -> None:
        doomed = self._unwanted if committed else self._written
        self._written, self._unwanted = [], []
        for path in doomed:
            try:
                path.unlink(missing_ok=True)
            except OSError:  # the commit stands; a file left over is only wasted space
                log.exception("could not remove %s", path)

    async def _publish_outbox(self) -> None:
        outbox, self.outbox = self.outbox, []
        if len(outbox) > 1 and self._publish_many is not None:
            try:
                await self._publish_many(outbox)
            except Exception:  # a failed delivery must not hide the commit from the caller
                log.exception("publishing %d events failed", len(outbox))
            return
        for queued in outbox:
            try:
                await self._publish(queued)
            except Exception:  # one failed delivery must not hide the commit from the caller
                log.exception("publishing %s/%s on %s failed", queued.type, queued.op, queued.topic)

    async def _send_mail(self) -> None:
        for mail in self.mail_outbox:
            try:
                if self._mailer is not None:
                    await self._mailer.send(mail)
            except Exception:  # a mail server outage must not undo a committed change
                log.exception("sending mail to %s failed", mail.to)
        self.mail_outbox.clear()

    def send_mail(self, mail: Mail) -> None:
        """Queue a mail to be sent after the commit."""
        self.mail_outbox.append(mail)

    def emit(self, queued: Event) -> None:
        if self._strict_events:
            _ = queued.wire  # fail where the event is built, not later in the hub
        self.outbox.append(queued)

    async def flush(self) -> None:
        await self.session.flush()
