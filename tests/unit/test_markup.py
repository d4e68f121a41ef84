"""Summaries cut at a word, never longer than asked, ellipsis included."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from dateline.content.markup import shorten


def test_short_text_is_unchanged() -> None:
    """Text within the limit is only whitespace-normalised."""
    assert shorten("  A  short\nlead. ", 300) == "A short lead."


def test_cut_at_a_word_with_ellipsis() -> None:
    """A long lead is cut before the word that would overflow, without trailing punctuation."""
    assert shorten("One two, three four", 12) == "One two…"


@given(st.text(), st.integers(min_value=2, max_value=400))
def test_never_longer_than_the_limit(text: str, limit: int) -> None:
    """Whatever the text, the result fits the limit (a meta description must)."""
    assert len(shorten(text, limit)) <= limit
