"""Listing cards kept in the build cache: reused across builds, never when stale.

Adding the newest article re-renders every listing page; their cards come from
`.dateline-cache/cards-*-NN.json` when nothing a card shows changed (cards.py). These
tests check that an edited article or card template shows up on the listings of an
incremental build, that a damaged or foreign cards file is ignored, and that the
cards rendered in worker processes are the ones saved.
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from dateline import cards, parallel
from dateline.cache import CACHE_DIR
from tests.conftest import MakeSite, article_md, build, page
from tests.test_incremental import tree

TITLES = ["Health fair in the north", "Border post opens", "Training for officers",
          "Returnees get support", "Health workers trained"]  # fmt: skip
CONFIG = 'base_url = "https://example.org/"\nper_page = 2\n'


def site(make_site: MakeSite) -> Path:
    files = {
        f"content/a{i}.md": article_md(
            TITLES[i], f"2025-03-0{i + 1}", f"Body {i}.", country="SV", summary=f"Summary {i}."
        )
        for i in range(len(TITLES))
    }
    return make_site({"dateline.toml": CONFIG, **files})


def add_newest(root: Path, title: str = "Storm season plan") -> None:
    """An article newer than all others: every listing page shifts by one."""
    text = article_md(title, "2025-04-01", "New body.", country="SV", summary="New summary.")
    (root / "content" / "newest.md").write_text(text, encoding="utf-8")


def cards_files(root: Path) -> list[Path]:
    """The card shards of the build into `root/dist`, the only output these sites have."""
    return sorted((root / CACHE_DIR).glob("cards-*.json"))


def saved_cards(root: Path) -> dict[str, list[str]]:
    return {k: v for f in cards_files(root) for k, v in json.loads(f.read_bytes())["cards"].items()}


def tamper(root: Path, slug: str, text: str) -> None:
    """Change the title in one article's cached card (its digest still matches)."""
    for shard in cards_files(root):
        data = json.loads(shard.read_bytes())
        for key in [k for k in data["cards"] if f"/{slug}/" in k]:
            title = next(t for t in TITLES if t.lower().replace(" ", "-") == slug)
            data["cards"][key][1] = data["cards"][key][1].replace(title, text)
            shard.write_text(json.dumps(data), encoding="utf-8")


def card_titles(root: Path, path: str) -> list[str]:
    """The titles on a listing page's cards, in order."""
    return [a.get_text() for a in page(root / "dist", path).select(".card .card-title a")]


def assert_same_as_clean_build(root: Path, tmp_path: Path) -> None:
    clean = tmp_path / "clean"
    shutil.rmtree(clean, ignore_errors=True)
    build(root, out_dir=clean, use_cache=False)
    assert tree(root / "dist") == tree(clean)


def summaries(root: Path, path: str) -> list[str]:
    return [p.get_text() for p in page(root / "dist", path).select(".card .summary")]


def test_an_edited_article_shows_on_the_listings_of_an_incremental_build(
    make_site: MakeSite, tmp_path: Path
) -> None:
    """A new summary (same page path, same card slot) and a new title (a new path)."""
    root = site(make_site)
    build(root)
    assert "Border post opens" in card_titles(root, "/page/2/")
    for name, old, new in [("a1", "Border post opens", "Border post shut"),
                           ("a2", "Summary 2.", "A corrected summary.")]:  # fmt: skip
        text = (root / f"content/{name}.md").read_text(encoding="utf-8")
        (root / f"content/{name}.md").write_text(text.replace(old, new), encoding="utf-8")
    add_newest(root)  # every listing shifts: the other cards come from the cache
    build(root)
    listings = ["/page/2/", "/page/3/", "/countries/el-salvador/page/2/"]
    titles = [t for path in listings for t in card_titles(root, path)]
    assert "Border post shut" in titles
    assert "Border post opens" not in titles
    shown = [s for path in listings for s in summaries(root, path)]
    assert "A corrected summary." in shown
    assert "Summary 2." not in shown
    assert_same_as_clean_build(root, tmp_path)


def test_an_edited_card_template_shows_on_every_listing(
    make_site: MakeSite, tmp_path: Path
) -> None:
    root = site(make_site)
    build(root)
    template = root / "templates" / "partials" / "card.html"
    template.parent.mkdir(parents=True)
    for marker in ("first-edit", "second-edit"):
        template.write_text(
            f'<article class="card {marker}"><h3 class="card-title">'
            '<a href="{{ article.path|url }}">{{ article.title }}</a></h3></article>',
            encoding="utf-8",
        )
        build(root)
        for path in ("/", "/page/2/", "/countries/el-salvador/"):
            cards = page(root / "dist", path).select(".card")
            assert cards, path
            assert all(marker in card["class"] for card in cards), path
        assert_same_as_clean_build(root, tmp_path)


def test_cards_of_unchanged_articles_are_reused(make_site: MakeSite) -> None:
    """Proof that the file is read: a card altered in it shows once the listings re-render."""
    root = site(make_site)
    build(root)
    tamper(root, "training-for-officers", "FROM CACHE")
    add_newest(root)
    build(root)
    assert "FROM CACHE" in card_titles(root, "/page/2/") + card_titles(root, "/page/3/")


def _not_json(data: dict[str, Any], raw: str) -> str:
    return raw[: len(raw) // 2]  # a truncated file


def _other_site(data: dict[str, Any], raw: str) -> str:
    data["site"] = "0" * 64  # made for other templates or config
    return json.dumps(data)


def _other_format(data: dict[str, Any], raw: str) -> str:
    data["format"] = 999
    return json.dumps(data)


def _stale_digest(data: dict[str, Any], raw: str) -> str:
    for value in data["cards"].values():
        value[0] = "0" * 64  # the article changed since
    return json.dumps(data)


def _bad_entries(data: dict[str, Any], raw: str) -> str:
    data["cards"] = dict.fromkeys(data["cards"], "not a card")
    return json.dumps(data)


def _not_a_dict(data: dict[str, Any], raw: str) -> str:
    return json.dumps(["cards"])


Damage = Callable[[dict[str, Any], str], str]


@pytest.mark.parametrize(
    "damage", [_not_json, _other_site, _other_format, _stale_digest, _bad_entries, _not_a_dict]
)
def test_a_damaged_or_stale_cards_file_is_ignored(
    make_site: MakeSite, tmp_path: Path, damage: Damage
) -> None:
    root = site(make_site)
    build(root)
    for shard in cards_files(root):
        raw = shard.read_text(encoding="utf-8")
        data = json.loads(raw)
        for value in data["cards"].values():  # what a wrongly trusted card would show
            value[1] = value[1].replace("card-title", "card-title WRONG")
        shard.write_text(damage(data, json.dumps(data)), encoding="utf-8")
    add_newest(root)
    build(root)
    assert "WRONG" not in (root / "dist" / "index.html").read_text(encoding="utf-8")
    assert_same_as_clean_build(root, tmp_path)
    for shard in cards_files(root):  # each rewritten whole, with the cards rendered afresh
        assert json.loads(shard.read_bytes())["format"] == cards.FORMAT
    assert len(saved_cards(root)) == len(TITLES) + 1


def test_adding_an_article_rewrites_one_cards_shard(make_site: MakeSite) -> None:
    """The cards are split by article (cards.SHARDS files): a new card rewrites its own file."""
    root = site(make_site)
    build(root)
    before = {f: f.stat().st_mtime_ns for f in cards_files(root)}
    assert len(before) > 1
    time.sleep(0.01)  # a rewritten file gets a later modification time
    add_newest(root, "Storm season plan")
    build(root)
    after = {f: f.stat().st_mtime_ns for f in cards_files(root)}
    [rewritten] = [f for f in after if before.get(f) != after[f]]
    assert any("/storm-season-plan/" in k for k in json.loads(rewritten.read_bytes())["cards"])
    assert len(saved_cards(root)) == len(TITLES) + 1


def test_cards_of_removed_articles_are_dropped(make_site: MakeSite) -> None:
    root = site(make_site)
    build(root)
    before = saved_cards(root)
    assert sum("/border-post-opens/" in k for k in before) == 1
    (root / "content/a1.md").unlink()
    build(root)
    after = saved_cards(root)
    assert not any("/border-post-opens/" in k for k in after)
    assert len(after) == len(before) - 1


def test_cards_rendered_in_worker_processes_are_saved(
    make_site: MakeSite, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(parallel, "MIN_UNITS_PER_JOB", 1)  # start the pool for a small site
    root = site(make_site)
    build(root, jobs=2)
    cards = saved_cards(root)
    assert len(cards) == len(TITLES)  # every article's card came back from the workers
    add_newest(root, "Storm season plan")
    build(root, jobs=2)
    assert card_titles(root, "/")[0] == "Storm season plan"
    assert_same_as_clean_build(root, tmp_path)
    serial = tmp_path / "serial"
    build(root, out_dir=serial, jobs=1)  # the serial path, reading the pool's cards
    assert tree(serial) == tree(tmp_path / "clean")


def test_a_preview_build_keeps_the_real_builds_cards(make_site: MakeSite, tmp_path: Path) -> None:
    """`dateline serve` builds elsewhere with another base_url: its cards go to their own file."""
    root = site(make_site)
    build(root)
    tamper(root, "training-for-officers", "FROM CACHE")
    preview = tmp_path / "preview"
    build(root, out_dir=preview, overrides={"base_url": "http://127.0.0.1:8000/"})
    assert "Training for officers" in [
        a.get_text() for a in page(preview, "/page/2/").select("h2 a")
    ]
    add_newest(root)
    build(root)
    assert "FROM CACHE" in card_titles(root, "/page/2/") + card_titles(root, "/page/3/")


def test_no_cache_build_writes_no_cards_file(make_site: MakeSite) -> None:
    root = site(make_site)
    build(root, use_cache=False)
    assert not list((root / CACHE_DIR).glob("cards-*.json"))
