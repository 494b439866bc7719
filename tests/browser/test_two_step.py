"""Two-step sign-in (SEC-C7) in a real browser against a real server that requires it
(`ARTME_REQUIRE_TWO_STEP=true`): the demo admin signs in with the password, is told the
role waits, sets up the authenticator (QR code and key, on a phone's width too), keeps the
recovery codes, and signs in again with the second step. Every page passes axe-core and the
Content-Security-Policy blocks nothing."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import TYPE_CHECKING, Iterator

import pyotp
import pytest
from playwright.async_api import Browser, expect

from artme_cop.demo import ADMIN_EMAIL
from tests.browser.conftest import ARTME_COP, LiveServer
from tests.browser.pages import assert_no_csp_errors, check_accessibility, open_menu, watch_console
from tests.servers import ServerProcess, server_env

if TYPE_CHECKING:
    from playwright.async_api import Page

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def strict_server(tmp_path: Path) -> Iterator[LiveServer]:
    data_dir = tmp_path / "data"
    process = ServerProcess(tmp_path / "server.log", ARTME_DATA_DIR=str(data_dir), ARTME_REQUIRE_TWO_STEP="true")
    demo = subprocess.run([str(ARTME_COP), "demo"], env=server_env(**process.settings), capture_output=True, text=True, timeout=120)
    assert demo.returncode == 0, demo.stderr
    password = (data_dir / "demo-credentials.txt").read_text().strip()
    process.start()
    try:
        yield LiveServer(process.base_url, ADMIN_EMAIL, password, data_dir, process.log)
    finally:
        process.stop()


async def password_step(page: Page, server: LiveServer) -> None:
    await page.goto("/login")
    await page.get_by_label("Email").fill(server.admin_email)
    await page.get_by_label("Password").fill(server.admin_password)
    await page.get_by_role("button", name="Sign in").click()


async def test_the_admin_sets_up_two_step_sign_in_and_uses_it(strict_server: LiveServer, browser: Browser) -> None:
    base = strict_server.base_url
    errors: list[str] = []
    context = await browser.new_context(base_url=base)
    try:
        page = await context.new_page()
        watch_console(page, errors)
        await password_step(page, strict_server)
        await expect(page).to_have_url(f"{base}/")
        await expect(page.get_by_role("status").filter(has_text="acting as a participant for now")).to_be_visible()
        await expect(page.get_by_role("link", name="Administration")).to_have_count(0)
        await check_accessibility(page, "home page without the second step")

        await page.get_by_role("link", name="Set up two-step sign-in").click()
        await page.get_by_role("button", name="Set up two-step sign-in").click()
        await expect(page.locator("svg title")).to_have_text("QR code of your two-step secret")
        await check_accessibility(page, "two-step setup page")
        await page.set_viewport_size(PHONE)
        assert await page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        secret = (await page.locator(".two-step-key").inner_text()).replace(" ", "")

        await page.get_by_label("The code your app shows").fill(pyotp.TOTP(secret).now())
        await page.get_by_role("button", name="Turn on two-step sign-in").click()
        await expect(page.get_by_role("heading", name="Two-step sign-in is on")).to_be_visible()
        codes = await page.locator(".recovery-codes code").all_inner_texts()
        assert len(codes) == 10
        await check_accessibility(page, "recovery codes page")
        await page.goto("/admin/")
        await expect(page.get_by_role("heading", level=1)).to_be_visible()
        assert "acting as a participant" not in await page.content()

        await open_menu(page)
        await page.get_by_role("button", name="Sign out").click()
        await password_step(page, strict_server)
        await expect(page).to_have_url(f"{base}/login/two-step?next=/")
        await check_accessibility(page, "second step of signing in")
        await page.get_by_label("Code").fill("000000" if pyotp.TOTP(secret).now() != "000000" else "111111")
        await page.get_by_role("button", name="Sign in").click()
        await expect(page.locator("#code-error")).to_contain_text("That code is not right")
        await check_accessibility(page, "second step with an error")
        await page.get_by_label("Code").fill(codes[0])  # the app's code of this step is used up
        await page.get_by_role("button", name="Sign in").click()
        await expect(page).to_have_url(f"{base}/")
        await open_menu(page)
        await expect(page.get_by_role("link", name="Administration")).to_be_visible()
    finally:
        await context.close()
    assert_no_csp_errors(errors)
