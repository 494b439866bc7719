"""The statements of the message write path (`service.store_messages`), a handful per batch,
behind one small interface with two implementations:

- `CoreStatements`: prebuilt SQLAlchemy Core statements on any connection (PostgreSQL,
  and `post_messages` inside a larger unit of work on either database);
- `SqliteStatements`: the same statements as plain `sqlite3` calls on the driver
  connection under a pysqlite Connection (the SQLite write thread, db.WriteThread). On a
  small write SQLAlchemy's per-statement work costs many times SQLite's own.

Both run inside the caller's transaction and return the same small row types, so the rules
(service.py) are written once. The SQL of the plain path is built from the table metadata,
and its values pass through the columns' own bind processors (UTC timestamps), so both paths
store the same bytes; tests/realtime/test_writer.py checks that live events equal their
replay on both paths.
"""

from __future__ import annotations

from typing import Any, Callable, NamedTuple

from sqlalchemy import Connection, bindparam, insert, select, text, update

from artme_cop.conversations.models import Conversation, Mention, Message
from artme_cop.identity.models import Person

_CONVERSATIONS = Conversation.__table__
_MESSAGES = Message.__table__
_PEOPLE = Person.__table__
_MENTIONS = Mention.__table__


class ConversationRow(NamedTuple):
    """What the policy and the seq allocation read of a conversation. (Named tuples: made
    several times per batch, and a tuple is the cheapest object with named fields.)"""

    id: int
    scope: str
    institution_id: int | None
    cohort_id: int | None
    last_seq: int
    is_locked: bool
    kind: str


class AuthorRow(NamedTuple):
    """What an author payload shows of a person."""

    id: int
    display_name: str
    pronouns: str
    is_deleted: bool


_CONVERSATION_COLUMNS = [_CONVERSATIONS.c[name] for name in ("id", "scope", "institution_id", "cohort_id", "last_seq", "is_locked", "kind")]
AUTHOR_COLUMNS = [_PEOPLE.c[name] for name in ("id", "display_name", "pronouns", "is_deleted")]
MESSAGE_COLUMNS = (
    "conversation_id", "seq", "author_id", "client_msg_id", "body", "html", "renderer_version", "reply_to_seq", "created_at", "hide_reason", "author_alias",
)
_CREATED_AT = MESSAGE_COLUMNS.index("created_at")


def _conversation(row: Any) -> ConversationRow:
    return ConversationRow(row[0], row[1], row[2], row[3], row[4], bool(row[5]), row[6])


def author_row(row: Any) -> AuthorRow:
    return AuthorRow(row[0], row[1], row[2], bool(row[3]))


class CoreStatements:
    _GET_CONVERSATIONS = select(*_CONVERSATION_COLUMNS).where(_CONVERSATIONS.c.id.in_(bindparam("ids", expanding=True)))
    _ADVANCE_SEQ = (
        update(_CONVERSATIONS)
        .where(_CONVERSATIONS.c.id == bindparam("conversation_id"))
        .values(last_seq=_CONVERSATIONS.c.last_seq + bindparam("count"))
        .returning(_CONVERSATIONS.c.last_seq)
    )
    _INSERT_MESSAGES = insert(_MESSAGES).returning(_MESSAGES.c.id, sort_by_parameter_order=True)
    _GET_AUTHORS = select(*AUTHOR_COLUMNS).where(_PEOPLE.c.id.in_(bindparam("ids", expanding=True)))
    _INSERT_MENTIONS = insert(_MENTIONS)

    # The batch's (author_id, client_msg_id) pairs are joined to the table: one probe of the
    # unique index per send. The former `author_id IN (...) AND client_msg_id IN (...)` made
    # PostgreSQL (before 17) search the index by its first column only and read every
    # message of the batch's authors, and SQLite probe every combination of the two lists
    # (or scan the table): costs that grew with the table or the batch until writes stalled
    # under load. On PostgreSQL the statement text is the same whatever the batch's size.
    _EARLIER_PAIRS = text(
        "SELECT m.author_id, m.client_msg_id, m.conversation_id, m.seq"
        " FROM unnest(CAST(:authors AS INTEGER[]), CAST(:client_ids AS VARCHAR[])) AS wanted(author_id, client_msg_id)"
        f" JOIN {_MESSAGES.name} AS m ON m.author_id = wanted.author_id AND m.client_msg_id = wanted.client_msg_id"
    )

    def __init__(self, connection: Connection) -> None:
        self.connection = connection  # also for the rare mention checks, through the ORM

    def earlier(self, keys: list[tuple[int, str]]) -> list[tuple[int, str, int, int]]:
        """(author_id, client_msg_id, conversation_id, seq) of the stored messages among the
        (author_id, client_msg_id) keys."""
        if self.connection.dialect.name == "sqlite":
            rows = self.connection.exec_driver_sql(*_earlier_on_sqlite(keys))
        else:
            params = {"authors": [a for a, _ in keys], "client_ids": [c for _, c in keys]}
            rows = self.connection.execute(self._EARLIER_PAIRS, params)
        return [(a, c, conv, seq) for a, c, conv, seq in rows]

    def conversations(self, ids: list[int]) -> dict[int, ConversationRow]:
        return {row.id: row for row in map(_conversation, self.connection.execute(self._GET_CONVERSATIONS, {"ids": ids}))}

    def advance_seq(self, conversation_id: int, count: int) -> int:
        """Add `count` to the conversation's last seq; returns the new last. The row update
        serializes concurrent writers (several processes on PostgreSQL)."""
        return int(self.connection.execute(self._ADVANCE_SEQ, {"conversation_id": conversation_id, "count": count}).scalar_one())

    def insert_messages(self, rows: list[dict[str, Any]]) -> list[int]:
        """Insert the rows (keys: MESSAGE_COLUMNS); returns their ids in order."""
        return list(self.connection.execute(self._INSERT_MESSAGES, rows).scalars())

    def authors(self, ids: list[int]) -> dict[int, AuthorRow]:
        return {row.id: row for row in map(author_row, self.connection.execute(self._GET_AUTHORS, {"ids": ids}))}

    def insert_mentions(self, rows: list[dict[str, int]]) -> None:
        self.connection.execute(self._INSERT_MENTIONS, rows)


def _earlier_on_sqlite(keys: list[tuple[int, str]]) -> tuple[str, tuple[Any, ...]]:
    """`CoreStatements._EARLIER_PAIRS` for SQLite: the pairs as a list of VALUES."""
    sql = (
        f"WITH wanted(author_id, client_msg_id) AS (VALUES {', '.join('(?, ?)' for _ in keys)})"
        " SELECT m.author_id, m.client_msg_id, m.conversation_id, m.seq FROM wanted"
        f" JOIN {_MESSAGES.name} AS m ON m.author_id = wanted.author_id AND m.client_msg_id = wanted.client_msg_id"
    )
    return sql, tuple(value for key in keys for value in key)


def _marks(count: int) -> str:
    return ", ".join("?" * count)


class SqliteStatements(CoreStatements):
    """The hot statements as plain sqlite3 calls, in the transaction SQLAlchemy began."""

    _INSERT_MESSAGE_SQL = f"INSERT INTO {_MESSAGES.name} ({', '.join(MESSAGE_COLUMNS)}) VALUES ({_marks(len(MESSAGE_COLUMNS))})"
    _ADVANCE_SEQ_SQL = f"UPDATE {_CONVERSATIONS.name} SET last_seq = last_seq + ? WHERE id = ? RETURNING last_seq"

    def __init__(self, connection: Connection) -> None:
        super().__init__(connection)
        self._cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
        self._created_at: Callable[[Any], Any] = _MESSAGES.c.created_at.type.bind_processor(connection.dialect) or (lambda value: value)

    def earlier(self, keys: list[tuple[int, str]]) -> list[tuple[int, str, int, int]]:
        return self._cursor.execute(*_earlier_on_sqlite(keys)).fetchall()

    def conversations(self, ids: list[int]) -> dict[int, ConversationRow]:
        columns = ", ".join(c.name for c in _CONVERSATION_COLUMNS)
        rows = self._cursor.execute(f"SELECT {columns} FROM {_CONVERSATIONS.name} WHERE id IN ({_marks(len(ids))})", ids)
        return {row.id: row for row in map(_conversation, rows)}

    def advance_seq(self, conversation_id: int, count: int) -> int:
        return int(self._cursor.execute(self._ADVANCE_SEQ_SQL, (count, conversation_id)).fetchone()[0])

    def insert_messages(self, rows: list[dict[str, Any]]) -> list[int]:
        ids = []
        for row in rows:
            values = [row[name] for name in MESSAGE_COLUMNS]
            values[_CREATED_AT] = self._created_at(values[_CREATED_AT])
            self._cursor.execute(self._INSERT_MESSAGE_SQL, values)
            ids.append(int(self._cursor.lastrowid))  # type: ignore[arg-type]
        return ids

    def authors(self, ids: list[int]) -> dict[int, AuthorRow]:
        columns = ", ".join(c.name for c in AUTHOR_COLUMNS)
        rows = self._cursor.execute(f"SELECT {columns} FROM {_PEOPLE.name} WHERE id IN ({_marks(len(ids))})", ids)
        return {row.id: row for row in map(author_row, rows)}


def statements_for(connection: Connection) -> CoreStatements:
    """Plain sqlite3 where the driver is pysqlite (a synchronous connection we may call
    directly); SQLAlchemy Core everywhere else (asyncpg, aiosqlite under run_sync)."""
    if connection.dialect.name == "sqlite" and connection.dialect.driver == "pysqlite":
        return SqliteStatements(connection)
    return CoreStatements(connection)
