"""HTTP adapters of notifications: the list page, marking read, the email settings form,
and the unread count as JSON for the badge."""

from __future__ import annotations

from typing import Literal

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from artme_cop.errors import Invalid
from artme_cop.notifications import service as notifications
from artme_cop.notifications.models import EmailMode
from artme_cop.web.auth import require_actor
from artme_cop.web.csrf import read_form
from artme_cop.web.forms import page_key, text
from artme_cop.web.templating import render

MODE_LABELS = {
    EmailMode.IMMEDIATE: "Immediately: one email for each notification",
    EmailMode.DAILY: "A daily digest: at most one email a day, listing what is new",
    EmailMode.OFF: "Off: no email; notifications stay on this site",
}


async def notifications_page(request: Request) -> Response:
    actor = require_actor(request)
    before = page_key(request.query_params.get("before"))
    async with request.app.state.uow(read_only=True) as uow:
        page = await notifications.list_notifications(uow, actor, before_id=before)
    # The unread count comes with every page, for the navigation badge (web/auth.py).
    return render(request, "notifications/list.html", {"page": page, "before": before})


async def read_submit(request: Request) -> Response:
    actor = require_actor(request)
    form = await read_form(request)
    chosen: list[object] | Literal["all"] = "all" if text(form, "all") else list(form.getlist("id"))
    async with request.app.state.uow() as uow:
        await notifications.mark_read(uow, actor, chosen)
    before = page_key(text(form, "before"))
    return RedirectResponse("/notifications/" + (f"?before={before}" if before else ""), status_code=303)


async def settings_page(request: Request, *, errors: dict[str, str] | None = None, status: int = 200) -> Response:
    actor = require_actor(request)
    async with request.app.state.uow(read_only=True) as uow:
        mode = await notifications.email_mode(uow, actor)
    context = {"mode": mode.value, "modes": MODE_LABELS, "errors": errors or {}, "saved": request.query_params.get("saved") == "1"}
    return render(request, "notifications/settings.html", context, status_code=status)


async def settings_submit(request: Request) -> Response:
    actor = require_actor(request)
    form = await read_form(request)
    try:
        async with request.app.state.uow() as uow:
            await notifications.set_email_mode(uow, actor, text(form, "email_mode"))
    except Invalid as exc:
        return await settings_page(request, errors={"email_mode": exc.message}, status=400)
    return RedirectResponse("/notifications/settings?saved=1", status_code=303)


async def unread_json(request: Request) -> Response:
    actor = require_actor(request)
    async with request.app.state.uow(read_only=True) as uow:
        unread = await notifications.unread_count(uow, actor)
    return JSONResponse({"unread": unread})


routes = [
    Route("/", notifications_page, name="page"),
    Route("/read", read_submit, methods=["POST"], name="read_submit"),
    Route("/settings", settings_page, name="settings"),
    Route("/settings", settings_submit, methods=["POST"], name="settings_submit"),
    Route("/unread", unread_json, name="unread"),
]
