"""The append-only audit log: recording entries and reading them under the policy.

Every role change, invitation, sign-in failure and privileged read lands here (DESIGN.md,
Security). Reading is scoped: program admins see everything, an institution lead sees the
entries about their own school, including program staff's reads of it (rule 2).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from artme_cop import policy, security_log
from artme_cop.identity.models import Person
from artme_cop.moderation.models import AuditEntry
from artme_cop.policy import Action, Actor
from artme_cop.unit_of_work import UnitOfWork

AUDIT_PAGE_SIZE = 50


def record(
    uow: UnitOfWork,
    *,
    actor_id: int | None,
    action: str,
    institution_id: int | None = None,
    target_kind: str = "",
    target_id: int | None = None,
    detail: dict[str, object] | None = None,
    address: str = "",
) -> AuditEntry:
    """Append one entry to the audit log in the caller's transaction."""
    entry = AuditEntry(
        at=uow.clock.now(),
        actor_id=actor_id,
        action=action,
        institution_id=institution_id,
        target_kind=target_kind,
        target_id=target_id,
        detail=json.dumps(detail or {}, ensure_ascii=False, sort_keys=True),
        address=address[:64],
    )
    uow.session.add(entry)
    # The same act on the security log; the detail (which may quote a reason) stays in the table.
    outcome = security_log.FAILED if action.endswith("_failed") else security_log.OK
    target = f"{target_kind}:{target_id}" if target_kind else ""
    security_log.event(action, outcome=outcome, person=actor_id, address=address, institution=institution_id, target=target)
    return entry


def note_privileged_read(uow: UnitOfWork, actor: Actor, institution_id: int | None, *, what: str, target_id: int | None) -> None:
    """Log the read when the actor sees a school's private data by program-wide power only."""
    if policy.is_privileged_read(actor, institution_id):
        record(
            uow,
            actor_id=actor.person_id,
            action="privileged_read",
            institution_id=institution_id,
            target_kind=what,
            target_id=target_id,
        )


@dataclass(frozen=True)
class AuditRow:
    id: int
    at: datetime
    actor_name: str | None
    action: str
    institution_id: int | None
    target_kind: str
    target_id: int | None
    detail: dict[str, object]


async def list_audit(uow: UnitOfWork, actor: Actor, *, institution_id: int | None = None, before: int | None = None) -> list[AuditRow]:
    """Newest first, a page at a time (keyset on id).

    Who: `audit.read` (admins: all; leads: their institution's entries).
    """
    policy.require(actor, Action.AUDIT_READ, institution_id)
    query = (
        select(AuditEntry, Person.display_name)
        .outerjoin(Person, Person.id == AuditEntry.actor_id)
        .where(policy.audit_clause(actor, AuditEntry.institution_id))
        .order_by(AuditEntry.id.desc())
        .limit(AUDIT_PAGE_SIZE)
    )
    if institution_id is not None:
        query = query.where(AuditEntry.institution_id == institution_id)
    if before is not None:
        query = query.where(AuditEntry.id < before)
    rows = (await uow.session.execute(query)).all()
    return [
        AuditRow(
            id=entry.id,
            at=entry.at,
            actor_name=name,
            action=entry.action,
            institution_id=entry.institution_id,
            target_kind=entry.target_kind,
            target_id=entry.target_id,
            detail=json.loads(entry.detail or "{}"),
        )
        for entry, name in rows
    ]
