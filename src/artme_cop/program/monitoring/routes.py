"""HTTP adapters of monitoring: a school's page, its lead's choice to share aggregates, and
the program's aggregate page. Each parses, calls one service function, renders."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from artme_cop.program.monitoring import service as monitoring
from artme_cop.web import flash
from artme_cop.web.auth import require_actor
from artme_cop.web.csrf import read_form
from artme_cop.web.forms import text
from artme_cop.web.templating import render


async def institution_page(request: Request) -> Response:
    actor = require_actor(request)
    async with request.app.state.uow() as uow:
        view = await monitoring.institution_monitoring(uow, actor, request.path_params["institution_id"])
    return render(request, "program/monitoring.html", {"view": view, "statuses": monitoring.TARGET_LABELS})


async def sharing_submit(request: Request) -> Response:
    actor = require_actor(request)
    form = await read_form(request)
    institution_id = request.path_params["institution_id"]
    shares = text(form, "shares") == "1"
    async with request.app.state.uow() as uow:
        await monitoring.set_aggregate_sharing(uow, actor, institution_id, shares=shares)
    flash.add(request, "The school's totals now count in the program's aggregates." if shares else "The school's totals no longer count in the program's aggregates.")
    return RedirectResponse(f"/monitoring/institutions/{institution_id}", status_code=303)


async def program_page(request: Request) -> Response:
    actor = require_actor(request)
    async with request.app.state.uow(read_only=True) as uow:
        view = await monitoring.program_monitoring(uow, actor)
    return render(request, "program/program_monitoring.html", {"view": view})


routes = [
    Route("/institutions/{institution_id}", institution_page, name="institution"),
    Route("/institutions/{institution_id}/sharing", sharing_submit, methods=["POST"], name="sharing"),
    Route("/program", program_page, name="program"),
]
