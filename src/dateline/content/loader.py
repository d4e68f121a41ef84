"""Stage 1: content files → `Article` records, and every problem with its path:line.

Both formats end in the same place: a Markdown file's front matter and body, or
a digest entry's date, title and lead, become raw fields; `_finish` then reads
the dateline, resolves countries (front matter → dateline place → title) and
themes (front matter → keyword rules), and fixes the article's URL.
"""

from __future__ import annotations

import datetime as dt
import difflib
import hashlib
import os
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from dateline.cache import ContentCache, Loaded
from dateline.config import SiteConfig, ThemeRule
from dateline.content import datelines, dates, digest, frontmatter, sources
from dateline.content.gazetteer import Gazetteer, load_gazetteer
from dateline.content.markup import (
    MarkdownRenderer,
    first_paragraph_text,
    paragraphs_html,
    plain_first_paragraph,
    shorten,
)
from dateline.errors import Diagnostic, SourceLocation, error, sorted_diagnostics, warning
from dateline.model import Article, Body
from dateline.parallel import run_all
from dateline.urls import UnsafePathError, check_site_path, is_safe_url, slugify

KNOWN_FIELDS = (
    "title", "date", "updated", "country", "countries", "themes", "summary", "slug",
    "place", "draft", "lang", "image", "translation_key", "redirect_from",
)  # fmt: skip
SUMMARY_LIMIT = 300
# A long bulletin is ~50 kB; Markdown takes ~3 s per MB, so a bigger file is a paste
# accident (an embedded image, a whole report) that would stall every build.
MAX_MARKDOWN_CHARS = 2_000_000
_LANG_TAG = re.compile(r"[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8})*")


@dataclass(frozen=True, slots=True)
class LoadResult:
    articles: tuple[Article, ...]
    diagnostics: tuple[Diagnostic, ...]


@dataclass(frozen=True, slots=True)
class Loader:
    """What loading needs besides the file: config, gazetteer and a Markdown renderer."""

    config: SiteConfig
    gazetteer: Gazetteer
    markdown: MarkdownRenderer

    @classmethod
    def for_site(cls, config: SiteConfig) -> Loader:
        return cls(
            config,
            load_gazetteer().with_places(config.places),
            MarkdownRenderer(allow_raw_html=config.allow_raw_html),
        )


@dataclass(slots=True)
class _Raw:
    """Fields as read from one source, before the shared resolution steps."""

    path: str
    line: int
    text: str
    title: str
    date: dt.datetime
    lead: str  # first paragraph as plain text (the dateline still on it)
    body_html: str | None  # None: `_finish` converts the Markdown body (once, dateline cut)
    fields: Mapping[str, Any]
    lines: Mapping[str, int]


def load_site(
    config: SiteConfig,
    *,
    cache: ContentCache | None = None,
    jobs: int = 1,
    earlier: Mapping[str, tuple[str, Loaded]] | None = None,
) -> LoadResult:
    """Load every content file of the site; collect all diagnostics, never stop at the first.

    Files the cache knows are not even read; the others are parsed (in `jobs` processes
    when there are many) and added to it. `earlier` (the last full build's loads, by
    file: digest and result; snapshot.py) is used first where a file's digest matches.
    A file neither of them has seen is read where it is parsed, not here: a cold build
    would otherwise hold every text in this process at once, and fork its workers with
    them (a second copy in summed RSS).
    """
    relatives, problems = sources.discover(config.root, config.content_dir)
    cache = cache or ContentCache(None, "")
    earlier = earlier or {}
    loaded: dict[str, Loaded] = {}
    misses: list[tuple[sources.SourceFile | str, os.stat_result]] = []

    def known(relative: str, digest: str) -> Loaded | None:
        found = earlier.get(relative)
        if found is not None and found[0] == digest:
            cache.keep(relative, digest)  # its cache entry stays, unread
            return found[1]
        return cache.get(relative, digest)

    for relative in relatives:
        if relative not in earlier and not cache.has_seen(relative):  # a sure miss:
            stat = os.stat(f"{config.root}{os.sep}{relative}")  # noqa: PTH116 - as below
            misses.append((relative, stat))  # read by the worker that parses it
            continue
        found = current_digest(config, cache, relative)
        if isinstance(found, Diagnostic):
            problems.append(found)
            continue
        stat, digest, source = found
        hit = known(relative, digest)
        if hit is None:
            read = source or sources.read_source(config.root / relative, config.root)
            if isinstance(read, Diagnostic):
                problems.append(read)
            else:
                misses.append((read, stat))
            continue
        if source is not None:  # read because its size or mtime changed: note the new ones
            cache.put(relative, stat, digest, hit)
        loaded[relative] = hit
    results = run_all(_load_in_worker, [s for s, _ in misses], jobs=jobs, setup=_worker_setup,
                      setup_args=(config,))  # fmt: skip
    for (unit, stat), result in zip(misses, results, strict=True):
        if isinstance(result, Diagnostic):  # a file read only there, and unreadable
            problems.append(result)
            continue
        digest, fresh = result
        relative = unit if isinstance(unit, str) else unit.path
        cache.put(relative, stat, digest, fresh)
        loaded[relative] = fresh
    cache.save(relatives, prune=not earlier)  # with `earlier`, most entries were never read
    articles: list[Article] = []
    for relative in relatives:
        if relative in loaded:
            # a fresh body's text is in the cache now: read from there when a page shows it
            articles.extend(cache.resting(loaded[relative][0]))
            problems.extend(loaded[relative][1])
    problems.extend(_collisions(articles))
    return LoadResult(
        tuple(sorted(articles, key=lambda a: a.sort_key)), sorted_diagnostics(problems)
    )


def current_digest(
    config: SiteConfig, cache: ContentCache, relative: str
) -> tuple[os.stat_result, str, sources.SourceFile | None] | Diagnostic:
    """A content file's stat and digest: the cache's when its size and mtime are unchanged
    (the file is not read), else by reading it (and the source read is returned too)."""
    stat = os.stat(f"{config.root}{os.sep}{relative}")  # noqa: PTH116 - a str: no Path per file
    digest = cache.known_digest(relative, stat)
    if digest is not None:
        return stat, digest, None
    source = sources.read_source(config.root / relative, config.root)
    return source if isinstance(source, Diagnostic) else (stat, source.digest, source)


_worker_loader: list[Loader] = []


def _worker_setup(config: SiteConfig) -> None:
    _worker_loader[:] = [Loader.for_site(config)]


def _load_in_worker(unit: sources.SourceFile | str) -> tuple[str, Loaded] | Diagnostic:
    """(Digest, loads) of a file read already, or of one read here first (`unit`: its path)."""
    loader = _worker_loader[0]
    root = loader.config.root
    source = (
        unit if isinstance(unit, sources.SourceFile) else sources.read_source(root / unit, root)
    )
    if isinstance(source, Diagnostic):
        return source
    return source.digest, load_source(source, loader)


def load_source(
    source: sources.SourceFile, loader: Loader, *, default_date: dt.datetime | None = None
) -> tuple[list[Article], list[Diagnostic]]:
    """Parse one file in either format; `default_date` dates undated digest entries (import)."""
    if source.path.lower().endswith(".txt"):
        return _load_digest(source, loader, default_date)
    return _load_markdown(source, loader)


def parse_digest_entries(
    text: str, loader: Loader, default_date: dt.datetime | None = None
) -> tuple[list[digest.DigestEntry], list[digest.DigestProblem]]:
    """The digest parser exactly as loading calls it (the importer reuses it).

    A line that is a date that does not exist ("31 February 2019") is reported, not
    swallowed into the previous entry's lead.
    """
    tz = loader.config.tz
    impossible: dict[str, dates.ImpossibleDateError] = {}

    def date_line(line: str) -> dt.datetime | None:
        try:
            return dates.parse_date(line, tz=tz)
        except dates.ImpossibleDateError as exc:
            impossible[line] = exc
        except dates.DateParseError:
            pass
        return None

    entries, problems = digest.parse_digest(
        text, date_line, country_code=loader.gazetteer.country_code, default_date=default_date
    )
    if impossible:
        problems += [
            digest.DigestProblem(number, f"invalid date {line!r}: {exc.message}", exc.hint)
            for number, line in digest.paragraphs_of(text)
            if (exc := impossible.get(line)) is not None
        ]
    return entries, problems


def _load_digest(
    source: sources.SourceFile, loader: Loader, default_date: dt.datetime | None = None
) -> tuple[list[Article], list[Diagnostic]]:
    entries, problems = parse_digest_entries(source.text, loader, default_date)
    diagnostics = [error(source.path, p.line, p.message, p.hint) for p in problems]
    if not entries and not problems:
        diagnostics.append(warning(source.path, None, "the digest has no entries"))
    articles = []
    for entry in entries:
        raw = _Raw(
            path=source.path, line=entry.line, text=entry.text, title=entry.title, date=entry.date,
            lead=" ".join(entry.paragraphs[0].split()) if entry.paragraphs else "",
            body_html="",
            fields={"countries": list(entry.countries)} if entry.countries else {},
            lines={"countries": entry.countries_line} if entry.countries_line else {},
        )  # fmt: skip
        article, found = _finish(raw, loader, lead_paragraphs=entry.paragraphs)
        diagnostics.extend(found)
        if article is not None:
            articles.append(article)
    return articles, diagnostics


def _load_markdown(
    source: sources.SourceFile, loader: Loader
) -> tuple[list[Article], list[Diagnostic]]:
    path = source.path
    if not source.text.strip():
        return [], [warning(path, None, "the file is empty; it is skipped")]
    if len(source.text) > MAX_MARKDOWN_CHARS:
        size = f"{len(source.text) / 1_000_000:.1f} million characters"
        return [], [
            error(
                path,
                None,
                f"the file is too long for one bulletin ({size}; the limit is 2 million)",
                "split it into several bulletins, or remove pasted data such as embedded images",
            )
        ]
    try:
        fm = frontmatter.parse_front_matter(source.text)
    except frontmatter.FrontMatterError as exc:
        return [], [error(path, exc.line, exc.message, exc.hint)]
    problems: list[Diagnostic] = []
    for key in fm.data:
        if key not in KNOWN_FIELDS:
            close = difflib.get_close_matches(key, KNOWN_FIELDS, n=1)
            hint = (
                f"did you mean '{close[0]}'?"
                if close
                else "known fields: " + ", ".join(KNOWN_FIELDS)
            )
            problems.append(
                warning(
                    path, fm.line_of(key), f"unknown front matter field '{key}' is ignored", hint
                )
            )
    title = _text_field(fm, "title", path, problems, required=True)
    date = _date_field(fm, "date", path, loader.config, problems, required=True)
    if title is None or date is None:
        return [], problems
    body = fm.body
    # A plain first paragraph (the usual lead) is read from the source: its dateline is cut
    # before the one conversion. Otherwise convert first to find the lead in the HTML.
    lead = plain_first_paragraph(body)
    body_html = None if lead is not None else loader.markdown.convert(body)
    if body_html is not None:
        lead = first_paragraph_text(body_html)
    raw = _Raw(path, 1, source.text, title, date, lead or "", body_html, fm.data, fm.key_lines)
    article, found = _finish(raw, loader, markdown_body=body)
    return ([article] if article else []), problems + found


def _finish(
    raw: _Raw,
    loader: Loader,
    *,
    lead_paragraphs: tuple[str, ...] | None = None,
    markdown_body: str | None = None,
) -> tuple[Article | None, list[Diagnostic]]:
    """Resolve dateline, countries, themes, summary and URL: the same for both formats."""
    problems: list[Diagnostic] = []
    config, gaz, fields = loader.config, loader.gazetteer, raw.fields

    def line_of(key: str) -> int:
        return raw.lines.get(key, raw.line)

    found_dateline, rest = datelines.split_dateline(raw.lead, gaz)
    body_html = raw.body_html or ""
    if lead_paragraphs is not None:
        shown = list(lead_paragraphs)
        if found_dateline and shown:
            shown[0] = rest
        body_html = paragraphs_html([p for p in shown if p.strip()])
    elif markdown_body is not None:
        cut = _strip_dateline(markdown_body, found_dateline.raw) if found_dateline else None
        if raw.body_html is None or (cut is not None and cut != markdown_body):
            body_html = loader.markdown.convert(markdown_body if cut is None else cut)
    lead = rest if found_dateline else raw.lead

    place = _opt_text(fields, "place", raw, problems) or (
        found_dateline.place if found_dateline else None
    )
    countries = _countries(raw, gaz, problems)
    if countries is None:
        countries = found_dateline.countries if found_dateline else ()
        if not countries and place:
            hit = gaz.lookup(place)
            countries = (hit.country,) if hit else ()
        if not countries:
            countries = gaz.countries_in_title(raw.title)
    themes = _themes(raw, config.themes, lead, problems, config.theme_names)
    summary = _opt_text(fields, "summary", raw, problems) or shorten(lead, SUMMARY_LIMIT)
    slug_given = _opt_text(fields, "slug", raw, problems)
    slug = slugify(slug_given or raw.title)
    if not slug:
        problems.append(
            error(
                raw.path,
                line_of("slug" if slug_given else "title"),
                "the title has no letters or digits to make a URL from",
                "add 'slug: my-bulletin' to the front matter",
            )
        )
        return None, problems
    lang = _opt_text(fields, "lang", raw, problems) or config.language
    if not _LANG_TAG.fullmatch(lang):
        problems.append(
            error(
                raw.path,
                line_of("lang"),
                f"'lang' must be a language code such as en or es-MX, not {lang!r}",
            )
        )
        return None, problems
    if config.multilingual and lang not in config.languages:
        problems.append(
            error(
                raw.path,
                line_of("lang"),
                f"'lang' is {lang!r}, not one of the site's languages {list(config.languages)}",
                f"use one of them, or add {lang!r} to 'languages' in dateline.toml",
            )
        )
        return None, problems
    path = _permalink(config.permalink, raw.date, slug, lang)
    if lang in config.languages and "{lang}" not in config.permalink:
        path = config.language_prefix(lang) + path  # "/es/news/…"; the default stays at the root
    try:
        check_site_path(path)
    except UnsafePathError as exc:
        problems.append(error(raw.path, line_of("slug"), f"the article's URL is unsafe: {exc}"))
        return None, problems
    draft = fields.get("draft", False)
    if not isinstance(draft, bool):
        problems.append(error(raw.path, line_of("draft"), "'draft' must be true or false"))
        draft = True
    image = _opt_text(fields, "image", raw, problems)
    if image and not is_safe_url(image):
        problems.append(
            error(
                raw.path,
                line_of("image"),
                "'image' must be a web address or a path, not a script URL",
            )
        )
        image = None
    updated = _date_field_raw(raw, "updated", config, problems)
    digest_source = f"{raw.path}\n{raw.line}\n{raw.text}"
    article = Article(
        source=_loc(raw), digest=hashlib.sha256(digest_source.encode()).hexdigest(), slug=slug,
        path=path, title=raw.title, date=raw.date, updated=updated, place=place,
        countries=countries, themes=themes, summary=summary, body=Body.of(body_html), lang=lang,
        draft=draft, image=image, translation_key=_opt_text(fields, "translation_key", raw, problems),
        redirect_from=_redirects(raw, problems),
    )  # fmt: skip
    return article, problems


def _loc(raw: _Raw) -> SourceLocation:
    return SourceLocation(raw.path, raw.line)


def _strip_dateline(body: str, prefix: str) -> str:
    stripped = body.lstrip()
    return stripped[len(prefix) :] if stripped.startswith(prefix) else body


def _permalink(pattern: str, date: dt.datetime, slug: str, lang: str) -> str:
    return pattern.format(
        year=f"{date.year:04d}",
        month=f"{date.month:02d}",
        day=f"{date.day:02d}",
        slug=slug,
        lang=lang,
    )


def _text_field(
    fm: frontmatter.FrontMatter, key: str, path: str, problems: list[Diagnostic], *, required: bool
) -> str | None:
    value = fm.data.get(key)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            problems.append(
                error(
                    path,
                    fm.line_of(key) if key in fm.data else 1,
                    f"the '{key}' is missing",
                    f"add a line '{key}: …' to the front matter",
                )
            )
        return None
    if not isinstance(value, str):
        problems.append(
            error(
                path,
                fm.line_of(key),
                f"'{key}' must be a text, not {type(value).__name__} {value!r}",
                f"put the {key} in quotes",
            )
        )
        return None
    return " ".join(value.split())


def _opt_text(
    fields: Mapping[str, Any], key: str, raw: _Raw, problems: list[Diagnostic]
) -> str | None:
    value = fields.get(key)
    if value is None:
        return None
    if (
        isinstance(value, (int, float))
        and not isinstance(value, bool)
        and key in ("slug", "translation_key")
    ):
        value = str(value)
    if not isinstance(value, str):
        problems.append(
            error(raw.path, raw.lines.get(key, raw.line), f"'{key}' must be a text, not {value!r}")
        )
        return None
    return " ".join(value.split()) or None


def _date_field(
    fm: frontmatter.FrontMatter,
    key: str,
    path: str,
    config: SiteConfig,
    problems: list[Diagnostic],
    *,
    required: bool,
) -> dt.datetime | None:
    value = fm.data.get(key)
    line = fm.line_of(key) if key in fm.data else 1
    if value is None:
        if required:
            problems.append(
                error(
                    path,
                    line,
                    f"the '{key}' is missing",
                    f"add a line '{key}: 2018-07-06' to the front matter",
                )
            )
        return None
    if not isinstance(value, str):
        problems.append(
            error(
                path,
                line,
                f"'{key}' must be a date such as 2018-07-06, not {value!r}",
                "write the date as YYYY-MM-DD",
            )
        )
        return None
    try:
        return dates.parse_date(value, tz=config.tz)
    except dates.DateParseError as exc:
        problems.append(error(path, line, f"invalid {key} {value!r}: {exc.message}", exc.hint))
        return None


def _date_field_raw(
    raw: _Raw, key: str, config: SiteConfig, problems: list[Diagnostic]
) -> dt.datetime | None:
    if key not in raw.fields:
        return None
    fm = frontmatter.FrontMatter(dict(raw.fields), dict(raw.lines), "", 0)
    return _date_field(fm, key, raw.path, config, problems, required=False)


def _as_list(value: Any) -> list[Any] | None:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return value
    return None


def _countries(raw: _Raw, gaz: Gazetteer, problems: list[Diagnostic]) -> tuple[str, ...] | None:
    """Countries from front matter (None when it names none): codes or names, validated."""
    values: list[Any] = []
    for key in ("country", "countries"):
        if key in raw.fields and raw.fields[key] is not None:
            items = _as_list(raw.fields[key])
            if items is None:
                problems.append(
                    error(
                        raw.path,
                        raw.lines.get(key, raw.line),
                        f"'{key}' must be a country or a list of countries, e.g. [SV, GT]",
                    )
                )
                continue
            values.extend(items)
    if not values:
        return None
    codes: list[str] = []
    for value in values:
        line = raw.lines.get("countries", raw.lines.get("country", raw.line))
        code = gaz.country_code(value) if isinstance(value, str) else None
        if code is None:
            near = gaz.suggest(str(value))
            hint = (
                f"did you mean {', '.join(near)}?"
                if near
                else "use an ISO code such as SV or a name such as El Salvador"
            )
            problems.append(error(raw.path, line, f"unknown country {value!r}", hint))
        elif code not in codes:
            codes.append(code)
    return tuple(codes)


def _themes(
    raw: _Raw,
    rules: tuple[ThemeRule, ...],
    lead: str,
    problems: list[Diagnostic],
    translated: Mapping[str, Mapping[str, str]],
) -> tuple[str, ...]:
    if "themes" in raw.fields and raw.fields["themes"] is not None:
        items = _as_list(raw.fields["themes"])
        if items is None or not all(isinstance(t, str) and t.strip() for t in items):
            problems.append(
                error(
                    raw.path,
                    raw.lines.get("themes", raw.line),
                    "'themes' must be a list of texts, e.g. [Health, Disasters]",
                )
            )
            return ()
        by_slug = {rule.slug: rule.name for rule in rules}
        for names_in_lang in translated.values():  # "Trata de personas" → "Trafficking in persons"
            for theme, name in names_in_lang.items():
                by_slug.setdefault(slugify(name), by_slug.get(slugify(theme), theme))
        names = [by_slug.get(slugify(t), " ".join(t.split())) for t in items]
        return tuple(dict.fromkeys(n for n in names if slugify(n)))
    return match_themes(f"{raw.title}\n{lead}", rules)


def match_themes(text: str, rules: Iterable[ThemeRule]) -> tuple[str, ...]:
    """Themes whose keywords start a word of the text (so 'disaster' finds 'disasters')."""
    lowered = text.lower()
    return tuple(
        rule.name
        for rule in rules
        if any(re.search(rf"(?<!\w){re.escape(k)}", lowered) for k in rule.keywords)
    )


def _redirects(raw: _Raw, problems: list[Diagnostic]) -> tuple[str, ...]:
    value = raw.fields.get("redirect_from")
    if value is None:
        return ()
    items = _as_list(value)
    good = []
    for item in items or [None]:
        try:
            if not isinstance(item, str):
                raise UnsafePathError("must be a list of site paths such as /old/url/")
            path = item if item.endswith("/") or "." in item.rsplit("/", 1)[-1] else item + "/"
            good.append(check_site_path(path))
        except UnsafePathError as exc:
            problems.append(
                error(raw.path, raw.lines.get("redirect_from", raw.line), f"'redirect_from' {exc}")
            )
    return tuple(good)


def _collisions(articles: list[Article]) -> list[Diagnostic]:
    by_path: defaultdict[str, list[Article]] = defaultdict(list)
    for article in articles:
        by_path[article.path].append(article)
    problems = []
    for path, group in sorted(by_path.items()):
        if len(group) > 1:
            others = ", ".join(str(a.source) for a in group)
            for article in group:
                problems.append(
                    error(
                        article.source.path,
                        article.source.line,
                        f"two articles have the same URL {path}: {others}",
                        "give one of them a different title or a 'slug:'",
                    )
                )
    return problems
