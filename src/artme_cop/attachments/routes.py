"""HTTP adapters of attachments: the download (checked on every request, served as a
download that no browser renders or sniffs), and reading a form that carries one file,
for the features' upload forms."""

from __future__ import annotations

from pathlib import Path

from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import Route

from artme_cop import ratelimit
from artme_cop.attachments import files
from artme_cop.attachments import service as attachments
from artme_cop.attachments.models import Attachment
from artme_cop.web.auth import require_actor
from artme_cop.web.csrf import FIELD, MAX_FIELDS, MAX_PART_SIZE, CsrfFailed, matches

READ_CHUNK = 64 * 1024


async def download(request: Request) -> Response:
    actor = require_actor(request)
    async with request.app.state.uow(read_only=True) as uow:
        attachment, path = await attachments.open_for(uow, actor, request.path_params["public_id"])
    return file_response(attachment, path)


def file_response(attachment: Attachment, path: Path) -> Response:
    """A stored file as a download that no browser renders or sniffs."""
    headers = {
        "Content-Disposition": files.content_disposition(attachment.filename),
        "X-Content-Type-Options": "nosniff",
        # Even opened directly, the file runs nothing and loads nothing (SEC-H5, SEC-H6).
        "Content-Security-Policy": "sandbox; default-src 'none'",
        "Cache-Control": "private, no-store",
    }
    return FileResponse(path, media_type=attachment.content_type, headers=headers)


async def read_upload_form(request: Request) -> tuple[FormData, attachments.Upload | None]:
    """A posted multipart form with at most one file (python-multipart through Starlette),
    its CSRF token checked; a file counts against the sender's upload budget and is read in
    chunks up to one byte over the cap."""
    form = await request.form(max_files=1, max_fields=MAX_FIELDS, max_part_size=MAX_PART_SIZE)
    if not matches(request, form.get(FIELD)):
        raise CsrfFailed()
    part = form.get("file")
    if not isinstance(part, UploadFile) or not part.filename:
        return form, None
    await request.app.state.rate_limiter.spend(ratelimit.UPLOAD, require_actor(request).person_id)
    data = bytearray()
    while len(data) <= attachments.MAX_BYTES:
        chunk = await part.read(READ_CHUNK)
        if not chunk:
            break
        data += chunk
    return form, attachments.Upload(part.filename, bytes(data))


routes = [Route("/{public_id}", download, name="download")]
