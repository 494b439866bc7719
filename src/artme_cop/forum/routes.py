"""HTTP adapters of the forum: the category and thread lists, a thread's pages, the forms
to start, reply, quote, edit, delete, react, bookmark and watch, the moderators' lock, pin
and move, category management, and the small JSON helpers the pages' scripts use (the
markdown preview and the mention autocomplete). Each parses, calls the service, renders.
"""

from __future__ import annotations

import uuid
from typing import Any, Awaitable, Callable
from urllib.parse import urlencode

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from artme_cop import ratelimit
from artme_cop.conversations import service as conversations
from artme_cop.conversations.models import REACTIONS
from artme_cop.errors import Conflict, Forbidden, Invalid
from artme_cop.forum import search as forum_search
from artme_cop.forum import service as forum
from artme_cop.forum.models import StartRule, WatchLevel
from artme_cop.policy import Actor
from artme_cop.web import flash
from artme_cop.web.auth import require_actor
from artme_cop.web.csrf import read_form
from artme_cop.web.forms import confirmed, page_key, text
from artme_cop.web.templating import render


def _thread_url(thread_id: int, seq: int | None = None) -> str:
    if seq is None:
        return f"/forum/threads/{thread_id}"
    return f"/forum/threads/{thread_id}?page={forum.page_of(seq)}#p{seq}"


# --- lists ------------------------------------------------------------------------------------


async def index(request: Request) -> Response:
    actor = require_actor(request)
    async with request.app.state.uow(read_only=True) as uow:
        categories = await forum.list_categories(uow, actor)
        latest = await forum.list_threads(uow, actor, limit=10)
    return render(request, "forum/index.html", {"categories": categories, "threads": latest})


async def latest(request: Request) -> Response:
    return await _thread_list(request, category_ref=None)


async def category_page(request: Request) -> Response:
    return await _thread_list(request, category_ref=request.path_params["slug"])


async def _thread_list(request: Request, *, category_ref: str | None) -> Response:
    actor = require_actor(request)
    order = forum.parse_order(request.query_params.get("sort"))
    cursor = forum.parse_cursor(request.query_params.get("cursor"), order)
    async with request.app.state.uow(read_only=True) as uow:
        category = await forum.get_category(uow, category_ref) if category_ref else None
        rows = await forum.list_threads(uow, actor, category=category, order=order, cursor=cursor)
        pinned = await forum.pinned_threads(uow, actor, category) if category and cursor is None else []
    context = {
        "category": category,
        "threads": rows,
        "pinned": pinned,
        "order": order.value,
        "next_cursor": forum.next_cursor(rows, order, forum.THREAD_PAGE),
        "is_first_page": cursor is None,
    }
    return render(request, "forum/list.html", context)


async def bookmarks(request: Request) -> Response:
    actor = require_actor(request)
    async with request.app.state.uow(read_only=True) as uow:
        rows = await forum.list_bookmarks(uow, actor)
    return render(request, "forum/bookmarks.html", {"bookmarks": rows, "page_of": forum.page_of})


SEARCH_FIELDS = ("q", "category", "scope", "author", "since", "until")


async def search(request: Request) -> Response:
    """The search form, and its results when there is something to look for."""
    actor = require_actor(request)
    params = request.query_params
    form = {name: params.get(name, "") for name in SEARCH_FIELDS}
    results, errors, status = None, {}, 200
    async with request.app.state.uow(read_only=True) as uow:
        categories = [category for category, _ in await forum.list_categories(uow, actor)]
        if form["q"].strip():
            await request.app.state.rate_limiter.spend(ratelimit.SEARCH, actor.person_id)
            try:
                results = await forum_search.search_posts(uow, actor, query=form["q"], category=form["category"], scope=form["scope"], author=form["author"], since=form["since"], until=form["until"], cursor=params.get("cursor"))
            except Invalid as exc:
                errors, status = {exc.field if exc.field in SEARCH_FIELDS else "_form": exc.message}, 400
    more = f"/forum/search?{urlencode({**form, 'cursor': results.next_cursor})}" if results and results.next_cursor else None
    context = {"form": form, "categories": categories, "results": results, "errors": errors, "more_url": more, "is_first_page": not params.get("cursor")}
    return render(request, "forum/search.html", context, status_code=status)


# --- starting a thread --------------------------------------------------------------------


async def new_thread_page(request: Request, *, form: dict[str, str] | None = None, errors: dict[str, str] | None = None, preview: str | None = None, status: int = 200) -> Response:
    actor = require_actor(request)
    async with request.app.state.uow(read_only=True) as uow:
        categories = [category for category, _ in await forum.list_categories(uow, actor)]
        places = await forum.places(uow, actor)
    values = form or {"category": request.query_params.get("category", ""), "client_msg_id": uuid.uuid4().hex}
    context = {"categories": categories, "places": places, "form": values, "errors": errors or {}, "preview": preview}
    return render(request, "forum/new.html", context, status_code=status)


async def create_thread(request: Request) -> Response:
    actor = require_actor(request)
    form = await read_form(request)
    values = {name: text(form, name) for name in ("category", "where", "title", "body", "client_msg_id")}
    if text(form, "action") == "preview":
        await request.app.state.rate_limiter.spend(ratelimit.PREVIEW, actor.person_id)
        return await new_thread_page(request, form=values, preview=_preview_or_empty(values["body"]))
    try:
        async with request.app.state.uow() as uow:
            thread = await forum.start_thread(
                uow, actor, category=values["category"], where=values["where"], title=values["title"], body=values["body"], client_msg_id=values["client_msg_id"],
                confirmed=confirmed(form),
            )
    except (Invalid, Forbidden) as exc:
        status = 403 if isinstance(exc, Forbidden) else 400
        field = exc.field if exc.field in {"category", "where", "title", "body"} else "_form"
        return await new_thread_page(request, form=values, errors={field: exc.message}, status=status)
    return RedirectResponse(_thread_url(thread.id), status_code=303)


def _preview_or_empty(body: str) -> str:
    try:
        return forum.preview(body)
    except Invalid:
        return ""


async def preview(request: Request) -> Response:
    actor = require_actor(request)
    form = await read_form(request)
    await request.app.state.rate_limiter.spend(ratelimit.PREVIEW, actor.person_id)
    try:
        return JSONResponse({"html": forum.preview(text(form, "body"))})
    except Invalid as exc:
        return JSONResponse({"error": {"code": exc.code, "message": exc.message}}, status_code=400)


async def mentions(request: Request) -> Response:
    actor = require_actor(request)
    params = request.query_params
    async with request.app.state.uow(read_only=True) as uow:
        people = await forum.mention_candidates(uow, actor, prefix=params.get("q", ""), thread_ref=params.get("thread"), where=params.get("where"))
    return JSONResponse({"people": [{"id": p.id, "name": p.display_name, "pronouns": p.pronouns, "token": f"@**{p.display_name}|{p.id}**"} for p in people]})


# --- a thread -----------------------------------------------------------------------------


async def thread_page(request: Request, *, form: dict[str, str] | None = None, errors: dict[str, str] | None = None, status: int = 200) -> Response:
    actor = require_actor(request)
    params = request.query_params
    thread_id = request.path_params["thread_id"]
    post = page_key(params.get("post"))
    page = forum.page_of(post) if post else page_key(params.get("page"))
    async with request.app.state.uow(read_only=True) as uow:
        view = await forum.read_thread(uow, actor, thread_id, page=page, unread=params.get("unread") == "1")
        categories = [category for category, _ in await forum.list_categories(uow, actor)] if view.can_moderate else []
        quoted = await _quoted(uow, actor, thread_id, params.get("quote")) if form is None else ""
    if view.posts and status == 200:
        async with request.app.state.uow() as uow:
            await conversations.mark_read(uow, actor, view.row.conversation.id, seq=view.posts[-1]["seq"])
    reply_to = page_key(params.get("reply_to"))
    values = form or {"body": quoted, "client_msg_id": uuid.uuid4().hex, "reply_to": str(reply_to or "")}
    context: dict[str, Any] = {
        "view": view, "thread": view.row.thread, "conversation": view.row.conversation, "category": view.row.category,
        "form": values, "errors": errors or {}, "categories": categories, "reactions": REACTIONS,
        "watch_levels": [level.value for level in WatchLevel], "is_last_page": view.page == view.pages,
    }
    return render(request, "forum/thread.html", context, status_code=status)


async def _quoted(uow: Any, actor: Any, thread_id: object, seq: str | None) -> str:
    if not seq:
        return ""
    try:
        return await forum.quote(uow, actor, thread_id, seq)
    except (Invalid, LookupError):
        return ""


async def reply(request: Request) -> Response:
    actor = require_actor(request)
    form = await read_form(request)
    values = {name: text(form, name) for name in ("body", "client_msg_id", "reply_to")}
    thread_id = request.path_params["thread_id"]
    try:
        async with request.app.state.uow() as uow:
            posted = await forum.reply(
                uow, actor, thread_id, body=values["body"], client_msg_id=values["client_msg_id"], reply_to=values["reply_to"] or None, confirmed=confirmed(form)
            )
    except (Invalid, Forbidden) as exc:
        status = 403 if isinstance(exc, Forbidden) else 400
        return await thread_page(request, form=values, errors={"body": exc.message}, status=status)
    return RedirectResponse(_thread_url(int(thread_id), posted.seq), status_code=303)


async def edit_page(request: Request, *, body: str | None = None, errors: dict[str, str] | None = None, status: int = 200) -> Response:
    actor = require_actor(request)
    async with request.app.state.uow(read_only=True) as uow:
        thread, conversation = await forum.access_thread(uow, actor, request.path_params["thread_id"])
        message = await forum.own_post(uow, actor, conversation, request.path_params["seq"])
    context = {"thread": thread, "message": message, "form": {"body": message.body if body is None else body}, "errors": errors or {}}
    return render(request, "forum/edit.html", context, status_code=status)


async def edit_submit(request: Request) -> Response:
    actor = require_actor(request)
    form = await read_form(request)
    thread_id, seq = request.path_params["thread_id"], request.path_params["seq"]
    try:
        async with request.app.state.uow() as uow:
            message = await forum.edit_post(uow, actor, thread_id, seq, body=text(form, "body"), confirmed=confirmed(form))
    except (Invalid, Conflict) as exc:
        return await edit_page(request, body=text(form, "body"), errors={"body": exc.message}, status=400 if isinstance(exc, Invalid) else 409)
    return RedirectResponse(_thread_url(int(thread_id), message.seq), status_code=303)


async def delete_submit(request: Request) -> Response:
    actor = require_actor(request)
    await read_form(request)
    thread_id, seq = request.path_params["thread_id"], request.path_params["seq"]
    async with request.app.state.uow() as uow:
        message = await forum.delete_post(uow, actor, thread_id, seq)
    flash.add(request, "The post was deleted.")
    return RedirectResponse(_thread_url(int(thread_id), message.seq), status_code=303)


async def react_submit(request: Request) -> Response:
    actor = require_actor(request)
    form = await read_form(request)
    thread_id, seq = request.path_params["thread_id"], request.path_params["seq"]
    async with request.app.state.uow() as uow:
        await forum.react(uow, actor, thread_id, seq, emoji=text(form, "emoji"), on=text(form, "on") != "0")
    return RedirectResponse(_thread_url(int(thread_id), int(seq)), status_code=303)


async def bookmark_submit(request: Request) -> Response:
    actor = require_actor(request)
    await read_form(request)
    thread_id, seq = request.path_params["thread_id"], request.path_params["seq"]
    async with request.app.state.uow() as uow:
        now_bookmarked = await forum.toggle_bookmark(uow, actor, thread_id, seq)
    flash.add(request, "Bookmarked." if now_bookmarked else "Bookmark removed.")
    return RedirectResponse(_thread_url(int(thread_id), int(seq)), status_code=303)


async def watch_submit(request: Request) -> Response:
    actor = require_actor(request)
    form = await read_form(request)
    thread_id = request.path_params["thread_id"]
    async with request.app.state.uow() as uow:
        level = await forum.set_watch(uow, actor, thread_id, text(form, "level"))
    flash.add(request, {"watching": "You are watching this thread.", "muted": "This thread is muted.", "normal": "You will be told only of mentions and replies."}[level])
    return RedirectResponse(_thread_url(int(thread_id)), status_code=303)


# --- moderation of threads --------------------------------------------------------------------


async def _moderate(request: Request, change: Callable[[Any, Actor, str, FormData], Awaitable[None]], done: Callable[[FormData], str]) -> Response:
    """Run one moderator's change on the thread of the path, then show the thread again."""
    actor = require_actor(request)
    form = await read_form(request)
    thread_id = request.path_params["thread_id"]
    async with request.app.state.uow() as uow:
        await change(uow, actor, thread_id, form)
    flash.add(request, done(form))
    return RedirectResponse(_thread_url(int(thread_id)), status_code=303)


async def lock_submit(request: Request) -> Response:
    async def change(uow: Any, actor: Actor, thread_id: str, form: FormData) -> None:
        await forum.set_locked(uow, actor, thread_id, text(form, "locked") == "1", reason=text(form, "reason"))

    return await _moderate(request, change, lambda form: "The thread is locked." if text(form, "locked") == "1" else "The thread is open again.")


async def pin_submit(request: Request) -> Response:
    async def change(uow: Any, actor: Actor, thread_id: str, form: FormData) -> None:
        await forum.set_pinned(uow, actor, thread_id, text(form, "pinned") == "1")

    return await _moderate(request, change, lambda form: "The thread is pinned." if text(form, "pinned") == "1" else "The thread is unpinned.")


async def move_submit(request: Request) -> Response:
    async def change(uow: Any, actor: Actor, thread_id: str, form: FormData) -> None:
        await forum.move_thread(uow, actor, thread_id, text(form, "category"))

    return await _moderate(request, change, lambda form: "The thread was moved.")


# --- categories (program admins) -------------------------------------------------------------


async def categories_page(request: Request, *, errors: dict[str, str] | None = None, form: dict[str, str] | None = None, status: int = 200) -> Response:
    actor = require_actor(request)
    forum.require_category_manager(actor)
    async with request.app.state.uow(read_only=True) as uow:
        categories = [category for category, _ in await forum.list_categories(uow, actor)]
    context = {"categories": categories, "rules": [rule.value for rule in StartRule], "errors": errors or {}, "form": form or {}}
    return render(request, "forum/categories.html", context, status_code=status)


def _category_fields(form: Any) -> forum.CategoryFields:
    return forum.clean_category(name=text(form, "name"), description=text(form, "description"), position=text(form, "position"), start_rule=text(form, "start_rule"))


async def category_create(request: Request) -> Response:
    actor = require_actor(request)
    form = await read_form(request)
    forum.require_category_manager(actor)
    try:
        fields = _category_fields(form)
    except Invalid as exc:
        values = {name: text(form, name) for name in ("name", "description", "position", "start_rule")}
        return await categories_page(request, errors={exc.field or "name": exc.message}, form=values, status=400)
    async with request.app.state.uow() as uow:
        await forum.create_category(uow, actor, fields)
    flash.add(request, "The category was added.")
    return RedirectResponse("/forum/categories", status_code=303)


async def category_update(request: Request) -> Response:
    actor = require_actor(request)
    form = await read_form(request)
    forum.require_category_manager(actor)
    try:
        fields = _category_fields(form)
    except Invalid as exc:
        return await categories_page(request, errors={f"{request.path_params['category_id']}": exc.message}, status=400)
    async with request.app.state.uow() as uow:
        await forum.update_category(uow, actor, request.path_params["category_id"], fields)
    flash.add(request, "The category was saved.")
    return RedirectResponse("/forum/categories", status_code=303)


routes = [
    Route("/", index, name="index"),
    Route("/latest", latest, name="latest"),
    Route("/c/{slug}", category_page, name="category"),
    Route("/bookmarks", bookmarks, name="bookmarks"),
    Route("/search", search, name="search"),
    Route("/new", new_thread_page, name="new_thread"),
    Route("/threads", create_thread, methods=["POST"], name="create_thread"),
    Route("/preview", preview, methods=["POST"], name="preview"),
    Route("/mentions", mentions, name="mentions"),
    Route("/threads/{thread_id}", thread_page, name="thread"),
    Route("/threads/{thread_id}/posts", reply, methods=["POST"], name="reply"),
    Route("/threads/{thread_id}/posts/{seq}/edit", edit_page, name="edit"),
    Route("/threads/{thread_id}/posts/{seq}/edit", edit_submit, methods=["POST"], name="edit_submit"),
    Route("/threads/{thread_id}/posts/{seq}/delete", delete_submit, methods=["POST"], name="delete"),
    Route("/threads/{thread_id}/posts/{seq}/react", react_submit, methods=["POST"], name="react"),
    Route("/threads/{thread_id}/posts/{seq}/bookmark", bookmark_submit, methods=["POST"], name="bookmark"),
    Route("/threads/{thread_id}/watch", watch_submit, methods=["POST"], name="watch"),
    Route("/threads/{thread_id}/lock", lock_submit, methods=["POST"], name="lock"),
    Route("/threads/{thread_id}/pin", pin_submit, methods=["POST"], name="pin"),
    Route("/threads/{thread_id}/move", move_submit, methods=["POST"], name="move"),
    Route("/categories", categories_page, name="categories"),
    Route("/categories", category_create, methods=["POST"], name="category_create"),
    Route("/categories/{category_id}", category_update, methods=["POST"], name="category_update"),
]
