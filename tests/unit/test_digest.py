"""The digest parser on the messy digests offices really send."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dateline.content import dates, digest
from dateline.content.gazetteer import load_gazetteer

TZ = ZoneInfo("America/Mexico_City")
GAZ = load_gazetteer()
SPANISH = [
    "enero", "febrero", "marzo", "abril", "mayo", "junio",
    "julio", "agosto", "septiembre", "octubre", "noviembre", "diciembre",
]  # fmt: skip
ENGLISH = [
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
]  # fmt: skip


def parse(
    text: str, default: dt.date | None = None
) -> tuple[list[digest.DigestEntry], list[digest.DigestProblem]]:
    when = dt.datetime(default.year, default.month, default.day, tzinfo=TZ) if default else None
    return digest.parse_digest(
        text,
        lambda s: dates.parse_date_line(s, tz=TZ),
        country_code=GAZ.country_code,
        default_date=when,
    )


def summary(
    text: str, default: dt.date | None = None
) -> list[tuple[int, str, str, tuple[str, ...]]]:
    entries, problems = parse(text, default)
    assert problems == []
    return [(e.line, e.date.date().isoformat(), e.title, e.paragraphs) for e in entries]


@pytest.mark.parametrize("month", range(1, 13))
@pytest.mark.parametrize("style", ["{d} {Mes}, {y}", "{d} de {mes} de {y}", "{d} DE {MES} DE {y}"])
def test_spanish_date_lines_for_every_month(month: int, style: str) -> None:
    """'3 Marzo, 2020' and '3 de marzo de 2020' start an entry, for all twelve months, any case."""
    name = SPANISH[month - 1]
    line = style.format(d=3, y=2020, mes=name, Mes=name.capitalize(), MES=name.upper())
    entries, problems = parse(f"{line}\nTítulo del boletín\nCiudad de Guatemala – El texto.\n")
    assert problems == []
    assert [(e.date.date(), e.title) for e in entries] == [
        (dt.date(2020, month, 3), "Título del boletín")
    ]


def test_english_date_lines_both_orders() -> None:
    assert summary("9 February, 2018\nA\nLead.\nFebruary 10, 2018\nB\nLead.\n") == [
        (1, "2018-02-09", "A", ("Lead.",)),
        (4, "2018-02-10", "B", ("Lead.",)),
    ]


def test_blank_lines_do_not_matter() -> None:
    """One, two or no blank lines anywhere give the same entries (lines move, text does not)."""
    dense = "6 July, 2018\nTitle one\nMexico City - Lead one.\nSecond paragraph.\n4 July, 2018\nTitle two\nLead two.\n"
    airy = "\n\n" + dense.replace("\n", "\n\n\n")
    assert [x[1:] for x in summary(dense)] == [x[1:] for x in summary(airy)]
    assert summary(dense)[0][3] == ("Mexico City - Lead one.", "Second paragraph.")


def test_title_is_never_a_dateline_or_date() -> None:
    """A title with ' - ' or opening with countries stays the title; a lead's own date is not the entry's."""
    text = (
        "3 de marzo de 2020\n"
        "Honduras, Guatemala and El Salvador agree on returns - a first\n"
        "Tapachula, Mexico, March 3, 2019. The lead.\n"
    )
    assert summary(text) == [
        (
            1,
            "2020-03-03",
            "Honduras, Guatemala and El Salvador agree on returns - a first",
            ("Tapachula, Mexico, March 3, 2019. The lead.",),
        )
    ]


def test_odd_apostrophes_and_spaces_in_titles() -> None:
    entries, _ = parse("6 July, 2018\n\u00a0IOM´s  new\u00a0programme’s start \nLead.\n")
    assert entries[0].title == "IOM´s new programme’s start"


def test_country_line_after_the_title() -> None:
    entries, _ = parse("6 July, 2018\nTitle\nGuatemala, Honduras y El Salvador\nLead.\n")
    assert (entries[0].countries, entries[0].countries_line, entries[0].paragraphs) == (
        ("GT", "HN", "SV"),
        3,
        ("Lead.",),
    )


def test_a_lead_naming_a_country_is_not_a_country_line() -> None:
    entries, _ = parse("6 July, 2018\nTitle\nHonduras. In order to strengthen…\n")
    assert entries[0].countries == ()
    assert entries[0].paragraphs == ("Honduras. In order to strengthen…",)


@pytest.mark.parametrize("country", ["", "Honduras\n"])
def test_single_article_copied_from_a_web_page(country: str) -> None:
    """Title first, maybe a country line, then the date line, then the body: one article."""
    text = f"Honduras Strengthens Mechanisms\n{country}13 June, 2018\nLa Ceiba, Honduras – Body.\n\nMore.\n"
    entries, problems = parse(text)
    assert problems == []
    assert len(entries) == 1
    entry = entries[0]
    assert (entry.line, entry.title, entry.date.date()) == (
        1,
        "Honduras Strengthens Mechanisms",
        dt.date(2018, 6, 13),
    )
    assert entry.paragraphs == ("La Ceiba, Honduras – Body.", "More.")
    assert entry.countries == (("HN",) if country else ())


def test_text_before_the_first_of_several_date_lines_is_an_error() -> None:
    _, problems = parse("Stray title\nStray lead.\n6 July, 2018\nTitle\nLead.\n")
    assert [(p.line, p.kind) for p in problems] == [(1, digest.UNDATED)]
    assert "Stray title" in problems[0].message


def test_listing_without_date_lines_names_the_first_entry() -> None:
    _, problems = parse("\n\nFirst title\nFirst lead.\nSecond title\nSecond lead.\n")
    assert [(p.line, p.kind) for p in problems] == [(3, digest.UNDATED)]
    assert "'First title'" in problems[0].message
    assert "has none" in problems[0].message


def test_undated_single_newline_listing_with_a_default_date() -> None:
    """Title line, lead line, next title: split where a headline follows a sentence."""
    text = "First title\nFirst lead.\nSecond lead paragraph.\nSecond title - with a dash\nEl Salvador\nIts lead.\nThird title\n"
    assert summary(text, dt.date(2020, 5, 1)) == [
        (1, "2020-05-01", "First title", ("First lead.", "Second lead paragraph.")),
        (4, "2020-05-01", "Second title - with a dash", ("Its lead.",)),
        (7, "2020-05-01", "Third title", ()),
    ]


def test_date_line_without_title() -> None:
    _, problems = parse("6 July, 2018\n\n\n5 July, 2018\nTitle\nLead.\n")
    assert [(p.line, p.message) for p in problems] == [
        (1, "this date line is not followed by a title")
    ]


def test_entry_text_covers_its_own_lines_only() -> None:
    entries, _ = parse("6 July, 2018\nA\nLead a.\n\n5 July, 2018\nB\nLead b.\n")
    assert entries[0].text == "6 July, 2018\nA\nLead a.\n"
    assert entries[1].text == "5 July, 2018\nB\nLead b.\n"


WORD = st.text(alphabet=st.characters(categories=["L"]), min_size=1, max_size=8)
TITLE = (
    st.lists(WORD, min_size=2, max_size=8)
    .map(" ".join)
    .filter(
        lambda t: (
            dates.parse_date_line(t, tz=TZ) is None
            and digest.country_line(t, GAZ.country_code) is None
        )
    )
)
LEAD = st.lists(WORD, min_size=3, max_size=12).map(lambda ws: " ".join(ws) + ".")
GAP = st.sampled_from(["\n", "\n\n", "\n\n\n", "\n \u00a0\n"])


@settings(max_examples=150)  # each example parses every date line twice (dateutil is slow)
@given(
    st.lists(
        st.tuples(
            st.dates(dt.date(1990, 1, 1), dt.date(2030, 12, 31)),
            st.booleans(),
            TITLE,
            st.lists(LEAD, min_size=1, max_size=3),
        ),
        min_size=1,
        max_size=5,
    ),
    st.data(),
)
def test_generated_digests_round_trip(
    items: list[tuple[dt.date, bool, str, list[str]]], data: st.DataObject
) -> None:
    """Whatever the spacing and the language of the date lines, every entry comes back."""
    parts: list[str] = []
    for day, spanish, title, leads in items:
        month = SPANISH[day.month - 1] if spanish else ENGLISH[day.month - 1]
        line = (
            f"{day.day} de {month} de {day.year}" if spanish else f"{day.day} {month}, {day.year}"
        )
        for paragraph in (line, title, *leads):
            parts.append(paragraph + data.draw(GAP))
    entries, problems = parse("".join(parts))
    assert problems == []
    assert [(e.date.date(), e.title, e.paragraphs) for e in entries] == [
        (day, title, tuple(leads)) for day, _, title, leads in items
    ]
