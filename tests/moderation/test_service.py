"""The moderation queue's intents against a real database: who flags, whose queue shows
what, what hiding, dismissing and warning do (rows, events, audit entries), the edit
history for moderators only, and bad input that stores nothing (SEC-A1, SEC-A2, SEC-B2,
SEC-B4)."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from artme_cop.conversations import service as conversations
from artme_cop.conversations.models import Message
from artme_cop.errors import Conflict, Forbidden, Invalid, NotFound
from artme_cop.moderation import flags
from artme_cop.moderation.models import AuditEntry, Flag, ModerationWarning
from artme_cop.realtime.events import Event
from tests.factories import World
from tests.moderation.conftest import Extras, UowFactory, actor_of, post
from tests.realtime.conftest import Spaces


async def _flag(units: UowFactory, person: object, conversation_id: int, seq: int, reason: str = "harmful", note: str = "") -> flags.Flagged:
    actor = await actor_of(units, person)  # type: ignore[arg-type]
    async with units() as uow:
        return await flags.flag_message(uow, actor, conversation_id, seq, reason=reason, note=note)


async def _queue(units: UowFactory, person: object, status: str = "open") -> list[flags.QueueItem]:
    actor = await actor_of(units, person)  # type: ignore[arg-type]
    async with units() as uow:
        return await flags.list_queue(uow, actor, status=status)


async def _rows(units: UowFactory, model: type) -> list:  # type: ignore[type-arg]
    async with units() as uow:
        return list((await uow.session.execute(select(model).order_by(model.id))).scalars())


async def _audit(units: UowFactory) -> list[tuple[str, int | None, dict[str, object]]]:
    return [(e.action, e.institution_id, json.loads(e.detail)) for e in await _rows(units, AuditEntry)]


async def _flag_states(units: UowFactory) -> list[tuple[int, str, int | None]]:
    return [(f.id, f.status, f.resolved_by_id) for f in await _rows(units, Flag)]


def _seen(items: list[flags.QueueItem]) -> set[tuple[int, int]]:
    return {(item.conversation_id, item.seq) for item in items}


# --- who sees a flag --------------------------------------------------------------------------


async def test_flag_reaches_the_queue_of_the_space_moderators_only(units: UowFactory, world: World, spaces: Spaces, extras: Extras) -> None:
    a1 = await post(units, world.faculty_a, spaces.cohort_a1, "a remark in A1")
    a2 = await post(units, world.participant_a2, spaces.cohort_a2, "a remark in A2")
    school = await post(units, world.student_a, spaces.institution_a, "a remark to all of Alder")
    everyone = await post(units, world.participant_b, spaces.consortium, "a remark to the consortium")
    await _flag(units, world.student_a, spaces.cohort_a1, a1, note="this hurt")
    await _flag(units, extras.facilitator_a2, spaces.cohort_a2, a2)
    await _flag(units, world.faculty_a, spaces.institution_a, school)
    await _flag(units, world.student_a, spaces.consortium, everyone, reason="spam")

    expected = {
        world.facilitator_a: {(spaces.cohort_a1, a1), (spaces.consortium, everyone)},
        world.coach: {(spaces.cohort_a1, a1), (spaces.consortium, everyone)},
        extras.facilitator_a2: {(spaces.cohort_a2, a2), (spaces.consortium, everyone)},
        # a facilitator of another school's cohort moderates consortium spaces only
        extras.facilitator_b1: {(spaces.consortium, everyone)},
        world.admin: {(spaces.consortium, everyone)},
        # a lead moderates their school's institution-wide space, no cohort space (rule 1)
        world.lead_a: {(spaces.institution_a, school)},
        world.lead_b: set(),
    }
    for person, seen in expected.items():
        assert _seen(await _queue(units, person)) == seen, person.display_name
    for person in (world.student_a, world.faculty_a, world.participant_b, world.coalition_a):
        actor = await actor_of(units, person)
        async with units() as uow:
            with pytest.raises(Forbidden):
                await flags.list_queue(uow, actor)


async def test_queue_item_groups_flags_of_a_message_and_names_no_flagger(units: UowFactory, world: World, spaces: Spaces) -> None:
    seq = await post(units, world.faculty_a, spaces.cohort_a1, "**careless** words")
    await _flag(units, world.student_a, spaces.cohort_a1, seq, note="names a patient")
    await _flag(units, world.coalition_a, spaces.cohort_a1, seq, reason="private_details")
    await _flag(units, world.lead_a, spaces.cohort_a1, seq)

    [item] = await _queue(units, world.facilitator_a)

    assert item.flag_count == 3
    assert [(r.reason, r.count) for r in item.reasons] == [("harmful", 2), ("private_details", 1)]
    assert item.notes == ["names a patient"]
    assert item.html == "<p><strong>careless</strong> words</p>"
    assert item.author["name"] == world.faculty_a.display_name
    assert item.conversation_title == "A1" and item.link == f"/conversations/{spaces.cohort_a1}?seq={seq}#m{seq}"
    assert item.resolution is None
    flagger_names = {world.student_a.display_name, world.coalition_a.display_name, world.lead_a.display_name}
    assert not any(name in repr(item) for name in flagger_names)


async def test_a_moderator_never_reviews_their_own_message(units: UowFactory, world: World, spaces: Spaces) -> None:
    seq = await post(units, world.facilitator_a, spaces.cohort_a1, "the facilitator's own words")
    await _flag(units, world.student_a, spaces.cohort_a1, seq)

    assert await _queue(units, world.facilitator_a) == []
    assert _seen(await _queue(units, world.coach)) == {(spaces.cohort_a1, seq)}
    actor = await actor_of(units, world.facilitator_a)
    async with units() as uow:
        with pytest.raises(Forbidden):
            await flags.hide_message(uow, actor, spaces.cohort_a1, seq, reason="mine")


async def test_flagging_twice_stores_one_open_flag_and_again_after_resolution(units: UowFactory, world: World, spaces: Spaces) -> None:
    seq = await post(units, world.faculty_a, spaces.cohort_a1, "once")
    first = await _flag(units, world.student_a, spaces.cohort_a1, seq)
    again = await _flag(units, world.student_a, spaces.cohort_a1, seq, reason="spam")
    assert (first.created, again.created, again.flag.id) == (True, False, first.flag.id)
    assert len(await _rows(units, Flag)) == 1

    coach = await actor_of(units, world.coach)
    async with units() as uow:
        assert await flags.dismiss_flags(uow, coach, first.flag.id) == 1
    later = await _flag(units, world.student_a, spaces.cohort_a1, seq)
    assert later.created and later.flag.id != first.flag.id


# --- refusals ---------------------------------------------------------------------------------


async def test_bad_flags_are_refused_and_store_nothing(units: UowFactory, world: World, spaces: Spaces, published: list[Event]) -> None:
    seq = await post(units, world.faculty_a, spaces.cohort_a1, "flag me")
    b1 = await post(units, world.participant_b, spaces.cohort_b1, "in B1")
    published.clear()
    student = await actor_of(units, world.student_a)
    author = await actor_of(units, world.faculty_a)
    cases: list[tuple[object, object, str, str, type[Exception]]] = [
        (spaces.cohort_a1, seq, "rude", "", Invalid),  # not a reason of the list
        (spaces.cohort_a1, seq, "", "", Invalid),
        (spaces.cohort_a1, seq, "harmful", "x" * (flags.NOTE_MAX + 1), Invalid),
        (spaces.cohort_a1, seq, "harmful", "bell \x07 inside", Invalid),
        (spaces.cohort_a1, seq, "other", "  ", Invalid),  # "something else" needs a note
        (spaces.cohort_a1, "abc", "harmful", "", Invalid),
        (spaces.cohort_a1, "-1", "harmful", "", Invalid),
        (spaces.cohort_a1, "99999999999", "harmful", "", Invalid),
        (spaces.cohort_a1, seq + 10, "harmful", "", NotFound),  # no such message
        (spaces.cohort_b1, b1, "harmful", "", NotFound),  # a space the flagger cannot read
        (987654, 1, "harmful", "", NotFound),
        ("x1", 1, "harmful", "", NotFound),
    ]
    for conversation_id, at, reason, note, error in cases:
        async with units() as uow:
            with pytest.raises(error):
                await flags.flag_message(uow, student, conversation_id, at, reason=reason, note=note)
    async with units() as uow:
        with pytest.raises(Invalid):  # one's own message: edit or delete it instead
            await flags.flag_message(uow, author, spaces.cohort_a1, seq, reason="harmful", note="")
    assert await _rows(units, Flag) == []
    assert published == []


async def test_an_outsider_cannot_act_and_nothing_changes(units: UowFactory, world: World, spaces: Spaces, extras: Extras, published: list[Event]) -> None:
    """SEC-B2: moderating power ends at the spaces one moderates: 404 where one cannot read,
    Forbidden where one reads but does not moderate."""
    seq = await post(units, world.participant_a2, spaces.cohort_a2, "in A2")
    flagged = await _flag(units, extras.facilitator_a2, spaces.cohort_a2, seq)
    a1 = await post(units, world.faculty_a, spaces.cohort_a1, "in A1")
    a1_flag = await _flag(units, world.student_a, spaces.cohort_a1, a1)
    published.clear()
    before = (await _flag_states(units), await _audit(units))

    for person in (world.facilitator_a, world.lead_a, world.lead_b, world.admin, extras.facilitator_b1):
        actor = await actor_of(units, person)
        async with units() as uow:
            with pytest.raises(NotFound):
                await flags.hide_message(uow, actor, spaces.cohort_a2, seq, reason="no")
        async with units() as uow:
            with pytest.raises(NotFound):
                await flags.dismiss_flags(uow, actor, flagged.flag.id)
        async with units() as uow:
            with pytest.raises(NotFound):
                await flags.warn_author(uow, actor, spaces.cohort_a2, seq, text="no")
        async with units() as uow:
            with pytest.raises(NotFound):
                await flags.message_history(uow, actor, spaces.cohort_a2, seq)
    # Readers of A1 who do not moderate it: a participant and the school's lead.
    for person in (world.student_a, world.lead_a):
        actor = await actor_of(units, person)
        async with units() as uow:
            with pytest.raises(Forbidden):
                await flags.hide_message(uow, actor, spaces.cohort_a1, a1, reason="no")
        async with units() as uow:
            with pytest.raises(NotFound):
                await flags.dismiss_flags(uow, actor, a1_flag.flag.id)
        async with units() as uow:
            with pytest.raises(Forbidden):
                await flags.message_history(uow, actor, spaces.cohort_a1, a1)
    assert (await _flag_states(units), await _audit(units)) == before
    assert published == []
    async with units() as uow:
        hidden = (await uow.session.execute(select(func.count(Message.id)).where(Message.hidden_at.is_not(None)))).scalar_one()
    assert hidden == 0


# --- hide, unhide, dismiss, warn -----------------------------------------------------------------


async def test_hide_blanks_the_message_everywhere_resolves_flags_and_is_audited(units: UowFactory, world: World, spaces: Spaces, published: list[Event]) -> None:
    seq = await post(units, world.faculty_a, spaces.cohort_a1, "canary-hidden-text")
    await _flag(units, world.student_a, spaces.cohort_a1, seq, note="please look")
    await _flag(units, world.coalition_a, spaces.cohort_a1, seq, reason="harassment")
    published.clear()
    coach = await actor_of(units, world.coach)

    async with units() as uow:
        await flags.hide_message(uow, coach, spaces.cohort_a1, seq, reason="Names a student")

    [event] = published
    assert (event.topic, event.type, event.op, event.id) == (f"conv:{spaces.cohort_a1}", "hidden", "update", seq)
    assert event.data["hidden"] is True and event.data["html"] == "" and event.data["seq"] == seq
    assert "canary" not in event.wire and "Names a student" not in event.wire
    reader = await actor_of(units, world.student_a)
    async with units() as uow:
        _, page = await conversations.history(uow, reader, spaces.cohort_a1)
        replayed = await conversations.replay(uow, reader, spaces.cohort_a1, after_seq=0)
    assert [(m["seq"], m["hidden"], m["html"]) for m in page] == [(seq, True, "")]
    assert [(e.data["hidden"], e.data["html"]) for e in replayed] == [(True, "")]
    assert await _queue(units, world.coach) == []
    [item] = await _queue(units, world.coach, status="resolved")
    assert item.hidden and item.hide_reason == "Names a student" and item.flag_count == 2
    assert item.resolution is not None and item.resolution.status == "actioned" and item.resolution.by == world.coach.display_name
    assert {f.status for f in await _rows(units, Flag)} == {"actioned"}
    assert (await _audit(units))[-1] == (
        "message_hidden", world.institution_a.id, {"conversation": spaces.cohort_a1, "seq": seq, "flags": 2, "reason": "Names a student"}
    )
    lead = await actor_of(units, world.lead_a)
    async with units() as uow:
        with pytest.raises(Conflict):
            await flags.hide_message(uow, coach, spaces.cohort_a1, seq, reason="again")
        with pytest.raises(Conflict):  # nobody flags what is already hidden
            await flags.flag_message(uow, lead, spaces.cohort_a1, seq, reason="harmful", note="")


async def test_unhide_shows_the_message_again(units: UowFactory, world: World, spaces: Spaces, published: list[Event]) -> None:
    seq = await post(units, world.participant_b, spaces.consortium, "back again")
    admin = await actor_of(units, world.admin)
    async with units() as uow:
        await flags.hide_message(uow, admin, spaces.consortium, seq, reason="checking")
    published.clear()

    async with units() as uow:
        await flags.unhide_message(uow, admin, spaces.consortium, seq, note="it was fine")

    [event] = published
    assert (event.type, event.op, event.data["hidden"], event.data["html"]) == ("unhidden", "update", False, "<p>back again</p>")
    assert (await _audit(units))[-1] == ("message_unhidden", None, {"conversation": spaces.consortium, "seq": seq, "note": "it was fine"})
    async with units() as uow:
        with pytest.raises(Conflict):
            await flags.unhide_message(uow, admin, spaces.consortium, seq)


async def test_dismiss_resolves_the_message_flags_and_is_audited(units: UowFactory, world: World, spaces: Spaces, published: list[Event]) -> None:
    seq = await post(units, world.student_a, spaces.consortium, "an honest question")
    await _flag(units, world.participant_b, spaces.consortium, seq, reason="spam")
    newest = await _flag(units, world.faculty_a, spaces.consortium, seq, reason="other", note="off-topic?")
    published.clear()
    facilitator = await actor_of(units, world.facilitator_a)

    async with units() as uow:
        assert await flags.dismiss_flags(uow, facilitator, newest.flag.id, note="On topic for phase 2") == 2

    assert published == []
    assert await _queue(units, world.admin) == []
    [item] = await _queue(units, world.admin, status="resolved")
    assert item.resolution is not None and (item.resolution.status, item.resolution.note) == ("dismissed", "On topic for phase 2")
    assert (await _audit(units))[-1] == ("flags_dismissed", None, {"conversation": spaces.consortium, "seq": seq, "flags": 2, "note": "On topic for phase 2"})
    async with units() as uow:
        with pytest.raises(Conflict):
            await flags.dismiss_flags(uow, facilitator, newest.flag.id)
    for key in ("abc", "0", "-3", 987654, "99999999999"):
        async with units() as uow:
            with pytest.raises(NotFound):
                await flags.dismiss_flags(uow, facilitator, key)


async def test_warning_reaches_the_author_live_and_on_their_page(units: UowFactory, world: World, spaces: Spaces, published: list[Event]) -> None:
    seq = await post(units, world.faculty_a, spaces.cohort_a1, "a hurtful joke")
    await _flag(units, world.student_a, spaces.cohort_a1, seq)
    published.clear()
    facilitator = await actor_of(units, world.facilitator_a)

    async with units() as uow:
        warning = await flags.warn_author(uow, facilitator, spaces.cohort_a1, seq, text="Please return to the agreements.\nThanks.")

    [event, notified] = published
    assert (event.topic, event.type, event.op, event.id) == (f"person:{world.faculty_a.id}", "warning", "add", warning.id)
    # The badge counts it too: a notification that names no moderator and quotes nothing.
    assert (notified.topic, notified.type, notified.data["kind"], notified.data["link"]) == (f"person:{world.faculty_a.id}", "notification", "warning", "/moderation/warnings")
    assert event.data == {
        "id": warning.id, "conversation": spaces.cohort_a1, "seq": seq, "text": "Please return to the agreements.\nThanks.",
        "created_at": warning.created_at.isoformat(), "link": f"/conversations/{spaces.cohort_a1}?seq={seq}#m{seq}",
    }
    author = await actor_of(units, world.faculty_a)
    async with units() as uow:
        [shown] = await flags.list_my_warnings(uow, author)
    assert (shown.text, shown.conversation_title, shown.link) == ("Please return to the agreements.\nThanks.", "A1", f"/conversations/{spaces.cohort_a1}?seq={seq}#m{seq}")
    for other in (world.student_a, world.facilitator_a):
        someone = await actor_of(units, other)
        async with units() as uow:
            assert await flags.list_my_warnings(uow, someone) == []
    assert {f.status for f in await _rows(units, Flag)} == {"actioned"}
    [row] = await _rows(units, ModerationWarning)
    assert (row.person_id, row.moderator_id) == (world.faculty_a.id, world.facilitator_a.id)
    assert (await _audit(units))[-1] == ("author_warned", world.institution_a.id, {"conversation": spaces.cohort_a1, "seq": seq, "flags": 1, "warning": warning.id})


async def test_bad_review_input_changes_nothing(units: UowFactory, world: World, spaces: Spaces, published: list[Event]) -> None:
    seq = await post(units, world.faculty_a, spaces.cohort_a1, "steady")
    published.clear()
    coach = await actor_of(units, world.coach)
    for call in (
        lambda uow: flags.hide_message(uow, coach, spaces.cohort_a1, seq, reason=""),
        lambda uow: flags.hide_message(uow, coach, spaces.cohort_a1, seq, reason="x" * (flags.REASON_MAX + 1)),
        lambda uow: flags.warn_author(uow, coach, spaces.cohort_a1, seq, text=" "),
        lambda uow: flags.warn_author(uow, coach, spaces.cohort_a1, seq, text="x" * (flags.WARNING_MAX + 1)),
        lambda uow: flags.hide_message(uow, coach, spaces.cohort_a1, "1.5", reason="fine"),
    ):
        async with units() as uow:
            with pytest.raises(Invalid):
                await call(uow)
    for call in (
        lambda uow: flags.hide_message(uow, coach, spaces.cohort_a1, seq + 1, reason="fine"),
        lambda uow: flags.warn_author(uow, coach, 987654, 1, text="fine"),
    ):
        async with units() as uow:
            with pytest.raises(NotFound):
                await call(uow)
    assert published == []
    assert await _rows(units, ModerationWarning) == [] and await _audit(units) == []


# --- edit history --------------------------------------------------------------------------------


async def test_edit_history_is_for_moderators_and_each_read_is_audited(units: UowFactory, world: World, spaces: Spaces) -> None:
    seq = await post(units, world.faculty_a, spaces.cohort_a1, "first words")
    author = await actor_of(units, world.faculty_a)
    for text in ("second words", "third words"):
        async with units() as uow:
            await conversations.edit_message(uow, author, spaces.cohort_a1, seq, body=text)
    coach = await actor_of(units, world.coach)

    async with units() as uow:
        history = await flags.message_history(uow, coach, spaces.cohort_a1, seq)

    assert history.current.body == "third words"
    assert [v.body for v in history.earlier] == ["first words", "second words"]
    assert {v.editor for v in history.earlier} == {world.faculty_a.display_name}
    assert (await _audit(units))[-1] == ("message_history_read", world.institution_a.id, {"conversation": spaces.cohort_a1, "seq": seq})
    for person in (world.student_a, world.faculty_a, world.lead_a):
        reader = await actor_of(units, person)
        async with units() as uow:
            with pytest.raises(Forbidden):
                await flags.message_history(uow, reader, spaces.cohort_a1, seq)
    outsider = await actor_of(units, world.lead_b)
    async with units() as uow:
        with pytest.raises(NotFound):
            await flags.message_history(uow, outsider, spaces.cohort_a1, seq)


async def test_a_concurrent_duplicate_flag_is_answered_with_the_stored_one(units: UowFactory, world: World, spaces: Spaces, monkeypatch: pytest.MonkeyPatch) -> None:
    """The partial unique index is the last word: when the look-up missed the same person's
    flag stored meanwhile, the insert fails inside a savepoint and the stored flag is returned,
    with the rest of the transaction intact."""
    seq = await post(units, world.faculty_a, spaces.cohort_a1, "raced")
    other = await post(units, world.faculty_a, spaces.cohort_a1, "flagged in the same transaction")
    first = await _flag(units, world.student_a, spaces.cohort_a1, seq)
    real_lookup = flags.queries.get_open_flag
    calls: list[int] = []

    async def missed_once(session: object, message_id: int, flagger_id: int) -> Flag | None:
        calls.append(message_id)
        return None if len(calls) == 1 else await real_lookup(session, message_id, flagger_id)  # type: ignore[arg-type]

    monkeypatch.setattr(flags.queries, "get_open_flag", missed_once)
    student = await actor_of(units, world.student_a)
    async with units() as uow:
        again = await flags.flag_message(uow, student, spaces.cohort_a1, seq, reason="spam", note="")
        later = await flags.flag_message(uow, student, spaces.cohort_a1, other, reason="spam", note="")

    assert len(calls) == 3
    assert (again.created, again.flag.id, later.created) == (False, first.flag.id, True)
    assert [(f.id, f.reason) for f in await _rows(units, Flag)] == [(first.flag.id, "harmful"), (later.flag.id, "spam")]
