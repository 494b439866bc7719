"""HTTP adapters of Chats for Change: the session list, the scheduling form, a session's
page (the lobby with its agreement gate, then the live room), and the form posts for
accepting the agreement, the speaking queue and the facilitators' tools. Each parses,
calls the service, renders or redirects; the WebSocket commands call the same functions.
"""

from __future__ import annotations

import uuid

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from artme_cop.conversations import service as conversations
from artme_cop.dialogue import after, breakouts, facilitation, reveal, safety
from artme_cop.dialogue import service as dialogue
from artme_cop.dialogue.models import IdentityMode
from artme_cop.errors import Invalid
from artme_cop.policy import Actor
from artme_cop.unit_of_work import UnitOfWork
from artme_cop.web import flash
from artme_cop.web.auth import require_actor
from artme_cop.web.csrf import read_form
from artme_cop.web.forms import text, values
from artme_cop.web.templating import render

SCHEDULE_FIELDS = (
    "title", "topic", "content_note", "pre_reading", "frame", "definition", "guiding_questions",
    "starts_at", "ends_at", "agreement_text", "identity_mode", "slow_mode_seconds",
)
DEFAULT_AGREEMENT = (
    "We assume good intent and attend to impact. This is a brave space: we speak from our own experience.\n"
    "Chatham House rule: what is said here may be used, but never who said it.\n"
    "No recording, screenshots or note-taking bots. No patient identifiers.\n"
    "Limits of confidentiality: facilitators must act on a risk of imminent harm and on legally required reports."
)
PLAYBOOK = (
    "Pause and acknowledge what happened.",
    "Clarify and ask about intent; then name the impact.",
    "Return to the agreements and offer a choice: continue, take a break, or a side room.",
    "Do not make the people harmed educate the room.",
    "Follow up privately afterwards.",
)


async def index(request: Request) -> Response:
    actor = require_actor(request)
    async with request.app.state.uow(read_only=True) as uow:
        sessions = await dialogue.list_sessions(uow, actor)
        may_schedule = bool(await dialogue.schedulable_cohorts(uow, actor))
    return render(request, "dialogue/index.html", {"sessions": sessions, "may_schedule": may_schedule})


async def new_page(request: Request, *, form: dict[str, str] | None = None, chosen: dict[str, list[str]] | None = None, errors: dict[str, str] | None = None, status: int = 200) -> Response:
    actor = require_actor(request)
    async with request.app.state.uow(read_only=True) as uow:
        cohorts = await dialogue.schedulable_cohorts(uow, actor)
        people = await dialogue.facilitator_choices(uow, cohorts)
    context = {
        "cohorts": cohorts, "people": people, "modes": list(IdentityMode), "errors": errors or {},
        "form": form or {"agreement_text": DEFAULT_AGREEMENT, "identity_mode": IdentityMode.NAMED.value, "slow_mode_seconds": "0"},
        "chosen": chosen or {"cohorts": [], "facilitators": []},
    }
    return render(request, "dialogue/new.html", context, status_code=status)


async def create_submit(request: Request) -> Response:
    actor = require_actor(request)
    form = await read_form(request)
    fields = values(form, *SCHEDULE_FIELDS)
    chosen = {"cohorts": [v for v in form.getlist("cohorts") if isinstance(v, str)], "facilitators": [v for v in form.getlist("facilitators") if isinstance(v, str)]}
    scheduled = dialogue.Scheduled(cohort_ids=list(chosen["cohorts"]), facilitator_ids=list(chosen["facilitators"]), **fields)
    try:
        async with request.app.state.uow() as uow:
            session = await dialogue.schedule_session(uow, actor, scheduled)
    except Invalid as exc:
        return await new_page(request, form=fields, chosen=chosen, errors={exc.field or "_form": exc.message}, status=400)
    flash.add(request, "The Chats for Change session is scheduled.")
    return RedirectResponse(f"/dialogue/{session.id}", status_code=303)


async def session_page(request: Request) -> Response:
    actor = require_actor(request)
    async with request.app.state.uow(read_only=True) as uow:
        view = await dialogue.access_session(uow, actor, request.path_params["session_id"])
        context: dict[str, object] = {"view": view, "session": view.session, "playbook": PLAYBOOK, "client_msg_id": uuid.uuid4().hex, "backchannel": [], "messages": [],
                                      "breakout": None, "line": None, "lines": []}
        if view.in_room and view.session.state != "purged":
            context["room"] = await dialogue.room_state(uow, view.session)
            _, context["messages"] = await conversations.history(uow, actor, view.session.main_conversation_id, limit=100)
            if view.is_facilitator:
                _, context["backchannel"] = await conversations.history(uow, actor, view.session.backchannel_conversation_id, limit=50)
            context.update(await _side_rooms(uow, actor, view))
    return render(request, "dialogue/session.html", context)


async def _side_rooms(uow: UnitOfWork, actor: Actor, view: dialogue.SessionView) -> dict[str, object]:
    """The rooms beside the main one, rendered into the page so they work without the page
    script too: a participant's open breakout and private line; the facilitators' lines."""
    if view.is_facilitator:
        lines = await safety.lines(uow, view)
        for line in lines:
            _, line["messages"] = await conversations.history(uow, actor, line["conversation"], limit=50)
        return {"lines": lines}
    rooms: dict[str, object] = {}
    breakout = await dialogue.my_breakout(uow, view)
    if breakout is not None and breakout["open"]:
        _, breakout["messages"] = await conversations.history(uow, actor, breakout["conversation"], limit=100)
        rooms["breakout"] = breakout
    line = await safety.my_line(uow, view)
    if line is not None:
        _, messages = await conversations.history(uow, actor, line, limit=50)
        rooms["line"] = {"conversation": line, "messages": messages}
    return rooms


async def accept_submit(request: Request) -> Response:
    actor = require_actor(request)
    form = await read_form(request)
    async with request.app.state.uow() as uow:
        await dialogue.accept_agreement(uow, actor, request.path_params["session_id"], version=text(form, "version"))
    flash.add(request, "Thank you. You are in the room.")
    return RedirectResponse(f"/dialogue/{request.path_params['session_id']}", status_code=303)


async def hand_submit(request: Request) -> Response:
    actor = require_actor(request)
    form = await read_form(request)
    async with request.app.state.uow() as uow:
        await dialogue.raise_hand(uow, actor, request.path_params["session_id"], up=text(form, "up") == "1")
    return RedirectResponse(f"/dialogue/{request.path_params['session_id']}#queue-heading", status_code=303)


async def affinity_submit(request: Request) -> Response:
    actor = require_actor(request)
    form = await read_form(request)
    async with request.app.state.uow() as uow:
        await breakouts.join_affinity(uow, actor, request.path_params["session_id"], room=text(form, "room"))
    return RedirectResponse(f"/dialogue/{request.path_params['session_id']}#breakout-heading", status_code=303)


async def facilitate_submit(request: Request) -> Response:
    actor = require_actor(request)
    form = await read_form(request)
    params: dict[str, object] = {name: value for name, value in form.items() if isinstance(value, str) and name not in ("csrf_token", "action")}
    async with request.app.state.uow() as uow:
        await facilitation.facilitate(uow, actor, request.path_params["session_id"], action=text(form, "action"), params=params)
    flash.add(request, "Done.")
    return RedirectResponse(f"/dialogue/{request.path_params['session_id']}#controls-heading", status_code=303)


async def reveal_submit(request: Request) -> Response:
    actor = require_actor(request)
    form = await read_form(request)
    async with request.app.state.uow() as uow:
        revealed = await reveal.reveal_author(
            uow, actor, request.path_params["session_id"], conversation=text(form, "conversation"), seq=text(form, "seq"), reason=text(form, "reason")
        )
    return render(request, "dialogue/revealed.html", {"revealed": revealed, "session_id": request.path_params["session_id"]})


async def signal_submit(request: Request) -> Response:
    actor = require_actor(request)
    form = await read_form(request)
    async with request.app.state.uow() as uow:
        await safety.signal(uow, actor, request.path_params["session_id"], kind=text(form, "kind"))
    return RedirectResponse(f"/dialogue/{request.path_params['session_id']}#safety-heading", status_code=303)


async def line_submit(request: Request) -> Response:
    actor = require_actor(request)
    await read_form(request)
    async with request.app.state.uow() as uow:
        await safety.private_line(uow, actor, request.path_params["session_id"])
    return RedirectResponse(f"/dialogue/{request.path_params['session_id']}#line-heading", status_code=303)


async def report_submit(request: Request) -> Response:
    actor = require_actor(request)
    form = await read_form(request)
    async with request.app.state.uow() as uow:
        await safety.report_message(
            uow, actor, request.path_params["session_id"], conversation=text(form, "conversation"), seq=text(form, "seq"), reason=text(form, "reason")
        )
    flash.add(request, "Thank you. The facilitators were alerted; the message is kept for the people who handle incidents.")
    return RedirectResponse(f"/dialogue/{request.path_params['session_id']}#safety-heading", status_code=303)


async def incidents_page(request: Request) -> Response:
    actor = require_actor(request)
    async with request.app.state.uow(read_only=True) as uow:
        view, found = await safety.incidents(uow, actor, request.path_params["session_id"])
    return render(request, "dialogue/incidents.html", {"session": view.session, "incidents": found})


async def resolve_submit(request: Request) -> Response:
    actor = require_actor(request)
    await read_form(request)
    async with request.app.state.uow() as uow:
        await safety.resolve(uow, actor, request.path_params["session_id"], request.path_params["report_id"])
    flash.add(request, "The incident is resolved.")
    return RedirectResponse(f"/dialogue/{request.path_params['session_id']}/incidents", status_code=303)


async def after_page(request: Request, *, errors: dict[str, str] | None = None, status: int = 200) -> Response:
    actor = require_actor(request)
    async with request.app.state.uow(read_only=True) as uow:
        view, takeaways = await after.harvest(uow, actor, request.path_params["session_id"])
        results = await after.feedback_results(uow, actor, view.session.id) if view.is_facilitator else None
        rooms = await dialogue.harvest_rooms(uow, view.session)
    may_draft = after.may_draft_harvest(actor, view)
    context = {
        "view": view, "session": view.session, "takeaways": takeaways, "results": results, "rooms": rooms, "errors": errors or {},
        "min_answers": after.MIN_ANSWERS, "may_draft": may_draft,
    }
    return render(request, "dialogue/after.html", context, status_code=status)


async def takeaway_submit(request: Request) -> Response:
    actor = require_actor(request)
    form = await read_form(request)
    try:
        async with request.app.state.uow() as uow:
            await after.post_takeaway(uow, actor, request.path_params["session_id"], room=text(form, "room"), text=text(form, "text"))
    except Invalid as exc:
        return await after_page(request, errors={exc.field or "_form": exc.message}, status=400)
    flash.add(request, "Thank you. The facilitators review takeaways before the cohort sees them.")
    return RedirectResponse(f"/dialogue/{request.path_params['session_id']}/after", status_code=303)


async def review_submit(request: Request) -> Response:
    actor = require_actor(request)
    form = await read_form(request)
    async with request.app.state.uow() as uow:
        await after.review_takeaway(
            uow, actor, request.path_params["session_id"], request.path_params["takeaway_id"], decision=text(form, "decision"), text=text(form, "text")
        )
    return RedirectResponse(f"/dialogue/{request.path_params['session_id']}/after", status_code=303)


async def harvest_draft_submit(request: Request) -> Response:
    actor = require_actor(request)
    form = await read_form(request)
    try:
        async with request.app.state.uow() as uow:
            public_id = await after.draft_harvest_resource(uow, actor, request.path_params["session_id"], title=text(form, "title"))
    except Invalid as exc:
        return await after_page(request, errors={exc.field or "_form": exc.message}, status=400)
    flash.add(request, "The harvest is a knowledge-repository draft of the school; it is assessed before anyone else reads it.")
    return RedirectResponse(f"/knowledge/{public_id}", status_code=303)


async def feedback_submit(request: Request) -> Response:
    actor = require_actor(request)
    form = await read_form(request)
    try:
        async with request.app.state.uow() as uow:
            await after.answer_feedback(
                uow, actor, request.path_params["session_id"], learned=text(form, "learned"), safety=text(form, "safety"), change=text(form, "change")
            )
    except Invalid as exc:
        return await after_page(request, errors={exc.field or "_form": exc.message}, status=400)
    flash.add(request, "Thank you for your feedback. It is anonymous.")
    return RedirectResponse(f"/dialogue/{request.path_params['session_id']}/after", status_code=303)


async def debrief_submit(request: Request) -> Response:
    actor = require_actor(request)
    form = await read_form(request)
    async with request.app.state.uow() as uow:
        await after.save_debrief(uow, actor, request.path_params["session_id"], note=text(form, "note"))
    flash.add(request, "The debrief note is saved.")
    return RedirectResponse(f"/dialogue/{request.path_params['session_id']}/after#debrief-heading", status_code=303)


routes = [
    Route("/", index, name="index"),
    Route("/new", new_page, name="new"),
    Route("/", create_submit, methods=["POST"], name="create_submit"),
    Route("/{session_id}", session_page, name="session"),
    Route("/{session_id}/accept", accept_submit, methods=["POST"], name="accept_submit"),
    Route("/{session_id}/hand", hand_submit, methods=["POST"], name="hand_submit"),
    Route("/{session_id}/affinity", affinity_submit, methods=["POST"], name="affinity_submit"),
    Route("/{session_id}/facilitate", facilitate_submit, methods=["POST"], name="facilitate_submit"),
    Route("/{session_id}/signal", signal_submit, methods=["POST"], name="signal_submit"),
    Route("/{session_id}/line", line_submit, methods=["POST"], name="line_submit"),
    Route("/{session_id}/report", report_submit, methods=["POST"], name="report_submit"),
    Route("/{session_id}/incidents", incidents_page, name="incidents"),
    Route("/{session_id}/incidents/{report_id}/resolve", resolve_submit, methods=["POST"], name="resolve_submit"),
    Route("/{session_id}/after", after_page, name="after"),
    Route("/{session_id}/takeaways", takeaway_submit, methods=["POST"], name="takeaway_submit"),
    Route("/{session_id}/takeaways/{takeaway_id}/review", review_submit, methods=["POST"], name="review_submit"),
    Route("/{session_id}/harvest-draft", harvest_draft_submit, methods=["POST"], name="harvest_draft_submit"),
    Route("/{session_id}/feedback", feedback_submit, methods=["POST"], name="feedback_submit"),
    Route("/{session_id}/debrief", debrief_submit, methods=["POST"], name="debrief_submit"),
    Route("/{session_id}/reveal", reveal_submit, methods=["POST"], name="reveal_submit"),
]
