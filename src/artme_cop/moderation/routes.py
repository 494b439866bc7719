"""HTTP adapters of the moderation package: the audit log page."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from artme_cop.identity import service as identity
from artme_cop.moderation import service as moderation
from artme_cop.web.auth import require_actor
from artme_cop.web.forms import page_key
from artme_cop.web.templating import render


async def audit_page(request: Request) -> Response:
    actor = require_actor(request)
    before = request.query_params.get("before", "")
    async with request.app.state.uow() as uow:
        rows = await moderation.list_audit(uow, actor, before=page_key(before))
        institutions = {i.id: i.name for i in await identity.list_institutions(uow, actor)}
    next_before = rows[-1].id if len(rows) == moderation.AUDIT_PAGE_SIZE else None
    return render(request, "moderation/audit.html", {"rows": rows, "institutions": institutions, "next_before": next_before})


routes = [Route("/audit", audit_page, name="audit")]
