"""Helpers for the JSON API tests: a signed-in API client that sends the session's CSRF
token, and a check of a response body against the schemas of /api/openapi.json."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Any, AsyncIterator

import httpx
from jsonschema import Draft202012Validator

from artme_cop.identity.models import Person
from tests.conftest import make_client
from tests.support import sign_in


@dataclass
class ApiClient:
    http: httpx.AsyncClient
    token: str

    async def get(self, path: str, **params: object) -> httpx.Response:
        given = {k: v for k, v in params.items() if v is not None}
        return await self.http.get(path, params=given) if given else await self.http.get(path)

    async def send(self, method: str, path: str, body: object = None) -> httpx.Response:
        """A state-changing request as a well-behaved client makes it: JSON and the token."""
        headers = {"X-CSRF-Token": self.token}
        if body is None:
            return await self.http.request(method, path, headers=headers)
        return await self.http.request(method, path, json=body, headers=headers)


@contextlib.asynccontextmanager
async def api_client(app: Any, person: Person | None) -> AsyncIterator[ApiClient]:
    async with make_client(app) as http:
        if person is None:
            yield ApiClient(http, "")
            return
        await sign_in(http, person.email)
        session = await http.get("/api/session")
        assert session.status_code == 200, session.text
        yield ApiClient(http, session.json()["csrf_token"])


def assert_error(response: httpx.Response, status: int, code: str, field: str | None = None) -> None:
    """A JSON error of the documented shape, never a page."""
    assert response.status_code == status, (response.status_code, response.text[:300])
    assert response.headers["content-type"].startswith("application/json"), response.headers["content-type"]
    error = response.json()["error"]
    assert set(error) == {"code", "message", "field"}
    assert error["code"] == code, error
    assert isinstance(error["message"], str) and error["message"]
    if field is not None:
        assert error["field"] == field, error


def assert_schema(spec: dict[str, Any], name: str, data: object) -> None:
    """The data is valid against the component schema `name` of the served document."""
    schema = {"$ref": f"#/components/schemas/{name}", "components": spec["components"]}
    errors = sorted(Draft202012Validator(schema).iter_errors(data), key=str)
    assert not errors, [f"{list(e.absolute_path)}: {e.message}" for e in errors[:5]]


async def served_document(app: Any) -> dict[str, Any]:
    """/api/openapi.json as a visitor reads it."""
    async with api_client(app, None) as anonymous:
        response = await anonymous.get("/api/openapi.json")
    assert response.status_code == 200
    return response.json()  # type: ignore[no-any-return]
