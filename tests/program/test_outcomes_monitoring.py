"""Outcome mapping and monitoring (#8): partners, markers at three levels and the journal,
visible within the school and its coaches; the school's monitoring page with SVG charts whose
numbers stand in a table beside them; the program's page in aggregate only, and only across
schools that chose to share."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import select

from artme_cop.moderation.models import AuditEntry
from artme_cop.program.monitoring.charts import bar_chart
from artme_cop.program.outcomes.models import JournalEntry
from tests.conftest import make_client
from tests.factories import World
from tests.program import helpers as program
from tests.support import post_form, sign_in, snapshot, soup, text_of


async def test_coach_maps_outcomes_and_the_journal_records_what_was_seen(app: Any, client: httpx.AsyncClient, world: World, clock: Any) -> None:
    await sign_in(client, world.coach.email)
    response = await post_form(client, f"/outcomes/institutions/{world.institution_a.id}/partners", {"name": "Residents", "description": "", "outcome_challenge": "Residents name bias in handoffs.", "cohort_id": str(world.cohort_a1.id)})
    assert response.status_code == 303
    partner_path = response.headers["location"]
    for level, text in (("expect", "Residents attend the session"), ("like", "Residents raise it in handoffs"), ("love", "Residents teach it")):
        assert (await post_form(client, f"{partner_path}/markers", {"level": level, "marker_description": text})).status_code == 303
    page = soup(await client.get(partner_path))
    markers = {h3.get_text(strip=True): [li.get_text(strip=True) for li in h3.find_next("ul").find_all("li")] for h3 in page.find(id="markers-heading").parent.find_all("h3")}
    assert markers == {"Expect to see": ["Residents attend the session"], "Like to see": ["Residents raise it in handoffs"], "Love to see": ["Residents teach it"]}
    marker_id = page.find("select", id="marker_id").find("option", string="Residents raise it in handoffs")["value"]
    today = clock.now().date().isoformat()
    assert (await post_form(client, f"{partner_path}/journal", {"marker_id": marker_id, "observed_on": today, "evidence": "Two residents did."})).status_code == 303
    journal = soup(await client.get(partner_path)).find(class_="journal").get_text(" ", strip=True)
    assert today in journal and "Residents raise it in handoffs" in journal and "Two residents did." in journal and world.coach.display_name in journal


@pytest.mark.parametrize(("field", "value"), [("observed_on", "2999-01-01"), ("observed_on", "yesterday"), ("marker_id", "987654"), ("evidence", "")])
async def test_bad_journal_entry_gives_400_and_changes_nothing(app: Any, client: httpx.AsyncClient, world: World, field: str, value: str) -> None:
    partner, marker = await program.make_partner(app, world)
    await sign_in(client, world.coalition_a.email)
    data = {"marker_id": str(marker), "observed_on": "2026-01-10", "evidence": "Seen.", field: value}
    before = await snapshot(app)
    assert (await post_form(client, f"/outcomes/partners/{partner}/journal", data)).status_code == 400
    assert await snapshot(app) == before


async def test_marker_of_another_partner_is_refused(app: Any, world: World) -> None:
    first, marker = await program.make_partner(app, world)
    second, _ = await program.make_partner(app, world)
    async with make_client(app) as http:
        await sign_in(http, world.lead_a.email)
        response = await post_form(http, f"/outcomes/partners/{second}/journal", {"marker_id": str(marker), "observed_on": "2026-01-10", "evidence": "x"})
    assert response.status_code == 400
    async with app.state.uow(read_only=True) as uow:
        assert (await uow.session.execute(select(JournalEntry.id))).scalars().all() == []


async def test_coach_of_another_cohort_cannot_edit_a_cohort_partner(app: Any, world: World) -> None:
    """The coach is assigned to A1; a partner mapped in A2's coaching is not theirs to edit."""
    partner, _ = await program.make_partner(app, world, cohort_id=world.cohort_a2.id)
    async with make_client(app) as coach:
        await sign_in(coach, world.coach.email)
        assert (await coach.get(f"/outcomes/partners/{partner}")).status_code == 200
        before = await snapshot(app)
        assert (await post_form(coach, f"/outcomes/partners/{partner}/markers", {"level": "expect", "marker_description": "x"})).status_code == 403
        assert await snapshot(app) == before


async def test_outcome_mapping_is_invisible_to_another_school(app: Any, world: World) -> None:
    partner, _ = await program.make_partner(app, world)
    async with make_client(app) as other:
        await sign_in(other, world.participant_b.email)
        missing = await other.get("/outcomes/partners/987654")
        hidden = await other.get(f"/outcomes/partners/{partner}")
    assert hidden.status_code == missing.status_code == 404
    assert hidden.content == missing.content


async def test_school_monitoring_charts_have_title_description_and_numbers_beside(app: Any, client: httpx.AsyncClient, world: World, clock: Any) -> None:
    target = await program.make_target(app, world, await program.make_sphere(app, world))
    step = await program.add_step(app, world, target)
    await program.add_step(app, world, target)
    partner, marker = await program.make_partner(app, world)
    await sign_in(client, world.lead_a.email)
    assert (await post_form(client, f"/coalition/steps/{step}", {"status": "done"})).status_code == 303
    today = clock.now().date()
    assert (await post_form(client, f"/outcomes/partners/{partner}/journal", {"marker_id": str(marker), "observed_on": today.isoformat(), "evidence": "Seen."})).status_code == 303

    page = soup(await client.get(f"/monitoring/institutions/{world.institution_a.id}"))
    charts = page.select(".chart-block")
    assert len(charts) == 4
    for block in charts:
        svg = block.find("svg")
        assert svg["role"] == "img"
        title_id, desc_id = svg["aria-labelledby"].split()
        assert svg.find("title", id=title_id).get_text(strip=True)
        numbers = {tr.find("th").get_text(strip=True): int(tr.find("td").get_text(strip=True)) for tr in block.find("table").find("tbody").find_all("tr")}
        # the description and the table carry the same numbers as the bars
        assert svg.find("desc", id=desc_id).get_text(strip=True) == "; ".join(f"{label}: {value}" for label, value in numbers.items())
        assert [int(t.get_text()) for t in svg.select("text.chart-value")] == list(numbers.values())
    steps = {tr.th.get_text(strip=True): tr.td.get_text(strip=True) for tr in charts[1].find("tbody").find_all("tr")}
    assert steps == {"Planned": "1", "In progress": "0", "Done": "1", "Blocked": "0"}
    markers = {tr.th.get_text(strip=True): tr.td.get_text(strip=True) for tr in charts[2].find("tbody").find_all("tr")}
    assert markers[f"{today.year:04d}-{today.month:02d}"] == "1"
    row = page.find(id="targets-heading").find_next("tbody").find("tr")
    assert [td.get_text(strip=True) for td in row.find_all("td")][-1] == "1 of 2"
    assert "style=" not in str(page.find("main"))  # no inline style: the CSP allows none


def test_bar_chart_geometry_scales_to_the_largest_value() -> None:
    chart = bar_chart("k", "Title", [("a", 0), ("b", 5), ("c", 10)])
    assert [bar.width for bar in chart.bars] == [0, chart.bars[2].width // 2, chart.bars[2].width]
    assert chart.bars[2].width > 0 and chart.total == 15
    assert [bar.y for bar in chart.bars] == sorted(bar.y for bar in chart.bars)
    assert bar_chart("e", "Empty", []).description == "No data yet."


async def test_program_monitoring_needs_two_sharing_schools_and_names_none(app: Any, world: World) -> None:
    target = await program.make_target(app, world, await program.make_sphere(app, world))
    await program.add_step(app, world, target)
    async with make_client(app) as admin, make_client(app) as lead_a, make_client(app) as lead_b:
        await sign_in(admin, world.admin.email)
        await sign_in(lead_a, world.lead_a.email)
        await sign_in(lead_b, world.lead_b.email)
        assert (await post_form(lead_a, f"/monitoring/institutions/{world.institution_a.id}/sharing", {"shares": "1"})).status_code == 303
        alone = await admin.get("/monitoring/program")
        assert soup(alone).find(id="too-few") is not None
        assert "Change targets by status" not in alone.text
        assert (await post_form(lead_b, f"/monitoring/institutions/{world.institution_b.id}/sharing", {"shares": "1"})).status_code == 303
        together = await admin.get("/monitoring/program")
    assert soup(together).find(id="too-few") is None
    assert "Totals across the 2 schools" in text_of(together)
    tables = soup(together).select("table.chart-table")
    steps = next(t for t in tables if "Plan steps" in t.caption.get_text())
    assert {tr.th.get_text(strip=True): tr.td.get_text(strip=True) for tr in steps.find("tbody").find_all("tr")}["Planned"] == "1"
    for institution in (world.institution_a, world.institution_b):
        assert institution.name not in together.text and institution.short_name not in together.text


async def test_admin_reading_a_schools_monitoring_is_logged_and_seen_by_its_lead(app: Any, world: World) -> None:
    async with make_client(app) as admin:
        await sign_in(admin, world.admin.email)
        assert (await admin.get(f"/monitoring/institutions/{world.institution_a.id}")).status_code == 200
    async with app.state.uow(read_only=True) as uow:
        entries = (await uow.session.execute(select(AuditEntry).where(AuditEntry.action == "privileged_read"))).scalars().all()
    assert [(e.institution_id, e.target_kind) for e in entries] == [(world.institution_a.id, "monitoring")]
    async with make_client(app) as lead:
        await sign_in(lead, world.lead_a.email)
        assert "privileged read" in text_of(await lead.get("/moderation/audit"))
