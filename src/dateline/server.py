"""The preview's HTTP side: serve one build folder safely, with live reload and an error overlay.

Every file is opened by path and read whole, and builds swap their output in
atomically, so a request racing a rebuild gets the old or the new file, never
half of one. Request paths are checked before they touch the file system, and
nothing that resolves outside the build folder is served. The reload script and
the overlay are added to HTML responses here, at response time only (see
livereload.py), so a built site never contains them. Stdlib only.
"""

from __future__ import annotations

import email.utils
import hashlib
import json
import mimetypes
import os
import re
import socket
import sys
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, unquote, urlsplit

from dateline.livereload import OVERLAY_CSS, RELOAD_JS, SCRIPT_PATH, STYLE_PATH, inject
from dateline.urls import UnsafePathError, check_site_path

RELOAD_PATH = "/_dateline/reload"
WILDCARD_HOSTS = ("0.0.0.0", "::", "")

# Explicit types for what a site serves; the platform's mimetypes table varies.
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".json": "application/json",
    ".xml": "application/xml; charset=utf-8",
    ".atom": "application/atom+xml; charset=utf-8",
    ".rss": "application/rss+xml; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".avif": "image/avif",
    ".ico": "image/x-icon",
    ".woff": "font/woff",
    ".woff2": "font/woff2",
    ".webmanifest": "application/manifest+json",
    ".pdf": "application/pdf",
    ".wasm": "application/wasm",
    # the search index (search.py): gzipped data that Pagefind's script unpacks itself
    ".pagefind": "application/octet-stream",
    ".pf_meta": "application/octet-stream",
    ".pf_index": "application/octet-stream",
    ".pf_fragment": "application/octet-stream",
}


def preview_url(host: str, port: int, prefix: str = "/") -> str:
    """The URL the preview answers on; wildcard binds are shown as 127.0.0.1."""
    shown = "127.0.0.1" if host in WILDCARD_HOSTS else host
    if ":" in shown:
        shown = f"[{shown}]"
    return f"http://{shown}:{port}{prefix}"


def bind_warning(host: str) -> str | None:
    """A warning for binds that make the preview reachable from other machines."""
    if host in WILDCARD_HOSTS:
        return (
            f"warning: --bind {host or '0.0.0.0'} serves the preview to every network this "
            "machine is on, drafts included; use --bind 127.0.0.1 unless you mean it"
        )
    return None


class PreviewState:
    """What the handler serves: the build folder, the URL prefix, the build epoch, errors.

    The epoch changes whenever what a page shows changes (new output, a failure,
    a recovery); open tabs long-poll for it and reload.
    """

    def __init__(self, out_dir: Path) -> None:
        self.out_dir = out_dir
        self.prefix = "/"
        self.epoch = 1
        self.errors: tuple[str, ...] = ()
        self.closed = False
        self._changed = threading.Condition()

    def publish(self, *, prefix: str, errors: tuple[str, ...], changed: bool) -> None:
        with self._changed:
            changed = changed or errors != self.errors or prefix != self.prefix
            self.prefix, self.errors = prefix, errors
            if changed:
                self.epoch += 1
                self._changed.notify_all()

    def wait_past(self, epoch: str, timeout: float) -> int:
        """Block until the epoch differs from `epoch` (or timeout, or close); return it."""
        with self._changed:
            self._changed.wait_for(lambda: str(self.epoch) != epoch or self.closed, timeout)
            return self.epoch

    def close(self) -> None:
        with self._changed:
            self.closed = True
            self._changed.notify_all()


class PreviewHTTPServer(ThreadingHTTPServer):
    """One thread per connection; a deep backlog so a burst of clients is queued, not refused."""

    daemon_threads = True
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], state: PreviewState, poll_timeout: float):
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        self.state = state
        self.poll_timeout = poll_timeout
        super().__init__(address, PreviewHandler)

    def host_allowed(self, host_header: str) -> bool:
        """Refuse foreign Host names on a local bind: a DNS-rebinding page cannot read drafts."""
        bound = str(self.server_address[0]).lower()
        if not host_header or bound in WILDCARD_HOSTS:
            return True
        try:
            name = (urlsplit("//" + host_header).hostname or "").lower()
        except ValueError:
            return False
        return name in {"localhost", "127.0.0.1", "::1", bound} or name.endswith(".localhost")

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A browser closing a tab mid-response is normal: stay quiet about it."""
        exc = sys.exc_info()[1]
        if isinstance(exc, ConnectionError | TimeoutError):
            return
        print(f"error answering {client_address[0]}: {exc!r}", file=sys.stderr)


class PreviewHandler(BaseHTTPRequestHandler):
    """GET and HEAD for the built site, plus the reload endpoint and its two assets."""

    server: PreviewHTTPServer
    protocol_version = "HTTP/1.1"
    server_version = "dateline-serve"
    timeout = 30  # idle keep-alive connections release their thread

    def do_GET(self) -> None:
        self._answer(head=False)

    def do_HEAD(self) -> None:
        self._answer(head=True)

    def log_message(self, format: str, *args: Any) -> None:
        """Requests are not logged: the terminal shows one line per rebuild instead."""

    def _answer(self, *, head: bool) -> None:
        state = self.server.state
        if not self.server.host_allowed(self.headers.get("Host", "")):
            self._send(
                HTTPStatus.MISDIRECTED_REQUEST, b"unknown Host\n", CONTENT_TYPES[".txt"], head=head
            )
            return
        raw_path, _, query = self.path.partition("?")
        if raw_path == RELOAD_PATH:
            epoch = parse_qs(query).get("epoch", [""])[0]
            current = state.wait_past(epoch, self.server.poll_timeout)
            body = json.dumps({"epoch": current}).encode()
            self._send(HTTPStatus.OK, body, "application/json", head=head)
            return
        if raw_path in (SCRIPT_PATH, STYLE_PATH):
            body, kind = (RELOAD_JS, ".js") if raw_path == SCRIPT_PATH else (OVERLAY_CSS, ".css")
            self._send(HTTPStatus.OK, body, CONTENT_TYPES[kind], head=head)
            return
        try:
            path = request_path(raw_path)
        except UnsafePathError:
            self._send(
                HTTPStatus.BAD_REQUEST, b"bad request path\n", CONTENT_TYPES[".txt"], head=head
            )
            return
        prefix = unquote(state.prefix)
        if path != prefix and path in ("/", prefix.rstrip("/")):
            self._redirect(state.prefix)
            return
        if not path.startswith(prefix):
            self._not_found(head=head)
            return
        relative = path[len(prefix) :]
        found = read_output(state.out_dir, relative)
        if found is None:
            self._not_found(head=head)
        elif isinstance(found, str):
            self._redirect(quote(prefix + found) + (f"?{query}" if query else ""))
        else:
            body, mtime = found
            self._send(HTTPStatus.OK, body, content_type(relative), head=head, mtime=mtime)

    def _not_found(self, *, head: bool) -> None:
        found = read_output(self.server.state.out_dir, "404.html")
        body = (
            found[0]
            if isinstance(found, tuple)
            else b"<!doctype html><title>Not found</title><body><h1>Not found</h1></body>"
        )
        self._send(HTTPStatus.NOT_FOUND, body, CONTENT_TYPES[".html"], head=head)

    def _redirect(self, location: str) -> None:
        self.send_response(HTTPStatus.FOUND)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.send_header("Cache-Control", "no-cache")
        self.end_headers()

    def _send(
        self,
        status: HTTPStatus,
        body: bytes,
        ctype: str,
        *,
        head: bool,
        mtime: float | None = None,
    ) -> None:
        """Send a complete response: injected HTML, validators, 304 and single ranges."""
        if ctype.startswith("text/html"):
            state = self.server.state
            body = inject(body, epoch=state.epoch, errors=state.errors)
        etag = '"' + hashlib.blake2b(body, digest_size=12).hexdigest() + '"'
        headers = {
            "Content-Type": ctype,
            "Cache-Control": "no-cache",
            "ETag": etag,
            "X-Content-Type-Options": "nosniff",
            "Accept-Ranges": "bytes",
        }
        if mtime is not None:
            headers["Last-Modified"] = email.utils.formatdate(mtime, usegmt=True)
        if status == HTTPStatus.OK and etag in self.headers.get("If-None-Match", ""):
            status, body = HTTPStatus.NOT_MODIFIED, b""
        elif status == HTTPStatus.OK and self.headers.get("If-Range", etag) == etag:
            try:
                wanted = byte_range(self.headers.get("Range"), len(body))
            except RangeNotSatisfiable:
                headers["Content-Range"] = f"bytes */{len(body)}"
                status, body = HTTPStatus.REQUESTED_RANGE_NOT_SATISFIABLE, b""
            else:
                if wanted is not None:
                    start, end = wanted
                    headers["Content-Range"] = f"bytes {start}-{end}/{len(body)}"
                    status, body = HTTPStatus.PARTIAL_CONTENT, body[start : end + 1]
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if not head and status != HTTPStatus.NOT_MODIFIED:
            self.wfile.write(body)


def request_path(raw: str) -> str:
    """The decoded site path of a request, or UnsafePathError (answered with 400).

    Encoded slashes and backslashes are refused before decoding, so `..%2F`
    cannot smuggle a segment past the check; then the decoded path must be a
    clean site path (no '..', '.', empty or hidden segments, no backslash).
    """
    if not raw.startswith("/") or re.search(r"%(2f|5c|00)", raw, re.IGNORECASE):
        raise UnsafePathError(f"unsafe request path {raw!r}")
    try:
        path = unquote(raw, errors="strict")
    except UnicodeDecodeError:
        raise UnsafePathError(f"request path {raw!r} is not UTF-8") from None
    return check_site_path(path)


def read_output(out_dir: Path, relative: str) -> tuple[bytes, float] | str | None:
    """Read the file serving `relative` whole: (bytes, mtime); a folder → its path with '/'.

    Opening by path and reading the open file means a rebuild that swaps the
    folder meanwhile cannot cut the file short; a file that vanished in the
    swap is looked up once more in the new folder. Anything resolving outside
    the build folder (a symlink pointing out) or hidden is not found.
    """
    name = relative + "index.html" if relative == "" or relative.endswith("/") else relative
    if any(part.startswith(".") for part in name.split("/")):
        return None  # the build's own records (.dateline/manifest.json) are not content
    for attempt in (1, 2):
        path = out_dir.joinpath(*[p for p in name.split("/") if p])
        try:
            if not path.resolve().is_relative_to(out_dir.resolve()):
                return None
            if path.is_dir():
                return relative + "/"
            with path.open("rb") as file:
                return file.read(), os.fstat(file.fileno()).st_mtime
        except FileNotFoundError:
            if attempt == 2:
                return None
        except OSError:  # NotADirectory, IsADirectory, permission: nothing to serve
            return None
    return None


def content_type(relative: str) -> str:
    name = relative + "index.html" if relative == "" or relative.endswith("/") else relative
    suffix = Path(name).suffix.lower()
    guessed = CONTENT_TYPES.get(suffix) or mimetypes.guess_type(name)[0]
    return guessed or "application/octet-stream"


class RangeNotSatisfiable(ValueError):
    """A Range header that selects no byte of the file (answered with 416)."""


def byte_range(header: str | None, size: int) -> tuple[int, int] | None:
    """(first, last) byte of a single `Range: bytes=…`, or None to send the whole file."""
    match = re.fullmatch(r"\s*bytes=(\d*)-(\d*)\s*", header or "")
    if match is None or match.group(1) == match.group(2) == "":
        return None  # absent, malformed or several ranges: the whole file is a valid answer
    first, last = match.groups()
    if first == "":
        start, end = max(size - int(last), 0), size - 1
    else:
        start, end = int(first), min(int(last) if last else size - 1, size - 1)
    if start >= size or start > end:
        raise RangeNotSatisfiable(header)
    return start, end
