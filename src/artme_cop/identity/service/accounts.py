"""One's own account: profile, data export and deletion; and the CLI's create-admin."""

from __future__ import annotations

import secrets

from sqlalchemy import delete, select

from artme_cop import zones
from artme_cop.errors import Conflict, Invalid
from artme_cop.identity import passwords, queries
from artme_cop.identity.models import (
    CohortMembership,
    Invitation,
    Person,
    RecoveryCode,
    Role,
    RoleAssignment,
    TwoStepSecret,
)
from artme_cop.identity.service._shared import (
    NAME_LIMIT,
    PRONOUNS_LIMIT,
    TITLE_LIMIT,
    _apply_grant,
    _bump_epoch,
    _person,
    invitation_status,
)
from artme_cop.moderation import service as audit
from artme_cop.moderation.models import AuditEntry, Flag, ModerationWarning
from artme_cop.policy import Actor
from artme_cop.program.wins import service as wins_service
from artme_cop.text import clean_email, clean_line
from artme_cop.unit_of_work import UnitOfWork


async def get_profile(uow: UnitOfWork, actor: Actor) -> Person:
    return await _person(uow, actor.person_id)


async def update_profile(uow: UnitOfWork, actor: Actor, *, display_name: object, pronouns: object, title: object, time_zone: object = None) -> Person:
    """Change one's own name, pronouns, title and time zone (kept when not sent). Cohorts and
    roles are not editable here (SEC-L3)."""
    person = await _person(uow, actor.person_id)
    person.display_name = clean_line(display_name, field="display_name", label="Name", max_length=NAME_LIMIT)
    person.pronouns = clean_line(pronouns, field="pronouns", label="Pronouns", max_length=PRONOUNS_LIMIT, required=False)
    person.title = clean_line(title, field="title", label="Title", max_length=TITLE_LIMIT, required=False)
    if time_zone is not None:
        person.time_zone = zones.clean_zone(time_zone)
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
    flags_made = (await uow.session.execute(select(Flag).where(Flag.flagger_id == person.id).order_by(Flag.id))).scalars()
    warnings = (await uow.session.execute(select(ModerationWarning).where(ModerationWarning.person_id == person.id).order_by(ModerationWarning.id))).scalars()
    return {
        "format": "artme-cop personal data export, version 1",
        "exported_at": uow.clock.now().isoformat(),
        "person": {
            "id": person.id,
            "email": person.email,
            "display_name": person.display_name,
            "pronouns": person.pronouns,
            "time_zone": person.time_zone,
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
        # Wins the person is credited on, with their consent (#8): named only once they consent.
        "wins_credited": await wins_service.credits_export(uow, person.id),
        "audit_entries": [
            {"at": e.at.isoformat(), "action": e.action, "target_kind": e.target_kind, "target_id": e.target_id, "address": e.address}
            for e in own_audit
        ],
        "flags_made": [
            {"conversation_id": f.conversation_id, "message_id": f.message_id, "reason": f.reason, "note": f.note, "created_at": f.created_at.isoformat(), "status": f.status}
            for f in flags_made
        ],
        # What the moderators wrote to the person, without naming the moderator (as on the page).
        "warnings_received": [
            {"conversation_id": w.conversation_id, "message_id": w.message_id, "text": w.text, "created_at": w.created_at.isoformat()}
            for w in warnings
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
    if not isinstance(password, str) or not await passwords.verify_password_async(person.password_hash, password):
        raise Invalid("Your password is not correct.", field="password")
    await uow.session.execute(delete(CohortMembership).where(CohortMembership.person_id == person.id))
    await uow.session.execute(delete(RoleAssignment).where(RoleAssignment.person_id == person.id))
    for table in (RecoveryCode, TwoStepSecret):
        await uow.session.execute(delete(table).where(table.person_id == person.id))
    person.email = f"deleted-{person.id}-{secrets.token_hex(8)}@deleted.invalid"
    person.display_name = "Deleted account"
    person.pronouns = ""
    person.title = ""
    person.password_hash = passwords.unusable_hash()
    person.is_deleted = True
    person.deleted_at = uow.clock.now()
    audit.record(uow, actor_id=person.id, action="account_deleted", institution_id=person.institution_id, target_kind="person", target_id=person.id)
    await _bump_epoch(uow, person.id)


async def create_admin(uow: UnitOfWork, *, email: object, display_name: object, password: object) -> Person:
    """Create a program admin (the CLI's create-admin); the first account of a fresh install."""
    address = clean_email(email)
    name = clean_line(display_name, field="display_name", label="Name", max_length=NAME_LIMIT)
    chosen = await passwords.check_new_password_async(password, context=(address.split("@")[0], *name.split()))
    if await queries.get_person_by_email(uow.session, address) is not None:
        raise Conflict("An account with this email exists already.", field="email")
    person = Person(
        email=address,
        display_name=name,
        pronouns="",
        title="Program admin",
        password_hash=await passwords.hash_password_async(chosen),
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
