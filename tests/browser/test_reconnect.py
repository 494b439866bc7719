"""live.js resumes after the server goes away: messages stored while the page was
disconnected arrive, once and in order, when it reconnects (DESIGN.md: resume)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from playwright.async_api import Browser, expect

from artme_cop.clock import SystemClock
from artme_cop.conversations import service as conversations
from artme_cop.db import make_engine, make_sessionmaker
from artme_cop.identity import service as identity
from artme_cop.settings import load_settings
from artme_cop.unit_of_work import UnitOfWork
from tests.browser.pages import assert_no_csp_errors, watch_console
from tests.servers import ARTME_COP, ServerProcess, server_env

pytestmark = pytest.mark.browser


async def _post_while_down(data_dir: Path, bodies: list[str]) -> None:
    """Store messages straight through the service, as another server process would."""
    settings = load_settings(server_env(ARTME_DATA_DIR=str(data_dir)))
    engine = make_engine(settings.database_url)
    try:
        async with UnitOfWork(make_sessionmaker(engine), SystemClock(), settings) as uow:
            person = await identity.queries.get_person_by_email(uow.session, "rosa.delgado@northlake.example.edu")
            assert person is not None
            actor = await identity.load_actor(uow, person.id, person.session_epoch)
            assert actor is not None
            for index, body in enumerate(bodies):
                await conversations.post_message(uow, actor, 1, body=body, client_msg_id=f"while-down-{index}")
    finally:
        await engine.dispose()


async def test_page_resumes_after_the_server_restarts(tmp_path: Path, browser: Browser) -> None:
    data_dir = tmp_path / "data"
    server = ServerProcess(tmp_path / "server.log", ARTME_DATA_DIR=str(data_dir))
    demo = subprocess.run([str(ARTME_COP), "demo"], env=server_env(**server.settings), capture_output=True, text=True, timeout=120)
    assert demo.returncode == 0, demo.stderr
    password = (data_dir / "demo-credentials.txt").read_text().strip()
    server.start()
    errors: list[str] = []
    try:
        context = await browser.new_context()
        page = await context.new_page()
        watch_console(page, errors)
        await page.goto(f"{server.base_url}/login")
        await page.get_by_label("Email").fill("tomas.reyes@riverside.example.edu")
        await page.get_by_label("Password").fill(password)
        await page.get_by_role("button", name="Sign in").click()
        await page.goto(f"{server.base_url}/conversations/1")
        status = page.locator("#live-status")
        await expect(status).to_contain_text("Live:")
        await expect(page.locator("#messages > li")).to_have_count(3)

        server.kill()
        await expect(status).to_contain_text("reconnecting")
        await _post_while_down(data_dir, ["first while you were away", "second while you were away"])
        server.start()

        await expect(status).to_contain_text("Live:", timeout=40_000)
        items = page.locator("#messages > li")
        await expect(items).to_have_count(5, timeout=20_000)
        await expect(items.nth(3)).to_contain_text("first while you were away")
        await expect(items.nth(4)).to_contain_text("second while you were away")
        assert await page.locator("#m4").count() == 1 and await page.locator("#m5").count() == 1
        assert_no_csp_errors(errors)
    finally:
        server.stop()
