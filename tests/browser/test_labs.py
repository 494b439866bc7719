"""A team learning lab in real browsers: two members of the demo's Riverside clerkship team
chat in their general channel, reply in a thread, pin a message, and answer a team readiness
question together, each seeing the other's moves live (no reload)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import pytest
from playwright.async_api import Browser, Page, expect

from tests.browser.pages import assert_no_csp_errors, check_accessibility, follow_menu, watch_console

if TYPE_CHECKING:
    from tests.browser.conftest import LiveServer

pytestmark = pytest.mark.browser

PRIYA = "priya.natarajan@riverside.example.edu"
HELEN = "helen.park@riverside.example.edu"  # the team lead
KEISHA = "keisha.brown@riverside.example.edu"  # the lab facilitator


async def _signed_in(browser: Browser, base: str, email: str, password: str, errors: list[str]) -> Page:
    context = await browser.new_context(viewport={"width": 390, "height": 844})  # a phone
    page = await context.new_page()
    watch_console(page, errors)
    await page.goto(f"{base}/login")
    await page.get_by_label("Email").fill(email)
    await page.get_by_label("Password").fill(password)
    await page.get_by_role("button", name="Sign in").click()
    await expect(page).to_have_url(f"{base}/")
    return page


async def _open_general(page: Page, *, check: bool = False) -> None:
    await follow_menu(page, "Team labs")
    if check:
        await check_accessibility(page, "labs index")
    await page.get_by_role("link", name="Medicine clerkship team").click()
    if check:
        await check_accessibility(page, "team page")
    await page.get_by_role("link", name="#general").click()
    await expect(page.locator("#live-status")).to_contain_text("Live:")


async def test_two_members_chat_thread_pin_and_answer_together(live_server: LiveServer, browser: Browser) -> None:
    base, password = live_server.base_url, live_server.admin_password
    errors: list[str] = []
    priya = await _signed_in(browser, base, PRIYA, password, errors)
    helen = await _signed_in(browser, base, HELEN, password, errors)
    await _open_general(priya, check=True)
    await _open_general(helen)
    await check_accessibility(priya, "lab channel page")

    box = priya.get_by_role("textbox", name="Message to #general")
    await box.fill("Shall we draft the **handover** checklist? ")
    await box.press_sequentially("@Hel")
    await expect(priya.get_by_role("option", name="Dr. Helen Park (she/her)")).to_be_visible()  # teammates only
    await box.press("Enter")
    await expect(box).to_have_value(re.compile(r"@\*\*Dr\. Helen Park\|\d+\*\* $"))
    await priya.get_by_role("button", name="Send").click()
    arrived = helen.locator("#messages > li").last
    await expect(arrived).to_contain_text("Priya Natarajan")
    await expect(arrived.locator("strong", has_text="handover")).to_be_visible()
    await expect(arrived).to_contain_text("@Dr. Helen Park")
    seq = await arrived.get_attribute("data-seq")

    # Helen opens the message's thread and replies there; Priya's reply count moves live.
    await arrived.locator(".thread-link").click()
    await expect(helen.locator("#thread-messages > li")).to_have_count(1)
    await helen.get_by_role("textbox", name="Reply in the thread").fill("Yes, I will start it today.")
    await helen.get_by_role("button", name="Reply", exact=True).click()
    await expect(helen.locator("#thread-messages > li")).to_have_count(2)
    await expect(priya.locator(f"#m{seq} .reply-count")).to_have_text("1")
    await expect(priya.locator("#messages > li")).to_have_count(2)  # the reply stays in its thread

    # Helen (team lead) pins it; Priya sees the pin arrive.
    await helen.locator(f"#m{seq}").get_by_role("button", name="Pin").click()
    await expect(priya.locator("#pins")).to_contain_text("Priya Natarajan")

    # A message in another channel raises its unread badge live, on Helen's channel page and
    # on the team page she has open in another tab.
    helen_team = await helen.context.new_page()
    watch_console(helen_team, errors)
    await helen_team.goto(helen.url.split("/labs/")[0] + "/labs/")
    await helen_team.get_by_role("link", name="Medicine clerkship team").click()
    team_badge = helen_team.locator(".lab-channels li", has_text="#handover").locator(".badge")
    await expect(team_badge).to_be_hidden()
    await priya.get_by_role("link", name="#handover").click()
    await expect(priya.locator("#live-status")).to_contain_text("Live:")
    await priya.get_by_role("textbox", name="Message to #handover").fill("The draft is in the shared folder.")
    await priya.get_by_role("button", name="Send").click()
    await expect(helen.locator(".lab-channels li", has_text="#handover").locator(".badge")).to_have_text("1 unread")
    await expect(team_badge).to_have_text("1 unread")
    await helen_team.close()

    # The facilitator opens the team readiness check.
    keisha = await _signed_in(browser, base, KEISHA, password, errors)
    await follow_menu(keisha, "Team labs")
    await keisha.get_by_role("link", name="From awareness to action on bias").click()
    await keisha.get_by_role("button", name="Move on to: individual").click()
    await keisha.get_by_role("button", name="Move on to: team").click()
    for page in (priya, helen):
        await page.goto(keisha.url)
    await check_accessibility(priya, "lab session page")
    question = "Which step turns awareness of bias into action?"
    first_question = priya.locator(".team-question").filter(has_text=question)
    await first_question.get_by_role("button", name="Noticing it").click()
    on_helen = helen.locator(".team-question").filter(has_text=question)
    await expect(on_helen.locator(".attempts")).to_contain_text("Noticing it: not this one")
    await on_helen.get_by_role("button", name="Naming it and planning a response").click()
    await expect(priya.locator(".team-question").filter(has_text=question).locator(".attempts")).to_contain_text("Naming it and planning a response: right")
    assert_no_csp_errors(errors)
