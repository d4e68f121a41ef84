"""Bad content: every problem is reported as path:line with a fix, the build exits 1,
and the previous output is left exactly as it was."""

from __future__ import annotations

from pathlib import Path

import pytest

from dateline.cli import main
from tests.conftest import MakeSite, article_md

GOOD = article_md("A good bulletin", "2018-07-06", "San Salvador – A good lead.")


def run_build(root: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(["build", "--site", str(root)])
    captured = capsys.readouterr()
    return code, captured.err


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        ("yaml.md", "---\ntitle: A\ndate: 2018-07-06\nthemes: [Health\n---\nBody\n", "content/yaml.md:4: error: the front matter is not valid YAML"),
        ("nodate.md", "---\ntitle: A\n---\nBody\n", "content/nodate.md:1: error: the 'date' is missing"),
        ("baddate.md", "---\ntitle: A\n\ndate: July 2018\n---\nBody\n", "content/baddate.md:4: error: invalid date 'July 2018'"),
        ("impossible.md", "---\ntitle: A\ndate: 31 February 2019\n---\nBody\n", "content/impossible.md:3: error: invalid date '31 February 2019'"),
        ("notitle.md", "---\ndate: 2018-07-06\n---\nBody\n", "content/notitle.md:1: error: the 'title' is missing"),
        ("country.md", "---\ntitle: A\ndate: 2018-07-06\ncountry: Hondras\n---\nBody\n", "content/country.md:4: error: unknown country 'Hondras' (hint: did you mean Honduras"),
        ("nofm.md", "Just text\n", "content/nofm.md:1: error: the file does not start with front matter"),
        ("list.md", "---\n- a\n- b\n---\nBody\n", "content/list.md:2: error: the front matter must be a list of 'key: value' lines"),
        ("themes.md", "---\ntitle: A\ndate: 2018-07-06\nthemes: 5\n---\nBody\n", "content/themes.md:4: error: 'themes' must be a list of texts"),
        ("datelist.md", "---\ntitle: A\ndate: [1]\n---\nBody\n", "content/datelist.md:3: error: 'date' must be a date such as 2018-07-06"),
        ("digest.txt", "A title without a date\n\nThe lead.\n\n6 July, 2018\n\nDated title\n\nLead.\n", "content/digest.txt:1: error: this entry has no date line"),
    ],
)  # fmt: skip
def test_bad_content_is_reported_with_path_and_line(
    make_site: MakeSite, capsys: pytest.CaptureFixture[str], name: str, text: str, expected: str
) -> None:
    """Each kind of bad input gives one precise message, exit status 1 and no traceback."""
    root = make_site({"content/good.md": GOOD, f"content/{name}": text})
    code, err = run_build(root, capsys)
    assert code == 1
    assert expected in err
    assert "Traceback" not in err


def test_non_utf8_file(make_site: MakeSite, capsys: pytest.CaptureFixture[str]) -> None:
    """A Latin-1 file names its first bad line and says how to fix it."""
    root = make_site({"content/good.md": GOOD})
    (root / "content/latin1.md").write_bytes(
        "---\ntitle: A\ndate: 2018-07-06\n---\nMéxico\n".encode("latin-1")
    )
    code, err = run_build(root, capsys)
    assert code == 1
    assert "content/latin1.md:5: error: the file is not UTF-8 text" in err


def test_same_url_names_both_files(make_site: MakeSite, capsys: pytest.CaptureFixture[str]) -> None:
    """Two bulletins whose titles make the same URL are both named."""
    root = make_site({
        "content/a.md": article_md("Floods in Guatemala", "2018-07-06"),
        "content/b.md": article_md("Floods in Guatemala!", "2018-07-06"),
    })  # fmt: skip
    code, err = run_build(root, capsys)
    assert code == 1
    assert (
        "content/a.md:1: error: two articles have the same URL /news/2018/07/06/floods-in-guatemala/"
        in err
    )
    assert "content/b.md:1" in err


def test_all_problems_reported_in_one_run(
    make_site: MakeSite, capsys: pytest.CaptureFixture[str]
) -> None:
    """Errors in several files are all listed, not only the first."""
    root = make_site({
        "content/a.md": "---\ntitle: A\n---\n",
        "content/b.md": "---\ndate: 2018-07-06\n---\n",
        "content/c.md": GOOD,
    })  # fmt: skip
    code, err = run_build(root, capsys)
    assert code == 1
    assert "content/a.md" in err
    assert "content/b.md" in err
    assert "2 errors" in err


def test_failed_build_leaves_previous_output(
    make_site: MakeSite, capsys: pytest.CaptureFixture[str]
) -> None:
    """A broken file after a good build leaves dist/ byte for byte as it was."""
    root = make_site({"content/good.md": GOOD})
    assert run_build(root, capsys)[0] == 0
    before = {p: p.read_bytes() for p in (root / "dist").rglob("*") if p.is_file()}
    (root / "content/bad.md").write_text("---\ntitle: [\n---\n", encoding="utf-8")
    assert run_build(root, capsys)[0] == 1
    after = {p: p.read_bytes() for p in (root / "dist").rglob("*") if p.is_file()}
    assert after == before


def test_template_error_points_at_template_line(
    make_site: MakeSite, capsys: pytest.CaptureFixture[str]
) -> None:
    """A broken site template is reported at its own file and line."""
    root = make_site({
        "content/good.md": GOOD,
        "templates/article.html": "{% extends 'base.html' %}\n{% block main %}\n{{ article.nope }}\n{% endblock %}\n",
    })  # fmt: skip
    code, err = run_build(root, capsys)
    assert code == 1
    assert "templates/article.html:3: error: template error" in err
    assert not (root / "dist").exists()


def test_unknown_config_key_suggests(
    make_site: MakeSite, capsys: pytest.CaptureFixture[str]
) -> None:
    """A typo in dateline.toml names the line and the intended key."""
    root = make_site({"content/good.md": GOOD, "dateline.toml": 'title = "x"\nper_pgae = 5\n'})
    code, err = run_build(root, capsys)
    assert code == 1
    assert (
        "dateline.toml:2: error: unknown config key 'per_pgae' (hint: did you mean 'per_page'?)"
        in err
    )


def test_wrong_config_type(make_site: MakeSite, capsys: pytest.CaptureFixture[str]) -> None:
    """A value of the wrong type is an error naming the key."""
    root = make_site({"content/good.md": GOOD, "dateline.toml": 'per_page = "ten"\n'})
    code, err = run_build(root, capsys)
    assert code == 1
    assert "dateline.toml:1: error: 'per_page' must be a whole number" in err


@pytest.mark.parametrize("out", [".", "content", "templates", "static", "/"])
def test_refuses_dangerous_output_folders(
    make_site: MakeSite, capsys: pytest.CaptureFixture[str], out: str
) -> None:
    """--out may not replace the site, its sources, or the file system root."""
    root = make_site({"content/good.md": GOOD, "static/x.css": "a{}", "templates/.keep": ""})
    target = out if out == "/" else str(root / out)
    code = main(["build", "--site", str(root), "--out", target])
    assert code == 1
    assert "refusing" in capsys.readouterr().err
    assert (root / "content/good.md").is_file()


def test_refuses_to_replace_foreign_folder(
    make_site: MakeSite, capsys: pytest.CaptureFixture[str]
) -> None:
    """A non-empty output folder dateline did not write is kept unless --force."""
    root = make_site({"content/good.md": GOOD, "dist/precious.txt": "keep me"})
    assert main(["build", "--site", str(root)]) == 1
    assert "did not write" in capsys.readouterr().err
    assert (root / "dist/precious.txt").read_text() == "keep me"
    assert main(["build", "--site", str(root), "--force"]) == 0


def test_redirect_onto_a_generated_file_names_the_article(
    make_site: MakeSite, capsys: pytest.CaptureFixture[str]
) -> None:
    """A redirect_from that would overwrite the site feed is reported at the article's file."""
    root = make_site(
        {
            "content/moved.md": article_md(
                "Moved bulletin", "2018-07-06", "Text.", redirect_from="[/feed.xml]"
            )
        }
    )
    code, err = run_build(root, capsys)
    assert code == 1
    assert "content/moved.md:1: error: two pages would be written to /feed.xml" in err
