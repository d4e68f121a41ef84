"""Stage 3 (plan), for feeds: `Archive` → Atom feed artifacts (RFC 4287).

One feed for the site (`/feed.xml`) and one per country and theme
(`/countries/<slug>/feed.xml`, `/themes/<slug>/feed.xml`), each holding the newest
`feed_limit` articles. Everything a feed shows is decided here, from the
articles alone: its `updated` time is the newest article's, never the clock, so
an unchanged archive gives byte-identical feeds.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import urlsplit

from dateline.config import SiteConfig
from dateline.metadata import modified
from dateline.model import Archive, Article, Artifact, Term

SITE_FEED = "/feed.xml"
# An empty archive still needs a valid <updated>; the epoch says "nothing yet" without a clock.
_NOTHING_YET = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


@dataclass(frozen=True, slots=True)
class FeedEntry:
    """One article in a feed, with the id readers use to recognise it forever."""

    id: str
    article: Article


@dataclass(frozen=True, slots=True)
class Feed:
    """One Atom feed: where it lives, the page it belongs to, and its entries, newest first."""

    path: str
    page_path: str
    term: Term | None
    updated: dt.datetime
    entries: tuple[FeedEntry, ...]


def plan_feeds(archive: Archive, config: SiteConfig) -> tuple[Artifact, ...]:
    """The site feed and one feed per country and per theme."""
    return tuple(_feeds(archive, config))


def _feeds(archive: Archive, config: SiteConfig) -> Iterator[Artifact]:
    host = urlsplit(config.base_url).hostname or "localhost"
    # archive.path: "/feed.xml" for the default language, "/es/feed.xml" for Spanish
    home = archive.path("/")
    yield _artifact(archive.path(SITE_FEED), home, None, archive.articles, config.feed_limit, host)
    for group in (*archive.countries, *archive.themes):
        path = group.term.path
        yield _artifact(
            path + "feed.xml", path, group.term, group.articles, config.feed_limit, host
        )


def _artifact(
    path: str,
    page_path: str,
    term: Term | None,
    articles: tuple[Article, ...],
    limit: int,
    host: str,
) -> Artifact:
    shown = articles[:limit]
    feed = Feed(
        path=path,
        page_path=page_path,
        term=term,
        updated=max((modified(a) for a in shown), default=_NOTHING_YET),
        entries=tuple(FeedEntry(entry_id(a, host), a) for a in shown),
    )
    return Artifact(path, "atom.xml", {"feed": feed}, "feed")


def entry_id(article: Article, host: str) -> str:
    """A tag: URI (RFC 4151) that survives a change of permalink pattern or base path.

    `tag:<host>,<publication date>:<lang>/<slug>`, e.g.
    `tag:example.org,2018-06-13:en/iom-trains-salvadoran-medical-staff`.
    """
    return f"tag:{host},{article.date.date().isoformat()}:{article.lang}/{article.slug}"
