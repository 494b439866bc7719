"""The authorization matrix of the administration pages (SECURITY.md sections A and B).

Every persona of the two-institution world is driven through every administration route over
HTTP, and the outcome is compared with one table (SEC-B1). Denials change nothing in the
database (SEC-A4), a forbidden object looks exactly like a missing one (SEC-A2), anonymous
visitors are sent to the sign-in page, and a route inventory check makes sure that a new
route cannot be added without a row here (section A, "route inventory").

Also covered: the audit log is tenant-scoped (SEC-A3, SEC-K4), a program admin's read of a
school's roster is a logged privileged read that the school's lead can see (SEC-B6, DOMAIN
rule 2), and students' activity reaches people with authority only as counts (DOMAIN rule 1).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Awaitable, Callable

import httpx
import pytest
from bs4 import BeautifulSoup
from sqlalchemy import select
from starlette.routing import Mount, Route, WebSocketRoute

from artme_cop.conversations import service as conversations
from artme_cop.conversations.models import Conversation, ConversationKind, Message, ReadMarker
from artme_cop.forum import service as forum
from artme_cop.forum.models import Category
from artme_cop.identity import service as identity
from artme_cop.identity.models import Cohort, Institution, Invitation, Person, Role, RoleAssignment, TwoStepSecret
from artme_cop.moderation import flags
from artme_cop.moderation import service as audit
from artme_cop.moderation.models import AuditEntry, Flag, ModerationWarning
from artme_cop.notifications import service as notifications
from artme_cop.notifications.models import Notification, NotificationPreference
from artme_cop.policy import SpaceScope
from artme_cop.program.calendar import service as calendar
from artme_cop.program.calendar.models import ProgramSession
from artme_cop.program.phases import service as phases
from artme_cop.program.phases.catalog import PHASES
from artme_cop.program.phases.models import ChecklistMark, CohortPhase
from artme_cop.program.readiness import service as readiness
from artme_cop.program.readiness.aggregates import ITEMS
from artme_cop.program.readiness.models import Response, Survey
from artme_cop.program.coalition import service as coalition_service
from artme_cop.program.wins import service as win_service
from artme_cop.knowledge.cycle import State as KnowledgeState
from tests.knowledge import helpers as knowledge_helpers
from tests.dialogue import helpers as dialogue_helpers
from tests.program import helpers as program
from tests.conftest import make_client
from tests.forum.conftest import start as start_thread
from tests.labs import seed as lab_seed
from tests.factories import World
from tests.support import csrf_from, sign_in, snapshot, soup

MISSING_ID = 987654

# --- helpers ----------------------------------------------------------------------------------


def counts(rows: dict[str, list[tuple[object, ...]]]) -> dict[str, int]:
    return {name: len(table_rows) for name, table_rows in rows.items()}


# What a GET may write on purpose (SEC-E2): the audit entry of a privileged read (SEC-B6), and
# the reader's own read position, moved forward to what the page showed (a thread or a lab
# channel is marked read by reading it, so the pages keep working without scripts).
RECORDED_READS = {"privileged_read", "message_history_read"}


async def read_positions(app: Any) -> dict[tuple[int, int], int]:
    async with app.state.uow(read_only=True) as uow:
        rows = await uow.session.execute(select(ReadMarker.person_id, ReadMarker.conversation_id, ReadMarker.last_read_seq))
        return {(person, conversation): seq for person, conversation, seq in rows}


async def assert_get_changed_nothing(app: Any, before: dict[str, list[Any]], positions: dict[tuple[int, int], int], reader_id: int, label: str) -> None:
    """SEC-E2: a GET changes no row but the audit entries of privileged reads it adds and the
    reader's own read positions, which only move forward."""
    after = await snapshot(app)
    changed = sorted(name for name in before if name not in ("audit_log", "read_markers") and before[name] != after[name])
    assert not changed, f"{label}: a GET changed {changed}"
    audit_before, audit_after = before["audit_log"], after["audit_log"]
    assert audit_after[: len(audit_before)] == audit_before, f"{label}: a GET changed audit entries"
    async with app.state.uow(read_only=True) as uow:
        added = (await uow.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id).offset(len(audit_before)))).all()
    assert set(added) <= RECORDED_READS, f"{label}: a GET wrote audit entries {added}"
    moved = {key: seq for key, seq in (await read_positions(app)).items() if positions.get(key) != seq}
    assert all(person == reader_id and seq > positions.get((person, conversation), 0) for (person, conversation), seq in moved.items()), f"{label}: a GET moved {moved}"


async def page_token(http: httpx.AsyncClient, *, signed_in: bool) -> str:
    """The CSRF token of the client's session, from a page that carries a form."""
    return csrf_from(await http.get("/" if signed_in else "/login"))


def iter_routes(routes: list[Any], prefix: str = "") -> list[tuple[str, str]]:
    """(method, full path) of every route, descending into mounts; a mount without routes
    (static files) is listed as ("MOUNT", path)."""
    found: list[tuple[str, str]] = []
    for route in routes:
        if isinstance(route, Mount):
            inner = route.routes
            if inner:
                found.extend(iter_routes(inner, prefix + route.path))
            else:
                found.append(("MOUNT", prefix + route.path))
        elif isinstance(route, Route):
            for method in sorted((route.methods or {"GET"}) - {"HEAD"}):
                found.append((method, prefix + route.path))
        elif isinstance(route, WebSocketRoute):
            found.append(("WEBSOCKET", prefix + route.path))
        else:  # an unknown kind of route must be classified by hand
            found.append(("UNKNOWN", prefix + str(getattr(route, "path", route))))
    return found


# --- the matrix --------------------------------------------------------------------------------

PERSONAS: dict[str, str | None] = {
    "anonymous": None,
    "participant": "student_a",
    "coalition_member": "coalition_a",
    "facilitator": "facilitator_a",
    "coach": "coach",
    "lead_a": "lead_a",
    "lead_b": "lead_b",
    "admin": "admin",
}


@dataclass(frozen=True)
class Call:
    """A request: a form post (data as fields) or, under /api/, a JSON call (data as body)."""

    method: str
    path: str
    data: dict[str, Any]

    @property
    def is_api(self) -> bool:
        return self.path.startswith("/api/")


Builder = Callable[[Any, World], Awaitable[Call]]
Effect = Callable[[Any, World], Awaitable[None]]


@dataclass(frozen=True)
class Row:
    """One administration action: the route template it exercises, how to build the request
    for the world (and for a missing object, to compare a 404 with), the expected status per
    signed-in persona, and how to see that an allowed write happened."""

    name: str
    method: str
    template: str
    build: Builder
    build_missing: Builder | None
    expected: dict[str, int]
    effect: Effect | None = None


def _outcomes(*, participant: int, coalition_member: int, facilitator: int, coach: int, lead_a: int, lead_b: int, admin: int) -> dict[str, int]:
    return {
        "participant": participant,
        "coalition_member": coalition_member,
        "facilitator": facilitator,
        "coach": coach,
        "lead_a": lead_a,
        "lead_b": lead_b,
        "admin": admin,
    }


async def _student_participant_assignment(app: Any, world: World) -> int:
    async with app.state.uow() as uow:
        return int(
            (
                await uow.session.execute(
                    select(RoleAssignment.id).where(RoleAssignment.person_id == world.student_a.id, RoleAssignment.role == Role.PARTICIPANT.value)
                )
            ).scalar_one()
        )


async def _pending_invitation_of_a(app: Any, world: World) -> int:
    async with app.state.uow() as uow:
        invitation, _link = await identity.invite(
            uow, None, email="pending@alder.example.edu", institution_id=world.institution_a.id, cohort_id=world.cohort_a1.id, role="participant", constituency="student"
        )
    return invitation.id


def _get(path: Callable[[World], str]) -> Builder:
    async def build(app: Any, world: World) -> Call:
        return Call("GET", path(world), {})

    return build


def _fixed_post(path: str, data: dict[str, str]) -> Builder:
    async def build(app: Any, world: World) -> Call:
        return Call("POST", path, data)

    return build


def _invite(institution: Callable[[World], int], cohort: Callable[[World], int]) -> Builder:
    async def build(app: Any, world: World) -> Call:
        data = {
            "email": "newcomer@example.edu",
            "institution_id": str(institution(world)),
            "cohort_id": str(cohort(world)),
            "role": "participant",
            "constituency": "staff",
        }
        return Call("POST", "/admin/invitations", data)

    return build


async def _build_two_step_reset(app: Any, world: World) -> Call:
    async with app.state.uow() as uow:
        # Fran Faculty: in school A, and none of the personas, who sign in with a password alone
        uow.session.add(TwoStepSecret(person_id=world.faculty_a.id, secret="JBSWY3DPEHPK3PXP", created_at=uow.clock.now(), confirmed_at=uow.clock.now(), last_step=0))
    return Call("POST", f"/admin/people/{world.faculty_a.id}/two-step/reset", {})


async def _two_step_off(app: Any, world: World) -> None:
    assert await _rows_of(app, TwoStepSecret) == []


async def _build_grant(app: Any, world: World) -> Call:
    return Call("POST", f"/admin/people/{world.student_a.id}/roles", {"role": Role.COALITION_MEMBER.value, "cohort_id": ""})


async def _build_grant_missing(app: Any, world: World) -> Call:
    return Call("POST", f"/admin/people/{MISSING_ID}/roles", {"role": Role.COALITION_MEMBER.value, "cohort_id": ""})


async def _build_revoke_role(app: Any, world: World) -> Call:
    assignment_id = await _student_participant_assignment(app, world)
    return Call("POST", f"/admin/roles/{assignment_id}/revoke", {"person_id": str(world.student_a.id)})


async def _build_revoke_role_missing(app: Any, world: World) -> Call:
    return Call("POST", f"/admin/roles/{MISSING_ID}/revoke", {"person_id": str(world.student_a.id)})


async def _build_revoke_invitation(app: Any, world: World) -> Call:
    invitation_id = await _pending_invitation_of_a(app, world)
    return Call("POST", f"/admin/invitations/{invitation_id}/revoke", {})


async def _build_revoke_invitation_missing(app: Any, world: World) -> Call:
    return Call("POST", f"/admin/invitations/{MISSING_ID}/revoke", {})


async def _build_create_institution(app: Any, world: World) -> Call:
    return Call("POST", "/admin/institutions", {"name": "Cedar Medical School", "short_name": "Cedar"})


async def _build_create_cohort(app: Any, world: World) -> Call:
    return Call("POST", f"/admin/institutions/{world.institution_a.id}/cohorts", {"name": "Alder cohort 3", "wave": "3"})


async def _build_create_cohort_missing(app: Any, world: World) -> Call:
    return Call("POST", f"/admin/institutions/{MISSING_ID}/cohorts", {"name": "Alder cohort 3", "wave": "3"})


def _cohort_conversation(cohort: Callable[[World], Cohort]) -> Callable[[Any, World], Awaitable[int]]:
    async def make(app: Any, world: World) -> int:
        chosen = cohort(world)
        async with app.state.uow() as uow:
            conversation = await conversations.open_conversation(
                uow, kind=ConversationKind.LOUNGE, scope=SpaceScope.COHORT, title=f"{chosen.name} lounge", institution_id=chosen.institution_id, cohort_id=chosen.id
            )
        return conversation.id

    return make


def _conversation_page(cohort: Callable[[World], Cohort]) -> Builder:
    async def build(app: Any, world: World) -> Call:
        return Call("GET", f"/conversations/{await _cohort_conversation(cohort)(app, world)}", {})

    return build


def _conversation_post(cohort: Callable[[World], Cohort] | None) -> Builder:
    async def build(app: Any, world: World) -> Call:
        conversation_id = MISSING_ID if cohort is None else await _cohort_conversation(cohort)(app, world)
        return Call("POST", f"/conversations/{conversation_id}/messages", {"body": "hello from the matrix", "client_msg_id": "matrix-1"})

    return build


async def _message_posted(app: Any, world: World) -> None:
    async with app.state.uow() as uow:
        bodies = (await uow.session.execute(select(Message.body))).scalars().all()
    assert bodies == ["hello from the matrix"]


async def _student_notification(app: Any, world: World) -> int:
    """A notification of the A1 student about a message in A1's lounge."""
    conversation_id = await _cohort_conversation(lambda w: w.cohort_a1)(app, world)
    async with app.state.uow() as uow:
        conversation = await uow.session.get(Conversation, conversation_id)
        [made] = await notifications.notify(
            uow, recipients=[world.student_a.id], kind="mention", conversation=conversation, seq=1, actor_id=world.faculty_a.id,
            summary="Fran Faculty mentioned you", link=f"/conversations/{conversation_id}#m1",
        )
    return made.id


async def _build_mark_read(app: Any, world: World) -> Call:
    return Call("POST", "/notifications/read", {"id": str(await _student_notification(app, world))})


async def _build_mark_read_missing(app: Any, world: World) -> Call:
    return Call("POST", "/notifications/read", {"id": str(MISSING_ID)})


async def _notification_read(app: Any, world: World) -> None:
    async with app.state.uow() as uow:
        read_at = (await uow.session.execute(select(Notification.read_at))).scalars().all()
    assert len(read_at) == 1 and read_at[0] is not None


async def _email_mode_off(app: Any, world: World) -> None:
    async with app.state.uow() as uow:
        modes = (await uow.session.execute(select(NotificationPreference.email_mode))).scalars().all()
    assert modes == ["off"]


def _invited_into(institution: Callable[[World], int]) -> Effect:
    async def effect(app: Any, world: World) -> None:
        async with app.state.uow() as uow:
            rows = (await uow.session.execute(select(Invitation).where(Invitation.email == "newcomer@example.edu"))).scalars().all()
        assert [row.institution_id for row in rows] == [institution(world)]

    return effect


async def _granted(app: Any, world: World) -> None:
    async with app.state.uow() as uow:
        roles = (await uow.session.execute(select(RoleAssignment.role).where(RoleAssignment.person_id == world.student_a.id))).scalars().all()
    assert Role.COALITION_MEMBER.value in roles


async def _role_revoked(app: Any, world: World) -> None:
    async with app.state.uow() as uow:
        roles = (await uow.session.execute(select(RoleAssignment.role).where(RoleAssignment.person_id == world.student_a.id))).scalars().all()
    assert Role.PARTICIPANT.value not in roles


async def _invitation_revoked(app: Any, world: World) -> None:
    async with app.state.uow() as uow:
        invitation = (await uow.session.execute(select(Invitation).where(Invitation.email == "pending@alder.example.edu"))).scalar_one()
    assert invitation.revoked_at is not None


async def _institution_created(app: Any, world: World) -> None:
    async with app.state.uow() as uow:
        names = (await uow.session.execute(select(Institution.name))).scalars().all()
    assert "Cedar Medical School" in names


async def _cohort_created(app: Any, world: World) -> None:
    async with app.state.uow() as uow:
        cohort = (await uow.session.execute(select(Cohort).where(Cohort.name == "Alder cohort 3"))).scalar_one()
    assert cohort.institution_id == world.institution_a.id


# --- the moderation queue: a message of faculty_a in cohort A1, or of participant_b (a person
# outside the personas, so nobody acts on their own words) in a consortium-wide conversation.


async def _consortium_conversation(app: Any, world: World) -> int:
    async with app.state.uow() as uow:
        conversation = await conversations.open_conversation(uow, kind=ConversationKind.LOUNGE, scope=SpaceScope.CONSORTIUM, title="Consortium lounge")
    return conversation.id


async def _posted_by(app: Any, author: Person, conversation_id: int) -> int:
    async with app.state.uow() as uow:
        [actor] = await identity.actors_for(uow, [author.id])
        posted = await conversations.post_message(uow, actor, conversation_id, body="words under review", client_msg_id="matrix-review")
    return posted.seq


async def _flagged_a1_message(app: Any, world: World) -> tuple[int, int, int]:
    """(conversation id, seq, flag id) of faculty_a's message in A1, flagged by student_a."""
    conversation_id = await _cohort_conversation(lambda w: w.cohort_a1)(app, world)
    seq = await _posted_by(app, world.faculty_a, conversation_id)
    async with app.state.uow() as uow:
        [student] = await identity.actors_for(uow, [world.student_a.id])
        flagged = await flags.flag_message(uow, student, conversation_id, seq, reason="harmful", note="")
    return conversation_id, seq, flagged.flag.id


def _review(action: str, data: dict[str, str], *, consortium: bool = False, hidden: bool = False) -> Builder:
    async def build(app: Any, world: World) -> Call:
        if consortium:
            conversation_id = await _consortium_conversation(app, world)
            seq = await _posted_by(app, world.participant_b, conversation_id)
        else:
            conversation_id, seq, _flag_id = await _flagged_a1_message(app, world)
        if hidden:
            async with app.state.uow() as uow:
                [coach] = await identity.actors_for(uow, [world.coach.id])
                await flags.hide_message(uow, coach, conversation_id, seq, reason="pending a decision")
        return Call("POST" if action != "history" else "GET", f"/moderation/messages/{conversation_id}/{seq}/{action}", data)

    return build


def _review_missing(action: str, data: dict[str, str]) -> Builder:
    async def build(app: Any, world: World) -> Call:
        return Call("POST" if action != "history" else "GET", f"/moderation/messages/{MISSING_ID}/1/{action}", data)

    return build


async def _build_flag_form(app: Any, world: World) -> Call:
    conversation_id = await _cohort_conversation(lambda w: w.cohort_a1)(app, world)
    seq = await _posted_by(app, world.faculty_a, conversation_id)
    return Call("GET", f"/moderation/flags/new?conversation={conversation_id}&seq={seq}", {})


async def _build_flag(app: Any, world: World) -> Call:
    conversation_id = await _cohort_conversation(lambda w: w.cohort_a1)(app, world)
    seq = await _posted_by(app, world.faculty_a, conversation_id)
    data = {"conversation": str(conversation_id), "seq": str(seq), "reason": "harmful", "note": "", "next": f"/conversations/{conversation_id}#m{seq}"}
    return Call("POST", "/moderation/flags", data)


async def _build_flag_missing(app: Any, world: World) -> Call:
    return Call("POST", "/moderation/flags", {"conversation": str(MISSING_ID), "seq": "1", "reason": "harmful", "note": "", "next": "/"})


async def _build_dismiss(app: Any, world: World) -> Call:
    _conversation_id, _seq, flag_id = await _flagged_a1_message(app, world)
    return Call("POST", f"/moderation/flags/{flag_id}/dismiss", {"note": "fine"})


async def _build_dismiss_missing(app: Any, world: World) -> Call:
    return Call("POST", f"/moderation/flags/{MISSING_ID}/dismiss", {"note": "fine"})


async def _rows_of(app: Any, model: type) -> list[Any]:
    async with app.state.uow() as uow:
        return list((await uow.session.execute(select(model))).scalars())


async def _flagged(app: Any, world: World) -> None:
    assert [(f.flagger_id, f.status) for f in await _rows_of(app, Flag)] != []


async def _dismissed(app: Any, world: World) -> None:
    assert [f.status for f in await _rows_of(app, Flag)] == ["dismissed"]


async def _hidden(app: Any, world: World) -> None:
    assert [m.hidden_at is not None for m in await _rows_of(app, Message)] == [True]


async def _shown(app: Any, world: World) -> None:
    assert [m.hidden_at for m in await _rows_of(app, Message)] == [None]


async def _warned(app: Any, world: World) -> None:
    assert [w.person_id for w in await _rows_of(app, ModerationWarning)] == [world.faculty_a.id]


# Reviewing A1: its facilitator and coach; readers who do not moderate it get 403, people who
# cannot read it 404 (SEC-B2). In the consortium: admins, facilitators and coaches.
A1_REVIEW = _outcomes(participant=403, coalition_member=403, facilitator=303, coach=303, lead_a=403, lead_b=404, admin=404)


# Status per persona; anonymous always gets 303 to /login. 404 = "looks like it does not
# exist" (used for objects, SEC-A2); 403 = a page the persona has no business with at all.
MATRIX: list[Row] = [
    Row(
        "people list", "GET", "/admin/people", _get(lambda w: "/admin/people"), None,
        _outcomes(participant=403, coalition_member=403, facilitator=403, coach=403, lead_a=200, lead_b=200, admin=200),
    ),
    Row(
        "person of A", "GET", "/admin/people/{person_id}", _get(lambda w: f"/admin/people/{w.student_a.id}"), _get(lambda w: f"/admin/people/{MISSING_ID}"),
        _outcomes(participant=404, coalition_member=404, facilitator=404, coach=404, lead_a=200, lead_b=404, admin=200),
    ),
    Row(
        "invite into A", "POST", "/admin/invitations", _invite(lambda w: w.institution_a.id, lambda w: w.cohort_a1.id), _invite(lambda w: MISSING_ID, lambda w: w.cohort_a1.id),
        _outcomes(participant=404, coalition_member=404, facilitator=404, coach=404, lead_a=200, lead_b=404, admin=200),
        _invited_into(lambda w: w.institution_a.id),
    ),
    Row(
        "invite into B", "POST", "/admin/invitations", _invite(lambda w: w.institution_b.id, lambda w: w.cohort_b1.id), _invite(lambda w: MISSING_ID, lambda w: w.cohort_b1.id),
        _outcomes(participant=404, coalition_member=404, facilitator=404, coach=404, lead_a=404, lead_b=200, admin=200),
        _invited_into(lambda w: w.institution_b.id),
    ),
    Row(
        "grant a role to a person of A", "POST", "/admin/people/{person_id}/roles", _build_grant, _build_grant_missing,
        _outcomes(participant=404, coalition_member=404, facilitator=404, coach=404, lead_a=303, lead_b=404, admin=303),
        _granted,
    ),
    Row(
        "revoke a role in A", "POST", "/admin/roles/{assignment_id}/revoke", _build_revoke_role, _build_revoke_role_missing,
        _outcomes(participant=404, coalition_member=404, facilitator=404, coach=404, lead_a=303, lead_b=404, admin=303),
        _role_revoked,
    ),
    Row(
        "revoke an invitation of A", "POST", "/admin/invitations/{invitation_id}/revoke", _build_revoke_invitation, _build_revoke_invitation_missing,
        _outcomes(participant=404, coalition_member=404, facilitator=404, coach=404, lead_a=303, lead_b=404, admin=303),
        _invitation_revoked,
    ),
    Row(
        "turn off the two-step sign-in of a person of A", "POST", "/admin/people/{person_id}/two-step/reset", _build_two_step_reset,
        _fixed_post(f"/admin/people/{MISSING_ID}/two-step/reset", {}),
        _outcomes(participant=404, coalition_member=404, facilitator=404, coach=404, lead_a=303, lead_b=404, admin=303),
        _two_step_off,
    ),
    Row(
        "audit log", "GET", "/moderation/audit", _get(lambda w: "/moderation/audit"), None,
        _outcomes(participant=403, coalition_member=403, facilitator=403, coach=403, lead_a=200, lead_b=200, admin=200),
    ),
    Row(
        "administration index", "GET", "/admin/", _get(lambda w: "/admin/"), None,
        _outcomes(participant=403, coalition_member=403, facilitator=403, coach=403, lead_a=200, lead_b=200, admin=200),
    ),
    Row(
        "institutions list", "GET", "/admin/institutions", _get(lambda w: "/admin/institutions"), None,
        _outcomes(participant=403, coalition_member=403, facilitator=403, coach=403, lead_a=200, lead_b=200, admin=200),
    ),
    Row(
        "create an institution", "POST", "/admin/institutions", _build_create_institution, None,
        _outcomes(participant=403, coalition_member=403, facilitator=403, coach=403, lead_a=403, lead_b=403, admin=303),
        _institution_created,
    ),
    Row(
        "institution A", "GET", "/admin/institutions/{institution_id}", _get(lambda w: f"/admin/institutions/{w.institution_a.id}"), _get(lambda w: f"/admin/institutions/{MISSING_ID}"),
        _outcomes(participant=404, coalition_member=404, facilitator=404, coach=404, lead_a=200, lead_b=404, admin=200),
    ),
    Row(
        "add a cohort to A", "POST", "/admin/institutions/{institution_id}/cohorts", _build_create_cohort, _build_create_cohort_missing,
        _outcomes(participant=404, coalition_member=404, facilitator=404, coach=404, lead_a=303, lead_b=404, admin=303),
        _cohort_created,
    ),
    Row(
        "cohort roster of A1", "GET", "/admin/cohorts/{cohort_id}", _get(lambda w: f"/admin/cohorts/{w.cohort_a1.id}"), _get(lambda w: f"/admin/cohorts/{MISSING_ID}"),
        # the coach and the facilitator assigned to A1 see its roster; A's lead sees every cohort of A
        _outcomes(participant=404, coalition_member=404, facilitator=200, coach=200, lead_a=200, lead_b=404, admin=200),
    ),
    Row(
        "invitations list", "GET", "/admin/invitations", _get(lambda w: "/admin/invitations"), None,
        _outcomes(participant=403, coalition_member=403, facilitator=403, coach=403, lead_a=200, lead_b=200, admin=200),
    ),
    # Spaces: a cohort's conversation is read by its members and the coach and facilitator
    # assigned to it, by no one else. Power is not membership: not A's lead for a cohort they
    # are not in, not the program admin (rule 1, SEC-A1, SEC-B6).
    Row(
        "conversations list", "GET", "/conversations/", _get(lambda w: "/conversations/"), None,
        _outcomes(participant=200, coalition_member=200, facilitator=200, coach=200, lead_a=200, lead_b=200, admin=200),
    ),
    Row(
        "cohort A1 conversation", "GET", "/conversations/{conversation_id}", _conversation_page(lambda w: w.cohort_a1), _get(lambda w: f"/conversations/{MISSING_ID}"),
        # lead_a is a member of A1 (constituency leadership), hence 200
        _outcomes(participant=200, coalition_member=200, facilitator=200, coach=200, lead_a=200, lead_b=404, admin=404),
    ),
    Row(
        "cohort A2 conversation", "GET", "/conversations/{conversation_id}", _conversation_page(lambda w: w.cohort_a2), _get(lambda w: f"/conversations/{MISSING_ID}"),
        _outcomes(participant=404, coalition_member=404, facilitator=404, coach=404, lead_a=404, lead_b=404, admin=404),
    ),
    Row(
        "post in cohort A1 conversation", "POST", "/conversations/{conversation_id}/messages", _conversation_post(lambda w: w.cohort_a1), _conversation_post(None),
        _outcomes(participant=303, coalition_member=303, facilitator=303, coach=303, lead_a=303, lead_b=404, admin=404),
        _message_posted,
    ),
    # Forum search is open to every member; what it returns is filtered by the spaces each
    # may read (the per-space matrix of search lives in tests/forum/test_search.py).
    Row(
        "forum search", "GET", "/forum/search", _get(lambda w: "/forum/search?q=notes"), None,
        _outcomes(participant=200, coalition_member=200, facilitator=200, coach=200, lead_a=200, lead_b=200, admin=200),
    ),
    Row(
        "post in cohort A2 conversation", "POST", "/conversations/{conversation_id}/messages", _conversation_post(lambda w: w.cohort_a2), _conversation_post(None),
        _outcomes(participant=404, coalition_member=404, facilitator=404, coach=404, lead_a=404, lead_b=404, admin=404),
    ),
    # Notifications: one's own only. Marking another person's notification read answers like
    # a missing one and changes nothing (SEC-A2, SEC-A4).
    Row(
        "notifications page", "GET", "/notifications/", _get(lambda w: "/notifications/"), None,
        _outcomes(participant=200, coalition_member=200, facilitator=200, coach=200, lead_a=200, lead_b=200, admin=200),
    ),
    Row(
        "unread notification count", "GET", "/notifications/unread", _get(lambda w: "/notifications/unread"), None,
        _outcomes(participant=200, coalition_member=200, facilitator=200, coach=200, lead_a=200, lead_b=200, admin=200),
    ),
    Row(
        "mark the A1 student's notification read", "POST", "/notifications/read", _build_mark_read, _build_mark_read_missing,
        _outcomes(participant=303, coalition_member=404, facilitator=404, coach=404, lead_a=404, lead_b=404, admin=404),
        _notification_read,
    ),
    Row(
        "notification settings", "GET", "/notifications/settings", _get(lambda w: "/notifications/settings"), None,
        _outcomes(participant=200, coalition_member=200, facilitator=200, coach=200, lead_a=200, lead_b=200, admin=200),
    ),
    Row(
        "choose no notification email", "POST", "/notifications/settings", _fixed_post("/notifications/settings", {"email_mode": "off"}), None,
        _outcomes(participant=303, coalition_member=303, facilitator=303, coach=303, lead_a=303, lead_b=303, admin=303),
        _email_mode_off,
    ),
]


# --- the forum: a thread of cohort A1 started by its student -------------------------------------


async def _a1_thread(app: Any, world: World) -> int:
    async with app.state.uow() as uow:
        [student] = await identity.actors_for(uow, [world.student_a.id])
        thread = await forum.start_thread(uow, student, category="introductions", where=f"cohort:{world.cohort_a1.id}", title="A1 thread", body="first", client_msg_id="matrix-thread")
    return thread.id


def _thread(suffix: str, data: dict[str, str] | None = None, *, missing: bool = False) -> Builder:
    async def build(app: Any, world: World) -> Call:
        thread_id = MISSING_ID if missing else await _a1_thread(app, world)
        return Call("POST" if data is not None else "GET", f"/forum/threads/{thread_id}{suffix}", data or {})

    return build


def _forum_call(method: str, path: str, data: dict[str, str] | None = None) -> Builder:
    async def build(app: Any, world: World) -> Call:
        return Call(method, path, data or {})

    return build


async def _build_new_a1_thread(app: Any, world: World) -> Call:
    data = {"category": "7", "where": f"cohort:{world.cohort_a1.id}", "title": "New A1 thread", "body": "hello", "client_msg_id": "matrix-new"}
    return Call("POST", "/forum/threads", data)


async def _forum_reply_stored(app: Any, world: World) -> None:
    async with app.state.uow() as uow:
        bodies = (await uow.session.execute(select(Message.body).order_by(Message.id))).scalars().all()
    assert bodies == ["first", "matrix reply"]


_EVERYONE = {"participant": 200, "coalition_member": 200, "facilitator": 200, "coach": 200, "lead_a": 200, "lead_b": 200, "admin": 200}
# Inside cohort A1: its members (the student, the coalition member, A's lead who is a member),
# its facilitator and its coach. Outside: another school's lead and the program admin (rule 1).
_A1_READ = _outcomes(participant=200, coalition_member=200, facilitator=200, coach=200, lead_a=200, lead_b=404, admin=404)
_A1_WRITE = _outcomes(participant=303, coalition_member=303, facilitator=303, coach=303, lead_a=303, lead_b=404, admin=404)
_A1_AUTHOR = _outcomes(participant=303, coalition_member=403, facilitator=403, coach=403, lead_a=403, lead_b=404, admin=404)
_A1_MODERATE = _outcomes(participant=403, coalition_member=403, facilitator=303, coach=303, lead_a=403, lead_b=404, admin=404)
_ADMIN_ONLY_PAGE = _outcomes(participant=403, coalition_member=403, facilitator=403, coach=403, lead_a=403, lead_b=403, admin=200)
_ADMIN_ONLY_WRITE = _outcomes(participant=403, coalition_member=403, facilitator=403, coach=403, lead_a=403, lead_b=403, admin=303)

MATRIX += [
    Row("forum index", "GET", "/forum/", _forum_call("GET", "/forum/"), None, _EVERYONE),
    Row("forum latest", "GET", "/forum/latest", _forum_call("GET", "/forum/latest"), None, _EVERYONE),
    Row("forum category", "GET", "/forum/c/{slug}", _forum_call("GET", "/forum/c/introductions"), None, _EVERYONE),
    Row("forum bookmarks", "GET", "/forum/bookmarks", _forum_call("GET", "/forum/bookmarks"), None, _EVERYONE),
    Row("forum new thread page", "GET", "/forum/new", _forum_call("GET", "/forum/new"), None, _EVERYONE),
    Row("forum mentions", "GET", "/forum/mentions", _forum_call("GET", "/forum/mentions?q=sa"), None, _EVERYONE),
    Row("forum preview", "POST", "/forum/preview", _forum_call("POST", "/forum/preview", {"body": "**hi**"}), None, _EVERYONE),
    Row(
        "start a cohort A1 thread", "POST", "/forum/threads", _build_new_a1_thread, None,
        # outside the cohort the place is not among one's choices: a form error, nothing stored
        _outcomes(participant=303, coalition_member=303, facilitator=303, coach=303, lead_a=303, lead_b=400, admin=400),
    ),
    Row("cohort A1 thread", "GET", "/forum/threads/{thread_id}", _thread(""), _thread("", missing=True), _A1_READ),
    Row(
        "reply in cohort A1 thread", "POST", "/forum/threads/{thread_id}/posts", _thread("/posts", {"body": "matrix reply", "client_msg_id": "matrix-reply"}),
        _thread("/posts", {"body": "matrix reply", "client_msg_id": "matrix-reply"}, missing=True), _A1_WRITE, _forum_reply_stored,
    ),
    Row("edit page of the student's post", "GET", "/forum/threads/{thread_id}/posts/{seq}/edit", _thread("/posts/1/edit"), _thread("/posts/1/edit", missing=True),
        _outcomes(participant=200, coalition_member=403, facilitator=403, coach=403, lead_a=403, lead_b=404, admin=404)),
    Row("edit the student's post", "POST", "/forum/threads/{thread_id}/posts/{seq}/edit", _thread("/posts/1/edit", {"body": "changed"}), _thread("/posts/1/edit", {"body": "changed"}, missing=True), _A1_AUTHOR),
    Row("delete the student's post", "POST", "/forum/threads/{thread_id}/posts/{seq}/delete", _thread("/posts/1/delete", {}), _thread("/posts/1/delete", {}, missing=True),
        _outcomes(participant=303, coalition_member=403, facilitator=303, coach=303, lead_a=403, lead_b=404, admin=404)),
    Row("react to a post", "POST", "/forum/threads/{thread_id}/posts/{seq}/react", _thread("/posts/1/react", {"emoji": "heart"}), _thread("/posts/1/react", {"emoji": "heart"}, missing=True), _A1_WRITE),
    Row("bookmark a post", "POST", "/forum/threads/{thread_id}/posts/{seq}/bookmark", _thread("/posts/1/bookmark", {}), _thread("/posts/1/bookmark", {}, missing=True), _A1_WRITE),
    Row("watch a thread", "POST", "/forum/threads/{thread_id}/watch", _thread("/watch", {"level": "muted"}), _thread("/watch", {"level": "muted"}, missing=True), _A1_WRITE),
    Row("lock a thread", "POST", "/forum/threads/{thread_id}/lock", _thread("/lock", {"locked": "1"}), _thread("/lock", {"locked": "1"}, missing=True), _A1_MODERATE),
    Row("pin a thread", "POST", "/forum/threads/{thread_id}/pin", _thread("/pin", {"pinned": "1"}), _thread("/pin", {"pinned": "1"}, missing=True), _A1_MODERATE),
    Row("move a thread", "POST", "/forum/threads/{thread_id}/move", _thread("/move", {"category": "3"}), _thread("/move", {"category": "3"}, missing=True), _A1_MODERATE),
    Row("forum categories page", "GET", "/forum/categories", _forum_call("GET", "/forum/categories"), None, _ADMIN_ONLY_PAGE),
    Row("add a forum category", "POST", "/forum/categories", _forum_call("POST", "/forum/categories", {"name": "Site visits", "description": "", "position": "5", "start_rule": "everyone"}), None, _ADMIN_ONLY_WRITE),
    Row("edit a forum category", "POST", "/forum/categories/{category_id}", _forum_call("POST", "/forum/categories/1", {"name": "Renamed", "description": "", "position": "5", "start_rule": "everyone"}), None, _ADMIN_ONLY_WRITE),
    Row(
        "moderation queue", "GET", "/moderation/queue", _get(lambda w: "/moderation/queue"), None,
        _outcomes(participant=403, coalition_member=403, facilitator=200, coach=200, lead_a=200, lead_b=200, admin=200),
    ),
    Row(
        "my warnings", "GET", "/moderation/warnings", _get(lambda w: "/moderation/warnings"), None,
        _outcomes(participant=200, coalition_member=200, facilitator=200, coach=200, lead_a=200, lead_b=200, admin=200),
    ),
    Row(
        "flag form for a message in A1", "GET", "/moderation/flags/new", _build_flag_form, _get(lambda w: f"/moderation/flags/new?conversation={MISSING_ID}&seq=1"),
        _outcomes(participant=200, coalition_member=200, facilitator=200, coach=200, lead_a=200, lead_b=404, admin=404),
    ),
    Row(
        "flag a message in A1", "POST", "/moderation/flags", _build_flag, _build_flag_missing,
        _outcomes(participant=303, coalition_member=303, facilitator=303, coach=303, lead_a=303, lead_b=404, admin=404),
        _flagged,
    ),
    Row(
        "dismiss flags in A1", "POST", "/moderation/flags/{flag_id}/dismiss", _build_dismiss, _build_dismiss_missing,
        # a flag one may not review looks like a missing one, also to readers of A1
        _outcomes(participant=404, coalition_member=404, facilitator=303, coach=303, lead_a=404, lead_b=404, admin=404),
        _dismissed,
    ),
    Row(
        "hide a message in A1", "POST", "/moderation/messages/{conversation_id}/{seq}/hide",
        _review("hide", {"reason": "harmful"}), _review_missing("hide", {"reason": "harmful"}), A1_REVIEW, _hidden,
    ),
    Row(
        "hide a message in the consortium", "POST", "/moderation/messages/{conversation_id}/{seq}/hide",
        _review("hide", {"reason": "off-topic"}, consortium=True), None,
        _outcomes(participant=403, coalition_member=403, facilitator=303, coach=303, lead_a=403, lead_b=403, admin=303),
        _hidden,
    ),
    Row(
        "unhide a message in A1", "POST", "/moderation/messages/{conversation_id}/{seq}/unhide",
        _review("unhide", {"note": ""}, hidden=True), _review_missing("unhide", {"note": ""}), A1_REVIEW, _shown,
    ),
    Row(
        "warn the author of a message in A1", "POST", "/moderation/messages/{conversation_id}/{seq}/warn",
        _review("warn", {"text": "Please mind the agreements."}), _review_missing("warn", {"text": "Please mind the agreements."}), A1_REVIEW, _warned,
    ),
    Row(
        "edit history of a message in A1", "GET", "/moderation/messages/{conversation_id}/{seq}/history",
        _review("history", {}), _review_missing("history", {}),
        _outcomes(participant=403, coalition_member=403, facilitator=200, coach=200, lead_a=403, lead_b=404, admin=404),
    ),
]

# --- the forum's JSON API ------------------------------------------------------------------------------
# Threads in each kind of space, started through the service; each row acts on a fresh one.
# Rule 1 again: a cohort's thread is its members' and its assigned coach's and facilitator's;
# not B's lead, not the program admin. Moderators: the cohort's facilitators and coaches for a
# cohort thread, the school's lead for a school thread, program admins for consortium ones.


def _where_a1(world: World) -> str:
    return f"cohort:{world.cohort_a1.id}"


def _where_a(world: World) -> str:
    return f"institution:{world.institution_a.id}"


def _where_consortium(world: World) -> str:
    return "consortium"


def _api_thread(method: str, suffix: str = "", data: dict[str, Any] | None = None, *, where: Callable[[World], str] = _where_a1) -> Builder:
    async def build(app: Any, world: World) -> Call:
        author = world.faculty_a if where is _where_a else world.student_a
        thread = await start_thread(app, author, where=where(world), title="A matrix thread")
        return Call(method, f"/api/forum/threads/{thread}{suffix}", data or {})

    return build


def _api_missing_thread(method: str, suffix: str = "", data: dict[str, Any] | None = None) -> Builder:
    async def build(app: Any, world: World) -> Call:
        return Call(method, f"/api/forum/threads/{MISSING_ID}{suffix}", data or {})

    return build


def _api_fixed(method: str, path: str, data: dict[str, Any] | None = None) -> Builder:
    async def build(app: Any, world: World) -> Call:
        return Call(method, path, data or {})

    return build


async def _api_start_in_a1(app: Any, world: World) -> Call:
    return Call("POST", "/api/forum/threads", {"category": "introductions", "where": _where_a1(world), "title": "T", "body": "b", "client_msg_id": "matrix-start"})


def _api_mentions(missing: bool) -> Builder:
    async def build(app: Any, world: World) -> Call:
        thread = MISSING_ID if missing else await start_thread(app, world.student_a, where=_where_a1(world), title="A matrix thread")
        return Call("GET", f"/api/forum/mentions?q=Sam&thread={thread}", {})

    return build


async def _api_replied(app: Any, world: World) -> None:
    async with app.state.uow() as uow:
        bodies = (await uow.session.execute(select(Message.body).order_by(Message.id))).scalars().all()
    assert bodies == ["First post", "a matrix reply"]


async def _api_locked(app: Any, world: World) -> None:
    async with app.state.uow() as uow:
        locked = (await uow.session.execute(select(Conversation.is_locked).where(Conversation.kind == ConversationKind.THREAD.value))).scalars().all()
    assert locked == [True]


async def _api_category_created(app: Any, world: World) -> None:
    async with app.state.uow() as uow:
        names = (await uow.session.execute(select(Category.name))).scalars().all()
    assert "Matrix category" in names


API_CATEGORY = {"name": "Matrix category", "description": "", "position": 1, "start_rule": "everyone"}
EVERYONE_200 = _outcomes(participant=200, coalition_member=200, facilitator=200, coach=200, lead_a=200, lead_b=200, admin=200)
ADMIN_ONLY = _outcomes(participant=403, coalition_member=403, facilitator=403, coach=403, lead_a=403, lead_b=403, admin=200)
A1_READ = _outcomes(participant=200, coalition_member=200, facilitator=200, coach=200, lead_a=200, lead_b=404, admin=404)
A1_MODERATE = _outcomes(participant=403, coalition_member=403, facilitator=200, coach=200, lead_a=403, lead_b=404, admin=404)
THREAD_TEMPLATE = "/api/forum/threads/{thread_id}"
POST_TEMPLATE = "/api/forum/threads/{thread_id}/posts/{seq}"

API_MATRIX: list[Row] = [
    Row("api categories", "GET", "/api/forum/categories", _api_fixed("GET", "/api/forum/categories"), None, EVERYONE_200),
    Row(
        "api create a category", "POST", "/api/forum/categories", _api_fixed("POST", "/api/forum/categories", API_CATEGORY), None,
        {**ADMIN_ONLY, "admin": 201}, _api_category_created,
    ),
    Row("api update a category", "PUT", "/api/forum/categories/{category_id}", _api_fixed("PUT", "/api/forum/categories/1", API_CATEGORY), None, ADMIN_ONLY),
    Row("api thread list", "GET", "/api/forum/threads", _api_fixed("GET", "/api/forum/threads"), None, EVERYONE_200),
    Row(
        "api start a thread in A1", "POST", "/api/forum/threads",
        _api_start_in_a1, None,
        # `where` must be one of one's own places: for outsiders it is a bad choice (400), whatever exists
        _outcomes(participant=201, coalition_member=201, facilitator=201, coach=201, lead_a=201, lead_b=400, admin=400),
    ),
    Row("api A1 thread", "GET", THREAD_TEMPLATE, _api_thread("GET"), _api_missing_thread("GET"), A1_READ),
    Row(
        "api school A thread", "GET", THREAD_TEMPLATE, _api_thread("GET", where=_where_a), _api_missing_thread("GET"),
        _outcomes(participant=200, coalition_member=200, facilitator=200, coach=200, lead_a=200, lead_b=404, admin=404),
    ),
    Row("api consortium thread", "GET", THREAD_TEMPLATE, _api_thread("GET", where=_where_consortium), None, EVERYONE_200),
    Row("api A1 posts", "GET", THREAD_TEMPLATE + "/posts", _api_thread("GET", "/posts"), _api_missing_thread("GET", "/posts"), A1_READ),
    Row(
        "api reply in A1", "POST", THREAD_TEMPLATE + "/posts", _api_thread("POST", "/posts", {"body": "a matrix reply", "client_msg_id": "matrix-reply"}),
        _api_missing_thread("POST", "/posts", {"body": "a matrix reply", "client_msg_id": "matrix-reply"}),
        {**A1_READ, **{k: 201 for k, v in A1_READ.items() if v == 200}}, _api_replied,
    ),
    Row("api A1 post", "GET", POST_TEMPLATE, _api_thread("GET", "/posts/1"), _api_missing_thread("GET", "/posts/1"), A1_READ),
    Row(
        "api edit the student's A1 post", "PATCH", POST_TEMPLATE, _api_thread("PATCH", "/posts/1", {"body": "edited"}), _api_missing_thread("PATCH", "/posts/1", {"body": "edited"}),
        _outcomes(participant=200, coalition_member=403, facilitator=403, coach=403, lead_a=403, lead_b=404, admin=404),
    ),
    Row(
        "api delete the student's A1 post", "DELETE", POST_TEMPLATE, _api_thread("DELETE", "/posts/1"), _api_missing_thread("DELETE", "/posts/1"),
        _outcomes(participant=204, coalition_member=403, facilitator=204, coach=204, lead_a=403, lead_b=404, admin=404),
    ),
    Row(
        "api react in A1", "POST", POST_TEMPLATE + "/reactions", _api_thread("POST", "/posts/1/reactions", {"emoji": "heart"}),
        _api_missing_thread("POST", "/posts/1/reactions", {"emoji": "heart"}), A1_READ,
    ),
    Row("api bookmark in A1", "POST", POST_TEMPLATE + "/bookmark", _api_thread("POST", "/posts/1/bookmark"), _api_missing_thread("POST", "/posts/1/bookmark"), A1_READ),
    Row("api quote in A1", "GET", POST_TEMPLATE + "/quote", _api_thread("GET", "/posts/1/quote"), _api_missing_thread("GET", "/posts/1/quote"), A1_READ),
    Row("api watch A1", "PUT", THREAD_TEMPLATE + "/watch", _api_thread("PUT", "/watch", {"level": "muted"}), _api_missing_thread("PUT", "/watch", {"level": "muted"}), A1_READ),
    Row("api read A1", "PUT", THREAD_TEMPLATE + "/read", _api_thread("PUT", "/read", {"seq": 1}), _api_missing_thread("PUT", "/read", {"seq": 1}), A1_READ),
    Row(
        "api lock A1", "PUT", THREAD_TEMPLATE + "/lock", _api_thread("PUT", "/lock", {"locked": True}), _api_missing_thread("PUT", "/lock", {"locked": True}),
        A1_MODERATE, _api_locked,
    ),
    Row(
        "api lock a school A thread", "PUT", THREAD_TEMPLATE + "/lock", _api_thread("PUT", "/lock", {"locked": True}, where=_where_a),
        _api_missing_thread("PUT", "/lock", {"locked": True}),
        _outcomes(participant=403, coalition_member=403, facilitator=403, coach=403, lead_a=200, lead_b=404, admin=404), _api_locked,
    ),
    Row(
        "api lock a consortium thread", "PUT", THREAD_TEMPLATE + "/lock", _api_thread("PUT", "/lock", {"locked": True}, where=_where_consortium), None,
        # consortium spaces are moderated by program admins and by every facilitator and coach
        _outcomes(participant=403, coalition_member=403, facilitator=200, coach=200, lead_a=403, lead_b=403, admin=200), _api_locked,
    ),
    Row("api pin A1", "PUT", THREAD_TEMPLATE + "/pin", _api_thread("PUT", "/pin", {"pinned": True}), _api_missing_thread("PUT", "/pin", {"pinned": True}), A1_MODERATE),
    Row(
        "api move A1", "PUT", THREAD_TEMPLATE + "/category", _api_thread("PUT", "/category", {"category": "short-term-wins"}),
        _api_missing_thread("PUT", "/category", {"category": "short-term-wins"}), A1_MODERATE,
    ),
    Row("api bookmarks", "GET", "/api/forum/bookmarks", _api_fixed("GET", "/api/forum/bookmarks"), None, EVERYONE_200),
    Row("api places", "GET", "/api/forum/places", _api_fixed("GET", "/api/forum/places"), None, EVERYONE_200),
    Row("api mentions in A1", "GET", "/api/forum/mentions", _api_mentions(missing=False), _api_mentions(missing=True), A1_READ),
    Row("api preview", "POST", "/api/forum/preview", _api_fixed("POST", "/api/forum/preview", {"body": "*hi*"}), None, EVERYONE_200),
    # Search is open to every member; what it finds is filtered by the spaces each may read
    # (the per-space matrix is in tests/forum/test_api_search.py).
    Row("api forum search", "GET", "/api/forum/search", _api_fixed("GET", "/api/forum/search?q=notes"), None, EVERYONE_200),
]


# --- the notifications' and the moderation queue's JSON API: the same outcomes as their pages --------


def _as_api(build: Builder) -> Builder:
    """The JSON twin of a page's request: the same path under /api, the fields as the body."""

    async def api_build(app: Any, world: World) -> Call:
        page = await build(app, world)
        return Call(page.method, "/api" + page.path, page.data)

    return api_build


async def _api_mark_read(app: Any, world: World) -> Call:
    return Call("POST", "/api/notifications/read", {"ids": [await _student_notification(app, world)]})


async def _api_mark_read_missing(app: Any, world: World) -> Call:
    return Call("POST", "/api/notifications/read", {"ids": [MISSING_ID]})


async def _api_flag(app: Any, world: World) -> Call:
    conversation_id = await _cohort_conversation(lambda w: w.cohort_a1)(app, world)
    seq = await _posted_by(app, world.faculty_a, conversation_id)
    return Call("POST", "/api/moderation/flags", {"conversation": conversation_id, "seq": seq, "reason": "harmful"})


async def _api_flag_missing(app: Any, world: World) -> Call:
    return Call("POST", "/api/moderation/flags", {"conversation": MISSING_ID, "seq": 1, "reason": "harmful"})


def _api_outcomes(page: dict[str, int], *, success: int = 200) -> dict[str, int]:
    """A page's outcomes for the API: its redirect after a write is the API's success."""
    return {persona: success if status in (200, 303) else status for persona, status in page.items()}


A1_API_REVIEW = _api_outcomes(A1_REVIEW)

API_MATRIX += [
    Row("api notifications", "GET", "/api/notifications", _api_fixed("GET", "/api/notifications"), None, EVERYONE_200),
    Row("api unread notification count", "GET", "/api/notifications/unread", _api_fixed("GET", "/api/notifications/unread"), None, EVERYONE_200),
    Row(
        "api mark the A1 student's notification read", "POST", "/api/notifications/read", _api_mark_read, _api_mark_read_missing,
        # one's own only: anyone else's id answers like a missing one (SEC-A2)
        _outcomes(participant=200, coalition_member=404, facilitator=404, coach=404, lead_a=404, lead_b=404, admin=404), _notification_read,
    ),
    Row("api notification settings", "GET", "/api/notifications/settings", _api_fixed("GET", "/api/notifications/settings"), None, EVERYONE_200),
    Row(
        "api choose no notification email", "PUT", "/api/notifications/settings", _api_fixed("PUT", "/api/notifications/settings", {"email_mode": "off"}), None,
        EVERYONE_200, _email_mode_off,
    ),
    Row(
        "api moderation queue", "GET", "/api/moderation/queue", _api_fixed("GET", "/api/moderation/queue"), None,
        _outcomes(participant=403, coalition_member=403, facilitator=200, coach=200, lead_a=200, lead_b=200, admin=200),
    ),
    Row("api my warnings", "GET", "/api/moderation/warnings", _api_fixed("GET", "/api/moderation/warnings"), None, EVERYONE_200),
    Row(
        "api flag a message in A1", "POST", "/api/moderation/flags", _api_flag, _api_flag_missing,
        _outcomes(participant=201, coalition_member=201, facilitator=201, coach=201, lead_a=201, lead_b=404, admin=404), _flagged,
    ),
    Row(
        "api dismiss flags in A1", "POST", "/api/moderation/flags/{flag_id}/dismiss", _as_api(_build_dismiss), _as_api(_build_dismiss_missing),
        # a flag one may not review looks like a missing one, also to readers of A1
        _outcomes(participant=404, coalition_member=404, facilitator=200, coach=200, lead_a=404, lead_b=404, admin=404), _dismissed,
    ),
    Row(
        "api hide a message in A1", "POST", "/api/moderation/messages/{conversation_id}/{seq}/hide",
        _as_api(_review("hide", {"reason": "harmful"})), _as_api(_review_missing("hide", {"reason": "harmful"})), A1_API_REVIEW, _hidden,
    ),
    Row(
        "api hide a message in the consortium", "POST", "/api/moderation/messages/{conversation_id}/{seq}/hide",
        _as_api(_review("hide", {"reason": "off-topic"}, consortium=True)), None,
        _outcomes(participant=403, coalition_member=403, facilitator=200, coach=200, lead_a=403, lead_b=403, admin=200), _hidden,
    ),
    Row(
        "api unhide a message in A1", "POST", "/api/moderation/messages/{conversation_id}/{seq}/unhide",
        _as_api(_review("unhide", {"note": "on reflection"}, hidden=True)), _as_api(_review_missing("unhide", {"note": "on reflection"})), A1_API_REVIEW, _shown,
    ),
    Row(
        "api warn the author of a message in A1", "POST", "/api/moderation/messages/{conversation_id}/{seq}/warn",
        _as_api(_review("warn", {"text": "Please mind the agreements."})), _as_api(_review_missing("warn", {"text": "Please mind the agreements."})),
        _api_outcomes(A1_REVIEW, success=201), _warned,
    ),
    Row(
        "api edit history of a message in A1", "GET", "/api/moderation/messages/{conversation_id}/{seq}/history",
        _as_api(_review("history", {})), _as_api(_review_missing("history", {})),
        _outcomes(participant=403, coalition_member=403, facilitator=200, coach=200, lead_a=403, lead_b=404, admin=404),
    ),
]
MATRIX += API_MATRIX
# --- the program backbone (#8): phases, readiness, the calendar ------------------------------------


async def _a1_survey(app: Any, world: World, *, closed: bool = False) -> int:
    async with app.state.uow() as uow:
        [coach] = await identity.actors_for(uow, [world.coach.id])
        survey = await readiness.open_survey(uow, coach, cohort_id=world.cohort_a1.id, title="Matrix survey")
        if closed:
            await readiness.close_survey(uow, coach, survey.id)
    return survey.id


def _survey(suffix: str, data: dict[str, str] | None = None, *, closed: bool = False, missing: bool = False) -> Builder:
    async def build(app: Any, world: World) -> Call:
        survey_id = MISSING_ID if missing else await _a1_survey(app, world, closed=closed)
        return Call("POST" if data is not None else "GET", f"/program/readiness/surveys/{survey_id}{suffix}", data or {})

    return build


async def _a1_session(app: Any, world: World) -> int:
    async with app.state.uow() as uow:
        [coach] = await identity.actors_for(uow, [world.coach.id])
        fields = calendar.clean_session(
            kind="dialogue_framing", title="Matrix session", description="", phase="", day="2031-05-06", start="10:00", end="11:00", zone="UTC",
            place="", link="", audience="cohorts", cohort_ids=[str(world.cohort_a1.id)],
        )
        return (await calendar.schedule_session(uow, coach, fields)).id


def _session(suffix: str, data: dict[str, str] | None = None, *, missing: bool = False) -> Builder:
    async def build(app: Any, world: World) -> Call:
        session_id = MISSING_ID if missing else await _a1_session(app, world)
        return Call("POST" if data is not None else "GET", f"/calendar/sessions/{session_id}{suffix}", data or {})

    return build


def _cohort_a1(suffix: str, data: dict[str, str] | None = None, *, missing: bool = False, checklist_done: bool = False) -> Builder:
    async def build(app: Any, world: World) -> Call:
        if checklist_done:
            async with app.state.uow() as uow:
                [admin] = await identity.actors_for(uow, [world.admin.id])
                for item in PHASES[0].checklist:
                    await phases.set_checklist_item(uow, admin, world.cohort_a1.id, phase=1, item=item.key, done=True)
        cohort_id = MISSING_ID if missing else world.cohort_a1.id
        return Call("POST" if data is not None else "GET", f"/program/phases/cohorts/{cohort_id}{suffix}", data or {})

    return build


async def _marked(app: Any, world: World) -> None:
    async with app.state.uow() as uow:
        assert await uow.session.get(ChecklistMark, (world.cohort_a1.id, 1, "agreements")) is not None


async def _moved(app: Any, world: World) -> None:
    async with app.state.uow() as uow:
        row = await uow.session.get(CohortPhase, world.cohort_a1.id)
    assert row is not None and row.phase == 2


async def _answered(app: Any, world: World) -> None:
    async with app.state.uow() as uow:
        assert len((await uow.session.execute(select(Response))).scalars().all()) == 1


async def _survey_closed(app: Any, world: World) -> None:
    async with app.state.uow() as uow:
        [survey] = (await uow.session.execute(select(Survey))).scalars().all()
    assert survey.closed_at is not None


_SESSION_CHANGE = {"title": "Moved", "description": "", "day": "2031-05-08", "start": "10:00", "end": "11:00", "timezone": "UTC", "place": "Room 2", "link": ""}


async def _session_changed(app: Any, world: World) -> None:
    async with app.state.uow() as uow:
        [session] = (await uow.session.execute(select(ProgramSession))).scalars().all()
    assert (session.title, session.place, session.starts_at.isoformat()) == ("Moved", "Room 2", "2031-05-08T10:00:00+00:00")


async def _session_cancelled(app: Any, world: World) -> None:
    async with app.state.uow() as uow:
        [session] = (await uow.session.execute(select(ProgramSession))).scalars().all()
    assert session.cancelled_at is not None


async def _new_session(app: Any, world: World) -> Call:
    data = {
        "kind": "coaching_outcome_mapping", "title": "Matrix coaching", "description": "", "phase": "", "day": "2031-05-07", "start": "09:00",
        "end": "10:30", "timezone": "UTC", "place": "", "link": "", "audience": "cohorts", "cohorts": str(world.cohort_a1.id),
    }
    return Call("POST", "/calendar/sessions", data)


async def _new_survey(app: Any, world: World) -> Call:
    return Call("POST", "/program/readiness/surveys", {"cohort_id": str(world.cohort_a1.id), "title": "Baseline"})


_ANSWER = {**{item.key: "4" for item in ITEMS}, "comment": ""}
_A1_PROGRESS = _outcomes(participant=200, coalition_member=200, facilitator=200, coach=200, lead_a=200, lead_b=404, admin=200)
_A1_COACH_WRITE = _outcomes(participant=403, coalition_member=403, facilitator=403, coach=303, lead_a=403, lead_b=404, admin=303)
_A1_MANAGE = _outcomes(participant=403, coalition_member=403, facilitator=403, coach=303, lead_a=303, lead_b=404, admin=303)
# A form whose cohort is not one's own to choose: a form error, nothing stored.
_A1_CHOOSE = _outcomes(participant=400, coalition_member=400, facilitator=400, coach=303, lead_a=303, lead_b=400, admin=303)

MATRIX += [
    Row("program phases", "GET", "/program/phases/", _forum_call("GET", "/program/phases/"), None, _EVERYONE),
    Row("a phase's page", "GET", "/program/phases/{number}", _forum_call("GET", "/program/phases/1"), None, _EVERYONE),
    Row("cohort A1 progress", "GET", "/program/phases/cohorts/{cohort_id}", _cohort_a1(""), _cohort_a1("", missing=True), _A1_PROGRESS),
    Row(
        "mark an A1 checklist item", "POST", "/program/phases/cohorts/{cohort_id}/checklist", _cohort_a1("/checklist", {"phase": "1", "item": "agreements", "done": "1"}),
        _cohort_a1("/checklist", {"phase": "1", "item": "agreements", "done": "1"}, missing=True), _A1_COACH_WRITE, _marked,
    ),
    Row(
        "move A1 to phase 2", "POST", "/program/phases/cohorts/{cohort_id}/phase", _cohort_a1("/phase", {"phase": "2"}, checklist_done=True),
        _cohort_a1("/phase", {"phase": "2"}, missing=True), _A1_COACH_WRITE, _moved,
    ),
    Row("schedule a wave's phase", "POST", "/program/phases/waves/{wave}/{number}", _forum_call("POST", "/program/phases/waves/1/2", {"starts_on": "2027-01-04", "ends_on": ""}), None, _ADMIN_ONLY_WRITE),
    Row("readiness surveys", "GET", "/program/readiness/", _forum_call("GET", "/program/readiness/"), None, _EVERYONE),
    Row("open an A1 survey", "POST", "/program/readiness/surveys", _new_survey, None, _A1_CHOOSE),
    Row("an A1 survey", "GET", "/program/readiness/surveys/{survey_id}", _survey(""), _survey("", missing=True), _A1_PROGRESS),
    Row(
        "answer an A1 survey", "POST", "/program/readiness/surveys/{survey_id}/answers", _survey("/answers", _ANSWER), _survey("/answers", _ANSWER, missing=True),
        # members of A1 answer (the facilitator is one); the coach and the admin are not members
        _outcomes(participant=303, coalition_member=303, facilitator=303, coach=403, lead_a=303, lead_b=404, admin=403), _answered,
    ),
    Row("close an A1 survey", "POST", "/program/readiness/surveys/{survey_id}/close", _survey("/close", {}), _survey("/close", {}, missing=True), _A1_MANAGE, _survey_closed),
    Row(
        "results of an A1 survey", "GET", "/program/readiness/surveys/{survey_id}/results", _survey("/results", closed=True), _survey("/results", closed=True, missing=True),
        # the school's lead and the cohort's coach only; not the program admin (#8)
        _outcomes(participant=403, coalition_member=403, facilitator=403, coach=200, lead_a=200, lead_b=404, admin=403),
    ),
    Row("calendar", "GET", "/calendar/", _forum_call("GET", "/calendar/"), None, _EVERYONE),
    Row("schedule page", "GET", "/calendar/new", _forum_call("GET", "/calendar/new"), None, _EVERYONE),
    Row("schedule an A1 session", "POST", "/calendar/sessions", _new_session, None, _A1_CHOOSE),
    Row("an A1 session", "GET", "/calendar/sessions/{session_id}", _session(""), _session("", missing=True), _A1_PROGRESS),
    Row("cancel an A1 session", "POST", "/calendar/sessions/{session_id}/cancel", _session("/cancel", {}), _session("/cancel", {}, missing=True), _A1_MANAGE, _session_cancelled),
    Row("change page of an A1 session", "GET", "/calendar/sessions/{session_id}/edit", _session("/edit"), _session("/edit", missing=True),
        _outcomes(participant=403, coalition_member=403, facilitator=403, coach=200, lead_a=200, lead_b=404, admin=200)),
    Row("change an A1 session", "POST", "/calendar/sessions/{session_id}/edit", _session("/edit", _SESSION_CHANGE), _session("/edit", _SESSION_CHANGE, missing=True), _A1_MANAGE, _session_changed),
]

# --- the program (#8): the coalition, outcome mapping, wins, monitoring -------------------------
# A school's coalition work is read by its lead, its coalition members and the coaches of its
# cohorts; a program admin reads it only as a logged privileged read (200) and never edits it
# (403). Outsiders and school members outside the coalition get 404 (SEC-A2).

_COALITION_READ = _outcomes(participant=404, coalition_member=200, facilitator=404, coach=200, lead_a=200, lead_b=404, admin=200)
# Sphere members and co-leads (coalition_a is a co-lead) and the lead edit; coach and admin may read but not edit.
_COALITION_EDIT = _outcomes(participant=404, coalition_member=303, facilitator=404, coach=403, lead_a=303, lead_b=404, admin=403)
_LEAD_ONLY = _outcomes(participant=404, coalition_member=403, facilitator=404, coach=403, lead_a=303, lead_b=404, admin=403)
# Outcome mapping is visible within the school; its coaches, lead and coalition write it.
_OUTCOMES_READ = _outcomes(participant=200, coalition_member=200, facilitator=200, coach=200, lead_a=200, lead_b=404, admin=200)
_OUTCOMES_EDIT = _outcomes(participant=403, coalition_member=303, facilitator=403, coach=303, lead_a=303, lead_b=404, admin=403)
_ADMIN_ONLY_FORBIDDEN = _outcomes(participant=403, coalition_member=403, facilitator=403, coach=403, lead_a=403, lead_b=403, admin=303)


def _program(path: Callable[[Any, World], Awaitable[str]], data: dict[str, str] | Callable[[World], dict[str, str]] | None = None, *, method: str | None = None) -> Builder:
    async def build(app: Any, world: World) -> Call:
        body = data(world) if callable(data) else (data or {})
        return Call(method or ("GET" if data is None else "POST"), await path(app, world), body)

    return build


def _fixed_path(path: Callable[[World], str]) -> Callable[[Any, World], Awaitable[str]]:
    async def make(app: Any, world: World) -> str:
        return path(world)

    return make


async def _sphere_path(app: Any, world: World) -> str:
    return f"/coalition/spheres/{await program.make_sphere(app, world)}"


async def _sphere_with_faculty(app: Any, world: World) -> str:
    await program.grant_coalition(app, world.faculty_a)
    return await _sphere_path(app, world)


async def _sphere_member_remove(app: Any, world: World) -> str:
    path = await _sphere_with_faculty(app, world)
    async with app.state.uow() as uow:
        lead = await program.actor_of(uow, world.lead_a)
        await coalition_service.add_member(uow, lead, int(path.rsplit("/", 1)[1]), person_id=str(world.faculty_a.id))
    return f"{path}/members/{world.faculty_a.id}/remove"


async def _target_path(app: Any, world: World) -> str:
    return f"/coalition/targets/{await program.make_target(app, world, await program.make_sphere(app, world))}"


async def _step_path(app: Any, world: World) -> str:
    target = await program.make_target(app, world, await program.make_sphere(app, world))
    return f"/coalition/steps/{await program.add_step(app, world, target)}"


async def _partner_path(app: Any, world: World) -> str:
    partner, _marker = await program.make_partner(app, world)
    return f"/outcomes/partners/{partner}"


async def _journal_call(app: Any, world: World) -> Call:
    partner, marker = await program.make_partner(app, world)
    return Call("POST", f"/outcomes/partners/{partner}/journal", {"marker_id": str(marker), "observed_on": "2026-01-15", "evidence": "Four directors came."})


async def _win_path(app: Any, world: World) -> str:
    target = await program.make_target(app, world, await program.make_sphere(app, world))
    return f"/wins/{await program.make_win(app, world, target, credited=(world.student_a,))}"


async def _checked_win_path(app: Any, world: World) -> str:
    path = await _win_path(app, world)
    async with app.state.uow() as uow:
        await win_service.save_checklist(uow, await program.actor_of(uow, world.coalition_a), int(path.rsplit("/", 1)[1]), ticked=program.ALL_CHECKS)
    return path


async def _shared_public_path(app: Any, world: World) -> str:
    target = await program.make_target(app, world, await program.make_sphere(app, world))
    win = await program.make_win(app, world, target)
    return f"/wins/shared/{await program.share(app, world, win, 'partner')}"


async def _record_win_call(app: Any, world: World) -> Call:
    target = await program.make_target(app, world, await program.make_sphere(app, world))
    data = {"against": f"target:{target}", "title": "Rubric adopted", "evidence": "All clerkships.", "theme": "assessment", "phase": "4", "credited": str(world.coalition_a.id)}
    return Call("POST", f"/wins/institutions/{world.institution_a.id}", data)


def _suffix(path: Callable[[Any, World], Awaitable[str]], suffix: str) -> Callable[[Any, World], Awaitable[str]]:
    async def make(app: Any, world: World) -> str:
        return await path(app, world) + suffix

    return make


_A = lambda w: w.institution_a.id  # noqa: E731
_TARGET_FORM = {"specific": "Grading review published", "measure": "Review published", "baseline": "", "target_value": "1", "unit": "report", "due_on": "2027-03-01", "status": "active"}

MATRIX += [
    Row("change work hub", "GET", "/coalition/", _forum_call("GET", "/coalition/"), None, _EVERYONE),
    Row("coalition of A", "GET", "/coalition/institutions/{institution_id}", _program(_fixed_path(lambda w: f"/coalition/institutions/{_A(w)}")), _get(lambda w: f"/coalition/institutions/{MISSING_ID}"), _COALITION_READ),
    Row(
        "open a sphere in A", "POST", "/coalition/institutions/{institution_id}/spheres",
        _program(_fixed_path(lambda w: f"/coalition/institutions/{_A(w)}/spheres"), lambda w: {"name": "Admissions", "description": "", "co_leads": [str(w.lead_a.id), str(w.coalition_a.id)], "term_starts_on": "2026-09-01", "term_ends_on": "2027-08-31"}),  # type: ignore[dict-item]
        None, _LEAD_ONLY,
    ),
    Row("sphere of A", "GET", "/coalition/spheres/{sphere_id}", _program(_sphere_path), _get(lambda w: f"/coalition/spheres/{MISSING_ID}"), _COALITION_READ),
    Row(
        "set a sphere's co-leads", "POST", "/coalition/spheres/{sphere_id}/co-leads",
        _program(_suffix(_sphere_path, "/co-leads"), lambda w: {"co_leads": [str(w.lead_a.id), str(w.coalition_a.id)], "term_starts_on": "2026-10-01", "term_ends_on": "2027-09-30"}),  # type: ignore[dict-item]
        _program(_fixed_path(lambda w: f"/coalition/spheres/{MISSING_ID}/co-leads"), {"term_starts_on": "2026-09-01"}),
        _LEAD_ONLY,
    ),
    Row(
        "add a sphere member", "POST", "/coalition/spheres/{sphere_id}/members", _program(_suffix(_sphere_with_faculty, "/members"), lambda w: {"person_id": str(w.faculty_a.id)}),
        _program(_fixed_path(lambda w: f"/coalition/spheres/{MISSING_ID}/members"), lambda w: {"person_id": str(w.faculty_a.id)}),
        # co-leads manage their sphere's members: coalition_a is a co-lead
        _COALITION_EDIT,
    ),
    Row(
        "remove a sphere member", "POST", "/coalition/spheres/{sphere_id}/members/{person_id}/remove", _program(_sphere_member_remove, {}),
        _program(_fixed_path(lambda w: f"/coalition/spheres/{MISSING_ID}/members/{w.faculty_a.id}/remove"), {}), _COALITION_EDIT,
    ),
    Row(
        "write a target", "POST", "/coalition/spheres/{sphere_id}/targets", _program(_suffix(_sphere_path, "/targets"), lambda w: {**_TARGET_FORM, "accountable": str(w.coalition_a.id)}),
        _program(_fixed_path(lambda w: f"/coalition/spheres/{MISSING_ID}/targets"), lambda w: {**_TARGET_FORM, "accountable": str(w.coalition_a.id)}), _COALITION_EDIT,
    ),
    Row("target of A", "GET", "/coalition/targets/{target_id}", _program(_target_path), _get(lambda w: f"/coalition/targets/{MISSING_ID}"), _COALITION_READ),
    Row("edit a target", "POST", "/coalition/targets/{target_id}", _program(_target_path, _TARGET_FORM), _program(_fixed_path(lambda w: f"/coalition/targets/{MISSING_ID}"), _TARGET_FORM), _COALITION_EDIT),
    Row(
        "save a DARCI grid", "POST", "/coalition/targets/{target_id}/darci", _program(_suffix(_target_path, "/darci"), lambda w: {"person": str(w.coalition_a.id), "letter": "A"}),
        _program(_fixed_path(lambda w: f"/coalition/targets/{MISSING_ID}/darci"), lambda w: {"person": str(w.coalition_a.id), "letter": "A"}), _COALITION_EDIT,
    ),
    Row(
        "add a plan step", "POST", "/coalition/targets/{target_id}/steps",
        _program(_suffix(_target_path, "/steps"), lambda w: {"step_description": "Pilot", "owner": str(w.coalition_a.id), "step_due_on": "2027-02-01", "step_status": "planned"}),
        _program(_fixed_path(lambda w: f"/coalition/targets/{MISSING_ID}/steps"), lambda w: {"step_description": "Pilot", "owner": str(w.coalition_a.id), "step_due_on": "2027-02-01"}), _COALITION_EDIT,
    ),
    Row("move a plan step", "POST", "/coalition/steps/{step_id}", _program(_step_path, {"status": "done"}), _program(_fixed_path(lambda w: f"/coalition/steps/{MISSING_ID}"), {"status": "done"}), _COALITION_EDIT),
    Row("outcome mapping of A", "GET", "/outcomes/institutions/{institution_id}", _program(_fixed_path(lambda w: f"/outcomes/institutions/{_A(w)}")), _get(lambda w: f"/outcomes/institutions/{MISSING_ID}"), _OUTCOMES_READ),
    Row(
        "add a boundary partner", "POST", "/outcomes/institutions/{institution_id}/partners",
        _program(_fixed_path(lambda w: f"/outcomes/institutions/{_A(w)}/partners"), {"name": "Residents", "description": "", "outcome_challenge": "Residents speak up.", "cohort_id": ""}),
        _program(_fixed_path(lambda w: f"/outcomes/institutions/{MISSING_ID}/partners"), {"name": "Residents", "description": "", "outcome_challenge": "Residents speak up.", "cohort_id": ""}), _OUTCOMES_EDIT,
    ),
    Row("boundary partner of A", "GET", "/outcomes/partners/{partner_id}", _program(_partner_path), _get(lambda w: f"/outcomes/partners/{MISSING_ID}"), _OUTCOMES_READ),
    Row(
        "add a progress marker", "POST", "/outcomes/partners/{partner_id}/markers", _program(_suffix(_partner_path, "/markers"), {"level": "love", "marker_description": "Directors teach it"}),
        _program(_fixed_path(lambda w: f"/outcomes/partners/{MISSING_ID}/markers"), {"level": "love", "marker_description": "Directors teach it"}), _OUTCOMES_EDIT,
    ),
    Row(
        "write in the outcome journal", "POST", "/outcomes/partners/{partner_id}/journal", _journal_call,
        _program(_fixed_path(lambda w: f"/outcomes/partners/{MISSING_ID}/journal"), {"marker_id": "1", "observed_on": "2026-01-15", "evidence": "x"}), _OUTCOMES_EDIT,
    ),
    Row("shared wins", "GET", "/wins/", _forum_call("GET", "/wins/"), None, _EVERYONE),
    Row("shared wins as JSON", "GET", "/wins/shared.json", _forum_call("GET", "/wins/shared.json"), None, _EVERYONE),
    Row("a shared win", "GET", "/wins/shared/{public_id}", _program(_shared_public_path), None, _EVERYONE),
    Row("curate a shared win", "POST", "/wins/shared/{public_id}/curate", _program(_suffix(_shared_public_path, "/curate"), {"phase": "3", "theme": "assessment", "include": "1"}), None, _ADMIN_ONLY_FORBIDDEN),
    Row("curation page", "GET", "/wins/curation", _forum_call("GET", "/wins/curation"), None, _ADMIN_ONLY_PAGE),
    Row("curated wins", "GET", "/wins/curated", _forum_call("GET", "/wins/curated"), None, _EVERYONE),
    Row("my credits", "GET", "/wins/consent", _forum_call("GET", "/wins/consent"), None, _EVERYONE),
    Row("wins of A", "GET", "/wins/institutions/{institution_id}", _program(_fixed_path(lambda w: f"/wins/institutions/{_A(w)}")), _get(lambda w: f"/wins/institutions/{MISSING_ID}"), _COALITION_READ),
    Row(
        "record a win in A", "POST", "/wins/institutions/{institution_id}", _record_win_call,
        _program(_fixed_path(lambda w: f"/wins/institutions/{MISSING_ID}"), {"against": "target:1", "title": "x", "evidence": "y", "theme": "assessment", "phase": "4"}),
        _outcomes(participant=404, coalition_member=303, facilitator=404, coach=403, lead_a=303, lead_b=404, admin=403),
    ),
    Row("a win of A", "GET", "/wins/{win_id:int}", _program(_win_path), _get(lambda w: f"/wins/{MISSING_ID}"), _COALITION_READ),
    Row(
        "tick a win's checklist", "POST", "/wins/{win_id:int}/checklist", _program(_suffix(_win_path, "/checklist"), {"item": "no_named_accusations"}),
        _program(_fixed_path(lambda w: f"/wins/{MISSING_ID}/checklist"), {"item": "no_named_accusations"}),
        _outcomes(participant=404, coalition_member=303, facilitator=404, coach=403, lead_a=303, lead_b=404, admin=403),
    ),
    Row(
        "choose a win's sharing", "POST", "/wins/{win_id:int}/sharing", _program(_suffix(_checked_win_path, "/sharing"), {"sharing": "named"}),
        _program(_fixed_path(lambda w: f"/wins/{MISSING_ID}/sharing"), {"sharing": "named"}), _LEAD_ONLY,
    ),
    Row(
        "consent to a credit", "POST", "/wins/{win_id:int}/consent", _program(_suffix(_win_path, "/consent"), {"consent": "given"}),
        _program(_fixed_path(lambda w: f"/wins/{MISSING_ID}/consent"), {"consent": "given"}),
        # only the person credited (the student) answers; for everyone else there is nothing there
        _outcomes(participant=303, coalition_member=404, facilitator=404, coach=404, lead_a=404, lead_b=404, admin=404),
    ),
    Row("monitoring of A", "GET", "/monitoring/institutions/{institution_id}", _program(_fixed_path(lambda w: f"/monitoring/institutions/{_A(w)}")), _get(lambda w: f"/monitoring/institutions/{MISSING_ID}"), _COALITION_READ),
    Row(
        "share A's aggregates", "POST", "/monitoring/institutions/{institution_id}/sharing", _program(_fixed_path(lambda w: f"/monitoring/institutions/{_A(w)}/sharing"), {"shares": "1"}),
        _program(_fixed_path(lambda w: f"/monitoring/institutions/{MISSING_ID}/sharing"), {"shares": "1"}), _LEAD_ONLY,
    ),
    Row("program monitoring", "GET", "/monitoring/program", _forum_call("GET", "/monitoring/program"), None, _ADMIN_ONLY_PAGE),
]

# --- the knowledge repository (#7) -----------------------------------------------------------------
# A draft is read by its authors and stewards (A's coalition member) and A's lead; a resource
# shared with the institution by A's people; one shared with the program by everyone. A
# forbidden resource looks exactly like a missing one (SEC-A2).

MISSING_RESOURCE = "0" * 32


def _knowledge(state: str, suffix: str = "") -> Callable[[Any, World], Awaitable[str]]:
    async def make(app: Any, world: World) -> str:
        return f"/knowledge/{await knowledge_helpers.resource_in(app, world, KnowledgeState(state))}{suffix}"

    return make


def _missing_resource(suffix: str = "", data: dict[str, str] | None = None) -> Builder:
    return _program(_fixed_path(lambda w: f"/knowledge/{MISSING_RESOURCE}{suffix}"), data)


_KNOWLEDGE_FORM = {k: v for k, v in knowledge_helpers.CONTENT.items() if k != "phases"} | {"phases": "3"}
_DRAFT_READ = _outcomes(participant=404, coalition_member=200, facilitator=404, coach=404, lead_a=200, lead_b=404, admin=404)
_DRAFT_WRITE = _outcomes(participant=404, coalition_member=303, facilitator=404, coach=404, lead_a=303, lead_b=404, admin=404)
_IN_A_READ = _outcomes(participant=200, coalition_member=200, facilitator=200, coach=200, lead_a=200, lead_b=404, admin=404)
_IN_A_WRITE = _outcomes(participant=303, coalition_member=303, facilitator=303, coach=303, lead_a=303, lead_b=404, admin=404)
_CREATE_PAGE = _outcomes(participant=403, coalition_member=200, facilitator=403, coach=403, lead_a=200, lead_b=200, admin=403)
_CREATE = _outcomes(participant=403, coalition_member=303, facilitator=403, coach=403, lead_a=303, lead_b=303, admin=403)
_CONTEXT_FORM = lambda w: {**knowledge_helpers.CONTEXT, "contact": str(w.coalition_a.id)}  # noqa: E731
_REPORT_FORM = {"kind": "applied", "where": "Clerkship", "applied_on": "2026-10-01", "what_happened": "It helped.", "evidence": ""}

def _knowledge_file(suffix: str = "") -> Callable[[Any, World], Awaitable[str]]:
    """A draft of school A with one file; the path to the file (plus `suffix`)."""

    async def make(app: Any, world: World) -> str:
        from artme_cop.attachments import service as attachments
        from artme_cop.knowledge import files

        public_id = await knowledge_helpers.resource_in(app, world, KnowledgeState.DRAFT)
        async with app.state.uow() as uow:
            [actor] = await identity.actors_for(uow, [world.coalition_a.id])
            made = await files.add_file(uow, actor, public_id, attachments.Upload("worksheet.pdf", b"%PDF-1.4\n%%EOF\n"))
        return f"/knowledge/{public_id}/files/{made.public_id}{suffix}"

    return make


MATRIX += [
    # Without a file the stewards (the author and A's lead) are told to choose one (400);
    # nobody else sees the draft.
    Row("attach a file to a resource", "POST", "/knowledge/{resource_id}/files", _program(_knowledge("draft", "/files"), {}), _missing_resource("/files", {}),
        _outcomes(participant=404, coalition_member=400, facilitator=404, coach=404, lead_a=400, lead_b=404, admin=404)),
    Row("a resource's file", "GET", "/knowledge/{resource_id}/files/{file_id}", _program(_knowledge_file()), _missing_resource(f"/files/{MISSING_RESOURCE}"), _DRAFT_READ),
    Row("remove a resource's file", "POST", "/knowledge/{resource_id}/files/{file_id}/remove", _program(_knowledge_file("/remove"), {}),
        _missing_resource(f"/files/{MISSING_RESOURCE}/remove", {}), _DRAFT_WRITE),
    Row("knowledge browse", "GET", "/knowledge/", _forum_call("GET", "/knowledge/"), None, _EVERYONE),
    Row("knowledge health", "GET", "/knowledge/health", _forum_call("GET", "/knowledge/health"), None, _EVERYONE),
    Row("new resource form", "GET", "/knowledge/new", _forum_call("GET", "/knowledge/new"), None, _CREATE_PAGE),
    Row("post a resource", "POST", "/knowledge/new", _forum_call("POST", "/knowledge/new", _KNOWLEDGE_FORM), None, _CREATE),
    Row("a draft resource", "GET", "/knowledge/{resource_id}", _program(_knowledge("draft")), _missing_resource(), _DRAFT_READ),
    Row("a program resource", "GET", "/knowledge/{resource_id}", _program(_knowledge("shared_program")), None, _EVERYONE),
    Row("edit form of a draft", "GET", "/knowledge/{resource_id}/edit", _program(_knowledge("draft", "/edit")), _missing_resource("/edit"), _DRAFT_READ),
    Row("edit a draft", "POST", "/knowledge/{resource_id}/edit", _program(_knowledge("draft", "/edit"), _KNOWLEDGE_FORM), _missing_resource("/edit", _KNOWLEDGE_FORM), _DRAFT_WRITE),
    Row(
        "flag a school's resource for update", "POST", "/knowledge/{resource_id}/transitions",
        _program(_knowledge("shared_institution", "/transitions"), {"move": "flag_update", "reason": "Outdated."}),
        _missing_resource("/transitions", {"move": "flag_update", "reason": "Outdated."}), _IN_A_WRITE,
    ),
    Row(
        "publish a proposal", "POST", "/knowledge/{resource_id}/transitions", _program(_knowledge("proposed_program", "/transitions"), {"move": "publish_program", "reason": ""}), None,
        # the school reads its proposal but only program admins publish it; another school does not see it
        _outcomes(participant=403, coalition_member=403, facilitator=403, coach=403, lead_a=403, lead_b=404, admin=303),
    ),
    Row(
        "decide the content review", "POST", "/knowledge/{resource_id}/reviews", _program(_knowledge("in_assessment", "/reviews"), {"role": "content", "decision": "accept", "comments": ""}),
        _missing_resource("/reviews", {"role": "content", "decision": "accept", "comments": ""}),
        # the coach reviews content; A's facilitator is the safety reviewer (400: not this review)
        _outcomes(participant=404, coalition_member=403, facilitator=400, coach=303, lead_a=403, lead_b=404, admin=404),
    ),
    Row(
        "add the context", "POST", "/knowledge/{resource_id}/context", _program(_knowledge("contextualizing", "/context"), _CONTEXT_FORM), _missing_resource("/context", {"conditions": "x"}),
        _outcomes(participant=404, coalition_member=303, facilitator=403, coach=403, lead_a=303, lead_b=404, admin=404),
    ),
    Row(
        "report use", "POST", "/knowledge/{resource_id}/reports", _program(_knowledge("shared_program", "/reports"), _REPORT_FORM), None,
        _outcomes(participant=303, coalition_member=303, facilitator=303, coach=303, lead_a=303, lead_b=303, admin=403),
    ),
    Row("report use on a school's resource", "POST", "/knowledge/{resource_id}/reports", _program(_knowledge("shared_institution", "/reports"), _REPORT_FORM), _missing_resource("/reports", _REPORT_FORM), _IN_A_WRITE),
    Row(
        "adapt a resource", "POST", "/knowledge/{resource_id}/adapt", _program(_knowledge("shared_program", "/adapt"), {}), None,
        # another school's lead adapts it; its own school (409) and those who cannot post resources (403) do not
        _outcomes(participant=403, coalition_member=409, facilitator=403, coach=403, lead_a=409, lead_b=303, admin=403),
    ),
    Row("adapt a school's resource", "POST", "/knowledge/{resource_id}/adapt", _program(_knowledge("shared_institution", "/adapt"), {}), _missing_resource("/adapt", {}), _outcomes(participant=403, coalition_member=409, facilitator=403, coach=403, lead_a=409, lead_b=404, admin=404)),
    Row("a version", "GET", "/knowledge/{resource_id}/versions/{number}", _program(_knowledge("shared_institution", "/versions/1")), _missing_resource("/versions/1"), _IN_A_READ),
    Row("a diff", "GET", "/knowledge/{resource_id}/diff", _program(_knowledge("shared_institution", "/diff?from=1&to=1")), _missing_resource("/diff?from=1&to=1"), _IN_A_READ),
]


def _api_knowledge(state: str, suffix: str = "", data: dict[str, Any] | None = None, method: str = "GET") -> Builder:
    async def build(app: Any, world: World) -> Call:
        public_id = await knowledge_helpers.resource_in(app, world, KnowledgeState(state))
        return Call(method, f"/api/knowledge/resources/{public_id}{suffix}", data or {})

    return build


_API_RESOURCE = "/api/knowledge/resources/{resource_id}"
_API_FLAG = {"move": "flag_update", "reason": "Outdated."}
_API_IN_A_WRITE = _outcomes(participant=200, coalition_member=200, facilitator=200, coach=200, lead_a=200, lead_b=404, admin=404)

MATRIX += [
    Row("api knowledge browse", "GET", "/api/knowledge/resources", _api_fixed("GET", "/api/knowledge/resources"), None, _EVERYONE),
    Row("api a draft resource", "GET", _API_RESOURCE, _api_knowledge("draft"), _api_fixed("GET", f"/api/knowledge/resources/{MISSING_RESOURCE}"), _DRAFT_READ),
    Row("api a program resource", "GET", _API_RESOURCE, _api_knowledge("shared_program"), None, _EVERYONE),
    Row("api a diff", "GET", _API_RESOURCE + "/diff", _api_knowledge("shared_institution", "/diff?from=1&to=1"), _api_fixed("GET", f"/api/knowledge/resources/{MISSING_RESOURCE}/diff?from=1&to=1"), _IN_A_READ),
    Row(
        "api flag a school's resource", "POST", _API_RESOURCE + "/transitions", _api_knowledge("shared_institution", "/transitions", _API_FLAG, "POST"),
        _api_fixed("POST", f"/api/knowledge/resources/{MISSING_RESOURCE}/transitions", _API_FLAG), _API_IN_A_WRITE,
    ),
    Row(
        "api publish a proposal", "POST", _API_RESOURCE + "/transitions", _api_knowledge("proposed_program", "/transitions", {"move": "publish_program"}, "POST"), None,
        _outcomes(participant=403, coalition_member=403, facilitator=403, coach=403, lead_a=403, lead_b=404, admin=200),
    ),
]

# --- Chats for Change (#5): a session of A1 co-facilitated by Frankie (facilitator) and Casey (coach)


def _dialogue(suffix: str, data: dict[str, str] | None = None, *, missing: bool = False, student_inside: bool = False) -> Builder:
    async def build(app: Any, world: World) -> Call:
        session_id = MISSING_ID if missing else await dialogue_helpers.make_session(app, world)
        if student_inside and not missing:
            await dialogue_helpers.enter(app, session_id, world.student_a)
            await dialogue_helpers.open_room(app, world, session_id)
        return Call("GET" if data is None else "POST", f"/dialogue/{session_id}{suffix}", data or {})

    return build


async def _build_schedule_dialogue(app: Any, world: World) -> Call:
    data = {
        "title": "Matrix Chats for Change", "cohorts": str(world.cohort_a1.id), "facilitators": [str(world.facilitator_a.id), str(world.coach.id)],
        "starts_at": "2027-03-01T15:00", "ends_at": "2027-03-01T16:00", "agreement_text": "Brave space.", "identity_mode": "named", "slow_mode_seconds": "0",
    }
    return Call("POST", "/dialogue/", data)  # type: ignore[arg-type]


def _reveal(*, missing: bool = False) -> Builder:
    async def build(app: Any, world: World) -> Call:
        session_id, main = (MISSING_ID, MISSING_ID) if missing else await dialogue_helpers.pseudonymous_post(app, world)
        return Call("POST", f"/dialogue/{session_id}/reveal", {"conversation": str(main), "seq": "1", "reason": "A disclosure of imminent harm."})

    return build


async def _revealed(app: Any, world: World) -> None:
    async with app.state.uow() as uow:
        actions = (await uow.session.execute(select(AuditEntry.action).where(AuditEntry.action == "dialogue_reveal"))).scalars().all()
    assert actions == ["dialogue_reveal"]


def _affinity(*, missing: bool = False) -> Builder:
    async def build(app: Any, world: World) -> Call:
        session_id, room = (MISSING_ID, MISSING_ID) if missing else await dialogue_helpers.affinity_room(app, world)
        return Call("POST", f"/dialogue/{session_id}/affinity", {"room": str(room)})

    return build


def _safety(suffix: str, data: dict[str, str], *, missing: bool = False, report: bool = False) -> Builder:
    async def build(app: Any, world: World) -> Call:
        if missing:
            return Call("POST", f"/dialogue/{MISSING_ID}{suffix}".replace("{report}", str(MISSING_ID)), {**data, "conversation": str(MISSING_ID)})
        session_id, main = await dialogue_helpers.inside(app, world)
        if report:
            session_id, main, report_id = await dialogue_helpers.reported(app, world)
            suffix_made = suffix.replace("{report}", str(report_id))
        else:
            suffix_made = suffix
        return Call("GET" if suffix_made.endswith("/incidents") else "POST", f"/dialogue/{session_id}{suffix_made}", {**data, "conversation": str(main)} if data else {})

    return build


def _after(suffix: str, data: dict[str, str] | None, *, missing: bool = False, with_takeaway: bool = False, with_room: bool = False) -> Builder:
    async def build(app: Any, world: World) -> Call:
        if missing:
            return Call("GET" if data is None else "POST", f"/dialogue/{MISSING_ID}{suffix}".replace("{t}", str(MISSING_ID)), {**(data or {}), "room": str(MISSING_ID)} if with_room else (data or {}))
        if with_takeaway:
            session_id, takeaway_id = await dialogue_helpers.takeaway(app, world)
            return Call("POST", f"/dialogue/{session_id}{suffix}".replace("{t}", str(takeaway_id)), data or {})
        session_id, main = await dialogue_helpers.inside(app, world)
        return Call("GET" if data is None else "POST", f"/dialogue/{session_id}{suffix}", {**(data or {}), "room": str(main)} if with_room else (data or {}))

    return build


_DIALOGUE_FACILITATORS_ONLY = _outcomes(participant=403, coalition_member=403, facilitator=303, coach=303, lead_a=403, lead_b=404, admin=403)
_DIALOGUE_PARTICIPANT_ONLY = _outcomes(participant=303, coalition_member=403, facilitator=403, coach=403, lead_a=403, lead_b=404, admin=403)
_INCIDENT_HANDLERS = _outcomes(participant=403, coalition_member=403, facilitator=303, coach=303, lead_a=403, lead_b=404, admin=303)
_DIALOGUE_VIEW = _outcomes(participant=200, coalition_member=200, facilitator=200, coach=200, lead_a=200, lead_b=404, admin=200)
# The session's co-facilitators (Frankie, Casey) run it; everyone else who sees it is refused.
_DIALOGUE_FACILITATE = _outcomes(participant=403, coalition_member=403, facilitator=303, coach=303, lead_a=403, lead_b=404, admin=403)

MATRIX += [
    Row("dialogue sessions", "GET", "/dialogue/", _forum_call("GET", "/dialogue/"), None, _EVERYONE),
    Row("schedule dialogue page", "GET", "/dialogue/new", _forum_call("GET", "/dialogue/new"), None, _EVERYONE),
    Row(
        "schedule a dialogue for A1", "POST", "/dialogue/", _build_schedule_dialogue, None,
        _outcomes(participant=403, coalition_member=403, facilitator=303, coach=303, lead_a=303, lead_b=403, admin=303),
    ),
    Row("a dialogue session of A1", "GET", "/dialogue/{session_id}", _dialogue(""), _dialogue("", missing=True), _DIALOGUE_VIEW),
    Row(
        "accept a dialogue's agreement", "POST", "/dialogue/{session_id}/accept", _dialogue("/accept", {"version": "1"}), _dialogue("/accept", {"version": "1"}, missing=True),
        # members of A1 who do not facilitate it enter; the admin sees the framing only (rule 1)
        _outcomes(participant=303, coalition_member=303, facilitator=403, coach=403, lead_a=303, lead_b=404, admin=403),
    ),
    Row(
        "raise a hand in a dialogue", "POST", "/dialogue/{session_id}/hand", _dialogue("/hand", {"up": "1"}, student_inside=True),
        _dialogue("/hand", {"up": "1"}, missing=True),
        _outcomes(participant=303, coalition_member=403, facilitator=403, coach=403, lead_a=403, lead_b=404, admin=403),
    ),
    Row(
        "open a dialogue room", "POST", "/dialogue/{session_id}/facilitate", _dialogue("/facilitate", {"action": "move", "to": "open"}),
        _dialogue("/facilitate", {"action": "move", "to": "open"}, missing=True), _DIALOGUE_FACILITATE,
    ),
    Row(
        "say ouch in a dialogue", "POST", "/dialogue/{session_id}/signal", _safety("/signal", {"kind": "ouch"}), _safety("/signal", {"kind": "ouch"}, missing=True),
        _outcomes(participant=303, coalition_member=403, facilitator=303, coach=303, lead_a=403, lead_b=404, admin=403),
    ),
    Row(
        "open a private line", "POST", "/dialogue/{session_id}/line", _safety("/line", {}), _safety("/line", {}, missing=True),
        _outcomes(participant=303, coalition_member=403, facilitator=403, coach=403, lead_a=403, lead_b=404, admin=403),
    ),
    Row(
        "report a dialogue message", "POST", "/dialogue/{session_id}/report", _safety("/report", {"seq": "1", "reason": "Hurtful"}),
        _safety("/report", {"seq": "1", "reason": "Hurtful"}, missing=True),
        _outcomes(participant=303, coalition_member=403, facilitator=303, coach=303, lead_a=403, lead_b=404, admin=403),
    ),
    Row(
        "a dialogue's incidents", "GET", "/dialogue/{session_id}/incidents", _safety("/incidents", {}, report=True), _get(lambda w: f"/dialogue/{MISSING_ID}/incidents"),
        _outcomes(participant=403, coalition_member=403, facilitator=200, coach=200, lead_a=403, lead_b=404, admin=200),
    ),
    Row(
        "resolve a dialogue incident", "POST", "/dialogue/{session_id}/incidents/{report_id}/resolve", _safety("/incidents/{report}/resolve", {}, report=True),
        _safety("/incidents/{report}/resolve", {}, missing=True), _INCIDENT_HANDLERS,
    ),
    Row("a dialogue's harvest and feedback", "GET", "/dialogue/{session_id}/after", _after("/after", None), _after("/after", None, missing=True), _DIALOGUE_VIEW),
    Row(
        "post a takeaway", "POST", "/dialogue/{session_id}/takeaways", _after("/takeaways", {"text": "A takeaway"}, with_room=True),
        _after("/takeaways", {"text": "A takeaway"}, missing=True, with_room=True), _DIALOGUE_PARTICIPANT_ONLY,
    ),
    Row(
        "publish a takeaway", "POST", "/dialogue/{session_id}/takeaways/{takeaway_id}/review", _after("/takeaways/{t}/review", {"decision": "publish"}, with_takeaway=True),
        _after("/takeaways/{t}/review", {"decision": "publish"}, missing=True), _DIALOGUE_FACILITATORS_ONLY,
    ),
    Row("answer the dialogue feedback", "POST", "/dialogue/{session_id}/feedback", _after("/feedback", {"safety": "4", "learned": "x", "change": "y"}),
        _after("/feedback", {"safety": "4"}, missing=True), _DIALOGUE_PARTICIPANT_ONLY),
    Row("save the facilitators' debrief", "POST", "/dialogue/{session_id}/debrief", _after("/debrief", {"note": "It went well."}),
        _after("/debrief", {"note": "x"}, missing=True), _DIALOGUE_FACILITATORS_ONLY),
    # The session's facilitators sit in no coalition here, so nobody may post the harvest to the
    # repository (tests/dialogue/test_after.py grants it); everyone else is refused as ever.
    Row("draft the harvest for the knowledge repository", "POST", "/dialogue/{session_id}/harvest-draft", _after("/harvest-draft", {"title": "Harvest"}),
        _after("/harvest-draft", {"title": "x"}, missing=True), _outcomes(participant=403, coalition_member=403, facilitator=403, coach=403, lead_a=403, lead_b=404, admin=403)),
    Row(
        "choose an affinity room", "POST", "/dialogue/{session_id}/affinity", _affinity(), _affinity(missing=True),
        _outcomes(participant=303, coalition_member=403, facilitator=403, coach=403, lead_a=403, lead_b=404, admin=403),
    ),
    Row(
        "break-glass reveal in a dialogue", "POST", "/dialogue/{session_id}/reveal", _reveal(), _reveal(missing=True),
        # the co-facilitators and program admins, with a reason; never a lead or a peer (rule 1)
        _outcomes(participant=403, coalition_member=403, facilitator=200, coach=200, lead_a=403, lead_b=404, admin=200), _revealed,
    ),
]

# --- team learning labs (issue #6) ---------------------------------------------------------------
# A team is its members' and its facilitator's (tests/labs/seed.py: the student is a member, the
# facilitator facilitates). Rule 1: the school's lead who registered it keeps its roster but reads
# none of it; the program admin, the coach, other members of the cohort and B's lead see a 404.


def _lab(path: Callable[[Any, World], Awaitable[str]], data: dict[str, str] | None = None) -> Builder:
    async def build(app: Any, world: World) -> Call:
        return Call("POST" if data is not None else "GET", await path(app, world), data or {})

    return build


def _lab_path(prefix: str, seed: Callable[..., Awaitable[int]], suffix: str = "", **options: Any) -> Callable[[Any, World], Awaitable[str]]:
    async def path(app: Any, world: World) -> str:
        return f"{prefix}{await seed(app, world, **options)}{suffix}"

    return path


async def _lab_question_path(app: Any, world: World) -> str:
    session_id = await lab_seed.session(app, world, stage="team")
    return f"/labs/sessions/{session_id}/team-answers"


async def _lab_team_answer(app: Any, world: World) -> Call:
    session_id = await lab_seed.session(app, world, stage="team")
    return Call("POST", f"/labs/sessions/{session_id}/team-answers", {"question": str(await lab_seed.question(app, session_id)), "choice": "1"})


async def _lab_individual(app: Any, world: World) -> Call:
    session_id = await lab_seed.session(app, world, stage="individual")
    return Call("POST", f"/labs/sessions/{session_id}/individual", {f"q{await lab_seed.question(app, session_id)}": "1"})


async def _lab_commitment(app: Any, world: World) -> Call:
    team_id = await lab_seed.team(app, world)
    data = {"concept": "Bias", "job_function": "Nurse", "action": "Speak up", "owner": str(world.student_a.id), "check_on": "2027-01-01"}
    return Call("POST", f"/labs/teams/{team_id}/commitments", data)


async def _lab_register(app: Any, world: World) -> Call:
    data = {"institution": str(world.institution_a.id), "name": "Alder Wards", "unit": "Medicine", "purpose": "", "members": [str(world.student_a.id), str(world.faculty_a.id)], "leads": str(world.faculty_a.id), "facilitator": str(world.facilitator_a.id)}
    return Call("POST", "/labs/teams", data)  # type: ignore[arg-type]


async def _lab_roster(app: Any, world: World) -> Call:
    team_id = await lab_seed.team(app, world)
    return Call("POST", f"/labs/teams/{team_id}/roster", {"members": str(world.faculty_a.id), "leads": str(world.faculty_a.id), "facilitator": str(world.facilitator_a.id)})


async def _lab_new_session(app: Any, world: World) -> Call:
    team_id = await lab_seed.team(app, world)
    return Call("POST", "/labs/sessions", {"title": "Systems", "concept": "Systems thinking", "prework": "", "exercise": "Map discharge.", "teams": str(team_id)})


def _lab_missing(path: str, data: dict[str, str] | None = None) -> Builder:
    async def build(app: Any, world: World) -> Call:
        return Call("POST" if data is not None else "GET", path.format(MISSING_ID), data or {})

    return build


def _lab_outcomes(*, participant: int, facilitator: int, lead_a: int = 404, others: int = 404) -> dict[str, int]:
    return _outcomes(participant=participant, coalition_member=others, facilitator=facilitator, coach=others, lead_a=lead_a, lead_b=others, admin=others)


_LAB_READ = _lab_outcomes(participant=200, facilitator=200)
_LAB_WRITE = _lab_outcomes(participant=303, facilitator=303)
_LAB_LEAD = _lab_outcomes(participant=403, facilitator=303)
_LAB_MEMBER = _lab_outcomes(participant=303, facilitator=403)
_LAB_ANSWER = _lab_outcomes(participant=303, facilitator=409)
_LAB_SCHOOL_LEAD = _outcomes(participant=403, coalition_member=403, facilitator=403, coach=403, lead_a=303, lead_b=403, admin=403)
_MESSAGE = {"body": "matrix lab message", "client_msg_id": "matrix-lab"}

MATRIX += [
    Row("labs index", "GET", "/labs/", _forum_call("GET", "/labs/"), None, _EVERYONE),
    Row("api my lab teams", "GET", "/api/labs/teams", _forum_call("GET", "/api/labs/teams"), None, _EVERYONE),
    Row("api a team's channels", "GET", "/api/labs/teams/{team_id}/channels", _lab(_lab_path("/api/labs/teams/", lab_seed.team, "/channels")), _lab_missing("/api/labs/teams/{}/channels"), _LAB_READ),
    Row("api a channel thread", "GET", "/api/labs/channels/{channel_id}/threads/{seq}", _lab(_lab_path("/api/labs/channels/", lab_seed.channel, "/threads/1", with_message=True)),
        _lab_missing("/api/labs/channels/{}/threads/1"), _LAB_READ),
    # SEC-H4: a file is read by the readers of its conversation, whatever the URL's randomness
    Row("download an attachment", "GET", "/attachments/{public_id}", _lab(lab_seed.attachment), _lab_missing("/attachments/" + "0" * 26 + "{}"), _LAB_READ),
    Row("register team page", "GET", "/labs/teams/new", _forum_call("GET", "/labs/teams/new"), None,
        _outcomes(participant=403, coalition_member=403, facilitator=403, coach=403, lead_a=200, lead_b=200, admin=403)),
    Row("register a team in A", "POST", "/labs/teams", _lab_register, None, _LAB_SCHOOL_LEAD),
    Row("name a unit manager in A", "POST", "/labs/institutions/{institution_id}/managers", _forum_call("POST", "/labs/institutions/1/managers", {"person": "7"}), None, _LAB_SCHOOL_LEAD),
    Row("team page", "GET", "/labs/teams/{team_id}", _lab(_lab_path("/labs/teams/", lab_seed.team)), _lab_missing("/labs/teams/{}"), _LAB_READ),
    Row("team roster", "GET", "/labs/teams/{team_id}/roster", _lab(_lab_path("/labs/teams/", lab_seed.team, "/roster")), _lab_missing("/labs/teams/{}/roster"),
        _lab_outcomes(participant=200, facilitator=200, lead_a=200)),
    Row("change a team's roster", "POST", "/labs/teams/{team_id}/roster", _lab_roster, _lab_missing("/labs/teams/{}/roster", {"members": "1", "leads": "1", "facilitator": "1"}),
        _lab_outcomes(participant=403, facilitator=403, lead_a=303)),
    Row("open a topic channel", "POST", "/labs/teams/{team_id}/channels", _lab(_lab_path("/labs/teams/", lab_seed.team, "/channels"), {"name": "handover"}),
        _lab_missing("/labs/teams/{}/channels", {"name": "handover"}), _LAB_LEAD),
    Row("channel page", "GET", "/labs/channels/{channel_id}", _lab(_lab_path("/labs/channels/", lab_seed.channel)), _lab_missing("/labs/channels/{}"), _LAB_READ),
    Row("mention suggestions in a channel", "GET", "/labs/channels/{channel_id}/mentions", _lab(_lab_path("/labs/channels/", lab_seed.channel, "/mentions?q=a")), _lab_missing("/labs/channels/{}/mentions?q=a"), _LAB_READ),
    Row("post in a channel", "POST", "/labs/channels/{channel_id}/messages", _lab(_lab_path("/labs/channels/", lab_seed.channel, "/messages"), _MESSAGE),
        _lab_missing("/labs/channels/{}/messages", _MESSAGE), _LAB_WRITE),
    Row("pin a message", "POST", "/labs/channels/{channel_id}/messages/{seq}/pin", _lab(_lab_path("/labs/channels/", lab_seed.channel, "/messages/1/pin", with_message=True), {"pinned": "1"}),
        _lab_missing("/labs/channels/{}/messages/1/pin", {"pinned": "1"}), _LAB_LEAD),
    Row("edit the student's message", "POST", "/labs/channels/{channel_id}/messages/{seq}/edit", _lab(_lab_path("/labs/channels/", lab_seed.channel, "/messages/1/edit", with_message=True), {"body": "changed"}),
        _lab_missing("/labs/channels/{}/messages/1/edit", {"body": "changed"}), _LAB_MEMBER),
    Row("delete the student's message", "POST", "/labs/channels/{channel_id}/messages/{seq}/delete", _lab(_lab_path("/labs/channels/", lab_seed.channel, "/messages/1/delete", with_message=True), {}),
        _lab_missing("/labs/channels/{}/messages/1/delete", {}), _LAB_WRITE),
    Row("react in a channel", "POST", "/labs/channels/{channel_id}/messages/{seq}/react", _lab(_lab_path("/labs/channels/", lab_seed.channel, "/messages/1/react", with_message=True), {"emoji": "heart"}),
        _lab_missing("/labs/channels/{}/messages/1/react", {"emoji": "heart"}), _LAB_WRITE),
    Row("schedule session page", "GET", "/labs/sessions/new", _lab(_lab_path("/labs/sessions/new?team=", lab_seed.team)), None,
        _outcomes(participant=403, coalition_member=403, facilitator=200, coach=403, lead_a=403, lead_b=403, admin=403)),
    Row("schedule a session", "POST", "/labs/sessions", _lab_new_session, None,
        _outcomes(participant=403, coalition_member=403, facilitator=303, coach=403, lead_a=403, lead_b=403, admin=403)),
    Row("session page", "GET", "/labs/sessions/{session_id}", _lab(_lab_path("/labs/sessions/", lab_seed.session)), _lab_missing("/labs/sessions/{}"), _LAB_READ),
    Row("add a readiness question", "POST", "/labs/sessions/{session_id}/questions", _lab(_lab_path("/labs/sessions/", lab_seed.session, "/questions"), {"prompt": "Why?", "options": "a\nb", "correct": "1"}),
        _lab_missing("/labs/sessions/{}/questions", {"prompt": "Why?", "options": "a\nb", "correct": "1"}), _LAB_LEAD),
    Row("move a session on", "POST", "/labs/sessions/{session_id}/stage", _lab(_lab_path("/labs/sessions/", lab_seed.session, "/stage"), {"to": "individual"}),
        _lab_missing("/labs/sessions/{}/stage", {"to": "individual"}), _LAB_LEAD),
    Row("answer the individual check", "POST", "/labs/sessions/{session_id}/individual", _lab_individual, _lab_missing("/labs/sessions/{}/individual", {"q1": "1"}), _LAB_ANSWER),
    Row("answer the team check", "POST", "/labs/sessions/{session_id}/team-answers", _lab_team_answer, _lab_missing("/labs/sessions/{}/team-answers", {"question": "1", "choice": "1"}), _LAB_ANSWER),
    Row("submit the team's report-out", "POST", "/labs/sessions/{session_id}/report", _lab(_lab_path("/labs/sessions/", lab_seed.session, "/report", stage="application"), {"report": "Our answer"}),
        _lab_missing("/labs/sessions/{}/report", {"report": "Our answer"}), _LAB_ANSWER),
    Row("add a commitment", "POST", "/labs/teams/{team_id}/commitments", _lab_commitment,
        _lab_missing("/labs/teams/{}/commitments", {"concept": "Bias", "job_function": "Nurse", "action": "Speak up", "owner": "1", "check_on": "2027-01-01"}), _LAB_MEMBER),
    Row("mark a commitment done", "POST", "/labs/commitments/{commitment_id}/status", _lab(_lab_path("/labs/commitments/", lab_seed.commitment, "/status"), {"status": "done"}),
        _lab_missing("/labs/commitments/{}/status", {"status": "done"}), _LAB_MEMBER),
    Row("report a success", "POST", "/labs/teams/{team_id}/reports", _lab(_lab_path("/labs/teams/", lab_seed.team, "/reports"), {"what_changed": "Named interpreters", "evidence": "Audit", "reported_on": ""}),
        _lab_missing("/labs/teams/{}/reports", {"what_changed": "x", "evidence": "y", "reported_on": ""}), _LAB_MEMBER),
    Row("promote a success report", "POST", "/labs/reports/{report_id}/promote", _lab(_lab_path("/labs/reports/", lab_seed.report, "/promote"), {"title": "Interpreters named", "against": "target:1"}),
        _lab_missing("/labs/reports/{}/promote", {"title": "x", "against": "target:1"}),
        # the team's facilitator leads it but sits in no coalition: wins are the coalition's to record
        _lab_outcomes(participant=403, facilitator=403)),
    Row("draft a knowledge resource from a success report", "POST", "/labs/reports/{report_id}/draft-resource", _lab(_lab_path("/labs/reports/", lab_seed.report, "/draft-resource"), {"title": "Interpreters named"}),
        _lab_missing("/labs/reports/{}/draft-resource", {"title": "x"}),
        # the team's facilitator leads it but posts no resources: the repository is the coalition's
        _lab_outcomes(participant=403, facilitator=403)),
    Row("write the value story", "POST", "/labs/teams/{team_id}/value-story", _lab(_lab_path("/labs/teams/", lab_seed.team, "/value-story"), {"what_we_did": "a", "what_changed": "b", "difference": "c"}),
        _lab_missing("/labs/teams/{}/value-story", {"what_we_did": "a", "what_changed": "b", "difference": "c"}),
        # before four completed sessions the team's members are told to wait
        _lab_outcomes(participant=409, facilitator=403)),
]

# The WebSocket endpoint authorizes the handshake and every frame; its matrix lives with the
# gateway tests (tests/realtime/), not in this HTTP table.
WEBSOCKET_ROUTES: set[tuple[str, str]] = {("WEBSOCKET", "/ws")}

# Routes that are not administration: open to everyone or about one's own account. Anything
# under /admin or /moderation may never be listed here.
PUBLIC_OR_SELF_SERVICE: set[tuple[str, str]] = {
    ("GET", "/healthz"),
    ("MOUNT", "/static"),
    ("GET", "/"),
    ("GET", "/login"),
    ("POST", "/login"),
    ("POST", "/logout"),
    ("GET", "/invitations/{token}"),
    ("POST", "/invitations/{token}"),
    ("GET", "/password"),
    ("POST", "/password"),
    ("GET", "/password/forgot"),
    ("POST", "/password/forgot"),
    ("GET", "/password/reset/{token}"),
    ("POST", "/password/reset/{token}"),
    ("GET", "/me"),
    ("POST", "/me"),
    ("GET", "/me/export"),
    ("GET", "/me/delete"),
    ("POST", "/me/delete"),
    # two-step sign-in: the second step of one's own sign-in, and one's own setting
    ("GET", "/login/two-step"),
    ("POST", "/login/two-step"),
    ("GET", "/me/two-step"),
    ("POST", "/me/two-step/start"),
    ("POST", "/me/two-step/confirm"),
    ("POST", "/me/two-step/off"),
    ("GET", "/api/openapi.json"),
    ("GET", "/api/session"),
    # one's own calendar feed: made and turned off for oneself; read with its secret alone
    ("POST", "/calendar/feed"),
    ("POST", "/calendar/feed/revoke"),
    ("GET", "/calendar/feed/{token}.ics"),
}

CASES = [pytest.param(row, persona, id=f"{row.name}-{persona}") for row in MATRIX for persona in PERSONAS]


async def _send(http: httpx.AsyncClient, request: Call, *, signed_in: bool) -> httpx.Response:
    if request.is_api:
        return await _send_api(http, request)
    if request.method == "GET":
        return await http.get(request.path)
    token = await page_token(http, signed_in=signed_in)
    return await http.post(request.path, data={**request.data, "csrf_token": token})


async def _send_api(http: httpx.AsyncClient, request: Call) -> httpx.Response:
    """A JSON call as the API's own clients make it: the session's token in the header."""
    if request.method == "GET":
        return await http.get(request.path)
    session = await http.get("/api/session")
    token = session.json()["csrf_token"] if session.status_code == 200 else ""
    return await http.request(request.method, request.path, json=request.data or None, headers={"X-CSRF-Token": token})


@pytest.mark.parametrize(("row", "persona"), CASES)
async def test_admin_action_outcome_matches_matrix(app: Any, client: httpx.AsyncClient, world: World, row: Row, persona: str) -> None:
    """SEC-B1/SEC-A1/SEC-A4: each persona gets exactly the status of the table; a denial
    leaves every table untouched; an allowed write does what it says; anonymous → /login."""
    request = await row.build(app, world)
    attribute = PERSONAS[persona]
    if attribute is not None:
        await sign_in(client, getattr(world, attribute).email)
    before = await snapshot(app)
    positions = await read_positions(app) if request.method == "GET" else {}

    response = await _send(client, request, signed_in=attribute is not None)

    if attribute is None:
        if request.is_api:  # the API answers 401 JSON, never the sign-in redirect
            assert response.status_code == 401 and response.json()["error"]["code"] == "sign_in_required"
        else:
            assert response.status_code == 303
            assert response.headers["location"].startswith("/login")
        assert await snapshot(app) == before
        return
    expected = row.expected[persona]
    assert response.status_code == expected, f"{persona} on {row.name}: {response.status_code}"
    if expected >= 400:
        after = await snapshot(app)
        assert counts(after) == counts(before)
        assert after == before
    elif row.effect is not None:
        await row.effect(app, world)
    if request.method == "GET":
        await assert_get_changed_nothing(app, before, positions, getattr(world, attribute).id, f"{persona} on {row.name}")


NOT_FOUND_CASES = [
    pytest.param(row, persona, id=f"{row.name}-{persona}")
    for row in MATRIX
    if row.build_missing is not None
    for persona, status in row.expected.items()
    if status == 404
]


@pytest.mark.parametrize(("row", "persona"), NOT_FOUND_CASES)
async def test_forbidden_object_looks_like_missing_object(app: Any, client: httpx.AsyncClient, world: World, row: Row, persona: str) -> None:
    """SEC-A2: a forbidden id and a nonexistent id give the same status and the same bytes."""
    assert row.build_missing is not None
    attribute = PERSONAS[persona]
    assert attribute is not None
    await sign_in(client, getattr(world, attribute).email)
    forbidden = await _send(client, await row.build(app, world), signed_in=True)
    missing = await _send(client, await row.build_missing(app, world), signed_in=True)
    assert forbidden.status_code == missing.status_code == 404
    assert forbidden.content == missing.content


def test_every_route_is_in_the_matrix_or_listed_as_public(app: Any) -> None:
    """Route inventory (section A, SEC-B1): adding a route without a matrix row fails here."""
    inventory = set(iter_routes(app.routes))
    in_matrix = {(row.method, row.template) for row in MATRIX}
    unclassified = inventory - in_matrix - PUBLIC_OR_SELF_SERVICE - WEBSOCKET_ROUTES
    assert not unclassified, f"routes without a row in the authorization matrix: {sorted(unclassified)}"
    assert in_matrix <= inventory, f"matrix rows for routes that do not exist: {sorted(in_matrix - inventory)}"
    assert PUBLIC_OR_SELF_SERVICE | WEBSOCKET_ROUTES <= inventory, f"stale entries: {sorted((PUBLIC_OR_SELF_SERVICE | WEBSOCKET_ROUTES) - inventory)}"
    privileged = [path for _method, path in PUBLIC_OR_SELF_SERVICE if path.startswith(("/admin", "/moderation"))]
    assert privileged == []


# --- tenancy of lists ----------------------------------------------------------------------------


def _people_rows(response: httpx.Response) -> list[dict[str, str]]:
    table = soup(response).find("table")
    assert table is not None
    rows = []
    for tr in table.find("tbody").find_all("tr"):
        name, _pronouns, email, institution = (td.get_text(strip=True) for td in tr.find_all("td"))
        rows.append({"name": name, "email": email, "institution": institution})
    return rows


@pytest.mark.parametrize(("lead", "own", "other"), [("lead_a", "institution_a", "institution_b"), ("lead_b", "institution_b", "institution_a")])
async def test_lead_people_list_shows_own_institution_only(client: httpx.AsyncClient, world: World, lead: str, own: str, other: str) -> None:
    """SEC-A3: a lead's people list holds the people of their school and no one else."""
    await sign_in(client, getattr(world, lead).email)
    response = await client.get("/admin/people")
    assert response.status_code == 200
    rows = _people_rows(response)
    own_id, other_id = getattr(world, own).id, getattr(world, other).id
    people = [getattr(world, name) for name in ("admin", "coach", "facilitator_a", "lead_a", "coalition_a", "student_a", "faculty_a", "participant_a2", "lead_b", "participant_b")]
    expected = sorted(p.email for p in people if p.institution_id == own_id)
    assert sorted(row["email"] for row in rows) == expected
    assert {row["institution"] for row in rows} == {getattr(world, own).name}
    assert not any(p.email in response.text for p in people if p.institution_id in (other_id, None))


# --- the audit log ------------------------------------------------------------------------------


def _audit_rows(response: httpx.Response) -> list[dict[str, str]]:
    table = soup(response).find("table")
    if table is None:
        return []
    rows = []
    for tr in table.find("tbody").find_all("tr"):
        when, who, what, institution, about, detail = (td.get_text(" ", strip=True) for td in tr.find_all("td"))
        rows.append({"who": who, "what": what, "institution": institution, "about": about, "detail": detail})
    return rows


async def _seed_audit_entries(app: Any, world: World) -> None:
    """Entries for A, for B and for the program as a whole."""
    async with app.state.uow() as uow:
        await identity.invite(uow, None, email="invitee-a@alder.example.edu", institution_id=world.institution_a.id, cohort_id=world.cohort_a1.id, role="participant", constituency="staff")
        await identity.invite(uow, None, email="invitee-b@birch.example.edu", institution_id=world.institution_b.id, cohort_id=world.cohort_b1.id, role="participant", constituency="staff")
        audit.record(uow, actor_id=world.admin.id, action="program_note", institution_id=None, detail={"secret": "program-only-canary"})
    anonymous = make_client(app)
    async with anonymous:
        token = await page_token(anonymous, signed_in=False)
        for email in (world.student_a.email, world.participant_b.email):
            response = await anonymous.post("/login", data={"email": email, "password": "not the password", "csrf_token": token})
            assert response.status_code == 400


@pytest.mark.parametrize(
    ("lead", "own", "foreign_email"),
    [("lead_a", "institution_a", "invitee-b@birch.example.edu"), ("lead_b", "institution_b", "invitee-a@alder.example.edu")],
)
async def test_lead_audit_log_shows_own_institution_entries_only(app: Any, client: httpx.AsyncClient, world: World, lead: str, own: str, foreign_email: str) -> None:
    """SEC-A3/SEC-K4: a lead reads the entries of their school and never another school's
    (nor program-level ones), also when paging with `before`."""
    await _seed_audit_entries(app, world)
    institution = getattr(world, own)
    async with app.state.uow() as uow:
        expected = (await uow.session.execute(select(AuditEntry.action).where(AuditEntry.institution_id == institution.id).order_by(AuditEntry.id.desc()))).scalars().all()
        total = (await uow.session.execute(select(AuditEntry.id))).scalars().all()
    assert len(total) > len(expected) >= 2  # there is something to leak

    await sign_in(client, getattr(world, lead).email)
    for path in ("/moderation/audit", f"/moderation/audit?before={max(total) + 1}"):
        response = await client.get(path)
        assert response.status_code == 200
        rows = _audit_rows(response)
        assert [row["what"] for row in rows] == [action.replace("_", " ") for action in expected]
        assert {row["institution"] for row in rows} == {institution.name}
        assert foreign_email not in response.text
        assert "program-only-canary" not in response.text


async def test_admin_audit_log_shows_every_institution(app: Any, client: httpx.AsyncClient, world: World) -> None:
    """SEC-K4: the program admin reads all entries, A's, B's and the program's."""
    await _seed_audit_entries(app, world)
    await sign_in(client, world.admin.email)
    rows = _audit_rows(await client.get("/moderation/audit"))
    assert {row["institution"] for row in rows} == {world.institution_a.name, world.institution_b.name, "Program"}


async def test_admin_roster_read_is_logged_and_visible_to_lead(app: Any, client: httpx.AsyncClient, world: World) -> None:
    """DOMAIN rule 2 / SEC-B6: a program admin reading A's cohort roster writes a
    `privileged_read` entry that A's lead sees, and B's lead does not."""
    await sign_in(client, world.admin.email)
    response = await client.get(f"/admin/cohorts/{world.cohort_a1.id}")
    assert response.status_code == 200

    async with app.state.uow() as uow:
        entries = (await uow.session.execute(select(AuditEntry).where(AuditEntry.action == "privileged_read"))).scalars().all()
    assert [(e.actor_id, e.institution_id, e.target_kind, e.target_id) for e in entries] == [
        (world.admin.id, world.institution_a.id, "cohort_roster", world.cohort_a1.id)
    ]

    lead_a = make_client(app)
    async with lead_a:
        await sign_in(lead_a, world.lead_a.email)
        rows = _audit_rows(await lead_a.get("/moderation/audit"))
    assert {"who": world.admin.display_name, "what": "privileged read", "institution": world.institution_a.name, "about": f"cohort_roster {world.cohort_a1.id}", "detail": ""} in rows

    lead_b = make_client(app)
    async with lead_b:
        await sign_in(lead_b, world.lead_b.email)
        rows = _audit_rows(await lead_b.get("/moderation/audit"))
    assert not any(row["what"] == "privileged read" for row in rows)


async def test_lead_roster_read_of_own_school_is_not_a_privileged_read(app: Any, client: httpx.AsyncClient, world: World) -> None:
    """DOMAIN rule 2: only reads by program-wide power are privileged reads."""
    await sign_in(client, world.lead_a.email)
    assert (await client.get(f"/admin/cohorts/{world.cohort_a1.id}")).status_code == 200
    async with app.state.uow() as uow:
        entries = (await uow.session.execute(select(AuditEntry.id).where(AuditEntry.action == "privileged_read"))).scalars().all()
    assert entries == []


# --- rule 1: students' activity as counts only ------------------------------------------------------

DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _roster_rows(response: httpx.Response) -> dict[str, dict[str, str]]:
    page: BeautifulSoup = soup(response)
    table = page.find("table")
    assert table is not None
    rows = {}
    for tr in table.find("tbody").find_all("tr"):
        name, _pronouns, constituency, last_sign_in = (td.get_text(" ", strip=True) for td in tr.find_all("td"))
        rows[name] = {"constituency": constituency, "last_sign_in": last_sign_in}
    return rows


@pytest.mark.parametrize("viewer", ["lead_a", "admin", "coach", "facilitator_a"])
async def test_roster_shows_no_student_sign_in_date(app: Any, client: httpx.AsyncClient, world: World, viewer: str) -> None:
    """DOMAIN rule 1: whoever views the roster by authority sees a student's activity as
    counts only, never their last sign-in date."""
    student = make_client(app)
    async with student:
        await sign_in(student, world.student_a.email)  # the student now has a date to leak
    await sign_in(client, getattr(world, viewer).email)

    response = await client.get(f"/admin/cohorts/{world.cohort_a1.id}")

    assert response.status_code == 200
    rows = _roster_rows(response)
    student_row = rows[world.student_a.display_name]
    assert student_row["constituency"] == "student"
    assert student_row["last_sign_in"] == "shown as counts only"
    assert not DATE.search(student_row["last_sign_in"])
    section = soup(response).find("section", attrs={"aria-labelledby": "participation-heading"})
    [students] = [li.get_text(" ", strip=True) for li in section.find_all("li") if li.get_text(strip=True).startswith("Student")]
    assert re.fullmatch(r"Students?: 1 members?; too few to show activity", students), students
    assert world.student_a.display_name not in section.get_text()


async def test_roster_shows_lead_own_sign_in_date(client: httpx.AsyncClient, world: World) -> None:
    """Control for rule 1: the column does show a date where it is allowed (one's own)."""
    await sign_in(client, world.lead_a.email)
    rows = _roster_rows(await client.get(f"/admin/cohorts/{world.cohort_a1.id}"))
    assert DATE.search(rows[world.lead_a.display_name]["last_sign_in"])
