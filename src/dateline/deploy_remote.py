"""Deploy targets that use the system's tools: rsync (over SSH or to a path) and a git branch.

rsync runs in checksum mode with a filter that protects every file on the receiver
except those the last deploy wrote and the site no longer has, so `--delete` can
only remove dateline's own files. A git deploy commits the site into a branch of the
site's repository with plumbing (a temporary index, `commit-tree`, `update-ref`), so
no checkout is touched; the commit is reproducible: fixed author and committer,
dated by the newest article, and no commit at all when the tree did not change.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterable
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
from dateline.write import MANIFEST

DEFAULT_AUTHOR = "dateline <dateline@localhost>"
_NO_SUCH_FILE = (
    23  # rsync: "some files could not be transferred" (the remote .dateline/ is missing)
)
_AUTHOR = re.compile(r"(?P<name>[^<>]*[^<>\s]) <(?P<email>[^<>\s]+)>")


def _tool(name: str) -> str:
    found = shutil.which(name)
    if not found:
        raise DeployError(
            f"{name} is not installed (hint: install it, e.g. apt-get install {name})"
        )
    return found


def _run(
    args: list[str], *, env: dict[str, str] | None = None, stdin: str = ""
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, input=stdin, capture_output=True, text=True, env=env, check=False)


def _remote_join(dest: str, relative: str) -> str:
    """An rsync address below `dest` (which may be `host:`, `host:path` or a path)."""
    return (dest if dest.endswith(("/", ":")) else dest + "/") + relative


def _escape(relative: str) -> str:
    """An rsync filter pattern matching exactly this path (wildcards escaped)."""
    if "\n" in relative or "\r" in relative:
        raise DeployError(f"the file name {relative!r} cannot be sent with rsync: rename it")
    return "/" + re.sub(r"([*?\[\\])", r"\\\1", relative)


class RsyncPublisher(Publisher):
    """rsync to `user@host:path`, `rsync://host/module/path` or a local path."""

    def __init__(self, dest: str) -> None:
        self.dest = dest
        self.rsync = _tool("rsync")
        self.temp = Path(tempfile.mkdtemp(prefix="dateline-rsync-"))

    def __exit__(self, *exc: object) -> None:
        shutil.rmtree(self.temp, ignore_errors=True)

    def previous(self) -> Previous:
        """Fetch the target's `.dateline/` (manifest and ledger); a first deploy has none."""
        fetched = self.temp / "previous"
        result = _run(
            [self.rsync, "--recursive", _remote_join(self.dest, ".dateline/"), f"{fetched}/"]
        )
        if result.returncode not in (0, _NO_SUCH_FILE):
            raise DeployError(f"rsync could not reach {self.dest}: {result.stderr.strip()}")
        manifest = fetched / Path(DEPLOY_MANIFEST).name
        if not manifest.is_file():
            return Previous()
        files = parse_manifest(manifest.read_bytes())
        ledger = fetched / Path(LEDGER).name
        return Previous(files, parse_ledger(ledger.read_bytes()) if ledger.is_file() else None)

    def publish(self, built: Built, old: frozenset[str], dry_run: bool) -> Outcome:
        rules = self.temp / "filter"
        stale = sorted(old - set(built.files) - {DEPLOY_MANIFEST})
        lines = [
            f"- /{MANIFEST}",
            *(f"R {_escape(r)}" for r in stale + _gone_folders(stale, built.files)),
            "P *",
        ]
        rules.write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")
        args = [self.rsync, "--recursive", "--checksum", "--delete", "--itemize-changes",
                "--chmod=D755,F644", f"--filter=merge {rules}"]  # fmt: skip
        result = _run([*args, *(["--dry-run"] if dry_run else []), f"{built.out}/", self.dest])
        if result.returncode != 0:
            raise DeployError(f"rsync to {self.dest} failed: {result.stderr.strip()}")
        copied, deleted = _itemized(result.stdout)
        if not dry_run:
            stage = self.temp / "stage"
            (stage / ".dateline").mkdir(parents=True)
            (stage / DEPLOY_MANIFEST).write_bytes(manifest_bytes([*built.files, DEPLOY_MANIFEST]))
            sent = _run(
                [
                    self.rsync,
                    "--recursive",
                    "--checksum",
                    "--chmod=D755,F644",
                    f"{stage}/",
                    self.dest,
                ]
            )
            if sent.returncode != 0:
                raise DeployError(f"rsync to {self.dest} failed: {sent.stderr.strip()}")
        sent_files = tuple(sorted(copied, key=html_last))
        return sent_files, tuple(sorted(deleted)), len(built.files) - len(sent_files), None


def _gone_folders(stale: list[str], files: Iterable[str]) -> list[str]:
    """Folders (`a/b/`) of stale files that the site no longer has.

    rsync removes a folder missing from the sender as one item, so it must be at risk
    too; anything else inside it stays protected, and then the folder stays as well.
    """
    kept = {"/".join(f.split("/")[:depth]) for f in files for depth in range(1, f.count("/") + 1)}
    gone = {"/".join(f.split("/")[:depth]) for f in stale for depth in range(1, f.count("/") + 1)}
    return [f"{folder}/" for folder in sorted(gone - kept)]


def _itemized(output: str) -> tuple[list[str], list[str]]:
    """Files rsync sent and deleted, from its --itemize-changes lines (`>f+++++++++ path`)."""
    copied, deleted = [], []
    for line in output.splitlines():
        code, _, name = line.partition(" ")
        if code == "*deleting":
            if not name.strip().endswith("/"):
                deleted.append(name.strip())
        elif len(code) > 1 and code[0] in "<>" and code[1] == "f":
            copied.append(name)
    return copied, deleted


class GitPublisher(Publisher):
    """Commit the site into `branch` of the site's repository, without touching any checkout."""

    def __init__(self, site_root: Path, branch: str, author: str, newest: float | None) -> None:
        self.git = _tool("git")
        found = _run([self.git, "-C", str(site_root), "rev-parse", "--absolute-git-dir"])
        if found.returncode != 0:
            raise DeployError(
                f"the site {site_root} is not in a git repository, so it has no branch {branch!r} "
                "(hint: run git init there, or deploy to a folder)"
            )
        self.git_dir = found.stdout.strip()
        if _run([self.git, "check-ref-format", "--branch", branch]).returncode != 0 or not branch:
            raise DeployError(
                f"{branch!r} is not a valid branch name (hint: e.g. --to-branch gh-pages)"
            )
        self.branch = branch
        self.ref = f"refs/heads/{branch}"
        head = self._git("symbolic-ref", "-q", "HEAD", check=False)
        if head == self.ref:
            raise DeployError(
                f"the branch {branch} is checked out in {site_root}; a deploy would leave that "
                "checkout behind (hint: check out another branch, or deploy to another one)"
            )
        self.parent = (
            self._git("rev-parse", "-q", "--verify", f"{self.ref}^{{commit}}", check=False) or None
        )
        self.identity = _identity(author)
        self.date = f"{int(newest if newest is not None else 0)} +0000"
        self.temp = Path(tempfile.mkdtemp(prefix="dateline-git-"))
        self.env = {
            **os.environ,
            "GIT_DIR": self.git_dir,
            "GIT_INDEX_FILE": str(self.temp / "index"),
        }

    def __exit__(self, *exc: object) -> None:
        shutil.rmtree(self.temp, ignore_errors=True)

    def _git(
        self, *args: str, check: bool = True, stdin: str = "", env: dict[str, str] | None = None
    ) -> str:
        result = _run([self.git, f"--git-dir={self.git_dir}", *args], env=env, stdin=stdin)
        if check and result.returncode != 0:
            raise DeployError(f"git {args[0]} failed: {result.stderr.strip()}")
        return result.stdout.strip() if result.returncode == 0 else ""

    def _blob(self, relative: str) -> bytes | None:
        if self.parent is None:
            return None
        result = subprocess.run([self.git, f"--git-dir={self.git_dir}", "cat-file", "blob",
                                 f"{self.parent}:{relative}"], capture_output=True, check=False)  # fmt: skip
        return result.stdout if result.returncode == 0 else None

    def previous(self) -> Previous:
        manifest = self._blob(DEPLOY_MANIFEST)
        if manifest is None:
            return Previous()
        ledger = self._blob(LEDGER)
        return Previous(
            parse_manifest(manifest), parse_ledger(ledger) if ledger is not None else None
        )

    def publish(self, built: Built, old: frozenset[str], dry_run: bool) -> Outcome:
        env = self.env
        self._git("read-tree", *([self.parent] if self.parent else ["--empty"]), env=env)
        had = {}  # path → blob id in the branch now
        for entry in self._git("ls-files", "--stage", "-z", env=env).split("\0"):
            meta, _, path = entry.partition("\t")
            if path:
                had[path] = meta.split()[1]
        paths = sorted(built.files, key=html_last)
        write = [] if dry_run else ["-w"]
        blobs = self._git("hash-object", *write, "--stdin-paths", env=env,
                          stdin="".join(f"{built.out / p}\n" for p in paths)).split()  # fmt: skip
        copied = tuple(p for p, blob in zip(paths, blobs, strict=True) if had.get(p) != blob)
        deleted = tuple(
            sorted(p for p in old - set(built.files) if p in had and p != DEPLOY_MANIFEST)
        )
        unchanged = len(paths) - len(copied)
        if dry_run:
            return copied, deleted, unchanged, None
        manifest = self._git("hash-object", "-w", "--stdin", env=env,
                             stdin=manifest_bytes([*built.files, DEPLOY_MANIFEST]).decode())  # fmt: skip
        entries = [f"100644 {blob}\t{p}" for p, blob in zip(paths, blobs, strict=True)]
        entries += [f"0 {'0' * 40}\t{p}" for p in deleted]
        entries.append(f"100644 {manifest}\t{DEPLOY_MANIFEST}")
        self._git("update-index", "--index-info", env=env, stdin="".join(f"{e}\n" for e in entries))
        tree = self._git("write-tree", env=env)
        if self.parent and tree == self._git("rev-parse", f"{self.parent}^{{tree}}"):
            return copied, deleted, unchanged, None
        return copied, deleted, unchanged, self._commit(tree, len(paths))

    def _commit(self, tree: str, count: int) -> str:
        name, email = self.identity
        env = {**self.env, "GIT_AUTHOR_NAME": name, "GIT_AUTHOR_EMAIL": email, "GIT_AUTHOR_DATE": self.date,
               "GIT_COMMITTER_NAME": name, "GIT_COMMITTER_EMAIL": email, "GIT_COMMITTER_DATE": self.date}  # fmt: skip
        day = dt.datetime.fromtimestamp(int(self.date.split()[0]), dt.UTC).date()
        message = f"Publish the site: {count} files\n\nBuilt by dateline; newest article {day}.\n"
        parents = ["-p", self.parent] if self.parent else []
        commit = self._git("commit-tree", "--no-gpg-sign", tree, *parents, env=env, stdin=message)
        self._git("update-ref", "-m", "dateline deploy", self.ref, commit, self.parent or "0" * 40)
        return commit


def _identity(author: str) -> tuple[str, str]:
    """Who signs deploy commits: [deploy] author, else GIT_AUTHOR_NAME/EMAIL, else dateline."""
    env_name, env_email = os.environ.get("GIT_AUTHOR_NAME"), os.environ.get("GIT_AUTHOR_EMAIL")
    if not author and env_name and env_email:
        return env_name, env_email
    match = _AUTHOR.fullmatch(author or DEFAULT_AUTHOR)
    if match is None:
        raise DeployError(f'the deploy author {author!r} must look like "Name <email>"')
    return match["name"], match["email"]
