"""Forum benchmark: a long thread's first and last pages, and search over 100,000 posts.

    .venv/bin/python bench/forum.py                  # build, measure, print figures and plans
    .venv/bin/python bench/forum.py --runs 50 --keep # more runs; keep the database to look at it
    .venv/bin/python bench/forum.py --help

A fresh SQLite database in a temporary directory is migrated to head and filled directly
with bulk inserts (no markdown rendering, no hooks; the search index fills through its own
triggers, as in production): 11 schools with 2 cohorts each, 20 people per cohort, one
consortium thread of 5,000 posts, and 1,900 more threads of 50 posts in mixed scopes (40 %
consortium, 30 % one school, 30 % one cohort), 100,000 posts in all. Post bodies are 20 to
80 words drawn from a Zipf-distributed vocabulary, so some words are in a third of the posts
and others in a handful; one word ("cedarsecret") is planted in 5,000 posts of one other
school's cohort threads and in 3 consortium posts, the worst case for the visibility filter.

Server time is the time of the service call inside its own read-only unit of work (what a
request spends beyond HTTP and templates): `forum.read_thread` for pages, and
`forum.search.search_posts` for searches, as a student of school 1 (who may read about 44 %
of the posts) and as the program admin (consortium threads only, DOMAIN rule 1). Each is run
a few times to warm up, then --runs times; the median and p95 are printed, with the query
plans (EXPLAIN QUERY PLAN) the figures rely on.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Awaitable, Callable

from sqlalchemy import insert, select, text

from artme_cop.cli import migrate
from artme_cop.clock import SystemClock
from artme_cop.conversations.models import Conversation, Message
from artme_cop.db import make_engine, make_sessionmaker
from artme_cop.forum import search
from artme_cop.forum import service as forum
from artme_cop.forum.models import Category, Thread
from artme_cop.identity.models import Cohort, Constituency, Institution, Person, Role
from artme_cop.policy import Actor, Grant
from artme_cop.settings import Secret, Settings
from artme_cop.unit_of_work import UnitOfWork

SCHOOLS = 11
COHORTS_PER_SCHOOL = 2
PEOPLE_PER_COHORT = 20
LONG_THREAD_POSTS = 5_000
THREADS = 1_900
POSTS_PER_THREAD = 50
PLANTED = "cedarsecret"
START = datetime(2025, 1, 1, tzinfo=timezone.utc)
PROJECT_ROOT = Path(__file__).resolve().parent.parent
COUNT_SQL = {
    "sqlite": "SELECT count(*) FROM forum_search WHERE forum_search MATCH '\"' || :q || '\"'",
    "postgresql": "SELECT count(*) FROM messages WHERE to_tsvector('english'::regconfig, body) @@ plainto_tsquery('english'::regconfig, :q) AND deleted_at IS NULL AND hidden_at IS NULL",
}

# The head of the vocabulary: the words of this domain, most frequent first.
DOMAIN_WORDS = (
    "the and of to in we our change school students cohort climate racism faculty session "
    "dialogue curriculum coalition equity inclusion leadership learning team targets phase "
    "feedback assessment readiness bias wins policy practice community residents patients "
    "admissions mentoring belonging accountability harm repair trust facilitators agreements "
    "framing outcome mapping sphere hiring promotion evaluation grading clerkship wellness"
).split()


def vocabulary(rng: random.Random, size: int = 12_000) -> list[str]:
    syllables = ["ka", "lo", "mi", "ten", "ra", "sun", "vel", "dor", "pi", "an", "qu", "zo", "bre", "ish", "ul", "mar"]
    words = list(DOMAIN_WORDS)
    seen = set(words)
    while len(words) < size:
        word = "".join(rng.choice(syllables) for _ in range(rng.randint(3, 5)))
        if word not in seen:
            seen.add(word)
            words.append(word)
    return words


class Corpus:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.words = vocabulary(self.rng)
        self.weights = [1 / (rank + 1) for rank in range(len(self.words))]
        self.cumulative = list(_accumulate(self.weights))

    def body(self, extra: str = "") -> str:
        count = self.rng.randint(20, 80)
        chosen = self.rng.choices(self.words, cum_weights=self.cumulative, k=count)
        if extra:
            chosen.insert(self.rng.randrange(len(chosen)), extra)
        return " ".join(chosen).capitalize() + "."

    def word_at_rank(self, rank: int) -> str:
        return self.words[rank]


def _accumulate(values: list[float]) -> list[float]:
    total, out = 0.0, []
    for value in values:
        total += value
        out.append(total)
    return out


# --- building the database ---------------------------------------------------------------------


class Built:
    def __init__(self) -> None:
        self.long_thread_id = 0
        self.long_conversation_id = 0
        self.student: Actor | None = None
        self.admin: Actor | None = None
        self.category_ids: list[int] = []


async def build(database_url: str, corpus: Corpus) -> Built:
    engine = make_engine(database_url)
    built = Built()
    now = START
    try:
        async with engine.begin() as connection:
            built.category_ids = list((await connection.execute(select(Category.id).order_by(Category.id))).scalars())
            schools = await _insert_returning(connection, Institution, [{"name": f"School {n}", "short_name": f"S{n}", "created_at": now} for n in range(1, SCHOOLS + 1)])
            cohort_rows = [{"institution_id": school, "name": f"S{school} cohort {wave}", "wave": wave, "created_at": now} for school in schools for wave in range(1, COHORTS_PER_SCHOOL + 1)]
            cohorts = await _insert_returning(connection, Cohort, cohort_rows)
            cohort_school = {cohort: row["institution_id"] for cohort, row in zip(cohorts, cohort_rows)}
            people_rows = [
                {"email": f"p{cohort}-{n}@example.edu", "display_name": f"Person {cohort}-{n}", "pronouns": "", "title": "", "password_hash": "x",
                 "institution_id": cohort_school[cohort], "session_epoch": 0, "is_deleted": False, "created_at": now}
                for cohort in cohorts for n in range(PEOPLE_PER_COHORT)
            ]
            people = await _insert_returning(connection, Person, people_rows)
            admin_id = (await _insert_returning(connection, Person, [{**people_rows[0], "email": "admin@example.org", "display_name": "Admin", "institution_id": None}]))[0]
            people_of_cohort = {cohort: people[i * PEOPLE_PER_COHORT:(i + 1) * PEOPLE_PER_COHORT] for i, cohort in enumerate(cohorts)}
            built.long_thread_id, built.long_conversation_id = await _fill(connection, corpus, built.category_ids, schools, cohorts, cohort_school, people_of_cohort)
        student_cohort = cohorts[0]
        built.student = Actor(
            person_id=people_of_cohort[student_cohort][0], display_name="Student", institution_id=cohort_school[student_cohort],
            grants=frozenset({Grant(Role.PARTICIPANT, cohort_school[student_cohort], student_cohort)}), cohorts=((student_cohort, Constituency.STUDENT),),
        )
        built.admin = Actor(person_id=admin_id, display_name="Admin", institution_id=None, grants=frozenset({Grant(Role.PROGRAM_ADMIN)}))
    finally:
        await engine.dispose()
    return built


async def _insert_returning(connection: Any, model: Any, rows: list[dict[str, Any]]) -> list[int]:
    result = await connection.execute(insert(model).returning(model.id, sort_by_parameter_order=True), rows)
    return list(result.scalars())


async def _fill(connection: Any, corpus: Corpus, categories: list[int], schools: list[int], cohorts: list[int], cohort_school: dict[int, int], people_of_cohort: dict[int, list[int]]) -> tuple[int, int]:
    """The long thread and the other threads in a shuffled order; returns the long thread's
    id and its conversation's."""
    rng = corpus.rng
    everyone = [person for members in people_of_cohort.values() for person in members]
    other_school_cohort = next(c for c in cohorts if cohort_school[c] != cohort_school[cohorts[0]])
    # (scope, school, cohort, posts, authors, every post carries the planted word)
    plans: list[tuple[str, int | None, int | None, int, list[int], bool]] = [("consortium", None, None, LONG_THREAD_POSTS, everyone, False)]
    planted_threads = 5_000 // POSTS_PER_THREAD
    for n in range(THREADS):
        draw = rng.random()
        if n < planted_threads:
            cohort = other_school_cohort
            plans.append(("cohort", cohort_school[cohort], cohort, POSTS_PER_THREAD, people_of_cohort[cohort], True))
        elif draw < 0.4:
            plans.append(("consortium", None, None, POSTS_PER_THREAD, everyone, False))
        elif draw < 0.7:
            school = rng.choice(schools)
            plans.append(("institution", school, None, POSTS_PER_THREAD, [p for c, ps in people_of_cohort.items() if cohort_school[c] == school for p in ps], False))
        else:
            cohort = rng.choice(cohorts)
            plans.append(("cohort", cohort_school[cohort], cohort, POSTS_PER_THREAD, people_of_cohort[cohort], False))
    rng.shuffle(plans)  # the planted threads spread over time, like the rest
    clock = START
    step = timedelta(minutes=7)
    long_thread = (0, 0)
    visible_plants = 0
    for index, (scope, school, cohort, posts, authors, planted) in enumerate(plans):
        title = corpus.body()[:120]
        [conversation_id] = await _insert_returning(connection, Conversation, [{
            "kind": "thread", "title": title, "scope": scope, "institution_id": school, "cohort_id": cohort, "last_seq": posts, "is_locked": False, "created_at": clock,
        }])
        [thread_id] = await _insert_returning(connection, Thread, [{
            "conversation_id": conversation_id, "category_id": rng.choice(categories), "author_id": authors[0], "title": title, "is_pinned": False,
            "post_count": posts, "last_post_at": clock + step * posts, "last_author_id": authors[0], "created_at": clock,
        }])
        if posts == LONG_THREAD_POSTS:
            long_thread = (thread_id, conversation_id)
        plant_one = scope == "consortium" and posts == POSTS_PER_THREAD and visible_plants < 3 and index > len(plans) // 2
        visible_plants += plant_one
        rows = []
        for seq in range(1, posts + 1):
            body = corpus.body(PLANTED if planted or (plant_one and seq == 1) else "")
            rows.append({
                "conversation_id": conversation_id, "seq": seq, "author_id": rng.choice(authors), "client_msg_id": f"b{index}-{seq}",
                "body": body, "html": f"<p>{body}</p>", "renderer_version": 1, "reply_to_seq": None, "created_at": clock, "hide_reason": "",
            })
            clock += step / 10
        await connection.execute(insert(Message), rows)
    return long_thread


# --- measuring ---------------------------------------------------------------------------------


def settings_for(data_dir: Path, database_url: str) -> Settings:
    return Settings(data_dir=data_dir, database_url=database_url, secret_key=Secret("bench-secret-key-that-is-long-enough-0123456789"), base_url="http://bench")  # type: ignore[call-arg]


class Samples:
    """Wall-clock and CPU milliseconds per call. CPU time is the process's (its event loop and
    aiosqlite's worker thread): on a busy shared machine it shows the work itself, while the
    wall clock also counts the time spent waiting for a core."""

    def __init__(self) -> None:
        self.wall: list[float] = []
        self.cpu: list[float] = []

    def summary(self) -> str:
        return f"median {statistics.median(self.wall):7.2f} ms   p95 {percentile(self.wall, 0.95):7.2f} ms   cpu median {statistics.median(self.cpu):6.2f} ms"


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


async def timed(work: Callable[[], Awaitable[Any]], runs: int, warmup: int = 3) -> tuple[Samples, Any]:
    result = None
    for _ in range(warmup):
        result = await work()
    samples = Samples()
    for _ in range(runs):
        wall, cpu = time.perf_counter(), time.process_time()
        result = await work()
        samples.cpu.append((time.process_time() - cpu) * 1000)
        samples.wall.append((time.perf_counter() - wall) * 1000)
    return samples, result


async def measure(settings: Settings, built: Built, corpus: Corpus, runs: int) -> list[str]:
    engine = make_engine(settings.database_url)
    sessionmaker = make_sessionmaker(engine)
    clock = SystemClock()
    lines: list[str] = []

    def uow() -> UnitOfWork:
        return UnitOfWork(sessionmaker, clock, settings, read_only=True)

    async def page(number: int) -> Any:
        async with uow() as unit:
            return await forum.read_thread(unit, built.student, built.long_thread_id, page=number)  # type: ignore[arg-type]

    try:
        last_page = forum.page_of(LONG_THREAD_POSTS)
        for label, number in (("first page", 1), (f"last page ({last_page})", last_page)):
            samples, view = await timed(lambda: page(number), runs)
            lines.append(f"thread of {LONG_THREAD_POSTS:,} posts, {label:<16} {samples.summary()}   ({len(view.posts)} posts)")
        async with engine.connect() as connection:
            counts = {}
            for word in (corpus.word_at_rank(11), corpus.word_at_rank(10), corpus.word_at_rank(150), corpus.word_at_rank(6000), PLANTED):
                counts[word] = (await connection.execute(text(COUNT_SQL[engine.dialect.name]), {"q": word})).scalar_one()
        student, admin = built.student, built.admin
        assert student is not None and admin is not None
        common, common2, medium, rare = corpus.word_at_rank(11), corpus.word_at_rank(10), corpus.word_at_rank(150), corpus.word_at_rank(6000)
        cases: list[tuple[str, Actor, dict[str, Any]]] = [
            (f"common word '{common}' ({counts[common]:,} posts)", student, {"query": common}),
            (f"two common words '{common} {common2}'", student, {"query": f"{common} {common2}"}),
            (f"phrase '\"{common2} {common}\"'", student, {"query": f'"{common2} {common}"'}),
            (f"medium word '{medium}' ({counts[medium]:,} posts)", student, {"query": medium}),
            (f"rare word '{rare}' ({counts[rare]:,} posts)", student, {"query": rare}),
            ("common word, one category", student, {"query": common, "category": built.category_ids[0]}),
            ("common word, scope=cohort (own cohort only)", student, {"query": common, "scope": "cohort"}),
            (f"'{PLANTED}': {counts[PLANTED]:,} posts, 3 visible", student, {"query": PLANTED}),
            ("common word as the program admin", admin, {"query": common}),
        ]
        for label, actor, arguments in cases:
            async def run(actor: Actor = actor, arguments: dict[str, Any] = arguments) -> Any:
                async with uow() as unit:
                    return await search.search_posts(unit, actor, **arguments)

            samples, results = await timed(run, runs)
            lines.append(f"search: {label:<52} {samples.summary()}   ({len(results.hits)} hits{', more' if results.next_cursor else ''})")
            if label.startswith("common word '"):
                cursor = results.next_cursor

                async def second(actor: Actor = actor, cursor: str | None = cursor) -> Any:
                    async with uow() as unit:
                        return await search.search_posts(unit, actor, query=common, cursor=cursor)

                samples, results = await timed(second, runs)
                lines.append(f"search: {'common word, second page (keyset cursor)':<52} {samples.summary()}   ({len(results.hits)} hits)")
        lines.append("")
        lines.extend(await plans(engine, built, common))
    finally:
        await engine.dispose()
    return lines


async def plans(engine: Any, built: Built, word: str) -> list[str]:
    """EXPLAIN QUERY PLAN of the search statement and of a thread page's posts query."""
    from artme_cop import policy

    visible = policy.space_clause(built.student, Conversation.scope, Conversation.institution_id, Conversation.cohort_id)  # type: ignore[arg-type]
    posts_page = (
        select(Message, Person).join(Person, Person.id == Message.author_id)
        .where(Message.conversation_id == built.long_conversation_id, Message.seq >= LONG_THREAD_POSTS - 29, Message.seq <= LONG_THREAD_POSTS)
        .order_by(Message.seq)
    )
    postgres = engine.dialect.name == "postgresql"
    query = search.parse_query(word)
    search_statement = (search._postgres_query if postgres else search._sqlite_query)(query, visible, search.Filters(), search.RESULTS_PAGE + 1)
    statements = {"search (student, newest first)": search_statement, "thread page (forum.queries.posts_in_range)": posts_page}
    lines = []
    async with engine.connect() as connection:
        for label, statement in statements.items():
            compiled = statement.compile(dialect=connection.dialect, compile_kwargs={"literal_binds": True})
            rows = (await connection.exec_driver_sql(f"{'EXPLAIN' if postgres else 'EXPLAIN QUERY PLAN'} {compiled}")).all()
            lines.append(f"plan: {label}")
            lines.extend(f"    {row[-1]}" for row in rows)
    return lines


async def analyze(database_url: str) -> None:
    """Fresh statistics, as autovacuum would have them after a bulk load."""
    engine = make_engine(database_url)
    try:
        async with engine.connect() as connection:
            await connection.execute(text("ANALYZE"))
            await connection.commit()
    finally:
        await engine.dispose()


async def run_benchmark(settings: Settings, arguments: argparse.Namespace) -> None:
    corpus = Corpus(arguments.seed)
    began = time.perf_counter()
    built = await build(settings.database_url, corpus)
    size = sum(path.stat().st_size for path in settings.data_dir.glob("bench.db*")) / 1e6
    if settings.database_url.startswith("postgresql"):
        await analyze(settings.database_url)
        print(f"built {LONG_THREAD_POSTS + THREADS * POSTS_PER_THREAD:,} posts in {time.perf_counter() - began:.1f} s on PostgreSQL (analyzed)", flush=True)
    else:
        print(f"built {LONG_THREAD_POSTS + THREADS * POSTS_PER_THREAD:,} posts in {time.perf_counter() - began:.1f} s; SQLite database {size:.0f} MB", flush=True)
    print(f"load average before measuring: {' '.join(f'{load:.2f}' for load in os.getloadavg())} (this machine has {os.cpu_count()} cores)", flush=True)
    for line in await measure(settings, built, corpus, arguments.runs):
        print(line, flush=True)
    print(f"load average after: {' '.join(f'{load:.2f}' for load in os.getloadavg())}", flush=True)


def throwaway_postgres() -> str:
    """A fresh database, made the way the tests make theirs."""
    sys.path.insert(0, str(PROJECT_ROOT))
    from tests.pg import create_database

    return asyncio.run(create_database("artme_bench_forum"))


def drop_postgres(database_url: str) -> None:
    from tests.pg import drop_database

    asyncio.run(drop_database(database_url))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=30, help="measured runs per case (after 3 warm-up runs)")
    parser.add_argument("--seed", type=int, default=4, help="random seed of the corpus")
    parser.add_argument("--keep", action="store_true", help="keep the temporary data directory")
    parser.add_argument("--postgres", action="store_true", help="use a throwaway PostgreSQL database on 127.0.0.1:5432 (dropped at the end)")
    arguments = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="artme-forum-bench-"))
    database_url = throwaway_postgres() if arguments.postgres else f"sqlite+aiosqlite:///{work / 'bench.db'}"
    try:
        settings = settings_for(work, database_url)
        migrate(settings)  # Alembic runs its own event loop, so before ours
        asyncio.run(run_benchmark(settings, arguments))
    finally:
        if arguments.postgres:
            drop_postgres(database_url)
        if arguments.keep:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
