"""The attachment table: one stored file, what it belongs to (a message of a conversation, or a
knowledge resource), and its safe name."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from artme_cop.db import Base, UTCDateTime


class Attachment(Base):
    __tablename__ = "attachments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # 128 random bits in the download URL (SEC-A7); the read check is still the control.
    public_id: Mapped[str] = mapped_column(String(32), unique=True)
    # Exactly one owner: a message (conversation and, once posted, seq) or a resource.
    conversation_id: Mapped[int | None] = mapped_column(ForeignKey("conversations.id"), index=True)
    seq: Mapped[int | None] = mapped_column(Integer)
    resource_id: Mapped[int | None] = mapped_column(ForeignKey("knowledge_resources.id"), index=True)
    # serves: what a person's files take together (the upload quota)
    uploader_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    # A random name under the data directory; never built from anything the user sent.
    storage_name: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
