"""Markdown's "extra" extensions and inline patterns: skipped only where they cannot act.

`MarkdownRenderer` converts a body with no syntax the extensions act on without them,
and with only the inline patterns whose characters it holds (about 40 % less time);
these tests hold that path to the full converter's bytes, and show each extension still
at work where its syntax appears.
"""

from __future__ import annotations

import markdown
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from dateline.content import markup
from dateline.content.markup import MarkdownRenderer, inline_patterns_needed, uses_extensions

WORD = st.text(st.sampled_from("abcxyzÁéñ0123456789"), min_size=1, max_size=6)
PUNCTUATION = st.sampled_from([*" .,;!?'\"()-–*_`[]#>+=&\\/~^$%:@\t\u00a0", "  ", "\r"])
TOKEN = (
    WORD
    | PUNCTUATION
    | st.sampled_from(
        [
            "**bold**", "_em_", "`code`", "[a link](https://example.org/x)", "![img](a.png)",
            "<https://example.org>", "&amp;", "&copy;", "\\*", "[ref]", "[ref]: https://e.org",
            "javascript:alert(1)", "[x](javascript:alert(1))", "a  ", ": ", "Term", "---",
            "===", "***", "1. ", "2) ", "- ", "* ", "+ ", "> ", "    ", "# ", "## ",
            "[^1]", "[^1]: note", "*[HTML]: Hyper Text", "HTML", "{: #id .cls }", "{#id}",
            "| a | b |", "|---|---|", "```", "~~~", "```py", "<div markdown=\"1\">", "</div>",
            "<b>", "\x02",
        ]
    )
)  # fmt: skip
LINE = st.lists(TOKEN, max_size=8).map("".join)
DOCUMENT = st.lists(LINE | st.just(""), max_size=10).map("\n".join)


def reference(allow_raw_html: bool) -> markdown.Markdown:
    return markup._markdown(markup._extensions(), allow_raw_html=allow_raw_html)


FULL = {allowed: reference(allowed) for allowed in (True, False)}
RENDERERS = {allowed: MarkdownRenderer(allow_raw_html=allowed) for allowed in (True, False)}


def converted_in_full(text: str, allow_raw_html: bool) -> str:
    md = FULL[allow_raw_html]
    try:
        return md.convert(text)
    finally:
        md.reset()


@settings(max_examples=600)
@given(DOCUMENT, st.booleans())
@example("Term\n: its definition", True)
@example("- item\n\n    : a definition in a list", True)
@example("- Term\n  : its definition, in a list item", True)
@example("> - Term\n>   : in a list in a quote", True)
@example("> Term\n> : quoted definition", True)
@example("Term\r: after a lone carriage return", True)
@example("Abbreviations like HTML\n\n*[HTML]: Hyper Text Markup Language", True)
@example("A note.[^1]\n\n[^1]: The note.", False)
@example("# Title {#custom}", True)
@example("| a | b |\n|---|---|\n| 1 | 2 |", True)
@example("```\n*not emphasis*\n```", False)
@example("~~~\n*not emphasis*\n~~~", True)
@example('<div markdown="1">\n**Bold** inside\n</div>', True)
@example("Fish &amp; chips & more &copy; 2026", True)
@example("Run `dateline build` now", True)
@example("Not \\*emphasis\\*, a \\[bracket\\]", True)
@example("See [the report](https://e.org/r) and [the page][p].\n\n[p]: https://e.org/p", True)
@example("See [the page].\n\n[the page]: https://e.org/p", True)
@example("![A map](map.png) and ![the chart][c] and ![c]\n\n[c]: chart.png", True)
@example("A line ending in two spaces  \nand the next", True)
@example("A line ending in a tab\t\nand the next", True)
@example("A break hidden by a control character \x02 \nand the next", True)
@example("Some *emphasis*, __strong__ and _more_", True)
@example("*&amp;_chipsb*****b*b", True)  # an entity changes how emphasis pairs up
def test_a_body_converts_to_the_same_html_with_or_without_the_extensions(
    text: str, allow_raw_html: bool
) -> None:
    assert RENDERERS[allow_raw_html].convert(text) == converted_in_full(text, allow_raw_html)


@given(st.lists(st.lists(WORD, min_size=1, max_size=8).map(" ".join), min_size=1, max_size=5))
def test_ordinary_paragraphs_take_the_lean_path(paragraphs: list[str]) -> None:
    body = "\n\n".join(paragraphs) + "\n\n- a list\n- with *emphasis* and [a link](https://e.org)"
    assert not uses_extensions(body)


@given(st.lists(st.lists(WORD, min_size=1, max_size=8).map(" ".join), min_size=1, max_size=5))
def test_plain_prose_needs_no_inline_pattern(paragraphs: list[str]) -> None:
    assert inline_patterns_needed("\n\n".join(paragraphs) + ".") == frozenset()


@pytest.mark.parametrize(
    ("body", "shown"),
    [
        ("| a | b |\n|---|---|\n| 1 | 2 |", "<table>"),
        ("A claim.[^1]\n\n[^1]: Its source.", 'class="footnote"'),
        ("Term\n: Its definition.", "<dl>\n<dt>Term</dt>\n<dd>Its definition.</dd>\n</dl>"),
        ("The IOM helps.\n\n*[IOM]: International Organization for Migration", "<abbr"),
        ("## Figures {#figures}", '<h2 id="figures">Figures</h2>'),
        ("```python\nprint(1)\n```", '<code class="language-python">'),
        ('<div markdown="1">\n**Bold** inside\n</div>', "<strong>Bold</strong>"),
    ],
)
def test_each_extension_still_works_where_its_syntax_is(body: str, shown: str) -> None:
    assert uses_extensions(body)
    assert shown in MarkdownRenderer().convert(body)
