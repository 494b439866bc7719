"""WebSocket handlers of the messaging core: send, edit, delete, react, mark_read.

Each parses its frame, calls the same service function the HTTP routes call, and returns
the ack's data. `send` goes through the group-commit writer and is acknowledged only after
the commit (DESIGN.md, How a message flows).
"""

from __future__ import annotations

from typing import Any

from artme_cop.conversations import service
from artme_cop.conversations.writer import MessageWriter
from artme_cop.errors import RateLimited
from artme_cop.realtime import protocol
from artme_cop.realtime.commands import CommandContext, CommandRegistry


def _conversation(frame: dict[str, Any]) -> int:
    value = protocol.int_field(frame, "conversation")
    assert value is not None
    return value


def _seq(frame: dict[str, Any]) -> int:
    value = protocol.int_field(frame, "seq")
    assert value is not None
    return value


def register(registry: CommandRegistry, writer: MessageWriter) -> None:
    async def send(context: CommandContext, frame: dict[str, Any]) -> dict[str, Any]:
        conversation_id = _conversation(frame)
        wait = context.connection.limit_sends()
        if wait:
            raise RateLimited("You are sending too fast.", retry_after=protocol.retry_after(wait))
        posted = await writer.post(
            context.actor, conversation_id, body=frame.get("body"), client_msg_id=frame.get("client_msg_id"), reply_to=frame.get("reply_to"),
            confirmed=protocol.bool_field(frame, "confirm", default=False),
        )
        return {**posted.ack(), "duplicate": posted.duplicate}

    async def edit(context: CommandContext, frame: dict[str, Any]) -> dict[str, Any]:
        async with context.uow() as uow:
            message = await service.edit_message(
                uow, context.actor, _conversation(frame), _seq(frame), body=frame.get("body"), confirmed=protocol.bool_field(frame, "confirm", default=False)
            )
        return {"conversation": message.conversation_id, "seq": message.seq}

    async def delete(context: CommandContext, frame: dict[str, Any]) -> dict[str, Any]:
        async with context.uow() as uow:
            message = await service.delete_message(uow, context.actor, _conversation(frame), _seq(frame))
        return {"conversation": message.conversation_id, "seq": message.seq}

    async def react(context: CommandContext, frame: dict[str, Any]) -> dict[str, Any]:
        on = protocol.bool_field(frame, "on", default=True)
        async with context.uow() as uow:
            counts = await service.react(uow, context.actor, _conversation(frame), _seq(frame), emoji=frame.get("emoji"), on=on)
        return {"counts": counts}

    async def mark_read(context: CommandContext, frame: dict[str, Any]) -> dict[str, Any]:
        async with context.uow() as uow:
            marker = await service.mark_read(uow, context.actor, _conversation(frame), seq=_seq(frame))
        return {"conversation": _conversation(frame), "last_read_seq": marker}

    registry.register("send", send, pipelined=True)
    registry.register("edit", edit)
    registry.register("delete", delete)
    registry.register("react", react)
    registry.register("mark_read", mark_read)
