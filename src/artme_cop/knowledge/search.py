"""Browse and faceted search of the knowledge repository (type, phase, tag, state, origin,
text) over only what the reader may see.

Visibility is part of the SQL (the policy's clauses), so lists and counts never hold a hidden
resource. Text matches only text the reader may read: versions shared with them, and the
working copy for its authors, stewards, reviewers and lead. Filtering by school never finds a
resource attributed to "a partner school" (SEC-A3). No HTTP here.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import ColumnElement, and_, exists, literal, or_, select

from artme_cop import policy
from artme_cop.errors import Invalid
from artme_cop.knowledge import cycle, queries
from artme_cop.knowledge.cycle import State
from artme_cop.knowledge.models import Attribution, Resource, ResourcePhase, ResourceTag, ResourceType, ResourceVersion
from artme_cop.knowledge.service import PARTNER_SCHOOL, TYPE_LABELS, access_resource, origin_label, reads_working_copy, readable_versions
from artme_cop.policy import Actor, KnowledgeScope
from artme_cop.program import fields
from artme_cop.unit_of_work import UnitOfWork

PARTNER_ORIGIN = "partner"
QUERY_LIMIT = 200
PAGE_SIZE = 50
MAX_PAGE = 1000


@dataclass(frozen=True)
class Filters:
    q: str = ""
    type: str = ""
    phase: int | None = None
    tag: str = ""
    state: str = ""
    origin: str = ""  # an institution id, "partner", or "" for any
    page: int = 1

    def as_query(self) -> dict[str, str]:
        """The facets as query parameters (without the page: links add it)."""
        values = {"q": self.q, "type": self.type, "phase": str(self.phase or ""), "tag": self.tag, "state": self.state, "origin": self.origin}
        return {k: v for k, v in values.items() if v}


def clean_filters(*, q: object = "", type: object = "", phase: object = "", tag: object = "", state: object = "", origin: object = "", page: object = "") -> Filters:
    """Parse the facets; an unknown value is Invalid naming it (a 400, never a 500)."""
    text = fields.line(q or "", field="q", label="The search text", max_length=QUERY_LIMIT, required=False)
    chosen_type = fields.choice(type, ResourceType, field="type", label="a type").value if type else ""
    chosen_state = fields.choice(state, State, field="state", label="a state").value if state else ""
    chosen_phase = fields.phase(phase) if phase else None
    chosen_tag = " ".join(fields.line(tag or "", field="tag", label="The tag", max_length=40, required=False).split()).lower()
    chosen_origin = ""
    if origin:
        chosen_origin = PARTNER_ORIGIN if origin == PARTNER_ORIGIN else str(fields.key(origin, field="origin", label="The origin"))
    chosen_page = fields.key(page, field="page", label="The page") if page not in ("", None) else 1
    if not 1 <= chosen_page <= MAX_PAGE:
        raise Invalid(f"The page is a number from 1 to {MAX_PAGE}.", field="page")
    return Filters(text, chosen_type, chosen_phase, chosen_tag, chosen_state, chosen_origin, chosen_page)


def _visible(actor: Actor, scope: ColumnElement[str]) -> ColumnElement[bool]:
    return policy.resource_clause(actor, institution_id=Resource.institution_id, scope=scope, state=Resource.state, involves=queries.involves(Resource.id))


def _text_clause(actor: Actor, text: str) -> ColumnElement[bool]:
    pattern = queries.like_pattern(text)

    def matches(*columns: ColumnElement[str]) -> ColumnElement[bool]:
        return or_(*(column.ilike(pattern, escape="\\") for column in columns))

    in_shared_version = exists().where(
        ResourceVersion.resource_id == Resource.id,
        _visible(actor, ResourceVersion.scope),  # type: ignore[arg-type]
        matches(ResourceVersion.title, ResourceVersion.summary, ResourceVersion.body),  # type: ignore[arg-type]
    )
    # `private` reaches only the people who read the working copy (authors, stewards, reviewers, lead).
    in_working_copy = and_(_visible(actor, literal(KnowledgeScope.PRIVATE.value)), matches(Resource.title, Resource.summary, Resource.body))  # type: ignore[arg-type]
    return or_(in_shared_version, in_working_copy)


def _origin_clause(actor: Actor) -> ColumnElement[bool]:
    return policy.resource_origin_clause(actor, institution_id=Resource.institution_id, attribution=Resource.attribution, involves=queries.involves(Resource.id))


def _where(actor: Actor, filters: Filters) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = [_visible(actor, Resource.scope)]  # type: ignore[arg-type]
    if filters.type:
        where.append(Resource.type == filters.type)
    if filters.state:
        where.append(Resource.state == filters.state)
    if filters.phase is not None:
        where.append(exists().where(ResourcePhase.resource_id == Resource.id, ResourcePhase.phase == filters.phase))
    if filters.tag:
        where.append(exists().where(ResourceTag.resource_id == Resource.id, ResourceTag.tag == filters.tag))
    if filters.origin == PARTNER_ORIGIN:
        where.append(Resource.attribution == Attribution.PARTNER.value)
    elif filters.origin:
        where.append(and_(Resource.institution_id == int(filters.origin), _origin_clause(actor)))
    if filters.q:
        where.append(_text_clause(actor, filters.q))
    return where


@dataclass(frozen=True)
class Card:
    public_id: str
    title: str
    summary: str
    type: str
    type_label: str
    state: str
    state_label: str
    origin: str
    tags: list[str]
    phases: list[int]
    applied: int


@dataclass(frozen=True)
class Option:
    value: str
    label: str


@dataclass
class Browse:
    filters: Filters
    cards: list[Card]
    tags: list[str] = field(default_factory=list)
    origins: list[Option] = field(default_factory=list)
    has_next: bool = False


async def browse(uow: UnitOfWork, actor: Actor, filters: Filters) -> Browse:
    """The resources the reader may see that match every facet, newest change first, a page
    of PAGE_SIZE at a time."""
    found = await queries.browse(uow.session, _where(actor, filters), limit=PAGE_SIZE + 1, offset=(filters.page - 1) * PAGE_SIZE)
    resources = found[:PAGE_SIZE]
    counts = await queries.reports_count(uow.session, [r.id for r in resources])
    tags = await queries.list_tags(uow.session, [r.id for r in resources])
    phases = await queries.list_phases(uow.session, [r.id for r in resources])
    cards = []
    for resource in resources:
        loaded = await access_resource(uow, actor, resource.public_id)  # the same rule again, per card
        versions = readable_versions(actor, loaded, await queries.list_versions(uow.session, resource.id))
        source = resource if reads_working_copy(actor, loaded) or not versions else versions[-1]
        cards.append(
            Card(
                resource.public_id, source.title, source.summary, resource.type, TYPE_LABELS[ResourceType(resource.type)], resource.state,
                cycle.STATE_LABELS[State(resource.state)], await origin_label(uow, actor, loaded), tags[resource.id], phases[resource.id], counts.get(resource.id, 0),
            )
        )
    visible = _visible(actor, Resource.scope)  # type: ignore[arg-type]
    _, schools = await queries.facet_values(uow.session, and_(visible, _origin_clause(actor)))
    every_tag, _ = await queries.facet_values(uow.session, visible)
    origins = [Option(str(sid), name) for sid, name in schools]
    hidden_origin = await uow.session.scalar(select(exists().where(visible, Resource.attribution == Attribution.PARTNER.value)))
    if hidden_origin:
        origins.append(Option(PARTNER_ORIGIN, PARTNER_SCHOOL))
    return Browse(filters, cards, every_tag, origins, has_next=len(found) > PAGE_SIZE)
