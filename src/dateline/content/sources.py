"""Find and read the content files of a site: sorted, decoded, never outside the site.

Reading is where real-world files bite (BOMs, CRLF, Latin-1, UTF-16, NUL
bytes, symlink loops), so every such problem becomes a diagnostic with the
file's path instead of an exception.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from dateline.errors import Diagnostic, error, warning

CONTENT_SUFFIXES = (".md", ".markdown", ".txt")


@dataclass(frozen=True, slots=True)
class SourceFile:
    """A content file's text with normalised newlines, and the digest of its bytes."""

    path: str  # relative to the site root, POSIX separators
    text: str
    digest: str


def discover(root: Path, content_dir: str) -> tuple[list[Path], list[Diagnostic]]:
    """Every content file below `content_dir`, sorted; skip hidden files, stay inside the site."""
    base = root / content_dir
    if not base.is_dir():
        return [], []
    site = root.resolve()
    found: list[Path] = []
    problems: list[Diagnostic] = []
    seen_dirs: set[Path] = set()
    for current, dirnames, filenames in os.walk(base, followlinks=True):
        here = Path(current)
        real = here.resolve()
        if real in seen_dirs or not real.is_relative_to(site):
            what = "a symlink loop" if real in seen_dirs else "a link to a folder outside the site"
            problems.append(warning(_rel(here, root), None, f"skipped {what}"))
            dirnames[:] = []
            continue
        seen_dirs.add(real)
        dirnames[:] = sorted(d for d in dirnames if not d.startswith((".", "_")))
        for name in sorted(filenames):
            path = here / name
            if name.startswith(".") or not name.lower().endswith(CONTENT_SUFFIXES):
                continue
            # the folder is inside the site (checked above): only a link can lead out
            if path.is_symlink() and not path.resolve().is_relative_to(site):
                problems.append(
                    warning(_rel(path, root), None, "skipped a link to a file outside the site")
                )
                continue
            found.append(path)
    return sorted(found, key=lambda p: _rel(p, root)), problems


def read_source(path: Path, root: Path) -> SourceFile | Diagnostic:
    """Read and decode one file as UTF-8 (a BOM is fine); anything else is a clear error."""
    rel = _rel(path, root)
    try:
        data = path.read_bytes()
    except OSError as exc:
        return error(rel, None, f"cannot read the file: {exc.strerror or exc}")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return error(
            rel,
            1,
            "the file is UTF-16 text",
            "save it as UTF-8 (in most editors: Save As → Encoding: UTF-8)",
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        return error(
            rel,
            line,
            "the file is not UTF-8 text (perhaps Latin-1 or Windows-1252)",
            "save it as UTF-8 (in most editors: Save As → Encoding: UTF-8)",
        )
    if "\0" in text:
        line = text.count("\n", 0, text.index("\0")) + 1
        return error(
            rel,
            line,
            "the file contains a NUL byte (is it a binary file?)",
            "remove the file or save it again as plain text",
        )
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return SourceFile(rel, text, hashlib.sha256(data).hexdigest())


def _rel(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()


relative_path = _rel  # the site-relative POSIX path every record and diagnostic uses
