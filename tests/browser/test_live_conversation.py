"""The live layer in a real browser: two people from two schools on the consortium lounge;
one sends through the page (the WebSocket, not a reload), the other sees it appear."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from playwright.async_api import Browser, Page, expect

from tests.browser.pages import assert_no_csp_errors, check_accessibility, watch_console

if TYPE_CHECKING:
    from tests.browser.conftest import LiveServer

pytestmark = pytest.mark.browser


async def _signed_in_page(browser: Browser, base: str, email: str, password: str, errors: list[str]) -> Page:
    context = await browser.new_context()
    page = await context.new_page()
    watch_console(page, errors)
    await page.goto(f"{base}/login")
    await page.get_by_label("Email").fill(email)
    await page.get_by_label("Password").fill(password)
    await page.get_by_role("button", name="Sign in").click()
    await expect(page).to_have_url(f"{base}/")
    await page.get_by_role("link", name="Conversations").first.click()
    await page.get_by_role("link", name="Consortium lounge").click()
    await expect(page.locator("#live-status")).to_contain_text("Live:")
    return page


async def test_message_sent_in_one_browser_appears_live_in_another(live_server: LiveServer, browser: Browser) -> None:
    base, password = live_server.base_url, live_server.admin_password
    errors: list[str] = []
    sender = await _signed_in_page(browser, base, "tomas.reyes@riverside.example.edu", password, errors)
    reader = await _signed_in_page(browser, base, "rosa.delgado@northlake.example.edu", password, errors)
    await expect(reader.locator("#messages > li")).to_have_count(3)
    await check_accessibility(reader, "conversation page")

    reader_url = reader.url
    await sender.get_by_role("textbox", name="Message").fill("Our **content note** draft is ready <script>alert(1)</script>")
    await sender.get_by_role("button", name="Send").click()

    arrived = reader.locator("#messages > li").nth(3)
    await expect(arrived).to_contain_text("Dr. Tomás Reyes")
    await expect(arrived.locator("strong", has_text="content note")).to_be_visible()
    await expect(arrived).to_contain_text("<script>alert(1)</script>")
    assert reader.url == reader_url, "the reader's page must not reload"
    # The sender sees its own message once: the pending placeholder gave way to it.
    await expect(sender.locator("#messages > li")).to_have_count(4)
    await expect(sender.locator("[data-pending]")).to_have_count(0)
    assert await sender.get_by_role("textbox", name="Message").input_value() == ""
    assert_no_csp_errors(errors)


async def test_form_works_without_javascript(live_server: LiveServer, browser: Browser) -> None:
    context = await browser.new_context(java_script_enabled=False)
    page = await context.new_page()
    base = live_server.base_url
    await page.goto(f"{base}/login")
    await page.get_by_label("Email").fill("marcus.bell@prairiestate.example.edu")
    await page.get_by_label("Password").fill(live_server.admin_password)
    await page.get_by_role("button", name="Sign in").click()
    await page.goto(f"{base}/conversations/1")
    await page.get_by_role("textbox", name="Message").fill("Posted without scripts")
    await page.get_by_role("button", name="Send").click()
    await expect(page.locator("#messages > li").last).to_contain_text("Posted without scripts")
