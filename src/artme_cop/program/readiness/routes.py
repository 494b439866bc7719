"""HTTP adapters of the readiness assessment: the list of surveys, opening one, answering,
closing, and the suppressed results."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from artme_cop.errors import Conflict, Invalid
from artme_cop.program.readiness import service as readiness
from artme_cop.program.readiness.aggregates import ITEMS, SCALE_LABELS, SCALE_NAMES
from artme_cop.web import flash
from artme_cop.web.auth import require_actor
from artme_cop.web.csrf import read_form
from artme_cop.web.forms import text, values
from artme_cop.web.templating import render


async def index(request: Request, *, form: dict[str, str] | None = None, errors: dict[str, str] | None = None, status: int = 200) -> Response:
    actor = require_actor(request)
    async with request.app.state.uow(read_only=True) as uow:
        surveys = await readiness.list_surveys(uow, actor)
        cohorts = await readiness.manageable_cohorts(uow, actor)
    return render(request, "program/readiness.html", {"surveys": surveys, "cohorts": cohorts, "form": form or {}, "errors": errors or {}}, status_code=status)


async def create_submit(request: Request) -> Response:
    actor = require_actor(request)
    form = await read_form(request)
    fields = values(form, "cohort_id", "title")
    try:
        async with request.app.state.uow() as uow:
            survey = await readiness.open_survey(uow, actor, cohort_id=fields["cohort_id"], title=fields["title"])
    except Invalid as exc:
        return await index(request, form=fields, errors={exc.field or "_form": exc.message}, status=400)
    flash.add(request, "The survey is open.")
    return RedirectResponse(f"/program/readiness/surveys/{survey.id}", status_code=303)


async def survey_page(request: Request, *, form: dict[str, str] | None = None, errors: dict[str, str] | None = None, status: int = 200) -> Response:
    actor = require_actor(request)
    async with request.app.state.uow(read_only=True) as uow:
        view = await readiness.access_survey(uow, actor, request.path_params["survey_id"])
    context = {"view": view, "items": ITEMS, "scale": SCALE_LABELS, "scale_names": SCALE_NAMES, "form": form or {}, "errors": errors or {}}
    return render(request, "program/survey.html", context, status_code=status)


async def answer_submit(request: Request) -> Response:
    actor = require_actor(request)
    form = await read_form(request)
    answers = values(form, *(item.key for item in ITEMS))
    comment = text(form, "comment")
    try:
        async with request.app.state.uow() as uow:
            await readiness.answer_survey(uow, actor, request.path_params["survey_id"], scores=answers, comment=comment)
    except (Invalid, Conflict) as exc:
        status = 409 if isinstance(exc, Conflict) else 400
        return await survey_page(request, form={**answers, "comment": comment}, errors={exc.field or "_form": exc.message}, status=status)
    flash.add(request, "Thank you. Your answer is saved without your name.")
    return RedirectResponse(f"/program/readiness/surveys/{request.path_params['survey_id']}", status_code=303)


async def close_submit(request: Request) -> Response:
    actor = require_actor(request)
    await read_form(request)
    async with request.app.state.uow() as uow:
        survey = await readiness.close_survey(uow, actor, request.path_params["survey_id"])
    flash.add(request, "The survey is closed.")
    return RedirectResponse(f"/program/readiness/surveys/{survey.id}", status_code=303)


async def results_page(request: Request) -> Response:
    actor = require_actor(request)
    async with request.app.state.uow(read_only=True) as uow:
        view, results = await readiness.survey_results(uow, actor, request.path_params["survey_id"])
    return render(request, "program/results.html", {"view": view, "results": results, "scale_names": SCALE_NAMES})


routes = [
    Route("/", index, name="index"),
    Route("/surveys", create_submit, methods=["POST"], name="create_submit"),
    Route("/surveys/{survey_id}", survey_page, name="survey"),
    Route("/surveys/{survey_id}/answers", answer_submit, methods=["POST"], name="answer_submit"),
    Route("/surveys/{survey_id}/close", close_submit, methods=["POST"], name="close_submit"),
    Route("/surveys/{survey_id}/results", results_page, name="results"),
]
