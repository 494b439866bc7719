"""Tables of the readiness assessment: surveys, anonymous answers, and who has answered.

The two halves never meet (see #8 and DOMAIN.md "fully anonymous"):
- `program_readiness_responses` holds answers with the respondent's constituency only: no
  person, no time, a random id that is drawn afresh whenever the survey's answers are
  rewritten, and (on SQLite) no rowid that would keep the insertion order;
- `program_readiness_answered` says that a person answered a survey, with no time either,
  so that nobody answers twice.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from artme_cop.db import Base, UTCDateTime


class Survey(Base):
    __tablename__ = "program_readiness_surveys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohorts.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Response(Base):
    __tablename__ = "program_readiness_responses"
    __table_args__ = {"sqlite_with_rowid": False}

    # 128 random bits, redrawn at every rewrite: neither the order nor the id links an answer
    # to the row in `program_readiness_answered` written in the same transaction.
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("program_readiness_surveys.id"), index=True)
    constituency: Mapped[str] = mapped_column(String(20))
    # The item scores (1-5) in the catalogue's order, comma-separated.
    scores: Mapped[str] = mapped_column(String(100))
    comment: Mapped[str] = mapped_column(Text, default="")


class Answered(Base):
    __tablename__ = "program_readiness_answered"
    __table_args__ = {"sqlite_with_rowid": False}

    survey_id: Mapped[int] = mapped_column(ForeignKey("program_readiness_surveys.id"), primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), primary_key=True)
