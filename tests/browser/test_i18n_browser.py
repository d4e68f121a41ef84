"""The Spanish half of the bundled site in a real browser: accessible, and the switcher works.

Complements test_browser_site.py (which tours the English pages): axe-core on every
Spanish page type at a phone and a desktop width, and a reader switching languages.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.conftest import REPO, build

BASE = "/news-archive/"
SV_ES = (
    "es/news/2018/06/13/la-oim-capacita-a-personal-medico-salvadoreno-en-proteccion-de-migrantes/"
)
SPANISH_PAGES = {
    "home": "es/",
    "article": SV_ES,
    "countries-index": "es/paises/",
    "country": "es/paises/el-salvador/",
    "themes-index": "es/temas/",
    "theme": "es/temas/trata-de-personas/",
    "archive": "es/news/",
    "year-archive": "es/news/2018/",
    "month-archive": "es/news/2018/06/",
}


@pytest.fixture(scope="module")
def spanish_site(tmp_path_factory: pytest.TempPathFactory, site_server: type[Any]) -> Iterator[str]:
    out = build(REPO, out_dir=tmp_path_factory.mktemp("i18n-browser") / "dist").out_dir
    with site_server(out, BASE) as url:
        yield url


@pytest.mark.browser
@pytest.mark.parametrize("width", [375, 1280])
@pytest.mark.parametrize("kind", sorted(SPANISH_PAGES))
def test_axe_no_violations_on_spanish_pages(
    page_factory: Callable[..., Any],
    spanish_site: str,
    axe_check: Callable[..., Any],
    kind: str,
    width: int,
) -> None:
    """Every Spanish page type passes axe-core, language switcher included."""
    page = page_factory(width=width)
    page.goto(spanish_site + SPANISH_PAGES[kind])
    assert page.evaluate("() => document.documentElement.lang") == "es"
    violations = axe_check(page)
    assert not violations, violations.report()


@pytest.mark.browser
def test_reader_switches_to_english_and_back(
    page_factory: Callable[..., Any], spanish_site: str
) -> None:
    """Clicking "English" on a Spanish bulletin opens its English version, and back again."""
    page = page_factory(width=375)
    page.goto(spanish_site + SV_ES)
    page.get_by_role("navigation", name="Idioma").get_by_role("link", name="English").click()
    page.wait_for_load_state("load")
    assert page.evaluate("() => document.documentElement.lang") == "en"
    assert page.locator("h1").inner_text() == (
        "IOM Trains Salvadoran Medical Staff on Migrant Protection"
    )
    page.get_by_role("navigation", name="Language").get_by_role("link", name="Español").click()
    page.wait_for_load_state("load")
    assert page.url == spanish_site + SV_ES


def test_page_list_matches_the_built_site(tmp_path: Path) -> None:
    """The Spanish page types checked above all exist in the bundled site."""
    out = build(REPO, out_dir=tmp_path / "dist").out_dir
    missing = [p for p in SPANISH_PAGES.values() if not (out / p / "index.html").is_file()]
    assert not missing
