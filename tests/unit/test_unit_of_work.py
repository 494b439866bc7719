"""Files follow the rows that name them (unit_of_work): a file written for a unit of work is
removed again when the work rolls back or its commit fails, and a file whose row the work
deletes is removed only once the work commits."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy.exc import IntegrityError

from artme_cop.clock import SystemClock
from artme_cop.db import make_engine, make_sessionmaker
from artme_cop.identity.models import Person
from artme_cop.settings import Settings
from artme_cop.unit_of_work import UnitOfWork


@pytest.fixture
async def new_uow(settings: Settings) -> AsyncIterator[object]:
    engine = make_engine(settings.database_url)
    yield lambda: UnitOfWork(make_sessionmaker(engine), SystemClock(), settings)
    await engine.dispose()


def touch(path: Path) -> Path:
    path.write_bytes(b"bytes")
    return path


def person(email: str) -> Person:
    return Person(email=email, display_name="Same", password_hash="x", session_epoch=0, is_deleted=False, created_at=SystemClock().now())


async def test_a_commit_keeps_new_files_and_removes_unwanted_ones(new_uow, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    async with new_uow() as uow:
        written = touch(tmp_path / "written")
        uow.wrote_file(written)
        unwanted = touch(tmp_path / "unwanted")
        uow.remove_file_after_commit(unwanted)
        assert unwanted.exists()  # not before the commit
    assert written.exists() and not unwanted.exists()


async def test_an_error_removes_new_files_and_keeps_unwanted_ones(new_uow, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(RuntimeError):
        async with new_uow() as uow:
            uow.wrote_file(touch(tmp_path / "written"))
            uow.remove_file_after_commit(touch(tmp_path / "unwanted"))
            raise RuntimeError("refused")
    assert not (tmp_path / "written").exists() and (tmp_path / "unwanted").exists()


async def test_a_failed_commit_removes_new_files_and_keeps_unwanted_ones(new_uow, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(IntegrityError):
        async with new_uow() as uow:
            uow.session.add_all([person("twice@example.org"), person("twice@example.org")])
            uow.wrote_file(touch(tmp_path / "written"))
            uow.remove_file_after_commit(touch(tmp_path / "unwanted"))
    assert not (tmp_path / "written").exists() and (tmp_path / "unwanted").exists()


async def test_a_file_already_gone_is_no_error(new_uow, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    async with new_uow() as uow:
        uow.remove_file_after_commit(tmp_path / "never-written")
    with pytest.raises(RuntimeError):
        async with new_uow() as uow:
            uow.wrote_file(tmp_path / "never-written-either")
            raise RuntimeError("refused")
