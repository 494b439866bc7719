"""The knowledge-management cycle's table (`knowledge.cycle`), pair by pair, without a database:
every (state, move) pair is either the table's step or refused with InvalidTransition, and
every guard blocks its step until its fact holds."""

from __future__ import annotations

import itertools

import pytest

from artme_cop.errors import Conflict
from artme_cop.knowledge import cycle
from artme_cop.knowledge.cycle import Facts, Guard, InvalidTransition, Move, State

S, M = State, Move
# The table of the issue, written out again so that a change to the code shows up here.
EXPECTED = {
    (S.DRAFT, M.SUBMIT): (S.IN_ASSESSMENT, "resource.steward"),
    (S.UPDATE_DUE, M.SUBMIT): (S.IN_ASSESSMENT, "resource.steward"),
    (S.IN_ASSESSMENT, M.ACCEPT): (S.CONTEXTUALIZING, "resource.review"),
    (S.IN_ASSESSMENT, M.RETURN): (S.DRAFT, "resource.review"),
    (S.IN_ASSESSMENT, M.DECLINE): (S.RETIRED, "resource.review"),
    (S.CONTEXTUALIZING, M.SHARE_INSTITUTION): (S.SHARED_INSTITUTION, "resource.steward"),
    (S.SHARED_INSTITUTION, M.PROPOSE_PROGRAM): (S.PROPOSED_PROGRAM, "resource.approve"),
    (S.PROPOSED_PROGRAM, M.PUBLISH_PROGRAM): (S.SHARED_PROGRAM, "resource.curate"),
    (S.PROPOSED_PROGRAM, M.RETURN_INSTITUTION): (S.SHARED_INSTITUTION, "resource.curate"),
    (S.SHARED_PROGRAM, M.MARK_IN_USE): (S.IN_USE, "resource.steward"),
    (S.SHARED_PROGRAM, M.APPLIED): (S.IN_USE, "resource.apply"),
    (S.SHARED_INSTITUTION, M.FLAG_UPDATE): (S.UPDATE_DUE, "resource.flag"),
    (S.SHARED_PROGRAM, M.FLAG_UPDATE): (S.UPDATE_DUE, "resource.flag"),
    (S.IN_USE, M.FLAG_UPDATE): (S.UPDATE_DUE, "resource.flag"),
    (S.UPDATE_DUE, M.RETIRE): (S.RETIRED, "resource.steward"),
    **{(state, M.WITHDRAW): ({S.PROPOSED_PROGRAM: S.SHARED_INSTITUTION, S.SHARED_PROGRAM: S.SHARED_INSTITUTION, S.IN_USE: S.SHARED_INSTITUTION}.get(state, state), "resource.steward") for state in State},
}
EVERY_FACT = Facts(**{guard.value: True for guard in Guard})
PAIRS = list(itertools.product(State, Move))


@pytest.mark.parametrize(("state", "move"), PAIRS, ids=[f"{s}-{m}" for s, m in PAIRS])
def test_pair_is_the_tables_step_or_refused(state: State, move: Move) -> None:
    if (state, move) in EXPECTED:
        step = cycle.next_state(state, move, EVERY_FACT)
        assert (step.next_state, step.who) == EXPECTED[(state, move)]
    else:
        with pytest.raises(InvalidTransition) as refused:
            cycle.next_state(state, move, EVERY_FACT)
        assert cycle.STATE_LABELS[state] in refused.value.message  # a clear error names the state
        assert isinstance(refused.value, Conflict)  # routes answer 409, never 500


def test_table_has_exactly_the_expected_pairs() -> None:
    assert set(cycle.TABLE) == set(EXPECTED)


GUARDED = [(pair, guard) for pair, step in cycle.TABLE.items() for guard in step.guards]


@pytest.mark.parametrize(("pair", "guard"), GUARDED, ids=[f"{p[0]}-{p[1]}-{g}" for p, g in GUARDED])
def test_each_guard_blocks_its_step_until_its_fact_holds(pair: tuple[State, Move], guard: Guard) -> None:
    without = Facts(**{g.value: g is not guard for g in Guard})
    with pytest.raises(InvalidTransition):
        cycle.next_state(*pair, without)
    assert cycle.next_state(*pair, EVERY_FACT).next_state == EXPECTED[pair][0]


def test_program_scope_needs_both_reviews_and_the_leads_approval() -> None:
    """No item reaches program scope without both reviews and the lead's approval."""
    publish = cycle.TABLE[(S.PROPOSED_PROGRAM, M.PUBLISH_PROGRAM)]
    assert set(publish.guards) == {Guard.REVIEWS_ACCEPTED, Guard.LEAD_APPROVED}
    propose = cycle.TABLE[(S.SHARED_INSTITUTION, M.PROPOSE_PROGRAM)]
    assert propose.who == "resource.approve" and Guard.REVIEWS_ACCEPTED in propose.guards
    reaching_program = [pair for pair, step in cycle.TABLE.items() if step.next_state is S.SHARED_PROGRAM]
    assert reaching_program == [(S.PROPOSED_PROGRAM, M.PUBLISH_PROGRAM)]


def test_withdrawal_is_possible_from_every_state() -> None:
    assert all((state, M.WITHDRAW) in cycle.TABLE for state in State)


def test_review_moves_are_not_offered_as_buttons() -> None:
    for state in State:
        assert not set(cycle.moves_from(state)) & {M.ACCEPT, M.RETURN, M.DECLINE, M.APPLIED}
