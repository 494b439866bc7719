"""SEC-E5: the server sends no CORS headers at all, so no other site's script may read an
answer with the visitor's cookies: not a page, not the JSON API, not a preflight."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.factories import World
from tests.support import sign_in

EVIL = "https://evil.example"


@pytest.mark.parametrize(("method", "path"), [("GET", "/"), ("GET", "/me"), ("GET", "/api/session"), ("GET", "/api/forum/threads"), ("OPTIONS", "/api/session"), ("OPTIONS", "/me")])
async def test_no_cross_origin_read_is_allowed(app: Any, client: httpx.AsyncClient, world: World, method: str, path: str) -> None:
    await sign_in(client, world.student_a.email)
    headers = {"Origin": EVIL, "Access-Control-Request-Method": "GET", "Access-Control-Request-Headers": "x-csrf-token"}
    answer = await client.request(method, path, headers=headers)
    assert not [name for name in answer.headers if name.lower().startswith("access-control-")]
