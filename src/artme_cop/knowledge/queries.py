"""Reads of the knowledge repository: one resource with what the policy needs, its versions,
history, reviews and reports, and the faceted browse query. No permission decisions here:
callers pass the visibility clauses the policy builds."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime

from sqlalchemy import ColumnElement, exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from artme_cop.attachments.models import Attachment
from artme_cop.identity.models import Institution, Person
from artme_cop.knowledge.models import AppliedReport, Resource, ResourcePerson, ResourcePhase, ResourceTag, ResourceVersion, Review, Transition


def involves(resource_id: ColumnElement[int]) -> Callable[[int], ColumnElement[bool]]:
    """A builder for the policy: "person_id is an author, steward or reviewer of the resource"."""

    def clause(person_id: int) -> ColumnElement[bool]:
        person = exists().where(ResourcePerson.resource_id == resource_id, ResourcePerson.person_id == person_id)
        reviewer = exists().where(Review.resource_id == resource_id, Review.reviewer_id == person_id)
        return person | reviewer

    return clause


async def get_resource(session: AsyncSession, public_id: str) -> Resource | None:
    return (await session.execute(select(Resource).where(Resource.public_id == public_id))).scalar_one_or_none()


async def list_people(session: AsyncSession, resource_id: int) -> list[tuple[ResourcePerson, Person]]:
    query = select(ResourcePerson, Person).join(Person, Person.id == ResourcePerson.person_id).where(ResourcePerson.resource_id == resource_id).order_by(Person.display_name, ResourcePerson.role)
    return [(link, person) for link, person in (await session.execute(query)).all()]


async def reviewer_ids(session: AsyncSession, resource_id: int) -> set[int]:
    return set((await session.execute(select(Review.reviewer_id).where(Review.resource_id == resource_id))).scalars())


async def list_tags(session: AsyncSession, resource_ids: Sequence[int]) -> dict[int, list[str]]:
    found: dict[int, list[str]] = {rid: [] for rid in resource_ids}
    for rid, tag in (await session.execute(select(ResourceTag.resource_id, ResourceTag.tag).where(ResourceTag.resource_id.in_(list(resource_ids))).order_by(ResourceTag.tag))).all():
        found[rid].append(tag)
    return found


async def list_phases(session: AsyncSession, resource_ids: Sequence[int]) -> dict[int, list[int]]:
    found: dict[int, list[int]] = {rid: [] for rid in resource_ids}
    for rid, phase in (await session.execute(select(ResourcePhase.resource_id, ResourcePhase.phase).where(ResourcePhase.resource_id.in_(list(resource_ids))).order_by(ResourcePhase.phase))).all():
        found[rid].append(phase)
    return found


async def list_versions(session: AsyncSession, resource_id: int) -> list[ResourceVersion]:
    return list((await session.execute(select(ResourceVersion).where(ResourceVersion.resource_id == resource_id).order_by(ResourceVersion.number))).scalars())


async def list_history(session: AsyncSession, resource_id: int) -> list[tuple[Transition, Person | None]]:
    query = select(Transition, Person).outerjoin(Person, Person.id == Transition.actor_id).where(Transition.resource_id == resource_id).order_by(Transition.id)
    return [(row, person) for row, person in (await session.execute(query)).all()]


async def list_reviews(session: AsyncSession, resource_id: int) -> list[tuple[Review, Person]]:
    query = select(Review, Person).join(Person, Person.id == Review.reviewer_id).where(Review.resource_id == resource_id).order_by(Review.id)
    return [(review, person) for review, person in (await session.execute(query)).all()]


async def list_reports(session: AsyncSession, resource_id: int) -> list[tuple[AppliedReport, Person]]:
    query = select(AppliedReport, Person).join(Person, Person.id == AppliedReport.person_id).where(AppliedReport.resource_id == resource_id).order_by(AppliedReport.id)
    return [(report, person) for report, person in (await session.execute(query)).all()]


async def institution(session: AsyncSession, institution_id: int) -> Institution | None:
    return await session.get(Institution, institution_id)


async def school_people(session: AsyncSession, institution_id: int) -> list[Person]:
    query = select(Person).where(Person.institution_id == institution_id, Person.is_deleted.is_(False)).order_by(Person.display_name)
    return list((await session.execute(query)).scalars())


def like_pattern(text: str) -> str:
    """A LIKE pattern for a literal substring: `%`, `_` and the escape itself match only themselves (SEC-J2)."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


async def browse(session: AsyncSession, where: list[ColumnElement[bool]], *, limit: int, offset: int = 0) -> list[Resource]:
    query = select(Resource).where(*where).order_by(Resource.updated_at.desc(), Resource.id.desc()).limit(limit).offset(offset)
    return list((await session.execute(query)).scalars())


async def facet_values(session: AsyncSession, visible: ColumnElement[bool]) -> tuple[list[str], list[tuple[int, str]]]:
    """The tags of readable resources and the schools that readable resources come from (the
    caller narrows the schools to the ones the actor may know)."""
    tags = list((await session.execute(select(ResourceTag.tag).join(Resource, Resource.id == ResourceTag.resource_id).where(visible).distinct().order_by(ResourceTag.tag))).scalars())
    schools = (await session.execute(select(Institution.id, Institution.name).join(Resource, Resource.institution_id == Institution.id).where(visible).distinct().order_by(Institution.name))).all()
    return tags, [(sid, name) for sid, name in schools]


async def reports_count(session: AsyncSession, resource_ids: Sequence[int]) -> dict[int, int]:
    rows = (await session.execute(select(AppliedReport.resource_id, func.count()).where(AppliedReport.resource_id.in_(list(resource_ids))).group_by(AppliedReport.resource_id))).all()
    return {rid: count for rid, count in rows}


async def due_for_update(session: AsyncSession, states: Sequence[str], today: date) -> list[Resource]:
    query = select(Resource).where(Resource.state.in_(list(states)), Resource.review_due_on.is_not(None), Resource.review_due_on <= today).order_by(Resource.id)
    return list((await session.execute(query)).scalars())


async def reviews_to_remind(session: AsyncSession, due_before: datetime) -> list[tuple[Review, Resource]]:
    query = (
        select(Review, Resource)
        .join(Resource, Resource.id == Review.resource_id)
        .where(Review.decision == "pending", Review.reminded_at.is_(None), Review.due_at <= due_before, Resource.state == "in_assessment")
        .order_by(Review.id)
    )
    return [(review, resource) for review, resource in (await session.execute(query)).all()]


async def file_names(session: AsyncSession, resource_id: int) -> list[str]:
    """The names of a resource's files (they count as its words for partner attribution)."""
    query = select(Attachment.filename).where(Attachment.resource_id == resource_id)
    return list((await session.execute(query)).scalars())
