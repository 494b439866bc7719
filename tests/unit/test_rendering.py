"""Hostile markdown is rendered safe (SEC-G; Discourse sanitizer goldens, public markdown-XSS lists)."""

from __future__ import annotations

import time

import pytest
from bs4 import BeautifulSoup

from artme_cop.conversations.rendering import find_mentions, render_markdown

HOSTILE = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[click](&#106;avascript:alert(1))",
    "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "[click](vbscript:msgbox(1))",
    "<a href=\"javascript:alert(1)\">x</a>",
    "![x](javascript:alert(1))",
    "![x](http://127.0.0.1:6379/)",
    "<iframe src=\"https://evil.example\"></iframe>",
    "<svg onload=alert(1)>",
    "<div style=\"background:url(javascript:alert(1))\">x</div>",
    "[x](https://example.org \"title\" onmouseover=\"alert(1)\")",
    "<<script>script>alert(1)<</script>/script>",
    "`<script>` in code and ```\n<script>alert(1)</script>\n```",
    "<details open ontoggle=alert(1)>",
    "<form action=https://evil.example><input name=x></form>",
    "<base href=\"https://evil.example/\">",
    "<math><mi xlink:href=\"javascript:alert(1)\">x</mi></math>",
    "[a](<javascript:alert(1)>)",
    "<https://example.org/\" onclick=\"alert(1)>",
]


def _assert_safe(html: str) -> None:
    tree = BeautifulSoup(html, "html.parser")
    for element in tree.find_all(True):
        assert element.name not in {"script", "iframe", "img", "svg", "math", "form", "input", "base", "style", "details", "div"}, html
        for attribute, value in element.attrs.items():
            assert not attribute.startswith("on"), html
            assert attribute not in {"style", "src"}, html
            if attribute == "href":
                assert value.split(":", 1)[0].lower() in {"http", "https", "mailto"} or ":" not in value.split("/", 1)[0], html


@pytest.mark.parametrize("source", HOSTILE)
def test_hostile_markdown_renders_safe(source: str) -> None:
    _assert_safe(render_markdown(source))


def test_links_get_rel_and_plain_formatting_survives() -> None:
    html = render_markdown("**bold** _it_ ~~gone~~ see https://example.org\n\n| a | b |\n|---|---|\n| 1 | 2 |")
    tree = BeautifulSoup(html, "html.parser")
    assert tree.find("strong").text == "bold" and tree.find("em").text == "it" and tree.find("s").text == "gone"
    link = tree.find("a")
    assert link["href"] == "https://example.org" and set(link["rel"]) == {"noopener", "nofollow", "ugc"}
    assert tree.find("table") is not None


def test_mentions_resolve_only_for_given_people_and_names_are_escaped() -> None:
    source = "thanks @**Sam <b>S|3** and @**Nobody|9**"
    assert find_mentions(source) == [3, 9]
    html = render_markdown(source, {3: "Sam <b>S"})
    tree = BeautifulSoup(html, "html.parser")
    span = tree.find("span", class_="mention")
    assert span["data-person"] == "3" and span.text == "@Sam <b>S"
    assert tree.find("b") is None
    assert "@Nobody" in tree.text and "|9" not in tree.text


def test_pathological_input_renders_in_linear_time() -> None:
    """SEC-J5: 100 KB of mention-like and emphasis-like noise stays fast. Measured in this
    process's CPU time, not the wall clock, so a busy shared machine does not fail it; the
    bound is ten times what a quadratic regex would blow through by orders of magnitude."""
    for source in ("@" * 100_000, "@**" * 30_000, "a" * 50_000 + "!", "*" * 50_000, "[" * 20_000):
        started = time.process_time()
        render_markdown(source)
        assert time.process_time() - started < 2.0
