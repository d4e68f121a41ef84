"""The bundled site: the ten seed bulletins build into a complete, linked archive."""

from __future__ import annotations

from pathlib import Path

import pytest
from bs4 import BeautifulSoup, Tag

from dateline.build import BuildReport
from tests.conftest import REPO, SEED, MakeSite, build, page


@pytest.fixture(scope="module")
def seed(tmp_path_factory: pytest.TempPathFactory) -> BuildReport:
    return build(REPO, out_dir=tmp_path_factory.mktemp("seed") / "dist")


def attr(tag: Tag, name: str) -> str:
    """The tag's single-valued attribute `name` (a KeyError if the tag lacks it)."""
    value = tag[name]
    assert isinstance(value, str), f"{name}={value!r} on {tag}"
    return value


def one(soup: Tag, selector: str) -> Tag:
    """The first element `selector` matches; the test fails if none does."""
    found = soup.select_one(selector)
    assert found is not None, f"nothing matches {selector!r}"
    return found


def titles(soup: BeautifulSoup) -> list[str]:
    return [a.get_text(strip=True) for a in soup.select(".card-title a")]


def all_listing_titles(out: Path, first: str) -> list[str]:
    """Follow rel=next from a listing's first page and collect every card title."""
    found: list[str] = []
    path: str | None = first
    while path:
        soup = page(out, path)
        found += titles(soup)
        nxt = soup.select_one("nav.pagination a[rel=next]")
        path = attr(nxt, "href").removeprefix("/news-archive") if nxt else None
    return found


def test_ten_article_pages(seed: BuildReport) -> None:
    """Each of the ten bulletins gets its own page under /news/YYYY/MM/DD/slug/.

    The report counts every language: the ten English bulletins and their Spanish versions.
    """
    pages = sorted((seed.out_dir / "news").glob("2018/[01][0-9]/[0-3][0-9]/*/index.html"))
    assert len(pages) == 10
    spanish = list((seed.out_dir / "es/news").glob("2018/[01][0-9]/[0-3][0-9]/*/index.html"))
    assert seed.articles == 10 + len(spanish)


def test_bundled_markdown_files_are_the_seed_digest(
    seed: BuildReport, make_site: MakeSite, tmp_path: Path
) -> None:
    """The bundled site's English Markdown files hold the seed digest's bulletins, unchanged.

    A site made of the digest alone (with the bundled config) writes the same English
    article pages, byte for byte apart from the language links the Spanish versions add.
    """
    config = (REPO / "dateline.toml").read_text(encoding="utf-8")
    root = make_site(
        {"dateline.toml": config, "content/seed.txt": SEED.read_text(encoding="utf-8")}
    )
    out = build(root, out_dir=tmp_path / "digest").out_dir
    from_digest = sorted(p.relative_to(out) for p in (out / "news").rglob("*/index.html"))
    bundled = sorted(
        p.relative_to(seed.out_dir) for p in (seed.out_dir / "news").rglob("*/index.html")
    )
    assert from_digest == bundled
    for path in from_digest:
        digest_page = BeautifulSoup((out / path).read_text(encoding="utf-8"), "html.parser")
        bundled_page = BeautifulSoup(
            (seed.out_dir / path).read_text(encoding="utf-8"), "html.parser"
        )
        for soup in (digest_page, bundled_page):
            for tag in soup.select("link[hreflang], nav.language-switcher"):
                tag.decompose()
        assert digest_page.select_one("main") == bundled_page.select_one("main"), path


def test_index_reaches_every_article_newest_first(seed: BuildReport) -> None:
    """Paginating the index from page 1 lists all ten titles, newest first."""
    listed = all_listing_titles(seed.out_dir, "/")
    assert len(listed) == 10 == len(set(listed))
    assert listed[0].startswith("IOM, ICRC and MSF in Mexico City")


@pytest.mark.parametrize(
    ("country", "expected"),
    [
        ("el-salvador", {"IOM Trains Salvadoran Medical Staff on Migrant Protection"}),
        ("honduras", {"Honduras Strengthens Mechanisms for Fighting Trafficking in Persons"}),
        ("guatemala", {"Guatemala: new Guidelines for the Immediate Response Team of the Inter-institutional Committee against Trafficking"}),
        ("costa-rica", {
            "Migratory Police of Costa Rica attends first workshop on first aid and psychosocial support",
            "Regional Committee against Trafficking in Persons and Smuggling of Migrants Agrees on an Action Plan for Prevention and Assistance for the Upcoming Years",
        }),
        ("mexico", {
            "IOM, ICRC and MSF in Mexico City organize the first workshop on psychosocial support in the context of migration",
            "Mesoamerican countries strengthen protection of migrants and displaced by natural disasters with support from IOM",
            "Health Organizations in Chiapas Improve Medical Support for Migrants",
            "Migration Information Centers in Mesoamerica Share Experiences and Good Practices in Regional Exchange",
        }),
    ],
)  # fmt: skip
def test_country_pages_list_exactly_their_articles(
    seed: BuildReport, country: str, expected: set[str]
) -> None:
    """Countries come from the datelines: San Salvador → El Salvador, 'Costa Rica.' → Costa Rica."""
    assert set(all_listing_titles(seed.out_dir, f"/countries/{country}/")) == expected


def test_article_without_dateline_is_regional_with_a_warning(seed: BuildReport) -> None:
    """MigrantApp opens without a dateline: published under Regional, reported as a warning."""
    assert set(all_listing_titles(seed.out_dir, "/countries/regional/")) == {
        "MigrantApp - Effective Communication with Migrants Before and During Crisis"
    }
    assert any("MigrantApp" in d.message for d in seed.diagnostics)


def test_theme_pages(seed: BuildReport) -> None:
    """Keyword rules put the trafficking bulletins on the trafficking theme page."""
    listed = set(all_listing_titles(seed.out_dir, "/themes/trafficking-in-persons/"))
    assert "Honduras Strengthens Mechanisms for Fighting Trafficking in Persons" in listed
    assert "IOM Trains Salvadoran Medical Staff on Migrant Protection" in listed
    assert "Health Organizations in Chiapas Improve Medical Support for Migrants" not in listed
    index = page(seed.out_dir, "/themes/")
    assert "Trafficking in persons" in index.get_text()


def test_article_page_shows_dateline_and_strips_it_from_the_lead(seed: BuildReport) -> None:
    """The place is shown as a dateline and not repeated at the start of the text."""
    [path] = (seed.out_dir / "news").glob("2018/06/13/iom-trains-salvadoran-*/index.html")
    soup = BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")
    assert one(soup, ".story-header .place").get_text() == "San Salvador"
    body = one(soup, ".story-body").get_text(" ", strip=True)
    assert body.startswith("How do you recognize a victim of human trafficking?")
    assert (
        one(soup, "h1").get_text(strip=True)
        == "IOM Trains Salvadoran Medical Staff on Migrant Protection"
    )
    assert {a["href"] for a in soup.select(".story-header .tag-country")} == {
        "/news-archive/countries/el-salvador/"
    }


def test_every_internal_link_resolves(seed: BuildReport) -> None:
    """Every href and src under the base path points at a file in the output."""
    out = seed.out_dir
    broken = []
    for html in out.rglob("*.html"):
        soup = BeautifulSoup(html.read_text(encoding="utf-8"), "html.parser")
        for tag in soup.find_all(href=True) + soup.find_all(src=True):
            link = tag.get("href") or tag.get("src")
            assert isinstance(link, str), f"{html}: {tag}"
            if link.startswith(("http://", "https://", "#", "mailto:")):
                continue
            assert link.startswith("/news-archive/"), f"{html}: {link} ignores the base path"
            target = out / link.removeprefix("/news-archive/").split("#")[0]
            if link.endswith("/"):
                target = target / "index.html"
            if not target.is_file():
                broken.append(f"{html.relative_to(out)} → {link}")
    assert not broken


def test_archives_have_counts(seed: BuildReport) -> None:
    """/news/ lists 2018 with ten bulletins and its months; month pages list their articles."""
    text = page(seed.out_dir, "/news/").get_text(" ", strip=True)
    assert "2018 10 bulletins" in text
    assert len(all_listing_titles(seed.out_dir, "/news/2018/07/")) == 3
    assert len(all_listing_titles(seed.out_dir, "/news/2018/06/")) == 7


def test_pagination_marks_current_page(seed: BuildReport) -> None:
    """Numbered page links carry aria-current on the page being shown."""
    soup = page(seed.out_dir, "/page/2/")
    current = soup.select("nav.pagination a[aria-current=page]")
    assert [a.get_text() for a in current] == ["2"]
    assert attr(one(soup, "nav.pagination a[rel=prev]"), "href") == "/news-archive/"


def test_404_and_static(seed: BuildReport) -> None:
    """The 404 page and the theme stylesheet are written."""
    assert (seed.out_dir / "404.html").is_file()
    assert (seed.out_dir / "static/css/dateline.css").is_file()
