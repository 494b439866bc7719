"""SEC-H8: with `ARTME_FILES_BASE_URL`, uploaded files come from an origin of their own. The
app checks who may read a file, then redirects to a signed link on the files origin that
works for a minute; the files origin serves those links and nothing else (no page, no API,
no session), and its answers set no cookie."""

from __future__ import annotations

import dataclasses
from typing import Any, AsyncIterator

import httpx
import pytest
from sqlalchemy import select

from artme_cop.attachments.models import Attachment
from artme_cop.labs import service as labs
from artme_cop.labs.models import LabChannel
from artme_cop.settings import Settings
from tests.factories import World
from tests.knowledge.helpers import make_resource
from tests.moderation.conftest import actor_of
from tests.samples import PNG
from tests.support import MutableClock, csrf_from, sign_in

FILES = "http://files.testserver"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return dataclasses.replace(settings, files_base_url=FILES)


@pytest.fixture
async def files_origin(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    """A browser on the files origin: it never holds the app's cookies."""
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=FILES) as http:
        yield http


async def _uploaded(app: Any, client: httpx.AsyncClient, world: World) -> str:
    """Sam posts a picture in the Alder ED team's channel; its public id."""
    async with app.state.uow() as uow:
        roster = labs.Roster(frozenset({world.student_a.id, world.faculty_a.id}), frozenset({world.faculty_a.id}), world.facilitator_a.id)
        team = await labs.register_team(uow, await actor_of(lambda: app.state.uow(), world.lead_a), institution_id=world.institution_a.id, name="Alder ED", unit="ED", purpose="", roster=roster)
        channel = (await uow.session.execute(select(LabChannel).where(LabChannel.team_id == team.id))).scalar_one()
    await sign_in(client, world.student_a.email)
    token = csrf_from(await client.get(f"/labs/channels/{channel.id}"))
    sent = await client.post(f"/labs/channels/{channel.id}/messages", data={"body": "", "client_msg_id": "h8", "csrf_token": token}, files={"file": ("ward.png", PNG, "image/png")})
    assert sent.status_code == 303, sent.text
    async with app.state.uow(read_only=True) as uow:
        return (await uow.session.execute(select(Attachment.public_id))).scalar_one()


async def test_downloads_go_to_the_files_origin_for_a_minute(app: Any, client: httpx.AsyncClient, files_origin: httpx.AsyncClient, world: World, clock: MutableClock) -> None:
    public_id = await _uploaded(app, client, world)
    answer = await client.get(f"/attachments/{public_id}")
    assert answer.status_code == 303
    link = answer.headers["location"]
    assert link.startswith(f"{FILES}/files/") and public_id not in link.split("/files/")[1][:32]

    got = await files_origin.get(link)
    assert got.status_code == 200 and got.content == PNG
    assert got.headers["content-disposition"].startswith("attachment;")
    assert got.headers["content-security-policy"] == "sandbox; default-src 'none'"
    assert got.headers["x-content-type-options"] == "nosniff"
    assert "set-cookie" not in got.headers

    token = link.split("/files/")[1]
    for wrong in (token[:-2] + ("AA" if not token.endswith("AA") else "BB"), "not-a-token", ""):
        assert (await files_origin.get(f"/files/{wrong}")).status_code == 404
    assert (await client.get(f"/files/{token}")).status_code == 404  # the app's origin does not serve them
    clock.advance(seconds=61)
    assert (await files_origin.get(link)).status_code == 404
    fresh = (await client.get(f"/attachments/{public_id}")).headers["location"]
    assert (await files_origin.get(fresh)).status_code == 200


@pytest.mark.parametrize("path", ["/", "/login", "/me", "/api/session", "/api/openapi.json", "/static/css/app.css", f"/attachments/{'a' * 32}", "/healthz"])
async def test_the_files_origin_serves_nothing_else(app: Any, client: httpx.AsyncClient, files_origin: httpx.AsyncClient, world: World, path: str) -> None:
    await sign_in(client, world.student_a.email)
    files_origin.cookies.update(client.cookies)  # even a cookie carried over by hand opens nothing
    for method in ("GET", "POST"):
        answer = await files_origin.request(method, path)
        assert answer.status_code == 404 and "set-cookie" not in answer.headers


async def test_who_may_read_is_checked_before_any_link_is_made(app: Any, client: httpx.AsyncClient, world: World) -> None:
    public_id = await _uploaded(app, client, world)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as outsider:
        await sign_in(outsider, world.lead_b.email)
        refused = await outsider.get(f"/attachments/{public_id}")
        missing = await outsider.get(f"/attachments/{'0' * 32}")
    assert refused.status_code == missing.status_code == 404 and "location" not in refused.headers


async def test_knowledge_files_take_the_same_way(app: Any, client: httpx.AsyncClient, files_origin: httpx.AsyncClient, world: World) -> None:
    public_id = await make_resource(app, world)
    await sign_in(client, world.coalition_a.email)
    token = csrf_from(await client.get(f"/knowledge/{public_id}"))
    assert (await client.post(f"/knowledge/{public_id}/files", data={"csrf_token": token}, files={"file": ("plan.png", PNG, "image/png")})).status_code == 303
    async with app.state.uow(read_only=True) as uow:
        file_id = (await uow.session.execute(select(Attachment.public_id))).scalar_one()
    answer = await client.get(f"/knowledge/{public_id}/files/{file_id}")
    assert answer.status_code == 303 and answer.headers["location"].startswith(f"{FILES}/files/")
    assert (await files_origin.get(answer.headers["location"])).content == PNG
