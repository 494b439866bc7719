"""Who may post in a dialogue room right now, as pure rules (no I/O).

A facilitator may post while the room is in the lobby, open or locked. A participant may post when
all of these hold: the room is open or locked (not in the lobby, paused, closed);
they accepted the current agreement version and were not removed; they are not muted;
in floor mode they hold the floor; and in slow mode at least the set number of seconds
passed since their last message. The server enforces these for every door (HTML form,
JSON, raw WebSocket), whatever the page shows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from artme_cop import zones
from artme_cop.dialogue.lifecycle import SPEAKING_STATES, State
from artme_cop.errors import Forbidden, RateLimited

PAUSED_TEXT = "The room is paused. Take a breath; the facilitators will resume shortly."


@dataclass(frozen=True)
class Standing:
    state: State
    facilitator: bool
    accepted_current: bool = False
    removed: bool = False
    muted_until: datetime | None = None
    floor_mode: bool = False
    holds_floor: bool = False
    slow_mode_seconds: int = 0
    last_posted_at: datetime | None = None
    time_zone: str = "UTC"  # the speaker's, to tell them when a mute ends


def check_post(standing: Standing, now: datetime) -> None:
    """Raise the error to show when `standing` may not post at `now`."""
    if standing.state is State.PAUSED:
        raise Forbidden(PAUSED_TEXT)
    if standing.facilitator and standing.state is State.LOBBY:
        return  # facilitators welcome people in the lobby
    if standing.state not in SPEAKING_STATES:
        raise Forbidden("The room is not open." if standing.state is State.LOBBY else "The room is closed.")
    if standing.facilitator:
        return
    if standing.removed:
        raise Forbidden("You were removed from this room.")
    if not standing.accepted_current:
        raise Forbidden("Accept the current agreement first.")
    if standing.muted_until is not None and standing.muted_until > now:
        raise Forbidden(f"You are muted until {zones.stamp(standing.muted_until, standing.time_zone, '%H:%M')}.")
    if standing.floor_mode and not standing.holds_floor:
        raise Forbidden("Floor mode: only the facilitators and the person holding the floor speak now. Raise your hand.")
    if standing.slow_mode_seconds and standing.last_posted_at is not None:
        ready_at = standing.last_posted_at + timedelta(seconds=standing.slow_mode_seconds)
        if ready_at > now:
            wait = max(1, int((ready_at - now).total_seconds() + 0.999))
            raise RateLimited(f"Slow mode: one message every {standing.slow_mode_seconds} seconds.", retry_after=wait)
