"""Intents of attachments: check and keep an uploaded file for a message of a conversation,
and open one for a reader.

Who may attach is who may post in the conversation; who may download is who may read it,
checked on every request, and a deleted or hidden message takes its file with it (SEC-H4).
Files go under `<data dir>/attachments/` with random names (SEC-H3); identical uploads are
stored twice (SEC-H9). What a person's files take together is capped by
`ARTME_UPLOAD_QUOTA_BYTES` (SEC-H1).
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import delete, func, select, tuple_

from artme_cop import policy
from artme_cop.attachments import files
from artme_cop.attachments.models import Attachment
from artme_cop.conversations import queries as conversation_queries
from artme_cop.conversations.models import Conversation
from artme_cop.errors import Invalid, NotFound
from artme_cop.identity.models import Person
from artme_cop.policy import Action, Actor
from artme_cop.unit_of_work import UnitOfWork

# Below the request body cap (ARTME_MAX_BODY_BYTES, 1 MiB by default), which stops larger
# uploads while they stream in, before the whole body is read (SEC-H1).
MAX_BYTES = 900 * 1024


class TooLarge(Invalid):
    """A file over the cap: HTTP adapters answer 413."""


class QuotaExceeded(TooLarge):
    """A file that would take its uploader's files over their allowance (a 413 too)."""


@dataclass(frozen=True)
class Upload:
    name: str
    data: bytes


def storage_dir(uow: UnitOfWork) -> Path:
    return Path(uow.settings.data_dir) / "attachments"


def check(upload: Upload) -> tuple[str, files.FileType]:
    """The safe name and the real type, or Invalid/TooLarge with a message to show."""
    if len(upload.data) > MAX_BYTES:
        raise TooLarge(f"A file can be at most {MAX_BYTES // 1024} KiB.", field="file")
    if not upload.data:
        raise Invalid("The file is empty.", field="file")
    name = files.clean_name(upload.name)
    if files.extension(name) not in files.ALLOWED_EXTENSIONS:
        raise Invalid("Attach a picture (PNG, JPEG, GIF, WebP), a PDF or a plain text file.", field="file")
    kind = files.sniff(upload.data)
    if kind is None or files.extension(name) not in kind.extensions:
        raise Invalid("The file's content does not match its type; attach it in its own format.", field="file")
    if not files.ends_where_it_should(kind, upload.data):
        raise Invalid("The file is damaged or has something added after its end; save it again from the program that made it.", field="file")
    return name, kind


async def attach(uow: UnitOfWork, actor: Actor, conversation: Conversation, upload: Upload) -> Attachment:
    """Keep a checked file for a message about to be posted in `conversation`; the caller
    sets `seq` once the message exists. The file is written last, after every check."""
    policy.require(actor, Action.MESSAGE_POST, conversation)
    return await keep(uow, actor.person_id, upload, conversation_id=conversation.id)


async def keep(uow: UnitOfWork, uploader_id: int, upload: Upload, *, conversation_id: int | None = None, resource_id: int | None = None) -> Attachment:
    """Check and store a file for its owner (a conversation's message or a resource); the
    feature that owns it checked who may attach. The file is written last, after every check."""
    name, kind = check(upload)
    await _require_room(uow, uploader_id, len(upload.data))
    attachment = Attachment(
        public_id=secrets.token_hex(16), conversation_id=conversation_id, seq=None, resource_id=resource_id, uploader_id=uploader_id, filename=name,
        content_type=kind.mime, size=len(upload.data), storage_name=secrets.token_hex(16), created_at=uow.clock.now(),
    )
    uow.session.add(attachment)
    await uow.flush()
    _write_new(uow, attachment.storage_name, upload.data)
    return attachment


def text_of(attachment: Attachment, upload: Upload) -> str:
    """The text of a kept plain-text file (to screen it as a post's text); "" for pictures
    and PDFs, which are not read."""
    return upload.data.decode("utf-8") if attachment.content_type == files.TEXT.mime else ""


async def stored_bytes(uow: UnitOfWork, person_id: int) -> int:
    """What the files a person uploaded take on the server, in bytes."""
    total = select(func.coalesce(func.sum(Attachment.size), 0)).where(Attachment.uploader_id == person_id)
    return int((await uow.session.execute(total)).scalar_one())


async def _require_room(uow: UnitOfWork, uploader_id: int, size: int) -> None:
    # The uploader's row is locked first, so two uploads at once are counted one after the
    # other and cannot pass the quota together (PostgreSQL; SQLite writers take turns).
    await uow.session.execute(select(Person.id).where(Person.id == uploader_id).with_for_update())
    used, quota = await stored_bytes(uow, uploader_id), uow.settings.upload_quota_bytes
    if used + size > quota:
        raise QuotaExceeded(
            f"This file would take your files over the {mebibytes(quota)} you may store; they take {mebibytes(used)} now. "
            "Remove files you no longer need, or ask a program admin for more room.",
            field="file",
        )


def mebibytes(size: int) -> str:
    return f"{size / 1024 / 1024:.1f} MiB"


def stored_path(uow: UnitOfWork, attachment: Attachment) -> Path | None:
    """Where the attachment's bytes are, or None when the file is gone."""
    path = storage_dir(uow) / attachment.storage_name
    return path if path.is_file() else None


async def discard_for_messages(uow: UnitOfWork, messages: list[tuple[int, int]]) -> int:
    """Delete the attachments of these (conversation id, seq) messages; their files go once
    the work commits. Returns how many."""
    if not messages:
        return 0
    owned = tuple_(Attachment.conversation_id, Attachment.seq).in_(messages)
    found = list((await uow.session.execute(select(Attachment).where(owned))).scalars())
    for attachment in found:
        path = stored_path(uow, attachment)
        if path is not None:
            uow.remove_file_after_commit(path)
    await uow.session.execute(delete(Attachment).where(Attachment.id.in_([a.id for a in found])))
    return len(found)


def store_bytes(uow: UnitOfWork, data: bytes) -> str:
    """Write bytes under a new random name (an import restoring a checked file); the name."""
    storage_name = secrets.token_hex(16)
    _write_new(uow, storage_name, data)
    return storage_name


def _write_new(uow: UnitOfWork, storage_name: str, data: bytes) -> None:
    """Write a new file that goes away again if the unit of work does not commit: a refused
    message or a failed commit leaves no file behind, counted by no quota."""
    directory = storage_dir(uow)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / storage_name
    # O_EXCL: never overwrite; the name is ours (hex), so it cannot leave the directory.
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    uow.wrote_file(path)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(data)


async def open_for(uow: UnitOfWork, actor: Actor, public_id: object) -> tuple[Attachment, Path]:
    """An attachment the actor may download, with its path; NotFound alike for a missing
    one, one in a conversation they cannot read, and one whose message is gone."""
    if not isinstance(public_id, str) or len(public_id) != 32 or not all(c in "0123456789abcdef" for c in public_id):
        raise NotFound("attachment")
    attachment = (await uow.session.execute(select(Attachment).where(Attachment.public_id == public_id))).scalar_one_or_none()
    if attachment is None or attachment.seq is None or attachment.conversation_id is None:
        raise NotFound("attachment")  # a resource's file is served by the knowledge repository
    conversation = await conversation_queries.get_conversation(uow.session, attachment.conversation_id)
    if conversation is None or not policy.can(actor, Action.SPACE_READ, conversation):
        raise NotFound("attachment")
    message = await conversation_queries.get_message_by_seq(uow.session, conversation.id, attachment.seq)
    if message is None or message.deleted_at is not None or message.hidden_at is not None:
        raise NotFound("attachment")
    path = stored_path(uow, attachment)
    if path is None:
        raise NotFound("attachment")
    return attachment, path


def markdown_link(attachment: Attachment) -> str:
    """A link to the download for a message body, the name escaped for markdown."""
    shown = "".join("\\" + c if c in "\\`*_{}[]()<>#+-.!|" else c for c in attachment.filename)
    return f"📎 [{shown}](/attachments/{attachment.public_id}) ({max(1, attachment.size // 1024)} KiB)"
