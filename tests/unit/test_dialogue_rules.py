"""The pure rules of Chats for Change: every (state, move) pair of the lifecycle table, and
who may post under which room settings (dialogue/floor.py). No database, no clock."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta, timezone

import pytest

from artme_cop.dialogue.floor import Standing, check_post
from artme_cop.dialogue.lifecycle import TRANSITIONS, InvalidTransition, Move, State, admits_entry, next_state
from artme_cop.errors import Forbidden, RateLimited

NOW = datetime(2027, 2, 14, 15, 0, tzinfo=timezone.utc)
# The table of the module docstring, written out again: a change to either must be deliberate.
EXPECTED = {
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


@pytest.mark.parametrize(("state", "move"), [pair for pair in itertools.product(State, Move) if pair[1] is not Move.RESUME])
def test_every_state_and_move(state: State, move: Move) -> None:
    expected = EXPECTED.get((state, move))
    if expected is None:
        with pytest.raises(InvalidTransition):
            next_state(state, move)
    else:
        assert next_state(state, move) is expected
    assert TRANSITIONS == EXPECTED


@pytest.mark.parametrize(("state", "paused_from", "expected"), [
    (State.PAUSED, State.OPEN, State.OPEN), (State.PAUSED, State.LOCKED, State.LOCKED), (State.PAUSED, None, State.OPEN),
])
def test_resume_returns_where_the_pause_came_from(state: State, paused_from: State | None, expected: State) -> None:
    assert next_state(state, Move.RESUME, paused_from=paused_from) is expected


@pytest.mark.parametrize("state", [s for s in State if s is not State.PAUSED])
def test_only_a_paused_room_resumes(state: State) -> None:
    with pytest.raises(InvalidTransition):
        next_state(state, Move.RESUME)


@pytest.mark.parametrize(("state", "paused_from", "admits"), [
    (State.LOBBY, None, True), (State.OPEN, None, True), (State.LOCKED, None, False), (State.PAUSED, State.OPEN, True),
    (State.PAUSED, State.LOCKED, False), (State.CLOSED, None, False), (State.PURGED, None, False),
])
def test_late_entry(state: State, paused_from: State | None, admits: bool) -> None:
    assert admits_entry(state, paused_from) is admits


PARTICIPANT = Standing(State.OPEN, facilitator=False, accepted_current=True)


@pytest.mark.parametrize(("standing", "refusal"), [
    (PARTICIPANT, None),
    (Standing(State.LOCKED, facilitator=False, accepted_current=True), None),
    (Standing(State.LOBBY, facilitator=False, accepted_current=True), Forbidden),
    (Standing(State.PAUSED, facilitator=False, accepted_current=True), Forbidden),
    (Standing(State.CLOSED, facilitator=False, accepted_current=True), Forbidden),
    (Standing(State.OPEN, facilitator=False, accepted_current=False), Forbidden),
    (Standing(State.OPEN, facilitator=False, accepted_current=True, removed=True), Forbidden),
    (Standing(State.OPEN, facilitator=False, accepted_current=True, muted_until=NOW + timedelta(minutes=1)), Forbidden),
    (Standing(State.OPEN, facilitator=False, accepted_current=True, muted_until=NOW), None),
    (Standing(State.OPEN, facilitator=False, accepted_current=True, floor_mode=True), Forbidden),
    (Standing(State.OPEN, facilitator=False, accepted_current=True, floor_mode=True, holds_floor=True), None),
    (Standing(State.OPEN, facilitator=False, accepted_current=True, slow_mode_seconds=30, last_posted_at=NOW - timedelta(seconds=29)), RateLimited),
    (Standing(State.OPEN, facilitator=False, accepted_current=True, slow_mode_seconds=30, last_posted_at=NOW - timedelta(seconds=30)), None),
    (Standing(State.LOBBY, facilitator=True), None),
    (Standing(State.OPEN, facilitator=True, floor_mode=True, slow_mode_seconds=30, last_posted_at=NOW), None),
    (Standing(State.PAUSED, facilitator=True), Forbidden),
    (Standing(State.CLOSED, facilitator=True), Forbidden),
])
def test_who_may_post(standing: Standing, refusal: type[Exception] | None) -> None:
    if refusal is None:
        check_post(standing, NOW)
    else:
        with pytest.raises(refusal):
            check_post(standing, NOW)
