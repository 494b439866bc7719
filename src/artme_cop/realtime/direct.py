"""Writing a frame straight to the socket, without a task wake-up or an ASGI `send`.

A delivery through the connection's sender task and Starlette's and uvicorn's send path
costs tens of microseconds; the frame itself is a few bytes written to the transport. When
the server is uvicorn with its websockets-sansio protocol (uvicorn's default when the
`websockets` package is installed), the ASGI `send` the server handed us is a bound method
of that protocol, and the gateway may write finished frames to its transport itself, the
way `websockets.broadcast()` does: synchronously, and only while the connection is open
and its write buffer is below the transport's high-water mark. Anything else (another
server or protocol, a test client, compression, a full buffer, a closing socket) answers
"not now" and the caller takes the ordinary path.

Server frames are not masked, so one encoded frame serves every recipient of an event.
"""

from __future__ import annotations

import struct
from typing import Any, Callable

from websockets.protocol import State

try:
    from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
except ImportError:  # pragma: no cover - uvicorn without websockets: no direct path
    WebSocketsSansIOProtocol = None  # type: ignore[assignment,misc]

_OPEN = State.OPEN
_last: tuple[str, bytes] = ("", b"")


def direct_protocol(raw_send: Callable[..., Any] | None) -> Any | None:
    """The uvicorn protocol behind an ASGI `send`, when frames may be written to it directly."""
    protocol = getattr(raw_send, "__self__", None)
    if WebSocketsSansIOProtocol is None or not isinstance(protocol, WebSocketsSansIOProtocol):
        return None
    if protocol.conn.extensions:  # permessage-deflate: a frame's bytes depend on the connection
        return None
    return protocol


def text_frame(text: str) -> bytes:
    """One unmasked, unfragmented text frame. The last one is kept: the hub hands the same
    string to every subscriber in turn, so each event is encoded once."""
    global _last
    if _last[0] is text:
        return _last[1]
    data = text.encode()
    length = len(data)
    if length < 126:
        header = struct.pack("!BB", 0x81, length)
    elif length < 65536:
        header = struct.pack("!BBH", 0x81, 126, length)
    else:
        header = struct.pack("!BBQ", 0x81, 127, length)
    frame = header + data
    _last = (text, frame)
    return frame


def writable_now(protocol: Any) -> bool:
    """Whether a frame may be written now: the socket is open and keeping up."""
    return not protocol.close_sent and protocol.writable.is_set() and protocol.conn.state is _OPEN and not protocol.transport.is_closing()


def write_now(protocol: Any, text: str) -> bool:
    """Write the frame now if the socket is open and keeping up; False leaves it to the caller."""
    if not writable_now(protocol):
        return False
    protocol.transport.write(text_frame(text))
    return True
