"""Strict date parsing and formatting for front matter and bulletin digests.

Input: a date as an editor wrote it (ISO 8601, English or Spanish words). Output: an
aware ``datetime``. Every field must be written out: a missing day, month or year is an
error, never borrowed from today, so the same text gives the same date on every build.
No I/O and no clock access.
"""

from __future__ import annotations

import calendar
import datetime as dt
import functools
import re
import unicodedata
from types import MappingProxyType

from babel.dates import format_date as babel_format_date
from babel.dates import get_month_names

__all__ = [
    "MONTH_NAMES",
    "WEEKDAY_NAMES",
    "DateParseError",
    "format_date",
    "month_name",
    "parse_date",
    "parse_date_line",
]

_MONTHS_EN = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
]
_MONTHS_ES = [
    "enero",
    "febrero",
    "marzo",
    "abril",
    "mayo",
    "junio",
    "julio",
    "agosto",
    "septiembre",
    "octubre",
    "noviembre",
    "diciembre",
]
_WEEKDAYS_EN = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
_WEEKDAYS_ES = ["lunes", "martes", "miercoles", "jueves", "viernes", "sabado", "domingo"]


def _month_table() -> dict[str, int]:
    table: dict[str, int] = {}
    for number, (en, es) in enumerate(zip(_MONTHS_EN, _MONTHS_ES, strict=True), start=1):
        table.update({en: number, en[:3]: number, es: number, es[:3]: number})
    table.update({"sept": 9, "setiembre": 9, "set": 9})
    return table


MONTH_NAMES = MappingProxyType(_month_table())
"""Month words (lower case, no accents, English and Spanish, full and 3-letter) → 1 to 12."""

WEEKDAY_NAMES = MappingProxyType(
    {name: i for names in (_WEEKDAYS_EN, _WEEKDAYS_ES) for i, name in enumerate(names)}
    | {name[:3]: i for i, name in enumerate(_WEEKDAYS_EN)}
)
"""Weekday words (lower case, no accents) → 0 (Monday) … 6 (Sunday), as ``date.weekday()``."""

_RELATIVE = frozenset(
    ["today", "tomorrow", "yesterday", "now", "tonight", "hoy", "manana", "ayer", "anoche"]
)
_CONNECTORS = frozenset({",", "de", "del", "of"})
_DEFAULT_HINT = "write it as 2018-07-06 or 6 July 2018"
_MAX_LENGTH = 80

_ISO = re.compile(
    r"(?P<y>[0-9]{4})-(?P<m>[0-9]{2})-(?P<d>[0-9]{2})"
    r"(?:[t ](?P<H>[0-9]{2}):(?P<M>[0-9]{2})(?::(?P<S>[0-9]{2})(?:[.,](?P<f>[0-9]{1,6}))?)?"
    r" ?(?P<tz>z|(?P<sign>[+-])(?P<oh>[0-9]{2})(?::?(?P<om>[0-9]{2})"
    r"(?::?(?P<os>[0-9]{2})(?:\.(?P<of>[0-9]{1,6}))?)?)?)?)?"
)
_ISO_PARTIAL = re.compile(r"[0-9]{4}-[0-9]{1,2}")
_NUMERIC = re.compile(r"[0-9]{1,4}[/.-][0-9]{1,2}[/.-][0-9]{1,4}")
_TOKEN = re.compile(
    r"(?P<time>[0-9]{1,2}:[0-9]{2}(?::[0-9]{2})?)|(?P<num>[0-9]+)(?P<ord>st|nd|rd|th|o)?\b"
    r"|(?P<word>[a-z]+)\.?|(?P<other>\S)"
)


class DateParseError(ValueError):
    """A date an editor wrote that we will not guess at, with a plain-language hint."""

    def __init__(self, message: str, hint: str | None = _DEFAULT_HINT) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


class ImpossibleDateError(DateParseError):
    """A complete, well-formed date that does not exist (31 February, month 13, wrong weekday).

    Digests use the difference: such a line is a date line with a typo, never lead text.
    """


def _fold(value: str) -> str:
    """Lower case, no accents, one space between words, no trailing period."""
    decomposed = unicodedata.normalize("NFKD", value)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    return " ".join(plain.split()).rstrip(".").strip()


def parse_date(value: str, *, tz: dt.tzinfo) -> dt.datetime:
    """Parse ``value`` into an aware datetime; naive input is wall time in ``tz``.

    Raises:
        DateParseError: the only exception that escapes, whatever the input.
    """
    try:
        return _parse(value, tz)
    except DateParseError:
        raise
    except Exception as exc:  # the contract: only DateParseError escapes
        raise DateParseError("this is not a date I can read") from exc


def parse_date_line(line: str, *, tz: dt.tzinfo) -> dt.datetime | None:
    """Return the date if the whole line is one complete date, else None; never raises."""
    try:
        return parse_date(line, tz=tz)
    except DateParseError:
        return None


def format_date(d: dt.date, lang: str) -> str:
    """Format ``d`` as CLDR's long date: "6 July 2018", "6 de julio de 2018".

    English uses the en_GB pattern (day first) because that is the bulletins' house style.
    """
    return _format_day(d.date() if isinstance(d, dt.datetime) else d, lang)


@functools.lru_cache(maxsize=65536)
def _format_day(day: dt.date, lang: str) -> str:
    """Babel's formatting costs ~0.15 ms; a listing-heavy build asks for each day many times."""
    locale = "en_GB" if lang == "en" else lang
    return str(babel_format_date(day, format="long", locale=locale))


@functools.lru_cache(maxsize=256)
def month_name(month: int, lang: str) -> str:
    """The month's name as a heading shows it ("July", "Julio"): CLDR's wide form, capitalised."""
    return str(get_month_names("wide", locale=lang)[month]).capitalize()


def _parse(value: str, tz: dt.tzinfo) -> dt.datetime:
    if not isinstance(value, str):
        raise DateParseError(f"expected text, got {type(value).__name__}")
    text = _fold(value)
    if not text:
        raise DateParseError("the date is empty")
    if len(text) > _MAX_LENGTH:
        raise DateParseError("the text is too long to be a date")
    iso = _ISO.fullmatch(text)
    if iso:
        return _from_iso(iso, tz)
    if _ISO_PARTIAL.fullmatch(text):
        raise DateParseError("the day is missing", "write it as 2018-07-06")
    if _NUMERIC.search(text):
        raise DateParseError(
            "numeric dates are ambiguous (is 06/07/2018 6 July or June 7?)",
            "write it as 2018-07-06 or 6 July 2018",
        )
    return _from_words(text, tz)


def _from_iso(m: re.Match[str], tz: dt.tzinfo) -> dt.datetime:
    year, month, day = int(m["y"]), int(m["m"]), int(m["d"])
    _check_day(year, month, day)
    hour, minute, second = (int(m[k] or 0) for k in "HMS")
    if hour > 23 or minute > 59 or second > 59:
        raise DateParseError(f"the time {m['H']}:{m['M']} is not a valid time of day")
    micro = int((m["f"] or "0").ljust(6, "0"))
    tzinfo = tz if m["tz"] is None else _offset(m)
    return dt.datetime(year, month, day, hour, minute, second, micro, tzinfo=tzinfo)


def _offset(m: re.Match[str]) -> dt.tzinfo:
    if m["tz"] == "z":
        return dt.UTC
    delta = dt.timedelta(
        hours=int(m["oh"]),
        minutes=int(m["om"] or 0),
        seconds=int(m["os"] or 0),
        microseconds=int((m["of"] or "0").ljust(6, "0")),
    )
    if delta >= dt.timedelta(hours=24) or int(m["om"] or 0) > 59:
        raise DateParseError(f"the time zone offset {m['tz']} is not valid", "write e.g. -06:00")
    return dt.timezone(-delta if m["sign"] == "-" else delta)


def _check_day(year: int, month: int, day: int) -> None:
    if year < 1:
        raise ImpossibleDateError("there is no year 0", "write the year with four digits")
    if not 1 <= month <= 12:
        raise ImpossibleDateError(f"there is no month {month}", "months go from 01 to 12")
    last = calendar.monthrange(year, month)[1]
    if not 1 <= day <= last:
        name = _MONTHS_EN[month - 1].capitalize()
        raise ImpossibleDateError(f"{name} {year} has only {last} days", _DEFAULT_HINT)


def _from_words(text: str, tz: dt.tzinfo) -> dt.datetime:
    """Parse "6 July 2018", "martes 3 de marzo de 2020", "July 6, 2018 10:30 pm"…"""
    tokens = _tokens(re.sub(r"\b([ap])\. ?m\b\.?", r"\1m", text))
    weekday = None
    if tokens and tokens[0][0] == "weekday":
        weekday = WEEKDAY_NAMES[tokens.pop(0)[1]]
    time = ""
    if len(tokens) > 1 and tokens[-2][0] == "time" and tokens[-1][1] in ("am", "pm"):
        time = " " + tokens.pop()[1]
    if tokens and tokens[-1][0] == "time":
        time = tokens.pop()[1] + time
    core = [t for t in tokens if t[1] not in _CONNECTORS]
    year, month, day = _fields(core)
    _check_day(year, month, day)
    result = _complete_parse(f"{day} {_MONTHS_EN[month - 1]} {year} {time}".strip())
    if weekday is not None and result.weekday() != weekday:
        actual, written = _WEEKDAYS_EN[result.weekday()], _WEEKDAYS_EN[weekday]
        raise DateParseError(
            f"{result:%Y-%m-%d} was a {actual.capitalize()}, not a {written.capitalize()}",
            "check the day and the weekday",
        )
    return result.replace(tzinfo=tz)


def _tokens(text: str) -> list[tuple[str, str]]:
    """Classify words: ("num", "6"), ("month", "july"), ("weekday", …), ("time", "10:30")…"""
    out: list[tuple[str, str]] = []
    for m in _TOKEN.finditer(text):
        word, num = m["word"], m["num"]
        if m["time"]:
            out.append(("time", m["time"]))
        elif num is not None:
            if len(num) > 4:
                raise DateParseError(f"the number {num[:20]} is too large for a date")
            out.append(("ord" if m["ord"] else "num", num))
        elif word in MONTH_NAMES:
            out.append(("month", word))
        elif word in WEEKDAY_NAMES:
            out.append(("weekday", word))
        elif word in _RELATIVE:
            raise DateParseError(
                f"'{word}' depends on the day the site is built", "write the actual date"
            )
        elif word in _CONNECTORS or word in ("am", "pm") or m["other"] == ",":
            out.append(("word", word or ","))
        else:
            raise DateParseError(f"'{(word or m['other'])[:20]}' is not part of a date")
    return out


def _fields(core: list[tuple[str, str]]) -> tuple[int, int, int]:
    """Find (year, month, day) in "D Month YYYY" or "Month D YYYY" order, or say what is missing."""
    months = [MONTH_NAMES[v] for k, v in core if k == "month"]
    years = [int(v) for k, v in core if k == "num" and len(v) == 4]
    days = [int(v) for k, v in core if (k == "num" and len(v) <= 2) or k == "ord"]
    if len(days) == 2 and not years:
        raise DateParseError("the year must have four digits", "write e.g. 6 July 2018")
    missing = [n for n, xs in (("day", days), ("month", months), ("year", years)) if not xs]
    if missing:
        verb = "is" if len(missing) == 1 else "are"
        raise DateParseError(f"the {' and '.join(missing)} {verb} missing")
    shape = tuple("day" if k in ("num", "ord") and len(v) <= 2 else k for k, v in core)
    if shape not in (("day", "month", "num"), ("month", "day", "num")):
        raise DateParseError("this is not a date I can read")
    return years[0], months[0], days[0]


# Naive on purpose: dateutil fills missing fields from these, and we only compare them.
_DEFAULTS = (dt.datetime(1901, 1, 1), dt.datetime(2002, 12, 28))  # noqa: DTZ001


def _complete_parse(canonical: str) -> dt.datetime:
    """Run dateutil twice with defaults that differ in every date field; they must agree.

    The grammar above already demands day, month and year, so this is the safety net that
    guarantees dateutil never silently fills a field from its ``default``.
    """
    from dateutil import parser as dateutil_parser  # only dates past the grammar need it

    try:
        first, second = (dateutil_parser.parse(canonical, default=d) for d in _DEFAULTS)
    except (ValueError, OverflowError) as exc:
        raise DateParseError(
            "the time of day is not valid", "write e.g. 10:30 or 10:30 pm"
        ) from exc
    if first != second:
        raise DateParseError("part of the date is missing")
    return first
