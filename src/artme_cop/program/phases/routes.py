"""HTTP adapters of the phases: the program overview with each wave's schedule, a phase's
page (its forum category and sessions), a cohort's progress with its exit checklists, and
the forms to mark items, move a cohort's phase and schedule a wave's phases."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from artme_cop.errors import Conflict, Invalid
from artme_cop.policy import Action
from artme_cop import policy
from artme_cop.program.calendar import service as calendar
from artme_cop.program.phases import catalog
from artme_cop.program.phases import service as phases
from artme_cop.web import flash
from artme_cop.web.auth import require_actor
from artme_cop.web.csrf import read_form
from artme_cop.web.forms import text
from artme_cop.web.templating import render


async def index(request: Request, *, errors: dict[str, str] | None = None, status: int = 200) -> Response:
    actor = require_actor(request)
    async with request.app.state.uow(read_only=True) as uow:
        progress = await phases.list_progress(uow, actor)
        waves = [(wave, await phases.wave_schedule(uow, wave)) for wave in await phases.list_waves(uow, actor)]
    context = {"progress": progress, "waves": waves, "phases": catalog.PHASES, "can_schedule": policy.can(actor, Action.SCHEDULE_MANAGE), "errors": errors or {}}
    return render(request, "program/phases.html", context, status_code=status)


async def phase_page(request: Request) -> Response:
    actor = require_actor(request)
    chosen = phases.parse_phase(request.path_params["number"])
    async with request.app.state.uow(read_only=True) as uow:
        category = await phases.phase_category(uow, chosen)
        sessions = await calendar.phase_sessions(uow, actor, chosen.number)
        progress = await phases.list_progress(uow, actor)
    context = {"phase": chosen, "category": category, "sessions": sessions, "progress": progress}
    return render(request, "program/phase.html", context)


async def cohort_page(request: Request, *, errors: dict[str, str] | None = None, status: int = 200) -> Response:
    actor = require_actor(request)
    async with request.app.state.uow(read_only=True) as uow:
        progress = await phases.cohort_progress(uow, actor, request.path_params["cohort_id"])
    return render(request, "program/cohort.html", {"progress": progress, "phases": catalog.PHASES, "errors": errors or {}}, status_code=status)


async def checklist_submit(request: Request) -> Response:
    actor = require_actor(request)
    form = await read_form(request)
    cohort_id = request.path_params["cohort_id"]
    try:
        async with request.app.state.uow() as uow:
            await phases.set_checklist_item(uow, actor, cohort_id, phase=text(form, "phase"), item=text(form, "item"), done=text(form, "done") == "1")
    except Invalid as exc:
        return await cohort_page(request, errors={"_form": exc.message}, status=400)
    flash.add(request, "The checklist is saved.")
    return RedirectResponse(f"/program/phases/cohorts/{cohort_id}#phase-{text(form, 'phase')}", status_code=303)


async def phase_submit(request: Request) -> Response:
    actor = require_actor(request)
    form = await read_form(request)
    cohort_id = request.path_params["cohort_id"]
    try:
        async with request.app.state.uow() as uow:
            number = await phases.move_to_phase(uow, actor, cohort_id, phase=text(form, "phase"))
    except (Invalid, Conflict) as exc:
        return await cohort_page(request, errors={"_form": exc.message}, status=409 if isinstance(exc, Conflict) else 400)
    flash.add(request, f"The cohort is now in phase {number}.")
    return RedirectResponse(f"/program/phases/cohorts/{cohort_id}", status_code=303)


async def schedule_submit(request: Request) -> Response:
    actor = require_actor(request)
    form = await read_form(request)
    try:
        async with request.app.state.uow() as uow:
            await phases.schedule_phase(
                uow, actor, wave=request.path_params["wave"], phase=request.path_params["number"], starts_on=text(form, "starts_on"), ends_on=text(form, "ends_on")
            )
    except Invalid as exc:
        return await index(request, errors={"_form": exc.message}, status=400)
    flash.add(request, "The schedule is saved.")
    return RedirectResponse("/program/phases/", status_code=303)


routes = [
    Route("/", index, name="index"),
    Route("/{number}", phase_page, name="phase"),
    Route("/cohorts/{cohort_id}", cohort_page, name="cohort"),
    Route("/cohorts/{cohort_id}/checklist", checklist_submit, methods=["POST"], name="checklist_submit"),
    Route("/cohorts/{cohort_id}/phase", phase_submit, methods=["POST"], name="phase_submit"),
    Route("/waves/{wave}/{number}", schedule_submit, methods=["POST"], name="schedule_submit"),
]
