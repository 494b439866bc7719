"""Shared fixtures: settings, a migrated database per test, the seeded world, the app and
an HTTP client.

By default every test gets a copy of one SQLite file migrated once per run. With
`ARTMETEST_DB=postgres` the same tests run on the local PostgreSQL server: the run creates
its own database, migrates it once, empties it before each test, and drops it at the end.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from datetime import datetime, timezone
from pathlib import Path
from typing import AsyncIterator, Iterator

import httpx
import pytest
from alembic import command
from sqlalchemy import insert, text

from artme_cop.app import create_app
from artme_cop.cli import alembic_config
from artme_cop.db import Base, make_engine, make_sessionmaker
from artme_cop.forum.defaults import default_category_rows
from artme_cop.forum.models import Category
from artme_cop.ratelimit import RateLimiter
from artme_cop.settings import Secret, Settings
from artme_cop.unit_of_work import UnitOfWork
from tests.factories import World, seed_world
from tests.support import MutableClock, RecordingMailer
from tests.pg import create_database, drop_database

BACKEND = os.environ.get("ARTMETEST_DB", "sqlite")
SECRET = "test-secret-key-that-is-long-enough-0123456789"


def make_settings(data_dir: Path, database_url: str, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "data_dir": data_dir,
        "database_url": database_url,
        "secret_key": Secret(SECRET),
        "base_url": "http://testserver",
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def template_database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A database migrated to head once per run: a SQLite file, or a PostgreSQL database."""
    if BACKEND == "postgres":
        url = asyncio.run(create_database("artme_test"))
        command.upgrade(alembic_config(make_settings(Path("."), url)), "head")
        yield url
        asyncio.run(drop_database(url))
        return
    folder = tmp_path_factory.mktemp("template")
    path = folder / "template.db"
    command.upgrade(alembic_config(make_settings(folder, f"sqlite+aiosqlite:///{path}")), "head")
    yield str(path)


@pytest.fixture
def database_url(template_database: str, tmp_path: Path) -> str:
    if BACKEND == "postgres":
        return template_database
    copy = tmp_path / "test.db"
    shutil.copyfile(template_database, copy)
    return f"sqlite+aiosqlite:///{copy}"


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return make_settings(tmp_path, database_url)


@pytest.fixture
def clock() -> MutableClock:
    return MutableClock()


@pytest.fixture
def mailer() -> RecordingMailer:
    return RecordingMailer()


async def _empty_postgres(url: str) -> None:
    """Empty every table and restart every sequence, as a fresh migrated database would be.

    DELETE with triggers off (session_replication_role, a superuser's setting, as the local
    server's trust users are) takes ~40 ms; TRUNCATE of the ~80 tables takes ~0.4 s, which
    thousands of tests would pay. The audit log refuses DELETE by trigger in production."""
    engine = make_engine(url)
    tables = [table.name for table in reversed(Base.metadata.sorted_tables)]
    try:
        async with engine.begin() as connection:
            await connection.execute(text("SET LOCAL session_replication_role = replica"))
            await connection.execute(text("DO $$ BEGIN " + " ".join(f'DELETE FROM "{name}";' for name in tables) + " END $$"))
            await connection.execute(text(
                "SELECT setval(c.oid, 1, false) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
                " WHERE c.relkind = 'S' AND n.nspname = current_schema()"
            ))
            # Reference data the migrations insert comes back as a fresh database would have it.
            await connection.execute(insert(Category), default_category_rows(datetime.now(timezone.utc)))
    finally:
        await engine.dispose()


@pytest.fixture
async def world(settings: Settings, clock: MutableClock) -> World:
    if BACKEND == "postgres":
        await _empty_postgres(settings.database_url)
    engine = make_engine(settings.database_url)
    try:
        async with UnitOfWork(make_sessionmaker(engine), clock, settings) as uow:
            seeded = await seed_world(uow)
    finally:
        await engine.dispose()
    return seeded


@pytest.fixture
async def app(settings: Settings, world: World, clock: MutableClock, mailer: RecordingMailer) -> AsyncIterator[object]:
    from limits.aio.storage import MemoryStorage

    application = create_app(settings, clock=clock, mailer=mailer, rate_limiter=RateLimiter(MemoryStorage(), prefix=f"t{uuid.uuid4().hex}"))
    yield application
    await application.state.engine.dispose()


def make_client(app: object) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver", follow_redirects=False)  # type: ignore[arg-type]


@pytest.fixture
async def client(app: object) -> AsyncIterator[httpx.AsyncClient]:
    async with make_client(app) as http:
        yield http


@pytest.fixture
async def uow(app: object) -> AsyncIterator[UnitOfWork]:
    """A read-only unit of work on the app's own engine, for looking at what requests wrote
    (read-only, so it never holds SQLite's write lock while the app works)."""
    async with app.state.uow(read_only=True) as unit:  # type: ignore[attr-defined]
        yield unit
