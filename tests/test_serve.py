"""`dateline serve`: a real server on a free port, a tiny site, edits on disk, answers over HTTP."""

from __future__ import annotations

import http.client
import io
import json
import os
import re
import signal
import socket
import struct
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar
from urllib.parse import urlsplit

import pytest
from bs4 import BeautifulSoup
from hypothesis import given
from hypothesis import strategies as st

from dateline.errors import DatelineError
from dateline.preview import SERVE_DIR, Preview
from dateline.server import RangeNotSatisfiable, bind_warning, byte_range
from tests.conftest import NOW, MakeSite, article_md, build

T = TypeVar("T")
PREFIX = "/news-archive/"
# The promise: a save shows in the browser within 2 seconds.
EDIT_DEADLINE = 2.0
DEADLINE = 5.0

SITE = {
    "dateline.toml": """
        title = "Preview test"
        base_url = "https://example.org/news-archive/"
    """,
    "content/floods.md": article_md(
        "Floods in San Salvador",
        "2018-06-13",
        "San Salvador – First version of the text.",
        country="SV",
    ),
    "static/logo.svg": '<svg xmlns="http://www.w3.org/2000/svg"/>',
    "static/app.js": "console.log('site');",
    "static/data.json": '{"a": 1}',
    "static/fonts/body.woff2": "wOF2 not really a font",
}


class Response:
    def __init__(self, status: int, headers: http.client.HTTPMessage, body: bytes) -> None:
        self.status, self.headers, self.body = status, headers, body

    @property
    def soup(self) -> BeautifulSoup:
        return BeautifulSoup(self.body.decode("utf-8"), "html.parser")


def get(preview: Preview, target: str, method: str = "GET", **headers: str) -> Response:
    """Send `target` exactly as given (no client-side normalisation of '..' or '%2e')."""
    conn = http.client.HTTPConnection("127.0.0.1", preview.port, timeout=10)
    try:
        conn.request(method, target, headers={k.replace("_", "-"): v for k, v in headers.items()})
        answer = conn.getresponse()
        return Response(answer.status, answer.headers, answer.read())
    finally:
        conn.close()


def until(check: Callable[[], T], deadline: float = DEADLINE) -> T:
    """Poll `check` until it returns something truthy or the deadline passes; return the last value."""
    end = time.monotonic() + deadline
    while True:
        value = check()
        if value or time.monotonic() > end:
            return value
        time.sleep(0.02)


def build_errors(root: Path) -> list[str]:
    """The diagnostics `dateline build` prints for the site, the overlay's reference."""
    with pytest.raises(DatelineError) as failure:
        build(root, out_dir=root.parent / "reference-dist")
    return [str(d) for d in failure.value.diagnostics]


def reload_event(preview: Preview, epoch: str, deadline: float) -> str:
    """Long-poll the reload endpoint as the page's script does, until the epoch moves on."""
    end = time.monotonic() + deadline
    while True:
        answer = get(preview, f"/_dateline/reload?epoch={epoch}")
        assert answer.status == 200
        assert answer.headers["Content-Type"] == "application/json"
        current = str(json.loads(answer.body)["epoch"])
        if current != epoch or time.monotonic() > end:
            return current


def article_path(preview: Preview) -> str:
    link = get(preview, PREFIX).soup.find("a", string="Floods in San Salvador")
    assert link is not None
    return str(link["href"])


def epoch_of(response: Response) -> str:
    script = response.soup.find("script", src="/_dateline/reload.js")
    assert script is not None, "the reload script is injected into served pages"
    return str(script["data-epoch"])


def overlay_text(preview: Preview) -> str | None:
    overlay = get(preview, PREFIX).soup.find(id="dateline-overlay")
    return overlay.get_text() if overlay else None


@pytest.fixture
def terminal() -> io.StringIO:
    return io.StringIO()


@pytest.fixture
def site(make_site: MakeSite) -> Path:
    return make_site(SITE)


def running(root: Path, terminal: io.StringIO) -> Iterator[Preview]:
    server = Preview(root, port=0, clock=lambda: NOW, poll_timeout=0.5, out=terminal)
    server.start()
    yield server
    server.stop()
    assert not [t.name for t in server.threads if t.is_alive()], "server and watcher threads stop"


@pytest.fixture
def preview(site: Path, terminal: io.StringIO) -> Iterator[Preview]:
    """A preview of its own, for tests that edit the site."""
    yield from running(site, terminal)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Preview]:
    """One preview shared by the tests that only read (starting one per test is slow)."""
    root = tmp_path_factory.mktemp("served") / "site"
    for relative, text in SITE.items():
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        (root / relative).write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    yield from running(root, io.StringIO())


def test_serves_the_site_under_the_base_path_with_preview_urls(served: Preview) -> None:
    """`/` redirects to the base path; links and absolute URLs point at the preview itself."""
    root = get(served, "/")
    assert root.status == 302
    assert root.headers["Location"] == PREFIX
    assert get(served, "/news-archive").headers["Location"] == PREFIX
    assert served.url == f"http://127.0.0.1:{served.port}{PREFIX}"

    index = get(served, PREFIX)
    assert index.status == 200
    assert index.headers["Content-Type"] == "text/html; charset=utf-8"
    assert index.headers["Cache-Control"] == "no-cache"
    assert article_path(served).startswith(PREFIX)
    sitemap = get(served, PREFIX + "sitemap.xml")
    assert sitemap.status == 200
    assert f"http://127.0.0.1:{served.port}{PREFIX}".encode() in sitemap.body
    assert b"example.org" not in sitemap.body

    article = get(served, article_path(served))
    assert "First version of the text." in article.soup.get_text()
    assert epoch_of(article) == epoch_of(index)
    assert not (served.root / "dist").exists(), "the served never writes dist/"
    assert (served.root / SERVE_DIR / "index.html").is_file()


def test_an_edit_shows_the_new_text_and_sends_a_reload_event(
    preview: Preview, site: Path, terminal: io.StringIO
) -> None:
    path = article_path(preview)
    epoch = epoch_of(get(preview, path))
    with ThreadPoolExecutor(1) as pool:
        waiting = pool.submit(reload_event, preview, epoch, EDIT_DEADLINE)
        (site / "content/floods.md").write_text(
            article_md(
                "Floods in San Salvador",
                "2018-06-13",
                "San Salvador – Second version.",
                country="SV",
            ),
            encoding="utf-8",
        )
        new_epoch = waiting.result()
    assert new_epoch != epoch, "open tabs are told to reload"
    page = get(preview, path)  # the event is sent only once the new build is in place
    assert "Second version." in page.soup.get_text()
    assert epoch_of(page) == new_epoch
    assert "content/floods.md changed:" in terminal.getvalue()
    assert " files rewritten, 0 removed in " in terminal.getvalue()


def test_reload_poll_answers_after_its_timeout_when_nothing_changes(served: Preview) -> None:
    epoch = epoch_of(get(served, PREFIX))
    answer = get(served, f"/_dateline/reload?epoch={epoch}")
    assert answer.status == 200
    assert answer.body == f'{{"epoch": {epoch}}}'.encode()


def test_a_bad_save_shows_an_overlay_keeps_the_last_good_site_and_recovers(
    preview: Preview, site: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = site / "content/floods.md"
    good = source.read_text(encoding="utf-8")
    broken = good.replace("date: 2018-06-13", "date: 2018-06-13\nthemes: [Health")
    source.write_text(broken, encoding="utf-8")

    text = until(lambda: overlay_text(preview))
    assert text is not None, "the overlay appears after a failed build"
    expected = build_errors(site)
    assert re.match(
        r"content/floods\.md:\d+: error: the front matter is not valid YAML", expected[0]
    )
    assert all(line in text for line in expected), "the same path:line diagnostics as a build"
    assert "Floods in San Salvador" in get(preview, PREFIX).soup.get_text(), "last good site"
    assert get(preview, PREFIX + "404.html").soup.find(id="dateline-overlay") is not None
    assert expected[0] in capsys.readouterr().err

    source.write_text(good.replace("First version", "Fixed version"), encoding="utf-8")
    assert until(lambda: overlay_text(preview) is None), "a good save removes the overlay"
    assert "Fixed version" in get(preview, article_path(preview)).soup.get_text()


def test_the_overlay_escapes_what_the_content_says(preview: Preview, site: Path) -> None:
    source = site / "content/floods.md"
    source.write_text(
        source.read_text(encoding="utf-8").replace(
            "date: 2018-06-13", "date: <script>alert(1)</script>"
        ),
        encoding="utf-8",
    )
    text = until(lambda: overlay_text(preview))
    assert text is not None
    assert "<script>alert(1)</script>" in text, "shown as text"
    assert all(line in text for line in build_errors(site))
    scripts = get(preview, PREFIX).soup.find_all("script")
    assert all("alert" not in script.get_text() for script in scripts)


def test_a_site_that_never_built_shows_the_overlay_then_recovers(
    make_site: MakeSite, terminal: io.StringIO
) -> None:
    files = dict(SITE)
    files["dateline.toml"] = 'title = "Preview test"\nper_page = "ten"\n'
    root = make_site(files)
    server = Preview(root, port=0, clock=lambda: NOW, poll_timeout=1.0, out=terminal)
    server.start()
    try:
        first = get(server, "/")
        assert first.status == 404
        overlay = first.soup.find(id="dateline-overlay")
        assert overlay is not None
        assert build_errors(root)[0].startswith("dateline.toml:2: error: ")
        assert all(line in overlay.get_text() for line in build_errors(root))
        (root / "dateline.toml").write_text('title = "Preview test"\n', encoding="utf-8")
        # The build swaps the new site in a moment before the preview publishes that it
        # succeeded (and bumps the live-reload epoch, so an open page reloads): a request
        # in that moment may still carry the overlay. What must hold is where it ends.
        recovered = until(
            lambda: (
                (answer := get(server, "/")).status == 200
                and answer.soup.find(id="dateline-overlay") is None
            )
        )
        assert recovered, "fixing the config recovers without a restart, overlay gone"
    finally:
        server.stop()


@pytest.mark.parametrize(
    "target",
    [
        "/../secret.txt",
        "/news-archive/../../secret.txt",
        "/news-archive/%2e%2e/%2e%2e/secret.txt",
        "/news-archive/%2E%2E%2F%2E%2E%2Fsecret.txt",
        "/news-archive/..%2f..%2fsecret.txt",
        "/news-archive/..\\..\\secret.txt",
        "/news-archive/%5c..%5c..%5csecret.txt",
        "//etc/passwd",
        "/news-archive//etc/passwd",
        "/news-archive/%00",
        "/news-archive/.dateline/manifest.json",
        "http://example.org/../secret.txt",
        "/news-archive/%ff",
    ],
)
def test_requests_cannot_leave_the_build_folder(served: Preview, target: str) -> None:
    (served.root.parent / "secret.txt").write_text("TOP SECRET", encoding="utf-8")
    answer = get(served, target, Host=f"127.0.0.1:{served.port}")
    assert answer.status in (400, 404)
    assert b"TOP SECRET" not in answer.body
    assert b"files" not in answer.body  # not the manifest either


def test_foreign_host_names_are_refused_on_a_local_bind(served: Preview) -> None:
    """A page on another site that rebinds its DNS name to 127.0.0.1 cannot read the preview."""
    assert get(served, PREFIX, Host="evil.example").status == 421
    for host in (f"127.0.0.1:{served.port}", f"localhost:{served.port}", "[::1]"):
        assert get(served, PREFIX, Host=host).status == 200


def test_absolute_paths_and_symlinks_pointing_out_are_not_found(
    served: Preview, tmp_path: Path
) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP SECRET", encoding="utf-8")
    assert get(served, "/" + str(secret).lstrip("/")).status == 404
    assert get(served, PREFIX + str(secret).lstrip("/")).status == 404
    links = (served.root / SERVE_DIR / "leak.txt", served.root / SERVE_DIR / "leakdir")
    links[0].symlink_to(secret)
    links[1].symlink_to(tmp_path)
    try:
        for target in ("leak.txt", "leakdir/secret.txt"):
            answer = get(served, PREFIX + target)
            assert answer.status == 404
            assert b"TOP SECRET" not in answer.body
    finally:
        for link in links:
            link.unlink()


def test_missing_pages_get_the_sites_404_page(served: Preview) -> None:
    for target in (PREFIX + "no/such/page/", "/elsewhere/"):
        answer = get(served, target)
        assert answer.status == 404
        assert answer.headers["Content-Type"] == "text/html; charset=utf-8"
        own_404 = (served.root / SERVE_DIR / "404.html").read_text(encoding="utf-8")
        heading = BeautifulSoup(own_404, "html.parser").h1
        assert heading is not None
        assert answer.soup.h1 == heading
        assert answer.soup.find("script", src="/_dateline/reload.js") is not None


def test_a_folder_without_its_slash_redirects(served: Preview) -> None:
    answer = get(served, PREFIX + "countries?x=1")
    assert answer.status == 302
    assert answer.headers["Location"] == PREFIX + "countries/?x=1"


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("", "text/html; charset=utf-8"),
        ("static/css/dateline.css", "text/css; charset=utf-8"),
        ("feed.xml", "application/xml; charset=utf-8"),
        ("sitemap.xml", "application/xml; charset=utf-8"),
        ("static/data.json", "application/json"),
        ("static/logo.svg", "image/svg+xml"),
        ("static/fonts/body.woff2", "font/woff2"),
        ("static/app.js", "text/javascript; charset=utf-8"),
        ("robots.txt", "text/plain; charset=utf-8"),
    ],
)
def test_content_types(served: Preview, path: str, expected: str) -> None:
    answer = get(served, PREFIX + path)
    assert answer.status == 200
    assert answer.headers["Content-Type"] == expected
    assert answer.headers["X-Content-Type-Options"] == "nosniff"
    if not path:
        return
    built = (served.root / SERVE_DIR / path).read_bytes()
    assert answer.body == built, "only HTML is changed on the way out"


def test_validators_never_leave_a_stale_page(preview: Preview, site: Path) -> None:
    path = article_path(preview)
    first = get(preview, path)
    etag = first.headers["ETag"]
    assert first.headers["Last-Modified"].endswith("GMT")
    assert get(preview, path, If_None_Match=etag).status == 304
    (site / "content/floods.md").write_text(
        article_md("Floods in San Salvador", "2018-06-13", "San Salvador – Changed.", country="SV"),
        encoding="utf-8",
    )
    fresh = until(lambda: get(preview, path, If_None_Match=etag).status == 200)
    assert fresh, "a rebuilt page no longer matches the old ETag"
    assert "Changed." in get(preview, path, If_None_Match=etag).soup.get_text()


def test_head_and_range_requests(served: Preview) -> None:
    target = PREFIX + "static/css/dateline.css"
    full = get(served, target)
    head = get(served, target, method="HEAD")
    assert head.status == 200
    assert head.body == b""
    assert head.headers["Content-Length"] == str(len(full.body))
    assert head.headers["ETag"] == full.headers["ETag"]

    part = get(served, target, Range="bytes=10-19")
    assert part.status == 206
    assert part.body == full.body[10:20]
    assert part.headers["Content-Range"] == f"bytes 10-19/{len(full.body)}"
    assert get(served, target, Range="bytes=-5").body == full.body[-5:]
    too_far = get(served, target, Range=f"bytes={len(full.body)}-")
    assert too_far.status == 416
    assert too_far.headers["Content-Range"] == f"bytes */{len(full.body)}"
    assert get(served, target, Range="bytes=0-1,5-6").body == full.body  # several: send all
    stale = get(served, target, Range="bytes=0-1", If_Range='"old"')
    assert (stale.status, stale.body) == (200, full.body)


@given(size=st.integers(0, 10_000), first=st.integers(0, 20_000), length=st.integers(0, 20_000))
def test_byte_range_stays_inside_the_file(size: int, first: int, length: int) -> None:
    for header in (f"bytes={first}-{first + length}", f"bytes={first}-", f"bytes=-{length}"):
        try:
            wanted = byte_range(header, size)
        except RangeNotSatisfiable:
            continue
        assert wanted is not None
        start, end = wanted
        assert 0 <= start <= end < size


def test_100_concurrent_clients_get_complete_pages_while_it_rebuilds(
    preview: Preview, site: Path
) -> None:
    path = article_path(preview)
    source = site / "content/floods.md"

    def edit(n: int) -> None:
        source.write_text(
            article_md(
                "Floods in San Salvador", "2018-06-13", f"San Salvador – Edit {n}.", country="SV"
            ),
            encoding="utf-8",
        )
        preview.rebuild(frozenset({source}))

    with ThreadPoolExecutor(100) as pool:
        answers = [pool.submit(get, preview, path) for _ in range(100)]
        for n in range(3):
            edit(n)
        results = [answer.result(timeout=30) for answer in answers]
    assert [r.status for r in results] == [200] * 100
    for result in results:
        assert len(result.body) == int(result.headers["Content-Length"])
        assert result.body.rstrip().endswith(b"</html>"), "never half a page"
        assert result.soup.find("h1") is not None


def test_survives_aborted_connections(served: Preview, capsys: pytest.CaptureFixture[str]) -> None:
    for request in (b"", b"GET /news-ar", b"GET /news-archive/ HTTP/1.1\r\nHost: x\r\n\r\n"):
        with socket.create_connection(("127.0.0.1", served.port)) as sock:
            sock.sendall(request)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    assert get(served, PREFIX).status == 200
    assert "Traceback" not in capsys.readouterr().err


def test_dateline_build_output_never_contains_the_reload_script(
    served: Preview, tmp_path: Path
) -> None:
    report = build(served.root, out_dir=tmp_path / "dist")
    assert report.written
    for path in report.out_dir.rglob("*"):
        if path.is_file():
            assert b"_dateline/" not in path.read_bytes(), path
            assert b"dateline-overlay" not in path.read_bytes(), path


def test_binding_to_every_interface_is_warned_about() -> None:
    assert bind_warning("127.0.0.1") is None
    for host in ("0.0.0.0", "::"):
        message = bind_warning(host)
        assert message is not None
        assert "--bind 127.0.0.1" in message


def test_the_command_prints_the_url_and_stops_cleanly_on_ctrl_c(site: Path) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "dateline", "serve", "--port", "0", "--site", str(site)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert process.stdout is not None
        lines = [process.stdout.readline(), process.stdout.readline()]
        assert "first build:" in lines[0]
        url = lines[1].split(" at ")[1].split()[0]
        parts = urlsplit(url)
        assert (parts.hostname, parts.path) == ("127.0.0.1", PREFIX)
        conn = http.client.HTTPConnection("127.0.0.1", parts.port, timeout=10)
        conn.request("GET", PREFIX)
        assert conn.getresponse().status == 200
        conn.close()
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=30)
    finally:
        process.kill()
        process.wait()
    assert process.returncode in (0, 130)
    assert "stopped" in out
    assert "Traceback" not in err
