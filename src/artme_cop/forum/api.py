"""The forum's JSON endpoints, under /api/forum: the JSON twins of `forum/routes.py`.

Each handler reads the checked input the API wrapper hands it, calls one forum service
function in one unit of work, and shapes the result; the wrapper (web/api.py) does the
session, CSRF, body and type checks and turns domain errors into JSON errors. Posts are the
WebSocket `message` payload (conversations.service.message_payload) plus the forum's extras.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from artme_cop import ratelimit
from artme_cop.conversations import service as conversations
from artme_cop.conversations.models import REACTIONS
from artme_cop.forum import search
from artme_cop.forum import service as forum
from artme_cop.forum.models import Category, StartRule, WatchLevel
from artme_cop.forum.queries import ThreadOrder, ThreadRow
from artme_cop.policy import SpaceScope
from artme_cop.web.api import (
    BOOLEAN,
    ID_OR_SLUG,
    INTEGER,
    STRING,
    ApiCall,
    ApiFailure,
    ApiRouter,
    Field,
    Reply,
    Result,
    created,
    no_content,
    ok,
    path_id,
    query,
)

# --- response schemas ------------------------------------------------------------------------------


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _object(properties: dict[str, Any], description: str = "") -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "object", "required": sorted(properties), "properties": properties}
    if description:
        schema["description"] = description
    return schema


def _list_of(name: str) -> dict[str, Any]:
    return {"type": "array", "items": _ref(name)}


_INT, _STR, _BOOL, _TIME = {"type": "integer"}, {"type": "string"}, {"type": "boolean"}, {"type": "string", "format": "date-time"}
_NULL_INT = {"type": ["integer", "null"]}

SCHEMAS: dict[str, dict[str, Any]] = {
    "Category": _object(
        {
            "id": _INT, "slug": _STR, "name": _STR, "description": _STR, "position": _INT,
            "phase": {"type": ["integer", "null"], "description": "The program phase (1-6) the category follows; null for general ones."},
            "start_rule": {"type": "string", "enum": [rule.value for rule in StartRule]},
            "thread_count": {"type": ["integer", "null"], "description": "Threads in it the caller may see (null in answers to writes)."},
        }
    ),
    "CategoryList": _object({"categories": _list_of("Category")}),
    "Space": _object(
        {"scope": {"type": "string", "enum": ["consortium", "institution", "cohort"]}, "institution_id": _NULL_INT, "cohort_id": _NULL_INT},
        "Where a thread lives; it decides who may read it.",
    ),
    "ThreadSummary": _object(
        {
            "id": _INT, "conversation": {"type": "integer", "description": "The conversation id: the WebSocket topic is conv:<id>."},
            "title": _STR, "category": _ref("CategoryRef"), "space": _ref("Space"), "author": _ref("Author"),
            "last_author": {"oneOf": [_ref("Author"), {"type": "null"}]}, "post_count": _INT, "created_at": _TIME, "last_post_at": _TIME,
            "pinned": _BOOL, "locked": _BOOL, "unread": {"type": "integer", "description": "Posts after the caller's read marker."},
            "is_new": {"type": "boolean", "description": "The caller has never read it."},
            "watch": {"type": "string", "enum": [level.value for level in WatchLevel]},
        }
    ),
    "CategoryRef": _object({"id": _INT, "slug": _STR, "name": _STR}),
    "ThreadList": _object(
        {
            "threads": _list_of("ThreadSummary"),
            "pinned": {**_list_of("ThreadSummary"), "description": "A category's pinned threads, on its first page only."},
            "next_cursor": {"type": ["string", "null"], "description": "Pass as `cursor` for the next page; null on the last."},
        }
    ),
    "Reaction": _object({"emoji": {"type": "string", "enum": list(REACTIONS)}, "count": _INT, "mine": _BOOL}),
    "Post": _object(
        {
            "conversation": _INT, "seq": _INT, "author": _ref("Author"),
            "html": {"type": "string", "description": "Sanitized HTML; empty when deleted or hidden."},
            "deleted": _BOOL, "hidden": _BOOL, "reply_to": _NULL_INT, "client_msg_id": _STR, "created_at": _TIME,
            "edited_at": {"type": ["string", "null"], "format": "date-time"},
            "reactions": _list_of("Reaction"), "reply_to_name": _STR, "mine": _BOOL, "bookmarked": _BOOL,
            "body": {"type": "string", "description": "The markdown source, for the caller's own posts (to edit them); empty otherwise."},
        },
        "The WebSocket `message` payload plus the forum's extras.",
    ),
    "ThreadPage": _object(
        {
            "thread": _ref("ThreadSummary"), "posts": _list_of("Post"), "page": _INT, "pages": _INT,
            "first_unread": {"type": ["integer", "null"], "description": "The seq of the caller's first unread post."},
            "can_post": _BOOL, "can_moderate": _BOOL,
        }
    ),
    "PostList": _object({"posts": _list_of("Post"), "page": _NULL_INT, "pages": _NULL_INT}),
    "ThreadCreated": _object({"id": _INT, "conversation": _INT, "url": _STR}),
    "Posted": _object(
        {"thread": _INT, "conversation": _INT, "seq": _INT, "client_msg_id": _STR, "duplicate": {"type": "boolean", "description": "True when this client_msg_id had already posted it."}},
        "The acknowledgement of a reply, as the WebSocket `send` ack.",
    ),
    "Reactions": _object({"counts": {"type": "object", "additionalProperties": {"type": "integer"}}}),
    "BookmarkState": _object({"bookmarked": _BOOL}),
    "WatchState": _object({"level": {"type": "string", "enum": [level.value for level in WatchLevel]}}),
    "ReadState": _object({"last_read_seq": _INT}),
    "LockState": _object({"id": _INT, "locked": _BOOL}),
    "PinState": _object({"id": _INT, "pinned": _BOOL}),
    "MoveState": _object({"id": _INT, "category": _INT}),
    "Bookmark": _object({"thread": _INT, "title": _STR, "seq": _INT, "page": _INT, "bookmarked_at": _TIME}),
    "BookmarkList": _object({"bookmarks": _list_of("Bookmark")}),
    "Place": _object({"value": {"type": "string", "description": "The `where` value to start a thread there."}, "label": _STR, "space": _ref("Space")}),
    "PlaceList": _object({"places": _list_of("Place")}),
    "MentionCandidate": _object({"id": _INT, "name": _STR, "pronouns": _STR, "token": {"type": "string", "description": "The markdown that mentions them."}}),
    "MentionList": _object({"people": _list_of("MentionCandidate")}),
    "Preview": _object({"html": _STR}),
    "TextPiece": _object(
        {"text": {"type": "string", "description": "Plain text: escape it to show it."}, "highlighted": {"type": "boolean", "description": "Part of what was searched for."}},
        "A piece of a title or snippet; never HTML.",
    ),
    "SearchHit": _object(
        {
            "thread": _INT, "seq": _INT, "page": {"type": "integer", "description": "The page of the thread the post is on."},
            "title": {"type": "array", "items": _ref("TextPiece"), "description": "The thread's title, highlighted when it matched (on first posts)."},
            "snippet": {"type": "array", "items": _ref("TextPiece"), "description": "Words around the match in the post."},
            "category": _object({"slug": _STR, "name": _STR}), "scope": {"type": "string", "enum": [scope.value for scope in SpaceScope]},
            "author": {"type": "string", "description": "The author's name."}, "created_at": _TIME,
        }
    ),
    "SearchResults": _object(
        {"hits": _list_of("SearchHit"), "next_cursor": {"type": ["string", "null"], "description": "Pass as `cursor` for the next page; null on the last."}}
    ),
    "Quote": _object({"markdown": _STR}),
}

router = ApiRouter("/forum", tag="forum", description="Categories, threads and posts of the consortium's forum.", schemas=SCHEMAS)

THREAD = path_id("thread_id", "thread")
SEQ = path_id("seq", "post (its seq in the thread)")
BODY = Field("body", STRING, "The post's markdown.", required=True, max_length=conversations.MAX_BODY)
CONFIRM = Field(
    "confirm", BOOLEAN,
    "true: post the text although the screen for patient identifiers warned about it (a first try without it gets 409 `confirm_needed`; the post is then flagged for the moderators).",
)
CLIENT_MSG_ID = Field("client_msg_id", STRING, "Chosen by the client (1-64 of A-Z a-z 0-9 _ . : -); a retry with the same one stores nothing twice.", required=True, max_length=64)
CATEGORY_FIELDS = (
    Field("name", STRING, "The category's name.", required=True, max_length=100),
    Field("description", STRING, "What belongs there.", required=True, max_length=1000),
    Field("position", INTEGER, "Its place in the list (0-100000).", required=True),
    Field("start_rule", STRING, "Who may start threads in it.", required=True, enum=tuple(rule.value for rule in StartRule)),
)


# --- shapes ----------------------------------------------------------------------------------------


def _time(value: datetime) -> str:
    return value.isoformat()


def category_json(category: Category, thread_count: int | None = None) -> dict[str, Any]:
    return {
        "id": category.id, "slug": category.slug, "name": category.name, "description": category.description,
        "position": category.position, "phase": category.phase, "start_rule": category.start_rule, "thread_count": thread_count,
    }


def thread_json(row: ThreadRow) -> dict[str, Any]:
    thread, conversation = row.thread, row.conversation
    return {
        "id": thread.id,
        "conversation": conversation.id,
        "title": thread.title,
        "category": {"id": row.category.id, "slug": row.category.slug, "name": row.category.name},
        "space": {"scope": conversation.scope, "institution_id": conversation.institution_id, "cohort_id": conversation.cohort_id},
        "author": conversations.author_payload(row.author),
        "last_author": conversations.author_payload(row.last_author) if row.last_author else None,
        "post_count": thread.post_count,
        "created_at": _time(thread.created_at),
        "last_post_at": _time(thread.last_post_at),
        "pinned": thread.is_pinned,
        "locked": conversation.is_locked,
        "unread": row.unread,
        "is_new": row.is_new,
        "watch": row.watch,
    }


def post_json(view: dict[str, Any]) -> dict[str, Any]:
    reactions = [{"emoji": emoji, "count": count, "mine": mine} for emoji, count, mine in view["reactions"]]
    return {**view, "reactions": reactions}


def _thread_url(thread_id: int) -> str:
    return f"/api/forum/threads/{thread_id}"


# --- categories ----------------------------------------------------------------------------------------


@router.operation("GET", "/categories", summary="List the categories", reply=Reply(200, "Every category, with the number of threads the caller may see in it.", "CategoryList"))
async def list_categories(call: ApiCall) -> Result:
    async with call.uow(read_only=True) as uow:
        rows = await forum.list_categories(uow, call.actor)
    return ok({"categories": [category_json(category, count) for category, count in rows]})


@router.operation("POST", "/categories", summary="Create a category (program admins)", reply=Reply(201, "The new category.", "Category"), body=CATEGORY_FIELDS, errors=(403,))
async def create_category(call: ApiCall) -> Result:
    forum.require_category_manager(call.actor)  # before the fields, so outsiders learn nothing from 400s
    fields = forum.clean_category(**call.body)
    async with call.uow() as uow:
        category = await forum.create_category(uow, call.actor, fields)
    return created(category_json(category), f"/api/forum/categories/{category.id}")


@router.operation(
    "PUT", "/categories/{category_id}", summary="Replace a category's settings (program admins)", reply=Reply(200, "The category as saved.", "Category"),
    params=(path_id("category_id", "category"),), body=CATEGORY_FIELDS, errors=(403,),
)
async def update_category(call: ApiCall) -> Result:
    async with call.uow() as uow:
        forum.require_category_manager(call.actor)  # before the fields, so outsiders learn nothing from 400s
        category = await forum.update_category(uow, call.actor, call.path["category_id"], forum.clean_category(**call.body))
    return ok(category_json(category))


# --- threads -------------------------------------------------------------------------------------------


@router.operation(
    "GET", "/threads", summary="List threads, newest activity first (or new, or most active)", reply=Reply(200, "A page of threads the caller may see.", "ThreadList"),
    params=(
        query("category", ID_OR_SLUG, "A category's id or slug; without it, the latest across categories (muted threads left out)."),
        query("sort", STRING, "latest (default), new or active.", enum=tuple(order.value for order in ThreadOrder)),
        query("cursor", STRING, "The `next_cursor` of the previous page."),
    ),
    errors=(404,),
)
async def list_threads(call: ApiCall) -> Result:
    order = forum.parse_order(call.query["sort"])
    cursor = forum.parse_cursor(call.query["cursor"], order)
    async with call.uow(read_only=True) as uow:
        category = await forum.get_category(uow, call.query["category"]) if call.query["category"] is not None else None
        rows = await forum.list_threads(uow, call.actor, category=category, order=order, cursor=cursor)
        pinned = await forum.pinned_threads(uow, call.actor, category) if category and cursor is None else []
    return ok({"threads": [thread_json(r) for r in rows], "pinned": [thread_json(r) for r in pinned], "next_cursor": forum.next_cursor(rows, order, forum.THREAD_PAGE)})


@router.operation(
    "POST", "/threads", summary="Start a thread with its first post", reply=Reply(201, "The new thread (or, on a retry with the same client_msg_id, the first one).", "ThreadCreated"),
    body=(
        Field("category", ID_OR_SLUG, "The category's id or slug.", required=True),
        Field("where", STRING, "Where it lives: a `value` from GET /api/forum/places (consortium, institution:<id>, cohort:<id>).", required=True),
        Field("title", STRING, "The title.", required=True, max_length=forum.TITLE_LIMIT),
        BODY,
        CLIENT_MSG_ID,
        CONFIRM,
    ),
    errors=(403, 404, 409), posting=True,
)
async def create_thread(call: ApiCall) -> Result:
    fields = dict(call.body)
    confirmed = fields.pop("confirm", False)
    async with call.uow() as uow:
        thread = await forum.start_thread(uow, call.actor, **fields, confirmed=confirmed)
    return created({"id": thread.id, "conversation": thread.conversation_id, "url": _thread_url(thread.id)}, _thread_url(thread.id))


@router.operation(
    "GET", "/threads/{thread_id}", summary="A thread with one page of its posts", reply=Reply(200, "The thread and the page asked for (the first by default).", "ThreadPage"),
    params=(THREAD, query("page", INTEGER, "The page of posts (30 a page); past the last gives the last.", minimum=1), query("unread", BOOLEAN, "true: the page with the caller's first unread post.")),
)
async def get_thread(call: ApiCall) -> Result:
    """Reading does not move the read marker; PUT .../read does."""
    async with call.uow(read_only=True) as uow:
        view = await forum.read_thread(uow, call.actor, call.path["thread_id"], page=call.query["page"], unread=bool(call.query["unread"]))
    return ok(
        {
            "thread": thread_json(view.row), "posts": [post_json(p) for p in view.posts], "page": view.page, "pages": view.pages,
            "first_unread": view.first_unread, "can_post": view.can_post, "can_moderate": view.can_moderate,
        }
    )


@router.operation(
    "GET", "/threads/{thread_id}/posts", summary="A page of posts, by page number or after a seq", reply=Reply(200, "Posts in seq order.", "PostList"),
    params=(THREAD, query("page", INTEGER, "The page (30 posts a page).", minimum=1), query("after_seq", INTEGER, "Only posts with a greater seq (at most 30): to catch up.")),
)
async def list_posts(call: ApiCall) -> Result:
    """Give `page` or `after_seq`, not both; with neither, the first page."""
    page, after_seq = call.query["page"], call.query["after_seq"]
    if page is not None and after_seq is not None:
        raise ApiFailure(400, "invalid", "Give page or after_seq, not both.", "after_seq")
    async with call.uow(read_only=True) as uow:
        if after_seq is not None:
            posts = await forum.read_posts_after(uow, call.actor, call.path["thread_id"], after_seq=after_seq)
            return ok({"posts": [post_json(p) for p in posts], "page": None, "pages": None})
        view = await forum.read_thread(uow, call.actor, call.path["thread_id"], page=page)
    return ok({"posts": [post_json(p) for p in view.posts], "page": view.page, "pages": view.pages})


@router.operation(
    "POST", "/threads/{thread_id}/posts", summary="Reply in a thread", reply=Reply(201, "The acknowledgement (also on a retry with the same client_msg_id).", "Posted"),
    params=(THREAD,),
    body=(BODY, CLIENT_MSG_ID, Field("reply_to", INTEGER, "The seq of the post this answers.", nullable=True), CONFIRM),
    errors=(403, 409), posting=True,
)
async def reply(call: ApiCall) -> Result:
    """A locked thread refuses with 403."""
    fields = dict(call.body)
    confirmed = fields.pop("confirm", False)
    async with call.uow() as uow:
        posted = await forum.reply(uow, call.actor, call.path["thread_id"], **fields, confirmed=confirmed)
    thread_id = int(call.path["thread_id"])
    return created({"thread": thread_id, **posted.ack(), "duplicate": posted.duplicate}, f"{_thread_url(thread_id)}/posts/{posted.seq}")


# --- one post --------------------------------------------------------------------------------------------

POST_PARAMS = (THREAD, SEQ)


@router.operation("GET", "/threads/{thread_id}/posts/{seq}", summary="One post", reply=Reply(200, "The post.", "Post"), params=POST_PARAMS)
async def get_post(call: ApiCall) -> Result:
    async with call.uow(read_only=True) as uow:
        view = await forum.read_post(uow, call.actor, call.path["thread_id"], call.path["seq"])
    return ok(post_json(view))


@router.operation(
    "PATCH", "/threads/{thread_id}/posts/{seq}", summary="Edit one's own post", reply=Reply(200, "The post as edited.", "Post"),
    params=POST_PARAMS, body=(BODY, CONFIRM), errors=(403, 409),
)
async def edit_post(call: ApiCall) -> Result:
    """The earlier text is kept in the edit history, which moderators can read."""
    async with call.uow() as uow:
        await forum.edit_post(uow, call.actor, call.path["thread_id"], call.path["seq"], body=call.body["body"], confirmed=call.body.get("confirm", False))
        view = await forum.read_post(uow, call.actor, call.path["thread_id"], call.path["seq"])
    return ok(post_json(view))


@router.operation("DELETE", "/threads/{thread_id}/posts/{seq}", summary="Delete a post (one's own, or any as a moderator)", reply=Reply(204, "Deleted (shown as deleted in the thread).", None), params=POST_PARAMS, errors=(403,))
async def delete_post(call: ApiCall) -> Result:
    async with call.uow() as uow:
        await forum.delete_post(uow, call.actor, call.path["thread_id"], call.path["seq"])
    return no_content()


@router.operation(
    "POST", "/threads/{thread_id}/posts/{seq}/reactions", summary="Add or remove one's reaction", reply=Reply(200, "The post's reaction counts.", "Reactions"),
    params=POST_PARAMS,
    body=(Field("emoji", STRING, "One of the fixed set.", required=True, enum=REACTIONS), Field("on", BOOLEAN, "true (default) adds, false removes.")),
    errors=(409,),
)
async def react(call: ApiCall) -> Result:
    async with call.uow() as uow:
        counts = await forum.react(uow, call.actor, call.path["thread_id"], call.path["seq"], emoji=call.body["emoji"], on=call.body.get("on", True))
    return ok({"counts": counts})


@router.operation("POST", "/threads/{thread_id}/posts/{seq}/bookmark", summary="Bookmark a post, or remove the bookmark", reply=Reply(200, "Whether it is bookmarked now.", "BookmarkState"), params=POST_PARAMS)
async def toggle_bookmark(call: ApiCall) -> Result:
    async with call.uow() as uow:
        bookmarked = await forum.toggle_bookmark(uow, call.actor, call.path["thread_id"], call.path["seq"])
    return ok({"bookmarked": bookmarked})


@router.operation("GET", "/threads/{thread_id}/posts/{seq}/quote", summary="The markdown that quotes a post in a reply", reply=Reply(200, "A block quote with a credit line.", "Quote"), params=POST_PARAMS)
async def quote_post(call: ApiCall) -> Result:
    async with call.uow(read_only=True) as uow:
        markdown = await forum.quote(uow, call.actor, call.path["thread_id"], call.path["seq"])
    return ok({"markdown": markdown})


# --- the reader's choices ---------------------------------------------------------------------------------


@router.operation(
    "PUT", "/threads/{thread_id}/watch", summary="Watch, mute, or return a thread to normal", reply=Reply(200, "The level now.", "WatchState"),
    params=(THREAD,), body=(Field("level", STRING, "watching, normal or muted.", required=True, enum=tuple(level.value for level in WatchLevel)),),
)
async def set_watch(call: ApiCall) -> Result:
    async with call.uow() as uow:
        level = await forum.set_watch(uow, call.actor, call.path["thread_id"], call.body["level"])
    return ok({"level": level})


@router.operation(
    "PUT", "/threads/{thread_id}/read", summary="Mark the thread read up to a post", reply=Reply(200, "The read marker now (it never moves back).", "ReadState"),
    params=(THREAD,), body=(Field("seq", INTEGER, "The last post read.", required=True),),
)
async def mark_read(call: ApiCall) -> Result:
    async with call.uow() as uow:
        marker = await forum.mark_read(uow, call.actor, call.path["thread_id"], call.body["seq"])
    return ok({"last_read_seq": marker})


@router.operation("GET", "/bookmarks", summary="The caller's bookmarks", reply=Reply(200, "Bookmarks in threads the caller can still see, newest first.", "BookmarkList"))
async def list_bookmarks(call: ApiCall) -> Result:
    async with call.uow(read_only=True) as uow:
        rows = await forum.list_bookmarks(uow, call.actor)
    bookmarks = [
        {"thread": thread.id, "title": thread.title, "seq": bookmark.seq, "page": forum.page_of(bookmark.seq), "bookmarked_at": _time(bookmark.created_at)}
        for bookmark, thread, _message in rows
    ]
    return ok({"bookmarks": bookmarks})


# --- moderation of threads ----------------------------------------------------------------------------------


@router.operation(
    "PUT", "/threads/{thread_id}/lock", summary="Lock or unlock a thread (moderators of its space)", reply=Reply(200, "The lock state now.", "LockState"),
    params=(THREAD,), body=(Field("locked", BOOLEAN, "true locks, false unlocks.", required=True), Field("reason", STRING, "Why, for the audit log.", max_length=500)),
    errors=(403,),
)
async def set_locked(call: ApiCall) -> Result:
    locked = call.body["locked"]
    async with call.uow() as uow:
        thread = await forum.set_locked(uow, call.actor, call.path["thread_id"], locked, reason=call.body.get("reason", ""))
    return ok({"id": thread.id, "locked": locked})


@router.operation(
    "PUT", "/threads/{thread_id}/pin", summary="Pin or unpin a thread (moderators of its space)", reply=Reply(200, "The pin state now.", "PinState"),
    params=(THREAD,), body=(Field("pinned", BOOLEAN, "true pins, false unpins.", required=True),), errors=(403,),
)
async def set_pinned(call: ApiCall) -> Result:
    async with call.uow() as uow:
        thread = await forum.set_pinned(uow, call.actor, call.path["thread_id"], call.body["pinned"])
    return ok({"id": thread.id, "pinned": thread.is_pinned})


@router.operation(
    "PUT", "/threads/{thread_id}/category", summary="Move a thread to another category (moderators of its space)", reply=Reply(200, "The category now.", "MoveState"),
    params=(THREAD,), body=(Field("category", ID_OR_SLUG, "The target category's id or slug.", required=True),), errors=(403,),
)
async def move_thread(call: ApiCall) -> Result:
    async with call.uow() as uow:
        thread = await forum.move_thread(uow, call.actor, call.path["thread_id"], call.body["category"])
    return ok({"id": thread.id, "category": thread.category_id})


# --- search ----------------------------------------------------------------------------------------------


def _pieces(segments: tuple[search.Segment, ...]) -> list[dict[str, Any]]:
    return [{"text": text, "highlighted": highlighted} for text, highlighted in segments]


def hit_json(hit: search.Hit) -> dict[str, Any]:
    return {
        "thread": hit.thread_id, "seq": hit.seq, "page": forum.page_of(hit.seq), "title": _pieces(hit.title), "snippet": _pieces(hit.snippet),
        "category": {"slug": hit.category_slug, "name": hit.category_name}, "scope": hit.scope, "author": hit.author_name, "created_at": _time(hit.created_at),
    }


@router.operation(
    "GET", "/search", summary="Search posts and thread titles", reply=Reply(200, f"Matches in threads the caller may read, newest first, {search.RESULTS_PAGE} a page.", "SearchResults"),
    budget=ratelimit.SEARCH,
    params=(
        query("q", STRING, f'The words to find (at most {search.MAX_QUERY} characters): words, "a phrase", -left_out, OR between alternatives.'),
        query("category", ID_OR_SLUG, "Only this category (id or slug)."),
        query("scope", STRING, "Only threads of this kind of space.", enum=tuple(scope.value for scope in SpaceScope)),
        query("author", STRING, "Only posts by the person of this display name."),
        query("since", STRING, "Only posts from this day on (YYYY-MM-DD, UTC)."),
        query("until", STRING, "Only posts up to and including this day (YYYY-MM-DD, UTC)."),
        query("cursor", STRING, "The `next_cursor` of the previous page."),
    ),
)
async def search_posts(call: ApiCall) -> Result:
    """Deleted and hidden posts are never found. A query or filter that cannot be read is 400 naming it."""
    params = call.query
    async with call.uow(read_only=True) as uow:
        results = await search.search_posts(
            uow, call.actor, query=params["q"], category=params["category"], scope=params["scope"], author=params["author"], since=params["since"], until=params["until"], cursor=params["cursor"]
        )
    return ok({"hits": [hit_json(hit) for hit in results.hits], "next_cursor": results.next_cursor})


# --- writing helpers ------------------------------------------------------------------------------------------


@router.operation("GET", "/places", summary="Where the caller may start a thread", reply=Reply(200, "The consortium, their school(s), their cohort(s).", "PlaceList"))
async def list_places(call: ApiCall) -> Result:
    async with call.uow(read_only=True) as uow:
        found = await forum.places(uow, call.actor)
    places = [
        {"value": p.value, "label": p.label, "space": {"scope": p.space.scope.value, "institution_id": p.space.institution_id, "cohort_id": p.space.cohort_id}}
        for p in found
    ]
    return ok({"places": places})


@router.operation(
    "GET", "/mentions", summary="People the caller may mention, by name prefix", reply=Reply(200, "At most 8 people who can read the thread (or the chosen space).", "MentionList"),
    params=(
        query("q", STRING, "The start of a name."),
        query("thread", STRING, "The thread being replied in."),
        query("where", STRING, "For a new thread: the chosen `where` (default consortium)."),
    ),
    errors=(404,),
)
async def mention_candidates(call: ApiCall) -> Result:
    async with call.uow(read_only=True) as uow:
        people = await forum.mention_candidates(uow, call.actor, prefix=call.query["q"] or "", thread_ref=call.query["thread"], where=call.query["where"])
    return ok({"people": [{"id": p.id, "name": p.display_name, "pronouns": p.pronouns, "token": f"@**{p.display_name}|{p.id}**"} for p in people]})


@router.operation(
    "POST", "/preview", summary="The HTML a post would get", reply=Reply(200, "Sanitized HTML; mentions show as typed until posted.", "Preview"),
    body=(Field("body", STRING, "The markdown.", required=True, max_length=conversations.MAX_BODY),), budget=ratelimit.PREVIEW,
)
async def preview(call: ApiCall) -> Result:
    return ok({"html": forum.preview(call.body["body"])})
