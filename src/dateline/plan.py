"""Stage 3: `Archive` → every output page, before any template runs.

Planning first means URL collisions surface as one complete list and every
page's inputs are known up front (which is what incremental builds hash).
"""

from __future__ import annotations

from collections.abc import Iterator

from dateline.config import SiteConfig
from dateline.errors import Diagnostic, SourceLocation, error
from dateline.model import Archive, Artifact, TaxonomyKind, TermGroup
from dateline.paginate import paginate


def plan_site(
    archive: Archive, config: SiteConfig
) -> tuple[tuple[Artifact, ...], tuple[Diagnostic, ...]]:
    """All pages of one language's site, and an error for every path two pages would share.

    Every path is under `archive.prefix` ("" for the default language, "/es" for
    Spanish); build.plan_build calls this once per language and checks collisions
    across languages again on the whole site.
    """
    artifacts = (
        *_index(archive, config),
        *_articles(archive),
        *_taxonomy(archive, archive.countries, TaxonomyKind.COUNTRY, config),
        *_taxonomy(archive, archive.themes, TaxonomyKind.THEME, config),
        *_archives(archive, config),
        *_redirects(archive),
        Artifact(archive.path("/404.html"), "404.html", {}, "404"),
        Artifact(archive.path("/search/"), "search.html", {"search": True}, "search"),
    )
    return artifacts, collisions(artifacts)


def _index(archive: Archive, config: SiteConfig) -> Iterator[Artifact]:
    first = archive.path("/")
    for pager in paginate(archive.articles, first_path=first, per_page=config.per_page):
        yield Artifact(pager.path, "index.html", {"pager": pager}, "index")


def _articles(archive: Archive) -> Iterator[Artifact]:
    articles = archive.articles
    for index, article in enumerate(articles):
        context = {
            "article": article,
            "newer": articles[index - 1] if index > 0 else None,
            "older": articles[index + 1] if index + 1 < len(articles) else None,
            "related": archive.related.get(article.path, ()),
        }
        yield Artifact(article.path, "article.html", context, "article")


def _taxonomy(
    archive: Archive, groups: tuple[TermGroup, ...], kind: TaxonomyKind, config: SiteConfig
) -> Iterator[Artifact]:
    context = {"kind": kind.value, "groups": groups}
    yield Artifact(archive.taxonomy_path(kind), "terms.html", context, "terms")
    for group in groups:
        for pager in paginate(group.articles, first_path=group.term.path, per_page=config.per_page):
            yield Artifact(pager.path, "term.html", {"term": group.term, "pager": pager}, "term")


def _archives(archive: Archive, config: SiteConfig) -> Iterator[Artifact]:
    yield Artifact(archive.path("/news/"), "archive.html", {"years": archive.years}, "archive")
    for year in archive.years:
        for pager in paginate(year.articles, first_path=year.path, per_page=config.per_page):
            yield Artifact(pager.path, "year.html", {"year": year, "pager": pager}, "year")
        for month in year.months:
            for pager in paginate(month.articles, first_path=month.path, per_page=config.per_page):
                yield Artifact(pager.path, "month.html", {"month": month, "pager": pager}, "month")


def _redirects(archive: Archive) -> Iterator[Artifact]:
    for article in archive.articles:
        for old in article.redirect_from:
            yield Artifact(old, "redirect.html", {"target": article}, "redirect")


def collisions(artifacts: tuple[Artifact, ...]) -> tuple[Diagnostic, ...]:
    """An error for every site path that two artifacts would both be written to."""
    owners: dict[str, Artifact] = {}
    problems = []
    for artifact in artifacts:
        first = owners.setdefault(artifact.path, artifact)
        if first is not artifact:
            path, line = _origin(artifact, first)
            problems.append(
                error(
                    path,
                    line,
                    f"two pages would be written to {artifact.path} ({first.kind} and {artifact.kind})",
                    "change the slug or the redirect_from of the article",
                )
            )
    return tuple(problems)


def _origin(*artifacts: Artifact) -> tuple[str, int | None]:
    """The content file behind a colliding page (the article or the redirect's target)."""
    for artifact in artifacts:
        for key in ("article", "target"):
            source = getattr(artifact.context.get(key), "source", None)
            if isinstance(source, SourceLocation):
                return source.path, source.line
    return "dateline.toml", None
