"""The wire protocol's constants and frame helpers (documented in docs/protocol.md).

Client frames are JSON objects with a `type` and an optional `ref` the reply echoes.
Replies are `ack` or `error` frames; errors carry a `code` from ERROR_CODES.
"""

from __future__ import annotations

import json
import math
from typing import Any

from artme_cop.realtime.events import encode

PROTOCOL_VERSION = 1
MAX_FRAME_CHARS = 64 * 1024
MAX_REF_CHARS = 64

CLOSE_NORMAL = 1000
CLOSE_UNSUPPORTED_DATA = 1003
CLOSE_POLICY = 1008
CLOSE_SLOW_CONSUMER = 4008
CLOSE_SESSION_ENDED = 4401

ERROR_CODES = ("invalid", "not_found", "forbidden", "rate_limited", "too_large", "conflict", "unsupported", "internal")


class FrameError(Exception):
    def __init__(self, code: str, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.extra = extra


def decode(text: str) -> dict[str, Any]:
    """Parse one client frame; raise FrameError for anything but a JSON object with a type."""
    if len(text) > MAX_FRAME_CHARS:
        raise FrameError("too_large", f"Frames are limited to {MAX_FRAME_CHARS} characters.")
    try:
        frame = json.loads(text, parse_constant=_reject_constant)
    except (ValueError, RecursionError):
        raise FrameError("invalid", "The frame is not valid JSON.") from None
    if not isinstance(frame, dict):
        raise FrameError("invalid", "A frame must be a JSON object.")
    if not isinstance(frame.get("type"), str):
        raise FrameError("invalid", "A frame needs a string `type`.")
    ref = frame.get("ref")
    if ref is not None and not (isinstance(ref, (str, int)) and not isinstance(ref, bool) and len(str(ref)) <= MAX_REF_CHARS):
        raise FrameError("invalid", "`ref` must be a short string or number.")
    return frame


def _reject_constant(name: str) -> float:
    raise ValueError(f"{name} is not allowed")


def reply_ref(frame: dict[str, Any] | None) -> str | int | None:
    if frame is None:
        return None
    ref = frame.get("ref")
    return ref if isinstance(ref, (str, int)) and not isinstance(ref, bool) and len(str(ref)) <= MAX_REF_CHARS else None


def ack(ref: str | int | None, **data: Any) -> str:
    return encode({"type": "ack", "ref": ref, **data})


def error(ref: str | int | None, code: str, message: str, **extra: Any) -> str:
    return encode({"type": "error", "ref": ref, "code": code, "message": message, **extra})


def int_field(frame: dict[str, Any], name: str, *, required: bool = True, default: int | None = None) -> int | None:
    value = frame.get(name, None)
    if value is None:
        if required:
            raise FrameError("invalid", f"`{name}` is required.")
        return default
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 2**31:
        raise FrameError("invalid", f"`{name}` must be a non-negative whole number.")
    return value


def bool_field(frame: dict[str, Any], name: str, *, default: bool) -> bool:
    value = frame.get(name, default)
    if not isinstance(value, bool):
        raise FrameError("invalid", f"`{name}` must be true or false.")
    return value


def retry_after(seconds: float) -> int:
    return max(1, math.ceil(seconds))
