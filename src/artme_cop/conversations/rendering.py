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
from markdown_it.rules_inline.state_inline import StateInline

RENDERER_VERSION = 1

_markdown = MarkdownIt("commonmark", {"html": False, "linkify": True, "typographer": False}).enable(
    ["table", "strikethrough", "linkify"]
)
# An image would make every reader's browser fetch a URL of the author's choice (SEC-G8).
_markdown.disable("image")

# RFC 3986: scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ), at the end of pending text.
_SCHEME_AT_END = re.compile(r"(?:^|[^a-z0-9.+-])([a-z][a-z0-9.+-]*)$", re.IGNORECASE)
_SCHEME_WINDOW = 64


def _linkify_with_bounded_lookbehind(state: StateInline, silent: bool) -> bool:
    """markdown-it-py's linkify rule, except that it looks for the scheme before `://` in the
    last 64 characters of pending text, not in all of it: the library's search made `http://a.`
    repeated quadratic (SEC-J5). Schemes are short, and a longer run of scheme characters is
    no known scheme whether cut or not, so links come out the same."""
    if state.linkLevel > 0 or not state.src.startswith("://", state.pos):
        return False
    scheme = _SCHEME_AT_END.search(state.pending[-_SCHEME_WINDOW:])
    if scheme is None:
        return False
    proto = scheme.group(1)
    link = state.md.linkify.match_at_start(state.src[state.pos - len(proto) :])
    if not link:
        return False
    url = link.url.rstrip("*")  # a trailing '*' belongs to emphasis, as in the library
    full_url = state.md.normalizeLink(url)
    if not state.md.validateLink(full_url):
        return False
    if not silent:
        state.pending = state.pending[: -len(proto)]
        token = state.push("link_open", "a", 1)
        token.attrs = {"href": full_url}
        token.markup, token.info = "linkify", "auto"
        token = state.push("text", "", 0)
        token.content = state.md.normalizeLinkText(url)
        token = state.push("link_close", "a", -1)
        token.markup, token.info = "linkify", "auto"
    state.pos += len(url) - len(proto)
    return True


_markdown.inline.ruler.at("linkify", _linkify_with_bounded_lookbehind)

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


# One line of plain prose (ASCII, no leading or trailing space) in which no character can
# open Markdown syntax or HTML: no emphasis, code, strikethrough, escape, entity, bracket,
# angle bracket, table pipe or mention, and no block marker at the start (a digit followed
# by "." or ")" would start a list). Links are ruled out separately, with linkify itself.
_PLAIN = re.compile(r"""(?!\d{1,9}[.)])[A-Za-z0-9](?:[A-Za-z0-9 '"(),.:;?!/@$%^{}=+#-]*[A-Za-z0-9'"(),.:;?!/@$%^{}=+#-])?""")
# What every link linkify can find contains: a scheme's colon, "//", an e-mail's "@", or a
# dot before a top-level domain (these start with a letter). Without one, skip its test.
_LINK_HINT = re.compile(r"[:/@]|\.[A-Za-z]")


def plain_html(body: str) -> str | None:
    """The HTML of a body that is plain prose, without the parser; None when it is not.

    Most chat messages are one plain sentence, and the full pipeline costs a few hundred
    microseconds on the write path. For such a body markdown-it makes one paragraph of the
    text, escaping only the double quote, and the sanitizer serializes the quote back: the
    result is the text inside <p>, byte for byte what `render_markdown` would give (the
    unit tests compare both on many generated bodies). Nothing here can form a tag or an
    entity: the pattern admits no `<`, `>` or `&`.
    """
    if _PLAIN.fullmatch(body) is None or "://" in body:  # the inline rule links any scheme
        return None
    if _LINK_HINT.search(body) is not None and _markdown.linkify.test(body):
        return None
    return f"<p>{body}</p>"


def render_markdown(body: str, mentions: dict[int, str] | None = None) -> str:
    """Render and sanitize. `mentions` maps the person ids that resolved to their names."""
    plain = plain_html(body)
    if plain is not None:
        return plain
    return render_markdown_fully(body, mentions)


def render_markdown_fully(body: str, mentions: dict[int, str] | None = None) -> str:
    """The whole pipeline: markdown-it, then the nh3 allowlist."""
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
