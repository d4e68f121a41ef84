"""Search on the seed site in headless Chromium: Pagefind's UI, its filters, the header form.

The seed site is built once (index included) and served under its base_url path, as it is
deployed. What the results should be is read from the built article pages themselves:
the pages whose indexed region (`data-pagefind-body`) mentions trafficking, and their
countries (`data-pagefind-filter`).
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from bs4 import BeautifulSoup
from tests.conftest import NOW, REPO

from dateline.build import build_site

pytestmark = pytest.mark.browser

BASE_PATH = urlsplit(tomllib.loads((REPO / "dateline.toml").read_text("utf-8"))["base_url"]).path
TRAFFICKING = re.compile(r"\btraffick", re.IGNORECASE)  # "trafficking", "traffickers": one stem
RESULT = ".pagefind-ui__result"
WAIT_MS = 20_000


@pytest.fixture(scope="module")
def seed_dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("search") / "dist"
    build_site(REPO, now=NOW, out_dir=out)
    return out


@pytest.fixture(scope="module")
def site_url(seed_dist: Path, site_server: type[Any]) -> Iterator[str]:
    with site_server(seed_dist, BASE_PATH) as url:
        yield url


def indexed_articles(
    out: Path, lang: str, word: re.Pattern[str] = TRAFFICKING
) -> dict[str, set[str]]:
    """Site path (with the base path) → countries, for every article page in `lang`
    whose indexed text contains `word`."""
    found = {}
    for path in out.rglob("index.html"):
        soup = BeautifulSoup(path.read_text("utf-8"), "html.parser")
        body = soup.select_one("[data-pagefind-body]")
        if body is None or soup.html is None or soup.html.get("lang") != lang:
            continue
        countries = {a.get_text() for a in body.select('[data-pagefind-filter="Country"]')}
        for ignored in body.select("[data-pagefind-ignore]"):
            ignored.decompose()
        if word.search(body.get_text(" ")):
            found[BASE_PATH + path.parent.relative_to(out).as_posix() + "/"] = countries
    return found


def shown_results(page: Any) -> list[str]:
    """The paths of every result, after loading them all ("Load more results")."""
    more = page.locator(".pagefind-ui__button")
    while more.count() and more.first.is_visible():
        more.first.click()
    links = page.locator(f"{RESULT} .pagefind-ui__result-link")
    return [urlsplit(href).path for href in links.evaluate_all("els => els.map(a => a.href)")]


def wait_for_results(page: Any, count: int) -> None:
    """Until the UI says it found `count` results and shows them (a loaded machine is slow)."""
    from playwright.sync_api import expect

    message = re.compile(rf"^{count} results? for ")
    expect(page.locator(".pagefind-ui__message")).to_have_text(message, timeout=WAIT_MS)
    expect(page.locator(RESULT)).to_have_count(min(count, 5), timeout=WAIT_MS)


def test_searching_trafficking_lists_the_trafficking_bulletins_and_only_them(
    page: Any, site_url: str, seed_dist: Path
) -> None:
    expected = indexed_articles(seed_dist, "en")
    assert len(expected) >= 3, "the seed site should have several trafficking bulletins"
    page.goto(site_url + "search/?q=trafficking")
    wait_for_results(page, len(expected))
    assert sorted(shown_results(page)) == sorted(expected)
    first = page.locator(RESULT).first
    assert first.locator(".pagefind-ui__result-title").inner_text().strip()
    assert first.locator("mark").count() > 0, "the excerpt highlights the word"
    tags = first.locator(".pagefind-ui__result-tag").all_inner_texts()
    assert any(t.startswith("Date: ") for t in tags), tags
    assert any(t.startswith("Place: ") for t in tags), tags


def test_filtering_by_country_narrows_the_results(
    page: Any, site_url: str, seed_dist: Path
) -> None:
    expected = indexed_articles(seed_dist, "en")
    country = "Honduras"
    narrowed = sorted(path for path, countries in expected.items() if country in countries)
    assert 0 < len(narrowed) < len(expected)
    page.goto(site_url + "search/?q=trafficking")
    wait_for_results(page, len(expected))
    page.locator(".pagefind-ui__filter-name", has_text="Country").click()
    page.locator(".pagefind-ui__filter-label", has_text=country).click()
    wait_for_results(page, len(narrowed))
    assert shown_results(page) == narrowed


def test_a_result_link_opens_the_article(page: Any, site_url: str, seed_dist: Path) -> None:
    page.goto(site_url + "search/?q=trafficking")
    wait_for_results(page, len(indexed_articles(seed_dist, "en")))
    link = page.locator(f"{RESULT} .pagefind-ui__result-link").first
    title = link.inner_text().strip()
    link.click()
    page.wait_for_load_state()
    assert urlsplit(page.url).path.startswith(BASE_PATH + "news/")
    assert page.locator("h1").inner_text().strip() == title


def test_spanish_pages_search_the_spanish_index(page: Any, site_url: str, seed_dist: Path) -> None:
    mentioning = indexed_articles(seed_dist, "es", re.compile(r"\btrat", re.IGNORECASE))
    page.goto(site_url + "es/search/?q=trata")
    page.locator(RESULT).first.wait_for()
    found = shown_results(page)
    assert found
    assert set(found) <= set(mentioning), "a Spanish result that does not say 'trata'"
    assert all(path.startswith(BASE_PATH + "es/") for path in found), found


def test_header_form_without_javascript_lands_on_the_search_page(
    page_factory: Callable[..., Any], site_url: str
) -> None:
    page = page_factory(java_script_enabled=False)
    page.goto(site_url)
    form = page.get_by_role("search")
    form.get_by_label("Search the bulletins").fill("trafficking")
    form.get_by_role("button", name="Search").click()
    page.wait_for_load_state()
    assert page.url == site_url + "search/?q=trafficking"
    assert page.locator(".search-nojs").is_visible()
    assert page.locator(".search-browse a").count() == 3


def test_search_page_with_results_has_no_axe_violations(
    page: Any, site_url: str, axe_check: Callable[..., Any]
) -> None:
    page.goto(site_url + "search/?q=trafficking")
    page.locator(RESULT).first.wait_for()
    violations = axe_check(page)
    assert not violations, violations.report()
