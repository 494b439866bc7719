"""Malware scanning of uploads (SEC-H10) with ClamAV's daemon, `clamd`, when
`ARTME_CLAMD_SOCKET` names its local socket.

Each upload is streamed to clamd with its INSTREAM command before anything is stored; a
file clamd finds infected is refused with the name of what it found. When clamd does not
answer (down, busy, too slow, or an answer this module cannot read) the upload is refused
too: a file that could not be scanned is never kept (fail closed). Without the setting
nothing is scanned, which the README says.
"""

from __future__ import annotations

import asyncio
import logging
import struct

from artme_cop.errors import Invalid, Unavailable

log = logging.getLogger(__name__)

CHUNK = 64 * 1024
TIMEOUT_SECONDS = 30.0
NOT_SCANNED = "The file could not be checked for malware just now, so it was not stored. Try again in a minute."


async def require_clean(socket_path: str, data: bytes, *, field: str = "file") -> None:
    """Return when clamd finds `data` clean; raise Invalid when it finds something, and
    Unavailable when it cannot tell."""
    if not socket_path:
        return
    try:
        answer = await asyncio.wait_for(_instream(socket_path, data), TIMEOUT_SECONDS)
    except (OSError, asyncio.TimeoutError, asyncio.IncompleteReadError) as exc:
        log.error("malware scan failed: %s", exc.__class__.__name__)
        raise Unavailable(NOT_SCANNED) from None
    if answer == "stream: OK":
        return
    if answer.startswith("stream: ") and answer.endswith(" FOUND"):
        found = answer.removeprefix("stream: ").removesuffix(" FOUND")
        log.warning("upload refused: the malware scanner found %s", found)
        raise Invalid(f"The malware scanner found {found} in this file, so it was not stored.", field=field)
    log.error("malware scan: unexpected answer %r", answer[:200])
    raise Unavailable(NOT_SCANNED)


async def _instream(socket_path: str, data: bytes) -> str:
    """clamd's INSTREAM: chunks each led by their length (4 bytes, big-endian), a zero
    length to end; the answer is one NUL-terminated line."""
    reader, writer = await asyncio.open_unix_connection(socket_path)
    try:
        writer.write(b"zINSTREAM\0")
        for start in range(0, len(data), CHUNK):
            chunk = data[start : start + CHUNK]
            writer.write(struct.pack(">I", len(chunk)) + chunk)
            await writer.drain()
        writer.write(struct.pack(">I", 0))
        await writer.drain()
        answer = await reader.readuntil(b"\0")
    finally:
        writer.close()
    return answer.rstrip(b"\0").decode("utf-8", "replace").strip()
