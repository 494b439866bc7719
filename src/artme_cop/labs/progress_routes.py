"""HTTP adapters of a team's progress: commitments, success reports, promoting one into a
short-term win, and the value story. The team page (labs/routes.py) shows them."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from artme_cop.labs import progress
from artme_cop.web import flash
from artme_cop.web.auth import require_actor
from artme_cop.web.csrf import read_form
from artme_cop.web.forms import text


def _team(team_id: object, anchor: str) -> RedirectResponse:
    return RedirectResponse(f"/labs/teams/{team_id}#{anchor}", status_code=303)


async def add_commitment(request: Request) -> Response:
    actor = require_actor(request)
    form = await read_form(request)
    team_id = request.path_params["team_id"]
    async with request.app.state.uow() as uow:
        await progress.add_commitment(
            uow, actor, team_id, concept=text(form, "concept"), job_function=text(form, "job_function"), action=text(form, "action"),
            owner=text(form, "owner"), check_on=text(form, "check_on"),
        )
    flash.add(request, "Commitment recorded.")
    return _team(team_id, "commitments")


async def commitment_status(request: Request) -> Response:
    actor = require_actor(request)
    form = await read_form(request)
    async with request.app.state.uow() as uow:
        commitment = await progress.set_commitment_status(uow, actor, request.path_params["commitment_id"], status=text(form, "status"))
    return _team(commitment.team_id, f"commitment-{commitment.id}")


async def add_report(request: Request) -> Response:
    actor = require_actor(request)
    form = await read_form(request)
    team_id = request.path_params["team_id"]
    async with request.app.state.uow() as uow:
        await progress.add_success_report(uow, actor, team_id, what_changed=text(form, "what_changed"), evidence=text(form, "evidence"), reported_on=text(form, "reported_on"))
    flash.add(request, "Success report saved.")
    return _team(team_id, "reports")


async def promote_report(request: Request) -> Response:
    actor = require_actor(request)
    form = await read_form(request)
    async with request.app.state.uow() as uow:
        win_id = await progress.promote_report(uow, actor, request.path_params["report_id"], title=text(form, "title"), against=text(form, "against"))
    flash.add(request, "Recorded as a short-term win of the school; it is checked before anything is shared.")
    return RedirectResponse(f"/wins/{win_id}", status_code=303)


async def draft_resource(request: Request) -> Response:
    actor = require_actor(request)
    form = await read_form(request)
    async with request.app.state.uow() as uow:
        public_id = await progress.draft_resource_from_report(uow, actor, request.path_params["report_id"], title=text(form, "title"))
    flash.add(request, "Saved as a knowledge-repository draft of the school; it is assessed before anyone else reads it.")
    return RedirectResponse(f"/knowledge/{public_id}", status_code=303)


async def value_story(request: Request) -> Response:
    actor = require_actor(request)
    form = await read_form(request)
    team_id = request.path_params["team_id"]
    async with request.app.state.uow() as uow:
        await progress.write_value_story(uow, actor, team_id, what_we_did=text(form, "what_we_did"), what_changed=text(form, "what_changed"), difference=text(form, "difference"))
    return _team(team_id, "value-story")


routes = [
    Route("/teams/{team_id}/commitments", add_commitment, methods=["POST"], name="add_commitment"),
    Route("/commitments/{commitment_id}/status", commitment_status, methods=["POST"], name="commitment_status"),
    Route("/teams/{team_id}/reports", add_report, methods=["POST"], name="add_report"),
    Route("/reports/{report_id}/promote", promote_report, methods=["POST"], name="promote_report"),
    Route("/reports/{report_id}/draft-resource", draft_resource, methods=["POST"], name="draft_resource"),
    Route("/teams/{team_id}/value-story", value_story, methods=["POST"], name="value_story"),
]
