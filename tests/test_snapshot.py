"""The plan snapshot (snapshot.py): a body-only edit reuses the last plan, anything else plans.

A build is observed to reuse the plan when `plan_build` does not run. Every scenario
also compares the whole output with a `--no-cache` build into a fresh folder, so a
reused plan that shows one stale byte fails.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import io
import json
import os
import pickle
import re
import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import dateline.build
import dateline.cache
import dateline.parallel
import dateline.snapshot
from dateline.cache import CACHE_DIR, ContentCache
from dateline.errors import BuildError
from dateline.model import Article
from tests.conftest import NOW, MakeSite, age, article_md, build, count_calls, page
from tests.test_incremental import tree


@pytest.fixture
def plans(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts the cached builds that planned the site (a reused plan is not planned; the
    reference builds of `same_as_clean` do not count)."""
    return count_calls(
        monkeypatch, dateline.build, "plan_build", lambda kw: bool(kw.get("use_cache"))
    )


def log_checks(monkeypatch: pytest.MonkeyPatch, log: Path, *, fail_in_child: bool = False) -> None:
    """Note in `log` the id of each process that checks the content files for `restore`
    (`snapshot._changes`); with `fail_in_child`, a forked child fails doing so."""
    real, parent = dateline.snapshot._changes, os.getpid()

    def logged(*args: Any) -> Any:
        with log.open("a", encoding="utf-8") as stream:
            stream.write(f"{os.getpid()}\n")
        if fail_in_child and os.getpid() != parent:
            raise OSError("the child failed")
        return real(*args)

    monkeypatch.setattr(dateline.snapshot, "_changes", logged)


def fork_in_tests(monkeypatch: pytest.MonkeyPatch) -> None:
    """Check in a forked child however small the site, and although earlier tests left
    threads behind (Playwright's, a server's), as a `dateline build` of a big archive does."""
    monkeypatch.setattr(dateline.snapshot, "BESIDE_FILES", 0)
    monkeypatch.setattr(dateline.parallel, "_single_threaded", lambda: True)


def checked_by(log: Path) -> set[int]:
    return {int(line) for line in log.read_text(encoding="utf-8").split()}


@pytest.fixture(params=["here", "in a child"])
def checks(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Iterator[None]:
    """Where restoring checks the content files: in the build's own process (a small
    archive), or in a child forked beside it (`BESIDE_FILES`), and then only there."""
    log = tmp_path / "checked-by"
    log.touch()
    log_checks(monkeypatch, log)
    if request.param == "in a child":
        fork_in_tests(monkeypatch)
    yield
    found = checked_by(log)
    assert found, "no build restored a plan"
    if request.param == "in a child":
        assert os.getpid() not in found
    else:
        assert found == {os.getpid()}


LONG_BODY = "Lead paragraph about the fair.\n\nSecond paragraph, {}.\n"


@pytest.fixture
def site(make_site: MakeSite) -> Path:
    root = make_site(
        {
            "dateline.toml": 'base_url = "https://example.org/"\nper_page = 1\n',
            "content/a.md": article_md(
                "Health fair", "2025-03-01", LONG_BODY.format("first"), country="SV"
            ),
            "content/b.md": article_md(
                "Border post opens", "2025-03-02", LONG_BODY.format("as before"), country="GT"
            ),
            "content/c.md": article_md(
                "Draft notes", "2025-03-03", "Not yet.\n\nMore.\n", country="SV", draft="true"
            ),
            "content/2018.txt": (
                "July 6, 2018\nStorm season plan\nSan Salvador – The plan was presented.\n\n"
                "July 7, 2018\nTraining for officers\nGuatemala – Officers were trained.\n"
            ),
        }
    )
    age(root)
    build(root)
    return root


def same_as_clean(root: Path) -> None:
    clean = root.parent / "clean"
    shutil.rmtree(clean, ignore_errors=True)
    build(root, out_dir=clean, use_cache=False)
    assert tree(root / "dist") == tree(clean)


def rewrite(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


def test_a_body_edit_reuses_the_plan_and_renders_only_its_pages(
    site: Path, plans: list[int]
) -> None:
    rewrite(site / "content/a.md", "Second paragraph, first.", "Second paragraph, corrected.")
    report = build(site)
    assert plans == []
    assert "corrected" in page(site / "dist", "/news/2025/03/01/health-fair/").get_text()
    assert "index.html" not in report.written  # listings name the article, never its body
    assert any(path.startswith("news/2025/03/01/health-fair/") for path in report.written)
    same_as_clean(site)


def test_body_edits_in_turn_keep_every_earlier_edit(
    site: Path, plans: list[int], checks: None
) -> None:
    rewrite(site / "content/a.md", "Second paragraph, first.", "Second paragraph, edit one.")
    build(site)
    rewrite(site / "content/b.md", "Second paragraph, as before.", "Second paragraph, edit two.")
    build(site)  # a.md differs from the snapshot too: it must come back edited
    rewrite(site / "content/b.md", "edit two", "edit three")
    build(site)
    assert plans == []
    assert "edit one" in page(site / "dist", "/news/2025/03/01/health-fair/").get_text()
    assert "edit three" in page(site / "dist", "/news/2025/03/02/border-post-opens/").get_text()
    same_as_clean(site)


def test_a_child_that_fails_to_check_leaves_the_check_to_the_build(
    site: Path, plans: list[int], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    log = tmp_path / "checked-by"
    log.touch()
    log_checks(monkeypatch, log, fail_in_child=True)
    fork_in_tests(monkeypatch)
    rewrite(site / "content/a.md", "Second paragraph, first.", "Second paragraph, checked here.")
    build(site)
    assert plans == []
    assert os.getpid() in checked_by(log)
    assert len(checked_by(log)) == 2
    assert "checked here" in page(site / "dist", "/news/2025/03/01/health-fair/").get_text()
    same_as_clean(site)


def test_a_child_whose_answer_does_not_read_back_leaves_the_check_to_the_build(
    site: Path, plans: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(dateline.snapshot, "_pickled", lambda work: b"not a pickle")
    fork_in_tests(monkeypatch)
    rewrite(site / "content/a.md", "Second paragraph, first.", "Second paragraph, read here.")
    build(site)
    assert plans == []
    assert "read here" in page(site / "dist", "/news/2025/03/01/health-fair/").get_text()
    same_as_clean(site)


def test_a_loads_shard_holding_something_else_is_passed_over(tmp_path: Path) -> None:
    """A shard whose digest holds but whose entry is not (articles, diagnostics): that
    file is left out (so the plan is not restored), never a crash."""
    plan = tmp_path / "plan-x.pickle"
    body = io.BytesIO()
    dateline.snapshot._pickler(body).dump({"content/a.md": ("not loads", [])})
    head = {"format": dateline.snapshot.FORMAT, "frame": "f", "files": {"content/a.md": "d"},
            "digest": hashlib.sha256(body.getbuffer()).hexdigest()}  # fmt: skip
    shard = io.BytesIO()
    dateline.snapshot._pickler(shard).dump(head)
    shard.write(body.getbuffer())
    number = dateline.snapshot._load_shard("content/a.md")
    dateline.snapshot._loads_path(plan, number).write_bytes(shard.getvalue())
    found = dateline.snapshot.earlier_loads(plan, "f", ContentCache(None, ""))
    assert found.files == {}


def _lead(root: Path) -> None:  # the lead is the summary and the description
    rewrite(root / "content/a.md", "Lead paragraph about the fair.", "A new lead.")


def _title(root: Path) -> None:
    rewrite(root / "content/a.md", 'title: "Health fair"', 'title: "Health fair opens"')


def _date(root: Path) -> None:
    rewrite(root / "content/a.md", "date: 2025-03-01", "date: 2025-03-04")


def _country(root: Path) -> None:
    rewrite(root / "content/a.md", "country: SV", "country: HN")


def _add(root: Path) -> None:
    (root / "content/d.md").write_text(article_md("Floods", "2025-03-05", country="MX"), "utf-8")


def _delete(root: Path) -> None:
    (root / "content/b.md").unlink()


def _rename(root: Path) -> None:
    (root / "content/b.md").rename(root / "content/b2.md")


def _publish_draft(root: Path) -> None:
    rewrite(root / "content/c.md", "draft: true", "draft: false")


def _digest_entry(root: Path) -> None:  # an entry's lead in a digest file
    rewrite(root / "content/2018.txt", "Officers were trained.", "Officers were trained twice.")


def _template(root: Path) -> None:
    (root / "templates").mkdir()
    (root / "templates/article.html").write_text(
        '{% extends "base.html" %}{% block main %}<p>Own page</p>{{ article.body_html }}'
        "{% endblock %}",
        "utf-8",
    )


def _config(root: Path) -> None:
    rewrite(root / "dateline.toml", "per_page = 1", "per_page = 2")


def _bad_snapshot(root: Path) -> None:
    _body(root)
    for path in (root / CACHE_DIR).glob("plan-*.pickle"):
        path.write_bytes(path.read_bytes()[:1000])


def _bad_loads(root: Path) -> None:  # a loads shard the plan refers to lost its end
    _body(root)
    [shard] = [p for p in loads_shards(root) if b"content/b.md" in p.read_bytes()]
    shard.write_bytes(shard.read_bytes()[:-20])  # its header intact: only its digest tells


def _foreign_loads(root: Path) -> None:  # a shard from another build: other files or digests
    _body(root)
    [shard] = [p for p in loads_shards(root) if b"content/b.md" in p.read_bytes()]
    shard.write_bytes(shard.read_bytes().replace(b"content/b.md", b"content/x.md"))


def loads_shards(root: Path) -> list[Path]:
    return sorted((root / CACHE_DIR).glob("loads-*.pickle"))


def _body(root: Path) -> None:
    path = root / "content/a.md"
    text, count = re.subn(r"Second paragraph, [^.]*\.", f"Second paragraph, {time.time_ns()}.",
                          path.read_text(encoding="utf-8"))  # fmt: skip
    assert count == 1
    path.write_text(text, encoding="utf-8")


PLANNED: dict[str, Callable[[Path], None]] = {
    "lead": _lead, "title": _title, "date": _date, "country": _country, "add": _add,
    "delete": _delete, "rename": _rename, "publish draft": _publish_draft,
    "digest entry": _digest_entry, "template": _template, "config": _config,
    "damaged snapshot": _bad_snapshot, "damaged loads": _bad_loads,
    "foreign loads": _foreign_loads,
}  # fmt: skip


@pytest.mark.parametrize("change", sorted(PLANNED))
def test_any_other_change_plans_the_site(
    site: Path, plans: list[int], change: str, checks: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    PLANNED[change](site)
    reads = count_calls(monkeypatch, dateline.snapshot, "_read_loads")
    build(site)
    assert plans == [1]
    assert reads == [1]  # what restoring read of the last plan's loads, planning takes
    same_as_clean(site)
    if change in ("template", "config"):  # written just now: no plan is kept until they age
        age(site)
        build(site)
    planned = len(plans)
    _body(site)  # and the next body edit reuses the new plan
    build(site)
    assert len(plans) == planned
    same_as_clean(site)


def test_a_draft_body_edit_reuses_the_plan_and_writes_nothing(site: Path, plans: list[int]) -> None:
    rewrite(site / "content/c.md", "More.", "More to come.")
    report = build(site)
    assert plans == []
    assert report.written == ()


def test_a_held_back_article_falling_due_plans_the_site(make_site: MakeSite) -> None:
    due = NOW + dt.timedelta(hours=2)
    root = make_site(
        {
            "content/a.md": article_md("Health fair", "2025-03-01", "One.\n\nTwo.\n"),
            "content/b.md": article_md("Tomorrow", due.strftime("%Y-%m-%dT%H:%M:%SZ")),
        }
    )
    age(root)
    build(root)
    rewrite(root / "content/a.md", "Two.", "Two, edited.")
    later = NOW + dt.timedelta(hours=3)
    dateline.build.build_site(root, now=later)
    assert "Tomorrow" in page(root / "dist", "/").get_text()


def test_a_snapshot_cannot_run_code(site: Path, plans: list[int], tmp_path: Path) -> None:
    marker = tmp_path / "ran"

    class Payload:
        def __reduce__(self) -> tuple[object, tuple[str]]:
            return (os.system, (f"touch {marker}",))

    for path in [*(site / CACHE_DIR).glob("plan-*.pickle"), *loads_shards(site)]:
        path.write_bytes(pickle.dumps(Payload()))
    _body(site)
    build(site)
    assert not marker.exists()
    assert plans == [1]
    same_as_clean(site)


def test_no_cache_and_racy_builds_keep_no_snapshot(make_site: MakeSite) -> None:
    root = make_site({"content/a.md": article_md("Health fair", "2025-03-01")})
    build(root, use_cache=False)
    assert not list((root / CACHE_DIR).glob("plan-*"))
    build(root)  # the config was written just now: it could change again unseen
    assert not list((root / CACHE_DIR).glob("plan-*"))
    age(root)
    build(root)
    assert len(list((root / CACHE_DIR).glob("plan-*.pickle"))) == 1


def test_a_body_edit_in_a_second_language_reuses_the_plan(
    make_site: MakeSite, plans: list[int]
) -> None:
    root = make_site(
        {
            "dateline.toml": 'base_url = "https://example.org/"\nlanguages = ["en", "es"]\n',
            "content/fair.md": article_md(
                "Health fair", "2025-03-01", "San Salvador – A fair.\n\nMore news.\n",
                translation_key="fair",
            ),
            "content/es/fair.md": article_md(
                "Feria de salud", "2025-03-01", "San Salvador – Una feria.\n\nMás noticias.\n",
                lang="es", translation_key="fair",
            ),
        }
    )  # fmt: skip
    age(root)
    build(root)
    rewrite(root / "content/es/fair.md", "Más noticias.", "Noticias corregidas.")
    build(root)
    assert plans == [1]  # the first build only
    spanish = (root / "dist/es").rglob("index.html")
    assert any("Noticias corregidas" in p.read_text("utf-8") for p in spanish)
    same_as_clean(root)


def test_a_full_build_reads_only_changed_files_from_the_content_cache(
    site: Path, plans: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The other files' articles come from the last plan, not the cache's JSON."""
    looked_up: list[str] = []
    real = ContentCache.get

    def counting(self: ContentCache, relative: str, digest: str) -> object:
        looked_up.append(relative)
        return real(self, relative, digest)

    monkeypatch.setattr(ContentCache, "get", counting)
    _title(site)
    build(site)
    assert plans == [1]
    assert set(looked_up) == {"content/a.md"}  # (once more when checking for a body edit)
    assert (
        "Health fair opens" in page(site / "dist", "/news/2025/03/01/health-fair-opens/").get_text()
    )
    same_as_clean(site)


def test_a_full_build_after_a_failed_one_still_reads_the_loads_shards(
    site: Path, plans: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A failed build drops the plan; its loads shards, checked file by file, still serve."""
    for path in (site / CACHE_DIR).glob("plan-*.pickle"):
        path.unlink()
    looked_up = count_calls(monkeypatch, ContentCache, "get")
    _title(site)
    build(site)
    assert plans == [1]
    assert len(looked_up) == 1  # a.md only: every other file came from the shards
    same_as_clean(site)


def test_adding_a_file_rewrites_one_loads_shard(site: Path, plans: list[int]) -> None:
    """Loads are kept in snapshot.LOAD_SHARDS files by content file: an addition rewrites
    the plan and the shard of the new file, not the loads of the whole archive."""
    before = {p: p.stat().st_mtime_ns for p in loads_shards(site)}
    assert len(before) == dateline.snapshot.LOAD_SHARDS
    time.sleep(0.01)
    _add(site)
    build(site)
    assert plans == [1]
    after = {p: p.stat().st_mtime_ns for p in loads_shards(site)}
    [rewritten] = [p for p in after if after[p] != before.get(p)]
    assert b"content/d.md" in rewritten.read_bytes()
    _body(site)  # the new plan refers to articles of the old shards and the new one
    build(site)
    assert plans == [1]
    same_as_clean(site)


def test_a_render_worker_writes_the_plan_and_the_parent_keeps_it(
    site: Path, plans: list[int], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """With render workers, one of them pickles the plan while the others render; the
    plan is put in place only once the build has succeeded."""
    monkeypatch.setattr(dateline.parallel, "MIN_UNITS_PER_JOB", 1)  # workers for a small site
    log = tmp_path / "savers.log"
    real = dateline.snapshot.save

    def logged(*args: object, **kwargs: object) -> bool:
        with log.open("a", encoding="utf-8") as stream:
            stream.write(f"{os.getpid()}\n")
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(dateline.snapshot, "save", logged)
    _title(site)
    build(site, jobs=2)
    assert plans == [1]
    assert log.read_text(encoding="utf-8").split() != [str(os.getpid())]  # not this process
    assert not list((site / CACHE_DIR).glob(".plan-*"))
    _body(site)
    build(site, jobs=2)
    assert plans == [1]  # the plan the worker wrote was kept
    same_as_clean(site)


def test_a_failed_build_keeps_no_plan_from_its_workers(
    site: Path, plans: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(dateline.parallel, "MIN_UNITS_PER_JOB", 1)
    _title(site)
    (site / "templates").mkdir()
    (site / "templates/article.html").write_text("{{ article.missing.field }}", "utf-8")
    age(site)  # a template written just now keeps no plan at all: this one would be kept
    with pytest.raises(BuildError):
        build(site, jobs=2)
    assert not list((site / CACHE_DIR).glob("plan-*"))  # dropped before the build wrote
    assert not list((site / CACHE_DIR).glob(".plan-*"))  # the worker's copy is gone too
    assert "Health fair opens" not in (site / "dist/index.html").read_text(encoding="utf-8")


def test_a_full_build_takes_unchanged_files_signatures_from_the_last_plan(
    site: Path, plans: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Only the changed file is signed again; the signatures taken still tell a body edit
    of another file (plan reused) from a title edit of it (planned)."""
    signed = count_calls(monkeypatch, dateline.snapshot, "signature")
    _title(site)
    build(site)
    assert plans == [1]
    assert len(signed) == 2  # a.md's: checked for a body-only edit, then kept; no other file
    rewrite(site / "content/b.md", "Second paragraph, as before.", "Second paragraph, fixed.")
    build(site)
    assert plans == [1]
    rewrite(site / "content/b.md", "Border post opens", "Border post reopens")
    build(site)
    assert plans == [1, 1]
    same_as_clean(site)


def test_a_full_build_takes_unchanged_articles_identities_from_the_last_plan(
    site: Path, plans: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Fingerprinting every page starts from each article's `shown_identity`; an article
    of a file that did not change keeps the one the last full build computed (kept with
    its loads), so only the new article and the draft (in no archive) are read again."""
    seen: list[str] = []
    real = dateline.cache.shown_identity

    def noting(article: Article) -> str:
        seen.append(article.title)
        return real(article)

    monkeypatch.setattr(dateline.cache, "shown_identity", noting)
    _add(site)
    build(site)
    assert plans == [1]
    assert set(seen) <= {"Floods", "Draft notes"}
    assert "Floods" in seen
    same_as_clean(site)  # and the page fingerprints taken were right: a title edit shows
    seen.clear()
    _title(site)
    build(site)
    assert "Health fair opens" in seen
    same_as_clean(site)


def test_identities_are_taken_only_for_the_very_articles_they_were_kept_with(site: Path) -> None:
    plan = next((site / CACHE_DIR).glob("plan-*.pickle"))
    with plan.open("rb") as stream:  # the frame it was made under: the head's
        frame = dateline.snapshot._Unpickler(stream, None).load()["frame"]
    kept = dateline.snapshot.earlier_loads(plan, frame, ContentCache(None, ""))
    articles = [a for _digest, (found, _d) in kept.files.values() for a in found]
    assert set(kept.known(articles)) == {a.path for a in articles}
    copies = [dataclasses.replace(a) for a in articles]  # equal, but loaded afresh
    assert kept.known(copies) == {}


def cached_entries(root: Path) -> int:
    return sum(
        len(json.loads(path.read_text("utf-8"))["entries"])
        for path in (root / CACHE_DIR).glob("content-*.json")
    )


def test_unused_cache_entries_are_dropped_every_few_builds(
    site: Path, plans: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(dateline.build, "PRUNE_EVERY", 2)
    files = len(list((site / "content").rglob("*.*")))
    assert cached_entries(site) == files
    for _ in range(2):
        _body(site)
        build(site)  # reuses the plan: the old version's entry stays
    assert plans == []
    assert cached_entries(site) == files + 2
    _title(site)
    build(site)  # plans, reading the whole cache: what no file uses is dropped
    assert plans == [1]
    assert cached_entries(site) == files
    same_as_clean(site)


def test_a_plan_that_cannot_be_kept_does_not_fail_the_build(
    site: Path, plans: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    real = Path.replace

    def full_disk(self: Path, target: str | Path) -> Path:
        if Path(target).name.startswith("plan-"):
            raise OSError(28, "No space left on device")
        return real(self, target)

    monkeypatch.setattr(Path, "replace", full_disk)
    _title(site)
    report = build(site)
    assert report.written
    assert not list((site / CACHE_DIR).glob("plan-*"))  # the old plan went before the build
    assert not list((site / CACHE_DIR).glob(".plan-*"))  # and no half-written file is left
    monkeypatch.setattr(Path, "replace", real)
    _body(site)
    build(site)
    assert plans == [1, 1]  # no plan kept: the next body edit plans too
    same_as_clean(site)
