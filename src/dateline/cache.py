"""The build cache in `.dateline-cache/`: what a build may skip, never what it must trust.

Two records, both JSON or plain text (readable, no code runs when they are loaded):

- the content cache: for each content file, keyed by its path and the sha256 of
  its bytes, the articles and diagnostics loading produced (front matter parsed,
  Markdown rendered). The whole cache is tied to a key made of the dateline
  code (a digest of the installed package) and the config values loading reads,
  so upgrading dateline or changing `[themes]` simply misses. Entries are split
  into shards by digest, so an edit rewrites one shard, not the whole cache.
  Rendered bodies live apart (`bodies-NNN.txt`, by the digest of their text): an
  article from the cache carries a `Body` that reads its text on first use, so a
  rebuild reads only the bodies of the pages it renders again. A body file is one
  JSON line (each body's place in the file) and the texts after it, so a body is
  read by itself: a process no longer holds every body of the shards it touched.
  Each file's size, mtime and digest (what spares reading it) are kept in 32
  `files-NN.json` shards by path, under `content.json`'s key: an edit rewrites one.
- page records: for each output file, the fingerprint of what it showed (its
  artifact's data, the templates, the site-wide values) and the sha256 of the
  bytes written, and the bodies it read. A page is skipped only when its fingerprint
  and bodies match *and* the output's manifest still lists those bytes for it. Split
  into `pages-<output>-NN.json` shards by path, so a body edit rewrites the few shards
  of the pages it touched, not the records of every page (43 MB at 100,000 articles).

The same folder holds the stamp (stamp.py), listing cards (cards.py) and the kept plan
(snapshot.py: a pickle, read by an unpickler that builds only dateline's records).
Anything unreadable, truncated or of another version is ignored and rebuilt;
deleting the folder is always safe.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import hashlib
import json
import os
import zlib
import zoneinfo
from collections.abc import Callable, Iterable, Iterator, Mapping
from functools import cache
from pathlib import Path
from typing import Any

import jinja2

import dateline
from dateline.config import SiteConfig
from dateline.errors import Diagnostic, SourceLocation, diagnostic_from_json, diagnostic_to_json
from dateline.model import (
    Article,
    Artifact,
    Body,
    BodyUnavailable,
    MonthGroup,
    Term,
    TermGroup,
    YearGroup,
)

CACHE_DIR = ".dateline-cache"
FORMAT = 3
_SHARDS = 32
_BODY_SHARDS = 256  # small files: a rebuild reads the few that hold the pages it renders
_RECENT_BODIES = 256  # bodies read lately, kept for the next page (each feed repeats the newest)
_PAGE_SHARDS = 64  # page records: a body edit rewrites a few of these, not all of them
_STAT_SHARDS = 32  # file stats: a body edit rewrites one of these, not 3 MB at 20k files
PRUNE_EVERY = 20  # builds that keep unused entries (`save(prune=False)`) before one drops them
_RENDER_ONLY = frozenset(
    {"title", "description", "base_url", "organization", "per_page", "feed_limit", "related",
     "output_dir", "root"}
)  # fmt: skip  # config fields loading never reads; every other field keys the content cache

Loaded = tuple[list[Article], list[Diagnostic]]
_Places = dict[str, tuple[int, int]]  # a body shard's texts: digest → (offset, length)


@cache
def code_version() -> str:
    """A digest of dateline's own files: a changed parser or theme never reuses old results."""
    package = Path(dateline.__file__).parent
    digest = hashlib.sha256(dateline.__version__.encode())
    for path in sorted(package.rglob("*")):
        if path.suffix in (".py", ".json") and path.is_file():
            digest.update(path.relative_to(package).as_posix().encode() + b"\0")
            digest.update(path.read_bytes())
    return digest.hexdigest()


def loader_key(config: SiteConfig) -> str:
    """The config values loading depends on, with the code version."""
    values = {
        f.name: repr(getattr(config, f.name))
        for f in dataclasses.fields(config)
        if f.name not in _RENDER_ONLY
    }
    return _sha(json.dumps([FORMAT, code_version(), values], sort_keys=True))


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def cache_dir(root: Path) -> Path:
    return root / CACHE_DIR


def clear_content_cache(root: Path) -> None:
    """Forget every loaded file (the next load reads them all again); pages stay cached."""
    folder = cache_dir(root)
    for path in [
        *folder.glob("content*.json"),
        *folder.glob("files-*.json"),
        *folder.glob("bodies-*"),
    ]:
        path.unlink(missing_ok=True)


def jinja_cache(root: Path) -> jinja2.BytecodeCache:
    """Jinja's compiled templates, checked against each template's source on load."""
    folder = cache_dir(root) / "jinja"
    folder.mkdir(parents=True, exist_ok=True)
    return jinja2.FileSystemBytecodeCache(str(folder))


def _read_json(path: Path) -> Any:
    """The parsed file, or None when missing or not valid JSON."""
    try:
        return json.loads(path.read_bytes())
    except (OSError, ValueError):
        return None


def _write_json(path: Path, data: object) -> None:
    _write_atomically(path, json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode())


def _write_atomically(path: Path, data: bytes) -> None:
    """Temp file + rename: a killed build never leaves half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temp.write_bytes(data)
    temp.replace(path)


# --- records kept in shards (page records, cards.py, snapshot.py's loads) --------------------


def shard_of(key: str, count: int) -> int:
    """Which of `count` shard files keeps `key`: the same in every process and build."""
    return zlib.crc32(key.encode("utf-8", "surrogatepass")) % count


def three_strings(
    entries: Mapping[str, object], number: int, shard: Callable[[str], int]
) -> Iterator[tuple[str, list[str]]]:
    """The entries of shard file `number` that are lists of three strings and belong in it:
    one kept in another shard would never be rewritten, so it is dropped. (`type() is`:
    JSON makes no subclasses, and this runs for every page of the site on every build.)"""
    for key, value in entries.items():
        if (
            type(value) is list and len(value) == 3 and type(value[0]) is str
            and type(value[1]) is str and type(value[2]) is str and shard(key) == number
        ):  # fmt: skip
            yield key, value


def write_shards(
    path_of: Callable[[int], Path],
    shards: Mapping[int, Mapping[str, list[Any]]],
    head: Mapping[str, object],
    section: str,
) -> None:
    """Write each shard given, its entries under `section` after `head`; an empty one goes."""
    for number, entries in sorted(shards.items()):
        if entries:
            _write_json(path_of(number), {**head, section: dict(sorted(entries.items()))})
        else:
            path_of(number).unlink(missing_ok=True)


def write_dirty_shards(
    path_of: Callable[[int], Path],
    records: Mapping[str, list[Any]],
    dirty: Iterable[int],
    shard: Callable[[str], int],
    head: Mapping[str, object],
    section: str,
) -> None:
    """`write_shards` for the `dirty` shard numbers, each with every record that `shard`
    puts in it (a shard no record is left in goes)."""
    shards: dict[int, dict[str, list[Any]]] = {number: {} for number in dirty}
    if shards:
        for key, record in records.items():
            found = shards.get(shard(key))
            if found is not None:
                found[key] = record
    write_shards(path_of, shards, head, section)


class ContentCache:
    """Loaded content files by (path, content digest); file stats spare re-reading."""

    def __init__(self, folder: Path | None, key: str) -> None:
        self.folder = folder
        self.key = key
        self._stats: dict[str, list[Any]] = {}  # path → [mtime_ns, size, sha256]
        self._shards: dict[int, dict[str, Any]] = {}
        self._dirty: set[int] = set()
        self._used: set[str] = set()
        self._kept: list[tuple[str, str]] = []  # entries used, by file and digest (`keep`)
        self._stats_dirty: set[int] = set()  # stat shards to write (`files-NN.json`)
        self._head_dirty = False  # content.json: the key and `unpruned`
        self._bodies_only = False  # see `bodies_only`
        self.unpruned = 0  # builds since unused entries were last dropped (`save(prune=False)`)
        self._body_places: dict[int, tuple[int, _Places]] = {}  # see `_body_index`
        self._recent_bodies: dict[str, str] = {}  # the feeds show the newest bodies again
        self._new_bodies: dict[str, str] = {}  # bodies of this build's fresh loads
        if folder is not None:
            self._load()

    @classmethod
    def for_site(cls, config: SiteConfig, *, enabled: bool = True) -> ContentCache:
        return cls(cache_dir(config.root) if enabled else None, loader_key(config))

    def _load(self) -> None:
        assert self.folder is not None
        head = _read_json(self.folder / "content.json")
        if not (isinstance(head, dict) and head.get("key") == self.key):
            self._stats_dirty = set(range(_STAT_SHARDS))  # none left from another key
            return
        unpruned = head.get("unpruned", 0)
        self.unpruned = unpruned if isinstance(unpruned, int) else 0
        for number in range(_STAT_SHARDS):
            data = _read_json(self._stats_path(number))
            stats = (
                data.get("files")
                if isinstance(data, dict) and data.get("key") == self.key
                else None
            )
            if isinstance(stats, dict):
                self._stats.update(
                    (k, v)
                    for k, v in stats.items()
                    if type(v) is list and len(v) == 3 and type(v[2]) is str
                    and _stat_shard(k) == number
                )  # fmt: skip

    def _stats_path(self, number: int) -> Path:
        assert self.folder is not None
        return self.folder / f"files-{number:02d}.json"

    def _shard(self, entry: str) -> dict[str, Any]:
        return self._shard_number(int(entry[:4], 16) % _SHARDS)

    def _shard_number(self, number: int) -> dict[str, Any]:
        if number not in self._shards:
            data = None
            if self.folder is not None:
                data = _read_json(self.folder / f"content-{number:02d}.json")
            ok = isinstance(data, dict) and data.get("key") == self.key
            entries = data.get("entries") if ok and isinstance(data, dict) else None
            self._shards[number] = entries if isinstance(entries, dict) else {}
        return self._shards[number]

    def _body_path(self, number: int) -> Path:
        assert self.folder is not None
        return self.folder / f"bodies-{number:03d}.txt"

    def _body_index(self, number: int) -> tuple[int, _Places]:
        """Where the texts of body shard `number` start, and each text's place after that:
        the first line of the file, read once per build."""
        found = self._body_places.get(number)
        if found is None:
            found = (0, {})
            with contextlib.suppress(OSError), self._body_path(number).open("rb") as f:
                found = (len(line := f.readline()), _places_of(line, self.key))
            self._body_places[number] = found
        return found

    def _read_body_text(self, number: int, digest: str) -> str | None:
        start, places = self._body_index(number)
        place = places.get(digest)
        if place is None:
            return None
        try:
            descriptor = os.open(self._body_path(number), os.O_RDONLY)
            try:
                data = os.pread(descriptor, place[1], start + place[0])
            finally:
                os.close(descriptor)
            return data.decode("utf-8", "surrogatepass")
        except (OSError, ValueError):
            return None

    def _body_texts(self, number: int) -> dict[str, str]:
        """Every text of body shard `number` (to write it anew), read in one go."""
        try:
            data = self._body_path(number).read_bytes()
        except OSError:
            return {}
        line, _, rest = data.partition(b"\n")
        texts: dict[str, str] = {}
        for digest, (offset, length) in _places_of(line, self.key).items():
            with contextlib.suppress(ValueError):
                text = rest[offset : offset + length].decode("utf-8", "surrogatepass")
                if Body.of(text).digest == digest:
                    texts[digest] = text
        return texts

    def read_body(self, digest: str) -> str:
        """The text of a body this cache handed out (`Body.store`); checked against its digest.

        Read by itself from its shard: a page renders one or two bodies, and a process
        that kept whole shards held every body of the archive by the end of a full render.
        A text that does not match (the file was rewritten since its first line was read,
        by another build) is looked up once more before the build gives up on the cache.
        """
        text = self._new_bodies.get(digest) or self._recent_bodies.get(digest)
        if text is not None:
            return text
        number = int(digest[:4], 16) % _BODY_SHARDS
        for _attempt in range(2):
            text = self._read_body_text(number, digest)
            if text is not None and Body.of(text).digest == digest:
                if len(self._recent_bodies) >= _RECENT_BODIES:  # the oldest read goes
                    del self._recent_bodies[next(iter(self._recent_bodies))]
                self._recent_bodies[digest] = text
                return text
            self._body_places.pop(number, None)
        raise BodyUnavailable(f"the build cache {self.folder} lost a rendered body")

    def bodies_only(self) -> None:
        """From here on this cache only reads bodies: its file index and entries go.

        A restore's cache lives on as the body store of the articles it gave (through
        rendering, and in the render worker's copy of this process): at 20,000 files its
        index is 10-20 MB of the build's peak. It can no longer be saved.
        """
        self._bodies_only = True
        self._stats, self._shards, self._used, self._kept = {}, {}, set(), []

    def resting(self, articles: list[Article]) -> list[Article]:
        """`articles` with the texts of their bodies left to this cache, once `save` has
        written them: a cold build then renders with no body held in memory but those of
        the pages in hand (at 100,000 articles the bodies are about 400 MB, and each render
        process counted the ones it showed again). Without a cache folder, as they are."""
        if self.folder is None:
            return articles
        return [
            article
            if article.body.stored_text is None
            else dataclasses.replace(article, body=Body(article.body.digest, store=self))
            for article in articles
        ]

    def known_digest(self, relative: str, stat: os.stat_result) -> str | None:
        """The content digest recorded for this file if its size and mtime are unchanged."""
        seen = self._stats.get(relative)
        if seen and seen[0] == stat.st_mtime_ns and seen[1] == stat.st_size:
            return str(seen[2])
        return None

    def has_seen(self, relative: str) -> bool:
        """Whether a load of this file may be cached (a file never seen is a sure miss)."""
        return relative in self._stats

    def remember_stat(self, relative: str, stat: os.stat_result, digest: str) -> None:
        """Note a file's stat for content already known (a touched but unchanged file)."""
        record = [stat.st_mtime_ns, stat.st_size, digest]
        if self._stats.get(relative) != record:
            self._stats[relative] = record
            self._stats_dirty.add(_stat_shard(relative))

    def keep(self, relative: str, digest: str) -> None:
        """Count the entry of this file content as used without reading it (snapshot.py).

        Its entry's name is worked out only by a pruning `save` (20,000 digests a rebuild)."""
        self._kept.append((relative, digest))

    def digests(self) -> dict[str, str]:
        """Every known file's content digest, by site-relative path."""
        return {relative: str(record[2]) for relative, record in self._stats.items()}

    def get(self, relative: str, digest: str) -> Loaded | None:
        """The cached load of this file content, or None (a bad entry is a miss)."""
        if self.folder is None:
            return None
        entry = _sha(f"{relative}\0{digest}")
        value = self._shard(entry).get(entry)
        if value is None:
            return None
        try:
            found = (
                [article_from_json(a, self) for a in value["articles"]],
                [diagnostic_from_json(d) for d in value["diagnostics"]],
            )
        except (TypeError, KeyError, ValueError, zoneinfo.ZoneInfoNotFoundError):
            return None
        self._used.add(entry)
        return found

    def put(self, relative: str, stat: os.stat_result, digest: str, loaded: Loaded) -> None:
        if self.folder is None:
            return
        self.remember_stat(relative, stat, digest)
        entry = _sha(f"{relative}\0{digest}")
        self._used.add(entry)
        shard = self._shard(entry)
        if entry not in shard:
            shard[entry] = {
                "articles": [article_to_json(a) for a in loaded[0]],
                "diagnostics": [diagnostic_to_json(d) for d in loaded[1]],
            }
            self._dirty.add(int(entry[:4], 16) % _SHARDS)
        for article in loaded[0]:
            if article.body.stored_text is not None:
                self._new_bodies.setdefault(article.body.digest, article.body.stored_text)

    def save(self, present: Iterable[str], *, prune: bool = True) -> None:
        """Write what changed; forget files that are gone and entries no file uses.

        Bodies first, then entries, then the file index: a killed build never leaves a
        record pointing at something not yet written. `prune=False` (a build that read
        only some shards: snapshot.py) adds without forgetting anything.
        """
        if self.folder is None or self._bodies_only:
            return
        unpruned = 0 if prune else self.unpruned + 1
        if unpruned != self.unpruned:
            self.unpruned, self._head_dirty = unpruned, True
        keep = set(present)
        if gone := set(self._stats) - keep:
            self._stats = {k: v for k, v in self._stats.items() if k in keep}
            self._stats_dirty.update(map(_stat_shard, gone))
        changed = set(self._dirty)
        if prune:
            self._used.update(_sha(f"{relative}\0{digest}") for relative, digest in self._kept)
            self._kept.clear()
        for number in range(_SHARDS) if prune else ():  # also shards no file here lives in
            shard = self._shard_number(number)
            stale = [entry for entry in shard if entry not in self._used]
            for entry in stale:
                del shard[entry]
            if stale:
                changed.add(number)
        self._save_bodies(prune=prune)
        self._new_bodies.clear()  # on disk now; `read_body` reads them from there
        for former in self.folder.glob("bodies-*.json") if prune else ():  # the old body format
            former.unlink(missing_ok=True)
        for number in sorted(changed):
            _write_json(
                self.folder / f"content-{number:02d}.json",
                {"key": self.key, "entries": self._shards[number]},
            )
        if self._stats_dirty:
            write_dirty_shards(self._stats_path, self._stats, self._stats_dirty, _stat_shard,
                               {"key": self.key}, "files")  # fmt: skip
            self._stats_dirty.clear()
            self._head_dirty = True  # a new key must name the shards written with it
        if self._head_dirty:
            _write_json(
                self.folder / "content.json",
                {"format": FORMAT, "key": self.key, "unpruned": self.unpruned},
            )
            self._head_dirty = False

    def _save_bodies(self, *, prune: bool = True) -> None:
        """Add this build's new bodies; drop, in the shards written anyway, unused ones.

        Body shards are written before the entries that refer to them are (`save` writes
        content.json last), so a killed build never leaves an entry without its body.
        """
        assert self.folder is not None
        live: set[str] | None = None  # bodies the entries still name: only when writing
        by_shard: dict[int, list[str]] = {}
        for digest in self._new_bodies:
            by_shard.setdefault(int(digest[:4], 16) % _BODY_SHARDS, []).append(digest)
        for number, digests in sorted(by_shard.items()):
            places = self._body_index(number)[1]
            missing = [d for d in digests if d not in places]
            if not missing:
                continue
            texts = self._body_texts(number)
            for digest in missing:
                texts[digest] = self._new_bodies[digest]
            if live is None and prune:
                live = {
                    article["body"]
                    for shard in self._shards.values()
                    for value in shard.values()
                    for article in value["articles"]
                }
            kept = {d: t for d, t in sorted(texts.items()) if live is None or d in live}
            self._body_places.pop(number, None)  # its places change: read the new first line
            _write_bodies(self._body_path(number), self.key, kept)


def _places_of(line: bytes, key: str) -> _Places:
    """The first line of a body shard: digest → (offset, length) of each text, in bytes
    after the line. Empty when it is not one, or of another cache key."""
    try:
        head = json.loads(line)
    except ValueError:
        return {}
    places = head.get("bodies") if isinstance(head, dict) and head.get("key") == key else None
    if not isinstance(places, dict):
        return {}
    return {
        digest: (place[0], place[1])
        for digest, place in places.items()
        if isinstance(place, list) and len(place) == 2 and all(type(n) is int for n in place)
    }


def _write_bodies(path: Path, key: str, texts: Mapping[str, str]) -> None:
    """One body shard: a JSON line of each text's [offset, length] in bytes, then the texts."""
    encoded = {digest: text.encode("utf-8", "surrogatepass") for digest, text in texts.items()}
    places: dict[str, list[int]] = {}
    offset = 0
    for digest, data in encoded.items():
        places[digest] = [offset, len(data)]
        offset += len(data)
    head = json.dumps({"key": key, "bodies": places}, separators=(",", ":")).encode("utf-8")
    _write_atomically(path, b"".join([head, b"\n", *encoded.values()]))


# --- JSON forms of the loader's records --------------------------------------------------


def _date_to_json(value: dt.datetime | None) -> list[str | int | None] | None:
    if value is None:
        return None
    zone = value.tzinfo
    key = zone.key if isinstance(zone, zoneinfo.ZoneInfo) else None
    return [value.isoformat(), key, value.fold]


@cache
def _zone(key: str) -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(key)


def _date_from_json(value: Any) -> dt.datetime | None:
    """The same datetime: wall time, fold and zone, not merely the same instant.

    The zone goes back on with `replace` (the wall time is the one written), which is
    exact even for a wall time in a DST gap, and much cheaper than `astimezone`.
    """
    if value is None:
        return None
    text, zone, fold = value
    parsed = dt.datetime.fromisoformat(text)
    if parsed.tzinfo is None:
        raise ValueError("naive date in cache")
    return parsed.replace(tzinfo=_zone(zone), fold=fold) if zone else parsed


_DATES = ("date", "updated")
_TUPLES = ("countries", "themes", "redirect_from")


def article_to_json(article: Article) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for f in dataclasses.fields(article):
        value = getattr(article, f.name)
        if f.name == "source":
            value = [value.path, value.line]
        elif f.name == "body":
            value = value.digest  # the text goes to a body shard
        elif f.name in _DATES:
            value = _date_to_json(value)
        elif f.name in _TUPLES:
            value = list(value)
        data[f.name] = value
    return data


_ARTICLE_FIELDS = tuple(f.name for f in dataclasses.fields(Article))


def article_from_json(data: Mapping[str, Any], store: ContentCache) -> Article:
    """An article from its JSON form; its body stays in `store` until a page shows it."""
    fields = {name: data[name] for name in _ARTICLE_FIELDS}
    fields["source"] = SourceLocation(str(fields["source"][0]), fields["source"][1])
    fields["body"] = Body(str(fields["body"]), store=store)
    for name in _DATES:
        fields[name] = _date_from_json(fields[name])
    for name in _TUPLES:
        fields[name] = tuple(map(str, fields[name]))
    return Article(**fields)


# --- page fingerprints ---------------------------------------------------------------------


class Fingerprints:
    """Digests of what each artifact shows; one article's digest is computed once per build."""

    costly = True  # each page's digest is computed (about 20 µs), not looked up

    def __init__(
        self,
        site: str,
        articles: Iterable[Article] = (),
        *,
        encode: bool = True,
        known: Mapping[str, tuple[Article, str]] | None = None,
    ) -> None:
        """`known`: identities computed by the last build, by article path, each with the
        article object it belongs to (`snapshot.Earlier.known`): taken, not recomputed."""
        self.site = site  # templates, config, code: everything every page depends on
        self._memo: dict[int, str] = {}
        self._keep: list[object] = []  # keeps memoised objects alive, so ids stay unique
        self._fields: dict[type, tuple[str, ...]] = {}
        self.bodies: dict[str, str] = {}  # article path → digest of its body, as now
        self._paths: dict[str, list[str]] = {}  # body digest → paths of the articles with it
        known = known or {}
        for article in articles:  # known up front, a listing's articles encode in one C loop
            mine = known.get(article.path)
            if mine is not None and mine[0] is article:
                self._memo[id(article)] = mine[1]
                self._keep.append(article)
            elif encode:
                self._encode(article)
            self.bodies[article.path] = article.body.digest
            self._paths.setdefault(article.body.digest, []).append(article.path)

    def identity(self, article: Article) -> str:
        """`shown_identity(article)`, computed once per build."""
        return self._encode(article)

    def body_deps(self, shown: Iterable[str]) -> str:
        """The bodies a page showed, as "path\0digest" pairs (every article with that body)."""
        return "\0".join(
            f"{path}\0{digest}"
            for digest in sorted(shown)
            for path in self._paths.get(digest, [""])  # not an article's: never matches
        )

    def of(self, artifact: object, relative: str | None = None) -> str:
        """The digest of what `artifact` shows (`relative`, its output file, is for
        `RecordedFingerprints`)."""
        if type(artifact) is Artifact:  # the common case, without the generic walk's calls
            encode = self._encode_new
            text = (
                f"{artifact.path!r}|{artifact.template!r}|{artifact.kind!r}|{artifact.lang!r}|"
                f"{encode(artifact.context)}|{encode(artifact.alternates)}"
            )
            return _sha(self.site + text)
        return _sha(self.site + self._encode_new(artifact))

    def _encode(self, value: object) -> str:
        """A text that differs whenever the value differs (types included).

        A scalar's repr tells the types apart by itself (quotes, digits, True/None).
        Articles, terms and their groups are shown on many pages: each is encoded once
        per build, as a digest (an article as the digest of its repr, whose body is a
        digest too), so a page showing a year of articles hashes 64 characters for it,
        not the year's whole text again.
        """
        kind = type(value)
        if kind in _SCALARS or value is None:
            return repr(value)
        if kind in _MOMENTS:  # as `_encode_new` ends, without its checks (a sitemap has 26,000)
            return f"{kind.__qualname__}:{value!r}"
        if kind not in _SHARED:
            return self._encode_new(value)
        found = self._memo.get(id(value))
        if found is None:
            found = (
                shown_identity(value)
                if isinstance(value, Article)
                else _sha(self._encode_new(value))  # its text names its type
            )
            self._memo[id(value)] = found
            self._keep.append(value)
        return found

    def _encode_new(self, value: object) -> str:
        kind = type(value)
        encode = self._encode
        if kind is tuple or kind is list:
            try:  # every item already encoded (a pager's or related articles): ids are unique
                return "[" + ",".join(map(self._memo.__getitem__, map(id, value))) + "]"  # type: ignore[call-overload]
            except KeyError:
                return "[" + ",".join([encode(v) for v in value]) + "]"  # type: ignore[attr-defined]
        if isinstance(value, Mapping):
            if all(type(key) is str for key in value):
                items = sorted(value.items())  # unique keys: the values are never compared
            else:
                items = sorted(value.items(), key=lambda item: repr(item[0]))
            return "{" + ",".join([f"{k!r}:{encode(v)}" for k, v in items]) + "}"
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            names = self._fields.get(kind)
            if names is None:
                names = self._fields[kind] = tuple(f.name for f in dataclasses.fields(value))
            inner = ",".join([f"{n}={encode(getattr(value, n))}" for n in names])
            return f"{kind.__qualname__}({inner})"
        # dates, enums and anything unknown: their repr, which at worst differs every
        # build (an object shown by address), so the page is rendered: never wrongly kept
        return f"{kind.__qualname__}:{value!r}"


class RecordedFingerprints(Fingerprints):
    """A restored plan's fingerprints (snapshot.py): each page's as its record has it.

    The plan is the one those records were made from, bodies aside, and bodies are
    followed by the records' own body lists; a page with no record is fingerprinted.
    """

    costly = False

    def __init__(self, site: str, articles: Iterable[Article], records: PageRecords) -> None:
        super().__init__(site, articles, encode=False)  # articles are encoded when asked
        self._recorded = records.records

    def of(self, artifact: object, relative: str | None = None) -> str:
        found = self._recorded.get(relative) if relative is not None else None
        return found[0] if found else super().of(artifact)


_SCALARS = frozenset({str, int, float, bool})
_MOMENTS = frozenset({dt.datetime, dt.date})
_SHARED = frozenset({Article, Term, TermGroup, MonthGroup, YearGroup})


def digest_files(folders: Iterable[Path]) -> str:
    """One digest for every file below the folders (templates, catalogues): conservative."""
    digest = hashlib.sha256()
    for folder in folders:
        if not folder.is_dir():
            continue
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                digest.update(path.relative_to(folder).as_posix().encode() + b"\0")
                digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def shown_identity(article: Article) -> str:
    """A digest of what a page can show of an article, its body aside.

    The body goes by what pages actually read (`bodies_shown`, `PageRecords`), and the
    entry's source digest is the cache's own business; everything else counts.
    """
    text = repr(article)
    for part in (f"digest={article.digest!r}, ", f"body={article.body!r}, "):
        text = text.replace(part, "", 1)
    return _sha(text)


class PageRecords:
    """Per output file: [fingerprint, sha256 of the bytes written, bodies shown] from the
    last build. The bodies are "path\0digest" pairs (`Fingerprints.body_deps`): a page is
    rendered again when one of the bodies it showed has changed. Kept in `_PAGE_SHARDS`
    files by path; `save` rewrites only the shards whose records changed."""

    def __init__(self, root: Path | None, out_dir: Path) -> None:
        self.folder = cache_dir(root) if root else None
        self.stem = f"pages-{_sha(str(out_dir))[:16]}"
        self.records: dict[str, list[str]] = {}
        self.fresh: dict[str, list[str]] = {}
        self._dirty: set[int] = set()
        for number in range(_PAGE_SHARDS) if self.folder else ():
            data = _read_json(self._shard_path(number))
            pages = data.get("pages") if isinstance(data, dict) else None
            if isinstance(data, dict) and data.get("format") == FORMAT and isinstance(pages, dict):
                self.records.update(three_strings(pages, number, _page_shard))

    def _shard_path(self, number: int) -> Path:
        assert self.folder is not None
        return self.folder / f"{self.stem}-{number:02d}.json"

    def unchanged(
        self,
        relative: str,
        fingerprint: str,
        manifest: Mapping[str, str],
        bodies: Mapping[str, str],
    ) -> bool:
        """True when the page showed exactly this (the same data, the same bodies, given
        as path → body digest) and the output still holds those bytes."""
        record = self.records.get(relative)
        if not (record and record[0] == fingerprint and manifest.get(relative) == record[1]):
            return False
        if record[2]:
            pairs = record[2].split("\0")
            if any(bodies.get(pairs[i]) != pairs[i + 1] for i in range(0, len(pairs) - 1, 2)):
                return False
        self.fresh[relative] = record
        return True

    def keep(self, relative: str) -> None:
        """Keep a page's record as it is: `unchanged` said so in a worker process."""
        self.fresh[relative] = self.records[relative]

    def record(self, relative: str, fingerprint: str, data: bytes, shown: str = "") -> None:
        record = [fingerprint, hashlib.sha256(data).hexdigest(), shown]
        self.fresh[relative] = record
        if self.records.get(relative) != record:
            self._dirty.add(_page_shard(relative))

    def save(self) -> None:
        if self.folder is None:
            return
        dirty = self._dirty | {_page_shard(k) for k in self.records.keys() - self.fresh.keys()}
        write_dirty_shards(self._shard_path, self.fresh, dirty, _page_shard, {"format": FORMAT},
                           "pages")  # fmt: skip
        (self.folder / f"{self.stem}.json").unlink(missing_ok=True)  # the unsharded file of old
        self.records = self.fresh


def _page_shard(relative: str) -> int:
    return shard_of(relative, _PAGE_SHARDS)


def _stat_shard(relative: str) -> int:
    return shard_of(relative, _STAT_SHARDS)
