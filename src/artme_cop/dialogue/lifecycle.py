"""The lifecycle of a Chats for Change session, as pure rules (no I/O).

States and the facilitators' moves between them:

    lobby  --open-->   open      (participants who accepted the agreement may now speak)
    open   --lock-->   locked    (no late entry: nobody new may accept and enter)
    locked --unlock--> open
    open, locked --pause--> paused (all input frozen, a grounding message shown)
    paused --resume--> the state the pause came from (open or locked)
    lobby, open, locked, paused --close--> closed (input ends; messages wait for the purge)
    closed --purge-->  purged    (the purge job, not a person)

Anything else raises InvalidTransition with a message fit to show the facilitator.
"""

from __future__ import annotations

from enum import StrEnum

from artme_cop.errors import Conflict


class State(StrEnum):
    LOBBY = "lobby"
    OPEN = "open"
    LOCKED = "locked"
    PAUSED = "paused"
    CLOSED = "closed"
    PURGED = "purged"


class Move(StrEnum):
    OPEN = "open"
    LOCK = "lock"
    UNLOCK = "unlock"
    PAUSE = "pause"
    RESUME = "resume"
    CLOSE = "close"
    PURGE = "purge"


class InvalidTransition(Conflict):
    """A move the current state does not allow."""


TRANSITIONS: dict[tuple[State, Move], State] = {
    (State.LOBBY, Move.OPEN): State.OPEN,
    (State.OPEN, Move.LOCK): State.LOCKED,
    (State.LOCKED, Move.UNLOCK): State.OPEN,
    (State.OPEN, Move.PAUSE): State.PAUSED,
    (State.LOCKED, Move.PAUSE): State.PAUSED,
    (State.LOBBY, Move.CLOSE): State.CLOSED,
    (State.OPEN, Move.CLOSE): State.CLOSED,
    (State.LOCKED, Move.CLOSE): State.CLOSED,
    (State.PAUSED, Move.CLOSE): State.CLOSED,
    (State.CLOSED, Move.PURGE): State.PURGED,
}

# States in which participants may post (facilitators too; paused freezes everyone's input).
SPEAKING_STATES = frozenset({State.OPEN, State.LOCKED})


def admits_entry(state: State, paused_from: State | None) -> bool:
    """Whether someone who has not entered yet may still accept and enter (no late entry
    once locked, also while a pause of a locked room lasts)."""
    if state is State.PAUSED:
        return paused_from is not State.LOCKED
    return state in (State.LOBBY, State.OPEN)


def next_state(state: State, move: Move, *, paused_from: State | None = None) -> State:
    """The state after `move`; a resume returns to where the pause came from."""
    if move is Move.RESUME:
        if state is not State.PAUSED:
            raise InvalidTransition("Only a paused room can be resumed.")
        return paused_from if paused_from in (State.OPEN, State.LOCKED) else State.OPEN
    try:
        return TRANSITIONS[(state, move)]
    except KeyError:
        raise InvalidTransition(f"A room that is {state.value} cannot {move.value}.") from None
