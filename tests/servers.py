"""Real `artme-cop serve` processes on free ports, for the tests that need real sockets:
crashes (SIGKILL), several processes sharing Redis, slow consumers, the browser."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ARTME_COP = Path(sys.executable).parent / "artme-cop"
START_TIMEOUT = 30.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def server_env(**settings: str) -> dict[str, str]:
    """The environment without inherited ARTME_* settings, plus the given ones."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("ARTME")}
    env.update(settings)
    env["PYTHONUNBUFFERED"] = "1"
    return env


class ServerProcess:
    def __init__(self, log: Path, *, port: int | None = None, **settings: str) -> None:
        self.port = port or free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.settings = {"ARTME_BASE_URL": self.base_url, **settings}
        self.log = log
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> ServerProcess:
        with open(self.log, "ab") as handle:
            self.process = subprocess.Popen(
                [str(ARTME_COP), "serve", "--host", "127.0.0.1", "--port", str(self.port), "--no-migrate"],
                env=server_env(**self.settings),
                stdout=handle,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited with {self.process.returncode}:\n{self.log_tail()}")
            if self.healthy():
                return self
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"server did not answer /healthz within {START_TIMEOUT} s:\n{self.log_tail()}")

    def healthy(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.base_url}/healthz", timeout=2) as response:
                return response.status == 200
        except (urllib.error.URLError, OSError):
            return False

    def kill(self) -> None:
        """SIGKILL: no shutdown, no flush, as in a crash."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.kill()

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no server log)"
