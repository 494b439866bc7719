"""Files of knowledge resources (issue #7, "attachments, same safety rules as elsewhere"):
stewards attach while the text can change; the type is judged by the content, the size is
capped, hostile names are cleaned; downloads only for readers, with the attachment headers
(SEC-H1..H5, SEC-A2); a file of a new draft stays with the working copy until it is shared;
a partner-school resource's file may not name the school; export and import carry the bytes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from artme_cop.knowledge import archive
from artme_cop.knowledge.cycle import State
from tests.conftest import BACKEND, make_client
from tests.factories import World
from tests.knowledge.helpers import accept_both, add_context, make_resource, move, resource_in, second_repository, submit
from tests.support import MutableClock, csrf_from, sign_in, snapshot, soup

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


async def _as(app: Any, person: Any) -> httpx.AsyncClient:
    http = make_client(app)
    await sign_in(http, person.email)
    return http


async def _upload(client: httpx.AsyncClient, public_id: str, name: str, data: bytes) -> httpx.Response:
    token = csrf_from(await client.get(f"/knowledge/{public_id}"))
    return await client.post(f"/knowledge/{public_id}/files", data={"csrf_token": token}, files={"file": (name, data, "application/octet-stream")})


def _file_links(response: httpx.Response) -> dict[str, str]:
    section = soup(response).find(id="files")
    return {} if section is None else {a.get_text(): a["href"] for a in section.find_all("a")}


async def test_a_steward_attaches_a_file_that_only_readers_download(app: Any, world: World) -> None:
    public_id = await resource_in(app, world, State.DRAFT)
    steward, outsider = await _as(app, world.coalition_a), await _as(app, world.lead_b)
    added = await _upload(steward, public_id, "../../etc/Four Ds\u202egnp.pdf", PDF)
    assert added.status_code == 303
    links = _file_links(await steward.get(f"/knowledge/{public_id}"))
    [(name, href)] = links.items()
    assert name == "Four Dsgnp.pdf"  # path and bidi override gone
    download = await steward.get(href)
    assert download.status_code == 200 and download.content == PDF
    assert download.headers["x-content-type-options"] == "nosniff"
    assert download.headers["content-disposition"].startswith("attachment;")
    assert "sandbox" in download.headers["content-security-policy"]
    assert (await outsider.get(href)).status_code == 404
    assert (await outsider.get(f"/knowledge/{public_id}/files/{'0' * 32}")).status_code == 404
    # The generic message-attachment route does not serve a resource's file.
    assert (await steward.get(f"/attachments/{href.rsplit('/', 1)[1]}")).status_code == 404


@pytest.mark.parametrize(
    ("name", "data", "status"),
    [
        ("notes.txt", b"<html><script>alert(1)</script></html>", 400),  # markup named as text
        ("plan.pdf", b"MZ\x90\x00 an executable", 400),  # lies about its type
        ("plan.exe", PDF, 400),  # not an allowed extension
        ("empty.pdf", b"", 400),
        ("big.pdf", PDF + b"0" * (900 * 1024), 413),
    ],
    ids=["html-as-text", "exe-as-pdf", "exe-extension", "empty", "oversized"],
)
async def test_refused_files_change_nothing(app: Any, world: World, name: str, data: bytes, status: int) -> None:
    public_id = await resource_in(app, world, State.DRAFT)
    steward = await _as(app, world.coalition_a)
    before = await snapshot(app)
    response = await _upload(steward, public_id, name, data)
    assert response.status_code == status
    assert soup(response).find(id="file-error") is not None
    assert await snapshot(app) == before


async def test_files_change_only_with_the_text_and_only_by_stewards(app: Any, world: World) -> None:
    shared = await resource_in(app, world, State.SHARED_INSTITUTION)
    draft = await resource_in(app, world, State.DRAFT)
    steward, member = await _as(app, world.coalition_a), await _as(app, world.student_a)
    assert (await _upload(steward, shared, "plan.pdf", PDF)).status_code == 409
    before = await snapshot(app)
    assert (await _upload(member, draft, "plan.pdf", PDF)).status_code == 404  # a draft is not the student's to read
    assert await snapshot(app) == before
    assert (await _upload(steward, draft, "plan.pdf", PDF)).status_code == 303
    [href] = _file_links(await steward.get(f"/knowledge/{draft}")).values()
    token = csrf_from(await steward.get(f"/knowledge/{draft}"))
    removed = await steward.post(f"{href}/remove", data={"csrf_token": token})
    assert removed.status_code == 303
    assert _file_links(await steward.get(f"/knowledge/{draft}")) == {} and (await steward.get(href)).status_code == 404


async def test_a_file_of_a_new_draft_waits_for_its_assessment(app: Any, world: World) -> None:
    """During an update, another school keeps reading the shared version: not the new file."""
    public_id = await resource_in(app, world, State.SHARED_PROGRAM)
    await move(app, world.coalition_a, public_id, "flag_update")
    steward, other_school = await _as(app, world.coalition_a), await _as(app, world.lead_b)
    assert (await _upload(steward, public_id, "revised plan.pdf", PDF)).status_code == 303
    [href] = _file_links(await steward.get(f"/knowledge/{public_id}")).values()
    page = await other_school.get(f"/knowledge/{public_id}")
    assert page.status_code == 200 and _file_links(page) == {}
    assert (await other_school.get(href)).status_code == 404


async def test_a_file_shared_with_its_version_reaches_other_schools(app: Any, world: World, clock: MutableClock) -> None:
    public_id = await make_resource(app, world)
    steward = await _as(app, world.coalition_a)
    assert (await _upload(steward, public_id, "worksheet.pdf", PDF)).status_code == 303
    clock.advance(minutes=5)
    await submit(app, world, public_id)
    await accept_both(app, world, public_id)
    await add_context(app, world, public_id)
    await move(app, world.coalition_a, public_id, "share_institution")
    await move(app, world.lead_a, public_id, "propose_program", attribution="named")
    await move(app, world.admin, public_id, "publish_program")
    other_school = await _as(app, world.lead_b)
    [(name, href)] = _file_links(await other_school.get(f"/knowledge/{public_id}")).items()
    assert name == "worksheet.pdf" and (await other_school.get(href)).content == PDF


async def test_a_partner_school_file_may_not_name_the_school(app: Any, world: World) -> None:
    public_id = await resource_in(app, world, State.SHARED_PROGRAM, attribution="partner")
    await move(app, world.coalition_a, public_id, "flag_update")
    steward = await _as(app, world.coalition_a)
    before = await snapshot(app)
    response = await _upload(steward, public_id, "Alder clerkship plan.pdf", PDF)
    assert response.status_code == 400 and "partner school" in soup(response).find(id="file-error").get_text()
    assert await snapshot(app) == before
    assert (await _upload(steward, public_id, "Clerkship plan.pdf", PDF)).status_code == 303


@pytest.mark.skipif(BACKEND == "postgres", reason="copies the migrated SQLite template for the second database")
async def test_export_and_import_carry_the_files(app: Any, world: World, template_database: str, tmp_path: Path, clock: MutableClock) -> None:
    public_id = await resource_in(app, world, State.DRAFT)
    steward = await _as(app, world.coalition_a)
    assert (await _upload(steward, public_id, "worksheet.pdf", PDF)).status_code == 303
    async with app.state.uow() as uow:
        await archive.export_archive(uow, tmp_path / "knowledge.zip", lambda *_: None)

    async with second_repository(template_database, tmp_path, clock) as other:
        async with other.state.uow() as uow:
            assert await archive.import_archive(uow, tmp_path / "knowledge.zip", lambda *_: None) == 1
        imported = await _as(other, world.coalition_a)
        [(name, href)] = _file_links(await imported.get(f"/knowledge/{public_id}")).items()
        download = await imported.get(href)
        assert name == "worksheet.pdf" and download.status_code == 200 and download.content == PDF
