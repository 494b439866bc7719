"""The invitation flow end to end, in a real browser against a real server.

The demo program admin signs in through the login form, invites a new person from the
administration page, and the invitee opens the link in a fresh browser (no cookies),
chooses a name, pronouns and a password, and lands on the home page signed in. Every page
on the way must pass axe-core with no serious or critical violation, and the
Content-Security-Policy must not block anything the pages load.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from playwright.async_api import Browser, expect

from tests.browser.pages import assert_no_csp_errors, check_accessibility, watch_console

if TYPE_CHECKING:
    from tests.browser.conftest import LiveServer

pytestmark = pytest.mark.browser

INVITEE_EMAIL = "new.person@riverside.example.edu"
INVITEE_NAME = "Zoë Ñandú"
INVITEE_PRONOUNS = "she/they"
INVITEE_PASSWORD = "Heron tide 83 copper kettles"
INSTITUTION = "Riverside School of Medicine"
COHORT = "Riverside cohort 2026"
PHONE = {"width": 390, "height": 844}


async def test_admin_invites_and_the_invitee_joins(live_server: LiveServer, browser: Browser, tmp_path: Path) -> None:
    base = live_server.base_url
    errors: list[str] = []

    # --- the program admin signs in and sends an invitation ------------------------------
    admin_context = await browser.new_context(base_url=base)
    try:
        admin = await admin_context.new_page()
        watch_console(admin, errors)

        await admin.goto("/login")
        await expect(admin.get_by_role("heading", name="Sign in")).to_be_visible()
        await check_accessibility(admin, "login page")

        await admin.get_by_label("Email").fill(live_server.admin_email)
        await admin.get_by_label("Password").fill(live_server.admin_password)
        await admin.get_by_role("button", name="Sign in").click()
        await expect(admin).to_have_url(f"{base}/")
        await expect(admin.get_by_role("heading", level=1)).to_contain_text("Welcome, Program Admin")
        await check_accessibility(admin, "admin's home page")

        await admin.goto("/admin/invitations")
        await expect(admin.get_by_role("heading", name="Invite a person")).to_be_visible()
        await check_accessibility(admin, "invitations page")

        await admin.get_by_label("Email").fill(INVITEE_EMAIL)
        await admin.get_by_label("Institution").select_option(label=INSTITUTION)
        await admin.get_by_label("Cohort").select_option(label=COHORT)
        await admin.get_by_label("Role").select_option(label="Participant")
        await admin.get_by_label("Constituency").select_option(label="Student")
        await admin.get_by_role("button", name="Send invitation").click()

        link_element = admin.locator("#invitation-link")
        await expect(link_element).to_be_visible()
        await expect(admin.get_by_role("status").filter(has_text=f"Invitation sent to {INVITEE_EMAIL}")).to_be_visible()
        link = await link_element.get_attribute("href")
        assert link is not None and link.startswith(f"{base}/invitations/"), f"unexpected invitation link {link!r}"
        await check_accessibility(admin, "invitations page after sending")

        await admin.set_viewport_size(PHONE)
        screenshot = tmp_path / "invitations-phone.png"
        await admin.screenshot(path=str(screenshot), full_page=True)
        assert screenshot.stat().st_size > 0
    finally:
        await admin_context.close()

    # --- the invitee opens the link in a browser of their own ------------------------------
    invitee_context = await browser.new_context()
    try:
        assert await invitee_context.cookies() == []
        invitee = await invitee_context.new_page()
        watch_console(invitee, errors)

        await invitee.goto(link)
        await expect(invitee.get_by_role("heading", name="Join the ARTME Community of Practice")).to_be_visible()
        await expect(invitee.locator("main")).to_contain_text(INVITEE_EMAIL)
        await check_accessibility(invitee, "invitation acceptance page")

        await invitee.get_by_label("Your name, as you want others to see it").fill(INVITEE_NAME)
        await invitee.get_by_label("Pronouns").fill(INVITEE_PRONOUNS)
        await invitee.get_by_label("Choose a password").fill(INVITEE_PASSWORD)
        await invitee.get_by_role("button", name="Accept the invitation").click()

        await expect(invitee).to_have_url(f"{base}/")
        await expect(invitee.get_by_role("heading", level=1)).to_contain_text(f"Welcome, {INVITEE_NAME}")
        await expect(invitee.locator("main")).to_contain_text(COHORT)
        await check_accessibility(invitee, "invitee's home page")
    finally:
        await invitee_context.close()

    assert_no_csp_errors(errors)
