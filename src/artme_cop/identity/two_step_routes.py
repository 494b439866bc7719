"""HTTP adapters of two-step sign-in (SEC-C7): the second step of signing in, setting it up
and turning it off on one's account, and an administrator turning off someone else's.

The second step counts against the same per-account and per-address limits as the password
(`ARTME_LOGIN_LIMIT_*`), so six digits cannot be guessed; a wrong code is in the audit log.
"""

from __future__ import annotations

from typing import Any, Awaitable, Callable, TypeVar

import segno
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from artme_cop import security_log
from artme_cop.errors import Invalid
from artme_cop.identity import queries
from artme_cop.identity.models import Person
from artme_cop.identity.routes import safe_next
from artme_cop.identity.service import two_step
from artme_cop.policy import Actor
from artme_cop.web import flash
from artme_cop.web.auth import actor_of, begin_session, end_session, half_signed_in, require_actor
from artme_cop.web.client import client_address
from artme_cop.web.csrf import read_form
from artme_cop.web.forms import text
from artme_cop.web.templating import render

ACCOUNT_PAGE = "/me/two-step"
T = TypeVar("T")


def _see(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


async def _count_attempt(request: Request, person_id: int, what: str) -> None:
    """One guess at a code: `what` is the sign-in's second step or a change on the account."""
    settings, limiter = request.app.state.settings, request.app.state.rate_limiter
    await limiter.hit(settings.login_limit_address, "sign-in-address", client_address(request))
    await limiter.hit(settings.login_limit_account, what, str(person_id))


# --- the second step of signing in ---------------------------------------------------------------


async def second_step_page(request: Request) -> Response:
    if actor_of(request) is not None:
        return _see("/")
    if half_signed_in(request) is None:
        return _start_again(request)
    return render(request, "identity/two_step_login.html", {"next": safe_next(request.query_params.get("next", "/"))})


async def second_step_submit(request: Request) -> Response:
    form = await read_form(request)
    target = safe_next(text(form, "next"))
    pending = half_signed_in(request)
    if pending is None:
        return _start_again(request)
    person_id, epoch = pending
    await _count_attempt(request, person_id, "two-step-sign-in")
    async with request.app.state.uow() as uow:
        passed = await two_step.check_code(uow, person_id, form.get("code"), address=client_address(request))
        person = await queries.get_person(uow.session, person_id)
    if person is None or person.is_deleted or person.session_epoch != epoch:
        return _start_again(request)
    if not passed:
        context = {"next": target, "errors": {"code": two_step.WRONG_CODE}}
        return render(request, "identity/two_step_login.html", context, status_code=400)
    begin_session(request, person, two_step=True)
    security_log.event("sign_in", outcome=security_log.OK, person=person.id, address=client_address(request), second_step="yes")
    return _see(target)


def _start_again(request: Request) -> Response:
    end_session(request)
    flash.add(request, "Sign in again: the second step waits only a few minutes.")
    return _see("/login")


# --- one's own two-step sign-in ------------------------------------------------------------------


async def account_page(request: Request) -> Response:
    return await _account(request)


async def _account(request: Request, *, errors: dict[str, str] | None = None) -> Response:
    actor = require_actor(request)
    async with request.app.state.uow(read_only=True) as uow:
        on = await two_step.is_on(uow, actor.person_id)
        setup = None if on else await two_step.setup_in_progress(uow, actor)
        left = await two_step.recovery_codes_left(uow, actor.person_id) if on else 0
    context: dict[str, Any] = {"on": on, "setup": setup, "codes_left": left, "errors": errors or {}}
    if setup is not None:
        context["qr"] = segno.make(setup.uri, error="m").svg_inline(scale=4, border=2, title="QR code of your two-step secret")
        context["grouped_secret"] = " ".join(setup.secret[i : i + 4] for i in range(0, len(setup.secret), 4))
    return render(request, "identity/two_step.html", context, status_code=400 if errors else 200)


async def start_submit(request: Request) -> Response:
    actor = require_actor(request)
    await read_form(request)
    async with request.app.state.uow() as uow:
        await two_step.begin_setup(uow, actor)
    return _see(ACCOUNT_PAGE)


async def confirm_submit(request: Request) -> Response:
    outcome = await _change(request, lambda uow, actor, form: two_step.confirm_setup(uow, actor, form.get("code")))
    if isinstance(outcome, Response):
        return outcome
    person, (codes, _epoch) = outcome
    # Other sessions ended with the old epoch; this one goes on, with its second step passed.
    begin_session(request, person, two_step=True)
    return render(request, "identity/two_step_codes.html", {"codes": codes})


async def off_submit(request: Request) -> Response:
    outcome = await _change(request, lambda uow, actor, form: two_step.turn_off(uow, actor, password=form.get("password"), code=form.get("code")))
    if isinstance(outcome, Response):
        return outcome
    begin_session(request, outcome[0])
    flash.add(request, "Two-step sign-in is off. You were signed out everywhere else.")
    return _see(ACCOUNT_PAGE)


async def _change(request: Request, change: Callable[[Any, Actor, FormData], Awaitable[T]]) -> tuple[Person, T] | Response:
    """Turn one's two-step sign-in on or off (a guess at a code, counted like a sign-in): the
    person afterwards and the change's result, or the account page with the error."""
    actor = require_actor(request)
    form = await read_form(request)
    await _count_attempt(request, actor.person_id, "two-step-change")
    try:
        async with request.app.state.uow() as uow:
            result = await change(uow, actor, form)
            person = await _person(uow, actor.person_id)
    except Invalid as exc:
        return await _account(request, errors={exc.field or "_form": exc.message})
    return person, result


async def _person(uow: Any, person_id: int) -> Person:
    person = await queries.get_person(uow.session, person_id)
    assert person is not None  # the actor's own row, read in the same transaction
    return person


# --- an administrator turns off someone else's ----------------------------------------------------


async def reset_submit(request: Request) -> Response:
    actor = require_actor(request)
    await read_form(request)
    person_id = request.path_params["person_id"]
    async with request.app.state.uow() as uow:
        await two_step.reset_for(uow, actor, person_id)
    flash.add(request, "Their two-step sign-in is off, and they are signed out everywhere.")
    return _see(f"/admin/people/{person_id}")


routes = [
    Route("/login/two-step", second_step_page, name="two_step_login"),
    Route("/login/two-step", second_step_submit, methods=["POST"], name="two_step_login_submit"),
    Route(ACCOUNT_PAGE, account_page, name="two_step"),
    Route(f"{ACCOUNT_PAGE}/start", start_submit, methods=["POST"], name="two_step_start"),
    Route(f"{ACCOUNT_PAGE}/confirm", confirm_submit, methods=["POST"], name="two_step_confirm"),
    Route(f"{ACCOUNT_PAGE}/off", off_submit, methods=["POST"], name="two_step_off"),
]

admin_routes = [
    Route("/people/{person_id}/two-step/reset", reset_submit, methods=["POST"], name="two_step_reset"),
]
