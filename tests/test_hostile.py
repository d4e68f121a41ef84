"""Hostile content: nothing escapes the site and its output, and no text becomes markup.

Confinement: slugs, permalink patterns, redirects, languages, --out, template names and
static links that try `..`, absolute paths, drive letters, backslashes, NUL or Unicode
look-alikes of '/' and '.' are refused (or made harmless), and no file outside the output
folder is written, deleted or read. Escaping: an XSS corpus in every front matter field and
in digests is rendered through every template, feed and sitemap; parsing the output finds
no element, attribute or script URL that a plain site does not have.
"""

from __future__ import annotations

import hashlib
import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml
from bs4 import BeautifulSoup, Tag

from dateline.cli import main
from tests.conftest import MakeSite, article_md

CONFIG = 'title = "Hostile"\nbase_url = "https://example.org/news/"\n'
TRAVERSALS = [
    "../../../escaped",
    "/etc/escaped",
    "C:/escaped",
    "C:\\escaped",
    "..\\..\\escaped",
    "a/\x00/b",
    "\u2215etc\u2215escaped",  # DIVISION SLASH
    "\uff0e\uff0e/\uff0e\uff0e/escaped",  # FULLWIDTH FULL STOP
    "\uff0f..\uff0fescaped",  # FULLWIDTH SOLIDUS
    "\u2024\u2024/escaped",  # ONE DOT LEADER
]
XSS = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "'><svg onload=alert(1)>",
    "</title><script>alert(1)</script>",
    "</script><script>alert(1)</script>",
    "]]><injected/><![CDATA[",
    "<!-- --><iframe src=javascript:alert(1)>",
    "javascript:alert(1)",
    "{{ 7*7 }}{% raw %}",
    "\u2028\u2029</script>&lt;b&gt;&amp;",
]


def tree(folder: Path) -> dict[str, str]:
    """Every file below `folder` → sha256, symlinks as their target (the build cache aside)."""
    result = {}
    for path in sorted(folder.rglob("*")):
        key = path.relative_to(folder).as_posix()
        if key.startswith(".dateline-cache/"):
            continue
        if path.is_symlink():
            result[key] = "-> " + str(path.readlink())
        elif path.is_file():
            result[key] = hashlib.sha256(path.read_bytes()).hexdigest()
    return result


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(argv)
    return code, capsys.readouterr().err


def front_matter(**fields: object) -> str:
    return "---\n" + yaml.safe_dump(fields, allow_unicode=True, sort_keys=False) + "---\n\nBody.\n"


def confined(tmp_path: Path, root: Path) -> None:
    """Nothing was created next to the site but its output, its lock and (gone) staging."""
    outside = {p.name for p in tmp_path.iterdir()} - {"site"}
    assert outside <= {"secret.txt"}, outside
    for path in tmp_path.rglob("*escaped*"):
        assert path.is_relative_to(root / "dist"), path


@pytest.fixture
def secret(tmp_path: Path) -> Path:
    path = tmp_path / "secret.txt"
    path.write_text("TOP-SECRET-TOKEN", encoding="utf-8")
    return path


@pytest.mark.parametrize("value", TRAVERSALS)
@pytest.mark.parametrize("field", ["slug", "redirect_from", "lang"])
def test_front_matter_paths_stay_inside(
    make_site: MakeSite,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    secret: Path,
    field: str,
    value: str,
) -> None:
    """A slug is made safe; a redirect or language that would leave the output is an error."""
    fields: dict[str, object] = {"title": "A title", "date": "2018-07-06", "country": "SV"}
    fields[field] = [value] if field == "redirect_from" else value
    root = make_site({
        "dateline.toml": CONFIG + 'permalink = "/{lang}/{year}/{slug}/"\n',
        "content/a.md": front_matter(**fields),
    })  # fmt: skip
    code, err = run(["build", "--site", str(root)], capsys)
    assert "Traceback" not in err
    if field == "slug":
        assert code == 0, err
        slugs = [p.parent.name for p in (root / "dist/en/2018").glob("*/index.html")]
        assert len(slugs) == 1
        assert set(slugs[0]) <= set("abcdefghijklmnopqrstuvwxyz0123456789-")
    elif field == "redirect_from" and value == "/etc/escaped":
        assert code == 0, err  # a site path like any other: /etc/escaped/ inside the output
        assert (root / "dist/etc/escaped/index.html").is_file()
    else:
        assert code == 1
        assert "content/a.md:5: error:" in err, err
        assert not (root / "dist").exists()
    confined(tmp_path, root)


@pytest.mark.parametrize(
    "pattern",
    [
        "/../{slug}/",
        "/{slug}/../../",
        "C:/{slug}/",
        "\\{slug}\\",
        "/news\\{slug}/",
        "/news\u2215{slug}/",
        "/\uff0e\uff0e/{slug}/",
        "/{slug}\x00/",
        "//{slug}/",
    ],
)
def test_permalink_patterns_stay_inside(
    make_site: MakeSite, tmp_path: Path, capsys: pytest.CaptureFixture[str], pattern: str
) -> None:
    """A permalink pattern that would leave the output is refused with the config's line."""
    root = make_site({
        "dateline.toml": CONFIG + f"permalink = {json.dumps(pattern)}\n",
        "content/a.md": article_md("A title", "2018-07-06", country="SV"),
    })  # fmt: skip
    code, err = run(["build", "--site", str(root)], capsys)
    assert code == 1
    assert "Traceback" not in err
    assert "error:" in err
    assert "permalink" in err or "URL is unsafe" in err, err
    assert not (root / "dist").exists()
    confined(tmp_path, root)


@pytest.mark.parametrize(
    "target", ["", "content", "templates", "static", "content/sub", "HOME", "/"]
)
def test_out_that_would_replace_sources_is_refused(
    make_site: MakeSite,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    target: str,
) -> None:
    """--out at the site, its sources, the home folder or / is refused; nothing is touched."""
    root = make_site({
        "dateline.toml": CONFIG,
        "content/a.md": article_md("A title", "2018-07-06", country="SV"),
        "content/sub/b.md": article_md("B title", "2018-07-07", country="SV"),
        "templates/404.html": "{% extends 'theme/404.html' %}",
        "static/site.css": "body{}",
    })  # fmt: skip
    home = tmp_path / "home"
    (home / "notes").mkdir(parents=True)
    (home / "notes/keep.txt").write_text("mine", encoding="utf-8")
    monkeypatch.setenv("HOME", str(home))
    out = home if target == "HOME" else Path("/") if target == "/" else root / target
    before_site, before_home = tree(root), tree(home)
    code, err = run(["build", "--site", str(root), "--out", str(out), "--force"], capsys)
    assert code == 1
    assert "refusing to write the site" in err, err
    assert tree(root) == before_site
    assert tree(home) == before_home


def test_template_names_cannot_read_outside(
    make_site: MakeSite, tmp_path: Path, capsys: pytest.CaptureFixture[str], secret: Path
) -> None:
    """`{% include "../../secret.txt" %}` in a site template is a template error, not a leak."""
    root = make_site({
        "dateline.toml": CONFIG,
        "content/a.md": article_md("A title", "2018-07-06", country="SV"),
        "templates/404.html": '{% include "../../secret.txt" %}',
    })  # fmt: skip
    code, err = run(["build", "--site", str(root)], capsys)
    assert code == 1
    assert "templates/404.html" in err
    assert "TOP-SECRET-TOKEN" not in err
    assert not (root / "dist").exists()


def test_static_links_outside_are_refused(
    make_site: MakeSite, capsys: pytest.CaptureFixture[str], secret: Path
) -> None:
    """A file in static/ that links outside the site is refused, never published."""
    root = make_site({
        "dateline.toml": CONFIG,
        "content/a.md": article_md("A title", "2018-07-06", country="SV"),
        "static/ok.txt": "fine",
    })  # fmt: skip
    (root / "static/leak.txt").symlink_to(secret)
    code, err = run(["build", "--site", str(root)], capsys)
    assert code == 1
    assert "static/leak.txt links to a file outside the site" in err
    assert not (root / "dist").exists()


def hostile_site(payloads: list[str], *, raw_html: bool) -> dict[str, str]:
    """One article per payload, the payload in every free-text field, and a digest of them."""
    files = {
        "dateline.toml": CONFIG
        + f"allow_raw_html = {str(raw_html).lower()}\n"
        + f"description = {json.dumps(payloads[0])}\norganization = {json.dumps(payloads[-1])}\n",
    }
    digest = []
    for n, payload in enumerate(payloads):
        raw = "" if raw_html else f"<{payload}>"  # raw HTML is the trusted author's own
        body = (
            f"San Salvador – {payload}\n\n[a link]({payload}) [js](javascript:alert({n})) "
            f"![img](javascript:alert({n})) {raw}\n\n{payload}\n"
        )
        fields = {
            "title": f"Title {n} {payload}", "date": f"2018-07-{n + 1:02d}", "country": "SV",
            "themes": [f"Theme {payload}"], "summary": payload, "place": f"{payload} City",
            "image": f"/img/{payload}.png", "translation_key": payload,
        }  # fmt: skip
        files[f"content/{n}.md"] = (
            "---\n" + yaml.safe_dump(fields, allow_unicode=True) + "---\n\n" + body
        )
        digest += [
            f"{n + 1} August, 2018",
            "",
            f"Digest {n} {payload}",
            "",
            f"Guatemala – {payload}",
            "",
        ]
    files["content/digest.txt"] = "\n".join(digest) + "\n"
    return files


SAFE_SCHEMES = {None, "http", "https", "mailto", "tel"}


def url_scheme(url: str) -> str | None:
    """The scheme a browser would see: controls and spaces are dropped before it is read."""
    match = re.match(r"([a-z][a-z0-9+.-]*):", re.sub(r"[\x00-\x20]", "", url).lower())
    return match.group(1) if match else None


# The only scripts with a src: the search page's (Pagefind's UI and ours), at fixed paths.
SEARCH_SCRIPTS = {"/news/pagefind/pagefind-ui.js", "/news/static/js/search.js"}


def shapes(out: Path) -> dict[str, set[str]]:
    """Every element and attribute name per kind of output file, and script contents."""
    found: dict[str, set[str]] = {"html": set(), "xml": set()}
    for path in sorted(out.rglob("*")):
        if path.suffix == ".html":
            soup = BeautifulSoup(path.read_text("utf-8"), "html.parser")
            for element in soup.find_all(True):
                assert isinstance(element, Tag)
                found["html"].add(element.name)
                for name, value in element.attrs.items():
                    found["html"].add(f"{element.name}@{name}")
                    assert not name.startswith("on"), (path, element)
                    if name in ("href", "src", "action", "formaction"):
                        assert url_scheme(str(value)) in SAFE_SCHEMES, (path, element)
                if element.name == "script" and element.get("src") is not None:
                    assert path.parent.name == "search", (path, element)
                    assert element.get("src") in SEARCH_SCRIPTS, (path, element)
                elif element.name == "script":
                    assert element.get("type") == "application/ld+json", (path, element)
                    json.loads(element.string or "")
        elif path.suffix == ".xml":
            for node in ET.parse(path).iter():
                found["xml"].add(node.tag)
                found["xml"].update(f"{node.tag}@{name}" for name in node.attrib)
        elif path.suffix == ".json":
            json.loads(path.read_text("utf-8"))
    return found


@pytest.mark.parametrize("raw_html", [False, True])
def test_xss_corpus_adds_no_markup(
    make_site: MakeSite, tmp_path: Path, capsys: pytest.CaptureFixture[str], raw_html: bool
) -> None:
    """Every page, feed and sitemap of a site full of payloads has exactly the element and
    attribute names of the same site with plain text; script URLs are gone.

    With `allow_raw_html = true` an author's own HTML passes (authors are trusted), so that
    variant's payloads carry no '<' and its bodies no raw tag.
    """
    payloads = XSS if not raw_html else [p.replace("<", "‹") for p in XSS]
    root = make_site(hostile_site(payloads, raw_html=raw_html))
    code, err = run(["build", "--site", str(root)], capsys)
    assert code == 0, err
    plain = tmp_path / "plain"
    for relative, text in hostile_site([f"plain text {n}" for n in range(len(XSS))], raw_html=raw_html).items():  # fmt: skip
        (plain / relative).parent.mkdir(parents=True, exist_ok=True)
        (plain / relative).write_text(text, encoding="utf-8")
    assert run(["build", "--site", str(plain)], capsys)[0] == 0
    hostile, reference = shapes(root / "dist"), shapes(plain / "dist")
    assert hostile["html"] <= reference["html"], hostile["html"] - reference["html"]
    assert hostile["xml"] <= reference["xml"], hostile["xml"] - reference["xml"]
    assert any((root / "dist").rglob("*.xml")), "no feed or sitemap was built"
    text = "".join(p.read_text("utf-8") for p in (root / "dist").rglob("*.html"))
    assert "Title 0" in text
    assert "49" not in text.replace("2049", "")  # {{ 7*7 }} is text, never evaluated


@pytest.mark.parametrize(
    "image",
    ["javascript:alert(1)", " JaVaScRiPt:alert(1)", "java\tscript:alert(1)", "data:text/html,<b>", "vbscript:x", "&#106;avascript:alert(1)"],
)  # fmt: skip
def test_script_urls_in_image_are_refused(
    make_site: MakeSite, capsys: pytest.CaptureFixture[str], image: str
) -> None:
    """`image: javascript:…`, however disguised, stops the build at the field's line."""
    root = make_site({
        "dateline.toml": CONFIG,
        "content/a.md": front_matter(title="A", date="2018-07-06", country="SV", image=image),
    })  # fmt: skip
    code, err = run(["build", "--site", str(root)], capsys)
    assert code == 1
    assert "content/a.md:5: error: 'image' must be a web address or a path, not a script URL" in err


def test_raw_html_switch(make_site: MakeSite, capsys: pytest.CaptureFixture[str]) -> None:
    """Raw HTML in a body is kept for trusted authors and shown as text with the switch off."""
    body = (
        'San Salvador – Lead.\n\n<div class="box" onclick="x()">Boxed</div>\n\nA <b>bold</b> word.'
    )
    pages = {}
    for allow in (True, False):
        root = make_site({
            "dateline.toml": CONFIG + f"allow_raw_html = {str(allow).lower()}\n",
            "content/a.md": article_md("A title", "2018-07-06", body, country="SV"),
        })  # fmt: skip
        assert run(["build", "--site", str(root)], capsys)[0] == 0
        html = (root / "dist/news/2018/07/06/a-title/index.html").read_text("utf-8")
        pages[allow] = BeautifulSoup(html, "html.parser").select_one(".story-body")
    kept, escaped = pages[True], pages[False]
    assert kept is not None
    assert escaped is not None
    assert kept.select_one("div.box") is not None
    assert kept.select_one("b") is not None
    assert escaped.select_one("div, b, [onclick]") is None
    assert '<div class="box" onclick="x()">Boxed</div>' in escaped.get_text()
