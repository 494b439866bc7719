"""The forum in a real browser: two people from two schools read the same consortium
thread; one replies through the page's form, the other sees the reply appear without
reloading, with its counts on the list page following too. Also: the live preview and
the mention suggestions of the editor, by keyboard, and the pages pass axe and the CSP."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from playwright.async_api import Browser, Page, expect

from tests.browser.pages import assert_no_csp_errors, check_accessibility, follow_menu, signed_in_page

if TYPE_CHECKING:
    from tests.browser.conftest import LiveServer

pytestmark = pytest.mark.browser

THREAD_TITLE = "Grounding assumptions that worked in your first Chats for Change"


_signed_in = signed_in_page


async def _open_thread(page: Page) -> None:
    await follow_menu(page, "Forum")
    await page.get_by_role("link", name=THREAD_TITLE).first.click()
    await expect(page.get_by_role("heading", level=1)).to_have_text(THREAD_TITLE)
    await expect(page.locator("#live-status")).to_contain_text("Live:")


async def test_a_reply_in_one_browser_appears_live_in_another(live_server: LiveServer, browser: Browser) -> None:
    base, password = live_server.base_url, live_server.admin_password
    errors: list[str] = []
    writer = await _signed_in(browser, base, "rosa.delgado@northlake.example.edu", password, errors)
    reader = await _signed_in(browser, base, "nadia.rahman@prairiestate.example.edu", password, errors)
    lister = await _signed_in(browser, base, "elena.petrova@prairiestate.example.edu", password, errors, viewport={"width": 390, "height": 844})
    await _open_thread(writer)
    await _open_thread(reader)
    await _open_thread(lister)  # read up to post 2
    await lister.goto(f"{base}/forum/latest")
    await expect(lister.locator("#live-status")).to_contain_text("Live:")
    row = lister.locator("tr", has=lister.get_by_role("link", name=THREAD_TITLE))
    await expect(row.locator(".post-count")).to_have_text("2")
    await expect(row.locator(".unread-count")).to_have_text("0")
    # on the phone the row stacks: every count is in view, nothing scrolls sideways
    wrapper = lister.locator(".overflow-auto", has=row)
    assert await wrapper.evaluate("w => w.scrollWidth <= w.clientWidth")
    for cell in (".post-count", ".unread-count", ".last-activity"):
        box = await row.locator(cell).bounding_box()
        assert box is not None and box["x"] + box["width"] <= 390, cell
    await check_accessibility(reader, "forum thread page")
    await check_accessibility(lister, "forum latest list")
    await expect(reader.locator("article.post")).to_have_count(2)
    reader_url = reader.url

    await writer.get_by_role("textbox", name="Your reply").fill("We used **three** as well <script>alert(1)</script>")
    await expect(writer.locator(".preview-body strong")).to_have_text("three")  # the live preview
    await writer.get_by_role("button", name="Post the reply").click()
    await expect(writer.locator("#p3")).to_contain_text("Rosa Delgado")

    arrived = reader.locator("article.post").nth(2)
    await expect(arrived).to_contain_text("Rosa Delgado")
    await expect(arrived.locator("strong", has_text="three")).to_be_visible()
    await expect(arrived).to_contain_text("<script>alert(1)</script>")  # shown as text, never run
    assert reader.url == reader_url, "the reader's page must not reload"
    await expect(row.locator(".post-count")).to_have_text("3")
    await expect(row.locator(".unread-count")).to_have_text("1")
    assert_no_csp_errors(errors)


async def test_mention_suggestions_by_keyboard_offer_only_people_in_the_space(live_server: LiveServer, browser: Browser) -> None:
    base, password = live_server.base_url, live_server.admin_password
    errors: list[str] = []
    page = await _signed_in(browser, base, "priya.natarajan@riverside.example.edu", password, errors)
    await page.goto(f"{base}/forum/new")
    await page.get_by_label("Who can see it").select_option(label="Riverside cohort 2026 (Riverside) only")
    body = page.get_by_role("textbox", name="First post")
    await body.click()
    await body.type("Thanks @Hel")
    suggestions = page.get_by_role("listbox", name="People you can mention")
    await expect(suggestions.get_by_role("option")).to_have_text(["Dr. Helen Park (she/her)"])
    await body.press("Enter")
    await expect(body).to_have_value("Thanks @**Dr. Helen Park|" + await _id_in(body) + "** ")
    await body.type("and @Ros")  # Rosa is at Northlake: not in this cohort, never offered
    await page.wait_for_timeout(600)
    await expect(suggestions.get_by_role("option")).to_have_count(0)
    await check_accessibility(page, "new thread page")
    assert_no_csp_errors(errors)


async def _id_in(body: object) -> str:
    value = await body.input_value()  # type: ignore[attr-defined]
    return value.split("|", 1)[1].split("**", 1)[0]
