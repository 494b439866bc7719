"""HTTP adapters of short-term wins: the consortium's shared wins (page and JSON), a school's
wins and the form to record one, a win's checklist and sharing choice, the consent page of
the people credited, and the program's curation and curated list. Each parses, calls one
service function, renders."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from artme_cop.errors import Invalid
from artme_cop.program import fields as program_fields
from artme_cop.program.calendar import service as calendar
from artme_cop.program.wins import service as wins
from artme_cop.program.wins.models import Sharing
from artme_cop.web import flash
from artme_cop.web.auth import require_actor
from artme_cop.web.csrf import read_form
from artme_cop.web.forms import text, values
from artme_cop.web.templating import render

LABELS = {"themes": wins.THEMES, "phases": program_fields.PHASES, "checklist": wins.CHECKLIST, "sharing_labels": wins.SHARING_LABELS}
RECORD_FIELDS = ("against", "title", "evidence", "theme", "phase")


def _redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


async def shared_page(request: Request) -> Response:
    actor = require_actor(request)
    async with request.app.state.uow(read_only=True) as uow:
        shown = await wins.shared_wins(uow, actor)
    return render(request, "program/shared_wins.html", {"wins": shown, **LABELS})


async def shared_json(request: Request) -> Response:
    actor = require_actor(request)
    async with request.app.state.uow(read_only=True) as uow:
        shown = await wins.shared_wins(uow, actor)
    return JSONResponse({"wins": [w.as_json() for w in shown]})


async def shared_win_page(request: Request) -> Response:
    actor = require_actor(request)
    async with request.app.state.uow(read_only=True) as uow:
        shown = await wins.shared_win(uow, actor, request.path_params["public_id"])
    return render(request, "program/shared_win.html", {"win": shown, **LABELS})


async def school_page(request: Request, *, errors: dict[str, str] | None = None, form: dict[str, str] | None = None, status: int = 200) -> Response:
    actor = require_actor(request)
    async with request.app.state.uow() as uow:
        view = await wins.school_wins(uow, actor, request.path_params["institution_id"])
    values_ = form or {"against": request.query_params.get("against", "")}
    return render(request, "program/wins.html", {"view": view, "errors": errors or {}, "form": values_, "credited": set(), **LABELS}, status_code=status)


async def record_submit(request: Request) -> Response:
    actor = require_actor(request)
    form = await read_form(request)
    fields = values(form, *RECORD_FIELDS)
    try:
        async with request.app.state.uow() as uow:
            win = await wins.record_win(uow, actor, request.path_params["institution_id"], credited=form.getlist("credited"), **fields)
    except Invalid as exc:
        return await school_page(request, errors={exc.field or "_form": exc.message}, form=fields, status=400)
    flash.add(request, "The win was recorded. The people credited are asked for their consent before they are named.")
    return _redirect(f"/wins/{win.id}")


async def win_page(request: Request, *, errors: dict[str, str] | None = None, status: int = 200) -> Response:
    actor = require_actor(request)
    async with request.app.state.uow() as uow:
        view = await wins.access_win(uow, actor, request.path_params["win_id"])
    context = {"view": view, "win": view.row.win, "errors": errors or {}, "choices": [s for s in Sharing if s is not Sharing.UNDECIDED], **LABELS}
    return render(request, "program/win.html", context, status_code=status)


async def checklist_submit(request: Request) -> Response:
    actor = require_actor(request)
    form = await read_form(request)
    win_id = request.path_params["win_id"]
    try:
        async with request.app.state.uow() as uow:
            await wins.save_checklist(uow, actor, win_id, ticked=[str(v) for v in form.getlist("item")])
    except Invalid as exc:
        return await win_page(request, errors={"checklist": exc.message}, status=400)
    flash.add(request, "The checklist was saved.")
    return _redirect(f"/wins/{win_id}")


async def sharing_submit(request: Request) -> Response:
    actor = require_actor(request)
    form = await read_form(request)
    win_id = request.path_params["win_id"]
    try:
        async with request.app.state.uow() as uow:
            win = await wins.choose_sharing(uow, actor, win_id, choice=text(form, "sharing"))
    except Invalid as exc:
        return await win_page(request, errors={"sharing": exc.message}, status=400)
    flash.add(request, wins.SHARING_LABELS[Sharing(win.sharing)] + ".")
    return _redirect(f"/wins/{win_id}")


async def consent_page(request: Request) -> Response:
    actor = require_actor(request)
    async with request.app.state.uow(read_only=True) as uow:
        credits = await wins.my_credits(uow, actor)
    return render(request, "program/consent.html", {"credits": credits})


async def consent_submit(request: Request) -> Response:
    actor = require_actor(request)
    form = await read_form(request)
    async with request.app.state.uow() as uow:
        credit = await wins.respond_to_credit(uow, actor, request.path_params["win_id"], consent=text(form, "consent"))
    flash.add(request, "You will be named on this win." if credit.consent == "given" else "You will be shown as “a team member” on this win.")
    return _redirect("/wins/consent")


async def curation_page(request: Request, *, errors: dict[str, str] | None = None, status: int = 200) -> Response:
    actor = require_actor(request)
    wins.require_curator(actor)
    async with request.app.state.uow(read_only=True) as uow:
        shown = await wins.shared_wins(uow, actor)
    return render(request, "program/curation.html", {"wins": shown, "errors": errors or {}, **LABELS}, status_code=status)


async def curate_submit(request: Request) -> Response:
    actor = require_actor(request)
    form = await read_form(request)
    include = text(form, "include") != "0"
    try:
        async with request.app.state.uow() as uow:
            await wins.curate(uow, actor, request.path_params["public_id"], include=include, phase=text(form, "phase"), theme=text(form, "theme"))
    except Invalid as exc:
        return await curation_page(request, errors={request.path_params["public_id"]: exc.message}, status=400)
    flash.add(request, "The win is in the curated list." if include else "The win was taken out of the curated list.")
    return _redirect("/wins/curation")


async def curated_page(request: Request) -> Response:
    actor = require_actor(request)
    async with request.app.state.uow(read_only=True) as uow:
        groups = await wins.curated_wins(uow, actor)
        session = await calendar.next_session_of_kind(uow, actor, "community_of_practice")
    return render(request, "program/curated.html", {"groups": groups, "session": session, **LABELS})


routes = [
    Route("/", shared_page, name="shared"),
    Route("/shared.json", shared_json, name="shared_json"),
    Route("/shared/{public_id}", shared_win_page, name="shared_win"),
    Route("/shared/{public_id}/curate", curate_submit, methods=["POST"], name="curate"),
    Route("/curation", curation_page, name="curation"),
    Route("/curated", curated_page, name="curated"),
    Route("/consent", consent_page, name="consent"),
    Route("/institutions/{institution_id}", school_page, name="school"),
    Route("/institutions/{institution_id}", record_submit, methods=["POST"], name="record"),
    Route("/{win_id:int}", win_page, name="win"),
    Route("/{win_id:int}/checklist", checklist_submit, methods=["POST"], name="checklist"),
    Route("/{win_id:int}/sharing", sharing_submit, methods=["POST"], name="sharing"),
    Route("/{win_id:int}/consent", consent_submit, methods=["POST"], name="consent_submit"),
]
