"""Program fixtures: actors from the seeded world, extra cohort members for readiness
aggregates, and a session scheduler that goes through the real service."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from artme_cop.identity import service as identity
from artme_cop.identity.models import Cohort, Person, Role
from artme_cop.policy import Actor
from artme_cop.program.calendar import service as calendar
from artme_cop.unit_of_work import UnitOfWork
from tests.factories import make_person


async def actor_of(uow: UnitOfWork, person: Person) -> Actor:
    [actor] = await identity.actors_for(uow, [person.id])
    return actor


async def add_members(app: Any, cohort: Cohort, constituency: str, count: int, *, prefix: str) -> list[Person]:
    """`count` more participants of `cohort` with this constituency."""
    async with app.state.uow() as uow:
        school = await identity.queries.get_institution(uow.session, cohort.institution_id)
        return [
            await make_person(uow, f"{prefix}{n}@alder.example.edu", f"{prefix.title()} {n}", institution=school, cohort=cohort, constituency=constituency, roles=((Role.PARTICIPANT, cohort),))
            for n in range(count)
        ]


async def schedule(app: Any, person: Person, *, title: str, audience: str, cohorts: tuple[int, ...] = (), kind: str = "dialogue_framing", days: int = 3, phase: str = "") -> int:
    async with app.state.uow() as uow:
        actor = await actor_of(uow, person)
        day = (uow.clock.now() + timedelta(days=days)).date().isoformat()
        fields = calendar.clean_session(
            kind=kind, title=title, description="", phase=phase, day=day, start="14:00", end="15:30", zone="America/Chicago",
            place="Room 101", link="", audience=audience, cohort_ids=[str(c) for c in cohorts],
        )
        session = await calendar.schedule_session(uow, actor, fields)
        return session.id
