"""Helpers of the knowledge tests: a resource of school A posted by its coalition member and
driven through the cycle with the real service intents (the coach reviews content, A's
facilitator reviews safety)."""

from __future__ import annotations

import contextlib
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from artme_cop.app import create_app
from artme_cop.db import make_engine, make_sessionmaker
from artme_cop.identity import service as identity
from artme_cop.identity.models import Person
from artme_cop.knowledge import service as knowledge
from artme_cop.knowledge.cycle import State
from artme_cop.policy import Actor
from artme_cop.unit_of_work import UnitOfWork
from tests.factories import World, seed_world

CONTENT: dict[str, Any] = {
    "type": "tool",
    "title": "Bystander intervention pocket card",
    "summary": "A one-page card for the four Ds of bystander intervention.",
    "body": "# The four Ds\n\n1. Direct\n2. Distract\n3. Delegate\n4. Delay",
    "change_target": "Clerkship learning climate",
    "priority": "high",
    "tags": "bystander, climate",
    "phases": ["3"],
}
CONTEXT = {"conditions": "Worked after a grounding session with every clerkship director.", "when_not_to_use": "Not as a substitute for incident reporting."}


async def actor_of(uow: UnitOfWork, person: Person) -> Actor:
    [actor] = await identity.actors_for(uow, [person.id])
    return actor


async def make_resource(app: Any, world: World, *, by: Person | None = None, **overrides: Any) -> str:
    async with app.state.uow() as uow:
        content = knowledge.clean_content(**{**CONTENT, **overrides})
        resource = await knowledge.create_resource(uow, await actor_of(uow, by or world.coalition_a), content)
        return resource.public_id


async def move(app: Any, person: Person, public_id: str, move: str, **fields: Any) -> None:
    async with app.state.uow() as uow:
        await knowledge.transition(uow, await actor_of(uow, person), public_id, knowledge.clean_move(move=move, reason=fields.pop("reason", "a reason"), **fields))


async def submit(app: Any, world: World, public_id: str, *, by: Person | None = None) -> None:
    await move(app, by or world.coalition_a, public_id, "submit", content_reviewer=str(world.coach.id), safety_reviewer=str(world.facilitator_a.id))


async def review(app: Any, person: Person, public_id: str, role: str, decision: str, comments: str = "") -> None:
    async with app.state.uow() as uow:
        await knowledge.decide_review(uow, await actor_of(uow, person), public_id, role=role, decision=decision, comments=comments)


async def accept_both(app: Any, world: World, public_id: str) -> None:
    await review(app, world.coach, public_id, "content", "accept")
    await review(app, world.facilitator_a, public_id, "safety", "accept")


async def add_context(app: Any, world: World, public_id: str) -> None:
    async with app.state.uow() as uow:
        await knowledge.contextualize(uow, await actor_of(uow, world.coalition_a), public_id, contact=str(world.coalition_a.id), **CONTEXT)


async def state_of(app: Any, public_id: str) -> str:
    async with app.state.uow(read_only=True) as uow:
        resource = await knowledge.queries.get_resource(uow.session, public_id)
        assert resource is not None
        return resource.state


# The path to each state, as (person attribute, step) pairs after posting.
async def resource_in(app: Any, world: World, state: State, *, attribution: str = "named", **overrides: Any) -> str:
    """A resource of school A brought to `state` through the real cycle."""
    public_id = await make_resource(app, world, **overrides)
    if state is State.DRAFT:
        return public_id
    await submit(app, world, public_id)
    if state is State.IN_ASSESSMENT:
        return public_id
    if state is State.RETIRED:
        await review(app, world.facilitator_a, public_id, "safety", "decline", "Names a patient.")
        return public_id
    await accept_both(app, world, public_id)
    if state is State.CONTEXTUALIZING:
        return public_id
    await add_context(app, world, public_id)
    await move(app, world.coalition_a, public_id, "share_institution")
    if state is State.SHARED_INSTITUTION:
        return public_id
    await move(app, world.lead_a, public_id, "propose_program", attribution=attribution)
    if state is State.PROPOSED_PROGRAM:
        return public_id
    await move(app, world.admin, public_id, "publish_program")
    if state is State.SHARED_PROGRAM:
        return public_id
    await move(app, world.coalition_a, public_id, "mark_in_use")
    if state is State.IN_USE:
        return public_id
    await move(app, world.coalition_a, public_id, "flag_update", reason="Rubric changed.")
    assert state is State.UPDATE_DUE
    return public_id


@contextlib.asynccontextmanager
async def second_repository(template_database: str, folder: Path, clock: Any) -> AsyncIterator[Any]:
    """Another app on its own copy of the migrated SQLite template, seeded with the same world
    (the same people and schools), for export and import round trips."""
    from tests.conftest import make_settings

    path = folder / "other.db"
    shutil.copyfile(template_database, path)
    settings = make_settings(folder / "other", f"sqlite+aiosqlite:///{path}")
    engine = make_engine(settings.database_url)
    try:
        async with UnitOfWork(make_sessionmaker(engine), clock, settings) as uow:
            await seed_world(uow)
    finally:
        await engine.dispose()
    other = create_app(settings, clock=clock)
    try:
        yield other
    finally:
        await other.state.engine.dispose()
