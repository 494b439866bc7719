"""Read functions of the coalition package. No permission checks here: the service applies them."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from artme_cop.identity.models import Person
from artme_cop.program.coalition.models import ChangeTarget, DarciEntry, MonitoringShare, PlanStep, Sphere, SphereMember


async def list_spheres(session: AsyncSession, institution_id: int) -> list[Sphere]:
    query = select(Sphere).where(Sphere.institution_id == institution_id).order_by(Sphere.name, Sphere.id)
    return list((await session.execute(query)).scalars())


async def list_members(session: AsyncSession, sphere_ids: list[int]) -> list[tuple[SphereMember, Person]]:
    if not sphere_ids:
        return []
    query = (
        select(SphereMember, Person)
        .join(Person, Person.id == SphereMember.person_id)
        .where(SphereMember.sphere_id.in_(sphere_ids))
        .order_by(SphereMember.is_co_lead.desc(), Person.display_name, Person.id)
    )
    return [(m, p) for m, p in (await session.execute(query)).all()]


async def list_targets(session: AsyncSession, *, sphere_id: int | None = None, institution_id: int | None = None) -> list[ChangeTarget]:
    query = select(ChangeTarget).order_by(ChangeTarget.due_on, ChangeTarget.id)
    if sphere_id is not None:
        query = query.where(ChangeTarget.sphere_id == sphere_id)
    if institution_id is not None:
        query = query.where(ChangeTarget.institution_id == institution_id)
    return list((await session.execute(query)).scalars())


async def list_steps(session: AsyncSession, target_ids: list[int]) -> list[PlanStep]:
    if not target_ids:
        return []
    query = select(PlanStep).where(PlanStep.target_id.in_(target_ids)).order_by(PlanStep.due_on, PlanStep.id)
    return list((await session.execute(query)).scalars())


async def list_grid(session: AsyncSession, target_id: int) -> list[DarciEntry]:
    query = select(DarciEntry).where(DarciEntry.target_id == target_id).order_by(DarciEntry.id)
    return list((await session.execute(query)).scalars())


async def school_people(session: AsyncSession, institution_id: int) -> list[Person]:
    query = select(Person).where(Person.institution_id == institution_id, Person.is_deleted.is_(False)).order_by(Person.display_name, Person.id)
    return list((await session.execute(query)).scalars())


async def get_share(session: AsyncSession, institution_id: int) -> MonitoringShare | None:
    return await session.get(MonitoringShare, institution_id)


async def sharing_institutions(session: AsyncSession) -> list[int]:
    query = select(MonitoringShare.institution_id).where(MonitoringShare.shares_aggregates.is_(True)).order_by(MonitoringShare.institution_id)
    return list((await session.execute(query)).scalars())


async def count_by(session: AsyncSession, column: object, where: object) -> dict[str, int]:
    """Rows per value of `column` under `where`, as {value: count}."""
    query = select(column, func.count()).where(where).group_by(column)  # type: ignore[call-overload]
    return {str(value): int(count) for value, count in (await session.execute(query)).all()}
