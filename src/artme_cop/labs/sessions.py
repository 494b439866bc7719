"""Intents of a lab session in the team-based learning format.

The stages run in order: pre-work (with a review of the teams' open commitments), the
individual readiness check, the team readiness check, clarification, the application
exercise, the simultaneous report-out (reveal) and close. Who reads what:
- an individual answer is the person's alone (not the facilitator's, not the team's);
- a team's attempts and feedback are the team's and the facilitator's, told live on the
  team's general channel, a members-only conversation of the core (team-scoped events);
- a team's report-out answer stays sealed: no page, JSON or event carries its text to anyone
  but its own team until the facilitator reveals them all at once, in one event per team
  that holds every team's answer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from datetime import time as dt_time
from typing import Any

from sqlalchemy import select

from artme_cop import policy, zones
from artme_cop.errors import Conflict, Invalid, NotFound
from artme_cop.labs import queries
from artme_cop.labs.models import STAGES, LabChannel, LabCommitment, LabIndividualAnswer, LabQuestion, LabSession, LabSessionTeam, LabTeam, LabTeamAttempt, Stage
from artme_cop.labs.service import clean_line, clean_text, parse_id, team_ref
from artme_cop.policy import Action, Actor, LabSessionRef, TeamRef
from artme_cop.program.calendar.service import CalendarItem
from artme_cop.realtime.events import Event, conversation_topic
from artme_cop.unit_of_work import UnitOfWork

MAX_QUESTIONS = 20
MAX_TEAMS = 12
# A lab session is set by its start alone; calendars show it as long as the format's
# sessions last (DOMAIN.md, team learning labs: 2.5 hours).
SESSION_LENGTH = timedelta(hours=2, minutes=30)
UPCOMING_LIMIT = 10


@dataclass(frozen=True)
class Question:
    id: int
    position: int
    prompt: str
    options: list[str]
    correct: int


@dataclass
class TeamProgress:
    """A team's attempts per question: the choices tried and whether it is solved."""

    team: LabTeam
    tried: dict[int, list[tuple[int, bool]]] = field(default_factory=dict)

    def solved(self, question_id: int) -> bool:
        return any(ok for _, ok in self.tried.get(question_id, []))

    def score(self) -> int:
        """Questions right on the first try."""
        return sum(1 for attempts in self.tried.values() if attempts and attempts[0][1])


@dataclass(frozen=True)
class SessionView:
    session: LabSession
    ref: LabSessionRef
    teams: list[tuple[LabSessionTeam, LabTeam]]
    questions: list[Question]
    my_team: LabTeam | None
    my_answers: dict[int, int]
    progress: list[TeamProgress]
    reports: list[tuple[LabTeam, str]]
    submitted: dict[int, bool]
    commitments: list[LabCommitment]
    general_channels: list[int]
    is_facilitator: bool

    @property
    def stage(self) -> str:
        return self.session.stage

    @property
    def key_shown(self) -> bool:
        """Once the team check has started, a person sees which of their own answers were right."""
        return STAGES.index(Stage(self.session.stage)) >= STAGES.index(Stage.TEAM)

    @property
    def next_stage(self) -> str | None:
        index = STAGES.index(Stage(self.session.stage))
        return STAGES[index + 1].value if index + 1 < len(STAGES) else None


def _question(row: LabQuestion) -> Question:
    return Question(row.id, row.position, row.prompt, row.options.split("\n"), row.correct)


async def _refs(uow: UnitOfWork, session: LabSession) -> tuple[LabSessionRef, list[tuple[LabSessionTeam, LabTeam]], dict[int, TeamRef]]:
    teams = await queries.session_teams(uow.session, session.id)
    refs = {team.id: await team_ref(uow, team) for _, team in teams}
    return LabSessionRef(session.facilitator_id, tuple(refs.values())), teams, refs


async def access_session(uow: UnitOfWork, actor: Actor, session_id: object) -> tuple[LabSession, LabSessionRef, list[tuple[LabSessionTeam, LabTeam]], dict[int, TeamRef]]:
    try:
        key = parse_id(session_id, "session")
    except Invalid:
        raise NotFound("session") from None
    session = await uow.session.get(LabSession, key)
    if session is None:
        raise NotFound("session")
    ref, teams, refs = await _refs(uow, session)
    if not policy.can(actor, Action.LAB_SESSION_VIEW, ref):
        raise NotFound("session")
    return session, ref, teams, refs


async def facilitated_teams(uow: UnitOfWork, actor: Actor) -> list[LabTeam]:
    query = select(LabTeam).where(LabTeam.facilitator_id == actor.person_id).order_by(LabTeam.name)
    return list((await uow.session.execute(query)).scalars())


async def my_sessions(uow: UnitOfWork, actor: Actor) -> list[LabSession]:
    teams = await queries.teams_of(uow.session, actor.person_id)
    found = {s.id: s for s in await queries.sessions_of_teams(uow.session, [t.id for t in teams])}
    found.update({s.id: s for s in await queries.sessions_facilitated(uow.session, actor.person_id)})
    return sorted(found.values(), key=lambda s: (s.created_at, s.id), reverse=True)


async def scheduled_for(uow: UnitOfWork, actor: Actor, *, ending_after: datetime, limit: int = UPCOMING_LIMIT) -> list[LabSession]:
    """The sessions with a start that the actor takes part in (on one of the teams, or
    running it) and may still view, that have not ended by `ending_after`; soonest first."""
    found = await queries.scheduled_sessions(uow.session, actor.person_id, starting_after=ending_after - SESSION_LENGTH, limit=limit)
    return [session for session in found if policy.can(actor, Action.LAB_SESSION_VIEW, (await _refs(uow, session))[0])]


async def calendar_items(uow: UnitOfWork, actor: Actor, *, ending_after: datetime) -> list[CalendarItem]:
    """The actor's scheduled lab sessions as events of their calendar feed."""
    return [
        CalendarItem(
            uid=f"lab-session-{session.id}", starts_at=session.starts_at, ends_at=session.starts_at + SESSION_LENGTH, title=session.title,
            category="Team learning lab", description=f"Concept: {session.concept}", path=f"/labs/sessions/{session.id}",
        )
        for session in await scheduled_for(uow, actor, ending_after=ending_after, limit=500)
        if session.starts_at is not None
    ]


def _when(day: object, time: object, zone: str) -> datetime | None:
    """An optional start (a date and an HH:MM time in the person's zone); both empty is no start."""
    if day in (None, "") and time in (None, ""):
        return None
    if not isinstance(day, str) or not isinstance(time, str):
        raise Invalid("Give the date and the time.", field="day")
    try:
        return zones.from_local(datetime.combine(date.fromisoformat(day.strip()), dt_time.fromisoformat(time.strip() or "00:00")), zone)
    except ValueError:
        raise Invalid("Give the date as 2027-03-01 and the time as 14:30.", field="day") from None


async def create_session(
    uow: UnitOfWork, actor: Actor, *, title: object, concept: object, prework: object, exercise: object, team_ids: list[str], day: object = "", time: object = ""
) -> LabSession:
    """Schedule a session for one or more teams of one school.

    Who: `lab.session.create` (the facilitator of every team). Raises Invalid, Forbidden.
    """
    chosen = sorted({parse_id(value, "teams") for value in team_ids})
    if not chosen or len(chosen) > MAX_TEAMS:
        raise Invalid(f"Choose one to {MAX_TEAMS} teams.", field="teams")
    teams = [await uow.session.get(LabTeam, team_id) for team_id in chosen]
    found = [team for team in teams if team is not None]
    if len(found) != len(chosen) or len({team.institution_id for team in found}) != 1:
        raise Invalid("Choose teams of one school.", field="teams")
    refs = tuple([await team_ref(uow, team) for team in found])
    policy.require(actor, Action.LAB_SESSION_CREATE, LabSessionRef(actor.person_id, refs))
    session = LabSession(
        institution_id=found[0].institution_id, facilitator_id=actor.person_id, title=clean_line(title, "Title", limit=200),
        concept=clean_line(concept, "Concept", limit=120), prework=clean_text(prework, "Prework", limit=8000, required=False),
        exercise=clean_text(exercise, "Exercise", limit=8000), stage=Stage.PREWORK.value, starts_at=_when(day, time, actor.time_zone), created_at=uow.clock.now(),
    )
    uow.session.add(session)
    await uow.flush()
    uow.session.add_all(LabSessionTeam(session_id=session.id, team_id=team.id, report="") for team in found)
    return session


async def add_question(uow: UnitOfWork, actor: Actor, session_id: object, *, prompt: object, options: object, correct: object) -> LabQuestion:
    """Author a readiness question before the checks start. Who: `lab.session.run`."""
    session, ref, _teams, _refs_ = await access_session(uow, actor, session_id)
    policy.require(actor, Action.LAB_SESSION_RUN, ref)
    if session.stage != Stage.PREWORK.value:
        raise Conflict("Questions are written before the readiness checks start.")
    choices = [line.strip() for line in clean_text(options, "Options", limit=2000).split("\n") if line.strip()]
    if not 2 <= len(choices) <= 5:
        raise Invalid("Give two to five options, one per line.", field="options")
    if any(len(choice) > 300 for choice in choices):
        raise Invalid("An option can be at most 300 characters.", field="options")
    right = parse_id(correct, "correct")
    if right > len(choices):
        raise Invalid("The correct option must be one of the options.", field="correct")
    existing = await queries.questions(uow.session, session.id)
    if len(existing) >= MAX_QUESTIONS:
        raise Conflict(f"A readiness check has at most {MAX_QUESTIONS} questions.")
    question = LabQuestion(session_id=session.id, position=len(existing) + 1, prompt=clean_text(prompt, "Prompt", limit=2000), options="\n".join(choices), correct=right)
    uow.session.add(question)
    await uow.flush()
    return question


async def _general_channels(uow: UnitOfWork, team_ids: list[int]) -> dict[int, int]:
    """team id -> the conversation id of its general channel (where team events go)."""
    query = select(LabChannel.team_id, LabChannel.conversation_id).where(LabChannel.team_id.in_(team_ids), LabChannel.is_general)
    return {team_id: conversation_id for team_id, conversation_id in (await uow.session.execute(query)).all()}


def _team_event(conversation_id: int, op: str, session_id: int, data: dict[str, Any]) -> Event:
    return Event(conversation_topic(conversation_id), "lab", op, session_id, {"conversation": conversation_id, "session": session_id, **data})


async def advance(uow: UnitOfWork, actor: Actor, session_id: object, *, to: object) -> LabSession:
    """Move the session to its next stage (never back, never skipping).

    Who: `lab.session.run`. Emits lab/stage on every team's general channel; at the reveal,
    lab/revealed with every team's report-out answer, all in the same commit.
    """
    session, ref, teams, _ = await access_session(uow, actor, session_id)
    policy.require(actor, Action.LAB_SESSION_RUN, ref)
    index = STAGES.index(Stage(session.stage))
    if index + 1 >= len(STAGES) or to != STAGES[index + 1].value:
        raise Conflict("The session moves one stage at a time; reload the page to see where it is.")
    if to == Stage.INDIVIDUAL.value and not await queries.questions(uow.session, session.id):
        raise Conflict("Write the readiness questions first.")
    session.stage = str(to)
    channels = await _general_channels(uow, [team.id for _, team in teams])
    if to == Stage.REVEALED.value:
        session.revealed_at = uow.clock.now()
        answers = [{"team": team.name, "team_id": team.id, "report": entry.report} for entry, team in teams]
        for conversation_id in channels.values():
            uow.emit(_team_event(conversation_id, "revealed", session.id, {"reports": answers}))
    for conversation_id in channels.values():
        uow.emit(_team_event(conversation_id, "stage", session.id, {"stage": session.stage}))
    return session


def _my_team(actor: Actor, teams: list[tuple[LabSessionTeam, LabTeam]], refs: dict[int, TeamRef]) -> tuple[LabSessionTeam, LabTeam] | None:
    """The session team the actor answers for (a member, not the facilitator)."""
    for entry, team in teams:
        if policy.can(actor, Action.LAB_TEAM_CONTRIBUTE, refs[team.id]):
            return entry, team
    return None


async def answer_individually(uow: UnitOfWork, actor: Actor, session_id: object, *, answers: dict[str, str]) -> int:
    """The individual readiness check: every question once, private to the person, ungraded.
    Emits nothing. Raises Conflict (wrong stage, answered already), Invalid, Forbidden."""
    session, _ref, teams, refs = await access_session(uow, actor, session_id)
    if _my_team(actor, teams, refs) is None:
        raise Conflict("The facilitator does not take the readiness check.")
    if session.stage != Stage.INDIVIDUAL.value:
        raise Conflict("The individual readiness check is not open.")
    questions = await queries.questions(uow.session, session.id)
    if await queries.individual_answers(uow.session, actor.person_id, [q.id for q in questions]):
        raise Conflict("You have answered the individual check already.")
    chosen: dict[int, int] = {}
    for question in questions:
        value = answers.get(f"q{question.id}", "")
        choice = parse_id(value, f"q{question.id}") if value else 0
        if not 1 <= choice <= len(question.options.split("\n")):
            raise Invalid("Answer every question.", field=f"q{question.id}")
        chosen[question.id] = choice
    now = uow.clock.now()
    uow.session.add_all(LabIndividualAnswer(question_id=qid, person_id=actor.person_id, choice=choice, answered_at=now) for qid, choice in chosen.items())
    return len(chosen)


async def answer_as_team(uow: UnitOfWork, actor: Actor, session_id: object, *, question_id: object, choice: object) -> LabTeamAttempt:
    """One try of the team at a question, with immediate feedback: right or try again.

    Who: a member of a team taking part. Emits lab/team_answer on the team's general channel
    (its members and facilitator alone read it). Raises Conflict (stage, solved, tried).
    """
    session, _ref, teams, refs = await access_session(uow, actor, session_id)
    mine = _my_team(actor, teams, refs)
    if mine is None:
        raise Conflict("Only the team's members answer for the team.")
    team = mine[1]
    if session.stage != Stage.TEAM.value:
        raise Conflict("The team readiness check is not open.")
    questions = {q.id: q for q in await queries.questions(uow.session, session.id)}
    question = questions.get(parse_id(question_id, "question"))
    if question is None:
        raise Invalid("Choose a question of this session.", field="question")
    picked = parse_id(choice, "choice")
    if picked > len(question.options.split("\n")):
        raise Invalid("Choose one of the options.", field="choice")
    attempts = await queries.team_attempts(uow.session, team.id, [question.id])
    if any(a.is_correct for a in attempts):
        raise Conflict("Your team has this one right already.")
    if any(a.choice == picked for a in attempts):
        raise Conflict("Your team tried that option already.")
    attempt = LabTeamAttempt(question_id=question.id, team_id=team.id, choice=picked, is_correct=picked == question.correct, person_id=actor.person_id, answered_at=uow.clock.now())
    uow.session.add(attempt)
    await uow.flush()
    channels = await _general_channels(uow, [team.id])
    data = {"team": team.id, "question": question.id, "choice": picked, "correct": attempt.is_correct, "by": actor.display_name}
    uow.emit(_team_event(channels[team.id], "team_answer", session.id, data))
    return attempt


async def submit_report(uow: UnitOfWork, actor: Actor, session_id: object, *, report: object) -> LabSessionTeam:
    """The team's answer to the application exercise, sealed until the reveal.

    Emits lab/report_in on the team's own channel, without the text.
    """
    session, _ref, teams, refs = await access_session(uow, actor, session_id)
    mine = _my_team(actor, teams, refs)
    if mine is None:
        raise Conflict("Only the team's members answer for the team.")
    if session.stage != Stage.APPLICATION.value:
        raise Conflict("The application exercise is not open.")
    entry, team = mine
    entry.report = clean_text(report, "Report", limit=4000)
    entry.report_by_id = actor.person_id
    entry.reported_at = uow.clock.now()
    channels = await _general_channels(uow, [team.id])
    uow.emit(_team_event(channels[team.id], "report_in", session.id, {"team": team.id, "submitted": True}))
    return entry


async def view(uow: UnitOfWork, actor: Actor, session_id: object) -> SessionView:
    """What the actor may see of a session, by the privacy rules in this module's docstring."""
    session, ref, teams, refs = await access_session(uow, actor, session_id)
    is_facilitator = policy.can(actor, Action.LAB_SESSION_RUN, ref)
    mine = _my_team(actor, teams, refs)
    questions = [_question(q) for q in await queries.questions(uow.session, session.id)]
    question_ids = [q.id for q in questions]
    visible = [team for _, team in teams] if is_facilitator else ([mine[1]] if mine else [])
    progress = []
    for team in visible:
        tracked = TeamProgress(team)
        for attempt in await queries.team_attempts(uow.session, team.id, question_ids):
            tracked.tried.setdefault(attempt.question_id, []).append((attempt.choice, attempt.is_correct))
        progress.append(tracked)
    revealed = session.revealed_at is not None
    if revealed:
        reports = [(team, entry.report) for entry, team in teams]
    else:
        reports = [(mine[1], mine[0].report)] if mine else []
    commitments = []
    for team in visible:
        commitments += [c for c, _ in await queries.commitments(uow.session, team.id) if c.status == "open"]
    channels = await _general_channels(uow, [team.id for team in visible])
    return SessionView(
        session=session, ref=ref, teams=teams, questions=questions, my_team=mine[1] if mine else None,
        my_answers=await queries.individual_answers(uow.session, actor.person_id, question_ids), progress=progress, reports=reports,
        submitted={team.id: bool(entry.reported_at) for entry, team in teams}, commitments=commitments,
        general_channels=sorted(channels.values()), is_facilitator=is_facilitator,
    )


async def new_session_form(uow: UnitOfWork, actor: Actor) -> list[LabTeam]:
    return await facilitated_teams(uow, actor)



