"""HTML fragments (feed summaries, portal bodies) to clean plain text, paragraphs kept."""

from __future__ import annotations

import re

from digests.text import clean_paragraphs, clean_text

_BLOCK_TAGS = {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote"}
_TAG_HINT = re.compile(r"<[a-zA-Z/!]")
# Only what has the shape of a tag or a comment: "1 < 2 > 0" in a title is text, not markup.
_TAG = re.compile(r"<(?:/?[a-zA-Z][^<>]*|!--.*?--|![^<>]*|\?[^<>]*)>", re.DOTALL)
_INVISIBLE_OPEN = re.compile(r"<(script|style|noscript)\b", re.IGNORECASE)


def _drop_invisible(fragment: str) -> str:
    """Remove script, style and noscript elements with their content, in one pass (a regular
    expression pairing each opening with its closing tag is quadratic on unclosed ones)."""
    kept: list[str] = []
    lowered = fragment.lower()
    position = 0
    while (opening := _INVISIBLE_OPEN.search(fragment, position)) is not None:
        kept.append(fragment[position : opening.start()])
        closing = lowered.find(f"</{opening.group(1).lower()}", opening.end())
        if closing < 0:
            return " ".join(kept)  # unclosed: the rest is script
        end = lowered.find(">", closing)
        position = len(fragment) if end < 0 else end + 1
        kept.append(" ")
    kept.append(fragment[position:])
    return "".join(kept)


def html_to_text(fragment: str | None, *, paragraphs: bool = False) -> str:
    """Text of an HTML fragment; with `paragraphs`, one line per block element."""
    if not fragment:
        return ""
    if not _TAG_HINT.search(fragment):
        return clean_paragraphs(fragment) if paragraphs else clean_text(fragment)
    if not paragraphs:
        # One line of text: dropping tags is enough (and much faster than a parse).
        return clean_text(_TAG.sub(" ", _drop_invisible(fragment)))
    # lxml is imported for the first fragment parsed (4 MB), not when a bot starts up.
    from lxml import html as lxml_html
    from lxml.etree import ParserError

    try:
        root = lxml_html.fragment_fromstring(fragment, create_parent="div")
    except (ParserError, ValueError):
        return clean_text(_TAG.sub(" ", _drop_invisible(fragment)))
    for bad in root.xpath(".//script|.//style|.//noscript"):
        bad.drop_tree()
    for element in root.iter():
        if isinstance(element.tag, str) and element.tag.lower() in _BLOCK_TAGS:
            element.tail = "\n" + (element.tail or "")
    return clean_paragraphs(root.text_content())
