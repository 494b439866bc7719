"""One's own account over HTTP: profile, password change and reset, data export, deletion,
and the health check."""

from __future__ import annotations

import json
from typing import Any, Awaitable, Callable, TypeVar

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from artme_cop.identity.models import CohortMembership, PasswordReset, Person, RoleAssignment
from artme_cop.moderation.models import AuditEntry
from tests.conftest import make_client
from tests.factories import World
from tests.support import PASSWORD, MutableClock, RecordingMailer, csrf_token, post_form, sign_in, soup, text_of

NEW_PASSWORD = "Violet ferry 62 compasses"
T = TypeVar("T")


async def read(app: Any, query: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """Look at the database through a short unit of work of its own (never held across requests)."""
    async with app.state.uow() as uow:
        return await query(uow.session)


async def person(app: Any, person_id: int) -> Person:
    found = await read(app, lambda s: s.get(Person, person_id))
    assert found is not None
    return found


async def audit_actions(app: Any, person_id: int) -> list[str]:
    query = select(AuditEntry.action).where((AuditEntry.actor_id == person_id) | (AuditEntry.target_id == person_id)).order_by(AuditEntry.id)
    return await read(app, lambda s: _scalars(s, query))


async def _scalars(session: AsyncSession, query: Any) -> list[Any]:
    return list((await session.execute(query)).scalars())


async def try_sign_in(app: Any, email: str, password: str) -> int:
    async with make_client(app) as other:
        token = await csrf_token(other, "/login")
        response = await other.post("/login", data={"email": email, "password": password, "csrf_token": token, "next": "/"})
        return response.status_code


async def is_signed_in(client: httpx.AsyncClient) -> bool:
    response = await client.get("/me")
    if response.status_code == 303:
        assert response.headers["location"].startswith("/login")
        return False
    assert response.status_code == 200
    return True


def field_value(response: httpx.Response, name: str) -> str:
    element = soup(response).find("input", attrs={"name": name})
    assert element is not None, f"no input {name}"
    return str(element.get("value", ""))


def field_error(response: httpx.Response, name: str) -> str:
    element = soup(response).find(id=f"{name}-error")
    assert element is not None, f"no error shown for {name}"
    return element.get_text(strip=True)


# --- profile -------------------------------------------------------------------------------------


async def test_profile_edit(client: httpx.AsyncClient, app: Any, world: World) -> None:
    await sign_in(client, world.student_a.email)
    page = await client.get("/me")
    assert page.status_code == 200
    assert field_value(page, "display_name") == "Sam Student"
    response = await post_form(client, "/me", {"display_name": "  Samira Student ", "pronouns": "she/her", "title": "MS2"}, token_from="/me")
    assert response.status_code == 303 and response.headers["location"] == "/me"
    page = await client.get("/me")
    assert field_value(page, "display_name") == "Samira Student"
    assert field_value(page, "pronouns") == "she/her"
    assert field_value(page, "title") == "MS2"
    assert "Your profile is saved." in text_of(page)
    stored = await person(app, world.student_a.id)
    assert (stored.display_name, stored.pronouns, stored.title) == ("Samira Student", "she/her", "MS2")
    # Optional fields can be emptied; the name cannot.
    response = await post_form(client, "/me", {"display_name": "", "pronouns": "", "title": ""}, token_from="/me")
    assert response.status_code == 400
    assert field_error(response, "display_name") == "Name is required."
    assert (await person(app, world.student_a.id)).display_name == "Samira Student"


async def test_profile_form_cannot_change_placement_or_roles(client: httpx.AsyncClient, app: Any, world: World) -> None:
    """SEC-L3: cohort, institution, role, email and account fields posted to /me change nothing."""

    async def placement() -> tuple[Any, ...]:
        stored = await person(app, world.student_a.id)
        memberships = await read(app, lambda s: _scalars(s, select(CohortMembership.cohort_id, CohortMembership.constituency).where(CohortMembership.person_id == world.student_a.id)))
        roles = await read(app, lambda s: _rows(s, select(RoleAssignment.role, RoleAssignment.institution_id, RoleAssignment.cohort_id).where(RoleAssignment.person_id == world.student_a.id)))
        return (stored.email, stored.institution_id, stored.is_deleted, stored.session_epoch, stored.password_hash, memberships, roles)

    before = await placement()
    await sign_in(client, world.student_a.email)
    response = await post_form(
        client,
        "/me",
        {
            "display_name": "Sam Student",
            "pronouns": "they/them",
            "title": "",
            "cohort_id": str(world.cohort_b1.id),
            "institution_id": str(world.institution_b.id),
            "role": "program_admin",
            "roles": "institution_lead",
            "constituency": "leadership",
            "email": "admin@program.example.org",
            "is_deleted": "1",
            "session_epoch": "99",
            "password_hash": "x",
        },
        token_from="/me",
    )
    assert response.status_code == 303
    assert await placement() == before
    assert (await client.get("/admin/people")).status_code in (403, 404)


async def _rows(session: AsyncSession, query: Any) -> list[tuple[Any, ...]]:
    return [tuple(row) for row in (await session.execute(query)).all()]


# --- password change -------------------------------------------------------------------------------


async def test_password_change_needs_the_current_password(client: httpx.AsyncClient, app: Any, world: World) -> None:
    """SEC-C6: without the right current password nothing changes."""
    await sign_in(client, world.faculty_a.email)
    for current in ("", "wrong password here", PASSWORD[:-1]):
        response = await post_form(client, "/password", {"current_password": current, "new_password": NEW_PASSWORD}, token_from="/password")
        assert response.status_code == 400
        assert field_error(response, "current_password") == "Your current password is not correct."
    response = await post_form(client, "/password", {"new_password": NEW_PASSWORD}, token_from="/password")
    assert response.status_code == 400
    assert await try_sign_in(app, world.faculty_a.email, NEW_PASSWORD) == 400
    assert await try_sign_in(app, world.faculty_a.email, PASSWORD) == 303


async def test_password_change_refuses_weak_and_context_passwords(client: httpx.AsyncClient, app: Any, world: World) -> None:
    """SEC-C2: common passwords and the school's name are refused with a reason."""
    await sign_in(client, world.faculty_a.email)
    for weak in ("password123", "short", world.institution_a.name, "Fran Faculty 1", "faculty2024"):
        response = await post_form(client, "/password", {"current_password": PASSWORD, "new_password": weak}, token_from="/password")
        assert response.status_code == 400, weak
        assert field_error(response, "new_password")
    assert await try_sign_in(app, world.faculty_a.email, PASSWORD) == 303


async def test_password_change_ends_other_sessions(client: httpx.AsyncClient, app: Any, world: World) -> None:
    async with make_client(app) as other_device:
        await sign_in(other_device, world.faculty_a.email)
        await sign_in(client, world.faculty_a.email)
        response = await post_form(client, "/password", {"current_password": PASSWORD, "new_password": NEW_PASSWORD}, token_from="/password")
        assert response.status_code == 303 and response.headers["location"] == "/me"
        assert await is_signed_in(client)  # this session continues
        assert not await is_signed_in(other_device)
    assert await try_sign_in(app, world.faculty_a.email, PASSWORD) == 400
    assert await try_sign_in(app, world.faculty_a.email, NEW_PASSWORD) == 303
    assert "password_changed" in await audit_actions(app, world.faculty_a.id)


# --- password reset ----------------------------------------------------------------------------------


async def request_reset(client: httpx.AsyncClient, email: str) -> httpx.Response:
    response = await post_form(client, "/password/forgot", {"email": email}, token_from="/password/forgot")
    assert response.status_code == 200
    return response


def reset_path(mailer: RecordingMailer) -> str:
    links = [link for link in mailer.links() if "/password/reset/" in link]
    assert len(links) == 1, links
    return links[0].removeprefix("http://testserver")


async def test_forgot_password_answers_the_same_for_unknown_and_known_addresses(client: httpx.AsyncClient, world: World, mailer: RecordingMailer) -> None:
    """SEC-C4: the page does not tell whether an account exists; only a real account gets mail."""
    unknown = await request_reset(client, "nobody@alder.example.edu")
    assert mailer.sent == []
    invalid = await request_reset(client, "not an email")
    assert mailer.sent == []
    known = await request_reset(client, world.student_a.email.upper())
    assert text_of(unknown) == text_of(known) == text_of(invalid)
    assert [mail.to for mail in mailer.sent] == [world.student_a.email]
    assert "/password/reset/" in mailer.sent[0].body


async def test_reset_link_works_once_and_ends_old_sessions(client: httpx.AsyncClient, app: Any, world: World, mailer: RecordingMailer) -> None:
    async with make_client(app) as old_device:
        await sign_in(old_device, world.student_a.email)
        await request_reset(client, world.student_a.email)
        path = reset_path(mailer)
        token = path.rsplit("/", 1)[1]
        assert len(token) >= 22  # at least 128 random bits
        stored = await read(app, lambda s: _scalars(s, select(PasswordReset.token_hash)))
        assert stored and token not in stored  # only a hash of the token is kept

        page = await client.get(path)
        assert page.status_code == 200
        weak = await client.post(path, data={"password": "password123", "csrf_token": await csrf_token(client, path)})
        assert weak.status_code == 400
        assert field_error(weak, "password")
        response = await client.post(path, data={"password": NEW_PASSWORD, "csrf_token": await csrf_token(client, path)})
        assert response.status_code == 303 and response.headers["location"] == "/login"
        assert not await is_signed_in(old_device)

    assert await try_sign_in(app, world.student_a.email, PASSWORD) == 400
    assert await try_sign_in(app, world.student_a.email, NEW_PASSWORD) == 303
    # The link is used up.
    again = await client.get(path)
    assert again.status_code == 400
    assert "already used" in text_of(again)
    token_page = await client.get("/password/forgot")
    reuse = await client.post(path, data={"password": "Another 71 fine orchards", "csrf_token": await csrf_token(client, "/password/forgot")})
    assert token_page.status_code == 200 and reuse.status_code == 400
    assert await try_sign_in(app, world.student_a.email, NEW_PASSWORD) == 303
    assert "password_reset" in await audit_actions(app, world.student_a.id)


async def test_reset_link_expires(client: httpx.AsyncClient, app: Any, world: World, mailer: RecordingMailer, clock: MutableClock) -> None:
    await request_reset(client, world.student_a.email)
    path = reset_path(mailer)
    clock.advance(seconds=app.state.settings.reset_lifetime + 1)
    page = await client.get(path)
    assert page.status_code == 400
    assert "expired" in text_of(page)
    response = await client.post(path, data={"password": NEW_PASSWORD, "csrf_token": await csrf_token(client, "/password/forgot")})
    assert response.status_code == 400
    assert await try_sign_in(app, world.student_a.email, PASSWORD) == 303


async def test_made_up_reset_links_are_refused(client: httpx.AsyncClient) -> None:
    for token in ("abc", "x" * 43, "x" * 500):
        response = await client.get(f"/password/reset/{token}")
        assert response.status_code == 400
        assert "not valid" in text_of(response)


# --- data export --------------------------------------------------------------------------------------


async def test_export_is_a_json_attachment_of_ones_own_data(client: httpx.AsyncClient, world: World) -> None:
    await sign_in(client, world.student_a.email)
    response = await client.get("/me/export")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    assert response.headers["content-disposition"].startswith("attachment")
    assert response.headers["x-content-type-options"] == "nosniff"
    data = json.loads(response.text)
    assert data["person"]["id"] == world.student_a.id
    assert data["person"]["email"] == world.student_a.email
    assert data["person"]["display_name"] == "Sam Student"
    assert [(c["cohort_id"], c["constituency"]) for c in data["cohorts"]] == [(world.cohort_a1.id, "student")]
    assert [r["role"] for r in data["roles"]] == ["participant"]
    others = [p.email for p in (world.admin, world.coach, world.lead_a, world.faculty_a, world.participant_a2, world.participant_b, world.lead_b)]
    assert not [email for email in others if email in response.text]
    assert "password" not in response.text.lower()


async def test_export_needs_sign_in(client: httpx.AsyncClient) -> None:
    response = await client.get("/me/export")
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login")


# --- account deletion -----------------------------------------------------------------------------------


async def test_account_deletion_needs_the_password(client: httpx.AsyncClient, app: Any, world: World) -> None:
    await sign_in(client, world.student_a.email)
    for password in ("", "wrong password 123"):
        response = await post_form(client, "/me/delete", {"password": password}, token_from="/me/delete")
        assert response.status_code == 400
        assert field_error(response, "password") == "Your password is not correct."
    stored = await person(app, world.student_a.id)
    assert not stored.is_deleted and stored.display_name == "Sam Student"
    assert await is_signed_in(client)


async def test_account_deletion_scrubs_and_signs_out(client: httpx.AsyncClient, app: Any, world: World) -> None:
    async with make_client(app) as other_device:
        await sign_in(other_device, world.lead_a.email)
        await sign_in(client, world.lead_a.email)
        response = await post_form(client, "/me/delete", {"password": PASSWORD}, token_from="/me/delete")
        assert response.status_code == 303 and response.headers["location"] == "/login"
        assert not await is_signed_in(client)
        assert not await is_signed_in(other_device)

    stored = await person(app, world.lead_a.id)
    assert stored.is_deleted and stored.deleted_at is not None
    assert stored.display_name == "Deleted account"
    assert (stored.pronouns, stored.title) == ("", "")
    assert stored.email != world.lead_a.email and "alder" not in stored.email
    assert not stored.password_hash.startswith("$argon2")
    memberships = await read(app, lambda s: _scalars(s, select(func.count()).select_from(CohortMembership).where(CohortMembership.person_id == world.lead_a.id)))
    roles = await read(app, lambda s: _scalars(s, select(func.count()).select_from(RoleAssignment).where(RoleAssignment.person_id == world.lead_a.id)))
    assert memberships == [0] and roles == [0]
    assert "account_deleted" in await audit_actions(app, world.lead_a.id)
    assert await try_sign_in(app, world.lead_a.email, PASSWORD) == 400
    # The person is gone from the administration pages too.
    await sign_in(client, world.admin.email)
    people = await client.get("/admin/people")
    assert "Lee Lead" not in text_of(people)
    assert (await client.get(f"/admin/people/{world.lead_a.id}")).status_code == 404


# --- health -------------------------------------------------------------------------------------------------


async def test_healthz(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    assert response.json() == {"status": "ok", "database": "ok"}
