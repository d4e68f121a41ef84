"""Stage 2: articles → `Archive`: the orders and groupings every listing shows.

Pure and linear in the number of articles (related articles are found among
neighbours in each shared term, not by comparing every pair).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping
from itertools import groupby, repeat
from operator import add, lshift, lt, sub
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
            items = found[1]
            if not items or items[-1] is not article:  # two keys with one slug: listed once
                items.append(article)
    groups = (TermGroup(term, tuple(items)) for term, items in members.values())
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
    """For each article, the articles sharing most terms with it, nearest in date first.

    Ties go to the article first in `ordered` (sort_key order). The same result as
    `_related_reference`, computed on integers: each candidate is one int, its date
    distance in microseconds above its position in `ordered`, so that counting shared
    terms (`Counter`) and ranking (`sorted`) run in C, not one Python call per pair.
    """
    if limit <= 0 or not ordered:
        return MappingProxyType({})
    count = len(ordered)
    # whole microseconds since the epoch, exact: the same order as the dates' differences
    micros = [(article.date - _EPOCH) // _MICROSECOND for article in ordered]
    rank = {article.path: index for index, article in enumerate(ordered)}
    if len(rank) != count or any(map(lt, micros, micros[1:])):
        # two articles with one path (a build error, reported later), or float timestamps
        # that tie where microseconds do not (dates centuries away): the plain way is exact
        return _related_reference(ordered, groups, limit)
    shift = count.bit_length()  # a candidate: (distance << shift) + its index in `ordered`
    span = (micros[0] - micros[-1]).bit_length() + shift + 1  # every candidate < 1 << span
    below = (1 << shift) - 1
    # In a term's list (newest first) the article at i sees a newer j < i at distance
    # micros[j] - micros[i] >= 0 and an older j > i at micros[i] - micros[j] >= 0, so
    # each window side is one subtraction of precomputed ints, no abs() and no key call.
    windows: list[list[tuple[list[int], list[int], int, int]]] = [[] for _ in ordered]
    for group in groups:
        if group.term.key == REGIONAL:
            continue
        members = [rank[article.path] for article in group.articles]  # ascending: see _groups
        at = [micros[member] << shift for member in members]
        newer = list(map(add, at, members))  # seen from an older article: newer - own
        older = list(map(sub, at, members))  # seen from a newer article: own - older
        for index, (member, own) in enumerate(zip(members, at, strict=True)):
            windows[member].append((newer, older, index, own))
    result: dict[str, tuple[Article, ...]] = {}
    for article, own_windows in zip(ordered, windows, strict=True):
        candidates: list[int] = []
        for newer, older, index, own in own_windows:
            candidates += map(sub, newer[max(0, index - _NEIGHBOURS) : index], repeat(own))
            candidates += map(sub, repeat(own), older[index + 1 : index + _NEIGHBOURS + 1])
        shared = Counter(candidates)  # a candidate in k of the article's terms: k times
        # more shared terms first: k << span outweighs any distance
        ranked = sorted(map(sub, shared, map(lshift, shared.values(), repeat(span))))
        result[article.path] = tuple(ordered[key & below] for key in ranked[:limit])
    return MappingProxyType(result)


def _related_reference(
    ordered: tuple[Article, ...], groups: tuple[TermGroup, ...], limit: int
) -> MappingProxyType[str, tuple[Article, ...]]:
    """`_related`, one article and candidate at a time: the definition, and the fallback."""
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
