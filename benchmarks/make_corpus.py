#!/usr/bin/env python3
"""Deterministic synthetic bulletin archive for timing `dateline build`.

    python benchmarks/make_corpus.py N OUTDIR [--seed S] [--langs en,es] [--stats] [--force]

Writes a dateline site: ``OUTDIR/dateline.toml`` and ``OUTDIR/content/YYYY/MM/<slug>.md``.

Why it looks like this: the peer figures in issue 9 (Hugo, Pelican, Eleventy, Nikola,
Jekyll) were measured on the shared kit's corpus (``../shared/bench/make_corpus.py``).
This generator draws from the same vocabulary in the same random order, so with the
default seed and ``--langs en`` article *i* has the same title, date, themes, summary,
slug and body as the kit's article *i* (only the country is written as an ISO code), and
our numbers compare with theirs page for page. Nothing is imported from ``../shared``.

Article *i* is a pure function of ``(seed, i, langs)``: the N=1000 corpus is the first
1000 articles of the N=4000 one, and two runs write identical bytes. One exception keeps
big corpora buildable: an article whose title and date would give it the URL of an earlier
article gets a ``slug:`` (its file name) in its front matter, since dateline refuses two
articles at one URL where the peers silently overwrite one. That happens from about 60,000
articles on (43 of 100,000); the corpora up to 20,000 have none and are unchanged.

With ``--langs en,es`` article *i* is written in ``langs[i % len(langs)]`` and carries a
``lang:`` key; Spanish articles use a Spanish vocabulary (so they are not comparable
with the peers' corpus, which is English only).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import re
import shutil
import sys
import unicodedata
from dataclasses import dataclass
from pathlib import Path

# ISO 3166 code -> (English name, Spanish name, places). Order matters: it is the order
# the shared kit draws countries in, which keeps article i identical to the kit's.
COUNTRIES: dict[str, tuple[str, str, list[str]]] = {
    "MX": (
        "Mexico",
        "México",
        ["Tapachula", "Tijuana", "Ciudad Juarez", "Monterrey", "Oaxaca"],
    ),
    "GT": (
        "Guatemala",
        "Guatemala",
        ["Quetzaltenango", "Huehuetenango", "Escuintla", "Coban", "Tecun Uman"],
    ),
    "BZ": (
        "Belize",
        "Belice",
        ["Belmopan", "Belize City", "Orange Walk", "Dangriga", "Punta Gorda"],
    ),
    "HN": (
        "Honduras",
        "Honduras",
        ["Tegucigalpa", "San Pedro Sula", "Choluteca", "La Ceiba", "Ocotepeque"],
    ),
    "SV": (
        "El Salvador",
        "El Salvador",
        ["San Salvador", "Santa Ana", "San Miguel", "La Libertad", "Usulutan"],
    ),
    "NI": (
        "Nicaragua",
        "Nicaragua",
        ["Managua", "Leon", "Esteli", "Chinandega", "Bluefields"],
    ),
    "CR": (
        "Costa Rica",
        "Costa Rica",
        ["San Jose", "Upala", "Liberia", "Limon", "Paso Canoas"],
    ),
    "PA": (
        "Panama",
        "Panamá",
        ["Panama City", "Darien", "Colon", "David", "Bocas del Toro"],
    ),
    "CU": (
        "Cuba",
        "Cuba",
        ["Havana", "Santiago de Cuba", "Holguin", "Camaguey", "Pinar del Rio"],
    ),
    "HT": (
        "Haiti",
        "Haití",
        ["Port-au-Prince", "Cap-Haitien", "Les Cayes", "Jacmel", "Ouanaminthe"],
    ),
    "DO": (
        "Dominican Republic",
        "República Dominicana",
        ["Santo Domingo", "Santiago", "Dajabon", "Puerto Plata", "Barahona"],
    ),
    "JM": (
        "Jamaica",
        "Jamaica",
        ["Kingston", "Montego Bay", "Spanish Town", "Mandeville", "Ocho Rios"],
    ),
}
COUNTRY_CODES = list(COUNTRIES)

# Theme name (as written in front matter and dateline.toml) -> keywords per language.
THEMES: dict[str, dict[str, list[str]]] = {
    "Trafficking in persons": {"en": ["trafficking"], "es": ["trata"]},
    "Health": {"en": ["health", "vaccination"], "es": ["salud", "vacunación"]},
    "Psychosocial support": {"en": ["psychosocial"], "es": ["psicosocial"]},
    "Disasters": {"en": ["disaster", "hurricane"], "es": ["desastre", "huracán"]},
    "Migration information": {"en": ["information campaign"], "es": ["información"]},
    "Return and reintegration": {"en": ["return", "reintegration"], "es": ["retorno"]},
    "Labour migration": {"en": ["labour", "seasonal workers"], "es": ["laboral"]},
    "Border management": {"en": ["border"], "es": ["frontera"]},
    "Protection": {"en": ["protection"], "es": ["protección"]},
    "Climate and environment": {"en": ["climate", "environment"], "es": ["clima"]},
}
THEME_NAMES = list(THEMES)

FIRST_DAY = dt.date(2008, 1, 1)
LAST_DAY = dt.date(2026, 12, 31)


@dataclass(frozen=True)
class Lexicon:
    """One language's vocabulary and sentence shapes (same slots in every language)."""

    actors: list[str]
    verbs: list[str]
    objects: list[str]
    beneficiaries: list[str]
    qualifiers: list[str]
    connectors: list[str]
    units: list[str]
    observations: list[str]
    headings: list[str]
    titles: list[str]
    link_texts: list[str]
    sentences: tuple[str, str, str, str, str, str]
    summary: str
    bullet: str
    more: str


EN = Lexicon(
    actors=[
        "the regional office",
        "local authorities",
        "community leaders",
        "mobile teams",
        "the national government",
        "partner organizations",
        "health workers",
        "volunteers",
        "civil society groups",
        "municipal officials",
        "the coordination platform",
        "field staff",
        "consular services",
        "youth networks",
        "women's associations",
    ],
    verbs=[
        "coordinated",
        "expanded",
        "launched",
        "delivered",
        "strengthened",
        "reviewed",
        "supported",
        "documented",
        "organized",
        "assessed",
        "monitored",
        "extended",
        "facilitated",
        "promoted",
        "evaluated",
        "restored",
        "financed",
        "trained",
    ],
    objects=[
        "emergency shelter assistance",
        "referral mechanisms",
        "cash-based support",
        "information campaigns",
        "vaccination sessions",
        "legal counselling",
        "case management services",
        "temporary accommodation",
        "hygiene kits",
        "risk assessments",
        "community dialogues",
        "livelihood programmes",
        "data collection exercises",
        "protection screenings",
        "training workshops",
        "water and sanitation repairs",
        "psychological first aid",
        "return assistance",
    ],
    beneficiaries=[
        "displaced families",
        "returning migrants",
        "unaccompanied children",
        "survivors of trafficking",
        "seasonal workers",
        "host communities",
        "people in transit",
        "older persons",
        "rural households",
        "young women",
        "indigenous communities",
        "persons with disabilities",
    ],
    qualifiers=[
        "in close cooperation with local partners",
        "despite heavy rains",
        "over the past three months",
        "ahead of the hurricane season",
        "as part of a wider national plan",
        "with funding from international donors",
        "for the second consecutive year",
        "following a sharp rise in arrivals",
        "along the main transit routes",
        "in remote border municipalities",
        "after a series of consultations",
        "with support from the ministry",
    ],
    connectors=[
        "In addition,",
        "Meanwhile,",
        "At the same time,",
        "According to the team,",
        "As a result,",
        "However,",
        "In the coming weeks,",
        "Since then,",
        "Across the region,",
        "For many participants,",
    ],
    units=[
        "families",
        "people",
        "children",
        "community members",
        "health workers",
        "officials",
        "households",
        "migrants",
        "volunteers",
        "teachers",
    ],
    observations=[
        "needs remain high in several locations",
        "access to basic services has improved",
        "coordination between agencies has become more regular",
        "demand for information continues to grow",
        "many people still lack documentation",
        "the situation remains fragile",
        "local capacity has been reinforced",
        "waiting times at service points have fallen",
        "new arrivals are reported every week",
        "funding gaps could delay the next phase",
    ],
    headings=[
        "Response and next steps",
        "What happens next",
        "Key figures",
        "Background",
        "Voices from the field",
        "Coordination",
        "Challenges ahead",
        "Lessons learned",
    ],
    titles=[
        "{country}: {Actors} {verb} {object} for {beneficiaries} in {place}",
        "{Object} reach {beneficiaries} in {place}",
        "{place}: new support for {beneficiaries}",
        "{country} {verb} {object} {qualifier}",
        "{Actors} in {place} {verb} {object}",
        "Update from {place}: {object} for {beneficiaries}",
    ],
    link_texts=[
        "the full report",
        "the situation report",
        "the project page",
        "the joint statement",
        "the latest figures",
        "the regional dashboard",
    ],
    sentences=(
        "{Actor} {verb} {object} for {benef} in {place} {qual}.",
        "{conn} {actor} {verb} {object} {qual}.",
        "More than {n} {unit} in {place} and nearby areas received {object}, "
        "and {actor} say that {obs}.",
        "Reports from {country} indicate that {obs}, while {actor} {verb} {object}.",
        "{conn} {obs} among {benef}.",
        "The programme {verb} {object} and {object2} for {benef} {qual}.",
    ),
    summary="{Actor} {verb} {object} for {benef} in {place}, {country}.",
    bullet="- {Object} for {benef}",
    more=" More details are available in [{text}]({url}).",
)

ES = Lexicon(
    actors=[
        "las oficinas regionales",
        "las autoridades locales",
        "los líderes comunitarios",
        "los equipos móviles",
        "las instituciones nacionales",
        "las organizaciones socias",
        "los trabajadores de salud",
        "los voluntarios",
        "los grupos de la sociedad civil",
        "los funcionarios municipales",
        "las mesas de coordinación",
        "los equipos de campo",
        "los servicios consulares",
        "las redes juveniles",
        "las asociaciones de mujeres",
    ],
    verbs=[
        "coordinaron",
        "ampliaron",
        "lanzaron",
        "entregaron",
        "fortalecieron",
        "revisaron",
        "apoyaron",
        "documentaron",
        "organizaron",
        "evaluaron",
        "monitorearon",
        "extendieron",
        "facilitaron",
        "promovieron",
        "restablecieron",
        "financiaron",
    ],
    objects=[
        "albergues de emergencia",
        "mecanismos de referencia",
        "transferencias en efectivo",
        "campañas de información",
        "jornadas de vacunación",
        "asesoría legal",
        "servicios de gestión de casos",
        "alojamiento temporal",
        "kits de higiene",
        "evaluaciones de riesgo",
        "diálogos comunitarios",
        "programas de medios de vida",
        "talleres de capacitación",
        "reparaciones de agua y saneamiento",
        "primeros auxilios psicológicos",
        "asistencia para el retorno",
    ],
    beneficiaries=[
        "familias desplazadas",
        "migrantes retornados",
        "niños no acompañados",
        "sobrevivientes de trata",
        "trabajadores temporales",
        "comunidades de acogida",
        "personas en tránsito",
        "personas mayores",
        "hogares rurales",
        "mujeres jóvenes",
        "comunidades indígenas",
        "personas con discapacidad",
    ],
    qualifiers=[
        "en estrecha cooperación con socios locales",
        "a pesar de las fuertes lluvias",
        "durante los últimos tres meses",
        "antes de la temporada de huracanes",
        "como parte de un plan nacional",
        "con fondos de donantes internacionales",
        "por segundo año consecutivo",
        "tras un fuerte aumento de llegadas",
        "a lo largo de las principales rutas de tránsito",
        "en municipios fronterizos remotos",
        "después de varias consultas",
        "con el apoyo del ministerio",
    ],
    connectors=[
        "Además,",
        "Mientras tanto,",
        "Al mismo tiempo,",
        "Según el equipo,",
        "Como resultado,",
        "Sin embargo,",
        "En las próximas semanas,",
        "Desde entonces,",
        "En toda la región,",
        "Para muchos participantes,",
    ],
    units=[
        "familias",
        "personas",
        "niños",
        "miembros de la comunidad",
        "trabajadores de salud",
        "funcionarios",
        "hogares",
        "migrantes",
        "voluntarios",
        "docentes",
    ],
    observations=[
        "las necesidades siguen siendo altas en varios lugares",
        "el acceso a servicios básicos ha mejorado",
        "la coordinación entre agencias es más regular",
        "la demanda de información sigue creciendo",
        "muchas personas aún carecen de documentos",
        "la situación sigue siendo frágil",
        "la capacidad local se ha reforzado",
        "los tiempos de espera han disminuido",
        "cada semana se reportan nuevas llegadas",
        "la falta de fondos podría retrasar la siguiente fase",
    ],
    headings=[
        "Respuesta y próximos pasos",
        "Qué sigue",
        "Cifras clave",
        "Contexto",
        "Voces desde el terreno",
        "Coordinación",
        "Desafíos",
        "Lecciones aprendidas",
    ],
    titles=[
        "{country}: {Actors} {verb} {object} para {beneficiaries} en {place}",
        "{Object} llegan a {beneficiaries} en {place}",
        "{place}: nuevo apoyo para {beneficiaries}",
        "{country}: {actors} {verb} {object} {qualifier}",
        "{Actors} en {place} {verb} {object}",
        "Noticias de {place}: {object} para {beneficiaries}",
    ],
    link_texts=[
        "el informe completo",
        "el informe de situación",
        "la página del proyecto",
        "la declaración conjunta",
        "las cifras más recientes",
        "el tablero regional",
    ],
    sentences=(
        "{Actor} {verb} {object} para {benef} en {place} {qual}.",
        "{conn} {actor} {verb} {object} {qual}.",
        "Más de {n} {unit} en {place} y zonas cercanas recibieron {object}, "
        "y {actor} señalan que {obs}.",
        "Informes desde {country} indican que {obs}, mientras {actor} {verb} {object}.",
        "{conn} {obs} entre {benef}.",
        "El programa {verb} {object} y {object2} para {benef} {qual}.",
    ),
    summary="{Actor} {verb} {object} para {benef} en {place}, {country}.",
    bullet="- {Object} para {benef}",
    more=" Más detalles en [{text}]({url}).",
)


LEXICONS: dict[str, Lexicon] = {"en": EN, "es": ES}


@dataclass(frozen=True)
class Article:
    i: int
    lang: str
    slug: str
    title: str
    date: dt.date
    country: str  # ISO code
    themes: list[str]
    summary: str
    body: str
    words: int


def slugify(text: str) -> str:
    """ASCII slug; for English titles identical to the shared kit's slugify."""
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def cap(s: str) -> str:
    return s[:1].upper() + s[1:]


def sentence(r: random.Random, lx: Lexicon, country: str, place: str) -> str:
    """One sentence. The random draws happen in the shared kit's order (do not reorder)."""
    kind = r.randrange(6)
    tpl = lx.sentences[kind]
    if kind == 0:
        actor, verb, obj, benef, qual = (
            r.choice(lx.actors), r.choice(lx.verbs), r.choice(lx.objects),
            r.choice(lx.beneficiaries), r.choice(lx.qualifiers),
        )  # fmt: skip
        return tpl.format(
            Actor=cap(actor), verb=verb, object=obj, benef=benef, place=place, qual=qual
        )
    if kind == 1:
        conn, actor, verb, obj, qual = (
            r.choice(lx.connectors), r.choice(lx.actors), r.choice(lx.verbs),
            r.choice(lx.objects), r.choice(lx.qualifiers),
        )  # fmt: skip
        return tpl.format(conn=conn, actor=actor, verb=verb, object=obj, qual=qual)
    if kind == 2:
        n = r.randrange(12, 4800)
        unit, obj, actor, obs = (
            r.choice(lx.units), r.choice(lx.objects), r.choice(lx.actors),
            r.choice(lx.observations),
        )  # fmt: skip
        return tpl.format(n=n, unit=unit, place=place, object=obj, actor=actor, obs=obs)
    if kind == 3:
        obs, actor, verb, obj = (
            r.choice(lx.observations), r.choice(lx.actors), r.choice(lx.verbs),
            r.choice(lx.objects),
        )  # fmt: skip
        return tpl.format(country=country, obs=obs, actor=actor, verb=verb, object=obj)
    if kind == 4:
        conn, obs, benef = (
            r.choice(lx.connectors),
            r.choice(lx.observations),
            r.choice(lx.beneficiaries),
        )
        return tpl.format(conn=conn, obs=obs, benef=benef)
    verb, obj, obj2, benef, qual = (
        r.choice(lx.verbs), r.choice(lx.objects), r.choice(lx.objects),
        r.choice(lx.beneficiaries), r.choice(lx.qualifiers),
    )  # fmt: skip
    return tpl.format(verb=verb, object=obj, object2=obj2, benef=benef, qual=qual)


def emphasize(r: random.Random, s: str) -> str:
    """Wrap one word in *…* or **…** so the Markdown has inline emphasis."""
    words = s.split(" ")
    if len(words) > 6:
        k = r.randrange(1, len(words) - 2)
        w = words[k]
        if w.isalpha():
            words[k] = f"*{w}*" if r.random() < 0.6 else f"**{w}**"
    return " ".join(words)


def paragraph(r: random.Random, lx: Lexicon, country: str, place: str, nsent: int) -> str:
    out = []
    for _ in range(nsent):
        s = sentence(r, lx, country, place)
        if r.random() < 0.15:
            s = emphasize(r, s)
        out.append(s)
    return " ".join(out)


def make_article(seed: str, i: int, lang: str = "en") -> Article:
    """Article i: 400-600 words with a heading, a bullet list, a link and emphasis."""
    lx = LEXICONS[lang]
    r = random.Random(f"{seed}:{i}")
    code = r.choice(COUNTRY_CODES)
    name_en, name_es, places = COUNTRIES[code]
    country = name_es if lang == "es" else name_en
    place = r.choice(places)
    date = FIRST_DAY + dt.timedelta(days=r.randrange((LAST_DAY - FIRST_DAY).days + 1))
    themes = r.sample(THEME_NAMES, r.randint(1, 3))
    actors = r.choice(lx.actors)
    title = r.choice(lx.titles).format(
        country=country, place=place, Actors=cap(actors), actors=actors,
        verb=r.choice(lx.verbs), object=r.choice(lx.objects),
        Object=cap(r.choice(lx.objects)), beneficiaries=r.choice(lx.beneficiaries),
        qualifier=r.choice(lx.qualifiers),
    )  # fmt: skip
    actor, verb, obj, benef = (
        r.choice(lx.actors), r.choice(lx.verbs), r.choice(lx.objects),
        r.choice(lx.beneficiaries),
    )  # fmt: skip
    summary = lx.summary.format(
        Actor=cap(actor), verb=verb, object=obj, benef=benef, place=place, country=country
    )
    slug = "-".join(slugify(title).split("-")[:7]) + f"-{i:05d}"

    target = r.randint(400, 600)
    blocks: list[str] = []
    words = 0
    heading_at = r.randint(1, 2)
    list_at = heading_at + 1
    link_at = r.randint(0, 3)
    para_no = 0
    while words < target:
        if para_no == heading_at:
            h = f"## {r.choice(lx.headings)}"
            blocks.append(h)
            words += len(h.split()) - 1
        if para_no == list_at:
            items = [
                lx.bullet.format(Object=cap(r.choice(lx.objects)), benef=r.choice(lx.beneficiaries))
                for _ in range(r.randint(3, 5))
            ]
            blocks.append("\n".join(items))
            words += sum(len(it.split()) - 1 for it in items)
        p = paragraph(r, lx, country, place, r.randint(3, 6))
        if para_no == link_at:
            url = f"https://example.org/{slugify(name_en)}/reports/{i}"
            p += lx.more.format(text=r.choice(lx.link_texts), url=url)
        # trim the last paragraph so the body lands within 400-600 words
        pw = p.split(" ")
        if words + len(pw) > 600:
            pw = pw[: max(1, 600 - words)]
            p = " ".join(pw).rstrip(".,") + "."
        blocks.append(p)
        words += len(pw)
        para_no += 1
    body = "\n\n".join(blocks) + "\n"
    return Article(i, lang, slug, title, date, code, themes, summary, body, words)


def q(s: str) -> str:
    """A YAML double-quoted scalar (JSON strings are valid YAML)."""
    return json.dumps(s, ensure_ascii=False)


def render(a: Article, with_lang: bool, with_slug: bool = False) -> str:
    """The Markdown file: YAML front matter in dateline's shape, then the body."""
    lines = [
        "---",
        f"title: {q(a.title)}",
        f"date: {a.date.isoformat()}",
        f"country: {a.country}",
        f"themes: [{', '.join(q(t) for t in a.themes)}]",
        f"summary: {q(a.summary)}",
    ]
    if with_lang:
        lines.append(f"lang: {a.lang}")
    if with_slug:
        lines.append(f"slug: {a.slug}")
    lines.append("---")
    return "\n".join(lines) + "\n\n" + a.body


def url_key(a: Article) -> tuple[str, dt.date, str]:
    """What dateline's URL for the article is made of: language, date and the title's slug,
    by dateline's own rule (the corpus is always written from dateline's environment)."""
    from dateline.urls import slugify as url_slug  # imported here: the kit's slugify differs

    return a.lang, a.date, url_slug(a.title)


def article_path(a: Article) -> Path:
    """content-relative path: YYYY/MM/<slug>.md."""
    return Path(f"{a.date.year:04d}") / f"{a.date.month:02d}" / f"{a.slug}.md"


def config_toml(langs: list[str]) -> str:
    """Minimal dateline.toml: title, base_url, per_page, timezone, [themes] keywords."""
    out = [
        'title = "Benchmark archive"',
        'base_url = "https://example.org/"',
        "per_page = 20",
        'timezone = "America/El_Salvador"',
        "",
        "[themes]",
    ]
    for name, kw in THEMES.items():
        words = [w for lang in langs for w in kw[lang]]
        out.append(f"{q(name)} = [{', '.join(q(w) for w in words)}]")
    return "\n".join(out) + "\n"


def write_site(
    n: int, outdir: Path, seed: str = "dateline-bench-1", langs: list[str] | None = None
) -> dict[str, object]:
    """Write the site; return per-country/theme counts and the expected page counts."""
    langs = langs or ["en"]
    content = outdir / "content"
    content.mkdir(parents=True, exist_ok=True)
    (outdir / "dateline.toml").write_text(config_toml(langs), encoding="utf-8")
    per_country: dict[str, int] = {}
    per_theme: dict[str, int] = {}
    per_lang: dict[str, int] = {}
    words: list[int] = []
    made_dirs: set[Path] = set()
    urls: set[tuple[str, dt.date, str]] = set()  # url_key of every article written so far
    for i in range(n):
        a = make_article(seed, i, langs[i % len(langs)])
        path = content / article_path(a)
        if path.parent not in made_dirs:
            path.parent.mkdir(parents=True, exist_ok=True)
            made_dirs.add(path.parent)
        key = url_key(a)
        path.write_text(render(a, len(langs) > 1, with_slug=key in urls), encoding="utf-8")
        urls.add(key)
        per_country[a.country] = per_country.get(a.country, 0) + 1
        per_lang[a.lang] = per_lang.get(a.lang, 0) + 1
        for t in a.themes:
            per_theme[t] = per_theme.get(t, 0) + 1
        words.append(a.words)

    def pages(k: int) -> int:
        return -(-k // 20)

    return {
        "articles": n,
        "per_lang": per_lang,
        "words_min": min(words, default=0),
        "words_max": max(words, default=0),
        "per_country": per_country,
        "per_theme": per_theme,
        # the page set the peers were measured on (article pages, index, per-country and
        # per-theme listings at 20 per page); dateline may add more (feeds, search, ...)
        "expected_html": {
            "articles": n,
            "index": pages(n),
            "country": sum(pages(v) for v in per_country.values()),
            "theme": sum(pages(v) for v in per_theme.values()),
        },
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    ap.add_argument("n", type=int, help="number of articles")
    ap.add_argument("outdir", type=Path, help="site root to write (created)")
    ap.add_argument("--seed", default="dateline-bench-1", help="the shared kit's default")
    ap.add_argument("--langs", default="en", help="comma-separated, from: en, es")
    ap.add_argument("--stats", action="store_true", help="print counts and expected pages")
    ap.add_argument("--force", action="store_true", help="replace an existing OUTDIR/content")
    args = ap.parse_args(argv)
    langs = [x.strip() for x in args.langs.split(",") if x.strip()]
    unknown = [x for x in langs if x not in LEXICONS]
    if unknown or not langs:
        ap.error(f"--langs: unknown {unknown}; known: {', '.join(LEXICONS)}")
    content = args.outdir / "content"
    if content.exists() and any(content.iterdir()):
        if not args.force:
            ap.error(f"{content} is not empty (use --force to replace it)")
        shutil.rmtree(content)
    stats = write_site(args.n, args.outdir, args.seed, langs)
    if args.stats:
        print(json.dumps(stats, indent=1, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
