"""Intents of short-term wins: recording a win against a change target or a progress marker,
crediting people (each consents before being named), the de-identification checklist, the
lead's sharing choice, and the program's curation of shared wins for the next
community-of-practice session.

Inside the school a win is read by its coalition (and coaches); outside it, only in the form
`attribution.public_win` gives it, and only when the lead shared it. Wins are never ranked
or counted per school across schools. Every change lands in the audit log. No HTTP here.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from itertools import groupby

from sqlalchemy import select

from artme_cop import policy
from artme_cop.errors import Invalid, NotFound
from artme_cop.identity.models import Institution, Person
from artme_cop.moderation import service as audit
from artme_cop.policy import Action, Actor
from artme_cop.program import fields
from artme_cop.program.coalition import queries as coalition_queries
from artme_cop.program.coalition import service as coalition
from artme_cop.program.coalition.models import ChangeTarget
from artme_cop.program.outcomes.models import BoundaryPartner, ProgressMarker
from artme_cop.program.wins import queries
from artme_cop.program.wins.attribution import SHARED, TEAM_MEMBER, PublicWin, check_partner_text, credit_label, public_win
from artme_cop.program.wins.models import Consent, Sharing, Win, WinCredit
from artme_cop.unit_of_work import UnitOfWork

THEMES = {
    "curriculum": "Curriculum",
    "assessment": "Assessment and grading",
    "admissions": "Admissions and recruitment",
    "climate": "Learning climate",
    "clinical_care": "Clinical care",
    "faculty_development": "Faculty development",
    "policy": "Policy and governance",
    "community": "Community partnership",
    "other": "Other",
}

CHECKLIST = {
    "no_student_or_patient_details": "No student or patient details: no names, dates, record numbers or rare conditions",
    "no_named_accusations": "No named accusations: nobody is blamed or identifiable as having done harm",
    "small_numbers_checked": "Small-group numbers checked: no count under five that could point to someone",
    "no_identifying_context": "No identifying context: no role, unit or event that singles out a person",
}

SHARING_LABELS = {
    Sharing.UNDECIDED: "Not decided yet (stays in the school)",
    Sharing.LOCAL: "Kept local: never leaves the school",
    Sharing.NAMED: "Shared with the consortium by name",
    Sharing.PARTNER: "Shared with the consortium as “a partner school”",
}
MAX_CREDITS = 20


def _record(uow: UnitOfWork, actor: Actor, action: str, institution_id: int | None, target_id: int | None, detail: dict[str, object] | None = None, kind: str = "win") -> None:
    audit.record(uow, actor_id=actor.person_id, action=action, institution_id=institution_id, target_kind=kind, target_id=target_id, detail=detail)


def checklist_complete(win: Win) -> bool:
    return all(getattr(win, name) for name in CHECKLIST)


@dataclass(frozen=True)
class CreditRow:
    person: Person
    consent: str

    @property
    def label(self) -> str:
        # a deleted account is never named again, whatever it answered
        return credit_label(self.person.display_name, Consent.PENDING.value if self.person.is_deleted else self.consent)


@dataclass(frozen=True)
class SchoolWin:
    """A win as its own school's coalition sees it."""

    win: Win
    against: str
    credits: list[CreditRow]

    @property
    def checklist_complete(self) -> bool:
        return checklist_complete(self.win)

    @property
    def sharing_label(self) -> str:
        return SHARING_LABELS[Sharing(self.win.sharing)]

    @property
    def theme_label(self) -> str:
        return THEMES.get(self.win.theme, self.win.theme)


@dataclass(frozen=True)
class Option:
    value: str
    label: str


@dataclass(frozen=True)
class SchoolWins:
    institution: Institution
    wins: list[SchoolWin]
    against: list[Option]
    people: list[Person]
    can_record: bool


async def _against_options(uow: UnitOfWork, institution_id: int) -> list[Option]:
    targets = await coalition_queries.list_targets(uow.session, institution_id=institution_id)
    markers = (
        await uow.session.execute(
            select(ProgressMarker, BoundaryPartner.name).join(BoundaryPartner, BoundaryPartner.id == ProgressMarker.partner_id).where(BoundaryPartner.institution_id == institution_id).order_by(BoundaryPartner.name, ProgressMarker.id)
        )
    ).all()
    return [Option(f"target:{t.id}", f"Target: {t.specific}") for t in targets] + [Option(f"marker:{m.id}", f"Progress marker ({name}): {m.description}") for m, name in markers]


async def _school_wins(uow: UnitOfWork, wins: list[Win]) -> list[SchoolWin]:
    credits = await queries.list_credits(uow.session, [w.id for w in wins])
    targets = {t.id: t.specific for t in (await uow.session.execute(select(ChangeTarget).where(ChangeTarget.id.in_([w.target_id for w in wins if w.target_id])))).scalars()}
    markers = {m.id: m.description for m in (await uow.session.execute(select(ProgressMarker).where(ProgressMarker.id.in_([w.marker_id for w in wins if w.marker_id])))).scalars()}
    rows = []
    for win in wins:
        against = f"Target: {targets.get(win.target_id or 0, '')}" if win.target_id else f"Progress marker: {markers.get(win.marker_id or 0, '')}"
        rows.append(SchoolWin(win, against, [CreditRow(p, c.consent) for c, p in credits if c.win_id == win.id]))
    return rows


async def school_wins(uow: UnitOfWork, actor: Actor, institution_id: object) -> SchoolWins:
    """The school's wins, whatever their sharing. Who: `coalition.read` (admins: logged)."""
    institution = await coalition.access_institution(uow, actor, institution_id, what="wins")
    wins = await _school_wins(uow, await queries.list_school_wins(uow.session, institution.id))
    can_record = policy.can(actor, Action.WIN_RECORD, institution.id)
    against = await _against_options(uow, institution.id) if can_record else []
    people = await coalition_queries.school_people(uow.session, institution.id) if can_record else []
    return SchoolWins(institution, wins, against, people, can_record)


async def _against(uow: UnitOfWork, institution_id: int, value: object) -> tuple[int | None, int | None]:
    kind, _, raw = str(value or "").partition(":")
    ref = fields.maybe_key(raw)
    if kind == "target" and ref is not None:
        target = await uow.session.get(ChangeTarget, ref)
        if target is not None and target.institution_id == institution_id:
            return target.id, None
    if kind == "marker" and ref is not None:
        marker = await uow.session.get(ProgressMarker, ref)
        partner = await uow.session.get(BoundaryPartner, marker.partner_id) if marker else None
        if marker is not None and partner is not None and partner.institution_id == institution_id:
            return None, marker.id
    raise Invalid("Choose the change target or progress marker this win is for.", field="against")


async def record_win(
    uow: UnitOfWork, actor: Actor, institution_id: object, *, against: object, title: object, evidence: object, theme: object, phase: object, credited: list[object]
) -> Win:
    """Record a short-term win with its evidence and the people credited (asked for consent).

    Who: `win.record` (the school's coalition members and lead). Raises Invalid, NotFound.
    """
    institution = await coalition.access_institution(uow, actor, institution_id, what="wins")
    policy.require(actor, Action.WIN_RECORD, institution.id)
    target_id, marker_id = await _against(uow, institution.id, against)
    clean_title = fields.line(title, field="title", label="The title", max_length=200)
    clean_evidence = fields.long_text(evidence, field="evidence", label="The evidence")
    if theme not in THEMES:
        raise Invalid("Choose a theme.", field="theme")
    chosen_phase = fields.phase(phase)
    people = {p.id for p in await coalition_queries.school_people(uow.session, institution.id)}
    credit_ids: list[int] = []
    for value in credited:
        person_id = fields.key(value, field="credited", label="A person credited")
        if person_id not in people:
            raise Invalid("Only people of the school can be credited.", field="credited")
        if person_id not in credit_ids:
            credit_ids.append(person_id)
    if len(credit_ids) > MAX_CREDITS:
        raise Invalid(f"Credit at most {MAX_CREDITS} people.", field="credited")
    win = Win(
        public_id=secrets.token_hex(16), institution_id=institution.id, target_id=target_id, marker_id=marker_id, title=clean_title, evidence=clean_evidence,
        theme=str(theme), phase=chosen_phase, recorded_by_id=actor.person_id, created_at=uow.clock.now(), sharing=Sharing.UNDECIDED.value,
        no_student_or_patient_details=False, no_named_accusations=False, small_numbers_checked=False, no_identifying_context=False,
    )
    uow.session.add(win)
    await uow.flush()
    uow.session.add_all(WinCredit(win_id=win.id, person_id=person_id, consent=Consent.PENDING.value) for person_id in credit_ids)
    _record(uow, actor, "win_recorded", institution.id, win.id, {"credited": credit_ids})
    return win


@dataclass(frozen=True)
class WinView:
    institution: Institution
    row: SchoolWin
    can_check: bool
    can_share: bool


async def _win(uow: UnitOfWork, actor: Actor, win_id: object) -> tuple[Win, Institution]:
    ref = fields.maybe_key(win_id)
    win = await uow.session.get(Win, ref) if ref is not None else None
    if win is None or not policy.can(actor, Action.COALITION_READ, win.institution_id):
        raise NotFound("win")
    return win, await coalition.access_institution(uow, actor, win.institution_id, what="wins")


async def access_win(uow: UnitOfWork, actor: Actor, win_id: object) -> WinView:
    """A win as its school sees it. Who: `coalition.read` (admins: logged)."""
    win, institution = await _win(uow, actor, win_id)
    [row] = await _school_wins(uow, [win])
    return WinView(institution, row, policy.can(actor, Action.WIN_RECORD, institution.id), policy.can(actor, Action.WIN_SHARE, institution.id))


async def save_checklist(uow: UnitOfWork, actor: Actor, win_id: object, *, ticked: list[str]) -> Win:
    """Tick the de-identification checklist. Who: `win.record`. Raises Invalid for an unknown item."""
    win, institution = await _win(uow, actor, win_id)
    policy.require(actor, Action.WIN_RECORD, institution.id)
    if not set(ticked) <= set(CHECKLIST):
        raise Invalid("That is not an item of the checklist.", field="checklist")
    for name in CHECKLIST:
        setattr(win, name, name in ticked)
    win.checked_by_id, win.checked_at = actor.person_id, uow.clock.now()
    if not checklist_complete(win) and win.sharing in SHARED:
        raise Invalid("A shared win keeps its whole checklist; keep it local first to change it.", field="checklist")
    _record(uow, actor, "win_checklist_saved", institution.id, win.id, {"ticked": sorted(ticked)})
    return win


async def choose_sharing(uow: UnitOfWork, actor: Actor, win_id: object, *, choice: object) -> Win:
    """The lead's choice: share by name, share as "a partner school", or keep local.

    Who: `win.share` (the school's lead). Raises Invalid when sharing before the checklist is
    complete, or as a partner school while the text names the school.
    """
    win, institution = await _win(uow, actor, win_id)
    policy.require(actor, Action.WIN_SHARE, institution.id)
    chosen = fields.choice(choice, Sharing, field="sharing", label="how the win is shared")
    if chosen is Sharing.UNDECIDED:
        raise Invalid("Choose to share by name, as a partner school, or keep the win local.", field="sharing")
    if chosen.value in SHARED and not checklist_complete(win):
        raise Invalid("Complete the de-identification checklist before sharing the win.", field="sharing")
    if chosen is Sharing.PARTNER:
        check_partner_text([win.title, win.evidence], [institution.name, institution.short_name])
    win.sharing = chosen.value
    if chosen.value in SHARED:
        win.shared_by_id, win.shared_at = actor.person_id, uow.clock.now()
    else:  # withdrawn: it leaves the program's lists and curation at once
        win.shared_by_id, win.shared_at = None, None
        win.curated_at, win.curated_phase, win.curated_theme = None, None, None
    _record(uow, actor, "win_sharing_chosen", institution.id, win.id, {"sharing": chosen.value})
    return win


# --- credits and consent ---------------------------------------------------------------------------


@dataclass(frozen=True)
class MyCredit:
    win: Win
    consent: str


async def my_credits(uow: UnitOfWork, actor: Actor) -> list[MyCredit]:
    """The wins the actor is credited on, to consent to being named or decline."""
    return [MyCredit(w, c.consent) for c, w in await queries.credits_of(uow.session, actor.person_id)]


async def respond_to_credit(uow: UnitOfWork, actor: Actor, win_id: object, *, consent: object) -> WinCredit:
    """Consent to being named on a win, or decline (then shown as "a team member").

    Who: the credited person only; anyone else gets NotFound.
    """
    ref = fields.maybe_key(win_id)
    credit = await uow.session.get(WinCredit, (ref, actor.person_id)) if ref is not None else None
    if credit is None:
        raise NotFound("credit")
    chosen = fields.choice(consent, Consent, field="consent", label="to consent or decline")
    if chosen is Consent.PENDING:
        raise Invalid("Choose to consent or decline.", field="consent")
    credit.consent, credit.responded_at = chosen.value, uow.clock.now()
    win = await uow.session.get(Win, credit.win_id)
    assert win is not None
    _record(uow, actor, "win_credit_answered", win.institution_id, win.id, {"consent": chosen.value})
    return credit


# --- the consortium's view: shared wins, curation ---------------------------------------------------


async def _public(uow: UnitOfWork, rows: list[tuple[Win, Institution]]) -> list[PublicWin]:
    credits = await queries.list_credits(uow.session, [w.id for w, _ in rows])
    return [
        public_win(
            public_id=w.public_id, title=w.title, evidence=w.evidence, theme=THEMES.get(w.theme, w.theme), phase=w.phase, sharing=w.sharing, school_name=i.name,
            credits=[(p.display_name, Consent.PENDING.value if p.is_deleted else c.consent) for c, p in credits if c.win_id == w.id], shared_at=w.shared_at, curated_at=w.curated_at,
            curated_phase=w.curated_phase, curated_theme=THEMES.get(w.curated_theme or "", w.curated_theme),
        )
        for w, i in rows
    ]


async def shared_wins(uow: UnitOfWork, actor: Actor) -> list[PublicWin]:
    """Wins the schools chose to share, attributed as each chose. Who: anyone signed in."""
    return await _public(uow, await queries.list_shared(uow.session))


async def shared_win(uow: UnitOfWork, actor: Actor, public_id: object) -> PublicWin:
    """One shared win by its public id; a local, undecided or unknown win is NotFound alike."""
    if not isinstance(public_id, str) or len(public_id) != 32 or not public_id.isalnum():
        raise NotFound("win")
    row = await queries.get_shared(uow.session, public_id)
    if row is None:
        raise NotFound("win")
    [shown] = await _public(uow, [row])
    return shown


def require_curator(actor: Actor) -> None:
    policy.require(actor, Action.WIN_CURATE)


async def curate(uow: UnitOfWork, actor: Actor, public_id: object, *, include: bool, phase: object = "", theme: object = "") -> PublicWin:
    """Put a shared win in (or take it out of) the next community-of-practice session's
    curated list, under a phase and a theme.

    Who: `win.curate` (program admins). The audit entry names no school, so the log cannot
    undo a "partner school" attribution.
    """
    policy.require(actor, Action.WIN_CURATE)
    if not isinstance(public_id, str):
        raise NotFound("win")
    row = await queries.get_shared(uow.session, public_id[:40])
    if row is None:
        raise NotFound("win")
    win, _institution = row
    if include:
        if theme not in THEMES:
            raise Invalid("Choose a theme.", field="theme")
        win.curated_phase, win.curated_theme, win.curated_at = fields.phase(phase), str(theme), uow.clock.now()
    else:
        win.curated_phase, win.curated_theme, win.curated_at = None, None, None
    _record(uow, actor, "win_curated" if include else "win_uncurated", None, None, {"win": win.public_id}, kind="shared_win")
    [shown] = await _public(uow, [row])
    return shown


@dataclass(frozen=True)
class CuratedGroup:
    phase: int
    phase_name: str
    theme: str
    wins: list[PublicWin]


async def curated_wins(uow: UnitOfWork, actor: Actor) -> list[CuratedGroup]:
    """The curated list for the next community-of-practice session, by phase and theme; no
    ranking and no count per school. Who: anyone signed in."""
    wins = await _public(uow, await queries.list_shared(uow.session, curated_only=True))
    wins.sort(key=lambda w: (w.curated_phase or 0, w.curated_theme or "", w.title))
    return [
        CuratedGroup(phase, fields.PHASES.get(phase, ""), theme, list(group))
        for (phase, theme), group in groupby(wins, key=lambda w: (w.curated_phase or 0, w.curated_theme or ""))
    ]


async def credits_export(uow: UnitOfWork, person_id: int) -> list[dict[str, object]]:
    """The wins a person is credited on, with their consent, for their own data export."""
    return [
        {"win": w.title, "recorded_at": w.created_at.isoformat(), "consent": c.consent, "shown_as": "your name" if c.consent == Consent.GIVEN.value else TEAM_MEMBER, "sharing": w.sharing}
        for c, w in await queries.credits_of(uow.session, person_id)
    ]
