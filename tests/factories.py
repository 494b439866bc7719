"""The fixed cast of the test suite: the two-institution world of SECURITY.md section A.

Institution A (cohorts A1, A2) and institution B (cohort B1); a program admin, a coach of
A1, a facilitator of A1, A's lead, a coalition member of A, a student and a faculty member
of A1, a participant of A2, B's lead and a participant of B1. Rows are inserted directly
with one password hash computed once per run, so seeding costs milliseconds.

That hash is a real Argon2id hash with the smallest cost parameters: verification reads the
parameters from the hash itself, so every sign-in of the suite goes through the production
verifier but costs microseconds instead of the 0.1 s a production-strength hash costs (the
suite signs in thousands of times). New passwords chosen through the app are hashed at full
strength, which tests/unit/test_passwords.py checks.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from argon2 import PasswordHasher

from artme_cop.identity.models import Cohort, CohortMembership, Institution, Person, Role, RoleAssignment
from artme_cop.unit_of_work import UnitOfWork
from tests.support import PASSWORD


@lru_cache(maxsize=1)
def password_hash() -> str:
    return PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash(PASSWORD)


@dataclass
class World:
    institution_a: Institution
    institution_b: Institution
    cohort_a1: Cohort
    cohort_a2: Cohort
    cohort_b1: Cohort
    admin: Person
    coach: Person
    facilitator_a: Person
    lead_a: Person
    coalition_a: Person
    student_a: Person
    faculty_a: Person
    participant_a2: Person
    lead_b: Person
    participant_b: Person


async def make_person(
    uow: UnitOfWork,
    email: str,
    name: str,
    *,
    institution: Institution | None,
    cohort: Cohort | None = None,
    constituency: str = "staff",
    roles: tuple[tuple[Role, Cohort | None], ...] = (),
) -> Person:
    now = uow.clock.now()
    person = Person(
        email=email,
        display_name=name,
        pronouns="they/them",
        title="",
        password_hash=password_hash(),
        institution_id=institution.id if institution else None,
        session_epoch=0,
        is_deleted=False,
        created_at=now,
    )
    uow.session.add(person)
    await uow.flush()
    if cohort is not None:
        uow.session.add(CohortMembership(person_id=person.id, cohort_id=cohort.id, constituency=constituency, joined_at=now))
    for role, role_cohort in roles:
        uow.session.add(
            RoleAssignment(
                person_id=person.id,
                role=role.value,
                institution_id=None if role is Role.PROGRAM_ADMIN else (institution.id if institution else None),
                cohort_id=role_cohort.id if role_cohort else None,
                granted_at=now,
            )
        )
    await uow.flush()
    return person


async def seed_world(uow: UnitOfWork) -> World:
    now = uow.clock.now()
    institution_a = Institution(name="Alder School of Medicine", short_name="Alder", created_at=now)
    institution_b = Institution(name="Birch College of Medicine", short_name="Birch", created_at=now)
    uow.session.add_all([institution_a, institution_b])
    await uow.flush()
    cohort_a1 = Cohort(institution_id=institution_a.id, name="Alder cohort 1", wave=1, created_at=now)
    cohort_a2 = Cohort(institution_id=institution_a.id, name="Alder cohort 2", wave=2, created_at=now)
    cohort_b1 = Cohort(institution_id=institution_b.id, name="Birch cohort 1", wave=1, created_at=now)
    uow.session.add_all([cohort_a1, cohort_a2, cohort_b1])
    await uow.flush()
    a, b = institution_a, institution_b
    return World(
        institution_a=a,
        institution_b=b,
        cohort_a1=cohort_a1,
        cohort_a2=cohort_a2,
        cohort_b1=cohort_b1,
        admin=await make_person(uow, "admin@program.example.org", "Pat Admin", institution=None, roles=((Role.PROGRAM_ADMIN, None),)),
        coach=await make_person(uow, "coach@program.example.org", "Casey Coach", institution=a, roles=((Role.COACH, cohort_a1),)),
        facilitator_a=await make_person(uow, "fac@alder.example.edu", "Frankie Facilitator", institution=a, cohort=cohort_a1, roles=((Role.FACILITATOR, cohort_a1),)),
        lead_a=await make_person(uow, "lead@alder.example.edu", "Lee Lead", institution=a, cohort=cohort_a1, constituency="leadership", roles=((Role.INSTITUTION_LEAD, None), (Role.PARTICIPANT, cohort_a1))),
        coalition_a=await make_person(uow, "coalition@alder.example.edu", "Cam Coalition", institution=a, cohort=cohort_a1, constituency="faculty", roles=((Role.COALITION_MEMBER, None), (Role.PARTICIPANT, cohort_a1))),
        student_a=await make_person(uow, "student@alder.example.edu", "Sam Student", institution=a, cohort=cohort_a1, constituency="student", roles=((Role.PARTICIPANT, cohort_a1),)),
        faculty_a=await make_person(uow, "faculty@alder.example.edu", "Fran Faculty", institution=a, cohort=cohort_a1, constituency="faculty", roles=((Role.PARTICIPANT, cohort_a1),)),
        participant_a2=await make_person(uow, "a2@alder.example.edu", "Alex A2", institution=a, cohort=cohort_a2, constituency="staff", roles=((Role.PARTICIPANT, cohort_a2),)),
        lead_b=await make_person(uow, "lead@birch.example.edu", "Bo Lead", institution=b, cohort=cohort_b1, constituency="leadership", roles=((Role.INSTITUTION_LEAD, None), (Role.PARTICIPANT, cohort_b1))),
        participant_b=await make_person(uow, "participant@birch.example.edu", "Blair Participant", institution=b, cohort=cohort_b1, constituency="student", roles=((Role.PARTICIPANT, cohort_b1),)),
    )
