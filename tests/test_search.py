"""The search index: what Pagefind indexes, when it is made again, and when it is not made.

The index is read the way the browser reads it: `pagefind-entry.json` for the languages
and their page counts, and the gzipped fragments (one per indexed page, JSON after
Pagefind's signature) for each page's URL, language, text, filters and metadata.
"""

from __future__ import annotations

import gzip
import http.client
import io
import json
import shutil
from pathlib import Path

import pytest

from dateline.preview import Preview
from dateline.search import INDEX_DIR, SIGNATURE, SearchIndexError
from dateline.server import content_type
from dateline.write import MANIFEST
from tests.conftest import NOW, REPO, MakeSite, RunCli, article_md, build, page

CONFIG = """\
base_url = "https://example.org/archive/"
language = "en"
languages = ["en", "es"]
per_page = 1
[themes]
"Trafficking in persons" = ["trafficking", "trata"]
"""
ARTICLES = {
    "content/honduras.md": article_md(
        "Honduras fights trafficking", "2019-03-04",
        "Tegucigalpa – Officials met to fight trafficking in persons.", country="HN",
    ),
    "content/guatemala.md": article_md(
        "Guatemala opens a shelter", "2018-07-02",
        "Guatemala City – A shelter for returned migrants opened.", country="GT",
    ),
    "content/es/honduras.md": article_md(
        "Honduras combate la trata", "2019-03-04",
        "Tegucigalpa – Funcionarios se reunieron contra la trata de personas.",
        country="HN", lang="es",
    ),
}  # fmt: skip


@pytest.fixture
def site(make_site: MakeSite) -> Path:
    return make_site({"dateline.toml": CONFIG, **ARTICLES})


def entry(out: Path) -> dict[str, dict[str, object]]:
    data = json.loads((out / INDEX_DIR / "pagefind-entry.json").read_text(encoding="utf-8"))
    languages: dict[str, dict[str, object]] = data["languages"]
    return languages


def fragments(out: Path) -> list[dict[str, object]]:
    """Every indexed page as Pagefind's UI receives it (url, content, filters, meta, …),
    and the language whose index holds it (the file name's prefix)."""
    found = []
    for path in sorted((out / INDEX_DIR / "fragment").iterdir()):
        data = gzip.decompress(path.read_bytes())
        assert data.startswith(SIGNATURE), path
        found.append(json.loads(data[len(SIGNATURE) :]) | {"language": path.name.split("_")[0]})
    return found


def article_paths(out: Path) -> set[str]:
    """The site path of every article page in the output, read from the pages themselves.

    Pagefind stores site paths; its script puts the base path (here /archive/) in front.
    """
    paths = {"/" + p.parent.relative_to(out).as_posix() + "/" for p in out.rglob("index.html")}
    return {path for path in paths if page(out, path).select("article.story")}


def tree(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()
    }


def test_every_article_is_indexed_in_its_language_and_nothing_else(site: Path) -> None:
    out = build(site).out_dir
    articles = article_paths(out)
    indexed = fragments(out)
    assert {f["url"] for f in indexed} == articles
    assert len(articles) == 3
    assert {lang: info["page_count"] for lang, info in entry(out).items()} == {"en": 2, "es": 1}
    by_url = {f["url"]: f for f in indexed}
    spanish = by_url["/es/news/2019/03/04/honduras-combate-la-trata/"]
    assert spanish["language"] == "es"
    assert "Funcionarios se reunieron" in str(spanish["content"])


def test_listing_pages_navigation_and_footer_are_not_indexed(site: Path) -> None:
    out = build(site).out_dir
    home = page(out, "/")
    assert home.select("[data-pagefind-body]") == []
    assert page(out, "/search/").select("[data-pagefind-body]") == []
    article = page(out, "/news/2019/03/04/honduras-fights-trafficking/")
    (body,) = article.select("[data-pagefind-body]")
    assert body.find_parent("header") is None
    assert body.find_parent("footer") is None
    assert not body.select("nav")
    honduras = next(f for f in fragments(out) if "honduras-fights" in str(f["url"]))
    text = str(honduras["content"])
    assert "Officials met to fight trafficking" in text
    assert "Related bulletins" not in text
    assert "Skip to content" not in text


def test_results_carry_title_date_place_and_the_filters(site: Path) -> None:
    out = build(site).out_dir
    by_url = {f["url"]: f for f in fragments(out)}
    english = by_url["/news/2019/03/04/honduras-fights-trafficking/"]
    assert english["meta"] == {"title": "Honduras fights trafficking", "Date": "4 March 2019",
                               "Place": "Tegucigalpa"}  # fmt: skip
    assert english["filters"] == {
        "Country": ["Honduras"], "Theme": ["Trafficking in persons"], "Year": ["2019"]
    }  # fmt: skip
    spanish = by_url["/es/news/2019/03/04/honduras-combate-la-trata/"]
    assert spanish["meta"] == {"title": "Honduras combate la trata", "Fecha": "4 de marzo de 2019",
                               "Lugar": "Tegucigalpa"}  # fmt: skip
    assert spanish["filters"] == {"País": ["Honduras"], "Tema": ["Trafficking in persons"],
                                  "Año": ["2019"]}  # fmt: skip


def test_two_builds_of_the_same_site_have_the_same_index(site: Path, tmp_path: Path) -> None:
    first = build(site, out_dir=tmp_path / "one", use_cache=False).out_dir
    second = build(site, out_dir=tmp_path / "two", use_cache=False).out_dir
    assert any(p.startswith("pagefind/filter/") for p in tree(first))
    assert tree(first) == tree(second)


def test_an_unchanged_site_keeps_its_index_files_and_an_edit_makes_a_new_one(site: Path) -> None:
    out = build(site).out_dir
    entry_file = out / INDEX_DIR / "pagefind-entry.json"
    before = entry_file.stat().st_ino
    build(site)
    assert entry_file.stat().st_ino == before
    (site / "content/guatemala.md").write_text(
        ARTICLES["content/guatemala.md"].replace("A shelter", "A new shelter near Tecún Umán"),
        encoding="utf-8",
    )
    build(site)
    assert any("Tecún Umán" in str(f["content"]) for f in fragments(out))


def test_a_change_outside_the_pages_reuses_the_index(site: Path) -> None:
    out = build(site).out_dir
    before = {p: p.stat().st_ino for p in (out / INDEX_DIR).rglob("*") if p.is_file()}
    (site / "static").mkdir()
    (site / "static/extra.css").write_text("p { color: red }\n", encoding="utf-8")
    report = build(site)
    assert report.written == ("static/extra.css",)
    after = {p: p.stat().st_ino for p in (out / INDEX_DIR).rglob("*") if p.is_file()}
    assert after == before  # hard links to the same files, not a new index
    manifest = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
    assert f"{INDEX_DIR}/pagefind-entry.json" in manifest["extra"]


def test_no_search_makes_no_index_and_the_search_page_says_so(site: Path) -> None:
    out = build(site).out_dir
    build(site, search=False)
    assert not (out / INDEX_DIR).exists()
    search_page = page(out, "/search/")
    assert "built without its search index" in search_page.get_text()
    assert not search_page.select('script[src*="pagefind"]')
    assert not any("pagefind" in p for p in json.loads((out / MANIFEST).read_text())["files"])
    build(site)  # no content changed, but the search page did: the index comes back
    assert entry(out)["en"]["page_count"] == 2
    assert page(out, "/search/").select('script[src="/archive/pagefind/pagefind-ui.js"]')


def test_header_form_sends_q_to_the_search_page_of_its_language(site: Path) -> None:
    out = build(site).out_dir
    for path, action in (("/", "/archive/search/"), ("/es/", "/archive/es/search/")):
        (form,) = page(out, path).select('form[role="search"]')
        assert form["action"] == action
        method = form.get("method", "get")
        assert isinstance(method, str), method
        assert method.lower() == "get"
        field = form.select_one('input[name="q"]')
        assert field is not None
        label = page(out, path).select_one(f'label[for="{field["id"]}"]')
        assert label is not None
        assert label.get_text(strip=True)
        assert (out / action.removeprefix("/archive/") / "index.html").is_file()


def test_seed_site_indexes_every_bulletin(tmp_path: Path, cli: RunCli) -> None:
    root = tmp_path / "seed"
    shutil.copytree(REPO / "content", root / "content")
    shutil.copy(REPO / "dateline.toml", root / "dateline.toml")
    code, listing, err = cli("list", "--json", "--site", root)
    assert code == 0, err
    listed = json.loads(listing)
    code, _out, err = cli("build", "--site", root)
    assert code == 0, err
    out = root / "dist"
    assert {f["url"] for f in fragments(out)} == {a["url"] for a in listed}
    counts = {lang: info["page_count"] for lang, info in entry(out).items()}
    assert counts == {
        lang: sum(a["lang"] == lang for a in listed) for lang in {a["lang"] for a in listed}
    }


def test_a_failing_pagefind_leaves_the_previous_output(
    site: Path, cli: RunCli, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = build(site).out_dir
    before = tree(out)
    (site / "content/guatemala.md").write_text(ARTICLES["content/guatemala.md"] + "More.\n")
    monkeypatch.setattr("dateline.search.get_executable", lambda: None)
    with pytest.raises(SearchIndexError, match="--no-search"):
        build(site)
    assert tree(out) == before
    code, _out, err = cli("build", "--site", site)
    assert code == 1
    assert "pagefind[bin]" in err
    assert "Traceback" not in err
    code, _out, err = cli("build", "--site", site, "--no-search")
    assert code == 0, err


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("pagefind/pagefind-ui.js", "text/javascript; charset=utf-8"),
        ("pagefind/pagefind-ui.css", "text/css; charset=utf-8"),
        ("pagefind/pagefind-entry.json", "application/json"),
        ("pagefind/wasm.en.pagefind", "application/octet-stream"),
        ("pagefind/pagefind.en_0123456789.pf_meta", "application/octet-stream"),
        ("pagefind/index/en_0123456.pf_index", "application/octet-stream"),
        ("pagefind/fragment/en_0123456.pf_fragment", "application/octet-stream"),
        ("pagefind/filter/en_0123456.pf_filter", "application/octet-stream"),
        ("x/module.wasm", "application/wasm"),
    ],
)
def test_serve_sends_the_index_with_its_content_types(name: str, expected: str) -> None:
    assert content_type(name) == expected


def test_serve_serves_the_index_under_the_base_path(site: Path) -> None:
    preview = Preview(site, port=0, clock=lambda: NOW, poll_timeout=0.5, out=io.StringIO())
    preview.start()
    try:

        def get(path: str) -> tuple[int, str, bytes]:
            conn = http.client.HTTPConnection("127.0.0.1", preview.port, timeout=10)
            try:
                conn.request("GET", path)
                answer = conn.getresponse()
                return answer.status, answer.headers["Content-Type"], answer.read()
            finally:
                conn.close()

        status, kind, body = get("/archive/search/?q=trafficking")
        assert (status, kind) == (200, "text/html; charset=utf-8")
        assert b'src="/archive/pagefind/pagefind-ui.js"' in body
        status, kind, body = get("/archive/pagefind/pagefind-entry.json")
        assert (status, kind) == (200, "application/json")
        languages = json.loads(body)["languages"]
        for info in languages.values():
            status, kind, body = get(f"/archive/pagefind/pagefind.{info['hash']}.pf_meta")
            assert (status, kind) == (200, "application/octet-stream")
            assert gzip.decompress(body).startswith(SIGNATURE)
        assert get("/archive/pagefind/pagefind-ui.js")[:2] == (
            200,
            "text/javascript; charset=utf-8",
        )
    finally:
        preview.stop()
