"""Shared fixtures: tiny inline sites built per test, and helpers to read their output."""

from __future__ import annotations

import datetime as dt
import os
import textwrap
import time
from collections.abc import Callable, Mapping
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from hypothesis import settings

from dateline.build import BuildReport, build_site

REPO = Path(__file__).resolve().parents[1]
SEED = REPO / "tests" / "fixtures" / "seed-digest.txt"  # the seed bulletins as one digest
NOW = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
TEST_BASE_URL = "https://example.org/"

# 500 examples per property in CI (the fuzzers of untrusted text set their own thousands in
# test_fuzz.py); at 1000 the slowest property (JSON-LD escaping) alone took 20 s of CI.
settings.register_profile("ci", max_examples=500, deadline=None, derandomize=True)
settings.register_profile("dev", max_examples=150, deadline=None)
settings.load_profile("ci" if os.environ.get("CI") == "true" else "dev")

MakeSite = Callable[[Mapping[str, str]], Path]


@pytest.fixture
def make_site(tmp_path: Path) -> MakeSite:
    """Write a site from {relative path: text} (text is dedented) and return its root.

    A site given no dateline.toml gets one setting only base_url (TEST_BASE_URL),
    because feeds, sitemaps and canonical links make an absolute base_url required.
    """

    def make(files: Mapping[str, str]) -> Path:
        root = tmp_path / "site"
        root.mkdir(exist_ok=True)
        if "dateline.toml" not in files and not (root / "dateline.toml").exists():
            (root / "dateline.toml").write_text(f'base_url = "{TEST_BASE_URL}"\n', encoding="utf-8")
        for relative, text in files.items():
            path = root / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
        return root

    return make


def build(root: Path, **kwargs: object) -> BuildReport:
    """Build with the fixed test clock."""
    return build_site(root, now=NOW, **kwargs)  # type: ignore[arg-type]


def page(out: Path, path: str) -> BeautifulSoup:
    """Parse the HTML page served at site path `path` of a built site."""
    file = out / path.lstrip("/")
    if path.endswith("/"):
        file = file / "index.html"
    return BeautifulSoup(file.read_text(encoding="utf-8"), "html.parser")


def article_md(title: str, date: str, body: str = "Body text.", **fields: object) -> str:
    """A Markdown bulletin with front matter."""
    lines = [
        "---",
        f"title: {title!r}".replace("'", '"') if '"' not in title else f"title: '{title}'",
        f"date: {date}",
    ]
    for key, value in fields.items():
        lines.append(f"{key}: {value}")
    lines += ["---", "", body, ""]
    return "\n".join(lines)


RunCli = Callable[..., tuple[int, str, str]]


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> RunCli:
    """Run `dateline ARGV…` with the fixed test clock; returns (exit status, stdout, stderr)."""
    from dateline.cli import main

    monkeypatch.setattr("dateline.cli.now", lambda: NOW)

    def run(*argv: str | Path) -> tuple[int, str, str]:
        code = main([str(a) for a in argv])
        out, err = capsys.readouterr()
        return code, out, err

    return run


def age(root: Path) -> None:
    """Date every file of the site a minute back. Files written just now are never stamped,
    and no plan is kept while the templates or config are that new (stamp.py, snapshot.py):
    they could change again within the file system's timestamp granularity."""
    past = time.time() - 60
    for path in [root, *root.rglob("*")]:
        os.utime(path, (past, past))


def count_calls(
    monkeypatch: pytest.MonkeyPatch,
    owner: object,
    name: str,
    counts: Callable[[dict[str, object]], bool] = lambda kwargs: True,
) -> list[int]:
    """Replace `owner.name` by a wrapper that appends to the returned list on each call
    whose keyword arguments `counts` accepts."""
    calls: list[int] = []
    real = getattr(owner, name)

    def counting(*args: object, **kwargs: object) -> object:
        if counts(kwargs):
            calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(owner, name, counting)
    return calls
