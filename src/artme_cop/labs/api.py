"""The labs' JSON endpoints, under /api/labs: one's teams, a team's channels with one's unread
counts, and a thread of a channel. Read-only twins of the pages; the service decides who
reads what (a team's members and its facilitator), and a team or channel one may not read
answers 404 like a missing one.
"""

from __future__ import annotations

from typing import Any

from artme_cop.labs import service as labs
from artme_cop.web.api import ApiCall, ApiRouter, Reply, Result, ok, path_id

_INT, _STR, _BOOL = {"type": "integer"}, {"type": "string"}, {"type": "boolean"}


def _object(properties: dict[str, Any], description: str = "") -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "object", "required": sorted(properties), "properties": properties}
    if description:
        schema["description"] = description
    return schema


SCHEMAS: dict[str, dict[str, Any]] = {
    "LabTeam": _object({"id": _INT, "name": _STR, "unit": _STR}),
    "LabTeams": _object({"teams": {"type": "array", "items": {"$ref": "#/components/schemas/LabTeam"}}}),
    "LabChannel": _object(
        {"id": _INT, "name": _STR, "general": _BOOL, "conversation": {**_INT, "description": "WebSocket topic conv:<id>."}, "unread": {**_INT, "description": "Top-level messages after one's read marker (thread replies count in their thread)."}}
    ),
    "LabChannels": _object({"channels": {"type": "array", "items": {"$ref": "#/components/schemas/LabChannel"}}}),
    "LabThread": _object(
        {"root": _INT, "messages": {"type": "array", "items": {"type": "object", "description": "The WebSocket `message` payload."}}},
        "A thread: its root message and the replies, oldest first.",
    ),
}

router = ApiRouter("/labs", tag="labs", description="Team learning labs: one's teams and their channels (members and the facilitator only).", schemas=SCHEMAS)
TEAM = path_id("team_id", "team")
CHANNEL = path_id("channel_id", "channel")


@router.operation("GET", "/teams", summary="The teams one is on or facilitates", reply=Reply(200, "The teams.", "LabTeams"))
async def my_teams(call: ApiCall) -> Result:
    async with call.uow(read_only=True) as uow:
        teams = await labs.my_teams(uow, call.actor)
    return ok({"teams": [{"id": t.id, "name": t.name, "unit": t.unit} for t in teams]})


@router.operation("GET", "/teams/{team_id}/channels", summary="A team's channels with one's unread counts", reply=Reply(200, "The channels, general first.", "LabChannels"), params=(TEAM,), errors=(404,))
async def team_channels(call: ApiCall) -> Result:
    async with call.uow(read_only=True) as uow:
        team, _ref = await labs.access_team(uow, call.actor, call.path["team_id"])
        rows = await labs.channel_list(uow, call.actor, team)
    return ok({"channels": [{"id": c.id, "name": c.name, "general": c.is_general, "conversation": c.conversation_id, "unread": n} for c, n in rows]})


@router.operation(
    "GET", "/channels/{channel_id}/threads/{seq}", summary="A thread of a channel", reply=Reply(200, "The root and its replies.", "LabThread"),
    params=(CHANNEL, path_id("seq", "root message (its seq)")), errors=(404,),
)
async def thread(call: ApiCall) -> Result:
    async with call.uow(read_only=True) as uow:
        _team, _ref, channel = await labs.access_channel(uow, call.actor, call.path["channel_id"])
        messages = await labs.thread_messages(uow, call.actor, channel, call.path["seq"])
    return ok({"root": messages[0]["seq"], "messages": messages})


__all__ = ["router"]
