"""The URL ledger: the site paths a build publishes, so a URL that disappears is noticed.

A removed or renamed article breaks links from other sites and search results.
Every build writes its published site paths, sorted, one per line, to
`.dateline/urls.txt` in the output; the next build (and `dateline deploy`, against
the ledger the target holds) compares and names the paths that are gone. The same
module adds the other files hosts expect at the root (`.nojekyll`).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

from dateline.config import SiteConfig
from dateline.errors import Diagnostic, warning
from dateline.model import Artifact
from dateline.urls import base_path

LEDGER = ".dateline/urls.txt"
NOJEKYLL = ".nojekyll"  # GitHub Pages: publish the files as they are, no Jekyll run
SHOWN = 20  # removed URLs named in one message; the rest are counted


def published_urls(artifacts: Iterable[Artifact]) -> tuple[str, ...]:
    """Every planned site path (pages, feeds, sitemaps, redirects, 404), sorted."""
    return tuple(sorted({artifact.path for artifact in artifacts}))


def host_files(artifacts: Iterable[Artifact]) -> Iterator[tuple[str, bytes]]:
    """The files a build adds for hosts and for the next build: `.nojekyll` and the ledger."""
    yield NOJEKYLL, b""
    yield LEDGER, ledger_bytes(published_urls(artifacts))


def ledger_bytes(urls: Iterable[str]) -> bytes:
    return "".join(f"{url}\n" for url in sorted(urls)).encode("utf-8")


def parse_ledger(data: bytes) -> frozenset[str]:
    """The site paths of a ledger; lines that are not site paths are ignored."""
    text = data.decode("utf-8", "replace")
    return frozenset(line for line in text.splitlines() if line.startswith("/"))


def read_ledger(folder: Path) -> frozenset[str] | None:
    """The ledger an output or deploy folder holds; None when it has none (a first build)."""
    try:
        return parse_ledger((folder / LEDGER).read_bytes())
    except OSError:
        return None


def removed_urls(previous: frozenset[str] | None, current: Iterable[str]) -> tuple[str, ...]:
    """Site paths published before and not now, sorted; none when there was no ledger."""
    return tuple(sorted((previous or frozenset()) - set(current)))


def describe_removed(urls: tuple[str, ...], base: str) -> str:
    """`/a/, /b/ and 3 more`, with the base path in front so the URLs can be pasted."""
    shown = ", ".join(base.rstrip("/") + url for url in urls[:SHOWN])
    more = len(urls) - SHOWN
    return f"{shown} and {more} more" if more > 0 else shown


REDIRECT_HINT = (
    "if an article was renamed or moved, add its old path to the front matter of the "
    "article as redirect_from: [/old/path/]; if it was removed on purpose, this is expected"
)


def removed_warning(urls: tuple[str, ...], config: SiteConfig, since: str) -> Diagnostic:
    """A warning naming the URLs that are gone `since` (e.g. "the last build")."""
    count = f"{len(urls)} URL{'s' * (len(urls) != 1)}"
    message = (
        f"{count} published by {since} no longer exist: "
        f"{describe_removed(urls, base_path(config.base_url))}"
    )
    return warning(config.content_dir, None, message, REDIRECT_HINT)
