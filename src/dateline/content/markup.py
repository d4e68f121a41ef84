"""Markdown bodies → HTML, and the plain-text helpers summaries need.

One `Markdown` instance is reused and reset between documents (creating one
per article dominates load time on big archives; reset() stops footnotes and
abbreviations leaking from one article into the next). Documents that hold nothing the
"extra" extensions act on convert without them, and with only the inline patterns whose
characters they contain: the same HTML in about 40 % less time (0.9 against 1.4 ms a
body of the benchmark corpus; most bulletins are paragraphs, lists, emphasis and links,
and Python-Markdown tries every inline pattern on every run of text).
"""

from __future__ import annotations

import html
import re
import xml.etree.ElementTree as etree

import markdown
from markdown.extensions.abbr import AbbrExtension
from markdown.extensions.attr_list import AttrListExtension
from markdown.extensions.def_list import DefListExtension
from markdown.extensions.fenced_code import FencedCodeExtension
from markdown.extensions.footnotes import FootnoteExtension
from markdown.extensions.md_in_html import MarkdownInHtmlExtension
from markdown.extensions.sane_lists import SaneListExtension
from markdown.extensions.tables import TableExtension
from markdown.treeprocessors import Treeprocessor

from dateline.urls import is_safe_url


def _extensions() -> list[markdown.Extension]:
    """The parts of "extra" (in its order) and "sane_lists", as instances.

    Named by string, Markdown looks each name up among the installed packages' entry
    points: a scan of every package's metadata that costs more than converting the one
    article an edit changed.
    """
    return [
        FencedCodeExtension(), FootnoteExtension(), AttrListExtension(), DefListExtension(),
        TableExtension(), AbbrExtension(), MarkdownInHtmlExtension(), SaneListExtension(),
    ]  # fmt: skip


_TAG = re.compile(r"<[^>]+>")
_FIRST_PARAGRAPH = re.compile(r"<p>(.*?)</p>", re.DOTALL)
_PLACEHOLDER = re.compile("\x02(\\d+)\x03")


class _DropScriptUrls(Treeprocessor):
    """Remove `javascript:`-style URLs from Markdown links and images (`[x](javascript:…)`).

    Raw HTML, when allowed, is the author's own and is not touched; Markdown link
    syntax is how pasted text most easily smuggles a script URL in.
    """

    def run(self, root: etree.Element) -> None:
        for element in root.iter():
            for attribute in ("href", "src"):
                value = element.get(attribute)
                if value is not None and not is_safe_url(_unplaceholder(value)):
                    del element.attrib[attribute]


def _unplaceholder(value: str) -> str:
    """Undo Python-Markdown's placeholders for '&' and backslash escapes, as the output will."""
    value = value.replace(markdown.util.AMP_SUBSTITUTE, "&")
    return _PLACEHOLDER.sub(lambda m: chr(int(m.group(1))), value)


# What any of the "extra" extensions acts on, at the least: fences, footnotes, attribute
# lists, tables, abbreviations and raw HTML (md_in_html); definition lists are found by
# `_DEFINITION`.
_EXTRA_SYNTAX = ("```", "~~~", "[^", "{", "|", "*[", "<")
# A line that may open a definition (": …") once its indent and quote markers are
# stripped (list markers too, to be safe; a lone "\r" ends a line as well).
_DEFINITION = re.compile(r"(?:^|\r)[ \t>*+\-0-9.]*:", re.MULTILINE)


def uses_extensions(text: str) -> bool:
    """Whether the "extra" extensions might change how `text` converts (False: they cannot)."""
    return any(mark in text for mark in _EXTRA_SYNTAX) or _DEFINITION.search(text) is not None


# Python-Markdown's core inline patterns, each with the strings of which the source must
# hold one for the pattern to match: "![" opens an image, two spaces or a tab (expanded)
# end a line with a break, "*" and "_" are the emphasis delimiters. Markdown deletes
# "\x02" and "\x03" from the source, which could join strings: a source holding either
# gets every pattern.
_INLINE_TRIGGERS: dict[str, tuple[str, ...]] = {
    "backtick": ("`",), "escape": ("\\",),
    "reference": ("[",), "link": ("[",), "short_reference": ("[",),
    "image_link": ("![",), "image_reference": ("![",), "short_image_ref": ("![",),
    "autolink": ("<",), "automail": ("<",), "html": ("<",),
    "linebreak": ("  ", "\t"), "entity": ("&",), "em_strong": ("*", "_"),
}  # fmt: skip
_EVERY_PATTERN = frozenset(_INLINE_TRIGGERS)


def inline_patterns_needed(text: str) -> frozenset[str]:
    """The core inline patterns that could match somewhere in `text` (the others cannot)."""
    if "\x02" in text or "\x03" in text:
        return _EVERY_PATTERN
    return frozenset(
        name for name, marks in _INLINE_TRIGGERS.items() if any(mark in text for mark in marks)
    )


class MarkdownRenderer:
    """Converts Markdown; with raw HTML off, HTML in a body is shown as text."""

    def __init__(self, *, allow_raw_html: bool = True) -> None:
        self._allow_raw_html = allow_raw_html
        self._md = _markdown(_extensions(), allow_raw_html=allow_raw_html)
        # Lean converters by the inline patterns they keep: one per mix of syntax met
        # (under a hundred, a handful in practice; the benchmark corpus needs two).
        self._lean: dict[frozenset[str], markdown.Markdown] = {}

    def convert(self, text: str) -> str:
        md = self._md if uses_extensions(text) else self._lean_for(inline_patterns_needed(text))
        try:
            return md.convert(text)
        finally:
            md.reset()

    def _lean_for(self, patterns: frozenset[str]) -> markdown.Markdown:
        md = self._lean.get(patterns)
        if md is None:
            md = _markdown([SaneListExtension()], allow_raw_html=self._allow_raw_html)
            for name in _EVERY_PATTERN - patterns:
                if name in md.inlinePatterns:
                    md.inlinePatterns.deregister(name)
            self._lean[patterns] = md
        return md


def _markdown(extensions: list[markdown.Extension], *, allow_raw_html: bool) -> markdown.Markdown:
    md = markdown.Markdown(extensions=extensions, output_format="html")
    md.treeprocessors.register(_DropScriptUrls(md), "drop-script-urls", 1)
    if not allow_raw_html:
        md.preprocessors.deregister("html_block")
        md.inlinePatterns.deregister("html")
    return md


def plain_text(fragment: str) -> str:
    """Visible text of an HTML fragment, whitespace collapsed."""
    return " ".join(html.unescape(_TAG.sub(" ", fragment)).split())


def first_paragraph_text(body_html: str) -> str:
    """Plain text of the first paragraph of rendered HTML ("" if none)."""
    match = _FIRST_PARAGRAPH.search(body_html)
    return plain_text(match.group(1)) if match else plain_text(body_html)


# Characters with a meaning in Markdown, its extensions or HTML, anywhere in a paragraph;
# and how a line may start a block other than a paragraph (list, heading, quote, rule,
# setext underline, definition, fence, ordered list).
_SYNTAX = frozenset("\\`*_[]!<>&{}|~^$\x02\x03\r")
_BLOCK_START = re.compile(r"[#>+\-=:]|[0-9]+[.)]")


def plain_first_paragraph(markdown_text: str) -> str | None:
    """The first paragraph's text, whitespace collapsed, when it is plain (no syntax at all).

    For such a paragraph this is exactly `first_paragraph_text(convert(text))`, so the
    loader can read the lead (and strip its dateline) before converting, and convert once.
    None when the first block might be anything else: the caller converts to find out.
    """
    if "*[" in markdown_text:
        return None  # an abbreviation defined anywhere puts <abbr> tags into the text
    lines: list[str] = []
    for line in markdown_text.split("\n"):
        if not line.strip(" \t"):
            if lines:
                break
            continue
        indent = line[: len(line) - len(line.lstrip())]
        if indent.strip(" ") or len(indent) >= 4 or _BLOCK_START.match(line, len(indent)):
            return None  # a tab, a non-space blank, code, or another kind of block
        if not _SYNTAX.isdisjoint(line):
            return None
        lines.append(line)
    return " ".join(" ".join(lines).split()) or None


def paragraphs_html(paragraphs: tuple[str, ...] | list[str]) -> str:
    """Plain-text paragraphs (from digests, never trusted as HTML) → escaped HTML."""
    return "\n".join(f"<p>{html.escape(' '.join(p.split()), quote=False)}</p>" for p in paragraphs)


def shorten(text: str, limit: int) -> str:
    """Cut plain text at a word boundary so that, ellipsis included, it fits in `limit`."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    head = text[:limit]  # a space anywhere in here ends a word within limit - 1 characters
    cut = head.rsplit(" ", 1)[0].rstrip(" ,;:.-–—") if " " in head else ""
    return (cut or text[: limit - 1]) + "…"
