"""Lab state for the security tables (authorization matrix, CSRF): async builders on the
httpx-driven app. The team is Alder ED: the student (a member), the faculty member (member
and team lead), facilitated by A's facilitator; A's lead registered it."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from artme_cop.conversations import service as conversations
from artme_cop.identity import service as identity
from artme_cop.labs import progress, sessions
from artme_cop.labs import service as labs
from artme_cop.labs.models import LabChannel, Stage
from artme_cop.policy import Actor
from artme_cop.unit_of_work import UnitOfWork
from tests.factories import World

STAGE_ORDER = [s.value for s in Stage]


async def _actor(uow: UnitOfWork, person_id: int) -> Actor:
    [actor] = await identity.actors_for(uow, [person_id])
    return actor


async def team(app: Any, world: World, *, lead: int | None = None) -> int:
    """A fresh team; `lead` (when given) joins it as its team lead instead of the faculty member."""
    leader = lead or world.faculty_a.id
    async with app.state.uow() as uow:
        school_lead = await _actor(uow, world.lead_a.id)
        roster = labs.Roster(frozenset({world.student_a.id, leader}), frozenset({leader}), world.facilitator_a.id)
        made = await labs.register_team(uow, school_lead, institution_id=world.institution_a.id, name="Alder ED", unit="Emergency medicine", purpose="", roster=roster)
        return made.id


async def channel(app: Any, world: World, *, with_message: bool = False) -> int:
    """The general channel of a fresh team; with a first message by the student."""
    team_id = await team(app, world)
    async with app.state.uow() as uow:
        general = (await uow.session.execute(select(LabChannel).where(LabChannel.team_id == team_id))).scalar_one()
        if with_message:
            student = await _actor(uow, world.student_a.id)
            await conversations.post_message(uow, student, general.conversation_id, body="first lab message", client_msg_id="seed-lab-1")
        return general.id


async def session(app: Any, world: World, *, stage: str = "prework", team_id: int | None = None) -> int:
    """A session (of a fresh team unless given) with one question, moved on to `stage`."""
    team_id = team_id or await team(app, world)
    async with app.state.uow() as uow:
        facilitator = await _actor(uow, world.facilitator_a.id)
        made = await sessions.create_session(uow, facilitator, title="Bias to action", concept="Bystander intervention", prework="", exercise="Redesign handover.", team_ids=[str(team_id)])
        await sessions.add_question(uow, facilitator, made.id, prompt="Which?", options="A\nB\nC", correct="2")
        for next_stage in STAGE_ORDER[1 : STAGE_ORDER.index(stage) + 1]:
            await sessions.advance(uow, facilitator, made.id, to=next_stage)
        return made.id


async def question(app: Any, session_id: int) -> int:
    from artme_cop.labs import queries

    async with app.state.uow() as uow:
        return (await queries.questions(uow.session, session_id))[0].id


async def commitment(app: Any, world: World) -> int:
    team_id = await team(app, world)
    async with app.state.uow() as uow:
        student = await _actor(uow, world.student_a.id)
        made = await progress.add_commitment(uow, student, team_id, concept="Bystander intervention", job_function="Triage nurse", action="Name it when it happens.", owner=str(world.student_a.id), check_on="2027-01-15")
        return made.id


async def report(app: Any, world: World, *, team_id: int | None = None) -> int:
    team_id = team_id or await team(app, world)
    async with app.state.uow() as uow:
        student = await _actor(uow, world.student_a.id)
        made = await progress.add_success_report(uow, student, team_id, what_changed="Handover names interpreters.", evidence="Audit of 20 handovers.", reported_on="")
        return made.id


async def attachment(app: Any, world: World) -> str:
    """The download path of a small text file the student attached in a fresh team's channel."""
    from artme_cop.attachments.models import Attachment
    from artme_cop.attachments.service import Upload

    channel_id = await channel(app, world)
    async with app.state.uow() as uow:
        student = await _actor(uow, world.student_a.id)
        await labs.post(uow, student, channel_id, body="notes", client_msg_id="seed-attach", upload=Upload("notes.txt", b"triage notes\n"))
        public_id = (await uow.session.execute(select(Attachment.public_id))).scalar_one()
    return f"/attachments/{public_id}"
