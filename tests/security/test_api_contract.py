"""The JSON API's contract: /api/openapi.json is a valid OpenAPI 3.1 document, it names
exactly the API routes the app serves (both come from one table, this proves it), it states
the authentication and CSRF rules, and every operation but the document itself answers 401
JSON to a visitor without a session and changes nothing."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
from openapi_spec_validator import validate
from starlette.routing import Mount, Route

from artme_cop.app import API_ROUTERS, create_app
from artme_cop.forum import api as forum_api
from artme_cop.forum import service as forum_service
from artme_cop.settings import Settings
from artme_cop.web.api import CSRF_HEADER, UNSAFE_METHODS, core_router
from tests.factories import World
from tests.forum.api_support import assert_error
from tests.support import sign_in, snapshot


def api_routes_of(routes: list[Any], prefix: str = "") -> set[tuple[str, str]]:
    """(method, full path) of every route under /api, through mounts."""
    found: set[tuple[str, str]] = set()
    for route in routes:
        if isinstance(route, Mount):
            found |= api_routes_of(route.routes or [], prefix + route.path)
        elif isinstance(route, Route) and (prefix + route.path).startswith("/api/"):
            found |= {(method, prefix + route.path) for method in (route.methods or {"GET"}) - {"HEAD"}}
    return found


def documented_operations(spec: dict[str, Any]) -> set[tuple[str, str]]:
    return {(method.upper(), path) for path, operations in spec["paths"].items() for method in operations}


@pytest.fixture
async def spec(client: httpx.AsyncClient) -> dict[str, Any]:
    response = await client.get("/api/openapi.json")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    return response.json()  # type: ignore[no-any-return]


def test_document_is_valid_openapi_3_1(spec: dict[str, Any]) -> None:
    assert spec["openapi"].startswith("3.1")
    validate(spec)


def test_document_and_routes_name_the_same_operations(app: Any, spec: dict[str, Any]) -> None:
    """Every /api route has an operation in the document, and every operation a route."""
    served = api_routes_of(app.routes)
    documented = documented_operations(spec)
    assert served == documented, {"undocumented": sorted(served - documented), "not served": sorted(documented - served)}
    assert len(served) >= 20


def test_operation_ids_are_unique_and_every_operation_is_described(spec: dict[str, Any]) -> None:
    operations = [operation for path in spec["paths"].values() for operation in path.values()]
    ids = [operation["operationId"] for operation in operations]
    assert len(ids) == len(set(ids))
    for operation in operations:
        assert operation["summary"] and operation["responses"]
        for status, response in operation["responses"].items():
            if int(status) >= 400:
                assert response == {"$ref": f"#/components/responses/Error{status}"}


def test_document_states_authentication_and_csrf(spec: dict[str, Any], settings: Settings) -> None:
    schemes = spec["components"]["securitySchemes"]
    assert schemes["session"] == {**schemes["session"], "type": "apiKey", "in": "cookie", "name": "artme_session"}
    assert schemes["csrfToken"] == {**schemes["csrfToken"], "type": "apiKey", "in": "header", "name": CSRF_HEADER}
    assert CSRF_HEADER in spec["info"]["description"] and "application/json" in spec["info"]["description"]
    assert spec["servers"] == [{"url": settings.base_url}]
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            if path == "/api/openapi.json":
                assert operation["security"] == []
            elif method.upper() in UNSAFE_METHODS:
                assert operation["security"] == [{"session": [], "csrfToken": []}], (method, path)
                assert "403" in operation["responses"]
            else:
                assert "security" not in operation  # the document's default: the session
                assert "401" in operation["responses"]


def test_schemas_referenced_are_defined(spec: dict[str, Any]) -> None:
    text = str(spec)
    for name in set(re.findall(r"#/components/schemas/(\w+)", text)):
        assert name in spec["components"]["schemas"], name


async def test_secure_cookie_name_is_documented_for_https(settings: Settings, world: World) -> None:
    secure = create_app(Settings(**{**settings.__dict__, "base_url": "https://cop.example.org"}))
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=secure), base_url="https://cop.example.org") as http:
            spec = (await http.get("/api/openapi.json")).json()
    finally:
        await secure.state.engine.dispose()
    assert spec["components"]["securitySchemes"]["session"]["name"] == "__Host-artme_session"
    assert spec["servers"] == [{"url": "https://cop.example.org"}]


def test_a_feature_router_adds_its_operations_to_the_document() -> None:
    """The core router documents whatever feature routers it is given: adding a feature's
    API is adding its router to the list in create_app."""
    operations = {op.operation_id for op in core_router([forum_api.router]).operations}
    assert operations == {"api_openapi", "api_session"}
    assert {op.operation_id for op in forum_api.router.operations} >= {"forum_list_threads", "forum_reply"}


ANONYMOUS_CASES = sorted(
    (method, path)
    for router in (*API_ROUTERS, core_router([]))
    for operation in router.operations
    if not operation.public
    for method, path in [(operation.method, operation.path)]
)


@pytest.mark.parametrize(("method", "path"), ANONYMOUS_CASES, ids=[f"{m} {p}" for m, p in ANONYMOUS_CASES])
async def test_operation_without_session_answers_401_json(app: Any, client: httpx.AsyncClient, world: World, method: str, path: str) -> None:
    """No session: 401 JSON (never the sign-in redirect of the pages), before the CSRF check
    and before the body is read; nothing changes."""
    concrete = re.sub(r"\{\w+\}", "1", path)
    before = await snapshot(app)
    response = await client.request(method, concrete, json={"body": "anonymous"} if method in UNSAFE_METHODS else None)
    assert_error(response, 401, "sign_in_required")
    assert await snapshot(app) == before


async def test_document_readable_without_session(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/openapi.json")
    assert response.status_code == 200 and "paths" in response.json()


async def test_unexpected_failure_is_a_json_500_without_details(app: Any, world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """SEC-K3 under /api: an exception nobody expected answers JSON with no traceback, SQL or path."""

    async def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("SELECT secret FROM /srv/artme/internal.py")

    monkeypatch.setattr(forum_service, "list_categories", broken)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        await sign_in(http, world.student_a.email)
        response = await http.get("/api/forum/categories")
    assert_error(response, 500, "internal")
    assert "SELECT" not in response.text and "internal.py" not in response.text
    assert response.headers["x-content-type-options"] == "nosniff"
