"""Stage 2: articles → `Archive`: the orders and groupings every listing shows.

Pure and linear in the number of articles (related articles are found among
neighbours in each shared term, not by comparing every pair).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable
from itertools import groupby
from types import MappingProxyType

from dateline.model import (
    REGIONAL,
    Archive,
    Article,
    MonthGroup,
    TaxonomyKind,
    Term,
    TermGroup,
    YearGroup,
)
from dateline.urls import slugify

_NEIGHBOURS = 6  # candidates taken on each side of an article in each of its terms


def publishable(
    articles: Iterable[Article], *, now: dt.datetime, drafts: bool
) -> tuple[Article, ...]:
    """Hold back drafts and future-dated (embargoed) articles unless previewing drafts."""
    if drafts:
        return tuple(articles)
    return tuple(a for a in articles if not a.draft and a.date <= now)


def build_archive(
    articles: Iterable[Article], *, country_name: Callable[[str], str], related: int = 3
) -> Archive:
    """Group articles (already validated) by country, theme, year and month."""
    ordered = tuple(sorted(articles, key=lambda a: a.sort_key))
    countries = _groups(
        ordered, TaxonomyKind.COUNTRY, lambda a: a.countries or (REGIONAL,), country_name
    )
    themes = _groups(ordered, TaxonomyKind.THEME, lambda a: a.themes, lambda name: name)
    return Archive(
        articles=ordered,
        countries=countries,
        themes=themes,
        years=_years(ordered),
        related=_related(ordered, countries + themes, related),
    )


def _groups(
    ordered: tuple[Article, ...],
    kind: TaxonomyKind,
    keys_of: Callable[[Article], Iterable[str]],
    name_of: Callable[[str], str],
) -> tuple[TermGroup, ...]:
    # keyed by slug, so two spellings that fold to one URL ("Health", "health") share a page
    members: dict[str, tuple[Term, list[Article]]] = {}
    for article in ordered:
        for key in keys_of(article):
            name = "Regional" if key == REGIONAL else name_of(key)
            slug = slugify(name) or slugify(key) or "term"
            members.setdefault(slug, (Term(kind, slug, name, key), []))[1].append(article)
    groups = (TermGroup(term, tuple(dict.fromkeys(items))) for term, items in members.values())
    return tuple(
        sorted(groups, key=lambda g: (g.term.key == REGIONAL, g.term.name.casefold(), g.term.slug))
    )


def _years(ordered: tuple[Article, ...]) -> tuple[YearGroup, ...]:
    years = []
    for year, in_year in groupby(ordered, key=lambda a: a.date.year):
        items = tuple(in_year)
        months = tuple(
            MonthGroup(year, month, tuple(in_month))
            for month, in_month in groupby(items, key=lambda a: a.date.month)
        )
        years.append(YearGroup(year, months, items))
    return tuple(years)


def _related(
    ordered: tuple[Article, ...], groups: tuple[TermGroup, ...], limit: int
) -> MappingProxyType[str, tuple[Article, ...]]:
    """For each article, the articles sharing most terms with it, nearest in date first."""
    if limit <= 0:
        return MappingProxyType({})
    positions: dict[str, list[tuple[TermGroup, int]]] = defaultdict(list)
    for group in groups:
        if group.term.key == REGIONAL:
            continue
        for index, article in enumerate(group.articles):
            positions[article.path].append((group, index))
    result: dict[str, tuple[Article, ...]] = {}
    for article in ordered:
        scores: dict[str, int] = defaultdict(int)
        by_path: dict[str, Article] = {}
        for group, index in positions.get(article.path, ()):
            window = group.articles[max(0, index - _NEIGHBOURS) : index + _NEIGHBOURS + 1]
            for other in window:
                if other.path != article.path:
                    scores[other.path] += 1
                    by_path[other.path] = other
        ranked = sorted(
            by_path.values(),
            key=lambda o: (
                -scores[o.path],
                abs((o.date - article.date).total_seconds()),
                o.sort_key,
            ),
        )
        result[article.path] = tuple(ranked[:limit])
    return MappingProxyType(result)
