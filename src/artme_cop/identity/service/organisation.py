"""Institutions, cohorts, rosters, people and their roles, under the policy.

Rosters follow both rules of DOMAIN.md: students' activity shows to managers only as
counts, and a program admin's look at another school's people is a logged privileged read."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from artme_cop import policy
from artme_cop.errors import Conflict, Forbidden, Invalid, NotFound
from artme_cop.identity import queries
from artme_cop.identity.models import (
    Cohort,
    CohortMembership,
    Constituency,
    Institution,
    Person,
    Role,
    RoleAssignment,
)
from artme_cop.identity.service._shared import (
    COHORT_NAME_LIMIT,
    COHORT_ROLES,
    INSTITUTION_NAME_LIMIT,
    SHORT_NAME_LIMIT,
    _apply_grant,
    _institution,
    _role,
    _role_scope,
    _row,
    _whole_number,
)
from artme_cop.moderation import service as audit
from artme_cop.policy import Action, Actor, CohortRef, Member, RoleTarget
from artme_cop.text import clean_line
from artme_cop.unit_of_work import UnitOfWork


async def create_institution(uow: UnitOfWork, actor: Actor | None, *, name: object, short_name: object) -> Institution:
    """Add a partner school. Who: `institution.create` (program admins); None is the CLI."""
    if actor is not None:
        policy.require(actor, Action.INSTITUTION_CREATE)
    clean_name = clean_line(name, field="name", label="Name", max_length=INSTITUTION_NAME_LIMIT)
    clean_short = clean_line(short_name, field="short_name", label="Short name", max_length=SHORT_NAME_LIMIT)
    existing = await uow.session.execute(select(Institution.id).where(Institution.name == clean_name))
    if existing.first() is not None:
        raise Conflict("An institution with this name exists already.", field="name")
    institution = Institution(name=clean_name, short_name=clean_short, created_at=uow.clock.now())
    uow.session.add(institution)
    await uow.flush()
    audit.record(uow, actor_id=actor.person_id if actor else None, action="institution_created", institution_id=institution.id, target_kind="institution", target_id=institution.id, detail={"name": clean_name})
    return institution


async def create_cohort(uow: UnitOfWork, actor: Actor | None, *, institution_id: object, name: object, wave: object = 1) -> Cohort:
    """Add a cohort to a school. Who: `cohort.create` (program admins, the school's lead)."""
    institution = await _institution(uow, institution_id)
    if actor is not None:
        # A school the actor does not manage answers like a missing one (SEC-A2).
        if not policy.can(actor, Action.INSTITUTION_VIEW, institution):
            raise NotFound("institution")
        policy.require(actor, Action.COHORT_CREATE, institution)
    clean_name = clean_line(name, field="name", label="Name", max_length=COHORT_NAME_LIMIT)
    wave_number = _whole_number(wave, field="wave", label="Wave", low=1, high=20)
    existing = await uow.session.execute(select(Cohort.id).where(Cohort.institution_id == institution.id, Cohort.name == clean_name))
    if existing.first() is not None:
        raise Conflict("This school has a cohort with this name already.", field="name")
    cohort = Cohort(institution_id=institution.id, name=clean_name, wave=wave_number, created_at=uow.clock.now())
    uow.session.add(cohort)
    await uow.flush()
    audit.record(uow, actor_id=actor.person_id if actor else None, action="cohort_created", institution_id=institution.id, target_kind="cohort", target_id=cohort.id, detail={"name": clean_name})
    return cohort


async def list_institutions(uow: UnitOfWork, actor: Actor) -> list[Institution]:
    """The institutions the actor administers (all for program admins); Forbidden for others."""
    if not actor.is_manager:
        raise Forbidden("You do not have permission to do that.")
    return await queries.list_institutions(uow.session, policy.managed_institutions_clause(actor, Institution.id))


async def access_institution(uow: UnitOfWork, actor: Actor, institution_id: object) -> Institution:
    """Fetch an institution the actor administers; NotFound for missing and forbidden alike."""
    try:
        institution = await _institution(uow, institution_id)
    except NotFound:
        raise NotFound("institution") from None
    if not policy.can(actor, Action.INSTITUTION_VIEW, institution):
        raise NotFound("institution")
    return institution


async def list_cohorts(uow: UnitOfWork, actor: Actor, *, institution_id: int | None = None) -> list[Cohort]:
    where = policy.managed_institutions_clause(actor, Cohort.institution_id)
    if institution_id is not None:
        where = where & (Cohort.institution_id == institution_id)
    return await queries.list_cohorts(uow.session, where)


@dataclass(frozen=True)
class RosterEntry:
    person: Person
    constituency: str
    last_sign_in_shown: bool


@dataclass(frozen=True)
class ParticipationCount:
    constituency: str
    members: int
    signed_in: int | None  # None when the group is too small to show (fewer than 5)


@dataclass(frozen=True)
class Roster:
    cohort: Cohort
    institution: Institution
    entries: list[RosterEntry]
    participation: list[ParticipationCount]


SMALL_GROUP = 5


async def cohort_roster(uow: UnitOfWork, actor: Actor, cohort_id: object) -> Roster:
    """A cohort's members, with sign-in activity shown as the two rules of DOMAIN.md allow.

    Who: `cohort.roster`. Students' activity is shown to managers only as counts per
    constituency, and only for groups of five or more (rule 1). A program admin's view of
    another school's roster is logged as a privileged read (rule 2).
    """
    cohort = await _row(uow, Cohort, cohort_id)
    if cohort is None or not policy.can(actor, Action.COHORT_ROSTER, CohortRef(cohort.id, cohort.institution_id)):
        raise NotFound("cohort")
    institution = await _institution(uow, cohort.institution_id)
    audit.note_privileged_read(uow, actor, cohort.institution_id, what="cohort_roster", target_id=cohort.id)
    members = await queries.list_cohort_members(uow.session, cohort.id)
    entries = [
        RosterEntry(
            person=person,
            constituency=membership.constituency,
            last_sign_in_shown=policy.can(
                actor, Action.PARTICIPATION_NAMES, Member(person.id, person.institution_id, frozenset({Constituency(membership.constituency)}))
            ),
        )
        for person, membership in members
    ]
    return Roster(cohort=cohort, institution=institution, entries=entries, participation=_participation(members))


def _participation(members: list[tuple[Person, CohortMembership]]) -> list[ParticipationCount]:
    counts: list[ParticipationCount] = []
    for constituency in Constituency:
        group = [person for person, m in members if m.constituency == constituency.value]
        if not group:
            continue
        signed_in = sum(1 for person in group if person.last_sign_in_at is not None)
        counts.append(ParticipationCount(constituency.value, len(group), signed_in if len(group) >= SMALL_GROUP else None))
    return counts


async def list_people(uow: UnitOfWork, actor: Actor, *, institution_id: int | None = None, after: int | None = None) -> list[Person]:
    """People of the institutions the actor administers (everyone, for program admins).

    Who: `people.view` at some institution; Forbidden for everyone else.
    """
    if not actor.is_manager:
        raise Forbidden("You do not have permission to see the people list.")
    where = policy.managed_institutions_clause(actor, Person.institution_id)
    if institution_id is not None:
        where = where & (Person.institution_id == institution_id)
    return await queries.list_people(uow.session, where, after=after)


@dataclass(frozen=True)
class PersonDetail:
    person: Person
    institution: Institution | None
    memberships: list[tuple[CohortMembership, Cohort]]
    assignments: list[RoleAssignment]
    cohorts: list[Cohort]  # cohorts a role could be granted in


async def access_person(uow: UnitOfWork, actor: Actor, person_id: object) -> PersonDetail:
    """A person's account as an administrator sees it; NotFound unless the actor manages their school."""
    person = await _row(uow, Person, person_id)
    if person is None or person.is_deleted:
        raise NotFound("person")
    if not policy.can(actor, Action.PEOPLE_VIEW, person):
        raise NotFound("person")
    # A student's identity and cohort never cross a school's boundary silently (rule 2).
    audit.note_privileged_read(uow, actor, person.institution_id, what="person", target_id=person.id)
    institution = await queries.get_institution(uow.session, person.institution_id) if person.institution_id else None
    cohorts = await queries.list_cohorts(uow.session, Cohort.institution_id == person.institution_id) if person.institution_id else []
    return PersonDetail(
        person=person,
        institution=institution,
        memberships=await queries.list_memberships(uow.session, person.id),
        assignments=await queries.list_role_assignments(uow.session, person.id),
        cohorts=cohorts,
    )


async def grant_role(uow: UnitOfWork, actor: Actor, person_id: object, *, role: object, cohort_id: object = None, address: str = "") -> RoleAssignment:
    """Give a person a role in their institution (or one of its cohorts).

    Who: `role.change` for that role and institution. Raises Conflict when already held.
    """
    detail = await access_person(uow, actor, person_id)
    person = detail.person
    chosen = _role(role)
    if person.institution_id is None:
        raise Invalid("This account belongs to no institution.", field="role")
    policy.require(actor, Action.ROLE_CHANGE, RoleTarget(chosen, person.institution_id))
    institution = await _institution(uow, person.institution_id)
    cohort = await _role_scope(uow, chosen, institution, cohort_id)
    scope_cohort_id = cohort.id if cohort and chosen in COHORT_ROLES else None
    if any(a.role == chosen.value and a.cohort_id == scope_cohort_id for a in detail.assignments):
        raise Conflict("This person holds that role already.", field="role")
    assignment = _apply_grant(uow, person.id, chosen, institution.id, scope_cohort_id, granted_by=actor.person_id)
    await uow.flush()
    audit.record(
        uow,
        actor_id=actor.person_id,
        action="role_granted",
        institution_id=institution.id,
        target_kind="person",
        target_id=person.id,
        detail={"role": chosen.value, "cohort_id": scope_cohort_id},
        address=address,
    )
    return assignment


async def revoke_role(uow: UnitOfWork, actor: Actor, assignment_id: object, *, address: str = "") -> None:
    """Take a role away. Who: `role.change` for that role and institution; NotFound otherwise."""
    assignment = await _row(uow, RoleAssignment, assignment_id)
    if assignment is None or not policy.can(actor, Action.PEOPLE_VIEW, assignment):
        raise NotFound("role")
    policy.require(actor, Action.ROLE_CHANGE, RoleTarget(Role(assignment.role), assignment.institution_id, assignment.cohort_id))
    await uow.session.delete(assignment)
    audit.record(
        uow,
        actor_id=actor.person_id,
        action="role_revoked",
        institution_id=assignment.institution_id,
        target_kind="person",
        target_id=assignment.person_id,
        detail={"role": assignment.role, "cohort_id": assignment.cohort_id},
        address=address,
    )
