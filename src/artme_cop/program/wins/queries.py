"""Read functions of the wins package. No permission checks here: the service applies them."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from artme_cop.identity.models import Institution, Person
from artme_cop.program.wins.attribution import SHARED
from artme_cop.program.wins.models import Win, WinCredit


async def list_school_wins(session: AsyncSession, institution_id: int) -> list[Win]:
    query = select(Win).where(Win.institution_id == institution_id).order_by(Win.created_at.desc(), Win.id.desc())
    return list((await session.execute(query)).scalars())


async def list_credits(session: AsyncSession, win_ids: list[int]) -> list[tuple[WinCredit, Person]]:
    if not win_ids:
        return []
    query = select(WinCredit, Person).join(Person, Person.id == WinCredit.person_id).where(WinCredit.win_id.in_(win_ids)).order_by(Person.display_name, Person.id)
    return [(c, p) for c, p in (await session.execute(query)).all()]


async def list_shared(session: AsyncSession, *, curated_only: bool = False) -> list[tuple[Win, Institution]]:
    """Wins their schools chose to share, newest first; never a local or undecided one."""
    query = select(Win, Institution).join(Institution, Institution.id == Win.institution_id).where(Win.sharing.in_(sorted(SHARED)))
    if curated_only:
        query = query.where(Win.curated_at.is_not(None))
    query = query.order_by(Win.shared_at.desc(), Win.id.desc())
    return [(w, i) for w, i in (await session.execute(query)).all()]


async def get_shared(session: AsyncSession, public_id: str) -> tuple[Win, Institution] | None:
    query = select(Win, Institution).join(Institution, Institution.id == Win.institution_id).where(Win.public_id == public_id, Win.sharing.in_(sorted(SHARED)))
    row = (await session.execute(query)).first()
    return (row[0], row[1]) if row else None


async def credits_of(session: AsyncSession, person_id: int) -> list[tuple[WinCredit, Win]]:
    query = select(WinCredit, Win).join(Win, Win.id == WinCredit.win_id).where(WinCredit.person_id == person_id).order_by(Win.created_at.desc(), Win.id.desc())
    return [(c, w) for c, w in (await session.execute(query)).all()]
