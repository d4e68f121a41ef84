"""Languages: which site each article belongs to, how pages pair up, and the UI catalogues.

A site lists its `languages` in dateline.toml; the default `language` is published at
the root, every other one below "/<code>/" with the whole site again (index, articles,
country, theme and archive pages, and whatever else the planners add). Versions of one
bulletin in different languages share a `translation_key`; listing pages pair up by
what they list (the same country, theme, year or month), so a reader can always switch.

UI strings come from gettext catalogues (`templates/locale/<lang>/LC_MESSAGES/
messages.po`, a site's own before the theme's), compiled in memory with Babel at every
build, so no binary file is kept in the repository. Translated URL segments live in the
same catalogue under the message context "url" (`msgctxt "url"`, `msgid "countries"`).

Pure apart from reading catalogue files; no clock.
"""

from __future__ import annotations

import io
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from types import MappingProxyType

from babel import Locale
from babel.messages.mofile import write_mo
from babel.messages.pofile import PoFileError, read_po
from babel.support import NullTranslations, Translations

from dateline.config import SiteConfig
from dateline.errors import Diagnostic, error, warning
from dateline.model import Archive, Article, Artifact, MonthGroup, Pager, Term, YearGroup
from dateline.urls import slugify

CATALOGUE = "{lang}/LC_MESSAGES/messages.po"  # below each locale folder
SOURCE_LANGUAGE = "en"  # the language the templates are written in: needs no catalogue


@dataclass(frozen=True, slots=True)
class Edition:
    """One language's version of the site: its code and the prefix of all its paths."""

    lang: str
    prefix: str  # "" for the default language, "/es" for the others


@dataclass(frozen=True, slots=True)
class LanguageLink:
    """A language as the switcher shows it: code, own name ("Español") and home page."""

    code: str
    name: str
    home: str


@dataclass(frozen=True, slots=True)
class UnpairedTranslation:
    """An article that looks like a translation of `candidates` but shares no key with them."""

    article: Article
    candidates: tuple[Article, ...]


def editions(config: SiteConfig) -> tuple[Edition, ...]:
    """The site's languages in config order, the default one (at the root) first."""
    ordered = (config.language, *(lang for lang in config.languages if lang != config.language))
    return tuple(Edition(lang, config.language_prefix(lang)) for lang in ordered)


def language_links(config: SiteConfig) -> tuple[LanguageLink, ...]:
    """Every language of the site with its name in itself, for the language switcher."""
    return tuple(
        LanguageLink(e.lang, language_name(e.lang), e.prefix + "/") for e in editions(config)
    )


def language_name(code: str) -> str:
    """A language's name in that language, capitalised as a menu item: "Español"."""
    name = Locale.parse(code.replace("-", "_")).get_display_name(code.replace("-", "_"))
    return (name or code)[:1].upper() + (name or code)[1:]


def articles_by_language(
    articles: Iterable[Article], config: SiteConfig
) -> dict[str, tuple[Article, ...]]:
    """Each language's articles; a language the site does not list goes to the default one.

    (The loader rejects such articles on a site with several languages, so on those
    the fallback never applies; on a one-language site it keeps today's behaviour.)
    """
    found: dict[str, list[Article]] = {lang: [] for lang in config.languages}
    for article in articles:
        found[article.lang if article.lang in found else config.language].append(article)
    return {lang: tuple(items) for lang, items in found.items()}


# ---------------------------------------------------------------------------------------
# Catalogues


def load_catalogues(
    config: SiteConfig, locale_dirs: Sequence[Path]
) -> tuple[dict[str, NullTranslations], list[Diagnostic]]:
    """The UI translations of every language of the site, and any problem in the .po files.

    `locale_dirs` are searched in order (the site's `templates/locale` first): a site's
    catalogue overrides single messages of the theme's and falls back to it for the rest.
    A language other than English with no catalogue at all gets a warning and English UI.
    """
    catalogues: dict[str, NullTranslations] = {}
    problems: list[Diagnostic] = []
    for lang in config.languages:
        found: list[Translations] = []
        for base in locale_dirs:
            path = base / CATALOGUE.format(lang=lang)
            if path.is_file():
                loaded = _compile(path, config.root, problems)
                if loaded is not None:
                    found.append(loaded)
        if not found and lang != SOURCE_LANGUAGE:
            problems.append(
                warning(
                    "dateline.toml",
                    None,
                    f"there is no catalogue of UI strings for {lang!r}: menus and labels stay in English",
                    f"add templates/locale/{lang}/LC_MESSAGES/messages.po (see 'Languages' in the README)",
                )
            )
        catalogues[lang] = _chain(found)
    return catalogues, problems


def _compile(path: Path, root: Path, problems: list[Diagnostic]) -> Translations | None:
    """Read a .po file and compile it to gettext's binary form in memory."""
    shown = _display_path(path, root)
    try:
        with path.open("rb") as handle:
            catalog = read_po(handle, abort_invalid=True)
    except PoFileError as exc:
        problems.append(error(shown, exc.lineno, f"the catalogue is not valid: {exc}"))
        return None
    except (OSError, UnicodeDecodeError) as exc:
        problems.append(error(shown, None, f"the catalogue cannot be read: {exc}"))
        return None
    bad = False
    for message, errors in catalog.check():
        for problem in errors:
            bad = True
            hint = "keep every %(name)s of the English text, spelled the same, in the translation"
            problems.append(error(shown, message.lineno, f"{problem}", hint))
    if bad:
        return None
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(buffer)


def _chain(found: list[Translations]) -> NullTranslations:
    if not found:
        return NullTranslations()
    first = found[0]
    for fallback in found[1:]:
        first.add_fallback(fallback)
    return first


def _display_path(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        parts = path.parts
        return "/".join(parts[parts.index("templates") :]) if "templates" in parts else str(path)


def taxonomy_paths(prefix: str, catalogue: NullTranslations) -> dict[str, str]:
    """The index paths of the taxonomies in one language: {"countries": "/es/paises/"}.

    The default language (prefix "") keeps "/countries/" and "/themes/" whatever its
    language, so a one-language site's URLs never change. The others translate the
    segment through the catalogue (msgctxt "url"), made URL-safe with slugify.
    """
    if not prefix:
        return {"countries": "/countries/", "themes": "/themes/"}
    # literal calls, so that `pybabel extract` finds the segments to translate
    translated = {
        "countries": catalogue.pgettext("url", "countries"),
        "themes": catalogue.pgettext("url", "themes"),
    }
    return {kind: f"{prefix}/{slugify(str(text)) or kind}/" for kind, text in translated.items()}


# ---------------------------------------------------------------------------------------
# Pairs


def translation_key_problems(articles: Iterable[Article]) -> list[Diagnostic]:
    """An error for every two articles of one language that share a translation_key."""
    seen: dict[tuple[str, str], Article] = {}
    problems = []
    for article in sorted(articles, key=lambda a: (a.source.path, a.source.line)):
        if article.translation_key is None:
            continue
        first = seen.setdefault((article.lang, article.translation_key), article)
        if first is not article:
            problems.append(
                error(
                    article.source.path,
                    article.source.line,
                    f"translation_key {article.translation_key!r} is also used by {first.source} "
                    f"in the same language ({article.lang})",
                    "each language has one version of a bulletin: give this one its own key",
                )
            )
    return problems


def page_key(artifact: Artifact) -> str | None:
    """What makes two pages in different languages versions of each other, if anything.

    Articles pair by `translation_key`; listings pair by what they list (page 1 only,
    since page 2 of a listing in one language shows other articles than in another).
    Pages of kinds this function does not know (feeds, redirects, 404) do not pair.
    """
    context = artifact.context
    pager = context.get("pager")
    if isinstance(pager, Pager) and pager.number != 1:
        return None
    article, term = context.get("article"), context.get("term")
    year, month = context.get("year"), context.get("month")
    kinds = {
        "article": f"article:{article.translation_key}"
        if isinstance(article, Article) and article.translation_key
        else None,
        "index": "index",
        "terms": f"terms:{context.get('kind')}",
        "term": f"term:{term.kind.value}:{term.key}" if isinstance(term, Term) else None,
        "archive": "archive",
        "search": "search",
        "year": f"year:{year.year}" if isinstance(year, YearGroup) else None,
        "month": f"month:{month.year}-{month.month}" if isinstance(month, MonthGroup) else None,
    }
    return kinds.get(artifact.kind)


def link_translations(artifacts: Iterable[Artifact]) -> tuple[Artifact, ...]:
    """Give each page that exists in several languages the paths of all its versions.

    Reciprocal by construction: all versions of a page get the same `alternates`.
    """
    items = tuple(artifacts)
    if len({artifact.lang for artifact in items}) < 2:
        return items  # one language: no page has another version (and no key is needed)
    keys = [page_key(artifact) for artifact in items]  # once per page, not twice
    versions: dict[str, dict[str, str]] = defaultdict(dict)
    for artifact, key in zip(items, keys, strict=True):
        if key is not None:
            versions[key].setdefault(artifact.lang, artifact.path)
    result = []
    for artifact, key in zip(items, keys, strict=True):
        found = versions.get(key, {}) if key is not None else {}
        if len(found) > 1 and found.get(artifact.lang) == artifact.path:
            artifact = replace(artifact, alternates=MappingProxyType(dict(sorted(found.items()))))
        result.append(artifact)
    return tuple(result)


def translations_of(article: Article, archives: Iterable[Archive]) -> dict[str, Article]:
    """The other-language versions of an article, by language (for JSON-LD, feeds, tools)."""
    if article.translation_key is None:
        return {}
    return {
        archive.lang: other
        for archive in archives
        if archive.lang != article.lang
        for other in archive.articles
        if other.translation_key == article.translation_key
    }


def find_unpaired_translations(articles: Iterable[Article]) -> tuple[UnpairedTranslation, ...]:
    """Articles that look like translations of each other but are not linked by a key.

    Two articles look like versions of one bulletin when they are in different
    languages, carry the same publication date (calendar day) and share a country.
    One is reported when it has no version at all (by translation_key) in the other's
    language. Pure, deterministic (sorted by source), for `dateline check` to warn with.
    """
    items = tuple(articles)
    keyed: set[tuple[str, str]] = {
        (a.translation_key, a.lang) for a in items if a.translation_key is not None
    }

    def paired_in(article: Article, lang: str) -> bool:
        key = article.translation_key
        return key is not None and (key, lang) in keyed

    by_day: dict[object, list[Article]] = defaultdict(list)
    for article in items:
        by_day[article.date.date()].append(article)
    found = []
    for article in sorted(items, key=lambda a: (a.source.path, a.source.line)):
        candidates = tuple(
            other
            for other in by_day[article.date.date()]
            if other.lang != article.lang
            and set(other.countries) & set(article.countries)
            and not paired_in(article, other.lang)
            and not paired_in(other, article.lang)
        )
        if candidates:
            found.append(UnpairedTranslation(article, candidates))
    return tuple(found)


def unpaired_translation_warnings(articles: Iterable[Article]) -> list[Diagnostic]:
    """`find_unpaired_translations` as warnings pointing at each article's file and line."""
    problems = []
    for item in find_unpaired_translations(articles):
        others = ", ".join(f"{o.source} ({o.lang})" for o in item.candidates)
        problems.append(
            warning(
                item.article.source.path,
                item.article.source.line,
                f"{item.article.title!r} ({item.article.lang}) may be a translation of {others}",
                "if they are versions of one bulletin, give both the same 'translation_key: …'",
            )
        )
    return problems


def alternates_by_language(alternates: Mapping[str, str], default: str) -> list[tuple[str, str]]:
    """hreflang pairs for a page's <head> or sitemap entry: each version, then x-default.

    x-default is the default language's version (omitted when it has none).
    """
    pairs = sorted(alternates.items())
    if default in alternates:
        pairs.append(("x-default", alternates[default]))
    return pairs
