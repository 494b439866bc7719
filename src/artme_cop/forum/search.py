"""Forum search: full text over thread titles and posts, only in spaces the searcher may read.

One service function, `search_posts`, over two engines: SQLite's FTS5 table `forum_search`
and PostgreSQL's full-text search over GIN indexes (both made by migration
0006, which says how each stays in step with the posts). The policy's visibility clause is
part of the SQL query itself, before the LIMIT, so a page is never cut short by rows the
searcher may not see and nothing of a hidden space (not even a count) leaves the database.

Results come newest first, paged by keyset on the message id: stable while posts are
added (new posts only ever get higher ids), and on FTS5 the index walks its own rowid order
and stops at the page size instead of ranking every match.

The user's words never reach a query as syntax: `parse_query` reads a small language (words,
"phrases", -excluded, OR) into items, and each item is rendered quoted for FTS5, or for
PostgreSQL's `websearch_to_tsquery`, which never raises on input.

Snippets travel as segments (text, highlighted?) built from control-character markers
that no stored text can contain (post bodies and titles refuse control characters), so the
template escapes every piece and adds only the `<mark>` tags itself.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Any

from sqlalchemy import ColumnElement, Integer, Select, String, and_, bindparam, case, column, false, func, literal_column, select, table, text, union
from sqlalchemy.orm import aliased

from artme_cop import policy
from artme_cop.conversations.models import Conversation, Message
from artme_cop.errors import Invalid, NotFound
from artme_cop.forum import service as forum
from artme_cop.forum.models import Category, Thread
from artme_cop.identity.models import Person
from artme_cop.policy import Actor, SpaceScope
from artme_cop.unit_of_work import UnitOfWork

MAX_QUERY = 200
RESULTS_PAGE = 20
MAX_ITEMS = 12
AUTHOR_LIMIT = 100
MARK_START = "\x02"
MARK_END = "\x03"
ELLIPSIS = "…"
SNIPPET_TOKENS = 24
# Characters a search box may carry that no query needs; PostgreSQL refuses NUL outright.
_CONTROLS = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_ITEM = re.compile(r'(-?)"([^"]*)"?|(\S+)')

# The configuration must be this very literal (not a bound parameter) for PostgreSQL to
# match the expression of the title index of migration 0006.
_PG_CONFIG = literal_column("'english'::regconfig")
# The generated column of migration 0006 (not in the ORM model: only PostgreSQL has it).
_PG_BODY_VECTOR = literal_column("messages.search_vector")
_PG_HEADLINE = f"StartSel={MARK_START}, StopSel={MARK_END}, MaxWords=35, MinWords=15, ShortWord=3, MaxFragments=2, FragmentDelimiter=\" {ELLIPSIS} \""
_PG_TITLE_HEADLINE = f"StartSel={MARK_START}, StopSel={MARK_END}, HighlightAll=true"

_fts = table("forum_search", column("rowid", Integer), column("title", String), column("body", String))


# --- the query language --------------------------------------------------------------------


@dataclass(frozen=True)
class Item:
    """A word or phrase to find, or (negated) to leave out."""

    words: str
    negated: bool = False


@dataclass(frozen=True)
class SearchQuery:
    """Alternatives (joined by OR), each a list of items that must all hold."""

    groups: tuple[tuple[Item, ...], ...]

    def to_fts5(self) -> str:
        return " OR ".join(f"({_fts5_group(group)})" for group in self.groups)

    def to_websearch(self) -> str:
        return " OR ".join(" ".join(f'{"-" if item.negated else ""}"{item.words}"' for item in group) for group in self.groups)


def _fts5_group(group: tuple[Item, ...]) -> str:
    # FTS5's NOT is binary and binds tighter than AND: "a" AND "b" NOT "c" is a, b and not c.
    found = " AND ".join(_fts5_phrase(item.words) for item in group if not item.negated)
    return found + "".join(f" NOT {_fts5_phrase(item.words)}" for item in group if item.negated)


def _fts5_phrase(words: str) -> str:
    return '"' + words.replace('"', '""') + '"'


def parse_query(raw: object) -> SearchQuery:
    """The user's search text as items; words with no letter or digit are dropped (they
    would match nothing). Invalid when too long, or when nothing is left to look for."""
    if not isinstance(raw, str):
        raise Invalid("Type some words to search for.", field="q")
    if len(raw) > MAX_QUERY:
        raise Invalid(f"A search can be at most {MAX_QUERY} characters.", field="q")
    groups: list[tuple[Item, ...]] = []
    current: list[Item] = []
    for match in _ITEM.finditer(_CONTROLS.sub(" ", raw)):
        negated_phrase, phrase, word = match.groups()
        if word == "OR":
            groups.append(tuple(current))
            current = []
            continue
        item = Item(phrase, bool(negated_phrase)) if phrase is not None else Item(word.lstrip("-"), word.startswith("-") and len(word) > 1)
        words = " ".join(item.words.replace('"', " ").split())
        if any(character.isalnum() for character in words):
            current.append(Item(words, item.negated))
    groups.append(tuple(current))
    kept = tuple(_bounded(group) for group in groups if any(not item.negated for item in group))
    if not kept:
        if any(groups):
            raise Invalid("Add a word to look for: a search cannot only leave words out.", field="q")
        raise Invalid("Type at least one word (letters or digits) to search for.", field="q")
    return SearchQuery(kept)


def _bounded(group: tuple[Item, ...]) -> tuple[Item, ...]:
    """At most MAX_ITEMS words to find and as many to leave out: enough for a person, and a
    bound on the work one search can ask of the index."""
    found = [item for item in group if not item.negated][:MAX_ITEMS]
    left_out = [item for item in group if item.negated][:MAX_ITEMS]
    return tuple(found + left_out)


# --- filters -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Filters:
    category: Category | None = None
    scope: SpaceScope | None = None
    author: str | None = None
    since: date | None = None
    until: date | None = None
    before_id: int | None = None


def _parse_date(value: object, label: str, field: str) -> date | None:
    if value in (None, ""):
        return None
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise Invalid(f"{label} must be a date like 2026-09-30.", field=field) from None


def _parse_scope(value: object) -> SpaceScope | None:
    if value in (None, ""):
        return None
    try:
        return SpaceScope(str(value))
    except ValueError:
        raise Invalid("Choose the whole consortium, school or cohort threads.", field="scope") from None


def _parse_author(value: object) -> str | None:
    if value in (None, ""):
        return None
    name = " ".join(_CONTROLS.sub(" ", str(value)).split())
    if len(name) > AUTHOR_LIMIT:
        raise Invalid(f"An author's name can be at most {AUTHOR_LIMIT} characters.", field="author")
    return name or None


def _parse_cursor(value: object) -> int | None:
    if value in (None, ""):
        return None
    text_value = str(value)
    if not text_value.isascii() or not text_value.isdigit() or not 0 < int(text_value) < 2**31:
        raise Invalid("This page link is not valid.", field="cursor")
    return int(text_value)


async def _parse_category(uow: UnitOfWork, value: object) -> Category | None:
    if value in (None, ""):
        return None
    try:
        return await forum.get_category(uow, value)
    except NotFound:
        raise Invalid("There is no such category.", field="category") from None


async def parse_filters(uow: UnitOfWork, *, category: object = None, scope: object = None, author: object = None, since: object = None, until: object = None, cursor: object = None) -> Filters:
    """Filters from raw input; anything malformed is Invalid (a 400), never a query."""
    start = _parse_date(since, "The start date", "since")
    end = _parse_date(until, "The end date", "until")
    if start and end and start > end:
        raise Invalid("The start date is after the end date.", field="since")
    return Filters(await _parse_category(uow, category), _parse_scope(scope), _parse_author(author), start, end, _parse_cursor(cursor))


# --- results -----------------------------------------------------------------------------------


Segment = tuple[str, bool]


@dataclass(frozen=True)
class Hit:
    thread_id: int
    title: tuple[Segment, ...]
    category_name: str
    category_slug: str
    scope: str
    seq: int
    author_name: str
    created_at: datetime
    snippet: tuple[Segment, ...]
    message_id: int


@dataclass(frozen=True)
class SearchResults:
    hits: list[Hit]
    next_cursor: str | None


def segments(marked: str) -> tuple[Segment, ...]:
    """Split text carrying MARK_START/MARK_END into (text, highlighted) pieces."""
    pieces: list[Segment] = []
    highlighted = False
    for part in re.split(f"([{MARK_START}{MARK_END}])", marked):
        if part in (MARK_START, MARK_END):
            highlighted = part == MARK_START
        elif part:
            pieces.append((part, highlighted))
    return tuple(pieces)


async def search_posts(
    uow: UnitOfWork,
    actor: Actor,
    *,
    query: object,
    category: object = None,
    scope: object = None,
    author: object = None,
    since: object = None,
    until: object = None,
    cursor: object = None,
    limit: int = RESULTS_PAGE,
) -> SearchResults:
    """Posts and thread titles matching `query` in the threads the actor may read, newest first.

    Who: anyone signed in; only spaces `space.read` admits, deleted and hidden posts never.
    Raises: Invalid for a query or filter that cannot be read (never a database error).
    """
    parsed = parse_query(query)
    filters = await parse_filters(uow, category=category, scope=scope, author=author, since=since, until=until, cursor=cursor)
    visible = policy.space_clause(actor, Conversation.scope, Conversation.institution_id, Conversation.cohort_id)
    if uow.session.get_bind().dialect.name == "postgresql":
        statement = _postgres_query(parsed, visible, filters, limit + 1)
    else:
        statement = _sqlite_query(parsed, visible, filters, limit + 1)
    rows = (await uow.session.execute(statement)).all()
    hits = [_hit(row) for row in rows[:limit]]
    return SearchResults(hits, str(hits[-1].message_id) if len(rows) > limit else None)


def _hit(row: Any) -> Hit:
    return Hit(
        thread_id=row.thread_id,
        title=segments(row.title) if row.seq == 1 and row.title else ((row.plain_title, False),),
        category_name=row.category_name,
        category_slug=row.category_slug,
        scope=row.scope,
        seq=row.seq,
        author_name="Deleted account" if row.author_deleted else row.author_name,
        created_at=row.created_at,
        snippet=segments(row.snippet or ""),
        message_id=row.message_id,
    )


def _post_columns() -> tuple[ColumnElement[Any], ...]:
    return (
        Message.id.label("message_id"),
        Message.seq,
        Message.created_at,
        Thread.id.label("thread_id"),
        Thread.title.label("plain_title"),
        Category.name.label("category_name"),
        Category.slug.label("category_slug"),
        Conversation.scope,
        Person.display_name.label("author_name"),
        Person.is_deleted.label("author_deleted"),
    )


def _scoped(statement: Select[Any]) -> Select[Any]:
    """Posts with their thread and conversation: what the visibility clause and filters read."""
    return statement.join(Thread, Thread.conversation_id == Message.conversation_id).join(Conversation, Conversation.id == Message.conversation_id)


def _joined(statement: Select[Any]) -> Select[Any]:
    """Also what a hit shows: the category and the author."""
    return _scoped(statement).join(Category, Category.id == Thread.category_id).join(Person, Person.id == Message.author_id)


def _filtered(statement: Select[Any], visible: ColumnElement[bool], filters: Filters) -> Select[Any]:
    statement = statement.where(visible, Message.deleted_at.is_(None), Message.hidden_at.is_(None))
    if filters.category is not None:
        statement = statement.where(Thread.category_id == filters.category.id)
    if filters.scope is not None:
        statement = statement.where(Conversation.scope == filters.scope.value)
    if filters.author is not None:
        statement = statement.where(Message.author_id.in_(_people_named(filters.author)))
    if filters.since is not None:
        statement = statement.where(Message.created_at >= _midnight(filters.since))
    if filters.until is not None:
        statement = statement.where(Message.created_at < _midnight(filters.until + timedelta(days=1)))
    return statement


def _people_named(name: str) -> Select[Any]:
    author = aliased(Person)
    return select(author.id).where(func.lower(author.display_name) == name.lower(), author.is_deleted == false())


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=timezone.utc)


def _sqlite_query(parsed: SearchQuery, visible: ColumnElement[bool], filters: Filters, limit: int) -> Select[Any]:
    """FTS5 drives: it yields matching rowids newest first and the joins check each one,
    so a page of common words stops early and rare words touch few rows."""
    statement = select(
        *_post_columns(),
        func.highlight(literal_column("forum_search"), 0, MARK_START, MARK_END).label("title"),
        func.snippet(literal_column("forum_search"), 1, MARK_START, MARK_END, ELLIPSIS, SNIPPET_TOKENS).label("snippet"),
    ).select_from(_fts).join(Message, Message.id == _fts.c.rowid)
    statement = _filtered(_joined(statement), visible, filters).where(text("forum_search MATCH :fts_query").bindparams(fts_query=parsed.to_fts5()))
    if filters.before_id is not None:
        statement = statement.where(_fts.c.rowid < filters.before_id)
    return statement.order_by(_fts.c.rowid.desc()).limit(limit)


def _postgres_query(parsed: SearchQuery, visible: ColumnElement[bool], filters: Filters, limit: int) -> Select[Any]:
    """Two ranked branches, each a page on its own: posts whose body matches, and first posts
    whose thread's title matches, each with the visibility clause and the filters, newest
    first, LIMIT n. The page is the top n of their union; headlines are built for it only.
    Kept apart, each branch can use its GIN index (rare words) or walk the primary key
    backwards (common words) as the planner sees fit."""
    tsquery = func.websearch_to_tsquery(_PG_CONFIG, bindparam("pg_query", parsed.to_websearch()))
    by_body = _postgres_branch(_PG_BODY_VECTOR.op("@@")(tsquery), visible, filters, limit)
    by_title = _postgres_branch(and_(func.to_tsvector(_PG_CONFIG, Thread.title).op("@@")(tsquery), Message.seq == 1), visible, filters, limit)
    candidates = union(select(by_body.c.id), select(by_title.c.id)).subquery()
    page_ids = select(candidates.c.id).order_by(candidates.c.id.desc()).limit(limit)
    statement = select(
        *_post_columns(),
        case((Message.seq == 1, func.ts_headline(_PG_CONFIG, Thread.title, tsquery, _PG_TITLE_HEADLINE)), else_=Thread.title).label("title"),
        func.ts_headline(_PG_CONFIG, Message.body, tsquery, _PG_HEADLINE).label("snippet"),
    ).select_from(Message)
    return _joined(statement).where(Message.id.in_(page_ids)).order_by(Message.id.desc())


def _postgres_branch(match: ColumnElement[bool], visible: ColumnElement[bool], filters: Filters, limit: int) -> Any:
    branch = _filtered(_scoped(select(Message.id)), visible, filters).where(match)
    if filters.before_id is not None:
        branch = branch.where(Message.id < filters.before_id)
    return branch.order_by(Message.id.desc()).limit(limit).subquery()
