"""Identity intents: sign-in, sessions, passwords, profiles, and the administration of
institutions, cohorts, roles and invitations.

Every intent takes the unit of work first and the acting person second, checks the policy,
validates, writes, and records what the audit log must keep. It never touches HTTP: the
routes translate forms into these calls and domain errors into pages.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import delete, select, true, update
from sqlalchemy.exc import IntegrityError

from artme_cop import policy
from artme_cop.errors import Conflict, Forbidden, Invalid, NotFound
from artme_cop.identity import passwords, queries
from artme_cop.identity.models import (
    ROLE_LABELS,
    Cohort,
    CohortMembership,
    Constituency,
    Institution,
    Invitation,
    PasswordReset,
    Person,
    Role,
    RoleAssignment,
)
from artme_cop.mail import Mail
from artme_cop.moderation import service as audit
from artme_cop.moderation.models import AuditEntry
from artme_cop.policy import Action, Actor, CohortRef, Grant, Member, RoleTarget
from artme_cop.text import clean_email, clean_line
from artme_cop.unit_of_work import UnitOfWork

SIGN_IN_FAILED = "Email or password is incorrect."
INVALID_LINK = "This invitation link is not valid. Ask the person who invited you for a new one."
# Roles that belong to a cohort; the others are held for a whole institution.
COHORT_ROLES = frozenset({Role.PARTICIPANT, Role.FACILITATOR, Role.COACH})

NAME_LIMIT = 100
PRONOUNS_LIMIT = 40
TITLE_LIMIT = 120
INSTITUTION_NAME_LIMIT = 200
SHORT_NAME_LIMIT = 40
COHORT_NAME_LIMIT = 200


# --- sessions and the current actor ------------------------------------------------------


async def load_actor(uow: UnitOfWork, person_id: int, session_epoch: int) -> Actor | None:
    """Return the actor for a session, or None when the session was revoked or the account is gone."""
    person = await queries.get_person(uow.session, person_id)
    if person is None or person.is_deleted or person.session_epoch != session_epoch:
        return None
    return await _actor_for(uow, person)


async def _actor_for(uow: UnitOfWork, person: Person) -> Actor:
    assignments = await queries.list_role_assignments(uow.session, person.id)
    memberships = await queries.list_memberships(uow.session, person.id)
    return Actor(
        person_id=person.id,
        display_name=person.display_name,
        institution_id=person.institution_id,
        grants=frozenset(Grant(Role(a.role), a.institution_id, a.cohort_id) for a in assignments),
        cohorts=tuple((m.cohort_id, Constituency(m.constituency)) for m, _ in memberships),
        session_epoch=person.session_epoch,
    )


async def actors_for(uow: UnitOfWork, person_ids: list[int]) -> list[Actor]:
    """Actors of existing, undeleted people, to ask the policy what they may see."""
    actors = []
    for person_id in person_ids:
        person = await queries.get_person(uow.session, person_id)
        if person is not None and not person.is_deleted:
            actors.append(await _actor_for(uow, person))
    return actors


async def people_by_id(uow: UnitOfWork, person_ids: list[int]) -> list[Person]:
    """People by id, in the given order, skipping unknown ids."""
    people = [await queries.get_person(uow.session, pid) for pid in person_ids]
    return [p for p in people if p is not None]


async def sign_in(uow: UnitOfWork, *, email: object, password: object, address: str) -> Person | None:
    """Check the credentials and return the person, or None after logging the failure.

    It returns rather than raises on failure so that the audit entry is committed; the caller
    shows `SIGN_IN_FAILED`, the same for an unknown email and a wrong password (SEC-C4).
    """
    person = None
    try:
        normalized = clean_email(email)
    except Invalid:
        normalized = None
    if normalized is not None:
        person = await queries.get_person_by_email(uow.session, normalized)
    given = password if isinstance(password, str) else ""
    if person is None or person.is_deleted or not passwords.verify_password(person.password_hash, given):
        if person is None:
            # Spend the same time as a real check, so timing does not reveal accounts.
            passwords.verify_password(_DUMMY_HASH, given)
        audit.record(
            uow,
            actor_id=None,
            action="sign_in_failed",
            institution_id=person.institution_id if person else None,
            target_kind="person" if person else "",
            target_id=person.id if person else None,
            address=address,
        )
        return None
    person.last_sign_in_at = uow.clock.now()
    return person


_DUMMY_HASH = passwords.hash_password(secrets.token_urlsafe(16))


async def sign_out(uow: UnitOfWork, actor: Actor) -> None:
    """End every session of the actor: the epoch moves on, so copied cookies stop working (SEC-D3)."""
    await _bump_epoch(uow, actor.person_id)


async def _bump_epoch(uow: UnitOfWork, person_id: int) -> int:
    result = await uow.session.execute(
        update(Person).where(Person.id == person_id).values(session_epoch=Person.session_epoch + 1).returning(Person.session_epoch)
    )
    return int(result.scalar_one())


async def change_password(uow: UnitOfWork, actor: Actor, *, current: object, new: object) -> int:
    """Replace the password after checking the current one; returns the new session epoch."""
    person = await _person(uow, actor.person_id)
    if not isinstance(current, str) or not passwords.verify_password(person.password_hash, current):
        raise Invalid("Your current password is not correct.", field="current_password")
    new_password = passwords.check_new_password(new, context=await _password_context(uow, person), field="new_password")
    person.password_hash = passwords.hash_password(new_password)
    audit.record(uow, actor_id=person.id, action="password_changed", institution_id=person.institution_id, target_kind="person", target_id=person.id)
    return await _bump_epoch(uow, person.id)


async def _password_context(uow: UnitOfWork, person: Person) -> tuple[str, ...]:
    """Words a person's password must not be built from: their email, name and school (SEC-C2)."""
    institution = await queries.get_institution(uow.session, person.institution_id) if person.institution_id else None
    school = (institution.name, institution.short_name) if institution else ()
    return (person.email.split("@")[0], *person.display_name.split(), *school)


async def _person(uow: UnitOfWork, person_id: int) -> Person:
    person = await queries.get_person(uow.session, person_id)
    if person is None or person.is_deleted:
        raise NotFound("person")
    return person


@dataclass(frozen=True)
class Overview:
    person: Person
    institution: Institution | None
    memberships: list[tuple[CohortMembership, Cohort]]
    assignments: list[RoleAssignment]


async def my_overview(uow: UnitOfWork, actor: Actor) -> Overview:
    """The actor's own account: institution, cohorts with constituency, and roles."""
    person = await _person(uow, actor.person_id)
    institution = await queries.get_institution(uow.session, person.institution_id) if person.institution_id else None
    return Overview(
        person=person,
        institution=institution,
        memberships=await queries.list_memberships(uow.session, person.id),
        assignments=await queries.list_role_assignments(uow.session, person.id),
    )


# --- password reset -------------------------------------------------------------------------


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def request_password_reset(uow: UnitOfWork, *, email: object) -> None:
    """Mail a single-use reset link when the address has an account; say nothing either way (SEC-C4)."""
    try:
        normalized = clean_email(email)
    except Invalid:
        return
    person = await queries.get_person_by_email(uow.session, normalized)
    if person is None or person.is_deleted:
        return
    token = secrets.token_urlsafe(32)
    now = uow.clock.now()
    uow.session.add(
        PasswordReset(
            token_hash=_token_hash(token),
            person_id=person.id,
            created_at=now,
            expires_at=now + timedelta(seconds=uow.settings.reset_lifetime),
        )
    )
    link = f"{uow.settings.base_url}/password/reset/{token}"
    minutes = uow.settings.reset_lifetime // 60
    uow.send_mail(
        Mail(
            to=person.email,
            subject="Reset your ARTME Community password",
            body=(
                f"Hello {person.display_name},\n\nSomeone asked to reset the password of your ARTME Community account.\n"
                f"To choose a new password, open this link within {minutes} minutes:\n\n{link}\n\n"
                "If it was not you, ignore this mail; your password stays as it is.\n"
            ),
        )
    )


async def _usable_reset(uow: UnitOfWork, token: object) -> PasswordReset:
    if not isinstance(token, str) or len(token) > 200:
        raise Invalid("This reset link is not valid.")
    query = select(PasswordReset).where(PasswordReset.token_hash == _token_hash(token))
    reset = (await uow.session.execute(query)).scalar_one_or_none()
    if reset is None or reset.used_at is not None:
        raise Invalid("This reset link is not valid or was already used. Ask for a new one.")
    if reset.expires_at <= uow.clock.now():
        raise Invalid("This reset link has expired. Ask for a new one.")
    return reset


async def check_reset_token(uow: UnitOfWork, token: object) -> None:
    """Raise Invalid unless the reset link can still be used."""
    await _usable_reset(uow, token)


async def reset_password(uow: UnitOfWork, *, token: object, new_password: object) -> None:
    """Set a new password through a reset link; the link is then used up and old sessions end."""
    reset = await _usable_reset(uow, token)
    person = await _person(uow, reset.person_id)
    chosen = passwords.check_new_password(new_password, context=await _password_context(uow, person))
    person.password_hash = passwords.hash_password(chosen)
    reset.used_at = uow.clock.now()
    audit.record(uow, actor_id=person.id, action="password_reset", institution_id=person.institution_id, target_kind="person", target_id=person.id)
    await _bump_epoch(uow, person.id)


# --- profile, export, deletion -------------------------------------------------------------


async def get_profile(uow: UnitOfWork, actor: Actor) -> Person:
    return await _person(uow, actor.person_id)


async def update_profile(uow: UnitOfWork, actor: Actor, *, display_name: object, pronouns: object, title: object) -> Person:
    """Change one's own name, pronouns and title. Cohorts and roles are not editable here (SEC-L3)."""
    person = await _person(uow, actor.person_id)
    person.display_name = clean_line(display_name, field="display_name", label="Name", max_length=NAME_LIMIT)
    person.pronouns = clean_line(pronouns, field="pronouns", label="Pronouns", max_length=PRONOUNS_LIMIT, required=False)
    person.title = clean_line(title, field="title", label="Title", max_length=TITLE_LIMIT, required=False)
    return person


async def export_my_data(uow: UnitOfWork, actor: Actor) -> dict[str, object]:
    """Everything the server holds about the actor, as plain data for a download."""
    person = await _person(uow, actor.person_id)
    memberships = await queries.list_memberships(uow.session, person.id)
    assignments = await queries.list_role_assignments(uow.session, person.id)
    invitations_sent = await queries.list_invitations(uow.session, Invitation.invited_by_id == person.id)
    invitations_received = await queries.list_invitations(uow.session, Invitation.accepted_person_id == person.id)
    own_audit = (
        await uow.session.execute(
            select(AuditEntry).where((AuditEntry.actor_id == person.id) | ((AuditEntry.target_kind == "person") & (AuditEntry.target_id == person.id))).order_by(AuditEntry.id)
        )
    ).scalars()
    return {
        "format": "artme-cop personal data export, version 1",
        "exported_at": uow.clock.now().isoformat(),
        "person": {
            "id": person.id,
            "email": person.email,
            "display_name": person.display_name,
            "pronouns": person.pronouns,
            "title": person.title,
            "institution_id": person.institution_id,
            "created_at": person.created_at.isoformat(),
            "last_sign_in_at": person.last_sign_in_at.isoformat() if person.last_sign_in_at else None,
        },
        "cohorts": [
            {"cohort_id": c.id, "cohort": c.name, "constituency": m.constituency, "joined_at": m.joined_at.isoformat()}
            for m, c in memberships
        ],
        "roles": [
            {"role": a.role, "institution_id": a.institution_id, "cohort_id": a.cohort_id, "granted_at": a.granted_at.isoformat()}
            for a in assignments
        ],
        "invitations_sent": [_invitation_record(i) for i in invitations_sent],
        "invitations_received": [_invitation_record(i) for i in invitations_received],
        "audit_entries": [
            {"at": e.at.isoformat(), "action": e.action, "target_kind": e.target_kind, "target_id": e.target_id, "address": e.address}
            for e in own_audit
        ],
    }


def _invitation_record(invitation: Invitation) -> dict[str, object]:
    return {
        "email": invitation.email,
        "role": invitation.role,
        "institution_id": invitation.institution_id,
        "cohort_id": invitation.cohort_id,
        "created_at": invitation.created_at.isoformat(),
        "status": invitation_status(invitation, None),
    }


async def delete_my_account(uow: UnitOfWork, actor: Actor, *, password: object) -> None:
    """Erase the account: personal details scrubbed, memberships and roles removed, sessions ended.

    The row stays so that what the person wrote shows as from a deleted account.
    """
    person = await _person(uow, actor.person_id)
    if not isinstance(password, str) or not passwords.verify_password(person.password_hash, password):
        raise Invalid("Your password is not correct.", field="password")
    await uow.session.execute(delete(CohortMembership).where(CohortMembership.person_id == person.id))
    await uow.session.execute(delete(RoleAssignment).where(RoleAssignment.person_id == person.id))
    person.email = f"deleted-{person.id}-{secrets.token_hex(8)}@deleted.invalid"
    person.display_name = "Deleted account"
    person.pronouns = ""
    person.title = ""
    person.password_hash = passwords.unusable_hash()
    person.is_deleted = True
    person.deleted_at = uow.clock.now()
    audit.record(uow, actor_id=person.id, action="account_deleted", institution_id=person.institution_id, target_kind="person", target_id=person.id)
    await _bump_epoch(uow, person.id)


# --- institutions and cohorts --------------------------------------------------------------


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


def _whole_number(value: object, *, field: str, label: str, low: int, high: int) -> int:
    try:
        number = int(str(value).strip())
    except ValueError:
        raise Invalid(f"{label} must be a whole number.", field=field) from None
    if not low <= number <= high:
        raise Invalid(f"{label} must be between {low} and {high}.", field=field)
    return number


def _id(value: object, *, field: str, label: str) -> int:
    return _whole_number(value, field=field, label=label, low=1, high=2**31 - 1)


async def _institution(uow: UnitOfWork, institution_id: object) -> Institution:
    try:
        key = _id(institution_id, field="institution_id", label="Institution")
    except Invalid:
        raise NotFound("institution") from None
    institution = await queries.get_institution(uow.session, key)
    if institution is None:
        raise NotFound("institution")
    return institution


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
    try:
        cohort = await queries.get_cohort(uow.session, _id(cohort_id, field="cohort_id", label="Cohort"))
    except Invalid:
        cohort = None
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


# --- people and roles ----------------------------------------------------------------------


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
    try:
        person = await queries.get_person(uow.session, _id(person_id, field="person_id", label="Person"))
    except Invalid:
        person = None
    if person is None or person.is_deleted:
        raise NotFound("person")
    if not (actor.is_program_admin or policy.can(actor, Action.PEOPLE_VIEW, person)):
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


def _role(value: object) -> Role:
    try:
        return Role(str(value))
    except ValueError:
        raise Invalid("Choose one of the listed roles.", field="role") from None


def _constituency(value: object) -> Constituency:
    try:
        return Constituency(str(value))
    except ValueError:
        raise Invalid("Choose one of the listed constituencies.", field="constituency") from None


async def _role_scope(uow: UnitOfWork, role: Role, institution: Institution, cohort_id: object) -> Cohort | None:
    """The cohort a role is held in: required for cohort roles, optional membership otherwise."""
    if cohort_id in (None, ""):
        if role in COHORT_ROLES:
            raise Invalid(f"A {ROLE_LABELS[role].lower()} belongs to a cohort: choose one.", field="cohort_id")
        return None
    cohort = None
    try:
        cohort = await queries.get_cohort(uow.session, _id(cohort_id, field="cohort_id", label="Cohort"))
    except Invalid:
        pass
    if cohort is None or cohort.institution_id != institution.id:
        raise Invalid("Choose a cohort of this institution.", field="cohort_id")
    return cohort


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


def _apply_grant(uow: UnitOfWork, person_id: int, role: Role, institution_id: int | None, cohort_id: int | None, *, granted_by: int | None) -> RoleAssignment:
    assignment = RoleAssignment(
        person_id=person_id,
        role=role.value,
        institution_id=institution_id,
        cohort_id=cohort_id,
        granted_by_id=granted_by,
        granted_at=uow.clock.now(),
    )
    uow.session.add(assignment)
    return assignment


async def revoke_role(uow: UnitOfWork, actor: Actor, assignment_id: object, *, address: str = "") -> None:
    """Take a role away. Who: `role.change` for that role and institution; NotFound otherwise."""
    try:
        assignment = await uow.session.get(RoleAssignment, _id(assignment_id, field="assignment_id", label="Role"))
    except Invalid:
        assignment = None
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


# --- invitations ---------------------------------------------------------------------------


def _serializer(uow: UnitOfWork) -> URLSafeSerializer:
    return URLSafeSerializer(uow.settings.secret_key.reveal(), salt="artme-invitation")


def invitation_link(uow: UnitOfWork, invitation: Invitation) -> str:
    token = _serializer(uow).dumps(invitation.public_id)
    return f"{uow.settings.base_url}/invitations/{token}"


def invitation_status(invitation: Invitation, now: datetime | None) -> str:
    if invitation.accepted_at is not None:
        return "accepted"
    if invitation.revoked_at is not None:
        return "revoked"
    if now is not None and invitation.expires_at <= now:
        return "expired"
    return "pending"


async def invite(
    uow: UnitOfWork,
    actor: Actor | None,
    *,
    email: object,
    institution_id: object,
    cohort_id: object = None,
    role: object = Role.PARTICIPANT.value,
    constituency: object = Constituency.STAFF.value,
    address: str = "",
) -> tuple[Invitation, str]:
    """Invite a person into an institution, a cohort and a role; mail the link and return it.

    Who: `invitation.create` for that role and institution (None is the CLI).
    Raises: Invalid for a bad email, role, cohort or constituency; NotFound for an unknown
    or unmanaged institution; Conflict when the address has a pending invitation there.
    """
    institution = await _institution(uow, institution_id)
    chosen_role = _role(role)
    if actor is not None:
        if not policy.can(actor, Action.INSTITUTION_VIEW, institution):
            raise NotFound("institution")
        policy.require(actor, Action.INVITATION_CREATE, RoleTarget(chosen_role, institution.id))
    elif chosen_role is Role.PROGRAM_ADMIN:
        raise Invalid("Program admins are created with create-admin.", field="role")
    address_to = clean_email(email)
    cohort = await _role_scope(uow, chosen_role, institution, cohort_id)
    chosen_constituency = _constituency(constituency)
    now = uow.clock.now()
    pending = await queries.list_invitations(
        uow.session,
        (Invitation.email == address_to)
        & (Invitation.institution_id == institution.id)
        & Invitation.accepted_at.is_(None)
        & Invitation.revoked_at.is_(None)
        & (Invitation.expires_at > now),
    )
    if pending:
        raise Conflict("This address has a pending invitation to this institution; revoke it first to send another.", field="email")
    invitation = Invitation(
        public_id=secrets.token_urlsafe(24),
        email=address_to,
        institution_id=institution.id,
        cohort_id=cohort.id if cohort else None,
        role=chosen_role.value,
        constituency=chosen_constituency.value,
        invited_by_id=actor.person_id if actor else None,
        created_at=now,
        expires_at=now + timedelta(seconds=uow.settings.invitation_lifetime),
    )
    uow.session.add(invitation)
    await uow.flush()
    link = invitation_link(uow, invitation)
    audit.record(
        uow,
        actor_id=actor.person_id if actor else None,
        action="invitation_created",
        institution_id=institution.id,
        target_kind="invitation",
        target_id=invitation.id,
        detail={"email": address_to, "role": chosen_role.value, "cohort_id": invitation.cohort_id},
        address=address,
    )
    inviter = actor.display_name if actor else "The ARTME program team"
    where = f"{institution.name}" + (f", cohort {cohort.name}" if cohort else "")
    days = uow.settings.invitation_lifetime // 86400
    uow.send_mail(
        Mail(
            to=address_to,
            subject="Your invitation to the ARTME Community of Practice",
            body=(
                f"Hello,\n\n{inviter} invites you to the ARTME Community of Practice as "
                f"{ROLE_LABELS[chosen_role].lower()} ({where}).\n\n"
                f"To accept, open this link within {days} days and choose your name and password:\n\n{link}\n"
            ),
        )
    )
    return invitation, link


@dataclass(frozen=True)
class InvitationRow:
    invitation: Invitation
    status: str
    inviter_name: str | None
    institution_name: str
    cohort_name: str | None


async def list_invitations(uow: UnitOfWork, actor: Actor) -> list[InvitationRow]:
    """Invitations of the institutions the actor administers: who invited whom, and their status."""
    if not actor.is_manager:
        raise NotFound("invitations")
    rows = await queries.list_invitations(uow.session, policy.managed_institutions_clause(actor, Invitation.institution_id))
    names = await queries.names_by_id(uow.session, {r.invited_by_id for r in rows if r.invited_by_id})
    institutions = {i.id: i.name for i in await queries.list_institutions(uow.session, true())}
    cohorts = {c.id: c.name for c in await queries.list_cohorts(uow.session, true())}
    now = uow.clock.now()
    return [
        InvitationRow(
            invitation=row,
            status=invitation_status(row, now),
            inviter_name=names.get(row.invited_by_id) if row.invited_by_id else None,
            institution_name=institutions.get(row.institution_id, ""),
            cohort_name=cohorts.get(row.cohort_id) if row.cohort_id else None,
        )
        for row in rows
    ]


async def revoke_invitation(uow: UnitOfWork, actor: Actor, invitation_id: object, *, address: str = "") -> Invitation:
    """Withdraw a pending invitation. Who: `invitation.revoke`; NotFound when not managed."""
    try:
        invitation = await uow.session.get(Invitation, _id(invitation_id, field="invitation_id", label="Invitation"))
    except Invalid:
        invitation = None
    if invitation is None or not policy.can(actor, Action.INSTITUTION_VIEW, invitation):
        raise NotFound("invitation")
    policy.require(actor, Action.INVITATION_REVOKE, RoleTarget(Role(invitation.role), invitation.institution_id))
    status = invitation_status(invitation, uow.clock.now())
    if status != "pending":
        raise Conflict(f"This invitation is {status} and cannot be revoked.")
    invitation.revoked_at = uow.clock.now()
    invitation.revoked_by_id = actor.person_id
    audit.record(uow, actor_id=actor.person_id, action="invitation_revoked", institution_id=invitation.institution_id, target_kind="invitation", target_id=invitation.id, detail={"email": invitation.email}, address=address)
    return invitation


@dataclass(frozen=True)
class OpenInvitation:
    invitation: Invitation
    institution: Institution
    cohort: Cohort | None
    existing_account: bool


async def open_invitation(uow: UnitOfWork, token: object) -> OpenInvitation:
    """The invitation behind a link, if it can still be accepted.

    Raises: Invalid with a message saying whether the link is broken, expired, revoked or used.
    """
    if not isinstance(token, str) or len(token) > 300:
        raise Invalid(INVALID_LINK)
    try:
        public_id = _serializer(uow).loads(token)
    except BadSignature:
        raise Invalid(INVALID_LINK) from None
    invitation = await queries.get_invitation_by_public_id(uow.session, str(public_id))
    if invitation is None:
        raise Invalid(INVALID_LINK)
    status = invitation_status(invitation, uow.clock.now())
    if status == "accepted":
        raise Invalid("This invitation has been used already. Sign in with the account it created.")
    if status == "revoked":
        raise Invalid("This invitation was withdrawn. Ask the person who invited you.")
    if status == "expired":
        raise Invalid("This invitation has expired. Ask the person who invited you for a new one.")
    institution = await _institution(uow, invitation.institution_id)
    cohort = await queries.get_cohort(uow.session, invitation.cohort_id) if invitation.cohort_id else None
    existing = await queries.get_person_by_email(uow.session, invitation.email)
    return OpenInvitation(invitation, institution, cohort, existing_account=existing is not None)


async def accept_invitation(
    uow: UnitOfWork,
    token: object,
    *,
    display_name: object,
    pronouns: object,
    password: object,
    address: str = "",
) -> Person:
    """Create the invited person's account, place them, and use the invitation up."""
    opened = await open_invitation(uow, token)
    invitation = opened.invitation
    if opened.existing_account:
        raise Conflict("An account with this email exists already. Sign in, then open the link again.")
    name = clean_line(display_name, field="display_name", label="Name", max_length=NAME_LIMIT)
    chosen_pronouns = clean_line(pronouns, field="pronouns", label="Pronouns", max_length=PRONOUNS_LIMIT, required=False)
    school = (opened.institution.name, opened.institution.short_name)
    chosen_password = passwords.check_new_password(password, context=(invitation.email.split("@")[0], *name.split(), *school))
    now = uow.clock.now()
    person = Person(
        email=invitation.email,
        display_name=name,
        pronouns=chosen_pronouns,
        title="",
        password_hash=passwords.hash_password(chosen_password),
        institution_id=invitation.institution_id,
        session_epoch=0,
        is_deleted=False,
        created_at=now,
        last_sign_in_at=now,
    )
    uow.session.add(person)
    try:
        await uow.flush()
    except IntegrityError:
        raise Conflict("An account with this email exists already. Sign in instead.") from None
    await _place(uow, person.id, invitation, granted_by=invitation.invited_by_id)
    audit.record(uow, actor_id=person.id, action="invitation_accepted", institution_id=invitation.institution_id, target_kind="invitation", target_id=invitation.id, address=address)
    return person


async def accept_invitation_signed_in(uow: UnitOfWork, actor: Actor, token: object, *, address: str = "") -> None:
    """Add the role of an invitation to the signed-in person it was sent to."""
    opened = await open_invitation(uow, token)
    person = await _person(uow, actor.person_id)
    if person.email != opened.invitation.email:
        raise Invalid("This invitation was sent to another address. Sign out and open the link again.")
    if person.institution_id not in (None, opened.invitation.institution_id):
        raise Invalid("This invitation is for another institution; ask the program team to move your account.")
    person.institution_id = opened.invitation.institution_id
    await _place(uow, person.id, opened.invitation, granted_by=opened.invitation.invited_by_id, known=await queries.list_role_assignments(uow.session, person.id))
    audit.record(uow, actor_id=person.id, action="invitation_accepted", institution_id=opened.invitation.institution_id, target_kind="invitation", target_id=opened.invitation.id, address=address)


async def _place(uow: UnitOfWork, person_id: int, invitation: Invitation, *, granted_by: int | None, known: list[RoleAssignment] | None = None) -> None:
    role = Role(invitation.role)
    now = uow.clock.now()
    # A coach is assigned to a cohort by the program, not a member of it.
    if invitation.cohort_id is not None and role is not Role.COACH:
        membership = await uow.session.get(CohortMembership, (person_id, invitation.cohort_id))
        if membership is None:
            uow.session.add(CohortMembership(person_id=person_id, cohort_id=invitation.cohort_id, constituency=invitation.constituency, joined_at=now))
    scope_cohort = invitation.cohort_id if role in COHORT_ROLES else None
    if not any(a.role == role.value and a.cohort_id == scope_cohort and a.institution_id == invitation.institution_id for a in known or []):
        _apply_grant(uow, person_id, role, invitation.institution_id, scope_cohort, granted_by=granted_by)
    invitation.accepted_at = now
    invitation.accepted_person_id = person_id


# --- the command line's own intents --------------------------------------------------------


async def create_admin(uow: UnitOfWork, *, email: object, display_name: object, password: object) -> Person:
    """Create a program admin (the CLI's create-admin); the first account of a fresh install."""
    address = clean_email(email)
    name = clean_line(display_name, field="display_name", label="Name", max_length=NAME_LIMIT)
    chosen = passwords.check_new_password(password, context=(address.split("@")[0], *name.split()))
    if await queries.get_person_by_email(uow.session, address) is not None:
        raise Conflict("An account with this email exists already.", field="email")
    person = Person(
        email=address,
        display_name=name,
        pronouns="",
        title="Program admin",
        password_hash=passwords.hash_password(chosen),
        institution_id=None,
        session_epoch=0,
        is_deleted=False,
        created_at=uow.clock.now(),
    )
    uow.session.add(person)
    await uow.flush()
    _apply_grant(uow, person.id, Role.PROGRAM_ADMIN, None, None, granted_by=None)
    audit.record(uow, actor_id=None, action="role_granted", target_kind="person", target_id=person.id, detail={"role": Role.PROGRAM_ADMIN.value, "via": "cli"})
    return person
