"""A Chats for Change session in three real browsers (issue #5): one facilitator and two
participants of the demo's Riverside cohort, in a pseudonymous room. Accept the agreement,
raise hands, call the next speaker, open breakouts and bring everyone back, hide a message,
pause, resume, close, post to the harvest, answer the feedback form."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from playwright.async_api import Browser, Page, expect

from tests.browser.pages import assert_no_csp_errors, check_accessibility, follow_menu, signed_in_page

if TYPE_CHECKING:
    from tests.browser.conftest import LiveServer

pytestmark = pytest.mark.browser

FACILITATOR = "keisha.brown@riverside.example.edu"
PRIYA = "priya.natarajan@riverside.example.edu"
MALIK = "malik.johnson@riverside.example.edu"


async def _to_session(page: Page) -> None:
    await follow_menu(page, "Chats for Change")
    await page.get_by_role("link", name="Chats for Change: race and power in clerkship grading").click()


async def _enter(page: Page) -> None:
    await _to_session(page)
    await expect(page.get_by_role("heading", name="Community agreement, version 1")).to_be_visible()
    await page.get_by_role("button", name="I accept the agreement and enter").click()
    await expect(page.locator("#live-status")).to_contain_text("Live.")


async def _tool(page: Page, button: str) -> None:
    await page.get_by_role("button", name=button, exact=True).click()


async def test_a_facilitated_session_from_agreement_to_feedback(live_server: LiveServer, browser: Browser) -> None:
    base, password = live_server.base_url, live_server.admin_password
    errors: list[str] = []
    keisha = await signed_in_page(browser, base, FACILITATOR, password, errors)
    priya = await signed_in_page(browser, base, PRIYA, password, errors)
    malik = await signed_in_page(browser, base, MALIK, password, errors)

    await _to_session(keisha)
    await expect(keisha.locator("#live-status")).to_contain_text("Live.")
    await _enter(priya)
    await _enter(malik)
    await check_accessibility(priya, "dialogue room")

    await _tool(keisha, "Open the room")
    for page in (priya, malik):
        await expect(page.locator("#room-state")).to_have_text("open")

    # Hands and the floor: the queue shows pseudonyms, never names.
    await priya.get_by_role("button", name="Raise my hand").click()
    await expect(keisha.locator("#queue > li")).to_have_count(1)
    await malik.get_by_role("button", name="Raise my hand").click()
    await expect(keisha.locator("#queue > li")).to_have_count(2)
    await expect(keisha.locator("#queue")).not_to_contain_text("Priya")
    await _tool(keisha, "Call the next speaker")
    await expect(malik.locator("#queue > li")).to_have_count(1)
    await expect(priya.locator("#floor-holder")).not_to_have_text("open")

    # A message travels live, under a pseudonym.
    await priya.get_by_label("Your message").fill("I felt unseen in my last evaluation.")
    await priya.get_by_role("button", name="Send", exact=True).click()
    arrived = malik.locator("#messages > li").last
    await expect(arrived).to_contain_text("I felt unseen in my last evaluation.")
    await expect(arrived).not_to_contain_text("Priya")

    # Breakouts open and everyone comes back.
    await keisha.get_by_label("Breakout size (4 to 8)").fill("4")
    await _tool(keisha, "Open breakouts")
    await expect(priya.locator("#breakout-room")).to_be_visible()
    await expect(priya.locator("#breakout-questions > li")).to_have_count(3)
    await priya.get_by_label("Message to your breakout").fill("Breakout hello")
    await priya.get_by_role("button", name="Send to the breakout").click()
    await expect(malik.locator("#breakout-messages")).to_contain_text("Breakout hello")
    await _tool(keisha, "Bring everyone back")
    await expect(priya.locator("#breakout-room")).to_be_hidden()

    # A private line: the facilitator's page gets it live, under the pseudonym, and answers.
    await priya.get_by_role("button", name="Open a private line to the facilitators").click()
    await expect(priya.locator("#line-panel")).to_be_visible()
    await expect(keisha.locator("#lines .line-room")).to_have_count(1)
    await priya.get_by_label("Only the facilitators read this").fill("Can we talk about the grading comment?")
    await priya.locator("#line-send").get_by_role("button", name="Send").click()
    line = keisha.locator("#lines .line-room")
    await expect(line).to_contain_text("Can we talk about the grading comment?")
    await expect(line).not_to_contain_text("Priya")
    await line.get_by_role("textbox").fill("Yes, right after this round.")
    await line.get_by_role("button", name="Reply").click()
    await expect(priya.locator("#line-messages")).to_contain_text("Yes, right after this round.")

    # Hide the message: Malik sees that a facilitator hid it; Priya (its author) still reads it.
    await keisha.locator("#hide-seq").fill("1")
    await _tool(keisha, "Hide")
    await expect(malik.locator("#messages > li").first).to_contain_text("Hidden by a facilitator.")
    await expect(malik.locator("#messages > li").first).not_to_contain_text("unseen")
    await expect(priya.locator("#messages > li").first).to_contain_text("unseen")

    # Pause with a grounding message, resume, close.
    await keisha.locator("#grounding").fill("Let us take a breath together.")
    await _tool(keisha, "Pause")
    await expect(malik.locator("#paused-note")).to_have_text("Let us take a breath together.")
    await expect(malik.locator("#room-state")).to_have_text("paused")
    await _tool(keisha, "Resume")
    await expect(malik.locator("#paused-note")).to_be_hidden()
    await _tool(keisha, "Close the session")
    await expect(priya.locator("#room-state")).to_have_text("closed")

    # After: a takeaway and the anonymous feedback.
    await priya.goto(f"{priya.url.split('#')[0]}/after")
    await priya.get_by_label("A takeaway (one to three per room)").fill("Evaluations need a second reader.")
    await priya.get_by_role("button", name="Post to the harvest").click()
    await expect(priya.get_by_role("status").first).to_contain_text("facilitators review")
    await priya.get_by_label("What you learned").fill("Others felt it too.")
    await priya.get_by_label("4", exact=True).check()
    await priya.get_by_role("button", name="Send feedback").click()
    await expect(priya.get_by_role("status").first).to_contain_text("anonymous")
    await check_accessibility(priya, "dialogue harvest and feedback")
    assert_no_csp_errors(errors)
    assert not [e for e in errors if "uncaught" in e], errors
