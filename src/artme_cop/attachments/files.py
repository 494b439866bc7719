"""Pure rules for uploaded files (no I/O): which types are allowed, judged by the content's
magic bytes and not by the name, and how a hostile file name becomes a safe one to show and
to put in a Content-Disposition header (SEC-H2, SEC-H3, SEC-H5, SEC-J3). A picture or a PDF
must also end where its format says it ends: nothing may be appended after it, the usual way
to make one file that is also another (a PNG that is also an HTML page)."""

from __future__ import annotations

import struct
import unicodedata
import zlib
from dataclasses import dataclass
from urllib.parse import quote, unquote

MAX_NAME = 120


@dataclass(frozen=True)
class FileType:
    mime: str
    extensions: frozenset[str]


PNG = FileType("image/png", frozenset({"png"}))
JPEG = FileType("image/jpeg", frozenset({"jpg", "jpeg"}))
GIF = FileType("image/gif", frozenset({"gif"}))
WEBP = FileType("image/webp", frozenset({"webp"}))
PDF = FileType("application/pdf", frozenset({"pdf"}))
TEXT = FileType("text/plain; charset=utf-8", frozenset({"txt", "md", "csv"}))
ALLOWED = (PNG, JPEG, GIF, WEBP, PDF, TEXT)
ALLOWED_EXTENSIONS = frozenset(ext for kind in ALLOWED for ext in kind.extensions)


def sniff(data: bytes) -> FileType | None:
    """The allowed type the content really is, or None. Text must be UTF-8 without NUL or
    control bytes and must not open like markup (an HTML page named .txt is refused)."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if data.startswith(b"\xff\xd8\xff"):
        return JPEG
    if data.startswith((b"GIF87a", b"GIF89a")):
        return GIF
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return WEBP
    if data.startswith(b"%PDF-"):
        return PDF
    return TEXT if _is_plain_text(data) else None


def ends_where_it_should(kind: FileType, data: bytes) -> bool:
    """Whether nothing follows the end of the file's own format (text has no end to check)."""
    if kind is PNG:
        return _png_ends(data)
    if kind is GIF:
        return _gif_ends(data)
    if kind is WEBP:
        return len(data) >= 12 and struct.unpack_from("<I", data, 4)[0] + 8 == len(data)
    if kind is JPEG:
        return data.endswith(b"\xff\xd9")
    if kind is PDF:
        return data.rstrip(b"\r\n\t\f\x00 ").endswith(b"%%EOF")
    return True


def _png_ends(data: bytes) -> bool:
    """The chunks, each with a correct checksum, up to an IEND that closes the file."""
    pos = 8
    while pos + 12 <= len(data):
        length, kind = struct.unpack_from(">I4s", data, pos)
        end = pos + 12 + length
        if end > len(data) or zlib.crc32(data[pos + 4 : end - 4]) != struct.unpack_from(">I", data, end - 4)[0]:
            return False
        if kind == b"IEND":
            return end == len(data)
        pos = end
    return False


def _gif_ends(data: bytes) -> bool:
    """The blocks after the screen descriptor, up to a trailer byte that closes the file."""
    if len(data) < 13:
        return False
    pos = 13 + (3 << ((data[10] & 0x07) + 1) if data[10] & 0x80 else 0)
    while pos < len(data):
        block = data[pos]
        if block == 0x3B:
            return pos + 1 == len(data)
        if block == 0x21:  # extension: label, then sub-blocks
            pos = _after_sub_blocks(data, pos + 2)
        elif block == 0x2C:  # image: descriptor, maybe a colour table, code size, sub-blocks
            if pos + 10 > len(data):
                return False
            flags = data[pos + 9]
            pos += 10 + (3 << ((flags & 0x07) + 1) if flags & 0x80 else 0)
            pos = _after_sub_blocks(data, pos + 1)
        else:
            return False
        if pos < 0:
            return False
    return False


def _after_sub_blocks(data: bytes, pos: int) -> int:
    """Where a run of sub-blocks (each a length byte and its bytes, ended by a 0) stops; -1
    when the data ends first."""
    while pos < len(data):
        size = data[pos]
        pos += 1 + size
        if size == 0:
            return pos
    return -1


def _is_plain_text(data: bytes) -> bool:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    if any(unicodedata.category(c) == "Cc" and c not in "\n\r\t" for c in text):
        return False
    return not text.lstrip().startswith("<")


def extension(name: str) -> str:
    return name.rsplit(".", 1)[1].lower() if "." in name else ""


def clean_name(raw: str) -> str:
    """A display name from what the browser sent: the last path component (either slash),
    NFC, without control, format (bidi overrides, zero-width) or reserved characters, without
    leading dots, at most MAX_NAME characters keeping the extension; "file" when nothing is left."""
    # Browsers percent-encode quotes and line breaks in multipart file names (HTML spec).
    base = unquote(raw).replace("\\", "/").rsplit("/", 1)[-1]
    base = unicodedata.normalize("NFC", base)
    kept = "".join(c for c in base if unicodedata.category(c) not in {"Cc", "Cf", "Cs", "Co", "Cn"} and c not in '<>:"|?*;')
    kept = kept.strip().lstrip(".").strip()
    if len(kept) > MAX_NAME:
        stem, dot, ext = kept.rpartition(".")
        kept = (stem[: MAX_NAME - len(ext) - 1] + "." + ext) if dot and len(ext) <= 10 else kept[:MAX_NAME]
    return kept or "file"


def content_disposition(name: str) -> str:
    """`attachment` with an ASCII fallback and the RFC 6266/5987 UTF-8 name: no quote,
    semicolon or line break can leave the header value."""
    fallback = "".join(c if c.isascii() and c.isprintable() and c not in '"\\;%' else "_" for c in name) or "file"
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"
