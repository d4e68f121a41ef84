"""Slugs, site paths and output paths: one rule from a URL to the file that serves it.

A site path is the part of a URL after the site's base path, always starting
with "/" (e.g. "/countries/el-salvador/"). Pages end with "/" and are written to
"<path>index.html"; other files (feeds, the sitemap) are written at their path.
Nothing here touches the file system.
"""

from __future__ import annotations

import html
import posixpath
import re
import unicodedata
from urllib.parse import urlsplit

_NON_ALNUM = re.compile(r"[^a-z0-9]+")
_MAX_SLUG = 80

# Characters that look like "/" or "." but are not; NFKD folds most of them,
# these are the ones it leaves alone.
_LOOKALIKES = str.maketrans({"\u2215": "/", "\u2044": "/", "\uff0f": "/", "\u2024": "."})
# Apostrophes as bulletins type them ("IOM´s", "migrants’"): dropped like "'", so a
# title's URL does not depend on which key the author pressed.
_APOSTROPHES = str.maketrans(dict.fromkeys("'\u2019\u2018\u00b4\u02bc\u0060", ""))
# Characters a site path may not contain: separators of any OS and their look-alikes
# (NFKC folds the full-width forms, these are the rest).
_PATH_FORBIDDEN = set("\\\0:") | {"\u2215", "\u2044", "\u29f8", "\u2216", "\u29f9", "\u2024", "\u2025", "\u2026", "\ufe52", "\u0338"}  # fmt: skip
_ASCII_FORBIDDEN = re.compile(r"[\x00-\x1f\\:]")  # ASCII NFKC-folds to itself: a fast path
# Paths made only of plain segments (a letter, digit, "_" or "-", then those or "."): they
# pass every rule of check_site_path, so the common case skips the full check.
_PLAIN_PATH = re.compile(r"/(?:[A-Za-z0-9_-][A-Za-z0-9._-]*/)*(?:[A-Za-z0-9_-][A-Za-z0-9._-]*)?")
_SAFE_SCHEMES = frozenset({"http", "https", "mailto", "tel"})
_SCHEME = re.compile(r"^([a-z][a-z0-9+.-]*):")


class UnsafePathError(ValueError):
    """A path would leave the output folder or is not a clean site path."""


def slugify(text: str, *, max_length: int = _MAX_SLUG) -> str:
    """Turn any text into a lower-case ASCII slug of letters, digits and single hyphens.

    Accents are folded (``Panamá`` → ``panama``) so URLs survive every host and
    shell. Long titles are cut at a word boundary. Returns "" when nothing is left.
    """
    folded = unicodedata.normalize("NFKD", text.translate(_LOOKALIKES).translate(_APOSTROPHES))
    ascii_text = folded.encode("ascii", "ignore").decode("ascii").lower()
    slug = _NON_ALNUM.sub("-", ascii_text).strip("-")
    if len(slug) > max_length:
        cut = slug[: max_length + 1]
        slug = cut[: cut.rfind("-")] if "-" in cut else slug[:max_length]
    return slug.strip("-")


def check_site_path(path: str) -> str:
    """Return `path` if it is a clean absolute site path, else raise UnsafePathError.

    Clean means: starts with "/", no "..", ".", empty or hidden segments except
    the reserved ".dateline", no backslashes, ':', NUL or control characters, and
    none of those spelled with Unicode look-alikes (full-width '／', '．', …).
    """
    if _PLAIN_PATH.fullmatch(path):  # every page path dateline makes itself: clean
        return path
    return _check_site_path(path)


def _check_site_path(path: str) -> str:
    """check_site_path, rule by rule."""
    if not path.startswith("/"):
        raise UnsafePathError(f"site path {path!r} must start with '/'")
    folded = unicodedata.normalize("NFKC", path)
    if _ASCII_FORBIDDEN.search(path) if path.isascii() else any(map(_forbidden_in_path, path)):
        raise UnsafePathError(
            f"site path {path!r} contains a backslash, ':', a control character "
            "or a look-alike of '/' or '.'"
        )
    if "//" in folded:
        raise UnsafePathError(f"site path {path!r} has an empty segment ('//')")
    segments = folded.strip("/").split("/") if folded.strip("/") else []
    for segment in segments:
        if segment in ("", ".", "..") or (segment.startswith(".") and segment != ".dateline"):
            raise UnsafePathError(f"site path {path!r} has an unsafe segment {segment!r}")
    if posixpath.normpath(path) != path.rstrip("/") and path != "/":
        raise UnsafePathError(f"site path {path!r} is not normalised")
    return path


def _forbidden_in_path(ch: str) -> bool:
    if ch in "/.":
        return False
    folded = unicodedata.normalize("NFKC", ch)
    return ord(ch) < 32 or ch in _PATH_FORBIDDEN or any(c in "/.\\:\0" for c in folded)


def is_safe_url(url: str) -> bool:
    """False for a URL a browser would run as script (javascript:, data:, vbscript:, …).

    Checked the way a browser reads it: entities decoded, and tabs, newlines and other
    control or blank characters removed (`java\tscript:` is `javascript:` to a browser).
    Relative URLs and http, https, mailto and tel are safe.
    """
    text = html.unescape(url)
    text = "".join(ch for ch in text if not ch.isspace() and unicodedata.category(ch)[0] != "C")
    match = _SCHEME.match(text.lower())
    return match is None or match.group(1) in _SAFE_SCHEMES


def output_path(path: str) -> str:
    """The file, relative to the output folder, that serves a site path."""
    check_site_path(path)
    relative = path.lstrip("/")
    return relative + "index.html" if path.endswith("/") else relative


def base_path(base_url: str) -> str:
    """The path part of base_url, with one trailing slash ("/" or "/news-archive/")."""
    path = urlsplit(base_url).path or "/"
    return path if path.endswith("/") else path + "/"


def pager_path(first: str, number: int) -> str:
    """Site path of page `number` of a listing whose first page is at `first`."""
    return first if number == 1 else f"{first}page/{number}/"
