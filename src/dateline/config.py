"""Stage 0: `dateline.toml` → a frozen `SiteConfig`.

The config is typed and closed: an unknown key or a value of the wrong type is
an error that names the key, its line and the closest known key, so a typo never
silently falls back to a default. A site without a config file builds with the
defaults.
"""

from __future__ import annotations

import difflib
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale, UnknownLocaleError

from dateline.errors import ConfigError, Diagnostic, error
from dateline.urls import slugify

CONFIG_NAME = "dateline.toml"
DEFAULT_PERMALINK = "/news/{year}/{month}/{day}/{slug}/"


@dataclass(frozen=True, slots=True)
class ThemeRule:
    """A theme of the site and the words in a title or lead that imply it."""

    name: str
    slug: str
    keywords: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class DeployConfig:
    """[deploy]: where `dateline deploy` publishes, and who signs a git-branch deploy."""

    to: str = ""  # a folder, "user@host:path", "rsync://host/path" or "git:BRANCH"
    author: str = ""  # "Name <email>" of a git-branch deploy's commits


@dataclass(frozen=True, slots=True, kw_only=True)
class SiteConfig:
    """Everything the pipeline needs to know about a site, validated."""

    root: Path
    title: str = "News archive"
    description: str = ""
    base_url: str = "/"
    language: str = "en"
    timezone: str = "UTC"
    per_page: int = 10
    feed_limit: int = 20
    related: int = 3
    permalink: str = DEFAULT_PERMALINK
    organization: str = ""
    content_dir: str = "content"
    output_dir: str = "dist"
    allow_raw_html: bool = True
    places: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    themes: tuple[ThemeRule, ...] = ()
    # The site's languages; `language` (the default) is published at the root, every other
    # one below "/<code>/". Empty means "only `language`" (filled in by __post_init__).
    languages: tuple[str, ...] = ()
    # language → {a theme's name as in [themes] → its name in that language}
    theme_names: Mapping[str, Mapping[str, str]] = field(
        default_factory=lambda: MappingProxyType({})
    )
    # Not part of what pages show: repr=False keeps it out of the page fingerprints.
    deploy: DeployConfig = field(default_factory=DeployConfig, repr=False)

    def __post_init__(self) -> None:
        if not self.languages:
            object.__setattr__(self, "languages", (self.language,))

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def multilingual(self) -> bool:
        """True when the site has more than one language (switcher, hreflang, /es/…)."""
        return len(self.languages) > 1

    def language_prefix(self, lang: str) -> str:
        """The URL prefix of a language's pages: "" for the default language, "/es" otherwise."""
        return "" if lang == self.language else f"/{lang}"

    def theme_name(self, name: str, lang: str) -> str:
        """A theme's display name in `lang` (from [theme_names.<lang>]), else its own name."""
        slug = slugify(name)
        table = self.theme_names.get(lang, {})
        return next((new for old, new in table.items() if slugify(old) == slug), name)


# key → (expected python type(s), human description)
_SCALARS: dict[str, tuple[type | tuple[type, ...], str]] = {
    "title": (str, "a text"),
    "description": (str, "a text"),
    "base_url": (str, 'a URL such as "https://example.org/news/"'),
    "language": (str, 'a language code such as "en"'),
    "timezone": (str, 'a time zone such as "America/El_Salvador"'),
    "per_page": (int, "a whole number"),
    "feed_limit": (int, "a whole number"),
    "related": (int, "a whole number"),
    "permalink": (str, 'a pattern such as "/news/{year}/{month}/{day}/{slug}/"'),
    "organization": (str, "a text"),
    "content_dir": (str, "a folder name"),
    "output_dir": (str, "a folder name"),
    "allow_raw_html": (bool, "true or false"),
}
_TABLES = ("places", "themes", "languages", "theme_names", "deploy")
KNOWN_KEYS = tuple(sorted((*_SCALARS, *_TABLES)))
_PERMALINK_FIELDS = {"year", "month", "day", "slug", "lang"}
_LANG_CODE = re.compile(r"[a-z]{2,3}(?:-[A-Za-z0-9]{2,8})*")
_LANG_HINT = 'write lower-case codes such as languages = ["en", "es"]'


def load_config(root: Path, overrides: Mapping[str, object] | None = None) -> SiteConfig:
    """Read `root/dateline.toml` (if present), apply CLI overrides, validate everything.

    Raises ConfigError listing every problem found.
    """
    path = root / CONFIG_NAME
    text = ""
    data: dict[str, Any] = {}
    if path.is_file():
        try:
            text = path.read_text(encoding="utf-8-sig")
            data = tomllib.loads(text)
        except UnicodeDecodeError:
            raise ConfigError(
                [error(CONFIG_NAME, None, "the config file is not UTF-8 text")]
            ) from None
        except tomllib.TOMLDecodeError as exc:
            line = _line_from_toml_error(str(exc))
            raise ConfigError(
                [error(CONFIG_NAME, line, f"the config file is not valid TOML: {exc}")]
            ) from None
    for key, value in (overrides or {}).items():
        if value is not None:
            data[key] = value
    problems: list[Diagnostic] = []
    values: dict[str, Any] = {}
    for key, value in data.items():
        where = _key_line(text, key)
        if key in _SCALARS:
            expected, description = _SCALARS[key]
            if not isinstance(value, expected) or (expected is int and isinstance(value, bool)):
                problems.append(
                    error(CONFIG_NAME, where, f"'{key}' must be {description}, not {value!r}")
                )
                continue
            values[key] = value
        elif key == "places":
            values[key] = _read_places(value, text, problems)
        elif key == "themes":
            values[key] = _read_themes(value, text, problems)
        elif key == "languages":
            values[key] = _read_languages(value, text, problems)
        elif key == "theme_names":
            values[key] = _read_theme_names(value, text, problems)
        elif key == "deploy":
            values[key] = _read_deploy(value, text, problems)
        else:
            close = difflib.get_close_matches(key, KNOWN_KEYS, n=1)
            hint = (
                f"did you mean '{close[0]}'?" if close else f"known keys: {', '.join(KNOWN_KEYS)}"
            )
            problems.append(error(CONFIG_NAME, where, f"unknown config key '{key}'", hint))
    problems.extend(_check_values(values, text))
    problems.extend(_check_languages(values, text))
    if problems:
        raise ConfigError(problems)
    if "languages" in values and "language" not in values:
        values["language"] = values["languages"][0]
    return SiteConfig(root=root, **values)


def _check_values(values: Mapping[str, Any], text: str) -> list[Diagnostic]:
    problems: list[Diagnostic] = []

    def bad(key: str, message: str, hint: str | None = None) -> None:
        problems.append(error(CONFIG_NAME, _key_line(text, key), message, hint))

    for key in ("per_page", "feed_limit"):
        if key in values and not 1 <= values[key] <= 10_000:
            bad(key, f"'{key}' must be between 1 and 10000, not {values[key]}")
    if "related" in values and not 0 <= values["related"] <= 50:
        bad("related", f"'related' must be between 0 and 50, not {values['related']}")
    if "timezone" in values:
        try:
            ZoneInfo(values["timezone"])
        except (ZoneInfoNotFoundError, ValueError):
            bad(
                "timezone",
                f"unknown time zone {values['timezone']!r}",
                'use a name such as "America/Mexico_City" or "UTC"',
            )
    if "base_url" in values:
        parts = urlsplit(values["base_url"])
        if parts.scheme not in ("", "http", "https") or parts.query or parts.fragment:
            bad(
                "base_url",
                f"'base_url' must be an http(s) URL or a path, not {values['base_url']!r}",
            )
    if "permalink" in values:
        problems.extend(_check_permalink(values["permalink"], _key_line(text, "permalink")))
    if "language" in values and not re.fullmatch(
        r"[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{1,8})*", values["language"]
    ):
        bad(
            "language",
            f"'language' must be a language code such as \"en\", not {values['language']!r}",
        )
    content = values.get("content_dir")
    if content is not None and (
        not content.strip()
        or Path(content).is_absolute()
        or ".." in Path(content).parts
        or "\\" in content
        or ":" in content
    ):
        bad(
            "content_dir",
            f"'content_dir' must be a folder inside the site, not {content!r}",
            'for example "content"',
        )
    return problems


def _check_permalink(pattern: str, line: int | None) -> list[Diagnostic]:
    fields = set(re.findall(r"{(\w*)}", pattern))
    hint = 'for example "/news/{year}/{month}/{day}/{slug}/"'
    if not pattern.startswith("/") or not pattern.endswith("/"):
        return [error(CONFIG_NAME, line, "'permalink' must start and end with '/'", hint)]
    if "slug" not in fields:
        return [error(CONFIG_NAME, line, "'permalink' must contain {slug}", hint)]
    unknown = fields - _PERMALINK_FIELDS
    if unknown:
        return [error(CONFIG_NAME, line, f"'permalink' has unknown fields {sorted(unknown)}", hint)]
    if ".." in pattern or "\\" in pattern or "//" in pattern:
        return [error(CONFIG_NAME, line, "'permalink' must not contain '..', '\\' or '//'", hint)]
    return []


def _read_places(value: object, text: str, problems: list[Diagnostic]) -> Mapping[str, str]:
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        problems.append(
            error(
                CONFIG_NAME,
                _key_line(text, "places"),
                '[places] must map place names to country codes, e.g. Tapachula = "MX"',
            )
        )
        return MappingProxyType({})
    return MappingProxyType(dict(sorted(value.items())))


def _read_themes(value: object, text: str, problems: list[Diagnostic]) -> tuple[ThemeRule, ...]:
    hint = 'e.g. "Trafficking in persons" = ["trafficking", "smuggling"]'
    if not isinstance(value, dict):
        problems.append(
            error(
                CONFIG_NAME,
                _key_line(text, "themes"),
                "[themes] must be a table of theme names",
                hint,
            )
        )
        return ()
    rules = []
    for name, keywords in value.items():
        if not isinstance(keywords, list) or not all(
            isinstance(k, str) and k.strip() for k in keywords
        ):
            problems.append(
                error(
                    CONFIG_NAME,
                    _key_line(text, name),
                    f"theme {name!r} must list its keywords as texts",
                    hint,
                )
            )
            continue
        if not slugify(name):
            problems.append(
                error(
                    CONFIG_NAME,
                    _key_line(text, name),
                    f"theme {name!r} needs letters or digits in its name",
                )
            )
            continue
        rules.append(
            ThemeRule(name.strip(), slugify(name), tuple(k.strip().lower() for k in keywords))
        )
    return tuple(rules)


def _read_languages(value: object, text: str, problems: list[Diagnostic]) -> tuple[str, ...]:
    line = _key_line(text, "languages")
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        problems.append(
            error(CONFIG_NAME, line, "'languages' must be a list of language codes", _LANG_HINT)
        )
        return ()
    codes: list[str] = []
    for code in value:
        if not _LANG_CODE.fullmatch(code) or not _babel_knows(code):
            message = f"{code!r} is not a language code dateline knows"
            problems.append(error(CONFIG_NAME, line, message, _LANG_HINT))
        elif code in codes:
            problems.append(error(CONFIG_NAME, line, f"'languages' lists {code!r} twice"))
        else:
            codes.append(code)
    return tuple(codes)


def _read_theme_names(
    value: object, text: str, problems: list[Diagnostic]
) -> Mapping[str, Mapping[str, str]]:
    """[theme_names.es] "Trafficking in persons" = "Trata de personas": names per language."""
    hint = '[theme_names.es] then lines such as "Trafficking in persons" = "Trata de personas"'
    if not isinstance(value, dict) or not all(isinstance(t, dict) for t in value.values()):
        line = _key_line(text, "theme_names")
        problems.append(
            error(CONFIG_NAME, line, "[theme_names] must hold one table per language", hint)
        )
        return MappingProxyType({})
    result: dict[str, Mapping[str, str]] = {}
    for lang, table in sorted(value.items()):
        line = _key_line(text, f"theme_names.{lang}")
        names: dict[str, str] = {}
        owner: dict[str, str] = {}  # slug of a translated name → the theme that has it
        for theme, name in table.items():
            if not isinstance(name, str) or not slugify(name):
                message = f"the {lang} name of theme {theme!r} must be a text with letters"
                problems.append(error(CONFIG_NAME, line, message, hint))
                continue
            name = " ".join(name.split())
            first = owner.setdefault(slugify(name), theme)
            if first != theme:
                message = f"themes {first!r} and {theme!r} have the same {lang} name {name!r}"
                problems.append(error(CONFIG_NAME, line, message, "give each theme its own name"))
            names[theme] = name
        result[lang] = MappingProxyType(names)
    return MappingProxyType(result)


_AUTHOR = re.compile(r"[^<>\n]*[^<>\s] <[^<>\s@]+@[^<>\s]+>")


def _read_deploy(value: object, text: str, problems: list[Diagnostic]) -> DeployConfig:
    """[deploy] to = "…", author = "Name <email>": texts, nothing else."""
    line = _key_line(text, "deploy")
    if not isinstance(value, dict):
        problems.append(
            error(CONFIG_NAME, line, "[deploy] must be a table", 'e.g. to = "git:gh-pages"')
        )
        return DeployConfig()
    known = ("to", "author")
    found: dict[str, str] = {}
    for key, item in value.items():
        where = _key_line(text, key) or line
        if key not in known:
            close = difflib.get_close_matches(key, known, n=1)
            hint = f"did you mean '{close[0]}'?" if close else "known keys: to, author"
            problems.append(error(CONFIG_NAME, where, f"unknown key '{key}' in [deploy]", hint))
        elif not isinstance(item, str) or not item.strip():
            problems.append(
                error(CONFIG_NAME, where, f"[deploy] '{key}' must be a text, not {item!r}")
            )
        elif key == "author" and not _AUTHOR.fullmatch(item):
            message = f"[deploy] 'author' must look like \"Name <email>\", not {item!r}"
            problems.append(
                error(CONFIG_NAME, where, message, 'e.g. author = "Web team <web@example.org>"')
            )
        else:
            found[key] = item.strip()
    return DeployConfig(**found)


def _check_languages(values: Mapping[str, Any], text: str) -> list[Diagnostic]:
    """`language` must be one of `languages`; [theme_names] may only name those."""
    languages = values.get("languages") or (values.get("language", "en"),)
    language = values.get("language", languages[0])
    problems = []
    if language not in languages:
        problems.append(
            error(CONFIG_NAME, _key_line(text, "language"),
                  f"the default language {language!r} is not in 'languages' {list(languages)}",
                  f"add {language!r} to 'languages', or set 'language' to one of them")
        )  # fmt: skip
    for lang in values.get("theme_names", {}):
        if lang not in languages:
            problems.append(
                error(CONFIG_NAME, _key_line(text, f"theme_names.{lang}"),
                      f"[theme_names.{lang}] is for a language the site does not have",
                      f"add {lang!r} to 'languages', or remove the table")
            )  # fmt: skip
    return problems


def _babel_knows(code: str) -> bool:
    try:
        Locale.parse(code.replace("-", "_"))
    except (UnknownLocaleError, ValueError):
        return False
    return True


def _key_line(text: str, key: str) -> int | None:
    """The first line where `key` is assigned or opens a table; tomllib keeps no positions."""
    pattern = re.compile(
        rf'^\s*(?:\[\s*{re.escape(key)}\s*\]|"?{re.escape(key)}"?\s*=)', re.MULTILINE
    )
    match = pattern.search(text)
    return text.count("\n", 0, match.start()) + 1 if match else None


def _line_from_toml_error(message: str) -> int | None:
    match = re.search(r"line (\d+)", message)
    return int(match.group(1)) if match else None
