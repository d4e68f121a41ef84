"""Per-page metadata: canonical links, descriptions, Open Graph, Twitter cards, JSON-LD,
prev/next, the absolute base_url they need, and escaping that no title can break."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import feedparser  # type: ignore[import-untyped]
import pytest
from bs4 import BeautifulSoup
from hypothesis import given
from hypothesis import strategies as st

from dateline.build import BuildReport
from dateline.cli import main
from dateline.metadata import describe, og_locale, script_json
from tests.conftest import REPO, MakeSite, article_md, build, page

BASE = "https://example.org/sub/path/"
SEED_BASE = "https://example.org/news-archive/"
HOSTILE = "</script><script>alert(1)</script> & < > \" '"
LONG_LEAD = "San Salvador – " + " ".join(f"word{n}" for n in range(80)) + "."


@pytest.fixture(scope="module")
def seed(tmp_path_factory: pytest.TempPathFactory) -> BuildReport:
    return build(REPO, out_dir=tmp_path_factory.mktemp("seed") / "dist")


def meta(soup: BeautifulSoup, key: str) -> str:
    """The content of the <meta property|name=key> tag (exactly one must exist)."""
    tags = soup.select(f'head meta[property="{key}"], head meta[name="{key}"]')
    assert len(tags) == 1, f"{key}: {tags}"
    return str(tags[0]["content"])


def link(soup: BeautifulSoup, rel: str) -> str | None:
    tag = soup.select_one(f'head link[rel="{rel}"]')
    return str(tag["href"]) if tag else None


def graph(soup: BeautifulSoup) -> dict[str, Any]:
    """The page's JSON-LD nodes by @type (a page has exactly one JSON-LD script)."""
    scripts = soup.select('script[type="application/ld+json"]')
    assert len(scripts) == 1
    data = json.loads(scripts[0].get_text())
    assert data["@context"] == "https://schema.org"
    return {node["@type"]: node for node in data["@graph"]}


# base_url ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        ('title = "X"\n', "dateline.toml: error: 'base_url' is not set: feeds, the sitemap and canonical links need the site's full address"),
        ('title = "X"\nbase_url = "/news/"\n', "dateline.toml:2: error: 'base_url' is '/news/', not a full http(s) address"),
        ('base_url = "example.org/news/"\n', "dateline.toml:1: error: 'base_url' is 'example.org/news/', not a full http(s) address"),
    ],
)  # fmt: skip
def test_base_url_must_be_absolute(
    make_site: MakeSite, capsys: pytest.CaptureFixture[str], config: str, expected: str
) -> None:
    """A missing or relative base_url stops the build, naming the key and the --base-url flag."""
    root = make_site({"dateline.toml": config, "content/a.md": article_md("A", "2018-07-06")})
    assert main(["build", "--site", str(root)]) == 1
    err = capsys.readouterr().err
    assert expected in err
    assert "--base-url https://" in err
    assert "Traceback" not in err
    assert not (root / "dist").exists()
    assert main(["build", "--site", str(root), "--base-url", BASE]) == 0
    assert link(page(root / "dist", "/"), "canonical") == BASE


# Open Graph, Twitter, canonical, description --------------------------------------------


@pytest.fixture
def small(make_site: MakeSite) -> Path:
    """Five bulletins, two a page: one with an image and a long lead, one in Spanish."""
    files = {
        "dateline.toml": f'base_url = "{BASE}"\ntitle = "Bulletins"\norganization = "The Office"\nper_page = 2\n',
        "content/img.md": article_md("With a picture", "2018-03-05", LONG_LEAD, image="/static/img/p.jpg", themes="[Health]", updated="2018-04-01"),
        "content/es.md": article_md("Boletín en español", "2018-03-04", "Tegucigalpa – Texto.", lang="es"),
    }  # fmt: skip
    for day in (1, 2, 3):
        files[f"content/{day}.md"] = article_md(
            f"Plain {day}", f"2018-03-0{day}", "Guatemala City – Text."
        )
    return build(make_site(files)).out_dir


def test_article_page_has_canonical_open_graph_and_twitter_tags(small: Path) -> None:
    """og:type article with times, section, tags and image; a large-image Twitter card."""
    path = "/news/2018/03/05/with-a-picture/"
    soup = page(small, path)
    url = BASE + path.lstrip("/")
    assert link(soup, "canonical") == url
    assert meta(soup, "og:type") == "article"
    assert meta(soup, "og:title") == "With a picture"
    assert meta(soup, "og:url") == url
    assert meta(soup, "og:site_name") == "Bulletins"
    assert meta(soup, "og:locale") == "en_US"
    assert meta(soup, "og:image") == BASE + "static/img/p.jpg"
    assert meta(soup, "article:published_time") == "2018-03-05T00:00:00+00:00"
    assert meta(soup, "article:modified_time") == "2018-04-01T00:00:00+00:00"
    assert meta(soup, "article:section") == "El Salvador"
    assert [t["content"] for t in soup.select('meta[property="article:tag"]')] == [
        "El Salvador",
        "Health",
    ]
    assert meta(soup, "twitter:card") == "summary_large_image"
    assert meta(soup, "twitter:image") == BASE + "static/img/p.jpg"
    assert meta(soup, "twitter:title") == "With a picture"


def test_description_is_the_lead_cut_at_a_word(small: Path) -> None:
    """Without a summary, the description is the lead, at most 160 characters, cut between words."""
    soup = page(small, "/news/2018/03/05/with-a-picture/")
    description = meta(soup, "description")
    lead = LONG_LEAD.removeprefix("San Salvador – ")
    assert len(description) <= 160
    assert description.endswith("…")
    assert lead.startswith(description.removesuffix("…"))
    assert lead[len(description) - 1] == " "
    assert meta(soup, "og:description") == description == meta(soup, "twitter:description")


def test_spanish_article_has_spanish_locale(small: Path) -> None:
    """og:locale follows the article's language."""
    soup = page(small, "/news/2018/03/04/boletin-en-espanol/")
    assert meta(soup, "og:locale") == "es_ES"
    assert meta(soup, "twitter:card") == "summary"
    assert not soup.select('meta[property="og:image"]')


def test_listing_pages_link_prev_and_next(small: Path) -> None:
    """Page 2 of 3 links both neighbours; the first and last only the one they have."""
    first, middle, last = page(small, "/"), page(small, "/page/2/"), page(small, "/page/3/")
    assert (link(first, "prev"), link(first, "next")) == (None, BASE + "page/2/")
    assert (link(middle, "prev"), link(middle, "next")) == (BASE, BASE + "page/3/")
    assert (link(last, "prev"), link(last, "next")) == (BASE + "page/2/", None)
    assert meta(middle, "og:type") == "website"
    assert link(middle, "canonical") == BASE + "page/2/"


def test_404_page_is_not_indexed(small: Path) -> None:
    """The 404 page says noindex and claims no canonical URL or structured data."""
    soup = page(small, "/404.html")
    assert meta(soup, "robots") == "noindex"
    assert link(soup, "canonical") is None
    assert not soup.select('script[type="application/ld+json"]')


# JSON-LD --------------------------------------------------------------------------------


def test_seed_json_ld_of_every_page_type(seed: BuildReport) -> None:
    """Articles: NewsArticle; listings: CollectionPage + ItemList; home: WebSite; others:
    WebPage; all: breadcrumbs."""
    out = seed.out_dir
    kinds: dict[str, int] = {}
    for html in sorted(out.rglob("index.html")):
        soup = page(out, "/" + html.relative_to(out).as_posix())
        if soup.select_one('meta[http-equiv="refresh"]'):
            continue
        nodes = graph(soup)
        canonical = link(soup, "canonical")
        crumbs = nodes["BreadcrumbList"]["itemListElement"]
        assert [c["position"] for c in crumbs] == list(range(1, len(crumbs) + 1))
        assert all(c["item"].startswith(SEED_BASE) and c["name"] for c in crumbs)
        if "NewsArticle" in nodes:
            check_news_article(nodes["NewsArticle"], soup, canonical)
            assert crumbs[-1]["item"] == canonical
            kinds["article"] = kinds.get("article", 0) + 1
            continue
        if "WebPage" in nodes:  # a page that is neither an article nor a listing (search)
            assert nodes["WebPage"]["url"] == canonical
            continue
        collection = nodes["CollectionPage"]
        assert collection["url"] == canonical
        items = collection["mainEntity"]["itemListElement"]
        assert collection["mainEntity"]["numberOfItems"] == len(items) > 0
        for item in items:
            assert (out / item["url"].removeprefix(SEED_BASE) / "index.html").is_file()
        if "WebSite" in nodes:
            assert (
                nodes["WebSite"]["publisher"]["name"]
                == "Regional Migration Programme for Mesoamerica"
            )
            kinds["home"] = kinds.get("home", 0) + 1
        kinds["listing"] = kinds.get("listing", 0) + 1
    assert kinds["article"] == seed.articles
    assert kinds["home"] >= 1
    assert kinds["listing"] > 10


def check_news_article(node: dict[str, Any], soup: BeautifulSoup, canonical: str | None) -> None:
    """The properties the issue requires of a NewsArticle, matching the visible page."""
    heading, time, html = soup.select_one("h1"), soup.select_one(".story-header time"), soup.html
    assert heading is not None
    assert time is not None
    assert html is not None
    assert node["headline"] == heading.get_text(strip=True)
    assert node["mainEntityOfPage"]["@id"] == node["url"] == canonical
    assert node["datePublished"] == time["datetime"]
    assert node["dateModified"] >= node["datePublished"]
    assert node["inLanguage"] == html["lang"]
    for role in ("author", "publisher"):
        assert node[role] == {
            "@type": "Organization",
            "@id": SEED_BASE + "#organization",
            "name": "Regional Migration Programme for Mesoamerica",
            "url": SEED_BASE,
        }
    place = soup.select_one(".story-header .place")
    if place is not None:
        assert node["dateline"] == place.get_text()
        location = node["contentLocation"]
        location = location[0] if isinstance(location, list) else location
        assert location["name"] == place.get_text()
        assert location["containedInPlace"]["@type"] == "Country"


def test_article_json_ld_has_image_and_country(small: Path) -> None:
    """image is absolute; contentLocation is the dateline place inside its country."""
    nodes = graph(page(small, "/news/2018/03/05/with-a-picture/"))
    article = nodes["NewsArticle"]
    assert article["image"] == [BASE + "static/img/p.jpg"]
    assert article["dateline"] == "San Salvador"
    assert article["contentLocation"] == {
        "@type": "Place",
        "name": "San Salvador",
        "containedInPlace": {"@type": "Country", "name": "El Salvador", "identifier": "SV"},
    }
    assert [c["name"] for c in nodes["BreadcrumbList"]["itemListElement"]] == [
        "Bulletins", "Countries", "El Salvador", "With a picture",
    ]  # fmt: skip


def test_paged_item_list_positions_continue_across_pages(small: Path) -> None:
    """Page 2's ItemList starts at position per_page + 1."""
    items = graph(page(small, "/page/2/"))["CollectionPage"]["mainEntity"]["itemListElement"]
    assert [i["position"] for i in items] == [3, 4]


# Escaping -------------------------------------------------------------------------------


@pytest.fixture
def hostile(make_site: MakeSite) -> Path:
    """A bulletin whose title, summary and site title try to break out of every format."""
    quoted = HOSTILE.replace("\\", "\\\\").replace('"', '\\"')
    front = (
        f'---\ntitle: "{quoted}"\ndate: 2018-07-06\ncountry: SV\nsummary: "{quoted}"\n---\nText.\n'
    )
    config = f'base_url = "https://example.org/a&b/"\ntitle = "{quoted}"\n'
    return build(make_site({"dateline.toml": config, "content/x.md": front})).out_dir


def test_hostile_title_stays_text_in_html(hostile: Path) -> None:
    """No element is injected: the only script is the JSON-LD one, and the title reads back whole."""
    [file] = hostile.glob("news/2018/07/06/*/index.html")
    text = file.read_text(encoding="utf-8")
    assert "<script>alert" not in text
    soup = BeautifulSoup(text, "html.parser")
    assert [s.get("type") for s in soup.find_all("script")] == ["application/ld+json"]
    heading = soup.select_one("h1")
    assert heading is not None
    assert heading.get_text() == HOSTILE
    assert meta(soup, "og:title") == HOSTILE
    assert meta(soup, "og:site_name") == HOSTILE
    assert meta(soup, "description") == HOSTILE
    nodes = graph(soup)
    assert nodes["NewsArticle"]["headline"] == HOSTILE
    assert nodes["BreadcrumbList"]["itemListElement"][0]["name"] == HOSTILE
    home = BeautifulSoup((hostile / "index.html").read_text(encoding="utf-8"), "html.parser")
    assert [s.get("type") for s in home.find_all("script")] == ["application/ld+json"]
    assert graph(home)["WebSite"]["name"] == HOSTILE


def test_hostile_title_stays_text_in_feeds_and_sitemaps(hostile: Path) -> None:
    """Feeds and sitemaps parse as XML with the text intact and no element made from it."""
    root = ET.parse(hostile / "feed.xml").getroot()
    assert not [e for e in root.iter() if "script" in e.tag]
    atom = "{http://www.w3.org/2005/Atom}"
    assert root.findtext(f"{atom}title") == HOSTILE
    assert root.findtext(f"{atom}entry/{atom}title") == HOSTILE
    assert root.findtext(f"{atom}entry/{atom}summary") == HOSTILE
    parsed = feedparser.parse((hostile / "feed.xml").read_bytes())
    assert parsed.bozo == 0
    assert parsed.entries[0].link.startswith("https://example.org/a&b/news/")
    ns = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
    locs = [loc.text or "" for loc in ET.parse(hostile / "sitemap.xml").getroot().iter(f"{ns}loc")]
    assert locs
    assert all(loc.startswith("https://example.org/a&b/") for loc in locs)
    robots = (hostile / "robots.txt").read_text(encoding="utf-8")
    assert "Sitemap: https://example.org/a&b/sitemap.xml" in robots.splitlines()


# Pure helpers ---------------------------------------------------------------------------


@given(st.text())
def test_describe_cuts_at_a_word_within_the_limit(text: str) -> None:
    """A description is at most 160 characters and, when cut, a word-boundary prefix plus …."""
    normal = " ".join(text.split())
    result = describe(text)
    assert len(result) <= 160
    if len(normal) <= 160:
        assert result == normal
    else:
        stem = result.removesuffix("…")
        assert result.endswith("…")
        assert normal.startswith(stem)
        assert normal[len(stem)] in " ,;:.-–—" or " " not in normal[:160]


@given(st.recursive(st.text() | st.integers(), lambda inner: st.dictionaries(st.text(), inner)))
def test_script_json_round_trips_and_never_contains_markup(data: object) -> None:
    """Any value serialises to JSON that parses back equal and holds no <, > or &."""
    text = str(script_json(data))
    assert not set(text) & set("<>&")
    assert json.loads(text) == data


@pytest.mark.parametrize(
    ("language", "expected"),
    [("en", "en_US"), ("es", "es_ES"), ("pt-BR", "pt_BR"), ("fr", "fr_FR"), ("es_MX", "es_MX")],
)
def test_og_locale(language: str, expected: str) -> None:
    """og:locale is language_TERRITORY, with the likeliest territory when none is given."""
    assert og_locale(language) == expected
