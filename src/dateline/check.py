"""`dateline check`: load, plan and render the whole site in memory; write nothing.

Errors are exactly what the build refuses (config, content, URL collisions,
template errors). Warnings are the content mistakes a build lets through but a
reader would notice: no country, a place the gazetteer does not know, an unknown
theme, an empty body, an over-long summary, the same title twice on one day, a
future date, and a Markdown link or image to a page or file the site does not
have. Drafts and future-dated articles are checked too. No clock: `now` is given.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import difflib
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

from dateline.build import SitePlan, plan_build, static_files
from dateline.cli import add_site_folder
from dateline.config import SiteConfig, load_config
from dateline.content.gazetteer import Gazetteer, load_gazetteer
from dateline.content.loader import SUMMARY_LIMIT, load_site
from dateline.content.markup import plain_text
from dateline.errors import DatelineError, Diagnostic, Severity, sorted_diagnostics, warning
from dateline.i18n import unpaired_translation_warnings
from dateline.model import Article
from dateline.parallel import default_jobs
from dateline.render import RenderError, make_environment, render_artifact
from dateline.urls import base_path, slugify

FORMATS = ("text", "json", "github")


@dataclass(frozen=True, slots=True)
class CheckReport:
    articles: int
    pages: int
    diagnostics: tuple[Diagnostic, ...]

    @property
    def errors(self) -> int:
        return sum(d.is_error for d in self.diagnostics)


def check_site(
    root: Path, *, now: dt.datetime, overrides: Mapping[str, object] | None = None
) -> CheckReport:
    """Every problem of the site at `root`, errors first to fix, in file order."""
    try:
        config = load_config(root, overrides)
    except DatelineError as exc:
        return CheckReport(0, 0, sorted_diagnostics(exc.diagnostics))
    loaded = load_site(config, jobs=default_jobs())
    found = list(content_warnings(loaded.articles, config, now=now))
    found.extend(unpaired_translation_warnings(loaded.articles))
    try:
        plan = plan_build(root, now=now, drafts=True, overrides=overrides, loaded=loaded)
    except DatelineError as exc:
        return CheckReport(len(loaded.articles), 0, sorted_diagnostics([*exc.diagnostics, *found]))
    found.extend(plan.diagnostics)
    found.extend(render_problems(plan))
    targets = {a.path for a in plan.artifacts} | {"/" + p for p, _ in static_files(config)}
    for article in loaded.articles:
        found.extend(link_problems(article, config, targets))
    return CheckReport(len(loaded.articles), len(plan.artifacts), sorted_diagnostics(found))


def render_problems(plan: SitePlan) -> list[Diagnostic]:
    """Render every page in memory, as the build does; one diagnostic per template fault."""
    archives = plan.archives or (plan.archive,)
    envs = {a.lang: make_environment(plan.config, a, plan.catalogues.get(a.lang)) for a in archives}
    problems: list[Diagnostic] = []
    for artifact in plan.artifacts:
        try:
            render_artifact(envs[artifact.lang or plan.config.language], artifact)
        except RenderError as exc:
            if exc.diagnostic not in problems:
                problems.append(exc.diagnostic)
    return problems


def content_warnings(
    articles: Iterable[Article], config: SiteConfig, *, now: dt.datetime
) -> Iterator[Diagnostic]:
    """The per-article warnings the build does not give (it already warns about countries)."""
    gazetteer = load_gazetteer().with_places(config.places)
    vocabulary = [rule.name for rule in config.themes]
    known = {slugify(name) for name in vocabulary}
    seen: dict[tuple[dt.date, str, str], Article] = {}
    for a in sorted(articles, key=lambda a: (a.source.path, a.source.line or 0)):
        path, line = a.source.path, a.source.line
        if a.place:
            yield from _place_warning(a, gazetteer)
        for theme in a.themes:
            if vocabulary and slugify(theme) not in known:
                near = difflib.get_close_matches(theme, vocabulary, n=1, cutoff=0.5)
                hint = (
                    f"did you mean {near[0]!r}?" if near else "add it to [themes] in dateline.toml"
                )
                yield warning(path, line, f"unknown theme {theme!r}", hint)
        if not plain_text(a.body_html):
            yield warning(path, line, f"{a.title!r} has no text", "write the lead below the title")
        if len(a.summary) > SUMMARY_LIMIT:
            yield warning(
                path,
                line,
                f"the summary has {len(a.summary)} characters (more than {SUMMARY_LIMIT})",
                "shorten it to one or two sentences",
            )
        key = (a.date.date(), a.lang, " ".join(a.title.casefold().split()))
        if key in seen:
            yield warning(
                path,
                line,
                f"the same title on the same date as {seen[key].source}: {a.title!r}",
                "is it the same bulletin twice? remove one, or change a title",
            )
        seen.setdefault(key, a)
        if a.date > now:
            yield warning(
                path,
                line,
                f"dated in the future ({a.date.date().isoformat()}): it is held back until then",
                "check the year; 'dateline build --drafts' previews it",
            )


def _place_warning(article: Article, gazetteer: Gazetteer) -> Iterator[Diagnostic]:
    """A place is known when its first part is ("Tapachula" of "Tapachula, Mexico")."""
    first = (article.place or "").split(",")[0].strip()
    if gazetteer.lookup(first) is not None:
        return
    near = gazetteer.suggest(first)
    code = article.countries[0] if article.countries else "MX"
    add = f'add it to [places] in dateline.toml: "{first}" = "{code}"'
    yield warning(
        article.source.path,
        article.source.line,
        f"the place {first!r} is not in the gazetteer",
        f"did you mean {', '.join(near)}? If the spelling is right, {add}" if near else add,
    )


class _Links(HTMLParser):
    """Collect the href of every <a> and the src of every <img> of a body."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        wanted = {"a": "href", "img": "src"}.get(tag)
        for name, value in attrs:
            if name == wanted and value:
                self.found.append(("image" if tag == "img" else "link", value))


def link_problems(article: Article, config: SiteConfig, targets: set[str]) -> list[Diagnostic]:
    """A warning for each link or image to this site that no page or static file serves."""
    parser = _Links()
    parser.feed(article.body_html)
    parser.close()
    problems = []
    for kind, href in parser.found:
        target = internal_target(href, article.path, config.base_url)
        if target is None or (target and _served(target, targets)):
            continue
        line = _line_of(config.root / article.source.path, href) or article.source.line
        if target == "":
            message = (
                f"the {kind} {href!r} leaves the site (it lives under {base_path(config.base_url)})"
            )
            hint = "write the path relative to the site, e.g. ../../other-article/"
        else:
            message = f"the {kind} {href!r} points to {target}, which the site does not have"
            hint = "check the address: 'dateline list' shows every article's URL"
        problems.append(warning(article.source.path, line, message, hint))
    return problems


def internal_target(href: str, page_path: str, base_url: str) -> str | None:
    """The site path a link on page `page_path` leads to; None for other sites and `#…`.

    "" means it is on the site's host but outside its base path, so it cannot work.
    """
    if href.startswith("#"):
        return None
    prefix = base_path(base_url)
    page = urljoin(base_url, prefix + page_path.lstrip("/"))
    link = urlsplit(urljoin(page, href))
    site = urlsplit(base_url)
    if link.scheme not in ("", "http", "https") or (link.scheme, link.netloc) != (
        site.scheme,
        site.netloc,
    ):
        return None
    if not link.path.startswith(prefix):
        return ""
    return "/" + unquote(link.path[len(prefix) :])


def _served(target: str, targets: set[str]) -> bool:
    if target in targets or target + "/" in targets:
        return True
    return target.endswith("/index.html") and target[: -len("index.html")] in targets


def _line_of(path: Path, href: str) -> int | None:
    try:
        lines = path.read_text(encoding="utf-8-sig").split("\n")
    except (OSError, UnicodeDecodeError):
        return None
    return next((n for n, text in enumerate(lines, start=1) if href in text), None)


def strict(diagnostics: Iterable[Diagnostic]) -> tuple[Diagnostic, ...]:
    """--strict: every warning becomes an error."""
    return tuple(dataclasses.replace(d, severity=Severity.ERROR) for d in diagnostics)


def format_report(report: CheckReport, fmt: str) -> str:
    """The report as text (`path:line: severity: message`), JSON or GitHub annotations."""
    if fmt == "json":
        return json.dumps(
            {
                "articles": report.articles,
                "pages": report.pages,
                "errors": report.errors,
                "warnings": len(report.diagnostics) - report.errors,
                "diagnostics": [
                    {
                        "path": d.location.path,
                        "line": d.location.line,
                        "severity": d.severity.value,
                        "message": d.message,
                        "hint": d.hint,
                    }
                    for d in report.diagnostics
                ],
            },
            ensure_ascii=False,
            indent=2,
        )
    lines = [_github(d) if fmt == "github" else str(d) for d in report.diagnostics]
    warnings = len(report.diagnostics) - report.errors
    lines.append(
        f"checked {report.articles} article{'s' * (report.articles != 1)}, "
        f"{report.pages} page{'s' * (report.pages != 1)}: "
        f"{report.errors} error{'s' * (report.errors != 1)}, {warnings} warning{'s' * (warnings != 1)}"
    )
    return "\n".join(lines)


def _github(d: Diagnostic) -> str:
    """A GitHub Actions workflow command (`::error file=…,line=…::message`)."""
    props = [f"file={_escape(d.location.path, prop=True)}"]
    if d.location.line:
        props.append(f"line={d.location.line}")
    message = f"{d.message} (hint: {d.hint})" if d.hint else d.message
    return f"::{d.severity.value} {','.join(props)},title=dateline::{_escape(message)}"


def _escape(text: str, *, prop: bool = False) -> str:
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return text.replace(":", "%3A").replace(",", "%2C") if prop else text


def add_check_command(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """`dateline check [--strict] [--format text|json|github]`."""
    parser = commands.add_parser("check", help="find every problem without writing anything")
    add_site_folder(parser)
    parser.add_argument("--strict", action="store_true", help="treat warnings as errors")
    parser.add_argument("--format", choices=FORMATS, default="text", help="output format")
    parser.set_defaults(handler=run_check)


def run_check(args: argparse.Namespace) -> int:
    from dateline.cli import now  # the clock lives in the CLI layer

    report = check_site(args.site, now=now())
    if args.strict:
        report = dataclasses.replace(report, diagnostics=strict(report.diagnostics))
    print(format_report(report, args.format))
    return 1 if report.errors else 0
