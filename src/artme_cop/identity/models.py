"""Tables of the identity package: institutions, cohorts, people, memberships, roles,
invitations and password resets. No behaviour here beyond the enums of allowed values."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from artme_cop.db import Base, UTCDateTime


class Constituency(StrEnum):
    STUDENT = "student"
    TRAINEE = "trainee"
    STAFF = "staff"
    FACULTY = "faculty"
    LEADERSHIP = "leadership"


class Role(StrEnum):
    PARTICIPANT = "participant"
    COALITION_MEMBER = "coalition_member"
    FACILITATOR = "facilitator"
    COACH = "coach"
    INSTITUTION_LEAD = "institution_lead"
    PROGRAM_ADMIN = "program_admin"


ROLE_LABELS = {
    Role.PARTICIPANT: "Participant",
    Role.COALITION_MEMBER: "Coalition member",
    Role.FACILITATOR: "Facilitator",
    Role.COACH: "Coach",
    Role.INSTITUTION_LEAD: "Institution lead",
    Role.PROGRAM_ADMIN: "Program admin",
}


class Institution(Base):
    __tablename__ = "institutions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    short_name: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Cohort(Base):
    __tablename__ = "cohorts"
    __table_args__ = (UniqueConstraint("institution_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("institutions.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    wave: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Person(Base):
    __tablename__ = "people"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Lower-cased and NFKC-normalised so that the same address in another case is one account.
    email: Mapped[str] = mapped_column(String(254), unique=True)
    display_name: Mapped[str] = mapped_column(String(100))
    pronouns: Mapped[str] = mapped_column(String(40), default="")
    title: Mapped[str] = mapped_column(String(120), default="")
    # Where pages show times and forms read them (artme_cop.zones); stored times stay UTC.
    time_zone: Mapped[str] = mapped_column(String(64), default="UTC", server_default="UTC")
    password_hash: Mapped[str] = mapped_column(String(255))
    institution_id: Mapped[int | None] = mapped_column(ForeignKey("institutions.id"), index=True)
    # Bumped on sign-out, password change or reset, and deletion: older cookies stop working.
    # (Role changes need no bump: the actor is reloaded from the database on every request.)
    session_epoch: Mapped[int] = mapped_column(Integer, default=0)
    is_deleted: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_sign_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class CohortMembership(Base):
    __tablename__ = "cohort_memberships"

    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohorts.id"), primary_key=True, index=True)
    constituency: Mapped[str] = mapped_column(String(20))
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime())


class RoleAssignment(Base):
    """A role held at a scope: a cohort, an institution, or (program admin) the whole program."""

    __tablename__ = "role_assignments"
    __table_args__ = (
        UniqueConstraint("person_id", "role", "institution_id", "cohort_id"),
        CheckConstraint(
            "(role = 'program_admin' AND institution_id IS NULL AND cohort_id IS NULL)"
            " OR (role <> 'program_admin' AND institution_id IS NOT NULL)",
            name="scope_matches_role",
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    role: Mapped[str] = mapped_column(String(30))
    institution_id: Mapped[int | None] = mapped_column(ForeignKey("institutions.id"))
    cohort_id: Mapped[int | None] = mapped_column(ForeignKey("cohorts.id"))
    granted_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Invitation(Base):
    __tablename__ = "invitations"
    __table_args__ = (Index("ix_invitations_institution_created", "institution_id", "created_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Random, never sequential: the signed link carries this, not the row id (SEC-A7).
    public_id: Mapped[str] = mapped_column(String(64), unique=True)
    email: Mapped[str] = mapped_column(String(254))
    institution_id: Mapped[int] = mapped_column(ForeignKey("institutions.id"))
    cohort_id: Mapped[int | None] = mapped_column(ForeignKey("cohorts.id"))
    role: Mapped[str] = mapped_column(String(30))
    constituency: Mapped[str] = mapped_column(String(20))
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    accepted_person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))


class PasswordReset(Base):
    __tablename__ = "password_resets"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Only a hash of the emailed token is stored, so a database leak yields no working link.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class TwoStepSecret(Base):
    """A person's authenticator-app secret (TOTP, RFC 6238) for two-step sign-in (SEC-C7).
    Until `confirmed_at` it is a setup in progress and asks nothing at sign-in."""

    __tablename__ = "two_step_secrets"

    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), primary_key=True)
    secret: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The newest 30-second step whose code was accepted: no code works twice.
    last_step: Mapped[int] = mapped_column(Integer, default=0)


class RecoveryCode(Base):
    """A single-use code that stands in for the authenticator app; only its SHA-256 is kept."""

    __tablename__ = "two_step_recovery_codes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
