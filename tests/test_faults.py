"""Faults: a build that is killed, interrupted, refused or out of disk never loses the last
good site, never leaves a half-written one, and cleans up after itself or its killed
predecessor. Kill tests run real `dateline build` processes and signal them at random moments.
"""

from __future__ import annotations

import argparse
import errno
import hashlib
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
import weakref
from collections.abc import Callable
from pathlib import Path

import pytest

from dateline import cli, write
from dateline.cli import main
from dateline.theme import theme_static, theme_templates
from dateline.write import output_lock
from tests.conftest import MakeSite, article_md, build

CI = os.environ.get("CI") == "true"
KILL_ROUNDS = 16 if CI else 6
ARTICLES = 120
SIGNALS = (signal.SIGKILL, signal.SIGTERM, signal.SIGINT)
# The child reports once its imports are done, so a signal lands in dateline, not in Python's startup.
CHILD = "from dateline.cli import run\nprint('ready', flush=True)\nrun()\n"  # as `dateline` does

Snapshot = dict[str, str]


def snapshot(out: Path) -> Snapshot:
    """Every file of an output folder → sha256 of its bytes (the manifest a reader would see)."""
    return {
        p.relative_to(out).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(out.rglob("*"))
        if p.is_file()
    }


def leftovers(out: Path) -> list[str]:
    """Staging or trash folders of builds of `out`."""
    return sorted(
        p.name for p in out.parent.iterdir() if p.name.startswith((f".{out.name}.staging-", f".{out.name}.old-"))
    )  # fmt: skip


def site_files(version: str, count: int) -> dict[str, str]:
    """A site big enough that a build takes a moment; `version` changes every page."""
    files = {
        f"content/{n:04d}.md": article_md(
            f"{version} bulletin {n} on migrant health",
            f"2018-{n % 12 + 1:02d}-{n % 27 + 1:02d}",
            f"San Salvador – {version} lead of bulletin {n}.\n\nA second paragraph.",
            country="SV",
            themes="[Health]",
        )
        for n in range(count)
    }
    files["dateline.toml"] = f'title = "{version} archive"\nbase_url = "https://example.org/"\n'
    return files


def make_two_sites(tmp_path: Path, count: int) -> tuple[Path, Path, Path]:
    """Sites `old` and `new` that share one output folder.

    Each carries a copy of the theme, so the reference builds and the killed ones render
    the same templates even while someone edits the repository's theme.
    """
    roots = []
    for version in ("old", "new"):
        root = tmp_path / version
        for relative, text in site_files(version, count).items():
            (root / relative).parent.mkdir(parents=True, exist_ok=True)
            (root / relative).write_text(text, encoding="utf-8")
        for folder in ("templates", "static"):
            shutil.copytree(theme_dir(folder), root / folder)
        roots.append(root)
    return roots[0], roots[1], tmp_path / "public" / "dist"


def theme_dir(name: str) -> Path:
    return theme_templates() if name == "templates" else theme_static()


def spawn(root: Path, out: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", CHILD, "build", "--site", str(root), "--out", str(out)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_killed_builds_leave_the_old_or_the_new_site(tmp_path: Path) -> None:
    """SIGKILL, SIGTERM or SIGINT at a random moment: dist/ is always one complete site.

    SIGTERM and SIGINT also remove their own staging folder and exit 143/130 without a
    traceback; what a SIGKILL leaves behind is cleaned by the next build.
    """
    old_root, new_root, out = make_two_sites(tmp_path, ARTICLES)
    expected = {}
    for name, root in (("old", old_root), ("new", new_root)):
        reference = tmp_path / f"reference-{name}"
        started = time.monotonic()
        assert build(root, out_dir=reference).articles == ARTICLES
        expected[name] = snapshot(reference)
    # Spread the kills over a whole build (the child is past start-up when it says "ready").
    span = 1.2 * (time.monotonic() - started)
    assert expected["old"] != expected["new"]
    rng = random.Random(int(os.environ.get("FAULT_SEED", "10")))
    outcomes: dict[str, int] = {}
    current = "old"
    assert build(old_root, out_dir=out).articles == ARTICLES
    for _ in range(KILL_ROUNDS):
        target = "new" if current == "old" else "old"
        sig = rng.choice(SIGNALS)
        child = spawn(new_root if target == "new" else old_root, out)
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "ready"
        time.sleep(rng.uniform(0, span))
        child.send_signal(sig)
        _, err = child.communicate(timeout=60)
        state = snapshot(out)
        assert state in (expected["old"], expected["new"]), describe(state, expected, sig, err)
        current = "new" if state == expected["new"] else "old"
        assert "Traceback" not in err
        if child.returncode == 0:
            outcomes["finished"] = outcomes.get("finished", 0) + 1
        elif sig != signal.SIGKILL:
            assert child.returncode == (143 if sig == signal.SIGTERM else 130), err
            own = f".{out.name}.staging-{child.pid}"  # a SIGKILLed one may still lie there
            assert own not in leftovers(out), "an interrupted build left its staging folder"
        outcomes[sig.name] = outcomes.get(sig.name, 0) + 1
    # The next build cleans whatever a killed build left and produces the complete site.
    build(new_root, out_dir=out)
    assert snapshot(out) == expected["new"]
    assert leftovers(out) == []
    assert sum(v for k, v in outcomes.items() if k != "finished") == KILL_ROUNDS


def describe(state: Snapshot, expected: dict[str, Snapshot], sig: signal.Signals, err: str) -> str:
    """Which files of a broken dist/ are from the old site, the new one, or neither."""
    kinds: dict[str, list[str]] = {}
    for path in sorted(set(state) | set(expected["old"]) | set(expected["new"])):
        digest = state.get(path)
        kind = next((k for k, v in expected.items() if v.get(path) == digest), "neither")
        kinds.setdefault(kind if digest else "missing", []).append(path)
    summary = {k: (len(v), v[:5]) for k, v in kinds.items()}
    return f"dist/ is neither the old nor the new site after {sig.name}: {summary}\n{err}"


def test_stale_staging_from_a_killed_build_is_removed(make_site: MakeSite) -> None:
    """Folders named like another (dead) build's staging and trash are cleaned up; others stay."""
    root = make_site({"content/a.md": article_md("A bulletin", "2018-07-06", country="SV")})
    out = root / "dist"
    build(root)
    stale = [root / ".dist.staging-999999", root / ".dist.old-888888"]
    for folder in stale:
        (folder / "news").mkdir(parents=True)
        (folder / "news" / "index.html").write_text("half", encoding="utf-8")
    unrelated = root / ".dist.staging-notes"
    unrelated.mkdir()
    build(root)
    assert leftovers(out) == [".dist.staging-notes"]
    assert unrelated.is_dir()
    assert (out / "index.html").is_file()


def test_output_missing_between_two_renames_is_restored(make_site: MakeSite) -> None:
    """Where folders cannot be exchanged atomically, a kill between the two renames leaves
    only the trash folder; the next build puts that previous site back before anything else."""
    root = make_site({"content/a.md": article_md("A bulletin", "2018-07-06", country="SV")})
    out = root / "dist"
    build(root)
    before = snapshot(out)
    out.rename(root / ".dist.old-424242")
    with output_lock(out):
        write.clean_stale(out)
    assert snapshot(out) == before
    assert leftovers(out) == []


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="renameat2 is Linux's")
def test_on_linux_the_output_is_swapped_in_one_step(
    make_site: MakeSite, monkeypatch: pytest.MonkeyPatch
) -> None:
    """There is no moment without an output folder: the two-rename fallback is not used."""
    renames: list[Path] = []
    rename = Path.rename

    def noted(self: Path, target: Path) -> Path:
        renames.append(self)
        return rename(self, target)

    monkeypatch.setattr(Path, "rename", noted)
    root = make_site({"content/a.md": article_md("First title", "2018-07-06", country="SV")})
    build(root)
    (root / "content/a.md").write_text(
        article_md("Second title", "2018-07-06", country="SV"), encoding="utf-8"
    )
    renames.clear()
    build(root)
    assert "Second title" in (root / "dist/index.html").read_text(encoding="utf-8")
    assert root / "dist" not in renames, "the old output was renamed away before the new came"


def test_fallback_swap_without_renameat2(
    make_site: MakeSite, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without an atomic exchange (other systems), the two-rename swap still gives the new site."""
    monkeypatch.setattr(write, "_exchange", lambda a, b: False)
    root = make_site({"content/a.md": article_md("First title", "2018-07-06", country="SV")})
    build(root)
    (root / "content/a.md").write_text(
        article_md("Second title", "2018-07-06", country="SV"), encoding="utf-8"
    )
    build(root)
    assert "Second title" in (root / "dist/index.html").read_text(encoding="utf-8")
    assert leftovers(root / "dist") == []


def run_cli(root: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(["build", "--site", str(root)])
    return code, capsys.readouterr().err


def built_site(make_site: MakeSite) -> tuple[Path, Snapshot]:
    """A site built once, with a second article added so the next build has work to do."""
    root = make_site({"content/a.md": article_md("A bulletin", "2018-07-06", country="SV")})
    build(root)
    before = snapshot(root / "dist")
    (root / "content/b.md").write_text(
        article_md("Another bulletin", "2018-07-07", country="GT"), encoding="utf-8"
    )
    return root, before


def test_second_build_refuses_while_one_holds_the_lock(
    make_site: MakeSite, capsys: pytest.CaptureFixture[str]
) -> None:
    """A build that finds the output locked refuses with a clear message and touches nothing."""
    root, before = built_site(make_site)
    with output_lock(root / "dist"):
        code, err = run_cli(root, capsys)
    assert code == 1
    assert f"another dateline build (process {os.getpid()}) is writing to" in err
    assert "wait for it to finish" in err
    assert snapshot(root / "dist") == before
    assert leftovers(root / "dist") == []
    code, _ = run_cli(root, capsys)  # the lock is released with the holder
    assert code == 0


def test_concurrent_builds_never_interleave(tmp_path: Path) -> None:
    """Builds started together: each finishes or refuses; dist/ is one complete site."""
    _, new_root, out = make_two_sites(tmp_path, 60)
    reference = tmp_path / "reference"
    build(new_root, out_dir=reference)
    children = [spawn(new_root, out) for _ in range(3)]
    results = [(c.communicate(timeout=60), c.returncode) for c in children]
    assert any(code == 0 for _, code in results)
    for (_, err), code in results:
        assert code == 0 or "another dateline build" in err, err
        assert "Traceback" not in err
    assert snapshot(out) == snapshot(reference)


def failing(after: int, code: int) -> Callable[[Path, bytes], int]:
    """A Path.write_bytes that fails with OSError `code` after `after` successful writes."""
    calls = {"n": 0}
    original = Path.write_bytes

    def write_bytes(self: Path, data: bytes) -> int:
        calls["n"] += 1
        if calls["n"] > after:
            raise OSError(code, os.strerror(code), str(self))
        return original(self, data)

    return write_bytes


@pytest.mark.parametrize(
    ("code", "reason"),
    [(errno.ENOSPC, "the disk is full"), (errno.EROFS, "the file system is read-only")],
)
def test_disk_full_or_read_only_keeps_the_previous_output(
    make_site: MakeSite,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    code: int,
    reason: str,
) -> None:
    """A write that fails halfway gives one clear line, exit 1, and the old site untouched."""
    root, before = built_site(make_site)
    monkeypatch.setattr(Path, "write_bytes", failing(3, code))
    status, err = run_cli(root, capsys)
    assert status == 1
    assert f"error: cannot write the site into {root / 'dist'}: {reason}" in err
    assert "the previous output was left as it was" in err
    assert "Traceback" not in err
    assert snapshot(root / "dist") == before
    assert leftovers(root / "dist") == []


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores folder permissions")
def test_read_only_output_folder_is_refused(
    make_site: MakeSite, capsys: pytest.CaptureFixture[str]
) -> None:
    """A folder the user cannot write to is reported before anything is rendered."""
    root, before = built_site(make_site)
    (root / "dist").chmod(0o555)
    try:
        status, err = run_cli(root, capsys)
    finally:
        (root / "dist").chmod(0o755)
    assert status == 1
    assert "the folder is read-only; the previous output was left as it was" in err
    assert snapshot(root / "dist") == before


def test_read_only_folder_check(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The permission check itself, for runs as root (where chmod does not bind)."""
    out = tmp_path / "dist"
    out.mkdir()
    monkeypatch.setattr(os, "access", lambda path, mode: Path(path) != out)
    with pytest.raises(write.OutputError, match="is read-only"):
        write.check_writable(out)


def test_corrupt_cache_is_ignored(make_site: MakeSite) -> None:
    """Every cache file truncated, garbled or from another version: same output as a clean build."""
    root = make_site({
        "content/a.md": article_md("A bulletin", "2018-07-06", country="SV"),
        "content/b.md": article_md("Another bulletin", "2018-07-07", "Guatemala – Lead.", themes="[Health]"),
    })  # fmt: skip
    build(root)
    clean = snapshot(root / "dist")
    cache = root / ".dateline-cache"
    files = [p for p in sorted(cache.rglob("*")) if p.is_file()] if cache.is_dir() else []
    if not files:
        pytest.skip("this build keeps no cache (issue 9 adds .dateline-cache/)")
    originals = {p: p.read_bytes() for p in files}
    for damage in ("truncate", "garbage", "version", "empty"):
        for path, data in originals.items():
            path.write_bytes(corrupt(data, damage))
        shutil.rmtree(root / "dist")
        build(root)
        assert snapshot(root / "dist") == clean, damage


def corrupt(data: bytes, how: str) -> bytes:
    """Damage a cache file's bytes the ways disks, crashes and upgrades do."""
    if how == "truncate":
        return data[: len(data) // 2]
    if how == "garbage":
        return bytes(random.Random(len(data)).randrange(256) for _ in range(max(64, len(data))))
    if how == "version":
        try:
            value = json.loads(data)
        except ValueError:
            return b"\x80\x04version 999\x00" + data
        if isinstance(value, dict):
            return json.dumps({**value, "version": 999}).encode()
        return json.dumps({"version": 999, "data": value}).encode()
    return b""


def test_a_killed_builds_straggling_indexer_does_not_fail_the_next_build(
    make_site: MakeSite, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After `kill -9`, the search indexer may still write into the dead build's staging
    folder while the next build removes it; the next build waits for it instead of failing."""
    root, _ = built_site(make_site)
    stale = root / ".dist.staging-999999"
    (stale / "pagefind" / "fragment").mkdir(parents=True)
    failures = {"left": 2}
    original = write.remove_tree

    def busy_then_done(path: Path) -> None:
        if path == stale and failures["left"]:
            failures["left"] -= 1
            raise OSError(errno.ENOTEMPTY, os.strerror(errno.ENOTEMPTY), "fragment")
        original(path)

    monkeypatch.setattr(write, "remove_tree", busy_then_done)
    build(root)
    assert failures["left"] == 0
    assert not stale.exists()


@pytest.mark.skipif(sys.platform != "linux", reason="the parent-death signal is Linux's")
def test_the_search_indexer_dies_with_a_killed_build(tmp_path: Path) -> None:
    """`kill -9` of a build also ends the indexer it started (which would otherwise go on
    writing into the dead build's staging folder)."""
    script = (
        "import subprocess, sys, time\n"
        "from dateline.search import _dies_with_us\n"
        "child = subprocess.Popen(['sleep', '60'], preexec_fn=_dies_with_us())\n"
        "print(child.pid, flush=True)\n"
        "time.sleep(60)\n"
    )
    with subprocess.Popen(
        [sys.executable, "-c", script], stdout=subprocess.PIPE, text=True
    ) as parent:
        assert parent.stdout is not None
        child = int(parent.stdout.readline())
        parent.kill()
        parent.wait(timeout=10)
    deadline = time.monotonic() + 10
    while running(child) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not running(child), "the indexer outlived the build that started it"


def running(pid: int) -> bool:
    """Whether the process exists and is not a zombie waiting to be reaped."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text(errors="replace").rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def test_ctrl_c_lost_in_a_callback_prints_no_traceback(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A Ctrl-C that lands in a weakref callback (as during an import) cannot stop the
    command; it finishes, without an "Exception ignored … Traceback" on stderr."""

    class Thing:
        pass

    def interrupted_callback(_: object) -> None:
        raise KeyboardInterrupt

    def handler(args: argparse.Namespace) -> int:
        thing = Thing()
        ref = weakref.ref(thing, interrupted_callback)
        del thing  # the callback runs here and its KeyboardInterrupt cannot propagate
        return 0 if ref() is None else 1

    monkeypatch.setattr(cli, "_build_args", lambda argv: argparse.Namespace(handler=handler))
    assert cli.main([]) == 0
    assert "Traceback" not in capsys.readouterr().err
