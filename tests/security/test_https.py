"""SEC-F13: in production the app is served over https (TLS at the proxy), so the pages'
WebSocket is `wss://`: the client takes the scheme from the page (`static/js/live.js`), the
server answers with HSTS, keeps the session cookie Secure and `__Host-` prefixed, and opens a
socket only for the https origin: the plain-http page of the same host is refused."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator

import pytest
from starlette.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from artme_cop.app import create_app
from tests.conftest import make_settings
from tests.factories import World
from tests.realtime.conftest import signed_in

BASE = "https://cop.example.org"


@pytest.fixture
def https_app(settings: Any, world: World, tmp_path: Path) -> Iterator[TestClient]:
    with TestClient(create_app(make_settings(tmp_path, settings.database_url, base_url=BASE)), base_url=BASE) as client:
        yield client


def test_over_https_the_socket_opens_only_for_the_https_origin(https_app: TestClient, world: World) -> None:
    signed_in(https_app, world.student_a.email)
    page = https_app.get("/")
    assert page.headers["strict-transport-security"].startswith("max-age=")
    # The test client would not send a Secure cookie to its ws:// address; a browser sends it to wss://.
    cookie = f"__Host-artme_session={https_app.cookies['__Host-artme_session']}"
    with pytest.raises(WebSocketDisconnect) as refused:
        with https_app.websocket_connect("/ws", headers={"Origin": "http://cop.example.org", "Cookie": cookie}):
            pass
    assert refused.value.code == 1008
    with https_app.websocket_connect("/ws", headers={"Origin": BASE, "Cookie": cookie}) as socket:
        socket.send_json({"type": "hello", "protocol": 1})
        assert socket.receive_json()["type"] == "ready"


def test_the_page_client_takes_wss_from_an_https_page() -> None:
    source = (Path(__file__).parents[2] / "static" / "js" / "live.js").read_text()
    assert 'location.protocol === "https:" ? "wss:" : "ws:"' in source
