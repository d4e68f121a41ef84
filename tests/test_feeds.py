"""Atom feeds: valid for a real feed reader, complete, absolute, and stable between builds."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import feedparser  # type: ignore[import-untyped]
import pytest

from dateline.build import BuildReport
from tests.conftest import REPO, MakeSite, article_md, build, page

ATOM = "{http://www.w3.org/2005/Atom}"
BASE = "https://example.org/sub/path/"
SEED_BASE = "https://example.org/news-archive/"


@pytest.fixture(scope="module")
def seed(tmp_path_factory: pytest.TempPathFactory) -> BuildReport:
    return build(REPO, out_dir=tmp_path_factory.mktemp("seed") / "dist")


def parse(file: Path) -> Any:
    """Parse a feed file with feedparser, failing on anything it finds malformed."""
    parsed = feedparser.parse(file.read_bytes())
    assert parsed.bozo == 0, f"{file}: {parsed.get('bozo_exception')}"
    assert parsed.version == "atom10"
    return parsed


def feed_files(out: Path) -> list[Path]:
    return sorted(out.rglob("feed.xml"))


def three_articles(extra_config: str = "") -> dict[str, str]:
    """Three bulletins in two countries and two themes, one of them updated later."""
    return {
        "dateline.toml": f'base_url = "{BASE}"\ntitle = "Bulletins"\norganization = "The Office"\n{extra_config}',
        "content/a.md": article_md("Floods in Guatemala", "2018-01-10", "Guatemala City – Rivers rose.", themes="[Disasters]", summary="Rivers rose fast."),
        "content/b.md": article_md("Clinic opens in Tapachula", "2018-02-10", "Tapachula – A clinic opened.", themes="[Health]", updated="2018-05-05"),
        "content/c.md": article_md("Health fair in Guatemala", "2018-03-10", "Guatemala City – **Doctors** came.", themes="[Health]"),
    }  # fmt: skip


def test_seed_feeds_are_valid_atom_with_complete_entries(seed: BuildReport) -> None:
    """Every feed of the bundled site parses cleanly and every entry carries the issue's fields."""
    files = feed_files(seed.out_dir)
    assert seed.out_dir / "feed.xml" in files
    assert len(files) > 10  # the site feed plus one per country and theme, per language
    for file in files:
        parsed = parse(file)
        assert parsed.feed.id == SEED_BASE + file.relative_to(seed.out_dir).as_posix()
        assert parsed.feed.title
        assert parsed.feed.updated_parsed
        assert parsed.entries, f"{file} has no entries"
        for entry in parsed.entries:
            assert entry.id.startswith("tag:example.org,2018-")
            assert entry.link.startswith("https://example.org/news-archive/")
            assert entry.title
            assert entry.summary
            assert entry.content[0].value
            assert entry.published_parsed
            assert entry.updated_parsed
            assert entry.author == "Regional Migration Programme for Mesoamerica"
            assert entry.tags, "an entry names at least its country"
            assert all(tag.term and tag.label and tag.scheme for tag in entry.tags)


def test_seed_feeds_have_atoms_required_elements(seed: BuildReport) -> None:
    """RFC 4287: feed id, title, updated, author and self link; entry id, title, updated, link."""
    for file in feed_files(seed.out_dir):
        root = ET.parse(file).getroot()
        assert root.tag == f"{ATOM}feed"
        for name in ("id", "title", "updated", "author/" + ATOM + "name"):
            assert root.findtext(f"{ATOM}{name}"), f"{file}: no {name}"
        self_link = root.find(f"{ATOM}link[@rel='self']")
        assert self_link is not None
        assert self_link.get("href") == root.findtext(f"{ATOM}id")
        own = self_link.get("href", "").removeprefix("https://example.org/news-archive/")
        assert (seed.out_dir / own) == file
        for entry in root.iterfind(f"{ATOM}entry"):
            for name in ("id", "title", "updated", "published", "summary", "content"):
                assert entry.findtext(f"{ATOM}{name}"), f"{file}: entry without {name}"
            assert entry.find(f"{ATOM}link[@rel='alternate']") is not None


def test_every_feed_link_in_a_page_head_resolves(seed: BuildReport) -> None:
    """Each <link rel=alternate type=application/atom+xml> points at a feed that was written."""
    out = seed.out_dir
    seen = set()
    for html in out.rglob("*.html"):
        soup = page(out, "/" + html.relative_to(out).as_posix())
        for link in soup.select('head link[rel=alternate][type="application/atom+xml"]'):
            href = str(link["href"])
            assert href.startswith("https://example.org/news-archive/")
            target = out / href.removeprefix("https://example.org/news-archive/")
            assert target.is_file(), f"{html}: {href}"
            seen.add(target)
    assert seen == set(feed_files(out))


def test_site_feed_holds_newest_articles_up_to_feed_limit(make_site: MakeSite) -> None:
    """feed_limit = 2 keeps the two newest; updated is the newest updated/date, not the clock."""
    out = build(make_site(three_articles("feed_limit = 2\n"))).out_dir
    parsed = parse(out / "feed.xml")
    assert [e.title for e in parsed.entries] == [
        "Health fair in Guatemala",
        "Clinic opens in Tapachula",
    ]
    assert parsed.feed.updated.startswith("2018-05-05T00:00:00")
    assert parsed.entries[1].updated.startswith("2018-05-05")
    assert parsed.entries[1].published.startswith("2018-02-10")


def test_feed_bytes_do_not_depend_on_the_build_clock(make_site: MakeSite, tmp_path: Path) -> None:
    """Two builds a year apart write byte-identical feeds."""
    from dateline.build import build_site

    root = make_site(three_articles())
    first = build_site(root, now=dt.datetime(2020, 1, 1, tzinfo=dt.UTC), out_dir=tmp_path / "a")
    second = build_site(root, now=dt.datetime(2021, 6, 1, tzinfo=dt.UTC), out_dir=tmp_path / "b")
    for file in feed_files(first.out_dir):
        twin = second.out_dir / file.relative_to(first.out_dir)
        assert file.read_bytes() == twin.read_bytes()


def test_term_feeds_hold_only_their_articles(make_site: MakeSite) -> None:
    """/countries/<slug>/feed.xml and /themes/<slug>/feed.xml list that term's articles only."""
    out = build(make_site(three_articles())).out_dir
    guatemala = parse(out / "countries/guatemala/feed.xml")
    assert {e.title for e in guatemala.entries} == {
        "Floods in Guatemala",
        "Health fair in Guatemala",
    }
    assert guatemala.feed.title == "Guatemala · Bulletins"
    assert guatemala.feed.link == BASE + "countries/guatemala/"
    health = parse(out / "themes/health/feed.xml")
    assert {e.title for e in health.entries} == {
        "Clinic opens in Tapachula",
        "Health fair in Guatemala",
    }


def test_term_pages_link_their_feed_and_other_pages_only_the_site_feed(make_site: MakeSite) -> None:
    """A country page advertises its own feed and the site's; an article page only the site's."""
    out = build(make_site(three_articles())).out_dir

    def feeds_of(path: str) -> list[str]:
        return [
            str(link["href"])
            for link in page(out, path).select('link[type="application/atom+xml"]')
        ]

    assert feeds_of("/countries/guatemala/") == [
        BASE + "feed.xml",
        BASE + "countries/guatemala/feed.xml",
    ]
    assert feeds_of("/") == [BASE + "feed.xml"]
    assert feeds_of("/news/2018/03/10/health-fair-in-guatemala/") == [BASE + "feed.xml"]


def test_entries_carry_absolute_links_categories_and_full_content(make_site: MakeSite) -> None:
    """Links include base_url's sub-path; categories name country and themes; content is the body."""
    out = build(make_site(three_articles())).out_dir
    entry = parse(out / "feed.xml").entries[0]
    assert entry.link == BASE + "news/2018/03/10/health-fair-in-guatemala/"
    assert entry.id == "tag:example.org,2018-03-10:en/health-fair-in-guatemala"
    assert {(t.term, t.label, t.scheme) for t in entry.tags} == {
        ("guatemala", "Guatemala", BASE + "countries/"),
        ("health", "Health", BASE + "themes/"),
    }
    assert entry.content[0].type == "text/html"
    assert "<strong>Doctors</strong> came." in entry.content[0].value
    assert entry.author == "The Office"


def test_entry_ids_survive_a_new_permalink_pattern_and_base_path(
    make_site: MakeSite, tmp_path: Path
) -> None:
    """Moving the site under another path or changing permalinks keeps every entry id."""
    root = make_site(three_articles())
    before = [e.id for e in parse(build(root, out_dir=tmp_path / "a").out_dir / "feed.xml").entries]
    overrides = {"base_url": "https://example.org/elsewhere/", "permalink": "/{year}/{slug}/"}
    moved = build(root, out_dir=tmp_path / "b", overrides=overrides).out_dir
    after = parse(moved / "feed.xml").entries
    assert [e.id for e in after] == before
    assert after[0].link == "https://example.org/elsewhere/2018/health-fair-in-guatemala/"


def test_site_without_articles_still_has_a_valid_feed(make_site: MakeSite) -> None:
    """An empty archive gives an empty but valid feed dated at the epoch, not at build time."""
    out = build(make_site({"dateline.toml": f'base_url = "{BASE}"\n', "content/.keep": ""})).out_dir
    parsed = parse(out / "feed.xml")
    assert parsed.entries == []
    assert parsed.feed.updated.startswith("1970-01-01")


def test_control_characters_in_a_bulletin_do_not_break_the_feed(make_site: MakeSite) -> None:
    """A stray control byte from an e-mailed digest is dropped from the feed, which stays valid."""
    digest = "6 July, 2018\n\nTitle\x01 with a bell\x07\n\nSan Salvador – Lead\x02 text.\n"
    out = build(make_site({"content/d.txt": digest})).out_dir
    entry = parse(out / "feed.xml").entries[0]
    assert entry.title == "Title with a bell"
    assert "Lead text." in entry.content[0].value
