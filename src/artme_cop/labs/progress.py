"""Intents of a team's progress between sessions: commitments (with reminders on their check
date), success reports (over time as a chart), promotion of a report into a short-term win,
and the value story after four sessions. Everything here is the team's and its
facilitator's; nothing is published automatically (DOMAIN.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select

from artme_cop import policy
from artme_cop.errors import Conflict, Forbidden, Invalid, NotFound
from artme_cop.identity.models import Person
from artme_cop.knowledge import service as knowledge
from artme_cop.knowledge.models import Priority, ResourceType
from artme_cop.labs import queries
from artme_cop.labs.models import CommitmentStatus, LabChannel, LabCommitment, LabSession, LabSuccessReport, LabTeam, LabValueStory, Stage
from artme_cop.labs.service import access_team, channel_list, clean_line, clean_text, last_seqs, parse_id
from artme_cop.moderation import service as audit
from artme_cop.notifications import service as notifications
from artme_cop.policy import Action, Actor, TeamRef
from artme_cop.program.monitoring.charts import BarChart, bar_chart
from artme_cop.program.wins import service as wins
from artme_cop.unit_of_work import UnitOfWork

SESSIONS_BEFORE_VALUE_STORY = 4
CHART_QUARTERS = 6


@dataclass(frozen=True)
class TeamOverview:
    team: LabTeam
    ref: TeamRef
    roster: list[tuple[Person, bool]]
    facilitator: Person | None
    channels: list[tuple[LabChannel, int]]
    last_seqs: dict[int, int]  # per channel conversation: where the live unread badges start
    commitments: list[tuple[LabCommitment, Person]]
    reports: list[tuple[LabSuccessReport, Person]]
    chart: BarChart
    sessions: list[LabSession]
    completed_sessions: int
    value_stories: list[LabValueStory]
    win_options: list[wins.Option]
    may_lead: bool
    may_contribute: bool
    may_draft_resource: bool

    @property
    def may_write_value_story(self) -> bool:
        return self.may_contribute and self.completed_sessions >= SESSIONS_BEFORE_VALUE_STORY


def quarter_of(day: date) -> tuple[int, int]:
    return day.year, (day.month - 1) // 3 + 1


def _quarters_until(today: date, count: int) -> list[tuple[int, int]]:
    year, quarter = quarter_of(today)
    found = []
    for _ in range(count):
        found.append((year, quarter))
        year, quarter = (year, quarter - 1) if quarter > 1 else (year - 1, 4)
    return list(reversed(found))


def reports_chart(reports: list[LabSuccessReport], today: date) -> BarChart:
    """Success reports per quarter for the last six quarters (the numbers go beside it)."""
    counts = {q: 0 for q in _quarters_until(today, CHART_QUARTERS)}
    for report in reports:
        key = quarter_of(report.reported_on)
        if key in counts:
            counts[key] += 1
    return bar_chart("success-reports", "Success reports per quarter", [(f"{y} Q{q}", n) for (y, q), n in counts.items()])


async def team_overview(uow: UnitOfWork, actor: Actor, team_id: object) -> TeamOverview:
    team, ref = await access_team(uow, actor, team_id)
    reports = await queries.success_reports(uow.session, team.id)
    recent = await queries.sessions_of_teams(uow.session, [team.id], limit=10)
    stories = list((await uow.session.execute(select(LabValueStory).where(LabValueStory.team_id == team.id).order_by(LabValueStory.id.desc()))).scalars())
    channels = await channel_list(uow, actor, team)
    return TeamOverview(
        team=team, ref=ref, roster=await queries.roster_people(uow.session, team.id), facilitator=await uow.session.get(Person, team.facilitator_id),
        channels=channels, last_seqs=await last_seqs(uow, [c.conversation_id for c, _ in channels]), commitments=await queries.commitments(uow.session, team.id), reports=reports,
        chart=reports_chart([r for r, _ in reports], uow.clock.now().date()), sessions=recent,
        completed_sessions=sum(1 for s in recent if s.stage == Stage.CLOSED.value), value_stories=stories, win_options=await win_options(uow, actor, team, ref),
        may_lead=policy.can(actor, Action.LAB_TEAM_LEAD, ref), may_contribute=policy.can(actor, Action.LAB_TEAM_CONTRIBUTE, ref),
        may_draft_resource=policy.can(actor, Action.LAB_TEAM_LEAD, ref) and policy.can(actor, Action.RESOURCE_CREATE, team.institution_id),
    )


def _day(value: object, label: str) -> date:
    if not isinstance(value, str):
        raise Invalid(f"{label} must be a date.", field=label.lower())
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise Invalid(f"{label} must be a date like 2027-03-01.", field=label.lower()) from None


async def add_commitment(
    uow: UnitOfWork, actor: Actor, team_id: object, *, concept: object, job_function: object, action: object, owner: object, check_on: object
) -> LabCommitment:
    """A team commitment. Who: `lab.team.contribute` (members). The owner must be on the team."""
    team, ref = await access_team(uow, actor, team_id)
    policy.require(actor, Action.LAB_TEAM_CONTRIBUTE, ref)
    owner_id = parse_id(owner, "owner")
    if owner_id not in ref.member_ids:
        raise Invalid("The owner must be a member of the team.", field="owner")
    commitment = LabCommitment(
        team_id=team.id, concept=clean_line(concept, "Concept", limit=120), job_function=clean_line(job_function, "Job function", limit=120),
        action=clean_text(action, "Action", limit=2000), owner_id=owner_id, check_on=_day(check_on, "Check date"),
        status=CommitmentStatus.OPEN.value, created_by_id=actor.person_id, created_at=uow.clock.now(),
    )
    uow.session.add(commitment)
    await uow.flush()
    return commitment


async def set_commitment_status(uow: UnitOfWork, actor: Actor, commitment_id: object, *, status: object) -> LabCommitment:
    commitment = await _commitment(uow, actor, commitment_id)
    if status not in {s.value for s in CommitmentStatus}:
        raise Invalid("Choose open, done or dropped.", field="status")
    commitment.status = str(status)
    return commitment


async def _commitment(uow: UnitOfWork, actor: Actor, commitment_id: object) -> LabCommitment:
    try:
        key = parse_id(commitment_id, "commitment")
    except Invalid:
        raise NotFound("commitment") from None
    commitment = await uow.session.get(LabCommitment, key)
    if commitment is None:
        raise NotFound("commitment")
    try:
        _team, ref = await access_team(uow, actor, commitment.team_id)
    except NotFound:
        raise NotFound("commitment") from None
    policy.require(actor, Action.LAB_TEAM_CONTRIBUTE, ref)
    return commitment


async def add_success_report(uow: UnitOfWork, actor: Actor, team_id: object, *, what_changed: object, evidence: object, reported_on: object) -> LabSuccessReport:
    """A success report between sessions. Who: `lab.team.contribute` (members)."""
    team, ref = await access_team(uow, actor, team_id)
    policy.require(actor, Action.LAB_TEAM_CONTRIBUTE, ref)
    day = _day(reported_on, "Date") if reported_on not in (None, "") else uow.clock.now().date()
    if day > uow.clock.now().date():
        raise Invalid("A success report is about something that already happened.", field="date")
    report = LabSuccessReport(
        team_id=team.id, author_id=actor.person_id, what_changed=clean_text(what_changed, "What changed", limit=4000),
        evidence=clean_text(evidence, "Evidence", limit=4000), reported_on=day, created_at=uow.clock.now(),
    )
    uow.session.add(report)
    await uow.flush()
    return report


async def promote_report(uow: UnitOfWork, actor: Actor, report_id: object, *, title: object, against: object) -> int:
    """A team lead who sits in the school's coalition turns a success report into a
    short-term win, recorded through the wins service against a change target or progress
    marker: it starts undecided and unchecked, so nothing leaves the school by itself.

    Who: `lab.team.lead` and `win.record`. Audit: lab_report_promoted (and win_recorded).
    Returns the win's id. Raises NotFound, Forbidden, Conflict, Invalid.
    """
    report = await _report(uow, actor, report_id)
    team, ref = await access_team(uow, actor, report.team_id)
    policy.require(actor, Action.LAB_TEAM_LEAD, ref)
    if not policy.can(actor, Action.WIN_RECORD, team.institution_id):
        raise Forbidden("Only a team lead who sits in the school's coalition records wins; ask a coalition member.")
    if report.promoted_win_id is not None:
        raise Conflict("This report is already a short-term win.")
    evidence = f"{report.what_changed}\n\nEvidence: {report.evidence}"
    win = await wins.record_win(uow, actor, team.institution_id, against=against, title=title, evidence=evidence, theme="climate", phase="4", credited=[])
    report.promoted_win_id = win.id
    audit.record(uow, actor_id=actor.person_id, action="lab_report_promoted", institution_id=team.institution_id, target_kind="win", target_id=win.id, detail={"team": team.id, "report": report.id})
    return win.id


async def draft_resource_from_report(uow: UnitOfWork, actor: Actor, report_id: object, *, title: object) -> str:
    """A team lead who may post to the knowledge repository (the school's coalition or lead)
    turns a success report into a draft lesson learned. The draft is the school's, private to
    its authors, stewards and the lead, and goes through the whole assessment cycle before it
    reaches anyone else; the lead is its author and steward.

    Who: `lab.team.lead` and `resource.create`. Audit: lab_report_drafted.
    Returns the resource's public id. Raises NotFound, Forbidden, Conflict, Invalid.
    """
    report = await _report(uow, actor, report_id)
    team, ref = await access_team(uow, actor, report.team_id)
    policy.require(actor, Action.LAB_TEAM_LEAD, ref)
    if not policy.can(actor, Action.RESOURCE_CREATE, team.institution_id):
        raise Forbidden("Only a team lead who sits in the school's coalition posts to the knowledge repository; ask a coalition member.")
    if report.drafted_resource_id is not None:
        raise Conflict("This report is already a knowledge-repository draft.")
    content = knowledge.clean_content(
        type=ResourceType.LESSON_LEARNED.value, title=title, summary=report.what_changed[:1000],
        body=f"## What changed\n\n{report.what_changed}\n\n## Evidence\n\n{report.evidence}", change_target="",
        priority=Priority.MEDIUM.value, tags="team learning lab", phases=["4"],
    )
    resource = await knowledge.create_resource(uow, actor, content)
    report.drafted_resource_id = resource.public_id
    audit.record(
        uow, actor_id=actor.person_id, action="lab_report_drafted", institution_id=team.institution_id, target_kind="resource",
        target_id=resource.id, detail={"team": team.id, "report": report.id},
    )
    return resource.public_id


async def _report(uow: UnitOfWork, actor: Actor, report_id: object) -> LabSuccessReport:
    try:
        key = parse_id(report_id, "report")
    except Invalid:
        raise NotFound("report") from None
    report = await uow.session.get(LabSuccessReport, key)
    if report is None:
        raise NotFound("report")
    try:
        await access_team(uow, actor, report.team_id)
    except NotFound:
        raise NotFound("report") from None
    return report


async def win_options(uow: UnitOfWork, actor: Actor, team: LabTeam, ref: TeamRef) -> list[wins.Option]:
    """What a promoted report can be recorded against, for a team lead who records wins."""
    if not (policy.can(actor, Action.LAB_TEAM_LEAD, ref) and policy.can(actor, Action.WIN_RECORD, team.institution_id)):
        return []
    return (await wins.school_wins(uow, actor, team.institution_id)).against


async def write_value_story(uow: UnitOfWork, actor: Actor, team_id: object, *, what_we_did: object, what_changed: object, difference: object) -> LabValueStory:
    """After four completed sessions a member writes the team's value story."""
    team, ref = await access_team(uow, actor, team_id)
    policy.require(actor, Action.LAB_TEAM_CONTRIBUTE, ref)
    recent = await queries.sessions_of_teams(uow.session, [team.id], limit=100)
    if sum(1 for s in recent if s.stage == Stage.CLOSED.value) < SESSIONS_BEFORE_VALUE_STORY:
        raise Conflict(f"A value story comes after {SESSIONS_BEFORE_VALUE_STORY} completed sessions.")
    story = LabValueStory(
        team_id=team.id, what_we_did=clean_text(what_we_did, "What we did", limit=4000), what_changed=clean_text(what_changed, "What changed", limit=4000),
        difference=clean_text(difference, "Difference", limit=4000), author_id=actor.person_id, created_at=uow.clock.now(),
    )
    uow.session.add(story)
    await uow.flush()
    return story


# --- reminders ------------------------------------------------------------------------------


async def send_commitment_reminders(uow: UnitOfWork, now: datetime) -> int:
    """Remind each open commitment's owner once, when its check date has come. The
    notification lands in the team's general channel context, so only readers get it."""
    query = select(LabCommitment, LabChannel).join(LabChannel, (LabChannel.team_id == LabCommitment.team_id) & LabChannel.is_general).where(
        LabCommitment.status == CommitmentStatus.OPEN.value, LabCommitment.reminded_at.is_(None), LabCommitment.check_on <= now.date()
    )
    sent = 0
    for commitment, general in (await uow.session.execute(query)).all():
        conversation = await queries.conversation(uow.session, general.conversation_id)
        made = await notifications.notify(
            uow, recipients=[commitment.owner_id], kind="reminder", conversation=conversation, seq=None, actor_id=None,
            summary=f"Check date of your team commitment: {commitment.action[:120]}", link=f"/labs/teams/{commitment.team_id}#commitment-{commitment.id}",
        )
        commitment.reminded_at = now
        sent += len(made)
    return sent
