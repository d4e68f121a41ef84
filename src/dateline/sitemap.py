"""Stage 3 (plan), for crawlers: page artifacts → sitemap and robots.txt artifacts.

Lists every HTML page except the 404 page and redirects, with `lastmod` from the
articles each page shows. Past the sitemaps.org limits (50,000 URLs or 50 MB) the
sitemap becomes an index at the same `/sitemap.xml` pointing at numbered sitemaps
(`/sitemap-1.xml`, …) that sit at the site root, because a sitemap may only list
URLs at or below its own folder. The limits are parameters so tests can cross
them with a small site through the very same code path.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from dateline.config import SiteConfig
from dateline.i18n import alternates_by_language
from dateline.metadata import modified
from dateline.model import Article, Artifact, MonthGroup, Pager, TermGroup, YearGroup

SITEMAP = "/sitemap.xml"
MAX_URLS = 50_000
MAX_BYTES = 50 * 1024 * 1024
_UNLISTED = frozenset({"404", "redirect"})
# Bytes one <url> entry takes besides its URL: tags, lastmod and indentation. Generous,
# so the size estimate made without rendering stays above the real size.
_ENTRY_BYTES = 120


@dataclass(frozen=True, slots=True)
class SitemapUrl:
    """One page a crawler should know, and when its content last changed."""

    path: str
    lastmod: dt.datetime | None
    # (hreflang, site path) of every language version, x-default last (i18n.py); () if none
    alternates: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class SitemapRef:
    """One numbered sitemap, as the sitemap index lists it."""

    path: str
    lastmod: dt.datetime | None


def plan_sitemaps(
    pages: Iterable[Artifact],
    config: SiteConfig,
    *,
    max_urls: int | None = None,
    max_bytes: int | None = None,
) -> tuple[Artifact, ...]:
    """The sitemap (or sitemap index and numbered sitemaps) and robots.txt for `pages`.

    The limits default to MAX_URLS and MAX_BYTES, read at call time so a test can
    lower them for a whole build.
    """
    urls = sorted(
        (SitemapUrl(p.path, _lastmod(p), _alternates(p, config)) for p in pages if p.path.endswith("/") and p.kind not in _UNLISTED),
        key=lambda u: u.path,
    )  # fmt: skip
    per_url = len(config.base_url) + _ENTRY_BYTES
    chunks = list(_chunks(urls, per_url, max_urls or MAX_URLS, max_bytes or MAX_BYTES))
    robots = Artifact("/robots.txt", "robots.txt", {"sitemap": SITEMAP}, "robots")
    if len(chunks) <= 1:
        urls_only = tuple(chunks[0]) if chunks else ()
        return Artifact(SITEMAP, "sitemap.xml", {"urls": urls_only}, "sitemap"), robots
    numbered = [
        Artifact(f"/sitemap-{n}.xml", "sitemap.xml", {"urls": tuple(chunk)}, "sitemap")
        for n, chunk in enumerate(chunks, start=1)
    ]
    refs = tuple(
        SitemapRef(a.path, _newest(u.lastmod for u in chunk))
        for a, chunk in zip(numbered, chunks, strict=True)
    )
    index = Artifact(SITEMAP, "sitemap_index.xml", {"sitemaps": refs}, "sitemap-index")
    return index, *numbered, robots


def _chunks(
    urls: Sequence[SitemapUrl], per_url: int, max_urls: int, max_bytes: int
) -> Iterator[list[SitemapUrl]]:
    chunk: list[SitemapUrl] = []
    size = 0
    budget = max_bytes - 200  # the XML declaration and <urlset> wrapper
    for url in urls:
        cost = per_url + 5 * len(url.path)  # escaping can make a character up to 5 bytes
        if url.alternates:  # xhtml:link lines
            cost += sum(per_url + 5 * len(path) for _, path in url.alternates)
        if chunk and (len(chunk) >= max_urls or size + cost > budget):
            yield chunk
            chunk, size = [], 0
        chunk.append(url)
        size += cost
    if chunk:
        yield chunk


def _alternates(page: Artifact, config: SiteConfig) -> tuple[tuple[str, str], ...]:
    """The page's language versions as sitemap xhtml:link alternates (Google's hreflang)."""
    if not page.alternates:
        return ()  # most pages of a one-language site: skip the sort
    return tuple(alternates_by_language(page.alternates, config.language))


def _lastmod(page: Artifact) -> dt.datetime | None:
    """The newest change among the articles the page shows (an article: its own)."""
    context = page.context
    article = context.get("article")
    if isinstance(article, Article):
        return modified(article)
    pager = context.get("pager")
    if isinstance(pager, Pager):  # most pages: a list comprehension, not two generators
        return max([modified(a) for a in pager.items], default=None)
    return _newest(modified(a) for value in context.values() for a in _articles_in(value))


def _articles_in(value: object) -> Iterator[Article]:
    if isinstance(value, Article):
        yield value
    elif isinstance(value, TermGroup | YearGroup | MonthGroup):
        yield from value.articles
    elif isinstance(value, tuple):
        for item in value:
            yield from _articles_in(item)


def _newest(moments: Iterable[dt.datetime | None]) -> dt.datetime | None:
    return max((m for m in moments if m is not None), default=None)
