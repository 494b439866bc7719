"""The program backbone in a real browser, on a phone-sized screen: the demo coach marks an
exit-checklist item of the Northlake cohort, a Northlake student finds the open readiness
survey, answers it and cannot answer again, sees "my upcoming sessions" on the home page and
makes a calendar feed address; the Riverside lead reads the suppressed results. Every page
passes axe-core (no serious or critical violation) and the CSP blocks nothing."""

from __future__ import annotations

from typing import TYPE_CHECKING

import httpx
import pytest
from icalendar import Calendar
from playwright.async_api import Browser, Page, expect

from tests.browser.pages import assert_no_csp_errors, check_accessibility, follow_menu, signed_in_page

if TYPE_CHECKING:
    from tests.browser.conftest import LiveServer

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
COACH = "renee.fontaine@artme-program.example.org"
STUDENT = "aiyana.redcloud@northlake.example.edu"
RIVERSIDE_LEAD = "amara.okafor@riverside.example.edu"


async def _signed_in(browser: Browser, base: str, email: str, password: str, errors: list[str]) -> Page:
    return await signed_in_page(browser, base, email, password, errors, viewport=PHONE)


async def test_coach_marks_a_checklist_item_and_a_student_answers_the_survey(live_server: LiveServer, browser: Browser) -> None:
    base, password = live_server.base_url, live_server.admin_password
    errors: list[str] = []

    coach = await _signed_in(browser, base, COACH, password, errors)
    await follow_menu(coach, "Phases")
    await check_accessibility(coach, "phases overview")
    await coach.get_by_role("link", name="Northlake cohort A").click()
    await expect(coach.get_by_role("heading", level=1)).to_have_text("Northlake cohort A")
    await check_accessibility(coach, "cohort progress page")
    item = "The readiness assessment is answered and closed"
    await coach.get_by_role("button", name=f"Mark done: {item}").click()
    await expect(coach.get_by_role("status")).to_contain_text("The checklist is saved.")
    row = coach.locator(".checklist li", has_text=item)
    await expect(row).to_contain_text("Done:")
    await expect(row).to_contain_text("marked by Renée Fontaine")

    student = await _signed_in(browser, base, STUDENT, password, errors)
    await expect(student.locator("section[aria-labelledby=sessions-heading] .session-list li")).to_have_count(3)
    await expect(student.get_by_role("link", name="Coaching: boundary partners and outcome challenges")).to_be_visible()
    await expect(student.get_by_role("link", name="Dialogue and framing: what readiness means here")).to_have_count(0)  # Riverside's
    await check_accessibility(student, "student's home page")
    await follow_menu(student, "Readiness")
    await check_accessibility(student, "readiness list")
    await student.get_by_role("link", name="Readiness for change, phase 1").click()
    await check_accessibility(student, "readiness survey form")
    fieldsets = student.locator("form.survey-form fieldset")
    for index in range(await fieldsets.count()):
        await fieldsets.nth(index).get_by_label("4 · Somewhat agree").check()
    await student.get_by_label("Anything else about your school's readiness?").fill("More time for students, please.")
    await student.get_by_role("button", name="Send my answer").click()
    await expect(student.get_by_role("status")).to_contain_text("Your answer is saved without your name.")
    await expect(student.get_by_text("You have answered this survey.")).to_be_visible()
    await expect(student.get_by_role("button", name="Send my answer")).to_have_count(0)

    await student.goto(f"{base}/me")
    await student.get_by_role("button", name="Make my feed address").click()
    feed_url = (await student.locator("#feed-url").text_content() or "").strip()
    await check_accessibility(student, "feed address page")
    async with httpx.AsyncClient() as calendar_program:  # no cookie: the address is the key
        response = await calendar_program.get(feed_url)
    assert response.status_code == 200
    titles = {str(event["SUMMARY"]) for event in Calendar.from_ical(response.content).walk("VEVENT")}
    assert "Coaching: boundary partners and outcome challenges" in titles
    assert "Site visit: Riverside clerkship sites" not in titles

    lead = await _signed_in(browser, base, RIVERSIDE_LEAD, password, errors)
    await lead.goto(f"{base}/program/readiness/")
    await lead.get_by_role("link", name="Readiness for change, phase 1").click()
    await lead.get_by_role("link", name="Results").click()
    await expect(lead.locator("#cells")).to_contain_text("Everyone")
    await expect(lead.locator("#cells")).to_contain_text("not shown")
    await check_accessibility(lead, "readiness results")
    await lead.goto(f"{base}/calendar/new")
    await check_accessibility(lead, "schedule form")
    assert_no_csp_errors(errors)
