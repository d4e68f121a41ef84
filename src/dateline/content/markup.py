"""Markdown bodies → HTML, and the plain-text helpers summaries need.

One `Markdown` instance is reused and reset between documents (creating one
per article dominates load time on big archives; reset() stops footnotes and
abbreviations leaking from one article into the next).
"""

from __future__ import annotations

import html
import re

import markdown

_EXTENSIONS = ["extra", "sane_lists"]
_TAG = re.compile(r"<[^>]+>")
_FIRST_PARAGRAPH = re.compile(r"<p>(.*?)</p>", re.DOTALL)


class MarkdownRenderer:
    """Converts Markdown; with raw HTML off, HTML in a body is shown as text."""

    def __init__(self, *, allow_raw_html: bool = True) -> None:
        self._md = markdown.Markdown(extensions=_EXTENSIONS, output_format="html")
        if not allow_raw_html:
            self._md.preprocessors.deregister("html_block")
            self._md.inlinePatterns.deregister("html")

    def convert(self, text: str) -> str:
        try:
            return self._md.convert(text)
        finally:
            self._md.reset()


def plain_text(fragment: str) -> str:
    """Visible text of an HTML fragment, whitespace collapsed."""
    return " ".join(html.unescape(_TAG.sub(" ", fragment)).split())


def first_paragraph_text(body_html: str) -> str:
    """Plain text of the first paragraph of rendered HTML ("" if none)."""
    match = _FIRST_PARAGRAPH.search(body_html)
    return plain_text(match.group(1)) if match else plain_text(body_html)


def paragraphs_html(paragraphs: tuple[str, ...] | list[str]) -> str:
    """Plain-text paragraphs (from digests, never trusted as HTML) → escaped HTML."""
    return "\n".join(f"<p>{html.escape(' '.join(p.split()), quote=False)}</p>" for p in paragraphs)


def shorten(text: str, limit: int) -> str:
    """Cut plain text at a word boundary, adding an ellipsis when cut."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit + 1].rsplit(" ", 1)[0].rstrip(" ,;:.-–—")
    return (cut or text[:limit]) + "…"
