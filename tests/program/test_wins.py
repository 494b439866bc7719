"""Short-term wins (#8): every sharing choice shows exactly the attribution chosen, on every
page and export someone outside the school can reach; a local win never leaves its school;
credited people are named only after they consent; sharing needs the complete
de-identification checklist and the lead; program admins curate without the school's name."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from artme_cop.moderation.models import AuditEntry
from artme_cop.program.wins.models import Win
from tests.conftest import make_client
from tests.factories import World
from tests.program import helpers as program
from tests.support import post_form, sign_in, snapshot, soup, text_of

TITLE = "Rubric pilot canary-7f3a finished"


@pytest.fixture
async def win(app: Any, world: World) -> int:
    """A win of A credited to three people: one consents, one has not answered, one declines."""
    target = await program.make_target(app, world, await program.make_sphere(app, world))
    win_id = await program.make_win(app, world, target, title=TITLE, evidence="Twelve evaluations used the revised rubric.", credited=(world.coalition_a, world.faculty_a, world.student_a))
    await program.consent(app, world.coalition_a, win_id, "given")
    await program.consent(app, world.student_a, win_id, "declined")
    return win_id


async def _public_id(app: Any, win_id: int) -> str:
    async with app.state.uow(read_only=True) as uow:
        row = await uow.session.get(Win, win_id)
        assert row is not None
        return row.public_id


async def _curate(app: Any, world: World, public_id: str) -> None:
    async with make_client(app) as admin:
        await sign_in(admin, world.admin.email)
        response = await post_form(admin, f"/wins/shared/{public_id}/curate", {"phase": "3", "theme": "assessment", "include": "1"})
        assert response.status_code == 303


async def _outside_views(app: Any, world: World, public_id: str) -> dict[str, httpx.Response]:
    """Every page and export about wins that people outside school A can reach."""
    seen: dict[str, httpx.Response] = {}
    paths = ["/", "/wins/", "/wins/shared.json", f"/wins/shared/{public_id}", "/wins/curated", "/wins/consent", "/coalition/"]
    for who in ("lead_b", "participant_b", "admin"):
        async with make_client(app) as http:
            await sign_in(http, getattr(world, who).email)
            extra = ["/wins/curation", "/monitoring/program"] if who == "admin" else ["/me/export"]
            for path in paths + extra:
                seen[f"{who} {path}"] = await http.get(path)
    return seen


def _shared_json(views: dict[str, httpx.Response], who: str = "lead_b") -> list[dict[str, Any]]:
    return list(json.loads(views[f"{who} /wins/shared.json"].text)["wins"])


async def test_shared_by_name_shows_the_school_and_the_consenting_names_only(app: Any, world: World, win: int) -> None:
    public_id = await program.share(app, world, win, "named")
    await _curate(app, world, public_id)
    views = await _outside_views(app, world, public_id)

    [shown] = _shared_json(views)
    assert shown["school"] == world.institution_a.name
    assert shown["credited"] == [world.coalition_a.display_name, "a team member", "a team member"]
    for key in ("lead_b /wins/", "lead_b /wins/shared/" + public_id, "admin /wins/curated", "admin /wins/curation", "participant_b /wins/"):
        page = soup(views[key])
        [card] = page.select("article.win-card")
        assert card.select_one(".win-school").get_text(strip=True) == world.institution_a.name
        assert card.select_one(".win-credits").get_text(strip=True) == f"Credited: {world.coalition_a.display_name}, a team member, a team member"
    for key, response in views.items():
        assert response.status_code == 200, key
        # the people who did not consent are never named outside the school
        assert world.faculty_a.display_name not in response.text, key
        assert world.student_a.display_name not in response.text, key


async def test_shared_as_partner_school_never_names_the_school_anywhere_outside(app: Any, world: World, win: int) -> None:
    public_id = await program.share(app, world, win, "partner")
    await _curate(app, world, public_id)
    views = await _outside_views(app, world, public_id)

    [shown] = _shared_json(views)
    assert shown["school"] == "A partner school"
    assert shown["credited"] == []
    school = world.institution_a
    for key, response in views.items():
        assert response.status_code == 200, key
        if key.endswith("/coalition/") and key.startswith("admin"):
            continue  # the admin's list of schools names every school, not this win
        raw = response.text.casefold()
        # page text, HTML attributes, link text and JSON alike
        assert school.name.casefold() not in raw, key
        assert school.short_name.casefold() not in raw, key
        for person in (world.coalition_a, world.faculty_a, world.student_a, world.lead_a):
            assert person.display_name not in response.text, (key, person.display_name)
    for key in ("lead_b /wins/", f"participant_b /wins/shared/{public_id}", "admin /wins/curated", "admin /wins/curation"):
        [card] = soup(views[key]).select("article.win-card")
        assert card.select_one(".win-school").get_text(strip=True) == "A partner school"
        assert TITLE in card.get_text()
        assert card.select_one(".win-credits") is None
    # the curation's audit entry names no school, so the log cannot undo the choice
    async with app.state.uow(read_only=True) as uow:
        curated = (await uow.session.execute(select(AuditEntry).where(AuditEntry.action == "win_curated"))).scalars().all()
    assert [(e.institution_id, e.target_kind) for e in curated] == [(None, "shared_win")]


@pytest.mark.parametrize("choice", ["local", "undecided"])
async def test_local_win_never_leaves_its_school(app: Any, world: World, win: int, choice: str) -> None:
    if choice == "local":
        await program.share(app, world, win, "local", check=False)
    public_id = await _public_id(app, win)
    views = await _outside_views(app, world, public_id)
    for key, response in views.items():
        if key.endswith(f"/wins/shared/{public_id}"):
            assert response.status_code == 404, key
            continue
        assert response.status_code == 200, key
        assert "canary-7f3a" not in response.text, key
        assert public_id not in response.text, key
    assert _shared_json(views, "admin") == []
    # the admin cannot curate it either
    async with make_client(app) as admin:
        await sign_in(admin, world.admin.email)
        before = await snapshot(app)
        response = await post_form(admin, f"/wins/shared/{public_id}/curate", {"phase": "3", "theme": "assessment", "include": "1"})
        assert response.status_code == 404
        assert await snapshot(app) == before
    # inside the school it is there, marked as kept in the school
    async with make_client(app) as lead:
        await sign_in(lead, world.lead_a.email)
        page = await lead.get(f"/wins/{win}")
        assert page.status_code == 200 and TITLE in page.text


async def test_withdrawing_a_shared_win_takes_it_out_of_every_list(app: Any, world: World, win: int) -> None:
    public_id = await program.share(app, world, win, "partner")
    await _curate(app, world, public_id)
    await program.share(app, world, win, "local", check=False)
    views = await _outside_views(app, world, public_id)
    assert views[f"lead_b /wins/shared/{public_id}"].status_code == 404
    for key, response in views.items():
        assert "canary-7f3a" not in response.text, key
    async with app.state.uow(read_only=True) as uow:
        row = await uow.session.get(Win, win)
        assert row is not None and row.curated_at is None and row.shared_at is None


async def test_sharing_needs_the_complete_checklist(app: Any, client: httpx.AsyncClient, world: World, win: int) -> None:
    await sign_in(client, world.lead_a.email)
    before = await snapshot(app)
    response = await post_form(client, f"/wins/{win}/sharing", {"sharing": "named"})
    assert response.status_code == 400
    assert "Complete the de-identification checklist" in text_of(response)
    assert await snapshot(app) == before
    # three of four items is still not complete
    assert (await post_form(client, f"/wins/{win}/checklist", {"item": program.ALL_CHECKS[:3]})).status_code == 303  # type: ignore[dict-item]
    before = await snapshot(app)
    assert (await post_form(client, f"/wins/{win}/sharing", {"sharing": "partner"})).status_code == 400
    assert await snapshot(app) == before
    assert (await post_form(client, f"/wins/{win}/checklist", {"item": program.ALL_CHECKS})).status_code == 303  # type: ignore[dict-item]
    assert (await post_form(client, f"/wins/{win}/sharing", {"sharing": "partner"})).status_code == 303
    page = await client.get(f"/wins/{win}")
    assert soup(page).find(id="sharing-state").get_text(strip=True).startswith("Shared with the consortium as “a partner school”")


@pytest.mark.parametrize("words", ["Alder", "alder school of medicine", "At ALDER we"])
async def test_partner_school_sharing_refused_while_the_text_names_the_school(app: Any, world: World, words: str) -> None:
    target = await program.make_target(app, world, await program.make_sphere(app, world))
    win_id = await program.make_win(app, world, target, title=f"{words}: rubric pilot", evidence="Done.")
    async with make_client(app) as lead:
        await sign_in(lead, world.lead_a.email)
        assert (await post_form(lead, f"/wins/{win_id}/checklist", {"item": program.ALL_CHECKS})).status_code == 303  # type: ignore[dict-item]
        before = await snapshot(app)
        response = await post_form(lead, f"/wins/{win_id}/sharing", {"sharing": "partner"})
        assert response.status_code == 400
        assert "names the school" in text_of(response)
        assert await snapshot(app) == before
        assert (await post_form(lead, f"/wins/{win_id}/sharing", {"sharing": "named"})).status_code == 303


@pytest.mark.parametrize("who", ["coalition_a", "coach", "admin", "faculty_a"])
async def test_only_the_lead_chooses_the_sharing(app: Any, world: World, win: int, who: str) -> None:
    async with make_client(app) as http:
        await sign_in(http, world.lead_a.email)
        assert (await post_form(http, f"/wins/{win}/checklist", {"item": program.ALL_CHECKS})).status_code == 303  # type: ignore[dict-item]
    async with make_client(app) as http:
        await sign_in(http, getattr(world, who).email)
        before = await snapshot(app)
        response = await post_form(http, f"/wins/{win}/sharing", {"sharing": "named"})
        assert response.status_code in (403, 404)
        assert await snapshot(app) == before


async def test_credited_person_is_a_team_member_until_they_consent(app: Any, world: World, win: int) -> None:
    async with make_client(app) as lead:
        await sign_in(lead, world.lead_a.email)
        credits = soup(await lead.get(f"/wins/{win}")).find("dt", string="Credited").find_next("dd").get_text(strip=True)
    assert credits == f"{world.coalition_a.display_name}, a team member, a team member"
    async with make_client(app) as faculty:
        await sign_in(faculty, world.faculty_a.email)
        page = await faculty.get("/wins/consent")
        assert TITLE in page.text and "waiting for your answer" in text_of(page)
        assert (await post_form(faculty, f"/wins/{win}/consent", {"consent": "given"})).status_code == 303
        export = json.loads((await faculty.get("/me/export")).text)
    assert export["wins_credited"] == [{"win": TITLE, "recorded_at": export["wins_credited"][0]["recorded_at"], "consent": "given", "shown_as": "your name", "sharing": "undecided"}]
    async with make_client(app) as lead:
        await sign_in(lead, world.lead_a.email)
        credits = soup(await lead.get(f"/wins/{win}")).find("dt", string="Credited").find_next("dd").get_text(strip=True)
    assert credits == f"{world.coalition_a.display_name}, {world.faculty_a.display_name}, a team member"


async def test_declined_credit_shows_in_the_persons_export(app: Any, client: httpx.AsyncClient, world: World, win: int) -> None:
    await sign_in(client, world.student_a.email)
    export = json.loads((await client.get("/me/export")).text)
    assert [(w["win"], w["consent"], w["shown_as"]) for w in export["wins_credited"]] == [(TITLE, "declined", "a team member")]


async def test_only_the_credited_person_answers_for_their_credit(app: Any, world: World, win: int) -> None:
    async with make_client(app) as lead:
        await sign_in(lead, world.lead_a.email)  # the lead is not credited
        before = await snapshot(app)
        assert (await post_form(lead, f"/wins/{win}/consent", {"consent": "given"})).status_code == 404
        assert await snapshot(app) == before


async def test_win_against_a_progress_marker(app: Any, client: httpx.AsyncClient, world: World) -> None:
    _partner, marker = await program.make_partner(app, world)
    await sign_in(client, world.coalition_a.email)
    data = {"against": f"marker:{marker}", "title": "Directors came", "evidence": "Four of five.", "theme": "faculty_development", "phase": "2"}
    response = await post_form(client, f"/wins/institutions/{world.institution_a.id}", data)
    assert response.status_code == 303
    page = await client.get(response.headers["location"])
    assert "Progress marker: Directors attend the rubric workshop" in text_of(page)


@pytest.mark.parametrize(
    ("field", "value"),
    [("against", "target:987654"), ("against", "nonsense"), ("theme", "fame"), ("phase", "7"), ("title", ""), ("evidence", "\x00"), ("credited", "987654")],
)
async def test_bad_win_input_gives_400_and_changes_nothing(app: Any, client: httpx.AsyncClient, world: World, field: str, value: str) -> None:
    target = await program.make_target(app, world, await program.make_sphere(app, world))
    await sign_in(client, world.coalition_a.email)
    data = {"against": f"target:{target}", "title": "Done", "evidence": "Yes.", "theme": "curriculum", "phase": "3", field: value}
    before = await snapshot(app)
    response = await post_form(client, f"/wins/institutions/{world.institution_a.id}", data)
    assert response.status_code == 400
    assert await snapshot(app) == before


async def test_win_cannot_be_recorded_against_another_schools_target(app: Any, world: World) -> None:
    target = await program.make_target(app, world, await program.make_sphere(app, world))
    async with make_client(app) as lead_b:
        await sign_in(lead_b, world.lead_b.email)
        before = await snapshot(app)
        data = {"against": f"target:{target}", "title": "Not ours", "evidence": "x", "theme": "curriculum", "phase": "3"}
        response = await post_form(lead_b, f"/wins/institutions/{world.institution_b.id}", data)
        assert response.status_code == 400
        assert await snapshot(app) == before


async def test_program_views_never_rank_or_count_wins_per_school(app: Any, world: World, win: int) -> None:
    await program.share(app, world, win, "named")
    async with make_client(app) as admin:
        await sign_in(admin, world.admin.email)
        page = await admin.get("/monitoring/program")
    assert page.status_code == 200
    for institution in (world.institution_a, world.institution_b):
        assert institution.name not in page.text and institution.short_name not in page.text
    table = {th.get_text(strip=True): td.get_text(strip=True) for tr in soup(page).select("table.chart-table tr") if (th := tr.find("th", scope="row")) and (td := tr.find("td"))}
    assert table["Assessment and grading"] == "1" and table["Phase 3"] == "1"
