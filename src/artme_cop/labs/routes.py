"""HTTP adapters of the team learning labs: the labs index, team registration and rosters,
a team's page, its channels with threads and pins, and the lab sessions. Each parses, calls
one service function, renders or redirects. Domain errors become the shared error pages
(404 for anything private, 403, 400), so a refused request changes nothing.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from artme_cop.attachments.routes import read_upload_form
from artme_cop.attachments.service import TooLarge
from artme_cop.conversations import service as conversations
from artme_cop.conversations.models import REACTIONS
from artme_cop.errors import Invalid, NotFound
from artme_cop.labs import progress as lab_progress
from artme_cop.labs import progress_routes as progress
from artme_cop.labs import service as labs
from artme_cop.labs import session_routes as sessions
from artme_cop.labs import sessions as lab_sessions
from artme_cop.web import flash
from artme_cop.web.auth import require_actor
from artme_cop.web.csrf import read_form
from artme_cop.web.forms import confirmed, page_key, text
from artme_cop.web.templating import render


def _roster(form: FormData) -> labs.Roster:
    members = labs.parse_ids([v for v in form.getlist("members") if isinstance(v, str)], "members")
    leads = labs.parse_ids([v for v in form.getlist("leads") if isinstance(v, str)], "leads")
    return labs.Roster(members, leads, labs.parse_id(text(form, "facilitator"), "facilitator"))


def _see_other(path: str) -> RedirectResponse:
    return RedirectResponse(path, status_code=303)


# --- teams ------------------------------------------------------------------------------------


async def index(request: Request) -> Response:
    actor = require_actor(request)
    async with request.app.state.uow(read_only=True) as uow:
        teams = await labs.my_teams(uow, actor)
        managed = await labs.managed_teams(uow, actor)
        schools = await labs.registrable_institutions(uow, actor)
        upcoming = await lab_sessions.my_sessions(uow, actor)
    return render(request, "labs/index.html", {"teams": teams, "managed": managed, "schools": schools, "sessions": upcoming})


async def new_team_page(request: Request, *, errors: dict[str, str] | None = None, status: int = 200, form: dict[str, str] | None = None) -> Response:
    actor = require_actor(request)
    async with request.app.state.uow(read_only=True) as uow:
        schools = await labs.registrable_institutions(uow, actor)
        if not schools:
            return render(request, "errors/error.html", {"title": "Not allowed", "message": "Only a school's lead or a unit manager they named registers teams.", "status": 403}, status_code=403)
        chosen = page_key(request.query_params.get("institution")) or schools[0].id
        school = next((s for s in schools if s.id == chosen), schools[0])
        people = await labs.people_at(uow, school.id)
    context = {"school": school, "schools": schools, "people": people, "errors": errors or {}, "form": form or {}}
    return render(request, "labs/new_team.html", context, status_code=status)


async def register_team(request: Request) -> Response:
    actor = require_actor(request)
    form = await read_form(request)
    try:
        async with request.app.state.uow() as uow:
            team = await labs.register_team(
                uow, actor, institution_id=text(form, "institution"), name=text(form, "name"), unit=text(form, "unit"), purpose=text(form, "purpose"), roster=_roster(form)
            )
    except Invalid as exc:
        values = {name: text(form, name) for name in ("name", "unit", "purpose")}
        return await new_team_page(request, errors={exc.field or "_form": exc.message}, status=400, form=values)
    flash.add(request, "The team is registered, with its general channel.")
    return _see_other(f"/labs/teams/{team.id}")


async def team_page(request: Request) -> Response:
    actor = require_actor(request)
    async with request.app.state.uow(read_only=True) as uow:
        page = await lab_progress.team_overview(uow, actor, request.path_params["team_id"])
    return render(request, "labs/team.html", {"page": page})


async def roster_page(request: Request) -> Response:
    actor = require_actor(request)
    async with request.app.state.uow(read_only=True) as uow:
        view = await labs.roster_view(uow, actor, request.path_params["team_id"])
    return render(request, "labs/roster.html", {"view": view})


async def change_roster(request: Request) -> Response:
    actor = require_actor(request)
    form = await read_form(request)
    async with request.app.state.uow() as uow:
        await labs.change_roster(uow, actor, request.path_params["team_id"], _roster(form))
    flash.add(request, "The roster is saved; every channel of the team follows it.")
    return _see_other(f"/labs/teams/{request.path_params['team_id']}/roster")


async def name_manager(request: Request) -> Response:
    actor = require_actor(request)
    form = await read_form(request)
    async with request.app.state.uow() as uow:
        await labs.name_manager(uow, actor, request.path_params["institution_id"], text(form, "person"))
    flash.add(request, "The unit manager can now register and staff teams.")
    return _see_other("/labs/")


async def open_channel(request: Request) -> Response:
    actor = require_actor(request)
    form = await read_form(request)
    async with request.app.state.uow() as uow:
        channel = await labs.open_channel(uow, actor, request.path_params["team_id"], name=text(form, "name"))
    return _see_other(f"/labs/channels/{channel.id}")


# --- channels ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Refused:
    """A channel form the service refused, shown again with its text and the reason."""

    form: str  # "post", "reply" or "edit"
    body: str
    message: str
    seq: int | None = None  # the edited message


async def channel_page(request: Request, *, refused: Refused | None = None, thread: str | None = None, status: int = 200) -> Response:
    actor = require_actor(request)
    asked = request.query_params.get("thread") if thread is None else thread
    thread_seq = page_key(asked)
    if asked and thread_seq is None:
        thread_seq = 0  # a malformed thread number is a missing thread
    async with request.app.state.uow() as uow:
        view = await labs.view_channel(uow, actor, request.path_params["channel_id"], thread=thread_seq)
    context = {"view": view, "reactions": REACTIONS, "client_msg_id": uuid.uuid4().hex, "refused": refused}
    return render(request, "labs/channel.html", context, status_code=status)


async def mentions(request: Request) -> Response:
    """People of the team to @mention in this channel, as JSON for the message box's helper."""
    actor = require_actor(request)
    async with request.app.state.uow(read_only=True) as uow:
        people = await labs.mention_candidates(uow, actor, request.path_params["channel_id"], prefix=request.query_params.get("q", ""))
    return JSONResponse({"people": [{"id": p.id, "name": p.display_name, "pronouns": p.pronouns, "token": f"@**{p.display_name}|{p.id}**"} for p in people]})


async def post_message(request: Request) -> Response:
    """A message from the form, with one attached file when the form is multipart."""
    actor = require_actor(request)
    upload = None
    if request.headers.get("content-type", "").startswith("multipart/form-data"):
        form, upload = await read_upload_form(request)
    else:
        form = await read_form(request)
    channel_id = request.path_params["channel_id"]
    fields = {"body": text(form, "body"), "client_msg_id": text(form, "client_msg_id"), "reply_to": text(form, "reply_to") or None, "confirmed": confirmed(form)}
    try:
        async with request.app.state.uow() as uow:
            posted = await labs.post(uow, actor, channel_id, upload=upload, **fields)
            root = await labs.thread_root(uow, posted.conversation_id, posted.seq)
    except Invalid as exc:  # the text is kept; a refused file (TooLarge: 413) must be chosen again
        status = 413 if isinstance(exc, TooLarge) else 400
        thread_root = page_key(fields["reply_to"]) if exc.field != "reply_to" else None
        if thread_root is not None:
            try:
                return await channel_page(request, refused=Refused("reply", fields["body"], exc.message), thread=str(thread_root), status=status)
            except NotFound:
                pass  # not a thread's root (a post from elsewhere): the text goes back to the channel's box
        return await channel_page(request, refused=Refused("post", fields["body"], exc.message), thread="", status=status)
    thread = f"?thread={root}" if root != posted.seq else ""
    return _see_other(f"/labs/channels/{channel_id}{thread}#m{posted.seq}")


async def pin_message(request: Request) -> Response:
    actor = require_actor(request)
    form = await read_form(request)
    channel_id, seq = request.path_params["channel_id"], request.path_params["seq"]
    async with request.app.state.uow() as uow:
        await labs.set_pin(uow, actor, channel_id, seq, pinned=text(form, "pinned") != "0")
    return _see_other(f"/labs/channels/{channel_id}#m{seq}")


async def edit_message(request: Request) -> Response:
    actor = require_actor(request)
    form = await read_form(request)
    channel_id, seq = request.path_params["channel_id"], request.path_params["seq"]
    body = text(form, "body")
    try:
        async with request.app.state.uow() as uow:
            channel = await labs.channel_message(uow, actor, channel_id)
            await conversations.edit_message(uow, actor, channel.conversation_id, seq, body=body, confirmed=confirmed(form))
    except Invalid as exc:
        refused = Refused("edit", body, exc.message, seq=page_key(seq))
        return await channel_page(request, refused=refused, thread=text(form, "thread"), status=400)
    return _see_other(f"/labs/channels/{channel_id}#m{seq}")


async def delete_message(request: Request) -> Response:
    actor = require_actor(request)
    await read_form(request)
    channel_id, seq = request.path_params["channel_id"], request.path_params["seq"]
    async with request.app.state.uow() as uow:
        channel = await labs.channel_message(uow, actor, channel_id)
        await conversations.delete_message(uow, actor, channel.conversation_id, seq)
    return _see_other(f"/labs/channels/{channel_id}#m{seq}")


async def react(request: Request) -> Response:
    actor = require_actor(request)
    form = await read_form(request)
    channel_id, seq = request.path_params["channel_id"], request.path_params["seq"]
    async with request.app.state.uow() as uow:
        channel = await labs.channel_message(uow, actor, channel_id)
        await conversations.react(uow, actor, channel.conversation_id, seq, emoji=text(form, "emoji"), on=text(form, "on") != "0")
    return _see_other(f"/labs/channels/{channel_id}#m{seq}")


routes = [
    Route("/", index, name="index"),
    Route("/teams/new", new_team_page, name="new_team"),
    Route("/teams", register_team, methods=["POST"], name="register_team"),
    Route("/teams/{team_id}", team_page, name="team"),
    Route("/teams/{team_id}/roster", roster_page, name="roster"),
    Route("/teams/{team_id}/roster", change_roster, methods=["POST"], name="change_roster"),
    Route("/teams/{team_id}/channels", open_channel, methods=["POST"], name="open_channel"),
    Route("/institutions/{institution_id}/managers", name_manager, methods=["POST"], name="name_manager"),
    Route("/channels/{channel_id}", channel_page, name="channel"),
    Route("/channels/{channel_id}/mentions", mentions, name="mentions"),
    Route("/channels/{channel_id}/messages", post_message, methods=["POST"], name="post_message"),
    Route("/channels/{channel_id}/messages/{seq}/pin", pin_message, methods=["POST"], name="pin"),
    Route("/channels/{channel_id}/messages/{seq}/edit", edit_message, methods=["POST"], name="edit"),
    Route("/channels/{channel_id}/messages/{seq}/delete", delete_message, methods=["POST"], name="delete"),
    Route("/channels/{channel_id}/messages/{seq}/react", react, methods=["POST"], name="react"),
    *sessions.routes,
    *progress.routes,
]
