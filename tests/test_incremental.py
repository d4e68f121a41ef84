"""Incremental builds give the same bytes as a clean build, and write only what changed.

The property test applies random edits to a small site and, after each one,
builds incrementally (cache, page fingerprints, reused staging folder) and
compares the output tree with a `--no-cache` build of the same site into a fresh
folder: every file, byte for byte. It also checks the incremental build's report:
it wrote exactly the files whose bytes changed and removed exactly the files gone.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dateline import pages, parallel, render
from dateline.build import BuildReport
from dateline.cache import CACHE_DIR, ContentCache, PageRecords, _page_shard
from dateline.config import load_config
from dateline.content import sources
from dateline.content.loader import load_site
from dateline.model import Artifact
from dateline.theme import theme_templates
from dateline.write import MANIFEST, previous_path
from tests.conftest import TEST_BASE_URL, MakeSite, article_md, build, page

CONFIG = f"""\
base_url = "{TEST_BASE_URL}"
per_page = 2
[themes]
"Health" = ["health"]
"""
COUNTRIES = ["SV", "GT", "HN", "MX"]
TITLES = ["Health fair in the north", "Border post opens", "Training for officers",
          "Returnees get support", "Health workers trained", "Storm season plan"]  # fmt: skip


def tree(folder: Path) -> dict[str, bytes]:
    """Every file below `folder` with its bytes (the manifest included)."""
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def clean_build(root: Path, out: Path) -> dict[str, bytes]:
    """The reference: a build without the cache into an empty folder."""
    shutil.rmtree(out, ignore_errors=True)
    build(root, out_dir=out, use_cache=False)
    return tree(out)


def write_article(root: Path, name: str, title: str, day: int, country: str, body: str) -> None:
    path = root / "content" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    text = article_md(title, f"2025-03-{day:02d}", body, country=country, summary="A summary.")
    path.write_text(text, encoding="utf-8")


def starting_site(root: Path) -> None:
    root.mkdir()
    (root / "dateline.toml").write_text(CONFIG, encoding="utf-8")
    for i in range(4):
        write_article(root, f"a{i}.md", TITLES[i], 1 + i, COUNTRIES[i % 4], f"Body {i}.")


def age_frame(root: Path) -> None:
    """Date the config and templates a minute back, so that builds keep their plan for the
    next one (snapshot.py keeps none while those files are newer than 2 s). Their ctime
    changes, so the next build notices the edit (and plans anew) all the same."""
    past = time.time() - 60
    for path in [root / "dateline.toml", *(root / "templates").rglob("*")]:
        if path.exists():
            os.utime(path, (past, past))


def articles(root: Path) -> list[Path]:
    return sorted((root / "content").glob("*.md"))


def apply(root: Path, edit: tuple[str, int, int]) -> None:
    """One user action on the site; `pick` chooses the file, `n` the new value."""
    action, pick, n = edit
    files = articles(root)
    target = files[pick % len(files)] if files else None
    if target is None or action == "add":
        write_article(root, f"new{n}.md", TITLES[n % len(TITLES)] + f" {n}", 1 + n % 27,
                      COUNTRIES[n % 4], f"New body {n}.")  # fmt: skip
        return
    text = target.read_text(encoding="utf-8")
    if action == "body":
        target.write_text(text + f"\nA new paragraph {n}.\n", encoding="utf-8")
    elif action == "title":
        lines = text.split("\n")
        lines[1] = f'title: "{TITLES[n % len(TITLES)]} {n}"'
        target.write_text("\n".join(lines), encoding="utf-8")
    elif action == "date":
        lines = text.split("\n")
        lines[2] = f"date: 2024-{1 + n % 12:02d}-{1 + n % 28:02d}"
        target.write_text("\n".join(lines), encoding="utf-8")
    elif action == "country":
        country = f"country: {COUNTRIES[n % 4]}"
        target.write_text(re.sub(r"^country: .*$", country, text, flags=re.MULTILINE), "utf-8")
    elif action == "delete" and len(files) > 1:
        target.unlink()
    elif action == "rename":
        target.rename(target.with_name(f"renamed{n}-{target.name}"))
    elif action == "template":
        override = root / "templates" / "article.html"
        if not override.exists():
            override.parent.mkdir(exist_ok=True)
            shutil.copy(theme_templates() / "article.html", override)
        with override.open("a", encoding="utf-8") as stream:
            stream.write(f"<!-- edit {n} -->\n")
    elif action == "config":
        per_page = 1 + n % 3
        (root / "dateline.toml").write_text(
            CONFIG.replace("per_page = 2", f"per_page = {per_page}"), encoding="utf-8"
        )
    elif action == "corrupt-cache":
        caches = [*(root / CACHE_DIR).glob("*.json"), *(root / CACHE_DIR).glob("*.pickle")]
        for shard in sorted(caches, key=lambda p: (p.suffix != ".pickle", p.name))[: 1 + n % 3]:
            data = shard.read_bytes()
            shard.write_bytes(data[: len(data) // 2] if n % 2 else b'{"key": 1, "entries": []}')


ACTIONS = ["body", "title", "date", "country", "add", "delete", "rename", "template", "config",
           "corrupt-cache"]  # fmt: skip
EDITS = st.tuples(
    st.sampled_from(ACTIONS),
    st.integers(0, 20),
    st.integers(0, 99),
)


def check_report(report: BuildReport, before: dict[str, bytes], after: dict[str, bytes]) -> None:
    """The report names exactly the files whose bytes changed, and the files removed.

    Only the files the build itself wrote count: the manifest lists them (a finalize
    step such as the search index adds its own files after them).
    """
    listed = set(json.loads(after[MANIFEST])["files"])
    listed_before = set(json.loads(before[MANIFEST])["files"])
    changed = {p for p in listed if before.get(p) != after[p]}
    assert set(report.written) == changed
    assert set(report.removed) == listed_before - listed


@settings(
    max_examples=20 if os.environ.get("CI") == "true" else 6,  # each one builds twice: ~1.3 s
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(st.lists(EDITS, min_size=1, max_size=4))
def test_incremental_build_equals_clean_build(edits: list[tuple[str, int, int]]) -> None:
    check_edits(edits)


@settings(
    max_examples=8 if os.environ.get("CI") == "true" else 3,  # two forks per build
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(st.lists(EDITS, min_size=1, max_size=3))
def test_incremental_build_equals_clean_build_when_workers_check_pages(
    edits: list[tuple[str, int, int]],
) -> None:
    """The path a big archive takes: the workers fingerprint every page, not the parent."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(parallel, "MIN_UNITS_PER_JOB", 1)
        patch.setattr(pages, "CHECK_IN_WORKERS", 1)
        patch.setattr(parallel, "WINDOW", 3)  # the window refills, shares done on both sides
        check_edits(edits, jobs=2)


def check_edits(edits: list[tuple[str, int, int]], **options: object) -> None:
    """After each edit, the incremental build equals a clean one and reports what changed."""
    with tempfile.TemporaryDirectory() as temp:
        root, clean = Path(temp) / "site", Path(temp) / "clean"
        starting_site(root)
        age_frame(root)
        build(root, **options)
        before = tree(root / "dist")
        for edit in edits:
            apply(root, edit)
            if edit[0] in ("template", "config"):
                age_frame(root)
            report = build(root, **options)
            after = tree(root / "dist")
            assert after == clean_build(root, clean), f"after {edit}"
            check_report(report, before, after)
            before = after


def test_second_build_writes_nothing_and_stages_nothing(make_site: MakeSite) -> None:
    root = make_site({"content/a.md": article_md("Health fair", "2025-03-01", country="SV")})
    first = build(root)
    assert first.written
    assert not previous_path(first.out_dir).exists()
    mtimes = {p: p.stat().st_mtime_ns for p in (root / "dist").rglob("*")}
    second = build(root)
    assert second.written == ()
    assert second.removed == ()
    assert second.unchanged == first.unchanged + len(first.written)
    # nothing to do: no staging folder was made, so no previous build was set aside
    assert not previous_path(second.out_dir).exists()
    assert {p: p.stat().st_mtime_ns for p in (root / "dist").rglob("*")} == mtimes


def test_editing_one_body_rewrites_exactly_the_pages_that_show_it(
    make_site: MakeSite, tmp_path: Path
) -> None:
    files = {
        f"content/a{i}.md": article_md(TITLES[i], f"2025-03-0{i + 1}", f"Body {i}.", country="SV")
        for i in range(4)
    }
    root = make_site(files)
    build(root)
    before = tree(root / "dist")
    edited = root / "content" / "a1.md"
    edited.write_text(edited.read_text(encoding="utf-8") + "\nA correction.\n", encoding="utf-8")
    report = build(root)
    after = clean_build(root, tmp_path / "clean")
    assert tree(root / "dist") == after
    check_report(report, before, after)
    article = page(root / "dist", "/news/2025/03/02/border-post-opens/")
    assert "A correction." in article.get_text()
    assert "news/2025/03/02/border-post-opens/index.html" in report.written
    assert "index.html" not in report.written  # the listing shows the summary, not the body
    assert len(report.written) < len(before) // 4


def page_records(root: Path) -> dict[str, tuple[int, bytes]]:
    """Each page-record shard's modification time and bytes (a rewrite changes the first)."""
    return {
        p.name: (p.stat().st_mtime_ns, p.read_bytes())
        for p in (root / CACHE_DIR).glob("pages-*.json")
    }


def test_a_body_edit_rewrites_only_the_record_shards_of_its_pages(make_site: MakeSite) -> None:
    """Page records are sharded by path: at 100,000 articles the single file was 43 MB,
    rewritten whole after every edit. Removed pages leave no record behind."""
    files = {
        f"content/{i}.md": article_md(f"{TITLES[i % len(TITLES)]} {i}", f"2025-03-{1 + i:02d}",
                                      f"Lead {i}.\n\nBody number {i}.", country=COUNTRIES[i % 4])
        for i in range(12)
    }  # fmt: skip
    root = make_site(files)
    report = build(root)
    before = page_records(root)
    assert len(before) > 8  # spread over many shards
    recorded = {k for _, data in before.values() for k in json.loads(data)["pages"]}
    assert recorded == set(report.written) - set(copied_files(root))
    edited = root / "content" / "3.md"
    edited.write_text(edited.read_text(encoding="utf-8") + "\nA correction.\n", "utf-8")
    report = build(root)
    after = page_records(root)
    changed = {name for name in after if after[name] != before.get(name)}
    assert report.written
    assert len(changed) <= len(report.written) < len(before) // 2
    (root / "content" / "5.md").unlink()
    report = build(root)
    recorded = {k for _, data in page_records(root).values() for k in json.loads(data)["pages"]}
    assert report.removed
    assert not recorded & set(report.removed)
    listed = set(json.loads((root / "dist" / MANIFEST).read_text())["files"])
    assert recorded == listed - set(copied_files(root))


def cache_files(root: Path, pattern: str) -> dict[str, tuple[int, bytes]]:
    return {
        p.name: (p.stat().st_mtime_ns, p.read_bytes()) for p in (root / CACHE_DIR).glob(pattern)
    }


def test_an_edit_rewrites_one_shard_of_file_stats_and_a_gone_file_leaves_them(
    make_site: MakeSite,
) -> None:
    """The content cache's file stats are sharded by path (3 MB at 20,000 files, rewritten
    whole after every edit before); a file that is gone leaves no stat behind."""
    files = {f"content/{i}.md": article_md(f"{TITLES[i % 6]} {i}", "2025-03-01") for i in range(40)}
    root = make_site(files)
    build(root)
    before = cache_files(root, "files-*.json")
    stats = {k: v for _, data in before.values() for k, v in json.loads(data)["files"].items()}
    assert set(stats) == set(files)
    edited = root / "content/7.md"
    edited.write_text(edited.read_text(encoding="utf-8") + "\nA correction.\n", "utf-8")
    build(root)
    after = cache_files(root, "files-*.json")
    assert [name for name in after if after[name] != before[name]] == [
        name for name in after if '"content/7.md"' in after[name][1].decode()
    ]
    (root / "content/9.md").unlink()
    build(root)
    stats = {
        k: v
        for _, data in cache_files(root, "files-*.json").values()
        for k, v in json.loads(data)["files"].items()
    }
    assert set(stats) == set(files) - {"content/9.md"}
    assert stats["content/7.md"][2] == hashlib.sha256(edited.read_bytes()).hexdigest()


def test_page_records_forget_a_removed_page_and_keep_the_rest(tmp_path: Path) -> None:
    """Nothing else changed, so only the removed page's shard is rewritten, without it."""
    out, digest = tmp_path / "dist", hashlib.sha256(b"page").hexdigest()
    names = [f"news/{i}/index.html" for i in range(40)]
    first = PageRecords(tmp_path, out)
    for name in names:
        first.record(name, "fingerprint", b"page")
    first.save()
    second = PageRecords(tmp_path, out)
    assert set(second.records) == set(names)
    for name in names[1:]:
        assert second.unchanged(name, "fingerprint", {name: digest}, {})
    second.save()
    assert set(PageRecords(tmp_path, out).records) == set(names[1:])


def test_page_records_of_the_wrong_shape_or_shard_are_not_trusted(tmp_path: Path) -> None:
    """A hand-edited or foreign records file is read as far as it makes sense, no further."""
    out = tmp_path / "dist"
    first = PageRecords(tmp_path, out)
    first.record("news/a/index.html", "fingerprint", b"page")
    first.save()
    (shard,) = (tmp_path / CACHE_DIR).glob("pages-*.json")
    data = json.loads(shard.read_text())
    good = data["pages"]["news/a/index.html"]
    names = [f"x{i}/index.html" for i in range(999)]
    here = [name for name in names if _page_shard(name) == _page_shard("news/a/index.html")]
    misplaced = next(name for name in names if name not in here)
    shapes = [good[:2], [*good[:2], 3], [3, *good[1:]], "text", [*good, ""], {"0": "x"}, None]
    bad = {**dict(zip(here, shapes, strict=False)), misplaced: good}
    assert len(bad) == len(shapes) + 1
    data["pages"] |= bad
    shard.write_text(json.dumps(data))
    assert PageRecords(tmp_path, out).records == {"news/a/index.html": good}


def copied_files(root: Path) -> list[str]:
    """The output files not rendered from a template (no page record): static and host files."""
    out = root / "dist"
    return [p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()
            and p.relative_to(out).as_posix().startswith(("static/", ".nojekyll", ".dateline/"))]  # fmt: skip


def test_no_cache_build_neither_reads_nor_writes_the_cache(make_site: MakeSite) -> None:
    root = make_site({"content/a.md": article_md("Health fair", "2025-03-01", country="SV")})
    build(root, use_cache=False)
    assert not (root / CACHE_DIR).exists()
    build(root)
    assert (root / CACHE_DIR).is_dir()
    again = build(root, use_cache=False)  # renders every page, but writes no identical bytes
    assert again.written == ()


def test_a_rebuild_reads_only_the_bodies_of_the_pages_it_renders(make_site: MakeSite) -> None:
    """Bodies wait in the cache; a lost body file costs a full load, never a wrong page."""
    files = {
        f"content/{i}.md": article_md(f"{TITLES[i]} {i}", f"2025-03-{1 + i:02d}", f"Body number {i}.",
                                      country=COUNTRIES[i % 4])
        for i in range(6)
    }  # fmt: skip
    root = make_site(files)
    build(root)
    bodies = sorted((root / CACHE_DIR).glob("bodies-*.txt"))
    assert bodies, "bodies are cached apart from the articles"
    assert all(
        "<p>Body number" not in p.read_text() for p in (root / CACHE_DIR).glob("content*.json")
    )
    for path in bodies:
        path.unlink()
    (root / "content/2.md").write_text(
        article_md(
            f"{TITLES[2]} 2", "2025-03-03", "Body number 2, corrected.", country=COUNTRIES[2]
        )
    )
    report = build(root)  # neighbours' pages are rendered again and need bodies that are gone
    assert "news/2025/03/03/training-for-officers-2/index.html" in report.written
    assert (
        "Body number 2, corrected."
        in page(root / "dist", "news/2025/03/03/training-for-officers-2/").get_text()
    )
    assert tree(root / "dist") == clean_build(root, root.parent / "clean")


def second_body(body: str) -> str:
    return article_md("Border post", "2025-03-02", body, country="GT", summary="S.")


def two_bulletins(make_site: MakeSite, extra: dict[str, str] | None = None) -> Path:
    """A built two-article site; `second_body` rewrites the newer one."""
    root = make_site({
        "dateline.toml": CONFIG,
        "content/a.md": article_md("Health fair", "2025-03-01", "First body.", country="SV", summary="S."),
        "content/b.md": second_body("Second body."),
        **(extra or {}),
    })  # fmt: skip
    build(root)
    return root


@pytest.mark.parametrize(
    ("template", "text"),
    [
        ("partials/card.html", '<article class="card"><h2>{{ article.title }}</h2>'
                               "{{ article.body_html|html }}</article>"),
        ("index.html", '{% extends "theme/index.html" %}{% block main %}'
                       "{% for a in pager.items %}{{ a.body_html|html }}{% endfor %}{% endblock %}"),
    ],
)  # fmt: skip
def test_a_listing_that_shows_bodies_follows_a_body_edit(
    make_site: MakeSite, tmp_path: Path, template: str, text: str
) -> None:
    """Pages depend on the bodies they read while rendering, whichever template reads them."""
    root = two_bulletins(make_site, {f"templates/{template}": text})
    assert "Second body." in (root / "dist" / "index.html").read_text(encoding="utf-8")
    (root / "content/b.md").write_text(second_body("Second body, corrected."))
    report = build(root)
    assert "index.html" in report.written
    assert "Second body, corrected." in (root / "dist" / "index.html").read_text(encoding="utf-8")
    assert tree(root / "dist") == clean_build(root, tmp_path / "clean")


def test_a_body_edit_renders_no_listing_of_the_default_theme(
    make_site: MakeSite, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The theme's listings show no body: a body edit renders the article's page and feeds only."""
    root = two_bulletins(make_site)
    rendered: list[str] = []
    original = render.render_artifact  # the function pages.py calls, patched there

    def spy(env: object, artifact: Artifact) -> bytes:
        rendered.append(artifact.kind)
        return original(env, artifact)  # type: ignore[arg-type]

    monkeypatch.setattr(pages, "render_artifact", spy)
    (root / "content/b.md").write_text(second_body("Second body, corrected."))
    build(root)
    assert "article" in rendered
    assert "feed" in rendered
    assert not {"index", "term", "year", "month", "terms", "archive"} & set(rendered), rendered


def test_files_removed_from_the_output_are_written_again(make_site: MakeSite) -> None:
    """The output is never trusted blindly: a page deleted by hand comes back."""
    root = make_site({"content/a.md": article_md("Health fair", "2025-03-01", country="SV")})
    build(root)
    (root / "dist" / "index.html").unlink()
    build(root)  # the manifest still lists it, so this build keeps it by linking: repaired
    assert (root / "dist" / "index.html").is_file()


def test_parallel_and_serial_builds_give_the_same_bytes(
    make_site: MakeSite, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(parallel, "MIN_UNITS_PER_JOB", 1)  # start the pool for a small site
    files = {
        f"content/{i:03d}.md": article_md(
            f"{TITLES[i % 6]} {i}", f"2025-{1 + i % 12:02d}-{1 + i % 28:02d}", f"Body *{i}*.",
            country=COUNTRIES[i % 4],
        )
        for i in range(24)
    }  # fmt: skip
    root = make_site(files)
    serial = build(root, out_dir=tmp_path / "serial", use_cache=False, jobs=1)
    pooled = build(root, out_dir=tmp_path / "pooled", use_cache=False, jobs=2)
    assert serial.pages == pooled.pages
    assert tree(tmp_path / "serial") == tree(tmp_path / "pooled")


def test_a_cold_build_reads_no_content_file_before_it_forks(
    make_site: MakeSite, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file no cache has seen is read where it is parsed: the build process holds no
    text when it forks its worker (which would count every text again in memory)."""
    readers: list[int] = []
    at_fork: list[int] = []
    read, start = sources.read_source, parallel.Workers._start

    def reading(path: Path, root: Path) -> object:
        readers.append(os.getpid())  # in this process only: a worker's list is its own
        return read(path, root)

    def forking(self: parallel.Workers) -> Any:
        if self._pool is None:
            at_fork.append(len(readers))
        return start(self)

    monkeypatch.setattr(sources, "read_source", reading)
    monkeypatch.setattr(parallel.Workers, "_start", forking)
    monkeypatch.setattr(parallel, "MIN_UNITS_PER_JOB", 1)  # start the pool for a small site
    root = make_site(
        {f"content/{i:02d}.md": article_md(f"{TITLES[i % 6]} {i}", "2025-03-01") for i in range(24)}
    )
    assert build(root, jobs=2).articles == 24
    assert at_fork[:1] == [0], at_fork
    assert len(readers) < 24  # the worker read its share


def test_a_cold_build_leaves_the_bodies_it_converted_to_the_cache(make_site: MakeSite) -> None:
    """Once the content cache has saved them, a cold build's articles hold no body text:
    each page reads its own from the cache (a big archive's bodies are hundreds of MB)."""
    files = {f"content/{i}.md": article_md(f"{TITLES[i]} {i}", "2025-03-01", f"Body *{i}*.")
             for i in range(3)}  # fmt: skip
    root = make_site(files)
    config = load_config(root)
    cached = load_site(config, cache=ContentCache.for_site(config))
    plain = load_site(config)  # without a cache the texts stay where they are
    assert [a.body.stored_text for a in cached.articles] == [None] * 3
    assert [a.body_html for a in cached.articles] == [a.body_html for a in plain.articles]
    assert all(a.body.stored_text for a in plain.articles)
    assert any("<em>1</em>" in a.body_html for a in cached.articles)
    build(root)
    report = build(root, use_cache=False)  # the pages read from the cache were right
    assert report.written == ()


def test_a_pruning_save_keeps_the_entries_counted_as_used_unread(make_site: MakeSite) -> None:
    """`ContentCache.keep` (a file taken from the last plan's loads) keeps its cache entry
    through a save that prunes, exactly as reading the entry would; others go."""
    files = {f"content/{i}.md": article_md(f"{TITLES[i]} {i}", "2025-03-01") for i in range(3)}
    root = make_site(files)
    config = load_config(root)
    load_site(config, cache=ContentCache.for_site(config))
    digests = ContentCache.for_site(config).digests()
    later = ContentCache.for_site(config)
    later.keep("content/0.md", digests["content/0.md"])
    later.get("content/1.md", digests["content/1.md"])
    later.save(digests)
    final = ContentCache.for_site(config)
    found = {
        relative: final.get(relative, digest) is not None for relative, digest in digests.items()
    }
    assert found == {"content/0.md": True, "content/1.md": True, "content/2.md": False}


def test_workers_that_check_pages_render_what_the_parent_would(
    make_site: MakeSite, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A big archive's full plan is fingerprinted in the workers (pages.CHECK_IN_WORKERS):
    after a title edit they render the same pages as the parent's check, and no more."""
    files = {
        f"content/a{i}.md": article_md(TITLES[i], f"2024-0{i + 1}-10", f"Body {i}.",
                                       country=COUNTRIES[i % 4])
        for i in range(6)
    }  # fmt: skip
    first = make_site({"dateline.toml": CONFIG, **files})
    second = shutil.copytree(first, tmp_path / "second")
    log = tmp_path / "rendered.log"
    original = render.render_artifact  # the function pages.py calls, patched there

    def spy(env: object, artifact: Artifact) -> bytes:  # runs in forked workers: log to a file
        with log.open("a", encoding="utf-8") as stream:
            stream.write(artifact.path + "\n")
        return original(env, artifact)  # type: ignore[arg-type]

    def rendered_after_title_edit(root: Path) -> set[str]:
        """Two title edits: the second shows that the records of pages kept are kept."""
        build(root, jobs=2)
        for number, title in ((2, "Training postponed"), (1, "Border post closes")):
            article = root / f"content/a{number}.md"
            text = article.read_text(encoding="utf-8")
            article.write_text(text.replace(TITLES[number], title), encoding="utf-8")
            log.write_text("", encoding="utf-8")
            report = build(root, jobs=2)
        rendered = set(log.read_text(encoding="utf-8").split())
        assert tree(root / "dist") == clean_build(root, tmp_path / "clean")
        assert report.written
        return rendered

    monkeypatch.setattr(pages, "render_artifact", spy)
    monkeypatch.setattr(parallel, "MIN_UNITS_PER_JOB", 1)  # start the pool for a small site
    by_parent = rendered_after_title_edit(first)
    monkeypatch.setattr(pages, "CHECK_IN_WORKERS", 1)
    by_workers = rendered_after_title_edit(second)
    assert by_workers == by_parent, sorted(by_parent)
    assert "/news/2024/02/10/border-post-closes/" in by_workers
    assert "/news/2024/04/10/returnees-get-support/" not in by_workers, sorted(by_workers)


def test_fewer_pages_go_ahead_of_the_writer_when_every_unit_renders_one(
    make_site: MakeSite, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Rendered pages are big: when every unit renders one (the parent's check left only
    those, or nothing was recorded to check against) at most `RENDER_WINDOW` are handed
    out ahead; when the workers check pages that mostly stay, the pool's default."""
    asked: list[int | None] = []
    original = parallel.Workers.map

    def spy(self: parallel.Workers, function: Any, units: Any, *, window: int | None = None) -> Any:
        if function is pages._page:
            asked.append(window)
        return original(self, function, units, window=window)

    monkeypatch.setattr(parallel.Workers, "map", spy)
    monkeypatch.setattr(parallel, "MIN_UNITS_PER_JOB", 1)  # start the pool for a small site
    files = {
        f"content/a{i}.md": article_md(TITLES[i], f"2024-0{i + 1}-10", f"Body {i}.",
                                       country=COUNTRIES[i % 4])
        for i in range(6)
    }  # fmt: skip
    root = make_site(files)
    article = root / "content/a2.md"
    build(root, jobs=2)  # cold, the parent checks
    article.write_text(article.read_text(encoding="utf-8") + "More.\n", encoding="utf-8")
    build(root, jobs=2)  # the parent checks: the units left are the pages to render
    monkeypatch.setattr(pages, "CHECK_IN_WORKERS", 1)
    article.write_text(article.read_text(encoding="utf-8") + "Again.\n", encoding="utf-8")
    build(root, jobs=2)  # the workers check, against the pages recorded
    shutil.rmtree(root / CACHE_DIR)
    build(root, jobs=2)  # the workers check, with nothing recorded: every page renders
    window = pages.RENDER_WINDOW
    assert asked == [window, window, None, window]


def test_adding_an_article_rewrites_the_listings_not_every_page(
    make_site: MakeSite, tmp_path: Path
) -> None:
    files = {
        f"content/a{i}.md": article_md(TITLES[i], f"2024-0{i + 1}-10", f"Body {i}.", country="SV")
        for i in range(6)
    }
    root = make_site(files)
    build(root)
    before = tree(root / "dist")
    write_article(root, "newest.md", "Storm season plan for Guatemala", 20, "GT", "New body.")
    report = build(root)
    after = clean_build(root, tmp_path / "clean")
    assert tree(root / "dist") == after
    check_report(report, before, after)
    assert "index.html" in report.written
    oldest = "news/2024/01/10/health-fair-in-the-north/index.html"
    assert oldest in after
    assert oldest not in report.written  # no page-wide count or list makes every page stale


@pytest.mark.parametrize("in_the_way", ["file", "link", "folder"])
def test_whatever_is_in_the_way_in_the_reused_staging_folder_is_cleared(
    make_site: MakeSite, tmp_path: Path, in_the_way: str
) -> None:
    """The folder kept from the build before last is reused as staging. Where it holds a
    file or a link in place of a folder the build writes into, or a folder in place of a
    page, that goes, and nothing is written through a link to outside the output."""
    root = make_site({
        "content/a0.md": article_md("Health fair", "2025-03-01", "Body 0.", country="SV"),
        "content/a1.md": second_body("Body 1."),
    })  # fmt: skip
    edited = root / "content/a1.md"
    build(root)
    for k in range(2):  # now .dist.previous holds the first build, and the next build reuses it
        edited.write_text(second_body(f"Body, corrected {k}."), encoding="utf-8")
        build(root)
    previous = previous_path(root / "dist")
    article = previous / "news/2025/03/02/border-post"
    assert (article / "index.html").is_file()
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "index.html").write_text("not ours", encoding="utf-8")
    shutil.rmtree(article)
    if in_the_way == "file":
        article.write_text("in the way", encoding="utf-8")
    elif in_the_way == "link":
        article.symlink_to(outside, target_is_directory=True)
    else:
        (article / "index.html" / "deeper").mkdir(parents=True)
    edited.write_text(second_body("Body, corrected again."), encoding="utf-8")
    report = build(root)
    assert "news/2025/03/02/border-post/index.html" in report.written
    assert tree(root / "dist") == clean_build(root, tmp_path / "clean")
    assert (outside / "index.html").read_text(encoding="utf-8") == "not ours"
    assert [p.name for p in outside.iterdir()] == ["index.html"]
