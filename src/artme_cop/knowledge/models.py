"""Tables of the knowledge repository (issue #7): resources with their working copy and
context, the people involved, tags and phases, every submitted version, the history of
transitions, the reviews of each version, and "we applied this" reports and value stories.

Nothing is deleted: versions, transitions and reports are only ever added.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from artme_cop.db import Base, UTCDateTime


class ResourceType(StrEnum):
    FACILITATION_PLAN = "facilitation_plan"
    TOOL = "tool"
    HARVEST_DIGEST = "harvest_digest"
    LESSON_LEARNED = "lesson_learned"
    SHORT_TERM_WIN = "short_term_win"
    CASE_STUDY = "case_study"
    EXTERNAL_LINK = "external_link"
    COURSE_MATERIAL = "course_material"


class Priority(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


class Attribution(StrEnum):
    NAMED = "named"
    PARTNER = "partner"


class PersonRole(StrEnum):
    AUTHOR = "author"
    STEWARD = "steward"


class ReviewRole(StrEnum):
    CONTENT = "content"
    SAFETY = "safety"


class Decision(StrEnum):
    PENDING = "pending"
    ACCEPT = "accept"
    REVISE = "revise"
    DECLINE = "decline"


class ReportKind(StrEnum):
    APPLIED = "applied"
    VALUE_STORY = "value_story"


class Resource(Base):
    __tablename__ = "knowledge_resources"
    __table_args__ = (
        CheckConstraint("scope IN ('private', 'institution', 'program')", name="scope_known"),
        CheckConstraint("attribution IS NULL OR attribution IN ('named', 'partner')", name="attribution_known"),
        # Browse: the readable resources, newest change first.
        Index("ix_knowledge_resources_scope_updated_at", "scope", "updated_at"),
        # The review-due job: shared resources whose review date has come.
        Index("ix_knowledge_resources_state_review_due_on", "state", "review_due_on"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Random, for addresses: a sequential id would line a partner school's items up with its
    # other activity (SEC-A7).
    public_id: Mapped[str] = mapped_column(String(32), unique=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("institutions.id"), index=True)
    type: Mapped[str] = mapped_column(String(30))
    # The working copy: what authors edit; a version is a snapshot of it at submission.
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(String(1000))
    body: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    change_target: Mapped[str] = mapped_column(String(300))
    priority: Mapped[str] = mapped_column(String(10))
    state: Mapped[str] = mapped_column(String(30))
    scope: Mapped[str] = mapped_column(String(20))
    attribution: Mapped[str | None] = mapped_column(String(20))
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Contextualization: what made it work here and how it would translate elsewhere.
    conditions: Mapped[str] = mapped_column(Text, default="")
    when_not_to_use: Mapped[str] = mapped_column(Text, default="")
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    review_due_on: Mapped[date | None] = mapped_column(Date)
    # The live discussion (a conversation of kind `resource`), opened when first shared; its
    # space follows the resource's reach.
    conversation_id: Mapped[int | None] = mapped_column(ForeignKey("conversations.id"))
    # Lineage: the resource (and its version) another school adapted this one from.
    adapted_from_id: Mapped[int | None] = mapped_column(ForeignKey("knowledge_resources.id"), index=True)
    adapted_from_version: Mapped[int | None] = mapped_column(Integer)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ResourcePerson(Base):
    """An author or steward of a resource (a person may be both)."""

    __tablename__ = "knowledge_people"

    resource_id: Mapped[int] = mapped_column(ForeignKey("knowledge_resources.id"), primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), primary_key=True, index=True)
    role: Mapped[str] = mapped_column(String(20), primary_key=True)


class ResourceTag(Base):
    __tablename__ = "knowledge_tags"

    resource_id: Mapped[int] = mapped_column(ForeignKey("knowledge_resources.id"), primary_key=True)
    # The tag facet: resources with a tag.
    tag: Mapped[str] = mapped_column(String(40), primary_key=True, index=True)


class ResourcePhase(Base):
    __tablename__ = "knowledge_phases"

    resource_id: Mapped[int] = mapped_column(ForeignKey("knowledge_resources.id"), primary_key=True)
    phase: Mapped[int] = mapped_column(Integer, primary_key=True, index=True)


class ResourceVersion(Base):
    """The text of a resource as it was submitted; kept for ever, readable by those who may
    read the widest scope it reached."""

    __tablename__ = "knowledge_versions"
    __table_args__ = (UniqueConstraint("resource_id", "number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    resource_id: Mapped[int] = mapped_column(ForeignKey("knowledge_resources.id"))
    number: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(String(1000))
    body: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # 'private' until the version is shared; then the widest scope it was shared at.
    scope: Mapped[str] = mapped_column(String(20), default="private")


class Transition(Base):
    """One recorded move of the cycle: who (None for the scheduled job), when, why, from, to."""

    __tablename__ = "knowledge_transitions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # A resource's history, oldest first.
    resource_id: Mapped[int] = mapped_column(ForeignKey("knowledge_resources.id"), index=True)
    move: Mapped[str] = mapped_column(String(30))
    from_state: Mapped[str] = mapped_column(String(30))
    to_state: Mapped[str] = mapped_column(String(30))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    reason: Mapped[str] = mapped_column(String(1000))
    version_number: Mapped[int | None] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(UTCDateTime())


class Review(Base):
    """A content or safety review of one version, within a time box."""

    __tablename__ = "knowledge_reviews"
    __table_args__ = (
        UniqueConstraint("version_id", "role"),
        # The reminder job: pending reviews by due time.
        Index("ix_knowledge_reviews_decision_due_at", "decision", "due_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    resource_id: Mapped[int] = mapped_column(ForeignKey("knowledge_resources.id"), index=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("knowledge_versions.id"))
    role: Mapped[str] = mapped_column(String(20))
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    decision: Mapped[str] = mapped_column(String(20), default=Decision.PENDING.value)
    comments: Mapped[str] = mapped_column(Text, default="")
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class AppliedReport(Base):
    """"We applied this" (where, when, what happened, evidence), or a value story."""

    __tablename__ = "knowledge_reports"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    resource_id: Mapped[int] = mapped_column(ForeignKey("knowledge_resources.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    institution_id: Mapped[int] = mapped_column(ForeignKey("institutions.id"))
    where: Mapped[str] = mapped_column(String(200))
    applied_on: Mapped[date] = mapped_column(Date)
    what_happened: Mapped[str] = mapped_column(Text)
    evidence: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
