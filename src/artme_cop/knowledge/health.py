"""The knowledge-health page's figures (issue #7): resources captured, assessed, shared and
applied per month, assessments waiting and for how long, resources due for update, the most
applied. Every figure counts only resources the reader may read (the policy's clause), so
the page discloses nothing a reader could not find by browsing; no figure is per school.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from artme_cop import policy
from artme_cop.knowledge import queries
from artme_cop.knowledge.cycle import State
from artme_cop.knowledge.models import AppliedReport, Resource, Transition
from artme_cop.knowledge.service import shown_title
from artme_cop.policy import Actor
from artme_cop.unit_of_work import UnitOfWork

MONTHS = 6
ASSESSED_MOVES = ("accept", "return", "decline")
# Shared: a version first shared (with its school; program sharing follows from it).
SHARED_MOVES = ("share_institution",)


@dataclass(frozen=True)
class Month:
    label: str
    captured: int
    assessed: int
    shared: int
    applied: int


@dataclass(frozen=True)
class Waiting:
    public_id: str
    title: str
    days: int


@dataclass(frozen=True)
class Ranked:
    public_id: str
    title: str
    count: int


@dataclass(frozen=True)
class Health:
    months: list[Month]
    waiting: list[Waiting]
    due: list[Ranked]
    most_applied: list[Ranked]

    @property
    def peak(self) -> int:
        return max([1, *(max(m.captured, m.assessed, m.shared, m.applied) for m in self.months)])


def _month_keys(now: datetime) -> list[tuple[int, int]]:
    keys, year, month = [], now.year, now.month
    for _ in range(MONTHS):
        keys.append((year, month))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return list(reversed(keys))


def _per_month(stamps: list[datetime], keys: list[tuple[int, int]]) -> list[int]:
    counts = {key: 0 for key in keys}
    for stamp in stamps:
        if (stamp.year, stamp.month) in counts:
            counts[(stamp.year, stamp.month)] += 1
    return [counts[key] for key in keys]


async def knowledge_health(uow: UnitOfWork, actor: Actor) -> Health:
    """The figures over the resources the actor may read. Who: anyone signed in."""
    visible = policy.resource_clause(actor, institution_id=Resource.institution_id, scope=Resource.scope, state=Resource.state, involves=queries.involves(Resource.id))
    session = uow.session
    keys = _month_keys(uow.clock.now())
    captured = list((await session.execute(select(Resource.created_at).where(visible))).scalars())
    assessed = list((await session.execute(select(Transition.at).join(Resource, Resource.id == Transition.resource_id).where(visible, Transition.move.in_(ASSESSED_MOVES)))).scalars())
    shared = list((await session.execute(select(Transition.at).join(Resource, Resource.id == Transition.resource_id).where(visible, Transition.move.in_(SHARED_MOVES)))).scalars())
    applied = list((await session.execute(select(AppliedReport.created_at).join(Resource, Resource.id == AppliedReport.resource_id).where(visible, AppliedReport.kind == "applied"))).scalars())
    columns = [_per_month(stamps, keys) for stamps in (captured, assessed, shared, applied)]
    months = [Month(f"{year}-{month:02d}", *(column[i] for column in columns)) for i, (year, month) in enumerate(keys)]
    now = uow.clock.now()
    pending = (
        await session.execute(
            select(Resource, func.max(Transition.at))
            .join(Transition, Transition.resource_id == Resource.id)
            .where(visible, Resource.state == State.IN_ASSESSMENT.value, Transition.move == "submit")
            .group_by(Resource.id)
        )
    ).all()
    # Titles as the reader sees them: a new version's working title stays with its school.
    waiting = sorted([Waiting(r.public_id, await shown_title(uow, actor, r), (now - since).days) for r, since in pending], key=lambda w: -w.days)
    due = [Ranked(r.public_id, await shown_title(uow, actor, r), 0) for r in (await session.execute(select(Resource).where(visible, Resource.state == State.UPDATE_DUE.value).order_by(Resource.review_due_on))).scalars()]
    ranked = (
        await session.execute(
            select(Resource, func.count(AppliedReport.id).label("n"))
            .join(AppliedReport, AppliedReport.resource_id == Resource.id)
            .where(visible, AppliedReport.kind == "applied")
            .group_by(Resource.id)
            .order_by(func.count(AppliedReport.id).desc(), Resource.id)
            .limit(5)
        )
    ).all()
    return Health(months, waiting, due, [Ranked(r.public_id, await shown_title(uow, actor, r), n) for r, n in ranked])
