"""The live layer in a real browser: two people from two schools on the consortium lounge;
one sends through the page (the WebSocket, not a reload), the other sees it appear."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import pytest
from playwright.async_api import Browser, Page, expect

from artme_cop import zones
from tests.browser.pages import assert_no_csp_errors, check_accessibility, follow_menu, watch_console

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
    await follow_menu(page, "Conversations")
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
    # Each reads the time in their own zone (the demo's Northlake is in Toronto, Riverside in
    # Chicago), the live copy written by the script as the server writes it on a reload.
    for page, zone in ((reader, "America/Toronto"), (sender, "America/Chicago")):
        stamp = page.locator("#messages > li").nth(3).locator(".message-meta time")
        expected = zones.local(datetime.fromisoformat(await stamp.get_attribute("datetime")), zone).strftime("%Y-%m-%d %H:%M")
        await expect(stamp).to_have_text(expected)
        await page.reload()
        await expect(page.locator("#messages > li").nth(3).locator(".message-meta time")).to_have_text(expected)
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


async def test_a_message_with_a_record_number_is_posted_only_once_confirmed(live_server: LiveServer, browser: Browser) -> None:
    """SEC-L1 in the page: the server's warning comes as a dialog before anything is posted;
    "cancel" keeps the text unsent, "OK" posts it. Without the script the same warning is a
    page with the form again and a box to confirm."""
    base, password = live_server.base_url, live_server.admin_password
    errors: list[str] = []
    page = await _signed_in_page(browser, base, "tomas.reyes@riverside.example.edu", password, errors)
    await expect(page.locator("#messages > li")).to_have_count(3)
    await expect(page.locator("#body-guidance")).to_contain_text("no names, record numbers or dates of birth")
    box = page.get_by_role("textbox", name="Message")
    dialogs: list[str] = []

    async def answer(accept: bool) -> None:
        async def on_dialog(dialog: object) -> None:
            dialogs.append(dialog.message)  # type: ignore[attr-defined]
            await (dialog.accept() if accept else dialog.dismiss())  # type: ignore[attr-defined]

        page.once("dialog", on_dialog)
        await page.get_by_role("button", name="Send").click()

    await box.fill("Seen today, MRN 12345678, doing well.")
    await answer(accept=False)
    await expect(page.locator("#live-status")).to_contain_text("Not sent")
    assert await box.input_value() == "Seen today, MRN 12345678, doing well."
    assert "medical record number" in dialogs[0]
    await expect(page.locator("#messages > li")).to_have_count(3)

    await answer(accept=True)
    await expect(page.locator("#messages > li")).to_have_count(4)
    await expect(page.locator("#messages > li").last).to_contain_text("MRN 12345678")
    await expect(page.locator("[data-pending]")).to_have_count(0)

    # The plain form (as without scripts): the page of the warning, then confirmed.
    await box.fill("Follow-up: DOB 02/03/1950.")
    await page.evaluate("document.getElementById('post-form').submit()")
    await expect(page.get_by_role("heading", name="Check your message before it is posted")).to_be_visible()
    await expect(page.get_by_role("alert")).to_contain_text("a date of birth")
    await check_accessibility(page, "confirmation page")
    await page.get_by_role("checkbox", name="I checked").check()
    await page.get_by_role("button", name="Post").click()
    await expect(page.locator("#messages > li").last).to_contain_text("DOB 02/03/1950")
    assert_no_csp_errors(errors)
