"""The four quality gates on a generated 200-article bilingual site.

The seed site has 14 bulletins in one year; this one (benchmarks/make_corpus.py: 200 articles
over 2008–2026, twelve countries, ten themes, English and Spanish) has what only volume brings:
ten index pages, term pages with pagination, nineteen year and many month archives, long term
lists, and pages in two languages. Clicking through it, axe on each page type in both
languages, vnu on every HTML file in one Java run, and Lighthouse on the home page and an article.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from benchmarks.make_corpus import write_site
from tests.browser.tour import links, take_tour
from tests.conftest import build

pytestmark = pytest.mark.browser

ARTICLES = 200
WIDTHS = (375, 1280)
PHONE = 375
# The tour's page types; each must be reached by clicking, in each language.
TOURED = (
    *("home", "index-page-2", "article", "country", "theme", "archive", "year-archive"),
    "month-archive",
)
LANGUAGES = {"en": ("", links()), "es": ("es/", links("paises", "temas"))}
LIGHTHOUSE_MIN = {"performance": 0.95, "accessibility": 1.0, "best-practices": 0.95, "seo": 1.0}


@pytest.fixture(scope="module")
def generated_dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Write the corpus, make it bilingual (English at the root, Spanish under /es/), build."""
    root = tmp_path_factory.mktemp("generated") / "site"
    stats = write_site(ARTICLES, root, langs=["en", "es"])
    assert stats["per_lang"] == {"en": ARTICLES // 2, "es": ARTICLES // 2}
    config = root / "dateline.toml"
    top_level = 'language = "en"\nlanguages = ["en", "es"]\norganization = "Generated archive"\n'
    config.write_text(top_level + config.read_text(encoding="utf-8"), encoding="utf-8")
    report = build(root, out_dir=root / "dist")
    return report.out_dir


@pytest.fixture(scope="module")
def generated_url(generated_dist: Path, site_server: type[Any]) -> Iterator[str]:
    with site_server(generated_dist, "/") as url:
        yield url


@pytest.fixture(scope="module")
def generated_pages(browser: Any, generated_url: str) -> dict[str, str]:
    """{"en-article": url, "es-month-archive": url, …}: each page type found by clicking."""
    urls: dict[str, str] = {}
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    try:
        for lang, (home, rules) in LANGUAGES.items():
            tour = take_tour(context.new_page(), generated_url + home, lambda _: None, rules)
            urls.update({f"{lang}-{kind}": url for kind, url in tour.urls.items()})
    finally:
        context.close()
    return urls


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("lang", sorted(LANGUAGES))
def test_click_tour_of_the_generated_site(
    page_factory: Callable[..., Any],
    generated_url: str,
    lang: str,
    width: int,
    screenshots_dir: Path,
    horizontal_overflow: Callable[[Any], int],
) -> None:
    """Every page type is reached by clicking, Back returns home, nothing scrolls sideways
    on a phone, and the page watch sees no console error or failed request."""
    page = page_factory(width=width, height=812 if width == PHONE else 800)
    overflowing: list[str] = []

    def visit(kind: str) -> None:
        page.screenshot(
            path=screenshots_dir / f"generated-{lang}-{kind}-{width}.png", full_page=True
        )
        if width == PHONE and (extra := horizontal_overflow(page)) > 0:
            overflowing.append(f"{kind} ({page.url}) is {extra}px too wide")

    home, rules = LANGUAGES[lang]
    tour = take_tour(page, generated_url + home, visit, rules)
    assert not tour.missing, "\n".join(tour.missing)
    assert sorted(tour.urls) == sorted(TOURED)
    assert page.url == tour.urls["home"]
    assert not overflowing, f"horizontal scroll at {PHONE}px:\n" + "\n".join(overflowing)


def test_the_tour_reaches_paginated_and_dated_pages(generated_pages: dict[str, str]) -> None:
    """The volume shows: page 2 of the index and a month archive, in both languages."""
    for lang, (home, _) in LANGUAGES.items():
        assert generated_pages[f"{lang}-index-page-2"].endswith(f"/{home}page/2/")
        assert generated_pages[f"{lang}-month-archive"].rstrip("/").split("/")[-2].isdigit()


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("kind", [f"{lang}-{kind}" for lang in LANGUAGES for kind in TOURED])
def test_axe_on_every_generated_page_type(
    page_factory: Callable[..., Any],
    generated_pages: dict[str, str],
    axe_check: Callable[..., Any],
    kind: str,
    width: int,
) -> None:
    if kind not in generated_pages:
        pytest.fail(f"the click tour found no {kind} page (see the click-tour test)", pytrace=False)
    page = page_factory(width=width)
    page.goto(generated_pages[kind])
    violations = axe_check(page)
    assert not violations, violations.report()


@pytest.mark.parametrize("index", ["countries/", "themes/", "es/paises/", "es/temas/"])
def test_axe_on_the_long_term_lists(
    page: Any, generated_url: str, axe_check: Callable[..., Any], index: str
) -> None:
    """The country and theme indexes, a dozen entries each in a multi-column list."""
    page.goto(generated_url + index)
    assert page.locator("main a").count() >= 10
    violations = axe_check(page)
    assert not violations, violations.report()


def test_vnu_on_every_generated_html_file(
    generated_dist: Path, vnu_check: Callable[..., Any]
) -> None:
    files = sorted(generated_dist.rglob("*.html"))
    assert len(files) > 2 * ARTICLES  # the articles, listings and archives of both languages
    errors = vnu_check(files)
    assert not errors, errors.report().replace(str(generated_dist), "<dist>")


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["en-home", "en-article"])
def test_lighthouse_on_the_generated_home_and_article(
    generated_pages: dict[str, str], kind: str, lighthouse_scores: Callable[..., Any]
) -> None:
    url = generated_pages[kind]
    scores = lighthouse_scores(url, report_name=f"generated-{kind}", floors=LIGHTHOUSE_MIN)
    low = {k: scores[k] for k, floor in LIGHTHOUSE_MIN.items() if (scores[k] or 0) < floor}
    assert not low, f"mobile Lighthouse scores of {url} below {LIGHTHOUSE_MIN}: {low}"
