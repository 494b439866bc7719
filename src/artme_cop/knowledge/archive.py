"""The knowledge repository's export and import archive, for operators moving or backing up
a repository (`artme-cop knowledge export|import`): one zip holding `knowledge.json` (every
resource with its people, tags, phases, versions, history, reviews, reports and the list of its
files) and an `attachments/` folder with each file's bytes under its public id. Imported files
are checked again like any upload and stored under new random names.

People are written by email and schools by name, so an archive imports into another database
whose accounts and schools exist (made by invitations or `artme-cop institution add`); the
import refuses, changing nothing, when one is missing or a resource is there already. Live
discussions belong to the messaging core and are not exported: an imported shared resource
gets a new, empty discussion. This is an operator's tool with the whole repository in it,
attribution included; it is not a person's export. No HTTP here.
"""

from __future__ import annotations

import json
import zipfile
from datetime import date, datetime
from pathlib import Path
from typing import Any, Callable

from sqlalchemy import select

from artme_cop.attachments import scanning
from artme_cop.attachments import service as attachments
from artme_cop.attachments.models import Attachment
from artme_cop.errors import Invalid
from artme_cop.identity.models import Institution, Person
from artme_cop.knowledge.models import AppliedReport, Resource, ResourcePerson, ResourcePhase, ResourceTag, ResourceVersion, Review, Transition
from artme_cop.knowledge.service import follow_reach
from artme_cop.unit_of_work import UnitOfWork

FORMAT = "artme-knowledge-archive/1"
DOCUMENT = "knowledge.json"
FILES = "attachments/"
# knowledge.json unpacked: far above a consortium's repository (about 1 KiB a record), far
# below what would exhaust the operator's machine
MAX_DOCUMENT_BYTES = 256 * 1024 * 1024
# In the order rows must be inserted (each table's references come before it).
TABLES: tuple[tuple[str, type[Any]], ...] = (
    ("resources", Resource), ("people", ResourcePerson), ("tags", ResourceTag), ("phases", ResourcePhase),
    ("versions", ResourceVersion), ("transitions", Transition), ("reviews", Review), ("reports", AppliedReport),
)
PERSON_COLUMNS = frozenset({"approved_by_id", "contact_id", "created_by_id", "person_id", "reviewer_id", "actor_id", "uploader_id"})
FILE_COLUMNS = ("public_id", "resource_id", "uploader_id", "filename", "content_type", "size", "created_at")
DATE_COLUMNS = frozenset({"review_due_on", "applied_on"})
Progress = Callable[[int, int, str], None]


def _plain(value: object) -> object:
    return value.isoformat() if isinstance(value, (datetime, date)) else value


def _columns(model: type[Any]) -> list[str]:
    return [column.key for column in model.__table__.columns]


async def export_archive(uow: UnitOfWork, path: Path, progress: Progress) -> int:
    """Write every resource and its records to `path`; the number of resources."""
    session = uow.session
    emails = {p.id: p.email for p in (await session.execute(select(Person))).scalars()}
    schools = {i.id: i.name for i in (await session.execute(select(Institution))).scalars()}
    document: dict[str, Any] = {"format": FORMAT, "exported_at": uow.clock.now().isoformat()}
    for step, (name, model) in enumerate(TABLES, start=1):
        rows = []
        for row in (await session.execute(select(model))).scalars():
            values = {key: _plain(getattr(row, key)) for key in _columns(model) if key != "conversation_id"}
            for key in PERSON_COLUMNS & values.keys():
                values[key] = emails.get(values[key]) if values[key] is not None else None  # type: ignore[arg-type]
            if "institution_id" in values:
                values["institution_id"] = schools[values["institution_id"]]  # type: ignore[index]
            rows.append(values)
        document[name] = rows
        progress(step, len(TABLES), f"{name}: {len(rows)}")
    stored = list((await session.execute(select(Attachment).where(Attachment.resource_id.is_not(None)).order_by(Attachment.id))).scalars())
    document["files"] = [
        {key: (emails.get(row.uploader_id) if key == "uploader_id" else _plain(getattr(row, key))) for key in FILE_COLUMNS} for row in stored
    ]
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(DOCUMENT, json.dumps(document, ensure_ascii=False, indent=1))
        archive.writestr(FILES, "")
        for number, row in enumerate(stored, start=1):
            source = attachments.stored_path(uow, row)
            if source is None:
                raise Invalid(f"The file “{row.filename}” of a resource is missing from the data directory; nothing was exported.")
            archive.write(source, f"{FILES}{row.public_id}")
            progress(number, len(stored), f"file {row.filename}")
    return len(document["resources"])


def read_archive(path: Path) -> dict[str, Any]:
    """The archive's document, with each listed file's bytes under "file_bytes" by public id.

    Nothing is ever extracted to disk, and no member's name becomes a path. Sizes and entries
    are checked from the zip's directory before a member is read (SEC-H7), so a zip bomb or an
    archive of 10,000 unlisted entries is refused without being decompressed."""
    try:
        with zipfile.ZipFile(path) as archive:
            entries = {info.filename: info for info in archive.infolist()}
            _check_size(entries.get(DOCUMENT), MAX_DOCUMENT_BYTES)
            document = json.loads(archive.read(DOCUMENT))
            if not isinstance(document, dict) or document.get("format") != FORMAT:
                raise Invalid(f"{path} is not a knowledge archive of format {FORMAT}.")
            listed = [f["public_id"] for f in document.get("files", []) if isinstance(f, dict) and isinstance(f.get("public_id"), str)]
            _check_entries(entries, listed)
            document["file_bytes"] = {public_id: archive.read(f"{FILES}{public_id}") for public_id in listed}
    except (OSError, KeyError, ValueError, zipfile.BadZipFile) as exc:
        raise Invalid(f"{path} is not a knowledge archive ({exc.__class__.__name__}).") from None
    return document


def _check_size(entry: zipfile.ZipInfo | None, limit: int) -> None:
    if entry is None:
        raise KeyError(DOCUMENT)
    if entry.file_size > limit:
        raise Invalid(f"The archive's {entry.filename} would unpack to {entry.file_size:,} bytes, over the {limit:,} allowed; nothing was imported.")


def _check_entries(entries: dict[str, zipfile.ZipInfo], listed: list[str]) -> None:
    """Exactly what an export writes: the document, the files folder, and each listed file
    under the attachment cap. The declared sizes bound the reads, since zipfile stops a
    member at its declared size and checks its CRC."""
    expected = {DOCUMENT, FILES, *(f"{FILES}{public_id}" for public_id in listed)}
    unlisted = entries.keys() - expected
    if unlisted:
        example = min(unlisted)[:80]
        raise Invalid(f"The archive holds {len(unlisted):,} entries it does not list (for example “{example}”); nothing was imported.")
    for public_id in listed:
        entry = entries.get(f"{FILES}{public_id}")
        if entry is not None and entry.file_size > attachments.MAX_BYTES:
            raise Invalid(f"The archive's file {public_id[:40]} would unpack to {entry.file_size:,} bytes, over the {attachments.MAX_BYTES:,} allowed for a file; nothing was imported.")


def _parsed(key: str, value: object) -> object:
    if value is None or not isinstance(value, str):
        return value
    if key in DATE_COLUMNS:
        return date.fromisoformat(value)
    if key.endswith("_at") or key == "at":
        return datetime.fromisoformat(value)
    return value


async def import_archive(uow: UnitOfWork, path: Path, progress: Progress) -> int:
    """Insert the archive's resources with all their records; the number of resources.

    Raises Invalid, changing nothing, for a bad file, a missing person or school, or a
    resource already present."""
    document = read_archive(path)
    session = uow.session
    people = {p.email: p.id for p in (await session.execute(select(Person))).scalars()}
    schools = {i.name: i.id for i in (await session.execute(select(Institution))).scalars()}
    present = set((await session.execute(select(Resource.public_id))).scalars())
    new_ids: dict[str, dict[int, int]] = {"resources": {}, "versions": {}}
    lineage: dict[int, int | None] = {}  # set once every resource has its new id
    for step, (name, model) in enumerate(TABLES, start=1):
        rows = document.get(name, [])
        for values in rows:
            values = dict(values)
            if name == "resources":
                lineage[values["id"]] = values.pop("adapted_from_id", None)
            row = await _insert(uow, name, model, dict(values), people, schools, present, new_ids)
            if name in new_ids:
                new_ids[name][values["id"]] = row.id
        progress(step, len(TABLES), f"{name}: {len(rows)}")
    await _import_files(uow, document, people, new_ids["resources"], progress)
    for old, new in new_ids["resources"].items():
        resource = await session.get(Resource, new)
        assert resource is not None
        parent = lineage.get(old)
        resource.adapted_from_id = new_ids["resources"].get(parent) if parent is not None else None
        await follow_reach(uow, resource)
    return len(new_ids["resources"])


async def _import_files(uow: UnitOfWork, document: dict[str, Any], people: dict[str, int], resources: dict[int, int], progress: Progress) -> None:
    """Check each file again like an upload (the malware scan too, when one is set), then store
    it under a new random name. Files are written only after every check passed, so a refused
    archive leaves none behind."""
    listed = document.get("files", [])
    checked = []
    for values in listed:
        data = document["file_bytes"].get(values.get("public_id"))
        if data is None or values.get("resource_id") not in resources or values.get("uploader_id") not in people:
            raise Invalid("The archive lists a file that it does not hold, or of a resource or person it does not name; nothing was imported.")
        attachments.check(attachments.Upload(str(values["filename"]), data))
        await scanning.require_clean(uow.settings.clamd_socket, data)
        checked.append((values, data))
    for number, (values, data) in enumerate(checked, start=1):
        uow.session.add(Attachment(
            public_id=values["public_id"], conversation_id=None, seq=None, resource_id=resources[values["resource_id"]], uploader_id=people[values["uploader_id"]],
            filename=values["filename"], content_type=values["content_type"], size=len(data), storage_name=attachments.store_bytes(uow, data),
            created_at=_parsed("created_at", values["created_at"]),
        ))
        progress(number, len(checked), f"file {values['filename']}")
    await uow.flush()


async def _insert(
    uow: UnitOfWork, name: str, model: type[Any], values: dict[str, Any], people: dict[str, int], schools: dict[str, int], present: set[str], new_ids: dict[str, dict[int, int]],
) -> Any:
    for key in PERSON_COLUMNS & values.keys():
        if values[key] is not None:
            if values[key] not in people:
                raise Invalid(f"The archive names {values[key]}, who has no account here: invite them first.")
            values[key] = people[values[key]]
    if "institution_id" in values:
        if values["institution_id"] not in schools:
            raise Invalid(f"The archive names the school “{values['institution_id']}”, which is not here: add it first.")
        values["institution_id"] = schools[values["institution_id"]]
    if name == "resources":
        if values["public_id"] in present:
            raise Invalid(f"The resource “{values['title']}” is here already; nothing was imported.")
        values.pop("id")
    elif name in ("versions", "transitions", "reviews", "reports"):
        values.pop("id")
    if "resource_id" in values:
        values["resource_id"] = new_ids["resources"][values["resource_id"]]
    if name == "reviews":
        values["version_id"] = new_ids["versions"][values["version_id"]]
    row = model(**{key: _parsed(key, value) for key, value in values.items()})
    uow.session.add(row)
    await uow.flush()
    return row
