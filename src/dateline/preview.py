"""`dateline serve`: build into a private folder, serve it, rebuild on save, reload open tabs.

The preview builds with the ordinary pipeline into `.dateline-cache/serve/` (never
dist/), with base_url pointed at the preview so absolute links stay local. A
failed build keeps the last good site and shows its diagnostics over every page
until a good save; nothing in the content can stop the server. This module and
cli.py are the only ones that print.
"""

from __future__ import annotations

import argparse
import datetime as dt
import signal
import sys
import threading
import time
import webbrowser
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TextIO

from dateline.build import build_site
from dateline.config import CONFIG_NAME, load_config
from dateline.errors import DatelineError, Diagnostic
from dateline.server import PreviewHTTPServer, PreviewState, bind_warning, preview_url
from dateline.urls import UnsafePathError, base_path
from dateline.watch import SourceWatcher
from dateline.write import OutputError

SERVE_DIR = Path(".dateline-cache") / "serve"


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Preview:
    """The preview server: bind, build, serve in a thread, rebuild on change, stop cleanly."""

    def __init__(
        self,
        root: Path,
        *,
        host: str = "127.0.0.1",
        port: int = 8000,
        drafts: bool = False,
        search: bool = True,
        overrides: Mapping[str, object] | None = None,
        clock: Callable[[], dt.datetime] = _utc_now,
        poll_timeout: float = 25.0,
        out: TextIO | None = None,
    ) -> None:
        self.root = root.absolute()
        self.drafts = drafts
        self.search = search
        self.overrides = dict(overrides or {})
        self.clock = clock
        self.out = out if out is not None else sys.stdout
        self.state = PreviewState(self.root / SERVE_DIR)
        self.httpd = PreviewHTTPServer((host, port), self.state, poll_timeout)
        self.host, self.port = host, int(self.httpd.server_address[1])
        self._warnings: tuple[Diagnostic, ...] = ()
        self._building = threading.Lock()
        self._serving = threading.Thread(target=self._serve, name="dateline-serve", daemon=True)
        self.watcher = SourceWatcher(
            self.root,
            folders=(self._content_dir(), "templates", "static"),
            files=(CONFIG_NAME,),
            on_change=self.rebuild,
        )

    @property
    def url(self) -> str:
        return preview_url(self.host, self.port, self.state.prefix)

    @property
    def threads(self) -> tuple[threading.Thread, ...]:
        return (self._serving, *self.watcher.threads)

    def start(self) -> None:
        """Build once, then answer requests and watch the sources (both in threads)."""
        self.rebuild(frozenset())
        self._serving.start()
        self.watcher.start()

    def stop(self) -> None:
        """Stop watching (a running rebuild finishes), wake long polls, close the socket."""
        self.watcher.stop()
        self.state.close()
        if self._serving.is_alive():
            self.httpd.shutdown()
        self.httpd.server_close()
        self._serving.join(5)

    def _serve(self) -> None:
        self.httpd.serve_forever(poll_interval=0.1)

    def _content_dir(self) -> str:
        try:
            return load_config(self.root, self.overrides).content_dir
        except DatelineError:
            return "content"

    def rebuild(self, changed: frozenset[Path]) -> None:
        """Build into the preview folder; publish the result or the errors. Never raises.

        Builds are serialised: two at once would share the staging folder.
        """
        with self._building:
            self._rebuild(changed)

    def _rebuild(self, changed: frozenset[Path]) -> None:
        started = time.perf_counter()
        prefix = self.state.prefix
        what = self._describe(changed)
        try:
            prefix = base_path(load_config(self.root, self.overrides).base_url)
            report = build_site(
                self.root,
                now=self.clock(),
                out_dir=self.state.out_dir,
                drafts=self.drafts,
                search=self.search,
                overrides={**self.overrides, "base_url": preview_url(self.host, self.port, prefix)},
            )
        except DatelineError as exc:
            self._failed(prefix, what, [str(d) for d in exc.diagnostics], started)
        except (OutputError, UnsafePathError, OSError) as exc:
            self._failed(prefix, what, [f"error: {exc}"], started)
        except Exception as exc:  # a bug must not take the preview down with it
            self._failed(prefix, what, [f"internal error: {type(exc).__name__}: {exc}"], started)
        else:
            if report.diagnostics != self._warnings:
                self._warnings = report.diagnostics
                for diagnostic in report.diagnostics:
                    print(diagnostic, file=sys.stderr)
            self.state.publish(
                prefix=prefix, errors=(), changed=bool(report.written or report.removed)
            )
            self._say(
                f"{what}: {len(report.written)} files rewritten, {len(report.removed)} removed "
                f"in {time.perf_counter() - started:.2f} s"
            )

    def _failed(self, prefix: str, what: str, errors: list[str], started: float) -> None:
        for line in errors:
            print(line, file=sys.stderr)
        self.state.publish(prefix=prefix, errors=tuple(errors), changed=False)
        self._say(
            f"{what}: build failed in {time.perf_counter() - started:.2f} s; "
            "still serving the last good site (fix and save to recover)"
        )

    def _describe(self, changed: frozenset[Path]) -> str:
        if not changed:
            return "first build"
        names = sorted(_display(path, self.root) for path in changed)
        more = f" and {len(names) - 1} more" if len(names) > 1 else ""
        return f"{names[0]}{more} changed"

    def _say(self, line: str) -> None:
        print(f"{time.strftime('%H:%M:%S')} {line}", file=self.out, flush=True)


def _display(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return str(path)


def add_serve_command(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register `dateline serve`."""
    from dateline import cli  # cli imports this module at its top, so import it lazily

    parser = commands.add_parser("serve", help="preview the site and reload the browser on save")
    cli.add_site_options(parser)
    cli.add_search_option(parser)
    parser.add_argument(
        "--port",
        type=_port,
        default=8000,
        help="port to listen on; 0 picks a free one (default 8000)",
    )
    parser.add_argument(
        "--bind",
        default="127.0.0.1",
        metavar="ADDRESS",
        help="address to listen on (default 127.0.0.1)",
    )
    parser.add_argument("--open", action="store_true", help="open the preview in a web browser")
    parser.set_defaults(handler=run_serve)


def run_serve(args: argparse.Namespace) -> int:
    """Serve until Ctrl-C; exit 0 then. Exit 1 if the site folder or the port is unusable."""
    from dateline import cli

    root: Path = args.site
    if not root.is_dir():
        print(f"error: the site folder {root} does not exist", file=sys.stderr)
        return 1
    try:
        preview = Preview(
            root,
            host=args.bind,
            port=args.port,
            drafts=args.drafts,
            search=not args.no_search,
            overrides=cli.site_overrides(args),
            clock=cli.now,
        )
    except OSError as exc:
        print(
            f"error: cannot listen on {args.bind} port {args.port}: {exc.strerror or exc}",
            file=sys.stderr,
        )
        return 1
    warning = bind_warning(args.bind)
    if warning:
        print(warning, file=sys.stderr)
    stopping = threading.Event()
    if threading.current_thread() is threading.main_thread():
        # A shell that starts jobs in the background (CI runners, `cmd &`) hands them SIGINT
        # ignored, and Python then never raises KeyboardInterrupt: serve must stop on Ctrl-C.
        signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        preview.start()
        print(f"serving {root} at {preview.url} (press Ctrl-C to stop)", flush=True)
        if args.open:
            webbrowser.open(preview.url)
        while not stopping.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        preview.stop()
    print("stopped", flush=True)
    return 0


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError("must be between 0 and 65535")
    return value
