"""The deployed site works where it is hosted: a real nginx, under a sub-path.

The bundled site is deployed with base_url `http://127.0.0.1:PORT/news-archive/` into
`<docroot>/news-archive/`, and nginx (from Debian; `.ci/run` installs it) serves the
docroot the way a host does, with `error_page 404 /news-archive/404.html`. A crawler
starts at the home page and robots.txt and follows every same-host link, stylesheet,
script, image, feed entry and sitemap location: every one must answer 200 and stay
under /news-archive/. A missing URL must answer 404 with the site's 404 page.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urldefrag, urljoin, urlsplit

import feedparser  # type: ignore[import-untyped]
import pytest
from bs4 import BeautifulSoup

from dateline.cli import main
from dateline.ledger import LEDGER
from tests.conftest import REPO

PREFIX = "/news-archive/"
NGINX_CONFIG = """
daemon off;
master_process off;
{user}
pid {tmp}/nginx.pid;
error_log {tmp}/error.log warn;
events {{ worker_connections 64; }}
http {{
    {types}
    default_type application/octet-stream;
    access_log off;
    client_body_temp_path {tmp}/body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    server {{
        listen 127.0.0.1:{port};
        allow 127.0.0.1;
        deny all;
        root {root};
        error_page 404 {prefix}404.html;
        location / {{ try_files $uri $uri/ =404; }}
    }}
}}
"""


def require_tool(name: str) -> str:
    """The tool's path; skip locally when it is missing, fail in CI (tests/browser's rule)."""
    found = shutil.which(name) or shutil.which(name, path="/usr/sbin:/sbin")
    if found:
        return found
    message = f"{name} not available: apt-get install {name} (bash .ci/run installs it)"
    if os.environ.get("CI") == "true":
        pytest.fail(f"[CI=true] {message}", pytrace=False)
    pytest.skip(message)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def nginx(root: Path, port: int, tmp: Path) -> Iterator[str]:
    """Serve `root` on 127.0.0.1:port until the block ends; yields the server's address."""
    binary = require_tool("nginx")
    types = "include /etc/nginx/mime.types;" if Path("/etc/nginx/mime.types").is_file() else (
        "types { text/html html; text/css css; application/xml xml; text/plain txt; "
        "application/javascript js; }"
    )  # fmt: skip
    user = "user root;" if os.geteuid() == 0 else ""  # pytest's tmp folders are 0700
    config = tmp / "nginx.conf"
    config.write_text(
        NGINX_CONFIG.format(user=user, tmp=tmp, types=types, port=port, root=root, prefix=PREFIX),
        encoding="utf-8",
    )
    process = subprocess.Popen(
        [binary, "-c", str(config), "-p", str(tmp), "-e", str(tmp / "error.log")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,  # nginx writes its errors to error.log (-e)
    )
    try:
        wait_for_port(port, process, tmp / "error.log")
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def wait_for_port(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if process.poll() is not None:
            error = log.read_text(encoding="utf-8") if log.exists() else ""
            pytest.fail(f"nginx stopped: {error}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.5):
            return
        time.sleep(0.05)
    pytest.fail("nginx did not start listening within 15 s")


@dataclass
class Answer:
    status: int
    body: bytes
    content_type: str


def fetch(url: str) -> Answer:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return Answer(response.status, response.read(), response.headers.get_content_type())
    except urllib.error.HTTPError as exc:
        with exc:
            return Answer(exc.code, exc.read(), exc.headers.get_content_type())


@dataclass
class Crawl:
    origin: str
    answers: dict[str, Answer] = field(default_factory=dict)  # URL → answer
    found_on: dict[str, str] = field(default_factory=dict)  # URL → the page that linked it

    def run(self, *starts: str) -> None:
        queue = list(starts)
        while queue:
            url = queue.pop()
            if url in self.answers:
                continue
            answer = self.answers[url] = fetch(url)
            if answer.status == 200:
                for link in links(url, answer):
                    if urlsplit(link).netloc == urlsplit(self.origin).netloc:
                        self.found_on.setdefault(link, url)
                        queue.append(link)


def links(url: str, answer: Answer) -> Iterator[str]:
    """Every URL a page, feed, sitemap or robots.txt points to, absolute, without #fragments."""
    found: list[str] = []
    if answer.content_type == "text/html":
        soup = BeautifulSoup(answer.body, "html.parser")
        for tag, attr in (("a", "href"), ("link", "href"), ("script", "src"), ("img", "src")):
            found += [str(el[attr]) for el in soup.find_all(tag) if el.get(attr)]
        for meta in soup.find_all("meta", attrs={"http-equiv": "refresh"}):
            found.append(str(meta["content"]).split("url=", 1)[1])
        for meta in soup.find_all("meta", attrs={"property": ["og:url", "og:image"]}):
            found.append(str(meta["content"]))
    elif url.endswith("robots.txt"):
        found += [line.split(":", 1)[1].strip() for line in answer.body.decode().splitlines()
                  if line.lower().startswith("sitemap:")]  # fmt: skip
    elif "sitemap" in url:
        root = ET.fromstring(answer.body)
        found += [el.text or "" for el in root.iter() if el.tag.endswith("}loc")]
    elif url.endswith(".xml"):
        feed = feedparser.parse(answer.body)
        assert not feed.bozo, f"{url}: {feed.bozo_exception}"
        found += [link.href for link in feed.feed.get("links", [])]
        found += [link.href for entry in feed.entries for link in entry.get("links", [])]
    for link in found:
        absolute = urldefrag(urljoin(url, link)).url
        if urlsplit(absolute).scheme in ("http", "https"):
            yield absolute


@pytest.fixture(scope="module")
def hosted(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """The bundled site, deployed under /news-archive/ of a docroot that nginx serves."""
    require_tool("nginx")
    tmp = tmp_path_factory.mktemp("hosted")
    port = free_port()
    docroot = tmp / "docroot"
    base_url = f"http://127.0.0.1:{port}{PREFIX}"
    status = main(["deploy", "--site", str(REPO), "--base-url", base_url, "--no-cache",
                   "--out", str(tmp / "dist"), "--to", str(docroot / PREFIX.strip("/"))])  # fmt: skip
    assert status == 0
    with nginx(docroot, port, tmp) as origin:
        yield origin, docroot / PREFIX.strip("/")


def test_every_link_feed_and_sitemap_url_answers_200_under_the_sub_path(
    hosted: tuple[str, Path],
) -> None:
    origin, site = hosted
    crawl = Crawl(origin)
    crawl.run(origin + PREFIX, origin + PREFIX + "robots.txt")
    broken = {
        url: (a.status, crawl.found_on.get(url))
        for url, a in crawl.answers.items()
        if a.status != 200
    }
    assert broken == {}
    outside = [url for url in crawl.answers if not urlsplit(url).path.startswith(PREFIX)]
    assert outside == [], "every URL stays under the base_url's path"
    ledger = (site / LEDGER).read_text(encoding="utf-8").split()
    crawled = {urlsplit(url).path.removeprefix(PREFIX.rstrip("/")) for url in crawl.answers}
    unreached = sorted(u for u in set(ledger) - crawled if not u.endswith("/404.html"))
    assert unreached == [], "every published URL is linked from the site, a feed or the sitemap"
    assert any(a.content_type == "text/css" for a in crawl.answers.values()), "stylesheets too"


def test_a_missing_url_answers_404_with_the_sites_404_page(hosted: tuple[str, Path]) -> None:
    origin, site = hosted
    expected = (site / "404.html").read_bytes()
    for missing in (f"{PREFIX}no-such-page/", f"{PREFIX}news/1999/", "/elsewhere.html"):
        answer = fetch(origin + missing)
        assert answer.status == 404, missing
        assert answer.body == expected, missing
    soup = BeautifulSoup(expected, "html.parser")
    stylesheet = soup.find("link", rel="stylesheet")
    assert stylesheet is not None
    assert (
        fetch(urljoin(origin + f"{PREFIX}no-such-page/", str(stylesheet["href"]))).status == 200
    ), "the 404 page's links work from any depth"
