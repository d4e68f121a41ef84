"""The `dateline` command: a thin layer that parses arguments, calls a stage, prints.

Exit status: 0 success; 1 content or build errors, an output that cannot be written
(read-only, disk full, another build holding its lock); 2 usage errors; 130 on Ctrl-C
(SIGINT) and 143 on SIGTERM, after removing the half-written staging folder.
This is the only module (with the preview server) that prints.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import signal
import sys
from collections.abc import Sequence
from pathlib import Path

from dateline import __version__
from dateline.build import build_site
from dateline.check import add_check_command
from dateline.deploy import add_deploy_command
from dateline.errors import DatelineError, Diagnostic
from dateline.importer import add_import_command
from dateline.listing import add_list_command
from dateline.preview import add_serve_command
from dateline.scaffold import add_new_command
from dateline.urls import UnsafePathError
from dateline.write import OutputError


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    previous = _catch_sigterm()
    try:
        parser = make_parser()
        args = parser.parse_args(argv)
        if not hasattr(args, "handler"):
            parser.print_help()
            return 2
        return int(args.handler(args))
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `dateline list | head`: the reader left; not an error of ours
        sys.stdout = Path(os.devnull).open("w")  # noqa: SIM115 - silences the flush at exit
        return 141
    except Terminated:
        print("terminated", file=sys.stderr)
        return 143
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def run() -> None:
    """The `dateline` console command: main(), then exit without a traceback.

    Once main() has returned the work is done (or cleaned up), so a late Ctrl-C or
    SIGTERM while the interpreter shuts down (joining render processes) is ignored
    rather than turned into a traceback or a misleading "killed" status.
    """
    code = main()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, signal.SIG_IGN)
    sys.exit(code)


class Terminated(BaseException):
    """SIGTERM arrived: unwinds like Ctrl-C, so `finally` blocks remove the staging folder."""


def _raise_terminated(signum: int, frame: object) -> None:
    raise Terminated


def _catch_sigterm() -> signal._HANDLER | None:
    """Turn SIGTERM into `Terminated` while a command runs (only possible in the main thread)."""
    try:
        return signal.signal(signal.SIGTERM, _raise_terminated)
    except ValueError:  # not the main thread (e.g. called from a test's worker thread)
        return None


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="dateline", description="Build a static website from a news bulletin archive."
    )
    parser.add_argument("--version", action="version", version=f"dateline {__version__}")
    commands = parser.add_subparsers(title="commands", metavar="COMMAND")
    build = commands.add_parser("build", help="build the site into the output folder")
    add_site_options(build)
    build.add_argument("--out", type=Path, help="output folder (default: dist/ in the site)")
    build.add_argument(
        "--force", action="store_true", help="replace an output folder dateline did not write"
    )
    build.add_argument("--strict", action="store_true", help="treat warnings as errors")
    add_search_option(build)
    build.add_argument(
        "--no-cache", action="store_true", help="full build: ignore and leave .dateline-cache/"
    )
    build.add_argument(
        "--jobs", type=_positive, help="processes that render (default: one per CPU)"
    )
    build.set_defaults(handler=run_build)
    add_serve_command(commands)
    add_import_command(commands)
    add_new_command(commands)
    add_list_command(commands)
    add_check_command(commands)
    add_deploy_command(commands)
    return parser


def add_site_options(parser: argparse.ArgumentParser) -> None:
    """Options every command that builds shares."""
    parser.add_argument(
        "--site", type=Path, default=Path(), help="the site folder (default: the current folder)"
    )
    parser.add_argument(
        "--base-url", help="override base_url, e.g. https://example.org/news-archive/"
    )
    parser.add_argument(
        "--per-page", type=_positive, help="articles per listing page (overrides per_page)"
    )
    parser.add_argument(
        "--drafts", action="store_true", help="include drafts and future-dated articles"
    )


def add_search_option(parser: argparse.ArgumentParser) -> None:
    """`--no-search`, for the commands that build a site to look at (build, serve)."""
    parser.add_argument(
        "--no-search", action="store_true", help="quicker: make no search index (see README)"
    )


def site_overrides(args: argparse.Namespace) -> dict[str, object]:
    return {"base_url": args.base_url, "per_page": args.per_page}


def now() -> dt.datetime:
    """The build clock: only used to hold back future-dated articles."""
    return dt.datetime.now(dt.UTC)


def run_build(args: argparse.Namespace) -> int:
    try:
        report = build_site(
            args.site,
            now=now(),
            out_dir=args.out,
            drafts=args.drafts,
            force=args.force,
            overrides=site_overrides(args),
            use_cache=not args.no_cache,
            jobs=args.jobs,
            search=not args.no_search,
        )
    except DatelineError as exc:
        print_diagnostics(exc.diagnostics)
        print(
            f"build failed: {_count(exc.diagnostics)}; the previous output was left as it was",
            file=sys.stderr,
        )
        return 1
    except (OutputError, UnsafePathError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print_diagnostics(report.diagnostics)
    out = _display_path(report.out_dir)
    print(
        f"built {report.articles} articles, {report.pages} pages into {out}: "
        f"{len(report.written)} written, {report.unchanged} unchanged, {len(report.removed)} removed "
        f"in {report.seconds:.2f} s"
    )
    if args.strict and report.diagnostics:
        print(f"--strict: {_count(report.diagnostics)}", file=sys.stderr)
        return 1
    return 0


def print_diagnostics(diagnostics: Sequence[Diagnostic]) -> None:
    for diagnostic in diagnostics:
        print(diagnostic, file=sys.stderr)


def _count(diagnostics: Sequence[Diagnostic]) -> str:
    errors = sum(d.is_error for d in diagnostics)
    warnings = len(diagnostics) - errors
    return f"{errors} error{'s' * (errors != 1)}, {warnings} warning{'s' * (warnings != 1)}"


def _display_path(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError("must be 1 or more")
    return value
