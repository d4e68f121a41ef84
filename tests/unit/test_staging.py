"""The staging folder takes any sequence of writes, whatever an earlier one left in the way."""

from __future__ import annotations

import os
from hashlib import sha256
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dateline.write import MANIFEST, Staging, previous_path

# Paths where one is another's folder: a page at "a/b" and a page at "a/b/c/index.html".
PATHS = ["a/index.html", "a", "a/b", "a/b/index.html", "a/b/c/index.html", "a/b/c", "d"]


def files(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and not p.is_symlink()
    }


def expected(writes: list[tuple[str, bytes]]) -> dict[str, bytes]:
    """The last write of each path, minus those a later write put a folder or file over."""
    result: dict[str, bytes] = {}
    for relative, data in writes:
        for other in list(result):
            if other.startswith(relative + "/") or relative.startswith(other + "/"):
                del result[other]
        result[relative] = data
    return result


def previous_build(out: Path, kept: list[tuple[str, bytes]]) -> None:
    """Leave `kept` as the build before last, as a build would (its manifest lists them)."""
    staging = Staging(out)
    for relative, data in kept:
        staging.write(relative, data)
    staging.write_manifest({relative: sha256(data).hexdigest() for relative, data in kept}, {})
    staging.path.rename(previous_path(out))


@pytest.mark.parametrize("kept", [[], [("a/b/index.html", b"old"), ("d", b"kept")]])
def test_a_folder_turned_file_and_back_in_one_build(
    tmp_path: Path, kept: list[tuple[str, bytes]]
) -> None:
    out = tmp_path / "dist"
    if kept:
        previous_build(out, kept)
    staging = Staging(out)
    writes = [("a/b/index.html", b"1"), ("a/b", b"2"), ("a/b/c/index.html", b"3")]
    for relative, data in writes:
        staging.write(relative, data)
    assert not previous_path(out).exists() or not kept, "the build before last was reused"
    found = files(staging.path)
    found.pop(MANIFEST, None)
    assert found == expected(kept + writes)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.tuples(st.sampled_from(PATHS), st.binary(min_size=1, max_size=4)), max_size=4),
    st.lists(st.tuples(st.sampled_from(PATHS), st.binary(min_size=1, max_size=4)), max_size=12),
)
def test_any_sequence_of_writes_leaves_the_last_of_each(
    tmp_path_factory: pytest.TempPathFactory,
    kept: list[tuple[str, bytes]],
    writes: list[tuple[str, bytes]],
) -> None:
    out = tmp_path_factory.mktemp("site") / "dist"
    kept = list(expected(kept).items())  # a real build leaves no path inside another
    if kept:
        previous_build(out, kept)
    staging = Staging(out)
    for relative, data in writes:
        staging.write(relative, data)
    if writes:
        found = files(staging.path)
        found.pop(MANIFEST, None)
        assert found == expected(kept + writes)


@pytest.mark.parametrize("data", [b"new", b"a longer text than before", b""])
def test_a_file_the_output_shares_is_replaced_never_written_through(
    tmp_path: Path, data: bytes
) -> None:
    """The build before last shares unchanged files with the output (hard links): writing
    over one in place would change the live site before the swap, and leave the kept copy
    disagreeing with its manifest. A file of its own may be written over (it is faster)."""
    out = tmp_path / "dist"
    previous_build(out, [("shared.html", b"the live page"), ("own.html", b"an older page")])
    out.mkdir()
    os.link(previous_path(out) / "shared.html", out / "shared.html")
    (out / "own.html").write_bytes(b"the live version")  # another inode, as a rewritten page
    staging = Staging(out)
    for relative in ("shared.html", "own.html"):
        staging.write(relative, data)
    assert (out / "shared.html").read_bytes() == b"the live page"
    assert (out / "own.html").read_bytes() == b"the live version"
    found = files(staging.path)
    found.pop(MANIFEST, None)
    assert found == {"shared.html": data, "own.html": data}
    assert (staging.path / "shared.html").stat().st_ino != (out / "shared.html").stat().st_ino
