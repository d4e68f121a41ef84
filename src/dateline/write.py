"""Stage 5: rendered files → the output folder, all at once or not at all.

Everything is written into a staging folder beside the output; files whose
bytes did not change are hard-linked from the previous build (so they keep
their mtime and rsync/CDN uploads skip them), and the staging folder replaces
the output in one step at the end. The staging folder is the build before last,
kept as `.dist.previous` and brought up to date (see `Staging`), so a build
touches only the files that changed; a build that changes nothing touches nothing. A failed or killed build therefore leaves
the previous site complete. Paths are checked so nothing lands outside.

Faults: a lock file beside the output (`.dist.lock`, held with flock, so the
kernel releases it even after `kill -9`) keeps two builds from interleaving; the
holder of the lock removes staging folders left by killed builds; signals are
held back during the swap; and an OSError (disk full, read-only folder) becomes
an OutputError that says the previous output is intact.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import re
import shutil
import signal
import stat
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from dateline.urls import UnsafePathError

MANIFEST = ".dateline/manifest.json"
_RENAME_EXCHANGE = 2


@dataclass(frozen=True, slots=True)
class WriteReport:
    written: tuple[str, ...]  # new or changed files, relative to the output folder
    unchanged: int
    removed: tuple[str, ...]


class OutputError(Exception):
    """The output folder cannot be written safely; the message says why and what to do."""


def read_manifest(out_dir: Path) -> dict[str, str]:
    """File → sha256 of the previous build; empty if absent or unreadable (never trusted blindly)."""
    try:
        data = json.loads((out_dir / MANIFEST).read_text(encoding="utf-8"))
        files = data["files"]
        if isinstance(files, dict) and all(
            isinstance(k, str) and isinstance(v, str) for k, v in files.items()
        ):
            return files
    except (OSError, ValueError, KeyError, TypeError):
        pass
    return {}


def check_output_folder(out_dir: Path, *, force: bool) -> None:
    """Refuse to replace a folder of files dateline did not write (unless forced)."""
    if out_dir.is_symlink() or (out_dir.exists() and not out_dir.is_dir()):
        raise OutputError(f"the output {out_dir} is not a folder")
    if (
        out_dir.is_dir()
        and not (out_dir / MANIFEST).is_file()
        and any(out_dir.iterdir())
        and not force
    ):
        raise OutputError(
            f"the output folder {out_dir} has files that dateline did not write; "
            "choose an empty folder with --out, or pass --force to replace it"
        )


def safe_join(base: Path, relative: str) -> Path:
    """base/relative, refusing anything that could escape base."""
    return base.joinpath(*check_relative(relative))


def check_relative(relative: str) -> list[str]:
    """The parts of a relative output path; raise UnsafePathError if it could escape."""
    parts = relative.split("/")
    if (
        not relative
        or relative.startswith("/")
        or "\\" in relative
        or "\0" in relative
        or ":" in parts[0]
        or any(p in ("", ".", "..") for p in parts)
    ):
        raise UnsafePathError(f"unsafe output path {relative!r}")
    return parts


class _Unchanged:
    """The type of `UNCHANGED`."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "UNCHANGED"


UNCHANGED = _Unchanged()
"""Put in place of a file's bytes: keep the file the output already has at this path.

The caller promises the previous output's file is what it would render (it checked
the page's fingerprint); `write_site` takes the digest from the previous manifest.
"""

FileData = bytes | _Unchanged


class MissingPreviousError(OutputError):
    """A file to keep from the previous output is gone; a full write repairs it."""


def write_site(
    out_dir: Path,
    files: Iterable[tuple[str, FileData]],
    finalize: Callable[[Path], None] | None = None,
    *,
    trust_previous: bool = True,
) -> WriteReport:
    """Write every (relative path, bytes) into a complete copy of the site, then swap it in.

    `finalize(staging)` runs on the complete staging folder just before the swap (for
    steps that post-process the whole site, such as a search index); if it raises, the
    previous output stays. Holds the output's lock throughout (see `output_lock`).
    With `trust_previous=False` the previous manifest is ignored and every file written.
    """
    check_writable(out_dir)
    try:
        with output_lock(out_dir):
            clean_stale(out_dir)
            return _write_site_locked(out_dir, files, finalize, trust_previous)
    except OSError as exc:
        raise OutputError(describe_os_error(exc, out_dir)) from None


def _write_site_locked(
    out_dir: Path,
    files: Iterable[tuple[str, FileData]],
    finalize: Callable[[Path], None] | None,
    trust_previous: bool,
) -> WriteReport:
    old = read_manifest(out_dir) if trust_previous and out_dir.is_dir() else {}
    staging = Staging(out_dir)
    manifest: dict[str, str] = {}
    written: list[str] = []
    try:
        for relative, data in files:
            if relative in manifest:
                raise UnsafePathError(f"two outputs share the path {relative!r}")
            check_relative(relative)
            if isinstance(data, _Unchanged):
                if relative not in old:
                    raise MissingPreviousError(f"no previous output file {relative}")
                manifest[relative] = old[relative]
                continue
            digest = hashlib.sha256(data).hexdigest()
            manifest[relative] = digest
            if old.get(relative) != digest:
                staging.write(relative, data)
                written.append(relative)
        removed = tuple(sorted(set(old) - set(manifest)))
        if not written and not removed and old and output_intact(out_dir, manifest):
            return WriteReport((), len(manifest), ())  # nothing to do: no staging folder
        staging.open()
        staging.link_unchanged(out_dir, manifest, set(written))
        staging.remove_stale(manifest)
        extra: dict[str, str] = {}
        if finalize is not None:
            finalize(staging.path)
            extra = staging.unlisted(manifest)
        staging.write_manifest(manifest, extra)
        _swap(staging.path, out_dir)
    except BaseException:
        remove_tree(staging.path)
        raise
    return WriteReport(tuple(sorted(written)), len(manifest) - len(written), removed)


class Staging:
    """The staging folder: the build before last, brought up to date file by file.

    Copying the whole site for every build costs a mkdir per page, which dwarfs an
    incremental build, so the previous output is kept beside the output
    (`.dist.previous`) and reused: only files that differ from it are written,
    hard-linked or removed. It is renamed to a `.dist.staging-PID` name first, so a
    killed build's half-updated folder is removed by `clean_stale`, never reused.
    Files are replaced by unlinking first: the copies share inodes with the output.
    """

    def __init__(self, out_dir: Path) -> None:
        self.path = out_dir.with_name(f".{out_dir.name}.staging-{os.getpid()}")
        self.previous = previous_path(out_dir)
        self.base: dict[str, str] = {}  # what the folder holds: relative path → sha256
        self._open = False
        # Real folders this build made or found (`_clear`), checked once each (a cold build
        # of 5,000 pages otherwise pays ~12,000 mkdir calls). `_remove` never empties one:
        # a folder gets in here for a file this build wrote into it, and that file stays.
        self._folders: set[str] = set()
        # Started empty: only this build's own files and folders can be in a file's way,
        # so a file is written straight away (`_write_new`).
        self._fresh = False

    def open(self) -> None:
        """Take over the build before last, or start empty if it is missing or unreadable."""
        if self._open:
            return
        self._open = True
        remove_tree(self.path)
        self.base = read_manifest(self.previous) if self.previous.is_dir() else {}
        if self.base:
            self.previous.rename(self.path)
            for relative in _read_section(self.path, "extra"):  # finalize writes them anew
                self._remove(relative)
        else:
            remove_tree(self.previous)
            self.path.mkdir(parents=True)
            self._fresh = True
        with contextlib.suppress(FileNotFoundError):
            (self.path / MANIFEST).unlink()

    def write(self, relative: str, data: bytes) -> None:
        self.open()
        if self._fresh and self._write_new(relative, data):
            return
        target, own = self._clear(relative, keep_own=True)
        if own:
            _overwrite(target, data)
        else:
            target.write_bytes(data)
        self.base.pop(relative, None)

    def _write_new(self, relative: str, data: bytes) -> bool:
        """Write into a staging folder that started empty: make the missing folders, no checks.

        False (nothing written) when something is in the way: `_clear` sorts that out.
        """
        base = f"{self.path}{os.sep}"
        made = self._folders
        try:
            parts = relative.split("/")
            for depth in range(1, len(parts)):
                folder = "/".join(parts[:depth])
                if folder not in made:
                    os.mkdir(base + folder)  # noqa: PTH102 - one syscall, no Path
                    made.add(folder)
            Path(base + relative).write_bytes(data)  # a folder in the way: IsADirectoryError
        except (FileExistsError, IsADirectoryError, NotADirectoryError, FileNotFoundError):
            return False  # something of this build is in the way; a full disk is raised
        return True

    def link_unchanged(self, out_dir: Path, manifest: dict[str, str], written: set[str]) -> None:
        """Hard-link from the output every file the staging copy lacks or has stale."""
        missing = []
        for relative, digest in manifest.items():
            if relative in written or self.base.get(relative) == digest:
                continue
            if not _link(out_dir / relative, self._clear(relative)[0]):
                missing.append(relative)
        if missing:
            raise MissingPreviousError(
                f"{len(missing)} files of the previous output are missing, e.g. {missing[0]}"
            )

    def remove_stale(self, manifest: dict[str, str]) -> None:
        for relative in sorted(set(self.base) - set(manifest)):
            self._remove(relative)

    def unlisted(self, manifest: dict[str, str]) -> dict[str, str]:
        """Files a finalize step added: listed apart, so the next build can redo them."""
        found: dict[str, str] = {}
        for path in sorted(self.path.rglob("*")):
            relative = path.relative_to(self.path).as_posix()
            if relative not in manifest and relative != MANIFEST and path.is_file():
                found[relative] = hashlib.sha256(path.read_bytes()).hexdigest()
        return found

    def write_manifest(self, manifest: dict[str, str], extra: dict[str, str]) -> None:
        manifest_path = self.path / MANIFEST
        manifest_path.parent.mkdir(parents=True, exist_ok=True)
        content = {"version": 1, "files": dict(sorted(manifest.items())), "extra": extra}
        manifest_path.write_text(json.dumps(content, indent=0) + "\n", encoding="utf-8")

    def _clear(self, relative: str, *, keep_own: bool = False) -> tuple[Path, bool]:
        """Make room for a new file at `relative`: no file, link or folder in the way.

        With `keep_own`, a regular file that no other folder links to (the output does
        not share it) is left in place and True returned: it may be overwritten. Freeing
        a file's blocks and allocating new ones cost ~230 µs a file on ext4, writing over
        it ~35 µs, and an addition or template edit rewrites the same listing pages every
        build, which the build before last holds unshared.

        A folder found real (not a link) on the way is remembered for the rest of the
        build (`_folders`): only this build changes the staging folder, and it forgets the
        folders it removes. Linking a whole output into a new staging folder (the first
        rebuild after a cold build) otherwise checked every folder of every path again.
        """
        parts = check_relative(relative)
        base = f"{self.path}{os.sep}"
        folders = self._folders
        for depth in range(1, len(parts)):
            folder = "/".join(parts[:depth])
            if folder in folders:
                continue
            try:
                mode = os.lstat(base + folder).st_mode
            except FileNotFoundError:
                break  # nor anything under it: made below
            if not stat.S_ISDIR(mode):  # a file or a link (even to a folder) in the way
                os.unlink(base + folder)  # noqa: PTH108 - one syscall, no Path
                break
            folders.add(folder)
        target = Path(base + relative)
        try:
            found = os.lstat(target)
        except FileNotFoundError:
            pass
        else:
            if stat.S_ISDIR(found.st_mode):
                remove_tree(target)
                self._forget(relative)
            elif keep_own and stat.S_ISREG(found.st_mode) and found.st_nlink == 1:
                return target, True  # its folders are real: it was found through them
            else:
                target.unlink()
        parent = "/".join(parts[:-1])
        if parent and parent not in folders:
            os.makedirs(base + parent, exist_ok=True)  # noqa: PTH103 - one call, no Path
            folders.update("/".join(parts[:depth]) for depth in range(1, len(parts)))
        return target, False

    def _forget(self, relative: str) -> None:
        """Forget `relative` and the folders under it: removed."""
        below = relative + "/"
        self._folders = {f for f in self._folders if f != relative and not f.startswith(below)}

    def _remove(self, relative: str) -> None:
        """Remove a file and the folders it leaves empty."""
        target = safe_join(self.path, relative)
        with contextlib.suppress(FileNotFoundError, IsADirectoryError, NotADirectoryError):
            target.unlink()
        folder = target.parent
        while folder != self.path:
            try:
                folder.rmdir()
            except OSError:
                break
            folder = folder.parent


def output_intact(out_dir: Path, manifest: Mapping[str, str]) -> bool:
    """Every listed file is still in the output (one stat each; contents are trusted)."""
    base = f"{out_dir}{os.sep}"
    return all(os.path.isfile(base + relative) for relative in manifest)  # noqa: PTH113 - speed


def previous_path(out_dir: Path) -> Path:
    """Where the build before last is kept, as the next build's starting point."""
    return out_dir.with_name(f".{out_dir.name}.previous")


def _read_section(out_dir: Path, key: str) -> dict[str, str]:
    try:
        data = json.loads((out_dir / MANIFEST).read_text(encoding="utf-8"))[key]
    except (OSError, ValueError, KeyError, TypeError):
        return {}
    return data if isinstance(data, dict) else {}


def _overwrite(target: Path, data: bytes) -> None:
    """Write `data` over a staging file of its own (`Staging._clear`), never through a link."""
    fd = os.open(target, os.O_WRONLY | getattr(os, "O_NOFOLLOW", 0))
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        os.ftruncate(fd, len(data))
    finally:
        os.close(fd)


def _link(source: Path, target: Path) -> bool:
    """Hard-link a previous output file; never a symlink or other foreign file put into dist/."""
    try:
        if not stat.S_ISREG(os.lstat(source).st_mode):
            return False
        os.link(source, target, follow_symlinks=False)
    except OSError:
        return False
    return True


def _swap(staging: Path, out_dir: Path) -> None:
    """Put staging in place of out_dir: atomically where the OS can exchange two folders.

    The replaced output is kept as the next build's staging folder (`previous_path`).
    """
    previous = previous_path(out_dir)
    with _signals_held():
        if not out_dir.exists():
            staging.rename(out_dir)
            return
        remove_tree(previous)
        if _exchange(staging, out_dir):
            staging.rename(previous)  # now holds the previous build
            return
        trash = out_dir.with_name(f".{out_dir.name}.old-{os.getpid()}")
        out_dir.rename(trash)
        staging.rename(out_dir)
    trash.rename(previous)


def _exchange(a: Path, b: Path) -> bool:
    """Swap two folders in one step (Linux `renameat2`); False where the OS cannot.

    The C library is the one already loaded into this process: `ctypes.util.find_library`
    ran `ldconfig -p` in a subprocess on every build that swapped its output.
    """
    import ctypes  # only a build that swaps its output needs it

    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd = -100
    result = renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), _RENAME_EXCHANGE)
    return bool(result == 0)


def remove_tree(path: Path) -> None:
    """Remove a folder we created (staging or trash); silent if it is gone."""
    with contextlib.suppress(FileNotFoundError):
        shutil.rmtree(path)


class OutputBusyError(OutputError):
    """Another build holds the output's lock."""


def lock_path(out_dir: Path) -> Path:
    """The lock file: beside the output, because the output folder itself is swapped."""
    return out_dir.with_name(f".{out_dir.name}.lock")


@contextlib.contextmanager
def output_lock(out_dir: Path) -> Iterator[None]:
    """Hold the output's lock, or refuse at once if another build holds it.

    Refusing (rather than waiting) keeps a stuck build visible in CI instead of
    piling up builds behind it. The lock is an flock, so a killed build never
    leaves a stale lock behind; where flock is missing (Windows) there is no lock.
    """
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX
        yield
        return
    path = lock_path(out_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip() or "another process"
            raise OutputBusyError(
                f"another dateline build (process {holder}) is writing to {out_dir}; "
                "wait for it to finish, then build again"
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode("ascii"), 0)
        yield
    finally:
        os.close(fd)  # closing releases the flock


def stale_folders(out_dir: Path) -> list[Path]:
    """Staging and trash folders of killed builds beside the output, sorted."""
    pattern = re.compile(rf"\.{re.escape(out_dir.name)}\.(staging|old)-\d+")
    if not out_dir.parent.is_dir():
        return []
    return sorted(p for p in out_dir.parent.iterdir() if pattern.fullmatch(p.name))


def clean_stale(out_dir: Path) -> None:
    """Remove staging and trash folders left by killed builds (call with the lock held).

    If a build was killed between the two renames of the fallback swap, the output is
    missing and the trash folder holds the previous complete site: put it back.
    """
    for path in stale_folders(out_dir):
        if path.name.rsplit(".", 1)[-1].startswith("old-") and not out_dir.exists():
            path.rename(out_dir)
        else:
            _remove_stale(path)


def _remove_stale(path: Path, wait: float = 10.0) -> None:
    """Remove a killed build's folder, waiting for a straggler still writing into it.

    `kill -9` does not stop the search indexer a build started: for a moment it goes on
    adding files to the dead build's staging folder, and rmtree meets a folder that is
    not empty by the time it removes it. Retry until the indexer is done.
    """
    deadline = time.monotonic() + wait
    while True:
        try:
            remove_tree(path)
            return
        except OSError as exc:
            if exc.errno != errno.ENOTEMPTY or time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def check_writable(out_dir: Path) -> None:
    """Fail before rendering when the output or the folder around it cannot be written."""
    for folder in (out_dir.parent, out_dir):
        if folder.is_dir() and not os.access(folder, os.W_OK | os.X_OK):
            raise OutputError(
                f"cannot write to {folder}: the folder is read-only; the previous output "
                "was left as it was (hint: make it writable, or choose another --out)"
            )


def describe_os_error(exc: OSError, out_dir: Path) -> str:
    """A user-facing sentence for a failed write; the staging folder is gone by now."""
    reasons = {
        errno.ENOSPC: "the disk is full",
        errno.EDQUOT: "the disk quota is exceeded",
        errno.EROFS: "the file system is read-only",
        errno.EACCES: "permission denied",
        errno.EPERM: "permission denied",
    }
    reason = reasons.get(exc.errno or 0, exc.strerror or str(exc))
    where = f" ({exc.filename})" if exc.filename else ""
    return (
        f"cannot write the site into {out_dir}: {reason}{where}; the previous output was "
        "left as it was (hint: free some space or fix the permissions, then build again)"
    )


@contextlib.contextmanager
def _signals_held() -> Iterator[None]:
    """Delay SIGINT/SIGTERM until the swap is done, so no signal lands between two renames."""
    held = {signal.SIGINT, signal.SIGTERM}
    try:
        previous = signal.pthread_sigmask(signal.SIG_BLOCK, held)
    except (AttributeError, OSError, ValueError):  # pragma: no cover - not POSIX
        yield
        return
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)
