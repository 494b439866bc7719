"""Intents of outcome mapping for coaching: a school's boundary partners with their outcome
challenges, progress markers at three levels, and the journal of markers observed.

Visible within the school and to its coaches; a program admin's look is a logged privileged
read (rule 2). Written by the coach of the partner's cohort, the school's lead and its
coalition members. Every change lands in the audit log. No HTTP here.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from artme_cop import policy
from artme_cop.errors import Invalid, NotFound
from artme_cop.identity.models import Cohort, Institution, Person
from artme_cop.moderation import service as audit
from artme_cop.policy import Action, Actor, PartnerRef
from artme_cop.program import fields
from artme_cop.program.outcomes.models import MARKER_LEVEL_LABELS, BoundaryPartner, JournalEntry, MarkerLevel, ProgressMarker
from artme_cop.unit_of_work import UnitOfWork


def _record(uow: UnitOfWork, actor: Actor, action: str, institution_id: int, kind: str, target_id: int, detail: dict[str, object] | None = None) -> None:
    audit.record(uow, actor_id=actor.person_id, action=action, institution_id=institution_id, target_kind=kind, target_id=target_id, detail=detail)


async def access_institution(uow: UnitOfWork, actor: Actor, institution_id: object) -> Institution:
    ref = fields.maybe_key(institution_id)
    institution = await uow.session.get(Institution, ref) if ref is not None else None
    if institution is None or not policy.can(actor, Action.OUTCOMES_READ, institution.id):
        raise NotFound("institution")
    audit.note_privileged_read(uow, actor, institution.id, what="outcome_mapping", target_id=institution.id)
    return institution


@dataclass(frozen=True)
class PartnersView:
    institution: Institution
    partners: list[BoundaryPartner]
    cohorts: list[Cohort]
    can_add: bool


async def list_partners(uow: UnitOfWork, actor: Actor, institution_id: object) -> PartnersView:
    """The school's boundary partners. Who: `outcomes.read`."""
    institution = await access_institution(uow, actor, institution_id)
    partners = list((await uow.session.execute(select(BoundaryPartner).where(BoundaryPartner.institution_id == institution.id).order_by(BoundaryPartner.name, BoundaryPartner.id))).scalars())
    cohorts = list((await uow.session.execute(select(Cohort).where(Cohort.institution_id == institution.id).order_by(Cohort.name))).scalars())
    can_add = policy.can(actor, Action.OUTCOMES_EDIT, PartnerRef(institution.id)) or any(policy.can(actor, Action.OUTCOMES_EDIT, PartnerRef(institution.id, c.id)) for c in cohorts)
    return PartnersView(institution, partners, cohorts, can_add)


async def add_partner(uow: UnitOfWork, actor: Actor, institution_id: object, *, name: object, description: object, outcome_challenge: object, cohort_id: object = "") -> BoundaryPartner:
    """Name a boundary partner and its outcome challenge. Who: `outcomes.edit`."""
    institution = await access_institution(uow, actor, institution_id)
    cohort: int | None = None
    if cohort_id not in ("", None):
        cohort = fields.key(cohort_id, field="cohort_id", label="The cohort")
        row = await uow.session.get(Cohort, cohort)
        if row is None or row.institution_id != institution.id:
            raise Invalid("Choose one of the school's cohorts.", field="cohort_id")
    policy.require(actor, Action.OUTCOMES_EDIT, PartnerRef(institution.id, cohort))
    partner = BoundaryPartner(
        institution_id=institution.id,
        cohort_id=cohort,
        name=fields.line(name, field="name", label="The partner's name", max_length=120),
        description=fields.long_text(description, field="description", label="The description", required=False, max_length=2000),
        outcome_challenge=fields.long_text(outcome_challenge, field="outcome_challenge", label="The outcome challenge"),
        created_by_id=actor.person_id,
        created_at=uow.clock.now(),
    )
    uow.session.add(partner)
    await uow.flush()
    _record(uow, actor, "boundary_partner_added", institution.id, "boundary_partner", partner.id)
    return partner


@dataclass(frozen=True)
class JournalRow:
    entry: JournalEntry
    marker: ProgressMarker
    recorded_by: str


@dataclass(frozen=True)
class PartnerView:
    institution: Institution
    partner: BoundaryPartner
    markers: dict[MarkerLevel, list[ProgressMarker]]
    journal: list[JournalRow]
    can_edit: bool

    @property
    def level_labels(self) -> dict[MarkerLevel, str]:
        return MARKER_LEVEL_LABELS


async def _partner(uow: UnitOfWork, actor: Actor, partner_id: object) -> tuple[BoundaryPartner, Institution]:
    ref = fields.maybe_key(partner_id)
    partner = await uow.session.get(BoundaryPartner, ref) if ref is not None else None
    if partner is None or not policy.can(actor, Action.OUTCOMES_READ, partner.institution_id):
        raise NotFound("partner")
    return partner, await access_institution(uow, actor, partner.institution_id)


async def access_partner(uow: UnitOfWork, actor: Actor, partner_id: object) -> PartnerView:
    """A partner with its markers by level and its journal, newest first. Who: `outcomes.read`."""
    partner, institution = await _partner(uow, actor, partner_id)
    markers = list((await uow.session.execute(select(ProgressMarker).where(ProgressMarker.partner_id == partner.id).order_by(ProgressMarker.id))).scalars())
    by_level = {level: [m for m in markers if m.level == level.value] for level in MarkerLevel}
    query = (
        select(JournalEntry, ProgressMarker, Person.display_name)
        .join(ProgressMarker, ProgressMarker.id == JournalEntry.marker_id)
        .join(Person, Person.id == JournalEntry.recorded_by_id)
        .where(JournalEntry.partner_id == partner.id)
        .order_by(JournalEntry.observed_on.desc(), JournalEntry.id.desc())
    )
    journal = [JournalRow(e, m, name) for e, m, name in (await uow.session.execute(query)).all()]
    return PartnerView(institution, partner, by_level, journal, policy.can(actor, Action.OUTCOMES_EDIT, PartnerRef(partner.institution_id, partner.cohort_id)))


async def add_marker(uow: UnitOfWork, actor: Actor, partner_id: object, *, level: object, description: object) -> ProgressMarker:
    """Add a progress marker (expect, like or love to see). Who: `outcomes.edit`."""
    partner, institution = await _partner(uow, actor, partner_id)
    policy.require(actor, Action.OUTCOMES_EDIT, PartnerRef(partner.institution_id, partner.cohort_id))
    marker = ProgressMarker(
        partner_id=partner.id,
        level=fields.choice(level, MarkerLevel, field="level", label="a level (expect, like or love to see)").value,
        description=fields.line(description, field="description", label="The marker", max_length=300),
        created_at=uow.clock.now(),
    )
    uow.session.add(marker)
    await uow.flush()
    _record(uow, actor, "progress_marker_added", institution.id, "progress_marker", marker.id, {"partner_id": partner.id, "level": marker.level})
    return marker


async def record_observation(uow: UnitOfWork, actor: Actor, partner_id: object, *, marker_id: object, observed_on: object, evidence: object) -> JournalEntry:
    """Write an outcome journal entry: which marker was observed, when, with what evidence.

    Who: `outcomes.edit`. Raises Invalid for a marker of another partner or a future date.
    """
    partner, institution = await _partner(uow, actor, partner_id)
    policy.require(actor, Action.OUTCOMES_EDIT, PartnerRef(partner.institution_id, partner.cohort_id))
    marker = await uow.session.get(ProgressMarker, fields.key(marker_id, field="marker_id", label="The marker"))
    if marker is None or marker.partner_id != partner.id:
        raise Invalid("Choose one of this partner's progress markers.", field="marker_id")
    when = fields.day(observed_on, field="observed_on", label="The date observed")
    if when > uow.clock.now().date():
        raise Invalid("An observation cannot be dated in the future.", field="observed_on")
    entry = JournalEntry(
        partner_id=partner.id, marker_id=marker.id, observed_on=when,
        evidence=fields.long_text(evidence, field="evidence", label="The evidence"),
        recorded_by_id=actor.person_id, created_at=uow.clock.now(),
    )
    uow.session.add(entry)
    await uow.flush()
    _record(uow, actor, "outcome_observed", institution.id, "journal_entry", entry.id, {"marker_id": marker.id})
    return entry
