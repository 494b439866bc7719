"""One door for the facilitators' tools, shared by the form posts and the WebSocket frames:
a tool's name and its raw parameters in, one service call out (TOOLS lists them)."""

from __future__ import annotations

from artme_cop.dialogue import breakouts
from artme_cop.dialogue.service import (
    _facilitate, call_next, move, mute, publish_agreement, remove, set_agenda, set_floor_mode, set_slow_mode,
)
from artme_cop.errors import Invalid
from artme_cop.moderation import flags
from artme_cop.policy import Actor
from artme_cop.unit_of_work import UnitOfWork




def _flag(value: object) -> bool:
    if isinstance(value, bool):
        return value
    if value in ("1", "on", "true"):
        return True
    if value in ("0", "off", "false", ""):
        return False
    raise Invalid("Choose on or off.", field="on")


async def facilitate(uow: UnitOfWork, actor: Actor, session_id: object, *, action: object, params: dict[str, object]) -> None:
    """Run one facilitator tool by name with its raw parameters (see TOOLS).

    Raises: Invalid for an unknown tool or bad parameters, and whatever the tool raises.
    """
    if not isinstance(action, str) or action not in TOOLS:
        raise Invalid(f"Unknown facilitator action; choose one of {', '.join(sorted(TOOLS))}.", field="action")
    await TOOLS[action](uow, actor, session_id, params)


async def _tool_move(uow: UnitOfWork, actor: Actor, sid: object, p: dict[str, object]) -> None:
    await move(uow, actor, sid, to=p.get("to"), grounding=p.get("grounding", ""))


async def _tool_agenda(uow: UnitOfWork, actor: Actor, sid: object, p: dict[str, object]) -> None:
    await set_agenda(uow, actor, sid, step=p.get("step", ""), prompt=p.get("prompt", ""), round_minutes=p.get("round_minutes", ""))


async def _tool_slow(uow: UnitOfWork, actor: Actor, sid: object, p: dict[str, object]) -> None:
    await set_slow_mode(uow, actor, sid, seconds=p.get("seconds"))


async def _tool_floor(uow: UnitOfWork, actor: Actor, sid: object, p: dict[str, object]) -> None:
    await set_floor_mode(uow, actor, sid, on=_flag(p.get("on")))


async def _tool_next(uow: UnitOfWork, actor: Actor, sid: object, p: dict[str, object]) -> None:
    await call_next(uow, actor, sid)


async def _tool_mute(uow: UnitOfWork, actor: Actor, sid: object, p: dict[str, object]) -> None:
    await mute(uow, actor, sid, participant=p.get("participant"), minutes=p.get("minutes"))


async def _tool_remove(uow: UnitOfWork, actor: Actor, sid: object, p: dict[str, object]) -> None:
    await remove(uow, actor, sid, participant=p.get("participant"))


async def _tool_hide(uow: UnitOfWork, actor: Actor, sid: object, p: dict[str, object]) -> None:
    session = (await _facilitate(uow, actor, sid)).session
    await flags.hide_message(uow, actor, session.main_conversation_id, p.get("seq"), reason=p.get("reason") or "Hidden by a facilitator pending review.")


async def _tool_unhide(uow: UnitOfWork, actor: Actor, sid: object, p: dict[str, object]) -> None:
    session = (await _facilitate(uow, actor, sid)).session
    await flags.unhide_message(uow, actor, session.main_conversation_id, p.get("seq"), note=p.get("note", ""))


async def _tool_agreement(uow: UnitOfWork, actor: Actor, sid: object, p: dict[str, object]) -> None:
    await publish_agreement(uow, actor, sid, text=p.get("agreement_text"))


TOOLS = {
    "move": _tool_move,
    "agenda": _tool_agenda,
    "slow_mode": _tool_slow,
    "floor_mode": _tool_floor,
    "call_next": _tool_next,
    "mute": _tool_mute,
    "remove": _tool_remove,
    "agreement": _tool_agreement,
    "hide": _tool_hide,
    "unhide": _tool_unhide,
    "breakouts": breakouts.tool_open,
    "affinity": breakouts.tool_affinity,
    "broadcast": breakouts.tool_broadcast,
    "move_person": breakouts.tool_move_person,
    "bring_back": breakouts.tool_bring_back,
    "side_room": breakouts.tool_side_room,
    "merge": breakouts.tool_merge,
}
