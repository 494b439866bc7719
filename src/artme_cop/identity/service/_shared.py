"""Helpers and limits shared by the identity intents: field parsing, the person lookup,
session epochs and role grants. Nothing here checks permissions; the intents do."""

from __future__ import annotations

from datetime import datetime
from typing import TypeVar

from sqlalchemy import update

from artme_cop.db import Base
from artme_cop.errors import Invalid, NotFound
from artme_cop.identity import queries
from artme_cop.identity.models import (
    ROLE_LABELS,
    Cohort,
    Constituency,
    Institution,
    Invitation,
    Person,
    Role,
    RoleAssignment,
)
from artme_cop.unit_of_work import UnitOfWork

Row = TypeVar("Row", bound=Base)

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


async def _bump_epoch(uow: UnitOfWork, person_id: int) -> int:
    result = await uow.session.execute(
        update(Person).where(Person.id == person_id).values(session_epoch=Person.session_epoch + 1).returning(Person.session_epoch)
    )
    return int(result.scalar_one())


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


async def _row(uow: UnitOfWork, model: type[Row], key: object) -> Row | None:
    """The row with this id, or None for a missing row and a malformed id alike, so that
    ids taken from URLs and forms can never be probed or cause an error page."""
    try:
        number = _id(key, field="id", label="Id")
    except Invalid:
        return None
    return await uow.session.get(model, number)


async def _institution(uow: UnitOfWork, institution_id: object) -> Institution:
    institution = await _row(uow, Institution, institution_id)
    if institution is None:
        raise NotFound("institution")
    return institution


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
    cohort = await _row(uow, Cohort, cohort_id)
    if cohort is None or cohort.institution_id != institution.id:
        raise Invalid("Choose a cohort of this institution.", field="cohort_id")
    return cohort


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


def invitation_status(invitation: Invitation, now: datetime | None) -> str:
    if invitation.accepted_at is not None:
        return "accepted"
    if invitation.revoked_at is not None:
        return "revoked"
    if now is not None and invitation.expires_at <= now:
        return "expired"
    return "pending"
