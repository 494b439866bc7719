"""Markdown to safe HTML, once, at write time.

CommonMark with tables, strikethrough and linkified bare URLs (markdown-it-py; raw HTML
off, pitfall P5), then an allowlist sanitizer (nh3/Ammonia): no script, no event handlers,
no style, only http/https/mailto links, which get rel="noopener nofollow ugc" (SEC-G).
Mentions are written `@**Display Name|id**`; the ones the service resolved become a span,
the rest stay as typed.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

import nh3
from markdown_it import MarkdownIt

RENDERER_VERSION = 1

_markdown = MarkdownIt("commonmark", {"html": False, "linkify": True, "typographer": False}).enable(
    ["table", "strikethrough", "linkify"]
)
# An image would make every reader's browser fetch a URL of the author's choice (SEC-G8).
_markdown.disable("image")

ALLOWED_TAGS = {
    "p", "br", "hr", "em", "strong", "del", "s", "code", "pre", "blockquote", "ul", "ol", "li",
    "h1", "h2", "h3", "h4", "h5", "h6", "a", "table", "thead", "tbody", "tr", "th", "td", "span",
}
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "ol": {"start"},
    "th": {"align"},
    "td": {"align"},
    "code": {"class"},
}
URL_SCHEMES = {"http", "https", "mailto"}

# Bounded quantifiers keep this linear on hostile input (SEC-J5).
MENTION = re.compile(r"@\*\*([^*|\n]{1,100})\|(\d{1,10})\*\*")
_PLACEHOLDER = "\u2063m{}\u2063"
_PLACEHOLDER_RE = re.compile("\u2063m(\\d{1,3})\u2063")


@dataclass(frozen=True)
class MentionRef:
    person_id: int
    display_name: str


def find_mentions(body: str, *, limit: int = 20) -> list[int]:
    """Person ids mentioned in a body, in order of first appearance, at most `limit`."""
    seen: list[int] = []
    for match in MENTION.finditer(body):
        person_id = int(match.group(2))
        if person_id not in seen:
            seen.append(person_id)
        if len(seen) >= limit:
            break
    return seen


def _escape_markdown(text: str) -> str:
    return re.sub(r"([\\`*_{}\[\]()#+\-.!<>|~])", r"\\\1", text)


def render_markdown(body: str, mentions: dict[int, str] | None = None) -> str:
    """Render and sanitize. `mentions` maps the person ids that resolved to their names."""
    resolved = mentions or {}
    spans: list[str] = []

    def stash(match: re.Match[str]) -> str:
        person_id = int(match.group(2))
        if person_id not in resolved or len(spans) >= 999:
            return "@" + _escape_markdown(match.group(1))
        spans.append(f'<span class="mention" data-person="{person_id}">@{html.escape(resolved[person_id])}</span>')
        return _PLACEHOLDER.format(len(spans) - 1)

    source = MENTION.sub(stash, body.replace("\u2063", ""))
    cleaned = nh3.clean(
        _markdown.render(source),
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener nofollow ugc",
    )
    return _PLACEHOLDER_RE.sub(lambda m: spans[int(m.group(1))], cleaned).strip()
