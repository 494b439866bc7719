"""Who may see and do what: the one place in the code that compares roles.

Two rules stand above every permission (DOMAIN.md):
1. Authority never becomes visibility. Holding power over someone (an institution lead,
   faculty or leadership over students) never opens a space the person is not a member
   of, and student participation shows to them as counts, not names.
2. No silent reads. A program admin may read a school's private data, but every such read
   is a *privileged read* that the caller must log (`is_privileged_read`) and that the
   school's lead can see in the audit log.

Services call `can`/`require` with an `Action` and a resource; list queries take the
clauses built by the visibility filters at the end of this module.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Callable, Protocol

from sqlalchemy import ColumnElement, and_, false, or_, true
from sqlalchemy.orm import InstrumentedAttribute

from artme_cop.errors import Forbidden
from artme_cop.identity.models import Constituency, Institution, Role


class Action(StrEnum):
    INSTITUTION_CREATE = "institution.create"
    INSTITUTION_VIEW = "institution.view"
    COHORT_CREATE = "cohort.create"
    COHORT_ROSTER = "cohort.roster"
    PEOPLE_VIEW = "people.view"
    INVITATION_CREATE = "invitation.create"
    INVITATION_REVOKE = "invitation.revoke"
    ROLE_CHANGE = "role.change"
    AUDIT_READ = "audit.read"
    PARTICIPATION_NAMES = "participation.names"
    SPACE_READ = "space.read"
    MESSAGE_POST = "message.post"
    MESSAGE_EDIT = "message.edit"
    MESSAGE_MODERATE = "message.moderate"
    CATEGORY_MANAGE = "category.manage"
    THREAD_START = "thread.start"
    NOTIFICATION_READ = "notification.read"
    MODERATION_FLAG = "moderation.flag"
    MODERATION_QUEUE = "moderation.queue"
    MODERATION_REVIEW = "moderation.review"
    # the program backbone (issue #8): phases, the session calendar, readiness
    PHASE_VIEW = "phase.view"
    PHASE_CHECKLIST = "phase.checklist"
    SCHEDULE_MANAGE = "schedule.manage"
    SESSION_CREATE = "session.create"
    SESSION_VIEW = "session.view"
    SESSION_MANAGE = "session.manage"
    READINESS_VIEW = "readiness.view"
    READINESS_ANSWER = "readiness.answer"
    READINESS_MANAGE = "readiness.manage"
    READINESS_RESULTS = "readiness.results"
    COALITION_READ = "coalition.read"
    SPHERE_MANAGE = "sphere.manage"
    SPHERE_MEMBERS = "sphere.members"
    SPHERE_JOIN = "sphere.join"
    TARGET_EDIT = "target.edit"
    OUTCOMES_READ = "outcomes.read"
    OUTCOMES_EDIT = "outcomes.edit"
    WIN_RECORD = "win.record"
    WIN_SHARE = "win.share"
    WIN_CURATE = "win.curate"
    MONITORING_SHARE = "monitoring.share"
    MONITORING_PROGRAM = "monitoring.program"
    # the knowledge repository (issue #7)
    RESOURCE_CREATE = "resource.create"
    RESOURCE_READ = "resource.read"
    RESOURCE_ORIGIN = "resource.origin"
    RESOURCE_STEWARD = "resource.steward"
    RESOURCE_REVIEW = "resource.review"
    RESOURCE_REVIEWER = "resource.reviewer"
    RESOURCE_APPROVE = "resource.approve"
    RESOURCE_CURATE = "resource.curate"
    RESOURCE_FLAG = "resource.flag"
    RESOURCE_APPLY = "resource.apply"
    # Chats for Change (issue #5)
    DIALOGUE_SCHEDULE = "dialogue.schedule"
    DIALOGUE_VIEW = "dialogue.view"
    DIALOGUE_JOIN = "dialogue.join"
    DIALOGUE_FACILITATE = "dialogue.facilitate"
    DIALOGUE_REVEAL = "dialogue.reveal"
    # team learning labs (issue #6)
    LAB_MANAGER_NAME = "lab.manager.name"
    LAB_TEAM_REGISTER = "lab.team.register"
    LAB_TEAM_ROSTER = "lab.team.roster"
    LAB_TEAM_READ = "lab.team.read"
    LAB_TEAM_CONTRIBUTE = "lab.team.contribute"
    LAB_TEAM_LEAD = "lab.team.lead"
    LAB_SESSION_CREATE = "lab.session.create"
    LAB_SESSION_VIEW = "lab.session.view"
    LAB_SESSION_RUN = "lab.session.run"
    DIALOGUE_INCIDENTS = "dialogue.incidents"
    # two-step sign-in (SEC-C7): turning off another person's second step
    TWO_STEP_RESET = "two_step.reset"


class SpaceScope(StrEnum):
    CONSORTIUM = "consortium"
    INSTITUTION = "institution"
    COHORT = "cohort"
    # Only the people on the conversation's member list (a team channel, a breakout).
    MEMBERS = "members"


# An institution lead manages the cohort-level roles of their own school; coaches, leads and
# admins are program appointments made by program admins.
LEAD_GRANTABLE_ROLES = frozenset({Role.PARTICIPANT, Role.COALITION_MEMBER, Role.FACILITATOR})
ADMIN_GRANTABLE_ROLES = frozenset(Role) - {Role.PROGRAM_ADMIN}
# People who may hold authority over students' grades or jobs (rule 1).
AUTHORITY_CONSTITUENCIES = frozenset({Constituency.FACULTY, Constituency.LEADERSHIP})
PROTECTED_CONSTITUENCIES = frozenset({Constituency.STUDENT, Constituency.TRAINEE})


@dataclass(frozen=True)
class Grant:
    role: Role
    institution_id: int | None = None
    cohort_id: int | None = None


@dataclass(frozen=True)
class Actor:
    """The signed-in person as the policy sees them; built fresh for every request."""

    person_id: int
    display_name: str
    institution_id: int | None
    grants: frozenset[Grant] = frozenset()
    # cohort id -> the person's constituency in that cohort
    cohorts: tuple[tuple[int, Constituency], ...] = ()
    session_epoch: int = 0
    extra: dict[str, str] = field(default_factory=dict, compare=False)
    # Conversations of the members scope the person is listed in, and those they moderate.
    member_conversations: frozenset[int] = frozenset()
    moderated_conversations: frozenset[int] = frozenset()
    # Not a permission: where the person's pages show times and their forms read them.
    time_zone: str = "UTC"

    @property
    def is_program_admin(self) -> bool:
        return any(grant.role is Role.PROGRAM_ADMIN for grant in self.grants)

    @property
    def cohort_ids(self) -> frozenset[int]:
        return frozenset(cohort_id for cohort_id, _ in self.cohorts)

    @property
    def constituencies(self) -> frozenset[Constituency]:
        return frozenset(constituency for _, constituency in self.cohorts)

    def leads(self, institution_id: int | None) -> bool:
        return institution_id is not None and Grant(Role.INSTITUTION_LEAD, institution_id) in self.grants

    @property
    def lead_institution_ids(self) -> frozenset[int]:
        return frozenset(
            g.institution_id for g in self.grants if g.role is Role.INSTITUTION_LEAD and g.institution_id is not None
        )

    def holds(self, role: Role, *, cohort_id: int | None = None) -> bool:
        return any(g.role is role and (cohort_id is None or g.cohort_id == cohort_id) for g in self.grants)

    @property
    def is_manager(self) -> bool:
        """Sees the administration pages at all."""
        return self.is_program_admin or bool(self.lead_institution_ids)


class InstitutionBound(Protocol):
    @property
    def institution_id(self) -> int | None: ...


@dataclass(frozen=True)
class RoleTarget:
    """A role to be granted, revoked or invited into, at an institution (and maybe a cohort)."""

    role: Role
    institution_id: int | None
    cohort_id: int | None = None


@dataclass(frozen=True)
class CohortRef:
    id: int
    institution_id: int


@dataclass(frozen=True)
class Member:
    """A person whose participation someone wants to see (rule 1)."""

    person_id: int
    institution_id: int | None
    constituencies: frozenset[Constituency]


@dataclass(frozen=True)
class Space:
    scope: SpaceScope
    institution_id: int | None
    cohort_id: int | None
    # Needed only for the members scope, whose readers are listed per conversation.
    conversation_id: int | None = None


@dataclass(frozen=True)
class NewThread:
    """A thread someone wants to start: the category's start rule and the chosen space."""

    start_rule: str
    space: Space


@dataclass(frozen=True)
class MessageRef:
    """A message as the moderation rules see it: the space it was written in and its author."""

    scope: SpaceScope
    institution_id: int | None
    cohort_id: int | None
    author_id: int
    conversation_id: int | None = None


class Audience(StrEnum):
    """Who a calendar session is for."""

    ALL = "all"
    INSTITUTION = "institution"
    COHORTS = "cohorts"


# Session kinds that gather every cohort of the program: only program admins schedule them.
PROGRAM_WIDE_KINDS = frozenset({"phase_introduction", "community_of_practice", "conference"})


@dataclass(frozen=True)
class SessionPlan:
    """A calendar session someone wants to schedule: its kind and who it invites."""

    kind: str
    audience: Audience
    institution_id: int | None
    cohorts: tuple[CohortRef, ...] = ()


@dataclass(frozen=True)
class DialoguePlan:
    """A Chats for Change session someone wants to schedule: its school and invited cohorts."""

    institution_id: int
    cohorts: tuple[CohortRef, ...] = ()


@dataclass(frozen=True)
class DialogueRef:
    """A scheduled dialogue session as the policy sees it."""

    institution_id: int
    cohort_ids: frozenset[int]
    facilitator_ids: frozenset[int]
    created_by_id: int | None = None


@dataclass(frozen=True)
class SessionRef:
    """A scheduled session as the policy sees it."""

    audience: Audience
    institution_id: int | None
    cohort_ids: frozenset[int]
    created_by_id: int | None


@dataclass(frozen=True)
class SphereRef:
    """A coalition sphere as the policy sees it: its school, members and co-leads."""

    institution_id: int
    member_ids: frozenset[int] = frozenset()
    co_lead_ids: frozenset[int] = frozenset()


@dataclass(frozen=True)
class PartnerRef:
    """A boundary partner of outcome mapping: its school and the cohort whose coaching maps it."""

    institution_id: int
    cohort_id: int | None = None


class KnowledgeScope(StrEnum):
    """How far a resource of the knowledge repository reaches (its state says where it is in
    the cycle; its scope says who reads it)."""

    PRIVATE = "private"
    INSTITUTION = "institution"
    PROGRAM = "program"


PARTNER_ATTRIBUTION = "partner"


@dataclass(frozen=True)
class ResourceRef:
    """A knowledge resource as the policy sees it: its school, where it is in the cycle, how
    far it reaches, how it is attributed, and the people involved in it."""

    institution_id: int
    state: str
    scope: str
    attribution: str | None = None
    author_ids: frozenset[int] = frozenset()
    steward_ids: frozenset[int] = frozenset()
    reviewer_ids: frozenset[int] = frozenset()

    @property
    def involved_ids(self) -> frozenset[int]:
        return self.author_ids | self.steward_ids | self.reviewer_ids


@dataclass(frozen=True)
class LabUnitRef:
    """A school's team learning labs: its lead, and the unit managers the lead named."""

    institution_id: int
    manager_ids: frozenset[int] = frozenset()


@dataclass(frozen=True)
class TeamRef:
    """A lab team as the policy sees it: its school, roster, leads, facilitator and the
    people allowed to manage its roster (the school's unit managers)."""

    institution_id: int
    member_ids: frozenset[int]
    lead_ids: frozenset[int]
    facilitator_id: int
    manager_ids: frozenset[int] = frozenset()


@dataclass(frozen=True)
class LabSessionRef:
    """A lab session: who facilitates it and the teams taking part."""

    facilitator_id: int
    teams: tuple[TeamRef, ...]


def can(actor: Actor | None, action: Action, resource: object = None) -> bool:
    """Answer whether `actor` may perform `action` on `resource`."""
    if actor is None:
        return False
    check = _CHECKS[action]
    return check(actor, resource)


def require(actor: Actor | None, action: Action, resource: object = None) -> None:
    """Raise Forbidden unless `can(...)`."""
    if not can(actor, action, resource):
        raise Forbidden("You do not have permission to do that.")


def is_privileged_read(actor: Actor, institution_id: int | None) -> bool:
    """True when the actor reads a school's private data only by program-wide power (rule 2)."""
    if institution_id is None or not actor.is_program_admin:
        return False
    return actor.institution_id != institution_id and not actor.leads(institution_id)


# Roles whose power over several people's data asks for a second step at sign-in when the
# installation requires it (SEC-C7, `ARTME_REQUIRE_TWO_STEP`).
TWO_STEP_ROLES = frozenset({Role.PROGRAM_ADMIN, Role.INSTITUTION_LEAD})


def needs_two_step(actor: Actor) -> bool:
    """Whether the actor holds a role that asks for two-step sign-in."""
    return any(grant.role in TWO_STEP_ROLES for grant in actor.grants)


def without_two_step_roles(actor: Actor) -> Actor:
    """The actor as they act in a session signed in without the second step: the roles that
    ask for it are left out, the rest (cohorts, facilitation) stays."""
    return replace(actor, grants=frozenset(grant for grant in actor.grants if grant.role not in TWO_STEP_ROLES))


def moderates_anything(actor: Actor | None) -> bool:
    """Whether the actor moderates at least one kind of space (the queue and its nav link)."""
    return can(actor, Action.MODERATION_QUEUE)


def sees_every_dialogue_session(actor: Actor) -> bool:
    """Whether the session list must look beyond the actor's cohorts, schools and facilitation
    (program admins manage every school's sessions; the rooms stay members-only)."""
    return actor.is_program_admin


def grantable_roles(actor: Actor) -> list[Role]:
    """The roles the actor may grant or invite into at a school they manage, in `Role` order."""
    allowed = ADMIN_GRANTABLE_ROLES if actor.is_program_admin else LEAD_GRANTABLE_ROLES if actor.lead_institution_ids else frozenset()
    return [role for role in Role if role in allowed]


def _admin_only(actor: Actor, _resource: object) -> bool:
    return actor.is_program_admin


def _admin_or_lead(actor: Actor, resource: object) -> bool:
    institution_id = _institution_of(resource)
    return actor.is_program_admin or actor.leads(institution_id)


def _role_management(actor: Actor, resource: object) -> bool:
    if not isinstance(resource, RoleTarget):
        return False
    if actor.is_program_admin:
        return resource.role in ADMIN_GRANTABLE_ROLES
    return actor.leads(resource.institution_id) and resource.role in LEAD_GRANTABLE_ROLES


def _two_step_reset(actor: Actor, resource: object) -> bool:
    """Admins turn off anyone's second step (a lost phone and lost recovery codes), a lead that
    of the people of their school who hold no role that asks for it; nobody their own here."""
    if not isinstance(resource, Actor) or resource.person_id == actor.person_id:
        return False
    return actor.is_program_admin or (actor.leads(resource.institution_id) and not needs_two_step(resource))


def _roster(actor: Actor, resource: object) -> bool:
    if not isinstance(resource, CohortRef):
        return False
    return (
        actor.is_program_admin
        or actor.leads(resource.institution_id)
        or actor.holds(Role.COACH, cohort_id=resource.id)
        or actor.holds(Role.FACILITATOR, cohort_id=resource.id)
    )


def _audit(actor: Actor, resource: object) -> bool:
    if actor.is_program_admin:
        return True
    institution_id = _institution_of(resource)
    if institution_id is None:  # "the entries I may read", filtered by audit_clause
        return bool(actor.lead_institution_ids)
    return actor.leads(institution_id)


def _participation_names(actor: Actor, resource: object) -> bool:
    """Names beside participation only for oneself, or for members outside the protected
    constituencies seen by people who manage them. Never for students to those with authority."""
    if not isinstance(resource, Member):
        return False
    if resource.person_id == actor.person_id:
        return True
    if resource.constituencies & PROTECTED_CONSTITUENCIES:
        return False
    return actor.is_program_admin or actor.leads(resource.institution_id)


def _space_of(resource: object) -> Space | None:
    """A Space, or anything shaped like one (a conversation row)."""
    if isinstance(resource, Space):
        return resource
    try:
        scope = SpaceScope(getattr(resource, "scope"))
    except (AttributeError, ValueError):
        return None
    conversation_id = None
    if scope is SpaceScope.MEMBERS:
        conversation_id = getattr(resource, "conversation_id", None) or getattr(resource, "id", None)
    return Space(scope, getattr(resource, "institution_id", None), getattr(resource, "cohort_id", None), conversation_id)


def _space_read(actor: Actor, resource: object) -> bool:
    space = _space_of(resource)
    if space is None:
        return False
    if space.scope is SpaceScope.CONSORTIUM:
        return True
    if space.scope is SpaceScope.INSTITUTION:
        return space.institution_id in _institutions_present(actor)
    if space.scope is SpaceScope.MEMBERS:
        return space.conversation_id in actor.member_conversations
    return space.cohort_id in _cohorts_present(actor)


def _message_post(actor: Actor, resource: object) -> bool:
    return _space_read(actor, resource) and not getattr(resource, "is_locked", False)


def _message_edit(actor: Actor, resource: object) -> bool:
    """Only the author edits their own words."""
    return getattr(resource, "author_id", None) == actor.person_id


def _message_moderate(actor: Actor, resource: object) -> bool:
    """Moderators of a space are people inside it who hold a facilitating role: in
    consortium spaces the program admins and every facilitator and coach (the issue's
    "facilitators and admins work the queue"), in an institution space the school's lead,
    in a cohort space that cohort's facilitators and coaches. Outsiders never moderate
    what they cannot read (rule 1)."""
    space = _space_of(resource)
    if space is None or not _space_read(actor, space):
        return False
    if space.scope is SpaceScope.CONSORTIUM:
        return _moderates_consortium(actor)
    if space.scope is SpaceScope.INSTITUTION:
        return actor.leads(space.institution_id)
    if space.scope is SpaceScope.MEMBERS:
        return space.conversation_id in actor.moderated_conversations
    return space.cohort_id in _facilitated_cohorts(actor)


def _moderates_consortium(actor: Actor) -> bool:
    return actor.is_program_admin or actor.holds(Role.FACILITATOR) or actor.holds(Role.COACH)


def _facilitated_cohorts(actor: Actor) -> frozenset[int]:
    return frozenset(
        g.cohort_id for g in actor.grants if g.cohort_id is not None and g.role in {Role.FACILITATOR, Role.COACH}
    )


def _moderation_flag(actor: Actor, resource: object) -> bool:
    """Every reader may flag a message, except their own (they can edit or delete it)."""
    if not isinstance(resource, MessageRef):
        return False
    return _space_read(actor, resource) and resource.author_id != actor.person_id


def _moderation_queue(actor: Actor, _resource: object) -> bool:
    """The queue is for people who moderate some space; it lists only what they moderate."""
    return _moderates_consortium(actor) or bool(actor.lead_institution_ids) or bool(actor.moderated_conversations)


def _moderation_review(actor: Actor, resource: object) -> bool:
    """Dismiss flags, hide, unhide, warn: a moderator of the space, never on their own
    message (someone else reviews what is said about a moderator's words)."""
    if not isinstance(resource, MessageRef):
        return False
    return resource.author_id != actor.person_id and _message_moderate(actor, resource)


def _thread_start(actor: Actor, resource: object) -> bool:
    """Start a thread: the space must be one the actor belongs to, and the category's rule
    ("everyone", "facilitators", "admins") must admit them."""
    if not isinstance(resource, NewThread) or not _space_read(actor, resource.space):
        return False
    if resource.start_rule == "everyone":
        return True
    if resource.start_rule == "facilitators":
        facilitating = {Role.FACILITATOR, Role.COACH, Role.INSTITUTION_LEAD, Role.PROGRAM_ADMIN}
        return any(grant.role in facilitating for grant in actor.grants)
    return actor.is_program_admin


def _own_notification(actor: Actor, resource: object) -> bool:
    """A notification is its recipient's alone: nobody else sees or marks it, whatever their
    role. (What it is about must also be readable: the notifications service checks
    `SPACE_READ` for that, when notifying and again when showing or mailing.)"""
    return getattr(resource, "recipient_id", None) == actor.person_id


def _cohort_ref(resource: object) -> CohortRef | None:
    return resource if isinstance(resource, CohortRef) else None


def _phase_view(actor: Actor, resource: object) -> bool:
    """A cohort's phase and exit checklist: its members, its coach and facilitators, its
    school's lead and program admins (progress, not content)."""
    cohort = _cohort_ref(resource)
    if cohort is None:
        return False
    return actor.is_program_admin or actor.leads(cohort.institution_id) or cohort.id in _cohorts_present(actor)


def _coaches(actor: Actor, resource: object) -> bool:
    """The cohort's coach (and program admins) mark exit-checklist items and move the phase."""
    cohort = _cohort_ref(resource)
    if cohort is None:
        return False
    return actor.is_program_admin or actor.holds(Role.COACH, cohort_id=cohort.id)


def _session_create(actor: Actor, resource: object) -> bool:
    """Program admins schedule anything; a school's lead schedules for its cohorts or the
    whole school; a coach for the cohorts they coach. Program-wide kinds are admins' only."""
    if not isinstance(resource, SessionPlan):
        return False
    if actor.is_program_admin:
        return True
    if resource.kind in PROGRAM_WIDE_KINDS or resource.audience is Audience.ALL:
        return False
    if resource.audience is Audience.INSTITUTION:
        return actor.leads(resource.institution_id)
    if not resource.cohorts:
        return False
    return all(actor.leads(c.institution_id) or actor.holds(Role.COACH, cohort_id=c.id) for c in resource.cohorts)


def _session_invited(actor: Actor, resource: SessionRef) -> bool:
    if resource.audience is Audience.ALL:
        return True
    if resource.audience is Audience.INSTITUTION:
        return resource.institution_id in _institutions_present(actor)
    return bool(resource.cohort_ids & _cohorts_present(actor))


def _session_manage(actor: Actor, resource: object) -> bool:
    """Who scheduled it, program admins, and the lead of the school it belongs to."""
    if not isinstance(resource, SessionRef):
        return False
    return actor.is_program_admin or resource.created_by_id == actor.person_id or actor.leads(resource.institution_id)


def _session_view(actor: Actor, resource: object) -> bool:
    """Invitees (through their cohorts, school or assignments) and the session's managers;
    never another cohort's private session."""
    if not isinstance(resource, SessionRef):
        return False
    return _session_invited(actor, resource) or _session_manage(actor, resource)


def _readiness_answer(actor: Actor, resource: object) -> bool:
    """Only members of the cohort answer its survey (their constituency is counted)."""
    cohort = _cohort_ref(resource)
    return cohort is not None and cohort.id in actor.cohort_ids


def _readiness_manage(actor: Actor, resource: object) -> bool:
    cohort = _cohort_ref(resource)
    if cohort is None:
        return False
    return actor.is_program_admin or actor.leads(cohort.institution_id) or actor.holds(Role.COACH, cohort_id=cohort.id)


def _readiness_results(actor: Actor, resource: object) -> bool:
    """Aggregates go to the school's lead and the cohort's coach, and to no one else (#8)."""
    cohort = _cohort_ref(resource)
    if cohort is None:
        return False
    return actor.leads(cohort.institution_id) or actor.holds(Role.COACH, cohort_id=cohort.id)


# --- the guiding coalition, outcome mapping, wins and monitoring (issue #8) ----------------
# A school's coalition work (spheres, targets, plans, DARCI grids, its wins before and after
# sharing) is read by its lead, its coalition members and the coaches of its cohorts. A
# program admin may read it too, but only as a logged privileged read (rule 2); program
# admins never edit a school's coalition work.


def _in_coalition(actor: Actor, institution_id: int | None) -> bool:
    """The school's lead or one of its coalition members."""
    if institution_id is None:
        return False
    return actor.leads(institution_id) or Grant(Role.COALITION_MEMBER, institution_id) in actor.grants


def _coaches_at(actor: Actor, institution_id: int | None) -> bool:
    return institution_id is not None and any(g.role is Role.COACH and g.institution_id == institution_id for g in actor.grants)


def _coalition_read(actor: Actor, resource: object) -> bool:
    institution_id = _institution_of(resource)
    if institution_id is None:
        return False
    return actor.is_program_admin or _in_coalition(actor, institution_id) or _coaches_at(actor, institution_id)


def _sphere_manage(actor: Actor, resource: object) -> bool:
    return actor.leads(_institution_of(resource))


def _sphere_join(actor: Actor, resource: object) -> bool:
    """Whether the actor (a candidate) may sit in a sphere of the school: its coalition."""
    return _in_coalition(actor, _institution_of(resource))


def _sphere_members(actor: Actor, resource: object) -> bool:
    """The lead, or a co-lead of this sphere who is still in the coalition."""
    if not isinstance(resource, SphereRef):
        return False
    if actor.leads(resource.institution_id):
        return True
    return actor.person_id in resource.co_lead_ids and _in_coalition(actor, resource.institution_id)


def _target_edit(actor: Actor, resource: object) -> bool:
    """Targets and plans: the sphere's members and co-leads, and the school's lead (#8)."""
    if not isinstance(resource, SphereRef):
        return False
    if actor.leads(resource.institution_id):
        return True
    return actor.person_id in resource.member_ids | resource.co_lead_ids and _in_coalition(actor, resource.institution_id)


def _outcomes_read(actor: Actor, resource: object) -> bool:
    """Outcome mapping is visible within the school (and to its coaches); admins by a logged read."""
    institution_id = _institution_of(resource)
    if institution_id is None:
        return False
    return actor.is_program_admin or institution_id in _institutions_present(actor)


def _outcomes_edit(actor: Actor, resource: object) -> bool:
    """The coach of the partner's cohort (any coach at the school for a school-wide partner),
    the school's lead and its coalition members."""
    if not isinstance(resource, PartnerRef):
        return False
    if _in_coalition(actor, resource.institution_id):
        return True
    if resource.cohort_id is not None:
        return actor.holds(Role.COACH, cohort_id=resource.cohort_id)
    return _coaches_at(actor, resource.institution_id)


def _win_record(actor: Actor, resource: object) -> bool:
    return _in_coalition(actor, _institution_of(resource))


def _lead_of(actor: Actor, resource: object) -> bool:
    return actor.leads(_institution_of(resource))


# --- the knowledge repository (issue #7) ------------------------------------------------------
# Drafts and items in assessment are read by the people involved (authors, stewards, named
# reviewers) and the school's lead; a resource shared with the institution by that school's
# members; a resource shared with the program by everyone signed in. Program admins see a
# proposal to curate it; they never read a school's unshared work otherwise (rule 2). A
# resource attributed to "a partner school" never names its school, or people who would name
# it, to anyone outside the school and the people involved.


def _resource(resource: object) -> ResourceRef | None:
    return resource if isinstance(resource, ResourceRef) else None


def _involved_or_lead(actor: Actor, ref: ResourceRef) -> bool:
    return actor.person_id in ref.involved_ids or actor.leads(ref.institution_id)


def _resource_read(actor: Actor, resource: object) -> bool:
    ref = _resource(resource)
    if ref is None:
        return False
    if ref.scope == KnowledgeScope.PROGRAM.value or _involved_or_lead(actor, ref):
        return True
    if ref.scope == KnowledgeScope.INSTITUTION.value and ref.institution_id in _institutions_present(actor):
        return True
    # Program admins read a proposal to curate it, never the school's unshared earlier text.
    return ref.state == "proposed_program" and ref.scope != KnowledgeScope.PRIVATE.value and actor.is_program_admin


def _resource_origin(actor: Actor, resource: object) -> bool:
    """Whether the actor may know the resource's school (and names that would give it away)."""
    ref = _resource(resource)
    if ref is None or not _resource_read(actor, ref):
        return False
    if ref.attribution != PARTNER_ATTRIBUTION:
        return True
    return actor.person_id in ref.involved_ids or ref.institution_id in _institutions_present(actor)


def _resource_create(actor: Actor, resource: object) -> bool:
    """Coalition members and the lead post resources for their school."""
    return _in_coalition(actor, _institution_of(resource))


def _resource_steward(actor: Actor, resource: object) -> bool:
    """Edit, submit, contextualize, share within the school, flag for update, retire, withdraw
    from the program: the resource's authors and stewards, and its school's lead."""
    ref = _resource(resource)
    return ref is not None and (actor.person_id in ref.author_ids | ref.steward_ids or actor.leads(ref.institution_id))


def _resource_review(actor: Actor, resource: object) -> bool:
    """Only a reviewer named on the resource decides a review."""
    ref = _resource(resource)
    return ref is not None and actor.person_id in ref.reviewer_ids


def _resource_reviewer(actor: Actor, resource: object) -> bool:
    """Who may be named a reviewer: program admins, coaches and facilitators (they review
    when named), and the school's lead and coalition; never an author of the resource."""
    ref = _resource(resource)
    if ref is None or actor.person_id in ref.author_ids:
        return False
    program_staff = actor.is_program_admin or actor.holds(Role.COACH) or actor.holds(Role.FACILITATOR)
    return program_staff or _in_coalition(actor, ref.institution_id)


def _resource_approve(actor: Actor, resource: object) -> bool:
    """Nothing from a school reaches the program without its lead's approval (DOMAIN.md)."""
    ref = _resource(resource)
    return ref is not None and actor.leads(ref.institution_id)


def _resource_flag(actor: Actor, resource: object) -> bool:
    """Any reader may flag a shared resource as out of date."""
    return _resource_read(actor, resource)


def _resource_apply(actor: Actor, resource: object) -> bool:
    """"We applied this" is reported by people of a school (the report is about a school)."""
    return actor.institution_id is not None and _resource_read(actor, resource)


# --- team learning labs (issue #6) ------------------------------------------------------------
# Everything of a team is its members' and its facilitator's. The school's lead and unit
# managers register teams and keep their rosters, and program admins administer, but none of
# them reads a team's channels, sessions or reports without being on the team (rule 1).


def _lab_manager_name(actor: Actor, resource: object) -> bool:
    return isinstance(resource, LabUnitRef) and actor.leads(resource.institution_id)


def _lab_unit_manager(actor: Actor, resource: object) -> bool:
    if not isinstance(resource, (LabUnitRef, TeamRef)):
        return False
    return actor.leads(resource.institution_id) or actor.person_id in resource.manager_ids


def _lab_team_read(actor: Actor, resource: object) -> bool:
    if not isinstance(resource, TeamRef):
        return False
    return actor.person_id in resource.member_ids or actor.person_id == resource.facilitator_id


def _lab_team_contribute(actor: Actor, resource: object) -> bool:
    """Answer as the team, commit, report successes: the team's members."""
    return isinstance(resource, TeamRef) and actor.person_id in resource.member_ids


def _lab_team_lead(actor: Actor, resource: object) -> bool:
    """Open topic channels, pin, promote a success report: the team's leads and facilitator."""
    if not isinstance(resource, TeamRef):
        return False
    return (actor.person_id in resource.lead_ids and actor.person_id in resource.member_ids) or actor.person_id == resource.facilitator_id


def _lab_session_create(actor: Actor, resource: object) -> bool:
    """A facilitator schedules a session for teams they all facilitate."""
    if not isinstance(resource, LabSessionRef) or not resource.teams:
        return False
    return resource.facilitator_id == actor.person_id and all(team.facilitator_id == actor.person_id for team in resource.teams)


def _lab_session_view(actor: Actor, resource: object) -> bool:
    if not isinstance(resource, LabSessionRef):
        return False
    return _lab_session_run(actor, resource) or any(_lab_team_read(actor, team) for team in resource.teams)


def _lab_session_run(actor: Actor, resource: object) -> bool:
    """The session's facilitator, while they still facilitate one of its teams (a facilitator
    taken off the teams loses their sessions with them)."""
    if not isinstance(resource, LabSessionRef) or actor.person_id != resource.facilitator_id:
        return False
    return any(team.facilitator_id == actor.person_id for team in resource.teams)


def _institution_of(resource: object) -> int | None:
    if isinstance(resource, int):
        return resource
    if isinstance(resource, Institution):  # an institution is its own scope
        return resource.id
    return getattr(resource, "institution_id", None)


def _institutions_present(actor: Actor) -> frozenset[int]:
    """Institutions whose institution-wide spaces the actor belongs to."""
    ids = {g.institution_id for g in actor.grants if g.institution_id is not None}
    if actor.institution_id is not None:
        ids.add(actor.institution_id)
    return frozenset(ids)


def _cohorts_present(actor: Actor) -> frozenset[int]:
    """Cohorts whose private spaces the actor is in: members, and the coaches and
    facilitators assigned to them. An institution lead is not added (rule 1)."""
    assigned = {
        g.cohort_id
        for g in actor.grants
        if g.cohort_id is not None and g.role in {Role.COACH, Role.FACILITATOR}
    }
    return actor.cohort_ids | frozenset(assigned)


def _dialogue_schedule(actor: Actor, resource: object) -> bool:
    """Program admins, the school's lead, and a facilitator or coach of every invited cohort."""
    if not isinstance(resource, DialoguePlan) or not resource.cohorts:
        return False
    if any(c.institution_id != resource.institution_id for c in resource.cohorts):
        return False
    if actor.is_program_admin or actor.leads(resource.institution_id):
        return True
    return all(actor.holds(Role.FACILITATOR, cohort_id=c.id) or actor.holds(Role.COACH, cohort_id=c.id) for c in resource.cohorts)


def _dialogue_invited(actor: Actor, resource: object) -> bool:
    """Members of an invited cohort (a coach's assignment is no membership: rule 1)."""
    return isinstance(resource, DialogueRef) and bool(resource.cohort_ids & actor.cohort_ids)


def _dialogue_facilitate(actor: Actor, resource: object) -> bool:
    return isinstance(resource, DialogueRef) and actor.person_id in resource.facilitator_ids


def _dialogue_view(actor: Actor, resource: object) -> bool:
    """The session's page (framing, agreement, counts): invitees, facilitators, who scheduled it,
    and the school's lead and program admins who manage it. The room itself is a members-only
    conversation that none of the managers read unless they take part."""
    if not isinstance(resource, DialogueRef):
        return False
    if _dialogue_invited(actor, resource) or _dialogue_facilitate(actor, resource):
        return True
    return actor.person_id == resource.created_by_id or actor.is_program_admin or actor.leads(resource.institution_id)


def _dialogue_join(actor: Actor, resource: object) -> bool:
    return _dialogue_invited(actor, resource) and not _dialogue_facilitate(actor, resource)


def _dialogue_reveal(actor: Actor, resource: object) -> bool:
    """Break-glass: the session's facilitators and program admins, never a lead or faculty."""
    return isinstance(resource, DialogueRef) and (_dialogue_facilitate(actor, resource) or actor.is_program_admin)


_CHECKS = {
    Action.INSTITUTION_CREATE: _admin_only,
    Action.INSTITUTION_VIEW: _admin_or_lead,
    Action.COHORT_CREATE: _admin_or_lead,
    Action.COHORT_ROSTER: _roster,
    Action.PEOPLE_VIEW: _admin_or_lead,
    Action.INVITATION_CREATE: _role_management,
    Action.INVITATION_REVOKE: _role_management,
    Action.ROLE_CHANGE: _role_management,
    Action.TWO_STEP_RESET: _two_step_reset,
    Action.AUDIT_READ: _audit,
    Action.PARTICIPATION_NAMES: _participation_names,
    Action.SPACE_READ: _space_read,
    Action.MESSAGE_POST: _message_post,
    Action.MESSAGE_EDIT: _message_edit,
    Action.MESSAGE_MODERATE: _message_moderate,
    Action.CATEGORY_MANAGE: _admin_only,
    Action.THREAD_START: _thread_start,
    Action.NOTIFICATION_READ: _own_notification,
    Action.MODERATION_FLAG: _moderation_flag,
    Action.MODERATION_QUEUE: _moderation_queue,
    Action.MODERATION_REVIEW: _moderation_review,
    Action.PHASE_VIEW: _phase_view,
    Action.PHASE_CHECKLIST: _coaches,
    Action.SCHEDULE_MANAGE: _admin_only,
    Action.SESSION_CREATE: _session_create,
    Action.SESSION_VIEW: _session_view,
    Action.SESSION_MANAGE: _session_manage,
    Action.READINESS_VIEW: _phase_view,
    Action.READINESS_ANSWER: _readiness_answer,
    Action.READINESS_MANAGE: _readiness_manage,
    Action.READINESS_RESULTS: _readiness_results,
    Action.COALITION_READ: _coalition_read,
    Action.SPHERE_MANAGE: _sphere_manage,
    Action.SPHERE_MEMBERS: _sphere_members,
    Action.SPHERE_JOIN: _sphere_join,
    Action.TARGET_EDIT: _target_edit,
    Action.OUTCOMES_READ: _outcomes_read,
    Action.OUTCOMES_EDIT: _outcomes_edit,
    Action.WIN_RECORD: _win_record,
    Action.WIN_SHARE: _lead_of,
    Action.WIN_CURATE: _admin_only,
    Action.MONITORING_SHARE: _lead_of,
    Action.MONITORING_PROGRAM: _admin_only,
    Action.RESOURCE_CREATE: _resource_create,
    Action.RESOURCE_READ: _resource_read,
    Action.RESOURCE_ORIGIN: _resource_origin,
    Action.RESOURCE_STEWARD: _resource_steward,
    Action.RESOURCE_REVIEW: _resource_review,
    Action.RESOURCE_REVIEWER: _resource_reviewer,
    Action.RESOURCE_APPROVE: _resource_approve,
    Action.RESOURCE_CURATE: _admin_only,
    Action.RESOURCE_FLAG: _resource_flag,
    Action.RESOURCE_APPLY: _resource_apply,
    Action.DIALOGUE_SCHEDULE: _dialogue_schedule,
    Action.DIALOGUE_VIEW: _dialogue_view,
    Action.DIALOGUE_JOIN: _dialogue_join,
    Action.DIALOGUE_FACILITATE: _dialogue_facilitate,
    Action.DIALOGUE_REVEAL: _dialogue_reveal,
    Action.LAB_MANAGER_NAME: _lab_manager_name,
    Action.LAB_TEAM_REGISTER: _lab_unit_manager,
    Action.LAB_TEAM_ROSTER: _lab_unit_manager,
    Action.LAB_TEAM_READ: _lab_team_read,
    Action.LAB_TEAM_CONTRIBUTE: _lab_team_contribute,
    Action.LAB_TEAM_LEAD: _lab_team_lead,
    Action.LAB_SESSION_CREATE: _lab_session_create,
    Action.LAB_SESSION_VIEW: _lab_session_view,
    Action.LAB_SESSION_RUN: _lab_session_run,
    # The incident handlers of reported messages: the same people who may break glass.
    Action.DIALOGUE_INCIDENTS: _dialogue_reveal,
}


# --- visibility filters used by list queries -------------------------------------------


def managed_institutions_clause(actor: Actor, column: InstrumentedAttribute[int | None]) -> ColumnElement[bool]:
    """Rows of institutions the actor administers (people, invitations, cohorts lists)."""
    if actor.is_program_admin:
        return true()
    if not actor.lead_institution_ids:
        return false()
    return column.in_(sorted(actor.lead_institution_ids))


def audit_clause(actor: Actor, column: InstrumentedAttribute[int | None]) -> ColumnElement[bool]:
    """Audit entries the actor may read: all for program admins, their school's for leads."""
    return managed_institutions_clause(actor, column)


def space_clause(
    actor: Actor,
    scope: InstrumentedAttribute[str],
    institution_id: InstrumentedAttribute[int | None],
    cohort_id: InstrumentedAttribute[int | None],
    conversation_id: InstrumentedAttribute[int] | None = None,
) -> ColumnElement[bool]:
    """The spaces `actor` may read, as a WHERE clause; the same rule as `Action.SPACE_READ`.
    Members-scope conversations are included only when `conversation_id` is given."""
    parts = [
        scope == SpaceScope.CONSORTIUM.value,
        and_(scope == SpaceScope.INSTITUTION.value, institution_id.in_(sorted(_institutions_present(actor)))),
        and_(scope == SpaceScope.COHORT.value, cohort_id.in_(sorted(_cohorts_present(actor)))),
    ]
    if conversation_id is not None and actor.member_conversations:
        parts.append(and_(scope == SpaceScope.MEMBERS.value, conversation_id.in_(sorted(actor.member_conversations))))
    return or_(*parts)


def moderated_space_clause(
    actor: Actor,
    scope: InstrumentedAttribute[str],
    institution_id: InstrumentedAttribute[int | None],
    cohort_id: InstrumentedAttribute[int | None],
    conversation_id: InstrumentedAttribute[int] | None = None,
) -> ColumnElement[bool]:
    """The spaces `actor` moderates, as a WHERE clause; the same rule as `Action.MESSAGE_MODERATE`.
    Members-scope conversations are included only when `conversation_id` is given."""
    parts: list[ColumnElement[bool]] = []
    if conversation_id is not None and actor.moderated_conversations:
        parts.append(and_(scope == SpaceScope.MEMBERS.value, conversation_id.in_(sorted(actor.moderated_conversations))))
    if _moderates_consortium(actor):
        parts.append(scope == SpaceScope.CONSORTIUM.value)
    led = actor.lead_institution_ids & _institutions_present(actor)
    if led:
        parts.append(and_(scope == SpaceScope.INSTITUTION.value, institution_id.in_(sorted(led))))
    facilitated = _facilitated_cohorts(actor) & _cohorts_present(actor)
    if facilitated:
        parts.append(and_(scope == SpaceScope.COHORT.value, cohort_id.in_(sorted(facilitated))))
    return or_(*parts) if parts else false()


def review_clause(
    actor: Actor,
    scope: InstrumentedAttribute[str],
    institution_id: InstrumentedAttribute[int | None],
    cohort_id: InstrumentedAttribute[int | None],
    author_id: InstrumentedAttribute[int],
    conversation_id: InstrumentedAttribute[int] | None = None,
) -> ColumnElement[bool]:
    """Messages the actor may review in the moderation queue; the same rule as
    `Action.MODERATION_REVIEW`."""
    return and_(moderated_space_clause(actor, scope, institution_id, cohort_id, conversation_id), author_id != actor.person_id)


def session_invited_clause(
    actor: Actor,
    audience: InstrumentedAttribute[str],
    institution_id: InstrumentedAttribute[int | None],
    invites_one_of: Callable[[list[int]], ColumnElement[bool]],
) -> ColumnElement[bool]:
    """Sessions the actor is invited to, as a WHERE clause (the rule of `Action.SESSION_VIEW`
    without the managers); `invites_one_of(ids)` says "the session invites one of these cohorts"."""
    return or_(
        audience == Audience.ALL.value,
        and_(audience == Audience.INSTITUTION.value, institution_id.in_(sorted(_institutions_present(actor)))),
        and_(audience == Audience.COHORTS.value, invites_one_of(sorted(_cohorts_present(actor)))),
    )


def session_managed_clause(
    actor: Actor, institution_id: InstrumentedAttribute[int | None], created_by_id: InstrumentedAttribute[int | None]
) -> ColumnElement[bool]:
    """Sessions the actor manages: all for admins; their school's for leads; their own."""
    if actor.is_program_admin:
        return true()
    clauses: list[ColumnElement[bool]] = [created_by_id == actor.person_id]
    if actor.lead_institution_ids:
        clauses.append(institution_id.in_(sorted(actor.lead_institution_ids)))
    return or_(*clauses)


def cohort_oversight_clause(actor: Actor, cohort_id: InstrumentedAttribute[int], institution_id: InstrumentedAttribute[int]) -> ColumnElement[bool]:
    """Cohorts whose progress the actor may see (the rule of `Action.PHASE_VIEW`)."""
    if actor.is_program_admin:
        return true()
    clauses: list[ColumnElement[bool]] = [cohort_id.in_(sorted(_cohorts_present(actor)))]
    if actor.lead_institution_ids:
        clauses.append(institution_id.in_(sorted(actor.lead_institution_ids)))
    return or_(*clauses)


def resource_clause(
    actor: Actor,
    *,
    institution_id: InstrumentedAttribute[int],
    scope: ColumnElement[str] | InstrumentedAttribute[str],
    state: InstrumentedAttribute[str],
    involves: Callable[[int], ColumnElement[bool]],
) -> ColumnElement[bool]:
    """Knowledge resources (or, with a version's scope column, versions) the actor may read, as
    a WHERE clause; the rule of `Action.RESOURCE_READ`. `involves(person_id)` says "this person
    is an author, steward or reviewer of the resource"."""
    clauses: list[ColumnElement[bool]] = [
        scope == KnowledgeScope.PROGRAM.value,
        and_(scope == KnowledgeScope.INSTITUTION.value, institution_id.in_(sorted(_institutions_present(actor)))),
        involves(actor.person_id),
    ]
    if actor.lead_institution_ids:
        clauses.append(institution_id.in_(sorted(actor.lead_institution_ids)))
    if actor.is_program_admin:
        clauses.append(and_(state == "proposed_program", scope != KnowledgeScope.PRIVATE.value))
    return or_(*clauses)


def resource_origin_clause(
    actor: Actor,
    *,
    institution_id: InstrumentedAttribute[int],
    attribution: InstrumentedAttribute[str | None],
    involves: Callable[[int], ColumnElement[bool]],
) -> ColumnElement[bool]:
    """Readable resources whose school the actor may know (the rule of `Action.RESOURCE_ORIGIN`):
    filtering by school must never find an item attributed to "a partner school"."""
    return or_(
        attribution.is_(None),
        attribution != PARTNER_ATTRIBUTION,
        institution_id.in_(sorted(_institutions_present(actor))),
        involves(actor.person_id),
    )
