"""Stage 4: artifacts → bytes, through Jinja with site templates over the default theme.

The environment is built once per build. Template errors become diagnostics
pointing at the template's file:line, never a traceback.
"""

from __future__ import annotations

import gettext
import traceback
from dataclasses import dataclass
from pathlib import Path

import jinja2
from markupsafe import Markup

from dateline.cards import CardCache
from dateline.config import SiteConfig
from dateline.content.dates import format_date, month_name
from dateline.errors import Diagnostic, error
from dateline.i18n import LanguageLink, alternates_by_language, language_links
from dateline.metadata import install as install_metadata
from dateline.model import (
    Archive,
    Article,
    Artifact,
    BodyUnavailable,
    TaxonomyKind,
    Term,
    bodies_shown,
    note_shown,
)
from dateline.theme import theme_templates
from dateline.urls import base_path


@dataclass(frozen=True, slots=True)
class SiteView:
    """What every template may know about the site as a whole."""

    title: str
    description: str
    base_url: str
    base_path: str
    language: str  # the language of the pages being rendered
    organization: str
    article_count: int
    # Languages (see i18n.py): the site's default, every language for the switcher (one
    # entry on a one-language site, which shows no switcher), and this language's paths.
    default_language: str = "en"
    languages: tuple[LanguageLink, ...] = ()
    home_path: str = "/"
    news_path: str = "/news/"
    countries_path: str = "/countries/"
    themes_path: str = "/themes/"


class RenderError(Exception):
    def __init__(self, diagnostic: Diagnostic) -> None:
        super().__init__(str(diagnostic))
        self.diagnostic = diagnostic


def template_dirs(config: SiteConfig) -> tuple[Path, ...]:
    """Site templates first, so a site overrides one file without copying the theme."""
    site = config.root / "templates"
    theme = theme_templates()
    dirs = [site] if site.is_dir() and site.resolve() != theme.resolve() else []
    return (*dirs, theme)


def locale_dirs(config: SiteConfig) -> tuple[Path, ...]:
    """Where UI catalogues live: `locale/` in the site's templates, then in the theme's."""
    return tuple(d / "locale" for d in template_dirs(config))


def _memoise_gettext(env: jinja2.Environment) -> None:
    """`_()` of a string with no variables gives the same text every time in a template:
    translate it once. Jinja's goes through three context calls (20 strings per page)."""
    translate = env.globals["gettext"]
    memo: dict[tuple[str, bool], str] = {}

    @jinja2.pass_context
    def memoised(context: jinja2.runtime.Context, string: str, **variables: object) -> str:
        if variables:
            return translate(context, string, **variables)  # type: ignore[operator,no-any-return]
        key = (string, context.eval_ctx.autoescape)
        found = memo.get(key)
        if found is None:
            found = memo[key] = translate(context, string)  # type: ignore[operator]
        return found

    env.globals["gettext"] = memoised


def make_environment(
    config: SiteConfig,
    archive: Archive,
    catalogue: gettext.NullTranslations | None = None,
    cards: CardCache | None = None,
) -> jinja2.Environment:
    """The Jinja environment for one language of one build (the archive's language).

    `catalogue` translates the templates' `_()`/`ngettext` strings (see i18n.py);
    without one they stay as written. `cards` keeps listing cards between builds
    (cards.py); without it they are shared between the pages of this process only.
    """
    dirs = template_dirs(config)
    loader = jinja2.ChoiceLoader(
        [
            jinja2.FileSystemLoader([str(d) for d in dirs]),
            jinja2.PrefixLoader({"theme": jinja2.FileSystemLoader(str(dirs[-1]))}),
        ]
    )
    env = jinja2.Environment(
        loader=loader,
        autoescape=jinja2.select_autoescape(["html", "xml"], default_for_string=True),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        extensions=["jinja2.ext.i18n"],
        auto_reload=False,  # one environment per build: no stat of every template per page
    )
    env.install_gettext_translations(  # type: ignore[attr-defined]
        catalogue or gettext.NullTranslations(), newstyle=True
    )
    _memoise_gettext(env)
    prefix = base_path(config.base_url)
    origin = config.base_url[: -len(prefix)] if config.base_url.endswith(prefix) else ""
    terms: dict[tuple[str, str], Term] = {
        (g.term.kind.value, g.term.key): g.term for g in (*archive.countries, *archive.themes)
    }
    lang = archive.lang if config.multilingual else config.language

    def url(path: str) -> str:
        return prefix + path.lstrip("/")

    def abs_url(path: str) -> str:
        return origin + url(path)

    def term_for(kind: str, key: str) -> Term:
        return terms[(kind, key)]

    # by the article's id: hashing a frozen dataclass hashes every field, on every card;
    # the entry holds the article, so its id is not reused while the entry lives
    shown: dict[tuple[int, str], tuple[Markup, tuple[str, ...], Article]] = {}
    kept = cards or CardCache(None, "")

    def card_html(article: Article, heading: str = "h2") -> Markup:
        """The article's listing card (partials/card.html), rendered once and then reused:
        each article is shown on about six listing pages, and cards were most of their cost.
        A reused card still counts the bodies it showed for the page (`bodies_shown`)."""
        key = (id(article), repr(heading))  # repr: Markup("<b>") and "<b>" render differently
        found = shown.get(key)
        if found is not None:
            note_shown(found[1])
            return found[0]

        def render() -> str:
            template = env.get_template("partials/card.html")
            return template.render(article=article, heading=heading)

        with bodies_shown() as seen:
            html = Markup(kept.card(archive.lang, article, heading, render))
        shown[key] = (html, tuple(seen), article)
        return html

    env.filters.update(
        url=url,
        abs_url=abs_url,
        date=lambda d, lang=lang: format_date(d, lang),
        isodate=lambda d: d.isoformat(),
        html=lambda s: Markup(s),  # bodies are rendered by our Markdown stage
    )
    env.globals.update(
        site=SiteView(
            title=config.title,
            description=config.description,
            base_url=config.base_url,
            base_path=prefix,
            language=lang,
            organization=config.organization or config.title,
            article_count=len(archive.articles),
            default_language=config.language,
            languages=language_links(config),
            home_path=archive.path("/"),
            news_path=archive.path("/news/"),
            countries_path=archive.taxonomy_path(TaxonomyKind.COUNTRY),
            themes_path=archive.taxonomy_path(TaxonomyKind.THEME),
        ),
        hreflang_links=lambda alternates: alternates_by_language(alternates, config.language),
        term_for=term_for,
        month_name=lambda n: month_name(n, lang),
        countries_of=lambda a: (
            tuple(term_for(TaxonomyKind.COUNTRY.value, c) for c in a.countries)
            or (term_for(TaxonomyKind.COUNTRY.value, "regional"),)
        ),
        themes_of=lambda a: tuple(term_for(TaxonomyKind.THEME.value, t) for t in a.themes),
        card_html=card_html,
    )
    install_metadata(env, config)
    return env


def render_artifact(env: jinja2.Environment, artifact: Artifact) -> bytes:
    """Render one artifact; raise RenderError with the template's file:line."""
    try:
        template = env.get_template(artifact.template)
        text = template.render(
            page_path=artifact.path, alternates=artifact.alternates, **artifact.context
        )
    except jinja2.TemplateSyntaxError as exc:
        raise RenderError(
            error(
                _template_path(exc.filename, exc.name), exc.lineno, f"template error: {exc.message}"
            )
        ) from None
    except jinja2.TemplateNotFound as exc:
        raise RenderError(
            error(
                f"templates/{artifact.template}",
                None,
                f"template not found: {exc.name}",
                "add it to templates/ or restore the default theme",
            )
        ) from None
    except BodyUnavailable:
        raise  # the build cache's fault, not the template's: build.py rebuilds without it
    except Exception as exc:  # any runtime error inside a template is the template's fault
        where, line = _template_frame(exc)
        raise RenderError(
            error(where, line, f"template error while rendering {artifact.path}: {exc}")
        ) from None
    return text.encode("utf-8")


def _template_path(filename: str | None, name: str | None) -> str:
    if filename:
        return _short(filename)
    return f"templates/{name}" if name else "templates"


def _template_frame(exc: BaseException) -> tuple[str, int | None]:
    for frame in reversed(traceback.extract_tb(exc.__traceback__)):
        if frame.filename.endswith((".html", ".xml", ".txt", ".json")):
            return _short(frame.filename), frame.lineno
    return "templates", None


def _short(filename: str) -> str:
    parts = Path(filename).parts
    return "/".join(parts[parts.index("templates") :]) if "templates" in parts else filename
