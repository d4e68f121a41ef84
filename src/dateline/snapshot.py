"""The planned site kept between builds: a rebuild that changed only bodies skips planning.

Correcting a bulletin's text is the commonest rebuild, and it moves nothing: no listing,
no related-articles ranking, no URL changes, only the pages that show that body. Yet
loading, grouping, planning and fingerprinting the whole archive cost about 0.2 s per
1,000 articles. So a full build with the cache keeps its plan in
`.dateline-cache/plan-<output>.pickle`, with, for every content file, its digest and a
*signature*: everything loading made of it except the bodies (`shown_identity` of each
article, drafts included, and its diagnostics). The articles themselves are kept apart,
in `LOAD_SHARDS` files by content file (`loads-<output>-NN.pickle`), and the plan refers
to them by file and place. Each shard names the files it holds with their digests, and
the digest of its own bytes, so a full build rewrites only the shards whose files changed
(adding a bulletin rewrites one), and a shard that is damaged or from another build is
never trusted.

A later build restores that plan when the only inputs that changed are content files
whose signatures did not: the articles of those files come back with their new bodies,
every page keeps the fingerprint recorded for it, and a page is rendered again exactly
when a body it showed changed (`PageRecords`). This is Lektor's dependency database cut
down to the one dependency that a body-only edit can touch. In a big archive the content
files are checked in a forked child while the build reads the loads shards (`restore`).

Anything else makes a full build: a file added, removed or renamed, any other field or
diagnostic of an article, a template, static file or the config (`Stamp.frame`), dateline
itself, the build's options, a held-back article falling due. It still takes every
unchanged file's loads from the shards (`earlier_loads`), deletes the plan before it
writes anything, pickles the new one while its pages render (in a render worker, when
there is one), and puts it in place once it has succeeded (`Pending`). A snapshot that
cannot be read is ignored. It is unpickled with a restricted unpickler that builds only
dateline's records and a few standard types, so a tampered cache file cannot run code.
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
from functools import partial
from itertools import repeat
from operator import attrgetter
from pathlib import Path
from types import MappingProxyType
from typing import Any

from dateline.cache import ContentCache, Loaded, shard_of
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
from dateline.parallel import beside
from dateline.sitemap import SitemapRef, SitemapUrl

FORMAT = 3
LOAD_SHARDS = 64  # an addition rewrites the one its file is in, not 12 MB at 20k


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


@dataclass(frozen=True, slots=True)
class Pending:
    """Where a build writes its plan (`save`, perhaps in a render worker), and where the
    plan goes once the build has succeeded (`commit`)."""

    path: Path
    temp: Path

    @classmethod
    def beside(cls, path: Path) -> Pending:
        return cls(path, path.with_name(f".{path.name}.{os.getpid()}.tmp"))

    def commit(self) -> None:
        try:
            self.temp.replace(self.path)
        except OSError:
            self.discard()

    def discard(self) -> None:
        with contextlib.suppress(OSError):
            self.temp.unlink(missing_ok=True)


def save(
    pending: Pending,
    *,
    frame: str,
    sources_digests: Mapping[str, str],
    signatures: Mapping[str, str],
    loads: Mapping[str, Loaded],
    identity: Callable[[Article], str],
    config: SiteConfig,
    archives: tuple[Archive, ...],
    artifacts: tuple[Artifact, ...],
    diagnostics: tuple[Diagnostic, ...],
    embargo: dt.datetime | None,
) -> bool:
    """Write the loads shards that changed, each atomically, then the plan to `pending.temp`.

    The plan file holds a header a rebuild checks first, the config, then the plan, whose
    articles are references into the loads shards (`_article`). A plan that cannot be
    pickled (a site plugin's object in a page's data) or written (a full disk) is not
    kept (False): the snapshot only ever saves time, so the build goes on without.
    """
    files = {rel: (digest, signatures.get(rel, "")) for rel, digest in sources_digests.items()}
    refs: dict[int, tuple[str, int]] = {}
    for relative, (articles, _diagnostics) in loads.items():
        refs.update((id(article), (relative, k)) for k, article in enumerate(articles))
    dispatch = _DISPATCH.copy()
    record = dispatch[Article]
    dispatch[Article] = lambda a: (_article, ref) if (ref := refs.get(id(a))) else record(a)
    buffer = io.BytesIO()
    head = {"format": FORMAT, "frame": frame, "embargo": embargo, "files": files}
    try:
        for part in (head, config):
            _pickler(buffer).dump(part)
        pickler = _pickler(buffer)
        pickler.dispatch_table = dispatch
        pickler.dump((archives, artifacts, diagnostics))
        if not _save_loads(pending.path, frame, sources_digests, loads, identity):
            return False
    except (pickle.PicklingError, TypeError, AttributeError, RecursionError):
        return False
    try:
        pending.temp.write_bytes(buffer.getbuffer())
    except OSError:
        pending.discard()
        return False
    return True


def _save_loads(
    path: Path,
    frame: str,
    digests: Mapping[str, str],
    loads: Mapping[str, Loaded],
    identity: Callable[[Article], str],
) -> bool:
    """Write each loads shard whose files (or frame) changed; False if one cannot be written.

    A shard starts with its own header: the digest of each file it holds (a rebuild checks
    them against the plan's, so a shard from another build is never mixed in) and of the
    loads that follow (a damaged shard is written again, not trusted or kept). Each file's
    loads come with the `shown_identity` of each of its articles (`Earlier.identities`)."""
    shards: dict[int, dict[str, str]] = {n: {} for n in range(LOAD_SHARDS)}
    for relative, digest in digests.items():
        shards[_load_shard(relative)][relative] = digest
    for number, files in shards.items():
        shard = _loads_path(path, number)
        if (found := _read_shard(shard, frame)) is not None and found[0] == files:
            continue
        body = io.BytesIO()
        kept = {rel: loads.get(rel, ([], [])) for rel in files}
        _pickler(body).dump(
            {rel: (kept[rel], [identity(a) for a in kept[rel][0]]) for rel in files}
        )
        head = {"format": FORMAT, "frame": frame, "files": files,
                "digest": hashlib.sha256(body.getbuffer()).hexdigest()}  # fmt: skip
        buffer = io.BytesIO()
        _pickler(buffer).dump(head)
        buffer.write(body.getbuffer())
        if not _write(shard, buffer):
            return False
    return True


def _read_shard(path: Path, frame: str) -> tuple[dict[str, str], io.BytesIO] | None:
    """A loads shard made under this frame, intact: its files (→ digest), and the file's
    stream where its loads start (read once, never copied)."""
    try:
        data = path.read_bytes()
        stream = io.BytesIO(data)
        head = _Unpickler(stream, None).load()
    except Exception:
        return None
    if (
        isinstance(head, dict)
        and head.get("format") == FORMAT
        and head.get("frame") == frame
        and isinstance(files := head.get("files"), dict)
        and head.get("digest") == hashlib.sha256(memoryview(data)[stream.tell() :]).hexdigest()
    ):
        return files, stream
    return None


def _write(path: Path, buffer: io.BytesIO) -> bool:
    temp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temp.write_bytes(buffer.getbuffer())
        temp.replace(path)
    except OSError:
        with contextlib.suppress(OSError):
            temp.unlink(missing_ok=True)
        return False
    return True


def _pickler(buffer: io.BytesIO) -> pickle.Pickler:
    pickler = pickle.Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL)
    pickler.dispatch_table = _DISPATCH
    return pickler


def _loads_path(plan: Path, number: int) -> Path:
    return plan.with_name(f"{plan.stem.replace('plan-', 'loads-', 1)}-{number:02d}.pickle")


def _load_shard(relative: str) -> int:
    return shard_of(relative, LOAD_SHARDS)


@dataclass(frozen=True, slots=True)
class Earlier:
    """The last full build's loads by content file, (digest, loads), and the identity of
    each of their articles in order (`shown_identity`, as that build computed it: 10 µs an
    article, 0.2 s of a 20,000-article addition to compute again)."""

    files: dict[str, tuple[str, Loaded]]
    identities: dict[str, list[str]]

    def known(self, articles: Iterable[Article]) -> dict[str, tuple[Article, str]]:
        """Path → (article, identity) for those of `articles` that are these loads' own
        objects (an article loaded afresh is not: its identity is computed)."""
        own = {
            article.path: (article, identity)
            for relative, (_digest, (found, _diagnostics)) in self.files.items()
            if relative in self.identities
            for article, identity in zip(found, self.identities[relative], strict=True)
        }
        return {
            article.path: mine
            for article in articles
            if (mine := own.get(article.path)) is not None and mine[0] is article
        }


def _read_loads(plan: Path, frame: str, cache: ContentCache) -> Earlier:
    """Every file's (digest, loads) from the shards made under this frame and intact."""
    found = Earlier({}, {})
    for number in range(LOAD_SHARDS):
        shard = _read_shard(_loads_path(plan, number), frame)
        if shard is None:
            continue
        loads: object = None
        with contextlib.suppress(Exception):
            loads = _Unpickler(shard[1], cache).load()
        if not isinstance(loads, dict):
            continue
        for relative, digest in shard[0].items():
            entry = loads.get(relative)
            if not (isinstance(entry, tuple) and len(entry) == 2 and _is_loaded(entry[0])):
                continue
            loaded, identities = entry
            found.files[relative] = (digest, loaded)
            if isinstance(identities, list) and len(identities) == len(loaded[0]):
                found.identities[relative] = identities
    return found


@dataclass(frozen=True, slots=True)
class Kept:
    """A snapshot whose header matched this build: its config, and where the rest starts."""

    path: Path
    frame: str
    config: SiteConfig
    files: Mapping[str, tuple[str, str]]  # content file → (digest, signature)
    embargo: dt.datetime | None
    start: int


def open_kept(path: Path, *, frame: str, root: Path) -> Kept | None:
    """The snapshot if it was made with these inputs (`Stamp.frame`) for this site, else None."""
    try:
        with path.open("rb") as stream:
            head = _Unpickler(stream, None).load()
            if not (
                isinstance(head, dict)
                and head.get("format") == FORMAT
                and head.get("frame") == frame
                and isinstance(head.get("files"), dict)
            ):
                return None
            config = _Unpickler(stream, None).load()
            if not isinstance(config, SiteConfig) or config.root.resolve() != root.resolve():
                return None
            return Kept(path, frame, config, head["files"], head["embargo"], stream.tell())
    except Exception:
        return None


@dataclass(frozen=True, slots=True)
class Outcome:
    """What `restore` made: the plan, or None when a full build is due, and then the last
    plan's loads if it read them already (the full build takes them: `earlier_loads`)."""

    restored: Restored | None
    earlier: Earlier | None = None


def restore(
    kept: Kept,
    *,
    now: dt.datetime,
    cache: ContentCache,
    identity: Callable[[Article], str],
) -> Outcome:
    """The last full build's plan with today's bodies, unless a full build is due.

    Changed files are loaded through `cache` (and added to it); restored bodies read
    their text from it. In a big archive, checking every content file (`_changes`) runs
    in a forked child while this process reads the loads shards (`parallel.beside`): on
    two CPUs a 20,000-article edit spends the time of the longer one, not of both.
    """
    if kept.embargo is not None and now >= kept.embargo:
        return Outcome(None)  # a held-back article is due: it joins listings
    config, known = kept.config, kept.files
    check = partial(_changes, config, cache, known, identity)
    if len(known) < BESIDE_FILES:
        changed = check()
        if changed is None:
            return Outcome(None)
        earlier = _read_loads(kept.path, kept.frame, cache)
    else:
        with beside(partial(_pickled, check)) as checked:
            earlier = _read_loads(kept.path, kept.frame, cache)
            found = checked()
        read, changed = _unpickled(found, cache)
        if not read:
            changed = check()
        if changed is None:
            return Outcome(None, earlier)
    expected = {relative: digest for relative, (digest, _signature) in known.items()}
    if {relative: digest for relative, (digest, _loaded) in earlier.files.items()} != expected:
        return Outcome(None, earlier)
    loads = {relative: loaded for relative, (_digest, loaded) in earlier.files.items()}
    for relative, loaded in changed.items():
        if _lines(loaded) != _lines(loads.get(relative, ([], []))):
            return Outcome(None, earlier)  # the plan refers to articles by their place in the file
        loads[relative] = loaded
    try:
        with kept.path.open("rb") as stream:
            stream.seek(kept.start)
            archives, artifacts, diagnostics = _Unpickler(stream, cache, loads).load()
    except Exception:
        return Outcome(None, earlier)
    return Outcome(Restored(config, archives, artifacts, diagnostics, kept.embargo))


# Content files from which `restore` checks them in a forked child: at 4,000 the fork and
# its page faults cost what the overlap saves (0.57 s against 0.54), at 20,000 it saves 0.14 s.
BESIDE_FILES = 8000


def _changes(
    config: SiteConfig,
    cache: ContentCache,
    known: Mapping[str, tuple[str, str]],
    identity: Callable[[Article], str],
) -> dict[str, Loaded] | None:
    """The loads of the files changed since the snapshot (saved to `cache`), or None when
    a file came, went, was renamed or changed anything but its bodies."""
    relatives, problems = sources.discover(config.root, config.content_dir)
    if problems or len(relatives) != len(known) or not all(r in known for r in relatives):
        return None  # a file came, went or was renamed
    changed = _changed_loads(config, cache, relatives, known, identity)
    if changed is not None:
        cache.save(known, prune=False)  # the changed files' entries and bodies
    return changed


def _pickled(work: Callable[[], object]) -> bytes:
    buffer = io.BytesIO()
    _pickler(buffer).dump(work())
    return buffer.getvalue()


def _unpickled(data: bytes | None, cache: ContentCache) -> tuple[bool, dict[str, Loaded] | None]:
    """(True, a child's `_changes`), its bodies read through `cache` (where the child saved
    them); (False, None) when the child gave nothing that reads back: check here."""
    if data is None:
        return False, None
    try:
        found = _Unpickler(io.BytesIO(data), cache).load()
    except Exception:
        return False, None
    return (True, found) if found is None or isinstance(found, dict) else (False, None)


def _is_loaded(value: object) -> bool:
    """An (articles, diagnostics) pair, as a shard holds for each file."""
    return (
        isinstance(value, tuple)
        and len(value) == 2
        and isinstance(value[0], list)
        and isinstance(value[1], list)
    )


def _lines(loaded: Loaded) -> list[int | None]:
    return [article.source.line for article in loaded[0]]


def earlier_loads(path: Path, frame: str, cache: ContentCache) -> Earlier:
    """What loading made of each content file in the last full build under this frame,
    with its digest: from the loads shards beside the plan at `path`, plan or not.

    A full build takes the files that did not change from here rather than from the
    content cache's JSON (three to four times as fast, and articles and plan share them).
    """
    return _read_loads(path, frame, cache)


def _changed_loads(
    config: SiteConfig,
    content: ContentCache,
    relatives: list[str],
    known: Mapping[str, tuple[str, str]],
    identity: Callable[[Article], str],
) -> dict[str, Loaded] | None:
    """What loading makes of each file changed since the snapshot; None when a file
    changed anything but bodies (or cannot be read)."""
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
    loads: dict[str, Loaded] = {}
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
        loads[relative] = loaded
    return loads


# --- pickling ------------------------------------------------------------------------------


def _proxy(items: dict[Any, Any]) -> MappingProxyType[Any, Any]:
    return MappingProxyType(items)


def _zone(key: str) -> zoneinfo.ZoneInfo:  # its own reduction names getattr: not allowed
    return zoneinfo.ZoneInfo(key)


def _body(digest: str) -> Body:  # replaced while unpickling (`_Unpickler.find_class`)
    return Body(digest)


def _record(kind: type, values: tuple[Any, ...]) -> Any:  # replaced while unpickling, as `_body`
    return _make(kind, values)


def _article(relative: str, place: int) -> Article:  # replaced while unpickling, as `_body`
    """An article of the loads shards in a pickled plan: its file, its place in the file."""
    raise pickle.UnpicklingError("an article reference outside a plan")


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
    """Builds only allowed types; a plan's articles are those of `loads`."""

    def __init__(
        self,
        stream: io.BytesIO | io.BufferedReader,
        content: ContentCache | None,
        loads: Mapping[str, Loaded] | None = None,
    ) -> None:
        super().__init__(stream)
        self._content = content
        self._loads = loads or {}

    def find_class(self, module: str, name: str) -> Any:
        if module == __name__ and name in ("_body", "_record", "_proxy", "_zone", "_article"):
            return {"_body": self._body, "_record": _record_checked, "_proxy": _proxy,
                    "_zone": _zone, "_article": self._article}[name]  # fmt: skip
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

    def _article(self, relative: str, place: int) -> Article:
        return self._loads[relative][0][place]  # IndexError/KeyError: the snapshot is ignored


def _record_checked(kind: type, values: tuple[Any, ...]) -> Any:
    if kind not in _FIELDS:
        raise pickle.UnpicklingError(f"a plan snapshot may not build {kind!r} this way")
    return _make(kind, values)
