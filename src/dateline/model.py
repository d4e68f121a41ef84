"""The records passed between stages: immutable, picklable, no I/O.

Glossary, fixed once: a *taxonomy* is a kind of grouping (country, theme); a
*term* is one value of it (El Salvador, Health). A *pager* is one page of a
paginated listing; an *artifact* is one output file to render.
"""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Protocol

from dateline.errors import SourceLocation


class BodyUnavailable(Exception):
    """A cached body's text cannot be read (its cache file was removed or damaged)."""


_shown: ContextVar[set[str] | None] = ContextVar("dateline_bodies_shown", default=None)


@contextmanager
def bodies_shown() -> Iterator[set[str]]:
    """Collect the digests of the bodies whose text is read inside the block.

    A page is rendered inside one: its record then names exactly the bodies it shows,
    so editing an article's body re-renders the pages that show that body and no
    listing that merely names the article. Blocks nest (a card inside a page): what an
    inner block collects is added to the outer one when it ends.
    """
    outer = _shown.get()
    seen: set[str] = set()
    token = _shown.set(seen)
    try:
        yield seen
    finally:
        _shown.reset(token)
        if outer is not None:
            outer |= seen


def note_shown(digests: Iterable[str]) -> None:
    """Count bodies as read by the page being rendered (a card reused from the cache)."""
    seen = _shown.get()
    if seen is not None:
        seen.update(digests)


class BodyStore(Protocol):
    """Where the text of a `Body` known only by its digest can be read (the build cache)."""

    def read_body(self, digest: str) -> str: ...


@dataclass(frozen=True, slots=True, eq=False)
class Body:
    """An article's rendered HTML, known by the sha256 of its text.

    A rebuild takes most articles from the build cache, and most of their pages are not
    rendered again, so the cache hands out bodies by digest and reads a text only when
    a page shows it. Equality, hashing and repr go by the digest (which page
    fingerprints rely on): two bodies with the same text are equal wherever it lives.
    """

    digest: str
    stored_text: str | None = None  # None: read from `store` on each use
    store: BodyStore | None = None

    @classmethod
    def of(cls, text: str) -> Body:
        return cls(hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest(), text)

    @property
    def text(self) -> str:
        if (seen := _shown.get()) is not None:
            seen.add(self.digest)
        text = self.stored_text
        if text is None:
            if self.store is None:
                raise BodyUnavailable(f"the text of body {self.digest} is not available")
            # not kept here: a full render would end up holding every body it showed
            text = self.store.read_body(self.digest)
        return text

    def __str__(self) -> str:
        return self.text

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Body) and other.digest == self.digest

    def __hash__(self) -> int:
        return hash(self.digest)

    def __repr__(self) -> str:
        return f"Body({self.digest!r})"

    def __getstate__(self) -> tuple[str, str]:
        return (self.digest, self.text)  # a copy sent to another process carries its text

    def __setstate__(self, state: tuple[str, str]) -> None:
        for name, value in zip(("digest", "stored_text", "store"), (*state, None), strict=True):
            object.__setattr__(self, name, value)


EMPTY_BODY = Body.of("")


@dataclass(frozen=True, slots=True, kw_only=True)
class Article:
    """One bulletin, parsed and validated, as every later stage sees it."""

    source: SourceLocation
    digest: str  # of the entry's source text: the cache's business, never shown on a page
    slug: str
    path: str  # site path of its page, e.g. "/news/2018/07/06/slug/"
    title: str
    date: dt.datetime  # timezone-aware
    updated: dt.datetime | None = None
    place: str | None = None  # the dateline place as written ("San Salvador")
    countries: tuple[str, ...] = ()  # ISO 3166-1 alpha-2 codes
    themes: tuple[str, ...] = ()  # theme display names
    summary: str = ""  # plain text
    body: Body = EMPTY_BODY  # the rendered Markdown (or escaped digest paragraphs)
    lang: str = "en"
    draft: bool = False
    image: str | None = None
    translation_key: str | None = None
    redirect_from: tuple[str, ...] = ()

    @property
    def body_html(self) -> str:
        """The body's HTML, as templates and checks read it."""
        return self.body.text

    @property
    def sort_key(self) -> tuple[float, str, str]:
        """Newest first, then by path: a total order, so equal dates never shuffle."""
        return (-self.date.timestamp(), self.path, self.source.path)


class TaxonomyKind(enum.Enum):
    """The two ways the archive groups articles."""

    COUNTRY = "countries"
    THEME = "themes"


REGIONAL = "regional"  # the term slug for articles that name no country


@dataclass(frozen=True, slots=True, order=True)
class Term:
    """One country or theme; `key` is the ISO code or the theme name (in every language).

    `base` is the site path of the taxonomy's index in the term's language
    ("/es/paises/"); empty means the default "/countries/" or "/themes/".
    """

    kind: TaxonomyKind
    slug: str
    name: str
    key: str
    base: str = ""

    @property
    def path(self) -> str:
        return f"{self.base or f'/{self.kind.value}/'}{self.slug}/"


@dataclass(frozen=True, slots=True)
class TermGroup:
    """A term and its articles, newest first."""

    term: Term
    articles: tuple[Article, ...]


@dataclass(frozen=True, slots=True)
class MonthGroup:
    year: int
    month: int
    articles: tuple[Article, ...]
    prefix: str = ""  # the language's URL prefix ("" or "/es")

    @property
    def path(self) -> str:
        return f"{self.prefix}/news/{self.year:04d}/{self.month:02d}/"


@dataclass(frozen=True, slots=True)
class YearGroup:
    year: int
    months: tuple[MonthGroup, ...]  # newest first
    articles: tuple[Article, ...]
    prefix: str = ""  # the language's URL prefix ("" or "/es")

    @property
    def path(self) -> str:
        return f"{self.prefix}/news/{self.year:04d}/"


@dataclass(frozen=True, slots=True)
class Archive:
    """One language's archive, indexed every way the site shows it.

    A site has one archive per language (see build.plan_build). `prefix` is put in
    front of every site path of that language ("" for the default language, "/es"
    for Spanish): planners build their paths as `archive.prefix + "/feed.xml"`.
    """

    articles: tuple[Article, ...]  # newest first
    countries: tuple[TermGroup, ...]  # by name; "Regional" last
    themes: tuple[TermGroup, ...]  # by name
    years: tuple[YearGroup, ...]  # newest first
    related: Mapping[str, tuple[Article, ...]] = field(
        default_factory=lambda: MappingProxyType({})
    )  # article path → related articles
    lang: str = "en"
    prefix: str = ""
    # taxonomy kind value ("countries") → site path of its index in this language
    taxonomy_paths: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))

    def path(self, path: str) -> str:
        """A site path of the default language's layout, moved under this language's prefix."""
        return self.prefix + path

    def taxonomy_path(self, kind: TaxonomyKind) -> str:
        """The index page of a taxonomy in this language: "/countries/", "/es/paises/"."""
        return self.taxonomy_paths.get(kind.value) or self.path(f"/{kind.value}/")


@dataclass(frozen=True, slots=True)
class Pager:
    """One page of a paginated listing; page 1 lives at the listing's own path."""

    number: int
    count: int
    items: tuple[Article, ...]
    path: str
    first_path: str

    def path_of(self, number: int) -> str:
        return self.first_path if number == 1 else f"{self.first_path}page/{number}/"

    @property
    def prev_path(self) -> str | None:
        return self.path_of(self.number - 1) if self.number > 1 else None

    @property
    def next_path(self) -> str | None:
        return self.path_of(self.number + 1) if self.number < self.count else None

    @property
    def window(self) -> tuple[int, ...]:
        """The page numbers a pagination bar can show: the first, the last, and three either
        side of this one. Looping over these, not every page, keeps a listing of n pages
        from costing n² (a 20,000-article home page has 1,000 pages)."""
        near = range(max(1, self.number - 3), min(self.count, self.number + 3) + 1)
        return tuple(sorted({1, self.count, *near}))


@dataclass(frozen=True, slots=True)
class Artifact:
    """One file to render: where it goes, which template, and exactly what it shows.

    `lang` and `alternates` are filled in by build.plan_build after every language is
    planned (planners leave them alone): `alternates` maps each language that has a
    version of this page, this one included, to that version's site path; it is empty
    when the page has no translation. Templates, the sitemap and JSON-LD read it.
    """

    path: str  # site path
    template: str
    context: Mapping[str, object]
    kind: str  # "article", "index", "term", "archive", ... (for reports and tests)
    lang: str = ""  # "" until build.plan_build stamps the language that planned it
    alternates: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
