"""Per-page metadata for search engines and social sharing: descriptions, locales, JSON-LD.

Used by the render stage (`install` adds the filters and globals that
`partials/meta.html`, the feeds and the sitemaps use) and by the plan stage
(`check_base_url`). Pure apart from reading dateline.toml to point an error at
its line. Structured data is built as Python dicts and serialised with
`json.dumps`, so a title can never produce invalid JSON or close the <script>.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any, cast
from urllib.parse import urlsplit

import jinja2
from babel.core import Locale, UnknownLocaleError, get_global
from markupsafe import Markup

from dateline.config import CONFIG_NAME, SiteConfig
from dateline.content.markup import shorten
from dateline.errors import ConfigError, error
from dateline.model import Article, Pager, Term, TermGroup, YearGroup

DESCRIPTION_LIMIT = 160
_SCHEMA = "https://schema.org"
# Inside <script>, "<", ">" and "&" are the only characters that can end it or start
# markup; JSON allows them as \u escapes, which mean the same to every JSON reader.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_BASE_URL_LINE = re.compile(r'^\s*"?base_url"?\s*=', re.MULTILINE)

JsonObject = dict[str, Any]
Crumb = tuple[str, str]  # (name, site path)
TermsOf = Callable[[Article], Sequence[Term]]  # render's countries_of / themes_of


def check_base_url(config: SiteConfig) -> None:
    """Raise ConfigError unless base_url is an absolute http(s) URL.

    Feeds, sitemaps, canonical links and Open Graph need the site's full address;
    a relative one would silently produce links no reader or crawler can follow.
    """
    parts = urlsplit(config.base_url)
    if parts.scheme in ("http", "https") and parts.hostname and not _has_space(config.base_url):
        return
    path = config.root / CONFIG_NAME
    text = path.read_text(encoding="utf-8-sig") if path.is_file() else ""
    match = _BASE_URL_LINE.search(text)
    line = text.count("\n", 0, match.start()) + 1 if match else None
    what = (
        f"is {config.base_url!r}, not a full http(s) address"
        if match or config.base_url != "/"
        else "is not set"
    )
    raise ConfigError(
        [
            error(
                CONFIG_NAME,
                line,
                f"'base_url' {what}: feeds, the sitemap and canonical links need the "
                "site's full address",
                'set base_url = "https://example.org/news/" in dateline.toml, '
                "or build with --base-url https://example.org/news/",
            )
        ]
    )


def _has_space(text: str) -> bool:
    return any(ch.isspace() or ord(ch) < 32 for ch in text)


def describe(text: str, limit: int = DESCRIPTION_LIMIT) -> str:
    """A meta description: the text cut at a word boundary to at most `limit` characters."""
    return shorten(text, limit - 1)  # shorten may add "…" after `limit - 1` characters


@functools.cache  # Babel parses the locale every call; every page asks
def og_locale(language: str) -> str:
    """The Open Graph locale (language_TERRITORY) for a language code: en → en_US, es → es_ES."""
    try:
        locale = Locale.parse(language.replace("-", "_"))
        if not locale.territory:
            likely: Mapping[str, str] = get_global("likely_subtags")
            locale = Locale.parse(likely.get(locale.language, locale.language))
    except (UnknownLocaleError, ValueError):
        return language.replace("-", "_")
    return f"{locale.language}_{locale.territory}" if locale.territory else locale.language


def script_json(data: object) -> Markup:
    """Serialise for a <script type="application/ld+json"> element, safe against any text."""
    text = json.dumps(data, ensure_ascii=False, sort_keys=False, separators=(",", ":"))
    # three replace() calls: str.translate with a dict costs ~0.1 ms on every page
    return Markup(text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026"))


def xml_chars(text: str) -> str:
    """Drop the characters XML 1.0 forbids (most C0 controls), which one stray byte in a
    bulletin would otherwise turn into a feed no reader accepts. Keeps Markup safe."""
    cleaned = _NOT_XML.sub("", text)
    return Markup(cleaned) if isinstance(text, Markup) else cleaned


def rfc3339(moment: dt.datetime) -> str:
    """A timestamp as Atom, sitemaps and schema.org want it (seconds, with offset)."""
    return moment.isoformat(timespec="seconds")


def modified(article: Article) -> dt.datetime:
    """When an article last changed: its `updated` date, else its publication date."""
    return article.updated or article.date


class StructuredData:
    """Builds the JSON-LD graph of a page; the template supplies what only it knows."""

    def __init__(
        self,
        config: SiteConfig,
        abs_url: Callable[[str], str],
        countries_of: TermsOf,
        themes_of: TermsOf,
        *,
        language: str | None = None,
        home_path: str = "/",
    ) -> None:
        self.config = config
        self.abs_url = abs_url
        self.countries_of = countries_of
        self.themes_of = themes_of
        # the language of the pages rendered (i18n: one StructuredData per language)
        self.language = language or config.language
        self.home_path = home_path
        self.home = abs_url(home_path)
        organization = config.organization or config.title
        self.organization: JsonObject = {
            "@type": "Organization",
            "@id": abs_url("/") + "#organization",
            "name": organization,
            "url": abs_url("/"),
        }

    def __call__(
        self,
        page_path: str,
        title: str,
        description: str,
        crumbs: Sequence[Crumb],
        article: Article | None = None,
        pager: Pager | None = None,
        items: Sequence[Article | TermGroup | YearGroup] | None = None,
        alternates: Mapping[str, str] | None = None,
    ) -> JsonObject:
        """The page's graph: NewsArticle, CollectionPage + ItemList or WebPage, breadcrumbs.

        `alternates` (language → site path of each version of the page, see i18n.py)
        links an article to its translations.
        """
        url = self.abs_url(page_path)
        graph: list[JsonObject] = []
        if page_path == self.home_path:
            graph.append(self.website(description))
        if article is not None:
            news = self.news_article(article, url, description)
            graph.append(news | self.translation_links(article, alternates or {}))
        elif pager is not None or items is not None:
            graph.append(self.collection(url, title, description, pager, items))
        else:
            graph.append(self.web_page(url, title, description, "WebPage"))
        graph.append(self.breadcrumbs(url, crumbs))
        return {"@context": _SCHEMA, "@graph": graph}

    def website(self, description: str) -> JsonObject:
        return {
            "@type": "WebSite",
            "@id": self.home + "#website",
            "url": self.home,
            "name": self.config.title,
            "description": description,
            "inLanguage": self.language,
            "publisher": self.organization,
        }

    def web_page(self, url: str, title: str, description: str, kind: str) -> JsonObject:
        return {
            "@type": kind,
            "@id": url,
            "url": url,
            "name": title,
            "description": description,
            "inLanguage": self.language,
            "isPartOf": {"@id": self.home + "#website"},
            "breadcrumb": {"@id": url + "#breadcrumb"},
        }

    def translation_links(self, article: Article, alternates: Mapping[str, str]) -> JsonObject:
        """schema.org pairs: the default language's version is the work, the others translations."""
        others = {lang: path for lang, path in sorted(alternates.items()) if lang != article.lang}
        original = others.get(self.config.language)
        if original is not None:
            return {"translationOfWork": {"@id": self.abs_url(original) + "#article"}}
        if others and article.lang == self.config.language:
            return {
                "workTranslation": [{"@id": self.abs_url(p) + "#article"} for p in others.values()]
            }
        return {}

    def news_article(self, article: Article, url: str, description: str) -> JsonObject:
        countries = [t for t in self.countries_of(article) if t.key in article.countries]
        data: JsonObject = {
            "@type": "NewsArticle",
            "@id": url + "#article",
            "url": url,
            "mainEntityOfPage": {"@type": "WebPage", "@id": url},
            "headline": article.title,
            "description": description,
            "datePublished": rfc3339(article.date),
            "dateModified": rfc3339(modified(article)),
            "inLanguage": article.lang,
            "author": self.organization,
            "publisher": self.organization,
            "isPartOf": {"@id": self.home + "#website"},
            "keywords": [t.name for t in (*countries, *self.themes_of(article))],
        }
        if article.place:
            data["dateline"] = article.place
        locations = [_country(t) for t in countries]
        if article.place:
            place: JsonObject = {"@type": "Place", "name": article.place}
            if locations:
                place["containedInPlace"] = locations[0]
            locations = [place, *locations[1:]]
        if locations:
            data["contentLocation"] = locations if len(locations) > 1 else locations[0]
        if article.image:
            data["image"] = [self.absolute(article.image)]
        return data

    def collection(
        self,
        url: str,
        title: str,
        description: str,
        pager: Pager | None,
        items: Sequence[Article | TermGroup | YearGroup] | None,
    ) -> JsonObject:
        shown: Sequence[Article | TermGroup | YearGroup] = pager.items if pager else items or ()
        first = (pager.number - 1) * self.config.per_page + 1 if pager else 1
        data = self.web_page(url, title, description, "CollectionPage")
        data["mainEntity"] = {
            "@type": "ItemList",
            "numberOfItems": len(shown),
            "itemListElement": [
                {
                    "@type": "ListItem",
                    "position": first + n,
                    "url": self.abs_url(path),
                    "name": name,
                }
                for n, (name, path) in enumerate(_name_and_path(item) for item in shown)
            ],
        }
        return data

    def breadcrumbs(self, url: str, crumbs: Sequence[Crumb]) -> JsonObject:
        return {
            "@type": "BreadcrumbList",
            "@id": url + "#breadcrumb",
            "itemListElement": [
                {"@type": "ListItem", "position": n, "name": name, "item": self.abs_url(path)}
                for n, (name, path) in enumerate(crumbs, start=1)
            ],
        }

    def absolute(self, url_or_path: str) -> str:
        """An image URL as given, or a site path made absolute."""
        return url_or_path if "://" in url_or_path else self.abs_url(url_or_path)


def _country(term: Term) -> JsonObject:
    return {"@type": "Country", "name": term.name, "identifier": term.key}


def _name_and_path(item: Article | TermGroup | YearGroup) -> Crumb:
    if isinstance(item, Article):
        return item.title, item.path
    if isinstance(item, TermGroup):
        return item.term.name, item.term.path
    return str(item.year), item.path


def install(env: jinja2.Environment, config: SiteConfig) -> None:
    """Add the metadata filters and globals to a build's environment (after render's own)."""
    abs_url: Callable[[str], str] = env.filters["abs_url"]
    countries_of = cast(TermsOf, env.globals["countries_of"])
    themes_of = cast(TermsOf, env.globals["themes_of"])
    env.filters.update(
        describe=describe,
        og_locale=og_locale,
        jsonld=script_json,
        rfc3339=rfc3339,
        xml_chars=xml_chars,
    )
    env.globals.update(
        structured_data=StructuredData(
            config,
            abs_url,
            countries_of,
            themes_of,
            language=getattr(env.globals.get("site"), "language", None),
            home_path=getattr(env.globals.get("site"), "home_path", "/"),
        ),
        modified=modified,
    )
