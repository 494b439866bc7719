"""HTTP adapters of attachments: the download (checked on every request, then served by
`user_content`), and reading a form that carries one file, for the features' upload forms."""

from __future__ import annotations

from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from artme_cop import ratelimit, security_log
from artme_cop.attachments import scanning
from artme_cop.attachments import service as attachments
from artme_cop.attachments import user_content
from artme_cop.errors import DomainError
from artme_cop.web.auth import require_actor
from artme_cop.web.client import client_address
from artme_cop.web.csrf import FIELD, MAX_FIELDS, MAX_PART_SIZE, CsrfFailed, matches

READ_CHUNK = 64 * 1024


async def download(request: Request) -> Response:
    actor = require_actor(request)
    async with request.app.state.uow(read_only=True) as uow:
        attachment, path = await attachments.open_for(uow, actor, request.path_params["public_id"])
    return user_content.serve(request, attachment, path)


async def read_upload_form(request: Request) -> tuple[FormData, attachments.Upload | None]:
    """A posted multipart form with at most one file (python-multipart through Starlette),
    its CSRF token checked; a file counts against the sender's upload budget, is read in
    chunks up to one byte over the cap, and is scanned for malware when a scanner is set."""
    form = await request.form(max_files=1, max_fields=MAX_FIELDS, max_part_size=MAX_PART_SIZE)
    if not matches(request, form.get(FIELD)):
        raise CsrfFailed()
    request.state.form = form  # for an error page that offers the form again
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
    person, address = require_actor(request).person_id, client_address(request)
    try:
        # Before any transaction opens: a scan can take a while, and nothing waits on it.
        await scanning.require_clean(request.app.state.settings.clamd_socket, bytes(data))
    except DomainError as exc:
        security_log.event("upload", outcome=security_log.REFUSED, person=person, address=address, size=len(data), reason=exc.code)
        raise
    security_log.event("upload", outcome=security_log.OK, person=person, address=address, size=len(data), path=request.url.path)
    return form, attachments.Upload(part.filename, bytes(data))


routes = [Route("/{public_id}", download, name="download")]
