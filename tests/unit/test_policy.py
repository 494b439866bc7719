"""Table-driven tests of `artme_cop.policy`: every action, with hand-built actors (no database).

The cast mirrors tests/factories.py: institution A (cohorts A1, A2) and institution B
(cohort B1). Rule 1 of DOMAIN.md (authority never becomes visibility) and rule 2 (no silent
reads) are checked here at the source; the HTTP matrix checks them again end to end.
"""

from __future__ import annotations

import dataclasses

import itertools
from dataclasses import dataclass
from typing import Iterator

import pytest
from sqlalchemy import Integer, String, create_engine, literal, select
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from artme_cop import policy
from artme_cop.errors import Forbidden
from artme_cop.identity.models import Constituency, Role
from artme_cop.policy import (
    ADMIN_GRANTABLE_ROLES,
    LEAD_GRANTABLE_ROLES,
    Action,
    Actor,
    CohortRef,
    DialoguePlan,
    DialogueRef,
    Grant,
    LabSessionRef,
    LabUnitRef,
    Member,
    Audience,
    MessageRef,
    NewThread,
    PartnerRef,
    ResourceRef,
    RoleTarget,
    SessionPlan,
    SessionRef,
    Space,
    SpaceScope,
    SphereRef,
    TeamRef,
    can,
)

A, B, C = 1, 2, 3  # C: an institution nobody in the cast belongs to
A1, A2, B1 = 11, 12, 21


def actor(person_id: int, institution_id: int | None, *grants: Grant, cohorts: tuple[tuple[int, Constituency], ...] = ()) -> Actor:
    return Actor(person_id=person_id, display_name=f"person {person_id}", institution_id=institution_id, grants=frozenset(grants), cohorts=cohorts)


ADMIN = actor(1, None, Grant(Role.PROGRAM_ADMIN))
COACH = actor(2, A, Grant(Role.COACH, A, A1))
FACILITATOR_A = actor(3, A, Grant(Role.FACILITATOR, A, A1), Grant(Role.PARTICIPANT, A, A1), cohorts=((A1, Constituency.STAFF),))
LEAD_A = actor(4, A, Grant(Role.INSTITUTION_LEAD, A), Grant(Role.PARTICIPANT, A, A1), cohorts=((A1, Constituency.LEADERSHIP),))
COALITION_A = actor(5, A, Grant(Role.COALITION_MEMBER, A), Grant(Role.PARTICIPANT, A, A1), cohorts=((A1, Constituency.FACULTY),))
STUDENT_A = actor(6, A, Grant(Role.PARTICIPANT, A, A1), cohorts=((A1, Constituency.STUDENT),))
FACULTY_A = actor(7, A, Grant(Role.PARTICIPANT, A, A1), cohorts=((A1, Constituency.FACULTY),))
PARTICIPANT_A2 = actor(8, A, Grant(Role.PARTICIPANT, A, A2), cohorts=((A2, Constituency.STAFF),))
LEAD_B = actor(9, B, Grant(Role.INSTITUTION_LEAD, B), Grant(Role.PARTICIPANT, B, B1), cohorts=((B1, Constituency.LEADERSHIP),))
PARTICIPANT_B = actor(10, B, Grant(Role.PARTICIPANT, B, B1), cohorts=((B1, Constituency.STUDENT),))
NEWCOMER = actor(11, None)  # an account with no institution, cohort or role
# An admin who also leads school A: reading A is then not a privileged read.
ADMIN_LEADING_A = actor(12, A, Grant(Role.PROGRAM_ADMIN), Grant(Role.INSTITUTION_LEAD, A))

CAST = {
    "admin": ADMIN,
    "coach": COACH,
    "facilitator_a": FACILITATOR_A,
    "lead_a": LEAD_A,
    "coalition_a": COALITION_A,
    "student_a": STUDENT_A,
    "faculty_a": FACULTY_A,
    "participant_a2": PARTICIPANT_A2,
    "lead_b": LEAD_B,
    "participant_b": PARTICIPANT_B,
    "newcomer": NEWCOMER,
    "admin_leading_a": ADMIN_LEADING_A,
}
EVERYONE = frozenset(CAST)
ADMINS = frozenset({"admin", "admin_leading_a"})



@dataclass(frozen=True)
class Conversation:
    """Shaped like a conversation row: the policy reads its scope and lock."""

    scope: str
    institution_id: int | None
    cohort_id: int | None
    is_locked: bool = False


@dataclass(frozen=True)
class Authored:
    author_id: int


@dataclass(frozen=True)
class Addressed:
    recipient_id: int


LAB_UNIT_A = LabUnitRef(A, frozenset({8}))
LAB_TEAM = TeamRef(institution_id=A, member_ids=frozenset({6, 7}), lead_ids=frozenset({7}), facilitator_id=3, manager_ids=frozenset({8}))

# (action, resource, the cast members allowed); everyone else in CAST is denied.
Case = tuple[Action, object, frozenset[str]]


def _role_cases() -> list[tuple[str, Case]]:
    cases: list[tuple[str, Case]] = []
    for action in (Action.ROLE_CHANGE, Action.INVITATION_CREATE, Action.INVITATION_REVOKE):
        for role, institution in itertools.product(Role, (A, B)):
            allowed = set(ADMINS) if role in ADMIN_GRANTABLE_ROLES else set()
            if role in LEAD_GRANTABLE_ROLES:
                allowed.add("lead_a" if institution == A else "lead_b")
                if institution == A:
                    allowed.add("admin_leading_a")
            cohort = A1 if institution == A else B1
            cases.append((f"{action}-{role}-{institution}", (action, RoleTarget(role, institution, cohort), frozenset(allowed))))
        # Anything that is not a RoleTarget is refused, even for an admin.
        cases.append((f"{action}-not-a-target", (action, A, frozenset())))
    return cases


# Knowledge resources of school A: coalition_a (5) authors and stewards; the coach (2) and
# A's facilitator (3) review once it is submitted.
_INVOLVED = {"author_ids": frozenset({5}), "steward_ids": frozenset({5})}
_REVIEWED = {**_INVOLVED, "reviewer_ids": frozenset({2, 3})}
DRAFT_A = ResourceRef(A, "draft", "private", None, **_INVOLVED)
ASSESS_A = ResourceRef(A, "in_assessment", "private", None, **_REVIEWED)
INSTITUTION_A = ResourceRef(A, "shared_institution", "institution", None, **_REVIEWED)
PROPOSED_A = ResourceRef(A, "proposed_program", "institution", "partner", **_REVIEWED)
PROPOSED_FIRST_VERSION_A = ResourceRef(A, "proposed_program", "private", "partner", **_REVIEWED)
PROGRAM_NAMED_A = ResourceRef(A, "shared_program", "program", "named", **_REVIEWED)
PROGRAM_PARTNER_A = ResourceRef(A, "shared_program", "program", "partner", **_REVIEWED)
# Everyone whose institution-wide spaces include A (its people, its coach, an admin leading it).
IN_A = frozenset({"coach", "facilitator_a", "lead_a", "coalition_a", "student_a", "faculty_a", "participant_a2", "admin_leading_a"})
DRAFT_READERS = frozenset({"coalition_a", "lead_a", "admin_leading_a"})


def _knowledge_cases() -> list[tuple[str, Case]]:
    return [
        ("resource-create-a", (Action.RESOURCE_CREATE, A, frozenset({"lead_a", "coalition_a", "admin_leading_a"}))),
        ("resource-create-b", (Action.RESOURCE_CREATE, B, frozenset({"lead_b"}))),
        ("resource-create-none", (Action.RESOURCE_CREATE, None, frozenset())),
        # drafts: authors, stewards and the school's lead; not the school, not program admins (rule 2)
        ("resource-read-draft", (Action.RESOURCE_READ, DRAFT_A, DRAFT_READERS)),
        ("resource-read-assessment", (Action.RESOURCE_READ, ASSESS_A, DRAFT_READERS | {"coach", "facilitator_a"})),
        ("resource-read-institution", (Action.RESOURCE_READ, INSTITUTION_A, IN_A)),
        ("resource-read-proposed", (Action.RESOURCE_READ, PROPOSED_A, IN_A | {"admin"})),
        # an admin curating a proposal never reads the school's unshared earlier versions
        ("resource-read-proposed-private-version", (Action.RESOURCE_READ, PROPOSED_FIRST_VERSION_A, DRAFT_READERS | {"coach", "facilitator_a"})),
        ("resource-read-program", (Action.RESOURCE_READ, PROGRAM_NAMED_A, EVERYONE)),
        ("resource-read-not-a-resource", (Action.RESOURCE_READ, A, frozenset())),
        ("resource-origin-named", (Action.RESOURCE_ORIGIN, PROGRAM_NAMED_A, EVERYONE)),
        # "a partner school": only the school and the people involved know which one
        ("resource-origin-partner", (Action.RESOURCE_ORIGIN, PROGRAM_PARTNER_A, IN_A)),
        ("resource-origin-partner-proposed", (Action.RESOURCE_ORIGIN, PROPOSED_A, IN_A)),
        ("resource-origin-draft", (Action.RESOURCE_ORIGIN, DRAFT_A, DRAFT_READERS)),
        ("resource-steward", (Action.RESOURCE_STEWARD, INSTITUTION_A, frozenset({"coalition_a", "lead_a", "admin_leading_a"}))),
        ("resource-steward-b", (Action.RESOURCE_STEWARD, ResourceRef(B, "draft", "private", None, frozenset({10}), frozenset({10})), frozenset({"participant_b", "lead_b"}))),
        ("resource-review", (Action.RESOURCE_REVIEW, ASSESS_A, frozenset({"coach", "facilitator_a"}))),
        ("resource-review-none-named", (Action.RESOURCE_REVIEW, DRAFT_A, frozenset())),
        # an author never reviews their own resource
        ("resource-reviewer", (Action.RESOURCE_REVIEWER, ASSESS_A, ADMINS | {"coach", "facilitator_a", "lead_a"})),
        ("resource-reviewer-lead-author", (Action.RESOURCE_REVIEWER, ResourceRef(A, "draft", "private", None, frozenset({4}), frozenset({4})), ADMINS | {"coach", "facilitator_a", "coalition_a"})),
        ("resource-approve-a", (Action.RESOURCE_APPROVE, INSTITUTION_A, frozenset({"lead_a", "admin_leading_a"}))),
        ("resource-approve-not-a-resource", (Action.RESOURCE_APPROVE, A, frozenset())),
        ("resource-curate", (Action.RESOURCE_CURATE, PROPOSED_A, ADMINS)),
        ("resource-flag-program", (Action.RESOURCE_FLAG, PROGRAM_NAMED_A, EVERYONE)),
        ("resource-flag-institution", (Action.RESOURCE_FLAG, INSTITUTION_A, IN_A)),
        ("resource-apply-program", (Action.RESOURCE_APPLY, PROGRAM_NAMED_A, EVERYONE - {"admin", "newcomer"})),
        ("resource-apply-institution", (Action.RESOURCE_APPLY, INSTITUTION_A, IN_A)),
    ]


CASES: list[tuple[str, Case]] = [
    ("institution-create", (Action.INSTITUTION_CREATE, None, ADMINS)),
    ("institution-view-a", (Action.INSTITUTION_VIEW, A, ADMINS | {"lead_a"})),
    ("institution-view-b", (Action.INSTITUTION_VIEW, B, ADMINS | {"lead_b"})),
    ("institution-view-none", (Action.INSTITUTION_VIEW, None, ADMINS)),
    ("cohort-create-a", (Action.COHORT_CREATE, A, ADMINS | {"lead_a"})),
    ("cohort-create-b", (Action.COHORT_CREATE, B, ADMINS | {"lead_b"})),
    ("people-view-a", (Action.PEOPLE_VIEW, Member(6, A, frozenset()), ADMINS | {"lead_a"})),
    ("people-view-b", (Action.PEOPLE_VIEW, Member(10, B, frozenset()), ADMINS | {"lead_b"})),
    ("people-view-unplaced", (Action.PEOPLE_VIEW, Member(11, None, frozenset()), ADMINS)),
    # Roster: program admins and the school's lead; the coach and facilitator of that cohort only.
    ("roster-a1", (Action.COHORT_ROSTER, CohortRef(A1, A), ADMINS | {"lead_a", "coach", "facilitator_a"})),
    ("roster-a2", (Action.COHORT_ROSTER, CohortRef(A2, A), ADMINS | {"lead_a"})),
    ("roster-b1", (Action.COHORT_ROSTER, CohortRef(B1, B), ADMINS | {"lead_b"})),
    ("roster-not-a-cohort", (Action.COHORT_ROSTER, A1, frozenset())),
    # Audit: everything for admins; a lead reads their own school's entries only.
    ("audit-own-entries", (Action.AUDIT_READ, None, ADMINS | {"lead_a", "lead_b"})),
    ("audit-a", (Action.AUDIT_READ, A, ADMINS | {"lead_a"})),
    ("audit-b", (Action.AUDIT_READ, B, ADMINS | {"lead_b"})),
    ("audit-c", (Action.AUDIT_READ, C, ADMINS)),
    # Rule 1: a student's or trainee's participation is never shown by name, except to themselves.
    ("names-student-a", (Action.PARTICIPATION_NAMES, Member(6, A, frozenset({Constituency.STUDENT})), frozenset({"student_a"}))),
    ("names-trainee-a", (Action.PARTICIPATION_NAMES, Member(13, A, frozenset({Constituency.TRAINEE})), frozenset())),
    ("names-student-b", (Action.PARTICIPATION_NAMES, Member(10, B, frozenset({Constituency.STUDENT})), frozenset({"participant_b"}))),
    (
        "names-student-and-staff",
        (Action.PARTICIPATION_NAMES, Member(14, A, frozenset({Constituency.STUDENT, Constituency.STAFF})), frozenset()),
    ),
    ("names-faculty-a", (Action.PARTICIPATION_NAMES, Member(7, A, frozenset({Constituency.FACULTY})), ADMINS | {"lead_a", "faculty_a"})),
    ("names-staff-a2", (Action.PARTICIPATION_NAMES, Member(8, A, frozenset({Constituency.STAFF})), ADMINS | {"lead_a", "participant_a2"})),
    ("names-leadership-b", (Action.PARTICIPATION_NAMES, Member(9, B, frozenset({Constituency.LEADERSHIP})), ADMINS | {"lead_b"})),
    ("names-not-a-member", (Action.PARTICIPATION_NAMES, 6, frozenset())),
    # Spaces: membership decides, never authority (rule 1). The lead of A is in cohort A1 only.
    ("space-consortium", (Action.SPACE_READ, Space(SpaceScope.CONSORTIUM, None, None), EVERYONE)),
    (
        "space-institution-a",
        (
            Action.SPACE_READ,
            Space(SpaceScope.INSTITUTION, A, None),
            frozenset({"coach", "facilitator_a", "lead_a", "coalition_a", "student_a", "faculty_a", "participant_a2", "admin_leading_a"}),
        ),
    ),
    ("space-institution-b", (Action.SPACE_READ, Space(SpaceScope.INSTITUTION, B, None), frozenset({"lead_b", "participant_b"}))),
    ("space-institution-c", (Action.SPACE_READ, Space(SpaceScope.INSTITUTION, C, None), frozenset())),
    (
        "space-cohort-a1",
        (
            Action.SPACE_READ,
            Space(SpaceScope.COHORT, A, A1),
            frozenset({"coach", "facilitator_a", "lead_a", "coalition_a", "student_a", "faculty_a"}),
        ),
    ),
    ("space-cohort-a2", (Action.SPACE_READ, Space(SpaceScope.COHORT, A, A2), frozenset({"participant_a2"}))),
    ("space-cohort-b1", (Action.SPACE_READ, Space(SpaceScope.COHORT, B, B1), frozenset({"lead_b", "participant_b"}))),
    ("space-not-a-space", (Action.SPACE_READ, A, frozenset())),
    # Messages: posting needs reading and an unlocked conversation; only authors edit;
    # moderators are the people inside a space who facilitate it.
    ("post-consortium", (Action.MESSAGE_POST, Conversation(SpaceScope.CONSORTIUM, None, None), EVERYONE)),
    ("post-consortium-locked", (Action.MESSAGE_POST, Conversation(SpaceScope.CONSORTIUM, None, None, is_locked=True), frozenset())),
    ("post-cohort-a2", (Action.MESSAGE_POST, Conversation(SpaceScope.COHORT, A, A2), frozenset({"participant_a2"}))),
    ("post-institution-b", (Action.MESSAGE_POST, Conversation(SpaceScope.INSTITUTION, B, None), frozenset({"lead_b", "participant_b"}))),
    ("post-not-a-space", (Action.MESSAGE_POST, A, frozenset())),
    ("edit-own-student", (Action.MESSAGE_EDIT, Authored(6), frozenset({"student_a"}))),
    ("edit-own-admin", (Action.MESSAGE_EDIT, Authored(1), frozenset({"admin"}))),
    ("edit-no-author", (Action.MESSAGE_EDIT, A, frozenset())),
    # Consortium spaces: admins, and every facilitator and coach ("facilitators and admins work the queue").
    ("moderate-consortium", (Action.MESSAGE_MODERATE, Conversation(SpaceScope.CONSORTIUM, None, None), ADMINS | {"coach", "facilitator_a"})),
    ("moderate-institution-a", (Action.MESSAGE_MODERATE, Conversation(SpaceScope.INSTITUTION, A, None), frozenset({"lead_a", "admin_leading_a"}))),
    ("moderate-cohort-a1", (Action.MESSAGE_MODERATE, Conversation(SpaceScope.COHORT, A, A1), frozenset({"coach", "facilitator_a"}))),
    # The lead of A holds authority over A2 but is not in it, so cannot moderate it (rule 1).
    ("moderate-cohort-a2", (Action.MESSAGE_MODERATE, Conversation(SpaceScope.COHORT, A, A2), frozenset())),
    ("moderate-not-a-space", (Action.MESSAGE_MODERATE, A, frozenset())),
    # Notifications: one's own only; no role opens another person's.
    ("notification-of-student", (Action.NOTIFICATION_READ, Addressed(6), frozenset({"student_a"}))),
    ("notification-of-admin", (Action.NOTIFICATION_READ, Addressed(1), frozenset({"admin"}))),
    ("notification-not-a-notification", (Action.NOTIFICATION_READ, A, frozenset())),
    # Forum categories: program admins only.
    ("category-manage", (Action.CATEGORY_MANAGE, None, ADMINS)),
    # Starting a thread: a space one belongs to, and the category's rule.
    ("thread-consortium-everyone", (Action.THREAD_START, NewThread("everyone", Space(SpaceScope.CONSORTIUM, None, None)), EVERYONE)),
    ("thread-consortium-facilitators", (Action.THREAD_START, NewThread("facilitators", Space(SpaceScope.CONSORTIUM, None, None)), ADMINS | {"coach", "facilitator_a", "lead_a", "lead_b"})),
    ("thread-consortium-admins", (Action.THREAD_START, NewThread("admins", Space(SpaceScope.CONSORTIUM, None, None)), ADMINS)),
    ("thread-cohort-a1", (Action.THREAD_START, NewThread("everyone", Space(SpaceScope.COHORT, A, A1)), frozenset({"coach", "facilitator_a", "lead_a", "coalition_a", "student_a", "faculty_a"}))),
    ("thread-cohort-a1-admins", (Action.THREAD_START, NewThread("admins", Space(SpaceScope.COHORT, A, A1)), frozenset())),
    ("thread-institution-b", (Action.THREAD_START, NewThread("everyone", Space(SpaceScope.INSTITUTION, B, None)), frozenset({"lead_b", "participant_b"}))),
    ("thread-not-a-new-thread", (Action.THREAD_START, Space(SpaceScope.CONSORTIUM, None, None), frozenset())),
    ("moderate-cohort-b1", (Action.MESSAGE_MODERATE, Conversation(SpaceScope.COHORT, B, B1), frozenset())),
    ("moderate-institution-b", (Action.MESSAGE_MODERATE, Conversation(SpaceScope.INSTITUTION, B, None), frozenset({"lead_b"}))),
    # Flagging: every reader, never one's own message.
    ("flag-consortium-by-student", (Action.MODERATION_FLAG, MessageRef(SpaceScope.CONSORTIUM, None, None, 6), EVERYONE - {"student_a"})),
    ("flag-cohort-a1", (Action.MODERATION_FLAG, MessageRef(SpaceScope.COHORT, A, A1, 7), frozenset({"coach", "facilitator_a", "lead_a", "coalition_a", "student_a"}))),
    ("flag-cohort-b1", (Action.MODERATION_FLAG, MessageRef(SpaceScope.COHORT, B, B1, 10), frozenset({"lead_b"}))),
    ("flag-not-a-message", (Action.MODERATION_FLAG, Conversation(SpaceScope.CONSORTIUM, None, None), frozenset())),
    # The queue: whoever moderates some space.
    ("queue", (Action.MODERATION_QUEUE, None, ADMINS | {"coach", "facilitator_a", "lead_a", "lead_b"})),
    # Review (dismiss, hide, unhide, warn): a moderator of the space, not on their own message.
    ("review-consortium", (Action.MODERATION_REVIEW, MessageRef(SpaceScope.CONSORTIUM, None, None, 6), ADMINS | {"coach", "facilitator_a"})),
    ("review-consortium-own", (Action.MODERATION_REVIEW, MessageRef(SpaceScope.CONSORTIUM, None, None, 3), ADMINS | {"coach"})),
    ("review-institution-a", (Action.MODERATION_REVIEW, MessageRef(SpaceScope.INSTITUTION, A, None, 6), frozenset({"lead_a", "admin_leading_a"}))),
    ("review-cohort-a1", (Action.MODERATION_REVIEW, MessageRef(SpaceScope.COHORT, A, A1, 6), frozenset({"coach", "facilitator_a"}))),
    ("review-cohort-a2", (Action.MODERATION_REVIEW, MessageRef(SpaceScope.COHORT, A, A2, 8), frozenset())),
    ("review-cohort-b1", (Action.MODERATION_REVIEW, MessageRef(SpaceScope.COHORT, B, B1, 10), frozenset())),
    ("review-not-a-message", (Action.MODERATION_REVIEW, Conversation(SpaceScope.CONSORTIUM, None, None), frozenset())),
    *_role_cases(),
    # Forum: categories are the admins'; starting a thread needs the space and the category's rule.
    ("category-manage", (Action.CATEGORY_MANAGE, None, ADMINS)),
    ("thread-start-everyone-consortium", (Action.THREAD_START, NewThread("everyone", Space(SpaceScope.CONSORTIUM, None, None)), EVERYONE)),
    ("thread-start-facilitators-a1", (Action.THREAD_START, NewThread("facilitators", Space(SpaceScope.COHORT, A, A1)), frozenset({"coach", "facilitator_a", "lead_a"}))),
    ("thread-start-admins-consortium", (Action.THREAD_START, NewThread("admins", Space(SpaceScope.CONSORTIUM, None, None)), ADMINS)),
    ("thread-start-not-a-new-thread", (Action.THREAD_START, Space(SpaceScope.CONSORTIUM, None, None), frozenset())),
    # Program backbone (#8). A cohort's progress: the people in it, its coach and
    # facilitators, its school's lead, admins. Marking its checklist: its coach and admins.
    ("phase-view-a1", (Action.PHASE_VIEW, CohortRef(A1, A), ADMINS | {"coach", "facilitator_a", "lead_a", "coalition_a", "student_a", "faculty_a"})),
    ("phase-view-a2", (Action.PHASE_VIEW, CohortRef(A2, A), ADMINS | {"lead_a", "participant_a2"})),
    ("phase-view-b1", (Action.PHASE_VIEW, CohortRef(B1, B), ADMINS | {"lead_b", "participant_b"})),
    ("phase-view-not-a-cohort", (Action.PHASE_VIEW, A1, frozenset())),
    ("phase-checklist-a1", (Action.PHASE_CHECKLIST, CohortRef(A1, A), ADMINS | {"coach"})),
    ("phase-checklist-a2", (Action.PHASE_CHECKLIST, CohortRef(A2, A), ADMINS)),
    ("phase-checklist-not-a-cohort", (Action.PHASE_CHECKLIST, A1, frozenset())),
    ("schedule-manage", (Action.SCHEDULE_MANAGE, None, ADMINS)),
    # Scheduling: admins anything; a lead for its school and cohorts; a coach for theirs;
    # sessions for all cohorts (and their kinds) are the admins'.
    ("session-create-a1", (Action.SESSION_CREATE, SessionPlan("dialogue_framing", Audience.COHORTS, A, (CohortRef(A1, A),)), ADMINS | {"lead_a", "coach"})),
    ("session-create-a2", (Action.SESSION_CREATE, SessionPlan("dialogue_framing", Audience.COHORTS, A, (CohortRef(A2, A),)), ADMINS | {"lead_a"})),
    ("session-create-a1-b1", (Action.SESSION_CREATE, SessionPlan("site_visit", Audience.COHORTS, None, (CohortRef(A1, A), CohortRef(B1, B))), ADMINS)),
    ("session-create-school-a", (Action.SESSION_CREATE, SessionPlan("site_visit", Audience.INSTITUTION, A), ADMINS | {"lead_a"})),
    ("session-create-all", (Action.SESSION_CREATE, SessionPlan("phase_introduction", Audience.ALL, None), ADMINS)),
    ("session-create-program-kind-for-a1", (Action.SESSION_CREATE, SessionPlan("community_of_practice", Audience.COHORTS, A, (CohortRef(A1, A),)), ADMINS)),
    ("session-create-not-a-plan", (Action.SESSION_CREATE, A1, frozenset())),
    # Seeing a session: invitees (members, coaches, facilitators of an invited cohort; people
    # of an invited school; everyone for "all") and its managers. Never another cohort's.
    (
        "session-view-a1",
        (Action.SESSION_VIEW, SessionRef(Audience.COHORTS, A, frozenset({A1}), 2), ADMINS | {"coach", "facilitator_a", "lead_a", "coalition_a", "student_a", "faculty_a"}),
    ),
    ("session-view-a2", (Action.SESSION_VIEW, SessionRef(Audience.COHORTS, A, frozenset({A2}), 4), ADMINS | {"lead_a", "participant_a2"})),
    ("session-view-b1", (Action.SESSION_VIEW, SessionRef(Audience.COHORTS, B, frozenset({B1}), 9), ADMINS | {"lead_b", "participant_b"})),
    ("session-view-school-b", (Action.SESSION_VIEW, SessionRef(Audience.INSTITUTION, B, frozenset(), 9), ADMINS | {"lead_b", "participant_b"})),
    ("session-view-all", (Action.SESSION_VIEW, SessionRef(Audience.ALL, None, frozenset(), 1), EVERYONE)),
    ("session-view-not-a-session", (Action.SESSION_VIEW, A1, frozenset())),
    ("session-manage-a1-by-coach", (Action.SESSION_MANAGE, SessionRef(Audience.COHORTS, A, frozenset({A1}), 2), ADMINS | {"coach", "lead_a"})),
    ("session-manage-all", (Action.SESSION_MANAGE, SessionRef(Audience.ALL, None, frozenset(), 1), ADMINS)),
    ("session-manage-not-a-session", (Action.SESSION_MANAGE, A1, frozenset())),
    # Chats for Change (#5): coach 2 and student 6 co-facilitate a dialogue for A1, scheduled by 3.
    ("dialogue-schedule-a1", (Action.DIALOGUE_SCHEDULE, DialoguePlan(A, (CohortRef(A1, A),)), ADMINS | {"coach", "facilitator_a", "lead_a"})),
    ("dialogue-schedule-a2", (Action.DIALOGUE_SCHEDULE, DialoguePlan(A, (CohortRef(A2, A),)), ADMINS | {"lead_a"})),
    ("dialogue-schedule-foreign-cohort", (Action.DIALOGUE_SCHEDULE, DialoguePlan(A, (CohortRef(B1, B),)), frozenset())),
    ("dialogue-schedule-no-cohort", (Action.DIALOGUE_SCHEDULE, DialoguePlan(A), frozenset())),
    ("dialogue-view-a1", (Action.DIALOGUE_VIEW, DialogueRef(A, frozenset({A1}), frozenset({2, 6}), 3), ADMINS | {"coach", "facilitator_a", "lead_a", "coalition_a", "student_a", "faculty_a"})),
    ("dialogue-view-b1", (Action.DIALOGUE_VIEW, DialogueRef(B, frozenset({B1}), frozenset({10}), 9), ADMINS | {"lead_b", "participant_b"})),
    ("dialogue-view-not-a-dialogue", (Action.DIALOGUE_VIEW, A1, frozenset())),
    # The lead is a member of A1 and joins; the coach only facilitates; facilitators never join.
    ("dialogue-join-a1", (Action.DIALOGUE_JOIN, DialogueRef(A, frozenset({A1}), frozenset({2, 6}), 3), {"facilitator_a", "lead_a", "coalition_a", "faculty_a"})),
    ("dialogue-facilitate", (Action.DIALOGUE_FACILITATE, DialogueRef(A, frozenset({A1}), frozenset({2, 6}), 3), {"coach", "student_a"})),
    ("dialogue-reveal", (Action.DIALOGUE_REVEAL, DialogueRef(A, frozenset({A1}), frozenset({2, 6}), 3), ADMINS | {"coach", "student_a"})),
    ("dialogue-incidents", (Action.DIALOGUE_INCIDENTS, DialogueRef(A, frozenset({A1}), frozenset({2, 6}), 3), ADMINS | {"coach", "student_a"})),
    ("dialogue-incidents-not-a-dialogue", (Action.DIALOGUE_INCIDENTS, None, frozenset())),
    ("dialogue-reveal-not-a-dialogue", (Action.DIALOGUE_REVEAL, A1, frozenset())),
    # Readiness: members answer; coach, lead and admins run it; results to lead and coach only.
    ("readiness-view-a1", (Action.READINESS_VIEW, CohortRef(A1, A), ADMINS | {"coach", "facilitator_a", "lead_a", "coalition_a", "student_a", "faculty_a"})),
    ("readiness-answer-a1", (Action.READINESS_ANSWER, CohortRef(A1, A), frozenset({"facilitator_a", "lead_a", "coalition_a", "student_a", "faculty_a"}))),
    ("readiness-answer-b1", (Action.READINESS_ANSWER, CohortRef(B1, B), frozenset({"lead_b", "participant_b"}))),
    ("readiness-answer-not-a-cohort", (Action.READINESS_ANSWER, A1, frozenset())),
    ("readiness-manage-a1", (Action.READINESS_MANAGE, CohortRef(A1, A), ADMINS | {"coach", "lead_a"})),
    ("readiness-manage-b1", (Action.READINESS_MANAGE, CohortRef(B1, B), ADMINS | {"lead_b"})),
    ("readiness-results-a1", (Action.READINESS_RESULTS, CohortRef(A1, A), frozenset({"coach", "lead_a", "admin_leading_a"}))),
    ("readiness-results-a2", (Action.READINESS_RESULTS, CohortRef(A2, A), frozenset({"lead_a", "admin_leading_a"}))),
    ("readiness-results-b1", (Action.READINESS_RESULTS, CohortRef(B1, B), frozenset({"lead_b"}))),
    ("readiness-results-not-a-cohort", (Action.READINESS_RESULTS, A1, frozenset())),
    # The guiding coalition (#8): read by A's lead, coalition and coaches, and by admins (a
    # logged privileged read); spheres and co-leads by the lead; members by the lead and the
    # sphere's co-leads; targets and plans by the sphere's members and co-leads and the lead.
    ("coalition-read-a", (Action.COALITION_READ, A, ADMINS | {"lead_a", "coalition_a", "coach"})),
    ("coalition-read-b", (Action.COALITION_READ, B, ADMINS | {"lead_b"})),
    ("coalition-read-none", (Action.COALITION_READ, None, frozenset())),
    ("sphere-manage-a", (Action.SPHERE_MANAGE, A, frozenset({"lead_a", "admin_leading_a"}))),
    ("sphere-join-a", (Action.SPHERE_JOIN, A, frozenset({"lead_a", "coalition_a", "admin_leading_a"}))),
    ("sphere-join-b", (Action.SPHERE_JOIN, B, frozenset({"lead_b"}))),
    # coalition_a co-leads; faculty_a is named a co-lead but holds no coalition role
    ("sphere-members-co-lead", (Action.SPHERE_MEMBERS, SphereRef(A, frozenset(), frozenset({5, 7})), frozenset({"lead_a", "coalition_a", "admin_leading_a"}))),
    ("sphere-members-member-only", (Action.SPHERE_MEMBERS, SphereRef(A, frozenset({5}), frozenset()), frozenset({"lead_a", "admin_leading_a"}))),
    ("sphere-members-not-a-sphere", (Action.SPHERE_MEMBERS, A, frozenset())),
    ("target-edit-member", (Action.TARGET_EDIT, SphereRef(A, frozenset({5}), frozenset()), frozenset({"lead_a", "coalition_a", "admin_leading_a"}))),
    ("target-edit-not-in-sphere", (Action.TARGET_EDIT, SphereRef(A, frozenset(), frozenset({4})), frozenset({"lead_a", "admin_leading_a"}))),
    ("target-edit-b", (Action.TARGET_EDIT, SphereRef(B, frozenset({5}), frozenset()), frozenset({"lead_b"}))),
    ("target-edit-not-a-sphere", (Action.TARGET_EDIT, A, frozenset())),
    # Outcome mapping: visible within the school (its coaches too); written by coaches, lead, coalition.
    ("outcomes-read-a", (Action.OUTCOMES_READ, A, ADMINS | {"coach", "facilitator_a", "lead_a", "coalition_a", "student_a", "faculty_a", "participant_a2"})),
    ("outcomes-read-b", (Action.OUTCOMES_READ, B, ADMINS | {"lead_b", "participant_b"})),
    ("outcomes-edit-a1", (Action.OUTCOMES_EDIT, PartnerRef(A, A1), frozenset({"coach", "lead_a", "coalition_a", "admin_leading_a"}))),
    ("outcomes-edit-a2", (Action.OUTCOMES_EDIT, PartnerRef(A, A2), frozenset({"lead_a", "coalition_a", "admin_leading_a"}))),
    ("outcomes-edit-school-a", (Action.OUTCOMES_EDIT, PartnerRef(A), frozenset({"coach", "lead_a", "coalition_a", "admin_leading_a"}))),
    ("outcomes-edit-not-a-partner", (Action.OUTCOMES_EDIT, A, frozenset())),
    # Wins: recorded by the coalition and lead; shared by the lead only; curated by admins.
    ("win-record-a", (Action.WIN_RECORD, A, frozenset({"lead_a", "coalition_a", "admin_leading_a"}))),
    ("win-share-a", (Action.WIN_SHARE, A, frozenset({"lead_a", "admin_leading_a"}))),
    ("win-share-b", (Action.WIN_SHARE, B, frozenset({"lead_b"}))),
    ("win-curate", (Action.WIN_CURATE, None, ADMINS)),
    ("monitoring-share-a", (Action.MONITORING_SHARE, A, frozenset({"lead_a", "admin_leading_a"}))),
    ("monitoring-program", (Action.MONITORING_PROGRAM, None, ADMINS)),
    *_knowledge_cases(),
    # team learning labs: Alder ED of school A (student and faculty member, who leads it),
    # facilitated by A's facilitator; participant_a2 is a unit manager A's lead named.
    ("lab-manager-name-a", (Action.LAB_MANAGER_NAME, LAB_UNIT_A, frozenset({"lead_a", "admin_leading_a"}))),
    ("lab-manager-name-not-a-unit", (Action.LAB_MANAGER_NAME, A, frozenset())),
    ("lab-team-register-a", (Action.LAB_TEAM_REGISTER, LAB_UNIT_A, frozenset({"lead_a", "admin_leading_a", "participant_a2"}))),
    ("lab-team-register-b", (Action.LAB_TEAM_REGISTER, LabUnitRef(B), frozenset({"lead_b"}))),
    ("lab-team-roster", (Action.LAB_TEAM_ROSTER, LAB_TEAM, frozenset({"lead_a", "admin_leading_a", "participant_a2"}))),
    # rule 1: neither the school's lead nor a program admin reads a team they are not on
    ("lab-team-read", (Action.LAB_TEAM_READ, LAB_TEAM, frozenset({"student_a", "faculty_a", "facilitator_a"}))),
    ("lab-team-read-not-a-team", (Action.LAB_TEAM_READ, A, frozenset())),
    ("lab-team-contribute", (Action.LAB_TEAM_CONTRIBUTE, LAB_TEAM, frozenset({"student_a", "faculty_a"}))),
    ("lab-team-lead", (Action.LAB_TEAM_LEAD, LAB_TEAM, frozenset({"faculty_a", "facilitator_a"}))),
    ("lab-team-lead-off-the-team", (Action.LAB_TEAM_LEAD, dataclasses.replace(LAB_TEAM, member_ids=frozenset({6})), frozenset({"facilitator_a"}))),
    ("lab-session-create", (Action.LAB_SESSION_CREATE, LabSessionRef(3, (LAB_TEAM,)), frozenset({"facilitator_a"}))),
    ("lab-session-create-for-another", (Action.LAB_SESSION_CREATE, LabSessionRef(7, (LAB_TEAM,)), frozenset())),
    ("lab-session-create-no-team", (Action.LAB_SESSION_CREATE, LabSessionRef(3, ()), frozenset())),
    ("lab-session-view", (Action.LAB_SESSION_VIEW, LabSessionRef(3, (LAB_TEAM,)), frozenset({"student_a", "faculty_a", "facilitator_a"}))),
    ("lab-session-run", (Action.LAB_SESSION_RUN, LabSessionRef(3, (LAB_TEAM,)), frozenset({"facilitator_a"}))),
    ("lab-session-run-not-a-session", (Action.LAB_SESSION_RUN, LAB_TEAM, frozenset())),
    # the session's facilitator (the coach, 2) no longer facilitates its team: the team and its current facilitator see it
    ("lab-session-run-former", (Action.LAB_SESSION_RUN, LabSessionRef(2, (LAB_TEAM,)), frozenset())),
    ("lab-session-view-former", (Action.LAB_SESSION_VIEW, LabSessionRef(2, (LAB_TEAM,)), frozenset({"student_a", "faculty_a", "facilitator_a"}))),
    # two-step sign-in: admins reset anyone else's; a lead those of their school without a lead or admin role
    ("two-step-reset-student-a", (Action.TWO_STEP_RESET, STUDENT_A, ADMINS | {"lead_a"})),
    ("two-step-reset-coach", (Action.TWO_STEP_RESET, COACH, ADMINS | {"lead_a"})),
    ("two-step-reset-participant-b", (Action.TWO_STEP_RESET, PARTICIPANT_B, ADMINS | {"lead_b"})),
    ("two-step-reset-lead-a", (Action.TWO_STEP_RESET, LEAD_A, ADMINS)),
    ("two-step-reset-admin", (Action.TWO_STEP_RESET, ADMIN, frozenset({"admin_leading_a"}))),
    ("two-step-reset-admin-leading-a", (Action.TWO_STEP_RESET, ADMIN_LEADING_A, frozenset({"admin"}))),
    ("two-step-reset-newcomer", (Action.TWO_STEP_RESET, NEWCOMER, ADMINS)),
    ("two-step-reset-not-a-person", (Action.TWO_STEP_RESET, 6, frozenset())),
]


@pytest.mark.parametrize(
    ("case", "who"),
    [(case, who) for _, case in CASES for who in sorted(CAST)],
    ids=[f"{name}-{who}" for name, _ in CASES for who in sorted(CAST)],
)
def test_can(case: Case, who: str) -> None:
    action, resource, allowed = case
    assert can(CAST[who], action, resource) is (who in allowed)


@pytest.mark.parametrize(("name", "case"), CASES, ids=[name for name, _ in CASES])
def test_anonymous_may_do_nothing(name: str, case: Case) -> None:
    action, resource, _ = case
    assert can(None, action, resource) is False
    with pytest.raises(Forbidden):
        policy.require(None, action, resource)


def test_require_raises_forbidden_exactly_when_can_is_false() -> None:
    policy.require(LEAD_A, Action.COHORT_CREATE, A)
    with pytest.raises(Forbidden):
        policy.require(LEAD_A, Action.COHORT_CREATE, B)


def test_every_action_has_a_check_and_a_case() -> None:
    assert set(policy._CHECKS) == set(Action)
    covered = {case[0] for _, case in CASES}
    assert covered == set(Action), f"actions without a table case: {set(Action) - covered}"
    for action in Action:
        # Every check answers a plain bool for an actor and for a resource of the wrong type.
        assert can(ADMIN, action, object()) in (True, False)


def test_lead_grantable_roles_are_the_cohort_level_roles() -> None:
    assert LEAD_GRANTABLE_ROLES == {Role.PARTICIPANT, Role.COALITION_MEMBER, Role.FACILITATOR}
    assert Role.PROGRAM_ADMIN not in ADMIN_GRANTABLE_ROLES
    assert LEAD_GRANTABLE_ROLES < ADMIN_GRANTABLE_ROLES


@pytest.mark.parametrize(
    ("who", "institution_id", "expected"),
    [
        ("admin", A, True),
        ("admin", B, True),
        ("admin", None, False),
        ("admin_leading_a", A, False),
        ("admin_leading_a", B, True),
        ("lead_a", A, False),
        ("lead_a", B, False),
        ("coach", A, False),
        ("student_a", A, False),
    ],
)
def test_is_privileged_read(who: str, institution_id: int | None, expected: bool) -> None:
    assert policy.is_privileged_read(CAST[who], institution_id) is expected


def test_an_admin_placed_at_a_school_reads_it_without_privilege() -> None:
    admin_at_a = actor(20, A, Grant(Role.PROGRAM_ADMIN))
    assert policy.is_privileged_read(admin_at_a, A) is False
    assert policy.is_privileged_read(admin_at_a, B) is True


def test_authority_never_becomes_visibility() -> None:
    """The lead of A may see cohort A2's roster but not read its private space (rule 1)."""
    assert can(LEAD_A, Action.COHORT_ROSTER, CohortRef(A2, A))
    assert not can(LEAD_A, Action.SPACE_READ, Space(SpaceScope.COHORT, A, A2))
    assert not can(LEAD_A, Action.PARTICIPATION_NAMES, Member(6, A, frozenset({Constituency.STUDENT})))
    # Program-wide power opens no cohort or school space either.
    assert not can(ADMIN, Action.SPACE_READ, Space(SpaceScope.COHORT, A, A1))
    assert not can(ADMIN, Action.SPACE_READ, Space(SpaceScope.INSTITUTION, A, None))


# --- space_clause agrees with can(SPACE_READ) ------------------------------------------------


class _Base(DeclarativeBase):
    pass


class _SpaceRow(_Base):
    __tablename__ = "spaces"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    scope: Mapped[str] = mapped_column(String(20))
    institution_id: Mapped[int | None] = mapped_column(Integer)
    cohort_id: Mapped[int | None] = mapped_column(Integer)


SPACE_ROWS = [
    Space(scope, institution, cohort, index)
    for index, (scope, institution, cohort) in enumerate(
        ((scope, institution, cohort) for scope in SpaceScope for institution in (None, A, B, C) for cohort in (None, A1, A2, B1, 99)),
        start=1,
    )
]
MEMBERS_ROWS = [space.conversation_id for space in SPACE_ROWS if space.scope is SpaceScope.MEMBERS]
# Members-only conversations: the student is on two lists, the facilitator on one of them
# and another, moderating the shared one; nobody else is on any (not even the admin).
MEMBERS_CAST = {
    "student_a": dataclasses.replace(STUDENT_A, member_conversations=frozenset(MEMBERS_ROWS[:2])),
    "facilitator_a": dataclasses.replace(
        FACILITATOR_A, member_conversations=frozenset({MEMBERS_ROWS[0], MEMBERS_ROWS[2]}), moderated_conversations=frozenset({MEMBERS_ROWS[0]})
    ),
}
CLAUSE_CAST = {**CAST, **MEMBERS_CAST}


@pytest.fixture(scope="module")
def space_table() -> Iterator[Session]:
    engine = create_engine("sqlite://")
    _Base.metadata.create_all(engine)
    session = Session(engine)
    for index, space in enumerate(SPACE_ROWS, start=1):
        session.add(_SpaceRow(id=index, scope=space.scope.value, institution_id=space.institution_id, cohort_id=space.cohort_id))
    session.commit()
    yield session
    session.close()
    engine.dispose()


@pytest.mark.parametrize("who", sorted(CLAUSE_CAST))
def test_space_clause_agrees_with_can(space_table: Session, who: str) -> None:
    person = CLAUSE_CAST[who]
    clause = policy.space_clause(person, _SpaceRow.scope, _SpaceRow.institution_id, _SpaceRow.cohort_id, _SpaceRow.id)
    selected = set(space_table.execute(select(_SpaceRow.id).where(clause)).scalars())
    expected = {index for index, space in enumerate(SPACE_ROWS, start=1) if can(person, Action.SPACE_READ, space)}
    assert selected == expected
    assert selected, "every actor reads at least the consortium spaces"


def test_members_only_rows_are_read_by_their_members_alone(space_table: Session) -> None:
    """Not even a program admin reads a members-only conversation they are not listed in."""
    first, second, third = MEMBERS_ROWS[:3]
    assert can(MEMBERS_CAST["student_a"], Action.SPACE_READ, SPACE_ROWS[first - 1])
    assert not can(MEMBERS_CAST["student_a"], Action.SPACE_READ, SPACE_ROWS[third - 1])
    assert not can(ADMIN, Action.SPACE_READ, SPACE_ROWS[first - 1])
    assert not can(STUDENT_A, Action.SPACE_READ, SPACE_ROWS[first - 1])
    assert can(MEMBERS_CAST["facilitator_a"], Action.MESSAGE_MODERATE, SPACE_ROWS[first - 1])
    assert not can(MEMBERS_CAST["facilitator_a"], Action.MESSAGE_MODERATE, SPACE_ROWS[third - 1])
    assert not can(MEMBERS_CAST["student_a"], Action.MESSAGE_MODERATE, SPACE_ROWS[second - 1])


def test_space_clause_of_lead_a_excludes_cohort_a2(space_table: Session) -> None:
    clause = policy.space_clause(LEAD_A, _SpaceRow.scope, _SpaceRow.institution_id, _SpaceRow.cohort_id)
    rows = space_table.execute(select(_SpaceRow.scope, _SpaceRow.cohort_id).where(clause)).all()
    assert (SpaceScope.COHORT.value, A1) in rows
    assert (SpaceScope.COHORT.value, A2) not in rows


@pytest.mark.parametrize("who", sorted(CAST))
def test_managed_institutions_clause_agrees_with_institution_view(space_table: Session, who: str) -> None:
    person = CAST[who]
    clause = policy.managed_institutions_clause(person, _SpaceRow.institution_id)
    selected = set(space_table.execute(select(_SpaceRow.id).where(clause)).scalars())
    expected = {
        index
        for index, space in enumerate(SPACE_ROWS, start=1)
        if person.is_program_admin or (space.institution_id is not None and can(person, Action.INSTITUTION_VIEW, space.institution_id))
    }
    assert selected == expected
    audit = set(space_table.execute(select(_SpaceRow.id).where(policy.audit_clause(person, _SpaceRow.institution_id))).scalars())
    assert audit == selected


@pytest.mark.parametrize("who", sorted(CLAUSE_CAST))
def test_moderated_space_clause_agrees_with_can(space_table: Session, who: str) -> None:
    person = CLAUSE_CAST[who]
    clause = policy.moderated_space_clause(person, _SpaceRow.scope, _SpaceRow.institution_id, _SpaceRow.cohort_id, _SpaceRow.id)
    selected = set(space_table.execute(select(_SpaceRow.id).where(clause)).scalars())
    expected = {index for index, space in enumerate(SPACE_ROWS, start=1) if can(person, Action.MESSAGE_MODERATE, space)}
    assert selected == expected
    assert bool(selected) is policy.moderates_anything(person)


@pytest.mark.parametrize("who", sorted(CLAUSE_CAST))
@pytest.mark.parametrize("author_id", [3, 6, 9])
def test_review_clause_agrees_with_can(space_table: Session, who: str, author_id: int) -> None:
    """The queue's filter is the review rule itself, also for a moderator's own message."""
    person = CLAUSE_CAST[who]
    # Every row stands for a message by `author_id` written in that space.
    clause = policy.review_clause(person, _SpaceRow.scope, _SpaceRow.institution_id, _SpaceRow.cohort_id, literal(author_id), _SpaceRow.id)  # type: ignore[arg-type]
    selected = set(space_table.execute(select(_SpaceRow.id).where(clause)).scalars())
    expected = {
        index
        for index, space in enumerate(SPACE_ROWS, start=1)
        if can(person, Action.MODERATION_REVIEW, MessageRef(space.scope, space.institution_id, space.cohort_id, author_id, space.conversation_id))
    }
    assert selected == expected


def test_moderators_of_consortium_spaces_include_every_facilitator_and_coach() -> None:
    facilitator_b1 = actor(30, B, Grant(Role.FACILITATOR, B, B1), cohorts=((B1, Constituency.STAFF),))
    consortium = Space(SpaceScope.CONSORTIUM, None, None)
    assert can(facilitator_b1, Action.MESSAGE_MODERATE, consortium)
    assert not can(facilitator_b1, Action.MESSAGE_MODERATE, Space(SpaceScope.COHORT, A, A1))
    assert not can(PARTICIPANT_B, Action.MESSAGE_MODERATE, consortium)
    assert policy.moderates_anything(facilitator_b1)
    assert not policy.moderates_anything(STUDENT_A)
    assert not policy.moderates_anything(None)


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("admin", [Role.PARTICIPANT, Role.COALITION_MEMBER, Role.FACILITATOR, Role.COACH, Role.INSTITUTION_LEAD]),
        ("lead_a", [Role.PARTICIPANT, Role.COALITION_MEMBER, Role.FACILITATOR]),
        ("lead_b", [Role.PARTICIPANT, Role.COALITION_MEMBER, Role.FACILITATOR]),
        ("coach", []),
        ("facilitator_a", []),
        ("student_a", []),
        ("newcomer", []),
    ],
)
def test_grantable_roles_agree_with_role_change(who: str, expected: list[Role]) -> None:
    person = CAST[who]
    assert policy.grantable_roles(person) == expected
    own = B if who == "lead_b" else A
    for role in Role:
        assert can(person, Action.ROLE_CHANGE, RoleTarget(role, own)) is (role in expected)


@pytest.mark.parametrize(("who", "expected"), [("admin", True), ("admin_leading_a", True), ("lead_a", True), ("lead_b", True), ("coach", False), ("facilitator_a", False), ("student_a", False), ("newcomer", False)])
def test_two_step_roles_are_the_admins_and_the_leads(who: str, expected: bool) -> None:
    assert policy.needs_two_step(CAST[who]) is expected


def test_without_the_second_step_a_lead_acts_as_a_participant() -> None:
    """SEC-C7: the lead's and admin's powers go, the cohort's stay."""
    lead = policy.without_two_step_roles(LEAD_A)
    assert not can(lead, Action.COHORT_CREATE, A) and not can(lead, Action.AUDIT_READ, A)
    assert lead.grants == {Grant(Role.PARTICIPANT, A, A1)} and lead.cohorts == LEAD_A.cohorts
    assert not policy.needs_two_step(lead)
    admin = policy.without_two_step_roles(ADMIN_LEADING_A)
    assert not can(admin, Action.INSTITUTION_CREATE) and admin.grants == frozenset()
    assert policy.without_two_step_roles(FACILITATOR_A) == FACILITATOR_A
