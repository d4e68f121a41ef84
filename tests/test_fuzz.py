"""Fuzzing the parsers that read untrusted text: only dateline's own errors may escape.

Each parser is fed arbitrary text and text shaped like its input (YAML keys, date words,
dateline heads, digest entries). A crash would be a traceback for a non-programmer; a
`DateParseError`/`FrontMatterError` is a diagnostic with a line. Thousands of examples in
CI (CI=true), a few hundred locally.
"""

from __future__ import annotations

import datetime as dt
import os
import posixpath
import re
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dateline import urls
from dateline.config import SiteConfig
from dateline.content import datelines, dates, digest, frontmatter, loader, sources
from dateline.content.gazetteer import load_gazetteer
from dateline.errors import Diagnostic
from dateline.urls import UnsafePathError, check_site_path, is_safe_url, output_path, slugify
from dateline.write import safe_join

EXAMPLES = 3000 if os.environ.get("CI") == "true" else 200
fuzz = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
# Whole-loader examples cost ~30 ms each (Markdown, gazetteer, dateline): fewer of them.
fuzz_loader = settings(fuzz, max_examples=EXAMPLES // 5)
TZ = dt.UTC
GAZETTEER = load_gazetteer()
LOADER = loader.Loader.for_site(SiteConfig(root=Path("/nonexistent"), base_url="https://e.org/"))

# Text that looks like the real thing more often than uniform Unicode would.
WORDS = st.sampled_from([
    "6", "31", "2018", "99999999999999999999", "July", "julio", "de", "February", "13", "0",
    "Monday", "martes", ",", ".", "–", "-", "—", ":", "tomorrow", "10:30", "pm", "T", "Z",
    "+25:00", "San Salvador", "MEXICO CITY", "Tapachula", "(AFP)", "IOM", "\u00a0", "\ufeff",
    "\u2215", "\uff0e", "..", "/", "\\", "\x00", "'", '"', "#", "[", "]", "{", "}", "&", "---",
])  # fmt: skip
SHAPED = st.lists(WORDS, max_size=12).map(" ".join)
TEXT = st.one_of(st.text(max_size=200), SHAPED)
LINES = st.lists(st.one_of(TEXT, st.just(""), st.just("---"), st.just("6 July, 2018")), max_size=25)


@fuzz
@given(st.one_of(TEXT, st.dates().map(lambda d: f"{d.day} {d:%B} {d.year}")))
def test_date_parser_raises_only_date_errors(text: str) -> None:
    """parse_date returns an aware datetime or raises DateParseError; the line form never raises."""
    result: dt.datetime | dates.DateParseError
    try:
        result = dates.parse_date(text, tz=TZ)
    except dates.DateParseError as exc:
        result = exc
    if isinstance(result, dates.DateParseError):
        assert result.message
        assert dates.parse_date_line(text, tz=TZ) is None
    else:
        assert result.tzinfo is not None
        assert dates.parse_date_line(text, tz=TZ) == result


@fuzz
@given(
    st.dates(min_value=dt.date(1000, 1, 1)),
    st.sampled_from(["{d.day} {d:%B} {d.year}", "{d:%B} {d.day}, {d.year}", "{d:%Y-%m-%d}"]),
)
def test_every_real_date_parses_to_itself(day: dt.date, pattern: str) -> None:
    """The other side of strictness: no real date (four-digit year) in a house style is refused."""
    assert dates.parse_date(pattern.format(d=day), tz=TZ).date() == day


@fuzz
@given(TEXT)
def test_dateline_splitter_never_raises(lead: str) -> None:
    """A lead either has a dateline that is a prefix of it, or comes back whole."""
    found, rest = datelines.split_dateline(lead, GAZETTEER)
    if found is None:
        assert rest.split() == lead.split()
    else:
        assert len(rest) <= len(lead)


@fuzz
@given(st.lists(st.tuples(st.text(max_size=30), st.one_of(TEXT, st.lists(TEXT, max_size=3))), max_size=8), TEXT)  # fmt: skip
def test_front_matter_raises_only_front_matter_errors(items: list[tuple[str, object]], body: str) -> None:  # fmt: skip
    """Any header, valid YAML or not, gives data with key lines or a FrontMatterError with a line."""
    header = "\n".join(f"{key}: {value}" for key, value in items)
    fm: frontmatter.FrontMatter | frontmatter.FrontMatterError
    try:
        fm = frontmatter.parse_front_matter(f"---\n{header}\n---\n{body}")
    except frontmatter.FrontMatterError as exc:
        fm = exc
    if isinstance(fm, frontmatter.FrontMatterError):
        assert fm.line is None or 1 <= fm.line <= header.count("\n") + 3
    else:
        assert all(2 <= line <= header.count("\n") + 2 for line in fm.key_lines.values())


@fuzz_loader
@given(st.dictionaries(
    st.sampled_from([*loader.KNOWN_FIELDS, "titel", "tags"]),
    st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | TEXT,
                 lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
                 max_leaves=6),
    max_size=10,
), TEXT)  # fmt: skip
def test_loading_any_markdown_gives_diagnostics_not_exceptions(fields: dict[str, object], body: str) -> None:  # fmt: skip
    """The whole Markdown path (front matter → fields → dateline → URL) only reports."""
    text = "---\n" + yaml.safe_dump(fields, allow_unicode=True) + "---\n" + body
    source = sources.SourceFile("content/x.md", text, "0")
    articles, problems = loader.load_source(source, LOADER)
    assert all(isinstance(p, Diagnostic) for p in problems)
    for article in articles:
        check_site_path(article.path)


@fuzz
@given(LINES)
def test_digest_parser_gives_entries_or_problems(lines: list[str]) -> None:
    """Any text is a digest: entries with titles, and problems with real line numbers."""
    text = "\n".join(lines)
    entries, problems = loader.parse_digest_entries(text, LOADER)
    count = text.count("\n") + 1
    assert all(1 <= p.line <= count for p in problems)
    assert all(e.title.strip() for e in entries)


@fuzz_loader
@given(LINES)
def test_loading_any_digest_gives_diagnostics_not_exceptions(lines: list[str]) -> None:
    """The whole digest path (entries → dateline → countries → URL) only reports."""
    source = sources.SourceFile("content/x.txt", "\n".join(lines), "0")
    articles, problems = loader.load_source(source, LOADER)
    assert all(isinstance(p, Diagnostic) for p in problems)
    for article in articles:
        check_site_path(article.path)


@fuzz
@given(TEXT)
def test_slugs_are_safe_path_segments(text: str) -> None:
    """A slug is empty or lower-case ASCII words joined by single hyphens, and stable."""
    slug = slugify(text)
    assert re.fullmatch(r"(?:[a-z0-9]+(?:-[a-z0-9]+)*)?", slug)
    assert len(slug) <= 80
    assert slugify(slug) == slug
    if slug:
        assert check_site_path(f"/news/{slug}/") == f"/news/{slug}/"


@fuzz
@given(st.lists(st.one_of(WORDS, st.text(max_size=6)), max_size=6).map("/".join))
def test_accepted_site_paths_stay_inside_the_output(tail: str) -> None:
    """Whatever check_site_path accepts lands inside the output folder, on every OS's rules."""
    path = "/" + tail
    try:
        check_site_path(path)
    except UnsafePathError:
        return
    relative = output_path(path)
    assert not any(ch in relative for ch in "\\:\0")
    base = Path("/srv/out")
    target = safe_join(base, relative) if relative else base
    assert posixpath.normpath(str(target)).startswith("/srv/out")


@fuzz
@given(st.lists(st.one_of(WORDS, st.text(max_size=6), st.sampled_from([".", "..", ".x", ""])),
                max_size=6).map("/".join))  # fmt: skip
def test_the_plain_path_shortcut_accepts_only_clean_paths(tail: str) -> None:
    """check_site_path's fast path never accepts what its full rules refuse."""
    for path in ("/" + tail, "/" + tail + "/"):
        try:
            expected: str | None = urls._check_site_path(path)
        except UnsafePathError:
            expected = None
        if urls._PLAIN_PATH.fullmatch(path):
            assert expected == path
        try:
            assert check_site_path(path) == expected
        except UnsafePathError:
            assert expected is None


@fuzz
@given(TEXT)
def test_url_check_never_raises(url: str) -> None:
    """is_safe_url is total; a URL it accepts never starts with a script scheme."""
    if is_safe_url(url):
        assert not re.match(r"\s*(?:javascript|vbscript|data):", url, re.IGNORECASE)


def test_digest_paragraph_lines_match_the_text() -> None:
    """The paragraph splitter's line numbers are what an editor shows (used by every problem)."""
    text = "a\n\n\nb\r\n c \n"
    assert [n for n, _ in digest.paragraphs_of(text)] == [1, 4, 5]
