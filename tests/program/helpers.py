"""Helpers of the program tests: a sphere of school A with its two co-leads (A's lead and its
coalition member), a target with its Accountable, a win against it, and its sharing, all made
through the real service intents."""

from __future__ import annotations

from datetime import date
from typing import Any

from artme_cop.identity import service as identity
from artme_cop.identity.models import Person, Role
from artme_cop.policy import Actor
from artme_cop.program.coalition import service as coalition
from artme_cop.program.wins import service as wins
from artme_cop.unit_of_work import UnitOfWork
from tests.factories import World

ALL_CHECKS = list(wins.CHECKLIST)


async def actor_of(uow: UnitOfWork, person: Person) -> Actor:
    [actor] = await identity.actors_for(uow, [person.id])
    return actor


async def grant_coalition(app: Any, person: Person) -> None:
    """Make `person` a coalition member of their school (as its lead would)."""
    async with app.state.uow() as uow:
        identity._apply_grant(uow, person.id, Role.COALITION_MEMBER, person.institution_id, None, granted_by=None)


async def make_sphere(app: Any, world: World, *, name: str = "Curriculum and assessment") -> int:
    async with app.state.uow() as uow:
        lead = await actor_of(uow, world.lead_a)
        sphere = await coalition.create_sphere(
            uow, lead, world.institution_a.id, name=name, description="", co_leads=[str(world.lead_a.id), str(world.coalition_a.id)],
            term_starts_on="2026-09-01", term_ends_on="2027-08-31",
        )
        return sphere.id


async def make_target(app: Any, world: World, sphere_id: int, *, by: Person | None = None, specific: str = "Clerkship evaluations use the revised rubric") -> int:
    async with app.state.uow() as uow:
        author = await actor_of(uow, by or world.lead_a)
        fields = coalition.clean_target(specific=specific, measure="Share of evaluations on the new rubric", baseline="0", target_value="80", unit="percent", due_on="2027-06-30")
        target = await coalition.create_target(uow, author, sphere_id, fields, accountable=str(world.lead_a.id))
        return target.id


async def make_win(app: Any, world: World, target_id: int, *, title: str = "First rubric pilot finished", evidence: str = "Twelve evaluations used the revised rubric.", credited: tuple[Person, ...] = ()) -> int:
    async with app.state.uow() as uow:
        recorder = await actor_of(uow, world.coalition_a)
        win = await wins.record_win(
            uow, recorder, world.institution_a.id, against=f"target:{target_id}", title=title, evidence=evidence, theme="assessment", phase="3",
            credited=[str(p.id) for p in credited],
        )
        return win.id


async def share(app: Any, world: World, win_id: int, choice: str, *, check: bool = True) -> str:
    """Complete the checklist (as the coalition member) and make the lead's choice; the public id."""
    async with app.state.uow() as uow:
        if check:
            await wins.save_checklist(uow, await actor_of(uow, world.coalition_a), win_id, ticked=ALL_CHECKS)
        win = await wins.choose_sharing(uow, await actor_of(uow, world.lead_a), win_id, choice=choice)
        return win.public_id


async def consent(app: Any, person: Person, win_id: int, answer: str = "given") -> None:
    async with app.state.uow() as uow:
        await wins.respond_to_credit(uow, await actor_of(uow, person), win_id, consent=answer)


TODAY = date(2026, 11, 28)


async def make_partner(app: Any, world: World, *, cohort_id: int | None = None) -> tuple[int, int]:
    """A boundary partner of school A with one "expect to see" marker: (partner id, marker id)."""
    from artme_cop.program.outcomes import service as outcomes

    async with app.state.uow() as uow:
        lead = await actor_of(uow, world.lead_a)
        partner = await outcomes.add_partner(
            uow, lead, world.institution_a.id, name="Clerkship directors", description="", outcome_challenge="Directors review evaluations for biased language.", cohort_id=str(cohort_id or "")
        )
        marker = await outcomes.add_marker(uow, lead, partner.id, level="expect", description="Directors attend the rubric workshop")
        return partner.id, marker.id


async def add_step(app: Any, world: World, target_id: int) -> int:
    async with app.state.uow() as uow:
        step = await coalition.add_step(uow, await actor_of(uow, world.lead_a), target_id, description="Draft the rubric", owner=str(world.coalition_a.id), due_on="2027-01-31")
        return step.id
