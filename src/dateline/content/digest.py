"""Read plain-text bulletin digests: a date line, a title, a lead, repeated.

The digest is the format communications offices actually receive, and real ones
are messy. Every non-blank line is a paragraph (so one, two or no blank lines
between them read the same). The grammar, in the order it is tried:

* A digest: ``DATE-LINE TITLE [COUNTRY-LINE] LEAD*``, repeated. A date line is a
  line that is a complete date on its own (English or Spanish, any case); the next
  paragraph is always the title, however much it looks like a dateline.
* A single article copied from a web page: ``TITLE [COUNTRY-LINE] DATE-LINE LEAD*``
  (the file's only date line, after at most a title and a country line).
* An undated listing (only with a ``default_date``, i.e. ``import --date``):
  ``TITLE [COUNTRY-LINE] LEAD*``, repeated; a new entry starts at a title-shaped
  paragraph (no full stop at the end, at most 30 words) that follows a sentence.

A country line is a paragraph made only of country names ("Honduras",
"Guatemala, Honduras y El Salvador"); it gives the entry its countries. A date
inside a lead's dateline ("Tapachula, Mexico, March 3, 2020. …") is not the
entry's date: only a line that is nothing but a date is. No I/O, no clock.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

_SPACES = "\u00a0\u2007\u202f\ufeff\t "
_SENTENCE_END = (".", "!", "?", "…", ":", ";")
_CLOSERS = " \"'\u201d\u2019\u00bb)]"
_TITLE_WORDS = 30
_LIST_SPLIT = re.compile(r"\s*(?:[,;/|·]|\s(?:and|y|e)\s)\s*", re.IGNORECASE)

UNDATED = "undated"
"""`DigestProblem.kind` of text that has no date line above it."""

Paragraph = tuple[int, str]  # (line number, text)


@dataclass(frozen=True, slots=True)
class DigestEntry:
    """One bulletin as found in a digest.

    `line` is where the entry starts: its date line, or its title when the date
    comes after the title (a copied web page) or from `default_date`.
    """

    line: int
    date: dt.datetime
    title: str
    title_line: int
    paragraphs: tuple[str, ...]
    text: str  # the entry's source lines, for hashing
    countries: tuple[str, ...] = ()  # ISO codes from a country line
    countries_line: int | None = None


@dataclass(frozen=True, slots=True)
class DigestProblem:
    line: int
    message: str
    hint: str | None = None
    kind: str = ""


def paragraphs_of(text: str) -> list[Paragraph]:
    """Split text into (line number, paragraph) pairs: each non-blank line is one.

    The seed and the digests offices send put one paragraph per line, and a
    title must never merge with its lead.
    """
    result = []
    for number, raw in enumerate(text.split("\n"), start=1):
        line = raw.strip(_SPACES)
        if line.strip():
            result.append((number, line))
    return result


def looks_like_title(paragraph: str) -> bool:
    """True for a headline's shape: at most 30 words, no full stop or colon at the end."""
    core = paragraph.rstrip(_CLOSERS)
    return len(paragraph.split()) <= _TITLE_WORDS and not core.endswith(_SENTENCE_END)


def country_line(
    paragraph: str, country_code: Callable[[str], str | None] | None
) -> tuple[str, ...] | None:
    """The codes if the paragraph is nothing but country names, else None."""
    if country_code is None or len(paragraph) > 120:
        return None
    parts = [p.strip(" .") for p in _LIST_SPLIT.split(paragraph)]
    codes = []
    for part in parts:
        code = country_code(part) if len(part) > 2 else None
        if code is None:
            return None
        codes.append(code)
    return tuple(dict.fromkeys(codes))


def parse_digest(
    text: str,
    parse_date_line: Callable[[str], dt.datetime | None],
    *,
    country_code: Callable[[str], str | None] | None = None,
    default_date: dt.datetime | None = None,
) -> tuple[list[DigestEntry], list[DigestProblem]]:
    """Split a digest into entries; report undated text and date lines without a title."""
    builder = _Builder(text.split("\n"), country_code)
    paragraphs = paragraphs_of(text)
    starts: list[tuple[int, dt.datetime]] = []
    for index, (_, paragraph) in enumerate(paragraphs):
        date = parse_date_line(paragraph)
        if date is not None:
            starts.append((index, date))
    first = starts[0][0] if starts else len(paragraphs)
    prefix = paragraphs[:first]
    if prefix and len(starts) == 1 and builder.is_web_head(prefix):
        builder.entry(prefix + paragraphs[first + 1 :], starts[0][1], end=len(builder.lines))
        return builder.entries, builder.problems
    if prefix and default_date is not None:
        end = paragraphs[first][0] - 1 if starts else len(builder.lines)
        for group, group_end in _undated_entries(prefix, end):
            builder.entry(group, default_date, end=group_end)
    elif prefix:
        builder.problems.append(_undated(prefix[0][0], prefix[0][1], bool(starts)))
    for k, (index, date) in enumerate(starts):
        stop = starts[k + 1][0] if k + 1 < len(starts) else len(paragraphs)
        end = paragraphs[stop][0] - 1 if stop < len(paragraphs) else len(builder.lines)
        line = paragraphs[index][0]
        body = paragraphs[index + 1 : stop]
        if not body:
            builder.problems.append(
                DigestProblem(
                    line,
                    "this date line is not followed by a title",
                    "add the title below the date",
                )
            )
            continue
        builder.entry(body, date, end=end, start=line)
    return builder.entries, builder.problems


class _Builder:
    """Collects entries and problems; knows the source lines for each entry's text."""

    __slots__ = ("country_code", "entries", "lines", "problems")

    def __init__(self, lines: list[str], country_code: Callable[[str], str | None] | None) -> None:
        self.lines = lines
        self.country_code = country_code
        self.entries: list[DigestEntry] = []
        self.problems: list[DigestProblem] = []

    def is_web_head(self, head: Sequence[Paragraph]) -> bool:
        """A title, and at most one country line, before the only date line."""
        if len(head) == 1:
            return True
        return len(head) == 2 and country_line(head[1][1], self.country_code) is not None

    def entry(
        self, body: Sequence[Paragraph], date: dt.datetime, *, end: int, start: int | None = None
    ) -> None:
        (title_line, title), *rest = body
        countries: tuple[str, ...] = ()
        countries_at = None
        if rest and (found := country_line(rest[0][1], self.country_code)) is not None:
            countries, countries_at = found, rest[0][0]
            rest = rest[1:]
        first = title_line if start is None else start
        self.entries.append(
            DigestEntry(
                line=first,
                date=date,
                title=" ".join(title.split()),
                title_line=title_line,
                paragraphs=tuple(p for _, p in rest),
                text="\n".join(self.lines[first - 1 : end]),
                countries=countries,
                countries_line=countries_at,
            )
        )


def _undated_entries(
    paragraphs: Sequence[Paragraph], end: int
) -> list[tuple[list[Paragraph], int]]:
    """Split an undated listing where a title-shaped paragraph follows a sentence."""
    groups: list[list[Paragraph]] = []
    for number, paragraph in paragraphs:
        if not groups or (looks_like_title(paragraph) and not looks_like_title(groups[-1][-1][1])):
            groups.append([])
        groups[-1].append((number, paragraph))
    ends = [g[0][0] - 1 for g in groups[1:]] + [end]
    return list(zip(groups, ends, strict=True))


def _undated(line: int, paragraph: str, has_dates: bool) -> DigestProblem:
    if has_dates:
        message = f"this entry has no date line: {_short(paragraph)!r}"
    else:
        message = f"this entry has no date line (the file has none): {_short(paragraph)!r}"
    return DigestProblem(
        line,
        message,
        "put the date on its own line above the title, e.g. '6 July, 2018'",
        UNDATED,
    )


def _short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
