"""HTTP adapters of the moderation package: the audit log, flagging a message, the
moderation queue and its actions, a message's edit history, and one's own warnings."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from artme_cop.errors import Invalid
from artme_cop.identity import service as identity
from artme_cop.moderation import flags
from artme_cop.moderation import service as moderation
from artme_cop.moderation.models import FLAG_REASON_LABELS
from artme_cop.web import flash
from artme_cop.web.auth import require_actor
from artme_cop.web.csrf import read_form
from artme_cop.web.forms import page_key, same_site_path, text
from artme_cop.web.templating import render

QUEUE_PATH = "/moderation/queue"


def _redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


async def audit_page(request: Request) -> Response:
    actor = require_actor(request)
    before = request.query_params.get("before", "")
    async with request.app.state.uow() as uow:
        rows = await moderation.list_audit(uow, actor, before=page_key(before))
        institutions = {i.id: i.name for i in await identity.list_institutions(uow, actor)}
    next_before = rows[-1].id if len(rows) == moderation.AUDIT_PAGE_SIZE else None
    return render(request, "moderation/audit.html", {"rows": rows, "institutions": institutions, "next_before": next_before})


# --- flagging ---------------------------------------------------------------------------------


async def _flag_form(request: Request, conversation_id: str, seq: str, *, form: dict[str, str] | None = None, errors: dict[str, str] | None = None, status: int = 200) -> Response:
    actor = require_actor(request)
    async with request.app.state.uow(read_only=True) as uow:
        target = await flags.flag_target(uow, actor, conversation_id, seq)
    context: dict[str, Any] = {
        "target": target,
        "reasons": FLAG_REASON_LABELS,
        "note_max": flags.NOTE_MAX,
        "next": flags.message_link(target.conversation.id, target.message["seq"]),
        "form": form or {"reason": ""},
        "errors": errors or {},
    }
    return render(request, "moderation/flag.html", context, status_code=status)


async def flag_page(request: Request) -> Response:
    return await _flag_form(request, request.query_params.get("conversation", ""), request.query_params.get("seq", ""))


async def flag_submit(request: Request) -> Response:
    actor = require_actor(request)
    form = await read_form(request)
    fields = {name: text(form, name) for name in ("conversation", "seq", "reason", "note")}
    try:
        async with request.app.state.uow() as uow:
            flagged = await flags.flag_message(uow, actor, fields["conversation"], fields["seq"], reason=fields["reason"], note=fields["note"])
    except Invalid as exc:
        if exc.field not in ("reason", "note"):
            raise
        return await _flag_form(request, fields["conversation"], fields["seq"], form=fields, errors={exc.field: exc.message}, status=400)
    message = "Thank you. The moderators will review the message." if flagged.created else "You have already flagged this message; the moderators will review it."
    target = same_site_path(text(form, "next"))
    if target is None:
        return render(request, "moderation/flagged.html", {"message": message})
    flash.add(request, message)
    return _redirect(target)


# --- the queue and its actions ----------------------------------------------------------------


async def queue_page(request: Request) -> Response:
    actor = require_actor(request)
    status = request.query_params.get("status", "open")
    async with request.app.state.uow(read_only=True) as uow:
        items = await flags.list_queue(uow, actor, status=status, before_id=page_key(request.query_params.get("before")))
    context = {
        "items": items,
        "status": status,
        "next_before": items[-1].flag_id if len(items) == flags.QUEUE_PAGE else None,
        "reason_max": flags.REASON_MAX,
        "warning_max": flags.WARNING_MAX,
    }
    return render(request, "moderation/queue.html", context)


def _back_to_queue(form_next: str) -> str:
    target = same_site_path(form_next)
    return target if target is not None and target.startswith(QUEUE_PATH) else QUEUE_PATH


async def dismiss_submit(request: Request) -> Response:
    actor = require_actor(request)
    form = await read_form(request)
    async with request.app.state.uow() as uow:
        count = await flags.dismiss_flags(uow, actor, request.path_params["flag_id"], note=text(form, "note"))
    flash.add(request, f"Dismissed {count} flag{'s' if count != 1 else ''}.")
    return _redirect(_back_to_queue(text(form, "next")))


async def hide_submit(request: Request) -> Response:
    actor = require_actor(request)
    form = await read_form(request)
    async with request.app.state.uow() as uow:
        await flags.hide_message(uow, actor, request.path_params["conversation_id"], request.path_params["seq"], reason=text(form, "reason"))
    flash.add(request, "The message is hidden.")
    return _redirect(_back_to_queue(text(form, "next")))


async def unhide_submit(request: Request) -> Response:
    actor = require_actor(request)
    form = await read_form(request)
    async with request.app.state.uow() as uow:
        await flags.unhide_message(uow, actor, request.path_params["conversation_id"], request.path_params["seq"], note=text(form, "note"))
    flash.add(request, "The message is shown again.")
    return _redirect(_back_to_queue(text(form, "next")))


async def warn_submit(request: Request) -> Response:
    actor = require_actor(request)
    form = await read_form(request)
    async with request.app.state.uow() as uow:
        await flags.warn_author(uow, actor, request.path_params["conversation_id"], request.path_params["seq"], text=text(form, "text"))
    flash.add(request, "The author is warned.")
    return _redirect(_back_to_queue(text(form, "next")))


async def history_page(request: Request) -> Response:
    actor = require_actor(request)
    async with request.app.state.uow() as uow:  # writes the audit entry of the read
        history = await flags.message_history(uow, actor, request.path_params["conversation_id"], request.path_params["seq"])
    return render(request, "moderation/history.html", {"history": history, "link": flags.message_link(history.conversation.id, history.seq)})


async def warnings_page(request: Request) -> Response:
    actor = require_actor(request)
    async with request.app.state.uow(read_only=True) as uow:
        warnings = await flags.list_my_warnings(uow, actor, before_id=page_key(request.query_params.get("before")))
    next_before = warnings[-1].id if len(warnings) == flags.WARNINGS_PAGE else None
    return render(request, "moderation/warnings.html", {"warnings": warnings, "next_before": next_before})


routes = [
    Route("/audit", audit_page, name="audit"),
    Route("/queue", queue_page, name="queue"),
    Route("/flags/new", flag_page, name="flag_form"),
    Route("/flags", flag_submit, methods=["POST"], name="flag"),
    Route("/flags/{flag_id}/dismiss", dismiss_submit, methods=["POST"], name="dismiss"),
    Route("/messages/{conversation_id}/{seq}/hide", hide_submit, methods=["POST"], name="hide"),
    Route("/messages/{conversation_id}/{seq}/unhide", unhide_submit, methods=["POST"], name="unhide"),
    Route("/messages/{conversation_id}/{seq}/warn", warn_submit, methods=["POST"], name="warn"),
    Route("/messages/{conversation_id}/{seq}/history", history_page, name="history"),
    Route("/warnings", warnings_page, name="warnings"),
]
