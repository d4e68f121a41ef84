"""Rendered listing cards kept between builds, so adding one article renders one card.

Adding the newest article shifts every listing page by one, so they are all rendered
again; most of their cost is each article's card (`partials/card.html`, through the
`card_html` global of render.py). A card sees the article, the heading argument and
the site-wide globals, so it is reused only when all of them are the same as when it
was rendered: the file is tied to the site fingerprint (templates, config, code, terms:
see pages.site_fingerprint) and each card to its language, its heading and a digest
of the article's full data.

`.dateline-cache/cards-<output>-NN.json` hold one card per (language, article path,
heading): an edited article replaces its entry and a deleted one drops it, so they never
grow beyond the archive. The cards are split by article into `SHARDS` files, and a build
rewrites only the files whose cards changed: adding an article rewrites one, not the
20 MB of a 20,000-article archive. There is one set per output folder, like the page
records, so a preview build (another base_url) does not undo the real build's cards.
Like the rest of the cache they are JSON, written atomically, and each is ignored when
unreadable or made for other templates; deleting them is always safe.

Pages are rendered in forked workers: each worker inherits the cards loaded by the
parent, and hands the cards it had to render back with each page (`take_new`), so
the parent saves them all.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

from dateline.cache import (
    _read_json,
    cache_dir,
    shard_of,
    shown_identity,
    three_strings,
    write_shards,
)
from dateline.model import Article, bodies_shown, note_shown

FORMAT = 2
SHARDS = 64

NewCards = dict[str, list[str]]  # key → [article identity, html, digest of the body it showed]


def card_key(lang: str, path: str, heading: object) -> str:
    """One slot per article, language and heading: a changed article overwrites its slot."""
    return f"{lang}\0{path}\0{heading!r}"


def _shard(key: str) -> int:
    """The file a card is kept in: by language and article, so all its headings go together."""
    return shard_of(key.rsplit("\0", 1)[0], SHARDS)


class CardCache:
    """The cards of the last build that are still valid for this site fingerprint.

    `root=None` keeps nothing between builds (a `--no-cache` build): cards are then only
    shared between the pages of one process, as before.
    """

    def __init__(
        self,
        root: Path | None,
        site: str,
        out_dir: Path | None = None,
        identity: Callable[[Article], str] = shown_identity,
    ) -> None:
        self.identity = identity  # the build's memoised one (Fingerprints.identity) is cheaper
        self.path: Path | None = None  # the shards' stem: `_shard_path` names them
        if root is not None:
            name = hashlib.sha256(str(out_dir).encode()).hexdigest()[:16]
            self.path = cache_dir(root) / f"cards-{name}"
        self.site = site
        self._loaded: NewCards | None = None  # read on first use: most rebuilds show no card
        self._fresh: NewCards = {}  # rendered in this process since the last take_new
        self._dirty: set[int] = set()  # shards whose cards changed

    def _shard_path(self, number: int | None) -> Path:
        """One shard's file; None: the single file the cards were kept in before shards."""
        assert self.path is not None
        suffix = "" if number is None else f"-{number:02d}"
        return self.path.with_name(f"{self.path.name}{suffix}.json")

    @property
    def _cards(self) -> NewCards:
        if self._loaded is None:
            self._loaded = {}
            for number in range(SHARDS) if self.path is not None else ():
                data = _read_json(self._shard_path(number))
                if (
                    isinstance(data, dict)
                    and data.get("format") == FORMAT
                    and data.get("site") == self.site
                    and isinstance(cards := data.get("cards"), dict)
                ):
                    self._loaded.update(three_strings(cards, number, _shard))
        return self._loaded

    def card(self, lang: str, article: object, heading: object, render: Callable[[], str]) -> str:
        """The card's HTML: from the last build when nothing it shows changed, else rendered.

        Its article's body counts only if the card showed it (`bodies_shown`); a card
        reused from the last build tells the page being rendered that it shows it."""
        if self.path is None or not isinstance(article, Article):
            return render()
        key = card_key(lang, article.path, heading)
        identity = self.identity(article)
        body = article.body.digest
        found = self._cards.get(key)
        if found is not None and found[0] == identity and found[2] in ("", body):
            note_shown([found[2]] if found[2] else [])
            return found[1]
        with bodies_shown() as seen:
            html = render()
        if _storable(html) and seen <= {body}:  # a card showing other bodies is not kept
            self._cards[key] = self._fresh[key] = [identity, html, body if seen else ""]
            self._dirty.add(_shard(key))
        return html

    def take_new(self) -> NewCards:
        """The cards rendered here since the last call (a worker sends them to the parent)."""
        fresh, self._fresh = self._fresh, {}
        return fresh

    def merge(self, cards: Mapping[str, list[str]]) -> None:
        """Add the cards a worker rendered."""
        if cards and self.path is not None:
            self._cards.update(cards)
            self._dirty.update(map(_shard, cards))

    def preload(self) -> None:
        """Read the cards now: before forking workers, so they share one copy."""
        self._cards  # noqa: B018 - the property reads the file

    def save(self, shown: Iterable[tuple[str, str]]) -> None:
        """Write the cards of the articles still published, (language, path); drop the rest.

        Only the shards whose cards changed or went are written. A build that showed no
        card leaves the files alone (their stale cards go next time)."""
        if self.path is None or self._loaded is None:
            return
        live = set(shown)
        kept: dict[int, NewCards] = {}
        for key, card in self._cards.items():
            if tuple(key.split("\0", 2)[:2]) in live:
                kept.setdefault(_shard(key), {})[key] = card
            else:
                self._dirty.add(_shard(key))
        head = {"format": FORMAT, "site": self.site}
        write_shards(self._shard_path, {n: kept.get(n, {}) for n in self._dirty}, head, "cards")
        self._shard_path(None).unlink(missing_ok=True)  # the unsharded file of old
        self._loaded = {key: card for shard in kept.values() for key, card in shard.items()}
        self._dirty = set()


def _storable(html: str) -> bool:
    """Whether the text survives a UTF-8 file (a lone surrogate would not): else not kept."""
    try:
        html.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
