"""`dateline check`: every problem, in memory, with path:line; each warning fires and stays quiet."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import dateline.build
import dateline.check
from dateline.check import check_site
from dateline.errors import Diagnostic
from tests.conftest import NOW, MakeSite, RunCli, article_md, count_calls

CONFIG = 'base_url = "https://example.org/"\ntimezone = "UTC"\n[themes]\n"Health" = ["health"]\n'
GOOD = {
    "dateline.toml": CONFIG,
    "content/a.md": article_md(
        "Clinic opens",
        "2018-07-06",
        "San Salvador – A clinic opened.\n\nSee [the other](../../05/other-news/), "
        "[all countries](https://example.org/countries/), [a site](https://iom.int/x) "
        "and ![logo](/static/logo.png).",
        country="SV",
        themes="[Health]",
    ),
    "content/b.md": article_md("Other news", "2018-07-05", "Tegucigalpa – Text.", country="HN"),
    "content/c.txt": "4 July, 2018\n\nA digest bulletin\n\nSanta Ana – Its lead.\n",
    "static/logo.png": "not really a png",
}


def problems(site: Path) -> list[Diagnostic]:
    return list(check_site(site, now=NOW).diagnostics)


def snapshot(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def test_good_content_has_no_problem_and_nothing_is_written(make_site: MakeSite) -> None:
    """Every warning below stays silent on this site, and check writes no file."""
    site = make_site(GOOD)
    before = snapshot(site)
    report = check_site(site, now=NOW)
    assert report.diagnostics == ()
    assert report.articles == 3
    assert report.pages > 3
    assert snapshot(site) == before


def test_check_loads_the_site_once(make_site: MakeSite, monkeypatch: pytest.MonkeyPatch) -> None:
    """Its content warnings and the plan share one load: converting every body twice
    doubled the time `check` takes on a big archive."""
    by_check = count_calls(monkeypatch, dateline.check, "load_site")
    by_plan = count_calls(monkeypatch, dateline.build, "load_site")
    report = check_site(make_site(GOOD), now=NOW)
    assert report.diagnostics == ()
    assert len(by_check) + len(by_plan) == 1


@pytest.mark.parametrize(
    ("files", "where", "message"),
    [
        pytest.param(
            {"content/a.md": article_md("Clinic opens", "2018-07-06", "A clinic opened.")},
            "content/a.md:1",
            "no country found for 'Clinic opens'",
            id="no-country",
        ),
        pytest.param(
            {
                "content/a.md": article_md(
                    "Clinic opens", "2018-07-06", "San Salvadr – Text.", country="MX"
                )
            },
            "content/a.md:1",
            "the place 'San Salvadr' is not in the gazetteer (hint: did you mean San Salvador, ",
            id="unknown-place",
        ),
        pytest.param(
            {
                "content/a.md": article_md(
                    "Clinic opens", "2018-07-06", "San Salvador – Text.", themes="[Helth]"
                )
            },
            "content/a.md:1",
            "unknown theme 'Helth' (hint: did you mean 'Health'?)",
            id="unknown-theme",
        ),
        pytest.param(
            {"content/a.md": article_md("Clinic opens", "2018-07-06", "", country="SV")},
            "content/a.md:1",
            "'Clinic opens' has no text",
            id="empty-body",
        ),
        pytest.param(
            {
                "content/a.md": article_md(
                    "Clinic opens", "2018-07-06", "San Salvador – Text.", summary="word " * 70
                )
            },
            "content/a.md:1",
            "the summary has 349 characters (more than 300)",
            id="long-summary",
        ),
        pytest.param(
            {
                "content/d.md": article_md(
                    "Other news", "2018-07-05", "Tegucigalpa – Again.", country="HN", slug="other-2"
                )
            },
            "content/d.md:1",
            "the same title on the same date as content/b.md:1: 'Other news'",
            id="same-title-same-date",
        ),
        pytest.param(
            {"content/a.md": article_md("Clinic opens", "2030-07-06", "San Salvador – Text.")},
            "content/a.md:1",
            "dated in the future (2030-07-06)",
            id="future-date",
        ),
        pytest.param(
            {
                "content/a.md": article_md(
                    "Clinic opens",
                    "2018-07-06",
                    "San Salvador – Text.\n\nSee [it](/news/2018/07/07/missing/).",
                )
            },
            "content/a.md:8",
            "the link '/news/2018/07/07/missing/' points to /news/2018/07/07/missing/, which the site does not have",
            id="missing-page",
        ),
        pytest.param(
            {
                "content/a.md": article_md(
                    "Clinic opens",
                    "2018-07-06",
                    "San Salvador – Text.\n\n![x](../../../../../static/gone.png)",
                )
            },
            "content/a.md:8",
            "the image '../../../../../static/gone.png' points to /static/gone.png, which the site does not have",
            id="missing-image",
        ),
    ],
)
def test_each_warning_fires(
    make_site: MakeSite, files: dict[str, str], where: str, message: str
) -> None:
    site = make_site({**GOOD, **files})
    found = problems(site)
    assert [str(d) for d in found if message in str(d)], [str(d) for d in found]
    assert all(not d.is_error for d in found)
    assert [str(d.location) for d in found if message in str(d)] == [where]


BILINGUAL = CONFIG.replace('timezone = "UTC"', 'timezone = "UTC"\nlanguages = ["en", "es"]')
SPANISH_B = article_md(
    "Otras noticias", "2018-07-05", "Tegucigalpa – Texto.", country="HN", lang="es"
)


def test_unpaired_translation_fires(make_site: MakeSite) -> None:
    """Same date and country in two languages, no translation_key: check suggests pairing them."""
    site = make_site({**GOOD, "dateline.toml": BILINGUAL, "content/es/b.md": SPANISH_B})
    found = [str(d) for d in problems(site) if "may be a translation of" in str(d)]
    assert found
    assert all("translation_key" in d for d in found)
    assert any(d.startswith("content/es/b.md:1: warning: 'Otras noticias' (es)") for d in found)


def test_paired_translation_is_silent(make_site: MakeSite) -> None:
    """Once both versions share a translation_key, the warning goes away."""
    english = GOOD["content/b.md"].replace("---\n\n", "translation_key: other\n---\n\n", 1)
    spanish = SPANISH_B.replace("---\n\n", "translation_key: other\n---\n\n", 1)
    site = make_site(
        {**GOOD, "dateline.toml": BILINGUAL, "content/b.md": english, "content/es/b.md": spanish}
    )
    assert not [d for d in problems(site) if "may be a translation of" in str(d)]


def test_link_outside_the_sites_base_path(make_site: MakeSite) -> None:
    """With base_url …/archive/, a root link '/news/…' would leave the site once hosted."""
    config = CONFIG.replace("https://example.org/", "https://example.org/archive/")
    body = "San Salvador – Text.\n\n[b](/news/2018/07/05/other-news/) [ok](/archive/news/2018/07/05/other-news/)"
    site = make_site(
        {
            **GOOD,
            "dateline.toml": config,
            "content/a.md": article_md("Clinic opens", "2018-07-06", body, country="SV"),
        }
    )
    assert [d.message for d in problems(site)] == [
        "the link '/news/2018/07/05/other-news/' leaves the site (it lives under /archive/)"
    ]


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        pytest.param(
            {"content/e.md": "---\ndate: 2018-07-01\n---\nText.\n"},
            "content/e.md:1: error: the 'title' is missing",
            id="content",
        ),
        pytest.param(
            {"content/e.md": article_md("Other news", "2018-07-05", "Again.")},
            "error: two articles have the same URL /news/2018/07/05/other-news/",
            id="collision",
        ),
        pytest.param(
            {"templates/article.html": "{{ no_such_thing.x }}\n"},
            "templates/article.html:1: error: template error",
            id="template",
        ),
        pytest.param(
            {"dateline.toml": "per_pgae = 3\n" + CONFIG},
            "dateline.toml:1: error: unknown config key 'per_pgae'",
            id="config",
        ),
    ],
)
def test_errors_are_what_the_build_refuses(
    cli: RunCli, make_site: MakeSite, files: dict[str, str], expected: str
) -> None:
    site = make_site({**GOOD, **files})
    code, out, _ = cli("check", "--site", site)
    assert code == 1
    assert expected in out
    assert not (site / "dist").exists()


def test_exit_status_and_strict(cli: RunCli, make_site: MakeSite) -> None:
    """Warnings alone exit 0; --strict makes them errors and exits 1."""
    site = make_site({**GOOD, "content/a.md": article_md("Clinic opens", "2018-07-06", "Text.")})
    code, out, _ = cli("check", "--site", site)
    assert code == 0
    assert "content/a.md:1: warning: no country found" in out
    code, out, _ = cli("check", "--site", site, "--strict")
    assert code == 1
    assert "content/a.md:1: error: no country found" in out
    assert out.strip().endswith("1 error, 0 warnings")


def test_json_format(cli: RunCli, make_site: MakeSite) -> None:
    site = make_site({**GOOD, "content/a.md": article_md("Clinic opens", "2018-07-06", "Text.")})
    code, out, _ = cli("check", "--site", site, "--format", "json")
    assert code == 0
    report = json.loads(out)
    assert (report["errors"], report["warnings"], report["articles"]) == (0, 1, 3)
    assert report["diagnostics"][0]["path"] == "content/a.md"
    assert report["diagnostics"][0]["line"] == 1
    assert report["diagnostics"][0]["severity"] == "warning"


def test_github_annotations(cli: RunCli, make_site: MakeSite) -> None:
    """`::warning file=…,line=…::message`, with GitHub's escapes for %, newlines, ':' and ','."""
    site = make_site({**GOOD, "content/a,b.md": article_md("Clinic: 100%", "2018-07-06", "Text.")})
    code, out, _ = cli("check", "--site", site, "--format", "github")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].startswith(
        "::warning file=content/a%2Cb.md,line=1,title=dateline::no country found for 'Clinic: 100%25'"
    )
    assert lines[-1] == "checked 4 articles, " + lines[-1].split(", ", 1)[1]
