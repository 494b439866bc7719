"""HTTP adapters of outcome mapping: a school's boundary partners, a partner's markers and
journal, and the forms to add each. Each parses, calls one service function, renders."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from artme_cop.errors import Invalid
from artme_cop.program.outcomes import service as outcomes
from artme_cop.program.outcomes.models import MARKER_LEVEL_LABELS
from artme_cop.web import flash
from artme_cop.web.auth import require_actor
from artme_cop.web.csrf import read_form
from artme_cop.web.forms import text, values
from artme_cop.web.templating import render


async def partners_page(request: Request, *, errors: dict[str, str] | None = None, form: dict[str, str] | None = None, status: int = 200) -> Response:
    actor = require_actor(request)
    async with request.app.state.uow() as uow:
        view = await outcomes.list_partners(uow, actor, request.path_params["institution_id"])
    return render(request, "program/partners.html", {"view": view, "errors": errors or {}, "form": form or {}}, status_code=status)


async def partner_create(request: Request) -> Response:
    actor = require_actor(request)
    form = await read_form(request)
    fields = values(form, "name", "description", "outcome_challenge", "cohort_id")
    try:
        async with request.app.state.uow() as uow:
            partner = await outcomes.add_partner(uow, actor, request.path_params["institution_id"], **fields)
    except Invalid as exc:
        return await partners_page(request, errors={exc.field or "_form": exc.message}, form=fields, status=400)
    flash.add(request, f"{partner.name} was added as a boundary partner.")
    return RedirectResponse(f"/outcomes/partners/{partner.id}", status_code=303)


async def partner_page(request: Request, *, errors: dict[str, str] | None = None, form: dict[str, str] | None = None, status: int = 200) -> Response:
    actor = require_actor(request)
    async with request.app.state.uow() as uow:
        view = await outcomes.access_partner(uow, actor, request.path_params["partner_id"])
    context = {"view": view, "levels": MARKER_LEVEL_LABELS, "errors": errors or {}, "form": form or {}, "today": request.app.state.clock.now().date().isoformat()}
    return render(request, "program/partner.html", context, status_code=status)


async def marker_create(request: Request) -> Response:
    actor = require_actor(request)
    form = await read_form(request)
    partner_id = request.path_params["partner_id"]
    try:
        async with request.app.state.uow() as uow:
            await outcomes.add_marker(uow, actor, partner_id, level=text(form, "level"), description=text(form, "marker_description"))
    except Invalid as exc:
        field = "marker_description" if exc.field == "description" else (exc.field or "_form")
        return await partner_page(request, errors={field: exc.message}, form=values(form, "level", "marker_description"), status=400)
    flash.add(request, "The progress marker was added.")
    return RedirectResponse(f"/outcomes/partners/{partner_id}", status_code=303)


async def journal_create(request: Request) -> Response:
    actor = require_actor(request)
    form = await read_form(request)
    partner_id = request.path_params["partner_id"]
    fields = values(form, "marker_id", "observed_on", "evidence")
    try:
        async with request.app.state.uow() as uow:
            await outcomes.record_observation(uow, actor, partner_id, **fields)
    except Invalid as exc:
        return await partner_page(request, errors={exc.field or "_form": exc.message}, form=fields, status=400)
    flash.add(request, "The observation was added to the outcome journal.")
    return RedirectResponse(f"/outcomes/partners/{partner_id}#journal", status_code=303)


routes = [
    Route("/institutions/{institution_id}", partners_page, name="partners"),
    Route("/institutions/{institution_id}/partners", partner_create, methods=["POST"], name="partner_create"),
    Route("/partners/{partner_id}", partner_page, name="partner"),
    Route("/partners/{partner_id}/markers", marker_create, methods=["POST"], name="marker_create"),
    Route("/partners/{partner_id}/journal", journal_create, methods=["POST"], name="journal_create"),
]
