"""Three checklist items about what a request may see, set and cost:

- SEC-A6: people of another school see a person's name and pronouns, never their email,
  school, cohort or roles (mention suggestions, a thread and its posts through the API).
- SEC-B8: no mass assignment: a request cannot set the author, a role, a school or a cohort
  by adding fields (the API refuses unknown fields; a form's extra fields are ignored).
- SEC-I2: a refusal for too many attempts is cheap: during a sign-in flood the database grows
  by at most the limit's size (the audit entries of the attempts let through), never per
  refused attempt.
"""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import select

from artme_cop.forum.models import Thread
from artme_cop.identity.models import RoleAssignment
from tests.factories import World
from tests.forum.api_support import api_client, assert_error
from tests.forum.conftest import start
from tests.support import csrf_from, sign_in, snapshot


async def test_another_school_sees_names_and_pronouns_only(app: Any, client: httpx.AsyncClient, world: World) -> None:
    """SEC-A6."""
    thread = await start(app, world.student_a, where="consortium", title="Open to all schools")
    private = [world.student_a.email, world.institution_a.name, world.cohort_a1.name]
    await sign_in(client, world.participant_b.email)

    suggestions = await client.get("/forum/mentions", params={"q": world.student_a.display_name[:3], "thread": thread})
    people = suggestions.json()["people"]
    assert world.student_a.id in [p["id"] for p in people]
    assert all(set(p) == {"id", "name", "pronouns", "token"} for p in people)
    async with api_client(app, world.participant_b) as api:
        answers = [await api.get(f"/api/forum/threads/{thread}"), await api.get(f"/api/forum/threads/{thread}/posts/1")]
    page = answers[0].json()
    assert set(page["thread"]["author"]) == set(page["posts"][0]["author"]) == {"id", "name", "pronouns"}
    for response in (suggestions, *answers):
        assert response.status_code == 200
        assert not [value for value in private if value in response.text], response.url


async def test_a_new_thread_takes_no_author_role_or_school_from_the_request(app: Any, client: httpx.AsyncClient, world: World) -> None:
    """SEC-B8: the API refuses the extra fields and stores nothing; the form ignores them."""
    smuggled = {"author_id": world.lead_b.id, "role": "program_admin", "institution_id": world.institution_b.id, "cohort_id": world.cohort_b1.id}
    thread = {"category": "introductions", "where": "consortium", "title": "Hello", "body": "Hi all", "client_msg_id": "b8-1"}
    async with api_client(app, world.student_a) as api:
        before = await snapshot(app)
        for name, value in smuggled.items():
            assert_error(await api.send("POST", "/api/forum/threads", {**thread, name: value}), 400, "invalid", name)
        assert await snapshot(app) == before

    await sign_in(client, world.student_a.email)
    form = {**thread, **{name: str(value) for name, value in smuggled.items()}, "client_msg_id": "b8-2", "csrf_token": csrf_from(await client.get("/forum/new"))}
    assert (await client.post("/forum/threads", data=form)).status_code == 303
    async with app.state.uow(read_only=True) as uow:
        [stored] = (await uow.session.execute(select(Thread))).scalars().all()
        roles = (await uow.session.execute(select(RoleAssignment.role).where(RoleAssignment.person_id == world.student_a.id))).scalars().all()
    assert stored.author_id == world.student_a.id
    assert "program_admin" not in roles


async def test_a_sign_in_flood_writes_no_more_than_the_limit_lets_through(app: Any, client: httpx.AsyncClient, world: World) -> None:
    """SEC-I2: 40 wrong passwords for one account: the 5 the limit allows are audited (SEC-K1);
    the 35 refused with 429 write nothing at all."""
    before = await snapshot(app)
    statuses = []
    for number in range(40):
        token = csrf_from(await client.get("/login"))
        response = await client.post("/login", data={"email": world.student_a.email, "password": f"Not the right password {number}", "csrf_token": token})
        statuses.append(response.status_code)
    assert statuses == [400] * 5 + [429] * 35
    after = await snapshot(app)
    assert [name for name in before if before[name] != after[name]] == ["audit_log"]
    assert len(after["audit_log"]) - len(before["audit_log"]) == 5
