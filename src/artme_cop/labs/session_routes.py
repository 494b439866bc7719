"""HTTP adapters of lab sessions: the form to schedule one, its page for each stage, and the
facilitator's and the teams' posts. The forms work without script; labs_session.js adds
the team's live feedback and the reveal."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from artme_cop.errors import Invalid
from artme_cop.labs import sessions
from artme_cop.web import flash
from artme_cop.web.auth import require_actor
from artme_cop.web.csrf import read_form
from artme_cop.web.forms import text
from artme_cop.web.templating import render

FIELDS = ("title", "concept", "prework", "exercise", "day", "time")


def _back(session_id: object, anchor: str = "") -> RedirectResponse:
    return RedirectResponse(f"/labs/sessions/{session_id}{anchor}", status_code=303)


async def new_session_page(request: Request, *, errors: dict[str, str] | None = None, form: dict[str, str] | None = None, status: int = 200) -> Response:
    actor = require_actor(request)
    async with request.app.state.uow(read_only=True) as uow:
        teams = await sessions.new_session_form(uow, actor)
    if not teams:
        return render(request, "errors/error.html", {"title": "Not allowed", "message": "Only a team's lab facilitator schedules its sessions.", "status": 403}, status_code=403)
    return render(request, "labs/new_session.html", {"teams": teams, "errors": errors or {}, "form": form or {}}, status_code=status)


async def create_session(request: Request) -> Response:
    actor = require_actor(request)
    form = await read_form(request)
    values = {name: text(form, name) for name in FIELDS}
    try:
        async with request.app.state.uow() as uow:
            session = await sessions.create_session(uow, actor, team_ids=[v for v in form.getlist("teams") if isinstance(v, str)], **values)
    except Invalid as exc:
        return await new_session_page(request, errors={exc.field or "_form": exc.message}, form=values, status=400)
    return _back(session.id)


async def session_page(request: Request) -> Response:
    actor = require_actor(request)
    async with request.app.state.uow(read_only=True) as uow:
        view = await sessions.view(uow, actor, request.path_params["session_id"])
    return render(request, "labs/session.html", {"view": view})


async def add_question(request: Request) -> Response:
    actor = require_actor(request)
    form = await read_form(request)
    session_id = request.path_params["session_id"]
    async with request.app.state.uow() as uow:
        await sessions.add_question(uow, actor, session_id, prompt=text(form, "prompt"), options=text(form, "options"), correct=text(form, "correct"))
    flash.add(request, "Question added.")
    return _back(session_id, "#questions")


async def advance(request: Request) -> Response:
    actor = require_actor(request)
    form = await read_form(request)
    session_id = request.path_params["session_id"]
    async with request.app.state.uow() as uow:
        await sessions.advance(uow, actor, session_id, to=text(form, "to"))
    return _back(session_id)


async def answer_individually(request: Request) -> Response:
    actor = require_actor(request)
    form = await read_form(request)
    session_id = request.path_params["session_id"]
    answers = {key: value for key, value in form.multi_items() if key.startswith("q") and isinstance(value, str)}
    async with request.app.state.uow() as uow:
        await sessions.answer_individually(uow, actor, session_id, answers=answers)
    flash.add(request, "Your answers are saved. Only you see them.")
    return _back(session_id, "#individual")


async def answer_as_team(request: Request) -> Response:
    actor = require_actor(request)
    form = await read_form(request)
    session_id = request.path_params["session_id"]
    async with request.app.state.uow() as uow:
        attempt = await sessions.answer_as_team(uow, actor, session_id, question_id=text(form, "question"), choice=text(form, "choice"))
    flash.add(request, "Right!" if attempt.is_correct else "Not this one. Talk it over and try again.")
    return _back(session_id, f"#question-{attempt.question_id}")


async def submit_report(request: Request) -> Response:
    actor = require_actor(request)
    form = await read_form(request)
    session_id = request.path_params["session_id"]
    async with request.app.state.uow() as uow:
        await sessions.submit_report(uow, actor, session_id, report=text(form, "report"))
    flash.add(request, "Your team's answer is in. It stays sealed until every team's answer is revealed.")
    return _back(session_id, "#application")


routes = [
    Route("/sessions/new", new_session_page, name="new_session"),
    Route("/sessions", create_session, methods=["POST"], name="create_session"),
    Route("/sessions/{session_id}", session_page, name="session"),
    Route("/sessions/{session_id}/questions", add_question, methods=["POST"], name="add_question"),
    Route("/sessions/{session_id}/stage", advance, methods=["POST"], name="advance"),
    Route("/sessions/{session_id}/individual", answer_individually, methods=["POST"], name="individual"),
    Route("/sessions/{session_id}/team-answers", answer_as_team, methods=["POST"], name="team_answer"),
    Route("/sessions/{session_id}/report", submit_report, methods=["POST"], name="report"),
]
