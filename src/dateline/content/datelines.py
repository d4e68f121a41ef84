"""Find the dateline ("San Salvador -", "Honduras.", "GUATEMALA CITY (IOM) -") at a lead's start.

Input: a lead paragraph and a gazetteer. Output: the dateline (place as written, countries,
the raw prefix) and the text after it. A dateline is optional metadata, so anything that
does not clearly look like one is left in the text: this never raises.

The grammar, tried at the start of the lead (after whitespace/NBSP)::

    [DATE ","] PLACE ["," PART ["," PART]] [[","] DATE] ["(" AGENCY ")"] SEPARATOR REST

PLACE and PART are 1 to 6 words; DATE uses the month and weekday words of ``dates``, year
optional; SEPARATOR is a dash (hyphen with a space on at least one side, en or em dash,
``--``, ``.-``), a colon, a period (". ") or, for "Place, Country The…", nothing. It is a
dateline only when one of these holds:

* every part is a known place (the gazetteer), or the last part is: any separator; a
  period also needs REST to start like a sentence, and no separator at all also needs a
  city or state followed by a country or state ("San Pedro Sula, Honduras The…");
* a DATE or an AGENCY follows capitalised words: dash, colon or period;
* otherwise (unknown place, dash only): 1 to 4 words, each capitalised, none an acronym
  (IOM, UNHCR…) or a lone all-caps word, not starting with a word such as "The", "Dr",
  "In", and REST starts with a capital or a digit. "The Government of Mexico - …" and
  "IOM - the UN Migration Agency -" stay text.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from dateline.content.dates import MONTH_NAMES, WEEKDAY_NAMES
from dateline.content.gazetteer import Gazetteer

__all__ = ["Dateline", "split_dateline"]


@dataclass(frozen=True, slots=True)
class Dateline:
    """A dateline found at the start of a lead."""

    place: str  # as written: "San Salvador", "Tapachula, Mexico"
    countries: tuple[str, ...]  # ISO codes; empty when the place is unknown
    raw: str  # the whole prefix as written, date and separator included


def _words(names: Iterable[str]) -> str:
    return "|".join(sorted(names, key=len, reverse=True))


_WORD = r"[^\W\d_](?:[\w'\u2019]|[.\-](?=[^\W\d_]))*"
_PLACES = [re.compile(rf"(?:{_WORD}\.?[ \t]+){{{k - 1}}}{_WORD}") for k in range(1, 7)]
_MONTH = rf"\b(?:{_words(MONTH_NAMES)})\b\.?"
_DAY = r"[0-9]{1,2}(?:st|nd|rd|th|o)?"
_DATE = (
    rf"(?:\b(?:{_words(WEEKDAY_NAMES)})\b\.?,?\s+)?"
    rf"(?:{_DAY}\s+(?:de\s+)?{_MONTH}(?:,?\s+(?:del?\s+)?[0-9]{{4}})?"
    rf"|{_MONTH}\s+{_DAY}(?:,?\s+[0-9]{{4}})?|[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}})(?![\w])"
)
_DATE_FIRST = re.compile(rf"{_DATE},?\s+", re.IGNORECASE)
_DATE_AFTER = re.compile(rf"(?:,\s*|\s+){_DATE}", re.IGNORECASE)
_COMMA = re.compile(r",\s*")
_AGENCY = re.compile(r"\s*\([^()\n]{1,40}\)")
_SEPARATORS = (
    ("dash", re.compile(r"\.?\s*(?:--|[\u2013\u2014])\s*|\.?\s+-\s*|\.?-\s+|\.-\s*")),
    ("colon", re.compile(r"\s*:\s*")),
    ("period", re.compile(r"\.\s+")),
    ("none", re.compile(r"\s+")),
)
_MAX_PLACE = 60
_OPENERS = "\"\u201c\u00ab'\u2018\u00bf\u00a1(*"
_STOP = frozenset(
    [
        "the",
        "a",
        "an",
        "this",
        "that",
        "these",
        "those",
        "in",
        "on",
        "at",
        "for",
        "from",
        "with",
        "by",
        "as",
        "after",
        "before",
        "during",
        "since",
        "while",
        "when",
        "if",
        "but",
        "and",
        "or",
        "our",
        "his",
        "her",
        "their",
        "its",
        "we",
        "he",
        "she",
        "they",
        "it",
        "i",
        "mr",
        "mrs",
        "ms",
        "dr",
        "sr",
        "sra",
        "srta",
        "lic",
        "ing",
        "prof",
        "el",
        "la",
        "los",
        "las",
        "un",
        "una",
        "en",
        "por",
        "para",
        "con",
        "desde",
        "segun",
        "tras",
        "este",
        "esta",
        "estos",
        "estas",
        "today",
        "yesterday",
        "last",
        "according",
        "some",
        "many",
        "more",
        "all",
        "each",
        "every",
    ]
)
_ACRONYMS = frozenset(
    [
        "iom",
        "oim",
        "un",
        "onu",
        "unhcr",
        "acnur",
        "unicef",
        "wfp",
        "pma",
        "who",
        "oms",
        "paho",
        "ops",
        "ilo",
        "oit",
        "undp",
        "pnud",
        "unfpa",
        "unodc",
        "ocha",
        "icrc",
        "cicr",
        "ifrc",
        "msf",
        "usaid",
        "eu",
        "ue",
        "oas",
        "oea",
        "sica",
        "idb",
        "bid",
        "ngo",
        "ngos",
        "ong",
        "ongs",
        "rcm",
        "crm",
        "cbp",
        "ice",
        "dhs",
        "inm",
        "comar",
        "fao",
        "unesco",
        "echo",
        "mdm",
    ]
)
_CONNECTORS = frozenset(
    [
        "de",
        "del",
        "la",
        "las",
        "los",
        "el",
        "y",
        "of",
        "the",
        "da",
        "do",
        "dos",
        "das",
        "au",
        "du",
        "di",
    ]
)


@dataclass(frozen=True, slots=True)
class _Head:
    parts: tuple[tuple[int, int], ...]  # spans of PLACE and each PART in the lead
    dated: bool
    agency: bool
    sep: str
    end: int  # where the rest starts


def split_dateline(lead: str, gazetteer: Gazetteer) -> tuple[Dateline | None, str]:
    """Split ``lead`` into (dateline or None, text after it without leading whitespace)."""
    try:
        text = lead.lstrip()
        folded = _fold(text[:240])
        for head in _heads(folded):
            countries = _accept(head, folded, gazetteer)
            if countries is not None:
                place = text[head.parts[0][0] : head.parts[-1][1]]
                return Dateline(place, countries, text[: head.end]), text[head.end :]
        return None, text
    except Exception:  # a dateline is optional metadata: never fail a build
        return None, lead.lstrip() if isinstance(lead, str) else ""


def _fold(text: str) -> str:
    """Each character without its accents (one for one: offsets stay those of `text`)."""
    if text.isascii():  # the usual English lead: nothing to fold, and 240 calls saved
        return text
    return "".join(unicodedata.normalize("NFKD", c)[:1] or c for c in text)


def _heads(folded: str) -> Iterator[_Head]:
    """Every way the start of the lead parses as the grammar, shortest place first."""
    first = _DATE_FIRST.match(folded)
    starts = [(first.end(), True), (0, False)] if first else [(0, False)]
    for start, date_first in starts:
        for pattern in _PLACES:
            m = pattern.match(folded, start)
            if m is None or m.end() - start > _MAX_PLACE:
                break
            for parts, pos in _compounds(folded, ((start, m.end()),), m.end()):
                dated = None if date_first else _DATE_AFTER.match(folded, pos)
                for after_date in ([dated.end()] if dated else []) + [pos]:
                    agency = _AGENCY.match(folded, after_date)
                    at = agency.end() if agency else after_date
                    for kind, sep in _SEPARATORS:
                        s = sep.match(folded, at)
                        if s is not None and s.end() < len(folded):
                            is_dated = date_first or (dated is not None and after_date != pos)
                            yield _Head(parts, is_dated, agency is not None, kind, s.end())


def _compounds(
    folded: str, parts: tuple[tuple[int, int], ...], pos: int
) -> Iterator[tuple[tuple[tuple[int, int], ...], int]]:
    """("Tapachula",), ("Tapachula", "Chiapas"), ("Tapachula", "Chiapas", "Mexico")…"""
    if len(parts) < 3 and (comma := _COMMA.match(folded, pos)):
        for pattern in _PLACES[:4]:
            m = pattern.match(folded, comma.end())
            if m is None:
                break
            yield from _compounds(folded, (*parts, (comma.end(), m.end())), m.end())
    yield parts, pos


def _accept(head: _Head, folded: str, gazetteer: Gazetteer) -> tuple[str, ...] | None:
    """The dateline's countries if ``head`` is a dateline by the module's rules, else None."""
    texts = [folded[a:b] for a, b in head.parts]
    found = [gazetteer.lookup(t) for t in texts]
    words = [w for t in texts for w in t.split()]
    rest = folded[head.end]
    sentence_like = rest.isupper() or rest.isdigit() or rest in _OPENERS
    if head.sep == "period" and (not sentence_like or any("." in t for t in texts)):
        return None
    countries = next(((p.country,) for p in reversed(found) if p is not None), ())
    if words[0].rstrip(".").casefold() in _STOP and found[0] is None:
        return None
    if head.sep == "none":
        first = found[0]
        ok = len(found) > 1 and first is not None and first.kind != "country"
        return countries if ok and all(found) and sentence_like and not head.dated else None
    if found[-1] is not None:
        return countries
    if head.dated or head.agency:
        return countries if _capitalised(words, connectors=True) else None
    if head.sep == "dash" and len(words) <= 4 and sentence_like and _capitalised(words):
        return countries
    return None


def _capitalised(words: list[str], *, connectors: bool = False) -> bool:
    """Place-shaped: capitalised words, no acronyms; connectors ("de") only if allowed."""
    if len(words) == 1 and len(words[0]) > 1 and words[0].isupper():
        return False  # a lone all-caps word is an acronym far more often than a place
    for word in words:
        key = word.casefold()
        if key in _ACRONYMS or "." in word:
            return False
        if not word[0].isupper() and not (connectors and key in _CONNECTORS):
            return False
    return True
