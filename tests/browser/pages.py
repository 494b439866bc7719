"""Checks every browser test applies to the pages it visits: axe-core accessibility (no
serious or critical violation) and no resource blocked by the Content-Security-Policy."""

from __future__ import annotations

from axe_playwright_python.async_playwright import Axe
from playwright.async_api import Browser, ConsoleMessage, Page, expect

BLOCKING_IMPACTS = {"serious", "critical"}

_axe = Axe()


def _describe(violation: dict) -> str:
    lines = [f"- {violation['id']} ({violation['impact']}): {violation['help']}  <{violation['helpUrl']}>"]
    for node in violation["nodes"]:
        lines.append(f"    at {', '.join(map(str, node['target']))}: {node['html'].strip()[:200]}")
        summary = (node.get("failureSummary") or "").strip().replace("\n", "\n      ")
        if summary:
            lines.append(f"      {summary}")
    return "\n".join(lines)


async def check_accessibility(page: Page, label: str) -> None:
    results = await _axe.run(page)
    blocking = [v for v in results.response["violations"] if v.get("impact") in BLOCKING_IMPACTS]
    report = "\n".join(_describe(v) for v in blocking)
    assert not blocking, f"axe found serious/critical violations on the {label} ({page.url}):\n{report}"


def watch_console(page: Page, sink: list[str]) -> None:
    def record(message: ConsoleMessage) -> None:
        if message.type == "error":
            sink.append(f"{page.url}: {message.text}")

    page.on("console", record)
    page.on("pageerror", lambda error: sink.append(f"{page.url}: uncaught {error}"))


def assert_no_csp_errors(errors: list[str]) -> None:
    csp = [e for e in errors if "content security policy" in e.casefold()]
    assert not csp, "the Content-Security-Policy blocked something:\n" + "\n".join(csp)


async def signed_in_page(browser: Browser, base: str, email: str, password: str, errors: list[str], *, viewport: dict[str, int] | None = None) -> Page:
    """A new browser context signed in as `email`, its console errors collected in `errors`."""
    context = await browser.new_context(viewport=viewport) if viewport else await browser.new_context()
    page = await context.new_page()
    watch_console(page, errors)
    await page.goto(f"{base}/login")
    await page.get_by_label("Email").fill(email)
    await page.get_by_label("Password").fill(password)
    await page.get_by_role("button", name="Sign in").click()
    await expect(page).to_have_url(f"{base}/")
    return page


async def open_menu(page: Page) -> None:
    """On a phone the main menu is folded behind its "Menu" button: open it, as a person would."""
    toggle = page.get_by_role("button", name="Menu")
    if await toggle.is_visible() and await toggle.get_attribute("aria-expanded") == "false":
        await toggle.click()


async def follow_menu(page: Page, name: str) -> None:
    """Follow a link of the main menu (opening it first on a phone)."""
    await open_menu(page)
    await page.get_by_role("navigation", name="Main").get_by_role("link", name=name, exact=True).click()
