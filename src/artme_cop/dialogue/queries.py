"""Read functions of Chats for Change. No permission checks here."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from artme_cop.dialogue.models import DialogueCohort, DialogueFacilitator, DialogueParticipant, DialogueRoom, DialogueSession
from artme_cop.identity.models import Person, Role, RoleAssignment


async def get_session(session: AsyncSession, session_id: int) -> DialogueSession | None:
    return await session.get(DialogueSession, session_id)


async def get_room(session: AsyncSession, conversation_id: int) -> DialogueRoom | None:
    return await session.get(DialogueRoom, conversation_id)


async def cohort_ids(session: AsyncSession, session_id: int) -> frozenset[int]:
    rows = await session.execute(select(DialogueCohort.cohort_id).where(DialogueCohort.session_id == session_id))
    return frozenset(rows.scalars())


async def facilitators(session: AsyncSession, session_id: int) -> list[Person]:
    query = (
        select(Person).join(DialogueFacilitator, DialogueFacilitator.person_id == Person.id)
        .where(DialogueFacilitator.session_id == session_id).order_by(Person.display_name, Person.id)
    )
    return list((await session.execute(query)).scalars())


async def participants(session: AsyncSession, session_id: int) -> list[DialogueParticipant]:
    query = select(DialogueParticipant).where(DialogueParticipant.session_id == session_id).order_by(DialogueParticipant.id)
    return list((await session.execute(query)).scalars())


async def raised_hands(session: AsyncSession, session_id: int) -> list[DialogueParticipant]:
    """The speaking queue: raised hands of people still in the room, first raised first."""
    query = (
        select(DialogueParticipant)
        .where(DialogueParticipant.session_id == session_id, DialogueParticipant.hand_raised_at.is_not(None), DialogueParticipant.removed_at.is_(None))
        .order_by(DialogueParticipant.hand_raised_at, DialogueParticipant.id)
    )
    return list((await session.execute(query)).scalars())


async def breakout_counts(session: AsyncSession, session_id: int) -> dict[int, int]:
    """How many participants are placed in each breakout (counts only, never who)."""
    query = (
        select(DialogueParticipant.breakout_id, func.count())
        .where(DialogueParticipant.session_id == session_id, DialogueParticipant.breakout_id.is_not(None))
        .group_by(DialogueParticipant.breakout_id)
    )
    return {room: count for room, count in (await session.execute(query)).all()}


async def get_participant(session: AsyncSession, session_id: int, person_id: int) -> DialogueParticipant | None:
    query = select(DialogueParticipant).where(DialogueParticipant.session_id == session_id, DialogueParticipant.person_id == person_id)
    return (await session.execute(query)).scalar_one_or_none()


async def get_participant_by_key(session: AsyncSession, session_id: int, key: str) -> DialogueParticipant | None:
    query = select(DialogueParticipant).where(DialogueParticipant.session_id == session_id, DialogueParticipant.key == key)
    return (await session.execute(query)).scalar_one_or_none()


async def list_candidate_sessions(session: AsyncSession, *, cohort_ids: frozenset[int], person_id: int, institution_ids: frozenset[int], everything: bool) -> list[DialogueSession]:
    """Sessions that may concern a person (the caller filters them by the policy)."""
    query = select(DialogueSession).order_by(DialogueSession.starts_at.desc(), DialogueSession.id.desc()).limit(200)
    if not everything:
        invited = select(DialogueCohort.session_id).where(DialogueCohort.cohort_id.in_(sorted(cohort_ids)))
        facilitated = select(DialogueFacilitator.session_id).where(DialogueFacilitator.person_id == person_id)
        query = query.where(
            DialogueSession.id.in_(invited) | DialogueSession.id.in_(facilitated)
            | (DialogueSession.created_by_id == person_id) | DialogueSession.institution_id.in_(sorted(institution_ids))
        )
    return list((await session.execute(query)).scalars())


async def institution_leads(session: AsyncSession, institution_id: int) -> list[int]:
    query = select(RoleAssignment.person_id).where(RoleAssignment.role == Role.INSTITUTION_LEAD.value, RoleAssignment.institution_id == institution_id)
    return sorted(set((await session.execute(query)).scalars()))


async def people_of_institutions(session: AsyncSession, institution_ids: list[int]) -> list[Person]:
    if not institution_ids:
        return []
    query = select(Person).where(Person.institution_id.in_(institution_ids), Person.is_deleted.is_(False)).order_by(Person.display_name, Person.id)
    return list((await session.execute(query)).scalars())


async def breakouts(session: AsyncSession, session_id: int) -> list[DialogueRoom]:
    """The session's breakout and affinity rooms, oldest first."""
    query = (
        select(DialogueRoom).where(DialogueRoom.session_id == session_id, DialogueRoom.kind.in_(("breakout", "affinity", "side")))
        .order_by(DialogueRoom.conversation_id)
    )
    return list((await session.execute(query)).scalars())
