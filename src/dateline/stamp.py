"""The no-change short cut: when nothing a build reads has changed, repeat the last report.

A rebuild with nothing changed still had to load the cache, plan the site and
fingerprint every page (seconds at 20,000 articles) to find out that nothing changed.
The stamp (`.dateline-cache/stamp-<output>.json`) is a digest of everything a build
reads, taken before it reads it:

- size, mtime, ctime and inode of every file and folder below the content folder,
  `templates/` and `static/`, of `dateline.toml`, of the default theme and of
  dateline's own code, and the folders of the installed libraries (an upgrade);
- the build's options (output folder, --drafts, --base-url, --per-page, --no-search);

and it keeps the date at which the first held-back (future-dated) article is due,
the output's manifest, and the report. When the digest is the same, the clock has not
reached that date and the output still holds every file the manifest lists (as
write.py's own no-change path checks), the build returns that report without
importing the pipeline. Anything else makes an ordinary incremental build, which
writes a new stamp. Deleting `.dateline-cache/` (or `--no-cache`) always builds.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import stat
import sys
import time
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import dateline
from dateline.errors import diagnostic_from_json, diagnostic_to_json
from dateline.report import BuildReport
from dateline.theme import theme_static, theme_templates
from dateline.write import MANIFEST, output_intact, read_manifest, stale_folders

FORMAT = 1
CACHE_DIR = ".dateline-cache"  # as cache.CACHE_DIR (not imported: it pulls in Jinja)
RACY_NS = 2_000_000_000  # inputs changed less than 2 s before a build are not stamped
_SKIPPED = frozenset({"__pycache__"})  # Python writes bytecode there; it is not an input


class Stamp:
    """The inputs of one build as they are now, and what the last build recorded."""

    def __init__(self, root: Path, out_dir: Path | None, options: Mapping[str, object]) -> None:
        name = hashlib.sha256(str(out_dir.absolute() if out_dir else "").encode()).hexdigest()
        self.path = root / CACHE_DIR / f"stamp-{name[:16]}.json"
        self.digest, self.frame, newest, frame_newest = _inputs_digest(root, options)
        # "Racy" (as git calls it): a file changed this recently may change again within
        # the file system's timestamp granularity with the same size; never stamp that.
        recent = time.time_ns() - RACY_NS
        self.racy = newest > recent
        self.frame_racy = frame_newest > recent  # the same, for `frame`

    @property
    def out_key(self) -> str:
        """The name part the build's other per-output cache files share with the stamp."""
        return self.path.stem.removeprefix("stamp-")

    @classmethod
    def for_build(
        cls, root: Path, out_dir: Path | None, drafts: bool,
        overrides: Mapping[str, object] | None, *, search: bool,
    ) -> Stamp:  # fmt: skip
        """The stamp of a build with these options (those that change the output)."""
        options = {"out": str(out_dir.absolute()) if out_dir else None, "drafts": drafts,
                   "search": search, **{k: v for k, v in (overrides or {}).items() if v is not None}}  # fmt: skip
        return cls(root, out_dir, options)

    def fresh_report(self, now: dt.datetime, started: float) -> BuildReport | None:
        """The last build's report if it would be this build's too, else None."""
        try:
            data = json.loads(self.path.read_bytes())
            if data.get("format") != FORMAT or data.get("inputs") != self.digest:
                return None
            embargo = data["embargo"]
            if embargo is not None and now >= dt.datetime.fromisoformat(embargo):
                return None  # a held-back article is due
            report = data["report"]
            out = Path(report["out_dir"])
            if _manifest_stat(out) != data["manifest"] or not output_intact(
                out, read_manifest(out)
            ):
                return None
            if stale_folders(out):  # a killed build's leftovers: a real build removes them
                return None
            newest = report["newest"]
            return BuildReport(
                out_dir=out,
                articles=int(report["articles"]),
                pages=int(report["pages"]),
                written=(),
                unchanged=int(report["files"]),
                removed=(),
                diagnostics=tuple(diagnostic_from_json(d) for d in report["diagnostics"]),
                seconds=time.perf_counter() - started,
                newest=dt.datetime.fromisoformat(newest) if newest else None,
            )
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def save(self, report: BuildReport, embargo: dt.datetime | None) -> None:
        """Record a successful build (its ledger warnings are not repeated: they were news)."""
        if self.racy:
            return
        data = {
            "format": FORMAT,
            "inputs": self.digest,
            "embargo": embargo.isoformat() if embargo else None,
            "manifest": _manifest_stat(report.out_dir),
            "report": {
                "out_dir": str(report.out_dir),
                "articles": report.articles,
                "pages": report.pages,
                "files": len(report.written) + report.unchanged,
                "diagnostics": [diagnostic_to_json(d) for d in report.diagnostics],
                "newest": report.newest.isoformat() if report.newest else None,
            },
        }
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        temp.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
        temp.replace(self.path)


def _inputs_digest(root: Path, options: Mapping[str, object]) -> tuple[str, str, int, int]:
    """The digest of the options and every input's stat; the same without the content
    folder (the *frame*: snapshot.py follows content files itself); the newest mtime seen
    in each."""
    digest = hashlib.sha256()
    head = [
        FORMAT,
        dateline.__version__,
        sys.version,
        sorted((k, repr(v)) for k, v in options.items()),
    ]
    digest.update(json.dumps(head).encode())
    config = root / "dateline.toml"
    seen: set[tuple[int, int]] = set()
    folders = [
        config,
        root / "templates",
        root / "static",
        theme_templates(),
        theme_static(),
        Path(dateline.__file__).parent,
        *(Path(p) for p in sys.path if p.endswith(("site-packages", "dist-packages"))),
    ]
    frame_newest = max(
        _scan(digest, str(folder), seen, deep=not folder.name.endswith("-packages"))
        for folder in folders
    )
    frame = digest.hexdigest()
    content = hashlib.sha256(frame.encode())
    newest = max(frame_newest, _scan(content, str(root / _content_dir(config)), seen))
    return content.hexdigest(), frame, newest, frame_newest


def _content_dir(config: Path) -> str:
    """The content folder the config names (the config file's own stamp covers a change)."""
    try:
        value = tomllib.loads(config.read_text(encoding="utf-8-sig")).get("content_dir")
    except (OSError, ValueError):
        return "content"
    return value if isinstance(value, str) else "content"


def _scan(digest: Any, top: str, folders: set[tuple[int, int]], *, deep: bool = True) -> int:
    """Add the stat of `top` and, for a folder, of everything below it (each folder once, so
    a link loop ends); return the newest mtime seen."""
    newest = 0
    stack = [top]
    while stack:
        path = stack.pop()
        try:
            info = os.stat(path)  # noqa: PTH116 - speed: a str path per input file, no Path
        except OSError:
            digest.update(f"{path}\0missing\n".encode())
            continue
        digest.update(
            f"{path}\0{info.st_mode}\0{info.st_size}\0{info.st_mtime_ns}\0{info.st_ctime_ns}"
            f"\0{info.st_ino}\n".encode()
        )
        newest = max(newest, info.st_mtime_ns)
        key = (info.st_dev, info.st_ino)
        if not (deep and stat.S_ISDIR(info.st_mode)) or key in folders:
            continue
        folders.add(key)
        try:
            names = sorted(os.listdir(path), reverse=True)  # noqa: PTH208 - speed, as above
        except OSError:
            digest.update(b"unreadable\n")
            continue
        stack.extend(f"{path}/{name}" for name in names if name not in _SKIPPED)
    return newest


def _manifest_stat(out: Path) -> list[int] | None:
    try:
        info = (out / MANIFEST).stat()
    except OSError:
        return None
    return [info.st_ino, info.st_size, info.st_mtime_ns, info.st_ctime_ns]
