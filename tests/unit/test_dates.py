"""Strict date parsing: accepted forms, rejected forms with their messages, and properties."""

from __future__ import annotations

import contextlib
import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dateline.content.dates import DateParseError, format_date, parse_date, parse_date_line

TZ = ZoneInfo("America/El_Salvador")
MONTH_EN = ["", "January", "February", "March", "April", "May", "June", "July", "August",
            "September", "October", "November", "December"]  # fmt: skip
MONTH_ES = ["", "enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto",
            "septiembre", "octubre", "noviembre", "diciembre"]  # fmt: skip
JULY_6 = dt.datetime(2018, 7, 6, tzinfo=TZ)
MARCH_3 = dt.datetime(2020, 3, 3, tzinfo=TZ)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2018-07-06", JULY_6),
        ("2018-07-06T10:00:00-06:00", dt.datetime(2018, 7, 6, 16, tzinfo=dt.UTC)),
        ("2018-07-06 10:00", dt.datetime(2018, 7, 6, 10, tzinfo=TZ)),
        ("2018-07-06T10:00:00Z", dt.datetime(2018, 7, 6, 10, tzinfo=dt.UTC)),
        ("6 July, 2018", JULY_6),
        ("6 July 2018", JULY_6),
        ("July 6, 2018", JULY_6),
        ("Jul 6 2018", JULY_6),
        ("Friday, 6 July 2018", JULY_6),
        ("6th July 2018", JULY_6),
        ("6th of July 2018", JULY_6),
        ("\u00a0 6 July, 2018.\u00a0", JULY_6),
        ("July 6, 2018 10:30 p.m.", dt.datetime(2018, 7, 6, 22, 30, tzinfo=TZ)),
        ("3 de marzo de 2020", MARCH_3),
        ("3 Marzo, 2020", MARCH_3),
        ("3 marzo 2020", MARCH_3),
        ("martes 3 de marzo de 2020", MARCH_3),
        ("Martes, 3 de Marzo de 2020", MARCH_3),
        ("Marzo 3, 2020", MARCH_3),
        ("MIÉRCOLES 4 DE MARZO DE 2020", dt.datetime(2020, 3, 4, tzinfo=TZ)),
        ("miercoles 4 de marzo de 2020", dt.datetime(2020, 3, 4, tzinfo=TZ)),
        ("sábado 7 de marzo de 2020", dt.datetime(2020, 3, 7, tzinfo=TZ)),
        ("3 setiembre 2020", dt.datetime(2020, 9, 3, tzinfo=TZ)),
        ("3 septiembre 2020", dt.datetime(2020, 9, 3, tzinfo=TZ)),
        ("1º de mayo de 2020", dt.datetime(2020, 5, 1, tzinfo=TZ)),
    ],
)
def test_accepted_forms(text: str, expected: dt.datetime) -> None:
    """Every documented form parses to the same instant, aware."""
    result = parse_date(text, tz=TZ)
    assert result == expected
    assert result.tzinfo is not None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("July 2018", "the day is missing"),
        ("6 July", "the year is missing"),
        ("2018", "the day and month are missing"),
        ("2018-07", "the day is missing"),
        ("06/07/2018", "ambiguous"),
        ("6.7.2018", "ambiguous"),
        ("31 February 2019", "February 2019 has only 28 days"),
        ("2019-02-29", "February 2019 has only 28 days"),
        ("2019-13-01", "there is no month 13"),
        ("2018-07-06T24:00", "not a valid time"),
        ("99999999999999999999", "too large"),
        ("tomorrow", "depends on the day"),
        ("today", "depends on the day"),
        ("Yesterday", "depends on the day"),
        ("mañana", "depends on the day"),
        ("", "the date is empty"),
        ("\u00a0 ", "the date is empty"),
        ("6 July 18", "four digits"),
        ("Monday, 6 July 2018", "was a Friday, not a Monday"),
        ("IOM Trains Salvadoran Staff", "not part of a date"),
        ("May 2019 elections", "not part of a date"),
        ("2018 July 6", "not a date I can read"),
        ("6 July 2018 pm", "not a date I can read"),
    ],
)
def test_rejected_forms(text: str, message: str) -> None:
    """Incomplete, ambiguous, impossible and relative dates fail with a plain reason."""
    with pytest.raises(DateParseError) as info:
        parse_date(text, tz=TZ)
    assert message in info.value.message
    assert info.value.hint


def test_ambiguous_hint_points_at_iso() -> None:
    """The fix for an ambiguous date is spelled out."""
    with pytest.raises(DateParseError) as info:
        parse_date("06/07/2018", tz=TZ)
    assert "2018-07-06" in (info.value.hint or "")


@pytest.mark.parametrize("month", range(1, 13))
def test_every_month_in_both_languages(month: int) -> None:
    """All twelve months parse in English (full, abbreviated) and Spanish."""
    expected = dt.datetime(2019, month, 9, tzinfo=TZ)
    for text in (
        f"9 {MONTH_EN[month]} 2019",
        f"{MONTH_EN[month]} 9, 2019",
        f"{MONTH_EN[month][:3]} 9 2019",
        f"9 de {MONTH_ES[month]} de 2019",
        f"{MONTH_ES[month].upper()} 9, 2019",
    ):
        assert parse_date(text, tz=TZ) == expected, text


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("6 July, 2018", JULY_6),
        ("13 June, 2018\u00a0", dt.datetime(2018, 6, 13, tzinfo=TZ)),
        ("IOM Trains Salvadoran Staff", None),
        ("May 2019 elections", None),
        ("Honduras Strengthens Mechanisms for Fighting Trafficking in Persons", None),
        ("July 2018", None),
        ("", None),
    ],
)
def test_parse_date_line(line: str, expected: dt.datetime | None) -> None:
    """A digest line is a date only when the whole line is one."""
    assert parse_date_line(line, tz=TZ) == expected


def test_format_date() -> None:
    """Long CLDR dates, day first in English as in the bulletins."""
    assert format_date(dt.date(2018, 7, 6), "en") == "6 July 2018"
    assert format_date(dt.date(2018, 7, 6), "es") == "6 de julio de 2018"
    assert format_date(dt.datetime(2018, 7, 6, 23, tzinfo=TZ), "es") == "6 de julio de 2018"


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_only_date_parse_error_escapes(text: str) -> None:
    """Whatever the text, the only failure is DateParseError, and results are aware."""
    try:
        result: dt.datetime | None = parse_date(text, tz=TZ)
    except DateParseError as exc:
        result, message = None, exc.message
        assert message
    assert result is None or result.tzinfo is not None
    line = parse_date_line(text, tz=TZ)
    assert line is None or line.tzinfo is not None


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="0123456789 -/.,:TZ+januryfebmochpilgstvd", max_size=30))
def test_date_like_noise_never_crashes(text: str) -> None:
    """Near-miss dates (digits, separators, month fragments) fail cleanly."""
    with contextlib.suppress(DateParseError):
        parse_date(text, tz=TZ)


fixed_offsets = st.builds(
    dt.timezone,
    st.timedeltas(
        min_value=dt.timedelta(hours=-23, minutes=-59), max_value=dt.timedelta(hours=23, minutes=59)
    ),
)


@settings(max_examples=300, deadline=None)
@given(
    st.datetimes(
        min_value=dt.datetime(1900, 1, 1),  # noqa: DTZ001 - hypothesis bounds are naive
        max_value=dt.datetime(2100, 12, 31),  # noqa: DTZ001
        timezones=fixed_offsets | st.just(dt.UTC),
    )
)
def test_iso_round_trip(d: dt.datetime) -> None:
    """parse(d.isoformat()) == d for aware datetimes, offsets to the microsecond."""
    assert parse_date(d.isoformat(), tz=TZ) == d


@settings(max_examples=100, deadline=None)
@given(
    st.datetimes(
        min_value=dt.datetime(1900, 1, 1),  # noqa: DTZ001
        max_value=dt.datetime(2100, 12, 31),  # noqa: DTZ001
        timezones=st.timezones(),
    )
)
def test_iso_round_trip_named_zones(d: dt.datetime) -> None:
    """The same instant comes back for IANA zones (compared in UTC: folds make == partial)."""
    assert parse_date(d.isoformat(), tz=TZ).astimezone(dt.UTC) == d.astimezone(dt.UTC)


def _random_case(text: str, flips: list[bool]) -> str:
    return "".join(
        c.upper() if f else c.lower() for c, f in zip(text, flips * len(text), strict=False)
    )


@settings(max_examples=300, deadline=None)
@given(st.dates(dt.date(1900, 1, 1), dt.date(2100, 12, 31)), st.lists(st.booleans(), min_size=1))
def test_written_dates_round_trip(d: dt.date, flips: list[bool]) -> None:
    """ "6 July, 2018" and "6 de julio de 2018", in any case, give back the date."""
    expected = dt.datetime(d.year, d.month, d.day, tzinfo=TZ)
    english = _random_case(f"{d.day} {MONTH_EN[d.month]}, {d.year}", flips)
    spanish = _random_case(f"{d.day} de {MONTH_ES[d.month]} de {d.year}", flips)
    assert parse_date(english, tz=TZ) == expected
    assert parse_date(spanish, tz=TZ) == expected


@settings(max_examples=300, deadline=None)
@given(st.dates(dt.date(1900, 1, 1), dt.date(2100, 12, 31)), st.integers(0, 5))
def test_incomplete_dates_always_raise(d: dt.date, form: int) -> None:
    """A date missing its day, month or year is refused, never completed from the clock."""
    month = MONTH_EN[d.month]
    text = [
        f"{month} {d.year}",
        f"{d.day} {month}",
        f"{month} {d.day}",
        f"{d.year}",
        f"{d.day} de {MONTH_ES[d.month]}",
        f"{d.year}-{d.month:02d}",
    ][form]
    with pytest.raises(DateParseError, match=r"missing|four digits"):
        parse_date(text, tz=TZ)
