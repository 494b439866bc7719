"""SEC-D6: the secret key can be replaced without signing everyone out. With the old key in
`ARTME_SECRET_KEY_PREVIOUS`, sessions and invitation links it signed still work, and the
first answer signs the session anew with the new key; once the old key is no longer listed,
what only it signed is refused."""

from __future__ import annotations

import dataclasses
from contextlib import asynccontextmanager
from typing import Any, AsyncIterator

import httpx

from artme_cop.app import create_app
from artme_cop.identity import service as identity
from artme_cop.settings import Secret, Settings
from tests.conftest import SECRET, make_client
from tests.factories import World
from tests.support import MutableClock, sign_in

NEW_KEY = "the-new-key-that-replaces-the-old-one-0123456789"


@asynccontextmanager
async def app_with(settings: Settings, clock: MutableClock, *previous: str) -> AsyncIterator[Any]:
    rotated = dataclasses.replace(settings, secret_key=Secret(NEW_KEY), previous_secret_keys=tuple(Secret(key) for key in previous))
    app = create_app(rotated, clock=clock)
    try:
        yield app
    finally:
        await app.state.engine.dispose()


async def signed_in_with(app: Any, cookies: httpx.Cookies) -> httpx.Response:
    async with make_client(app) as browser:
        browser.cookies.update(cookies)
        return await browser.get("/me")


async def test_sessions_survive_a_key_change_while_the_old_key_is_listed(app: Any, client: httpx.AsyncClient, settings: Settings, world: World, clock: MutableClock) -> None:
    await sign_in(client, world.student_a.email)
    old_cookies = httpx.Cookies(client.cookies)
    async with app_with(settings, clock, SECRET) as rotating:
        answer = await signed_in_with(rotating, old_cookies)
        assert answer.status_code == 200
        renewed = answer.cookies.get(rotating.state.session_cookie)
        assert renewed and renewed != old_cookies.get(app.state.session_cookie)
    async with app_with(settings, clock) as rotated:
        assert (await signed_in_with(rotated, old_cookies)).status_code == 303  # only the old key signed it
        assert (await signed_in_with(rotated, httpx.Cookies({rotated.state.session_cookie: renewed}))).status_code == 200


async def test_invitation_links_follow_the_same_rule(app: Any, settings: Settings, world: World, clock: MutableClock) -> None:
    async with app.state.uow() as uow:
        _invitation, link = await identity.invite(uow, None, email="new@alder.example.edu", institution_id=world.institution_a.id, role="coalition_member", constituency="staff")
    path = link.removeprefix(settings.base_url)
    async with app_with(settings, clock, SECRET) as rotating, make_client(rotating) as visitor:
        assert (await visitor.get(path)).status_code == 200
    async with app_with(settings, clock) as rotated, make_client(rotated) as visitor:
        refused = await visitor.get(path)
        assert refused.status_code == 400 and "not valid" in refused.text
