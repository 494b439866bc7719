"""Intents of the session calendar: scheduling and cancelling sessions, the lists a person
sees (their upcoming sessions, the sessions they manage, a phase's sessions), and the
private iCalendar feed.

A person sees a session they are invited to (everyone, their school, or one of their
cohorts, also as its coach or facilitator) or that they manage; never another cohort's
session (`session.view`). The feed lists only the sessions the person is invited to. Its
address carries a random secret of which only a hash is stored; a wrong or revoked secret
answers NotFound, like any unknown address.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Sequence
from urllib.parse import urlsplit

from icalendar import Calendar, Event
from sqlalchemy import ColumnElement, delete, select

from artme_cop import policy, zones
from artme_cop.errors import Conflict, Invalid, NotFound
from artme_cop.identity import service as identity
from artme_cop.identity.models import Cohort, Institution
from artme_cop.moderation import service as audit
from artme_cop.policy import Action, Actor, Audience, CohortRef, SessionPlan, SessionRef
from artme_cop.program.calendar.models import KIND_LABELS, CalendarFeed, ProgramSession, SessionCohort, SessionKind
from artme_cop.program.parsing import id_or_none, parse_date, parse_time
from artme_cop.program.phases import catalog
from artme_cop.text import clean_line
from artme_cop.unit_of_work import UnitOfWork

TIMEZONES = zones.ZONES
DESCRIPTION_LIMIT = 2000
MAX_LENGTH = timedelta(days=3)
FEED_PAST = timedelta(days=90)
UPCOMING_LIMIT = 50


@dataclass(frozen=True)
class SessionFields:
    kind: SessionKind
    title: str
    description: str
    phase: int | None
    starts_at: datetime
    ends_at: datetime
    timezone: str
    place: str
    link: str
    audience: Audience
    institution_id: int | None
    cohort_ids: tuple[int, ...]


def _kind(value: object) -> SessionKind:
    try:
        return SessionKind(str(value))
    except ValueError:
        raise Invalid("Choose a kind of session.", field="kind") from None


def _link(value: object) -> str:
    text = clean_line(value, field="link", label="The link", max_length=500, required=False)
    if not text:
        return ""
    parts = urlsplit(text)
    if parts.scheme not in {"https", "http"} or not parts.netloc:
        raise Invalid("The link must be a web address starting with https://.", field="link")
    return text


def clean_session(
    *,
    kind: object,
    title: object,
    description: object,
    phase: object,
    day: object,
    start: object,
    end: object,
    zone: object,
    place: object,
    link: object,
    audience: object,
    cohort_ids: Sequence[object],
) -> SessionFields:
    """Validate the form of a new session; times are read in the chosen zone and kept in UTC."""
    chosen_kind = _kind(kind)
    clean_title = clean_line(title, field="title", label="The title", max_length=200)
    if not isinstance(description, str) or len(description) > DESCRIPTION_LIMIT or "\x00" in description:
        raise Invalid(f"The description must be text of at most {DESCRIPTION_LIMIT} characters.", field="description")
    phase_number: int | None = None
    if phase not in (None, ""):
        phase_number = id_or_none(phase)
        if phase_number is None or catalog.phase(phase_number) is None:
            raise Invalid("Choose one of the six phases, or none.", field="phase")
    tz = zones.zone(zones.clean_zone(zone, field="timezone"))
    on = parse_date(day, field="day", label="The date")
    assert on is not None
    starts = datetime.combine(on, parse_time(start, field="start", label="The start time"), tzinfo=tz)
    ends = datetime.combine(on, parse_time(end, field="end", label="The end time"), tzinfo=tz)
    if ends <= starts:
        ends += timedelta(days=1)  # a session past midnight ends the next day
    if ends - starts > MAX_LENGTH:
        raise Invalid("A session lasts at most three days.", field="end")
    audience_value, institution_id = _audience(audience)
    chosen_cohorts: tuple[int, ...] = ()
    if audience_value is Audience.COHORTS:
        parsed = [id_or_none(value) for value in cohort_ids]
        if not parsed or any(number is None for number in parsed) or len(parsed) > 50:
            raise Invalid("Choose at least one of the listed cohorts.", field="cohorts")
        chosen_cohorts = tuple(sorted({number for number in parsed if number is not None}))
    return SessionFields(
        chosen_kind,
        clean_title,
        description.strip(),
        phase_number,
        starts.astimezone(timezone.utc),
        ends.astimezone(timezone.utc),
        str(zone),
        clean_line(place, field="place", label="The place", max_length=200, required=False),
        _link(link),
        audience_value,
        institution_id,
        chosen_cohorts,
    )


def _audience(value: object) -> tuple[Audience, int | None]:
    text = value if isinstance(value, str) else ""
    if text == Audience.ALL.value:
        return Audience.ALL, None
    if text == Audience.COHORTS.value:
        return Audience.COHORTS, None
    if text.startswith("institution:"):
        number = id_or_none(text.removeprefix("institution:"))
        if number is not None:
            return Audience.INSTITUTION, number
    raise Invalid("Choose who is invited.", field="audience")


# --- what the form offers ----------------------------------------------------------------------


@dataclass(frozen=True)
class Choices:
    kinds: list[tuple[str, str]]
    everyone: bool
    institutions: list[Institution]
    cohorts: list[tuple[Cohort, Institution]]

    @property
    def any(self) -> bool:
        return self.everyone or bool(self.institutions) or bool(self.cohorts)


async def choices(uow: UnitOfWork, actor: Actor) -> Choices:
    """What the actor may schedule: kinds, and whom they may invite."""
    institutions = list((await uow.session.execute(select(Institution).order_by(Institution.name))).scalars())
    cohorts = (await uow.session.execute(select(Cohort, Institution).join(Institution, Institution.id == Cohort.institution_id).order_by(Institution.name, Cohort.name))).all()
    everyone = policy.can(actor, Action.SESSION_CREATE, SessionPlan(SessionKind.PHASE_INTRODUCTION.value, Audience.ALL, None))
    own_institutions = [i for i in institutions if policy.can(actor, Action.SESSION_CREATE, SessionPlan(SessionKind.SITE_VISIT.value, Audience.INSTITUTION, i.id))]
    own_cohorts = [
        (c, i) for c, i in cohorts if policy.can(actor, Action.SESSION_CREATE, SessionPlan(SessionKind.DIALOGUE_FRAMING.value, Audience.COHORTS, None, (CohortRef(c.id, c.institution_id),)))
    ]
    kinds = [(kind.value, KIND_LABELS[kind]) for kind in SessionKind if everyone or kind.value not in policy.PROGRAM_WIDE_KINDS]
    return Choices(kinds, everyone, own_institutions, own_cohorts)


# --- scheduling -----------------------------------------------------------------------------------


async def schedule_session(uow: UnitOfWork, actor: Actor, fields: SessionFields) -> ProgramSession:
    """Put a session on the calendar. Who: `session.create` (admins: anything; a school's
    lead: its school and cohorts; a coach: their cohorts). Audit: session_scheduled.
    Raises: Invalid (unknown or foreign cohorts and schools are one "choose" error), Forbidden."""
    cohorts: list[Cohort] = []
    institution_id = fields.institution_id
    if fields.audience is Audience.COHORTS:
        cohorts = list((await uow.session.execute(select(Cohort).where(Cohort.id.in_(fields.cohort_ids)))).scalars())
        if len(cohorts) != len(fields.cohort_ids):
            raise Invalid("Choose at least one of the listed cohorts.", field="cohorts")
        schools = {c.institution_id for c in cohorts}
        institution_id = schools.pop() if len(schools) == 1 else None
    elif fields.audience is Audience.INSTITUTION:
        if institution_id is None or await uow.session.get(Institution, institution_id) is None:
            raise Invalid("Choose who is invited.", field="audience")
    plan = SessionPlan(fields.kind.value, fields.audience, institution_id, tuple(CohortRef(c.id, c.institution_id) for c in cohorts))
    if not policy.can(actor, Action.SESSION_CREATE, plan):
        # The same answer for a cohort one may not schedule for and for an unknown one.
        if fields.kind.value in policy.PROGRAM_WIDE_KINDS or fields.audience is Audience.ALL:
            raise Invalid("Only program staff schedule sessions for all cohorts.", field="audience")
        field_name = "cohorts" if fields.audience is Audience.COHORTS else "audience"
        raise Invalid("Choose among the cohorts and schools you may schedule for.", field=field_name)
    session = ProgramSession(
        kind=fields.kind.value,
        title=fields.title,
        description=fields.description,
        phase=fields.phase,
        starts_at=fields.starts_at,
        ends_at=fields.ends_at,
        timezone=fields.timezone,
        place=fields.place,
        link=fields.link,
        audience=fields.audience.value,
        institution_id=institution_id,
        created_by_id=actor.person_id,
        created_at=uow.clock.now(),
    )
    uow.session.add(session)
    await uow.flush()
    uow.session.add_all([SessionCohort(session_id=session.id, cohort_id=c.id) for c in cohorts])
    audit.record(
        uow, actor_id=actor.person_id, action="session_scheduled", institution_id=institution_id, target_kind="session", target_id=session.id,
        detail={"title": session.title, "kind": session.kind, "starts_at": session.starts_at.isoformat()},
    )
    return session


async def _cohort_ids(uow: UnitOfWork, session_ids: list[int]) -> dict[int, frozenset[int]]:
    found: dict[int, set[int]] = {sid: set() for sid in session_ids}
    if session_ids:
        rows = await uow.session.execute(select(SessionCohort.session_id, SessionCohort.cohort_id).where(SessionCohort.session_id.in_(session_ids)))
        for session_id, cohort_id in rows.all():
            found[session_id].add(cohort_id)
    return {sid: frozenset(ids) for sid, ids in found.items()}


def _ref(session: ProgramSession, cohort_ids: frozenset[int]) -> SessionRef:
    return SessionRef(Audience(session.audience), session.institution_id, cohort_ids, session.created_by_id)


@dataclass(frozen=True)
class SessionView:
    session: ProgramSession
    kind_label: str
    when: str
    invited: str
    can_manage: bool


def when(session: ProgramSession, reader_zone: str) -> str:
    """The time in the reader's zone, and as the organiser scheduled it when that differs."""
    start, end = zones.local(session.starts_at, reader_zone), zones.local(session.ends_at, reader_zone)
    text = _span(start, end) + f" {start.tzname()}"
    if session.timezone != zones.zone(reader_zone).key:
        scheduled = zones.local(session.starts_at, session.timezone)
        text += f" ({scheduled:%H:%M} {session.timezone})"
    return text


def _span(start: datetime, end: datetime) -> str:
    if start.date() == end.date():
        return f"{start:%a %d %b %Y, %H:%M}–{end:%H:%M}"
    return f"{start:%a %d %b %Y, %H:%M} – {end:%a %d %b %Y, %H:%M}"


async def _views(uow: UnitOfWork, actor: Actor, sessions: list[ProgramSession]) -> list[SessionView]:
    cohort_ids = await _cohort_ids(uow, [s.id for s in sessions])
    all_ids = {cid for ids in cohort_ids.values() for cid in ids}
    names: dict[int, tuple[str, int]] = {}
    if all_ids:
        rows = await uow.session.execute(select(Cohort.id, Cohort.name, Cohort.institution_id).where(Cohort.id.in_(sorted(all_ids))))
        names = {cid: (name, school) for cid, name, school in rows.all()}
    school_ids = {s.institution_id for s in sessions if s.institution_id is not None}
    schools: dict[int, str] = {}
    if school_ids:
        schools = {iid: name for iid, name in (await uow.session.execute(select(Institution.id, Institution.name).where(Institution.id.in_(sorted(school_ids))))).all()}
    views = []
    for session in sessions:
        ref = _ref(session, cohort_ids[session.id])
        if session.audience == Audience.ALL.value:
            invited = "All cohorts"
        elif session.audience == Audience.INSTITUTION.value:
            invited = schools.get(session.institution_id or 0, "One school")
        else:
            # Only the cohorts the viewer is in or manages are named; others are counted.
            can_manage = policy.can(actor, Action.SESSION_MANAGE, ref)
            visible = sorted(names[c][0] for c in ref.cohort_ids if can_manage or policy.can(actor, Action.PHASE_VIEW, CohortRef(c, names[c][1])))
            hidden = len(ref.cohort_ids) - len(visible)
            invited = ", ".join(visible + ([f"{hidden} other cohort{'s' if hidden != 1 else ''}"] if hidden else []))
        views.append(SessionView(session, KIND_LABELS.get(SessionKind(session.kind), session.kind), when(session, actor.time_zone), invited, policy.can(actor, Action.SESSION_MANAGE, ref)))
    return views


def _invites_one_of(cohort_ids: list[int]) -> ColumnElement[bool]:
    return ProgramSession.id.in_(select(SessionCohort.session_id).where(SessionCohort.cohort_id.in_(cohort_ids)))


def _invited(actor: Actor) -> ColumnElement[bool]:
    return policy.session_invited_clause(actor, ProgramSession.audience, ProgramSession.institution_id, _invites_one_of)


async def upcoming_sessions(uow: UnitOfWork, actor: Actor, *, limit: int = UPCOMING_LIMIT) -> list[SessionView]:
    """The sessions the actor is invited to that have not ended, soonest first."""
    query = (
        select(ProgramSession)
        .where(_invited(actor), ProgramSession.cancelled_at.is_(None), ProgramSession.ends_at > uow.clock.now())
        .order_by(ProgramSession.starts_at, ProgramSession.id)
        .limit(limit)
    )
    return await _views(uow, actor, list((await uow.session.execute(query)).scalars()))


async def next_session_of_kind(uow: UnitOfWork, actor: Actor, kind: str) -> SessionView | None:
    """The soonest session of `kind` the actor is invited to that has not ended."""
    query = (
        select(ProgramSession)
        .where(_invited(actor), ProgramSession.kind == kind, ProgramSession.cancelled_at.is_(None), ProgramSession.ends_at > uow.clock.now())
        .order_by(ProgramSession.starts_at, ProgramSession.id)
        .limit(1)
    )
    views = await _views(uow, actor, list((await uow.session.execute(query)).scalars()))
    return views[0] if views else None


async def managed_sessions(uow: UnitOfWork, actor: Actor) -> list[SessionView]:
    """Upcoming sessions the actor manages (scheduled them, their school's, all for admins)."""
    query = (
        select(ProgramSession)
        .where(
            policy.session_managed_clause(actor, ProgramSession.institution_id, ProgramSession.created_by_id),
            ProgramSession.cancelled_at.is_(None),
            ProgramSession.ends_at > uow.clock.now(),
        )
        .order_by(ProgramSession.starts_at, ProgramSession.id)
        .limit(UPCOMING_LIMIT)
    )
    return await _views(uow, actor, list((await uow.session.execute(query)).scalars()))


async def phase_sessions(uow: UnitOfWork, actor: Actor, phase: int) -> list[SessionView]:
    """The actor's sessions of one phase (invited or managed), past and future, in order."""
    visible = (
        select(ProgramSession)
        .where(
            ProgramSession.phase == phase,
            ProgramSession.cancelled_at.is_(None),
            _invited(actor) | policy.session_managed_clause(actor, ProgramSession.institution_id, ProgramSession.created_by_id),
        )
        .order_by(ProgramSession.starts_at, ProgramSession.id)
        .limit(UPCOMING_LIMIT)
    )
    return await _views(uow, actor, list((await uow.session.execute(visible)).scalars()))


async def access_session(uow: UnitOfWork, actor: Actor, session_id: object) -> SessionView:
    """One session, if the actor is invited to it or manages it; NotFound otherwise."""
    number = id_or_none(session_id)
    session = await uow.session.get(ProgramSession, number) if number is not None else None
    if session is None:
        raise NotFound("session")
    ref = _ref(session, (await _cohort_ids(uow, [session.id]))[session.id])
    if not policy.can(actor, Action.SESSION_VIEW, ref):
        raise NotFound("session")
    [view] = await _views(uow, actor, [session])
    return view


def edit_form(session: ProgramSession) -> dict[str, str]:
    """The edit form's values: the time as the organiser scheduled it, in their zone."""
    tz = zones.zone(session.timezone)
    start, end = session.starts_at.astimezone(tz), session.ends_at.astimezone(tz)
    return {
        "title": session.title, "description": session.description, "day": start.date().isoformat(), "start": start.strftime("%H:%M"),
        "end": end.strftime("%H:%M"), "timezone": session.timezone, "place": session.place, "link": session.link,
    }


async def reschedule_session(uow: UnitOfWork, actor: Actor, session_id: object, changes: dict[str, str]) -> ProgramSession:
    """Change a session's title, description, time, place or link; who is invited stays (a
    session for other people is a new session). Who: `session.manage`. Audit: session_changed.
    Raises: NotFound, Forbidden, Invalid (the same rules as scheduling), Conflict (cancelled)."""
    view = await access_session(uow, actor, session_id)
    session = view.session
    policy.require(actor, Action.SESSION_MANAGE, _ref(session, (await _cohort_ids(uow, [session.id]))[session.id]))
    if session.cancelled_at is not None:
        raise Conflict("A cancelled session cannot be changed.")
    cleaned = clean_session(
        kind=session.kind, title=changes.get("title", ""), description=changes.get("description", ""), phase=str(session.phase or ""),
        day=changes.get("day", ""), start=changes.get("start", ""), end=changes.get("end", ""), zone=changes.get("timezone", ""),
        place=changes.get("place", ""), link=changes.get("link", ""), audience="all", cohort_ids=[],
    )
    before = session.starts_at.isoformat()
    session.title, session.description, session.place, session.link = cleaned.title, cleaned.description, cleaned.place, cleaned.link
    session.starts_at, session.ends_at, session.timezone = cleaned.starts_at, cleaned.ends_at, cleaned.timezone
    audit.record(
        uow, actor_id=actor.person_id, action="session_changed", institution_id=session.institution_id, target_kind="session", target_id=session.id,
        detail={"title": session.title, "starts_at_before": before, "starts_at": session.starts_at.isoformat()},
    )
    return session


async def cancel_session(uow: UnitOfWork, actor: Actor, session_id: object) -> ProgramSession:
    """Cancel a session (it stays in feeds as cancelled). Who: `session.manage`.
    Audit: session_cancelled. Raises: NotFound, Forbidden."""
    view = await access_session(uow, actor, session_id)
    session = view.session
    policy.require(actor, Action.SESSION_MANAGE, _ref(session, (await _cohort_ids(uow, [session.id]))[session.id]))
    if session.cancelled_at is None:
        session.cancelled_at = uow.clock.now()
        audit.record(uow, actor_id=actor.person_id, action="session_cancelled", institution_id=session.institution_id, target_kind="session", target_id=session.id, detail={"title": session.title})
    return session


# --- the iCalendar feed ---------------------------------------------------------------------------


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def feed_status(uow: UnitOfWork, actor: Actor) -> CalendarFeed | None:
    """The actor's feed, if they have one (its address cannot be shown again: only its hash is kept)."""
    return await uow.session.get(CalendarFeed, actor.person_id)


async def create_feed(uow: UnitOfWork, actor: Actor) -> str:
    """Make a new secret feed address for the actor; an older one stops working. Returns the secret."""
    token = secrets.token_urlsafe(32)
    await uow.session.execute(delete(CalendarFeed).where(CalendarFeed.person_id == actor.person_id))
    uow.session.add(CalendarFeed(person_id=actor.person_id, token_hash=_hash(token), created_at=uow.clock.now()))
    return token


async def revoke_feed(uow: UnitOfWork, actor: Actor) -> None:
    """Turn the actor's feed off: its address answers "not found" from now on."""
    await uow.session.execute(delete(CalendarFeed).where(CalendarFeed.person_id == actor.person_id))


def feed_url(base_url: str, token: str) -> str:
    return f"{base_url}/calendar/feed/{token}.ics"


@dataclass(frozen=True)
class CalendarItem:
    """One event of a person's calendar feed: a program session, or another feature's (a
    team learning lab session)."""

    uid: str
    starts_at: datetime
    ends_at: datetime
    title: str
    category: str
    description: str
    path: str  # the page on this server
    location: str = ""
    cancelled: bool = False


async def feed_owner(uow: UnitOfWork, token: object) -> Actor:
    """The person whose feed has this secret, as an actor. Raises NotFound for any unusable
    secret (wrong, revoked, or of a deleted account) alike."""
    if not isinstance(token, str) or not 20 <= len(token) <= 100:
        raise NotFound("feed")
    feed = (await uow.session.execute(select(CalendarFeed).where(CalendarFeed.token_hash == _hash(token)))).scalar_one_or_none()
    person = await identity.queries.get_person(uow.session, feed.person_id) if feed is not None else None
    actor = await identity.load_actor(uow, person.id, person.session_epoch) if person is not None else None
    if actor is None:
        raise NotFound("feed")
    return actor


async def feed_items(uow: UnitOfWork, actor: Actor) -> list[CalendarItem]:
    """The program sessions of the actor's feed: those they are invited to, from FEED_PAST
    back on, cancelled ones marked so."""
    query = (
        select(ProgramSession)
        .where(_invited(actor), ProgramSession.ends_at > uow.clock.now() - FEED_PAST)
        .order_by(ProgramSession.starts_at, ProgramSession.id)
        .limit(500)
    )
    return [_item(session) for session in (await uow.session.execute(query)).scalars()]


def _item(session: ProgramSession) -> CalendarItem:
    return CalendarItem(
        uid=f"session-{session.id}", starts_at=session.starts_at, ends_at=session.ends_at, title=session.title,
        category=KIND_LABELS.get(SessionKind(session.kind), session.kind), description=session.description,
        path=f"/calendar/sessions/{session.id}", location=session.place or session.link, cancelled=session.cancelled_at is not None,
    )


def render_calendar(items: Sequence[CalendarItem], *, base_url: str, now: datetime) -> bytes:
    host = urlsplit(base_url).hostname or "artme-cop"
    calendar = Calendar()
    calendar.add("prodid", "-//ARTME Community of Practice//Session calendar//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", "ARTME sessions")
    for item in sorted(items, key=lambda i: (i.starts_at, i.uid)):
        event = Event()
        event.add("uid", f"{item.uid}@{host}")
        event.add("dtstamp", now)
        event.add("dtstart", item.starts_at)
        event.add("dtend", item.ends_at)
        event.add("summary", item.title)
        event.add("categories", [item.category])
        url = f"{base_url}{item.path}"
        event.add("description", (item.description + "\n\n" if item.description else "") + url)
        event.add("url", url)
        if item.location:
            event.add("location", item.location)
        event.add("status", "CANCELLED" if item.cancelled else "CONFIRMED")
        calendar.add_component(event)
    return calendar.to_ical()
