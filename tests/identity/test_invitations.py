"""Invitations over HTTP: sending from the administration form, the mail, accepting, the
ways a link stops working, who may invite whom, form validation, the list and the audit log.

Links are signed and carry a random public id, never the row id (SEC-A7). A link that cannot
be used gives a 400 page that says why, and creates nothing.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from sqlalchemy import select

from artme_cop.identity import service as identity
from artme_cop.identity.models import CohortMembership, Invitation, Person, RoleAssignment
from artme_cop.moderation.models import AuditEntry
from tests.conftest import make_client
from tests.factories import World
from tests.support import MutableClock, RecordingMailer, csrf_from, sign_in, snapshot, soup, text_of

INVITEE = "new.person@alder.example.edu"
INVITEE_NAME = "Robin Newcomer"
INVITEE_PASSWORD = "Quiet river 93 meadows"


async def people_with_email(app: Any, email: str) -> list[Person]:
    async with app.state.uow() as uow:
        return list((await uow.session.execute(select(Person).where(Person.email == email))).scalars())


async def invitations_to(app: Any, email: str) -> list[Invitation]:
    async with app.state.uow() as uow:
        return list((await uow.session.execute(select(Invitation).where(Invitation.email == email))).scalars())


def path_of(link: str) -> str:
    return urlsplit(link).path


async def submit_invitation(http: httpx.AsyncClient, **fields: str) -> httpx.Response:
    """Fill in the invitation form as a browser would: the token from the page, the fields given."""
    page = await http.get("/admin/invitations")
    assert page.status_code == 200
    return await http.post("/admin/invitations", data={**fields, "csrf_token": csrf_from(page)})


def invite_fields(world: World, **overrides: str) -> dict[str, str]:
    fields = {
        "email": INVITEE,
        "institution_id": str(world.institution_a.id),
        "cohort_id": str(world.cohort_a1.id),
        "role": "participant",
        "constituency": "student",
    }
    fields.update(overrides)
    return fields


async def cli_invitation(app: Any, world: World, email: str = INVITEE, *, institution: str = "a") -> tuple[Invitation, str]:
    """An invitation made outside HTTP (as the CLI does), returning the row and the link."""
    institution_id = world.institution_a.id if institution == "a" else world.institution_b.id
    cohort_id = world.cohort_a1.id if institution == "a" else world.cohort_b1.id
    async with app.state.uow() as uow:
        return await identity.invite(uow, None, email=email, institution_id=institution_id, cohort_id=cohort_id, role="participant", constituency="student")


async def accept(http: httpx.AsyncClient, link: str, *, name: str = INVITEE_NAME, password: str = INVITEE_PASSWORD) -> httpx.Response:
    page = await http.get(path_of(link))
    token = csrf_from(page) if page.status_code == 200 else csrf_from(await http.get("/login"))
    return await http.post(path_of(link), data={"display_name": name, "pronouns": "they/them", "password": password, "csrf_token": token})


def alert_text(response: httpx.Response) -> str:
    alert = soup(response).find(attrs={"role": "alert"})
    assert alert is not None, response.text
    return alert.get_text(" ", strip=True)


# --- sending and accepting -------------------------------------------------------------------------


async def test_admin_invitation_mailed_with_link(app: Any, client: httpx.AsyncClient, world: World, mailer: RecordingMailer) -> None:
    """The admin's form stores a pending invitation, shows the link once, and mails it."""
    await sign_in(client, world.admin.email)

    response = await submit_invitation(client, **invite_fields(world))

    assert response.status_code == 200
    shown = soup(response).find("a", id="invitation-link")
    assert shown is not None
    link = str(shown["href"])
    assert link.startswith("http://testserver/invitations/")
    [mail] = mailer.sent
    assert mail.to == INVITEE
    assert link in mail.body
    assert mailer.links() == [link]
    assert world.institution_a.name in mail.body and world.cohort_a1.name in mail.body
    [invitation] = await invitations_to(app, INVITEE)
    # SEC-A7: the link names a random public id (192 bits), not the row id
    assert len(invitation.public_id) >= 32
    assert path_of(link) != f"/invitations/{invitation.id}"
    assert invitation.invited_by_id == world.admin.id
    assert (invitation.institution_id, invitation.cohort_id, invitation.role, invitation.constituency) == (world.institution_a.id, world.cohort_a1.id, "participant", "student")


async def test_accepting_invitation_creates_account_in_institution_cohort_and_role(app: Any, client: httpx.AsyncClient, world: World, mailer: RecordingMailer) -> None:
    """Accepting creates the person in the invitation's institution, cohort (with its
    constituency) and role, uses the invitation up, and signs the person in."""
    await sign_in(client, world.admin.email)
    await submit_invitation(client, **invite_fields(world))
    [link] = mailer.links()

    async with make_client(app) as invitee:
        page = await invitee.get(path_of(link))
        assert page.status_code == 200
        form = soup(page).find("form", attrs={"action": path_of(link)})
        assert form is not None
        assert {i["name"] for i in form.find_all("input")} >= {"csrf_token", "display_name", "pronouns", "password"}

        response = await accept(invitee, link)

        assert response.status_code == 303
        assert response.headers["location"] == "/"
        home = await invitee.get("/")
        assert home.status_code == 200
        assert f"Signed in as {INVITEE_NAME}" in text_of(home)
        assert f"Cohort {world.cohort_a1.name} (wave 1), as student" in text_of(home)

    [person] = await people_with_email(app, INVITEE)
    assert person.display_name == INVITEE_NAME
    assert person.institution_id == world.institution_a.id
    async with app.state.uow() as uow:
        memberships = (await uow.session.execute(select(CohortMembership).where(CohortMembership.person_id == person.id))).scalars().all()
        roles = (await uow.session.execute(select(RoleAssignment).where(RoleAssignment.person_id == person.id))).scalars().all()
    assert [(m.cohort_id, m.constituency) for m in memberships] == [(world.cohort_a1.id, "student")]
    assert [(r.role, r.institution_id, r.cohort_id, r.granted_by_id) for r in roles] == [("participant", world.institution_a.id, world.cohort_a1.id, world.admin.id)]
    [invitation] = await invitations_to(app, INVITEE)
    assert invitation.accepted_at is not None and invitation.accepted_person_id == person.id


# --- links that no longer work ---------------------------------------------------------------------------


async def _unusable(app: Any, client: httpx.AsyncClient, link: str, before: dict[str, list[tuple[object, ...]]]) -> str:
    """GET and POST the link: both 400 with the same message, and nothing is stored."""
    page = await client.get(path_of(link))
    assert page.status_code == 400
    assert soup(page).find("form", attrs={"action": path_of(link)}) is None
    message = alert_text(page)

    response = await accept(client, link)
    assert response.status_code == 400
    assert alert_text(response) == message
    assert await snapshot(app) == before
    assert (await client.get("/me")).status_code == 303  # not signed in
    return message


async def test_expired_invitation_refused(app: Any, client: httpx.AsyncClient, world: World, clock: MutableClock) -> None:
    _invitation, link = await cli_invitation(app, world)
    clock.advance(days=15)
    before = await snapshot(app)

    message = await _unusable(app, client, link, before)

    assert message == "This invitation has expired. Ask the person who invited you for a new one."
    assert await people_with_email(app, INVITEE) == []


async def test_invitation_still_usable_just_before_expiry(client: httpx.AsyncClient, app: Any, world: World, clock: MutableClock) -> None:
    """Control for expiry: a day before the 14 days are up the link still works."""
    _invitation, link = await cli_invitation(app, world)
    clock.advance(days=13)
    assert (await accept(client, link)).status_code == 303


async def test_reused_invitation_refused(app: Any, client: httpx.AsyncClient, world: World) -> None:
    _invitation, link = await cli_invitation(app, world)
    async with make_client(app) as first:
        assert (await accept(first, link)).status_code == 303
    before = await snapshot(app)

    message = await _unusable(app, client, link, before)

    assert message == "This invitation has been used already. Sign in with the account it created."
    assert len(await people_with_email(app, INVITEE)) == 1


def _tampered(link: str, position: int) -> str:
    token = path_of(link).rsplit("/", 1)[1]
    index = position % len(token)
    replacement = "A" if token[index] != "A" else "B"
    return "http://testserver/invitations/" + token[:index] + replacement + token[index + 1 :]


@pytest.mark.parametrize("position", [0, 5, -5], ids=["first-char", "payload-char", "signature-char"])
async def test_tampered_invitation_refused(app: Any, client: httpx.AsyncClient, world: World, position: int) -> None:
    _invitation, link = await cli_invitation(app, world)
    before = await snapshot(app)

    message = await _unusable(app, client, _tampered(link, position), before)

    assert message == identity.INVALID_LINK
    assert await people_with_email(app, INVITEE) == []
    # the genuine link was not spent by the attempts
    assert (await accept(client, link)).status_code == 303


async def test_revoked_invitation_refused(app: Any, client: httpx.AsyncClient, world: World) -> None:
    invitation, link = await cli_invitation(app, world)
    async with make_client(app) as admin:
        await sign_in(admin, world.admin.email)
        page = await admin.get("/admin/invitations")
        form = soup(page).find("form", attrs={"action": f"/admin/invitations/{invitation.id}/revoke"})
        assert form is not None
        response = await admin.post(form["action"], data={"csrf_token": csrf_from(page)})
        assert response.status_code == 303
    before = await snapshot(app)

    message = await _unusable(app, client, link, before)

    assert message == "This invitation was withdrawn. Ask the person who invited you."
    assert await people_with_email(app, INVITEE) == []


# --- who may invite whom ------------------------------------------------------------------------------------


async def test_lead_can_invite_into_own_institution(app: Any, client: httpx.AsyncClient, world: World, mailer: RecordingMailer) -> None:
    await sign_in(client, world.lead_a.email)

    response = await submit_invitation(client, **invite_fields(world, role="facilitator"))

    assert response.status_code == 200
    [invitation] = await invitations_to(app, INVITEE)
    assert (invitation.institution_id, invitation.role, invitation.invited_by_id) == (world.institution_a.id, "facilitator", world.lead_a.id)
    assert [mail.to for mail in mailer.sent] == [INVITEE]


async def test_lead_cannot_invite_into_other_institution(app: Any, client: httpx.AsyncClient, world: World, mailer: RecordingMailer) -> None:
    """SEC-A4: B looks like a missing institution to A's lead; nothing is stored or mailed."""
    await sign_in(client, world.lead_a.email)
    page = await client.get("/admin/invitations")
    offered = {option["value"] for option in soup(page).find("select", id="institution_id").find_all("option")}
    assert offered == {str(world.institution_a.id)}
    before = await snapshot(app)

    response = await client.post(
        "/admin/invitations", data={**invite_fields(world, institution_id=str(world.institution_b.id), cohort_id=str(world.cohort_b1.id)), "csrf_token": csrf_from(page)}
    )

    assert response.status_code == 404
    assert await snapshot(app) == before
    assert mailer.sent == []


@pytest.mark.parametrize("role", ["coach", "institution_lead", "program_admin"])
async def test_lead_cannot_invite_program_appointments(app: Any, client: httpx.AsyncClient, world: World, mailer: RecordingMailer, role: str) -> None:
    """policy.LEAD_GRANTABLE_ROLES: a lead invites participants, coalition members and
    facilitators only; the form offers no more, and a forged choice is refused."""
    await sign_in(client, world.lead_a.email)
    page = await client.get("/admin/invitations")
    offered = {option["value"] for option in soup(page).find("select", id="role").find_all("option")}
    assert offered == {"participant", "coalition_member", "facilitator"}
    before = await snapshot(app)

    response = await client.post("/admin/invitations", data={**invite_fields(world, role=role), "csrf_token": csrf_from(page)})

    assert response.status_code == 403
    assert await snapshot(app) == before
    assert mailer.sent == []


async def test_admin_form_offers_every_role_but_program_admin(client: httpx.AsyncClient, world: World) -> None:
    await sign_in(client, world.admin.email)
    page = await client.get("/admin/invitations")
    offered = {option["value"] for option in soup(page).find("select", id="role").find_all("option")}
    assert offered == {"participant", "coalition_member", "facilitator", "coach", "institution_lead"}


# --- validation -------------------------------------------------------------------------------------------------


INVALID = [
    pytest.param({"email": "not-an-email"}, "email", "Enter a valid email address", id="invalid-email"),
    pytest.param({"cohort_id": "987654"}, "cohort_id", "Choose a cohort of this institution.", id="unknown-cohort"),
    pytest.param({"cohort_id": "B1"}, "cohort_id", "Choose a cohort of this institution.", id="cohort-of-other-institution"),
    pytest.param({"cohort_id": ""}, "cohort_id", "A participant belongs to a cohort: choose one.", id="cohort-role-without-cohort"),
    pytest.param({"role": "superuser"}, "role", "Choose one of the listed roles.", id="unknown-role"),
    pytest.param({"constituency": "alien"}, "constituency", "Choose one of the listed constituencies.", id="unknown-constituency"),
]


@pytest.mark.parametrize(("overrides", "field", "message"), INVALID)
async def test_invalid_invitation_refused_with_field_error(
    app: Any, client: httpx.AsyncClient, world: World, mailer: RecordingMailer, overrides: dict[str, str], field: str, message: str
) -> None:
    """400, the error tied to its input (aria-invalid, aria-describedby → the message), the
    other inputs not marked, and nothing stored or mailed."""
    if overrides.get("cohort_id") == "B1":
        overrides = {"cohort_id": str(world.cohort_b1.id)}
    await sign_in(client, world.admin.email)
    page = await client.get("/admin/invitations")
    before = await snapshot(app)

    response = await client.post("/admin/invitations", data={**invite_fields(world, **overrides), "csrf_token": csrf_from(page)})

    assert response.status_code == 400
    form = soup(response).find("form", attrs={"action": "/admin/invitations"})
    control = form.find(id=field)
    assert control is not None
    assert control.get("aria-invalid") == "true"
    described = form.find(id=control["aria-describedby"])
    assert described is not None and message in described.get_text(strip=True)
    marked = [element["id"] for element in form.find_all(attrs={"aria-invalid": "true"})]
    assert marked == [field]
    assert await snapshot(app) == before
    assert mailer.sent == []


async def test_second_pending_invitation_refused_with_email_error(app: Any, client: httpx.AsyncClient, world: World, mailer: RecordingMailer) -> None:
    """One pending invitation per address and institution: a second is a 400 on the email field."""
    await cli_invitation(app, world)
    mailer.sent.clear()
    await sign_in(client, world.admin.email)
    before = await snapshot(app)

    response = await submit_invitation(client, **invite_fields(world))

    assert response.status_code == 400
    email = soup(response).find("input", id="email")
    assert email.get("aria-invalid") == "true"
    assert "pending invitation" in soup(response).find(id="email-error").get_text()
    assert await snapshot(app) == before
    assert mailer.sent == []


async def test_invalid_invitation_keeps_what_was_typed(client: httpx.AsyncClient, world: World) -> None:
    """The form comes back with the person's entries, so they fix one field, not all."""
    await sign_in(client, world.admin.email)
    response = await submit_invitation(client, **invite_fields(world, cohort_id="", role="participant"))
    form = soup(response).find("form", attrs={"action": "/admin/invitations"})
    assert form.find("input", id="email")["value"] == INVITEE
    assert form.find("select", id="role").find("option", selected=True)["value"] == "participant"
    assert form.find("select", id="constituency").find("option", selected=True)["value"] == "student"


# --- the list and the audit log ---------------------------------------------------------------------------------


def invitation_rows(response: httpx.Response) -> dict[str, dict[str, str]]:
    table = soup(response).find("section", attrs={"aria-labelledby": "sent-heading"}).find("table")
    assert table is not None
    rows = {}
    for tr in table.find("tbody").find_all("tr"):
        email, where, role, inviter, _sent, status, _actions = (td.get_text(" ", strip=True) for td in tr.find_all("td"))
        rows[email] = {"where": where, "role": role, "inviter": inviter, "status": status}
    return rows


async def test_invitations_list_shows_inviter_and_status(app: Any, client: httpx.AsyncClient, world: World, clock: MutableClock, mailer: RecordingMailer) -> None:
    """Who invited whom and where each invitation stands; a lead sees their school's only."""
    await cli_invitation(app, world, "expired@alder.example.edu")
    clock.advance(days=15)
    revoked, _link = await cli_invitation(app, world, "revoked@alder.example.edu")
    await cli_invitation(app, world, "someone@birch.example.edu", institution="b")
    await sign_in(client, world.admin.email)
    await submit_invitation(client, **invite_fields(world, email="accepted@alder.example.edu"))
    assert mailer.sent[-1].to == "accepted@alder.example.edu"
    accepted_link = mailer.links()[-1]
    async with make_client(app) as lead:
        await sign_in(lead, world.lead_a.email)
        await submit_invitation(lead, **invite_fields(world, email="pending@alder.example.edu", cohort_id=str(world.cohort_a2.id), role="facilitator", constituency="faculty"))
    async with make_client(app) as invitee:
        assert (await accept(invitee, accepted_link)).status_code == 303
    page = await client.get("/admin/invitations")
    form = soup(page).find("form", attrs={"action": f"/admin/invitations/{revoked.id}/revoke"})
    assert (await client.post(form["action"], data={"csrf_token": csrf_from(page)})).status_code == 303

    rows = invitation_rows(await client.get("/admin/invitations"))

    a, b = world.institution_a.name, world.institution_b.name
    assert rows == {
        "expired@alder.example.edu": {"where": f"{a}, {world.cohort_a1.name}", "role": "Participant", "inviter": "Program team (CLI)", "status": "expired"},
        "revoked@alder.example.edu": {"where": f"{a}, {world.cohort_a1.name}", "role": "Participant", "inviter": "Program team (CLI)", "status": "revoked"},
        "someone@birch.example.edu": {"where": f"{b}, {world.cohort_b1.name}", "role": "Participant", "inviter": "Program team (CLI)", "status": "pending"},
        "accepted@alder.example.edu": {"where": f"{a}, {world.cohort_a1.name}", "role": "Participant", "inviter": world.admin.display_name, "status": "accepted"},
        "pending@alder.example.edu": {"where": f"{a}, {world.cohort_a2.name}", "role": "Facilitator", "inviter": world.lead_a.display_name, "status": "pending"},
    }
    async with make_client(app) as lead:
        await sign_in(lead, world.lead_a.email)
        lead_rows = invitation_rows(await lead.get("/admin/invitations"))
    assert set(lead_rows) == set(rows) - {"someone@birch.example.edu"}


async def test_invitation_lifecycle_recorded_in_audit_log(app: Any, client: httpx.AsyncClient, world: World, mailer: RecordingMailer) -> None:
    """invitation_created, invitation_revoked and invitation_accepted entries name the actor,
    the institution and the invitation."""
    await sign_in(client, world.admin.email)
    await submit_invitation(client, **invite_fields(world))
    await submit_invitation(client, **invite_fields(world, email="withdrawn@alder.example.edu"))
    [kept] = await invitations_to(app, INVITEE)
    [withdrawn] = await invitations_to(app, "withdrawn@alder.example.edu")
    page = await client.get("/admin/invitations")
    assert (await client.post(f"/admin/invitations/{withdrawn.id}/revoke", data={"csrf_token": csrf_from(page)})).status_code == 303
    async with make_client(app) as invitee:
        assert (await accept(invitee, mailer.links()[0])).status_code == 303
    [person] = await people_with_email(app, INVITEE)

    async with app.state.uow() as uow:
        entries = (
            await uow.session.execute(select(AuditEntry).where(AuditEntry.action.like("invitation_%")).order_by(AuditEntry.id))
        ).scalars().all()
    assert [(e.action, e.actor_id, e.institution_id, e.target_kind, e.target_id) for e in entries] == [
        ("invitation_created", world.admin.id, world.institution_a.id, "invitation", kept.id),
        ("invitation_created", world.admin.id, world.institution_a.id, "invitation", withdrawn.id),
        ("invitation_revoked", world.admin.id, world.institution_a.id, "invitation", withdrawn.id),
        ("invitation_accepted", person.id, world.institution_a.id, "invitation", kept.id),
    ]

    async with make_client(app) as lead:
        await sign_in(lead, world.lead_a.email)
        audit_page = soup(await lead.get("/moderation/audit"))
    actions = [tr.find_all("td")[2].get_text(strip=True) for tr in audit_page.find("tbody").find_all("tr")]
    assert actions[:4] == ["invitation accepted", "invitation revoked", "invitation created", "invitation created"]
