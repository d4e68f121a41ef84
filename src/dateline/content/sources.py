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


def discover(root: Path, content_dir: str) -> tuple[list[str], list[Diagnostic]]:
    """Every content file below `content_dir` as a site-relative POSIX path, sorted.

    Hidden files and folders are skipped, and nothing outside the site is read.
    """
    base = root / content_dir
    if not base.is_dir():
        return [], []
    site = root.resolve()
    found: list[str] = []
    problems: list[Diagnostic] = []
    seen_dirs: set[Path] = set()
    # os.scandir, not os.walk plus a Path per file: a folder's entries say for free whether
    # each is a link, so only linked files and folders are resolved, and relative paths are
    # built as strings (discovery runs over the whole archive on every build)
    start = _rel(base, root)
    pending = [(base, "" if start == "." else f"{start}/")]
    while pending:
        here, prefix = pending.pop()
        real = here.resolve()
        if real in seen_dirs or not real.is_relative_to(site):
            what = "a symlink loop" if real in seen_dirs else "a link to a folder outside the site"
            problems.append(warning(prefix.rstrip("/"), None, f"skipped {what}"))
            continue
        seen_dirs.add(real)
        folders: list[str] = []
        try:
            with os.scandir(here) as entries:
                listed = sorted(entries, key=lambda e: e.name)
        except OSError:
            continue  # as os.walk: a folder that cannot be listed is passed over
        for entry in listed:
            name = entry.name
            if _is_dir(entry):
                if not name.startswith((".", "_")):
                    folders.append(name)
                continue
            if name.startswith(".") or not name.lower().endswith(CONTENT_SUFFIXES):
                continue
            # the folder is inside the site (checked above): only a link can lead out
            if entry.is_symlink() and not (here / name).resolve().is_relative_to(site):
                problems.append(
                    warning(prefix + name, None, "skipped a link to a file outside the site")
                )
                continue
            found.append(prefix + name)
        pending.extend((here / name, f"{prefix}{name}/") for name in reversed(folders))
    found.sort()
    return found, problems


def _is_dir(entry: os.DirEntry[str]) -> bool:
    """Whether the entry is a folder, links followed (a broken link is a file: os.walk's rule)."""
    try:
        return entry.is_dir()
    except OSError:
        return False


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
    text, base = str(path), str(root)
    if text.startswith(base) and text[len(base) : len(base) + 1] == os.sep:
        return text[len(base) + 1 :].replace(os.sep, "/")  # the common case, without pathlib
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()


relative_path = _rel  # the site-relative POSIX path every record and diagnostic uses
