"""The home page's "New for you": the threads with posts the reader has not read, only among
those they may see (rule 1), newest activity first, muted ones left out; reading a thread
takes it off."""

from __future__ import annotations

from typing import Any

import httpx

from tests.factories import World
from tests.forum.conftest import Threads, reply, start
from tests.support import MutableClock, post_form, sign_in, soup


async def new_for_you(client: httpx.AsyncClient) -> list[tuple[str, str]]:
    section = soup(await client.get("/")).find("section", attrs={"aria-labelledby": "new-heading"})
    assert section is not None
    return [(item.a.get_text(), item.find(class_="badge").get_text()) for item in section.find_all("li")]


async def test_new_for_you_lists_unread_threads_the_reader_may_see(app: Any, client: httpx.AsyncClient, world: World, threads: Threads, clock: MutableClock) -> None:
    await sign_in(client, world.student_a.email)
    # their own threads are read; Birch's cohort thread is not theirs to see
    assert await new_for_you(client) == [("Alder only", "New thread")]

    clock.advance(minutes=5)
    await reply(app, world.participant_b, threads.consortium, "Hello from Birch")
    await reply(app, world.faculty_a, threads.consortium, "And from Alder")
    assert await new_for_you(client) == [("Open to all schools", "2 unread"), ("Alder only", "New thread")]
    assert soup(await client.get("/")).find("a", string="Open to all schools")["href"] == f"/forum/threads/{threads.consortium}?unread=1"

    await client.get(f"/forum/threads/{threads.consortium}")  # read
    assert await new_for_you(client) == [("Alder only", "New thread")]
    await post_form(client, f"/forum/threads/{threads.institution_a}/watch", {"level": "muted"}, token_from=f"/forum/threads/{threads.institution_a}")
    assert await new_for_you(client) == []
    assert "Nothing unread" in soup(await client.get("/")).find("section", attrs={"aria-labelledby": "new-heading"}).get_text()


async def test_another_schools_reader_never_sees_these_threads(app: Any, client: httpx.AsyncClient, world: World, threads: Threads) -> None:
    await start(app, world.faculty_a, where=f"cohort:{world.cohort_a1.id}", title="Alder cohort grading notes")
    await sign_in(client, world.participant_b.email)
    listed = [title for title, _ in await new_for_you(client)]
    assert "Open to all schools" in listed
    assert not [title for title in listed if "Alder" in title]


async def test_ones_own_posts_are_read(app: Any, world: World, threads: Threads) -> None:
    """Starting a thread or replying moves the author's read position to their post, so the
    forum's lists never count one's own posts as unread (a post made through the API or a
    script is not followed by a page view that would mark it)."""
    started = await start(app, world.faculty_a, where="consortium", title="Fresh from Alder")
    await reply(app, world.participant_b, started, "Hello")
    await reply(app, world.faculty_a, started, "Welcome")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as faculty:
        await sign_in(faculty, world.faculty_a.email)
        row = soup(await faculty.get("/forum/latest")).find("tr", id=f"t{started}")
        assert row.find(class_="unread-count").get_text(strip=True) == "0"
        assert "Fresh from Alder" not in [title for title, _ in await new_for_you(faculty)]
