"""Read functions of the team learning labs. No permission checks here."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from artme_cop.conversations.models import Conversation, Message, ReadMarker
from artme_cop.identity.models import Person
from artme_cop.labs.models import (
    LabChannel,
    LabCommitment,
    LabIndividualAnswer,
    LabManager,
    LabPin,
    LabQuestion,
    LabSession,
    LabSessionTeam,
    LabSuccessReport,
    LabTeam,
    LabTeamAttempt,
    LabTeamMember,
    LabThread,
)


async def manager_ids(session: AsyncSession, institution_id: int) -> frozenset[int]:
    query = select(LabManager.person_id).where(LabManager.institution_id == institution_id)
    return frozenset((await session.execute(query)).scalars())


async def list_managers(session: AsyncSession, institution_id: int) -> list[Person]:
    query = select(Person).join(LabManager, LabManager.person_id == Person.id).where(LabManager.institution_id == institution_id).order_by(Person.display_name)
    return list((await session.execute(query)).scalars())


async def roster(session: AsyncSession, team_id: int) -> list[LabTeamMember]:
    query = select(LabTeamMember).where(LabTeamMember.team_id == team_id).order_by(LabTeamMember.person_id)
    return list((await session.execute(query)).scalars())


async def roster_people(session: AsyncSession, team_id: int) -> list[tuple[Person, bool]]:
    query = (
        select(Person, LabTeamMember.is_lead)
        .join(LabTeamMember, LabTeamMember.person_id == Person.id)
        .where(LabTeamMember.team_id == team_id)
        .order_by(Person.display_name)
    )
    return [(person, bool(lead)) for person, lead in (await session.execute(query)).all()]


def _involving(person_id: int) -> ColumnElement[bool]:
    """The teams the person is on or facilitates."""
    on_team = select(LabTeamMember.team_id).where(LabTeamMember.person_id == person_id)
    return or_(LabTeam.id.in_(on_team), LabTeam.facilitator_id == person_id)


async def teams_of(session: AsyncSession, person_id: int) -> list[LabTeam]:
    """Teams the person is on or facilitates."""
    query = select(LabTeam).where(_involving(person_id)).order_by(LabTeam.name)
    return list((await session.execute(query)).scalars())


async def teams_at(session: AsyncSession, institution_ids: list[int]) -> list[LabTeam]:
    query = select(LabTeam).where(LabTeam.institution_id.in_(institution_ids)).order_by(LabTeam.name)
    return list((await session.execute(query)).scalars())


async def channels_of(session: AsyncSession, team_id: int) -> list[LabChannel]:
    query = select(LabChannel).where(LabChannel.team_id == team_id).order_by(LabChannel.is_general.desc(), LabChannel.name)
    return list((await session.execute(query)).scalars())


async def channel_by_conversation(session: AsyncSession, conversation_id: int) -> LabChannel | None:
    query = select(LabChannel).where(LabChannel.conversation_id == conversation_id)
    return (await session.execute(query)).scalar_one_or_none()


async def unread_top_level(session: AsyncSession, person_id: int, conversation_ids: list[int]) -> dict[int, int]:
    """Per channel, the messages after the person's read marker that are not thread replies
    (a reply shows in its thread's count, not as channel unread)."""
    if not conversation_ids:
        return {}
    marker = func.coalesce(ReadMarker.last_read_seq, 0)
    query = (
        select(Message.conversation_id, func.count(Message.id))
        .outerjoin(ReadMarker, and_(ReadMarker.conversation_id == Message.conversation_id, ReadMarker.person_id == person_id))
        .where(Message.conversation_id.in_(conversation_ids), Message.seq > marker, Message.reply_to_seq.is_(None), Message.deleted_at.is_(None), Message.author_id != person_id)
        .group_by(Message.conversation_id)
    )
    counts = {conversation_id: 0 for conversation_id in conversation_ids}
    counts.update({cid: int(n) for cid, n in (await session.execute(query)).all()})
    return counts


async def top_level_messages(session: AsyncSession, conversation_id: int, *, limit: int) -> list[tuple[Message, Person]]:
    query = (
        select(Message, Person)
        .join(Person, Person.id == Message.author_id)
        .where(Message.conversation_id == conversation_id, Message.reply_to_seq.is_(None))
        .order_by(Message.seq.desc())
        .limit(limit)
    )
    rows = [(m, p) for m, p in (await session.execute(query)).all()]
    rows.reverse()
    return rows


async def thread_messages(session: AsyncSession, conversation_id: int, root_seq: int) -> list[tuple[Message, Person]]:
    query = (
        select(Message, Person)
        .join(Person, Person.id == Message.author_id)
        .where(Message.conversation_id == conversation_id, or_(Message.seq == root_seq, Message.reply_to_seq == root_seq))
        .order_by(Message.seq)
    )
    return [(m, p) for m, p in (await session.execute(query)).all()]


async def thread_counts(session: AsyncSession, conversation_id: int) -> dict[int, int]:
    query = select(LabThread.root_seq, LabThread.reply_count).where(LabThread.conversation_id == conversation_id)
    return {seq: count for seq, count in (await session.execute(query)).all()}


async def pins(session: AsyncSession, conversation_id: int) -> list[tuple[LabPin, Message, Person]]:
    query = (
        select(LabPin, Message, Person)
        .join(Message, and_(Message.conversation_id == LabPin.conversation_id, Message.seq == LabPin.seq))
        .join(Person, Person.id == Message.author_id)
        .where(LabPin.conversation_id == conversation_id)
        .order_by(LabPin.pinned_at.desc())
    )
    return [(pin, m, p) for pin, m, p in (await session.execute(query)).all()]


async def message_at(session: AsyncSession, conversation_id: int, seq: int) -> Message | None:
    query = select(Message).where(Message.conversation_id == conversation_id, Message.seq == seq)
    return (await session.execute(query)).scalar_one_or_none()


async def conversation(session: AsyncSession, conversation_id: int) -> Conversation | None:
    return await session.get(Conversation, conversation_id)


# --- sessions -------------------------------------------------------------------------------


async def session_teams(session: AsyncSession, session_id: int) -> list[tuple[LabSessionTeam, LabTeam]]:
    query = select(LabSessionTeam, LabTeam).join(LabTeam, LabTeam.id == LabSessionTeam.team_id).where(LabSessionTeam.session_id == session_id).order_by(LabTeam.name)
    return [(entry, team) for entry, team in (await session.execute(query)).all()]


async def sessions_of_teams(session: AsyncSession, team_ids: list[int], *, limit: int = 20) -> list[LabSession]:
    if not team_ids:
        return []
    taking_part = select(LabSessionTeam.session_id).where(LabSessionTeam.team_id.in_(team_ids))
    query = select(LabSession).where(LabSession.id.in_(taking_part)).order_by(LabSession.created_at.desc(), LabSession.id.desc()).limit(limit)
    return list((await session.execute(query)).scalars())


async def scheduled_sessions(session: AsyncSession, person_id: int, *, starting_after: datetime, limit: int) -> list[LabSession]:
    """Sessions with a start after `starting_after` that the person runs, or that a team they
    are on or facilitate takes part in; soonest first."""
    taking_part = select(LabSessionTeam.session_id).where(LabSessionTeam.team_id.in_(select(LabTeam.id).where(_involving(person_id))))
    query = (
        select(LabSession)
        .where(LabSession.starts_at > starting_after, or_(LabSession.id.in_(taking_part), LabSession.facilitator_id == person_id))
        .order_by(LabSession.starts_at, LabSession.id)
        .limit(limit)
    )
    return list((await session.execute(query)).scalars())


async def sessions_facilitated(session: AsyncSession, person_id: int) -> list[LabSession]:
    query = select(LabSession).where(LabSession.facilitator_id == person_id).order_by(LabSession.created_at.desc(), LabSession.id.desc()).limit(20)
    return list((await session.execute(query)).scalars())


async def questions(session: AsyncSession, session_id: int) -> list[LabQuestion]:
    query = select(LabQuestion).where(LabQuestion.session_id == session_id).order_by(LabQuestion.position, LabQuestion.id)
    return list((await session.execute(query)).scalars())


async def individual_answers(session: AsyncSession, person_id: int, question_ids: list[int]) -> dict[int, int]:
    if not question_ids:
        return {}
    query = select(LabIndividualAnswer.question_id, LabIndividualAnswer.choice).where(LabIndividualAnswer.person_id == person_id, LabIndividualAnswer.question_id.in_(question_ids))
    return {qid: choice for qid, choice in (await session.execute(query)).all()}


async def team_attempts(session: AsyncSession, team_id: int, question_ids: list[int]) -> list[LabTeamAttempt]:
    if not question_ids:
        return []
    query = select(LabTeamAttempt).where(LabTeamAttempt.team_id == team_id, LabTeamAttempt.question_id.in_(question_ids)).order_by(LabTeamAttempt.id)
    return list((await session.execute(query)).scalars())


# --- commitments and success reports --------------------------------------------------------


async def commitments(session: AsyncSession, team_id: int) -> list[tuple[LabCommitment, Person]]:
    query = select(LabCommitment, Person).join(Person, Person.id == LabCommitment.owner_id).where(LabCommitment.team_id == team_id).order_by(LabCommitment.check_on, LabCommitment.id)
    return [(c, p) for c, p in (await session.execute(query)).all()]


async def success_reports(session: AsyncSession, team_id: int) -> list[tuple[LabSuccessReport, Person]]:
    query = (
        select(LabSuccessReport, Person)
        .join(Person, Person.id == LabSuccessReport.author_id)
        .where(LabSuccessReport.team_id == team_id)
        .order_by(LabSuccessReport.reported_on.desc(), LabSuccessReport.id.desc())
    )
    return [(r, p) for r, p in (await session.execute(query)).all()]
