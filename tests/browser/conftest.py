"""Fixtures for the browser tests: a real `artme-cop serve` process on a free port, loaded
with the demo consortium, and headless Debian Chromium driven by Playwright."""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import AsyncIterator, Iterator

import pytest
from playwright.async_api import Browser, async_playwright

from artme_cop.demo import ADMIN_EMAIL
from tests.servers import ARTME_COP, ServerProcess, server_env

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]


@dataclass(frozen=True)
class LiveServer:
    base_url: str
    admin_email: str
    admin_password: str
    data_dir: Path
    log: Path

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no server log)"


@pytest.fixture
def live_server(tmp_path: Path) -> Iterator[LiveServer]:
    if not ARTME_COP.exists():
        pytest.fail(f"{ARTME_COP} is missing; install the project into the venv (pip install -e '.[test]')")
    if shutil.which(CHROMIUM) is None:
        pytest.fail(f"{CHROMIUM} is not installed; run `make test-deps`")
    data_dir = tmp_path / "data"
    process = ServerProcess(tmp_path / "server.log", ARTME_DATA_DIR=str(data_dir))
    demo = subprocess.run([str(ARTME_COP), "demo"], env=server_env(**process.settings), capture_output=True, text=True, timeout=120)
    assert demo.returncode == 0, f"artme-cop demo failed ({demo.returncode}):\n{demo.stdout}\n{demo.stderr}"
    password = (data_dir / "demo-credentials.txt").read_text().strip()
    try:
        process.start()
    except RuntimeError as exc:
        pytest.fail(str(exc))
    try:
        yield LiveServer(process.base_url, ADMIN_EMAIL, password, data_dir, process.log)
    finally:
        process.stop()


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            await chromium.close()
