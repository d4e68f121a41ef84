"""The bad-input corpus: one folder per kind of bad input in tests/bad/, each with its verdict.

Every case builds a good site first, adds its files (`site/`, or made by a generator here
when they are too big or too odd for git: 10 MB, symlinks, emoji names), builds again with
the real command line and checks: the exit status, every expected `path:line` message, no
traceback, and then either the previous dist/ untouched (errors) or the pages it must have.
Big cases use their full size in CI and a tenth of it locally.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from dateline.cli import main
from tests.conftest import article_md, page

CORPUS = Path(__file__).parent / "bad"
CASES = sorted(p.name for p in CORPUS.iterdir() if (p / "case.toml").is_file())
SCALE = 1 if os.environ.get("CI") == "true" else 10
BASE_CONFIG = 'title = "Corpus"\nbase_url = "https://example.org/"\n'
GOOD = article_md("A good bulletin", "2018-07-06", "San Salvador – A good lead.", country="SV")


def ten_megabytes(root: Path) -> None:
    paragraph = "San Salvador – A paragraph of a bulletin that someone pasted far too often. " * 10
    body = "\n\n".join([paragraph] * (10_000_000 // (len(paragraph) + 2) + 1))
    text = article_md("A pasted report", "2018-07-07", body, country="SV")
    (root / "content/huge.md").write_text(text[:10_000_000], encoding="utf-8")


def megabyte_line(root: Path) -> None:
    line = "San Salvador – " + "word " * 200_000
    (root / "content/long.md").write_text(
        article_md("One very long line", "2018-07-07", line, country="SV"), encoding="utf-8"
    )
    (root / "content/long.txt").write_text(
        f"8 July, 2018\n\nA digest with a long lead\n\n{line}\n", encoding="utf-8"
    )


def symlink_loop(root: Path) -> None:
    loop = root / "content/loop"
    loop.mkdir()
    (loop / "inside.md").write_text(article_md("Inside the loop", "2018-07-07"), encoding="utf-8")
    (loop / "again").symlink_to("..", target_is_directory=True)


def symlink_outside(root: Path) -> None:
    outside = root.parent / "outside"
    outside.mkdir()
    secret = article_md("Outside the site", "2018-07-07", "A private note.", country="SV")
    (outside / "secret.md").write_text(secret, encoding="utf-8")
    (root / "content/elsewhere").symlink_to(outside, target_is_directory=True)
    (root / "content/secret.md").symlink_to(outside / "secret.md")


def odd_names(root: Path) -> None:
    names = {
        "spaces in the name.md": "Spaces in the name",
        "acentos en el nombre – Panamá.md": "Accents in the name",
        "emoji 🌎📰.md": "Emoji in the name",
        "signs #1 ?2 %20 100%.md": "Signs in the name",
    }
    for name, title in names.items():
        (root / "content" / name).write_text(
            article_md(title, "2018-07-07", country="SV"), encoding="utf-8"
        )


def one_date(root: Path) -> None:
    count = 10_000 // SCALE
    (root / "dateline.toml").write_text(BASE_CONFIG + "per_page = 100\n", encoding="utf-8")
    (root / "content/day.txt").write_text(
        "".join(
            f"6 July, 2018\n\nBulletin {n} of a busy day\n\nSan Salvador – Lead {n}.\n\n"
            for n in range(count)
        ),
        encoding="utf-8",
    )


def one_theme(root: Path) -> None:
    count = 5_000 // SCALE
    (root / "dateline.toml").write_text(
        BASE_CONFIG + 'per_page = 50\n[themes]\nHealth = ["health"]\n', encoding="utf-8"
    )
    (root / "content/theme.txt").write_text(
        "".join(
            f"{n % 28 + 1} {('June', 'July', 'August')[n % 3]}, 2018\n\n"
            f"Health bulletin {n}\n\nTegucigalpa – Lead {n} on migrant health.\n\n"
            for n in range(count)
        ),
        encoding="utf-8",
    )


GENERATORS: dict[str, Callable[[Path], None]] = {
    f.__name__: f
    for f in (ten_megabytes, megabyte_line, symlink_loop, symlink_outside, odd_names, one_date, one_theme)
}  # fmt: skip


def snapshot(out: Path) -> dict[str, str]:
    return {
        p.relative_to(out).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(out.rglob("*"))
        if p.is_file()
    }


def listed_articles(out: Path, first: str) -> list[str]:
    """Follow a listing's 'next' links from its first page; every article link on the way."""
    found: list[str] = []
    path: str | None = first
    seen: set[str] = set()
    while path is not None and path not in seen:
        seen.add(path)
        soup = page(out, path)
        found += [str(a["href"]) for a in soup.select("main .card-title a")]
        nxt = soup.select_one("nav.pagination a[rel=next]")
        path = str(nxt["href"]) if nxt else None
    return found


def article_pages(out: Path) -> set[str]:
    return {
        "/" + p.parent.relative_to(out).as_posix() + "/" for p in (out / "news").glob("*/*/*/*/index.html")
    }  # fmt: skip


@pytest.mark.parametrize("name", CASES)
def test_bad_input(name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Each case: the documented verdict, its messages, no traceback, nothing lost."""
    case: dict[str, Any] = tomllib.loads((CORPUS / name / "case.toml").read_text("utf-8"))
    root = tmp_path / "site"
    (root / "content").mkdir(parents=True)
    (root / "dateline.toml").write_text(BASE_CONFIG, encoding="utf-8")
    (root / "content/good.md").write_text(GOOD, encoding="utf-8")
    assert main(["build", "--site", str(root)]) == 0
    capsys.readouterr()
    before = snapshot(root / "dist")

    if (CORPUS / name / "site").is_dir():
        shutil.copytree(CORPUS / name / "site", root, dirs_exist_ok=True, symlinks=True)
    if "generate" in case:
        GENERATORS[case["generate"]](root)
    status = main(["build", "--site", str(root)])
    err = capsys.readouterr().err

    assert "Traceback" not in err
    assert status == case["status"], err
    for expected in case["expect"]:
        assert expected in err, f"{name}: missing {expected!r} in\n{err}"
    if case["verdict"] == "error":
        assert f"{len(case['expect'])} error" in err or len(case["expect"]) > 1
        assert snapshot(root / "dist") == before, "a failed build changed dist/"
        return
    if case["verdict"] == "fine":
        assert " error" not in err, err
        assert "warning:" not in err, err
    out = root / "dist"
    for path in case.get("pages", []):
        assert page(out, path).select_one("h1.story-title") is not None, path
    html = "".join(p.read_text("utf-8") for p in out.rglob("*.html"))
    for text in case.get("absent", []):
        assert text not in html
    for key in ("listing", "listing_also"):
        if key in case:
            listed = listed_articles(out, case[key])
            assert len(listed) == len(set(listed)), "an article is listed twice"
            assert set(listed) <= article_pages(out)
            prefix = case["slug_prefix"]
            ours = [p for p in listed if p.split("/")[-2].startswith(prefix)]
            assert set(ours) == {
                p for p in article_pages(out) if p.split("/")[-2].startswith(prefix)
            }
            assert len(ours) * SCALE == case["articles"]
