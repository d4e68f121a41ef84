"""Full-text search: a Pagefind index of the article pages, made at the end of every build.

Pagefind reads the finished HTML and writes `pagefind/`: one index per `<html lang>`,
its UI scripts and the result fragments, all static files. The `pagefind[bin]` package
carries the binary, so nothing is downloaded while building. What is indexed is decided
by the templates: `data-pagefind-body` on the article (so listings, navigation and footers
are not), filters for country, theme and year, the date for sorting, date and place for
the results (see templates/article.html and partials/macros.html).

The index is made by write_site's `finalize` step in the staging folder, so it is part of
the atomic swap. Pagefind always reads the whole site, so when no HTML page differs from
the live output (a feed, the CSS, or nothing changed) the live index is hard-linked instead.
"""

from __future__ import annotations

import ctypes
import gzip
import hashlib
import json
import os
import signal
import stat
import subprocess
import sys
import threading
from collections.abc import Callable, Iterable
from dataclasses import replace
from pathlib import Path

import cbor2

from dateline.model import Artifact
from dateline.write import OutputError, remove_tree

INDEX_DIR = "pagefind"
SIGNATURE = b"pagefind_dcd"  # what every packed Pagefind file starts with, once unzipped
ENTRY = f"{INDEX_DIR}/pagefind-entry.json"
_NOT_SITE = frozenset({INDEX_DIR, ".dateline"})  # top-level folders that hold no pages


class SearchIndexError(OutputError):
    """Pagefind is missing or failed; the message says how to build without it."""


def search_pages(artifacts: Iterable[Artifact], *, enabled: bool) -> tuple[Artifact, ...]:
    """Tell the search pages whether the index exists (`--no-search` builds say it does not).

    Only the search page changes, so switching --no-search on and off re-renders one page
    per language, and the changed page makes the next build index again.
    """
    return tuple(
        replace(a, context={**a.context, "search": enabled}) if a.kind == "search" else a
        for a in artifacts
    )


def search_index(out_dir: Path, *, enabled: bool) -> Callable[[Path], None] | None:
    """The `finalize` step for write_site: index the staging folder; None with --no-search."""
    if not enabled:
        return None

    def finalize(staging: Path) -> None:
        index_site(staging, live=out_dir)

    return finalize


def index_site(site: Path, *, live: Path | None = None) -> None:
    """Write `site/pagefind/`, reusing `live`'s index if its pages are the very same files."""
    if (site / INDEX_DIR).exists():
        raise SearchIndexError(
            f"the site has its own {INDEX_DIR}/ folder, where the search index goes; "
            "rename that page or folder, or build with --no-search"
        )
    if live is not None and _pages(site) == _pages(live) and _link_index(live, site):
        return
    run_pagefind(site)


def get_executable() -> Path | None:
    """Pagefind's program; its package imports asyncio, so only a build that indexes pays."""
    from pagefind.service import get_executable as find

    return find()


_PR_SET_PDEATHSIG = 1


def _dies_with_us() -> Callable[[], None] | None:
    """Have the kernel kill Pagefind if this build is killed (Linux, single-threaded).

    After `kill -9` an orphaned Pagefind went on writing the dead build's staging folder,
    recreating it after the next build had removed it. The function runs in the child
    between fork and exec, which is only safe while this process has no other thread
    (a `dateline build`; `serve` runs its builds beside server threads and goes without).
    """
    if sys.platform != "linux" or threading.active_count() > 1:
        return None
    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    parent = os.getpid()

    def set_death_signal() -> None:
        prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
        if os.getppid() != parent:  # we died before the line above took effect
            os._exit(1)

    return set_death_signal


def run_pagefind(site: Path) -> None:
    """Index every HTML page of `site` into `site/pagefind/`; deterministic output."""
    executable = get_executable()
    if executable is None:
        raise SearchIndexError(
            "the Pagefind program is not installed, so the search index cannot be made; "
            "run `pip install 'pagefind[bin]'`, or build with --no-search"
        )
    command = [str(executable), "--site", ".", "--output-subdir", INDEX_DIR, "--silent"]
    try:
        done = subprocess.run(command, cwd=site, capture_output=True, text=True, check=False,
                              preexec_fn=_dies_with_us())  # fmt: skip
    except OSError as exc:
        raise SearchIndexError(
            f"cannot run Pagefind ({executable}): {exc.strerror or exc}; "
            "reinstall it with `pip install --force-reinstall 'pagefind[bin]'`, "
            "or build with --no-search"
        ) from None
    entry = site / ENTRY
    if done.returncode != 0 or not entry.is_file():
        said = " ".join((done.stderr or done.stdout).split())[-500:] or "no message"
        raise SearchIndexError(
            f"Pagefind could not index the site (exit status {done.returncode}: {said}); "
            "the previous output was left as it was; build with --no-search to skip the index"
        )
    make_deterministic(site / INDEX_DIR)


def make_deterministic(index: Path) -> None:
    """Put what Pagefind writes in hash-map order into sorted order, so two builds match.

    Pagefind (1.5) lists the languages, each language's filters and each filter's values
    in an arbitrary order that changes from run to run (Pagefind issue #638), so the
    filter files and the per-language metadata file, and with them their hashed names,
    would differ between two builds of the same site. Sorted and renamed by their new
    contents, they are the same every time; the index reads them as before. A layout
    this code does not recognise (a new Pagefind) is left as Pagefind wrote it.
    """
    entry_path = index / "pagefind-entry.json"
    entry = json.loads(entry_path.read_text(encoding="utf-8"))
    for language in entry["languages"].values():
        meta_path = index / f"pagefind.{language['hash']}.pf_meta"
        meta = _unpack(meta_path)
        if not (isinstance(meta, list) and len(meta) > 4 and isinstance(meta[3], list)):
            continue
        for pair in meta[3]:  # [filter name, filter file hash]
            pair[1] = _repack(index / "filter", pair[1], ".pf_filter", 7, _sorted_filter)
        meta[3].sort()
        meta[4].sort(key=lambda sort: sort[0])  # [sort name, page order]
        language["hash"] = _rename(meta_path, cbor2.dumps(meta), "pagefind.", ".pf_meta", 10)
    entry["languages"] = dict(sorted(entry["languages"].items()))
    entry_path.write_text(json.dumps(entry, ensure_ascii=False, separators=(",", ":")), "utf-8")


def _sorted_filter(data: object) -> object:
    """A filter file's [name, [[value, pages], …]] with its values in order."""
    if isinstance(data, list) and len(data) == 2 and isinstance(data[1], list):
        data[1].sort(key=lambda value: str(value[0]))
    return data


def _unpack(path: Path) -> object:
    packed = gzip.decompress(path.read_bytes())
    return cbor2.loads(packed[len(SIGNATURE) :]) if packed.startswith(SIGNATURE) else None


def _repack(
    folder: Path, name: str, suffix: str, digits: int, change: Callable[[object], object]
) -> str:
    """Rewrite folder/name+suffix through `change`; return its new name."""
    path = folder / f"{name}{suffix}"
    data = _unpack(path)
    return name if data is None else _rename(path, cbor2.dumps(change(data)), "", suffix, digits)


def _rename(path: Path, data: bytes, prefix: str, suffix: str, digits: int) -> str:
    """Write `data` packed under a name made from the language and its hash; return the name."""
    language = path.name.removeprefix(prefix).split("_")[0]
    name = f"{language}_{hashlib.sha256(data).hexdigest()[:digits]}"
    path.unlink()
    (path.parent / f"{prefix}{name}{suffix}").write_bytes(gzip.compress(SIGNATURE + data, mtime=0))
    return name


def _pages(folder: Path) -> dict[str, tuple[int, int]]:
    """Every HTML page below `folder` → its file's identity (device, inode).

    write_site hard-links unchanged files from the live output into the staging folder
    and writes changed ones anew, so equal identities mean byte-identical pages.
    """
    found: dict[str, tuple[int, int]] = {}
    for top, folders, files in os.walk(folder):
        if top == str(folder):
            folders[:] = [name for name in folders if name not in _NOT_SITE]
        for name in files:
            if name.endswith(".html"):
                path = Path(top, name)
                info = path.lstat()
                found[path.relative_to(folder).as_posix()] = (info.st_dev, info.st_ino)
    return found


def _link_index(live: Path, site: Path) -> bool:
    """Hard-link the live output's complete index into `site`; False if it has none."""
    if not (live / ENTRY).is_file() or (live / ENTRY).is_symlink():
        return False
    try:
        for top, _folders, files in os.walk(live / INDEX_DIR):
            target = site / Path(top).relative_to(live)
            target.mkdir(parents=True, exist_ok=True)
            for name in files:
                source = Path(top, name)
                if not stat.S_ISREG(source.lstat().st_mode):
                    raise OSError(f"{source} is not a regular file")
                os.link(source, target / name, follow_symlinks=False)
    except OSError:
        remove_tree(site / INDEX_DIR)
        return False
    return True
