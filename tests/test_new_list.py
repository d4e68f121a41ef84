"""`dateline new` writes a complete, loadable bulletin; `dateline list` shows what the loader sees."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import MakeSite, RunCli, article_md, build, page

CONFIG = 'base_url = "https://example.org/"\ntimezone = "America/El_Salvador"\n[themes]\n"Health" = ["health"]\n'


def rows(cli: RunCli, site: Path, *extra: str) -> list[dict[str, object]]:
    code, out, err = cli("list", "--json", "--site", site, *extra)
    assert code == 0, err
    found: list[dict[str, object]] = json.loads(out)
    return found


def test_new_creates_a_draft_that_loads_and_builds(cli: RunCli, make_site: MakeSite) -> None:
    site = make_site({"dateline.toml": CONFIG})
    code, out, _ = cli(
        "new", "IOM´s clinic: NO more waiting", "--site", site,
        "--country", "Norway", "--country", "sv", "--theme", "health",
        "--place", "San Salvador", "--date", "3 de marzo de 2020",
    )  # fmt: skip
    assert code == 0
    path = site / "content/2020/03/03-ioms-clinic-no-more-waiting.md"
    assert f"created {path.as_posix()}" in out
    assert path.is_file()
    assert rows(cli, site) == []  # a draft stays off the site…
    (listed,) = rows(cli, site, "--drafts")  # …until it is published
    assert {k: v for k, v in listed.items() if k != "source"} == {
        "url": "/news/2020/03/03/ioms-clinic-no-more-waiting/",
        "date": "2020-03-03T00:00:00-06:00",
        "title": "IOM´s clinic: NO more waiting",
        "place": "San Salvador",
        "countries": ["NO", "SV"],
        "themes": ["Health"],
        "lang": "en",
        "draft": True,
    }
    path.write_text(
        path.read_text(encoding="utf-8").replace("draft: true", "draft: false"), encoding="utf-8"
    )
    soup = page(build(site).out_dir, "/news/2020/03/03/ioms-clinic-no-more-waiting/")
    heading = soup.find("h1")
    assert heading is not None
    assert heading.get_text(strip=True) == "IOM´s clinic: NO more waiting"


def test_new_dates_today_from_the_clock_in_the_sites_time_zone(
    cli: RunCli, make_site: MakeSite
) -> None:
    """NOW is 2026-01-01 00:00 UTC: still 31 December 2025 in El Salvador."""
    site = make_site({"dateline.toml": CONFIG})
    assert cli("new", "Year end", "--site", site)[0] == 0
    assert (site / "content/2025/12/31-year-end.md").is_file()


def test_new_refuses_to_overwrite_and_numbers_a_taken_url(cli: RunCli, make_site: MakeSite) -> None:
    site = make_site(
        {
            "dateline.toml": CONFIG,
            "content/old.txt": "5 July, 2018\nSame title\nSan Salvador – Text.\n",
        }
    )
    assert cli("new", "Same title", "--site", site, "--date", "2018-07-05")[0] == 0
    second = site / "content/2018/07/05-same-title-2.md"
    assert "slug: same-title-2" in second.read_text(encoding="utf-8")
    before = second.read_bytes()
    second.write_text("edited by hand", encoding="utf-8")
    code, _, err = cli("new", "Same title", "--site", site, "--date", "2018-07-05")
    assert code == 1
    assert "already exists; it was left as it was" in err
    assert second.read_text(encoding="utf-8") == "edited by hand"
    assert before != b"edited by hand"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--country", "Atlantis"], "unknown country 'Atlantis'"),
        (["--date", "July 2018"], "the day is missing"),
        (["--date", "today"], "depends on the day the site is built"),
    ],
)
def test_new_explains_bad_input(
    cli: RunCli, make_site: MakeSite, argv: list[str], message: str
) -> None:
    site = make_site({"dateline.toml": CONFIG})
    code, _, err = cli("new", "A title", "--site", site, *argv)
    assert code in (1, 2)
    assert message in err
    assert not (site / "content").exists()


def test_new_warns_about_an_unknown_theme(cli: RunCli, make_site: MakeSite) -> None:
    site = make_site({"dateline.toml": CONFIG})
    code, _, err = cli("new", "A title", "--site", site, "--theme", "Helth")
    assert code == 0
    assert "'Helth' is not a theme of the site (hint: did you mean 'Health'?)" in err


def test_list_is_newest_first_and_hides_drafts_and_future(cli: RunCli, make_site: MakeSite) -> None:
    site = make_site(
        {
            "dateline.toml": CONFIG,
            "content/a.md": article_md(
                "Older", "2018-07-01", "San Salvador – A.", themes="[Health]"
            ),
            "content/b.txt": "6 July, 2018\n\nNewer\n\nTegucigalpa – B.\n",
            "content/c.md": article_md("Hidden", "2018-07-09", "C.", draft="true"),
            "content/d.md": article_md("Later", "2030-01-01", "D."),
        }
    )
    listed = rows(cli, site)
    assert [(r["source"], r["title"], r["date"]) for r in listed] == [
        ("content/b.txt:1", "Newer", "2018-07-06T00:00:00-06:00"),
        ("content/a.md:1", "Older", "2018-07-01T00:00:00-06:00"),
    ]
    assert [r["title"] for r in rows(cli, site, "--drafts")] == [
        "Later",
        "Hidden",
        "Newer",
        "Older",
    ]
    code, out, _ = cli("list", "--site", site)
    assert code == 0
    header, first, second = out.splitlines()
    assert header.split("\t") == [
        "source", "url", "date", "title", "place", "countries", "themes", "lang", "draft",
    ]  # fmt: skip
    assert first.split("\t") == [
        "content/b.txt:1", "/news/2018/07/06/newer/", "2018-07-06", "Newer", "Tegucigalpa", "HN", "", "en", "",
    ]  # fmt: skip
    assert second.split("\t")[4:7] == ["San Salvador", "SV", "Health"]


def test_list_reports_content_errors(cli: RunCli, make_site: MakeSite) -> None:
    site = make_site(
        {"dateline.toml": CONFIG, "content/x.txt": "Undated title\nLead.\nOther\nLead.\n"}
    )
    code, out, err = cli("list", "--json", "--site", site)
    assert code == 1
    assert json.loads(out) == []
    assert "content/x.txt:1: error: this entry has no date line" in err
