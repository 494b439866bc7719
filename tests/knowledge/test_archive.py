"""Export then import into another (empty) repository: the same resources, versions, history,
reviews, reports, tags, phases, people and lineage; a second import, or one whose people are
missing, is refused and changes nothing; the CLI shows a progress bar."""

from __future__ import annotations

import asyncio
import json
import resource
import shutil
import zipfile
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from artme_cop import cli
from artme_cop.app import create_app
from artme_cop.attachments import service as attachments
from artme_cop.errors import Invalid
from artme_cop.knowledge import archive, service as knowledge
from artme_cop.knowledge.cycle import State
from artme_cop.knowledge.models import Resource
from artme_cop.settings import Settings
from tests.conftest import BACKEND, SECRET, make_settings
from tests.factories import World
from tests.knowledge.helpers import actor_of, resource_in, review, second_repository
from tests.support import MutableClock, snapshot

pytestmark = pytest.mark.skipif(BACKEND == "postgres", reason="copies the migrated SQLite template for the second database")


def _canonical(document: dict[str, Any]) -> dict[str, list[Any]]:
    """The archive with database ids replaced by what identifies rows anywhere."""
    public = {r["id"]: r["public_id"] for r in document["resources"]}
    versions = {v["id"]: (public[v["resource_id"]], v["number"]) for v in document["versions"]}
    canonical: dict[str, list[Any]] = {}
    for name, _model in archive.TABLES:
        rows = []
        for row in document[name]:
            row = dict(row)
            row.pop("id", None)
            if "resource_id" in row:
                row["resource_id"] = public[row["resource_id"]]
            if "version_id" in row:
                row["version_id"] = versions[row["version_id"]]
            if row.get("adapted_from_id") is not None:
                row["adapted_from_id"] = public[row["adapted_from_id"]]
            rows.append(row)
        canonical[name] = sorted(rows, key=repr)
    return canonical


async def _export(app: Any, path: Path) -> dict[str, Any]:
    async with app.state.uow() as uow:
        await archive.export_archive(uow, path, lambda *_: None)
    return archive.read_archive(path)


async def _fill(app: Any, world: World) -> None:
    for state in State:
        await resource_in(app, world, state, attribution="partner" if state is State.IN_USE else "named")
    shared = await resource_in(app, world, State.SHARED_PROGRAM, title="Shared and applied")
    await review(app, world.coach, await resource_in(app, world, State.IN_ASSESSMENT), "content", "revise", "More sources.")
    async with app.state.uow() as uow:
        other = await actor_of(uow, world.lead_b)
        await knowledge.report_use(uow, other, shared, kind="applied", where="Ward 3", applied_on="2026-05-01", what_happened="Used it.", evidence="Notes")
        await knowledge.adapt_resource(uow, other, shared)


async def test_round_trip_into_an_empty_repository_loses_nothing(app: Any, world: World, template_database: str, tmp_path: Path, clock: MutableClock) -> None:
    await _fill(app, world)
    exported = await _export(app, tmp_path / "knowledge.zip")
    assert len(exported["resources"]) == 12 and exported["transitions"] and exported["reviews"] and exported["reports"]

    async with second_repository(template_database, tmp_path, clock) as other:
        async with other.state.uow() as uow:
            assert await archive.import_archive(uow, tmp_path / "knowledge.zip", lambda *_: None) == 12
        again = await _export(other, tmp_path / "again.zip")
        assert _canonical(again) == _canonical(exported)

        before = await snapshot(other)
        with pytest.raises(Invalid, match="is here already"):
            async with other.state.uow() as uow:
                await archive.import_archive(uow, tmp_path / "knowledge.zip", lambda *_: None)
        assert await snapshot(other) == before


async def test_import_refused_when_people_are_missing(app: Any, world: World, template_database: str, tmp_path: Path, clock: MutableClock) -> None:
    await resource_in(app, world, State.SHARED_PROGRAM)
    await _export(app, tmp_path / "knowledge.zip")
    empty_path = tmp_path / "empty.db"
    shutil.copyfile(template_database, empty_path)
    empty = create_app(make_settings(tmp_path / "empty", f"sqlite+aiosqlite:///{empty_path}"), clock=clock)
    try:
        before = await snapshot(empty)
        with pytest.raises(Invalid, match="not here|no account here"):
            async with empty.state.uow() as uow:
                await archive.import_archive(uow, tmp_path / "knowledge.zip", lambda *_: None)
        assert await snapshot(empty) == before
    finally:
        await empty.state.engine.dispose()


async def test_a_file_that_is_not_an_archive_is_refused(app: Any, world: World, tmp_path: Path) -> None:
    bad = tmp_path / "bad.zip"
    bad.write_bytes(b"not a zip")
    with pytest.raises(Invalid, match="not a knowledge archive"):
        async with app.state.uow() as uow:
            await archive.import_archive(uow, bad, lambda *_: None)


def test_cli_export_shows_progress(settings: Settings, world: World, clock: MutableClock, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    app = create_app(settings, clock=clock)

    async def seed() -> None:
        await resource_in(app, world, State.SHARED_PROGRAM)
        await app.state.engine.dispose()

    asyncio.run(seed())
    for name, value in {"ARTME_DATA_DIR": str(tmp_path), "ARTME_DATABASE_URL": settings.database_url, "ARTME_SECRET_KEY": SECRET}.items():
        monkeypatch.setenv(name, value)
    assert cli.main(["knowledge", "export", str(tmp_path / "k.zip")]) == 0
    out = capsys.readouterr()
    assert "Exported 1 resource(s)" in out.out
    assert "[####################] 8/8" in out.err
    assert cli.main(["knowledge", "import", str(tmp_path / "k.zip")]) == 1  # it is here already
    assert "is here already" in capsys.readouterr().err


def _archive_with(path: Path, document: dict[str, Any], members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as written:
        written.writestr(archive.DOCUMENT, json.dumps({"format": archive.FORMAT, **document}))
        for name, data in members.items():
            written.writestr(name, data)
    return path


def _import(app: Any, path: Path) -> None:
    async def work() -> None:
        async with app.state.uow() as uow:
            await archive.import_archive(uow, path, lambda *_: None)

    asyncio.run(work())


def test_a_zip_bomb_is_refused_before_it_is_unpacked(settings: Settings, world: World, clock: MutableClock, tmp_path: Path) -> None:
    """SEC-H7: a knowledge.json that would unpack to 300 MiB (a few hundred KiB packed) is
    refused from its declared size, before a byte of it is decompressed, and imports nothing."""
    bomb = tmp_path / "bomb.zip"
    with zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as written:
        with written.open(archive.DOCUMENT, "w", force_zip64=True) as member:
            zeros = b" " * (1 << 20)
            for _ in range(300):
                member.write(zeros)
    assert bomb.stat().st_size < 2_000_000
    app = create_app(settings, clock=clock)
    peak_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with pytest.raises(Invalid, match="would unpack to 314,572,800 bytes"):
        _import(app, bomb)
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - peak_before < 100_000  # KiB: it was never held whole
    assert asyncio.run(_resource_count(app)) == 0


def test_unlisted_and_oversized_entries_are_refused_unread(settings: Settings, world: World, clock: MutableClock, tmp_path: Path) -> None:
    """SEC-H7: 10,000 entries the document does not list, a path-like name, or a listed file
    whose declared size is over the attachment cap: refused from the zip's directory, nothing
    imported, nothing written (the import never extracts, and member names are never paths)."""
    app = create_app(settings, clock=clock)
    many = _archive_with(tmp_path / "many.zip", {}, {f"attachments/{n}": b"x" for n in range(10_000)})
    slip = _archive_with(tmp_path / "slip.zip", {}, {"../../outside.txt": b"x"})
    big = _archive_with(tmp_path / "big.zip", {"files": [{"public_id": "f1"}]}, {"attachments/f1": b"\0" * (attachments.MAX_BYTES + 1)})
    files_before = sorted(settings.data_dir.rglob("*"))
    with pytest.raises(Invalid, match="holds 10,000 entries it does not list"):
        _import(app, many)
    with pytest.raises(Invalid, match="entries it does not list .for example “../../outside.txt”"):
        _import(app, slip)
    with pytest.raises(Invalid, match="would unpack to .* allowed for a file"):
        _import(app, big)
    assert asyncio.run(_resource_count(app)) == 0
    assert sorted(settings.data_dir.rglob("*")) == files_before
    assert not (tmp_path.parent.parent / "outside.txt").exists()


async def _resource_count(app: Any) -> int:
    try:
        async with app.state.uow(read_only=True) as uow:
            return len((await uow.session.execute(select(Resource.id))).all())
    finally:
        await app.state.engine.dispose()
