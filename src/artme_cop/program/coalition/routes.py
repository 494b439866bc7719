"""HTTP adapters of the guiding coalition: the program hub, a school's spheres, a sphere's
members, co-leads and targets, a target's SMART fields, DARCI grid and tactical plan.
Each endpoint parses the form, calls one service function and renders the result or error.
"""

from __future__ import annotations

from typing import Awaitable, Callable

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from artme_cop import policy
from artme_cop.errors import Conflict, DomainError, Invalid
from artme_cop.identity import service as identity
from artme_cop.policy import Action
from artme_cop.program.coalition import service as coalition
from artme_cop.program.coalition.models import DARCI_LABELS, Darci, StepStatus, TargetStatus
from artme_cop.program.monitoring.service import STEP_LABELS, TARGET_LABELS
from artme_cop.web import flash
from artme_cop.web.auth import require_actor
from artme_cop.web.csrf import read_form
from artme_cop.web.forms import text, values
from artme_cop.web.templating import render

TARGET_FIELDS = ("specific", "measure", "baseline", "target_value", "unit", "due_on", "status")
LABELS = {"darci": DARCI_LABELS, "letters": list(Darci), "target_statuses": TARGET_LABELS, "step_statuses": STEP_LABELS}


def _redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def _status(exc: DomainError) -> int:
    return 409 if isinstance(exc, Conflict) else 400


def _errors(exc: DomainError) -> dict[str, str]:
    return {exc.field or "_form": exc.message}


async def hub_page(request: Request) -> Response:
    """Links to the actor's own school's coalition work, or for program staff, to each school."""
    actor = require_actor(request)
    async with request.app.state.uow(read_only=True) as uow:
        institutions = await identity.list_institutions(uow, actor) if actor.is_manager else []
    own = actor.institution_id
    context = {
        "own_institution_id": own if own is not None and policy.can(actor, Action.COALITION_READ, own) else None,
        "own_outcomes": own if own is not None and policy.can(actor, Action.OUTCOMES_READ, own) else None,
        "institutions": [i for i in institutions if i.id != own and policy.can(actor, Action.COALITION_READ, i.id)],
        "can_curate": policy.can(actor, Action.WIN_CURATE),
        "can_monitor_program": policy.can(actor, Action.MONITORING_PROGRAM),
    }
    return render(request, "program/hub.html", context)


async def coalition_page(request: Request, *, errors: dict[str, str] | None = None, form: dict[str, str] | None = None, status: int = 200) -> Response:
    actor = require_actor(request)
    async with request.app.state.uow() as uow:
        view = await coalition.coalition_overview(uow, actor, request.path_params["institution_id"])
    return render(request, "program/coalition.html", {"view": view, "errors": errors or {}, "form": form or {}}, status_code=status)


async def sphere_create(request: Request) -> Response:
    actor = require_actor(request)
    form = await read_form(request)
    institution_id = request.path_params["institution_id"]
    try:
        async with request.app.state.uow() as uow:
            sphere = await coalition.create_sphere(
                uow, actor, institution_id, name=text(form, "name"), description=text(form, "description"), co_leads=form.getlist("co_leads"),
                term_starts_on=text(form, "term_starts_on"), term_ends_on=text(form, "term_ends_on"),
            )
    except (Invalid, Conflict) as exc:
        return await coalition_page(request, errors=_errors(exc), form=values(form, "name", "description", "term_starts_on", "term_ends_on"), status=_status(exc))
    flash.add(request, f"The sphere {sphere.name} was created.")
    return _redirect(f"/coalition/spheres/{sphere.id}")


async def sphere_page(request: Request, *, errors: dict[str, str] | None = None, form: dict[str, str] | None = None, status: int = 200) -> Response:
    actor = require_actor(request)
    async with request.app.state.uow() as uow:
        view = await coalition.access_sphere(uow, actor, request.path_params["sphere_id"])
    context = {"view": view, "errors": errors or {}, "form": form or {}, **LABELS}
    return render(request, "program/sphere.html", context, status_code=status)


def _sphere_action(call: Callable[..., Awaitable[object]], message: str, kept: tuple[str, ...] = ()) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        actor = require_actor(request)
        form = await read_form(request)
        sphere_id = request.path_params["sphere_id"]
        try:
            async with request.app.state.uow() as uow:
                await call(uow, actor, sphere_id, form, request.path_params)
        except (Invalid, Conflict) as exc:
            return await sphere_page(request, errors=_errors(exc), form=values(form, *kept), status=_status(exc))
        flash.add(request, message)
        return _redirect(f"/coalition/spheres/{sphere_id}")

    return endpoint


async def _set_co_leads(uow: object, actor: object, sphere_id: str, form: FormData, params: object) -> None:
    await coalition.set_co_leads(uow, actor, sphere_id, co_leads=form.getlist("co_leads"), term_starts_on=text(form, "term_starts_on"), term_ends_on=text(form, "term_ends_on"))  # type: ignore[arg-type]


async def _add_member(uow: object, actor: object, sphere_id: str, form: FormData, params: object) -> None:
    await coalition.add_member(uow, actor, sphere_id, person_id=text(form, "person_id"))  # type: ignore[arg-type]


async def _remove_member(uow: object, actor: object, sphere_id: str, form: FormData, params: dict[str, str]) -> None:
    await coalition.remove_member(uow, actor, sphere_id, params["person_id"])  # type: ignore[arg-type]


def _target_fields(form: FormData) -> coalition.TargetFields:
    return coalition.clean_target(**{name: text(form, name) or (TargetStatus.ACTIVE.value if name == "status" else "") for name in TARGET_FIELDS})


async def target_create(request: Request) -> Response:
    actor = require_actor(request)
    form = await read_form(request)
    sphere_id = request.path_params["sphere_id"]
    try:
        fields = _target_fields(form)
        async with request.app.state.uow() as uow:
            target = await coalition.create_target(uow, actor, sphere_id, fields, accountable=text(form, "accountable"))
    except Invalid as exc:
        return await sphere_page(request, errors=_errors(exc), form=values(form, *TARGET_FIELDS, "accountable"), status=400)
    flash.add(request, "The change target was saved.")
    return _redirect(f"/coalition/targets/{target.id}")


async def target_page(request: Request, *, errors: dict[str, str] | None = None, form: dict[str, str] | None = None, status: int = 200) -> Response:
    actor = require_actor(request)
    async with request.app.state.uow() as uow:
        view = await coalition.access_target(uow, actor, request.path_params["target_id"])
    target = view.target
    values_ = form or {name: str(getattr(target, name)) for name in TARGET_FIELDS}
    context = {"view": view, "errors": errors or {}, "form": values_, "grid_rows": coalition.GRID_ROWS, **LABELS}
    return render(request, "program/target.html", context, status_code=status)


async def target_update(request: Request) -> Response:
    actor = require_actor(request)
    form = await read_form(request)
    target_id = request.path_params["target_id"]
    try:
        fields = _target_fields(form)
        async with request.app.state.uow() as uow:
            await coalition.update_target(uow, actor, target_id, fields)
    except Invalid as exc:
        return await target_page(request, errors=_errors(exc), form=values(form, *TARGET_FIELDS), status=400)
    flash.add(request, "The change target was saved.")
    return _redirect(f"/coalition/targets/{target_id}")


async def darci_submit(request: Request) -> Response:
    actor = require_actor(request)
    form = await read_form(request)
    target_id = request.path_params["target_id"]
    people, letters = form.getlist("person"), form.getlist("letter")
    if len(people) != len(letters):
        raise Invalid("Each row of the grid needs a person and a letter.", field="grid")
    try:
        async with request.app.state.uow() as uow:
            await coalition.save_grid(uow, actor, target_id, list(zip(people, letters, strict=True)))
    except Invalid as exc:
        return await target_page(request, errors=_errors(exc), status=400)
    flash.add(request, "The DARCI grid was saved.")
    return _redirect(f"/coalition/targets/{target_id}")


async def step_create(request: Request) -> Response:
    actor = require_actor(request)
    form = await read_form(request)
    target_id = request.path_params["target_id"]
    try:
        async with request.app.state.uow() as uow:
            await coalition.add_step(
                uow, actor, target_id, description=text(form, "step_description"), owner=text(form, "owner"), due_on=text(form, "step_due_on"), status=text(form, "step_status") or StepStatus.PLANNED.value
            )
    except Invalid as exc:
        field = {"description": "step_description", "due_on": "step_due_on", "status": "step_status"}.get(exc.field or "", exc.field or "_form")
        return await target_page(request, errors={field: exc.message}, status=400)
    flash.add(request, "The step was added to the plan.")
    return _redirect(f"/coalition/targets/{target_id}#plan")


async def step_update(request: Request) -> Response:
    actor = require_actor(request)
    form = await read_form(request)
    async with request.app.state.uow() as uow:
        step = await coalition.update_step(uow, actor, request.path_params["step_id"], status=text(form, "status"))
    flash.add(request, "The step's status was saved.")
    return _redirect(f"/coalition/targets/{step.target_id}#plan")


routes = [
    Route("/", hub_page, name="hub"),
    Route("/institutions/{institution_id}", coalition_page, name="coalition"),
    Route("/institutions/{institution_id}/spheres", sphere_create, methods=["POST"], name="sphere_create"),
    Route("/spheres/{sphere_id}", sphere_page, name="sphere"),
    Route("/spheres/{sphere_id}/co-leads", _sphere_action(_set_co_leads, "The co-leads were saved.", ("term_starts_on", "term_ends_on")), methods=["POST"], name="co_leads"),
    Route("/spheres/{sphere_id}/members", _sphere_action(_add_member, "The member was added."), methods=["POST"], name="member_add"),
    Route("/spheres/{sphere_id}/members/{person_id}/remove", _sphere_action(_remove_member, "The member was removed."), methods=["POST"], name="member_remove"),
    Route("/spheres/{sphere_id}/targets", target_create, methods=["POST"], name="target_create"),
    Route("/targets/{target_id}", target_page, name="target"),
    Route("/targets/{target_id}", target_update, methods=["POST"], name="target_update"),
    Route("/targets/{target_id}/darci", darci_submit, methods=["POST"], name="darci"),
    Route("/targets/{target_id}/steps", step_create, methods=["POST"], name="step_create"),
    Route("/steps/{step_id}", step_update, methods=["POST"], name="step_update"),
]
