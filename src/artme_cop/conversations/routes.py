"""HTTP adapters of the messaging core: the list of conversations one may read, a
conversation's page (history, paged by seq, and a form to post), and the form post.

The form carries a fresh client_msg_id, so a double-submitted form stores one message;
posting calls the same `post_message` as the WebSocket `send`, so readers see it live.
"""

from __future__ import annotations

import uuid

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from artme_cop.conversations import hooks
from artme_cop.conversations import service as conversations
from artme_cop.conversations.models import REACTIONS
from artme_cop.errors import Forbidden, Invalid
from artme_cop.web.auth import require_actor
from artme_cop.web.csrf import read_form
from artme_cop.web.forms import confirmed, page_key, text
from artme_cop.web.templating import render

PAGE_SIZE = 50


async def list_page(request: Request) -> Response:
    actor = require_actor(request)
    async with request.app.state.uow(read_only=True) as uow:
        rows = await conversations.list_conversations(uow, actor)
    return render(request, "conversations/list.html", {"conversations": rows})


async def conversation_page(request: Request, *, errors: dict[str, str] | None = None, body: str = "", status: int = 200) -> Response:
    actor = require_actor(request)
    before = page_key(request.query_params.get("before"))
    async with request.app.state.uow(read_only=True) as uow:
        conversation, messages = await conversations.history(
            uow, actor, request.path_params["conversation_id"], before_seq=before, limit=PAGE_SIZE
        )
        elsewhere = await hooks.feature_page(uow, conversation, page_key(request.query_params.get("seq")))
    if elsewhere is not None and status == 200:
        return RedirectResponse(elsewhere, status_code=303)
    context = {
        "conversation": conversation,
        "messages": messages,
        "older": messages[0]["seq"] if messages and messages[0]["seq"] > 1 else None,
        "live": before is None,
        "client_msg_id": uuid.uuid4().hex,
        "reactions": REACTIONS,
        "errors": errors or {},
        "form": {"body": body},
        # A refused post from a feature's page (a dialogue room, a thread) is shown here with
        # its text kept; the way back to the feature's page is offered with it.
        "feature_page": elsewhere,
    }
    return render(request, "conversations/conversation.html", context, status_code=status)


async def message_submit(request: Request) -> Response:
    actor = require_actor(request)
    form = await read_form(request)
    conversation_id = request.path_params["conversation_id"]
    try:
        async with request.app.state.uow() as uow:
            posted = await conversations.post_message(
                uow, actor, conversation_id, body=text(form, "body"), client_msg_id=text(form, "client_msg_id"), confirmed=confirmed(form)
            )
    except (Invalid, Forbidden) as exc:
        return await conversation_page(request, errors={exc.field or "body": exc.message}, body=text(form, "body"), status=400 if isinstance(exc, Invalid) else 403)
    return RedirectResponse(f"/conversations/{posted.conversation_id}#m{posted.seq}", status_code=303)


routes = [
    Route("/", list_page, name="list"),
    Route("/{conversation_id}", conversation_page, name="conversation"),
    Route("/{conversation_id}/messages", message_submit, methods=["POST"], name="message_submit"),
]
