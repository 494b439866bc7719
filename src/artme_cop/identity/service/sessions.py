"""Signing in and out, the current actor, password changes and resets.

A session lives as long as the person's session epoch: sign-out, a password change and a
reset move it on, so older cookies stop working (SEC-D3)."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from artme_cop.errors import Invalid
from artme_cop.identity import passwords, queries
from artme_cop.identity.models import (
    Cohort,
    CohortMembership,
    Constituency,
    Institution,
    PasswordReset,
    Person,
    Role,
    RoleAssignment,
)
from artme_cop.identity.service._shared import (
    _bump_epoch,
    _password_context,
    _person,
)
from artme_cop.mail import Mail
from artme_cop.moderation import service as audit
from artme_cop.policy import Actor, Grant
from artme_cop.text import clean_email
from artme_cop.unit_of_work import UnitOfWork


async def load_actor(uow: UnitOfWork, person_id: int, session_epoch: int) -> Actor | None:
    """Return the actor for a session, or None when the session was revoked or the account is gone."""
    person = await queries.get_person(uow.session, person_id)
    if person is None or person.is_deleted or person.session_epoch != session_epoch:
        return None
    return await _actor_for(uow, person)


async def _actor_for(uow: UnitOfWork, person: Person) -> Actor:
    assignments = await queries.list_role_assignments(uow.session, person.id)
    memberships = await queries.list_memberships(uow.session, person.id)
    conversations = await queries.list_conversation_memberships(uow.session, person.id)
    return _actor_from(person, assignments, memberships, conversations)


def _actor_from(
    person: Person, assignments: list[RoleAssignment], memberships: list[tuple[CohortMembership, Cohort]], conversations: list[tuple[int, bool]]
) -> Actor:
    return Actor(
        person_id=person.id,
        display_name=person.display_name,
        institution_id=person.institution_id,
        grants=frozenset(Grant(Role(a.role), a.institution_id, a.cohort_id) for a in assignments),
        cohorts=tuple((m.cohort_id, Constituency(m.constituency)) for m, _ in memberships),
        session_epoch=person.session_epoch,
        member_conversations=frozenset(c for c, _ in conversations),
        moderated_conversations=frozenset(c for c, moderates in conversations if moderates),
        time_zone=person.time_zone,
    )


async def actors_for(uow: UnitOfWork, person_ids: list[int]) -> list[Actor]:
    """Actors of existing, undeleted people, to ask the policy what they may see."""
    return [await _actor_for(uow, person) for person in await people_by_id(uow, person_ids) if not person.is_deleted]


def actors_for_sync(session: Session, person_ids: list[int]) -> list[Actor]:
    """`actors_for` in a synchronous session (the message write path runs in one)."""
    found = queries.get_people_sync(session, set(person_ids))
    people = [found[pid] for pid in person_ids if pid in found and not found[pid].is_deleted]
    return [
        _actor_from(
            person,
            queries.list_role_assignments_sync(session, person.id),
            queries.list_memberships_sync(session, person.id),
            queries.list_conversation_memberships_sync(session, person.id),
        )
        for person in people
    ]


async def people_by_id(uow: UnitOfWork, person_ids: list[int]) -> list[Person]:
    """People by id, in the given order, skipping unknown ids; one query however many."""
    found = await queries.get_people(uow.session, set(person_ids))
    return [found[pid] for pid in person_ids if pid in found]


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
    if person is None or person.is_deleted or not await passwords.verify_password_async(person.password_hash, given):
        if person is None:
            # Spend the same time as a real check, so timing does not reveal accounts.
            await passwords.verify_password_async(_DUMMY_HASH, given)
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


async def change_password(uow: UnitOfWork, actor: Actor, *, current: object, new: object) -> int:
    """Replace the password after checking the current one; returns the new session epoch."""
    person = await _person(uow, actor.person_id)
    if not isinstance(current, str) or not await passwords.verify_password_async(person.password_hash, current):
        raise Invalid("Your current password is not correct.", field="current_password")
    new_password = await passwords.check_new_password_async(new, context=await _password_context(uow, person), field="new_password")
    person.password_hash = await passwords.hash_password_async(new_password)
    audit.record(uow, actor_id=person.id, action="password_changed", institution_id=person.institution_id, target_kind="person", target_id=person.id)
    return await _bump_epoch(uow, person.id)


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
    chosen = await passwords.check_new_password_async(new_password, context=await _password_context(uow, person))
    person.password_hash = await passwords.hash_password_async(chosen)
    reset.used_at = uow.clock.now()
    audit.record(uow, actor_id=person.id, action="password_reset", institution_id=person.institution_id, target_kind="person", target_id=person.id)
    await _bump_epoch(uow, person.id)
