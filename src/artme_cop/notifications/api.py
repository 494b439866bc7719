"""The notifications' JSON endpoints, under /api/notifications: the JSON twins of
`notifications/routes.py` (the list, the unread count, marking read, the email choice).

Each handler calls one function of `notifications.service` in one unit of work and shapes the
result; the wrapper (web/api.py) does the session, CSRF, body and type checks. A person only
ever reaches their own notifications, and only those about content they may still see: the
service decides both.
"""

from __future__ import annotations

from typing import Any, Literal

from artme_cop.notifications import service as notifications
from artme_cop.notifications.models import EmailMode, Notification, NotificationKind
from artme_cop.web.api import BOOLEAN, IDS, INTEGER, STRING, ApiCall, ApiFailure, ApiRouter, Field, Reply, Result, ok, query

_INT, _STR, _TIME = {"type": "integer"}, {"type": "string"}, {"type": "string", "format": "date-time"}
_NULL_INT = {"type": ["integer", "null"]}
_MODE = {"type": "string", "enum": [mode.value for mode in EmailMode], "description": "immediate (a mail each), daily (a digest) or off."}


def _object(properties: dict[str, Any], description: str = "") -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "object", "required": sorted(properties), "properties": properties}
    if description:
        schema["description"] = description
    return schema


SCHEMAS: dict[str, dict[str, Any]] = {
    "Notification": _object(
        {
            "id": _INT,
            "kind": {"type": "string", "enum": [kind.value for kind in NotificationKind]},
            "summary": {"type": "string", "description": "Plain text, never HTML."},
            "link": {"type": "string", "description": "A path on this server where the content is read."},
            "conversation": {**_NULL_INT, "description": "The conversation it is about (WebSocket topic conv:<id>); null for none."},
            "seq": _NULL_INT,
            "created_at": _TIME,
            "read_at": {"type": ["string", "null"], "format": "date-time"},
        },
        "The WebSocket `notification` payload plus its id and read time.",
    ),
    "NotificationPage": _object(
        {
            "notifications": {"type": "array", "items": {"$ref": "#/components/schemas/Notification"}},
            "next_before": {**_NULL_INT, "description": "Pass as `before` for the next (older) page; null on the last."},
        }
    ),
    "UnreadCount": _object({"unread": {"type": "integer", "description": "Unread notifications about content the caller may still see."}}),
    "EmailSetting": _object({"email_mode": _MODE}),
}

router = ApiRouter("/notifications", tag="notifications", description="One's own notifications (mentions, replies, watched threads, warnings) and how they are mailed.", schemas=SCHEMAS)


def notification_json(notification: Notification) -> dict[str, Any]:
    read_at = notification.read_at.isoformat() if notification.read_at else None
    return {"id": notification.id, **notifications.notification_payload(notification), "read_at": read_at}


@router.operation(
    "GET", "", summary="The caller's notifications, newest first", reply=Reply(200, f"A page of {notifications.PAGE_SIZE} notifications.", "NotificationPage"),
    params=(query("before", INTEGER, "The `next_before` of the previous page: only notifications older than it.", minimum=1),),
)
async def list_notifications(call: ApiCall) -> Result:
    """Reading does not mark anything read; POST /api/notifications/read does."""
    async with call.uow(read_only=True) as uow:
        page = await notifications.list_notifications(uow, call.actor, before_id=call.query["before"])
    return ok({"notifications": [notification_json(n) for n in page.notifications], "next_before": page.older})


@router.operation("GET", "/unread", summary="How many notifications are unread", reply=Reply(200, "The count of the badge.", "UnreadCount"))
async def unread_count(call: ApiCall) -> Result:
    async with call.uow(read_only=True) as uow:
        unread = await notifications.unread_count(uow, call.actor)
    return ok({"unread": unread})


@router.operation(
    "POST", "/read", summary="Mark some, or all, of one's notifications read", reply=Reply(200, "The unread count now.", "UnreadCount"),
    body=(
        Field("ids", IDS, "The notifications to mark read.", max_items=notifications.MAX_IDS),
        Field("all", BOOLEAN, "true marks every notification read (instead of ids)."),
    ),
    errors=(404,),
)
async def mark_read(call: ApiCall) -> Result:
    """Give `ids` or `"all": true`. An id that is not one of the caller's notifications answers
    404 like a missing one, and then nothing is marked."""
    ids, everything = call.body.get("ids"), call.body.get("all", False)
    if everything and ids is not None:
        raise ApiFailure(400, "invalid", "Give ids or all, not both.", "all")
    if not everything and ids is None:
        raise ApiFailure(400, "invalid", 'Give the ids to mark read, or "all": true.', "ids")
    chosen: list[object] | Literal["all"] = "all" if everything else list(ids)
    async with call.uow() as uow:
        unread = await notifications.mark_read(uow, call.actor, chosen)
    return ok({"unread": unread})


@router.operation("GET", "/settings", summary="How notifications reach one by email", reply=Reply(200, "The email mode.", "EmailSetting"))
async def email_setting(call: ApiCall) -> Result:
    async with call.uow(read_only=True) as uow:
        mode = await notifications.email_mode(uow, call.actor)
    return ok({"email_mode": mode.value})


@router.operation(
    "PUT", "/settings", summary="Choose how notifications reach one by email", reply=Reply(200, "The email mode now.", "EmailSetting"),
    body=(Field("email_mode", STRING, "immediate, daily or off.", required=True, enum=tuple(mode.value for mode in EmailMode)),),
)
async def set_email_setting(call: ApiCall) -> Result:
    async with call.uow() as uow:
        mode = await notifications.set_email_mode(uow, call.actor, call.body["email_mode"])
    return ok({"email_mode": mode.value})
