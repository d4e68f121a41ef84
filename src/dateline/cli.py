"""The `dateline` command: a thin layer that parses arguments, calls a stage, prints.

Exit status: 0 success; 1 content or build errors, an output that cannot be written
(read-only, disk full, another build holding its lock); 2 usage errors; 130 on Ctrl-C
(SIGINT) and 143 on SIGTERM, after removing the half-written staging folder.
This is the only module (with the preview server) that prints.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import os
import signal
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

from dateline import __version__
from dateline.errors import DatelineError, Diagnostic
from dateline.report import BuildReport
from dateline.stamp import Stamp
from dateline.urls import UnsafePathError
from dateline.write import OutputError

# Only light modules above: a `dateline build` whose inputs did not change answers from
# its stamp (stamp.py) before the pipeline (Jinja, Markdown, Babel, YAML) is imported.
# The commands' modules are imported in make_parser(); the pipeline in run_build().


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    previous = _catch_sigterm()
    hook = sys.unraisablehook
    sys.unraisablehook = _quiet_interrupts
    try:
        args = _build_args(argv)
        if args is None:
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
        sys.unraisablehook = hook
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def run() -> None:
    """The `dateline` console command: main(), then exit without a traceback.

    Once main() has returned the work is done (or cleaned up), so a late Ctrl-C or
    SIGTERM is ignored rather than turned into a traceback or a misleading "killed"
    status. The interpreter's own teardown is skipped: every file is written and closed
    by then, and freeing a large archive object by object took 0.2 s of a 4,000-article
    rebuild for nothing.
    """
    code = main()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, signal.SIG_IGN)
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # a reader that left: nothing to do
            stream.flush()
    os._exit(code)


class Terminated(BaseException):
    """SIGTERM arrived: unwinds like Ctrl-C, so `finally` blocks remove the staging folder."""


def _raise_terminated(signum: int, frame: object) -> None:
    raise Terminated


def _quiet_interrupts(unraisable: sys.UnraisableHookArgs) -> None:
    """Ctrl-C or SIGTERM that strikes inside a callback Python cannot raise from (a weakref
    callback during an import) is lost either way; say nothing rather than print
    "Exception ignored … Traceback" to someone who only wanted the command to stop. The
    command then ends as it would have (a build completes and swaps in a whole site)."""
    if not isinstance(unraisable.exc_value, KeyboardInterrupt | Terminated):
        sys.__unraisablehook__(unraisable)


def _catch_sigterm() -> signal._HANDLER | None:
    """Turn SIGTERM into `Terminated` while a command runs (only possible in the main thread)."""
    try:
        return signal.signal(signal.SIGTERM, _raise_terminated)
    except ValueError:  # not the main thread (e.g. called from a test's worker thread)
        return None


def make_parser() -> argparse.ArgumentParser:
    from dateline.check import add_check_command
    from dateline.deploy import add_deploy_command
    from dateline.importer import add_import_command
    from dateline.listing import add_list_command
    from dateline.preview import add_serve_command
    from dateline.scaffold import add_new_command

    parser = argparse.ArgumentParser(
        prog="dateline", description="Build a static website from a news bulletin archive."
    )
    parser.add_argument("--version", action="version", version=f"dateline {__version__}")
    commands = parser.add_subparsers(title="commands", metavar="COMMAND")
    build = commands.add_parser("build", help="build the site into the output folder")
    add_build_options(build)
    add_serve_command(commands)
    add_import_command(commands)
    add_new_command(commands)
    add_list_command(commands)
    add_check_command(commands)
    add_deploy_command(commands)
    return parser


def add_build_options(build: argparse.ArgumentParser) -> None:
    """The options of `dateline build` (also parsed alone by `_build_args`)."""
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
        "--jobs",
        type=_positive,
        help="processes that convert and render, this one included (default: one per CPU)",
    )
    build.set_defaults(handler=run_build)


class _QuietParser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise argparse.ArgumentError(None, message)


def _build_args(argv: Sequence[str] | None) -> argparse.Namespace | None:
    """`dateline build …` parsed with the build options alone (no command module imported);
    None for anything else (help, a usage error, another command): the full parser's job."""
    words = list(sys.argv[1:] if argv is None else argv)
    if not words or words[0] != "build" or {"-h", "--help"} & set(words):
        return None
    parser = _QuietParser(prog="dateline build", add_help=False)
    add_build_options(parser)
    try:
        args, extra = parser.parse_known_args(words[1:])
    except argparse.ArgumentError:
        return None
    return None if extra else args


def add_site_folder(parser: argparse.ArgumentParser) -> None:
    """`--site`: every command works on one site folder, the current one by default."""
    parser.add_argument(
        "--site", type=Path, default=Path(), help="the site folder (default: the current folder)"
    )


def add_site_options(parser: argparse.ArgumentParser) -> None:
    """Options every command that builds shares."""
    add_site_folder(parser)
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
    started, moment = time.perf_counter(), now()
    try:
        stamp = None
        if not args.no_cache:  # nothing changed since the last build: its report, at once
            stamp = Stamp.for_build(args.site, args.out, args.drafts, site_overrides(args),
                                    search=not args.no_search)  # fmt: skip
            report = stamp.fresh_report(moment, started)
            if report is not None:
                return _print_report(args, report)
        from dateline.build import build_site  # the pipeline: imported only when it runs

        report = build_site(
            args.site,
            now=moment,
            out_dir=args.out,
            drafts=args.drafts,
            force=args.force,
            overrides=site_overrides(args),
            use_cache=not args.no_cache,
            jobs=args.jobs,
            search=not args.no_search,
            stamp=stamp,
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
    return _print_report(args, report)


def _print_report(args: argparse.Namespace, report: BuildReport) -> int:
    print_diagnostics(report.diagnostics)
    out = _display_path(report.out_dir)
    print(
        f"built {report.articles} article{'s' * (report.articles != 1)}, "
        f"{report.pages} page{'s' * (report.pages != 1)} into {out}: "
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
