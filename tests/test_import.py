"""`dateline import`: digests become Markdown files that build into the very same articles."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from dateline.cli import main
from dateline.config import load_config
from dateline.content.loader import load_site
from dateline.content.markup import MarkdownRenderer, paragraphs_html
from dateline.importer import markdown_escape
from dateline.urls import slugify
from tests.conftest import NOW, REPO, SEED, MakeSite, RunCli, build, page

CONFIG = 'base_url = "https://example.org/"\ntimezone = "UTC"\n[themes]\n"Health" = ["health"]\n'


def listing(cli: RunCli, site: Path) -> list[dict[str, object]]:
    code, out, err = cli("list", "--json", "--site", site)
    assert code == 0, err
    rows: list[dict[str, object]] = json.loads(out)
    return rows


def without_source(rows: list[dict[str, object]]) -> list[dict[str, object]]:
    return [{k: v for k, v in row.items() if k != "source"} for row in rows]


def files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def test_seed_imports_to_the_same_articles(cli: RunCli, tmp_path: Path) -> None:
    """Importing the bundled digest and building gives the bundled site's articles, URLs and text."""
    site, direct_site = tmp_path / "site", tmp_path / "direct"
    for root in (site, direct_site):
        root.mkdir()
        shutil.copy(REPO / "dateline.toml", root)
    (direct_site / "content").mkdir()
    shutil.copy(SEED, direct_site / "content")
    code, _out, _ = cli("import", SEED, "--site", site)
    assert code == 0
    written = sorted(p.relative_to(site).as_posix() for p in (site / "content").rglob("*.md"))
    assert len(written) == 10
    assert all(p.startswith(("content/2018/06/", "content/2018/07/")) for p in written)
    imported, bundled = listing(cli, site), listing(cli, direct_site)
    assert len(bundled) == 10
    assert without_source(imported) == without_source(bundled)
    direct = load_site(load_config(direct_site)).articles
    again = load_site(load_config(site)).articles
    assert [(a.path, a.summary, a.body_html) for a in again] == [
        (a.path, a.summary, a.body_html) for a in direct
    ]


def test_reimport_writes_nothing_and_says_so(cli: RunCli, make_site: MakeSite) -> None:
    site = make_site({"dateline.toml": CONFIG})
    assert cli("import", SEED, "--site", site)[0] == 0
    before = files(site)
    code, out, _ = cli("import", SEED, "--site", site)
    assert code == 0
    assert "nothing new: 10 articles already imported" in out
    assert files(site) == before


def test_same_file_with_different_text_is_refused_unless_forced(
    cli: RunCli, make_site: MakeSite, tmp_path: Path
) -> None:
    site = make_site({"dateline.toml": CONFIG})
    digest = tmp_path / "digest.txt"
    digest.write_text("6 July, 2018\n\nA title\n\nSan Salvador – First text.\n", encoding="utf-8")
    assert cli("import", digest, "--site", site)[0] == 0
    target = site / "content/2018/07/06-a-title.md"
    digest.write_text("6 July, 2018\n\nA title\n\nSan Salvador – Edited text.\n", encoding="utf-8")
    code, out, err = cli("import", digest, "--site", site)
    assert code == 1
    assert "digest.txt:1: error: " in err
    assert "already exists with different text" in err
    assert "--force" in err
    assert "First text." in target.read_text(encoding="utf-8")
    assert "0 written, 0 skipped, 1 refused" in out
    assert cli("import", digest, "--site", site, "--force")[0] == 0
    assert "Edited text." in target.read_text(encoding="utf-8")


def test_dry_run_writes_nothing(cli: RunCli, make_site: MakeSite) -> None:
    site = make_site({"dateline.toml": CONFIG})
    before = files(site)
    code, out, _ = cli("import", SEED, "--site", site, "--dry-run")
    assert code == 0
    assert out.count("would write ") == 10
    assert files(site) == before


def test_undated_listing_is_an_error_unless_date_is_given(
    cli: RunCli, make_site: MakeSite, tmp_path: Path
) -> None:
    site = make_site({"dateline.toml": CONFIG})
    digest = tmp_path / "listing.txt"
    digest.write_text(
        "\nFirst bulletin\nSan Salvador – Its lead.\nSecond bulletin\nTegucigalpa – Its lead.\n",
        encoding="utf-8",
    )
    code, _, err = cli("import", digest, "--site", site)
    assert code == 1
    assert f"{digest.as_posix()}:2: error: this entry has no date line" in err
    assert "'First bulletin'" in err
    assert "--date" in err
    assert not (site / "content").exists()
    assert cli("import", digest, "--site", site, "--date", "3 de marzo de 2020")[0] == 0
    rows = listing(cli, site)
    assert [(r["title"], r["date"], r["countries"]) for r in rows] == [
        ("First bulletin", "2020-03-03T00:00:00+00:00", ["SV"]),
        ("Second bulletin", "2020-03-03T00:00:00+00:00", ["HN"]),
    ]


def test_web_page_article_with_values_yaml_would_misread(
    cli: RunCli, make_site: MakeSite, tmp_path: Path
) -> None:
    """A title 'Yes' and Norway's code NO survive the front matter as text."""
    site = make_site({"dateline.toml": CONFIG})
    digest = tmp_path / "page.txt"
    digest.write_text("Yes\nNorway\n9 February, 2018\nThe body.\n", encoding="utf-8")
    assert cli("import", digest, "--site", site)[0] == 0
    text = (site / "content/2018/02/09-yes.md").read_text(encoding="utf-8")
    assert "title: 'Yes'" in text
    assert "countries: ['NO']" in text
    assert [(r["title"], r["countries"]) for r in listing(cli, site)] == [("Yes", ["NO"])]


def test_html_and_markdown_in_a_digest_show_as_the_digest_text(
    cli: RunCli, make_site: MakeSite, tmp_path: Path
) -> None:
    site = make_site({"dateline.toml": CONFIG})
    lead = "San Salvador – <script>alert(1)</script> & *not bold* [not](a-link) `x` &amp; 1\\2"
    digest = tmp_path / "d.txt"
    digest.write_text(f"6 July, 2018\nA <b>title</b>\n{lead}\n# not a heading\n", encoding="utf-8")
    assert cli("import", digest, "--site", site)[0] == 0
    report = build(site)
    soup = page(report.out_dir, "/news/2018/07/06/a-b-title-b/")
    body = soup.select_one("article") or soup
    text = body.get_text(" ", strip=True)
    assert "<script>alert(1)</script> & *not bold* [not](a-link) `x` &amp; 1\\2" in text
    assert "# not a heading" in text
    assert soup.find("script", string="alert(1)") is None
    assert not body.select("em, code, h1 ~ h1, a[href='a-link']")


def test_digest_inside_the_content_folder_is_refused(cli: RunCli, make_site: MakeSite) -> None:
    site = make_site({"dateline.toml": CONFIG, "content/d.txt": "6 July, 2018\nA title\nLead.\n"})
    code, _, err = cli("import", site / "content/d.txt", "--site", site)
    assert code == 1
    assert "the site already has an article at /news/2018/07/06/a-title/" in err
    assert "move it out first" in err


def test_only_text_digests_are_imported(cli: RunCli, make_site: MakeSite, tmp_path: Path) -> None:
    site = make_site({"dateline.toml": CONFIG})
    (tmp_path / "a.md").write_text("# hi\n", encoding="utf-8")
    code, _, err = cli("import", tmp_path / "a.md", "--site", site)
    assert code == 1
    assert "reads plain-text digests (.txt files)" in err


@given(st.text(st.characters(codec="utf-8", exclude_categories=["Cs", "Cc"]), max_size=60))
def test_escaped_text_renders_as_the_text(text: str) -> None:
    """Any digest paragraph, escaped, renders exactly as the digest loader shows it."""
    rendered = MarkdownRenderer().convert(markdown_escape(text))
    expected = paragraphs_html([text]) if text.split() else ""
    assert rendered.replace("&#126;", "~").replace("&#58;", ":") == expected


# --- generated digests: import → list --json gives back exactly what was generated ---

ENGLISH = ["January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December"]  # fmt: skip
SPANISH = ["enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto",
           "septiembre", "octubre", "noviembre", "diciembre"]  # fmt: skip
DATE_STYLES = [
    lambda d: f"{d.day} {ENGLISH[d.month - 1]}, {d.year}",
    lambda d: f"{ENGLISH[d.month - 1]} {d.day}, {d.year}",
    lambda d: f"{d.day} {SPANISH[d.month - 1].capitalize()}, {d.year}",
    lambda d: f"{d.day} de {SPANISH[d.month - 1]} de {d.year}",
    lambda d: f"{d.day} DE {SPANISH[d.month - 1].upper()} DE {d.year}",
]
# (lead opening, expected place, expected country); the lead's own date is never the entry's
DATELINES = [
    ("San Salvador – ", "San Salvador", "SV"),
    ("Tapachula, Mexico, March 3, 2011. ", "Tapachula, Mexico", "MX"),
    ("San Pedro Sula, Honduras ", "San Pedro Sula, Honduras", "HN"),
    ("Santa Ana, May 2, 2019.- ", "Santa Ana", "SV"),
    ("Ciudad de Panamá 3 de mayo de 2011.- ", "Ciudad de Panamá", "PA"),
    ("October 2, Kingston - ", "Kingston", "JM"),
    ("", None, None),
]
WORD = st.text("abcdefgijklmnopqrstuvwxyz", min_size=2, max_size=9)
TITLE = st.tuples(
    st.lists(WORD, min_size=2, max_size=6),
    st.sampled_from(["", " - ", "´s ", "’s "]),
    WORD,
).map(lambda t: f"Zq{' '.join(t[0])}{t[1] or ' '}{t[2]}")
ENTRY = st.tuples(
    st.dates(dt.date(2000, 1, 1), dt.date(2025, 12, 31)),
    st.sampled_from(range(len(DATE_STYLES))),
    TITLE,
    st.sampled_from(DATELINES),
    st.booleans(),  # mentions health
    st.integers(1, 2),  # lead paragraphs
)
GAP = st.sampled_from(["\n", "\n\n", "\n\n\n"])


@settings(max_examples=60)
@given(
    st.lists(ENTRY, min_size=1, max_size=6, unique_by=lambda e: (e[0], slugify(e[2]))), st.data()
)
def test_generated_digests_import_to_exactly_their_records(
    entries: list[tuple[dt.date, int, str, tuple[str, str | None, str | None], bool, int]],
    data: st.DataObject,
) -> None:
    text, expected = "", []
    for day, style, title, (opening, place, country), health, paragraphs in entries:
        lead = f"{opening}The {'health ' if health else ''}programme met."
        for paragraph in [DATE_STYLES[style](day), title, lead, *["More text."] * (paragraphs - 1)]:
            text += paragraph + data.draw(GAP)
        expected.append(
            {
                "url": f"/news/{day:%Y/%m/%d}/{slugify(title)}/",
                "date": f"{day.isoformat()}T00:00:00+00:00",
                "title": title,
                "place": place,
                "countries": [country] if country else [],
                "themes": ["Health"] if health else [],
                "lang": "en",
                "draft": False,
            }
        )
    expected.sort(key=lambda r: (-dt.date.fromisoformat(str(r["date"])[:10]).toordinal(), r["url"]))
    with tempfile.TemporaryDirectory() as folder:
        site = Path(folder)
        (site / "dateline.toml").write_text(CONFIG, encoding="utf-8")
        (site / "digest.txt").write_text(text, encoding="utf-8")
        assert main(["import", str(site / "digest.txt"), "--site", str(site)]) == 0
        from dateline.listing import list_articles

        rows, problems = list_articles(load_config(site), now=NOW, drafts=True)
    assert [d for d in problems if d.is_error] == []
    assert without_source(rows) == expected
