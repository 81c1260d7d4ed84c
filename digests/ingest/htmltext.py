"""HTML fragments (feed summaries, portal bodies) to clean plain text, paragraphs kept."""

from __future__ import annotations

import re

from lxml import html as lxml_html
from lxml.etree import ParserError

from digests.text import clean_paragraphs, clean_text

_BLOCK_TAGS = {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote"}
_TAG_HINT = re.compile(r"<[a-zA-Z/!]")
_TAG = re.compile(r"<[^>]*>")
_INVISIBLE = re.compile(r"<(script|style|noscript)\b.*?</\1\s*>", re.IGNORECASE | re.DOTALL)


def html_to_text(fragment: str | None, *, paragraphs: bool = False) -> str:
    """Text of an HTML fragment; with `paragraphs`, one line per block element."""
    if not fragment:
        return ""
    if not _TAG_HINT.search(fragment):
        return clean_paragraphs(fragment) if paragraphs else clean_text(fragment)
    if not paragraphs:
        # One line of text: dropping tags is enough (and much faster than a parse).
        return clean_text(_TAG.sub(" ", _INVISIBLE.sub(" ", fragment)))
    try:
        root = lxml_html.fragment_fromstring(fragment, create_parent="div")
    except (ParserError, ValueError):
        return clean_text(re.sub(r"<[^>]+>", " ", fragment))
    for bad in root.xpath(".//script|.//style|.//noscript"):
        bad.drop_tree()
    if not paragraphs:
        return clean_text(root.text_content())
    for element in root.iter():
        if isinstance(element.tag, str) and element.tag.lower() in _BLOCK_TAGS:
            element.tail = "\n" + (element.tail or "")
    return clean_paragraphs(root.text_content())
