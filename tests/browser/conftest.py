"""Fixtures for the browser tests: a real `artme-cop serve` process on a free port, loaded
with the demo consortium, and headless Debian Chromium driven by Playwright."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import AsyncIterator, Iterator

import pytest
from playwright.async_api import Browser, async_playwright

from artme_cop.demo import ADMIN_EMAIL

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
ARTME_COP = Path(sys.executable).parent / "artme-cop"
START_TIMEOUT = 30.0


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


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _server_env(data_dir: Path, base_url: str) -> dict[str, str]:
    env = {name: value for name, value in os.environ.items() if not name.startswith("ARTME")}
    env["ARTME_DATA_DIR"] = str(data_dir)
    env["ARTME_BASE_URL"] = base_url
    env["PYTHONUNBUFFERED"] = "1"
    return env


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


@pytest.fixture
def live_server(tmp_path: Path) -> Iterator[LiveServer]:
    if not ARTME_COP.exists():
        pytest.fail(f"{ARTME_COP} is missing; install the project into the venv (pip install -e '.[test]')")
    if shutil.which(CHROMIUM) is None:
        pytest.fail(f"{CHROMIUM} is not installed; run `make test-deps`")
    data_dir = tmp_path / "data"
    port = _free_port()
    base_url = f"http://127.0.0.1:{port}"
    env = _server_env(data_dir, base_url)

    demo = subprocess.run([str(ARTME_COP), "demo"], env=env, capture_output=True, text=True, timeout=120)
    assert demo.returncode == 0, f"artme-cop demo failed ({demo.returncode}):\n{demo.stdout}\n{demo.stderr}"
    password = (data_dir / "demo-credentials.txt").read_text().strip()

    log = tmp_path / "server.log"
    with log.open("wb") as log_file:
        process = subprocess.Popen(
            [str(ARTME_COP), "serve", "--host", "127.0.0.1", "--port", str(port), "--no-migrate"],
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    server = LiveServer(base_url, ADMIN_EMAIL, password, data_dir, log)
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while not _healthy(f"{base_url}/healthz"):
            if process.poll() is not None:
                pytest.fail(f"the server exited with {process.returncode} before answering /healthz:\n{server.log_tail()}")
            if time.monotonic() > deadline:
                pytest.fail(f"the server did not answer /healthz within {START_TIMEOUT:.0f} s:\n{server.log_tail()}")
            time.sleep(0.1)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            await chromium.close()
