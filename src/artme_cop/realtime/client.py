"""A Python client of the WebSocket protocol, for tests, benchmarks and scripts.

`sign_in` logs in through the real form and returns the session cookie; `LiveClient`
speaks the protocol of docs/protocol.md over the `websockets` library: requests are
matched to replies by `ref`, everything else lands in `events`.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
from typing import Any

import httpx
import websockets

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


async def sign_in(base_url: str, email: str, password: str) -> str:
    """Sign in through the login form; return the Cookie header value for the session."""
    async with httpx.AsyncClient(base_url=base_url, follow_redirects=False, timeout=30) as http:
        page = await http.get("/login")
        match = _CSRF.search(page.text)
        if match is None:
            raise RuntimeError("no CSRF token on the login page")
        response = await http.post("/login", data={"email": email, "password": password, "csrf_token": match.group(1), "next": "/"})
        if response.status_code != 303:
            raise RuntimeError(f"sign-in of {email} failed with {response.status_code}")
        return "; ".join(f"{name}={value}" for name, value in http.cookies.items())


class ProtocolError(Exception):
    def __init__(self, frame: dict[str, Any]) -> None:
        super().__init__(f"{frame.get('code')}: {frame.get('message')}")
        self.frame = frame
        self.code = frame.get("code")


class LiveClient:
    def __init__(self, socket: Any) -> None:
        self.socket = socket
        self.events: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._waiting: dict[Any, asyncio.Future[dict[str, Any]]] = {}
        self._refs = itertools.count(1)
        self._reader = asyncio.create_task(self._read())
        self.closed: asyncio.Future[int | None] = asyncio.get_running_loop().create_future()

    @classmethod
    async def connect(cls, base_url: str, cookie: str, *, origin: str | None = None, **options: Any) -> LiveClient:
        url = base_url.replace("http://", "ws://", 1).replace("https://", "wss://", 1) + "/ws"
        socket = await websockets.connect(
            url, additional_headers={"Cookie": cookie}, origin=origin or base_url, max_size=2**22, compression=None, **options  # type: ignore[arg-type]
        )
        client = cls(socket)
        ready = await client.next_event("ready")
        client.person = ready["person"]
        return client

    async def _read(self) -> None:
        code = None
        try:
            async for text in self.socket:
                frame = json.loads(text)
                waiter = self._waiting.pop(frame.get("ref"), None) if frame.get("type") in {"ack", "error"} else None
                if waiter is not None and not waiter.done():
                    waiter.set_result(frame)
                else:
                    self.events.put_nowait(frame)
        except websockets.ConnectionClosed:
            pass
        finally:
            code = self.socket.close_code
            for waiter in self._waiting.values():
                if not waiter.done():
                    waiter.set_exception(ConnectionError(f"connection closed ({code})"))
            if not self.closed.done():
                self.closed.set_result(code)

    async def request(self, frame: dict[str, Any], *, timeout: float = 30) -> dict[str, Any]:
        """Send a frame and wait for its ack; raise ProtocolError on an error reply."""
        ref = next(self._refs)
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._waiting[ref] = future
        try:
            await self.socket.send(json.dumps({**frame, "ref": ref}))
        except BaseException:
            # Not sent: the caller gets the send's own error. The reader may already have
            # failed the waiter as the connection closed; that failure is not reported twice.
            self._waiting.pop(ref, None)
            if not future.cancel():
                future.exception()
            raise
        reply = await asyncio.wait_for(future, timeout)
        if reply["type"] == "error":
            raise ProtocolError(reply)
        return reply

    async def subscribe(self, conversation: int, after_seq: int | None = None) -> dict[str, Any]:
        frame: dict[str, Any] = {"type": "subscribe", "conversation": conversation}
        if after_seq is not None:
            frame["after_seq"] = after_seq
        return await self.request(frame)

    async def send(self, conversation: int, body: str, client_msg_id: str, **extra: Any) -> dict[str, Any]:
        return await self.request({"type": "send", "conversation": conversation, "body": body, "client_msg_id": client_msg_id, **extra})

    async def send_raw(self, data: str | bytes) -> None:
        await self.socket.send(data)

    async def next_event(self, kind: str | None = None, *, timeout: float = 10) -> dict[str, Any]:
        while True:
            frame = await asyncio.wait_for(self.events.get(), timeout)
            if kind is None or frame.get("type") == kind:
                return frame

    async def messages(self, count: int, *, timeout: float = 30) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        while len(found) < count:
            found.append(await self.next_event("message", timeout=timeout))
        return found

    async def close(self) -> None:
        await self.socket.close()
        self._reader.cancel()
        try:
            await self._reader
        except asyncio.CancelledError:
            pass
