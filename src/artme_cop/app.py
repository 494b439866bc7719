"""The application factory: settings in, a Starlette app out.

It builds the engine, the unit-of-work factory, the mailer and the rate limiter, mounts
each feature's routes, and wraps them in the middleware stack (sessions, the actor,
same-origin, body cap, security headers). Its lifespan runs the broker, the daily
notification digest check and the knowledge review-due check.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import AsyncIterator

from sqlalchemy import text
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles

from artme_cop.clock import Clock, SystemClock
from artme_cop.conversations import commands as conversation_commands
from artme_cop.conversations import routes as conversation_routes
from artme_cop.forum import api as forum_api
from artme_cop.forum import routes as forum_routes
from artme_cop.conversations.writer import MessageWriter
from artme_cop.dialogue import commands as dialogue_commands
from artme_cop.dialogue import routes as dialogue_routes
from artme_cop.dialogue.retention import run_purge_schedule
from artme_cop.db import make_engine, make_sessionmaker, make_write_thread
from artme_cop.attachments import routes as attachment_routes
from artme_cop.attachments.user_content import UserContentHostMiddleware
from artme_cop.identity import routes as identity_routes
from artme_cop.identity import two_step_routes
from artme_cop.knowledge import api as knowledge_api
from artme_cop.knowledge import routes as knowledge_routes
from artme_cop.knowledge.jobs import run_review_schedule
from artme_cop.labs import api as lab_api
from artme_cop.labs import routes as lab_routes
from artme_cop.labs.jobs import run_reminder_schedule
from artme_cop.mail import Mailer, make_mailer
from artme_cop.moderation import api as moderation_api
from artme_cop.moderation import retention as removed_messages
from artme_cop.moderation import routes as moderation_routes
from artme_cop.moderation import screening as _screening  # noqa: F401  (screens every post, SEC-L1)
from artme_cop.notifications import api as notifications_api
from artme_cop.notifications import routes as notification_routes
from artme_cop.notifications.jobs import run_digest_schedule
from artme_cop.schedule import run_every
from artme_cop.program.calendar import routes as calendar_routes
from artme_cop.program.phases import routes as phase_routes
from artme_cop.program.readiness import routes as readiness_routes
from artme_cop.program.coalition import routes as coalition_routes
from artme_cop.program.monitoring import routes as monitoring_routes
from artme_cop.program.outcomes import routes as outcome_routes
from artme_cop.program.wins import routes as win_routes
from artme_cop.ratelimit import RateLimiter, make_rate_limiter
from artme_cop.realtime.brokers import make_broker
from artme_cop.realtime.gateway import RawSendMiddleware, Realtime, websocket_endpoint
from artme_cop.realtime.hub import Hub
from artme_cop.settings import Settings, load_settings
from artme_cop.unit_of_work import UnitOfWork
from artme_cop.web.api import ApiRouter, api_routes
from artme_cop.web.auth import ActorMiddleware, SessionMiddleware
from artme_cop.web.errors import EXCEPTION_HANDLERS
from artme_cop.web.security import BodyLimitMiddleware, SameOriginMiddleware, SecurityHeadersMiddleware
from artme_cop.web.templating import STATIC_DIR, make_templates

log = logging.getLogger(__name__)

# The features with a JSON API: their operations are the /api routes and /api/openapi.json.
API_ROUTERS: list[ApiRouter] = [forum_api.router, notifications_api.router, moderation_api.router, knowledge_api.router, lab_api.router]


def session_cookie_name(settings: Settings) -> str:
    # The __Host- prefix pins the cookie to this host over https (SEC-D1).
    return "__Host-artme_session" if settings.secure_cookies else "artme_session"


async def healthz(request: Request) -> Response:
    try:
        async with request.app.state.uow() as uow:
            await uow.session.execute(text("SELECT 1"))
    except Exception:  # any database failure is "unhealthy", never a 500 page
        log.exception("health check failed")
        return JSONResponse({"status": "error", "database": "unreachable"}, status_code=503)
    return JSONResponse({"status": "ok", "database": "ok"})


def create_app(
    settings: Settings | None = None,
    *,
    clock: Clock | None = None,
    mailer: Mailer | None = None,
    rate_limiter: RateLimiter | None = None,
) -> Starlette:
    settings = settings or load_settings()
    engine = make_engine(settings.database_url, pool_pre_ping=not settings.is_sqlite)
    sessionmaker = make_sessionmaker(engine)
    chosen_clock = clock or SystemClock()
    chosen_mailer = mailer or make_mailer(settings)

    hub = Hub()
    broker = make_broker(hub, settings.redis_url, prefix=settings.redis_prefix, presence_ttl=settings.presence_ttl)

    def uow(*, read_only: bool = False) -> UnitOfWork:
        return UnitOfWork(sessionmaker, chosen_clock, settings, publish=broker.publish, publish_many=broker.publish_many, mailer=chosen_mailer, read_only=read_only)

    realtime = Realtime.build(settings, hub, broker, uow)
    writer = MessageWriter(uow, make_write_thread(settings.database_url))
    conversation_commands.register(realtime.commands, writer)
    dialogue_commands.register(realtime.commands)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await broker.start()
        digests = asyncio.create_task(run_digest_schedule(uow, chosen_clock, interval=settings.digest_interval)) if settings.digest_interval else None
        app.state.digest_task = digests
        # The knowledge review-due check (issue #7) and lab commitment reminders keep the
        # digest's rhythm (the same setting turns them all off); closed dialogue sessions are
        # purged on their own interval.
        reviews = asyncio.create_task(run_review_schedule(uow, interval=settings.digest_interval)) if settings.digest_interval else None
        app.state.knowledge_review_task = reviews
        reminders = asyncio.create_task(run_reminder_schedule(uow, chosen_clock, interval=settings.digest_interval)) if settings.digest_interval else None
        purges = (
            asyncio.create_task(run_purge_schedule(uow, interval=settings.dialogue_purge_interval, keep_days=settings.dialogue_report_days))
            if settings.dialogue_purge_interval else None
        )
        # Removed messages past their retention (SEC-B5), on the digest's rhythm too.
        redactions = (
            asyncio.create_task(run_every(lambda: removed_messages.run_purge(uow, keep_days=settings.removed_retention_days), interval=settings.digest_interval, what="purge of removed messages"))
            if settings.digest_interval else None
        )
        try:
            yield
        finally:
            for task in (digests, reviews, reminders, purges, redactions):
                if task is not None:
                    task.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await task
            await writer.stop()
            await broker.stop()
            await engine.dispose()

    routes = [
        Route("/healthz", healthz, name="healthz"),
        WebSocketRoute("/ws", websocket_endpoint, name="ws"),
        Mount("/conversations", routes=conversation_routes.routes, name="conversations"),
        Mount("/forum", routes=forum_routes.routes, name="forum"),
        Mount("/dialogue", routes=dialogue_routes.routes, name="dialogue"),
        # The JSON API: each feature's ApiRouter; its operations and /api/openapi.json come from it.
        Mount("/api", routes=api_routes(API_ROUTERS), name="api"),
        Mount("/static", app=StaticFiles(directory=STATIC_DIR), name="static"),
        Mount("/admin", routes=identity_routes.admin_routes + two_step_routes.admin_routes, name="admin"),
        Mount("/moderation", routes=moderation_routes.routes, name="moderation"),
        Mount("/notifications", routes=notification_routes.routes, name="notifications"),
        Mount("/program/phases", routes=phase_routes.routes, name="phases"),
        Mount("/program/readiness", routes=readiness_routes.routes, name="readiness"),
        Mount("/calendar", routes=calendar_routes.routes, name="calendar"),
        Mount("/coalition", routes=coalition_routes.routes, name="coalition"),
        Mount("/outcomes", routes=outcome_routes.routes, name="outcomes"),
        Mount("/wins", routes=win_routes.routes, name="wins"),
        Mount("/monitoring", routes=monitoring_routes.routes, name="monitoring"),
        Mount("/knowledge", routes=knowledge_routes.routes, name="knowledge"),
        Mount("/labs", routes=lab_routes.routes, name="labs"),
        Mount("/attachments", routes=attachment_routes.routes, name="attachments"),
        *identity_routes.routes,
        *two_step_routes.routes,
    ]
    # With a files origin, its requests never reach the app: no session, no page (SEC-H8).
    files_origin = [Middleware(UserContentHostMiddleware, files_base_url=settings.files_base_url)] if settings.files_base_url else []
    middleware = [
        *files_origin,
        Middleware(RawSendMiddleware),
        Middleware(SecurityHeadersMiddleware, hsts=settings.secure_cookies),
        Middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes),
        Middleware(SameOriginMiddleware, base_url=settings.base_url),
        Middleware(
            SessionMiddleware,
            signing_keys=settings.signing_keys,
            session_cookie=session_cookie_name(settings),
            max_age=settings.session_lifetime,
            same_site="lax",
            https_only=settings.secure_cookies,
        ),
        Middleware(ActorMiddleware),
    ]
    app = Starlette(debug=False, routes=routes, middleware=middleware, exception_handlers=EXCEPTION_HANDLERS, lifespan=lifespan)
    app.state.settings = settings
    app.state.session_cookie = session_cookie_name(settings)
    app.state.engine = engine
    app.state.uow = uow
    app.state.clock = chosen_clock
    app.state.mailer = chosen_mailer
    app.state.templates = make_templates()
    app.state.rate_limiter = rate_limiter or make_rate_limiter(settings, prefix=settings.redis_prefix)
    app.state.realtime = realtime
    app.state.writer = writer
    return app
