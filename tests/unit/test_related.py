"""Related articles: the fast ranking in archive.py equals its plain definition on any archive.

archive._related ranks candidates as packed integers counted and sorted in C; the
reference here follows the rule as the README states it (most shared countries and
themes first, then nearest in date, then archive order), one pair at a time.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from dateline.archive import build_archive
from dateline.errors import SourceLocation
from dateline.model import REGIONAL, Archive, Article
from dateline.urls import slugify

NEIGHBOURS = 6  # the window archive.py documents: six on each side in each shared term
ZONES = (dt.UTC, ZoneInfo("America/El_Salvador"), ZoneInfo("Europe/Madrid"))
BASE = dt.datetime(2018, 7, 6, 10, tzinfo=dt.UTC)


def reference(archive: Archive, limit: int) -> dict[str, tuple[Article, ...]]:
    """For each article, by (shared terms desc, |date distance| asc, archive position asc)."""
    position = {id(a): i for i, a in enumerate(archive.articles)}
    shared: dict[str, dict[int, int]] = {a.path: {} for a in archive.articles}
    for group in archive.countries + archive.themes:
        if group.term.key == REGIONAL:
            continue
        members = group.articles
        for i, article in enumerate(members):
            for other in members[max(0, i - NEIGHBOURS) : i + NEIGHBOURS + 1]:
                if other is not article:
                    counts = shared[article.path]
                    counts[id(other)] = counts.get(id(other), 0) + 1
    result = {}
    for article in archive.articles:
        counts = shared[article.path]
        others = [a for a in archive.articles if id(a) in counts]
        others.sort(key=lambda o: (-counts[id(o)], abs(o.date - article.date), position[id(o)]))
        result[article.path] = tuple(others[:limit])
    return result


@st.composite
def articles(draw: st.DrawFn) -> list[Article]:
    """Up to 60 articles with few terms (so windows overlap) and many equal dates."""
    count = draw(st.integers(0, 60))
    found = []
    for n in range(count):
        when = BASE + dt.timedelta(
            days=draw(st.integers(-3, 3)),
            seconds=draw(st.sampled_from([0, 0, 1, 3600])),
            microseconds=draw(st.sampled_from([0, 0, 1, 999_999])),
        )
        found.append(
            Article(
                source=SourceLocation(f"content/{draw(st.integers(0, 3))}.md", n + 1),
                digest=str(n),
                slug=f"a{n}",
                path=f"/news/a{n}/",
                title=f"Article {n}",
                date=when.astimezone(draw(st.sampled_from(ZONES))),
                countries=tuple(draw(st.lists(st.sampled_from(["SV", "GT", "HN"]), max_size=2))),
                themes=tuple(
                    draw(st.lists(st.sampled_from(["Health", "health", "Border"]), max_size=3))
                ),
            )
        )
    return found


@given(articles(), st.integers(0, 8))
def test_related_articles_match_the_plain_definition(items: list[Article], limit: int) -> None:
    archive = build_archive(items, country_name=str, related=limit)
    expected = reference(archive, limit) if limit > 0 else {}
    assert dict(archive.related) == expected
    assert all(article not in found for article in archive.articles
               for found in [archive.related.get(article.path, ())])  # fmt: skip


@given(articles())
def test_a_term_spelled_two_ways_lists_an_article_once(items: list[Article]) -> None:
    """ "Health" and "health" share one page; an article naming both is on it once."""
    archive = build_archive(items, country_name=str)
    for kind, groups in (("country", archive.countries), ("theme", archive.themes)):
        for group in groups:
            expected = [
                a
                for a in archive.articles
                if group.term.slug
                in {
                    slugify(k)
                    for k in (a.themes if kind == "theme" else a.countries or (REGIONAL,))
                }
            ]
            assert list(group.articles) == expected


def test_far_future_dates_fall_back_to_the_exact_ranking() -> None:
    """Past 2242, float timestamps can tie where microseconds differ: still the same answer."""
    far = dt.datetime(2300, 1, 1, tzinfo=dt.UTC)
    items = [
        Article(source=SourceLocation("content/a.md", n), digest=str(n), slug=f"a{n}",
                path=f"/news/{name}/", title=name, date=far + dt.timedelta(microseconds=micro),
                countries=("SV",))
        for n, (name, micro) in enumerate([("b", 2), ("a", 1), ("c", 0), ("d", 5)])
    ]  # fmt: skip
    archive = build_archive(items, country_name=str, related=2)
    assert [a.slug for a in archive.articles] == ["a3", "a1", "a0", "a2"]  # 1 µs and 2 µs tie
    assert dict(archive.related) == reference(archive, 2)
