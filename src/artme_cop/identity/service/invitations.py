"""Invitations: signed, expiring, single-use links that place a person in an institution,
a cohort and a role. Every step lands in the audit log."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta

from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import true
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
    Person,
    Role,
    RoleAssignment,
)
from artme_cop.identity.service._shared import (
    COHORT_ROLES,
    INVALID_LINK,
    NAME_LIMIT,
    PRONOUNS_LIMIT,
    _apply_grant,
    _constituency,
    _institution,
    _person,
    _role,
    _role_scope,
    _row,
    invitation_status,
)
from artme_cop.mail import Mail
from artme_cop.moderation import service as audit
from artme_cop.policy import Action, Actor, RoleTarget
from artme_cop.text import clean_email, clean_line
from artme_cop.unit_of_work import UnitOfWork


def _serializer(uow: UnitOfWork) -> URLSafeSerializer:
    return URLSafeSerializer(uow.settings.signing_keys, salt="artme-invitation")


def invitation_link(uow: UnitOfWork, invitation: Invitation) -> str:
    token = _serializer(uow).dumps(invitation.public_id)
    return f"{uow.settings.base_url}/invitations/{token}"


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
    elif chosen_role not in policy.ADMIN_GRANTABLE_ROLES:
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
    """Invitations of the institutions the actor administers: who invited whom, and their status.

    Who: an administrator of some institution; Forbidden for everyone else, like the other
    administration lists.
    """
    if not actor.is_manager:
        raise Forbidden("You do not have permission to do that.")
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
    invitation = await _row(uow, Invitation, invitation_id)
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
    chosen_password = await passwords.check_new_password_async(password, context=(invitation.email.split("@")[0], *name.split(), *school))
    now = uow.clock.now()
    person = Person(
        email=invitation.email,
        display_name=name,
        pronouns=chosen_pronouns,
        title="",
        password_hash=await passwords.hash_password_async(chosen_password),
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
