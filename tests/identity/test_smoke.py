from __future__ import annotations

import httpx

from tests.factories import World
from tests.support import sign_in, text_of


async def test_admin_can_sign_in_and_see_people(client: httpx.AsyncClient, world: World) -> None:
    await sign_in(client, world.admin.email)
    response = await client.get("/admin/people")
    assert response.status_code == 200
    assert "Sam Student" in text_of(response)
