"""Stage 2: articles → `Archive`: the orders and groupings every listing shows.

Pure and linear in the number of articles (related articles are found among
neighbours in each shared term, not by comparing every pair).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
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
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_MICROSECOND = dt.timedelta(microseconds=1)


def publishable(
    articles: Iterable[Article], *, now: dt.datetime, drafts: bool
) -> tuple[Article, ...]:
    """Hold back drafts and future-dated (embargoed) articles unless previewing drafts."""
    if drafts:
        return tuple(articles)
    return tuple(a for a in articles if not a.draft and a.date <= now)


def build_archive(
    articles: Iterable[Article],
    *,
    country_name: Callable[[str], str],
    related: int = 3,
    theme_name: Callable[[str], str] = str,
    regional_name: str = "Regional",
    lang: str = "en",
    prefix: str = "",
    taxonomy_paths: Mapping[str, str] | None = None,
) -> Archive:
    """Group articles (already validated, all of one language) by country, theme, year, month.

    For a language other than the site's default, `prefix` ("/es") goes in front of
    every path, `taxonomy_paths` gives the translated index paths ({"countries":
    "/es/paises/"}), and the name callables give term names in that language, so the
    term slugs (made from the names) are translated too. Term keys stay the ISO code
    or the theme's name in [themes], the same in every language.
    """
    ordered = tuple(sorted(articles, key=lambda a: a.sort_key))
    paths = {kind.value: prefix + f"/{kind.value}/" for kind in TaxonomyKind}
    paths.update(taxonomy_paths or {})
    countries = _groups(
        ordered,
        TaxonomyKind.COUNTRY,
        lambda a: a.countries or (REGIONAL,),
        lambda key: regional_name if key == REGIONAL else country_name(key),
        paths[TaxonomyKind.COUNTRY.value],
    )
    themes = _groups(
        ordered, TaxonomyKind.THEME, lambda a: a.themes, theme_name, paths[TaxonomyKind.THEME.value]
    )
    return Archive(
        articles=ordered,
        countries=countries,
        themes=themes,
        years=_years(ordered, prefix),
        related=_related(ordered, countries + themes, related),
        lang=lang,
        prefix=prefix,
        taxonomy_paths=MappingProxyType(paths),
    )


def _groups(
    ordered: tuple[Article, ...],
    kind: TaxonomyKind,
    keys_of: Callable[[Article], Iterable[str]],
    name_of: Callable[[str], str],
    base: str,
) -> tuple[TermGroup, ...]:
    # keyed by slug, so two spellings that fold to one URL ("Health", "health") share a page
    members: dict[str, tuple[Term, list[Article]]] = {}
    slugs: dict[str, tuple[str, str]] = {}  # key → (name, slug): named once, not per article
    for article in ordered:
        for key in keys_of(article):
            known = slugs.get(key)
            if known is None:
                name = name_of(key)
                known = slugs[key] = (name, slugify(name) or slugify(key) or "term")
            name, slug = known
            found = members.get(slug)
            if found is None:
                found = members[slug] = (Term(kind, slug, name, key, base), [])
            found[1].append(article)
    groups = (TermGroup(term, tuple(dict.fromkeys(items))) for term, items in members.values())
    return tuple(
        sorted(groups, key=lambda g: (g.term.key == REGIONAL, g.term.name.casefold(), g.term.slug))
    )


def _years(ordered: tuple[Article, ...], prefix: str) -> tuple[YearGroup, ...]:
    years = []
    for year, in_year in groupby(ordered, key=lambda a: a.date.year):
        items = tuple(in_year)
        months = tuple(
            MonthGroup(year, month, tuple(in_month), prefix)
            for month, in_month in groupby(items, key=lambda a: a.date.month)
        )
        years.append(YearGroup(year, months, items, prefix))
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
    rank = {article.path: index for index, article in enumerate(ordered)}
    # whole microseconds since the epoch, exact: the same order as the dates' differences
    micros = {article.path: (article.date - _EPOCH) // _MICROSECOND for article in ordered}
    for article in ordered:
        own, when = article.path, micros[article.path]
        scores: dict[str, int] = {}
        by_path: dict[str, Article] = {}
        for group, index in positions.get(own, ()):
            for other in group.articles[max(0, index - _NEIGHBOURS) : index + _NEIGHBOURS + 1]:
                path = other.path
                if path != own:
                    scores[path] = scores.get(path, 0) + 1
                    by_path[path] = other
        ranked = sorted(
            by_path,
            key=lambda p: (-scores[p], abs(micros[p] - when), rank[p]),  # rank = sort_key order
        )
        result[own] = tuple(by_path[p] for p in ranked[:limit])
    return MappingProxyType(result)
