"""The folder target of `dateline deploy`: a local or mounted folder (an nginx root, a share).

Files are compared by content with what the folder holds, copied in one by one with an
atomic rename (a visitor gets the old file or the new one, never half of it), pages
last; files the previous deploy wrote and the site no longer has are removed, with
the folders that leaves empty. A file dateline did not write is never replaced
without --force, and never removed.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import tempfile
from pathlib import Path

from dateline.deploy import (
    DEPLOY_MANIFEST,
    Built,
    DeployError,
    Outcome,
    Previous,
    Publisher,
    html_last,
    manifest_bytes,
    parse_manifest,
)
from dateline.ledger import LEDGER, parse_ledger
from dateline.write import safe_join


class FolderPublisher(Publisher):
    """A local or mounted folder (an nginx root, a network share)."""

    def __init__(self, dest: Path, built: Built, *, force: bool) -> None:
        self.dest = dest.absolute()
        self.force = force
        out = built.out.resolve()
        real = self.dest.resolve()
        if real == out or real.is_relative_to(out) or out.is_relative_to(real):
            raise DeployError(
                f"cannot deploy into {dest}: it overlaps the build output {built.out} "
                "(hint: deploy to a folder outside it)"
            )
        if self.dest.exists() and not self.dest.is_dir():
            raise DeployError(f"the deploy target {dest} is not a folder")

    def previous(self) -> Previous:
        with contextlib.suppress(OSError):
            files = parse_manifest((self.dest / DEPLOY_MANIFEST).read_bytes())
            urls = parse_ledger((self.dest / LEDGER).read_bytes()) if LEDGER in files else None
            return Previous(files, urls)
        return Previous()

    def publish(self, built: Built, old: frozenset[str], dry_run: bool) -> Outcome:
        copy: list[str] = []
        foreign: list[str] = []
        for relative in sorted(built.files, key=html_last):
            target = safe_join(self.dest, relative)
            if _sha256(target) == built.files[relative]:
                continue
            if (target.exists() or target.is_symlink()) and relative not in old:
                foreign.append(relative)
            copy.append(relative)
        if foreign and not self.force:
            raise DeployError(
                f"{self.dest} has {len(foreign)} files dateline did not write where the site has "
                f"files, e.g. {foreign[0]} (hint: move them away, or pass --force to replace them)"
            )
        delete = tuple(sorted(old - set(built.files) - {DEPLOY_MANIFEST}))
        unchanged = len(built.files) - len(copy)
        if not dry_run:
            self.dest.mkdir(parents=True, exist_ok=True)
            for relative in copy:
                _replace(self.dest, relative, built.out / relative)
            for relative in delete:
                _remove(self.dest, relative)
            manifest = manifest_bytes([*built.files, DEPLOY_MANIFEST])
            if (copy or delete) or _read(self.dest / DEPLOY_MANIFEST) != manifest:
                _replace(self.dest, DEPLOY_MANIFEST, manifest)
        return tuple(copy), delete, unchanged, None


def _sha256(path: Path) -> str | None:
    """The digest of a regular file at `path`; None for nothing, a folder or a link."""
    if path.is_symlink() or not path.is_file():
        return None
    digest = hashlib.sha256()
    with path.open("rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _read(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except OSError:
        return None


def _prepare(dest: Path, relative: str) -> Path:
    """Make the target's folders; refuse a link or file in the way that would lead elsewhere."""
    target = safe_join(dest, relative)
    folder = dest
    for part in relative.split("/")[:-1]:
        folder = folder / part
        if folder.is_symlink() or (folder.exists() and not folder.is_dir()):
            raise DeployError(f"{folder} is in the way of {relative}: remove it, then deploy again")
        folder.mkdir(exist_ok=True)
    if target.is_dir() and not target.is_symlink():
        raise DeployError(
            f"{target} is a folder where the site has a file: remove it, then deploy again"
        )
    return target


def _replace(dest: Path, relative: str, data: bytes | Path) -> None:
    """Put one file in place atomically: a visitor gets the old file or the new one, never half."""
    target = _prepare(dest, relative)
    fd, name = tempfile.mkstemp(prefix=".dateline-", dir=target.parent)
    temp = Path(name)
    try:
        with os.fdopen(fd, "wb") as file:
            if isinstance(data, Path):
                with data.open("rb") as source:
                    shutil.copyfileobj(source, file)
            else:
                file.write(data)
        temp.chmod(0o644)
        temp.replace(target)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise


def _remove(dest: Path, relative: str) -> None:
    """Remove a file an earlier deploy wrote, and the folders that leaves empty."""
    target = safe_join(dest, relative)
    with contextlib.suppress(FileNotFoundError, IsADirectoryError):
        target.unlink()
    folder = target.parent
    while folder != dest:
        try:
            folder.rmdir()
        except OSError:
            break
        folder = folder.parent
