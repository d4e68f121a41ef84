"""The output's path check and manifest, each made faster, against the plain definitions."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dateline.urls import UnsafePathError
from dateline.write import check_relative, manifest_bytes, read_manifest


def unsafe(relative: str) -> bool:
    """The rule, spelled out: what could leave the output folder or mean another file."""
    parts = relative.split("/")
    return (
        not relative
        or relative.startswith("/")
        or "\\" in relative
        or "\0" in relative
        or ":" in parts[0]
        or any(part in ("", ".", "..") for part in parts)
    )


# Paths built from the pieces that matter, so that "..", "//", "C:" and friends turn up often.
PIECES = st.sampled_from(["a", "é", ".", "..", "...", ".a", "a.", "", "/", "\\", "\0", ":", "\n"])
PATHS = st.lists(PIECES, max_size=8).map("".join) | st.text(max_size=12)


@given(PATHS)
def test_check_relative_refuses_exactly_the_unsafe_paths(relative: str) -> None:
    if unsafe(relative):
        with pytest.raises(UnsafePathError):
            check_relative(relative)
    else:
        assert check_relative(relative) == relative.split("/")


@pytest.mark.parametrize(
    "relative", ["", "/etc/passwd", "a/../../b", "a//b", "./a", "a/.", "a/", "C:/x", "a\\b", "a\0"]
)
def test_check_relative_refuses_escapes(relative: str) -> None:
    with pytest.raises(UnsafePathError):
        check_relative(relative)


NAMES = st.text(st.characters(codec="utf-8"), min_size=1, max_size=10)


@given(st.dictionaries(NAMES, st.text(max_size=5)), st.dictionaries(NAMES, st.text(max_size=5)))
def test_the_manifest_is_json_with_one_file_per_line(
    files: dict[str, str], extra: dict[str, str]
) -> None:
    content = {"version": 1, "files": dict(sorted(files.items())), "extra": extra}
    assert manifest_bytes(files, extra) == (json.dumps(content, indent=0) + "\n").encode()


def test_a_written_manifest_reads_back(tmp_path: Path) -> None:
    out = tmp_path / "dist"
    (out / ".dateline").mkdir(parents=True)
    files = {"b/index.html": "2" * 64, "a/index.html": "1" * 64}
    (out / ".dateline/manifest.json").write_bytes(manifest_bytes(files, {}))
    assert read_manifest(out) == files
