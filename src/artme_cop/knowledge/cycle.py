"""The knowledge-management cycle as one table: pure rules, no I/O (STYLE.md P7).

    state               move                next state          who (policy action)   guard
    draft               submit              in_assessment       resource.steward      two reviewers named
    update_due          submit              in_assessment       resource.steward      two reviewers named
    in_assessment       accept              contextualizing     resource.review       both reviews accept
    in_assessment       return              draft               resource.review       a review asks to revise
    in_assessment       decline             retired             resource.review       a review declines
    contextualizing     share_institution   shared_institution  resource.steward      context complete
    shared_institution  propose_program     proposed_program    resource.approve      both reviews accept
    proposed_program    publish_program     shared_program      resource.curate       both reviews + lead's approval
    proposed_program    return_institution  shared_institution  resource.curate       -
    shared_program      mark_in_use         in_use              resource.steward      -
    shared_program      applied             in_use              resource.apply        -
    shared_institution  flag_update         update_due          resource.flag         -
    shared_program      flag_update         update_due          resource.flag         -
    in_use              flag_update         update_due          resource.flag         -
    update_due          retire              retired             resource.steward      -
    (any state)         withdraw            see below           resource.steward      in program scope

The scheduled review-due job makes `flag_update` moves without a person (`SYSTEM`).
Withdrawal wins: from every state, while the resource reaches the program, its school may
take it back; a proposed or shared item returns to `shared_institution`, an item elsewhere in
the cycle keeps its state and only loses program scope. `accept`, `return` and `decline`
follow from review decisions, and `applied` from the first "we applied this" report; the
service makes them when a reviewer decides or someone reports use.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from artme_cop.errors import Conflict


class State(StrEnum):
    DRAFT = "draft"
    IN_ASSESSMENT = "in_assessment"
    CONTEXTUALIZING = "contextualizing"
    SHARED_INSTITUTION = "shared_institution"
    PROPOSED_PROGRAM = "proposed_program"
    SHARED_PROGRAM = "shared_program"
    IN_USE = "in_use"
    UPDATE_DUE = "update_due"
    RETIRED = "retired"


class Move(StrEnum):
    SUBMIT = "submit"
    ACCEPT = "accept"
    RETURN = "return"
    DECLINE = "decline"
    SHARE_INSTITUTION = "share_institution"
    PROPOSE_PROGRAM = "propose_program"
    PUBLISH_PROGRAM = "publish_program"
    RETURN_INSTITUTION = "return_institution"
    MARK_IN_USE = "mark_in_use"
    APPLIED = "applied"
    FLAG_UPDATE = "flag_update"
    RETIRE = "retire"
    WITHDRAW = "withdraw"


class Guard(StrEnum):
    REVIEWERS_NAMED = "reviewers_named"
    REVIEWS_ACCEPTED = "reviews_accepted"
    REVISION_ASKED = "revision_asked"
    DECLINED = "declined"
    CONTEXT_COMPLETE = "context_complete"
    LEAD_APPROVED = "lead_approved"
    IN_PROGRAM_SCOPE = "in_program_scope"


# The policy actions by name, so this module imports nothing with I/O; the service maps them.
STEWARD, REVIEW, APPROVE, CURATE, FLAG, APPLY = "resource.steward", "resource.review", "resource.approve", "resource.curate", "resource.flag", "resource.apply"


@dataclass(frozen=True)
class Step:
    next_state: State
    who: str
    guards: tuple[Guard, ...] = ()


S, M, G = State, Move, Guard
TABLE: dict[tuple[State, Move], Step] = {
    (S.DRAFT, M.SUBMIT): Step(S.IN_ASSESSMENT, STEWARD, (G.REVIEWERS_NAMED,)),
    (S.UPDATE_DUE, M.SUBMIT): Step(S.IN_ASSESSMENT, STEWARD, (G.REVIEWERS_NAMED,)),
    (S.IN_ASSESSMENT, M.ACCEPT): Step(S.CONTEXTUALIZING, REVIEW, (G.REVIEWS_ACCEPTED,)),
    (S.IN_ASSESSMENT, M.RETURN): Step(S.DRAFT, REVIEW, (G.REVISION_ASKED,)),
    (S.IN_ASSESSMENT, M.DECLINE): Step(S.RETIRED, REVIEW, (G.DECLINED,)),
    (S.CONTEXTUALIZING, M.SHARE_INSTITUTION): Step(S.SHARED_INSTITUTION, STEWARD, (G.CONTEXT_COMPLETE,)),
    (S.SHARED_INSTITUTION, M.PROPOSE_PROGRAM): Step(S.PROPOSED_PROGRAM, APPROVE, (G.REVIEWS_ACCEPTED,)),
    (S.PROPOSED_PROGRAM, M.PUBLISH_PROGRAM): Step(S.SHARED_PROGRAM, CURATE, (G.REVIEWS_ACCEPTED, G.LEAD_APPROVED)),
    (S.PROPOSED_PROGRAM, M.RETURN_INSTITUTION): Step(S.SHARED_INSTITUTION, CURATE),
    (S.SHARED_PROGRAM, M.MARK_IN_USE): Step(S.IN_USE, STEWARD),
    (S.SHARED_PROGRAM, M.APPLIED): Step(S.IN_USE, APPLY),
    (S.SHARED_INSTITUTION, M.FLAG_UPDATE): Step(S.UPDATE_DUE, FLAG),
    (S.SHARED_PROGRAM, M.FLAG_UPDATE): Step(S.UPDATE_DUE, FLAG),
    (S.IN_USE, M.FLAG_UPDATE): Step(S.UPDATE_DUE, FLAG),
    (S.UPDATE_DUE, M.RETIRE): Step(S.RETIRED, STEWARD),
}
# Withdrawal from program scope is possible from every state (DOMAIN.md: "the school can
# always withdraw it"); proposed and shared items fall back to the school.
_WITHDRAW_TO = {S.PROPOSED_PROGRAM: S.SHARED_INSTITUTION, S.SHARED_PROGRAM: S.SHARED_INSTITUTION, S.IN_USE: S.SHARED_INSTITUTION}
for _state in State:
    TABLE[(_state, M.WITHDRAW)] = Step(_WITHDRAW_TO.get(_state, _state), STEWARD, (G.IN_PROGRAM_SCOPE,))

# Moves a person asks for with the transition form; the review moves follow from decisions.
REQUESTED = frozenset(Move) - {M.ACCEPT, M.RETURN, M.DECLINE, M.APPLIED}
# States in which authors change the text (a new version is made when it is submitted).
EDITABLE = frozenset({S.DRAFT, S.UPDATE_DUE})
# States whose current version has passed assessment and contextualization: it is shared.
SHARED_STATES = frozenset({S.SHARED_INSTITUTION, S.PROPOSED_PROGRAM, S.SHARED_PROGRAM, S.IN_USE, S.UPDATE_DUE})

MOVE_LABELS = {
    M.SUBMIT: "Submit for assessment",
    M.ACCEPT: "Accepted by both reviewers",
    M.RETURN: "Returned for revision",
    M.DECLINE: "Declined in assessment",
    M.SHARE_INSTITUTION: "Share with the institution",
    M.PROPOSE_PROGRAM: "Approve and propose to the program",
    M.PUBLISH_PROGRAM: "Share with the program",
    M.RETURN_INSTITUTION: "Return to the institution",
    M.MARK_IN_USE: "Mark as in use",
    M.APPLIED: "First “we applied this” report",
    M.FLAG_UPDATE: "Flag as due for update",
    M.RETIRE: "Retire",
    M.WITHDRAW: "Withdraw from the program",
}
STATE_LABELS = {
    S.DRAFT: "Draft",
    S.IN_ASSESSMENT: "In assessment",
    S.CONTEXTUALIZING: "Contextualizing",
    S.SHARED_INSTITUTION: "Shared with the institution",
    S.PROPOSED_PROGRAM: "Proposed to the program",
    S.SHARED_PROGRAM: "Shared with the program",
    S.IN_USE: "In use",
    S.UPDATE_DUE: "Update due",
    S.RETIRED: "Retired",
}

_GUARD_MESSAGES = {
    G.REVIEWERS_NAMED: "Name a content reviewer and a safety reviewer (two different people) before submitting.",
    G.REVIEWS_ACCEPTED: "Both the content review and the safety review of this version must accept it first.",
    G.REVISION_ASKED: "No reviewer asked for a revision.",
    G.DECLINED: "No reviewer declined it.",
    G.CONTEXT_COMPLETE: "Describe the conditions it depended on, when not to use it, and a contact who can help before sharing.",
    G.LEAD_APPROVED: "The institution's lead has not approved it for the program.",
    G.IN_PROGRAM_SCOPE: "It is not shared with the program, so there is nothing to withdraw.",
}


class InvalidTransition(Conflict):
    """A move the cycle does not allow from this state, or whose guard does not hold."""


@dataclass(frozen=True)
class Facts:
    """What the guards look at, gathered by the service."""

    reviewers_named: bool = False
    reviews_accepted: bool = False
    revision_asked: bool = False
    declined: bool = False
    context_complete: bool = False
    lead_approved: bool = False
    in_program_scope: bool = False

    def holds(self, guard: Guard) -> bool:
        return bool(getattr(self, guard.value))


def step(state: State, move: Move) -> Step:
    """The table's entry, or InvalidTransition with a message fit to show."""
    found = TABLE.get((state, move))
    if found is None:
        raise InvalidTransition(f"“{MOVE_LABELS[move]}” is not possible while the resource is “{STATE_LABELS[state]}”.", field="move")
    return found


def next_state(state: State, move: Move, facts: Facts) -> Step:
    """The step for `move` from `state` once every guard holds; InvalidTransition otherwise."""
    found = step(state, move)
    for guard in found.guards:
        if not facts.holds(guard):
            raise InvalidTransition(_GUARD_MESSAGES[guard], field="move")
    return found


def moves_from(state: State) -> list[Move]:
    """The requested moves the table allows from `state` (the buttons a page may offer)."""
    return [move for (from_state, move) in TABLE if from_state is state and move in REQUESTED]
