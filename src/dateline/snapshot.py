"""The planned site kept between builds: a rebuild that changed only bodies skips planning.

Correcting a bulletin's text is the commonest rebuild, and it moves nothing: no listing,
no related-articles ranking, no URL changes, only the pages that show that body. Yet
loading, grouping, planning and fingerprinting the whole archive cost about 0.2 s per
1,000 articles. So a full build with the cache keeps its plan in
`.dateline-cache/plan-<output>.pickle`, with, for every content file, its digest and a
*signature*: everything loading made of it except the bodies (`shown_identity` of each
article, drafts included, and its diagnostics).

A later build restores that plan when the only inputs that changed are content files
whose signatures did not: the articles of those files come back with their new bodies,
every page keeps the fingerprint recorded for it, and a page is rendered again exactly
when a body it showed changed (`PageRecords`). This is Lektor's dependency database cut
down to the one dependency that a body-only edit can touch.

Anything else makes a full build: a file added, removed or renamed, any other field or
diagnostic of an article, a template, static file or the config (`Stamp.frame`), dateline
itself, the build's options, a held-back article falling due. It still takes every
unchanged file's loads from the snapshot (`earlier_loads`), deletes the snapshot before it
writes anything, and keeps a new one once it has succeeded. A snapshot that cannot be read
is ignored. It is unpickled with a restricted unpickler that builds only dateline's records
and a few standard types, so a tampered cache file cannot run code.
"""

from __future__ import annotations

import contextlib
import copyreg
import datetime as dt
import enum
import hashlib
import io
import os
import pickle
import zoneinfo
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, fields, is_dataclass
from itertools import repeat
from operator import attrgetter
from pathlib import Path
from types import MappingProxyType
from typing import Any

from dateline.cache import ContentCache, Loaded
from dateline.config import SiteConfig
from dateline.content import sources
from dateline.content.loader import Loader, current_digest, load_source
from dateline.errors import Diagnostic, SourceLocation
from dateline.feeds import Feed, FeedEntry
from dateline.i18n import LanguageLink
from dateline.model import (
    Archive,
    Article,
    Artifact,
    Body,
    MonthGroup,
    Pager,
    Term,
    TermGroup,
    YearGroup,
)
from dateline.sitemap import SitemapRef, SitemapUrl

FORMAT = 1


@dataclass(frozen=True, slots=True)
class Restored:
    """A plan as a full build left it, with today's bodies in place."""

    config: SiteConfig
    archives: tuple[Archive, ...]
    artifacts: tuple[Artifact, ...]
    diagnostics: tuple[Diagnostic, ...]
    embargo: dt.datetime | None


def snapshot_path(cache_folder: Path, out_key: str) -> Path:
    return cache_folder / f"plan-{out_key}.pickle"


def signature(loaded: Loaded, identity: Callable[[Article], str]) -> str:
    """What loading made of one file, bodies (and the source digest) left out."""
    articles, diagnostics = loaded
    parts = [identity(a) for a in sorted(articles, key=lambda a: a.source.line or 0)]
    parts.append("--")
    parts += sorted(repr(d) for d in diagnostics)
    return hashlib.sha256("\n".join(parts).encode("utf-8", "surrogatepass")).hexdigest()


def by_file(articles: Iterable[Article], diagnostics: Iterable[Diagnostic]) -> dict[str, Loaded]:
    """Loading's results grouped back into one (articles, diagnostics) per file."""
    grouped: dict[str, Loaded] = {}
    for article in articles:
        grouped.setdefault(article.source.path, ([], []))[0].append(article)
    for diagnostic in diagnostics:
        grouped.setdefault(diagnostic.location.path, ([], []))[1].append(diagnostic)
    return grouped


def drop(path: Path) -> None:
    """Forget the snapshot: done before a full build touches the output or the records."""
    path.unlink(missing_ok=True)


def save(
    path: Path,
    *,
    frame: str,
    sources_digests: Mapping[str, str],
    signatures: Mapping[str, str],
    loads: Mapping[str, Loaded],
    config: SiteConfig,
    archives: tuple[Archive, ...],
    artifacts: tuple[Artifact, ...],
    diagnostics: tuple[Diagnostic, ...],
    embargo: dt.datetime | None,
) -> None:
    """Write the snapshot atomically: a header a rebuild checks first, then the plan.

    A plan that cannot be pickled (a site plugin's object in a page's data) or written (a
    full disk) is not kept: the snapshot only ever saves time, so the build goes on without.
    """
    files = {rel: (digest, signatures.get(rel, "")) for rel, digest in sources_digests.items()}
    buffer = io.BytesIO()
    head = {"format": FORMAT, "frame": frame, "embargo": embargo, "files": files}
    try:
        for part in (head, config):
            pickler = pickle.Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL)
            pickler.dispatch_table = _DISPATCH
            pickler.dump(part)
        # one pickler for the loads and the plan: the plan refers to the loaded articles
        pickler = pickle.Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL)
        pickler.dispatch_table = _DISPATCH
        pickler.dump(dict(loads))
        pickler.dump((archives, artifacts, diagnostics))
    except (pickle.PicklingError, TypeError, AttributeError, RecursionError):
        drop(path)
        return
    temp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temp.write_bytes(buffer.getbuffer())
        temp.replace(path)
    except OSError:
        with contextlib.suppress(OSError):
            temp.unlink(missing_ok=True)


@dataclass(frozen=True, slots=True)
class Kept:
    """A snapshot whose header matched this build: its config, and where the rest starts."""

    path: Path
    config: SiteConfig
    files: Mapping[str, tuple[str, str]]  # content file → (digest, signature)
    embargo: dt.datetime | None
    start: int


def open_kept(path: Path, *, frame: str, root: Path) -> Kept | None:
    """The snapshot if it was made with these inputs (`Stamp.frame`) for this site, else None."""
    try:
        with path.open("rb") as stream:
            head = _Unpickler(stream, {}, None).load()
            if not (
                isinstance(head, dict)
                and head.get("format") == FORMAT
                and head.get("frame") == frame
                and isinstance(head.get("files"), dict)
            ):
                return None
            config = _Unpickler(stream, {}, None).load()
            if not isinstance(config, SiteConfig) or config.root.resolve() != root.resolve():
                return None
            return Kept(path, config, head["files"], head["embargo"], stream.tell())
    except Exception:
        return None


def restore(
    kept: Kept,
    *,
    now: dt.datetime,
    cache: ContentCache,
    identity: Callable[[Article], str],
) -> Restored | None:
    """The last full build's plan with today's bodies, or None when a full build is due.

    Changed files are loaded through `cache` (and added to it); restored bodies read
    their text from it.
    """
    if kept.embargo is not None and now >= kept.embargo:
        return None  # a held-back article is due: it joins listings
    config, known = kept.config, kept.files
    relatives, problems = sources.discover(config.root, config.content_dir)
    if problems or len(relatives) != len(known) or not all(r in known for r in relatives):
        return None  # a file came, went or was renamed
    patches = _changed_articles(config, cache, relatives, known, identity)
    if patches is None:
        return None
    cache.save(known, prune=False)  # the changed files' entries and bodies
    try:
        with kept.path.open("rb") as stream:
            stream.seek(kept.start)
            unpickler = _Unpickler(stream, patches, cache)
            unpickler.load()  # every file's loads: the articles the plan refers to
            archives, artifacts, diagnostics = unpickler.load()
    except Exception:
        return None
    return Restored(config, archives, artifacts, diagnostics, kept.embargo)


def earlier_loads(kept: Kept, cache: ContentCache) -> dict[str, tuple[str, Loaded]]:
    """What loading made of each content file in the last full build, with its digest.

    A full build takes the files that did not change from here rather than from the
    content cache's JSON (three to four times as fast, and articles and plan share them).
    """
    try:
        with kept.path.open("rb") as stream:
            stream.seek(kept.start)
            loads = _Unpickler(stream, {}, cache).load()
    except Exception:
        return {}
    if not isinstance(loads, dict):
        return {}
    return {
        relative: (recorded[0], loads[relative])
        for relative, recorded in kept.files.items()
        if relative in loads
    }


def _changed_articles(
    config: SiteConfig,
    content: ContentCache,
    relatives: list[str],
    known: Mapping[str, tuple[str, str]],
    identity: Callable[[Article], str],
) -> dict[tuple[str, int | None], Article] | None:
    """The articles of files changed since the snapshot, by source location; None when a
    file changed anything but bodies (or cannot be read)."""
    changed: list[tuple[str, os.stat_result, str, sources.SourceFile | None]] = []
    for relative in relatives:
        try:
            found = current_digest(config, content, relative)
        except OSError:
            return None
        if isinstance(found, Diagnostic):
            return None
        stat, digest, source = found
        if source is not None:  # a touched file: its stat is news even if its bytes are not
            content.remember_stat(relative, stat, digest)
        if digest != known[relative][0]:
            changed.append((relative, stat, digest, source))
        else:
            content.keep(relative, digest)
    patches: dict[tuple[str, int | None], Article] = {}
    loader: Loader | None = None
    for relative, stat, digest, source in changed:
        loaded = content.get(relative, digest)
        if loaded is None:
            read = source or sources.read_source(config.root / relative, config.root)
            if isinstance(read, Diagnostic):
                return None
            loader = loader or Loader.for_site(config)
            loaded = load_source(read, loader)
            content.put(relative, stat, digest, loaded)
        if signature(loaded, identity) != known[relative][1]:
            return None
        for article in loaded[0]:
            patches[(article.source.path, article.source.line)] = article
    return patches


# --- pickling ------------------------------------------------------------------------------


def _proxy(items: dict[Any, Any]) -> MappingProxyType[Any, Any]:
    return MappingProxyType(items)


def _zone(key: str) -> zoneinfo.ZoneInfo:  # its own reduction names getattr: not allowed
    return zoneinfo.ZoneInfo(key)


def _body(digest: str) -> Body:  # replaced while unpickling (`_Unpickler.find_class`)
    return Body(digest)


def _record(kind: type, values: tuple[Any, ...]) -> Any:  # replaced while unpickling, as `_body`
    return _make(kind, values)


def _make(kind: type, values: tuple[Any, ...]) -> Any:
    """A frozen dataclass from its field values, as its own `__setstate__` would, minus the
    `dataclasses.fields()` call per object that made that the slowest part of pickling."""
    names = _FIELDS[kind]
    if len(values) != len(names):
        raise pickle.UnpicklingError(f"{kind.__name__} with {len(values)} fields, not {len(names)}")
    record: Any = object.__new__(kind)
    _consume(map(object.__setattr__, repeat(record, len(names)), names, values))  # a C loop
    return record


def _reducer(kind: type) -> Callable[[Any], tuple[Any, ...]]:
    values = attrgetter(*_FIELDS[kind])  # a tuple of every field, read in C
    return lambda record: (_record, (kind, values(record)))


# The records a plan is made of (a type not listed pickles the ordinary, slower way).
_RECORDS: tuple[type, ...] = (Article, Artifact, Archive, Diagnostic, Feed, FeedEntry,
                              LanguageLink, MonthGroup, Pager, SitemapRef, SitemapUrl,
                              SourceLocation, Term, TermGroup, YearGroup)  # fmt: skip
_consume = deque[object](maxlen=0).extend
_FIELDS: dict[type, tuple[str, ...]] = {
    kind: tuple(f.name for f in fields(kind)) for kind in _RECORDS
}
_DISPATCH = copyreg.dispatch_table.copy()
_DISPATCH[MappingProxyType] = lambda proxy: (_proxy, (dict(proxy),))
_DISPATCH[zoneinfo.ZoneInfo] = lambda zone: (_zone, (zone.key,))
_DISPATCH[Body] = lambda body: (_body, (body.digest,))  # the text stays in the content cache
_DISPATCH.update({kind: _reducer(kind) for kind in _FIELDS})

# What a snapshot may construct: dateline's records and the plain types inside them.
_ALLOWED = {
    "builtins": frozenset({"frozenset", "set", "tuple", "list", "dict", "int", "str", "bool"}),
    "datetime": frozenset({"datetime", "date", "timezone", "timedelta"}),
    "pathlib": frozenset({"PosixPath", "WindowsPath", "Path", "PurePosixPath", "PureWindowsPath"}),
    "markupsafe": frozenset({"Markup"}),
}


class _Unpickler(pickle.Unpickler):
    """Builds only allowed types; articles of changed files come back as loaded today."""

    def __init__(
        self,
        stream: io.BytesIO | io.BufferedReader,
        patches: Mapping[tuple[str, int | None], Article],
        content: ContentCache | None,
    ) -> None:
        super().__init__(stream)
        self._patches = patches
        self._content = content

    def find_class(self, module: str, name: str) -> Any:
        if module == __name__ and name in ("_body", "_record", "_proxy", "_zone"):
            return {"_body": self._body, "_record": self._record, "_proxy": _proxy,
                    "_zone": _zone}[name]  # fmt: skip
        if module.startswith("dateline.") or name in _ALLOWED.get(module, ()):
            found = super().find_class(module, name)
            if (
                module in _ALLOWED
                or is_dataclass(found)
                or (isinstance(found, type) and issubclass(found, enum.Enum))
            ):
                return found
        raise pickle.UnpicklingError(f"a plan snapshot may not contain {module}.{name}")

    def _body(self, digest: str) -> Body:
        return Body(digest, store=self._content)

    def _record(self, kind: type, values: tuple[Any, ...]) -> Any:
        if kind not in _FIELDS:
            raise pickle.UnpicklingError(f"a plan snapshot may not build {kind!r} this way")
        record = _make(kind, values)
        if kind is Article:  # a changed file's article comes back as loaded today
            return self._patches.get((record.source.path, record.source.line), record)
        return record
