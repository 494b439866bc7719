"""Alembic environment: async engines, the URL from the project's settings.

When the caller passes a connection in `config.attributes["connection"]` (tests, the CLI),
that connection is used; otherwise an engine is built from `ARTME_DATABASE_URL` (or the
`sqlalchemy.url` the caller set). SQLite runs in batch mode so ALTERs work there too.
"""

from __future__ import annotations

import asyncio
from typing import Any

from alembic import context
from sqlalchemy.engine import Connection

from artme_cop import db
from artme_cop.identity import models as _identity_models  # noqa: F401  (register tables)
from artme_cop.moderation import models as _moderation_models  # noqa: F401
from artme_cop.conversations import models as _conversation_models  # noqa: F401
from artme_cop.forum import models as _forum_models  # noqa: F401
from artme_cop.notifications import models as _notification_models  # noqa: F401
from artme_cop.program.calendar import models as _calendar_models  # noqa: F401
from artme_cop.program.phases import models as _phase_models  # noqa: F401
from artme_cop.program.readiness import models as _readiness_models  # noqa: F401
from artme_cop.program.coalition import models as _coalition_models  # noqa: F401
from artme_cop.program.outcomes import models as _outcome_models  # noqa: F401
from artme_cop.program.wins import models as _win_models  # noqa: F401
from artme_cop.knowledge import models as _knowledge_models  # noqa: F401
from artme_cop.dialogue import models as _dialogue_models  # noqa: F401
from artme_cop.labs import models as _lab_models  # noqa: F401
from artme_cop.attachments import models as _attachment_models  # noqa: F401
from artme_cop.settings import load_settings

target_metadata = db.Base.metadata

# The forum's full-text index (migration 0006) lives outside the models: the FTS5 table and
# its shadow tables on SQLite, a generated column and GIN indexes on PostgreSQL. `alembic check` must
# neither ask to drop them nor compare them.
SEARCH_TABLES = frozenset({"forum_search"} | {f"forum_search_{shadow}" for shadow in ("data", "idx", "content", "docsize", "config")})
SEARCH_INDEXES = frozenset({"ix_messages_body_search", "ix_forum_threads_title_search"})
SEARCH_COLUMNS = frozenset({("messages", "search_vector")})


def include_name(name: str | None, type_: str, parent_names: Any) -> bool:
    if type_ == "table":
        return name not in SEARCH_TABLES
    if type_ == "index":
        return name not in SEARCH_INDEXES
    if type_ == "column":
        return (parent_names.get("table_name"), name) not in SEARCH_COLUMNS
    return True


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        include_name=include_name,
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_async(url: str) -> None:
    engine = db.make_engine(url)
    async with engine.connect() as connection:
        await connection.run_sync(_run)
        await connection.commit()
    await engine.dispose()


def run() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    url = context.config.get_main_option("sqlalchemy.url") or load_settings().database_url
    asyncio.run(_run_async(url))


if context.is_offline_mode():
    raise SystemExit("offline migrations are not supported; run `artme-cop migrate`")
run()
