"""SEC-E2: no GET changes state. The authorization matrix checks each of its GET rows, for
every persona, with `assert_get_changed_nothing`; this file covers the GET routes outside
the matrix (public and self-service pages, token links), each with a real token where it
takes one, and checks that no GET route escapes both lists.
"""

from __future__ import annotations

from typing import Any, Awaitable, Callable

import httpx
import pytest

from tests.factories import World
from tests.identity.test_account import request_reset, reset_path
from tests.identity.test_invitations import cli_invitation, path_of
from tests.program.test_calendar import make_feed
from tests.security.test_matrix import MATRIX, assert_get_changed_nothing, iter_routes, read_positions
from tests.support import RecordingMailer, sign_in, snapshot

# path template -> how to reach it: (path, whether to ask signed in), after any setup writes
Reach = Callable[[Any, World, httpx.AsyncClient, RecordingMailer], Awaitable[tuple[str, bool]]]


def _plain(path: str, *, signed_in: bool = True) -> Reach:
    async def reach(app: Any, world: World, http: httpx.AsyncClient, mailer: RecordingMailer) -> tuple[str, bool]:
        return path, signed_in

    return reach


async def _invitation(app: Any, world: World, http: httpx.AsyncClient, mailer: RecordingMailer) -> tuple[str, bool]:
    _invitation_row, link = await cli_invitation(app, world)
    return path_of(link), False


async def _password_reset(app: Any, world: World, http: httpx.AsyncClient, mailer: RecordingMailer) -> tuple[str, bool]:
    await request_reset(http, world.student_a.email)
    return reset_path(mailer), False


async def _calendar_feed(app: Any, world: World, http: httpx.AsyncClient, mailer: RecordingMailer) -> tuple[str, bool]:
    await sign_in(http, world.student_a.email)
    path = await make_feed(http)
    http.cookies.clear()  # the feed is read with its secret alone
    return path, False


OUTSIDE_THE_MATRIX: dict[str, Reach] = {
    "/healthz": _plain("/healthz", signed_in=False),
    "/": _plain("/"),
    "/login": _plain("/login", signed_in=False),
    "/login/two-step": _plain("/login/two-step"),
    "/invitations/{token}": _invitation,
    "/password": _plain("/password"),
    "/password/forgot": _plain("/password/forgot", signed_in=False),
    "/password/reset/{token}": _password_reset,
    "/me": _plain("/me"),
    "/me/export": _plain("/me/export"),
    "/me/delete": _plain("/me/delete"),
    "/me/two-step": _plain("/me/two-step"),
    "/api/openapi.json": _plain("/api/openapi.json"),
    "/api/session": _plain("/api/session"),
    "/calendar/feed/{token}.ics": _calendar_feed,
}


def test_every_get_route_is_checked(app: Any) -> None:
    """A new GET route must join the matrix or this table, so that it is checked here too."""
    gets = {path for method, path in iter_routes(app.routes) if method == "GET"}
    in_matrix = {row.template for row in MATRIX if row.method == "GET"}
    assert gets - in_matrix - set(OUTSIDE_THE_MATRIX) == set(), "GET routes that no test checks for writes"
    assert set(OUTSIDE_THE_MATRIX) <= gets, f"stale entries: {sorted(set(OUTSIDE_THE_MATRIX) - gets)}"


@pytest.mark.parametrize("template", sorted(OUTSIDE_THE_MATRIX))
async def test_get_outside_the_matrix_changes_nothing(app: Any, client: httpx.AsyncClient, world: World, mailer: RecordingMailer, template: str) -> None:
    path, signed_in = await OUTSIDE_THE_MATRIX[template](app, world, client, mailer)
    if signed_in:
        await sign_in(client, world.student_a.email)
    before = await snapshot(app)
    positions = await read_positions(app)

    response = await client.get(path)

    assert response.status_code in (200, 303), f"{path}: {response.status_code}"
    await assert_get_changed_nothing(app, before, positions, world.student_a.id, f"GET {template}")
