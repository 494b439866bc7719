"""The coalition's change work in a real browser (#8): Riverside's lead writes a change target
with its DARCI grid, a coalition member logs a short-term win against it and completes the
de-identification checklist, the lead shares it as "a partner school", and the program admin
curates it for the next community-of-practice session and sees it without the school's name.
Every page visited passes axe and the Content-Security-Policy."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from playwright.async_api import Browser, Page, expect

from tests.browser.pages import assert_no_csp_errors, check_accessibility, signed_in_page

if TYPE_CHECKING:
    from tests.browser.conftest import LiveServer

pytestmark = pytest.mark.browser

LEAD = "amara.okafor@riverside.example.edu"
COALITION = "tomas.reyes@riverside.example.edu"
TARGET = "Clerkship evaluations are written with the revised, bias-checked rubric"
WIN = "All six clerkship directors adopted the revised rubric"


_signed_in = signed_in_page


async def _open_sphere(page: Page) -> None:
    await page.get_by_role("link", name="Change work").click()
    await page.get_by_role("link", name="Guiding coalition: spheres, change targets and plans").click()
    await page.get_by_role("link", name="Curriculum and assessment").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Curriculum and assessment")


async def test_target_darci_win_shared_as_partner_school_and_curated(live_server: LiveServer, browser: Browser) -> None:
    base, password = live_server.base_url, live_server.admin_password
    errors: list[str] = []

    # 1. The lead writes a SMART target and its DARCI grid.
    lead = await _signed_in(browser, base, LEAD, password, errors)
    await _open_sphere(lead)
    await check_accessibility(lead, "sphere page")
    form = lead.locator("form", has=lead.get_by_role("button", name="Save the target"))
    await form.get_by_label("Specific: what will change").fill(TARGET)
    await form.get_by_label("Measurable: how it is measured").fill("Share of clerkship evaluations on the revised rubric")
    await form.get_by_label("Baseline").fill("0")
    await form.get_by_label("Target value").fill("90")
    await form.get_by_label("Unit").fill("percent")
    await form.get_by_label("Time-bound: due date").fill("2027-06-30")
    await form.get_by_label("Accountable (the one person answerable for the target)").select_option(label="Dr. Tomás Reyes")
    await form.get_by_role("button", name="Save the target").click()
    await expect(lead.get_by_role("heading", level=1)).to_have_text(TARGET)
    # a second Accountable is refused with a clear error
    await lead.get_by_label("Person 2", exact=True).select_option(label="Dr. Amara Okafor")
    await lead.get_by_label("Letter for person 2", exact=True).select_option("A")
    await lead.get_by_role("button", name="Save the grid").click()
    await expect(lead.get_by_role("alert")).to_have_text("A DARCI grid has exactly one Accountable; this one has 2.")
    await lead.get_by_label("Person 2", exact=True).select_option(label="Dr. Amara Okafor")
    await lead.get_by_label("Letter for person 2", exact=True).select_option("D")
    await lead.get_by_label("Person 3", exact=True).select_option(label="Keisha Brown")
    await lead.get_by_label("Letter for person 3", exact=True).select_option("R")
    await lead.get_by_role("button", name="Save the grid").click()
    grid = lead.locator("#darci-grid tbody td")
    await expect(grid).to_have_text(["Dr. Amara Okafor", "Decider (D)", "Dr. Tomás Reyes", "Accountable (A)", "Keisha Brown", "Responsible (R)"])
    await check_accessibility(lead, "target page")

    # 2. A coalition member logs a win against it and completes the checklist.
    member = await _signed_in(browser, base, COALITION, password, errors)
    await _open_sphere(member)
    await member.get_by_role("link", name=TARGET).click()
    await member.get_by_role("link", name="Record a short-term win against this target").click()
    await expect(member.get_by_label("Against")).to_have_value(await member.get_by_label("Against").input_value())
    assert (await member.get_by_label("Against").locator("option:checked").inner_text()).endswith(TARGET)
    await member.get_by_label("What was achieved").fill(WIN)
    await member.get_by_label("Evidence").fill("Six of six directors signed off; the first forty evaluations used it.")
    await member.get_by_label("Theme").select_option(label="Assessment and grading")
    await member.get_by_label("Phase").select_option(label="4. Engaging and Enabling the Institution for Change")
    await member.get_by_label("Dr. Tomás Reyes").check()
    await check_accessibility(member, "wins page")
    await member.get_by_role("button", name="Record the win").click()
    await expect(member.get_by_role("heading", level=1)).to_have_text(WIN)
    for label in ("No student or patient details", "No named accusations", "Small-group numbers checked", "No identifying context"):
        await member.get_by_label(label).check()
    await member.get_by_role("button", name="Save the checklist").click()
    await expect(member.get_by_text("The checklist is complete.")).to_be_visible()
    await check_accessibility(member, "win page")

    # 3. The lead shares it as "a partner school".
    await lead.get_by_role("link", name="Our wins").click()
    await lead.get_by_role("link", name=WIN).click()
    await lead.get_by_label("Shared with the consortium as “a partner school”").check()
    await lead.get_by_role("button", name="Save the sharing choice").click()
    await expect(lead.locator("#sharing-state")).to_have_text("Shared with the consortium as “a partner school”")

    # 4. The program admin curates it and sees it without the school's name.
    admin = await _signed_in(browser, base, live_server.admin_email, password, errors)
    await admin.get_by_role("link", name="Change work").click()
    await admin.get_by_role("link", name="Curate shared wins").click()
    item = admin.get_by_role("region", name=WIN)
    await expect(item.locator(".win-school")).to_have_text("A partner school")
    await item.get_by_label(f"Theme for “{WIN}”").select_option(label="Assessment and grading")
    await item.get_by_role("button", name="Curate for the next session").click()
    await check_accessibility(admin, "curation page")
    await admin.get_by_role("link", name="See the curated list").click()
    await expect(admin.get_by_role("heading", level=2)).to_have_text(["Phase 4: Engaging and Enabling the Institution for Change · Assessment and grading"])
    card = admin.locator("article.win-card")
    await expect(card).to_have_count(1)
    await expect(card.get_by_role("heading", level=3)).to_have_text(WIN)
    await expect(card.locator(".win-school")).to_have_text("A partner school")
    html = (await admin.content()).casefold()
    assert "riverside" not in html and "tomás" not in html and "okafor" not in html
    await check_accessibility(admin, "curated wins page")

    # A member of another school sees the same attribution.
    other = await _signed_in(browser, base, "rosa.delgado@northlake.example.edu", password, errors)
    await other.goto(f"{base}/wins/curated")
    await expect(other.locator("article.win-card .win-school")).to_have_text("A partner school")
    assert "riverside" not in (await other.content()).casefold()
    assert_no_csp_errors(errors)
