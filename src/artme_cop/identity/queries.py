"""Read functions of the identity package. No permission checks here: services apply them."""

from __future__ import annotations

from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from artme_cop.conversations.models import ConversationMember
from artme_cop.identity.models import Cohort, CohortMembership, Institution, Invitation, Person, RoleAssignment


async def get_person(session: AsyncSession, person_id: int) -> Person | None:
    return await session.get(Person, person_id)


async def get_people(session: AsyncSession, person_ids: set[int]) -> dict[int, Person]:
    if not person_ids:
        return {}
    rows = (await session.execute(select(Person).where(Person.id.in_(sorted(person_ids))))).scalars()
    return {person.id: person for person in rows}


def get_people_sync(session: Session, person_ids: set[int]) -> dict[int, Person]:
    """`get_people` in a synchronous session (the message write path runs in one)."""
    if not person_ids:
        return {}
    rows = session.execute(select(Person).where(Person.id.in_(sorted(person_ids)))).scalars()
    return {person.id: person for person in rows}


async def get_person_by_email(session: AsyncSession, email: str) -> Person | None:
    return (await session.execute(select(Person).where(Person.email == email))).scalar_one_or_none()


async def get_institution(session: AsyncSession, institution_id: int) -> Institution | None:
    return await session.get(Institution, institution_id)


async def get_cohort(session: AsyncSession, cohort_id: int) -> Cohort | None:
    return await session.get(Cohort, cohort_id)


async def get_invitation_by_public_id(session: AsyncSession, public_id: str) -> Invitation | None:
    query = select(Invitation).where(Invitation.public_id == public_id)
    return (await session.execute(query)).scalar_one_or_none()


def _role_assignments(person_id: int) -> Select[tuple[RoleAssignment]]:
    return select(RoleAssignment).where(RoleAssignment.person_id == person_id).order_by(RoleAssignment.id)


def _memberships(person_id: int) -> Select[tuple[CohortMembership, Cohort]]:
    return (
        select(CohortMembership, Cohort)
        .join(Cohort, Cohort.id == CohortMembership.cohort_id)
        .where(CohortMembership.person_id == person_id)
        .order_by(Cohort.id)
    )


async def list_role_assignments(session: AsyncSession, person_id: int) -> list[RoleAssignment]:
    return list((await session.execute(_role_assignments(person_id))).scalars())


def list_role_assignments_sync(session: Session, person_id: int) -> list[RoleAssignment]:
    return list(session.execute(_role_assignments(person_id)).scalars())


async def list_memberships(session: AsyncSession, person_id: int) -> list[tuple[CohortMembership, Cohort]]:
    return [(m, c) for m, c in (await session.execute(_memberships(person_id))).all()]


def list_memberships_sync(session: Session, person_id: int) -> list[tuple[CohortMembership, Cohort]]:
    return [(m, c) for m, c in session.execute(_memberships(person_id)).all()]


def _conversation_memberships(person_id: int) -> Select[tuple[int, bool]]:
    return select(ConversationMember.conversation_id, ConversationMember.is_moderator).where(ConversationMember.person_id == person_id)


async def list_conversation_memberships(session: AsyncSession, person_id: int) -> list[tuple[int, bool]]:
    """(conversation id, is moderator) of the members-scope conversations the person is in."""
    return [(c, bool(m)) for c, m in (await session.execute(_conversation_memberships(person_id))).all()]


def list_conversation_memberships_sync(session: Session, person_id: int) -> list[tuple[int, bool]]:
    return [(c, bool(m)) for c, m in session.execute(_conversation_memberships(person_id)).all()]


async def list_institutions(session: AsyncSession, where: ColumnElement[bool]) -> list[Institution]:
    query = select(Institution).where(where).order_by(Institution.name)
    return list((await session.execute(query)).scalars())


async def list_cohorts(session: AsyncSession, where: ColumnElement[bool]) -> list[Cohort]:
    query = select(Cohort).where(where).order_by(Cohort.institution_id, Cohort.name)
    return list((await session.execute(query)).scalars())


async def list_people(session: AsyncSession, where: ColumnElement[bool], *, after: int | None = None, limit: int = 100) -> list[Person]:
    query = select(Person).where(where, Person.is_deleted.is_(False)).order_by(Person.id).limit(limit)
    if after is not None:
        query = query.where(Person.id > after)
    return list((await session.execute(query)).scalars())


async def list_cohort_members(session: AsyncSession, cohort_id: int) -> list[tuple[Person, CohortMembership]]:
    query = (
        select(Person, CohortMembership)
        .join(CohortMembership, CohortMembership.person_id == Person.id)
        .where(CohortMembership.cohort_id == cohort_id, Person.is_deleted.is_(False))
        .order_by(Person.display_name, Person.id)
    )
    return [(p, m) for p, m in (await session.execute(query)).all()]


async def list_invitations(session: AsyncSession, where: ColumnElement[bool], *, limit: int = 200) -> list[Invitation]:
    query = select(Invitation).where(where).order_by(Invitation.id.desc()).limit(limit)
    return list((await session.execute(query)).scalars())


async def count_people(session: AsyncSession) -> int:
    return int((await session.execute(select(func.count(Person.id)))).scalar_one())


async def names_by_id(session: AsyncSession, person_ids: set[int]) -> dict[int, str]:
    if not person_ids:
        return {}
    query = select(Person.id, Person.display_name).where(Person.id.in_(sorted(person_ids)))
    return {pid: name for pid, name in (await session.execute(query)).all()}


async def people_by_name_prefix(session: AsyncSession, prefix: str, *, limit: int) -> list[Person]:
    """Undeleted people whose name, or a word of it, starts with `prefix` (case-insensitive)."""
    escaped = prefix.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    name = func.lower(Person.display_name)
    query = (
        select(Person)
        .where(Person.is_deleted.is_(False), (name.like(f"{escaped}%", escape="\\")) | (name.like(f"% {escaped}%", escape="\\")))
        .order_by(Person.display_name, Person.id)
        .limit(limit)
    )
    return list((await session.execute(query)).scalars())
