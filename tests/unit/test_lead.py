"""Reading the lead from the Markdown source gives what converting it would show.

The loader reads a plain first paragraph (the usual lead) before converting, cuts its
dateline, and converts the body once; these properties hold it to the slow path's result.
"""

from __future__ import annotations

from hypothesis import example, given
from hypothesis import strategies as st

from dateline.content.markup import MarkdownRenderer, first_paragraph_text, plain_first_paragraph

RENDERER = MarkdownRenderer()
PLAIN_WORDS = st.text(
    st.sampled_from("abcdefghijklmnopqrstuvwxyzÁéñ.,;'\"()–—?%0123456789"), min_size=1, max_size=8
).filter(lambda w: w[0].isalpha())
ANY_LINE = (
    st.text(st.sampled_from("ab1 .-–#*_[]!<>&`{}|:=+~^\\\t\u00a0\r\x02"), max_size=12)
    | st.just("*[HTML]: Hyper Text")
    | st.just("    code")
    | st.just("1. item")
    | st.just("---")
)


@given(st.lists(ANY_LINE | st.lists(PLAIN_WORDS, max_size=6).map(" ".join), max_size=8))
@example(["San Salvador – The IOM", "trained  staff.", "", "*[IOM]: an agency"])
@example(["Term", ": its definition"])
@example(["Heading", "======="])
def test_a_plain_lead_read_from_the_source_is_the_converted_lead(lines: list[str]) -> None:
    """Whenever the source says its first paragraph is plain, the HTML agrees word for word."""
    source = "\n".join(lines)
    lead = plain_first_paragraph(source)
    if lead is not None:
        assert lead == first_paragraph_text(RENDERER.convert(source))


@given(
    st.lists(st.lists(PLAIN_WORDS, min_size=1, max_size=6).map(" ".join), min_size=1, max_size=5)
)
def test_an_ordinary_lead_takes_the_fast_path(lines: list[str]) -> None:
    """Words and punctuation only: read from the source (so the body is converted once)."""
    source = "\n".join(lines) + "\n\nA second paragraph with **bold** text.\n"
    assert plain_first_paragraph(source) == " ".join(" ".join(lines).split())


def test_markup_in_the_lead_leaves_it_to_the_converter() -> None:
    """Emphasis, links, lists and headings first: no shortcut, the HTML decides."""
    for source in ("San Salvador – **IOM** trained staff.", "- a list", "# A heading\n\nText."):
        assert plain_first_paragraph(source) is None
