"""The moderation queue's JSON endpoints, under /api/moderation: the JSON twins of
`moderation/routes.py` (flag a message, the queue, dismiss, hide, unhide, warn, a message's
edit history, one's own warnings).

Each handler calls one function of `moderation.flags` in one unit of work and shapes the
result; who may flag, see the queue and review is decided there and in the policy. A
conversation the caller cannot read answers 404 like a missing one, and flaggers stay
anonymous: nothing here names who flagged.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from artme_cop.moderation import flags
from artme_cop.moderation.models import FlagReason, FlagStatus
from artme_cop.web.api import INTEGER, STRING, ApiCall, ApiRouter, Field, Reply, Result, ok, path_id, query

_INT, _STR, _BOOL, _TIME = {"type": "integer"}, {"type": "string"}, {"type": "boolean"}, {"type": "string", "format": "date-time"}
_NULL_INT, _NULL_STR = {"type": ["integer", "null"]}, {"type": ["string", "null"]}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _object(properties: dict[str, Any], description: str = "") -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "object", "required": sorted(properties), "properties": properties}
    if description:
        schema["description"] = description
    return schema


def _list_of(name: str) -> dict[str, Any]:
    return {"type": "array", "items": _ref(name)}


_NEXT_BEFORE = {**_NULL_INT, "description": "Pass as `before` for the next (older) page; null on the last."}

_PURGED_AT = {
    "type": ["string", "null"], "format": "date-time",
    "description": "When the retention purge blanked the text, the edit history and the files of this removed message (SEC-B5); null before.",
}

SCHEMAS: dict[str, dict[str, Any]] = {
    "Flagged": _object(
        {
            "id": _INT, "conversation": _INT, "seq": _INT, "reason": {"type": "string", "enum": [reason.value for reason in FlagReason]},
            "status": {"type": "string", "enum": [status.value for status in FlagStatus]}, "created_at": _TIME,
            "created": {"type": "boolean", "description": "False when the caller's open flag on this message already existed (nothing new stored)."},
        },
        "The caller's flag on a message.",
    ),
    "ReasonCount": _object({"reason": {"type": "string", "enum": [reason.value for reason in FlagReason]}, "label": _STR, "count": _INT}),
    "Resolution": _object({"status": _STR, "by": {"type": "string", "description": "The moderator's name."}, "at": {"type": ["string", "null"], "format": "date-time"}, "note": _STR}),
    "QueueItem": _object(
        {
            "flag_id": {"type": "integer", "description": "The newest flag on the message: dismiss its flags with it, and page with it."},
            "conversation": _object({"id": _INT, "title": _STR, "kind": _STR}),
            "seq": _INT, "author": _ref("Author"),
            "html": {"type": "string", "description": "The message's sanitized HTML, also when hidden or deleted."},
            "created_at": _TIME, "hidden": _BOOL, "hide_reason": _STR, "deleted": _BOOL, "purged_at": _PURGED_AT,
            "flag_count": _INT, "reasons": _list_of("ReasonCount"), "notes": {"type": "array", "items": _STR},
            "first_flagged_at": _TIME, "resolution": {"oneOf": [_ref("Resolution"), {"type": "null"}]},
            "link": {"type": "string", "description": "The page where the message is read."},
        },
        "One flagged message with its flags in the listed state; flaggers are never named.",
    ),
    "Queue": _object({"items": _list_of("QueueItem"), "next_before": _NEXT_BEFORE}),
    "Dismissed": _object({"dismissed": {"type": "integer", "description": "How many open flags were dismissed."}}),
    "HiddenState": _object({"conversation": _INT, "seq": _INT, "hidden": _BOOL, "hide_reason": _STR}),
    "WarningSent": _object({"id": _INT, "conversation": _INT, "seq": _INT, "text": _STR, "created_at": _TIME, "link": _STR}),
    "Version": _object({"body": {"type": "string", "description": "The markdown of that version."}, "at": _TIME, "editor": _STR}),
    "MessageHistory": _object(
        {
            "conversation": _object({"id": _INT, "title": _STR}), "seq": _INT, "author": _ref("Author"),
            "current": _ref("Version"), "earlier": {**_list_of("Version"), "description": "Earlier texts, oldest first."},
            "hidden": _BOOL, "deleted": _BOOL, "purged_at": _PURGED_AT,
        }
    ),
    "Warning": _object(
        {
            "id": _INT, "text": _STR, "created_at": _TIME, "seq": _INT,
            "conversation_title": {**_NULL_STR, "description": "null when the caller can no longer read the conversation."},
            "link": {**_NULL_STR, "description": "null when the caller can no longer read the conversation."},
        }
    ),
    "WarningList": _object({"warnings": _list_of("Warning"), "next_before": _NEXT_BEFORE}),
}

router = ApiRouter("/moderation", tag="moderation", description="Flagging messages, the moderation queue and its actions, and one's own warnings.", schemas=SCHEMAS)

CONVERSATION = path_id("conversation_id", "conversation")
SEQ = path_id("seq", "message (its seq in the conversation)")
MESSAGE = (CONVERSATION, SEQ)
BEFORE = query("before", INTEGER, "The `next_before` of the previous page.", minimum=1)


def _time(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def queue_item_json(item: flags.QueueItem) -> dict[str, Any]:
    resolution = item.resolution
    return {
        "flag_id": item.flag_id,
        "conversation": {"id": item.conversation_id, "title": item.conversation_title, "kind": item.conversation_kind},
        "seq": item.seq, "author": item.author, "html": item.html, "created_at": _time(item.created_at),
        "hidden": item.hidden, "hide_reason": item.hide_reason, "deleted": item.deleted, "purged_at": _time(item.purged_at), "flag_count": item.flag_count,
        "reasons": [{"reason": r.reason, "label": r.label, "count": r.count} for r in item.reasons], "notes": item.notes,
        "first_flagged_at": _time(item.first_flagged_at),
        "resolution": {"status": resolution.status, "by": resolution.by, "at": _time(resolution.at), "note": resolution.note} if resolution else None,
        "link": item.link,
    }


def _next_before(ids: list[int], page_size: int) -> int | None:
    return ids[-1] if len(ids) == page_size else None


# --- flagging ---------------------------------------------------------------------------------------


@router.operation(
    "POST", "/flags", summary="Flag a message for the moderators", reply=Reply(201, "The caller's open flag on it (the same one on a repeat).", "Flagged"),
    body=(
        Field("conversation", INTEGER, "The conversation's id (a forum thread's `conversation`).", required=True),
        Field("seq", INTEGER, "The message's seq in it.", required=True),
        Field("reason", STRING, "Why.", required=True, enum=tuple(reason.value for reason in FlagReason)),
        Field("note", STRING, "More words for the moderators; required when the reason is `other`.", max_length=flags.NOTE_MAX),
    ),
    errors=(404, 409),
)
async def flag_message(call: ApiCall) -> Result:
    """Anyone who reads the conversation may flag a message, except their own (400)."""
    body = call.body
    async with call.uow() as uow:
        flagged = await flags.flag_message(uow, call.actor, body["conversation"], body["seq"], reason=body["reason"], note=body.get("note", ""))
    flag = flagged.flag
    data = {"id": flag.id, "conversation": flag.conversation_id, "seq": body["seq"], "reason": flag.reason, "status": flag.status, "created_at": _time(flag.created_at), "created": flagged.created}
    return Result(data, 201)


# --- the queue and its actions -------------------------------------------------------------------


@router.operation(
    "GET", "/queue", summary="The moderation queue (moderators)", reply=Reply(200, f"Flagged messages the caller may review, newest flag first, {flags.QUEUE_PAGE} a page.", "Queue"),
    params=(query("status", STRING, "open (default) or resolved.", enum=flags.QUEUE_STATUSES), BEFORE),
    errors=(403,),
)
async def list_queue(call: ApiCall) -> Result:
    """Only messages in spaces the caller moderates, and never the caller's own."""
    async with call.uow(read_only=True) as uow:
        items = await flags.list_queue(uow, call.actor, status=call.query["status"] or "open", before_id=call.query["before"])
    return ok({"items": [queue_item_json(item) for item in items], "next_before": _next_before([item.flag_id for item in items], flags.QUEUE_PAGE)})


@router.operation(
    "POST", "/flags/{flag_id}/dismiss", summary="Dismiss the open flags on a message", reply=Reply(200, "How many flags were dismissed.", "Dismissed"),
    params=(path_id("flag_id", "flag (a queue item's flag_id)"),),
    body=(Field("note", STRING, "Why, for the record.", max_length=flags.REASON_MAX),),
    errors=(409,),
)
async def dismiss_flags(call: ApiCall) -> Result:
    """A flag the caller may not review answers 404, like a missing one."""
    async with call.uow() as uow:
        dismissed = await flags.dismiss_flags(uow, call.actor, call.path["flag_id"], note=call.body.get("note", ""))
    return ok({"dismissed": dismissed})


@router.operation(
    "POST", "/messages/{conversation_id}/{seq}/hide", summary="Hide a message from every reader", reply=Reply(200, "The message is hidden.", "HiddenState"),
    params=MESSAGE, body=(Field("reason", STRING, "Why; kept with the message and in the audit log.", required=True, max_length=flags.REASON_MAX),),
    errors=(403, 409),
)
async def hide_message(call: ApiCall) -> Result:
    """Resolves the message's open flags as actioned; live readers see it vanish."""
    async with call.uow() as uow:
        message = await flags.hide_message(uow, call.actor, call.path["conversation_id"], call.path["seq"], reason=call.body["reason"])
    return ok({"conversation": message.conversation_id, "seq": message.seq, "hidden": True, "hide_reason": message.hide_reason})


@router.operation(
    "POST", "/messages/{conversation_id}/{seq}/unhide", summary="Show a hidden message again", reply=Reply(200, "The message is shown.", "HiddenState"),
    params=MESSAGE, body=(Field("note", STRING, "Why, for the audit log.", max_length=flags.REASON_MAX),),
    errors=(403, 409),
)
async def unhide_message(call: ApiCall) -> Result:
    async with call.uow() as uow:
        message = await flags.unhide_message(uow, call.actor, call.path["conversation_id"], call.path["seq"], note=call.body.get("note", ""))
    return ok({"conversation": message.conversation_id, "seq": message.seq, "hidden": False, "hide_reason": ""})


@router.operation(
    "POST", "/messages/{conversation_id}/{seq}/warn", summary="Warn the author of a message", reply=Reply(201, "The warning sent.", "WarningSent"),
    params=MESSAGE, body=(Field("text", STRING, "What the author reads, from \"the moderators\".", required=True, max_length=flags.WARNING_MAX),),
    errors=(403, 409),
)
async def warn_author(call: ApiCall) -> Result:
    """Resolves the message's open flags as actioned; the author is notified."""
    seq = call.path["seq"]
    async with call.uow() as uow:
        warning = await flags.warn_author(uow, call.actor, call.path["conversation_id"], seq, text=call.body["text"])
    return Result(flags.warning_payload(warning, int(seq)), 201)


@router.operation(
    "GET", "/messages/{conversation_id}/{seq}/history", summary="Every text a message has had (moderators of its space)", reply=Reply(200, "The message's versions.", "MessageHistory"),
    params=MESSAGE, errors=(403,),
)
async def message_history(call: ApiCall) -> Result:
    """The read is written to the audit log."""
    async with call.uow() as uow:  # writes the audit entry of the read
        history = await flags.message_history(uow, call.actor, call.path["conversation_id"], call.path["seq"])

    def version(v: flags.Version) -> dict[str, Any]:
        return {"body": v.body, "at": _time(v.at), "editor": v.editor}

    conversation = history.conversation
    return ok(
        {
            "conversation": {"id": conversation.id, "title": conversation.title or f"Conversation {conversation.id}"}, "seq": history.seq, "author": history.author,
            "current": version(history.current), "earlier": [version(v) for v in history.earlier], "hidden": history.hidden, "deleted": history.deleted,
            "purged_at": _time(history.purged_at),
        }
    )


# --- one's own warnings ----------------------------------------------------------------------------


@router.operation("GET", "/warnings", summary="The warnings moderators sent the caller", reply=Reply(200, f"Newest first, {flags.WARNINGS_PAGE} a page.", "WarningList"), params=(BEFORE,))
async def list_my_warnings(call: ApiCall) -> Result:
    async with call.uow(read_only=True) as uow:
        warnings = await flags.list_my_warnings(uow, call.actor, before_id=call.query["before"])
    data = [
        {"id": w.id, "text": w.text, "created_at": _time(w.created_at), "seq": w.seq, "conversation_title": w.conversation_title, "link": w.link}
        for w in warnings
    ]
    return ok({"warnings": data, "next_before": _next_before([w.id for w in warnings], flags.WARNINGS_PAGE)})
