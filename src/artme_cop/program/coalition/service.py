"""Intents of a school's guiding coalition: spheres with their members and two co-leads,
SMART change targets, tactical plan steps and the DARCI grid of each target.

Who may do what is asked of the policy: the lead manages spheres and co-leads; co-leads
manage their sphere's members; a sphere's members and co-leads and the lead edit its targets
and plans. Nobody outside the school sees any of it; a program admin's look is a logged
privileged read (rule 2). Every change lands in the audit log under the school. No HTTP here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import delete

from artme_cop import policy
from artme_cop.errors import Conflict, Invalid, NotFound
from artme_cop.identity import service as identity
from artme_cop.identity.models import Institution, Person
from artme_cop.moderation import service as audit
from artme_cop.policy import Action, Actor, SphereRef
from artme_cop.program import fields
from artme_cop.program.coalition import queries
from artme_cop.program.coalition.models import DARCI_LABELS, ChangeTarget, Darci, DarciEntry, PlanStep, Sphere, SphereMember, StepStatus, TargetStatus
from artme_cop.unit_of_work import UnitOfWork

GRID_ROWS = 12


def _record(uow: UnitOfWork, actor: Actor, action: str, institution_id: int, kind: str, target_id: int, detail: dict[str, object] | None = None) -> None:
    audit.record(uow, actor_id=actor.person_id, action=action, institution_id=institution_id, target_kind=kind, target_id=target_id, detail=detail)


async def access_institution(uow: UnitOfWork, actor: Actor, institution_id: object, *, what: str = "coalition") -> Institution:
    """The school whose coalition work the actor may read; NotFound for a missing school and
    for one the actor may not see alike (SEC-A2). A program admin's read is logged (rule 2)."""
    ref = fields.maybe_key(institution_id)
    institution = await uow.session.get(Institution, ref) if ref is not None else None
    if institution is None or not policy.can(actor, Action.COALITION_READ, institution.id):
        raise NotFound("institution")
    audit.note_privileged_read(uow, actor, institution.id, what=what, target_id=institution.id)
    return institution


def sphere_ref(sphere: Sphere, members: list[tuple[SphereMember, Person]]) -> SphereRef:
    return SphereRef(
        sphere.institution_id,
        frozenset(m.person_id for m, _ in members if not m.is_co_lead),
        frozenset(m.person_id for m, _ in members if m.is_co_lead),
    )


@dataclass(frozen=True)
class SphereSummary:
    sphere: Sphere
    members: list[tuple[SphereMember, Person]]

    @property
    def co_leads(self) -> list[tuple[SphereMember, Person]]:
        return [(m, p) for m, p in self.members if m.is_co_lead]


@dataclass(frozen=True)
class CoalitionView:
    institution: Institution
    spheres: list[SphereSummary]
    candidates: list[Person]
    can_manage: bool


async def coalition_candidates(uow: UnitOfWork, institution_id: int) -> list[Person]:
    """People of the school who may sit in a sphere: its coalition members and its lead."""
    people = await queries.school_people(uow.session, institution_id)
    actors = await identity.actors_for(uow, [p.id for p in people])
    allowed = {a.person_id for a in actors if policy.can(a, Action.SPHERE_JOIN, institution_id)}
    return [p for p in people if p.id in allowed]


async def coalition_overview(uow: UnitOfWork, actor: Actor, institution_id: object) -> CoalitionView:
    """The school's spheres with their members and co-leads.

    Who: `coalition.read`. Raises NotFound for a school the actor may not see.
    """
    institution = await access_institution(uow, actor, institution_id)
    spheres = await queries.list_spheres(uow.session, institution.id)
    members = await queries.list_members(uow.session, [s.id for s in spheres])
    summaries = [SphereSummary(s, [(m, p) for m, p in members if m.sphere_id == s.id]) for s in spheres]
    can_manage = policy.can(actor, Action.SPHERE_MANAGE, institution.id)
    candidates = await coalition_candidates(uow, institution.id) if can_manage else []
    return CoalitionView(institution, summaries, candidates, can_manage)


def _term(starts: object, ends: object) -> tuple[date, date]:
    start = fields.day(starts, field="term_starts_on", label="The term's start")
    end = fields.day(ends, field="term_ends_on", label="The term's end")
    if end <= start:
        raise Invalid("The term must end after it starts.", field="term_ends_on")
    return start, end


async def _two_co_leads(uow: UnitOfWork, institution_id: int, co_leads: list[object]) -> list[int]:
    ids = [fields.key(value, field="co_leads", label="A co-lead") for value in co_leads if value not in ("", None)]
    if len(ids) != 2 or ids[0] == ids[1]:
        raise Invalid("A sphere has exactly two co-leads: choose two different people.", field="co_leads")
    allowed = {p.id for p in await coalition_candidates(uow, institution_id)}
    if not set(ids) <= allowed:
        raise Invalid("Co-leads must be members of the school's guiding coalition.", field="co_leads")
    return ids


async def create_sphere(
    uow: UnitOfWork, actor: Actor, institution_id: object, *, name: object, description: object, co_leads: list[object], term_starts_on: object, term_ends_on: object
) -> Sphere:
    """Open a sphere with its two co-leads and their term.

    Who: `sphere.manage` (the school's lead). Raises Invalid, Conflict (name taken), NotFound.
    """
    institution = await access_institution(uow, actor, institution_id)
    policy.require(actor, Action.SPHERE_MANAGE, institution.id)
    clean_name = fields.line(name, field="name", label="The sphere's name", max_length=120)
    clean_description = fields.long_text(description, field="description", label="The description", required=False, max_length=2000)
    start, end = _term(term_starts_on, term_ends_on)
    lead_ids = await _two_co_leads(uow, institution.id, co_leads)
    if any(s.name.casefold() == clean_name.casefold() for s in await queries.list_spheres(uow.session, institution.id)):
        raise Conflict("The school already has a sphere of that name.", field="name")
    now = uow.clock.now()
    sphere = Sphere(institution_id=institution.id, name=clean_name, description=clean_description, created_at=now)
    uow.session.add(sphere)
    await uow.flush()
    for person_id in lead_ids:
        uow.session.add(SphereMember(sphere_id=sphere.id, person_id=person_id, is_co_lead=True, term_starts_on=start, term_ends_on=end, joined_at=now))
    await uow.flush()
    _record(uow, actor, "sphere_created", institution.id, "sphere", sphere.id, {"name": clean_name, "co_leads": lead_ids})
    return sphere


@dataclass(frozen=True)
class SphereView:
    institution: Institution
    sphere: Sphere
    members: list[tuple[SphereMember, Person]]
    targets: list[ChangeTarget]
    candidates: list[Person]
    can_manage: bool  # the co-leads and their term
    can_manage_members: bool
    can_edit_targets: bool

    @property
    def co_leads(self) -> list[tuple[SphereMember, Person]]:
        return [(m, p) for m, p in self.members if m.is_co_lead]


async def _sphere(uow: UnitOfWork, actor: Actor, sphere_id: object) -> tuple[Sphere, Institution, list[tuple[SphereMember, Person]]]:
    ref = fields.maybe_key(sphere_id)
    sphere = await uow.session.get(Sphere, ref) if ref is not None else None
    if sphere is None or not policy.can(actor, Action.COALITION_READ, sphere.institution_id):
        raise NotFound("sphere")
    institution = await access_institution(uow, actor, sphere.institution_id)
    return sphere, institution, await queries.list_members(uow.session, [sphere.id])


async def access_sphere(uow: UnitOfWork, actor: Actor, sphere_id: object) -> SphereView:
    """A sphere with its members, co-leads and targets. Who: `coalition.read`."""
    sphere, institution, members = await _sphere(uow, actor, sphere_id)
    ref = sphere_ref(sphere, members)
    can_manage = policy.can(actor, Action.SPHERE_MANAGE, institution.id)
    can_members = policy.can(actor, Action.SPHERE_MEMBERS, ref)
    can_edit = policy.can(actor, Action.TARGET_EDIT, ref)
    candidates = await coalition_candidates(uow, institution.id) if (can_manage or can_members or can_edit) else []
    targets = await queries.list_targets(uow.session, sphere_id=sphere.id)
    return SphereView(institution, sphere, members, targets, candidates, can_manage, can_members, can_edit)


async def set_co_leads(uow: UnitOfWork, actor: Actor, sphere_id: object, *, co_leads: list[object], term_starts_on: object, term_ends_on: object) -> Sphere:
    """Name the sphere's two co-leads and their term; former co-leads stay as members.

    Who: `sphere.manage` (the lead). Raises Invalid, Forbidden, NotFound.
    """
    sphere, institution, members = await _sphere(uow, actor, sphere_id)
    policy.require(actor, Action.SPHERE_MANAGE, institution.id)
    start, end = _term(term_starts_on, term_ends_on)
    lead_ids = await _two_co_leads(uow, institution.id, co_leads)
    now = uow.clock.now()
    existing = {m.person_id: m for m, _ in members}
    for member in existing.values():
        if member.person_id not in lead_ids and member.is_co_lead:
            member.is_co_lead = False
    for person_id in lead_ids:
        row = existing.get(person_id)
        if row is None:
            row = SphereMember(sphere_id=sphere.id, person_id=person_id, joined_at=now)
            uow.session.add(row)
        row.is_co_lead, row.term_starts_on, row.term_ends_on = True, start, end
    _record(uow, actor, "sphere_co_leads_set", institution.id, "sphere", sphere.id, {"co_leads": lead_ids, "term": [start.isoformat(), end.isoformat()]})
    return sphere


async def add_member(uow: UnitOfWork, actor: Actor, sphere_id: object, *, person_id: object) -> SphereMember:
    """Add a coalition member to the sphere. Who: `sphere.members` (the lead, the sphere's co-leads)."""
    sphere, institution, members = await _sphere(uow, actor, sphere_id)
    policy.require(actor, Action.SPHERE_MEMBERS, sphere_ref(sphere, members))
    chosen = fields.key(person_id, field="person_id", label="The person")
    if chosen not in {p.id for p in await coalition_candidates(uow, institution.id)}:
        raise Invalid("Only members of the school's guiding coalition can join a sphere.", field="person_id")
    if chosen in {m.person_id for m, _ in members}:
        raise Conflict("That person is already in the sphere.", field="person_id")
    member = SphereMember(sphere_id=sphere.id, person_id=chosen, is_co_lead=False, joined_at=uow.clock.now())
    uow.session.add(member)
    _record(uow, actor, "sphere_member_added", institution.id, "sphere", sphere.id, {"person_id": chosen})
    return member


async def remove_member(uow: UnitOfWork, actor: Actor, sphere_id: object, person_id: object) -> None:
    """Take a member out of the sphere; a co-lead must first be replaced as co-lead.

    Who: `sphere.members`. Raises NotFound (not a member), Conflict (a co-lead).
    """
    sphere, institution, members = await _sphere(uow, actor, sphere_id)
    policy.require(actor, Action.SPHERE_MEMBERS, sphere_ref(sphere, members))
    chosen = fields.maybe_key(person_id)
    row = next((m for m, _ in members if m.person_id == chosen), None)
    if row is None:
        raise NotFound("member")
    if row.is_co_lead:
        raise Conflict("A co-lead cannot be removed; name another co-lead first.")
    await uow.session.delete(row)
    _record(uow, actor, "sphere_member_removed", institution.id, "sphere", sphere.id, {"person_id": row.person_id})


# --- change targets ----------------------------------------------------------------------------


@dataclass(frozen=True)
class TargetFields:
    specific: str
    measure: str
    baseline: str
    target_value: str
    unit: str
    due_on: date
    status: TargetStatus


def clean_target(*, specific: object, measure: object, baseline: object, target_value: object, unit: object, due_on: object, status: object = TargetStatus.ACTIVE.value) -> TargetFields:
    """The SMART fields of a target, checked: what will change, how it is measured, from
    what baseline to what value in what unit, by when."""
    return TargetFields(
        specific=fields.line(specific, field="specific", label="What will change (specific)", max_length=300),
        measure=fields.line(measure, field="measure", label="The measure", max_length=300),
        baseline=fields.line(baseline, field="baseline", label="The baseline", max_length=60, required=False),
        target_value=fields.line(target_value, field="target_value", label="The target value", max_length=60),
        unit=fields.line(unit, field="unit", label="The unit", max_length=60, required=False),
        due_on=fields.day(due_on, field="due_on", label="The due date"),
        status=fields.choice(status, TargetStatus, field="status", label="a status"),
    )


async def _school_person(uow: UnitOfWork, institution_id: int, value: object, *, field: str, label: str) -> int:
    person_id = fields.key(value, field=field, label=label)
    person = await uow.session.get(Person, person_id)
    if person is None or person.is_deleted or person.institution_id != institution_id:
        raise Invalid(f"{label} must be a person of the school.", field=field)
    return person_id


async def create_target(uow: UnitOfWork, actor: Actor, sphere_id: object, target: TargetFields, *, accountable: object) -> ChangeTarget:
    """Write a SMART target for the sphere, with the person Accountable for it (the first row
    of its DARCI grid, so every grid has its one Accountable from the start).

    Who: `target.edit` (the sphere's members and co-leads, the lead).
    """
    sphere, institution, members = await _sphere(uow, actor, sphere_id)
    policy.require(actor, Action.TARGET_EDIT, sphere_ref(sphere, members))
    accountable_id = await _school_person(uow, institution.id, accountable, field="accountable", label="The person accountable")
    now = uow.clock.now()
    row = ChangeTarget(
        sphere_id=sphere.id, institution_id=institution.id, specific=target.specific, measure=target.measure, baseline=target.baseline,
        target_value=target.target_value, unit=target.unit, due_on=target.due_on, status=target.status.value,
        created_by_id=actor.person_id, created_at=now, updated_at=now,
    )
    uow.session.add(row)
    await uow.flush()
    uow.session.add(DarciEntry(target_id=row.id, person_id=accountable_id, letter=Darci.ACCOUNTABLE.value))
    _record(uow, actor, "target_created", institution.id, "target", row.id, {"sphere_id": sphere.id})
    return row


@dataclass(frozen=True)
class GridRow:
    person: Person
    letter: Darci

    @property
    def label(self) -> str:
        return DARCI_LABELS[self.letter]


@dataclass(frozen=True)
class TargetView:
    institution: Institution
    sphere: Sphere
    target: ChangeTarget
    steps: list[tuple[PlanStep, Person | None]]
    grid: list[GridRow]
    people: list[Person]  # of the school: owners of steps, rows of the grid
    can_edit: bool


async def _target(uow: UnitOfWork, actor: Actor, target_id: object) -> tuple[ChangeTarget, Sphere, Institution, SphereRef]:
    ref = fields.maybe_key(target_id)
    target = await uow.session.get(ChangeTarget, ref) if ref is not None else None
    if target is None or not policy.can(actor, Action.COALITION_READ, target.institution_id):
        raise NotFound("target")
    sphere, institution, members = await _sphere(uow, actor, target.sphere_id)
    return target, sphere, institution, sphere_ref(sphere, members)


async def access_target(uow: UnitOfWork, actor: Actor, target_id: object) -> TargetView:
    """A target with its plan and DARCI grid. Who: `coalition.read`."""
    target, sphere, institution, ref = await _target(uow, actor, target_id)
    people = await queries.school_people(uow.session, institution.id)
    by_id = {p.id: p for p in people}
    names = await identity.people_by_id(uow, sorted({s.owner_id for s in await queries.list_steps(uow.session, [target.id])} | {e.person_id for e in await queries.list_grid(uow.session, target.id)}))
    by_id.update({p.id: p for p in names})
    steps = [(s, by_id.get(s.owner_id)) for s in await queries.list_steps(uow.session, [target.id])]
    grid = [GridRow(by_id[e.person_id], Darci(e.letter)) for e in await queries.list_grid(uow.session, target.id) if e.person_id in by_id]
    order = {letter: index for index, letter in enumerate(Darci)}
    grid.sort(key=lambda row: (order[row.letter], row.person.display_name))
    return TargetView(institution, sphere, target, steps, grid, people, policy.can(actor, Action.TARGET_EDIT, ref))


async def update_target(uow: UnitOfWork, actor: Actor, target_id: object, fields_: TargetFields) -> ChangeTarget:
    """Change a target's SMART fields or status. Who: `target.edit`."""
    target, _sphere, institution, ref = await _target(uow, actor, target_id)
    policy.require(actor, Action.TARGET_EDIT, ref)
    target.specific, target.measure, target.baseline = fields_.specific, fields_.measure, fields_.baseline
    target.target_value, target.unit, target.due_on, target.status = fields_.target_value, fields_.unit, fields_.due_on, fields_.status.value
    target.updated_at = uow.clock.now()
    _record(uow, actor, "target_updated", institution.id, "target", target.id, {"status": target.status})
    return target


async def save_grid(uow: UnitOfWork, actor: Actor, target_id: object, rows: list[tuple[object, object]]) -> list[DarciEntry]:
    """Replace the target's DARCI grid with `rows` of (person, letter); empty rows are skipped.

    Who: `target.edit`. Raises Invalid, and changes nothing, unless the grid names exactly one
    Accountable, each person once, all of them people of the school.
    """
    target, _sphere, institution, ref = await _target(uow, actor, target_id)
    policy.require(actor, Action.TARGET_EDIT, ref)
    if len(rows) > GRID_ROWS:
        raise Invalid(f"A grid has at most {GRID_ROWS} rows.", field="grid")
    chosen: list[tuple[int, Darci]] = []
    for person_value, letter_value in rows:
        if person_value in ("", None) and letter_value in ("", None):
            continue
        person_id = await _school_person(uow, institution.id, person_value, field="grid", label="Each person in the grid")
        letter = fields.choice(letter_value, Darci, field="grid", label="a letter (D, A, R, C or I) for each person")
        chosen.append((person_id, letter))
    if len({person_id for person_id, _ in chosen}) != len(chosen):
        raise Invalid("Each person appears once in the grid, with one letter.", field="grid")
    accountable = sum(1 for _, letter in chosen if letter is Darci.ACCOUNTABLE)
    if accountable != 1:
        raise Invalid(f"A DARCI grid has exactly one Accountable; this one has {accountable}.", field="grid")
    await uow.session.execute(delete(DarciEntry).where(DarciEntry.target_id == target.id))
    entries = [DarciEntry(target_id=target.id, person_id=person_id, letter=letter.value) for person_id, letter in chosen]
    uow.session.add_all(entries)
    target.updated_at = uow.clock.now()
    _record(uow, actor, "darci_saved", institution.id, "target", target.id, {"rows": [[p, l.value] for p, l in chosen]})
    return entries


# --- tactical plans ----------------------------------------------------------------------------------


async def add_step(uow: UnitOfWork, actor: Actor, target_id: object, *, description: object, owner: object, due_on: object, status: object = StepStatus.PLANNED.value) -> PlanStep:
    """Add a step to the target's tactical plan. Who: `target.edit`."""
    target, _sphere, institution, ref = await _target(uow, actor, target_id)
    policy.require(actor, Action.TARGET_EDIT, ref)
    text = fields.line(description, field="description", label="The step", max_length=300)
    owner_id = await _school_person(uow, institution.id, owner, field="owner", label="The owner")
    due = fields.day(due_on, field="due_on", label="The step's due date")
    chosen = fields.choice(status, StepStatus, field="status", label="a status")
    now = uow.clock.now()
    step = PlanStep(target_id=target.id, description=text, owner_id=owner_id, due_on=due, status=chosen.value, created_at=now, updated_at=now)
    uow.session.add(step)
    await uow.flush()
    _record(uow, actor, "plan_step_added", institution.id, "plan_step", step.id, {"target_id": target.id, "status": chosen.value})
    return step


async def update_step(uow: UnitOfWork, actor: Actor, step_id: object, *, status: object) -> PlanStep:
    """Move a plan step to another status. Who: `target.edit` on its target."""
    ref = fields.maybe_key(step_id)
    step = await uow.session.get(PlanStep, ref) if ref is not None else None
    if step is None:
        raise NotFound("step")
    target, _sphere, institution, sphere = await _target(uow, actor, step.target_id)
    policy.require(actor, Action.TARGET_EDIT, sphere)
    chosen = fields.choice(status, StepStatus, field="status", label="a status")
    step.status, step.updated_at = chosen.value, uow.clock.now()
    _record(uow, actor, "plan_step_updated", institution.id, "plan_step", step.id, {"target_id": target.id, "status": chosen.value})
    return step

