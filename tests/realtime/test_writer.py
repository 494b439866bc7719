"""The group-commit writer on both of its paths: SQLite's write thread (one thread hop per
batch) and the unit of work's own session (PostgreSQL). Acks come after the commit, events
after the commit, retries store nothing twice, and a refused send does not sink the batch."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import AsyncIterator, Callable

import pytest
from sqlalchemy import select, text

from artme_cop.conversations.models import Message
from artme_cop.conversations.service import Posted
from artme_cop.conversations.writer import MessageWriter
from artme_cop.db import WriteThread, make_engine, make_sessionmaker, make_write_thread
from artme_cop.errors import NotFound
from artme_cop.identity import service as identity
from artme_cop.policy import Actor
from artme_cop.realtime.events import Event
from artme_cop.settings import Settings
from artme_cop.unit_of_work import UnitOfWork
from tests.factories import World
from tests.realtime.conftest import Spaces
from tests.support import MutableClock


class Published:
    """The publisher of the writer's units of work; records what reached it, and whether
    the message was already committed (visible to another connection) when it did."""

    def __init__(self, settings: Settings) -> None:
        self.events: list[Event] = []
        self.committed_when_published: list[bool] = []
        self.settings = settings

    async def __call__(self, event: Event) -> None:
        self.events.append(event)
        if event.seq is not None:
            engine = make_engine(self.settings.database_url)
            try:
                async with engine.connect() as connection:
                    seqs = (await connection.execute(select(Message.seq).where(Message.seq == event.seq))).scalars().all()
            finally:
                await engine.dispose()
            self.committed_when_published.append(bool(seqs))


@pytest.fixture
async def writer_parts(settings: Settings, clock: MutableClock) -> AsyncIterator[tuple[MessageWriter, Published, Callable[[], UnitOfWork]]]:
    engine = make_engine(settings.database_url)
    published = Published(settings)
    sessionmaker = make_sessionmaker(engine)

    def uow(*, read_only: bool = False) -> UnitOfWork:
        return UnitOfWork(sessionmaker, clock, settings, publish=published, read_only=read_only, strict_events=True)

    writer = MessageWriter(uow, make_write_thread(settings.database_url))
    try:
        yield writer, published, uow
    finally:
        await writer.stop()
        await engine.dispose()


async def actor_of(make_uow: Callable[[], UnitOfWork], person_id: int) -> Actor:
    async with make_uow() as uow:
        actor = await identity.load_actor(uow, person_id, 0)
    assert actor is not None
    return actor


def test_the_write_thread_is_for_sqlite_files_only(tmp_path: Path) -> None:
    assert isinstance(make_write_thread(f"sqlite+aiosqlite:///{tmp_path / 'x.db'}"), WriteThread)
    assert make_write_thread("sqlite+aiosqlite:///:memory:") is None
    assert make_write_thread("sqlite+aiosqlite://") is None
    assert make_write_thread("postgresql+asyncpg://u@127.0.0.1:5432/db") is None


async def test_a_batch_is_acked_and_published_after_its_commit_once_per_client_id(
    writer_parts: tuple[MessageWriter, Published, Callable[[], UnitOfWork]], world: World, spaces: Spaces
) -> None:
    writer, published, uow = writer_parts
    student = await actor_of(uow, world.student_a.id)
    outsider = await actor_of(uow, world.participant_b.id)
    sends = [
        writer.post(student, spaces.cohort_a1, body="first", client_msg_id="w-1"),
        writer.post(student, spaces.cohort_a1, body="first again", client_msg_id="w-1"),
        writer.post(outsider, spaces.cohort_a1, body="not here", client_msg_id="w-2"),
        writer.post(student, spaces.cohort_a1, body="second", client_msg_id="w-3"),
    ]
    outcomes = await asyncio.gather(*sends, return_exceptions=True)
    assert outcomes[0] == Posted(spaces.cohort_a1, 1, "w-1", duplicate=False)
    assert outcomes[1] == Posted(spaces.cohort_a1, 1, "w-1", duplicate=True)
    assert isinstance(outcomes[2], NotFound)
    assert outcomes[3] == Posted(spaces.cohort_a1, 2, "w-3", duplicate=False)
    assert [(e.type, e.seq) for e in published.events] == [("message", 1), ("message", 2)]
    assert published.committed_when_published == [True, True]
    retried = await writer.post(student, spaces.cohort_a1, body="first", client_msg_id="w-1")
    assert retried == Posted(spaces.cohort_a1, 1, "w-1", duplicate=True)
    assert len(published.events) == 2


async def test_a_failed_batch_stores_nothing_and_publishes_nothing(
    writer_parts: tuple[MessageWriter, Published, Callable[[], UnitOfWork]], settings: Settings, world: World, spaces: Spaces, monkeypatch: pytest.MonkeyPatch
) -> None:
    from artme_cop.conversations import service

    writer, published, uow = writer_parts
    student = await actor_of(uow, world.student_a.id)

    def broken(*args: object, **kwargs: object) -> str:
        raise RuntimeError("renderer broke after the seq was taken")

    monkeypatch.setattr(service, "render_markdown", broken)
    with pytest.raises(RuntimeError):
        await writer.post(student, spaces.cohort_a1, body="lost", client_msg_id="f-1")
    monkeypatch.undo()
    assert published.events == []
    posted = await writer.post(student, spaces.cohort_a1, body="kept", client_msg_id="f-1")
    assert (posted.seq, posted.duplicate) == (1, False), "the failed batch's seq was rolled back"


async def test_the_write_thread_ends_when_idle_and_starts_again(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'idle.db'}"
    thread = make_write_thread(url)
    assert thread is not None
    thread.IDLE_SECONDS = 0.05

    def count(session: object) -> int:
        return int(session.execute(text("SELECT 1")).scalar_one())  # type: ignore[attr-defined]

    assert await thread.transaction(count) == 1
    await asyncio.sleep(0.3)
    assert not thread._running
    assert await thread.transaction(count) == 1
    thread.stop()


async def test_live_events_equal_their_replay_on_both_statement_paths(
    writer_parts: tuple[MessageWriter, Published, Callable[[], UnitOfWork]], world: World, spaces: Spaces
) -> None:
    """The writer's batch (plain sqlite3 on the write thread, or Core on PostgreSQL) and
    `post_message` in a unit of work (Core) store the same thing: each live event equals
    the event replayed from the database, mention included."""
    from artme_cop.conversations import service

    writer, published, uow = writer_parts
    student = await actor_of(uow, world.student_a.id)
    body = f"hello @**Fran Faculty|{world.faculty_a.id}** and **bold**"
    await writer.post(student, spaces.cohort_a1, body=body, client_msg_id="both-1", reply_to=None)
    async with uow() as unit:
        await service.post_message(unit, student, spaces.cohort_a1, body=body, client_msg_id="both-2", reply_to=1)
    live = [e for e in published.events if e.type == "message"]
    async with uow() as unit:
        replayed = await service.replay(unit, student, spaces.cohort_a1, after_seq=0)
    assert [e.wire for e in live] == [e.wire for e in replayed]
    assert 'class="mention"' in live[0].data["html"] and live[1].data["reply_to"] == 1
    mentions = [e for e in published.events if e.type == "mention"]
    assert [(m.topic, m.data["seq"]) for m in mentions] == [(f"person:{world.faculty_a.id}", 1), (f"person:{world.faculty_a.id}", 2)]


async def test_earlier_client_msg_ids_are_found_by_probing_the_index_with_both_columns(
    writer_parts: tuple[MessageWriter, Published, Callable[[], UnitOfWork]], world: World, spaces: Spaces, settings: Settings, clock: MutableClock
) -> None:
    """Each batch looks up its (author, client_msg_id) pairs among the stored messages. The
    statement it runs must probe the unique index with both columns, once per pair. With
    the former `author_id IN (...) AND client_msg_id IN (...)`, PostgreSQL searched the
    first column only and read every message of the batch's authors (under load, writes
    stalled as the table grew), and SQLite scanned the table here. The plan is read on a
    table with statistics and 50,000 of the author's messages, so the planner chooses as a
    real table makes it."""
    from sqlalchemy import event

    from artme_cop.conversations.statements import statements_for

    writer, _, uow = writer_parts
    student = await actor_of(uow, world.student_a.id)
    for n in range(3):
        await writer.post(student, spaces.cohort_a1, body=f"probe {n}", client_msg_id=f"probe-{n}", reply_to=None)
    # A busy batch: eleven authors, 128 client ids (authors that do not exist are only not found).
    others = [student.person_id + 1000 + n for n in range(9)]
    keys = [(student.person_id, "probe-1"), (student.person_id, "probe-9"), (world.faculty_a.id, "probe-2")]
    keys += [(others[n % 9], f"other-{n}") for n in range(125)]
    engine = make_engine(settings.database_url)
    executed: list[tuple[str, object]] = []
    event.listen(engine.sync_engine, "before_cursor_execute", lambda _c, _cur, sql, params, *_: executed.append((sql, params)))
    try:
        async with engine.begin() as connection:
            # A table of a real size, with statistics, so that the planner chooses as it would in use.
            numbers = (
                "SELECT generate_series(1, 50000) AS n" if connection.dialect.name == "postgresql"
                else "WITH RECURSIVE numbers(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM numbers WHERE n < 50000) SELECT n FROM numbers"
            )
            await connection.execute(
                text(
                    "INSERT INTO messages (conversation_id, seq, author_id, client_msg_id, body, html, renderer_version, created_at, hide_reason)"
                    f" SELECT :conversation, 100 + n, :author, 'bulk-' || n, 'b', '<p>b</p>', 1, :now, '' FROM ({numbers}) AS numbers"
                ),
                {"conversation": spaces.cohort_a1, "author": student.person_id, "now": clock.now()},
            )
            await connection.exec_driver_sql("ANALYZE")
        async with engine.connect() as connection:
            executed.clear()
            found = await connection.run_sync(lambda sync: statements_for(sync).earlier(keys))
            assert [(a, c) for a, c, _, _ in found] == [(student.person_id, "probe-1")]
            sql, params = executed[-1]
            if connection.dialect.name == "postgresql":
                plan = "\n".join(row[0] for row in (await connection.exec_driver_sql("EXPLAIN " + sql, params)).all())
                conditions = [line for line in plan.splitlines() if "Index Cond" in line]
                assert any("author_id" in line and "client_msg_id" in line for line in conditions), plan
            else:
                plan = " ".join(str(row[-1]) for row in (await connection.exec_driver_sql("EXPLAIN QUERY PLAN " + sql, params)).all())
                assert "author_id=? AND client_msg_id=?" in plan, plan
    finally:
        await engine.dispose()
