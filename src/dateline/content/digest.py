"""Read plain-text bulletin digests: a date line, a title, a lead, repeated.

The digest is the format communications offices actually receive. Paragraphs
are lines (wrapped or not, separated by one or more blank lines); a line that
is a complete date on its own starts a new entry, the next paragraph is its
title, and every paragraph until the next date line is its lead.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

_SPACES = "\u00a0\u2007\u202f\ufeff\t "


@dataclass(frozen=True, slots=True)
class DigestEntry:
    """One bulletin as found in a digest; `line` is where its date line is."""

    line: int
    date: dt.datetime
    title: str
    title_line: int
    paragraphs: tuple[str, ...]
    text: str  # the entry's source lines, for hashing


@dataclass(frozen=True, slots=True)
class DigestProblem:
    line: int
    message: str
    hint: str | None = None


def paragraphs_of(text: str) -> list[tuple[int, str]]:
    """Split text into (first line number, paragraph) pairs.

    Each non-blank line is a paragraph: the seed and the digests offices send
    put one paragraph per line, and a title must never merge with its lead.
    """
    result = []
    for number, raw in enumerate(text.split("\n"), start=1):
        line = " ".join(raw.strip(_SPACES).split())
        if line:
            result.append((number, raw.strip(_SPACES)))
    return result


def parse_digest(
    text: str, parse_date_line: Callable[[str], dt.datetime | None]
) -> tuple[list[DigestEntry], list[DigestProblem]]:
    """Split a digest into entries; report text before the first date line and empty entries."""
    entries: list[DigestEntry] = []
    problems: list[DigestProblem] = []
    current: list[tuple[int, str]] = []
    date_at: tuple[int, dt.datetime] | None = None
    lines = text.split("\n")

    def close(end_line: int) -> None:
        if date_at is None:
            if current:
                problems.append(
                    DigestProblem(
                        current[0][0],
                        f"this entry has no date line: {_short(current[0][1])!r}",
                        "put the date on its own line above the title, e.g. '6 July, 2018'",
                    )
                )
            return
        line, date = date_at
        if not current:
            problems.append(
                DigestProblem(
                    line,
                    "this date line is not followed by a title",
                    "add the title below the date",
                )
            )
            return
        (title_line, title), *lead = current
        source = "\n".join(lines[line - 1 : end_line])
        entries.append(
            DigestEntry(line, date, title, title_line, tuple(p for _, p in lead), source)
        )

    for number, paragraph in paragraphs_of(text):
        date = parse_date_line(paragraph)
        if date is not None:
            close(number - 1)
            date_at, current = (number, date), []
        else:
            current.append((number, paragraph))
    close(len(lines))
    return entries, problems


def _short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
