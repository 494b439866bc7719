"""forum search

Revision ID: 0006
Revises: 0003
Create Date: 2026-11-28

The full-text index behind `forum.search.search_posts`, one per database:

- SQLite: `forum_search`, an FTS5 table with one row per live forum post (rowid = the
  message id), columns `title` (the thread's title, on the first post only) and `body` (the
  post's markdown source). It keeps its own copy of the text, so `snippet()` and deletes
  never depend on the messages table still holding the old values. Triggers keep it in step
  with every writer, ORM or Core or raw SQL: a post is indexed when it is inserted into a
  thread's conversation, re-indexed when its body changes, and removed when it is deleted,
  hidden or dropped; a thread's title follows onto its first post. Posts of other kinds of
  conversation (dialogue rooms, lab channels) are never indexed: the triggers index only
  messages whose conversation has a forum thread.
- PostgreSQL: a generated, stored `messages.search_vector` (`to_tsvector('english', body)`)
  with a GIN index over live posts (partial: not deleted, not hidden), and a GIN expression
  index over thread titles; the database keeps them in step by itself.

These objects are not in the SQLAlchemy metadata; migrations/env.py leaves them out of
`alembic check`. A later batch migration that rebuilds `messages` or `forum_threads` on
SQLite drops the triggers on the old table (and the triggers on the other table name it):
it must drop the triggers of SQLITE_TRIGGERS first and create them again afterwards (copy
the statements; migrations never import each other).
"""

from __future__ import annotations

from alembic import op


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

# porter: English stemming, like PostgreSQL's 'english' configuration; remove_diacritics 2
# lets "Muñoz" be found as "munoz".
SQLITE_TABLE = """
CREATE VIRTUAL TABLE forum_search USING fts5(
    title, body, tokenize = 'porter unicode61 remove_diacritics 2'
)
"""

# The row a live post of a thread gets; `{message}` is the messages row (new or m).
_INDEX_POST = """
INSERT INTO forum_search (rowid, title, body)
SELECT {message}.id, CASE WHEN {message}.seq = 1 THEN t.title ELSE '' END, {message}.body
FROM forum_threads AS t
WHERE t.conversation_id = {message}.conversation_id
  AND {message}.deleted_at IS NULL AND {message}.hidden_at IS NULL
"""

SQLITE_TRIGGERS = {
    "forum_search_message_insert": f"""
CREATE TRIGGER forum_search_message_insert AFTER INSERT ON messages
BEGIN
    {_INDEX_POST.format(message="new")};
END
""",
    # Any change to what is searchable: the text, the removal marks, the place.
    "forum_search_message_update": f"""
CREATE TRIGGER forum_search_message_update
AFTER UPDATE OF body, deleted_at, hidden_at, seq, conversation_id ON messages
BEGIN
    DELETE FROM forum_search WHERE rowid = old.id;
    {_INDEX_POST.format(message="new")};
END
""",
    "forum_search_message_delete": """
CREATE TRIGGER forum_search_message_delete AFTER DELETE ON messages
BEGIN
    DELETE FROM forum_search WHERE rowid = old.id;
END
""",
    # The service inserts the thread before its first post; an import may do the reverse.
    "forum_search_thread_insert": """
CREATE TRIGGER forum_search_thread_insert AFTER INSERT ON forum_threads
BEGIN
    DELETE FROM forum_search WHERE rowid IN (SELECT id FROM messages WHERE conversation_id = new.conversation_id);
    INSERT INTO forum_search (rowid, title, body)
    SELECT m.id, CASE WHEN m.seq = 1 THEN new.title ELSE '' END, m.body
    FROM messages AS m
    WHERE m.conversation_id = new.conversation_id AND m.deleted_at IS NULL AND m.hidden_at IS NULL;
END
""",
    "forum_search_thread_title": """
CREATE TRIGGER forum_search_thread_title AFTER UPDATE OF title ON forum_threads
BEGIN
    DELETE FROM forum_search WHERE rowid IN (SELECT id FROM messages WHERE conversation_id = new.conversation_id AND seq = 1);
    INSERT INTO forum_search (rowid, title, body)
    SELECT m.id, new.title, m.body
    FROM messages AS m
    WHERE m.conversation_id = new.conversation_id AND m.seq = 1 AND m.deleted_at IS NULL AND m.hidden_at IS NULL;
END
""",
    "forum_search_thread_delete": """
CREATE TRIGGER forum_search_thread_delete AFTER DELETE ON forum_threads
BEGIN
    DELETE FROM forum_search WHERE rowid IN (SELECT id FROM messages WHERE conversation_id = old.conversation_id);
END
""",
}

SQLITE_BACKFILL = """
INSERT INTO forum_search (rowid, title, body)
SELECT m.id, CASE WHEN m.seq = 1 THEN t.title ELSE '' END, m.body
FROM messages AS m JOIN forum_threads AS t ON t.conversation_id = m.conversation_id
WHERE m.deleted_at IS NULL AND m.hidden_at IS NULL
"""

# PostgreSQL: a stored tsvector of each message body (generated, so every writer keeps it
# right), so that phrase matches and the planner's per-row checks read the vector instead of
# parsing the body again; GIN indexes serve `@@`. Adding the column rewrites `messages` once.
POSTGRES_COLUMN = "search_vector"
POSTGRES_STATEMENTS = (
    "ALTER TABLE messages ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (to_tsvector('english'::regconfig, body)) STORED",
    # search_vector @@ query, for live posts (the query repeats the partial predicate)
    "CREATE INDEX ix_messages_body_search ON messages USING gin (search_vector) WHERE deleted_at IS NULL AND hidden_at IS NULL",
    # title @@ query, mapped to the thread's first post; titles are short, so an expression
    # index (whose expression the query must repeat exactly) is enough
    "CREATE INDEX ix_forum_threads_title_search ON forum_threads USING gin (to_tsvector('english'::regconfig, title))",
)
POSTGRES_DOWNGRADE = (
    "DROP INDEX IF EXISTS ix_forum_threads_title_search",
    "DROP INDEX IF EXISTS ix_messages_body_search",
    "ALTER TABLE messages DROP COLUMN IF EXISTS search_vector",
)


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute(SQLITE_TABLE)
        for statement in SQLITE_TRIGGERS.values():
            op.execute(statement)
        op.execute(SQLITE_BACKFILL)
    else:
        for statement in POSTGRES_STATEMENTS:
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for name in SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        op.execute("DROP TABLE IF EXISTS forum_search")  # also drops its shadow tables
    else:
        for statement in POSTGRES_DOWNGRADE:
            op.execute(statement)
