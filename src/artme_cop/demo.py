"""The fictional demo consortium: three schools with their cohorts, leads, coalition
members, facilitators (one of them a student), students, trainees, staff and faculty, a
program coach and a program admin.

Loading is idempotent: a second run finds the demo schools and changes nothing. All demo
accounts share one password, generated at the first load and kept (mode 0600) in the data
directory, so no fixed password ships with the code (SEC-C5).
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from datetime import timedelta
from typing import Callable

from sqlalchemy import select

from artme_cop import zones
from artme_cop.conversations import service as conversations
from artme_cop.conversations.models import ConversationKind
from artme_cop.dialogue import service as dialogue
from artme_cop.program.calendar.models import ProgramSession
from artme_cop.identity import service as identity
from artme_cop.forum import service as forum
from artme_cop.knowledge import service as knowledge
from artme_cop.policy import Actor, SpaceScope
from artme_cop.program.calendar import service as calendar
from artme_cop.program.phases import catalog as phase_catalog
from artme_cop.program.phases import service as phases
from artme_cop.program.readiness import aggregates as readiness_items
from artme_cop.program.readiness import service as readiness
from artme_cop.program.coalition import service as coalition
from artme_cop.identity.models import Cohort, Institution, Role
from artme_cop.unit_of_work import UnitOfWork

ADMIN_EMAIL = "admin@artme-program.example.org"


@dataclass(frozen=True)
class DemoPerson:
    name: str
    pronouns: str
    email: str
    role: Role
    constituency: str
    title: str = ""


@dataclass(frozen=True)
class DemoSchool:
    name: str
    short_name: str
    cohort: str
    people: tuple[DemoPerson, ...]
    time_zone: str = "UTC"  # the school's, which its people chose on their account pages


SCHOOLS = (
    DemoSchool(
        "Riverside School of Medicine",
        "Riverside",
        "Riverside cohort 2026",
        (
            DemoPerson("Dr. Amara Okafor", "she/her", "amara.okafor@riverside.example.edu", Role.INSTITUTION_LEAD, "leadership", "Associate Dean for Equity"),
            DemoPerson("Dr. Tomás Reyes", "he/him", "tomas.reyes@riverside.example.edu", Role.COALITION_MEMBER, "faculty", "Professor of Family Medicine"),
            DemoPerson("Keisha Brown", "she/her", "keisha.brown@riverside.example.edu", Role.FACILITATOR, "staff", "Learning Designer"),
            DemoPerson("Jordan Lee", "they/them", "jordan.lee@riverside.example.edu", Role.FACILITATOR, "student", "MS3, student co-facilitator"),
            DemoPerson("Priya Natarajan", "she/her", "priya.natarajan@riverside.example.edu", Role.PARTICIPANT, "student", "MS2"),
            DemoPerson("Malik Johnson", "he/him", "malik.johnson@riverside.example.edu", Role.PARTICIPANT, "trainee", "PGY-2, Internal Medicine"),
            DemoPerson("Dr. Helen Park", "she/her", "helen.park@riverside.example.edu", Role.PARTICIPANT, "faculty", "Clerkship Director"),
        ),
        "America/Chicago",
    ),
    DemoSchool(
        "Northlake University College of Medicine",
        "Northlake",
        "Northlake cohort A",
        (
            DemoPerson("Dr. Samuel Osei", "he/him", "samuel.osei@northlake.example.edu", Role.INSTITUTION_LEAD, "leadership", "Vice Dean, Education"),
            DemoPerson("Rosa Delgado", "she/her", "rosa.delgado@northlake.example.edu", Role.COALITION_MEMBER, "staff", "Director, Student Affairs"),
            DemoPerson("Dr. Ibrahim Haddad", "he/him", "ibrahim.haddad@northlake.example.edu", Role.FACILITATOR, "faculty", "Associate Professor of Psychiatry"),
            DemoPerson("Aiyana Redcloud", "she/her", "aiyana.redcloud@northlake.example.edu", Role.PARTICIPANT, "student", "MS1"),
            DemoPerson("Chen Wei", "he/him", "chen.wei@northlake.example.edu", Role.PARTICIPANT, "student", "MS4"),
            DemoPerson("Dr. Grace Mensah", "she/her", "grace.mensah@northlake.example.edu", Role.PARTICIPANT, "faculty", "Assistant Professor of Pediatrics"),
        ),
        "America/Toronto",
    ),
    DemoSchool(
        "Prairie State Medical School",
        "Prairie State",
        "Prairie State cohort",
        (
            DemoPerson("Dr. Laura Whitfield", "she/her", "laura.whitfield@prairiestate.example.edu", Role.INSTITUTION_LEAD, "leadership", "Chief Diversity Officer"),
            DemoPerson("Marcus Bell", "he/him", "marcus.bell@prairiestate.example.edu", Role.COALITION_MEMBER, "staff", "Curriculum Manager"),
            DemoPerson("Dr. Nadia Rahman", "she/her", "nadia.rahman@prairiestate.example.edu", Role.FACILITATOR, "faculty", "Professor of Surgery"),
            DemoPerson("Elena Petrova", "she/her", "elena.petrova@prairiestate.example.edu", Role.PARTICIPANT, "trainee", "PGY-1, Emergency Medicine"),
            DemoPerson("DeShawn Carter", "he/him", "deshawn.carter@prairiestate.example.edu", Role.PARTICIPANT, "student", "MS2"),
        ),
        "America/Denver",
    ),
)
COACH = DemoPerson("Renée Fontaine", "she/her", "renee.fontaine@artme-program.example.org", Role.COACH, "staff", "Program coach")

Progress = Callable[[str], None]


def credentials_path(data_dir: Path) -> Path:
    return data_dir / "demo-credentials.txt"


def demo_password(data_dir: Path) -> str:
    path = credentials_path(data_dir)
    if path.exists():
        return path.read_text().strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    password = "demo-" + secrets.token_urlsafe(12)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(password + "\n")
    return password


OPENING_MESSAGES = (
    ("tomas.reyes@riverside.example.edu", "Welcome, everyone. This lounge is open to all eleven schools between sessions: questions for the consortium, things you tried, readings worth sharing."),
    ("rosa.delgado@northlake.example.edu", "Thank you. At Northlake we are preparing the first Chats for Change session. Has any school written a content note for the session on **structural racism in clinical algorithms**?"),
    ("marcus.bell@prairiestate.example.edu", "We drafted one last month. I will share it in the knowledge repository once our reviewers have looked at it."),
)


# (category slug, where, title, [(author email, body), ...]); "school" and "cohort" mean the
# first author's own school or cohort.
DEMO_THREADS = (
    ("introductions", "consortium", "Introduce yourself: who you are and what brings you here", (
        ("tomas.reyes@riverside.example.edu", "I teach family medicine at Riverside and sit on our guiding coalition. I am here to learn how other schools **move from awareness to action**."),
        ("aiyana.redcloud@northlake.example.edu", "MS1 at Northlake. I joined because I want our curriculum to stop treating race as a biological risk factor."),
        ("elena.petrova@prairiestate.example.edu", "PGY-1 in emergency medicine at Prairie State. Interested in how residents can speak up safely."),
    )),
    ("creating-a-climate-for-change", "consortium", "Grounding assumptions that worked in your first Chats for Change", (
        ("keisha.brown@riverside.example.edu", "We opened with three assumptions:\n\n1. We all carry bias, and we can all learn.\n2. Intent and impact both matter.\n3. Stories stay here; lessons leave.\n\nWhat did other schools use?"),
        ("ibrahim.haddad@northlake.example.edu", "We added *\"expect and accept non-closure\"*. It helped when a conversation about grading ended without an answer."),
    )),
    ("questions-for-the-consortium", "school", "Riverside only: preparing the clerkship grading review", (
        ("amara.okafor@riverside.example.edu", "This thread is visible to Riverside only. Please add what you have seen in clerkship evaluations before our coalition meets."),
    )),
    ("onboarding-and-assessment", "cohort", "Our cohort's readiness assessment: what surprised you?", (
        ("priya.natarajan@riverside.example.edu", "Only our cohort sees this. I was surprised how differently students and faculty rated *\"leadership commitment\"*."),
        ("helen.park@riverside.example.edu", "Same. I think we should talk about it at the next dialogue session."),
    )),
)


# (kind, title, audience, days from now, start hour UTC, hours, phase); "cohort:N" is the N-th
# demo school's cohort, "school:N" the whole school.
DEMO_SESSIONS = (
    ("phase_introduction", "Phase 1 introduction: welcome to ARTME", "all", 3, 16, 1.0, 1),
    ("dialogue_framing", "Dialogue and framing: what readiness means here", "cohort:0", 6, 17, 1.5, 1),
    ("coaching_outcome_mapping", "Coaching: boundary partners and outcome challenges", "cohort:1", 8, 15, 1.5, 1),
    ("chats_for_change", "Chats for Change: race and power in clerkship grading", "school:0", 10, 16, 1.0, 3),
    ("site_visit", "Site visit: Riverside clerkship sites", "school:0", 12, 14, 3.0, None),
    ("community_of_practice", "Community of practice: first conversations across schools", "all", 15, 17, 1.0, 1),
)
# Readiness answers of the Riverside cohort (score for every item, comment), by person.
DEMO_READINESS = (
    ("amara.okafor@riverside.example.edu", 4, "Leadership is ready; middle management less so."),
    ("tomas.reyes@riverside.example.edu", 4, ""),
    ("keisha.brown@riverside.example.edu", 3, "We need protected time for this work."),
    ("jordan.lee@riverside.example.edu", 3, ""),
    ("priya.natarajan@riverside.example.edu", 2, "Students doubt anything will change."),
    ("malik.johnson@riverside.example.edu", 3, ""),
)
# (school short name, sphere, description, co-lead emails): each school's guiding coalition
# starts with a sphere whose two co-leads are its lead and its coalition member.
DEMO_SPHERES = (
    ("Riverside", "Curriculum and assessment", "Clerkship grading, the pre-clinical curriculum and how race appears in it.", ("amara.okafor@riverside.example.edu", "tomas.reyes@riverside.example.edu")),
    ("Northlake", "Learning climate", "Student affairs, reporting routes and the climate of the wards.", ("samuel.osei@northlake.example.edu", "rosa.delgado@northlake.example.edu")),
)


# The knowledge repository: one resource through the whole cycle, shared with the program as
# "a partner school" and applied by another school; one waiting in assessment.
DEMO_RESOURCES = 2


def step_count() -> int:
    return 1 + sum(2 + len(school.people) for school in SCHOOLS) + 1 + len(SCHOOLS) + len(DEMO_THREADS) + 4 + len(DEMO_SPHERES) + DEMO_RESOURCES + 1


async def load_demo(uow: UnitOfWork, password: str, progress: Progress) -> bool:
    """Create the demo consortium; False (and nothing changed) when it is there already."""
    existing = await uow.session.execute(select(Institution.id).where(Institution.name == SCHOOLS[0].name))
    if existing.first() is not None:
        return False
    total = step_count()
    done = 0

    def tick(message: str) -> None:
        nonlocal done
        done += 1
        progress(f"[{done}/{total}] {message}")

    await identity.create_admin(uow, email=ADMIN_EMAIL, display_name="Program Admin", password=password)
    tick(f"program admin {ADMIN_EMAIL}")
    cohorts: list[Cohort] = []
    for school in SCHOOLS:
        institution = await identity.create_institution(uow, None, name=school.name, short_name=school.short_name)
        tick(f"institution {school.name}")
        cohort = await identity.create_cohort(uow, None, institution_id=institution.id, name=school.cohort, wave=1)
        cohorts.append(cohort)
        tick(f"cohort {school.cohort}")
        for person in school.people:
            await _add_person(uow, person, institution.id, cohort.id, password, school.time_zone)
            tick(f"{person.name} ({person.role.value}, {person.constituency})")
    await _open_lounges(uow, cohorts)
    tick("consortium lounge and cohort lounges with opening messages")
    first = SCHOOLS[0]
    coach_home = (await uow.session.execute(select(Institution.id).where(Institution.name == first.name))).scalar_one()
    for index, cohort in enumerate(cohorts):
        if index == 0:
            await _add_person(uow, COACH, coach_home, cohort.id, password)
        else:
            coach = await identity.queries.get_person_by_email(uow.session, COACH.email)
            assert coach is not None
            identity._apply_grant(uow, coach.id, Role.COACH, cohort.institution_id, cohort.id, granted_by=None)
        tick(f"coach {COACH.name} assigned to {cohort.name}")
    for index, (category, where, title, posts) in enumerate(DEMO_THREADS):
        await _start_demo_thread(uow, index, category, where, title, posts)
        tick(f"forum thread “{title}”")
    await _program_phases(uow, cohorts)
    tick("wave 1 schedule, phases and exit checklists")
    await _program_sessions(uow, cohorts)
    tick(f"{len(DEMO_SESSIONS)} calendar sessions")
    await _chats_for_change(uow, cohorts[0])
    tick("a Chats for Change session at Riverside, co-facilitated by Keisha Brown and Jordan Lee")
    await _program_readiness(uow, cohorts)
    tick("readiness surveys: Riverside's answered and closed, Northlake's open")
    for short_name, name, description, co_leads in DEMO_SPHERES:
        await _open_demo_sphere(uow, short_name, name, description, co_leads)
        tick(f"coalition sphere “{name}” at {short_name}")
    await _knowledge_shared_and_applied(uow)
    tick("knowledge resource “Bystander intervention pocket card”: assessed, shared with the program as a partner school's, applied")
    await _knowledge_in_assessment(uow)
    tick("knowledge resource “What our first Chats for Change taught us”: in assessment")
    await _demo_lab(uow)
    tick("team learning lab at Riverside: a team, its channels, a lab session, a commitment")
    return True


async def _knowledge_shared_and_applied(uow: UnitOfWork) -> None:
    author = await _demo_actor(uow, "tomas.reyes@riverside.example.edu")
    coach, safety = await _demo_actor(uow, COACH.email), await _demo_actor(uow, "keisha.brown@riverside.example.edu")
    content = knowledge.clean_content(
        type="tool", title="Bystander intervention pocket card", summary="A one-page card with the four Ds of bystander intervention, for clerkship students and residents.",
        body="## The four Ds\n\n1. **Direct**: name what happened, calmly.\n2. **Distract**: interrupt the moment.\n3. **Delegate**: bring in someone with authority.\n4. **Delay**: check in with the person harmed afterwards.\n\nPrint it double-sided; the back lists the reporting routes.",
        change_target="Students and residents act when they witness racism on the wards", priority="high", tags="bystander, clerkship, learning climate", phases=["3", "4"],
    )
    resource = await knowledge.create_resource(uow, author, content)
    await knowledge.transition(uow, author, resource.public_id, knowledge.clean_move(move="submit", reason="", content_reviewer=str(coach.person_id), safety_reviewer=str(safety.person_id)))
    for reviewer, role in ((coach, "content"), (safety, "safety")):
        await knowledge.decide_review(uow, reviewer, resource.public_id, role=role, decision="accept", comments="")
    await knowledge.contextualize(
        uow, author, resource.public_id, conditions="Introduced in a 20-minute grounding session with every clerkship director first.",
        when_not_to_use="Not as a replacement for incident reporting, and not without a named person students can go to.", contact=str(author.person_id),
    )
    await knowledge.transition(uow, author, resource.public_id, knowledge.clean_move(move="share_institution", reason=""))
    lead = await _demo_actor(uow, SCHOOLS[0].people[0].email)
    await knowledge.transition(uow, lead, resource.public_id, knowledge.clean_move(move="propose_program", reason="Useful to every school.", attribution="partner"))
    await knowledge.transition(uow, await _demo_actor(uow, ADMIN_EMAIL), resource.public_id, knowledge.clean_move(move="publish_program", reason=""))
    await knowledge.report_use(
        uow, await _demo_actor(uow, "grace.mensah@northlake.example.edu"), resource.public_id, kind="applied", where="Pediatrics clerkship",
        applied_on=uow.clock.now().date().isoformat(), what_happened="Handed out at orientation; two students used it in the first week.", evidence="Orientation feedback",
    )


async def _knowledge_in_assessment(uow: UnitOfWork) -> None:
    author = await _demo_actor(uow, "rosa.delgado@northlake.example.edu")
    content = knowledge.clean_content(
        type="lesson_learned", title="What our first Chats for Change taught us", summary="Three lessons from running our first two dialogue sessions.",
        body="1. Send the pre-reading a week ahead.\n2. Affinity rooms need a minimum size.\n3. Plan the report-back before the breakouts.", change_target="", priority="medium",
        tags="dialogue, facilitation", phases=["3"],
    )
    resource = await knowledge.create_resource(uow, author, content)
    facilitator = await _demo_actor(uow, "ibrahim.haddad@northlake.example.edu")
    coach = await _demo_actor(uow, COACH.email)
    await knowledge.transition(uow, author, resource.public_id, knowledge.clean_move(move="submit", reason="", content_reviewer=str(coach.person_id), safety_reviewer=str(facilitator.person_id)))


async def _demo_lab(uow: UnitOfWork) -> None:
    """Riverside's clerkship team with a general and a topic channel (a thread, a pin), a lab
    session with its readiness questions, a commitment and a success report."""
    from artme_cop.labs import progress as lab_progress
    from artme_cop.labs import service as labs
    from artme_cop.labs import sessions as lab_sessions

    people = {email.split("@")[0]: (await _demo_actor(uow, email)).person_id for email in (
        "amara.okafor@riverside.example.edu", "helen.park@riverside.example.edu", "priya.natarajan@riverside.example.edu",
        "malik.johnson@riverside.example.edu", "keisha.brown@riverside.example.edu",
    )}
    lead = await _demo_actor(uow, "amara.okafor@riverside.example.edu")
    roster = labs.Roster(frozenset({people["helen.park"], people["priya.natarajan"], people["malik.johnson"]}), frozenset({people["helen.park"]}), people["keisha.brown"])
    team = await labs.register_team(
        uow, lead, institution_id=lead.institution_id, name="Medicine clerkship team", unit="Internal Medicine clerkship",
        purpose="Make feedback and handover on the wards fair for every student and patient.", roster=roster,
    )
    helen = await _demo_actor(uow, "helen.park@riverside.example.edu")  # reloaded: now a channel member
    await labs.open_channel(uow, helen, team.id, name="handover")
    [general, _topic] = await labs.channel_list(uow, helen, team)
    priya = await _demo_actor(uow, "priya.natarajan@riverside.example.edu")
    first = await labs.post(uow, priya, general[0].id, body="Welcome to our lab space! Pre-work for the first session is up.", client_msg_id="demo-lab-1")
    await labs.post(uow, helen, general[0].id, body="Thanks Priya. Let us collect handover examples here.", client_msg_id="demo-lab-2", reply_to=first.seq)
    await labs.set_pin(uow, helen, general[0].id, first.seq, pinned=True)
    keisha = await _demo_actor(uow, "keisha.brown@riverside.example.edu")
    session = await lab_sessions.create_session(
        uow, keisha, title="From awareness to action on bias", concept="From awareness to action on bias",
        prework="Read the clerkship grading case study before the session.", exercise="Redesign how the team gives mid-rotation feedback.", team_ids=[str(team.id)],
    )
    await lab_sessions.add_question(uow, keisha, session.id, prompt="Which step turns awareness of bias into action?", options="Noticing it\nNaming it and planning a response\nFeeling bad about it", correct="2")
    await lab_sessions.add_question(uow, keisha, session.id, prompt="A bystander's first move is usually to…", options="Wait and see\nInterrupt or redirect\nReport later only", correct="2")
    await lab_progress.add_commitment(
        uow, helen, team.id, concept="Bystander intervention", job_function="Clerkship director", action="Name biased language in feedback meetings when it happens.",
        owner=str(people["helen.park"]), check_on=(uow.clock.now().date() + timedelta(days=30)).isoformat(),
    )
    await lab_progress.add_success_report(uow, priya, team.id, what_changed="Mid-rotation feedback now follows a shared rubric.", evidence="All six students this block got rubric-based feedback.", reported_on="")


async def _program_phases(uow: UnitOfWork, cohorts: list[Cohort]) -> None:
    """Wave 1's schedule from this month on; Riverside through phase 1, Northlake under way."""
    admin = await _demo_actor(uow, ADMIN_EMAIL)
    coach = await _demo_actor(uow, COACH.email)
    start = uow.clock.now().date().replace(day=1)
    for number in range(1, 7):
        begins = start + timedelta(days=120 * (number - 1))
        await phases.schedule_phase(uow, admin, wave=1, phase=number, starts_on=begins.isoformat(), ends_on=(begins + timedelta(days=119)).isoformat())
    riverside, northlake = cohorts[0], cohorts[1]
    for item in phase_catalog.PHASES[0].checklist:
        await phases.set_checklist_item(uow, coach, riverside.id, phase=1, item=item.key, done=True)
    await phases.move_to_phase(uow, coach, riverside.id, phase=2)
    for item in phase_catalog.PHASES[0].checklist[:2]:
        await phases.set_checklist_item(uow, coach, northlake.id, phase=1, item=item.key, done=True)


async def _program_sessions(uow: UnitOfWork, cohorts: list[Cohort]) -> None:
    admin = await _demo_actor(uow, ADMIN_EMAIL)
    coach = await _demo_actor(uow, COACH.email)
    lead = await _demo_actor(uow, SCHOOLS[0].people[0].email)
    for kind, title, audience, days, hour, hours, phase in DEMO_SESSIONS:
        day = (uow.clock.now() + timedelta(days=days)).date().isoformat()
        end_minutes = hour * 60 + int(hours * 60)
        who, invited, cohort_ids = admin, "all", []
        if audience.startswith("cohort:"):
            who, invited, cohort_ids = coach, "cohorts", [str(cohorts[int(audience[7:])].id)]
        elif audience.startswith("school:"):
            who, invited = lead, f"institution:{cohorts[int(audience[7:])].institution_id}"
        fields = calendar.clean_session(
            kind=kind, title=title, description="", phase=str(phase or ""), day=day, start=f"{hour:02d}:00", end=f"{end_minutes // 60 % 24:02d}:{end_minutes % 60:02d}",
            zone="UTC", place="" if invited != "cohorts" else "Online", link="https://meet.example.org/artme" if invited != "cohorts" else "",
            audience=invited, cohort_ids=cohort_ids,
        )
        await calendar.schedule_session(uow, who, fields)


async def _chats_for_change(uow: UnitOfWork, cohort: Cohort) -> None:
    """Riverside's Chats for Change room, linked to its calendar entry, in the lobby."""
    keisha = await _demo_actor(uow, "keisha.brown@riverside.example.edu")
    jordan = await _demo_actor(uow, "jordan.lee@riverside.example.edu")
    entry = (await uow.session.execute(select(ProgramSession).where(ProgramSession.kind == "chats_for_change"))).scalars().first()
    assert entry is not None
    form = dialogue.Scheduled(
        title=entry.title, cohort_ids=[cohort.id], facilitator_ids=[keisha.person_id, jordan.person_id],
        # the form takes wall-clock times in the scheduler's zone, as a person would type them
        starts_at=zones.local(entry.starts_at, keisha.time_zone).strftime("%Y-%m-%dT%H:%M"),
        ends_at=zones.local(entry.ends_at, keisha.time_zone).strftime("%Y-%m-%dT%H:%M"),
        topic="How race and power shape clerkship grading.", content_note="We will discuss racial bias in assessment, including examples from the wards.",
        pre_reading="A short summary of the school's grading data by group (shared in advance).",
        frame="Structural racism works through ordinary processes, such as how narrative comments are written.",
        definition="Structural racism: the ways institutions produce racially unequal outcomes without any one person intending them.",
        guiding_questions="Where does bias enter a clerkship grade?\nWhat would make it safe to speak up about a grade?\nWhat is one change within our reach this term?",
        agreement_text=(
            "We assume good intent and attend to impact. Brave space: we speak from our own experience.\n"
            "Chatham House rule. No recording, screenshots or note-taking bots. No patient identifiers.\n"
            "Limits of confidentiality: facilitators must act on a risk of imminent harm and on legally required reports."
        ),
        identity_mode="pseudonymous", calendar_session_id=str(entry.id),
    )
    await dialogue.schedule_session(uow, keisha, form)


async def _program_readiness(uow: UnitOfWork, cohorts: list[Cohort]) -> None:
    coach = await _demo_actor(uow, COACH.email)
    survey = await readiness.open_survey(uow, coach, cohort_id=cohorts[0].id, title="Readiness for change, phase 1")
    for email, score, comment in DEMO_READINESS:
        answers = {item.key: str(score) for item in readiness_items.ITEMS}
        await readiness.answer_survey(uow, await _demo_actor(uow, email), survey.id, scores=answers, comment=comment)
    await readiness.close_survey(uow, coach, survey.id)
    await readiness.open_survey(uow, coach, cohort_id=cohorts[1].id, title="Readiness for change, phase 1")


async def _open_demo_sphere(uow: UnitOfWork, short_name: str, name: str, description: str, co_leads: tuple[str, str]) -> None:
    lead = await _demo_actor(uow, co_leads[0])
    ids = [str((await _demo_actor(uow, email)).person_id) for email in co_leads]
    assert lead.institution_id is not None
    start = uow.clock.now().date()
    await coalition.create_sphere(
        uow, lead, lead.institution_id, name=name, description=description, co_leads=list(ids),
        term_starts_on=start.isoformat(), term_ends_on=(start + timedelta(days=365)).isoformat(),
    )


async def _demo_actor(uow: UnitOfWork, email: str) -> Actor:
    person = await identity.queries.get_person_by_email(uow.session, email)
    assert person is not None
    actor = await identity.load_actor(uow, person.id, person.session_epoch)
    assert actor is not None
    return actor


async def _start_demo_thread(uow: UnitOfWork, index: int, category: str, where: str, title: str, posts: tuple[tuple[str, str], ...]) -> None:
    (first_email, first_body), *replies = posts
    author = await _demo_actor(uow, first_email)
    place = {"consortium": "consortium", "school": f"institution:{author.institution_id}", "cohort": f"cohort:{min(author.cohort_ids)}"}[where]
    thread = await forum.start_thread(uow, author, category=category, where=place, title=title, body=first_body, client_msg_id=f"demo-thread-{index}")
    for number, (email, body) in enumerate(replies):
        await forum.reply(uow, await _demo_actor(uow, email), thread.id, body=body, client_msg_id=f"demo-thread-{index}-{number}")


async def _open_lounges(uow: UnitOfWork, cohorts: list[Cohort]) -> None:
    """A consortium-wide lounge with a first exchange, and a private lounge per cohort."""
    lounge = await conversations.open_conversation(uow, kind=ConversationKind.LOUNGE, scope=SpaceScope.CONSORTIUM, title="Consortium lounge")
    for index, (email, body) in enumerate(OPENING_MESSAGES):
        await conversations.post_message(uow, await _demo_actor(uow, email), lounge.id, body=body, client_msg_id=f"demo-opening-{index}")
    for cohort in cohorts:
        await conversations.open_conversation(
            uow, kind=ConversationKind.LOUNGE, scope=SpaceScope.COHORT, title=f"{cohort.name} lounge", institution_id=cohort.institution_id, cohort_id=cohort.id
        )


async def _add_person(uow: UnitOfWork, person: DemoPerson, institution_id: int, cohort_id: int, password: str, time_zone: str = "UTC") -> None:
    _, link = await identity.invite(
        uow, None, email=person.email, institution_id=institution_id, cohort_id=cohort_id, role=person.role.value, constituency=person.constituency
    )
    token = link.rsplit("/", 1)[1]
    created = await identity.accept_invitation(uow, token, display_name=person.name, pronouns=person.pronouns, password=password)
    created.title = person.title
    created.time_zone = time_zone
    created.last_sign_in_at = None
    if person.role is not Role.PARTICIPANT and person.role in identity.COHORT_ROLES:
        return
    if person.role is not Role.PARTICIPANT:
        # Leads and coalition members are cohort members too, so they also take part.
        identity._apply_grant(uow, created.id, Role.PARTICIPANT, institution_id, cohort_id, granted_by=None)


def sign_in_lines(base_url: str, password: str) -> list[str]:
    lines = [f"Demo sign-ins at {base_url}/login (every demo account uses the password {password}):"]
    lines.append(f"  program admin      {ADMIN_EMAIL}")
    for school in SCHOOLS:
        for person in school.people:
            lines.append(f"  {person.role.value:<18} {person.email}  ({school.short_name}, {person.constituency})")
    lines.append(f"  coach              {COACH.email}")
    return lines
