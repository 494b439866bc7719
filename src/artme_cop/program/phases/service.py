"""Intents of the phases: each wave's schedule, a cohort's current phase and its exit
checklists, and the page of one phase (its forum category and sessions).

Who sees a cohort's progress and who marks it is the policy's (`phase.view`,
`phase.checklist`); every mark, unmark, phase move and schedule change is audited.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import select

from artme_cop import policy
from artme_cop.errors import Conflict, Invalid, NotFound
from artme_cop.forum.models import Category
from artme_cop.identity.models import Cohort, Institution, Person
from artme_cop.moderation import service as audit
from artme_cop.policy import Action, Actor, CohortRef
from artme_cop.program.parsing import id_or_none, number_in, parse_date
from artme_cop.program.phases import catalog
from artme_cop.program.phases.catalog import FIRST_PHASE, LAST_PHASE, Phase
from artme_cop.program.phases.models import ChecklistMark, CohortPhase, WavePhase
from artme_cop.unit_of_work import UnitOfWork

MAX_WAVE = 20


@dataclass(frozen=True)
class Mark:
    completed_at: datetime
    completed_by: str


@dataclass
class CohortProgress:
    cohort: Cohort
    institution: Institution
    current_phase: int
    marks: dict[tuple[int, str], Mark] = field(default_factory=dict)
    can_mark: bool = False

    def done(self, number: int) -> int:
        return sum(1 for (phase, _key) in self.marks if phase == number)

    def complete(self, number: int) -> bool:
        found = catalog.phase(number)
        return found is not None and all((number, item.key) in self.marks for item in found.checklist)


def parse_phase(value: object) -> Phase:
    """The phase for a URL or form value; NotFound for anything else."""
    number = id_or_none(value)
    found = catalog.phase(number) if number is not None else None
    if found is None:
        raise NotFound("phase")
    return found


def _ref(cohort: Cohort) -> CohortRef:
    return CohortRef(cohort.id, cohort.institution_id)


async def access_cohort(uow: UnitOfWork, actor: Actor, cohort_id: object) -> Cohort:
    """The cohort, if the actor may see its progress; NotFound for missing and hidden alike."""
    number = id_or_none(cohort_id)
    cohort = await uow.session.get(Cohort, number) if number is not None else None
    if cohort is None or not policy.can(actor, Action.PHASE_VIEW, _ref(cohort)):
        raise NotFound("cohort")
    return cohort


async def _progress(uow: UnitOfWork, actor: Actor, cohorts: list[Cohort]) -> list[CohortProgress]:
    if not cohorts:
        return []
    ids = [c.id for c in cohorts]
    institutions = {i.id: i for i in (await uow.session.execute(select(Institution).where(Institution.id.in_({c.institution_id for c in cohorts})))).scalars()}
    phases = {row.cohort_id: row.phase for row in (await uow.session.execute(select(CohortPhase).where(CohortPhase.cohort_id.in_(ids)))).scalars()}
    marks = (
        await uow.session.execute(
            select(ChecklistMark, Person.display_name).outerjoin(Person, Person.id == ChecklistMark.completed_by_id).where(ChecklistMark.cohort_id.in_(ids))
        )
    ).all()
    found = {
        c.id: CohortProgress(c, institutions[c.institution_id], phases.get(c.id, FIRST_PHASE), can_mark=policy.can(actor, Action.PHASE_CHECKLIST, _ref(c)))
        for c in cohorts
    }
    for mark, name in marks:
        found[mark.cohort_id].marks[(mark.phase, mark.item_key)] = Mark(mark.completed_at, name or "a deleted account")
    return [found[c.id] for c in cohorts]


async def cohort_progress(uow: UnitOfWork, actor: Actor, cohort_id: object) -> CohortProgress:
    """One cohort's phase and checklists. Who: `phase.view`."""
    cohort = await access_cohort(uow, actor, cohort_id)
    [progress] = await _progress(uow, actor, [cohort])
    return progress


async def list_progress(uow: UnitOfWork, actor: Actor) -> list[CohortProgress]:
    """Every cohort whose progress the actor may see: their own, the ones they coach or
    facilitate, their school's (leads), all (admins)."""
    query = (
        select(Cohort)
        .where(policy.cohort_oversight_clause(actor, Cohort.id, Cohort.institution_id))
        .order_by(Cohort.institution_id, Cohort.name)
    )
    return await _progress(uow, actor, list((await uow.session.execute(query)).scalars()))


async def set_checklist_item(uow: UnitOfWork, actor: Actor, cohort_id: object, *, phase: object, item: object, done: bool) -> None:
    """Mark an exit-checklist item complete, or not. Who: `phase.checklist` (the cohort's
    coach, admins). Audit: checklist_marked / checklist_unmarked. Raises: NotFound, Forbidden, Invalid."""
    cohort = await access_cohort(uow, actor, cohort_id)
    policy.require(actor, Action.PHASE_CHECKLIST, _ref(cohort))
    number = id_or_none(phase)
    chosen = catalog.checklist_item(number, item) if number is not None and isinstance(item, str) else None
    if number is None or chosen is None:
        raise Invalid("Choose an item of the phase's exit checklist.", field="item")
    existing = await uow.session.get(ChecklistMark, (cohort.id, number, chosen.key))
    if done == (existing is not None):
        return  # already as asked: a resubmitted form changes nothing
    if done:
        uow.session.add(ChecklistMark(cohort_id=cohort.id, phase=number, item_key=chosen.key, completed_at=uow.clock.now(), completed_by_id=actor.person_id))
    else:
        await uow.session.delete(existing)
    audit.record(
        uow,
        actor_id=actor.person_id,
        action="checklist_marked" if done else "checklist_unmarked",
        institution_id=cohort.institution_id,
        target_kind="cohort",
        target_id=cohort.id,
        detail={"phase": number, "item": chosen.key},
    )


async def move_to_phase(uow: UnitOfWork, actor: Actor, cohort_id: object, *, phase: object) -> int:
    """Move a cohort to another phase: forward one phase at a time once the current phase's
    exit checklist is complete, or back to correct a mistake. Who: `phase.checklist`.
    Audit: phase_changed. Raises: NotFound, Forbidden, Invalid, Conflict."""
    cohort = await access_cohort(uow, actor, cohort_id)
    policy.require(actor, Action.PHASE_CHECKLIST, _ref(cohort))
    number = number_in(phase, low=FIRST_PHASE, high=LAST_PHASE, field="phase", label="The phase")
    [progress] = await _progress(uow, actor, [cohort])
    current = progress.current_phase
    if number == current:
        return current
    if number > current + 1:
        raise Conflict("A cohort moves forward one phase at a time.")
    if number == current + 1 and not progress.complete(current):
        raise Conflict("Complete the exit checklist of the current phase first.")
    row = await uow.session.get(CohortPhase, cohort.id)
    if row is None:
        uow.session.add(CohortPhase(cohort_id=cohort.id, phase=number, changed_at=uow.clock.now(), changed_by_id=actor.person_id))
    else:
        row.phase, row.changed_at, row.changed_by_id = number, uow.clock.now(), actor.person_id
    audit.record(uow, actor_id=actor.person_id, action="phase_changed", institution_id=cohort.institution_id, target_kind="cohort", target_id=cohort.id, detail={"from": current, "to": number})
    return number


# --- waves ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ScheduledPhase:
    phase: Phase
    starts_on: date | None
    ends_on: date | None


async def list_waves(uow: UnitOfWork, actor: Actor) -> list[int]:
    """The waves of the cohorts whose progress the actor sees (every wave for admins)."""
    query = select(Cohort.wave).where(policy.cohort_oversight_clause(actor, Cohort.id, Cohort.institution_id)).distinct()
    return sorted(set((await uow.session.execute(query)).scalars()))


async def wave_schedule(uow: UnitOfWork, wave: int) -> list[ScheduledPhase]:
    """The six phases of a wave with their dates (the schedule is not private)."""
    rows = {row.phase: row for row in (await uow.session.execute(select(WavePhase).where(WavePhase.wave == wave))).scalars()}
    return [
        ScheduledPhase(p, rows[p.number].starts_on if p.number in rows else None, rows[p.number].ends_on if p.number in rows else None)
        for p in catalog.PHASES
    ]


async def schedule_phase(uow: UnitOfWork, actor: Actor, *, wave: object, phase: object, starts_on: object, ends_on: object) -> WavePhase:
    """Set when a wave runs a phase. Who: `schedule.manage` (program admins).
    Audit: phase_scheduled. Raises: Forbidden, NotFound (phase), Invalid."""
    policy.require(actor, Action.SCHEDULE_MANAGE)
    chosen = parse_phase(phase)
    wave_number = number_in(wave, low=1, high=MAX_WAVE, field="wave", label="The wave")
    start = parse_date(starts_on, field="starts_on", label="The start date", required=False)
    end = parse_date(ends_on, field="ends_on", label="The end date", required=False)
    if start is not None and end is not None and end < start:
        raise Invalid("The phase must end on or after its start.", field="ends_on")
    row = await uow.session.get(WavePhase, (wave_number, chosen.number))
    if row is None:
        row = WavePhase(wave=wave_number, phase=chosen.number, updated_at=uow.clock.now(), updated_by_id=actor.person_id)
        uow.session.add(row)
    row.starts_on, row.ends_on, row.updated_at, row.updated_by_id = start, end, uow.clock.now(), actor.person_id
    audit.record(
        uow, actor_id=actor.person_id, action="phase_scheduled", target_kind="wave", target_id=wave_number,
        detail={"phase": chosen.number, "starts_on": start.isoformat() if start else None, "ends_on": end.isoformat() if end else None},
    )
    return row


async def phase_category(uow: UnitOfWork, phase: Phase) -> Category | None:
    """The forum category that follows this phase."""
    query = select(Category).where(Category.phase == phase.number).order_by(Category.position, Category.id).limit(1)
    return (await uow.session.execute(query)).scalar_one_or_none()
