"""The notification badge in a real browser: the count is on every page, and marking
notifications read in one browser clears the badge in another browser of the same person
without a reload (the `notification` / `read` event on the page's one socket). The
notification pages pass the accessibility check."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from playwright.async_api import Browser, Page, expect
from sqlalchemy import select

from artme_cop.clock import SystemClock
from artme_cop.conversations.models import Conversation
from artme_cop.db import make_engine, make_sessionmaker
from artme_cop.identity.models import Person
from artme_cop.notifications import service as notifications
from artme_cop.settings import load_settings
from artme_cop.unit_of_work import UnitOfWork
from tests.browser.pages import assert_no_csp_errors, check_accessibility, watch_console

if TYPE_CHECKING:
    from tests.browser.conftest import LiveServer

pytestmark = pytest.mark.browser


async def _notify_admin(server: LiveServer, count: int) -> None:
    """Notifications for the demo admin about the consortium lounge, written into the
    server's database as another process would (the server reads them on each page)."""
    settings = load_settings({"ARTME_DATA_DIR": str(server.data_dir)})
    engine = make_engine(settings.database_url)
    try:
        async with UnitOfWork(make_sessionmaker(engine), SystemClock(), settings) as uow:
            admin = (await uow.session.execute(select(Person).where(Person.email == server.admin_email))).scalar_one()
            lounge = (await uow.session.execute(select(Conversation).where(Conversation.scope == "consortium").order_by(Conversation.id))).scalars().first()
            assert lounge is not None
            for seq in range(1, count + 1):
                await notifications.notify(
                    uow, recipients=[admin.id], kind="mention", conversation=lounge, seq=seq, actor_id=None,
                    summary=f"Someone mentioned you in the lounge ({seq})", link=f"/conversations/{lounge.id}#m{seq}",
                )
    finally:
        await engine.dispose()


async def _signed_in(browser: Browser, server: LiveServer, errors: list[str], *, viewport: dict[str, int] | None = None) -> Page:
    page = await (await browser.new_context(viewport=viewport) if viewport else await browser.new_context()).new_page()
    watch_console(page, errors)
    await page.goto(f"{server.base_url}/login")
    await page.get_by_label("Email").fill(server.admin_email)
    await page.get_by_label("Password").fill(server.admin_password)
    await page.get_by_role("button", name="Sign in").click()
    await expect(page).to_have_url(f"{server.base_url}/")
    return page


async def test_marking_read_in_one_browser_clears_the_badge_in_another(live_server: LiveServer, browser: Browser) -> None:
    await _notify_admin(live_server, 2)
    errors: list[str] = []
    watcher = await _signed_in(browser, live_server, errors)
    badge = watcher.locator("#notification-count")
    await expect(badge).to_have_text("2 unread")
    await expect(badge).to_have_attribute("aria-live", "polite")

    reader = await _signed_in(browser, live_server, errors)
    await reader.get_by_role("link", name="Notifications").click()
    await expect(reader.locator("#notifications > li.notification-unread")).to_have_count(2)
    await check_accessibility(reader, "notifications page")
    await reader.get_by_role("button", name="Mark all as read").click()
    await expect(reader.locator("#notifications > li.notification-unread")).to_have_count(0)

    await expect(badge).to_have_attribute("data-unread", "0")
    await expect(badge).to_have_text("")
    await reader.goto(f"{live_server.base_url}/notifications/settings")
    await check_accessibility(reader, "notification settings page")
    assert_no_csp_errors(errors)
    uncaught = [error for error in errors if "uncaught" in error]
    assert not uncaught, "\n".join(uncaught)


async def test_on_a_phone_the_menu_folds_behind_a_button_that_shows_the_unread_count(live_server: LiveServer, browser: Browser) -> None:
    await _notify_admin(live_server, 2)
    errors: list[str] = []
    phone = await _signed_in(browser, live_server, errors, viewport={"width": 390, "height": 844})
    toggle = phone.get_by_role("button", name="Menu")
    menu_link = phone.get_by_role("navigation", name="Main").get_by_role("link", name="Notifications")
    await expect(toggle).to_have_attribute("aria-expanded", "false")
    await expect(toggle).to_have_text("Menu 2 unread notifications")
    await expect(menu_link).to_be_hidden()
    await check_accessibility(phone, "home page on a phone, menu folded")

    await toggle.focus()
    await phone.keyboard.press("Enter")
    await expect(toggle).to_have_attribute("aria-expanded", "true")
    await expect(menu_link).to_be_visible()
    await check_accessibility(phone, "home page on a phone, menu open")
    await phone.keyboard.press("Escape")
    await expect(menu_link).to_be_hidden()
    await expect(toggle).to_be_focused()

    reader = await _signed_in(browser, live_server, errors)
    await reader.goto(f"{live_server.base_url}/notifications/")
    await reader.get_by_role("button", name="Mark all as read").click()
    await expect(toggle).to_have_text("Menu")  # live, without a reload

    await phone.set_viewport_size({"width": 1200, "height": 800})
    await expect(toggle).to_be_hidden()
    await expect(menu_link).to_be_visible()
    assert_no_csp_errors(errors)
