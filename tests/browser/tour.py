"""The click tour of the default theme: home → page 2 → article → country → theme → year → month.

Shared by the gates on the seed site (test_browser_site.py) and on the generated 200-article
site (test_generated_site.py). Which link leads to which page type is the theme's business, so
it is all in `links()`: CSS selectors plus a regex on the link's URL path.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class LinkRule:
    """How to find the link to the next page type: CSS selectors tried in order, first match
    wins; `path` (a regex searched in the link's resolved URL path) filters the candidates."""

    selectors: tuple[str, ...]
    path: str | None = None
    text: str | None = None  # exact visible text, e.g. "2" for the pagination link


PAGINATION = ('nav[aria-label="Pagination"]', "nav.pagination")
Links = Mapping[str, tuple[LinkRule, ...]]


def links(countries: str = "countries", themes: str = "themes") -> Links:
    """The link rules for a language whose term folders are `countries` and `themes`
    (the Spanish pages use "paises" and "temas")."""
    c, t = f"/{countries}/", f"/{themes}/"
    return {
        "index-page-2": (
            LinkRule(tuple(f'{nav} a[rel~="next"]' for nav in PAGINATION)),
            LinkRule(tuple(f"{nav} a" for nav in PAGINATION), text="2"),
        ),
        "article": (
            LinkRule(("main article h2 a", "article h2 a"), path=r"/news/"),
            LinkRule(('main a[href*="/news/"]',), path=r"/news/.*[a-z]"),  # not a bare year/month
        ),
        "country": (LinkRule((f'article a[href*="{c}"]', f'main a[href*="{c}"]'), f"{c}."),),
        "theme": (LinkRule((f'article a[href*="{t}"]', f'main a[href*="{t}"]'), f"{t}."),),
        # The year archive is taken from the theme page, else from the all-years archive page.
        "year-archive": (
            LinkRule(('main a[href*="/news/20"]', 'a[href*="/news/20"]'), r"/news/\d{4}/?$"),
        ),
        "archive": (LinkRule(('a[href*="/news/"]',), path=r"/news/$"),),
        # from the year archive's list of months (templates/year.html: ul.months)
        "month-archive": (
            LinkRule(
                ("main ul.months a", 'main a[href*="/news/20"]'), path=r"/news/\d{4}/\d{2}/?$"
            ),
        ),
    }


LINKS = links()


@dataclass
class Tour:
    """The click path home → page 2 → article → country → theme → year archive, and back."""

    links: Links = field(default_factory=lambda: LINKS)
    urls: dict[str, str] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)
    history: list[str] = field(default_factory=list)


def _find_link(page: Any, kind: str, links: Links) -> Any | None:
    for rule in links[kind]:
        for selector in rule.selectors:
            for link in page.locator(selector).all():
                path = link.evaluate("a => new URL(a.href, document.baseURI).pathname")
                if rule.path and not re.search(rule.path, path):
                    continue
                if rule.text is not None and link.inner_text().strip() != rule.text:
                    continue
                return link
    return None


def _follow(
    page: Any, tour: Tour, kind: str, visit: Callable[[str], None], *, record: bool = True
) -> bool:
    link = _find_link(page, kind, tour.links)
    if link is None:
        if record:
            tour.missing.append(
                f"no link to a {kind} page on {page.url} (rules: {tour.links[kind]})"
            )
        return False
    target = link.evaluate("a => a.href.split('#')[0]")
    link.click()
    page.wait_for_url(target)
    page.wait_for_load_state("load")
    tour.urls[kind] = page.url
    tour.history.append(page.url)
    visit(kind)
    return True


def take_tour(
    page: Any, base_url: str, visit: Callable[[str], None], links: Links | None = None
) -> Tour:
    """Click through every page type, calling `visit(kind)` on each; returns what was found.

    home → page 2 of the index → an article → its country page, Back → its theme page → a year
    archive (from the theme page, else via the all-years archive) → a month of that year → Back
    all the way home, checking that each step back lands on the page it came from.
    """
    tour = Tour(links=links or LINKS)
    page.goto(base_url)
    tour.urls["home"] = page.url
    tour.history.append(page.url)
    visit("home")
    _follow(page, tour, "index-page-2", visit)  # when missing, the article is taken from home
    if _follow(page, tour, "article", visit):
        if _follow(page, tour, "country", visit):
            _go_back(page, tour)
        on_theme = _follow(page, tour, "theme", visit)
        if not _follow(page, tour, "year-archive", visit, record=False):
            if _follow(page, tour, "archive", visit, record=False):
                _follow(page, tour, "year-archive", visit)
            else:
                where = "the theme page" if on_theme else page.url
                tour.missing.append(f"no link to a year archive or the archive on {where}")
        _follow(page, tour, "month-archive", visit)
    while len(tour.history) > 1:
        _go_back(page, tour)
    return tour


def _go_back(page: Any, tour: Tour) -> None:
    tour.history.pop()
    page.go_back(wait_until="load")
    assert page.url == tour.history[-1], f"Back went to {page.url}, expected {tour.history[-1]}"
    assert page.title(), f"page at {page.url} has no title after going back"
