"""The knowledge-management cycle in a real browser, on a phone-sized screen: a coalition
member of Prairie State posts a resource and submits it; the coach asks for a revision; it
is revised and resubmitted; both reviewers accept; its context is added; it is shared with
the institution; the school's lead approves it for the program; the program admin shares it
with the program; and a Northlake student records that they applied it. Every page passes
axe-core (no serious or critical violation) and the CSP blocks nothing."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from playwright.async_api import Browser, Page, expect

from tests.browser.pages import assert_no_csp_errors, check_accessibility, follow_menu, signed_in_page

if TYPE_CHECKING:
    from tests.browser.conftest import LiveServer

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
AUTHOR = "marcus.bell@prairiestate.example.edu"
LEAD = "laura.whitfield@prairiestate.example.edu"
COACH = "renee.fontaine@artme-program.example.org"
SAFETY = "nadia.rahman@prairiestate.example.edu"
OTHER_SCHOOL = "aiyana.redcloud@northlake.example.edu"
TITLE = "Grading rubric bias check"


async def _signed_in(browser: Browser, base: str, email: str, password: str, errors: list[str]) -> Page:
    return await signed_in_page(browser, base, email, password, errors, viewport=PHONE)


async def _step(page: Page, button: str, *, reason: str = "") -> None:
    form = page.locator("form.move-form", has=page.get_by_role("button", name=button))
    if reason:
        await form.get_by_label("Why").fill(reason)
    await form.get_by_role("button", name=button).click()
    await expect(page.get_by_role("status")).to_contain_text("Done")


async def _review(page: Page, url: str, decision: str, comments: str = "") -> None:
    await page.goto(url)
    await page.get_by_label(decision).check()
    if comments:
        await page.get_by_role("textbox", name="Comments").fill(comments)
    await page.get_by_role("button", name="Record the review").click()
    await expect(page.get_by_role("status")).to_contain_text("Your review was recorded.")


async def test_resource_goes_through_the_cycle_and_is_applied_elsewhere(live_server: LiveServer, browser: Browser) -> None:
    base, password = live_server.base_url, live_server.admin_password
    errors: list[str] = []

    author = await _signed_in(browser, base, AUTHOR, password, errors)
    await follow_menu(author, "Knowledge")
    await check_accessibility(author, "knowledge browse page")
    # on the phone the search is a form of stacked fields in a search landmark, not one
    # squeezed row: each select is wide enough to read, the button one line high
    search = author.get_by_role("search", name="Search the repository")
    for label in ("Search text", "Type", "Phase", "Tag", "State", "Origin"):
        box = await search.get_by_label(label, exact=True).bounding_box()
        assert box is not None and box["width"] >= 250, label
    button = await search.get_by_role("button", name="Search").bounding_box()
    assert button is not None and button["height"] < 80
    await author.get_by_role("button", name="Post a resource").click()
    await check_accessibility(author, "new resource form")
    await author.get_by_label("Type").select_option(label="Tool or template")
    await author.get_by_label("Title").fill(TITLE)
    await author.get_by_label("Summary").fill("A checklist to read a grading rubric for biased language.")
    await author.get_by_label("Text").fill("## Check\n\n- Words about personality\n- Words about communication style")
    await author.get_by_label("Tags, separated by commas").fill("assessment, grading")
    await author.get_by_label("3. Creating a Climate for Change").check()
    await author.get_by_role("button", name="Save as a draft").click()
    await expect(author.get_by_role("heading", level=1)).to_have_text(TITLE)
    url = author.url
    await check_accessibility(author, "draft resource page")
    await author.get_by_label("Content reviewer").select_option(label="Renée Fontaine")
    await author.get_by_label("Safety reviewer").select_option(label="Dr. Nadia Rahman")
    await _step(author, "Submit for assessment")
    await expect(author.locator("#resource-state")).to_have_text("In assessment")

    coach = await _signed_in(browser, base, COACH, password, errors)
    await _review(coach, url, "Revise, with comments", "Say where the word list comes from.")
    await check_accessibility(coach, "resource page after a review")

    await author.goto(url)
    await expect(author.locator("#resource-state")).to_have_text("Draft")
    await author.get_by_role("button", name="Edit the text").click()
    await check_accessibility(author, "edit form")
    await author.get_by_label("Text").fill("## Check\n\n- Words about personality\n- Words about communication style\n\nWord list from the published rubric studies.")
    await author.get_by_role("button", name="Save the changes").click()
    await author.get_by_label("Content reviewer").select_option(label="Renée Fontaine")
    await author.get_by_label("Safety reviewer").select_option(label="Dr. Nadia Rahman")
    await _step(author, "Submit for assessment")

    await _review(coach, url, "Accept")
    safety = await _signed_in(browser, base, SAFETY, password, errors)
    await _review(safety, url, "Accept")

    await author.goto(url)
    await expect(author.locator("#resource-state")).to_have_text("Contextualizing")
    await author.get_by_label("Conditions it depended on").fill("Used with course directors who asked for it.")
    await author.get_by_label("When not to use it").fill("Not as a grading audit of a single person.")
    await author.get_by_label("A contact who can help").select_option(label="Marcus Bell")
    await author.get_by_role("button", name="Save the context").click()
    await expect(author.get_by_role("status")).to_contain_text("The context was saved.")
    await _step(author, "Share with the institution")
    await expect(author.locator("#resource-state")).to_have_text("Shared with the institution")

    lead = await _signed_in(browser, base, LEAD, password, errors)
    await lead.goto(url)
    await lead.get_by_label("By the school's name").check()
    await _step(lead, "Approve and propose to the program", reason="Every school grades.")
    await expect(lead.locator("#resource-state")).to_have_text("Proposed to the program")

    admin = await _signed_in(browser, base, live_server.admin_email, password, errors)
    await admin.goto(url)
    await _step(admin, "Share with the program")

    other = await _signed_in(browser, base, OTHER_SCHOOL, password, errors)
    await other.goto(f"{base}/knowledge/?q=rubric")
    await check_accessibility(other, "search results")
    await other.get_by_role("link", name=TITLE).click()
    await expect(other.locator("#resource-origin")).to_have_text("Prairie State Medical School")
    await other.get_by_text("Report that you applied it, or tell a value story").click()
    await other.get_by_label("Where").fill("Pediatrics clerkship")
    await other.get_by_label("When (YYYY-MM-DD)").fill("2026-11-02")
    await other.get_by_label("What happened").fill("Two directors reworded their rubric.")
    await other.get_by_role("button", name="Record the report").click()
    await expect(other.get_by_role("status")).to_contain_text("your report was recorded")
    await expect(other.locator("#resource-state")).to_have_text("In use")
    await expect(other.locator("#use-counts")).to_contain_text("Applied 1 time")
    await check_accessibility(other, "resource page with a report")

    await other.get_by_role("link", name="Knowledge repository").click()
    await other.get_by_role("link", name="Knowledge health").click()
    await expect(other.locator("#health-applied")).to_contain_text(TITLE)
    await check_accessibility(other, "knowledge health")

    await author.goto(url)
    await author.get_by_role("link", name="changes from version 1").click()
    await expect(author.locator(".diff-added", has_text="Word list from the published rubric studies.")).to_have_count(1)
    await check_accessibility(author, "version diff")
    assert_no_csp_errors(errors)
