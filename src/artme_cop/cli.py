"""The `artme-cop` command: serve, migrate, create-admin, institution, cohort, invite, demo,
dialogue purge, moderation purge, notifications digest, labs remind, knowledge
review-due|export|import.

Each subcommand is a thin wrapper over the functions the app itself uses. `main(argv)`
returns an exit code so tests can call it directly; invalid settings exit with 2 and a
message naming the variable.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import getpass
import sys
from pathlib import Path
from typing import Awaitable, Callable, Sequence, TypeVar

from alembic import command
from alembic.config import Config
from sqlalchemy import true

from artme_cop import demo
from artme_cop.clock import SystemClock
from artme_cop.db import make_engine, make_sessionmaker
from artme_cop.errors import DomainError
from artme_cop.identity import queries
from artme_cop.identity import service as identity
from artme_cop.identity.models import Cohort, Constituency, Role
from artme_cop.mail import make_mailer
from artme_cop.knowledge import archive as knowledge_archive
from artme_cop.knowledge import service as knowledge
from artme_cop.notifications import service as notifications
from artme_cop.settings import Settings, SettingsError, load_settings
from artme_cop.unit_of_work import UnitOfWork

PROJECT_ROOT = Path(__file__).resolve().parents[2]
T = TypeVar("T")


def alembic_config(settings: Settings) -> Config:
    config = Config()
    config.set_main_option("script_location", str(PROJECT_ROOT / "migrations"))
    config.set_main_option("sqlalchemy.url", settings.database_url.replace("%", "%%"))
    return config


def migrate(settings: Settings) -> None:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    command.upgrade(alembic_config(settings), "head")


def _with_uow(settings: Settings, work: Callable[[UnitOfWork], Awaitable[T]]) -> T:
    async def run() -> T:
        engine = make_engine(settings.database_url)
        try:
            async with UnitOfWork(make_sessionmaker(engine), SystemClock(), settings, mailer=make_mailer(settings)) as uow:
                return await work(uow)
        finally:
            await engine.dispose()

    return asyncio.run(run())


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    import uvicorn

    if not args.no_migrate:
        migrate(settings)
    uvicorn.run(
        "artme_cop.cli:app_from_environment",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers if not args.reload else None,
        reload=args.reload,
        ws_max_size=65536,
        ws_per_message_deflate=False,
        ws_ping_interval=settings.ws_ping_interval,
        ws_ping_timeout=settings.ws_ping_interval,
        proxy_headers=False,
        server_header=False,
        log_level=settings.log_level.lower(),
    )
    return 0


YOUNG_COLLECTION_AFTER = 10_000
FULL_COLLECTION_AFTER = 100


def app_from_environment():  # type: ignore[no-untyped-def]
    from artme_cop.app import create_app

    settings = load_settings()
    # The event loop takes turns on the interpreter lock with the SQLite write thread.
    sys.setswitchinterval(settings.gil_switch_us / 1_000_000)
    app = create_app(settings)
    # A full collection walks every tracked object and stops the process meanwhile: with
    # 1,000 sockets open one took 130-230 ms, a pause in every live room, and under a
    # steady load one came every ~10 s. The ~135,000 objects of the loaded code (modules,
    # the ORM's mappings, templates) live as long as the process: frozen, they are left
    # out of the walk. A full collection waits for 100 younger ones instead of 10. And a
    # young collection comes after 10,000 new objects instead of 700: under load fewer of a
    # message's short-lived objects are still alive at one, so fewer are promoted to the
    # older generations, whose collections are the long pauses. At 2,162 msg/s p99 was
    # 52-99 ms in five runs before and 42-63 ms in three after; a young collection stays
    # under 5 ms (docs/performance.md).
    gc.collect()
    gc.freeze()
    _, middle, _ = gc.get_threshold()
    gc.set_threshold(YOUNG_COLLECTION_AFTER, middle, FULL_COLLECTION_AFTER)
    return app


def cmd_migrate(args: argparse.Namespace, settings: Settings) -> int:
    migrate(settings)
    print(f"Database is at the newest schema ({_safe_url(settings.database_url)}).")
    return 0


def _safe_url(url: str) -> str:
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        return f"{scheme}://***@{rest.split('@', 1)[1]}"
    return url


def cmd_create_admin(args: argparse.Namespace, settings: Settings) -> int:
    password = args.password
    if password is None:
        password = getpass.getpass("Password for the new admin: ")
        if password != getpass.getpass("Repeat the password: "):
            print("The passwords differ.", file=sys.stderr)
            return 1
    person = _with_uow(settings, lambda uow: identity.create_admin(uow, email=args.email, display_name=args.name, password=password))
    print(f"Program admin {person.display_name} <{person.email}> created.")
    return 0


def cmd_institution(args: argparse.Namespace, settings: Settings) -> int:
    if args.action == "add":
        institution = _with_uow(settings, lambda uow: identity.create_institution(uow, None, name=args.name, short_name=args.short_name or args.name[:40]))
        print(f"Institution {institution.id}: {institution.name}")
        return 0
    rows = _with_uow(settings, lambda uow: queries.list_institutions(uow.session, true()))
    for row in rows:
        print(f"{row.id}\t{row.short_name}\t{row.name}")
    if not rows:
        print("No institution yet.")
    return 0


def cmd_cohort(args: argparse.Namespace, settings: Settings) -> int:
    if args.action == "add":
        cohort = _with_uow(settings, lambda uow: identity.create_cohort(uow, None, institution_id=args.institution, name=args.name, wave=args.wave))
        print(f"Cohort {cohort.id}: {cohort.name}")
        return 0
    where = Cohort.institution_id == args.institution if args.institution else true()
    rows = _with_uow(settings, lambda uow: queries.list_cohorts(uow.session, where))
    for row in rows:
        print(f"{row.id}\tinstitution {row.institution_id}\twave {row.wave}\t{row.name}")
    if not rows:
        print("No cohort yet.")
    return 0


def cmd_invite(args: argparse.Namespace, settings: Settings) -> int:
    async def work(uow: UnitOfWork) -> str:
        _, link = await identity.invite(
            uow, None, email=args.email, institution_id=args.institution, cohort_id=args.cohort, role=args.role, constituency=args.constituency
        )
        return link

    link = _with_uow(settings, work)
    print(f"Invitation for {args.email}:\n{link}")
    return 0


def cmd_demo(args: argparse.Namespace, settings: Settings) -> int:
    migrate(settings)
    password = demo.demo_password(settings.data_dir)
    loaded = _with_uow(settings, lambda uow: demo.load_demo(uow, password, lambda line: print(line, flush=True)))
    print("Demo consortium loaded." if loaded else "Demo consortium is there already; nothing changed.")
    for line in demo.sign_in_lines(settings.base_url, password):
        print(line)
    return 0


def cmd_dialogue(args: argparse.Namespace, settings: Settings) -> int:
    from artme_cop.dialogue import retention

    deleted = _with_uow(settings, lambda uow: retention.purge(uow, keep_days=settings.dialogue_report_days))
    print(f"Dialogue messages purged: {deleted}.")
    return 0


def cmd_moderation(args: argparse.Namespace, settings: Settings) -> int:
    from artme_cop.moderation import retention

    total = 0
    while True:
        purged = _with_uow(settings, lambda uow: retention.purge_removed(uow, keep_days=settings.removed_retention_days))
        total += purged
        if purged < retention.BATCH:
            break
        print(f"... {total} purged so far", flush=True)
    print(f"Removed messages purged: {total}.")
    return 0


def cmd_notifications(args: argparse.Namespace, settings: Settings) -> int:
    sent = _with_uow(settings, lambda uow: notifications.send_daily_digests(uow, uow.clock.now()))
    print(f"Daily digests sent: {sent}.")
    return 0


def _progress_bar(step: int, total: int, label: str) -> None:
    filled = round(20 * step / total)
    end = "\n" if step == total else ""
    print(f"\r[{'#' * filled}{'.' * (20 - filled)}] {step}/{total} {label:<40}", end=end, file=sys.stderr, flush=True)


def cmd_knowledge(args: argparse.Namespace, settings: Settings) -> int:
    if args.action == "export":
        count = _with_uow(settings, lambda uow: knowledge_archive.export_archive(uow, Path(args.path), _progress_bar))
        print(f"Exported {count} resource(s) to {args.path}.")
        return 0
    if args.action == "import":
        count = _with_uow(settings, lambda uow: knowledge_archive.import_archive(uow, Path(args.path), _progress_bar))
        print(f"Imported {count} resource(s) from {args.path}.")
        return 0
    moved, reminded = _with_uow(settings, knowledge.run_review_due)
    print(f"Resources now due for update: {moved}. Reviewers reminded: {reminded}.")
    return 0


def cmd_labs(args: argparse.Namespace, settings: Settings) -> int:
    from artme_cop.labs import progress

    sent = _with_uow(settings, lambda uow: progress.send_commitment_reminders(uow, uow.clock.now()))
    print(f"Commitment reminders sent: {sent}.")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="artme-cop", description="ARTME Community of Practice server. Settings come from ARTME_* environment variables (see README).")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = sub.add_parser("serve", help="run the web server (migrates the database first)")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8000, help="port to listen on (default 8000)")
    serve.add_argument("--workers", type=int, default=1, help="number of server processes (use Redis for more than one)")
    serve.add_argument("--reload", action="store_true", help="restart when the code changes (development)")
    serve.add_argument("--no-migrate", action="store_true", help="do not upgrade the database schema on start")
    serve.set_defaults(handler=cmd_serve)

    sub.add_parser("migrate", help="upgrade the database schema to the newest version").set_defaults(handler=cmd_migrate)

    admin = sub.add_parser("create-admin", help="create a program admin account")
    admin.add_argument("--email", required=True, help="the admin's email address")
    admin.add_argument("--name", required=True, help="the admin's display name")
    admin.add_argument("--password", help="the password (asked for when not given)")
    admin.set_defaults(handler=cmd_create_admin)

    institution = sub.add_parser("institution", help="add or list institutions")
    institution_sub = institution.add_subparsers(dest="action", required=True, metavar="ACTION")
    add_institution = institution_sub.add_parser("add", help="add an institution")
    add_institution.add_argument("--name", required=True, help="full name of the school")
    add_institution.add_argument("--short-name", help="short name (default: the name)")
    institution_sub.add_parser("list", help="list institutions")
    institution.set_defaults(handler=cmd_institution)

    cohort = sub.add_parser("cohort", help="add or list cohorts")
    cohort_sub = cohort.add_subparsers(dest="action", required=True, metavar="ACTION")
    add_cohort = cohort_sub.add_parser("add", help="add a cohort to an institution")
    add_cohort.add_argument("--institution", type=int, required=True, help="institution id (see `institution list`)")
    add_cohort.add_argument("--name", required=True, help="cohort name")
    add_cohort.add_argument("--wave", type=int, default=1, help="wave number (default 1)")
    list_cohort = cohort_sub.add_parser("list", help="list cohorts")
    list_cohort.add_argument("--institution", type=int, help="only this institution's cohorts")
    cohort.set_defaults(handler=cmd_cohort)

    invite = sub.add_parser("invite", help="invite a person and print the invitation link")
    invite.add_argument("--email", required=True, help="the person's email address")
    invite.add_argument("--institution", type=int, required=True, help="institution id")
    invite.add_argument("--cohort", type=int, help="cohort id (needed for participant, facilitator, coach)")
    invite.add_argument("--role", default=Role.PARTICIPANT.value, choices=[r.value for r in Role if r is not Role.PROGRAM_ADMIN], help="role (default participant)")
    invite.add_argument("--constituency", default=Constituency.STAFF.value, choices=[c.value for c in Constituency], help="constituency (default staff)")
    invite.set_defaults(handler=cmd_invite)

    sub.add_parser("demo", help="load the fictional demo consortium (idempotent) and print its sign-ins").set_defaults(handler=cmd_demo)

    notification = sub.add_parser("notifications", help="notification jobs")
    notification_sub = notification.add_subparsers(dest="action", required=True, metavar="ACTION")
    notification_sub.add_parser("digest", help="send the daily email digests that are due now (the server also checks every ARTME_DIGEST_INTERVAL seconds)")
    notification.set_defaults(handler=cmd_notifications)

    knowledge_parser = sub.add_parser("knowledge", help="knowledge repository jobs")
    knowledge_sub = knowledge_parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    knowledge_sub.add_parser("review-due", help="move resources past their review date to 'update due', tell their stewards, remind reviewers near their time limit (the server also checks every ARTME_DIGEST_INTERVAL seconds)")
    export = knowledge_sub.add_parser("export", help="write the whole repository (resources, versions, history, reviews, reports) to a zip archive")
    export.add_argument("path", help="the archive to write")
    imported = knowledge_sub.add_parser("import", help="add an exported repository to this database (its people and schools must exist here)")
    imported.add_argument("path", help="the archive to read")
    knowledge_parser.set_defaults(handler=cmd_knowledge)

    labs = sub.add_parser("labs", help="team learning lab jobs")
    labs_sub = labs.add_subparsers(dest="action", required=True, metavar="ACTION")
    labs_sub.add_parser("remind", help="remind owners of team commitments whose check date has come (the server also checks every ARTME_DIGEST_INTERVAL seconds)")
    labs.set_defaults(handler=cmd_labs)

    dialogue = sub.add_parser("dialogue", help="Chats for Change jobs")
    dialogue_sub = dialogue.add_subparsers(dest="action", required=True, metavar="ACTION")
    dialogue_sub.add_parser("purge", help="delete the messages of closed sessions, except reported ones still kept (the server also purges every ARTME_DIALOGUE_PURGE_INTERVAL seconds)")
    dialogue.set_defaults(handler=cmd_dialogue)

    moderation = sub.add_parser("moderation", help="moderation jobs")
    moderation_sub = moderation.add_subparsers(dest="action", required=True, metavar="ACTION")
    moderation_sub.add_parser("purge", help="blank the text and remove the files of messages deleted or hidden more than ARTME_REMOVED_RETENTION_DAYS ago (the server also purges every ARTME_DIGEST_INTERVAL seconds)")
    moderation.set_defaults(handler=cmd_moderation)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = load_settings()
    except SettingsError as exc:
        print(f"artme-cop: configuration error: {exc}", file=sys.stderr)
        return 2
    try:
        return int(args.handler(args, settings))
    except DomainError as exc:
        print(f"artme-cop: {exc.message}", file=sys.stderr)
        return 1



