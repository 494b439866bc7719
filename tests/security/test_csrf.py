"""CSRF and cross-site request protection for every state-changing route (SECURITY.md E, D7).

The POST routes are taken from the app's route inventory, so a new form endpoint fails
here until it has a request below. For each: no token → 403, another session's token → 403,
a foreign Origin → 403, and in each case no row of any table changes (SEC-E1, SEC-E4). The
same request with the session's own token does change something, which shows that the token
and nothing else made the difference.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Awaitable, Callable

import httpx
import pyotp
import pytest
from sqlalchemy import select
from starlette.routing import Mount, Route

from artme_cop.conversations import service as conversations
from artme_cop.conversations.models import ConversationKind
from artme_cop.forum import service as forum
from artme_cop.identity import service as identity
from artme_cop.identity.models import CohortMembership, Role, RoleAssignment, TwoStepSecret
from artme_cop.identity.service import two_step
from artme_cop.moderation import flags
from artme_cop.notifications import service as notifications
from artme_cop.policy import SpaceScope
from artme_cop.program.calendar import service as calendar
from artme_cop.program.phases import service as phases
from artme_cop.program.phases.catalog import PHASES
from artme_cop.program.readiness import service as readiness
from artme_cop.program.readiness.aggregates import ITEMS
from artme_cop.program.coalition import service as coalition_service
from artme_cop.knowledge.cycle import State as KnowledgeState
from tests.knowledge import helpers as knowledge_helpers
from tests.dialogue import helpers as dialogue_helpers
from tests.program import helpers as program
from tests.conftest import make_client
from tests.labs import seed as lab_seed
from tests.factories import World
from tests.support import MutableClock, PASSWORD, RecordingMailer, csrf_from, sign_in, snapshot, soup

CSRF_PAGE_TITLE = "This form has expired"


def post_routes(routes: list[Any], prefix: str = "") -> set[str]:
    """Full paths of every route accepting POST (or another unsafe method), through mounts."""
    found: set[str] = set()
    for route in routes:
        if isinstance(route, Mount):
            found |= post_routes(route.routes or [], prefix + route.path)
        elif isinstance(route, Route) and route.methods and route.methods & {"POST", "PUT", "PATCH", "DELETE"}:
            found.add(prefix + route.path)
    return found


@dataclass(frozen=True)
class Post:
    path: str
    data: dict[str, str]
    # Who sends it: someone for whom, with a valid token, it really changes something.
    persona: str = "admin"
    # An upload form's file (sent as multipart/form-data): name -> (file name, bytes, type).
    files: dict[str, tuple[str, bytes, str]] | None = None


Builder = Callable[[Any, World, RecordingMailer], Awaitable[Post]]


async def _invitation_for_admin(app: Any, world: World, mailer: RecordingMailer) -> Post:
    # Sent to the admin's own address, so that with a valid token the signed-in admin's
    # acceptance really changes something.
    async with app.state.uow() as uow:
        _invitation, link = await identity.invite(
            uow, None, email=world.admin.email, institution_id=world.institution_a.id, role=Role.COALITION_MEMBER.value, constituency="staff"
        )
    path = link.removeprefix(app.state.settings.base_url)
    return Post(path, {"display_name": "Someone New", "pronouns": "", "password": "Quiet river 93 meadows"})


async def _reset_link(app: Any, world: World, mailer: RecordingMailer) -> Post:
    async with app.state.uow() as uow:
        await identity.request_password_reset(uow, email=world.student_a.email)
    [link] = [link for link in mailer.links() if "/password/reset/" in link]
    return Post(link.removeprefix(app.state.settings.base_url), {"password": "Quiet river 93 meadows"})


async def _assignment(app: Any, world: World, mailer: RecordingMailer) -> Post:
    async with app.state.uow() as uow:
        assignment_id = (
            await uow.session.execute(select(RoleAssignment.id).where(RoleAssignment.person_id == world.student_a.id, RoleAssignment.role == Role.PARTICIPANT.value))
        ).scalar_one()
    return Post(f"/admin/roles/{assignment_id}/revoke", {"person_id": str(world.student_a.id)})


async def _invitation_revoke(app: Any, world: World, mailer: RecordingMailer) -> Post:
    async with app.state.uow() as uow:
        invitation, _link = await identity.invite(uow, None, email="pending@alder.example.edu", institution_id=world.institution_a.id, cohort_id=world.cohort_a1.id, role="participant", constituency="staff")
    return Post(f"/admin/invitations/{invitation.id}/revoke", {})


async def _message(app: Any, world: World, mailer: RecordingMailer) -> Post:
    # A consortium-wide conversation, which the admin may write in.
    async with app.state.uow() as uow:
        conversation = await conversations.open_conversation(uow, kind=ConversationKind.LOUNGE, scope=SpaceScope.CONSORTIUM, title="Lounge")
    return Post(f"/conversations/{conversation.id}/messages", {"body": "posted across sites?", "client_msg_id": "csrf-1"})


async def _admin_thread(app: Any, world: World) -> int:
    async with app.state.uow() as uow:
        [admin] = await identity.actors_for(uow, [world.admin.id])
        thread = await forum.start_thread(uow, admin, category="introductions", where="consortium", title="Admin's thread", body="first", client_msg_id="csrf-thread")
    return thread.id


def _in_thread(suffix: str, data: dict[str, str]) -> Builder:
    async def build(app: Any, world: World, mailer: RecordingMailer) -> Post:
        return Post(f"/forum/threads/{await _admin_thread(app, world)}{suffix}", data)

    return build


async def _consortium_message(app: Any, world: World) -> tuple[int, int]:
    """A message of participant_b in a consortium-wide conversation, which the admin moderates."""
    async with app.state.uow() as uow:
        conversation = await conversations.open_conversation(uow, kind=ConversationKind.LOUNGE, scope=SpaceScope.CONSORTIUM, title="Lounge")
        [author] = await identity.actors_for(uow, [world.participant_b.id])
        posted = await conversations.post_message(uow, author, conversation.id, body="words under review", client_msg_id="csrf-review")
    return conversation.id, posted.seq


async def _flag(app: Any, world: World, mailer: RecordingMailer) -> Post:
    conversation_id, seq = await _consortium_message(app, world)
    return Post("/moderation/flags", {"conversation": str(conversation_id), "seq": str(seq), "reason": "spam", "note": "", "next": "/"})


async def _dismiss(app: Any, world: World, mailer: RecordingMailer) -> Post:
    conversation_id, seq = await _consortium_message(app, world)
    async with app.state.uow() as uow:
        [student] = await identity.actors_for(uow, [world.student_a.id])
        flagged = await flags.flag_message(uow, student, conversation_id, seq, reason="spam", note="")
    return Post(f"/moderation/flags/{flagged.flag.id}/dismiss", {"note": ""})


def _review(action: str, data: dict[str, str], *, hidden: bool = False) -> Builder:
    async def build(app: Any, world: World, mailer: RecordingMailer) -> Post:
        conversation_id, seq = await _consortium_message(app, world)
        if hidden:
            async with app.state.uow() as uow:
                [facilitator] = await identity.actors_for(uow, [world.facilitator_a.id])
                await flags.hide_message(uow, facilitator, conversation_id, seq, reason="pending")
        return Post(f"/moderation/messages/{conversation_id}/{seq}/{action}", data)

    return build


async def _notification_for_admin(app: Any, world: World, mailer: RecordingMailer) -> Post:
    async with app.state.uow() as uow:
        conversation = await conversations.open_conversation(uow, kind=ConversationKind.LOUNGE, scope=SpaceScope.CONSORTIUM, title="Lounge")
        [made] = await notifications.notify(
            uow, recipients=[world.admin.id], kind="mention", conversation=conversation, seq=1, actor_id=world.lead_a.id,
            summary="Lee Lead mentioned you", link=f"/conversations/{conversation.id}#m1",
        )
    return Post("/notifications/read", {"id": str(made.id)})


def _fixed(path: Callable[[World], str], data: Callable[[World], dict[str, str]]) -> Builder:
    async def build(app: Any, world: World, mailer: RecordingMailer) -> Post:
        return Post(path(world), data(world))

    return build


async def _admin_actor(app: Any, world: World) -> Any:
    async with app.state.uow() as uow:
        [admin] = await identity.actors_for(uow, [world.admin.id])
    return admin


async def _phase_move(app: Any, world: World, mailer: RecordingMailer) -> Post:
    admin = await _admin_actor(app, world)
    async with app.state.uow() as uow:
        for item in PHASES[0].checklist:
            await phases.set_checklist_item(uow, admin, world.cohort_a1.id, phase=1, item=item.key, done=True)
    return Post(f"/program/phases/cohorts/{world.cohort_a1.id}/phase", {"phase": "2"})


async def _survey(app: Any, world: World) -> int:
    admin = await _admin_actor(app, world)
    async with app.state.uow() as uow:
        return (await readiness.open_survey(uow, admin, cohort_id=world.cohort_a1.id, title="CSRF survey")).id


async def _survey_answer(app: Any, world: World, mailer: RecordingMailer) -> Post:
    # The admin joins cohort A1 for this test, so that the accepted answer really is stored.
    async with app.state.uow() as uow:
        uow.session.add(CohortMembership(person_id=world.admin.id, cohort_id=world.cohort_a1.id, constituency="staff", joined_at=uow.clock.now()))
    return Post(f"/program/readiness/surveys/{await _survey(app, world)}/answers", {**{item.key: "3" for item in ITEMS}, "comment": ""})


async def _survey_close(app: Any, world: World, mailer: RecordingMailer) -> Post:
    return Post(f"/program/readiness/surveys/{await _survey(app, world)}/close", {})


async def _session_cancel(app: Any, world: World, mailer: RecordingMailer) -> Post:
    return Post(f"/calendar/sessions/{await _admin_session(app, world)}/cancel", {})


async def _session_change(app: Any, world: World, mailer: RecordingMailer) -> Post:
    data = {"title": "Moved", "description": "", "day": "2031-01-03", "start": "15:00", "end": "16:00", "timezone": "UTC", "place": "", "link": ""}
    return Post(f"/calendar/sessions/{await _admin_session(app, world)}/edit", data)


async def _admin_session(app: Any, world: World) -> int:
    admin = await _admin_actor(app, world)
    async with app.state.uow() as uow:
        fields = calendar.clean_session(
            kind="phase_introduction", title="CSRF session", description="", phase="1", day="2031-01-02", start="15:00", end="16:00", zone="UTC",
            place="", link="", audience="all", cohort_ids=[],
        )
        session = await calendar.schedule_session(uow, admin, fields)
    return session.id


async def _feed_revoke(app: Any, world: World, mailer: RecordingMailer) -> Post:
    admin = await _admin_actor(app, world)
    async with app.state.uow() as uow:
        await calendar.create_feed(uow, admin)
    return Post("/calendar/feed/revoke", {})


async def _two_step_confirm(app: Any, world: World, mailer: RecordingMailer) -> Post:
    async with app.state.uow() as uow:
        setup = await two_step.begin_setup(uow, await _admin_actor(app, world))
    # The request goes out after `_admin_with_request` moves the clock on a minute.
    code = pyotp.TOTP(setup.secret).at(app.state.clock.now() + timedelta(minutes=1))
    return Post("/me/two-step/confirm", {"code": code})


async def _two_step_reset(app: Any, world: World, mailer: RecordingMailer) -> Post:
    async with app.state.uow() as uow:
        uow.session.add(TwoStepSecret(person_id=world.faculty_a.id, secret=pyotp.random_base32(), created_at=uow.clock.now(), confirmed_at=uow.clock.now(), last_step=0))
    return Post(f"/admin/people/{world.faculty_a.id}/two-step/reset", {})


_NEW_SESSION = {
    "kind": "community_of_practice", "title": "Community of practice", "description": "", "phase": "6", "day": "2031-02-03", "start": "16:00",
    "end": "17:00", "timezone": "UTC", "place": "", "link": "https://video.example.org/cop", "audience": "all",
}


# One request per POST route, each one that would change the database if it were accepted.
REQUESTS: dict[str, Builder] = {
    "/login": _fixed(lambda w: "/login", lambda w: {"email": w.admin.email, "password": PASSWORD, "next": "/"}),
    "/logout": _fixed(lambda w: "/logout", lambda w: {}),
    "/invitations/{token}": _invitation_for_admin,
    "/password": _fixed(lambda w: "/password", lambda w: {"current_password": PASSWORD, "new_password": "Quiet river 93 meadows"}),
    "/password/forgot": _fixed(lambda w: "/password/forgot", lambda w: {"email": w.student_a.email}),
    "/password/reset/{token}": _reset_link,
    "/me": _fixed(lambda w: "/me", lambda w: {"display_name": "Renamed Admin", "pronouns": "", "title": ""}),
    "/me/delete": _fixed(lambda w: "/me/delete", lambda w: {"password": PASSWORD}),
    "/me/two-step/start": _fixed(lambda w: "/me/two-step/start", lambda w: {}),
    "/me/two-step/confirm": _two_step_confirm,
    "/admin/people/{person_id}/two-step/reset": _two_step_reset,
    "/admin/institutions": _fixed(lambda w: "/admin/institutions", lambda w: {"name": "Cedar Medical School", "short_name": "Cedar"}),
    "/admin/institutions/{institution_id}/cohorts": _fixed(lambda w: f"/admin/institutions/{w.institution_a.id}/cohorts", lambda w: {"name": "Alder cohort 3", "wave": "3"}),
    "/admin/people/{person_id}/roles": _fixed(lambda w: f"/admin/people/{w.student_a.id}/roles", lambda w: {"role": Role.COALITION_MEMBER.value, "cohort_id": ""}),
    "/admin/roles/{assignment_id}/revoke": _assignment,
    "/admin/invitations": _fixed(
        lambda w: "/admin/invitations",
        lambda w: {"email": "newcomer@example.edu", "institution_id": str(w.institution_a.id), "cohort_id": str(w.cohort_a1.id), "role": "participant", "constituency": "staff"},
    ),
    "/admin/invitations/{invitation_id}/revoke": _invitation_revoke,
    "/conversations/{conversation_id}/messages": _message,
    "/forum/threads": _fixed(lambda w: "/forum/threads", lambda w: {"category": "7", "where": "consortium", "title": "Hello", "body": "hi", "client_msg_id": "csrf-new"}),
    "/forum/threads/{thread_id}/posts": _in_thread("/posts", {"body": "a reply", "client_msg_id": "csrf-reply"}),
    "/forum/threads/{thread_id}/posts/{seq}/edit": _in_thread("/posts/1/edit", {"body": "edited"}),
    "/forum/threads/{thread_id}/posts/{seq}/delete": _in_thread("/posts/1/delete", {}),
    "/forum/threads/{thread_id}/posts/{seq}/react": _in_thread("/posts/1/react", {"emoji": "clap"}),
    "/forum/threads/{thread_id}/posts/{seq}/bookmark": _in_thread("/posts/1/bookmark", {}),
    "/forum/threads/{thread_id}/watch": _in_thread("/watch", {"level": "muted"}),
    "/forum/threads/{thread_id}/lock": _in_thread("/lock", {"locked": "1"}),
    "/forum/threads/{thread_id}/pin": _in_thread("/pin", {"pinned": "1"}),
    "/forum/threads/{thread_id}/move": _in_thread("/move", {"category": "3"}),
    "/forum/categories": _fixed(lambda w: "/forum/categories", lambda w: {"name": "Site visits", "description": "", "position": "5", "start_rule": "everyone"}),
    "/forum/categories/{category_id}": _fixed(lambda w: "/forum/categories/1", lambda w: {"name": "Renamed", "description": "", "position": "5", "start_rule": "everyone"}),
    "/notifications/read": _notification_for_admin,
    "/notifications/settings": _fixed(lambda w: "/notifications/settings", lambda w: {"email_mode": "off"}),
    "/moderation/flags": _flag,
    "/moderation/flags/{flag_id}/dismiss": _dismiss,
    "/moderation/messages/{conversation_id}/{seq}/hide": _review("hide", {"reason": "off-topic"}),
    "/moderation/messages/{conversation_id}/{seq}/unhide": _review("unhide", {"note": ""}, hidden=True),
    "/moderation/messages/{conversation_id}/{seq}/warn": _review("warn", {"text": "Please mind the agreements."}),
    "/program/phases/cohorts/{cohort_id}/checklist": _fixed(lambda w: f"/program/phases/cohorts/{w.cohort_a1.id}/checklist", lambda w: {"phase": "1", "item": "agreements", "done": "1"}),
    "/program/phases/cohorts/{cohort_id}/phase": _phase_move,
    "/program/phases/waves/{wave}/{number}": _fixed(lambda w: "/program/phases/waves/1/3", lambda w: {"starts_on": "2027-05-01", "ends_on": "2027-07-31"}),
    "/program/readiness/surveys": _fixed(lambda w: "/program/readiness/surveys", lambda w: {"cohort_id": str(w.cohort_a1.id), "title": "Baseline"}),
    "/program/readiness/surveys/{survey_id}/answers": _survey_answer,
    "/program/readiness/surveys/{survey_id}/close": _survey_close,
    "/calendar/sessions": _fixed(lambda w: "/calendar/sessions", lambda w: dict(_NEW_SESSION)),
    "/calendar/sessions/{session_id}/cancel": _session_cancel,
    "/calendar/sessions/{session_id}/edit": _session_change,
    "/calendar/feed": _fixed(lambda w: "/calendar/feed", lambda w: {}),
    "/calendar/feed/revoke": _feed_revoke,
}

# --- the program (#8): each sent by someone who may do it (A's lead, the admin, the person credited)


def _as(persona: str, path: Callable[[Any, World], Awaitable[str]], data: Callable[[World], dict[str, Any]] | dict[str, Any]) -> Builder:
    async def build(app: Any, world: World, mailer: RecordingMailer) -> Post:
        return Post(await path(app, world), data(world) if callable(data) else data, persona)

    return build


def _at(path: Callable[[World], str]) -> Callable[[Any, World], Awaitable[str]]:
    async def make(app: Any, world: World) -> str:
        return path(world)

    return make


def _then(first: Callable[[Any, World], Awaitable[str]], suffix: str) -> Callable[[Any, World], Awaitable[str]]:
    async def make(app: Any, world: World) -> str:
        return await first(app, world) + suffix

    return make


async def _sphere(app: Any, world: World) -> str:
    await program.grant_coalition(app, world.faculty_a)
    return f"/coalition/spheres/{await program.make_sphere(app, world)}"


async def _sphere_member(app: Any, world: World) -> str:
    path = await _sphere(app, world)
    async with app.state.uow() as uow:
        await coalition_service.add_member(uow, await program.actor_of(uow, world.lead_a), int(path.rsplit("/", 1)[1]), person_id=str(world.faculty_a.id))
    return f"{path}/members/{world.faculty_a.id}/remove"


async def _target(app: Any, world: World) -> str:
    return f"/coalition/targets/{await program.make_target(app, world, await program.make_sphere(app, world))}"


async def _step(app: Any, world: World) -> str:
    target = await program.make_target(app, world, await program.make_sphere(app, world))
    return f"/coalition/steps/{await program.add_step(app, world, target)}"


async def _partner(app: Any, world: World) -> str:
    partner, _marker = await program.make_partner(app, world)
    return f"/outcomes/partners/{partner}"


async def _win(app: Any, world: World) -> str:
    target = await program.make_target(app, world, await program.make_sphere(app, world))
    return f"/wins/{await program.make_win(app, world, target, credited=(world.student_a,))}"


async def _shared(app: Any, world: World) -> str:
    target = await program.make_target(app, world, await program.make_sphere(app, world))
    return f"/wins/shared/{await program.share(app, world, await program.make_win(app, world, target), 'named')}"


async def _journal(app: Any, world: World, mailer: RecordingMailer) -> Post:
    partner, marker = await program.make_partner(app, world)
    return Post(f"/outcomes/partners/{partner}/journal", {"marker_id": str(marker), "observed_on": "2026-01-15", "evidence": "Four directors came."}, "lead_a")


async def _record(app: Any, world: World, mailer: RecordingMailer) -> Post:
    target = await program.make_target(app, world, await program.make_sphere(app, world))
    return Post(f"/wins/institutions/{world.institution_a.id}", {"against": f"target:{target}", "title": "Rubric adopted", "evidence": "All clerkships.", "theme": "assessment", "phase": "4"}, "lead_a")


_TARGET = {"specific": "Grading review published", "measure": "Review published", "baseline": "", "target_value": "1", "unit": "report", "due_on": "2027-03-01", "status": "active"}
_TERM = {"term_starts_on": "2026-10-01", "term_ends_on": "2027-09-30"}

REQUESTS.update({
    "/coalition/institutions/{institution_id}/spheres": _as("lead_a", _at(lambda w: f"/coalition/institutions/{w.institution_a.id}/spheres"), lambda w: {"name": "Admissions", "description": "", "co_leads": [str(w.lead_a.id), str(w.coalition_a.id)], **_TERM}),
    "/coalition/spheres/{sphere_id}/co-leads": _as("lead_a", _then(_sphere, "/co-leads"), lambda w: {"co_leads": [str(w.lead_a.id), str(w.faculty_a.id)], **_TERM}),
    "/coalition/spheres/{sphere_id}/members": _as("lead_a", _then(_sphere, "/members"), lambda w: {"person_id": str(w.faculty_a.id)}),
    "/coalition/spheres/{sphere_id}/members/{person_id}/remove": _as("lead_a", _sphere_member, {}),
    "/coalition/spheres/{sphere_id}/targets": _as("lead_a", _then(_sphere, "/targets"), lambda w: {**_TARGET, "accountable": str(w.coalition_a.id)}),
    "/coalition/targets/{target_id}": _as("lead_a", _target, _TARGET),
    "/coalition/targets/{target_id}/darci": _as("lead_a", _then(_target, "/darci"), lambda w: {"person": [str(w.coalition_a.id), str(w.lead_a.id)], "letter": ["A", "D"]}),
    "/coalition/targets/{target_id}/steps": _as("lead_a", _then(_target, "/steps"), lambda w: {"step_description": "Pilot", "owner": str(w.coalition_a.id), "step_due_on": "2027-02-01", "step_status": "planned"}),
    "/coalition/steps/{step_id}": _as("lead_a", _step, {"status": "done"}),
    "/outcomes/institutions/{institution_id}/partners": _as("lead_a", _at(lambda w: f"/outcomes/institutions/{w.institution_a.id}/partners"), {"name": "Residents", "description": "", "outcome_challenge": "Residents speak up.", "cohort_id": ""}),
    "/outcomes/partners/{partner_id}/markers": _as("lead_a", _then(_partner, "/markers"), {"level": "love", "marker_description": "Directors teach it"}),
    "/outcomes/partners/{partner_id}/journal": _journal,
    "/wins/institutions/{institution_id}": _record,
    "/wins/{win_id:int}/checklist": _as("lead_a", _then(_win, "/checklist"), {"item": ["no_named_accusations", "small_numbers_checked"]}),
    "/wins/{win_id:int}/sharing": _as("lead_a", _then(_win, "/sharing"), {"sharing": "local"}),
    "/wins/{win_id:int}/consent": _as("student_a", _then(_win, "/consent"), {"consent": "given"}),
    "/wins/shared/{public_id}/curate": _as("admin", _then(_shared, "/curate"), {"phase": "3", "theme": "assessment", "include": "1"}),
    "/monitoring/institutions/{institution_id}/sharing": _as("lead_a", _at(lambda w: f"/monitoring/institutions/{w.institution_a.id}/sharing"), {"shares": "1"}),
})

# --- the knowledge repository (#7): each sent by someone the cycle lets do it ----------------------


def _resource(state: str) -> Callable[[Any, World], Awaitable[str]]:
    async def make(app: Any, world: World) -> str:
        return f"/knowledge/{await knowledge_helpers.resource_in(app, world, KnowledgeState(state))}"

    return make


_KNOWLEDGE_CONTENT = {k: v for k, v in knowledge_helpers.CONTENT.items() if k != "phases"} | {"phases": "3"}

async def _resource_file(app: Any, world: World, mailer: RecordingMailer) -> Post:
    public_id = await _resource("draft")(app, world)
    return Post(f"{public_id}/files", {}, "coalition_a", files={"file": ("worksheet.pdf", b"%PDF-1.4\n%%EOF\n", "application/pdf")})


async def _resource_file_remove(app: Any, world: World, mailer: RecordingMailer) -> Post:
    from artme_cop.attachments import service as attachments
    from artme_cop.knowledge import files

    path = await _resource("draft")(app, world)
    async with app.state.uow() as uow:
        [actor] = await identity.actors_for(uow, [world.coalition_a.id])
        made = await files.add_file(uow, actor, path.rsplit("/", 1)[1], attachments.Upload("worksheet.pdf", b"%PDF-1.4\n%%EOF\n"))
    return Post(f"{path}/files/{made.public_id}/remove", {}, "coalition_a")


REQUESTS.update({
    "/knowledge/{resource_id}/files": _resource_file,
    "/knowledge/{resource_id}/files/{file_id}/remove": _resource_file_remove,
    "/knowledge/new": _as("lead_a", _at(lambda w: "/knowledge/new"), _KNOWLEDGE_CONTENT),
    "/knowledge/{resource_id}/edit": _as("coalition_a", _then(_resource("draft"), "/edit"), {**_KNOWLEDGE_CONTENT, "title": "A better title"}),
    "/knowledge/{resource_id}/transitions": _as("lead_a", _then(_resource("shared_institution"), "/transitions"), {"move": "flag_update", "reason": "Out of date."}),
    "/knowledge/{resource_id}/reviews": _as("coach", _then(_resource("in_assessment"), "/reviews"), {"role": "content", "decision": "accept", "comments": ""}),
    "/knowledge/{resource_id}/context": _as("coalition_a", _then(_resource("contextualizing"), "/context"), lambda w: {**knowledge_helpers.CONTEXT, "contact": str(w.coalition_a.id)}),
    "/knowledge/{resource_id}/adapt": _as("lead_b", _then(_resource("shared_program"), "/adapt"), {}),
    "/knowledge/{resource_id}/reports": _as("student_a", _then(_resource("shared_program"), "/reports"), {"kind": "applied", "where": "Clerkship", "applied_on": "2026-10-01", "what_happened": "It helped.", "evidence": ""}),
})

# --- Chats for Change (#5): sent by a co-facilitator, or by the A1 student who takes part


async def _dialogue_session(app: Any, world: World) -> str:
    return f"/dialogue/{await dialogue_helpers.make_session(app, world)}"


async def _dialogue_inside(app: Any, world: World) -> str:
    session_id = await dialogue_helpers.make_session(app, world)
    await dialogue_helpers.enter(app, session_id, world.student_a)
    await dialogue_helpers.open_room(app, world, session_id)
    return f"/dialogue/{session_id}"


async def _dialogue_reveal(app: Any, world: World) -> str:
    session_id, _main = await dialogue_helpers.pseudonymous_post(app, world)
    return f"/dialogue/{session_id}/reveal"


def _dialogue_safety(persona: str, suffix: str, data: dict[str, str]) -> Builder:
    async def build(app: Any, world: World, mailer: RecordingMailer) -> Post:
        session_id, main = await dialogue_helpers.inside(app, world)
        fields = {key: (str(main) if value == "main" else value) for key, value in data.items()}
        return Post(f"/dialogue/{session_id}{suffix}", {**fields, "conversation": str(main)} if data else {}, persona)

    return build


async def _dialogue_harvest_draft(app: Any, world: World, mailer: RecordingMailer) -> Post:
    # A published takeaway, and the facilitator in A's coalition (who may post resources).
    from artme_cop.dialogue.models import DialogueTakeaway
    from artme_cop.identity.models import Role, RoleAssignment

    session_id, takeaway_id = await dialogue_helpers.takeaway(app, world)
    async with app.state.uow() as uow:
        (await uow.session.get(DialogueTakeaway, takeaway_id)).status = "published"
        uow.session.add(RoleAssignment(person_id=world.facilitator_a.id, role=Role.COALITION_MEMBER.value, institution_id=world.institution_a.id, granted_at=uow.clock.now()))
    return Post(f"/dialogue/{session_id}/harvest-draft", {"title": "Harvest digest"}, "facilitator_a")


async def _dialogue_review(app: Any, world: World, mailer: RecordingMailer) -> Post:
    session_id, takeaway_id = await dialogue_helpers.takeaway(app, world)
    return Post(f"/dialogue/{session_id}/takeaways/{takeaway_id}/review", {"decision": "publish"}, "facilitator_a")


async def _dialogue_resolve(app: Any, world: World, mailer: RecordingMailer) -> Post:
    session_id, _main, report_id = await dialogue_helpers.reported(app, world)
    return Post(f"/dialogue/{session_id}/incidents/{report_id}/resolve", {}, "facilitator_a")


async def _dialogue_affinity(app: Any, world: World, mailer: RecordingMailer) -> Post:
    session_id, room = await dialogue_helpers.affinity_room(app, world)
    return Post(f"/dialogue/{session_id}/affinity", {"room": str(room)}, "student_a")


REQUESTS.update({
    "/dialogue/": _as("facilitator_a", _at(lambda w: "/dialogue/"), lambda w: {
        "title": "CSRF dialogue", "cohorts": str(w.cohort_a1.id), "facilitators": [str(w.facilitator_a.id), str(w.coach.id)],
        "starts_at": "2027-03-01T15:00", "ends_at": "2027-03-01T16:00", "agreement_text": "Brave space.", "identity_mode": "named", "slow_mode_seconds": "0",
    }),
    "/dialogue/{session_id}/accept": _as("student_a", _then(_dialogue_session, "/accept"), {"version": "1"}),
    "/dialogue/{session_id}/hand": _as("student_a", _then(_dialogue_inside, "/hand"), {"up": "1"}),
    "/dialogue/{session_id}/affinity": _dialogue_affinity,
    "/dialogue/{session_id}/signal": _dialogue_safety("student_a", "/signal", {"kind": "oops"}),
    "/dialogue/{session_id}/line": _dialogue_safety("student_a", "/line", {}),
    "/dialogue/{session_id}/report": _dialogue_safety("student_a", "/report", {"seq": "1", "reason": "Hurtful"}),
    "/dialogue/{session_id}/incidents/{report_id}/resolve": _dialogue_resolve,
    "/dialogue/{session_id}/takeaways": _dialogue_safety("student_a", "/takeaways", {"text": "A takeaway", "room": "main"}),
    "/dialogue/{session_id}/takeaways/{takeaway_id}/review": _dialogue_review,
    "/dialogue/{session_id}/feedback": _dialogue_safety("student_a", "/feedback", {"safety": "5"}),
    "/dialogue/{session_id}/debrief": _dialogue_safety("facilitator_a", "/debrief", {"note": "Debrief"}),
    "/dialogue/{session_id}/harvest-draft": _dialogue_harvest_draft,
    "/dialogue/{session_id}/reveal": _as("facilitator_a", _dialogue_reveal, lambda w: {"seq": "1", "reason": "A disclosure of imminent harm."}),
    "/dialogue/{session_id}/facilitate": _as("facilitator_a", _then(_dialogue_session, "/facilitate"), {"action": "move", "to": "open"}),
})

# Team learning labs (tests/labs/seed.py): the student is a member of Alder ED, the facilitator
# facilitates it, A's lead keeps its roster.
async def _lab_team_answer(app: Any, world: World, mailer: RecordingMailer) -> Post:
    session_id = await lab_seed.session(app, world, stage="team")
    return Post(f"/labs/sessions/{session_id}/team-answers", {"question": str(await lab_seed.question(app, session_id)), "choice": "1"}, "student_a")


async def _lab_individual(app: Any, world: World, mailer: RecordingMailer) -> Post:
    session_id = await lab_seed.session(app, world, stage="individual")
    return Post(f"/labs/sessions/{session_id}/individual", {f"q{await lab_seed.question(app, session_id)}": "2"}, "student_a")


async def _lab_draft_resource(app: Any, world: World, mailer: RecordingMailer) -> Post:
    # A coalition member leading a team drafts a lesson learned for the knowledge repository.
    team_id = await lab_seed.team(app, world, lead=world.coalition_a.id)
    report_id = await lab_seed.report(app, world, team_id=team_id)
    return Post(f"/labs/reports/{report_id}/draft-resource", {"title": "Interpreters named"}, "coalition_a")


async def _lab_promote(app: Any, world: World, mailer: RecordingMailer) -> Post:
    # A coalition member leading a team records the win against a target of the school.
    target = await program.make_target(app, world, await program.make_sphere(app, world))
    team_id = await lab_seed.team(app, world, lead=world.coalition_a.id)
    report_id = await lab_seed.report(app, world, team_id=team_id)
    return Post(f"/labs/reports/{report_id}/promote", {"title": "Interpreters named", "against": f"target:{target}"}, "coalition_a")


def _lab_team(suffix: str) -> Callable[[Any, World], Awaitable[str]]:
    async def make(app: Any, world: World) -> str:
        return f"/labs/teams/{await lab_seed.team(app, world)}{suffix}"

    return make


def _lab_channel(suffix: str, *, with_message: bool = False) -> Callable[[Any, World], Awaitable[str]]:
    async def make(app: Any, world: World) -> str:
        return f"/labs/channels/{await lab_seed.channel(app, world, with_message=with_message)}{suffix}"

    return make


def _lab_session(suffix: str, stage: str = "prework") -> Callable[[Any, World], Awaitable[str]]:
    async def make(app: Any, world: World) -> str:
        return f"/labs/sessions/{await lab_seed.session(app, world, stage=stage)}{suffix}"

    return make


async def _lab_new_session(app: Any, world: World, mailer: RecordingMailer) -> Post:
    team_id = await lab_seed.team(app, world)
    return Post("/labs/sessions", {"title": "Systems", "concept": "Systems thinking", "prework": "", "exercise": "Map discharge.", "teams": str(team_id)}, "facilitator_a")


async def _lab_value_story(app: Any, world: World, mailer: RecordingMailer) -> Post:
    team_id = await lab_seed.team(app, world)
    for _ in range(4):
        await lab_seed.session(app, world, stage="closed", team_id=team_id)
    return Post(f"/labs/teams/{team_id}/value-story", {"what_we_did": "a", "what_changed": "b", "difference": "c"}, "student_a")


async def _lab_commitment_status(app: Any, world: World) -> str:
    return f"/labs/commitments/{await lab_seed.commitment(app, world)}/status"


REQUESTS.update({
    "/labs/teams": _as("lead_a", _at(lambda w: "/labs/teams"), lambda w: {"institution": str(w.institution_a.id), "name": "Wards", "unit": "Medicine", "purpose": "", "members": [str(w.student_a.id)], "leads": str(w.student_a.id), "facilitator": str(w.facilitator_a.id)}),
    "/labs/institutions/{institution_id}/managers": _as("lead_a", _at(lambda w: f"/labs/institutions/{w.institution_a.id}/managers"), lambda w: {"person": str(w.faculty_a.id)}),
    "/labs/teams/{team_id}/roster": _as("lead_a", _lab_team("/roster"), lambda w: {"members": str(w.faculty_a.id), "leads": str(w.faculty_a.id), "facilitator": str(w.facilitator_a.id)}),
    "/labs/teams/{team_id}/channels": _as("facilitator_a", _lab_team("/channels"), {"name": "handover"}),
    "/labs/channels/{channel_id}/messages": _as("student_a", _lab_channel("/messages"), {"body": "hello team", "client_msg_id": "csrf-lab"}),
    "/labs/channels/{channel_id}/messages/{seq}/pin": _as("facilitator_a", _lab_channel("/messages/1/pin", with_message=True), {"pinned": "1"}),
    "/labs/channels/{channel_id}/messages/{seq}/edit": _as("student_a", _lab_channel("/messages/1/edit", with_message=True), {"body": "changed"}),
    "/labs/channels/{channel_id}/messages/{seq}/delete": _as("student_a", _lab_channel("/messages/1/delete", with_message=True), {}),
    "/labs/channels/{channel_id}/messages/{seq}/react": _as("student_a", _lab_channel("/messages/1/react", with_message=True), {"emoji": "heart"}),
    "/labs/sessions": _lab_new_session,
    "/labs/sessions/{session_id}/questions": _as("facilitator_a", _lab_session("/questions"), {"prompt": "Why?", "options": "a\nb", "correct": "1"}),
    "/labs/sessions/{session_id}/stage": _as("facilitator_a", _lab_session("/stage"), {"to": "individual"}),
    "/labs/sessions/{session_id}/individual": _lab_individual,
    "/labs/sessions/{session_id}/team-answers": _lab_team_answer,
    "/labs/sessions/{session_id}/report": _as("student_a", _lab_session("/report", "application"), {"report": "Our answer"}),
    "/labs/teams/{team_id}/commitments": _as("student_a", _lab_team("/commitments"), lambda w: {"concept": "Bias", "job_function": "Nurse", "action": "Speak up", "owner": str(w.student_a.id), "check_on": "2027-01-01"}),
    "/labs/commitments/{commitment_id}/status": _as("student_a", _lab_commitment_status, {"status": "done"}),
    "/labs/teams/{team_id}/reports": _as("student_a", _lab_team("/reports"), {"what_changed": "Named interpreters", "evidence": "Audit", "reported_on": ""}),
    "/labs/reports/{report_id}/promote": _lab_promote,
    "/labs/reports/{report_id}/draft-resource": _lab_draft_resource,
    "/labs/teams/{team_id}/value-story": _lab_value_story,
})


# POST routes that change nothing (a preview): refused without a token like the others, but
# they have no state change to show, so they are checked apart.
READ_ONLY_POSTS: dict[str, Builder] = {
    "/forum/preview": _fixed(lambda w: "/forum/preview", lambda w: {"body": "**preview**"}),
}


# Forms of two-step sign-in that the admin persona cannot send with a password-only session
# (the second step; turning it off), each checked by its own test below.
TWO_STEP_POSTS = {"/login/two-step", "/me/two-step/off"}


def test_every_post_route_has_a_csrf_case(app: Any) -> None:
    """SEC-E1 inventory: the cases below cover exactly the app's state-changing form routes.
    The JSON API's routes (under /api/) have their own cases in test_api_csrf.py."""
    form_routes = {path for path in post_routes(app.routes) if not path.startswith("/api/")}
    assert form_routes == set(REQUESTS) | set(READ_ONLY_POSTS) | TWO_STEP_POSTS


@pytest.mark.parametrize("route", sorted(READ_ONLY_POSTS))
async def test_read_only_post_refused_without_token(app: Any, client: httpx.AsyncClient, world: World, mailer: RecordingMailer, route: str) -> None:
    """SEC-E1: even a POST that writes nothing needs the session's token."""
    post = await READ_ONLY_POSTS[route](app, world, mailer)
    await sign_in(client, world.student_a.email)
    assert (await client.post(post.path, data=post.data)).status_code == 403
    token = csrf_from(await client.get("/"))
    assert (await client.post(post.path, data={**post.data, "csrf_token": token}, headers={"Origin": "https://evil.example"})).status_code == 403
    assert (await client.post(post.path, data={**post.data, "csrf_token": token})).status_code == 200


async def _admin_with_request(app: Any, client: httpx.AsyncClient, world: World, mailer: RecordingMailer, clock: MutableClock, route: str) -> Post:
    post = await REQUESTS[route](app, world, mailer)
    await sign_in(client, getattr(world, post.persona).email)
    # A repeated sign-in must be able to change last_sign_in_at (the positive control).
    clock.advance(minutes=1)
    return post


def _is_csrf_page(response: httpx.Response) -> bool:
    heading = soup(response).find("h1")
    return heading is not None and heading.get_text(strip=True) == CSRF_PAGE_TITLE


async def _still_signed_in_as(client: httpx.AsyncClient, name: str) -> None:
    response = await client.get("/me")
    assert response.status_code == 200
    whoami = soup(response).find(class_="whoami")
    assert whoami is not None and name in whoami.get_text()


@pytest.mark.parametrize("route", sorted(REQUESTS))
async def test_post_refused_when_token_missing(app: Any, client: httpx.AsyncClient, world: World, mailer: RecordingMailer, clock: MutableClock, route: str) -> None:
    """SEC-E1/SEC-E6/SEC-D7: a signed-in admin's POST without a token → 403, nothing changes."""
    post = await _admin_with_request(app, client, world, mailer, clock, route)
    before = await snapshot(app)

    response = await client.post(post.path, data=post.data, files=post.files)

    assert response.status_code == 403
    assert _is_csrf_page(response)
    assert await snapshot(app) == before
    await _still_signed_in_as(client, getattr(world, post.persona).display_name)


@pytest.mark.parametrize("route", sorted(REQUESTS))
async def test_post_refused_when_token_from_another_session(app: Any, client: httpx.AsyncClient, world: World, mailer: RecordingMailer, clock: MutableClock, route: str) -> None:
    """SEC-E1: the token is bound to the session: another person's valid token → 403."""
    other = make_client(app)
    async with other:
        await sign_in(other, world.lead_a.email)
        foreign_token = csrf_from(await other.get("/"))
    post = await _admin_with_request(app, client, world, mailer, clock, route)
    own_token = csrf_from(await client.get("/"))
    assert foreign_token != own_token
    before = await snapshot(app)

    response = await client.post(post.path, data={**post.data, "csrf_token": foreign_token}, files=post.files)

    assert response.status_code == 403
    assert _is_csrf_page(response)
    assert await snapshot(app) == before
    await _still_signed_in_as(client, getattr(world, post.persona).display_name)


@pytest.mark.parametrize("route", sorted(REQUESTS))
@pytest.mark.parametrize(
    "headers",
    [{"Origin": "https://evil.example"}, {"Origin": "null"}, {"Origin": "http://testserver.evil.example"}, {"Sec-Fetch-Site": "cross-site"}],
    ids=["evil-origin", "null-origin", "lookalike-origin", "fetch-metadata-cross-site"],
)
async def test_post_refused_when_cross_site(app: Any, client: httpx.AsyncClient, world: World, mailer: RecordingMailer, clock: MutableClock, route: str, headers: dict[str, str]) -> None:
    """SEC-E4: a valid token does not help a request a browser marks as cross-site."""
    post = await _admin_with_request(app, client, world, mailer, clock, route)
    token = csrf_from(await client.get("/"))
    before = await snapshot(app)

    response = await client.post(post.path, data={**post.data, "csrf_token": token}, headers=headers, files=post.files)

    assert response.status_code == 403
    assert await snapshot(app) == before
    await _still_signed_in_as(client, getattr(world, post.persona).display_name)


@pytest.mark.parametrize("route", sorted(REQUESTS))
async def test_post_with_own_token_changes_state(app: Any, client: httpx.AsyncClient, world: World, mailer: RecordingMailer, clock: MutableClock, route: str) -> None:
    """Control for SEC-E1: with the session's own token (and a same-origin Origin header) the
    same request is accepted and writes, so the refusals above are the token's doing."""
    post = await _admin_with_request(app, client, world, mailer, clock, route)
    token = csrf_from(await client.get("/"))
    before = await snapshot(app)

    response = await client.post(post.path, data={**post.data, "csrf_token": token}, headers={"Origin": "http://testserver"}, files=post.files)

    assert response.status_code in (200, 303), response.status_code
    assert not _is_csrf_page(response)
    assert await snapshot(app) != before


async def test_login_refused_without_token(app: Any, client: httpx.AsyncClient, world: World) -> None:
    """SEC-E6: login CSRF: an anonymous POST /login with the right password but no token is
    refused and signs no one in."""
    await client.get("/login")  # the visitor has a session with a token, just not in the form
    before = await snapshot(app)

    response = await client.post("/login", data={"email": world.student_a.email, "password": PASSWORD, "next": "/"})

    assert response.status_code == 403
    assert _is_csrf_page(response)
    assert await snapshot(app) == before
    me = await client.get("/me")
    assert me.status_code == 303
    assert me.headers["location"].startswith("/login")


async def test_logout_not_done_by_get(client: httpx.AsyncClient, world: World) -> None:
    """SEC-D7: GET /logout does not sign out (a link or an <img> cannot end a session)."""
    await sign_in(client, world.student_a.email)

    response = await client.get("/logout")

    assert response.status_code == 405
    await _still_signed_in_as(client, world.student_a.display_name)


async def test_logout_refused_without_token(client: httpx.AsyncClient, world: World) -> None:
    """SEC-D7: POST /logout without the token → 403 and the session goes on."""
    await sign_in(client, world.student_a.email)

    response = await client.post("/logout")

    assert response.status_code == 403
    await _still_signed_in_as(client, world.student_a.display_name)


async def test_logout_form_on_every_signed_in_page(client: httpx.AsyncClient, world: World) -> None:
    """SEC-D7: the sign-out form (a POST carrying the session's token) is on every page."""
    await sign_in(client, world.admin.email)
    token = csrf_from(await client.get("/"))
    for path in ("/", "/me", "/password", "/admin/", "/admin/people", "/admin/invitations", "/moderation/audit", "/moderation/queue", "/moderation/warnings"):
        page = soup(await client.get(path))
        form = page.find("form", attrs={"action": "/logout"})
        assert form is not None, path
        assert form["method"] == "post"
        assert form.find("input", attrs={"name": "csrf_token"})["value"] == token


async def _two_step_on(app: Any, person_id: int) -> str:
    secret = pyotp.random_base32()
    async with app.state.uow() as uow:
        uow.session.add(TwoStepSecret(person_id=person_id, secret=secret, created_at=uow.clock.now(), confirmed_at=uow.clock.now(), last_step=0))
    return secret


CROSS_SITE = ({}, {"Origin": "https://evil.example"}, {"Sec-Fetch-Site": "cross-site"})


async def test_second_step_of_sign_in_needs_the_token(app: Any, client: httpx.AsyncClient, world: World) -> None:
    """SEC-E6 for the second step: the right code without the session's token, or with it
    from another site, signs no one in and uses nothing up."""
    secret = await _two_step_on(app, world.faculty_a.id)
    token = csrf_from(await client.get("/login"))
    half = await client.post("/login", data={"email": world.faculty_a.email, "password": PASSWORD, "csrf_token": token, "next": "/"})
    assert half.headers["location"].startswith("/login/two-step")
    token = csrf_from(await client.get("/login/two-step"))
    code = pyotp.TOTP(secret).at(app.state.clock.now())
    before = await snapshot(app)
    for data, headers in zip(({"code": code}, {"code": code, "csrf_token": token}, {"code": code, "csrf_token": token}), CROSS_SITE):
        assert (await client.post("/login/two-step", data=data, headers=headers)).status_code == 403
        assert await snapshot(app) == before
        assert (await client.get("/me")).status_code == 303
    passed = await client.post("/login/two-step", data={"code": code, "csrf_token": token, "next": "/"})
    assert passed.status_code == 303 and (await client.get("/me")).status_code == 200


async def test_turning_two_step_off_needs_the_token(app: Any, client: httpx.AsyncClient, world: World) -> None:
    await sign_in(client, world.faculty_a.email)
    secret = await _two_step_on(app, world.faculty_a.id)
    token = csrf_from(await client.get("/me/two-step"))
    code = pyotp.TOTP(secret).at(app.state.clock.now())
    before = await snapshot(app)
    for data, headers in zip(({"password": PASSWORD, "code": code}, {"password": PASSWORD, "code": code, "csrf_token": token}, {"password": PASSWORD, "code": code, "csrf_token": token}), CROSS_SITE):
        assert (await client.post("/me/two-step/off", data=data, headers=headers)).status_code == 403
        assert await snapshot(app) == before
    assert (await client.post("/me/two-step/off", data={"password": PASSWORD, "code": code, "csrf_token": token})).status_code == 303
    assert await snapshot(app) != before
