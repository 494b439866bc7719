"""Monitoring: a school's own view of its targets, plan status, markers observed over time
and wins; the program's view across schools in aggregate only, and only of what each school
chose to share. No per-school figure ever reaches the program view, and wins are never
counted or ranked per school. No HTTP here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select

from artme_cop import policy
from artme_cop.identity.models import Institution
from artme_cop.moderation import service as audit
from artme_cop.policy import Action, Actor
from artme_cop.program.coalition import queries as coalition_queries
from artme_cop.program.coalition import service as coalition
from artme_cop.program.coalition.models import ChangeTarget, MonitoringShare, PlanStep, StepStatus, TargetStatus
from artme_cop.program.monitoring.charts import BarChart, bar_chart
from artme_cop.program.outcomes.models import BoundaryPartner, JournalEntry
from artme_cop.program.wins import service as wins
from artme_cop.program.wins.attribution import SHARED
from artme_cop.program.wins.models import Sharing, Win
from artme_cop.unit_of_work import UnitOfWork

# Totals across schools need this many sharing schools, so no total is one school's figures.
MIN_SHARING_SCHOOLS = 2
MONTHS = 6
TARGET_LABELS = {TargetStatus.DRAFT: "Draft", TargetStatus.ACTIVE: "Active", TargetStatus.ACHIEVED: "Achieved", TargetStatus.DROPPED: "Dropped"}
STEP_LABELS = {StepStatus.PLANNED: "Planned", StepStatus.IN_PROGRESS: "In progress", StepStatus.DONE: "Done", StepStatus.BLOCKED: "Blocked"}
SHARING_SHORT = {Sharing.UNDECIDED: "Not decided", Sharing.LOCAL: "Kept local", Sharing.NAMED: "Shared by name", Sharing.PARTNER: "Shared as a partner school"}


def _months(today: date) -> list[str]:
    """The last MONTHS months as YYYY-MM, oldest first."""
    year, month = today.year, today.month
    found = []
    for _ in range(MONTHS):
        found.append(f"{year:04d}-{month:02d}")
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return found[::-1]


async def _observed_per_month(uow: UnitOfWork, institution_ids: list[int]) -> list[tuple[str, int]]:
    months = _months(uow.clock.now().date())
    start = date.fromisoformat(months[0] + "-01")
    query = (
        select(JournalEntry.observed_on)
        .join(BoundaryPartner, BoundaryPartner.id == JournalEntry.partner_id)
        .where(BoundaryPartner.institution_id.in_(institution_ids), JournalEntry.observed_on >= start)
    )
    counts = dict.fromkeys(months, 0)
    for (observed,) in (await uow.session.execute(query)).all():
        key = f"{observed.year:04d}-{observed.month:02d}"
        if key in counts:
            counts[key] += 1
    return list(counts.items())


async def _status_counts(uow: UnitOfWork, institution_ids: list[int]) -> tuple[list[tuple[str, int]], list[tuple[str, int]]]:
    targets = await coalition_queries.count_by(uow.session, ChangeTarget.status, ChangeTarget.institution_id.in_(institution_ids))
    step_query = select(PlanStep.status, func.count()).join(ChangeTarget, ChangeTarget.id == PlanStep.target_id).where(ChangeTarget.institution_id.in_(institution_ids)).group_by(PlanStep.status)
    steps = {str(s): int(n) for s, n in (await uow.session.execute(step_query)).all()}
    return [(label, targets.get(s.value, 0)) for s, label in TARGET_LABELS.items()], [(label, steps.get(s.value, 0)) for s, label in STEP_LABELS.items()]


@dataclass(frozen=True)
class TargetProgress:
    target: ChangeTarget
    done: int
    total: int


@dataclass(frozen=True)
class InstitutionMonitoring:
    institution: Institution
    targets: list[TargetProgress]
    charts: list[BarChart]
    shares_aggregates: bool
    can_change_sharing: bool


async def institution_monitoring(uow: UnitOfWork, actor: Actor, institution_id: object) -> InstitutionMonitoring:
    """The school's monitoring page. Who: `coalition.read` (admins: a logged privileged read)."""
    institution = await coalition.access_institution(uow, actor, institution_id, what="monitoring")
    targets = await coalition_queries.list_targets(uow.session, institution_id=institution.id)
    steps = await coalition_queries.list_steps(uow.session, [t.id for t in targets])
    progress = [
        TargetProgress(t, sum(1 for s in steps if s.target_id == t.id and s.status == StepStatus.DONE.value), sum(1 for s in steps if s.target_id == t.id))
        for t in targets
    ]
    target_counts, step_counts = await _status_counts(uow, [institution.id])
    win_counts = await coalition_queries.count_by(uow.session, Win.sharing, Win.institution_id == institution.id)
    charts = [
        bar_chart("targets", "Change targets by status", target_counts),
        bar_chart("steps", "Plan steps by status", step_counts),
        bar_chart("markers", f"Progress markers observed, last {MONTHS} months", await _observed_per_month(uow, [institution.id])),
        bar_chart("wins", "Short-term wins by sharing choice", [(label, win_counts.get(s.value, 0)) for s, label in SHARING_SHORT.items()]),
    ]
    share = await coalition_queries.get_share(uow.session, institution.id)
    return InstitutionMonitoring(institution, progress, charts, bool(share and share.shares_aggregates), policy.can(actor, Action.MONITORING_SHARE, institution.id))


async def set_aggregate_sharing(uow: UnitOfWork, actor: Actor, institution_id: object, *, shares: bool) -> MonitoringShare:
    """The lead's choice to let the school's target and plan totals count in the program's
    aggregates. Who: `monitoring.share` (the school's lead)."""
    institution = await coalition.access_institution(uow, actor, institution_id, what="monitoring")
    policy.require(actor, Action.MONITORING_SHARE, institution.id)
    share = await coalition_queries.get_share(uow.session, institution.id)
    now = uow.clock.now()
    if share is None:
        share = MonitoringShare(institution_id=institution.id, shares_aggregates=shares, changed_by_id=actor.person_id, changed_at=now)
        uow.session.add(share)
    else:
        share.shares_aggregates, share.changed_by_id, share.changed_at = shares, actor.person_id, now
    audit.record(uow, actor_id=actor.person_id, action="monitoring_sharing_set", institution_id=institution.id, target_kind="institution", target_id=institution.id, detail={"shares": shares})
    return share


@dataclass(frozen=True)
class ProgramMonitoring:
    sharing_schools: int
    enough_schools: bool
    charts: list[BarChart]  # totals across sharing schools (empty when too few share)
    win_charts: list[BarChart]
    shared_wins: int
    curated_wins: int
    min_schools: int = MIN_SHARING_SCHOOLS


async def program_monitoring(uow: UnitOfWork, actor: Actor) -> ProgramMonitoring:
    """The program's view: totals across the schools that chose to share, and shared wins by
    theme and phase. Never a figure per school. Who: `monitoring.program` (program admins)."""
    policy.require(actor, Action.MONITORING_PROGRAM)
    sharing = await coalition_queries.sharing_institutions(uow.session)
    enough = len(sharing) >= MIN_SHARING_SCHOOLS
    charts: list[BarChart] = []
    if enough:
        target_counts, step_counts = await _status_counts(uow, sharing)
        charts = [
            bar_chart("targets", "Change targets by status, all sharing schools together", target_counts),
            bar_chart("steps", "Plan steps by status, all sharing schools together", step_counts),
            bar_chart("markers", f"Progress markers observed, last {MONTHS} months, all sharing schools together", await _observed_per_month(uow, sharing)),
        ]
    shared = Win.sharing.in_(sorted(SHARED))
    by_theme = await coalition_queries.count_by(uow.session, Win.theme, shared)
    by_phase = await coalition_queries.count_by(uow.session, Win.phase, shared)
    curated = await coalition_queries.count_by(uow.session, Win.sharing, shared & Win.curated_at.is_not(None))
    win_charts = [
        bar_chart("win-themes", "Shared wins by theme", [(label, by_theme.get(key, 0)) for key, label in wins.THEMES.items()]),
        bar_chart("win-phases", "Shared wins by phase", [(f"Phase {n}", by_phase.get(str(n), 0)) for n in range(1, 7)]),
    ]
    return ProgramMonitoring(len(sharing), enough, charts, win_charts, sum(by_theme.values()), sum(curated.values()))
