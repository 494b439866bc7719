"""HTTP adapters of the knowledge repository: browse with facets, the form to post a
resource, a resource's page (history, versions, reviews, context, reports, the cycle's
buttons), editing, one version, the diff of two versions, and the forms that move a resource
through the cycle. Each parses, calls one service function, renders. A refused step
re-renders the resource page with the service's message (400 or 409), never a 500."""

from __future__ import annotations

from typing import Awaitable, Callable
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from artme_cop import ratelimit
from artme_cop.attachments import service as attachments
from artme_cop.attachments import user_content
from artme_cop.attachments.routes import read_upload_form
from artme_cop.errors import Conflict, Invalid
from artme_cop.knowledge import cycle, files
from artme_cop.knowledge import health as knowledge_health
from artme_cop.knowledge import search as knowledge_search
from artme_cop.knowledge import service as knowledge
from artme_cop.knowledge import views
from artme_cop.knowledge.models import Attribution, Decision, Priority, ReportKind, ResourceType, ReviewRole
from artme_cop.program import fields as program_fields
from artme_cop.unit_of_work import UnitOfWork
from artme_cop.web import flash
from artme_cop.web.auth import require_actor
from artme_cop.web.csrf import read_form
from artme_cop.web.forms import values
from artme_cop.web.templating import render

LABELS = {
    "type_labels": knowledge.TYPE_LABELS,
    "priority_labels": knowledge.PRIORITY_LABELS,
    "state_labels": cycle.STATE_LABELS,
    "move_labels": cycle.MOVE_LABELS,
    "attribution_labels": knowledge.ATTRIBUTION_LABELS,
    "review_labels": knowledge.REVIEW_LABELS,
    "decision_labels": {d: label for d, label in knowledge.DECISION_LABELS.items() if d is not Decision.PENDING},
    "report_labels": knowledge.REPORT_LABELS,
    "phases": program_fields.PHASES,
    "Move": cycle.Move,
    "types": list(ResourceType),
    "priorities": list(Priority),
    "states": list(cycle.State),
    "attributions": list(Attribution),
    "review_roles": list(ReviewRole),
    "report_kinds": list(ReportKind),
}
CONTENT_FIELDS = ("type", "title", "summary", "body", "change_target", "priority", "tags")


def _redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def _resource_url(public_id: str) -> str:
    return f"/knowledge/{public_id}"


async def browse_page(request: Request) -> Response:
    actor = require_actor(request)
    params = request.query_params
    filters = knowledge_search.clean_filters(**{name: params.get(name, "") for name in ("q", "type", "phase", "tag", "state", "origin", "page")})
    if filters.q:
        await request.app.state.rate_limiter.spend(ratelimit.SEARCH, actor.person_id)
    async with request.app.state.uow(read_only=True) as uow:
        found = await knowledge_search.browse(uow, actor, filters)
    return render(request, "knowledge/index.html", {"browse": found, "query": urlencode(filters.as_query()), "may_post": knowledge.may_post(actor), **LABELS})


async def health_page(request: Request) -> Response:
    actor = require_actor(request)
    async with request.app.state.uow(read_only=True) as uow:
        health = await knowledge_health.knowledge_health(uow, actor)
    return render(request, "knowledge/health.html", {"health": health, **LABELS})


async def new_page(request: Request, *, errors: dict[str, str] | None = None, form: dict[str, object] | None = None, status: int = 200) -> Response:
    actor = require_actor(request)
    async with request.app.state.uow(read_only=True) as uow:
        people = await views.people_for_new(uow, actor)
    context = {"errors": errors or {}, "form": form or {"priority": "medium"}, "people": people, "action": "/knowledge/new", "editing": False, **LABELS}
    return render(request, "knowledge/edit.html", context, status_code=status)


def _content_from(form_values: dict[str, str], phases: list[str]) -> knowledge.Content:
    return knowledge.clean_content(phases=list(phases), **form_values)


async def create_submit(request: Request) -> Response:
    actor = require_actor(request)
    form = await read_form(request)
    form_values = values(form, *CONTENT_FIELDS)
    phases = [str(v) for v in form.getlist("phases")]
    try:
        content = _content_from(form_values, phases)
        async with request.app.state.uow() as uow:
            resource = await knowledge.create_resource(uow, actor, content, authors=list(form.getlist("authors")), stewards=list(form.getlist("stewards")))
    except Invalid as exc:
        return await new_page(request, errors={exc.field or "_form": exc.message}, form={**form_values, "phases": phases}, status=400)
    flash.add(request, "The resource was saved as a draft. Submit it for assessment when it is ready.")
    return _redirect(_resource_url(resource.public_id))


async def resource_page(request: Request, *, errors: dict[str, str] | None = None, status: int = 200) -> Response:
    actor = require_actor(request)
    async with request.app.state.uow(read_only=True) as uow:
        view = await views.resource_view(uow, actor, request.path_params["resource_id"])
        attached = await files.files_of(uow, actor, view.resource.public_id)
    context = {"view": view, "resource": view.resource, "files": attached, "max_kib": attachments.MAX_BYTES // 1024, "errors": errors or {}, **LABELS}
    return render(request, "knowledge/resource.html", context, status_code=status)


async def file_upload(request: Request) -> Response:
    actor = require_actor(request)
    public_id = request.path_params["resource_id"]
    try:
        _form, upload = await read_upload_form(request)
        async with request.app.state.uow() as uow:
            await files.add_file(uow, actor, public_id, upload)
    except attachments.TooLarge as exc:
        return await resource_page(request, errors={"file": exc.message}, status=413)
    except Invalid as exc:
        return await resource_page(request, errors={"file": exc.message}, status=400)
    except Conflict as exc:
        return await resource_page(request, errors={"file": exc.message}, status=409)
    flash.add(request, "The file is attached.")
    return RedirectResponse(f"/knowledge/{public_id}#files", status_code=303)


async def file_remove(request: Request) -> Response:
    actor = require_actor(request)
    await read_form(request)
    public_id = request.path_params["resource_id"]
    try:
        async with request.app.state.uow() as uow:
            await files.remove_file(uow, actor, public_id, request.path_params["file_id"])
    except Conflict as exc:
        return await resource_page(request, errors={"file": exc.message}, status=409)
    flash.add(request, "The file is removed.")
    return RedirectResponse(f"/knowledge/{public_id}#files", status_code=303)


async def file_download(request: Request) -> Response:
    actor = require_actor(request)
    async with request.app.state.uow(read_only=True) as uow:
        attachment, path = await files.open_file(uow, actor, request.path_params["resource_id"], request.path_params["file_id"])
    return user_content.serve(request, attachment, path)


async def edit_page(request: Request, *, errors: dict[str, str] | None = None, form: dict[str, object] | None = None, status: int = 200) -> Response:
    actor = require_actor(request)
    async with request.app.state.uow(read_only=True) as uow:
        view = await views.editable_view(uow, actor, request.path_params["resource_id"])
    resource = view.resource
    current = form or {"type": resource.type, "title": resource.title, "summary": resource.summary, "body": resource.body, "change_target": resource.change_target, "priority": resource.priority, "tags": ", ".join(view.tags), "phases": [str(p) for p in view.phases]}
    context = {"errors": errors or {}, "form": current, "people": [], "action": f"/knowledge/{resource.public_id}/edit", "editing": True, "view": view, **LABELS}
    return render(request, "knowledge/edit.html", context, status_code=status)


async def edit_submit(request: Request) -> Response:
    actor = require_actor(request)
    form = await read_form(request)
    form_values = values(form, *CONTENT_FIELDS)
    phases = [str(v) for v in form.getlist("phases")]
    public_id = request.path_params["resource_id"]
    try:
        content = _content_from(form_values, phases)
        async with request.app.state.uow() as uow:
            await knowledge.edit_resource(uow, actor, public_id, content)
    except Invalid as exc:
        return await edit_page(request, errors={exc.field or "_form": exc.message}, form={**form_values, "phases": phases}, status=400)
    except Conflict as exc:
        return await resource_page(request, errors={"_form": exc.message}, status=409)
    flash.add(request, "The changes were saved.")
    return _redirect(_resource_url(public_id))


Work = Callable[[UnitOfWork], Awaitable[object]]


async def _on_resource(request: Request, work: Work, done: str) -> Response:
    """Run one write on the resource; a refusal re-renders its page with the reason."""
    try:
        async with request.app.state.uow() as uow:
            await work(uow)
    except Invalid as exc:
        return await resource_page(request, errors={"_form": exc.message}, status=400)
    except Conflict as exc:
        return await resource_page(request, errors={"_form": exc.message}, status=409)
    flash.add(request, done)
    return _redirect(_resource_url(request.path_params["resource_id"]))


async def transition_submit(request: Request) -> Response:
    actor = require_actor(request)
    form = await read_form(request)
    raw = values(form, "move", "reason", "attribution", "content_reviewer", "safety_reviewer")

    async def work(uow: UnitOfWork) -> None:
        move = knowledge.clean_move(**raw)
        await knowledge.transition(uow, actor, request.path_params["resource_id"], move)

    return await _on_resource(request, work, "Done: the resource moved on in the cycle.")


async def review_submit(request: Request) -> Response:
    actor = require_actor(request)
    form = await read_form(request)
    raw = values(form, "role", "decision", "comments")

    async def work(uow: UnitOfWork) -> None:
        await knowledge.decide_review(uow, actor, request.path_params["resource_id"], **raw)

    return await _on_resource(request, work, "Your review was recorded.")


async def context_submit(request: Request) -> Response:
    actor = require_actor(request)
    form = await read_form(request)
    raw = values(form, "conditions", "when_not_to_use", "contact")

    async def work(uow: UnitOfWork) -> None:
        await knowledge.contextualize(uow, actor, request.path_params["resource_id"], **raw)

    return await _on_resource(request, work, "The context was saved.")


async def report_submit(request: Request) -> Response:
    actor = require_actor(request)
    form = await read_form(request)
    raw = values(form, "kind", "where", "applied_on", "what_happened", "evidence")

    async def work(uow: UnitOfWork) -> None:
        await knowledge.report_use(uow, actor, request.path_params["resource_id"], **raw)

    return await _on_resource(request, work, "Thank you: your report was recorded.")


async def adapt_submit(request: Request) -> Response:
    actor = require_actor(request)
    await read_form(request)
    try:
        async with request.app.state.uow() as uow:
            adaptation = await knowledge.adapt_resource(uow, actor, request.path_params["resource_id"])
    except Conflict as exc:
        return await resource_page(request, errors={"_form": exc.message}, status=409)
    flash.add(request, "Your school's adaptation was saved as a draft: make it yours, then submit it for assessment.")
    return _redirect(_resource_url(adaptation.public_id))


async def version_page(request: Request) -> Response:
    actor = require_actor(request)
    async with request.app.state.uow(read_only=True) as uow:
        loaded, version = await views.read_version(uow, actor, request.path_params["resource_id"], request.path_params["number"])
    return render(request, "knowledge/version.html", {"resource": loaded.resource, "version": version, **LABELS})


async def diff_page(request: Request) -> Response:
    actor = require_actor(request)
    params = request.query_params
    async with request.app.state.uow(read_only=True) as uow:
        loaded, diff = await views.diff_versions(uow, actor, request.path_params["resource_id"], params.get("from", ""), params.get("to", ""))
    return render(request, "knowledge/diff.html", {"resource": loaded.resource, "diff": diff, **LABELS})


routes = [
    Route("/", browse_page, name="browse"),
    Route("/health", health_page, name="health"),
    Route("/new", new_page, name="new"),
    Route("/new", create_submit, methods=["POST"], name="create"),
    Route("/{resource_id}", resource_page, name="resource"),
    Route("/{resource_id}/edit", edit_page, name="edit"),
    Route("/{resource_id}/edit", edit_submit, methods=["POST"], name="edit_submit"),
    Route("/{resource_id}/transitions", transition_submit, methods=["POST"], name="transition"),
    Route("/{resource_id}/reviews", review_submit, methods=["POST"], name="review"),
    Route("/{resource_id}/context", context_submit, methods=["POST"], name="context"),
    Route("/{resource_id}/reports", report_submit, methods=["POST"], name="report"),
    Route("/{resource_id}/adapt", adapt_submit, methods=["POST"], name="adapt"),
    Route("/{resource_id}/versions/{number}", version_page, name="version"),
    Route("/{resource_id}/diff", diff_page, name="diff"),
    Route("/{resource_id}/files", file_upload, methods=["POST"], name="file_upload"),
    Route("/{resource_id}/files/{file_id}", file_download, name="file"),
    Route("/{resource_id}/files/{file_id}/remove", file_remove, methods=["POST"], name="file_remove"),
]
