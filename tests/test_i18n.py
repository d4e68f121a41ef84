"""Two languages: every page in its language, pairs linked both ways, Spanish everywhere it shows.

The bundled site (English at the root, Spanish under /es/) is built once; small inline
sites check dates, errors and the one-language case.
"""

from __future__ import annotations

import datetime as dt
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import feedparser  # type: ignore[import-untyped]
import pytest
from babel.messages.catalog import Message
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po
from bs4 import BeautifulSoup
from hypothesis import given
from hypothesis import strategies as st

from dateline.build import BuildReport
from dateline.cli import main
from dateline.errors import SourceLocation
from dateline.i18n import find_unpaired_translations, unpaired_translation_warnings
from dateline.model import Article
from tests.conftest import REPO, MakeSite, article_md, build, page
from tests.test_seed_site import attr, one

BASE = "/news-archive/"
ORIGIN = "https://example.org"
SV_EN = "/news/2018/06/13/iom-trains-salvadoran-medical-staff-on-migrant-protection/"
SV_ES = (
    "/es/news/2018/06/13/la-oim-capacita-a-personal-medico-salvadoreno-en-proteccion-de-migrantes/"
)
GT_EN = "/news/2018/06/13/guatemala-new-guidelines-for-the-immediate-response-team-of-the-inter/"
BILINGUAL = """\
base_url = "https://example.org/"
languages = ["en", "es"]
"""


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> BuildReport:
    return build(REPO, out_dir=tmp_path_factory.mktemp("i18n") / "dist")


def html_pages(out: Path) -> list[Path]:
    return sorted(out.rglob("*.html"))


def site_path(out: Path, file: Path) -> str:
    """The site path a file serves: dist/es/index.html → /es/."""
    relative = "/" + file.relative_to(out).as_posix()
    return relative.removesuffix("index.html")


def from_url(url: str) -> str:
    """An absolute or base-relative URL of the bundled site → its site path."""
    return "/" + url.removeprefix(ORIGIN).removeprefix(BASE)


def soup_of(file: Path) -> BeautifulSoup:
    return BeautifulSoup(file.read_text(encoding="utf-8"), "html.parser")


def hreflangs(soup: BeautifulSoup) -> dict[str, str]:
    links = soup.select("link[hreflang]")
    return {attr(link, "hreflang"): from_url(attr(link, "href")) for link in links}


def switcher(soup: BeautifulSoup) -> dict[str, str]:
    links = soup.select("nav.language-switcher a")
    return {attr(a, "hreflang"): from_url(attr(a, "href")) for a in links}


def card_titles(out: Path, path: str) -> set[str]:
    """Every card title of a listing, following its rel=next pages."""
    found: set[str] = set()
    next_path: str | None = path
    while next_path:
        soup = page(out, next_path)
        found |= {a.get_text(strip=True) for a in soup.select(".card-title a")}
        link = soup.select_one("nav.pagination a[rel=next]")
        next_path = from_url(attr(link, "href")) if link else None
    return found


def test_every_page_has_its_language(site: BuildReport) -> None:
    """<html lang> is "es" on every page under /es/ and "en" on every other page."""
    pages = html_pages(site.out_dir)
    spanish = [p for p in pages if site_path(site.out_dir, p).startswith("/es/")]
    assert len(spanish) >= 15
    for file in pages:
        expected = "es" if file in spanish else "en"
        assert attr(one(soup_of(file), "html"), "lang") == expected, file


def test_hreflang_links_are_reciprocal_and_resolve(site: BuildReport) -> None:
    """Each hreflang link points at a page that exists and that links back the same way."""
    out = site.out_dir
    by_path = {site_path(out, f): hreflangs(soup_of(f)) for f in html_pages(out)}
    linked = {path: links for path, links in by_path.items() if links}
    assert SV_EN in linked
    assert SV_ES in linked
    assert "/" in linked
    assert "/es/paises/" in linked
    for path, links in linked.items():
        lang = "es" if path.startswith("/es/") else "en"
        assert links[lang] == path, f"{path} does not list itself"
        assert links["x-default"] == links["en"]
        for code, target in links.items():
            assert target in by_path, f"{path} → {target} ({code}) does not exist"
            assert by_path[target] == links, f"{target} does not link back to {path}"


def test_switcher_goes_to_the_translation_or_the_other_home(site: BuildReport) -> None:
    """A translated article switches to its pair; an English-only one to the Spanish home."""
    out = site.out_dir
    assert switcher(page(out, SV_EN)) == {"es": SV_ES}
    assert switcher(page(out, SV_ES)) == {"en": SV_EN}
    assert one(page(out, SV_ES), "h1").get_text(strip=True).startswith("La OIM capacita")
    assert switcher(page(out, GT_EN)) == {"es": "/es/"}
    assert switcher(page(out, "/es/paises/el-salvador/")) == {"en": "/countries/el-salvador/"}
    assert switcher(page(out, "/countries/guatemala/")) == {"es": "/es/"}
    label = one(page(out, GT_EN), "nav.language-switcher a")
    assert (label.get_text(), attr(label, "lang")) == ("Español", "es")


def test_spanish_listings_list_exactly_the_spanish_articles(site: BuildReport) -> None:
    """Spanish country and theme pages (translated slugs) list the Spanish bulletins only."""
    out = site.out_dir
    spanish = {
        one(soup_of(f), "h1").get_text(strip=True)
        for f in (out / "es/news").glob("2018/*/*/*/index.html")
    }
    assert len(spanish) == 4
    assert card_titles(out, "/es/") == spanish
    assert card_titles(out, "/es/paises/el-salvador/") == {
        "La OIM capacita a personal médico salvadoreño en protección de migrantes"
    }
    assert card_titles(out, "/es/temas/trata-de-personas/") == {
        "La OIM capacita a personal médico salvadoreño en protección de migrantes",
        "Honduras fortalece los mecanismos para combatir la trata de personas",
    }
    assert len(card_titles(out, "/es/paises/mexico/")) == 2
    countries = page(out, "/es/paises/")
    for link in countries.select(".term-index a"):
        assert card_titles(out, from_url(attr(link, "href"))) <= spanish
    assert "México" in countries.get_text()
    assert not (out / "es/paises/guatemala").exists()
    assert card_titles(out, "/countries/el-salvador/").isdisjoint(spanish)


def test_spanish_pages_speak_spanish(site: BuildReport) -> None:
    """UI strings from the catalogue, dates from CLDR, names from Babel and [theme_names]."""
    soup = page(site.out_dir, SV_ES)
    assert one(soup, ".story-header time").get_text() == "13 de junio de 2018"
    assert one(soup, ".skip-link").get_text() == "Saltar al contenido"
    assert [a.get_text() for a in soup.select(".site-nav a")] == [
        "Recientes", "Países", "Temas", "Archivo"
    ]  # fmt: skip
    tags = [a.get_text() for a in soup.select(".story-header .tag-theme")]
    assert "Trata de personas" in tags
    assert "Salud" in tags
    assert one(page(site.out_dir, SV_EN), ".story-header time").get_text() == "13 June 2018"
    archive = page(site.out_dir, "/es/news/").get_text(" ", strip=True)
    assert "Julio" in archive
    assert "4 boletines" in archive


def test_sitemap_json_ld_and_feeds_know_the_pairs(site: BuildReport) -> None:
    """Sitemap xhtml:link alternates, JSON-LD translation links and one feed per language."""
    out = site.out_dir
    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9", "x": "http://www.w3.org/1999/xhtml"}
    tree = ET.parse(out / "sitemap.xml")
    entries = {
        from_url(url.findtext("s:loc", namespaces=ns) or ""): {
            link.get("hreflang"): from_url(link.get("href") or "")
            for link in url.findall("x:link", ns)
        }
        for url in tree.getroot().findall("s:url", ns)
    }
    assert entries[SV_EN] == entries[SV_ES] == {"en": SV_EN, "es": SV_ES, "x-default": SV_EN}
    assert entries[GT_EN] == {}

    def news_article(path: str) -> dict[str, object]:
        script = one(page(out, path), "script[type='application/ld+json']").string
        assert script is not None, path
        data = json.loads(script)
        return next(n for n in data["@graph"] if n["@type"] == "NewsArticle")

    english, spanish = news_article(SV_EN), news_article(SV_ES)
    assert english["workTranslation"] == [{"@id": spanish["@id"]}]
    assert spanish["translationOfWork"] == {"@id": english["@id"]}
    assert spanish["inLanguage"] == "es"
    feed = feedparser.parse((out / "es/feed.xml").read_bytes())
    assert {e.title for e in feed.entries} == card_titles(out, "/es/")
    assert feed.feed.language == "es"
    root_feed = feedparser.parse((out / "feed.xml").read_bytes())
    assert all(e.link.startswith(ORIGIN + BASE + "news/") for e in root_feed.entries)


SPANISH_MONTHS = [
    "enero", "febrero", "marzo", "abril", "mayo", "junio",
    "julio", "agosto", "septiembre", "octubre", "noviembre", "diciembre",
]  # fmt: skip


def test_spanish_dates_for_every_month(make_site: MakeSite, tmp_path: Path) -> None:
    """A Spanish bulletin of each month shows "D de <mes> de YYYY"; English stays "D Month YYYY"."""
    files = {"dateline.toml": BILINGUAL}
    for month in range(1, 13):
        day = month + 10
        files[f"content/es/{month:02d}.md"] = article_md(
            f"Boletín {month}", f"2019-{month:02d}-{day}", "San Salvador – Texto.", lang="es"
        )
    files["content/en.md"] = article_md("English", "2019-09-21", "San Salvador – Text.")
    out = build(make_site(files), out_dir=tmp_path / "out").out_dir
    shown = {
        one(soup_of(f), "h1").get_text(): one(soup_of(f), ".story-header time").get_text()
        for f in (out / "es/news/2019").glob("*/*/*/index.html")
    }
    assert shown == {
        f"Boletín {m}": f"{m + 10} de {SPANISH_MONTHS[m - 1]} de 2019" for m in range(1, 13)
    }
    english = page(out, "/news/2019/09/21/english/")
    assert one(english, ".story-header time").get_text() == "21 September 2019"


def test_one_language_site_has_no_switcher_and_no_hreflang(
    make_site: MakeSite, tmp_path: Path
) -> None:
    """Without `languages`, a translation_key changes nothing: no /es/, switcher or hreflang."""
    root = make_site(
        {
            "dateline.toml": 'base_url = "https://example.org/"\n',
            "content/a.md": article_md("A bulletin", "2019-01-02", "Text.", translation_key="k"),
            "content/b.md": article_md("Un boletín", "2019-01-02", "Texto.", lang="es", translation_key="k"),
        }
    )  # fmt: skip
    out = build(root, out_dir=tmp_path / "out").out_dir
    assert not (out / "es").exists()
    for file in html_pages(out):
        soup = soup_of(file)
        assert not soup.select("nav.language-switcher, link[hreflang]"), file
    assert "xhtml" not in (out / "sitemap.xml").read_text(encoding="utf-8")
    assert (out / "news/2019/01/02/un-boletin/index.html").is_file()


def test_a_third_language_is_a_catalogue_and_a_config_line(
    make_site: MakeSite, tmp_path: Path
) -> None:
    """A site's own catalogue adds a language (and overrides single theme strings)."""
    po = """\
        msgid ""
        msgstr ""
        "Content-Type: text/plain; charset=utf-8\\n"

        msgctxt "url"
        msgid "countries"
        msgstr "pays"

        msgid "Latest"
        msgstr "À la une"
        """
    root = make_site(
        {
            "dateline.toml": 'base_url = "https://example.org/"\nlanguages = ["en", "es", "fr"]\n',
            "templates/locale/fr/LC_MESSAGES/messages.po": po,
            "content/fr.md": article_md("Un bulletin", "2019-01-02", "Haïti. Texte.", lang="fr"),
        }
    )
    report = build(root, out_dir=tmp_path / "out")
    soup = page(report.out_dir, "/fr/pays/haiti/")
    assert attr(one(soup, "html"), "lang") == "fr"
    assert soup.select(".site-nav a")[0].get_text() == "À la une"
    assert soup.select(".site-nav a")[1].get_text() == "Countries"  # not in the catalogue
    links = {a["hreflang"]: a["href"] for a in soup.select("nav.language-switcher a")}
    assert links == {"en": "/", "es": "/es/"}
    assert not any("catalogue" in d.message for d in report.diagnostics)


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        ({"dateline.toml": 'languages = ["en", "es"]\nlanguage = "fr"\n'},
         "dateline.toml:2: error: the default language 'fr' is not in 'languages'"),
        ({"dateline.toml": 'languages = ["en", "espanol"]\n'},
         "dateline.toml:1: error: 'espanol' is not a language code dateline knows"),
        ({"dateline.toml": '[theme_names.es]\nHealth = "Salud"\n'},
         "dateline.toml:1: error: [theme_names.es] is for a language the site does not have"),
        ({"dateline.toml": BILINGUAL + '[theme_names.es]\nHealth = "Salud"\nMedicine = "salud"\n'},
         "dateline.toml:3: error: themes 'Health' and 'Medicine' have the same es name"),
        ({"content/fr.md": article_md("Un bulletin", "2019-01-02", lang="fr")},
         "content/fr.md:4: error: 'lang' is 'fr', not one of the site's languages ['en', 'es']"),
        ({"content/a.md": article_md("Uno", "2019-01-02", lang="es", translation_key="k"),
          "content/b.md": article_md("Dos", "2019-01-03", lang="es", translation_key="k")},
         "content/b.md:1: error: translation_key 'k' is also used by content/a.md:1"),
        ({"templates/locale/es/LC_MESSAGES/messages.po":
          'msgid "Pages of %(name)s"\nmsgstr "Páginas de %(nombre)s"\n'},
         "templates/locale/es/LC_MESSAGES/messages.po:1: error:"),
    ],
)  # fmt: skip
def test_language_mistakes_are_reported_with_path_and_line(
    make_site: MakeSite,
    capsys: pytest.CaptureFixture[str],
    files: dict[str, str],
    expected: str,
) -> None:
    """Config, content and catalogue mistakes name the file and line; exit 1, no traceback."""
    root = make_site({"dateline.toml": BILINGUAL, **files})
    code = main(["build", "--site", str(root), "--base-url", "https://example.org/"])
    err = capsys.readouterr().err
    assert code == 1
    assert expected in err
    assert "Traceback" not in err
    assert not (root / "dist").exists()


def test_every_ui_string_has_a_spanish_translation() -> None:
    """Extracting with babel.cfg finds no message the Spanish catalogue lacks or leaves empty."""
    with (REPO / "babel.cfg").open(encoding="utf-8") as handle:
        # Babel leaves this one function unannotated; it returns (method map, options map).
        method_map, options_map = parse_mapping_cfg(handle)  # type: ignore[no-untyped-call]
    extracted = {
        (context, message if isinstance(message, str) else message[0])
        for _, _, message, _, context in extract_from_dir(str(REPO), method_map, options_map)
    }
    po = REPO / "templates/locale/es/LC_MESSAGES/messages.po"
    with po.open("rb") as handle:
        catalog = read_po(handle)
    assert ("url", "countries") in extracted
    assert (None, "Skip to content") in extracted
    missing = [
        (context, msgid)
        for context, msgid in sorted(extracted, key=str)
        if not _translated(catalog.get(msgid, context))
    ]
    assert not missing, f"add these to {po.relative_to(REPO)}: {missing}"


def _translated(message: Message | None) -> bool:
    """Whether the catalogue has the message with its string (every plural form) filled in."""
    if message is None or message.string is None:
        return False
    return all(_strings(message.string))


def _strings(value: str | tuple[str, ...] | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


# --- likely unpaired translations (for `dateline check`) -------------------------------


def _article(
    name: str, lang: str, day: int, countries: tuple[str, ...], key: str | None = None
) -> Article:
    return Article(
        source=SourceLocation(f"content/{name}.md", 1),
        digest=name,
        slug=name,
        path=f"/{lang}/{name}/",
        title=name,
        date=dt.datetime(2018, 6, day, tzinfo=dt.UTC),
        countries=countries,
        lang=lang,
        translation_key=key,
    )


def test_unpaired_translation_is_found_and_a_keyed_pair_is_not() -> None:
    """Same day and country in two languages without a shared key is flagged, both ways."""
    en = _article("en", "en", 13, ("SV",))
    es = _article("es", "es", 13, ("SV", "GT"))
    other_day = _article("later", "es", 14, ("SV",))
    other_country = _article("hn", "es", 13, ("HN",))
    found = find_unpaired_translations([en, es, other_day, other_country])
    assert [(f.article.slug, [c.slug for c in f.candidates]) for f in found] == [
        ("en", ["es"]),
        ("es", ["en"]),
    ]
    paired = [_article("en", "en", 13, ("SV",), "k"), _article("es", "es", 13, ("SV",), "k")]
    assert find_unpaired_translations(paired) == ()
    [note] = unpaired_translation_warnings([en, _article("es", "es", 13, ("SV",), "k")])[:1]
    assert str(note).startswith("content/en.md:1: warning:")
    assert "translation_key" in str(note)


articles = st.builds(
    _article,
    name=st.text("abcdef", min_size=1, max_size=3),
    lang=st.sampled_from(["en", "es", "fr"]),
    day=st.integers(1, 3),
    countries=st.lists(st.sampled_from(["SV", "MX", "HN"]), max_size=2, unique=True).map(tuple),
    key=st.sampled_from([None, "a", "b"]),
)


@given(st.lists(articles, max_size=8))
def test_unpaired_reports_only_plausible_unlinked_pairs(items: list[Article]) -> None:
    """Every reported pair is in two languages, on one day, shares a country and is unlinked."""
    for item in find_unpaired_translations(items):
        assert item.candidates
        for other in item.candidates:
            assert other.lang != item.article.lang
            assert other.date.date() == item.article.date.date()
            assert set(other.countries) & set(item.article.countries)
            linked = {(a.translation_key, a.lang) for a in items if a.translation_key}
            assert (item.article.translation_key, other.lang) not in linked


def test_first_listed_language_is_the_default_when_language_is_not_set(
    make_site: MakeSite, tmp_path: Path
) -> None:
    """languages = ["es", "en"] alone puts Spanish at the root and English under /en/."""
    root = make_site(
        {
            "dateline.toml": 'base_url = "https://example.org/"\nlanguages = ["es", "en"]\n',
            "content/es.md": article_md("Un boletín", "2019-01-02", "San Salvador – Texto."),
            "content/en.md": article_md("A bulletin", "2019-01-02", "San Salvador – Text.", lang="en"),
        }
    )  # fmt: skip
    out = build(root, out_dir=tmp_path / "out").out_dir
    assert attr(one(page(out, "/"), "html"), "lang") == "es"
    assert one(page(out, "/countries/el-salvador/"), "h1").get_text() == "El Salvador"
    assert attr(one(page(out, "/en/"), "html"), "lang") == "en"
    assert (out / "en/news/2019/01/02/a-bulletin/index.html").is_file()
    assert (out / "news/2019/01/02/un-boletin/index.html").is_file()
