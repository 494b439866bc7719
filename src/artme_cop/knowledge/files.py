"""Files of a knowledge resource (a template, a slide deck as PDF, a worksheet), under the same
rules as every attachment (`artme_cop.attachments`: size cap, type judged by content, random
storage names, hostile names cleaned, served as downloads with nosniff).

Stewards add and remove files while the text can change (a draft, or an update under way),
so what reviewers assess is what is shared. Readers of the working copy see every file;
others see the files that existed when the newest version shared with them was made, so a
file of a new draft does not reach them before its assessment. A file's name counts as the
resource's words for "a partner school" (it may not name the school).
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from artme_cop import policy
from artme_cop.attachments import service as attachments
from artme_cop.attachments.models import Attachment
from artme_cop.errors import Conflict, Invalid, NotFound
from artme_cop.knowledge import cycle, queries
from artme_cop.knowledge.cycle import State
from artme_cop.knowledge.service import Loaded, keep_partner_anonymous, access_resource, readable_versions, reads_working_copy
from artme_cop.moderation import service as audit
from artme_cop.policy import Action, Actor
from artme_cop.unit_of_work import UnitOfWork

MAX_FILES = 10


async def _files(uow: UnitOfWork, resource_id: int) -> list[Attachment]:
    query = select(Attachment).where(Attachment.resource_id == resource_id).order_by(Attachment.id)
    return list((await uow.session.execute(query)).scalars())


async def readable_files(uow: UnitOfWork, actor: Actor, loaded: Loaded) -> list[Attachment]:
    """The files this reader sees of a resource they may read (see the module doc)."""
    found = await _files(uow, loaded.resource.id)
    if reads_working_copy(actor, loaded):
        return found
    versions = readable_versions(actor, loaded, await queries.list_versions(uow.session, loaded.resource.id))
    if not versions:
        return []
    # Attached before that version was made (a version is made when the text is submitted).
    return [f for f in found if f.created_at < versions[-1].created_at]


async def files_of(uow: UnitOfWork, actor: Actor, public_id: object) -> list[Attachment]:
    """The files of a resource this reader sees (for its page and its JSON)."""
    return await readable_files(uow, actor, await access_resource(uow, actor, public_id))


async def _stewarded(uow: UnitOfWork, actor: Actor, public_id: object) -> Loaded:
    loaded = await access_resource(uow, actor, public_id)
    policy.require(actor, Action.RESOURCE_STEWARD, loaded.ref())
    if State(loaded.resource.state) not in cycle.EDITABLE:
        raise Conflict(f"Files can be changed only as a draft or when an update is due; it is “{cycle.STATE_LABELS[State(loaded.resource.state)]}”.")
    return loaded


async def add_file(uow: UnitOfWork, actor: Actor, public_id: object, upload: attachments.Upload | None) -> Attachment:
    """Attach a checked file to a resource. Who: `resource.steward`, while the text can change.

    Raises NotFound, Forbidden, Conflict (state, too many files), Invalid/TooLarge (the file,
    or none sent)."""
    loaded = await _stewarded(uow, actor, public_id)
    if upload is None:
        raise Invalid("Choose a file to attach.", field="file")
    if len(await _files(uow, loaded.resource.id)) >= MAX_FILES:
        raise Conflict(f"A resource has at most {MAX_FILES} files; remove one first.")
    name, _kind = attachments.check(upload)
    # Before anything is stored, so a refused name leaves neither a row nor a file.
    await keep_partner_anonymous(uow, loaded.resource, (name,))
    attachment = await attachments.keep(uow, actor.person_id, upload, resource_id=loaded.resource.id)
    _audit(uow, actor, loaded, "resource_file_added", attachment)
    return attachment


async def remove_file(uow: UnitOfWork, actor: Actor, public_id: object, file_id: object) -> None:
    """Take a file off a resource (the stored bytes go too). Who: `resource.steward`."""
    loaded = await _stewarded(uow, actor, public_id)
    attachment = await _file_of(uow, loaded, file_id)
    path = attachments.stored_path(uow, attachment)
    await uow.session.delete(attachment)
    _audit(uow, actor, loaded, "resource_file_removed", attachment)
    await uow.flush()
    if path is not None:
        uow.remove_file_after_commit(path)


async def open_file(uow: UnitOfWork, actor: Actor, public_id: object, file_id: object) -> tuple[Attachment, Path]:
    """A file the actor may download, with its path; NotFound alike for a missing file, one of
    a resource they cannot read, and one not yet shared with them (SEC-A2)."""
    loaded = await access_resource(uow, actor, public_id)
    attachment = await _file_of(uow, loaded, file_id)
    if attachment not in await readable_files(uow, actor, loaded):
        raise NotFound("file")
    path = attachments.stored_path(uow, attachment)
    if path is None:
        raise NotFound("file")
    return attachment, path


async def _file_of(uow: UnitOfWork, loaded: Loaded, file_id: object) -> Attachment:
    if not isinstance(file_id, str) or len(file_id) != 32 or not all(c in "0123456789abcdef" for c in file_id):
        raise NotFound("file")
    query = select(Attachment).where(Attachment.public_id == file_id, Attachment.resource_id == loaded.resource.id)
    attachment = (await uow.session.execute(query)).scalar_one_or_none()
    if attachment is None:
        raise NotFound("file")
    return attachment


def _audit(uow: UnitOfWork, actor: Actor, loaded: Loaded, action: str, attachment: Attachment) -> None:
    audit.record(
        uow, actor_id=actor.person_id, action=action, institution_id=loaded.resource.institution_id, target_kind="resource",
        target_id=loaded.resource.id, detail={"file": attachment.public_id, "size": attachment.size},
    )
