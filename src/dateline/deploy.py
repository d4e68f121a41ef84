"""`dateline deploy`: build, then publish the output to a folder, over rsync, or to a git branch.

Publishing must be boring and safe: it copies only what changed (by content), deletes
only files an earlier deploy wrote (listed in `.dateline/deploy.json` in the target),
never anything else, and refuses when URLs the target publishes would disappear
(the URL ledger, see ledger.py) unless told `--allow-removed`. The three targets
share that contract (see deploy_folder.py; rsync and git, with the system's tools,
in deploy_remote.py).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import re
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from dateline.build import build_site, check_out_dir
from dateline.config import load_config
from dateline.errors import DatelineError
from dateline.ledger import LEDGER, describe_removed, parse_ledger, removed_warning
from dateline.urls import UnsafePathError, base_path
from dateline.write import MANIFEST, OutputError, check_relative

DEPLOY_MANIFEST = ".dateline/deploy.json"
_REMOTE = re.compile(r"[^/:]+:")  # user@host:path or host:path (a path's first part has no ':')


class DeployError(Exception):
    """The deploy cannot go ahead; the message says why and what to do. Nothing was changed."""


class RemovedUrlsError(DeployError):
    """URLs the target publishes would disappear, and --allow-removed was not given."""

    def __init__(self, urls: tuple[str, ...], base: str) -> None:
        self.urls = urls
        count = f"{len(urls)} URL{'s' * (len(urls) != 1)}"
        super().__init__(
            f"{count} published by the last deploy would disappear: {describe_removed(urls, base)} "
            "(hint: add the old path to the moved article as redirect_from: [/old/path/], "
            "or pass --allow-removed if they were removed on purpose)"
        )


@dataclass(frozen=True, slots=True)
class Target:
    """Where to deploy: `kind` is "folder", "rsync" or "git"; `where` a path, rsync address or branch."""

    kind: str
    where: str

    def __str__(self) -> str:
        return f"git branch {self.where}" if self.kind == "git" else self.where


def parse_target(text: str) -> Target:
    """`git:BRANCH`, `rsync://…`, `[user@]host:path`, or else a local (or mounted) folder."""
    text = text.strip()
    if not text:
        raise DeployError("the deploy target is empty (hint: --to FOLDER, --to git:gh-pages)")
    if text.startswith("git:"):
        return Target("git", text.removeprefix("git:"))
    if text.startswith("rsync://") or _REMOTE.match(text):
        return Target("rsync", text)
    return Target("folder", text)


@dataclass(frozen=True, slots=True)
class DeployReport:
    """What a deploy did (or, with dry_run, would do)."""

    target: Target
    copied: tuple[str, ...]  # new or changed files
    deleted: tuple[str, ...]  # files an earlier deploy wrote that the site no longer has
    unchanged: int
    removed_urls: tuple[str, ...]  # allowed with --allow-removed
    dry_run: bool
    commit: str | None = None  # git: the new commit, None when nothing changed


@dataclass(frozen=True, slots=True)
class Built:
    """The built site as a deploy sees it: the files dateline wrote, and what they publish."""

    out: Path
    files: Mapping[str, str]  # relative path → sha256, from the build's manifest
    urls: frozenset[str]  # from the URL ledger
    base: str  # base_url's path, for messages


def built_site(out: Path, base_url: str) -> Built:
    """Read the build's manifest: exactly the files dateline wrote (its own manifest left out)."""
    try:
        data = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
        files = {**data["files"], **data.get("extra", {})}
        urls = parse_ledger((out / LEDGER).read_bytes())
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise DeployError(f"{out} is not a complete dateline build ({exc}); build again") from None
    for relative in files:
        check_relative(relative)
    return Built(out, dict(sorted(files.items())), urls, base_path(base_url))


def deploy_site(
    built: Built,
    target: Target,
    *,
    site_root: Path,
    dry_run: bool = False,
    allow_removed: bool = False,
    force: bool = False,
    author: str = "",
    newest: float | None = None,
) -> DeployReport:
    """Publish `built` to `target`: check the ledger first, then copy, delete, record."""
    from dateline import deploy_folder, deploy_remote  # they build on this module's types

    publisher: Publisher
    if target.kind == "folder":
        check_out_dir(site_root, Path(target.where))  # the rule for --out: never the sources
        publisher = deploy_folder.FolderPublisher(Path(target.where), built, force=force)
    elif target.kind == "rsync":
        publisher = deploy_remote.RsyncPublisher(target.where)
    else:
        publisher = deploy_remote.GitPublisher(site_root, target.where, author, newest)
    with publisher:
        previous = publisher.previous()
        removed = tuple(sorted((previous.urls or frozenset()) - built.urls))
        if removed and not allow_removed:
            raise RemovedUrlsError(removed, built.base)
        copied, deleted, unchanged, commit = publisher.publish(built, previous.files, dry_run)
    return DeployReport(target, copied, deleted, unchanged, removed, dry_run, commit)


@dataclass(frozen=True, slots=True)
class Previous:
    """What the target holds from the last deploy: the files it wrote and the URLs it published."""

    files: frozenset[str] = frozenset()
    urls: frozenset[str] | None = None


Outcome = tuple[tuple[str, ...], tuple[str, ...], int, str | None]


class Publisher(contextlib.AbstractContextManager["Publisher"]):
    """One kind of target: reads what the last deploy left there, then publishes."""

    def __exit__(self, *exc: object) -> None:
        return None

    def previous(self) -> Previous:
        raise NotImplementedError

    def publish(self, built: Built, old: frozenset[str], dry_run: bool) -> Outcome:
        raise NotImplementedError


def manifest_bytes(files: Iterable[str]) -> bytes:
    """The deploy manifest: the files this deploy wrote, so the next one may delete them."""
    return (json.dumps({"version": 1, "files": sorted(files)}, indent=0) + "\n").encode()


def parse_manifest(data: bytes) -> frozenset[str]:
    """Paths of a deploy manifest; a damaged one lists nothing (so nothing is deleted)."""
    try:
        files = json.loads(data)["files"]
    except (ValueError, KeyError, TypeError):
        return frozenset()
    return (
        frozenset(f for f in files if isinstance(f, str))
        if isinstance(files, list)
        else frozenset()
    )


def html_last(relative: str) -> tuple[bool, str]:
    """Copy order: pages after the files they use, so a visitor never gets a page whose CSS is missing."""
    return relative.endswith(".html"), relative


def add_deploy_command(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """`dateline deploy [--to TARGET | --to-branch BRANCH] [--dry-run] [--allow-removed]`."""
    from dateline.cli import _positive, add_search_option, add_site_options

    parser = commands.add_parser(
        "deploy",
        help="build, then publish the site to a folder, over rsync or to a git branch",
        description="Build the site, then copy what changed to the target ([deploy] to in "
        "dateline.toml, or --to). Deletes only files an earlier deploy wrote.",
    )
    add_site_options(parser)
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--to", help="a folder, user@host:path, rsync://host/path or git:BRANCH")
    where.add_argument(
        "--to-branch", metavar="BRANCH", help="commit into this git branch (e.g. gh-pages)"
    )
    parser.add_argument("--out", type=Path, help="build folder (default: dist/ in the site)")
    parser.add_argument(
        "--dry-run", action="store_true", help="list what would change; change nothing"
    )
    parser.add_argument(
        "--allow-removed",
        action="store_true",
        help="publish even if URLs of the last deploy disappear",
    )
    parser.add_argument(
        "--force",
        action="store_true",
        help="replace files in the target that dateline did not write",
    )
    parser.add_argument(
        "--no-cache", action="store_true", help="full build: ignore .dateline-cache/"
    )
    add_search_option(parser)
    parser.add_argument(
        "--jobs", type=_positive, help="processes that render (default: one per CPU)"
    )
    parser.set_defaults(handler=run_deploy)


def run_deploy(args: argparse.Namespace) -> int:
    """Build (refusing on errors), check the ledger, publish, and say what changed."""
    from dateline.cli import now, print_diagnostics, site_overrides  # cli imports this module

    if args.drafts:
        print("error: deploy never publishes drafts (hint: preview them with `dateline serve "
              "--drafts`; remove --drafts to deploy)", file=sys.stderr)  # fmt: skip
        return 2
    try:
        config = load_config(args.site, site_overrides(args))
        spec = f"git:{args.to_branch}" if args.to_branch else (args.to or config.deploy.to)
        if not spec:
            print("error: no deploy target (hint: pass --to FOLDER, --to-branch gh-pages, "
                  'or set [deploy] to = "…" in dateline.toml)', file=sys.stderr)  # fmt: skip
            return 2
        target = parse_target(spec)
        if spec == config.deploy.to and target.kind == "folder":  # relative to the site, like dist/
            target = Target("folder", str(args.site / target.where))
        report = build_site(args.site, now=now(), out_dir=args.out, overrides=site_overrides(args),
                            use_cache=not args.no_cache, jobs=args.jobs,
                            search=not args.no_search)  # fmt: skip
        ledger_note = removed_warning(report.removed_urls, config, "the last build")
        print_diagnostics([d for d in report.diagnostics if d != ledger_note])
        built = built_site(report.out_dir, config.base_url)
        newest = report.newest.timestamp() if report.newest else None
        done = deploy_site(built, target, site_root=args.site, dry_run=args.dry_run,
                           allow_removed=args.allow_removed, force=args.force,
                           author=config.deploy.author, newest=newest)  # fmt: skip
    except DatelineError as exc:
        print_diagnostics(exc.diagnostics)
        print("deploy refused: the build has errors; nothing was deployed", file=sys.stderr)
        return 1
    except (DeployError, OutputError, UnsafePathError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print_report(done)
    return 0


def print_report(report: DeployReport) -> None:
    """One line per change on a dry run; always a summary line."""
    verb = "would " if report.dry_run else ""
    if report.dry_run:
        for relative in report.copied:
            print(f"{verb}copy   {relative}")
        for relative in report.deleted:
            print(f"{verb}delete {relative}")
    for url in report.removed_urls:
        print(f"warning: {url} is no longer published (--allow-removed)", file=sys.stderr)
    commit = f"; commit {report.commit[:12]}" if report.commit else ""
    if report.target.kind == "git" and not report.commit and not report.dry_run:
        commit = "; nothing changed, no commit"
    print(
        f"deploy to {report.target}: {verb}copy {len(report.copied)} files, {verb}delete "
        f"{len(report.deleted)}, {report.unchanged} unchanged{commit}"
    )
