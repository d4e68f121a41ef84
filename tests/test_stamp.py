"""The no-change short cut (stamp.py): an unchanged site answers at once, any change builds.

A build is observed to take the short cut when the pipeline does not run (its render
and write stage, which both a planned and a restored build run: snapshot.py); every
change a user can make must run it and show up in the output.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

import dateline.build
from dateline.report import BuildReport
from tests.conftest import NOW, MakeSite, RunCli, age, article_md, build, count_calls, page

HOUR = dt.timedelta(hours=1)


@pytest.fixture
def plans(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts the builds that ran the pipeline (the short cut does not)."""
    return count_calls(monkeypatch, dateline.build, "_render_and_write")


@pytest.fixture
def site(make_site: MakeSite) -> Path:
    root = make_site(
        {
            "content/a.md": article_md("Health fair", "2025-03-01", "Body A.", country="SV"),
            "content/b.md": article_md("Border post opens", "2025-03-02", "Body B."),  # no country
        }
    )
    build(root)
    age(root)
    build(root)  # the first build's inputs were new: this one writes the stamp
    return root


def test_an_unchanged_site_repeats_the_last_report(site: Path, plans: list[int]) -> None:
    first = build(site, use_cache=False)
    again = build(site)
    assert plans == [1]  # only the --no-cache build planned
    assert again.written == ()
    assert again.removed == ()
    assert again.unchanged == first.unchanged + len(first.written)
    assert (again.articles, again.pages) == (first.articles, first.pages)
    assert [str(d) for d in again.diagnostics] == [str(d) for d in first.diagnostics]
    assert any("no country found" in d.message for d in again.diagnostics)


def _edit_body(root: Path) -> str:
    path = root / "content/a.md"
    path.write_text(path.read_text(encoding="utf-8") + "\nA correction.\n", encoding="utf-8")
    return "A correction."


def _touch(root: Path) -> str:
    os.utime(root / "content/a.md")  # same bytes, new mtime: the build must look
    return "Body A."


def _add_article(root: Path) -> str:
    (root / "content/c.md").write_text(article_md("Floods in the north", "2025-03-03"), "utf-8")
    return "Floods in the north"


def _config(root: Path) -> str:
    with (root / "dateline.toml").open("a", encoding="utf-8") as handle:
        handle.write('title = "Renamed Bulletins"\n')
    return "Renamed Bulletins"


def _template(root: Path) -> str:
    (root / "templates/partials").mkdir(parents=True)
    (root / "templates/partials/card.html").write_text(
        '<article class="card">{{ article.title }} (own card)</article>', "utf-8"
    )
    return "(own card)"


CHANGES: dict[str, Callable[[Path], str]] = {
    "body": _edit_body, "touch": _touch, "new article": _add_article, "config": _config,
    "template": _template,
}  # fmt: skip


@pytest.mark.parametrize("change", sorted(CHANGES))
def test_any_changed_input_builds_again(site: Path, plans: list[int], change: str) -> None:
    shown = CHANGES[change](site)
    build(site)
    assert plans == [1]
    home = (
        page(site / "dist", "/").get_text()
        + page(site / "dist", "/news/2025/03/01/health-fair/").get_text()
    )
    assert shown in home


def test_a_new_static_file_is_published(site: Path, plans: list[int]) -> None:
    (site / "static").mkdir()
    (site / "static/logo.svg").write_text("<svg/>", "utf-8")
    build(site)
    assert plans == [1]
    assert (site / "dist/static/logo.svg").read_text("utf-8") == "<svg/>"


def test_a_removed_output_file_is_written_again(site: Path, plans: list[int]) -> None:
    (site / "dist/index.html").unlink()
    report = build(site)
    assert plans == [1]
    assert "index.html" in report.written
    assert (site / "dist/index.html").is_file()


def test_other_options_build_again(site: Path, plans: list[int]) -> None:
    build(site, overrides={"base_url": "https://news.example.net/"})
    assert "https://news.example.net/" in (site / "dist/index.html").read_text("utf-8")
    build(site, search=False)
    build(site, out_dir=site / "elsewhere")
    assert plans == [1, 1, 1]


def test_a_held_back_article_appears_when_its_date_passes(
    make_site: MakeSite, plans: list[int]
) -> None:
    due = NOW + 24 * HOUR
    root = make_site({
        "content/a.md": article_md("Health fair", "2025-03-01", country="SV"),
        "content/later.md": article_md("Embargoed report", due.date().isoformat(), country="SV"),
    })  # fmt: skip
    build(root)
    age(root)
    build(root)
    plans.clear()
    held: BuildReport = build(root)
    assert plans == []
    assert held.articles == 1
    due_report = dateline.build.build_site(root, now=due + 12 * HOUR)
    assert plans == [1]
    assert due_report.articles == 2
    assert "Embargoed report" in page(root / "dist", "/").get_text()


def test_cli_answers_without_loading_the_pipeline(site: Path, cli: RunCli) -> None:
    """The short cut runs before Jinja, Markdown and Babel are imported (that is its speed)."""
    code = (
        "import sys; from dateline.cli import main; "
        f"status = main(['build', '--site', {str(site)!r}]); "
        "print(status, 'jinja2' in sys.modules, 'markdown' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.splitlines()[-1] == "0 False False"
    assert "0 written" in done.stdout
    assert "no country found for 'Border post opens'" in done.stderr
    status, _out, err = cli("build", "--site", site, "--strict")
    assert status == 1
    assert "--strict: 0 errors, 1 warning" in err
