"""The Jinja2 environment: autoescaping for every template whatever its name (pitfall P6),
and the globals every page needs (the actor, the CSRF token, navigation, flash messages)."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, pass_context
from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.templating import Jinja2Templates

from artme_cop import policy, zones
from artme_cop.identity.models import ROLE_LABELS, Role
from artme_cop.web import csrf, flash

PROJECT_ROOT = Path(__file__).resolve().parents[3]
TEMPLATE_DIR = PROJECT_ROOT / "templates"
STATIC_DIR = PROJECT_ROOT / "static"


def _role_label(value: str) -> str:
    try:
        return ROLE_LABELS[Role(value)]
    except ValueError:
        return value


def _reader_zone(context: Mapping[str, Any]) -> str:
    actor = context.get("actor")
    return actor.time_zone if actor is not None else zones.DEFAULT


@pass_context
def _local_time(context: Mapping[str, Any], value: datetime | str | None, pattern: str = "%Y-%m-%d %H:%M", *, label: bool = True) -> str:
    """A stored time (a datetime, or the ISO text of a live payload) in the reader's zone,
    followed by the zone's abbreviation unless `label` is off (a list of chat messages)."""
    if not value:
        return "—"
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return zones.stamp(moment, _reader_zone(context), pattern) if label else zones.local(moment, _reader_zone(context)).strftime(pattern)


@functools.cache
def make_templates() -> Jinja2Templates:
    """One environment per process: it holds no per-app state, and sharing it keeps each
    template compiled once however many apps a process builds (the test suite builds one
    per test)."""
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATE_DIR)),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["role_label"] = _role_label
    env.filters["datetime"] = _local_time  # the name the older templates use
    env.filters["local_time"] = _local_time
    # The nav shows the moderation queue to people who moderate some space.
    env.globals["moderates_anything"] = policy.moderates_anything
    return Jinja2Templates(env=env)


def render(
    request: Request,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
    background: BackgroundTask | None = None,
) -> HTMLResponse:
    templates: Jinja2Templates = request.app.state.templates
    page_context = {
        "actor": getattr(request.state, "actor", None),
        "unread_notifications": getattr(request.state, "unread_notifications", None),
        # SEC-C7: a lead or admin in a session without the second step, acting without the role
        "two_step_missing": getattr(request.state, "two_step_missing", False),
        "csrf_token": csrf.token(request),
        "flashes": flash.pop_all(request),
        "errors": {},
        "form": {},
    }
    page_context.update(context or {})
    return templates.TemplateResponse(
        request, template, page_context, status_code=status_code, headers=headers, background=background
    )
