"""The knowledge-management cycle through the service, person by person: every allowed move
by every persona the policy allows, every other persona refused with nothing changed, every
move the table does not allow refused with a clear error, and the history recorded with who,
when, why, from and to. No item reaches program scope without both reviews and the lead's
approval; withdrawal wins from every state (SEC-B1, SEC-A4)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select, update

from artme_cop.errors import DomainError, NotFound
from artme_cop.knowledge import cycle
from artme_cop.knowledge import service as knowledge
from artme_cop.knowledge.cycle import InvalidTransition, Move, State
from artme_cop.knowledge.models import Resource, Review, Transition
from tests.factories import World
from tests.knowledge.helpers import add_context, actor_of, move, resource_in, review, state_of, submit
from tests.support import MutableClock

PERSONAS = ("admin", "coach", "facilitator_a", "lead_a", "coalition_a", "student_a", "faculty_a", "participant_a2", "lead_b", "participant_b")
IN_A = {"coach", "facilitator_a", "lead_a", "coalition_a", "student_a", "faculty_a", "participant_a2"}
STEWARDS = {"coalition_a", "lead_a"}
# (state, requested move) -> the personas allowed to make it
ALLOWED: dict[tuple[State, Move], set[str]] = {
    (State.DRAFT, Move.SUBMIT): STEWARDS,
    (State.UPDATE_DUE, Move.SUBMIT): STEWARDS,
    (State.CONTEXTUALIZING, Move.SHARE_INSTITUTION): STEWARDS,
    (State.SHARED_INSTITUTION, Move.PROPOSE_PROGRAM): {"lead_a"},
    (State.PROPOSED_PROGRAM, Move.PUBLISH_PROGRAM): {"admin"},
    (State.PROPOSED_PROGRAM, Move.RETURN_INSTITUTION): {"admin"},
    (State.SHARED_PROGRAM, Move.MARK_IN_USE): STEWARDS,
    (State.SHARED_INSTITUTION, Move.FLAG_UPDATE): IN_A,
    (State.SHARED_PROGRAM, Move.FLAG_UPDATE): set(PERSONAS),
    (State.IN_USE, Move.FLAG_UPDATE): set(PERSONAS),
    (State.UPDATE_DUE, Move.RETIRE): STEWARDS,
    (State.PROPOSED_PROGRAM, Move.WITHDRAW): STEWARDS,
    (State.SHARED_PROGRAM, Move.WITHDRAW): STEWARDS,
    (State.IN_USE, Move.WITHDRAW): STEWARDS,
    (State.UPDATE_DUE, Move.WITHDRAW): STEWARDS,  # it reached the program before falling due
}
EXTRA = {Move.SUBMIT: lambda w: {"content_reviewer": str(w.coach.id), "safety_reviewer": str(w.facilitator_a.id)}, Move.PROPOSE_PROGRAM: lambda w: {"attribution": "named"}}
ALLOWED_CASES = [(pair, persona) for pair, personas in ALLOWED.items() for persona in sorted(personas)]
REFUSED_CASES = [(pair, persona) for pair, personas in ALLOWED.items() for persona in PERSONAS if persona not in personas]
IMPOSSIBLE = [(state, m) for state in State for m in sorted(cycle.REQUESTED) if (state, m) not in ALLOWED and not (m is Move.WITHDRAW)]


async def _history(app: Any, public_id: str) -> list[Transition]:
    async with app.state.uow(read_only=True) as uow:
        resource = await knowledge.queries.get_resource(uow.session, public_id)
        assert resource is not None
        return list((await uow.session.execute(select(Transition).where(Transition.resource_id == resource.id).order_by(Transition.id))).scalars())


async def _ready(app: Any, world: World, state: State) -> str:
    """A resource in `state` whose guards all hold, so only the person decides the outcome."""
    public_id = await resource_in(app, world, state)
    if state is State.CONTEXTUALIZING:
        await add_context(app, world, public_id)
    return public_id


async def _try(app: Any, world: World, persona: str, public_id: str, m: Move) -> None:
    extra = EXTRA.get(m, lambda w: {})(world)
    await move(app, getattr(world, persona), public_id, m.value, reason="Because the table says so.", **extra)


@pytest.mark.parametrize(("pair", "persona"), ALLOWED_CASES, ids=[f"{s}-{m}-{p}" for (s, m), p in ALLOWED_CASES])
async def test_allowed_move_is_made_and_recorded(app: Any, world: World, clock: MutableClock, pair: tuple[State, Move], persona: str) -> None:
    state, m = pair
    public_id = await _ready(app, world, state)
    before = await _history(app, public_id)
    clock.advance(minutes=5)

    await _try(app, world, persona, public_id, m)

    assert await state_of(app, public_id) == cycle.TABLE[(state, m)].next_state.value
    after = await _history(app, public_id)
    assert len(after) == len(before) + 1
    last = after[-1]
    assert (last.move, last.from_state, last.to_state) == (m.value, state.value, cycle.TABLE[(state, m)].next_state.value)
    assert last.actor_id == getattr(world, persona).id
    assert last.at == clock.now()
    assert last.reason == "Because the table says so."


@pytest.mark.parametrize(("pair", "persona"), REFUSED_CASES, ids=[f"{s}-{m}-{p}" for (s, m), p in REFUSED_CASES])
async def test_move_by_anyone_else_is_refused_and_changes_nothing(app: Any, world: World, pair: tuple[State, Move], persona: str) -> None:
    state, m = pair
    public_id = await _ready(app, world, state)
    before = await _history(app, public_id)

    with pytest.raises(DomainError) as refused:
        await _try(app, world, persona, public_id, m)

    assert refused.value.code in {"forbidden", "not_found"}
    assert await state_of(app, public_id) == state.value
    assert len(await _history(app, public_id)) == len(before)


@pytest.mark.parametrize(("state", "m"), IMPOSSIBLE, ids=[f"{s}-{m}" for s, m in IMPOSSIBLE])
async def test_move_the_table_does_not_allow_is_refused_with_a_clear_error(app: Any, world: World, state: State, m: Move) -> None:
    public_id = await resource_in(app, world, state)
    before = await _history(app, public_id)

    with pytest.raises(InvalidTransition) as refused:
        await _try(app, world, "lead_a", public_id, m)

    assert cycle.MOVE_LABELS[m] in refused.value.message and cycle.STATE_LABELS[state] in refused.value.message
    assert await state_of(app, public_id) == state.value
    assert len(await _history(app, public_id)) == len(before)


WITHDRAW_GUARDED = [State.DRAFT, State.IN_ASSESSMENT, State.CONTEXTUALIZING, State.SHARED_INSTITUTION, State.RETIRED]


@pytest.mark.parametrize("state", WITHDRAW_GUARDED)
async def test_withdraw_refused_when_not_in_program_scope(app: Any, world: World, state: State) -> None:
    public_id = await resource_in(app, world, state)
    with pytest.raises(InvalidTransition, match="nothing to withdraw"):
        await _try(app, world, "lead_a", public_id, Move.WITHDRAW)


REVIEWERS = {"content": "coach", "safety": "facilitator_a"}


@pytest.mark.parametrize("role", sorted(REVIEWERS))
@pytest.mark.parametrize("persona", PERSONAS)
async def test_only_the_named_reviewer_decides_a_review(app: Any, world: World, role: str, persona: str) -> None:
    public_id = await resource_in(app, world, State.IN_ASSESSMENT)
    if persona == REVIEWERS[role]:
        await review(app, getattr(world, persona), public_id, role, "accept")
        assert await state_of(app, public_id) == State.IN_ASSESSMENT.value  # the other review is pending
        return
    with pytest.raises(DomainError):
        await review(app, getattr(world, persona), public_id, role, "accept")
    async with app.state.uow(read_only=True) as uow:
        decisions = set((await uow.session.execute(select(Review.decision))).scalars())
    assert decisions == {"pending"}


async def test_revision_returns_to_draft_and_a_new_version_is_assessed(app: Any, world: World) -> None:
    public_id = await resource_in(app, world, State.IN_ASSESSMENT)
    await review(app, world.coach, public_id, "content", "revise", "Add the source of the four Ds.")
    assert await state_of(app, public_id) == State.DRAFT.value
    async with app.state.uow() as uow:
        content = knowledge.clean_content(**{**__import__("tests.knowledge.helpers", fromlist=["CONTENT"]).CONTENT, "body": "# The four Ds\n\nFrom Right To Be.\n\n1. Direct"})
        await knowledge.edit_resource(uow, await actor_of(uow, world.coalition_a), public_id, content)
    await submit(app, world, public_id)
    await review(app, world.coach, public_id, "content", "accept")
    await review(app, world.facilitator_a, public_id, "safety", "accept")
    assert await state_of(app, public_id) == State.CONTEXTUALIZING.value
    history = await _history(app, public_id)
    assert [(t.move, t.version_number) for t in history] == [("submit", 1), ("return", 1), ("submit", 2), ("accept", 2)]
    assert history[1].reason == "Add the source of the four Ds."


async def test_revise_and_decline_need_comments(app: Any, world: World) -> None:
    public_id = await resource_in(app, world, State.IN_ASSESSMENT)
    for decision in ("revise", "decline"):
        with pytest.raises(DomainError, match="comments"):
            await review(app, world.coach, public_id, "content", decision)
    assert await state_of(app, public_id) == State.IN_ASSESSMENT.value


async def test_decline_retires_it(app: Any, world: World) -> None:
    public_id = await resource_in(app, world, State.RETIRED)
    assert [t.move for t in await _history(app, public_id)] == ["submit", "decline"]


async def test_full_history_records_every_step(app: Any, world: World) -> None:
    public_id = await resource_in(app, world, State.UPDATE_DUE)
    steps = [(t.move, t.from_state, t.to_state) for t in await _history(app, public_id)]
    assert steps == [
        ("submit", "draft", "in_assessment"),
        ("accept", "in_assessment", "contextualizing"),
        ("share_institution", "contextualizing", "shared_institution"),
        ("propose_program", "shared_institution", "proposed_program"),
        ("publish_program", "proposed_program", "shared_program"),
        ("mark_in_use", "shared_program", "in_use"),
        ("flag_update", "in_use", "update_due"),
    ]


async def test_sharing_needs_the_context(app: Any, world: World) -> None:
    public_id = await resource_in(app, world, State.CONTEXTUALIZING)
    with pytest.raises(InvalidTransition, match="conditions"):
        await move(app, world.coalition_a, public_id, "share_institution")


async def test_submit_needs_two_different_eligible_reviewers(app: Any, world: World) -> None:
    public_id = await resource_in(app, world, State.DRAFT)
    with pytest.raises(InvalidTransition, match="content reviewer and a safety reviewer"):
        await move(app, world.coalition_a, public_id, "submit")
    with pytest.raises(DomainError, match="two different people"):
        await move(app, world.coalition_a, public_id, "submit", content_reviewer=str(world.coach.id), safety_reviewer=str(world.coach.id))
    # an author cannot review, nor can someone of another school
    for person in (world.coalition_a, world.participant_b, world.student_a):
        with pytest.raises(DomainError, match="cannot review"):
            await move(app, world.coalition_a, public_id, "submit", content_reviewer=str(person.id), safety_reviewer=str(world.coach.id))
    assert await state_of(app, public_id) == State.DRAFT.value
    assert await _history(app, public_id) == []


async def _tamper(app: Any, public_id: str, **values: Any) -> None:
    async with app.state.uow() as uow:
        await uow.session.execute(update(Resource).where(Resource.public_id == public_id).values(**values))


async def test_program_scope_refused_without_the_leads_approval(app: Any, world: World) -> None:
    public_id = await resource_in(app, world, State.PROPOSED_PROGRAM)
    await _tamper(app, public_id, approved_by_id=None)
    with pytest.raises(InvalidTransition, match="lead has not approved"):
        await move(app, world.admin, public_id, "publish_program")
    assert await state_of(app, public_id) == State.PROPOSED_PROGRAM.value


async def test_program_scope_refused_without_both_reviews(app: Any, world: World) -> None:
    public_id = await resource_in(app, world, State.PROPOSED_PROGRAM)
    async with app.state.uow() as uow:
        await uow.session.execute(update(Review).where(Review.role == "safety").values(decision="pending"))
    with pytest.raises(InvalidTransition, match="Both the content review and the safety review"):
        await move(app, world.admin, public_id, "publish_program")
    assert await state_of(app, public_id) == State.PROPOSED_PROGRAM.value


async def test_proposal_needs_an_attribution_choice(app: Any, world: World) -> None:
    public_id = await resource_in(app, world, State.SHARED_INSTITUTION)
    with pytest.raises(DomainError, match="Choose how the school is named"):
        await move(app, world.lead_a, public_id, "propose_program")
    assert await state_of(app, public_id) == State.SHARED_INSTITUTION.value


async def test_partner_attribution_refused_while_text_names_the_school(app: Any, world: World) -> None:
    public_id = await resource_in(app, world, State.SHARED_INSTITUTION, body="How Alder runs the four Ds.")
    with pytest.raises(DomainError, match="names the school"):
        await move(app, world.lead_a, public_id, "propose_program", attribution="partner")
    assert await state_of(app, public_id) == State.SHARED_INSTITUTION.value


async def _readable_by(app: Any, person: Any, public_id: str) -> bool:
    async with app.state.uow(read_only=True) as uow:
        try:
            await knowledge.access_resource(uow, await actor_of(uow, person), public_id)
        except NotFound:
            return False
        return True


@pytest.mark.parametrize("state", [State.PROPOSED_PROGRAM, State.SHARED_PROGRAM, State.IN_USE, State.UPDATE_DUE])
async def test_withdrawal_wins(app: Any, world: World, state: State) -> None:
    """The school takes it back from the program: another school no longer finds it, the
    admins cannot publish it, and the lead must approve again."""
    public_id = await resource_in(app, world, state)
    await move(app, world.lead_a, public_id, "withdraw", reason="Our dean asked us to revise it.")
    assert await state_of(app, public_id) == cycle.TABLE[(state, Move.WITHDRAW)].next_state.value
    assert not await _readable_by(app, world.participant_b, public_id)
    assert await _readable_by(app, world.student_a, public_id)
    with pytest.raises(DomainError):  # not a proposal any more (and no longer the admins' to read)
        await move(app, world.admin, public_id, "publish_program")
    assert await state_of(app, public_id) == cycle.TABLE[(state, Move.WITHDRAW)].next_state.value


async def test_withdrawal_wins_during_reassessment(app: Any, world: World) -> None:
    public_id = await resource_in(app, world, State.UPDATE_DUE)
    await submit(app, world, public_id)
    assert await _readable_by(app, world.participant_b, public_id)  # the shared version stays readable
    await move(app, world.coalition_a, public_id, "withdraw", reason="Not yet.")
    assert await state_of(app, public_id) == State.IN_ASSESSMENT.value
    assert not await _readable_by(app, world.participant_b, public_id)
