"""The knowledge repository's JSON endpoints, under /api/knowledge: the JSON twins of the
browse page, a resource's page, a version, the diff of two versions, and the cycle's steps.

Each handler calls the same service functions as the pages in one unit of work and shapes
the result; the wrapper (web/api.py) does the session, CSRF, body and type checks. What a
caller may see (and whether the school is named or "a partner school") is decided by the
service and the policy, so JSON shows exactly what the page shows.
"""

from __future__ import annotations

from typing import Any

from artme_cop import ratelimit
from artme_cop.knowledge import cycle
from artme_cop.knowledge import search as knowledge_search
from artme_cop.knowledge import service as knowledge
from artme_cop.knowledge import views
from artme_cop.knowledge.diff import DiffLine
from artme_cop.knowledge.models import Attribution, ResourceType
from artme_cop.web.api import INTEGER, STRING, ApiCall, ApiRouter, Field, Param, Reply, Result, ok, query

_INT, _STR = {"type": "integer"}, {"type": "string"}
_STRS = {"type": "array", "items": _STR}


def _object(properties: dict[str, Any], description: str = "") -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "object", "required": sorted(properties), "properties": properties}
    if description:
        schema["description"] = description
    return schema


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


_STATE = {"type": "string", "enum": [s.value for s in cycle.State]}
_ORIGIN = {"type": "string", "description": "The school's name, or “A partner school” when the school chose not to be named to you."}
SCHEMAS: dict[str, dict[str, Any]] = {
    "ResourceCard": _object(
        {"id": _STR, "title": _STR, "summary": _STR, "type": _STR, "state": _STATE, "origin": _ORIGIN, "tags": _STRS, "phases": {"type": "array", "items": _INT}, "applied": _INT},
        "A resource in a list, as the caller may see it.",
    ),
    "ResourceList": _object({"resources": {"type": "array", "items": _ref("ResourceCard")}, "page": {"type": "integer"}, "has_next": {"type": "boolean"}}),
    "HistoryEntry": _object({"at": _STR, "move": _STR, "from": _STR, "to": _STR, "who": _STR, "reason": _STR, "version": {"type": ["integer", "null"]}}),
    "Resource": _object(
        {
            "id": _STR, "title": _STR, "summary": _STR, "html": {"type": "string", "description": "The sanitized HTML of the text shown."},
            "version": {"type": ["integer", "null"], "description": "The version shown; null for the working copy (authors, stewards, reviewers, the lead)."},
            "type": _STR, "state": _STATE, "origin": _ORIGIN, "authors": _STRS, "stewards": _STRS, "tags": _STRS, "phases": {"type": "array", "items": _INT},
            "priority": _STR, "change_target": _STR, "review_due_on": {"type": ["string", "null"]},
            "context": _object({"conditions": _STR, "when_not_to_use": _STR, "contact": {"type": ["string", "null"]}}),
            "versions": {"type": "array", "items": _INT}, "history": {"type": "array", "items": _ref("HistoryEntry")},
            "applied": _INT, "value_stories": _INT, "moves": {**_STRS, "description": "The steps of the cycle the caller may ask for now."},
            "reports": {"type": "array", "items": _ref("UseReport")},
            "adapted_from": {"type": ["object", "null"], "description": "The resource this one adapts, when the caller may read it: id, title, origin, version."},
            "adaptations": {"type": "array", "items": {"type": "object"}, "description": "Adaptations the caller may read: id, title, origin."},
        },
        "A resource as the caller may see it.",
    ),
    "Moved": _object({"id": _STR, "state": _STATE}, "The resource's state after the step (read it again with GET; after returning or withdrawing it you may no longer see it)."),
    "UseReport": _object({"kind": {"type": "string", "enum": ["applied", "value_story"]}, "where": _STR, "applied_on": _STR, "what_happened": _STR, "evidence": _STR, "who": _STR}),
    "DiffLine": _object({"kind": {"type": "string", "enum": ["same", "added", "removed"]}, "text": _STR}),
    "VersionDiff": _object(
        {"from": _INT, "to": _INT, "changes": _INT, "title": {"type": "array", "items": _ref("DiffLine")}, "summary": {"type": "array", "items": _ref("DiffLine")}, "body": {"type": "array", "items": _ref("DiffLine")}}
    ),
}

router = ApiRouter("/knowledge", tag="knowledge", description="The knowledge repository: browse and search resources, read them, their versions and diffs, and move them through the knowledge-management cycle.", schemas=SCHEMAS)

RESOURCE = Param("resource_id", "path", STRING, "The resource's id (32 letters and digits).")


def card_json(card: knowledge_search.Card) -> dict[str, Any]:
    return {"id": card.public_id, "title": card.title, "summary": card.summary, "type": card.type, "state": card.state, "origin": card.origin, "tags": card.tags, "phases": card.phases, "applied": card.applied}


def resource_json(view: views.ResourceView) -> dict[str, Any]:
    r = view.resource
    return {
        "id": r.public_id, "title": view.shown.title, "summary": view.shown.summary, "html": view.shown.body_html, "version": view.shown.version,
        "type": r.type, "state": r.state, "origin": view.origin, "authors": view.authors, "stewards": view.stewards, "tags": view.tags, "phases": view.phases,
        "priority": r.priority, "change_target": r.change_target, "review_due_on": r.review_due_on.isoformat() if r.review_due_on else None,
        "context": {"conditions": r.conditions, "when_not_to_use": r.when_not_to_use, "contact": view.contact},
        "versions": [v.number for v in view.versions],
        "history": [{"at": h.at, "move": h.move, "from": h.from_state, "to": h.to_state, "who": h.who, "reason": h.reason, "version": h.version} for h in view.history],
        "applied": view.applied_count, "value_stories": view.story_count, "moves": [m.value for m in view.moves],
        "reports": [
            {"kind": r.report.kind, "where": r.report.where, "applied_on": r.report.applied_on.isoformat(), "what_happened": r.report.what_happened, "evidence": r.report.evidence, "who": r.who}
            for r in view.reports
        ],
        "adapted_from": _parent(view),
        "adaptations": [{"id": pid, "title": title, "origin": origin} for pid, title, origin in (view.lineage.children if view.lineage else [])],
    }


def _parent(view: views.ResourceView) -> dict[str, Any] | None:
    if view.lineage is None or view.lineage.parent is None:
        return None
    pid, title, origin, version = view.lineage.parent
    return {"id": pid, "title": title, "origin": origin, "version": version}


def _lines(rows: list[DiffLine]) -> list[dict[str, str]]:
    return [{"kind": line.kind, "text": line.text} for line in rows]


@router.operation(
    "GET", "/resources", summary="Browse and search resources", reply=Reply(200, "The resources the caller may see that match every facet, newest change first, 50 a page.", "ResourceList"),
    errors=(429,),
    params=(
        query("q", STRING, "Text to find in the title, summary or text."),
        query("type", STRING, "A type of resource.", enum=tuple(t.value for t in ResourceType)),
        query("phase", INTEGER, "A phase, 1 to 6.", minimum=1),
        query("tag", STRING, "A tag."),
        query("state", STRING, "A state of the cycle.", enum=tuple(s.value for s in cycle.State)),
        query("origin", STRING, "A school's id, or `partner` for resources whose school is not named."),
        query("page", INTEGER, "The page of 50 results, from 1 (`has_next` says whether another follows).", minimum=1),
    ),
)
async def list_resources(call: ApiCall) -> Result:
    """Only what the caller may see; filtering by a school never finds a resource attributed to "a partner school"."""
    filters = knowledge_search.clean_filters(**{name: "" if value is None else value for name, value in call.query.items()})
    if filters.q:
        await call.spend(ratelimit.SEARCH)
    async with call.uow(read_only=True) as uow:
        found = await knowledge_search.browse(uow, call.actor, filters)
    return ok({"resources": [card_json(card) for card in found.cards], "page": found.filters.page, "has_next": found.has_next})


@router.operation("GET", "/resources/{resource_id}", summary="One resource", reply=Reply(200, "The resource as the caller may see it.", "Resource"), params=(RESOURCE,))
async def get_resource(call: ApiCall) -> Result:
    async with call.uow(read_only=True) as uow:
        view = await views.resource_view(uow, call.actor, call.path["resource_id"])
    return ok(resource_json(view))


@router.operation(
    "GET", "/resources/{resource_id}/diff", summary="The changes between two versions", reply=Reply(200, "A line diff of title, summary and text.", "VersionDiff"),
    params=(RESOURCE, query("from", INTEGER, "The older version's number.", minimum=1), query("to", INTEGER, "The newer version's number.", minimum=1)),
)
async def diff_versions(call: ApiCall) -> Result:
    """Both versions must be readable by the caller (404 otherwise)."""
    async with call.uow(read_only=True) as uow:
        _, diff = await views.diff_versions(uow, call.actor, call.path["resource_id"], call.query["from"], call.query["to"])
    return ok({"from": diff.older.number, "to": diff.newer.number, "changes": diff.changes, "title": _lines(diff.title), "summary": _lines(diff.summary), "body": _lines(diff.body)})


@router.operation(
    "POST", "/resources/{resource_id}/transitions", summary="Move a resource one step of the cycle", reply=Reply(200, "The new state.", "Moved"),
    params=(RESOURCE,),
    body=(
        Field("move", STRING, "The step.", required=True, enum=tuple(m.value for m in sorted(cycle.REQUESTED))),
        Field("reason", STRING, "Why; required to withdraw, retire, flag for update or return to the institution.", max_length=1000),
        Field("attribution", STRING, "For propose_program: how the school is named.", enum=tuple(a.value for a in Attribution)),
        Field("content_reviewer", INTEGER, "For submit: the content reviewer's person id."),
        Field("safety_reviewer", INTEGER, "For submit: the safety reviewer's person id."),
    ),
    errors=(403, 409),
)
async def transition(call: ApiCall) -> Result:
    """A step the state or a guard does not allow answers 409 with the reason; one the caller may not take, 403."""
    body = call.body
    request = knowledge.clean_move(
        move=body["move"], reason=body.get("reason", ""), attribution=body.get("attribution"),
        content_reviewer=body.get("content_reviewer"), safety_reviewer=body.get("safety_reviewer"),
    )
    async with call.uow() as uow:
        resource = await knowledge.transition(uow, call.actor, call.path["resource_id"], request)
    return ok({"id": resource.public_id, "state": resource.state})
