"""Engine, sessions and the declarative base shared by every feature's models.

SQLite gets foreign keys, WAL and a busy timeout on every connection; PostgreSQL runs
through asyncpg. Timestamps are stored and returned as timezone-aware UTC.
"""

from __future__ import annotations

import asyncio
import queue
import threading
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Callable, TypeVar

from sqlalchemy import Connection, DateTime, Engine, MetaData, create_engine, event, make_url
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.pool import NullPool
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC timestamp on both SQLite (which drops the zone) and PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


def make_engine(database_url: str, **kwargs: Any) -> AsyncEngine:
    engine = create_async_engine(database_url, **kwargs)
    if engine.dialect.name == "sqlite":
        _listen_sqlite(engine.sync_engine)
    return engine


def _listen_sqlite(engine: Engine) -> None:
    event.listen(engine, "connect", _sqlite_pragmas)
    event.listen(engine, "begin", _sqlite_begin)


READ_ONLY = "artme_read_only"


def _sqlite_begin(connection: Any) -> None:
    # The driver's own implicit transactions break SAVEPOINT; we begin explicitly instead.
    # IMMEDIATE takes the write lock up front, so a transaction that reads and then writes
    # waits its turn (busy_timeout) rather than failing when another writer got in between.
    # Read-only units of work begin DEFERRED and never hold the lock (WAL readers don't block).
    read_only = connection.get_execution_options().get(READ_ONLY, False)
    connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")


def _sqlite_begin_on_driver(connection: Any) -> None:
    """`_sqlite_begin` for the write thread's plain sqlite3 connection: straight to the
    driver, without SQLAlchemy's statement machinery (it costs more than the BEGIN)."""
    connection.connection.dbapi_connection.execute("BEGIN IMMEDIATE")


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


T = TypeVar("T")


class WriteThread:
    """Runs whole write transactions on one worker thread with its own plain `sqlite3`
    connection, so a transaction of several statements crosses threads once instead of once
    per statement (aiosqlite's hop costs far more CPU than SQLite's own work on a small write).

    Only for SQLite files (the thread's connection must see the same database as the app's
    engine); the file's lock and busy timeout order it with the app's other writers. The
    thread is started on demand and ends after IDLE_SECONDS without work, closing its
    connection, so an app that is never shut down cleanly (tests) leaves nothing behind.
    """

    IDLE_SECONDS = 10.0

    def __init__(self, database_url: str) -> None:
        self._url = make_url(database_url).set(drivername="sqlite+pysqlite")
        self._jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._running = False

    async def transaction(self, work: Callable[..., T], *args: Any) -> T:
        """Run `work(connection, *args)` in one transaction on the thread; commit; return its result."""
        loop = asyncio.get_running_loop()
        done: asyncio.Future[T] = loop.create_future()
        self._jobs.put(_Job(work, args, loop, done))
        self._ensure_thread()
        return await done

    def stop(self) -> None:
        """Let the thread finish the queued work and end."""
        self._jobs.put(None)

    def _ensure_thread(self) -> None:
        with self._lock:
            if not self._running:
                self._start_locked()

    def _start_locked(self) -> None:
        self._running = True
        threading.Thread(target=self._main, name="artme-sqlite-writer", daemon=True).start()

    def _main(self) -> None:
        # An engine per thread, and one connection kept for the thread's life: it belongs
        # to this thread alone, and a job pays for no pool checkout.
        engine = create_engine(self._url, poolclass=NullPool)
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin_on_driver)  # it only writes: always IMMEDIATE
        try:
            with engine.connect() as connection:
                while (job := self._next_job()) is not None:
                    job.run(connection)
        finally:
            engine.dispose()
            with self._lock:
                self._running = False
                if not self._jobs.empty():  # queued while this thread was leaving
                    self._start_locked()

    def _next_job(self) -> _Job | None:
        try:
            return self._jobs.get(timeout=self.IDLE_SECONDS)
        except queue.Empty:
            return None


@dataclass
class _Job:
    work: Callable[..., Any]
    args: tuple[Any, ...]
    loop: asyncio.AbstractEventLoop
    done: asyncio.Future[Any]

    def run(self, connection: Connection) -> None:
        try:
            with connection.begin():
                outcome: tuple[bool, Any] = (True, self.work(connection, *self.args))
        except BaseException as exc:  # handed to the awaiting task, whatever it is
            outcome = (False, exc)
        try:
            self.loop.call_soon_threadsafe(_settle, self.done, outcome)
        except RuntimeError:  # the loop is closed: nobody waits for the answer any more
            pass


def _settle(done: asyncio.Future[Any], outcome: tuple[bool, Any]) -> None:
    if done.cancelled():
        return
    ok, value = outcome
    if ok:
        done.set_result(value)
    else:
        done.set_exception(value)


def make_write_thread(database_url: str) -> WriteThread | None:
    """A WriteThread for a SQLite file; None for other databases (and in-memory SQLite)."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:") or "mode=memory" in str(url):
        return None
    return WriteThread(database_url)
