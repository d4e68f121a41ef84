"""Quality-gate harness: serve a built site, drive Debian's Chromium, run axe, vnu and Lighthouse.

Every helper here is a pytest fixture so that test modules need no imports from this file:

- ``served_site(directory, base_path="/")``: context manager, yields the base URL of a local
  HTTP server for ``directory`` (404 status with the site's ``404.html`` body for missing files;
  text gzipped when the client accepts it, as any real host does).
- ``browser`` (session) / ``page`` / ``page_factory(width=..., height=...)``: Playwright pages in
  /usr/bin/chromium. Every page records console errors, page errors, failed requests, HTTP
  errors and third-party requests; the test errors at teardown if any were left unread
  (``page.watch.take()`` reads and clears them, for tests that expect some).
- ``require_tool(name, reason)``: ``pytest.skip`` locally, ``pytest.fail`` when ``CI=true``.
- ``axe_check(page)``: axe-core violations (WCAG 2.0/2.1/2.2 A and AA tags).
- ``vnu_check(paths)``: Nu Html Checker errors, all files in one Java run.
- ``lighthouse_scores(url, preset=None, floors=None)``: the four Lighthouse category scores
  (0..1); with ``floors``, a run that misses one is repeated once.
- ``screenshots_dir``: where screenshots go; printed in the terminal summary.

``axe_check`` and ``vnu_check`` return a ``Findings`` list; ``findings.report()`` is a readable
multi-line text for the assertion message: ``assert not found, found.report()``.
"""

from __future__ import annotations

import contextlib
import functools
import gzip
import http.server
import io
import json
import os
import shutil
import subprocess
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
FIXTURE_SITE = Path(__file__).resolve().parent / "fixture_site"
TOOLS_DIR = REPO_ROOT / "tests" / "tools"
NODE_MODULES = TOOLS_DIR / "node_modules"
VNU_JAR = NODE_MODULES / "vnu-jar" / "build" / "dist" / "vnu.jar"
LIGHTHOUSE_CLI = NODE_MODULES / "lighthouse" / "cli" / "index.js"
AXE_JS = NODE_MODULES / "axe-core" / "axe.min.js"
CHROMIUM = Path(os.environ.get("DATELINE_CHROMIUM", "/usr/bin/chromium"))

CHROMIUM_ARGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
AXE_TAGS = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa")
LIGHTHOUSE_CATEGORIES = ("performance", "accessibility", "best-practices", "seo")
NAV_TIMEOUT_MS = 15_000
INSTALL_HINT = "run `npm ci --prefix tests/tools --ignore-scripts` (or bash .ci/run)"


# --------------------------------------------------------------------------- tools


def in_ci() -> bool:
    return os.environ.get("CI") == "true"


def require_tool(name: str, reason: str) -> None:
    """A required tool is missing: skip locally, fail in CI (CI=true), with a one-line reason."""
    message = f"{name} not available: {reason}"
    if in_ci():
        pytest.fail(f"[CI=true] {message}", pytrace=False)
    pytest.skip(message)


@pytest.fixture(name="require_tool", scope="session")
def require_tool_fixture() -> Callable[[str, str], None]:
    return require_tool


def _need_file(path: Path, name: str) -> Path:
    if not path.is_file():
        require_tool(name, f"{path.relative_to(REPO_ROOT)} is missing; {INSTALL_HINT}")
    return path


def _need_command(command: str, hint: str) -> str:
    found = shutil.which(command)
    if found is None:
        require_tool(command, f"`{command}` is not on PATH; {hint}")
        raise AssertionError("unreachable")  # require_tool always raises
    return found


class Findings(list[dict[str, Any]]):
    """Problems reported by a checker; ``report()`` renders them for an assertion message."""

    def __init__(self, items: Iterable[dict[str, Any]], render: Callable[[dict[str, Any]], str]):
        super().__init__(items)
        self._render = render

    def report(self) -> str:
        if not self:
            return "no findings"
        lines = [f"{len(self)} finding(s):"]
        lines.extend(self._render(item) for item in self)
        return "\n".join(lines)


# --------------------------------------------------------------------------- artifacts


def _artifacts_root() -> Path:
    env = os.environ.get("DATELINE_ARTIFACTS")
    return Path(env).resolve() if env else REPO_ROOT / "artifacts"


_ARTIFACT_DIRS_USED: set[Path] = set()


def _artifact_dir(kind: str) -> Path:
    path = _artifacts_root() / kind
    path.mkdir(parents=True, exist_ok=True)
    _ARTIFACT_DIRS_USED.add(path)
    return path


@pytest.fixture(scope="session")
def screenshots_dir() -> Path:
    """Folder for screenshots: $DATELINE_ARTIFACTS/screenshots, else ./artifacts/screenshots."""
    return _artifact_dir("screenshots")


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if _ARTIFACT_DIRS_USED:
        terminalreporter.section("quality-gate artifacts")
        for path in sorted(_ARTIFACT_DIRS_USED):
            count = sum(1 for p in path.iterdir() if p.is_file())
            terminalreporter.write_line(f"{path}  ({count} files)")


# --------------------------------------------------------------------------- HTTP server


GZIP_SUFFIXES = frozenset({".html", ".css", ".js", ".mjs", ".json", ".svg", ".xml", ".txt"})


@functools.lru_cache(maxsize=256)
def _gzipped(path: Path, mtime_ns: int) -> bytes:
    """The compressed bytes of a file, computed once per version (mtime_ns is the cache key)."""
    return gzip.compress(path.read_bytes(), compresslevel=6, mtime=0)


class _SiteHandler(http.server.SimpleHTTPRequestHandler):
    """Serves `directory` under `prefix`; 404 with the site's 404.html body when it has one."""

    protocol_version = "HTTP/1.1"
    prefix = "/"
    extensions_map = {  # noqa: RUF012 - stdlib class attribute
        **http.server.SimpleHTTPRequestHandler.extensions_map,
        ".css": "text/css",
        ".js": "text/javascript",
        ".mjs": "text/javascript",
        ".json": "application/json",
        ".svg": "image/svg+xml",
        ".xml": "application/xml",
        ".webmanifest": "application/manifest+json",
        ".woff2": "font/woff2",
    }

    def send_head(self) -> Any:
        url_path = unquote(urlsplit(self.path).path)
        if not (url_path.startswith(self.prefix) or url_path + "/" == self.prefix):
            self.send_error(404, "outside the site's base path")
            return None
        if "gzip" in self.headers.get("Accept-Encoding", ""):
            path = Path(self.translate_path(self.path))
            if url_path.endswith("/") and path.is_dir():
                path = path / "index.html"
            if path.suffix in GZIP_SUFFIXES and path.is_file():
                return self._send_gzipped(path)
        return super().send_head()

    def _send_gzipped(self, path: Path) -> io.BytesIO:
        """Text compressed like any production host serves it: Lighthouse's performance score
        (and the reader on a slow link) would otherwise pay for bytes no real deployment sends."""
        body = _gzipped(path, path.stat().st_mtime_ns)
        self.send_response(200)
        self.send_header("Content-Type", self.guess_type(str(path)))
        self.send_header("Content-Encoding", "gzip")
        self.send_header("Vary", "Accept-Encoding")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        return io.BytesIO(body)

    def translate_path(self, path: str) -> str:
        url_path = unquote(urlsplit(path).path)
        if url_path + "/" == self.prefix:
            url_path = self.prefix
        return super().translate_path("/" + url_path[len(self.prefix) :])

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        not_found = Path(self.directory) / "404.html"
        if code != 404 or not not_found.is_file():
            super().send_error(code, message, explain)
            return
        body = not_found.read_bytes()
        self.send_response(404, message)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def end_headers(self) -> None:
        self.send_header("Cache-Control", "no-cache")
        super().end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


class SiteServer:
    """A ThreadingHTTPServer in a thread serving `directory` at http://127.0.0.1:<port><base_path>.

    Use as a context manager (``with SiteServer(d) as url``) or call ``start()``/``stop()``;
    ``stop()`` is idempotent.
    """

    def __init__(self, directory: Path, base_path: str = "/") -> None:
        self.directory = Path(directory).resolve()
        if not self.directory.is_dir():
            raise FileNotFoundError(f"cannot serve {self.directory}: not a directory")
        self.prefix = "/" + base_path.strip("/") + "/" if base_path.strip("/") else "/"
        self._server: http.server.ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.url = ""

    def start(self) -> str:
        if self._server is None:
            handler = type("SiteHandler", (_SiteHandler,), {"prefix": self.prefix})
            server = http.server.ThreadingHTTPServer(
                ("127.0.0.1", 0), functools.partial(handler, directory=str(self.directory))
            )
            server.daemon_threads = True
            self._server = server
            self._thread = threading.Thread(
                target=server.serve_forever, name=f"served_site:{self.directory.name}", daemon=True
            )
            self._thread.start()
            host, port = server.server_address[:2]
            self.url = f"http://{host!s}:{port}{self.prefix}"
        return self.url

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> str:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


@pytest.fixture
def served_site() -> Iterator[Callable[..., SiteServer]]:
    """``with served_site(dist_dir, base_path="/") as base_url: ...``; stopped at teardown anyway.

    ``served_site(dist_dir).start()`` also works, for a server that lives as long as the test.
    """
    servers: list[SiteServer] = []

    def make(directory: Path, base_path: str = "/") -> SiteServer:
        server = SiteServer(directory, base_path)
        servers.append(server)
        return server

    yield make
    for server in servers:
        server.stop()


@pytest.fixture(scope="session")
def site_server() -> type[SiteServer]:
    """The server class, for session- or module-scoped fixtures: ``with site_server(d, "/")``."""
    return SiteServer


@pytest.fixture(scope="module")
def fixture_site_url() -> Iterator[str]:
    """The hand-written fixture site, served at a non-root base path to exercise the prefix."""
    with SiteServer(FIXTURE_SITE, "/fixture/") as url:
        yield url


# --------------------------------------------------------------------------- browser


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Debian's Chromium driven by Playwright (never `playwright install`)."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        require_tool("playwright", "pip install playwright (Python package); see .ci/run")
        raise AssertionError("unreachable") from None
    if not CHROMIUM.is_file():
        require_tool("chromium", f"{CHROMIUM} is missing; apt-get install chromium")
    manager = sync_playwright().start()
    try:
        launched = manager.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=list(CHROMIUM_ARGS)
        )
        try:
            yield launched
        finally:
            launched.close()
    finally:
        manager.stop()


class PageWatch:
    """Collects what should never happen on a page: console errors, failures, third parties."""

    def __init__(self) -> None:
        self.problems: list[str] = []
        self.origins: set[str] = set()

    def attach(self, page: Any) -> None:
        page.on("console", self._on_console)
        page.on("pageerror", lambda error: self.problems.append(f"page error: {error}"))
        page.on("requestfailed", self._on_request_failed)
        page.on("response", self._on_response)
        page.on("request", self._on_request)

    @staticmethod
    def _browser_favicon(url: str) -> bool:
        """Chromium's own request for /favicon.ico at the host root when a page declares no icon.

        Not the page's request, and made once per browser, so it would fail whichever test
        happens to load the first page: the real-site tests check `link rel=icon` instead.
        """
        return urlsplit(url).path == "/favicon.ico"

    def _on_console(self, message: Any) -> None:
        if message.type in ("error", "assert"):
            location = message.location or {}
            if self._browser_favicon(location.get("url", "")):
                return
            where = f" at {location.get('url', '?')}:{location.get('lineNumber', '?')}"
            self.problems.append(f"console {message.type}: {message.text}{where}")

    def _on_request_failed(self, request: Any) -> None:
        """A failed request, unless Chromium cancelled it (net::ERR_ABORTED): that is what a
        request still in flight becomes when the reader leaves the page (say, the icon of a page
        clicked away from at once, or Back restoring a page from the back-forward cache, which
        sends no request). A missing or broken file is an HTTP error status or another net
        error, and is still reported."""
        if self._browser_favicon(request.url):
            return
        if request.failure == "net::ERR_ABORTED":
            return
        self.problems.append(f"request failed: {request.method} {request.url} ({request.failure})")

    def _on_response(self, response: Any) -> None:
        if response.status >= 400 and not self._browser_favicon(response.url):
            self.problems.append(
                f"HTTP {response.status}: {response.request.method} {response.url}"
            )

    def _on_request(self, request: Any) -> None:
        parts = urlsplit(request.url)
        if parts.scheme in ("data", "blob", "about"):
            return
        origin = f"{parts.scheme}://{parts.netloc}"
        if parts.hostname not in ("127.0.0.1", "localhost"):
            self.problems.append(f"third-party request: {request.url}")
        self.origins.add(origin)

    def take(self) -> list[str]:
        """Return and clear the problems recorded so far (for tests that expect some)."""
        taken, self.problems = self.problems, []
        return taken


@pytest.fixture
def page_factory(browser: Any) -> Iterator[Callable[..., Any]]:
    """``page_factory(width=1280, height=800)`` → a new watched page in its own context."""
    contexts: list[Any] = []
    watches: list[PageWatch] = []

    def make(width: int = 1280, height: int = 800, **context_options: Any) -> Any:
        context = browser.new_context(
            viewport={"width": width, "height": height}, **context_options
        )
        context.set_default_timeout(NAV_TIMEOUT_MS)
        contexts.append(context)
        page = context.new_page()
        watch = PageWatch()
        watch.attach(page)
        page.watch = watch
        watches.append(watch)
        return page

    yield make
    for context in contexts:
        context.close()
    leftovers = [problem for watch in watches for problem in watch.problems]
    if leftovers:
        pytest.fail(
            "the page had console errors, failed requests or third-party requests:\n  "
            + "\n  ".join(leftovers),
            pytrace=False,
        )


@pytest.fixture
def page(page_factory: Callable[..., Any]) -> Any:
    """A 1280x800 watched page; the test errors at teardown on any recorded problem."""
    return page_factory()


# --------------------------------------------------------------------------- page checks


def horizontal_overflow(page: Any) -> int:
    """How many CSS pixels the page is wider than its viewport (0 means no horizontal scroll)."""
    return int(
        page.evaluate(
            "() => Math.max(document.documentElement.scrollWidth, document.body.scrollWidth)"
            " - document.documentElement.clientWidth"
        )
    )


_TAB_WALK_JS = """
() => {
  const el = document.activeElement;
  if (!el || el === document.body || el === document.documentElement) return null;
  return {
    index: el.hasAttribute('data-gate-link') ? Number(el.getAttribute('data-gate-link')) : -1,
    tag: el.tagName.toLowerCase(),
    href: el.href || null,
    text: (el.innerText || el.getAttribute('aria-label') || '').trim().slice(0, 60),
  };
}
"""


def tab_walk(
    page: Any, limit: int | None = None
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Press Tab from the top of the page until focus leaves the document or comes back around.

    Returns (focused elements in order, all ``a[href]`` on the page). Every ``a[href]`` is tagged
    with ``data-gate-link=<index>`` first so that links are compared by identity, not by href.
    """
    links: list[dict[str, Any]] = page.evaluate(
        """() => Array.from(document.querySelectorAll('a[href]')).map((a, i) => {
             a.setAttribute('data-gate-link', String(i));
             return {index: i, href: a.href, text: (a.innerText || '').trim().slice(0, 60)};
           })"""
    )
    page.evaluate("() => { document.activeElement && document.activeElement.blur(); }")
    page.evaluate("() => window.scrollTo(0, 0)")
    focusable_guess = page.evaluate(
        "() => document.querySelectorAll("
        "'a[href], area[href], button, input, select, textarea, summary, [tabindex]').length"
    )
    steps = limit if limit is not None else int(focusable_guess) + 5
    focused: list[dict[str, Any]] = []
    for _ in range(steps):
        page.keyboard.press("Tab")
        current = page.evaluate(_TAB_WALK_JS)
        if current is None:
            break  # focus went to the browser UI / body: the walk wrapped
        if focused and current == focused[0]:
            break
        focused.append(current)
    return focused, links


@pytest.fixture(name="tab_walk", scope="session")
def tab_walk_fixture() -> Callable[..., tuple[list[dict[str, Any]], list[dict[str, Any]]]]:
    return tab_walk


@pytest.fixture(name="horizontal_overflow", scope="session")
def horizontal_overflow_fixture() -> Callable[[Any], int]:
    return horizontal_overflow


# --------------------------------------------------------------------------- axe-core


def _render_axe(violation: dict[str, Any]) -> str:
    nodes = violation.get("nodes", [])
    targets = "; ".join(" ".join(map(str, node.get("target", []))) for node in nodes[:5])
    more = f" (+{len(nodes) - 5} more)" if len(nodes) > 5 else ""
    summary = nodes[0].get("failureSummary", "").replace("\n", " ") if nodes else ""
    return (
        f"- [{violation.get('impact')}] {violation['id']}: {violation.get('help')}"
        f"\n    page: {violation.get('url', '?')}\n    nodes: {targets}{more}"
        f"\n    why: {summary}\n    see: {violation.get('helpUrl')}"
    )


def axe_check(page: Any, context: Any = None) -> Findings:
    """Run axe-core (npm, pinned in tests/tools) on the page; return the violations."""
    _need_file(AXE_JS, "axe-core")
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.add_script_tag(path=str(AXE_JS))
    results = page.evaluate(
        """([context, tags]) => axe.run(context || document, {
             runOnly: {type: 'tag', values: tags},
             resultTypes: ['violations'],
           })""",
        [context, list(AXE_TAGS)],
    )
    violations = [dict(v, url=results.get("url")) for v in results["violations"]]
    return Findings(violations, _render_axe)


@pytest.fixture(name="axe_check", scope="session")
def axe_check_fixture() -> Callable[..., Findings]:
    return axe_check


# --------------------------------------------------------------------------- Nu Html Checker


def _render_vnu(message: dict[str, Any]) -> str:
    url = message.get("url", "?")
    path = url.removeprefix("file:")
    with contextlib.suppress(ValueError):
        path = str(Path(path).relative_to(REPO_ROOT))
    line = message.get("lastLine", message.get("firstLine", "?"))
    column = message.get("firstColumn", message.get("lastColumn", "?"))
    extract = (message.get("extract") or "").replace("\n", " ").strip()
    text = f"- {path}:{line}:{column}: {message.get('type')}: {message.get('message')}"
    return text + (f"\n    {extract}" if extract else "")


def vnu_check(paths: Iterable[Path], *, timeout: float = 600) -> Findings:
    """Run the Nu Html Checker once on all `paths`; return the errors (file:line in the report)."""
    files = sorted(str(Path(p).resolve()) for p in paths)
    if not files:
        raise ValueError("vnu_check needs at least one file")
    java = _need_command("java", "apt-get install default-jre-headless")
    jar = _need_file(VNU_JAR, "vnu-jar")
    started = time.monotonic()
    completed = subprocess.run(
        [java, "-Xss1m", "-jar", str(jar), "--errors-only", "--format", "json", *files],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    elapsed = time.monotonic() - started
    print(f"vnu: {len(files)} file(s) checked in {elapsed:.1f}s")
    try:
        report = json.loads(completed.stderr or completed.stdout)
    except json.JSONDecodeError:
        pytest.fail(
            f"vnu exited {completed.returncode} without a JSON report:\n"
            f"{completed.stderr[-2000:]}{completed.stdout[-2000:]}",
            pytrace=False,
        )
    errors = [
        m for m in report.get("messages", []) if m.get("type") in ("error", "non-document-error")
    ]
    if completed.returncode not in (0, 1) or (completed.returncode == 1 and not errors):
        pytest.fail(f"vnu exited {completed.returncode}: {completed.stderr[-2000:]}", pytrace=False)
    return Findings(errors, _render_vnu)


@pytest.fixture(name="vnu_check", scope="session")
def vnu_check_fixture() -> Callable[..., Findings]:
    return vnu_check


# --------------------------------------------------------------------------- Lighthouse


def lighthouse_scores(
    url: str,
    preset: str | None = None,
    *,
    report_name: str | None = None,
    timeout: float = 240,
    floors: dict[str, float] | None = None,
) -> dict[str, float | None]:
    """Run Lighthouse (mobile default, or ``preset="desktop"``); return the four category scores.

    Lighthouse's default throttling is kept (simulated slow 4G and a 4x slower CPU), but the
    simulation starts from the CPU time this machine measured, so a CI box busy with other tests
    can cost a page a few performance points. With ``floors``, a run that misses one is repeated
    once and the second run's scores are returned: a real regression misses twice.
    The full JSON report is kept under <artifacts>/lighthouse/ for CI.
    """
    scores = _lighthouse_run(url, preset, report_name, timeout)
    missed = {k: v for k, v in (floors or {}).items() if (scores[k] or 0) < v}
    if missed:
        print(f"lighthouse: {url} missed {missed} (scores {scores}); running it once more")
        scores = _lighthouse_run(url, preset, report_name, timeout)
    return scores


def _lighthouse_run(
    url: str, preset: str | None, report_name: str | None, timeout: float
) -> dict[str, float | None]:
    node = _need_command("node", "install Node.js 20 (apt-get install nodejs)")
    cli = _need_file(LIGHTHOUSE_CLI, "lighthouse")
    if not CHROMIUM.is_file():
        require_tool("chromium", f"{CHROMIUM} is missing; apt-get install chromium")
    name = report_name or (urlsplit(url).path.strip("/").replace("/", "_") or "home")
    out = _artifact_dir("lighthouse") / f"{name}-{preset or 'mobile'}.report.json"
    command = [
        node,
        str(cli),
        url,
        "--output=json",
        f"--output-path={out}",
        "--quiet",
        f"--only-categories={','.join(LIGHTHOUSE_CATEGORIES)}",
        f"--chrome-flags={' '.join(CHROMIUM_ARGS)}",
    ]
    if preset:
        command.append(f"--preset={preset}")
    env = {**os.environ, "CHROME_PATH": str(CHROMIUM)}
    started = time.monotonic()
    completed = subprocess.run(
        command, capture_output=True, text=True, timeout=timeout, env=env, check=False
    )
    elapsed = time.monotonic() - started
    if completed.returncode != 0 or not out.is_file():
        pytest.fail(
            f"lighthouse exited {completed.returncode} for {url}:\n{completed.stderr[-3000:]}",
            pytrace=False,
        )
    report = json.loads(out.read_text(encoding="utf-8"))
    scores = {key: report["categories"][key]["score"] for key in LIGHTHOUSE_CATEGORIES}
    failing = sorted(
        (audit["id"], audit["score"], audit.get("displayValue", ""))
        for audit in report["audits"].values()
        if audit.get("score") is not None
        and audit["score"] < 1
        and audit.get("scoreDisplayMode") in ("binary", "numeric", "metricSavings")
    )
    print(f"lighthouse {preset or 'mobile'} {url}: {scores} in {elapsed:.1f}s (report: {out})")
    for audit_id, score, shown in failing:
        print(f"    below 1: {audit_id} = {score} {shown}")
    for warning in report.get("runWarnings", []):
        print(f"    warning: {warning}")
    return scores


@pytest.fixture(name="lighthouse_scores", scope="session")
def lighthouse_scores_fixture() -> Callable[..., dict[str, float | None]]:
    return lighthouse_scores
