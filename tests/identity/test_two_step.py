"""Two-step sign-in (SEC-C7) over HTTP: setting it up with an authenticator app, signing in
with a code or a recovery code, codes that work once, turning it off, an administrator turning
off someone else's, and `ARTME_REQUIRE_TWO_STEP`, under which admins and leads act as
participants until their session has passed the second step. The CSRF cases of these forms
are in tests/security/test_csrf.py, the authorization of the reset in test_matrix.py."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import re
from typing import Any, AsyncIterator

import httpx
import pyotp
import pytest
from sqlalchemy import select

from artme_cop.identity.models import RecoveryCode, TwoStepSecret
from artme_cop.moderation.models import AuditEntry
from artme_cop.settings import Settings
from artme_cop.web import auth
from tests.conftest import make_client
from tests.factories import World
from tests.support import PASSWORD, MutableClock, csrf_from, post_form, sign_in, snapshot, soup, text_of


ATTEMPTS = 8  # ARTME_LOGIN_LIMIT_ACCOUNT here, for the password and for the code


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """This whole module runs with `ARTME_REQUIRE_TWO_STEP=true`; people without a lead's or
    an admin's role see no difference, which the other tests show as well."""
    return dataclasses.replace(settings, require_two_step=True, login_limit_account=f"{ATTEMPTS}/minute")


def code_at(secret: str, clock: MutableClock, *, steps: int = 0) -> str:
    return pyotp.TOTP(secret).at(clock.now().timestamp() + 30 * steps)


async def turn_on(client: httpx.AsyncClient, clock: MutableClock) -> tuple[str, list[str]]:
    """Set up two-step sign-in through the account pages; (the secret, the recovery codes)."""
    assert (await post_form(client, "/me/two-step/start", {}, token_from="/me/two-step")).status_code == 303
    page = await client.get("/me/two-step")
    assert page.status_code == 200 and soup(page).find("svg") is not None
    secret = soup(page).find(class_="two-step-key").get_text().replace(" ", "")
    confirmed = await post_form(client, "/me/two-step/confirm", {"code": code_at(secret, clock)}, token_from="/me/two-step")
    assert confirmed.status_code == 200, text_of(confirmed)
    codes = [c.get_text() for c in soup(confirmed).select(".recovery-codes code")]
    return secret, codes


async def password_step(client: httpx.AsyncClient, email: str) -> httpx.Response:
    token = csrf_from(await client.get("/login"))
    return await client.post("/login", data={"email": email, "password": PASSWORD, "csrf_token": token, "next": "/forum/"})


async def second_step(client: httpx.AsyncClient, code: str) -> httpx.Response:
    token = csrf_from(await client.get("/login"))
    return await client.post("/login/two-step", data={"code": code, "csrf_token": token, "next": "/forum/"})


async def signed_in(client: httpx.AsyncClient) -> bool:
    return (await client.get("/me")).status_code == 200


async def audit_actions(app: Any, person_id: int) -> list[str]:
    async with app.state.uow(read_only=True) as uow:
        query = select(AuditEntry.action).where(AuditEntry.target_id == person_id, AuditEntry.action.like("two_step%")).order_by(AuditEntry.id)
        return list((await uow.session.execute(query)).scalars())


@pytest.fixture
async def other_browser(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    async with make_client(app) as http:
        yield http


async def test_set_up_then_sign_in_with_a_code_that_works_once(app: Any, client: httpx.AsyncClient, other_browser: httpx.AsyncClient, world: World, clock: MutableClock) -> None:
    await sign_in(client, world.student_a.email)
    await sign_in(other_browser, world.student_a.email)
    assert "Two-step sign-in is off" in text_of(await client.get("/me"))
    assert (await post_form(client, "/me/two-step/start", {}, token_from="/me/two-step")).status_code == 303
    secret = soup(await client.get("/me/two-step")).find(class_="two-step-key").get_text().replace(" ", "")
    wrong = await post_form(client, "/me/two-step/confirm", {"code": "000000" if code_at(secret, clock) != "000000" else "111111"}, token_from="/me/two-step")
    assert wrong.status_code == 400 and "That code is not right" in text_of(wrong)
    assert soup(wrong).find(class_="two-step-key") is not None  # the same setup goes on

    code = code_at(secret, clock)
    confirmed = await post_form(client, "/me/two-step/confirm", {"code": code}, token_from="/me/two-step")
    codes = [c.get_text() for c in soup(confirmed).select(".recovery-codes code")]
    assert len(codes) == 10 and len(set(codes)) == 10 and all(re.fullmatch(r"[0-9a-f]{5}-[0-9a-f]{5}", c) for c in codes)
    async with app.state.uow(read_only=True) as uow:
        hashes = list((await uow.session.execute(select(RecoveryCode.code_hash))).scalars())
        stored = await uow.session.get(TwoStepSecret, world.student_a.id)
    assert len(hashes) == 10 and not set(codes) & set(hashes) and stored is not None and stored.secret == secret
    assert await signed_in(client) and "Two-step sign-in is on" in text_of(await client.get("/me"))
    assert not await signed_in(other_browser)  # turning it on ends the other sessions

    # The password alone is half a sign-in: nothing is open to it but the second step.
    await post_form(client, "/logout", {})
    half = await password_step(client, world.student_a.email)
    assert half.status_code == 303 and half.headers["location"] == "/login/two-step?next=/forum/"
    assert not await signed_in(client)
    assert (await client.get("/api/session")).status_code == 401
    replayed = await second_step(client, code)  # the code used to confirm, in the same 30 s
    assert replayed.status_code == 400 and not await signed_in(client)
    clock.advance(seconds=30)
    passed = await second_step(client, code_at(secret, clock))
    assert passed.status_code == 303 and passed.headers["location"] == "/forum/"
    assert await signed_in(client)

    # A recovery code stands in for the phone, once.
    for attempt, expected in ((codes[3], 303), (codes[3], 400), (codes[4].upper().replace("-", " "), 303)):
        client.cookies.clear()  # a fresh browser
        await password_step(client, world.student_a.email)
        assert (await second_step(client, attempt)).status_code == expected
    assert await audit_actions(app, world.student_a.id) == [
        "two_step_on", "two_step_failed", "two_step_recovery_code_used", "two_step_failed", "two_step_recovery_code_used",
    ]
    assert "8 unused recovery codes" in text_of(await client.get("/me/two-step"))


async def test_turning_it_off_needs_the_password_and_a_code(app: Any, client: httpx.AsyncClient, world: World, clock: MutableClock) -> None:
    await sign_in(client, world.faculty_a.email)
    secret, _ = await turn_on(client, clock)
    clock.advance(seconds=30)
    for data, message in (
        ({"password": "not the password", "code": code_at(secret, clock)}, "Your password is not correct."),
        ({"password": PASSWORD, "code": "12345"}, "That code is not right"),
        ({"password": PASSWORD}, "Type the code."),
    ):
        before = await snapshot(app)
        refused = await post_form(client, "/me/two-step/off", data, token_from="/me/two-step")
        assert refused.status_code == 400 and message in text_of(refused)
        assert await snapshot(app) == before
    assert (await post_form(client, "/me/two-step/off", {"password": PASSWORD, "code": code_at(secret, clock)}, token_from="/me/two-step")).status_code == 303
    assert await signed_in(client) and "Two-step sign-in is off" in text_of(await client.get("/me"))
    await post_form(client, "/logout", {})
    assert (await password_step(client, world.faculty_a.email)).headers["location"] == "/forum/"
    async with app.state.uow(read_only=True) as uow:
        assert list((await uow.session.execute(select(RecoveryCode))).scalars()) == []
    assert (await audit_actions(app, world.faculty_a.id))[-1] == "two_step_off"


async def test_the_second_step_waits_five_minutes_and_counts_against_the_sign_in_limit(app: Any, client: httpx.AsyncClient, world: World, clock: MutableClock, monkeypatch: pytest.MonkeyPatch) -> None:
    await sign_in(client, world.student_a.email)
    secret, _ = await turn_on(client, clock)
    await post_form(client, "/logout", {})
    assert (await second_step(client, "123456")).headers["location"] == "/login"  # no password yet
    await password_step(client, world.student_a.email)
    for _ in range(ATTEMPTS):
        assert (await second_step(client, "not a code")).status_code == 400
    clock.advance(seconds=30)
    assert (await second_step(client, code_at(secret, clock))).status_code == 429
    assert not await signed_in(client)

    real_time = auth.time.time
    monkeypatch.setattr(auth.time, "time", lambda: real_time() + auth.PENDING_SECONDS + 1)
    late = await client.get("/login/two-step")
    assert late.status_code == 303 and late.headers["location"] == "/login"


async def test_required_two_step_holds_back_the_lead_role_until_set_up(app: Any, client: httpx.AsyncClient, world: World, clock: MutableClock) -> None:
    """SEC-C7: admin routes refuse sessions without the second step when it is required."""
    await sign_in(client, world.lead_a.email)
    home = await client.get("/")
    assert "acting as a participant for now" in text_of(home)
    assert (await client.get("/admin/people")).status_code == 403
    assert (await client.get("/moderation/audit")).status_code == 403
    assert "Administration" not in text_of(home)
    assert await signed_in(client)  # the cohort's participant goes on as before

    secret, _ = await turn_on(client, clock)
    assert (await client.get("/admin/people")).status_code == 200
    assert "acting as a participant" not in text_of(await client.get("/"))
    await post_form(client, "/logout", {})
    await password_step(client, world.lead_a.email)
    clock.advance(seconds=30)
    await second_step(client, code_at(secret, clock))
    assert (await client.get("/admin/people")).status_code == 200

    async with make_client(app) as student:  # people without such a role: nothing changes
        await sign_in(student, world.student_a.email)
        assert "acting as a participant" not in text_of(await student.get("/"))


async def test_an_admin_turns_off_a_lost_phone(app: Any, client: httpx.AsyncClient, world: World, clock: MutableClock) -> None:
    await sign_in(client, world.student_a.email)
    await turn_on(client, clock)
    async with make_client(app) as admin:
        await sign_in(admin, world.admin.email)
        await turn_on(admin, clock)  # required here: the admin's own session passed the second step
        page = await admin.get(f"/admin/people/{world.student_a.id}")
        assert "On: signing in asks for a code" in text_of(page)
        reset = await post_form(admin, f"/admin/people/{world.student_a.id}/two-step/reset", {}, token_from=f"/admin/people/{world.student_a.id}")
        assert reset.status_code == 303
        assert "Off." in text_of(await admin.get(f"/admin/people/{world.student_a.id}"))
        again = await post_form(admin, f"/admin/people/{world.student_a.id}/two-step/reset", {}, token_from=f"/admin/people/{world.student_a.id}")
        assert again.status_code == 409
    assert not await signed_in(client)  # their sessions ended
    assert (await password_step(client, world.student_a.email)).headers["location"] == "/forum/"
    async with app.state.uow(read_only=True) as uow:
        entry = (await uow.session.execute(select(AuditEntry).where(AuditEntry.action == "two_step_reset"))).scalar_one()
    assert (entry.actor_id, entry.target_id, json.loads(entry.detail)) == (world.admin.id, world.student_a.id, {})


@pytest.mark.parametrize("code", ["", "abc", "12345678901234567890123456789012345", "１２３４５６"])
async def test_bad_codes_are_a_clear_error_and_change_nothing(app: Any, client: httpx.AsyncClient, world: World, clock: MutableClock, code: str) -> None:
    await sign_in(client, world.student_a.email)
    assert (await post_form(client, "/me/two-step/start", {}, token_from="/me/two-step")).status_code == 303
    before = await snapshot(app)
    refused = await post_form(client, "/me/two-step/confirm", {"code": code}, token_from="/me/two-step")
    assert refused.status_code == 400 and soup(refused).find(class_="field-error") is not None
    assert await snapshot(app) == before


async def test_one_code_sent_twice_at_once_signs_in_once(app: Any, client: httpx.AsyncClient, other_browser: httpx.AsyncClient, world: World, clock: MutableClock) -> None:
    """The step is claimed by one atomic UPDATE, so an overheard code raced against its
    owner does not open a second session. (On PostgreSQL this fails without the atomic claim;
    SQLite runs one writer at a time, so there it passes either way.)"""
    await sign_in(client, world.faculty_a.email)
    secret, _ = await turn_on(client, clock)
    client.cookies.clear()
    for browser in (client, other_browser):
        await password_step(browser, world.faculty_a.email)
    clock.advance(seconds=30)
    code = code_at(secret, clock)
    tokens = [csrf_from(await browser.get("/login")) for browser in (client, other_browser)]
    answers = await asyncio.gather(*(
        browser.post("/login/two-step", data={"code": code, "csrf_token": token, "next": "/"}) for browser, token in zip((client, other_browser), tokens)
    ))
    assert sorted(answer.status_code for answer in answers) == [303, 400]
    assert sorted([await signed_in(client), await signed_in(other_browser)]) == [False, True]


async def test_deleting_the_account_takes_the_secret_and_the_codes(app: Any, client: httpx.AsyncClient, world: World, clock: MutableClock) -> None:
    await sign_in(client, world.student_a.email)
    await turn_on(client, clock)
    assert (await post_form(client, "/me/delete", {"password": PASSWORD}, token_from="/me/delete")).status_code == 303
    async with app.state.uow(read_only=True) as uow:
        assert list((await uow.session.execute(select(TwoStepSecret))).scalars()) == []
        assert list((await uow.session.execute(select(RecoveryCode))).scalars()) == []
