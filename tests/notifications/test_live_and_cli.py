"""Notifications outside the request cycle: the live `notification` event on the
recipient's WebSocket (and none on an outsider's), the digest schedule in the app's
lifespan, and `artme-cop notifications digest` mailing through a real SMTP server."""

from __future__ import annotations

import asyncio
import dataclasses
from pathlib import Path
import pytest
from starlette.testclient import TestClient

from artme_cop import cli
from artme_cop.app import create_app
from artme_cop.conversations.models import Conversation
from artme_cop.db import make_engine, make_sessionmaker
from artme_cop.notifications import service as notifications
from artme_cop.realtime.events import person_topic
from artme_cop.settings import Settings
from artme_cop.unit_of_work import UnitOfWork
from tests.conftest import SECRET
from tests.factories import World
from tests.notifications.conftest import Inbox, Smtp
from tests.realtime.conftest import ORIGIN, Spaces, signed_in
from tests.realtime.test_gateway import Socket, connect
from tests.support import MutableClock, csrf_from


def notify_in(client: TestClient, conversation_id: int, recipients: list[int], *, seq: int, summary: str) -> None:
    async def run() -> None:
        async with client.app.state.uow() as uow:  # type: ignore[attr-defined]
            about = await uow.session.get(Conversation, conversation_id)
            await notifications.notify(
                uow, recipients=recipients, kind="mention", conversation=about, seq=seq, actor_id=None, summary=summary, link=f"/conversations/{conversation_id}#m{seq}"
            )

    client.portal.call(run)  # type: ignore[attr-defined]


def test_recipient_socket_hears_the_notification_and_an_outsider_hears_nothing(settings: Settings, world: World, spaces: Spaces) -> None:
    app = create_app(settings)
    with TestClient(app, base_url=ORIGIN) as student:
        outsider = TestClient(app, base_url=ORIGIN)
        outsider.portal = student.portal  # type: ignore[attr-defined]
        signed_in(student, world.student_a.email)
        signed_in(outsider, world.participant_a2.email)
        with connect(student) as student_ws, connect(outsider) as outsider_ws:
            mine, theirs = Socket(student_ws), Socket(outsider_ws)

            notify_in(student, spaces.cohort_a1, [world.student_a.id, world.participant_a2.id], seq=1, summary="first")
            notify_in(student, spaces.cohort_a1, [world.student_a.id, world.participant_a2.id], seq=2, summary="second")

            first, second = mine.next("notification"), mine.next("notification")
            assert (first["topic"], first["op"], first["data"]["unread"], first["data"]["summary"]) == (person_topic(world.student_a.id), "add", 1, "first")
            assert (second["data"]["unread"], second["data"]["link"]) == (2, f"/conversations/{spaces.cohort_a1}#m2")
            # Events are pushed to sockets before notify returns, so anything meant for the
            # outsider would arrive before the answer to this ping.
            assert theirs.request({"type": "ping"})["type"] == "ack"
            assert [frame for frame in theirs.backlog if frame["type"] == "notification"] == []

            token = csrf_from(student.get("/notifications/"))
            assert student.post("/notifications/read", data={"all": "1", "csrf_token": token}, follow_redirects=False).status_code == 303
            read = mine.next("notification")
            assert (read["op"], read["data"]["unread"], read["id"]) == ("read", 0, None)
            assert len(read["data"]["ids"]) == 2


def test_lifespan_runs_the_digest_schedule_only_when_enabled(settings: Settings, world: World) -> None:
    app = create_app(settings)
    with TestClient(app, base_url=ORIGIN):
        task = app.state.digest_task
        assert task is not None and not task.done()
    assert task.cancelled()

    quiet = create_app(dataclasses.replace(settings, digest_interval=0))
    with TestClient(quiet, base_url=ORIGIN):
        assert quiet.state.digest_task is None


def test_cli_digest_mails_through_smtp(smtp_settings: Settings, smtp: Smtp, world: World, spaces: Spaces, clock: MutableClock, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    async def seed() -> None:
        engine = make_engine(smtp_settings.database_url)
        try:
            async with UnitOfWork(make_sessionmaker(engine), clock, smtp_settings) as uow:
                about = await uow.session.get(Conversation, spaces.consortium)
                await notifications.notify(
                    uow, recipients=[world.student_a.id], kind="reply", conversation=about, seq=1, actor_id=world.faculty_a.id,
                    summary="Fran Faculty replied to your post", link=f"/conversations/{spaces.consortium}#m1",
                )
        finally:
            await engine.dispose()

    asyncio.run(seed())
    environment = {
        "ARTME_DATA_DIR": str(tmp_path),
        "ARTME_DATABASE_URL": smtp_settings.database_url,
        "ARTME_SECRET_KEY": SECRET,
        "ARTME_BASE_URL": "https://cop.example.org",
        "ARTME_SMTP_HOST": "127.0.0.1",
        "ARTME_SMTP_PORT": str(smtp.port),
        "ARTME_SMTP_STARTTLS": "false",
    }
    for name, value in environment.items():
        monkeypatch.setenv(name, value)

    assert cli.main(["notifications", "digest"]) == 0
    assert "Daily digests sent: 1." in capsys.readouterr().out
    [message] = smtp.inbox.messages
    assert message["To"] == world.student_a.email
    assert message["Subject"] == "ARTME Community: 1 new notification"
    assert f"https://cop.example.org/conversations/{spaces.consortium}#m1" in Inbox.body(message)

    assert cli.main(["notifications", "digest"]) == 0  # the same day: nothing more
    assert "Daily digests sent: 0." in capsys.readouterr().out
    assert len(smtp.inbox.messages) == 1
