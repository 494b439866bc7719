"""Registering teams: the school's lead, or a unit manager the lead named, registers a team
through the form; everyone else is refused and nothing is stored (SEC-A4, SEC-B8, SEC-J1);
the team's channel is closed to outsiders on the WebSocket as well (SEC-F3)."""

from __future__ import annotations

from typing import Callable

from sqlalchemy import select
from starlette.testclient import TestClient

from artme_cop.labs.models import LabTeam, LabTeamMember
from artme_cop.moderation.models import AuditEntry
from tests.factories import World
from tests.labs.conftest import Team, form_post, run
from tests.realtime.conftest import signed_in
from tests.realtime.test_gateway import Socket, connect


def team_form(world: World, **overrides: object) -> list[tuple[str, str]]:
    fields = {
        "institution": str(world.institution_a.id), "name": "Alder Clinic", "unit": "Ambulatory care", "purpose": "Equitable access",
        "members": [str(world.student_a.id), str(world.faculty_a.id)], "leads": [str(world.faculty_a.id)], "facilitator": str(world.facilitator_a.id),
    }
    fields.update(overrides)
    return [(key, v) for key, value in fields.items() for v in (value if isinstance(value, list) else [value])]  # type: ignore[union-attr]


async def _teams(uow: object) -> list[tuple[str, int]]:
    return [tuple(r) for r in (await uow.session.execute(select(LabTeam.name, LabTeam.created_by_id))).all()]  # type: ignore[attr-defined]


def test_the_school_lead_registers_a_team(live_app: TestClient, make_client: Callable[[str], TestClient], world: World) -> None:
    lead = signed_in(live_app, world.lead_a.email)
    assert lead.get("/labs/teams/new").status_code == 200
    # SEC-B8: a forged creator or institution of another school is not taken from the form
    response = form_post(lead, "/labs/teams", [*team_form(world), ("created_by_id", str(world.admin.id))])
    assert response.status_code == 303
    team_id = int(response.headers["location"].rsplit("/", 1)[1])
    assert run(live_app, _teams) == [("Alder Clinic", world.lead_a.id)]
    assert lead.get(response.headers["location"]).status_code == 404  # registering is not reading
    assert make_client(world.student_a.email).get(response.headers["location"]).status_code == 200

    async def audit(uow: object) -> list[str]:
        return list((await uow.session.execute(select(AuditEntry.action).where(AuditEntry.target_id == team_id))).scalars())  # type: ignore[attr-defined]

    assert run(live_app, audit) == ["lab_team_registered"]


def test_others_cannot_register_and_bad_forms_store_nothing(live_app: TestClient, make_client: Callable[[str], TestClient], world: World) -> None:
    for email in (world.student_a.email, world.admin.email, world.facilitator_a.email):
        assert form_post(make_client(email), "/labs/teams", team_form(world)).status_code == 403
    assert form_post(make_client(world.lead_b.email), "/labs/teams", team_form(world)).status_code == 403
    lead = signed_in(live_app, world.lead_a.email)
    for bad in (
        team_form(world, name=""),
        team_form(world, name="x" * 121),
        team_form(world, name="Team\u202eevil"),
        team_form(world, members=[]),
        team_form(world, leads=[str(world.lead_b.id)]),
        team_form(world, members=[str(world.participant_b.id)], leads=[str(world.participant_b.id)]),  # another school's person
        team_form(world, facilitator="abc"),
        team_form(world, facilitator=str(world.participant_b.id)),
        team_form(world, institution="99999"),
        team_form(world, members=["1e3"]),
    ):
        assert form_post(lead, "/labs/teams", bad).status_code == 400, bad
    assert run(live_app, _teams) == []

    async def members(uow: object) -> int:
        return len((await uow.session.execute(select(LabTeamMember))).all())  # type: ignore[attr-defined]

    assert run(live_app, members) == 0


def test_a_named_unit_manager_registers_teams(live_app: TestClient, make_client: Callable[[str], TestClient], world: World) -> None:
    manager = make_client(world.participant_a2.email)
    assert form_post(manager, "/labs/teams", team_form(world)).status_code == 403
    lead = signed_in(live_app, world.lead_a.email)
    assert form_post(manager, f"/labs/institutions/{world.institution_a.id}/managers", {"person": str(world.participant_a2.id)}).status_code == 403
    assert form_post(lead, f"/labs/institutions/{world.institution_a.id}/managers", {"person": str(world.participant_b.id)}).status_code == 400
    assert form_post(lead, f"/labs/institutions/{world.institution_a.id}/managers", {"person": str(world.participant_a2.id)}).status_code == 303
    assert form_post(lead, f"/labs/institutions/{world.institution_a.id}/managers", {"person": str(world.participant_a2.id)}).status_code == 409
    assert form_post(manager, "/labs/teams", team_form(world)).status_code == 303
    assert run(live_app, _teams) == [("Alder Clinic", world.participant_a2.id)]


def test_outsiders_cannot_subscribe_to_a_team_channel(live_app: TestClient, make_client: Callable[[str], TestClient], world: World, team: Team) -> None:
    """SEC-F3: the school's lead and a program admin get not_found on subscribe and send; a
    canary posted meanwhile reaches the member only."""
    signed_in(live_app, world.student_a.email)
    with connect(live_app) as m_ws, connect(make_client(world.lead_a.email)) as l_ws, connect(make_client(world.admin.email)) as a_ws:
        member, school_lead, admin = Socket(m_ws), Socket(l_ws), Socket(a_ws)
        assert member.request({"type": "subscribe", "conversation": team.conversation})["type"] == "ack"
        for outsider in (school_lead, admin):
            refused = outsider.request({"type": "subscribe", "conversation": team.conversation})
            assert (refused["type"], refused["code"]) == ("error", "not_found")
            sent = outsider.request({"type": "send", "conversation": team.conversation, "client_msg_id": "o1", "body": "let me in"})
            assert (sent["type"], sent["code"]) == ("error", "not_found")
        assert member.request({"type": "send", "conversation": team.conversation, "client_msg_id": "m1", "body": "canary-ws"})["type"] == "ack"
        assert member.next("message")["data"]["html"] == "<p>canary-ws</p>"
        for outsider in (school_lead, admin):
            assert outsider.request({"type": "ping"})["type"] == "ack"
            assert all("canary" not in str(frame) for frame in outsider.backlog)


def test_roster_removal_drops_open_sockets_at_once(live_app: TestClient, make_client: Callable[[str], TestClient], world: World, team: Team) -> None:
    """SEC-A5/SEC-F5: the school's lead takes the student off the team; their open socket is
    unsubscribed from every team channel at once and hears nothing posted afterwards."""
    signed_in(live_app, world.student_a.email)
    lead = make_client(world.faculty_a.email)
    with connect(live_app) as s_ws, connect(lead) as l_ws:
        student, teammate = Socket(s_ws), Socket(l_ws)
        assert student.request({"type": "subscribe", "conversation": team.conversation})["type"] == "ack"
        assert teammate.request({"type": "subscribe", "conversation": team.conversation})["type"] == "ack"
        fields = [("members", str(world.faculty_a.id)), ("leads", str(world.faculty_a.id)), ("facilitator", str(world.facilitator_a.id))]
        assert form_post(make_client(world.lead_a.email), f"/labs/teams/{team.id}/roster", fields).status_code == 303
        assert student.next("unsubscribed") == {"type": "unsubscribed", "conversation": team.conversation, "reason": "no_access"}
        assert teammate.request({"type": "send", "conversation": team.conversation, "client_msg_id": "after", "body": "canary-after-removal"})["type"] == "ack"
        assert student.request({"type": "ping"})["type"] == "ack"
        assert all("canary-after-removal" not in str(frame) for frame in student.backlog)
        again = student.request({"type": "subscribe", "conversation": team.conversation})
        assert (again["type"], again["code"]) == ("error", "not_found")
