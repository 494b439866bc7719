"""Reading the knowledge repository: one resource as a reader may see it (for pages and JSON
alike), one of its versions, the diff of two, and the people to name on a new one.

What a reader sees is decided by the service's `access_resource` and the policy; a resource
attributed to "a partner school" names nobody of that school to a reader who may not know it
(`policy.RESOURCE_ORIGIN`). No HTTP here, and nothing is written.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select

from artme_cop import policy
from artme_cop.conversations.models import Conversation
from artme_cop.errors import Conflict, NotFound
from artme_cop.identity import service as identity
from artme_cop.identity.models import Person
from artme_cop.knowledge import cycle, queries
from artme_cop.knowledge.cycle import Move, State
from artme_cop.knowledge.diff import DiffLine, changed, diff_lines
from artme_cop.knowledge.models import AppliedReport, Decision, PersonRole, ReportKind, Resource, ResourceVersion, Review
from artme_cop.knowledge.service import (
    SOMEONE_AT_ORIGIN,
    Lineage,
    Loaded,
    access_resource,
    current_reviews,
    lineage_of,
    origin_label,
    readable_versions,
    reads_working_copy,
)
from artme_cop.policy import Action, Actor
from artme_cop.program import fields
from artme_cop.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class Shown:
    """The text a reader sees: the working copy, or the newest version shared with them."""

    title: str
    summary: str
    body_html: str
    version: int | None  # None: the working copy


@dataclass(frozen=True)
class HistoryRow:
    at: str
    move: str
    from_state: str
    to_state: str
    who: str
    reason: str
    version: int | None


@dataclass(frozen=True)
class ReviewRow:
    review: Review
    reviewer: str
    version: int


@dataclass(frozen=True)
class ReportRow:
    report: AppliedReport
    who: str


@dataclass
class ResourceView:
    """A resource as one reader may see it, for pages and JSON alike."""

    resource: Resource
    shown: Shown
    origin: str
    authors: list[str]
    stewards: list[str]
    contact: str | None
    tags: list[str]
    phases: list[int]
    versions: list[ResourceVersion]
    history: list[HistoryRow]
    reviews: list[ReviewRow]
    reports: list[ReportRow]
    moves: list[Move]
    my_reviews: list[str]
    can_edit: bool
    can_contextualize: bool
    can_report: bool
    reviewer_choices: list[Person]
    school_people: list[Person]
    reads_working_copy: bool
    discussion_id: int | None = None
    lineage: Lineage | None = None
    can_adapt: bool = False

    @property
    def applied_count(self) -> int:
        return sum(1 for r in self.reports if r.report.kind == ReportKind.APPLIED.value)

    @property
    def story_count(self) -> int:
        return sum(1 for r in self.reports if r.report.kind == ReportKind.VALUE_STORY.value)


def _namer(actor: Actor, loaded: Loaded) -> Callable[[Person | None], str]:
    """Names people as this reader may see them: for a partner-school resource, nobody of the
    originating school is named to a reader who may not know the school."""
    knows_origin = policy.can(actor, Action.RESOURCE_ORIGIN, loaded.ref())

    def name(person: Person | None) -> str:
        if person is None:
            return "the scheduled review check"
        if not knows_origin and person.institution_id == loaded.resource.institution_id:
            return SOMEONE_AT_ORIGIN
        return person.display_name

    return name


async def resource_view(uow: UnitOfWork, actor: Actor, public_id: object) -> ResourceView:
    """Everything a reader may see of a resource. Who: `resource.read`."""
    loaded = await access_resource(uow, actor, public_id)
    resource = loaded.resource
    ref = loaded.ref()
    name = _namer(actor, loaded)
    versions = readable_versions(actor, loaded, await queries.list_versions(uow.session, resource.id))
    working = reads_working_copy(actor, loaded)
    shown = Shown(resource.title, resource.summary, resource.body_html, None) if working or not versions else Shown(versions[-1].title, versions[-1].summary, versions[-1].body_html, versions[-1].number)
    contact = await uow.session.get(Person, resource.contact_id) if resource.contact_id else None
    numbers = {v.id: v.number for v in await queries.list_versions(uow.session, resource.id)}
    reviews = [ReviewRow(r, name(p), numbers.get(r.version_id, 0)) for r, p in await queries.list_reviews(uow.session, resource.id)] if working else []
    steward = policy.can(actor, Action.RESOURCE_STEWARD, ref)
    pending_mine = [r.role for r in await current_reviews(uow, resource) if r.reviewer_id == actor.person_id and r.decision == Decision.PENDING.value] if resource.state == State.IN_ASSESSMENT.value else []
    return ResourceView(
        resource=resource, shown=shown, origin=await origin_label(uow, actor, loaded),
        authors=[name(p) for p in loaded.people_in(PersonRole.AUTHOR)], stewards=[name(p) for p in loaded.people_in(PersonRole.STEWARD)],
        contact=name(contact) if contact else None,
        tags=(await queries.list_tags(uow.session, [resource.id]))[resource.id], phases=(await queries.list_phases(uow.session, [resource.id]))[resource.id],
        versions=versions,
        history=[HistoryRow(t.at.isoformat(timespec="minutes"), cycle.MOVE_LABELS[Move(t.move)], cycle.STATE_LABELS[State(t.from_state)], cycle.STATE_LABELS[State(t.to_state)], name(p), t.reason, t.version_number) for t, p in await queries.list_history(uow.session, resource.id)],
        reviews=reviews,
        reports=[ReportRow(r, name(p)) for r, p in await queries.list_reports(uow.session, resource.id)],
        moves=[m for m in cycle.moves_from(State(resource.state)) if policy.can(actor, Action(cycle.TABLE[(State(resource.state), m)].who), ref)],
        my_reviews=pending_mine,
        can_edit=steward and State(resource.state) in cycle.EDITABLE,
        can_contextualize=steward and State(resource.state) not in {State.DRAFT, State.IN_ASSESSMENT, State.RETIRED},
        can_report=policy.can(actor, Action.RESOURCE_APPLY, ref) and State(resource.state) in cycle.SHARED_STATES,
        reviewer_choices=await _reviewer_choices(uow, loaded) if steward and State(resource.state) in cycle.EDITABLE else [],
        school_people=await queries.school_people(uow.session, resource.institution_id) if steward else [],
        reads_working_copy=working,
        discussion_id=await _discussion_for(uow, actor, resource),
        lineage=await lineage_of(uow, actor, resource),
        can_adapt=(
            State(resource.state) in cycle.SHARED_STATES and bool(versions) and actor.institution_id not in (None, resource.institution_id)
            and policy.can(actor, Action.RESOURCE_CREATE, actor.institution_id)
        ),
    )


async def _discussion_for(uow: UnitOfWork, actor: Actor, resource: Resource) -> int | None:
    """The live discussion's id when the reader may take part in it (the core's own rule)."""
    if resource.conversation_id is None:
        return None
    conversation = await uow.session.get(Conversation, resource.conversation_id)
    return conversation.id if conversation is not None and policy.can(actor, Action.SPACE_READ, conversation) else None


async def _reviewer_choices(uow: UnitOfWork, loaded: Loaded) -> list[Person]:
    """People the policy lets review this resource (its school's lead and coalition, and the
    program's admins, coaches and facilitators wherever they are). The consortium has a few
    hundred people, so the policy is asked person by person rather than by a role query."""
    pool = list((await uow.session.execute(select(Person).where(Person.is_deleted.is_(False)).order_by(Person.display_name))).scalars())
    actors = {a.person_id: a for a in await identity.actors_for(uow, [p.id for p in pool])}
    return [p for p in pool if p.id in actors and policy.can(actors[p.id], Action.RESOURCE_REVIEWER, loaded.ref())]


async def read_version(uow: UnitOfWork, actor: Actor, public_id: object, number: object) -> tuple[Loaded, ResourceVersion]:
    """One version of a resource, if the reader may read the scope it reached. Raises NotFound."""
    loaded = await access_resource(uow, actor, public_id)
    wanted = fields.maybe_key(number)
    versions = readable_versions(actor, loaded, await queries.list_versions(uow.session, loaded.resource.id))
    found = next((v for v in versions if v.number == wanted), None)
    if found is None:
        raise NotFound("version")
    return loaded, found


@dataclass(frozen=True)
class VersionDiff:
    older: ResourceVersion
    newer: ResourceVersion
    title: list[DiffLine]
    summary: list[DiffLine]
    body: list[DiffLine]

    @property
    def changes(self) -> int:
        return changed(self.title) + changed(self.summary) + changed(self.body)


async def diff_versions(uow: UnitOfWork, actor: Actor, public_id: object, older: object, newer: object) -> tuple[Loaded, VersionDiff]:
    """A readable diff between any two versions the reader may read. Raises NotFound."""
    loaded, first = await read_version(uow, actor, public_id, older)
    _, second = await read_version(uow, actor, public_id, newer)
    return loaded, VersionDiff(first, second, diff_lines(first.title, second.title), diff_lines(first.summary, second.summary), diff_lines(first.body, second.body))


async def people_for_new(uow: UnitOfWork, actor: Actor) -> list[Person]:
    """The people of the actor's school, to name as co-authors and stewards of a new resource.

    Who: `resource.create`; raises Forbidden for anyone else."""
    policy.require(actor, Action.RESOURCE_CREATE, actor.institution_id)
    assert actor.institution_id is not None
    return await queries.school_people(uow.session, actor.institution_id)


async def editable_view(uow: UnitOfWork, actor: Actor, public_id: object) -> ResourceView:
    """The resource for its edit form. Who: `resource.steward`; Conflict outside draft and update due."""
    view = await resource_view(uow, actor, public_id)
    loaded = await access_resource(uow, actor, public_id)
    policy.require(actor, Action.RESOURCE_STEWARD, loaded.ref())
    if not view.can_edit:
        raise Conflict(f"The text can be changed only as a draft or when an update is due; it is “{cycle.STATE_LABELS[State(view.resource.state)]}”.")
    return view
