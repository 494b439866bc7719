"""Intents of the knowledge repository (issue #7): post a resource, edit its working copy,
move it through the knowledge-management cycle, decide reviews, add its context, report use,
and the views' building blocks (loading a resource under the policy, its lineage); reading
one resource, its versions and their diff is `knowledge.views`, the browse `knowledge.search`.

The cycle's table lives in `knowledge.cycle`; who may do each move is the policy's answer;
this module gathers the facts the guards need, writes the new state and a history row, and
tells the people concerned. A resource attributed to "a partner school" is shaped here,
through `policy.RESOURCE_ORIGIN`, so that no page, JSON answer or notification names its
school to anyone who may not know it. No HTTP here.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select

from artme_cop import policy
from artme_cop.conversations import service as conversations
from artme_cop.conversations.models import Conversation, ConversationKind
from artme_cop.conversations.rendering import render_markdown
from artme_cop.errors import Conflict, Invalid, NotFound
from artme_cop.identity import service as identity
from artme_cop.identity.models import Person
from artme_cop.knowledge import cycle, queries
from artme_cop.knowledge.cycle import Facts, Move, State
from artme_cop.knowledge.models import (
    AppliedReport,
    Attribution,
    Decision,
    PersonRole,
    Priority,
    ReportKind,
    Resource,
    ResourcePerson,
    ResourcePhase,
    ResourceTag,
    ResourceType,
    ResourceVersion,
    Review,
    ReviewRole,
    Transition,
)
from artme_cop.notifications import service as notifications
from artme_cop.notifications.models import NotificationKind
from artme_cop.policy import Action, Actor, KnowledgeScope, ResourceRef, SpaceScope
from artme_cop.program import fields
from artme_cop.unit_of_work import UnitOfWork

TYPE_LABELS = {
    ResourceType.FACILITATION_PLAN: "Facilitation plan",
    ResourceType.TOOL: "Tool or template",
    ResourceType.HARVEST_DIGEST: "Harvest digest",
    ResourceType.LESSON_LEARNED: "Lesson learned",
    ResourceType.SHORT_TERM_WIN: "Short-term win",
    ResourceType.CASE_STUDY: "Case study",
    ResourceType.EXTERNAL_LINK: "External link",
    ResourceType.COURSE_MATERIAL: "Course material",
}
PRIORITY_LABELS = {Priority.LOW: "Low", Priority.MEDIUM: "Medium", Priority.HIGH: "High"}
ATTRIBUTION_LABELS = {Attribution.NAMED: "By the school's name", Attribution.PARTNER: "As “a partner school”"}
REVIEW_LABELS = {ReviewRole.CONTENT: "Content review (validity)", ReviewRole.SAFETY: "Safety review (no student or patient details, no named accusations, licence)"}
DECISION_LABELS = {Decision.PENDING: "Pending", Decision.ACCEPT: "Accept", Decision.REVISE: "Revise, with comments", Decision.DECLINE: "Decline"}
REPORT_LABELS = {ReportKind.APPLIED: "We applied this", ReportKind.VALUE_STORY: "Value story"}
PARTNER_SCHOOL = "A partner school"
SOMEONE_AT_ORIGIN = "someone at the originating school"

REVIEW_TIME_BOX = timedelta(days=14)  # DOMAIN.md: assessment within a time box, default 14 days
REVIEW_PERIOD = timedelta(days=365)  # DOMAIN.md: review dates, default 12 months
REMIND_BEFORE = timedelta(days=2)
MAX_TAGS, MAX_PEOPLE, BODY_LIMIT, PAGE_SIZE = 10, 20, 20000, 50
_SCOPE_RANK = {KnowledgeScope.PRIVATE.value: 0, KnowledgeScope.INSTITUTION.value: 1, KnowledgeScope.PROGRAM.value: 2}


# --- loading and the policy's view ------------------------------------------------------------


@dataclass
class Loaded:
    """A resource with what the policy needs to decide about it."""

    resource: Resource
    people: list[tuple[ResourcePerson, Person]]
    reviewer_ids: set[int]

    def ref(self, *, scope: str | None = None) -> ResourceRef:
        r = self.resource
        return ResourceRef(
            institution_id=r.institution_id, state=r.state, scope=scope or r.scope, attribution=r.attribution,
            author_ids=frozenset(p.id for link, p in self.people if link.role == PersonRole.AUTHOR.value),
            steward_ids=frozenset(p.id for link, p in self.people if link.role == PersonRole.STEWARD.value),
            reviewer_ids=frozenset(self.reviewer_ids),
        )

    def people_in(self, role: PersonRole) -> list[Person]:
        return [p for link, p in self.people if link.role == role.value]


async def _load(uow: UnitOfWork, resource: Resource) -> Loaded:
    return Loaded(resource, await queries.list_people(uow.session, resource.id), await queries.reviewer_ids(uow.session, resource.id))


async def access_resource(uow: UnitOfWork, actor: Actor, public_id: object) -> Loaded:
    """The resource if the actor may read it. Who: `resource.read`.

    Raises NotFound alike for missing, malformed and hidden ids (SEC-A2)."""
    if not isinstance(public_id, str) or len(public_id) != 32 or not public_id.isalnum() or not public_id.isascii():
        raise NotFound("resource")
    resource = await queries.get_resource(uow.session, public_id)
    if resource is None:
        raise NotFound("resource")
    loaded = await _load(uow, resource)
    if not policy.can(actor, Action.RESOURCE_READ, loaded.ref()):
        raise NotFound("resource")
    return loaded


def reads_working_copy(actor: Actor, loaded: Loaded) -> bool:
    """Authors, stewards, reviewers and the lead read the text being worked on; others read
    the newest version shared with them."""
    return policy.can(actor, Action.RESOURCE_READ, loaded.ref(scope=KnowledgeScope.PRIVATE.value))


async def shown_title(uow: UnitOfWork, actor: Actor, resource: Resource) -> str:
    """The title this reader sees: the working copy's, or the newest version shared with them."""
    loaded = await _load(uow, resource)
    if reads_working_copy(actor, loaded):
        return resource.title
    versions = readable_versions(actor, loaded, await queries.list_versions(uow.session, resource.id))
    return versions[-1].title if versions else resource.title


async def origin_label(uow: UnitOfWork, actor: Actor, loaded: Loaded) -> str:
    if not policy.can(actor, Action.RESOURCE_ORIGIN, loaded.ref()):
        return PARTNER_SCHOOL
    school = await queries.institution(uow.session, loaded.resource.institution_id)
    return school.name if school else ""


def readable_versions(actor: Actor, loaded: Loaded, versions: list[ResourceVersion]) -> list[ResourceVersion]:
    return [v for v in versions if policy.can(actor, Action.RESOURCE_READ, loaded.ref(scope=v.scope))]


# --- fields --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Content:
    type: str
    title: str
    summary: str
    body: str
    change_target: str
    priority: str
    tags: list[str]
    phases: list[int]


def clean_content(*, type: object, title: object, summary: object, body: object, change_target: object, priority: object, tags: object, phases: list[object]) -> Content:
    """Parse the resource form; Invalid names the field at fault (SEC-J1)."""
    chosen_type = fields.choice(type, ResourceType, field="type", label="a type of resource")
    chosen_priority = fields.choice(priority, Priority, field="priority", label="a priority")
    clean_tags: list[str] = []
    for raw in fields.line(tags, field="tags", label="The tags", max_length=400, required=False).split(","):
        tag = " ".join(raw.split()).lower()
        if tag and tag not in clean_tags:
            if len(tag) > 40:
                raise Invalid("A tag can be at most 40 characters.", field="tags")
            clean_tags.append(tag)
    if len(clean_tags) > MAX_TAGS:
        raise Invalid(f"Use at most {MAX_TAGS} tags.", field="tags")
    clean_phases = sorted({fields.phase(value, field="phases") for value in phases})
    return Content(
        type=chosen_type.value,
        title=fields.line(title, field="title", label="The title", max_length=200),
        summary=fields.long_text(summary, field="summary", label="The summary", max_length=1000),
        body=fields.long_text(body, field="body", label="The text", max_length=BODY_LIMIT),
        change_target=fields.line(change_target, field="change_target", label="The change target or problem", max_length=300, required=False),
        priority=chosen_priority.value,
        tags=clean_tags,
        phases=clean_phases,
    )


async def _school_person_ids(uow: UnitOfWork, institution_id: int, values: list[object], *, field: str) -> list[int]:
    school = {p.id for p in await queries.school_people(uow.session, institution_id)}
    chosen: list[int] = []
    for value in values:
        person_id = fields.key(value, field=field, label="A person")
        if person_id not in school:
            raise Invalid("Only people of the school can be named here.", field=field)
        if person_id not in chosen:
            chosen.append(person_id)
    if len(chosen) > MAX_PEOPLE:
        raise Invalid(f"Name at most {MAX_PEOPLE} people.", field=field)
    return chosen


def _apply_content(uow: UnitOfWork, resource: Resource, content: Content) -> None:
    resource.type, resource.title, resource.summary, resource.body = content.type, content.title, content.summary, content.body
    resource.body_html = render_markdown(content.body)
    resource.change_target, resource.priority, resource.updated_at = content.change_target, content.priority, uow.clock.now()


async def _replace_tags_and_phases(uow: UnitOfWork, resource_id: int, content: Content) -> None:
    for row in (await uow.session.execute(select(ResourceTag).where(ResourceTag.resource_id == resource_id))).scalars():
        await uow.session.delete(row)
    for row in (await uow.session.execute(select(ResourcePhase).where(ResourcePhase.resource_id == resource_id))).scalars():
        await uow.session.delete(row)
    await uow.flush()
    uow.session.add_all(ResourceTag(resource_id=resource_id, tag=tag) for tag in content.tags)
    uow.session.add_all(ResourcePhase(resource_id=resource_id, phase=phase) for phase in content.phases)


# --- posting and editing ---------------------------------------------------------------------------


def may_post(actor: Actor) -> bool:
    """Whether the actor may post a resource for their school (the browse page's button)."""
    return actor.institution_id is not None and policy.can(actor, Action.RESOURCE_CREATE, actor.institution_id)


async def create_resource(uow: UnitOfWork, actor: Actor, content: Content, *, authors: list[object] | None = None, stewards: list[object] | None = None) -> Resource:
    """Post a draft resource for the actor's school; the actor is an author and a steward.

    Who: `resource.create` (the school's coalition members and lead). Raises Forbidden, Invalid.
    """
    institution_id = actor.institution_id
    policy.require(actor, Action.RESOURCE_CREATE, institution_id)
    assert institution_id is not None  # the policy admits only people of a school
    author_ids = [actor.person_id, *await _school_person_ids(uow, institution_id, list(authors or []), field="authors")]
    steward_ids = [actor.person_id, *await _school_person_ids(uow, institution_id, list(stewards or []), field="stewards")]
    now = uow.clock.now()
    resource = Resource(
        public_id=secrets.token_hex(16), institution_id=institution_id, state=State.DRAFT.value, scope=KnowledgeScope.PRIVATE.value,
        conditions="", when_not_to_use="", created_by_id=actor.person_id, created_at=now, type="", title="", summary="", body="", body_html="",
        change_target="", priority="",
    )
    _apply_content(uow, resource, content)
    uow.session.add(resource)
    await uow.flush()
    uow.session.add_all(ResourcePerson(resource_id=resource.id, person_id=pid, role=PersonRole.AUTHOR.value) for pid in dict.fromkeys(author_ids))
    uow.session.add_all(ResourcePerson(resource_id=resource.id, person_id=pid, role=PersonRole.STEWARD.value) for pid in dict.fromkeys(steward_ids))
    await _replace_tags_and_phases(uow, resource.id, content)
    return resource


async def edit_resource(uow: UnitOfWork, actor: Actor, public_id: object, content: Content) -> Resource:
    """Change the working copy of a draft, or of a resource due for update.

    Who: `resource.steward`. Raises Conflict in other states (a version under assessment or
    shared stays as it was)."""
    loaded = await access_resource(uow, actor, public_id)
    policy.require(actor, Action.RESOURCE_STEWARD, loaded.ref())
    resource = loaded.resource
    if State(resource.state) not in cycle.EDITABLE:
        raise Conflict(f"The text can be changed only as a draft or when an update is due; it is “{cycle.STATE_LABELS[State(resource.state)]}”.")
    _apply_content(uow, resource, content)
    await _replace_tags_and_phases(uow, resource.id, content)
    await keep_partner_anonymous(uow, resource)
    return resource


async def keep_partner_anonymous(uow: UnitOfWork, resource: Resource, more: tuple[str, ...] = ()) -> None:
    """Tags, the change target, the context and file names show beside every version, so a
    resource attributed to "a partner school" may not gain words naming the school later either."""
    if resource.attribution == Attribution.PARTNER.value:
        await uow.flush()
        await _check_partner_text(uow, resource, more)


async def contextualize(uow: UnitOfWork, actor: Actor, public_id: object, *, conditions: object, when_not_to_use: object, contact: object) -> Resource:
    """Record the conditions it depended on, when not to use it, and a contact who can help.

    Who: `resource.steward`. Raises Conflict before assessment has accepted it or once retired."""
    loaded = await access_resource(uow, actor, public_id)
    policy.require(actor, Action.RESOURCE_STEWARD, loaded.ref())
    resource = loaded.resource
    if State(resource.state) in {State.DRAFT, State.IN_ASSESSMENT, State.RETIRED}:
        raise Conflict("The context is added once both reviews have accepted the resource.")
    resource.conditions = fields.long_text(conditions, field="conditions", label="The conditions it depended on")
    resource.when_not_to_use = fields.long_text(when_not_to_use, field="when_not_to_use", label="When not to use it")
    [contact_id] = await _school_person_ids(uow, resource.institution_id, [contact], field="contact")
    resource.contact_id, resource.updated_at = contact_id, uow.clock.now()
    await keep_partner_anonymous(uow, resource)
    return resource


# --- the cycle ---------------------------------------------------------------------------------------


async def _current_version(uow: UnitOfWork, resource: Resource) -> ResourceVersion | None:
    versions = await queries.list_versions(uow.session, resource.id)
    return versions[-1] if versions else None


async def current_reviews(uow: UnitOfWork, resource: Resource) -> list[Review]:
    version = await _current_version(uow, resource)
    if version is None:
        return []
    return list((await uow.session.execute(select(Review).where(Review.version_id == version.id))).scalars())


async def _facts(uow: UnitOfWork, resource: Resource, *, reviewers_named: bool = False) -> Facts:
    decisions = [r.decision for r in await current_reviews(uow, resource)]
    return Facts(
        reviewers_named=reviewers_named,
        reviews_accepted=len(decisions) == 2 and all(d == Decision.ACCEPT.value for d in decisions),
        revision_asked=Decision.REVISE.value in decisions,
        declined=Decision.DECLINE.value in decisions,
        context_complete=bool(resource.conditions and resource.when_not_to_use and resource.contact_id),
        lead_approved=resource.approved_by_id is not None and resource.attribution is not None,
        in_program_scope=resource.scope == KnowledgeScope.PROGRAM.value or resource.state == State.PROPOSED_PROGRAM.value,
    )


def _record(uow: UnitOfWork, resource: Resource, move: Move, to_state: State, actor_id: int | None, reason: str, version: int | None) -> None:
    uow.session.add(Transition(resource_id=resource.id, move=move.value, from_state=resource.state, to_state=to_state.value, actor_id=actor_id, reason=reason, version_number=version, at=uow.clock.now()))
    resource.state, resource.updated_at = to_state.value, uow.clock.now()


async def _move(uow: UnitOfWork, actor: Actor | None, loaded: Loaded, move: Move, *, reason: str, facts: Facts) -> State:
    """Check the table, the policy and the guards, then record the move. `actor` None is the
    scheduled job, which the table lets flag updates only."""
    resource = loaded.resource
    found = cycle.step(State(resource.state), move)
    if actor is not None:
        policy.require(actor, Action(found.who), loaded.ref())
    elif move is not Move.FLAG_UPDATE:
        raise AssertionError("only the review-due job moves without a person")
    cycle.next_state(State(resource.state), move, facts)
    version = await _current_version(uow, resource)
    _record(uow, resource, move, found.next_state, actor.person_id if actor else None, reason, version.number if version else None)
    return found.next_state


@dataclass(frozen=True)
class MoveRequest:
    move: Move
    reason: str
    attribution: Attribution | None = None
    content_reviewer: object = None
    safety_reviewer: object = None


def clean_move(*, move: object, reason: object, attribution: object = None, content_reviewer: object = None, safety_reviewer: object = None) -> MoveRequest:
    chosen = fields.choice(move, Move, field="move", label="what to do with the resource")
    if chosen not in cycle.REQUESTED:
        raise Invalid("That step follows from the reviews; it cannot be asked for.", field="move")
    needs_reason = chosen in {Move.WITHDRAW, Move.RETIRE, Move.FLAG_UPDATE, Move.RETURN_INSTITUTION}
    clean_reason = fields.long_text(reason if reason is not None else "", field="reason", label="The reason", max_length=1000, required=needs_reason)
    clean_attribution = fields.choice(attribution, Attribution, field="attribution", label="how the school is named") if attribution else None
    return MoveRequest(chosen, clean_reason, clean_attribution, content_reviewer, safety_reviewer)


async def transition(uow: UnitOfWork, actor: Actor, public_id: object, request: MoveRequest) -> Resource:
    """Move the resource one step of the cycle (see `knowledge.cycle` for the table).

    Who: the table's policy action for the move. Raises NotFound for an unreadable resource,
    Conflict (InvalidTransition) for a move the state or a guard does not allow, Forbidden,
    Invalid for bad reviewers or a missing attribution.
    Notifies: reviewers when submitted, stewards when flagged for update."""
    loaded = await access_resource(uow, actor, public_id)
    resource = loaded.resource
    cycle.step(State(resource.state), request.move)  # an impossible move is refused first, with its reason
    handler = _MOVE_EFFECTS.get(request.move)
    if handler is not None:
        await handler(uow, actor, loaded, request)
    else:
        await _move(uow, actor, loaded, request.move, reason=request.reason, facts=await _facts(uow, resource))
    return resource


async def _submit(uow: UnitOfWork, actor: Actor, loaded: Loaded, request: MoveRequest) -> None:
    resource = loaded.resource
    policy.require(actor, Action.RESOURCE_STEWARD, loaded.ref())
    reviewers = await _reviewers(uow, loaded, request)
    await _move(uow, actor, loaded, Move.SUBMIT, reason=request.reason, facts=Facts(reviewers_named=reviewers is not None))
    assert reviewers is not None
    previous = await _current_version(uow, resource)
    version = ResourceVersion(
        resource_id=resource.id, number=(previous.number + 1) if previous else 1, title=resource.title, summary=resource.summary, body=resource.body,
        body_html=resource.body_html, created_by_id=actor.person_id, created_at=uow.clock.now(), scope=KnowledgeScope.PRIVATE.value,
    )
    uow.session.add(version)
    await uow.flush()
    # the transition row names the version it submitted
    last = (await uow.session.execute(select(Transition).where(Transition.resource_id == resource.id).order_by(Transition.id.desc()).limit(1))).scalar_one()
    last.version_number = version.number
    resource.approved_by_id, resource.approved_at = None, None
    due = uow.clock.now() + REVIEW_TIME_BOX
    for role, reviewer_id in zip((ReviewRole.CONTENT, ReviewRole.SAFETY), reviewers):
        uow.session.add(Review(resource_id=resource.id, version_id=version.id, role=role.value, reviewer_id=reviewer_id, decision=Decision.PENDING.value, comments="", due_at=due))
    await uow.flush()
    await _tell(uow, reviewers, actor.person_id, f"You are asked to review “{resource.title}” (version {version.number}) by {due.date().isoformat()}.", resource)


async def _reviewers(uow: UnitOfWork, loaded: Loaded, request: MoveRequest) -> tuple[int, int] | None:
    """The two reviewers named on the form, each one the policy lets review; None when missing."""
    if not request.content_reviewer or not request.safety_reviewer:
        return None
    content = fields.key(request.content_reviewer, field="content_reviewer", label="The content reviewer")
    safety = fields.key(request.safety_reviewer, field="safety_reviewer", label="The safety reviewer")
    if content == safety:
        raise Invalid("The content reviewer and the safety reviewer must be two different people.", field="safety_reviewer")
    candidates = {a.person_id: a for a in await identity.actors_for(uow, [content, safety])}
    for person_id, name in ((content, "content_reviewer"), (safety, "safety_reviewer")):
        candidate = candidates.get(person_id)
        if candidate is None or not policy.can(candidate, Action.RESOURCE_REVIEWER, loaded.ref()):
            raise Invalid("That person cannot review this resource: choose a coach, a facilitator, a program admin, or the school's lead or coalition member who is not an author.", field=name)
    return content, safety


async def _share_institution(uow: UnitOfWork, actor: Actor, loaded: Loaded, request: MoveRequest) -> None:
    resource = loaded.resource
    await _move(uow, actor, loaded, Move.SHARE_INSTITUTION, reason=request.reason, facts=await _facts(uow, resource))
    version = await _current_version(uow, resource)
    assert version is not None
    version.scope = _wider(version.scope, KnowledgeScope.INSTITUTION.value)
    resource.scope = _wider(resource.scope, KnowledgeScope.INSTITUTION.value)
    resource.review_due_on = (uow.clock.now() + REVIEW_PERIOD).date()
    await follow_reach(uow, resource)


async def _propose_program(uow: UnitOfWork, actor: Actor, loaded: Loaded, request: MoveRequest) -> None:
    resource = loaded.resource
    policy.require(actor, Action.RESOURCE_APPROVE, loaded.ref())
    if request.attribution is None:
        raise Invalid("Choose how the school is named: by its name or as “a partner school”.", field="attribution")
    if request.attribution is Attribution.PARTNER:
        await _check_partner_text(uow, resource)
    await _move(uow, actor, loaded, Move.PROPOSE_PROGRAM, reason=request.reason, facts=await _facts(uow, resource))
    resource.attribution, resource.approved_by_id, resource.approved_at = request.attribution.value, actor.person_id, uow.clock.now()


async def _check_partner_text(uow: UnitOfWork, resource: Resource, more: tuple[str, ...] = ()) -> None:
    """Refuse "a partner school" while the resource's own words (its files' names too, and
    `more` words about to be added) name the school."""
    school = await queries.institution(uow.session, resource.institution_id)
    assert school is not None
    texts = [resource.title, resource.summary, resource.body, resource.change_target, resource.conditions, resource.when_not_to_use, *more]
    texts += (await queries.list_tags(uow.session, [resource.id]))[resource.id]
    texts += await queries.file_names(uow.session, resource.id)
    for name in (school.name, school.short_name):
        folded = name.strip().casefold()
        if folded and any(folded in text.casefold() for text in texts):
            raise Invalid("The resource names the school, so it cannot be shared as “a partner school”. Share it by name, or revise it first.", field="attribution")


async def _publish_program(uow: UnitOfWork, actor: Actor, loaded: Loaded, request: MoveRequest) -> None:
    resource = loaded.resource
    await _move(uow, actor, loaded, Move.PUBLISH_PROGRAM, reason=request.reason, facts=await _facts(uow, resource))
    version = await _current_version(uow, resource)
    assert version is not None
    version.scope = resource.scope = KnowledgeScope.PROGRAM.value
    await follow_reach(uow, resource)
    await _flag_adapted_original(uow, resource)


async def _flag_adapted_original(uow: UnitOfWork, adaptation: Resource) -> None:
    """Adaptations trigger `update_due` (DOMAIN.md): once another school's adaptation is
    shared with the program, where the original's school can read it, the original (still
    shared, not yet due) is flagged by the system, and its stewards are told."""
    original = await uow.session.get(Resource, adaptation.adapted_from_id) if adaptation.adapted_from_id is not None else None
    if original is None or original.state not in _DUE_STATES:
        return
    told = f"“{original.title}” is due for update: an adaptation of it by another school is now shared with the program."
    await _flag_by_system(uow, await _load(uow, original), reason="An adaptation by another school was shared with the program.", told=told)


async def _flag_by_system(uow: UnitOfWork, loaded: Loaded, *, reason: str, told: str) -> None:
    """The system's `flag_update` (a review date reached, an adaptation shared), told to the stewards."""
    await _move(uow, None, loaded, Move.FLAG_UPDATE, reason=reason, facts=await _facts(uow, loaded.resource))
    await _tell(uow, [p.id for p in loaded.people_in(PersonRole.STEWARD)], None, told, loaded.resource)


async def _back_to_school(uow: UnitOfWork, actor: Actor, loaded: Loaded, request: MoveRequest) -> None:
    """Withdraw (the school) or return (the program): nothing stays in program scope."""
    resource = loaded.resource
    await _move(uow, actor, loaded, request.move, reason=request.reason, facts=await _facts(uow, resource))
    for version in await queries.list_versions(uow.session, resource.id):
        if version.scope == KnowledgeScope.PROGRAM.value:
            version.scope = KnowledgeScope.INSTITUTION.value
    if resource.scope == KnowledgeScope.PROGRAM.value:
        resource.scope = KnowledgeScope.INSTITUTION.value
    resource.approved_by_id, resource.approved_at = None, None
    await follow_reach(uow, resource)


async def _flag_update(uow: UnitOfWork, actor: Actor, loaded: Loaded, request: MoveRequest) -> None:
    await _move(uow, actor, loaded, Move.FLAG_UPDATE, reason=request.reason, facts=await _facts(uow, loaded.resource))
    await _tell(uow, [p.id for p in loaded.people_in(PersonRole.STEWARD)], actor.person_id, f"“{loaded.resource.title}” was flagged as due for update.", loaded.resource)


async def _retire(uow: UnitOfWork, actor: Actor, loaded: Loaded, request: MoveRequest) -> None:
    await _move(uow, actor, loaded, Move.RETIRE, reason=request.reason, facts=await _facts(uow, loaded.resource))
    await follow_reach(uow, loaded.resource)


async def follow_reach(uow: UnitOfWork, resource: Resource) -> None:
    """Open or re-scope the resource's live discussion so that exactly its readers take part.

    A discussion is program-wide only for a resource shared with the program by name: people
    of the school taking part would name it, so a "partner school" resource is discussed
    within its school. When the reach narrows (withdrawn, returned) the old discussion is
    narrowed and locked and a new one opened: the core checks a live subscription once, so
    locking guarantees that nothing new reaches a subscriber who lost access (SEC-A5).
    Retired resources keep a locked discussion.
    """
    if resource.scope == KnowledgeScope.PRIVATE.value:
        return
    wide = resource.scope == KnowledgeScope.PROGRAM.value and resource.attribution == Attribution.NAMED.value
    scope, institution_id = (SpaceScope.CONSORTIUM, None) if wide else (SpaceScope.INSTITUTION, resource.institution_id)
    current = await uow.session.get(Conversation, resource.conversation_id) if resource.conversation_id else None
    if current is not None and current.scope == SpaceScope.CONSORTIUM.value and not wide:
        current.scope, current.institution_id, current.is_locked = scope.value, institution_id, True
        current = None
    if current is None:
        current = await conversations.open_conversation(uow, kind=ConversationKind.RESOURCE, scope=scope, title=f"Discussion: {resource.title}"[:200], institution_id=institution_id)
        resource.conversation_id = current.id
    current.scope, current.institution_id = scope.value, institution_id
    current.is_locked = resource.state == State.RETIRED.value


def _wider(a: str, b: str) -> str:
    return a if _SCOPE_RANK[a] >= _SCOPE_RANK[b] else b


_MOVE_EFFECTS = {
    Move.SUBMIT: _submit,
    Move.SHARE_INSTITUTION: _share_institution,
    Move.PROPOSE_PROGRAM: _propose_program,
    Move.PUBLISH_PROGRAM: _publish_program,
    Move.WITHDRAW: _back_to_school,
    Move.RETURN_INSTITUTION: _back_to_school,
    Move.FLAG_UPDATE: _flag_update,
    Move.RETIRE: _retire,
}


async def _tell(uow: UnitOfWork, recipients: list[int], actor_id: int | None, summary: str, resource: Resource) -> None:
    """Notify about a resource. The summary quotes only the title, which partner-school
    resources may not use to name their school, and the recipients are its own people."""
    await notifications.notify(uow, recipients=recipients, kind=NotificationKind.KNOWLEDGE.value, conversation=None, seq=None, actor_id=actor_id, summary=summary, link=f"/knowledge/{resource.public_id}")


# --- reviews -----------------------------------------------------------------------------------------


async def decide_review(uow: UnitOfWork, actor: Actor, public_id: object, *, role: object, decision: object, comments: object) -> Review:
    """Decide one's review of the version in assessment: accept, revise with comments, or decline.

    Who: `resource.review`, and only the reviewer named for that role. When both accept, the
    resource moves to contextualizing; a revision returns it to draft, a decline retires it.
    Raises Conflict when nothing is in assessment, Invalid for a bad decision or missing comments."""
    loaded = await access_resource(uow, actor, public_id)
    policy.require(actor, Action.RESOURCE_REVIEW, loaded.ref())
    resource = loaded.resource
    if resource.state != State.IN_ASSESSMENT.value:
        raise Conflict("The resource is not in assessment.")
    chosen_role = fields.choice(role, ReviewRole, field="role", label="the review")
    chosen = fields.choice(decision, Decision, field="decision", label="accept, revise or decline")
    if chosen is Decision.PENDING:
        raise Invalid("Choose accept, revise or decline.", field="decision")
    text = fields.long_text(comments if comments is not None else "", field="comments", label="The comments", required=chosen is not Decision.ACCEPT)
    review = next((r for r in await current_reviews(uow, resource) if r.role == chosen_role.value), None)
    if review is None or review.reviewer_id != actor.person_id:
        raise Invalid("You are not the reviewer named for that review.", field="role")
    if review.decision != Decision.PENDING.value:
        raise Conflict("That review is already decided.")
    review.decision, review.comments, review.decided_at = chosen.value, text, uow.clock.now()
    await uow.flush()
    await _follow_reviews(uow, actor, loaded, review)
    return review


async def _follow_reviews(uow: UnitOfWork, actor: Actor, loaded: Loaded, review: Review) -> None:
    resource = loaded.resource
    facts = await _facts(uow, resource)
    move = Move.DECLINE if facts.declined else Move.RETURN if facts.revision_asked else Move.ACCEPT if facts.reviews_accepted else None
    if move is None:
        return
    await _move(uow, actor, loaded, move, reason=review.comments or "Both reviews accepted.", facts=facts)
    said = {Move.DECLINE: "was declined in assessment", Move.RETURN: "needs a revision", Move.ACCEPT: "was accepted by both reviewers: add its context"}[move]
    await _tell(uow, [p.id for p in loaded.people_in(PersonRole.STEWARD)] + [p.id for p in loaded.people_in(PersonRole.AUTHOR)], actor.person_id, f"“{resource.title}” {said}.", resource)


# --- use -----------------------------------------------------------------------------------------------


async def report_use(uow: UnitOfWork, actor: Actor, public_id: object, *, kind: object, where: object, applied_on: object, what_happened: object, evidence: object) -> AppliedReport:
    """Record "we applied this" (where, when, what happened, evidence) or a value story.

    Who: `resource.apply`. The first report on a resource shared with the program puts it
    in use. Raises Conflict before it is shared, Invalid for bad fields."""
    loaded = await access_resource(uow, actor, public_id)
    policy.require(actor, Action.RESOURCE_APPLY, loaded.ref())
    resource = loaded.resource
    if State(resource.state) not in cycle.SHARED_STATES:
        raise Conflict("Use is reported once the resource is shared.")
    chosen = fields.choice(kind, ReportKind, field="kind", label="a kind of report")
    assert actor.institution_id is not None  # the policy admits only people of a school
    report = AppliedReport(
        resource_id=resource.id, kind=chosen.value, person_id=actor.person_id, institution_id=actor.institution_id,
        where=fields.line(where, field="where", label="Where", max_length=200), applied_on=fields.day(applied_on, field="applied_on", label="When"),
        what_happened=fields.long_text(what_happened, field="what_happened", label="What happened"),
        evidence=fields.long_text(evidence if evidence is not None else "", field="evidence", label="The evidence", required=False), created_at=uow.clock.now(),
    )
    uow.session.add(report)
    if resource.state == State.SHARED_PROGRAM.value and chosen is ReportKind.APPLIED:
        await _move(uow, actor, loaded, Move.APPLIED, reason="First “we applied this” report.", facts=await _facts(uow, resource))
    await uow.flush()
    return report


# --- adaptations -------------------------------------------------------------------------------------


async def adapt_resource(uow: UnitOfWork, actor: Actor, public_id: object) -> Resource:
    """Start an adaptation: a draft of the actor's school copying the text they read, that
    keeps its lineage (which resource and version it came from).

    Who: `resource.read` on the original and `resource.create` for the actor's school; the
    original must be shared and from another school. Notifies the original's stewards
    without naming the adapting school. Raises Conflict, Forbidden, NotFound."""
    loaded = await access_resource(uow, actor, public_id)
    original = loaded.resource
    policy.require(actor, Action.RESOURCE_CREATE, actor.institution_id)
    if State(original.state) not in cycle.SHARED_STATES or original.institution_id == actor.institution_id:
        raise Conflict("A resource is adapted by another school once it is shared.")
    versions = readable_versions(actor, loaded, await queries.list_versions(uow.session, original.id))
    if not versions:
        raise Conflict("A resource is adapted by another school once it is shared.")
    source = versions[-1]
    tags = (await queries.list_tags(uow.session, [original.id]))[original.id]
    phases = (await queries.list_phases(uow.session, [original.id]))[original.id]
    content = Content(original.type, source.title, source.summary, source.body, original.change_target, original.priority, tags, phases)
    adaptation = await create_resource(uow, actor, content)
    adaptation.adapted_from_id, adaptation.adapted_from_version = original.id, source.number
    await _tell(uow, [p.id for p in loaded.people_in(PersonRole.STEWARD)], actor.person_id, f"“{source.title}” is being adapted by another school.", original)
    return adaptation


@dataclass(frozen=True)
class Lineage:
    """Where a resource came from and what was adapted from it, as far as the reader may see."""

    parent: tuple[str, str, str, int | None] | None  # (public id, title, origin, version)
    parent_hidden: bool
    children: list[tuple[str, str, str]]  # (public id, title, origin)


async def lineage_of(uow: UnitOfWork, actor: Actor, resource: Resource) -> Lineage:
    parent, hidden = None, False
    if resource.adapted_from_id is not None:
        original = await uow.session.get(Resource, resource.adapted_from_id)
        loaded = await _load(uow, original) if original is not None else None
        if loaded is not None and policy.can(actor, Action.RESOURCE_READ, loaded.ref()):
            parent = (loaded.resource.public_id, await shown_title(uow, actor, loaded.resource), await origin_label(uow, actor, loaded), resource.adapted_from_version)
        else:
            hidden = True
    children = []
    for child in (await uow.session.execute(select(Resource).where(Resource.adapted_from_id == resource.id).order_by(Resource.id))).scalars():
        loaded_child = await _load(uow, child)
        if policy.can(actor, Action.RESOURCE_READ, loaded_child.ref()):
            children.append((child.public_id, await shown_title(uow, actor, child), await origin_label(uow, actor, loaded_child)))
    return Lineage(parent, hidden, children)


# --- the review-due job ----------------------------------------------------------------------------

_DUE_STATES = (State.SHARED_INSTITUTION.value, State.SHARED_PROGRAM.value, State.IN_USE.value)


async def run_review_due(uow: UnitOfWork) -> tuple[int, int]:
    """Move shared resources past their review date to update_due and tell their stewards;
    remind reviewers of assessments whose time box ends within two days (once each).
    Returns (resources moved, reviewers reminded). Safe to run as often as wanted."""
    now = uow.clock.now()
    moved = 0
    for resource in await queries.due_for_update(uow.session, _DUE_STATES, now.date()):
        told = f"“{resource.title}” is due for update: its review date has come."
        await _flag_by_system(uow, await _load(uow, resource), reason=f"The review date {resource.review_due_on} was reached.", told=told)
        moved += 1
    reminded = 0
    for review, resource in await queries.reviews_to_remind(uow.session, now + REMIND_BEFORE):
        review.reminded_at = now
        await _tell(uow, [review.reviewer_id], None, f"Reminder: your review of “{resource.title}” is due by {review.due_at.date().isoformat()}.", resource)
        reminded += 1
    return moved, reminded
