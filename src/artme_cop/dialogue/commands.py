"""WebSocket handlers of Chats for Change: the room snapshot, accepting the agreement, the
speaking queue and the facilitators' tools. Each parses its frame, calls the same service
function the HTML forms call in one unit of work, and returns the ack's data."""

from __future__ import annotations

from typing import Any

from artme_cop.dialogue import breakouts, facilitation, safety
from artme_cop.dialogue import service as dialogue
from artme_cop.realtime import protocol
from artme_cop.realtime.commands import CommandContext, CommandRegistry


def _session(frame: dict[str, Any]) -> int:
    value = protocol.int_field(frame, "session")
    assert value is not None
    return value


async def snapshot(context: CommandContext, frame: dict[str, Any]) -> dict[str, Any]:
    # A read: on SQLite a writing unit of work would queue behind every writer (BEGIN IMMEDIATE).
    async with context.uow(read_only=True) as uow:
        return await dialogue.snapshot(uow, context.actor, _session(frame))


async def accept(context: CommandContext, frame: dict[str, Any]) -> dict[str, Any]:
    async with context.uow() as uow:
        participant = await dialogue.accept_agreement(uow, context.actor, _session(frame), version=frame.get("version"))
        return {"session": participant.session_id, "version": participant.accepted_version}


async def raise_hand(context: CommandContext, frame: dict[str, Any]) -> dict[str, Any]:
    async with context.uow() as uow:
        await dialogue.raise_hand(uow, context.actor, _session(frame), up=True)
    return {"hand_raised": True}


async def lower_hand(context: CommandContext, frame: dict[str, Any]) -> dict[str, Any]:
    async with context.uow() as uow:
        await dialogue.raise_hand(uow, context.actor, _session(frame), up=False)
    return {"hand_raised": False}


async def facilitate(context: CommandContext, frame: dict[str, Any]) -> dict[str, Any]:
    params = frame.get("params", {})
    if not isinstance(params, dict):
        raise protocol.FrameError("invalid", "`params` must be an object.")
    async with context.uow() as uow:
        await facilitation.facilitate(uow, context.actor, _session(frame), action=frame.get("action"), params=params)
    return {"session": _session(frame), "action": frame.get("action")}


async def join_affinity(context: CommandContext, frame: dict[str, Any]) -> dict[str, Any]:
    async with context.uow() as uow:
        room = await breakouts.join_affinity(uow, context.actor, _session(frame), room=frame.get("room"))
        return {"session": room.session_id, "room": room.conversation_id}


async def signal(context: CommandContext, frame: dict[str, Any]) -> dict[str, Any]:
    async with context.uow() as uow:
        return await safety.signal(uow, context.actor, _session(frame), kind=frame.get("kind"))


async def private_line(context: CommandContext, frame: dict[str, Any]) -> dict[str, Any]:
    async with context.uow() as uow:
        return {"conversation": await safety.private_line(uow, context.actor, _session(frame))}


async def report(context: CommandContext, frame: dict[str, Any]) -> dict[str, Any]:
    async with context.uow() as uow:
        made = await safety.report_message(uow, context.actor, _session(frame), conversation=frame.get("conversation"), seq=frame.get("seq"), reason=frame.get("reason", ""))
        return {"report": made.id}


def register(registry: CommandRegistry) -> None:
    registry.register("dialogue.snapshot", snapshot)
    registry.register("dialogue.accept", accept)
    registry.register("dialogue.raise_hand", raise_hand)
    registry.register("dialogue.lower_hand", lower_hand)
    registry.register("dialogue.facilitate", facilitate)
    registry.register("dialogue.join_affinity", join_affinity)
    registry.register("dialogue.signal", signal)
    registry.register("dialogue.private_line", private_line)
    registry.register("dialogue.report", report)
