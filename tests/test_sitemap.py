"""sitemap.xml and robots.txt: every public page listed once, with lastmod, within the limits."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import cast

import pytest

from dateline import sitemap
from dateline.archive import build_archive
from dateline.build import BuildReport
from dateline.config import SiteConfig
from dateline.errors import SourceLocation
from dateline.model import Article, Artifact
from dateline.plan import plan_site
from dateline.render import make_environment, render_artifact
from dateline.sitemap import plan_sitemaps
from tests.conftest import REPO, MakeSite, article_md, build

NS = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
BASE = "https://example.org/sub/path/"


@pytest.fixture(scope="module")
def seed(tmp_path_factory: pytest.TempPathFactory) -> BuildReport:
    return build(REPO, out_dir=tmp_path_factory.mktemp("seed") / "dist")


def file_for(out: Path, url: str, base: str) -> Path:
    """The file in `out` that serves absolute URL `url`."""
    assert url.startswith(base), url
    target = out / url.removeprefix(base)
    return target / "index.html" if url.endswith("/") else target


def read_urls(out: Path, base: str) -> dict[str, str | None]:
    """{loc: lastmod} from /sitemap.xml, following a sitemap index if there is one."""
    root = ET.parse(out / "sitemap.xml").getroot()
    if root.tag == f"{NS}sitemapindex":
        files = [file_for(out, loc.text or "", base) for loc in root.iter(f"{NS}loc")]
        assert files, "an index lists its sitemaps"
    else:
        assert root.tag == f"{NS}urlset"
        files = [out / "sitemap.xml"]
    urls: dict[str, str | None] = {}
    for file in files:
        for entry in ET.parse(file).getroot().iterfind(f"{NS}url"):
            loc = entry.findtext(f"{NS}loc")
            assert loc
            assert loc not in urls, f"{loc} listed twice"
            urls[loc] = entry.findtext(f"{NS}lastmod")
    return urls


def html_pages(out: Path, base: str) -> set[str]:
    """Absolute URLs of every page in `out` except the 404 page and redirects."""
    found = set()
    for html in out.rglob("index.html"):
        if 'http-equiv="refresh"' in html.read_text(encoding="utf-8"):
            continue
        found.add(base + html.parent.relative_to(out).as_posix().removeprefix(".") + "/")
    return {url.replace(base + "/", base) for url in found}


def test_seed_sitemap_lists_exactly_the_public_pages(seed: BuildReport) -> None:
    """Every loc maps to a written page, and every page but 404 and redirects is listed."""
    base = "https://example.org/news-archive/"
    urls = read_urls(seed.out_dir, base)
    for loc in urls:
        assert file_for(seed.out_dir, loc, base).is_file(), loc
    assert set(urls) == html_pages(seed.out_dir, base)
    assert not any("404" in loc for loc in urls)
    for loc, lastmod in urls.items():
        if lastmod is None:  # only pages that show no article (the search page) have none
            html = file_for(seed.out_dir, loc, base).read_text(encoding="utf-8")
            assert 'class="card"' not in html, loc
            assert 'class="story' not in html, loc
            continue
        assert dt.datetime.fromisoformat(lastmod).year == 2018
    assert sum(lastmod is not None for lastmod in urls.values()) > len(urls) - 3


def test_robots_txt_names_the_sitemap(seed: BuildReport) -> None:
    """robots.txt allows everything and gives the sitemap's absolute URL."""
    lines = (seed.out_dir / "robots.txt").read_text(encoding="utf-8").splitlines()
    assert "User-agent: *" in lines
    [entry] = [line for line in lines if line.startswith("Sitemap: ")]
    url = entry.removeprefix("Sitemap: ")
    assert url == "https://example.org/news-archive/sitemap.xml"
    assert file_for(seed.out_dir, url, "https://example.org/news-archive/").is_file()


def small_site(make_site: MakeSite) -> Path:
    """Seven bulletins, three a page, one updated later and one with an old URL."""
    files = {"dateline.toml": f'base_url = "{BASE}"\nper_page = 3\n'}
    for day in range(1, 8):
        fields: dict[str, str] = {"country": "SV"}
        if day == 2:
            fields["updated"] = "2018-09-30"
        if day == 7:
            fields["redirect_from"] = "[/old/seventh/]"
        files[f"content/{day}.md"] = article_md(f"Bulletin {day}", f"2018-03-0{day}", **fields)
    return make_site(files)


def test_lastmod_comes_from_the_articles_a_page_shows(make_site: MakeSite) -> None:
    """An article: its updated date; a listing page: the newest article on that page."""
    urls = read_urls(build(small_site(make_site)).out_dir, BASE)
    assert urls[BASE + "news/2018/03/02/bulletin-2/"] == "2018-09-30T00:00:00+00:00"
    assert urls[BASE + "news/2018/03/05/bulletin-5/"] == "2018-03-05T00:00:00+00:00"
    assert urls[BASE] == "2018-03-07T00:00:00+00:00"  # page 1 shows 7, 6, 5
    assert urls[BASE + "page/2/"] == "2018-09-30T00:00:00+00:00"  # shows 4, 3 and updated 2
    assert urls[BASE + "page/3/"] == "2018-03-01T00:00:00+00:00"  # shows 1
    assert urls[BASE + "countries/"] == "2018-09-30T00:00:00+00:00"  # lists every article


def test_redirects_and_404_are_not_listed(make_site: MakeSite) -> None:
    """Old URLs from redirect_from and the 404 page stay out of the sitemap."""
    out = build(small_site(make_site)).out_dir
    assert (out / "old/seventh/index.html").is_file()
    urls = read_urls(out, BASE)
    assert BASE + "old/seventh/" not in urls
    assert not any(loc.endswith("404.html") for loc in urls)


def test_lowered_limit_gives_an_index_of_numbered_sitemaps(
    make_site: MakeSite, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past MAX_URLS the build writes an index at /sitemap.xml and sitemap-N.xml files."""
    root = small_site(make_site)
    single = read_urls(build(root).out_dir, BASE)
    monkeypatch.setattr(sitemap, "MAX_URLS", 4)
    out = build(root).out_dir
    index = ET.parse(out / "sitemap.xml").getroot()
    assert index.tag == f"{NS}sitemapindex"
    locs = [loc.text for loc in index.iter(f"{NS}loc")]
    assert locs == [f"{BASE}sitemap-{n}.xml" for n in range(1, len(locs) + 1)]
    assert len(locs) == -(-len(single) // 4)
    for n, entry in enumerate(index.iterfind(f"{NS}sitemap"), start=1):
        part = ET.parse(out / f"sitemap-{n}.xml").getroot()
        assert len(part.findall(f"{NS}url")) <= 4
        newest = max(u.findtext(f"{NS}lastmod") or "" for u in part.iter(f"{NS}url"))
        assert entry.findtext(f"{NS}lastmod") == newest
    assert read_urls(out, BASE) == single


def test_byte_limit_splits_too() -> None:
    """A byte budget smaller than one file's worth splits it the same way a URL count does."""
    config = SiteConfig(root=Path(), base_url=BASE)
    pages = [
        Artifact(f"/p{n}/", "term.html", {}, "term") for n in range(10)
    ]  # no articles: no lastmod
    artifacts = plan_sitemaps(pages, config, max_bytes=1000)
    assert artifacts[0].template == "sitemap_index.xml"
    numbered = [a for a in artifacts if a.kind == "sitemap"]
    assert 2 <= len(numbered) < 10
    assert sum(len(cast(tuple[object, ...], a.context["urls"])) for a in numbered) == 10


@pytest.mark.slow
def test_an_archive_past_fifty_thousand_pages_is_split(tmp_path: Path) -> None:
    """50,001 articles (plus their listings) cross the real limit: every file holds ≤ 50,000."""
    start = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
    articles = [
        Article(source=SourceLocation("content/bulk.md", n), digest=str(n), slug=f"a{n}",
                path=f"/news/a{n}/", title=f"Bulletin {n}", date=start + dt.timedelta(hours=n),
                countries=("SV",))
        for n in range(50_001)
    ]  # fmt: skip
    config = SiteConfig(root=tmp_path, base_url=BASE, per_page=100, related=0)
    archive = build_archive(articles, country_name=lambda code: "El Salvador", related=0)
    pages = plan_site(archive, config)[0]
    planned = plan_sitemaps(pages, config)
    env = make_environment(config, archive)
    index = ET.fromstring(render_artifact(env, planned[0]))
    assert index.tag == f"{NS}sitemapindex"
    seen: set[str] = set()
    for artifact in planned[1:-1]:
        assert artifact.path.startswith("/sitemap-")
        rendered = render_artifact(env, artifact)
        assert len(rendered) < sitemap.MAX_BYTES
        urls = [u.text or "" for u in ET.fromstring(rendered).iter(f"{NS}loc")]
        assert len(urls) <= sitemap.MAX_URLS
        seen.update(urls)
    assert len(seen) == len([p for p in pages if p.kind not in ("404", "redirect")])
    assert [loc.text for loc in index.iter(f"{NS}loc")] == [
        BASE + a.path.lstrip("/") for a in planned[1:-1]
    ]
    assert planned[-1].path == "/robots.txt"
