"""Fixtures of the notification tests: the spaces of the two-institution world, a real SMTP
server (aiosmtpd) on a free local port, an app that mails through it with the real
SmtpMailer, and a unit of work that records the events it publishes."""

from __future__ import annotations

import email
import email.policy
import socket
import uuid
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any, AsyncIterator, Iterator

import pytest
from aiosmtpd.controller import Controller
from limits.aio.storage import MemoryStorage

from artme_cop.app import create_app
from artme_cop.conversations.models import Conversation
from artme_cop.db import make_engine, make_sessionmaker
from artme_cop.notifications import service as notifications
from artme_cop.ratelimit import RateLimiter
from artme_cop.realtime.events import Event
from artme_cop.settings import Settings
from artme_cop.unit_of_work import UnitOfWork
from tests.conftest import make_settings
from tests.factories import World
from tests.realtime.conftest import Spaces, open_spaces
from tests.support import MutableClock


@dataclass
class Inbox:
    """The aiosmtpd handler: keeps every message the server accepted."""

    messages: list[EmailMessage] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = email.message_from_bytes(envelope.original_content or envelope.content, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        self.messages.append(parsed)
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[EmailMessage]:
        return [message for message in self.messages if message["To"] == address]

    @staticmethod
    def body(message: EmailMessage) -> str:
        part = message.get_body(preferencelist=("plain",))
        assert part is not None
        return str(part.get_content())  # type: ignore[attr-defined]


@dataclass
class Smtp:
    inbox: Inbox
    port: int


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def smtp() -> Iterator[Smtp]:
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield Smtp(inbox, controller.port)
    finally:
        controller.stop()


@pytest.fixture
def smtp_settings(database_url: str, tmp_path: Path, smtp: Smtp) -> Settings:
    return make_settings(tmp_path, database_url, smtp_host="127.0.0.1", smtp_port=smtp.port, smtp_starttls=False)


@pytest.fixture
async def smtp_app(smtp_settings: Settings, world: World, clock: MutableClock) -> AsyncIterator[Any]:
    """The app with no mailer given, so it builds the real SmtpMailer from the settings."""
    application = create_app(smtp_settings, clock=clock, rate_limiter=RateLimiter(MemoryStorage(), prefix=f"t{uuid.uuid4().hex}"))
    yield application
    await application.state.engine.dispose()


@pytest.fixture
async def spaces(settings: Settings, world: World, clock: MutableClock) -> Spaces:
    engine = make_engine(settings.database_url)
    try:
        async with UnitOfWork(make_sessionmaker(engine), clock, settings) as uow:
            return await open_spaces(uow, world)
    finally:
        await engine.dispose()


class Recorder:
    """Units of work on an app's engine and mailer whose published events are kept."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.events: list[Event] = []

    async def _publish(self, event: Event) -> None:
        self.events.append(event)

    def uow(self) -> UnitOfWork:
        state = self.app.state
        return UnitOfWork(make_sessionmaker(state.engine), state.clock, state.settings, publish=self._publish, mailer=state.mailer, strict_events=True)

    def of_type(self, kind: str) -> list[Event]:
        return [event for event in self.events if event.type == kind]


async def conversation(app: Any, conversation_id: int) -> Conversation:
    async with app.state.uow(read_only=True) as uow:
        found = await uow.session.get(Conversation, conversation_id)
    assert found is not None
    return found


async def notify_about(
    recorder: Recorder, conversation_id: int, recipients: list[int], *, kind: str = "mention", seq: int = 1, actor_id: int | None = None, summary: str = "Someone mentioned you"
) -> list[int]:
    """Notify through the service in one committed unit of work; returns the new ids."""
    async with recorder.uow() as uow:
        about = await uow.session.get(Conversation, conversation_id)
        made = await notifications.notify(
            uow, recipients=recipients, kind=kind, conversation=about, seq=seq, actor_id=actor_id, summary=summary, link=f"/conversations/{conversation_id}#m{seq}"
        )
    return [row.id for row in made]
