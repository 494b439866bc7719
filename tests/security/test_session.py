"""Sign-in and session management (SECURITY.md sections C and D).

No account enumeration at sign-in (SEC-C4), rate limits per account and per address
(SEC-C3), revocation of copied cookies (SEC-D3), a new session at sign-in (SEC-D4), cookie
flags (SEC-D1), nothing sensitive in the readable cookie payload (SEC-D2), the absolute
lifetime (SEC-D5), and failed sign-ins in the audit log (SEC-K1).
"""

from __future__ import annotations

import base64
import json
import time
import types
import uuid
from pathlib import Path
from typing import Any, AsyncIterator

import httpx
import pytest
from limits.aio.storage import MemoryStorage
from sqlalchemy import select

from artme_cop.app import create_app
from artme_cop.moderation.models import AuditEntry
from artme_cop.ratelimit import RateLimiter
from artme_cop.web import auth
from tests.conftest import make_client, make_settings
from tests.factories import World
from tests.support import PASSWORD, MutableClock, RecordingMailer, csrf_from, sign_in, soup

NEW_PASSWORD = "Silver harbour 62 kites"
COOKIE = "artme_session"


async def _attempt(http: httpx.AsyncClient, email: str, password: str) -> httpx.Response:
    token = csrf_from(await http.get("/login"))
    return await http.post("/login", data={"email": email, "password": password, "csrf_token": token, "next": "/"})


async def _signed_out(http: httpx.AsyncClient) -> bool:
    response = await http.get("/me")
    return response.status_code == 303 and response.headers["location"].startswith("/login")


def _copy_of(app: Any, source: httpx.AsyncClient) -> httpx.AsyncClient:
    """A second browser holding a copy of the first one's cookies (a stolen cookie)."""
    other = make_client(app)
    other.cookies.update(source.cookies)
    return other


def _set_cookie(response: httpx.Response, name: str) -> dict[str, str | bool]:
    """The attributes of the Set-Cookie header for `name`, lower-cased."""
    for header in response.headers.get_list("set-cookie"):
        first, *attributes = [part.strip() for part in header.split(";")]
        cookie_name, _, value = first.partition("=")
        if cookie_name == name:
            parsed: dict[str, str | bool] = {"value": value}
            for attribute in attributes:
                key, sep, attr_value = attribute.partition("=")
                parsed[key.lower()] = attr_value if sep else True
            return parsed
    raise AssertionError(f"no Set-Cookie for {name}: {response.headers.get_list('set-cookie')}")


def _payload(cookie_value: str) -> dict[str, object]:
    data = cookie_value.split(".", 1)[0]
    return dict(json.loads(base64.b64decode(data + "=" * (-len(data) % 4))))


# --- SEC-C4: no enumeration -------------------------------------------------------------------------


def _without_email(response: httpx.Response) -> str:
    page = soup(response)
    email = page.find("input", attrs={"name": "email"})
    assert email is not None
    del email["value"]
    return str(page)


async def test_sign_in_failure_same_for_unknown_email_and_wrong_password(client: httpx.AsyncClient, world: World) -> None:
    """SEC-C4: an unknown address and a known one with a wrong password get the same status,
    the same message and (apart from the echoed address) the same page."""
    wrong_password = await _attempt(client, world.student_a.email, "Not the right password 1")
    unknown_email = await _attempt(client, "nobody@alder.example.edu", "Not the right password 1")

    assert wrong_password.status_code == unknown_email.status_code == 400
    messages = [soup(r).find(class_="form-error").get_text(strip=True) for r in (wrong_password, unknown_email)]
    assert messages == ["Email or password is incorrect.", "Email or password is incorrect."]
    assert _without_email(wrong_password) == _without_email(unknown_email)
    assert await _signed_out(client)


async def test_sign_in_failures_recorded_in_audit_log(app: Any, client: httpx.AsyncClient, world: World) -> None:
    """SEC-K1: every failed sign-in is an audit entry (with the address, never the password);
    one against a known account is filed under its institution, so its lead sees it."""
    await _attempt(client, world.student_a.email, "Not the right password 1")
    await _attempt(client, "nobody@alder.example.edu", "Not the right password 2")

    async with app.state.uow() as uow:
        entries = (await uow.session.execute(select(AuditEntry).where(AuditEntry.action == "sign_in_failed").order_by(AuditEntry.id))).scalars().all()
    assert [(e.actor_id, e.institution_id, e.target_kind, e.target_id, e.address) for e in entries] == [
        (None, world.institution_a.id, "person", world.student_a.id, "127.0.0.1"),
        (None, None, "", None, "127.0.0.1"),
    ]
    assert not any("Not the right password" in e.detail for e in entries)

    lead = make_client(app)
    async with lead:
        await sign_in(lead, world.lead_a.email)
        page = soup(await lead.get("/moderation/audit"))
    cells = [[td.get_text(" ", strip=True) for td in tr.find_all("td")] for tr in page.find("tbody").find_all("tr")]
    assert ["sign in failed", world.institution_a.name, f"person {world.student_a.id}"] in [row[2:5] for row in cells]


async def test_successful_sign_in_not_recorded_as_failure(app: Any, client: httpx.AsyncClient, world: World) -> None:
    """Control for the audit test above: a good sign-in writes no `sign_in_failed` entry."""
    await sign_in(client, world.student_a.email)
    async with app.state.uow() as uow:
        entries = (await uow.session.execute(select(AuditEntry.id).where(AuditEntry.action == "sign_in_failed"))).scalars().all()
    assert entries == []


# --- SEC-C3: rate limits -------------------------------------------------------------------------------


def _retry_after(response: httpx.Response) -> int:
    value = int(response.headers["retry-after"])
    assert 1 <= value <= 60
    return value


async def test_sign_in_limited_per_account(app: Any, client: httpx.AsyncClient, world: World) -> None:
    """SEC-C3: after the account's budget (5/minute) of attempts the next one is 429 with
    Retry-After, and even the correct password is refused while the limit holds."""
    for _ in range(5):
        assert (await _attempt(client, world.student_a.email, "Not the right password 1")).status_code == 400

    limited = await _attempt(client, world.student_a.email, "Not the right password 1")
    assert limited.status_code == 429
    _retry_after(limited)

    correct = await _attempt(client, world.student_a.email, PASSWORD)
    assert correct.status_code == 429
    _retry_after(correct)
    assert await _signed_out(client)


async def test_sign_in_limit_per_account_spares_other_accounts(client: httpx.AsyncClient, world: World) -> None:
    """Control for SEC-C3: one account's limit does not lock out another person."""
    for _ in range(6):
        await _attempt(client, world.student_a.email, "Not the right password 1")
    assert (await _attempt(client, world.faculty_a.email, PASSWORD)).status_code == 303


async def test_sign_in_limited_per_address(client: httpx.AsyncClient, world: World) -> None:
    """SEC-C3: credential stuffing across many accounts from one address is stopped by the
    address budget (20/minute), also for an account that has not been tried yet."""
    for number in range(20):
        response = await _attempt(client, f"stuffing-{number}@example.org", "Not the right password 1")
        assert response.status_code == 400, number

    limited = await _attempt(client, world.faculty_a.email, PASSWORD)
    assert limited.status_code == 429
    _retry_after(limited)
    assert await _signed_out(client)


# --- SEC-D3: revocation ---------------------------------------------------------------------------------


async def test_copied_cookie_rejected_after_sign_out(app: Any, client: httpx.AsyncClient, world: World) -> None:
    """SEC-D3: signing out ends the session everywhere: a copy of the cookie stops working."""
    await sign_in(client, world.student_a.email)
    async with _copy_of(app, client) as copy:
        assert (await copy.get("/me")).status_code == 200

        token = csrf_from(await client.get("/"))
        response = await client.post("/logout", data={"csrf_token": token})
        assert response.status_code == 303

        assert await _signed_out(copy)
    assert await _signed_out(client)


async def test_copied_cookie_rejected_after_password_change(app: Any, client: httpx.AsyncClient, world: World) -> None:
    """SEC-D3: a password change ends every other session; the one that changed it goes on."""
    await sign_in(client, world.student_a.email)
    async with _copy_of(app, client) as copy:
        assert (await copy.get("/me")).status_code == 200

        token = csrf_from(await client.get("/password"))
        response = await client.post("/password", data={"current_password": PASSWORD, "new_password": NEW_PASSWORD, "csrf_token": token})
        assert response.status_code == 303

        assert await _signed_out(copy)
    assert (await client.get("/me")).status_code == 200


# --- SEC-D4: fixation ------------------------------------------------------------------------------------


async def test_session_cookie_replaced_at_sign_in(app: Any, client: httpx.AsyncClient, world: World) -> None:
    """SEC-D4/SEC-E3: the cookie set before sign-in is replaced at sign-in, does not
    authenticate, and its CSRF token is no longer accepted."""
    page = await client.get("/login")
    before = client.cookies[COOKIE]
    pre_login_token = csrf_from(page)

    response = await client.post("/login", data={"email": world.student_a.email, "password": PASSWORD, "csrf_token": pre_login_token, "next": "/"})
    assert response.status_code == 303
    after = client.cookies[COOKIE]
    assert after != before
    assert _payload(after)["csrf"] != pre_login_token

    planted = make_client(app)
    async with planted:
        planted.cookies.set(COOKIE, before)
        assert await _signed_out(planted)

    stale = await client.post("/me", data={"display_name": "Changed", "pronouns": "", "title": "", "csrf_token": pre_login_token})
    assert stale.status_code == 403


# --- SEC-D1/D2: cookie flags and payload --------------------------------------------------------------------


async def test_session_cookie_flags_over_http(client: httpx.AsyncClient, world: World) -> None:
    """SEC-D1: HttpOnly, SameSite=Lax, Path=/, no Domain, a lifetime; over plain http (local
    development) not Secure and without the __Host- prefix, which needs https."""
    response = await sign_in(client, world.student_a.email)
    cookie = _set_cookie(response, COOKIE)
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "lax"
    assert cookie["path"] == "/"
    assert "domain" not in cookie
    assert cookie["max-age"] == "604800"
    assert "secure" not in cookie


@pytest.fixture
async def https_client(settings: Any, world: World, clock: MutableClock, mailer: RecordingMailer, tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    secure_settings = make_settings(tmp_path, settings.database_url, base_url="https://cop.example.org")
    application = create_app(secure_settings, clock=clock, mailer=mailer, rate_limiter=RateLimiter(MemoryStorage(), prefix=f"t{uuid.uuid4().hex}"))
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=application), base_url="https://cop.example.org", follow_redirects=False) as http:
            yield http
    finally:
        await application.state.engine.dispose()


async def test_session_cookie_secure_and_host_prefixed_over_https(https_client: httpx.AsyncClient, world: World) -> None:
    """SEC-D1: with an https base URL the cookie is Secure, __Host- prefixed, Path=/ and has no
    Domain (the prefix's requirements), and still HttpOnly and SameSite=Lax."""
    response = await sign_in(https_client, world.student_a.email)
    cookie = _set_cookie(response, "__Host-artme_session")
    assert cookie["secure"] is True
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "lax"
    assert cookie["path"] == "/"
    assert "domain" not in cookie
    assert not [h for h in response.headers.get_list("set-cookie") if h.startswith(f"{COOKIE}=")]
    me = await https_client.get("/me")
    assert me.status_code == 200


async def test_session_payload_holds_no_personal_data(client: httpx.AsyncClient, world: World) -> None:
    """SEC-D2: the cookie is signed, not encrypted: it carries ids, the epoch, the issue time
    and the CSRF token, and no email, name, role or password hash."""
    await sign_in(client, world.lead_a.email)
    raw = client.cookies[COOKIE]
    payload = _payload(raw)
    assert set(payload) <= {"pid", "ep", "iat", "csrf", "flash"}
    assert payload["pid"] == world.lead_a.id
    decoded = json.dumps(payload)
    for secret in (world.lead_a.email, "alder.example.edu", world.lead_a.display_name, "institution_lead", "argon2", PASSWORD):
        assert secret not in decoded


# --- SEC-D5: lifetime ------------------------------------------------------------------------------------------


def _clock_at(monkeypatch: pytest.MonkeyPatch, module: Any, seconds_from_now: float) -> None:
    """Move the clock of one module only (here the session check), not the whole process."""
    real = time.time
    monkeypatch.setattr(module, "time", types.SimpleNamespace(time=lambda: real() + seconds_from_now))


async def test_session_valid_just_before_lifetime_ends(app: Any, client: httpx.AsyncClient, world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """SEC-D5 control: a session is good until its absolute lifetime."""
    await sign_in(client, world.student_a.email)
    _clock_at(monkeypatch, auth, app.state.settings.session_lifetime - 60)
    assert (await client.get("/me")).status_code == 200


async def test_session_ends_after_lifetime(app: Any, client: httpx.AsyncClient, world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """SEC-D5: past ARTME_SESSION_LIFETIME the server itself refuses the session, whatever
    the browser does with the cookie's Max-Age (a stolen cookie ignores it)."""
    await sign_in(client, world.student_a.email)
    _clock_at(monkeypatch, auth, app.state.settings.session_lifetime + 60)
    assert await _signed_out(client)
