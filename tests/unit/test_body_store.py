"""The build cache's body shards: each text read by itself, exactly, or not at all."""

from __future__ import annotations

from collections import defaultdict
from itertools import count
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dateline.cache import _BODY_SHARDS, ContentCache, _write_bodies
from dateline.model import Body, BodyUnavailable

KEY = "test-key"


def shard_of(digest: str) -> int:
    return int(digest[:4], 16) % _BODY_SHARDS


def shard_path(folder: Path, number: int) -> Path:
    return folder / f"bodies-{number:03d}.txt"


def write_bodies(folder: Path, texts: list[str]) -> list[str]:
    """Write `texts` into their shard files, as a build does; their digests."""
    shards: dict[int, dict[str, str]] = defaultdict(dict)
    for text in texts:
        digest = Body.of(text).digest
        shards[shard_of(digest)][digest] = text
    for number, found in shards.items():
        _write_bodies(shard_path(folder, number), KEY, dict(sorted(found.items())))
    return [Body.of(text).digest for text in texts]


def one_shard(stem: str, n: int) -> list[str]:
    """`n` texts whose digests fall in the same shard."""
    texts: list[str] = []
    for i in count():
        text = f"<p>{stem} {i}</p>"
        if not texts or shard_of(Body.of(text).digest) == shard_of(Body.of(texts[0]).digest):
            texts.append(text)
        if len(texts) == n:
            return texts
    raise AssertionError  # unreachable


@settings(max_examples=60, deadline=None)
@given(st.lists(st.text(max_size=300), min_size=1, max_size=8, unique=True), st.integers(0, 20))
def test_every_text_reads_back_exactly(
    tmp_path_factory: pytest.TempPathFactory, texts: list[str], neighbours: int
) -> None:
    """Offsets are in bytes: accents, emoji and lone surrogates must not shift a text,
    nor must the other texts of its shard."""
    folder = tmp_path_factory.mktemp("cache")
    crowd = one_shard("neighbour", neighbours + 1)[1:] if neighbours else []
    digests = write_bodies(folder, texts + crowd + [t + "!" for t in texts])
    cache = ContentCache(folder, KEY)
    for digest, text in reversed(list(zip(digests, texts + crowd, strict=False))):
        assert cache.read_body(digest) == text


def test_a_body_text_is_read_from_its_shard_by_itself(tmp_path: Path) -> None:
    texts = [*one_shard("Año nuevo en San Salvador ✓", 3)]
    digests = write_bodies(tmp_path, texts)
    head, _, rest = shard_path(tmp_path, shard_of(digests[0])).read_bytes().partition(b"\n")
    assert b"<p>" not in head, "the first line places the texts; it does not hold them"
    assert rest == "".join(text for _, text in sorted(zip(digests, texts, strict=True))).encode()
    assert ContentCache(tmp_path, KEY).read_body(digests[2]) == texts[2]


def test_a_shard_rewritten_by_another_build_meanwhile_is_read_again(tmp_path: Path) -> None:
    first, second, extra = one_shard("Text", 3)
    write_bodies(tmp_path, [first, second])
    cache = ContentCache(tmp_path, KEY)
    assert cache.read_body(Body.of(first).digest) == first  # the shard's places are known now
    # another build rewrites the shard with a longer body in front: every text moves
    longer = extra + " with more words than the others"
    texts = {Body.of(t).digest: t for t in (first, second)}
    path = shard_path(tmp_path, shard_of(Body.of(first).digest))
    _write_bodies(path, KEY, {"0" * 64: longer, **texts})
    assert cache.read_body(Body.of(second).digest) == second


def test_a_missing_or_damaged_body_is_unavailable_never_wrong(tmp_path: Path) -> None:
    kept, damaged = one_shard("Kept or damaged", 2)
    digests = write_bodies(tmp_path, [kept, damaged])
    path = shard_path(tmp_path, shard_of(digests[0]))
    changed = damaged.replace("damaged", "changed").encode()  # same length: offsets hold
    path.write_bytes(path.read_bytes().replace(damaged.encode(), changed))
    cache = ContentCache(tmp_path, KEY)
    assert cache.read_body(digests[0]) == kept
    with pytest.raises(BodyUnavailable):
        cache.read_body(digests[1])
    with pytest.raises(BodyUnavailable):
        cache.read_body(Body.of("<p>never written</p>").digest)
    path.write_bytes(b"not json\n" + kept.encode())
    with pytest.raises(BodyUnavailable):
        ContentCache(tmp_path, KEY).read_body(digests[0])
    write_bodies(tmp_path, [kept])
    with pytest.raises(BodyUnavailable):  # another cache key: another dateline or config
        ContentCache(tmp_path, "other-key").read_body(digests[0])


def test_a_pruning_save_removes_body_files_of_the_former_format(tmp_path: Path) -> None:
    """Body shards were JSON files before: left over from an upgrade, they go."""
    write_bodies(tmp_path, ["<p>Kept</p>"])
    former = tmp_path / "bodies-007.json"
    former.write_text('{"key": "k", "bodies": {}}', encoding="utf-8")
    ContentCache(tmp_path, KEY).save([], prune=False)
    assert former.exists(), "a build that prunes nothing leaves it"
    ContentCache(tmp_path, KEY).save([], prune=True)
    assert not former.exists()
    assert [p.suffix for p in tmp_path.glob("bodies-*")] == [".txt"]


def test_a_cache_kept_for_bodies_only_reads_them_and_never_writes(tmp_path: Path) -> None:
    """A restore's cache lives on as its articles' body store, its file index dropped:
    saving it then would write an empty index over the real one."""
    texts = one_shard("Kept", 2)
    digests = write_bodies(tmp_path, texts)
    cache = ContentCache(tmp_path, KEY)
    cache.remember_stat("content/a.md", Path(__file__).stat(), "0" * 64)
    cache.bodies_only()
    assert not cache.has_seen("content/a.md")
    before = sorted(p.name for p in tmp_path.iterdir())
    cache.save(["content/a.md"])
    assert sorted(p.name for p in tmp_path.iterdir()) == before
    assert [cache.read_body(d) for d in digests] == texts
