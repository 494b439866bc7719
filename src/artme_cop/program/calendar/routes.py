"""HTTP adapters of the session calendar: my sessions, a session's page, the form to
schedule one, cancelling, and the personal iCalendar feed (served without the session
cookie: the secret in its address is the only key)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from artme_cop import zones
from artme_cop.errors import Forbidden, Invalid
from artme_cop.labs import sessions as lab_sessions
from artme_cop.program.calendar import service as calendar
from artme_cop.program.phases import catalog
from artme_cop.web import flash
from artme_cop.web.auth import require_actor
from artme_cop.web.csrf import read_form
from artme_cop.web.forms import values
from artme_cop.web.templating import render

FIELDS = ("kind", "title", "description", "phase", "day", "start", "end", "timezone", "place", "link", "audience")


async def index(request: Request) -> Response:
    actor = require_actor(request)
    async with request.app.state.uow(read_only=True) as uow:
        upcoming = await calendar.upcoming_sessions(uow, actor)
        labs_upcoming = await lab_sessions.scheduled_for(uow, actor, ending_after=uow.clock.now())
        managed = await calendar.managed_sessions(uow, actor)
        options = await calendar.choices(uow, actor)
        feed = await calendar.feed_status(uow, actor)
    context = {"upcoming": upcoming, "lab_sessions": labs_upcoming, "managed": managed, "can_schedule": options.any, "feed": feed}
    return render(request, "program/calendar.html", context)


async def new_page(request: Request, *, form: dict[str, str] | None = None, cohorts: list[str] | None = None, errors: dict[str, str] | None = None, status: int = 200) -> Response:
    actor = require_actor(request)
    async with request.app.state.uow(read_only=True) as uow:
        options = await calendar.choices(uow, actor)
    # the organiser's own zone once they chose one; before, the zone most of the schools are in
    defaults = {"timezone": actor.time_zone if actor.time_zone != zones.DEFAULT else "America/New_York", "start": "12:00", "end": "13:30"}
    context = {
        "options": options,
        "timezones": calendar.TIMEZONES,
        "phases": catalog.PHASES,
        "form": form or defaults,
        "chosen_cohorts": set(cohorts or []),
        "errors": errors or {},
    }
    return render(request, "program/session_new.html", context, status_code=status)


async def create_submit(request: Request) -> Response:
    actor = require_actor(request)
    form = await read_form(request)
    fields = values(form, *FIELDS)
    cohort_ids = [value for value in form.getlist("cohorts") if isinstance(value, str)]
    try:
        cleaned = calendar.clean_session(
            kind=fields["kind"], title=fields["title"], description=fields["description"], phase=fields["phase"], day=fields["day"], start=fields["start"],
            end=fields["end"], zone=fields["timezone"], place=fields["place"], link=fields["link"], audience=fields["audience"], cohort_ids=cohort_ids,
        )
        async with request.app.state.uow() as uow:
            session = await calendar.schedule_session(uow, actor, cleaned)
    except Invalid as exc:
        return await new_page(request, form=fields, cohorts=cohort_ids, errors={exc.field or "_form": exc.message}, status=400)
    flash.add(request, "The session is on the calendar.")
    return RedirectResponse(f"/calendar/sessions/{session.id}", status_code=303)


async def session_page(request: Request) -> Response:
    actor = require_actor(request)
    async with request.app.state.uow(read_only=True) as uow:
        view = await calendar.access_session(uow, actor, request.path_params["session_id"])
    phase = catalog.phase(view.session.phase) if view.session.phase else None
    return render(request, "program/session.html", {"view": view, "phase": phase})


EDITABLE = ("title", "description", "day", "start", "end", "timezone", "place", "link")


async def edit_page(request: Request, *, form: dict[str, str] | None = None, errors: dict[str, str] | None = None, status: int = 200) -> Response:
    actor = require_actor(request)
    async with request.app.state.uow(read_only=True) as uow:
        view = await calendar.access_session(uow, actor, request.path_params["session_id"])
    if not view.can_manage:
        raise Forbidden("Only the people who manage this session change it.")
    context = {"view": view, "timezones": calendar.TIMEZONES, "form": form or calendar.edit_form(view.session), "errors": errors or {}}
    return render(request, "program/session_edit.html", context, status_code=status)


async def edit_submit(request: Request) -> Response:
    actor = require_actor(request)
    form = values(await read_form(request), *EDITABLE)
    try:
        async with request.app.state.uow() as uow:
            session = await calendar.reschedule_session(uow, actor, request.path_params["session_id"], form)
    except Invalid as exc:
        return await edit_page(request, form=form, errors={exc.field or "_form": exc.message}, status=400)
    flash.add(request, "The session is changed.")
    return RedirectResponse(f"/calendar/sessions/{session.id}", status_code=303)


async def cancel_submit(request: Request) -> Response:
    actor = require_actor(request)
    await read_form(request)
    async with request.app.state.uow() as uow:
        session = await calendar.cancel_session(uow, actor, request.path_params["session_id"])
    flash.add(request, "The session is cancelled.")
    return RedirectResponse(f"/calendar/sessions/{session.id}", status_code=303)


async def feed_create_submit(request: Request) -> Response:
    actor = require_actor(request)
    await read_form(request)
    async with request.app.state.uow() as uow:
        token = await calendar.create_feed(uow, actor)
    # Shown once, on this page: only its hash is kept, and it never goes into the cookie.
    url = calendar.feed_url(request.app.state.settings.base_url, token)
    return render(request, "program/feed_created.html", {"url": url})


async def feed_revoke_submit(request: Request) -> Response:
    actor = require_actor(request)
    await read_form(request)
    async with request.app.state.uow() as uow:
        await calendar.revoke_feed(uow, actor)
    flash.add(request, "Your calendar feed is turned off. Its address no longer works.")
    return RedirectResponse("/me#calendar-heading", status_code=303)


async def feed(request: Request) -> Response:
    async with request.app.state.uow(read_only=True) as uow:
        owner = await calendar.feed_owner(uow, request.path_params["token"])
        items = await calendar.feed_items(uow, owner) + await lab_sessions.calendar_items(uow, owner, ending_after=uow.clock.now() - calendar.FEED_PAST)
        body = calendar.render_calendar(items, base_url=uow.settings.base_url, now=uow.clock.now())
    headers = {"Content-Disposition": 'inline; filename="artme-sessions.ics"'}
    return Response(body, media_type="text/calendar; charset=utf-8", headers=headers)


routes = [
    Route("/", index, name="index"),
    Route("/new", new_page, name="new"),
    Route("/sessions", create_submit, methods=["POST"], name="create_submit"),
    Route("/sessions/{session_id}", session_page, name="session"),
    Route("/sessions/{session_id}/edit", edit_page, name="session_edit"),
    Route("/sessions/{session_id}/edit", edit_submit, methods=["POST"], name="session_edit_submit"),
    Route("/sessions/{session_id}/cancel", cancel_submit, methods=["POST"], name="cancel_submit"),
    Route("/feed", feed_create_submit, methods=["POST"], name="feed_create"),
    Route("/feed/revoke", feed_revoke_submit, methods=["POST"], name="feed_revoke"),
    Route("/feed/{token}.ics", feed, name="feed"),
]
