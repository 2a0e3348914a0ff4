"""Release notes as HTML, as FaynoSync v2.1 renders a changelog for Velopack's feed and
Sparkle's appcast: CommonMark (goldmark there, markdown-it-py here), raw HTML left out, then
sanitised for user content (bluemonday's UGC policy there, nh3 here)."""

from __future__ import annotations

import re
from typing import Any

import nh3
from markdown_it import MarkdownIt

_SURROGATES = re.compile("[\ud800-\udfff]")


def _omit_raw_html(*_: Any) -> str:
    return "<!-- raw HTML omitted -->"


_MARKDOWN = MarkdownIt("commonmark")
_MARKDOWN.add_render_rule("html_inline", _omit_raw_html)
_MARKDOWN.add_render_rule("html_block", lambda *_: "<!-- raw HTML omitted -->\n")


def notes_html(markdown: str) -> str:
    """Release notes as HTML: CommonMark, raw HTML left out, then sanitised for user content
    (links get ``rel="nofollow"``); blank notes give ``""``."""
    if not markdown.strip():
        return ""
    html = _MARKDOWN.render(_SURROGATES.sub("\ufffd", markdown))
    return str(nh3.clean(html, link_rel="nofollow"))
