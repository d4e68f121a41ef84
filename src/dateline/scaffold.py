"""`dateline new`: a new bulletin file with complete front matter, never overwriting.

The file goes to ``content/YYYY/MM/DD-slug.md``. Countries are checked against
the gazetteer and written as ISO codes; themes are matched to the site's
vocabulary (an unknown theme is kept, with a did-you-mean warning). The date
defaults to today, which the CLI passes in: this module has no clock.
"""

from __future__ import annotations

import argparse
import datetime as dt
import difflib
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml

from dateline.cli import add_site_folder
from dateline.config import SiteConfig, load_config
from dateline.content import dates
from dateline.content.gazetteer import load_gazetteer
from dateline.content.loader import load_site
from dateline.errors import DatelineError, Diagnostic, error, warning
from dateline.urls import slugify

PLACEHOLDER = "Write the lead here: its first paragraph becomes the summary."


class ScaffoldError(Exception):
    """`new` cannot create the file; the message says why and what to do."""


@dataclass(frozen=True, slots=True)
class NewBulletin:
    path: Path
    text: str
    warnings: tuple[Diagnostic, ...]


def new_bulletin(
    config: SiteConfig,
    title: str,
    *,
    date: dt.date,
    countries: Sequence[str] = (),
    themes: Sequence[str] = (),
    place: str | None = None,
    taken: frozenset[str] = frozenset(),
) -> NewBulletin:
    """Plan the new file: its path, its text and any warnings; raises ScaffoldError.

    `taken` holds the URLs of the site's articles; a title whose URL is taken
    gets a numbered slug (`-2`, `-3`…) written into the front matter.
    """
    title = " ".join(title.split())
    base = slugify(title)
    if not base:
        raise ScaffoldError("the title has no letters or digits to make a URL from")
    gazetteer = load_gazetteer().with_places(config.places)
    codes: list[str] = []
    for value in countries:
        code = gazetteer.country_code(value)
        if code is None:
            near = gazetteer.suggest(value)
            hint = f" (did you mean {', '.join(near)}?)" if near else ""
            raise ScaffoldError(f"unknown country {value!r}{hint}; use a code such as SV")
        codes.append(code)
    names, notes = _themes(config, themes)
    if place and gazetteer.lookup(place) is None:
        near = gazetteer.suggest(place)
        hint = f"did you mean {', '.join(near)}?" if near else "add it to [places] in dateline.toml"
        notes.append(warning("--place", None, f"{place!r} is not in the gazetteer", hint))
    slug = _free_slug(base, date, config.permalink, taken)
    fields: dict[str, object] = {"title": title, "date": date.isoformat()}
    if slug != base:
        fields["slug"] = slug
    if place:
        fields["place"] = " ".join(place.split())
    fields.update(countries=list(dict.fromkeys(codes)), themes=names, summary="", draft=True)
    header = yaml.safe_dump(
        fields, sort_keys=False, allow_unicode=True, default_flow_style=None, width=1_000_000
    )
    lead = f"{fields['place']} – {PLACEHOLDER}" if place else PLACEHOLDER
    relative = f"{date:%Y}/{date:%m}/{date:%d}-{slug}.md"
    path = config.root / config.content_dir / relative
    return NewBulletin(path, f"---\n{header}---\n\n{lead}\n", tuple(notes))


def _themes(config: SiteConfig, themes: Sequence[str]) -> tuple[list[str], list[Diagnostic]]:
    by_slug = {rule.slug: rule.name for rule in config.themes}
    names: list[str] = []
    notes: list[Diagnostic] = []
    for value in themes:
        name = by_slug.get(slugify(value))
        if name is None:
            name = " ".join(value.split())
            if by_slug:
                near = difflib.get_close_matches(value, [r.name for r in config.themes], n=1)
                hint = (
                    f"did you mean {near[0]!r}?" if near else "add it to [themes] in dateline.toml"
                )
                notes.append(
                    warning("--theme", None, f"{value!r} is not a theme of the site", hint)
                )
        if name not in names:
            names.append(name)
    return names, notes


def _free_slug(base: str, date: dt.date, permalink: str, taken: frozenset[str]) -> str:
    def url(slug: str) -> str:
        return permalink.format(
            year=f"{date:%Y}", month=f"{date:%m}", day=f"{date:%d}", slug=slug, lang="en"
        )

    slug, number = base, 1
    while url(slug) in taken:
        number += 1
        slug = f"{base}-{number}"
    return slug


def create(bulletin: NewBulletin) -> None:
    """Write the file; refuse to replace one (exclusive create, so no race either)."""
    bulletin.path.parent.mkdir(parents=True, exist_ok=True)
    try:
        with bulletin.path.open("x", encoding="utf-8", newline="\n") as handle:
            handle.write(bulletin.text)
    except FileExistsError:
        raise ScaffoldError(
            f"{bulletin.path} already exists; it was left as it was (choose another title, or edit it)"
        ) from None


def add_new_command(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """`dateline new "Title" [--country CODE]... [--theme NAME]... [--date DATE] [--place PLACE]`."""
    parser = commands.add_parser("new", help="create a new bulletin file with front matter")
    parser.add_argument("title", help="the bulletin's title (in quotes)")
    add_site_folder(parser)
    parser.add_argument(
        "--country", action="append", default=[], help="a country code or name (repeatable)"
    )
    parser.add_argument("--theme", action="append", default=[], help="a theme (repeatable)")
    parser.add_argument("--date", help="the bulletin's date (default: today)")
    parser.add_argument("--place", help="the dateline place, e.g. 'San Salvador'")
    parser.set_defaults(handler=run_new)


def run_new(args: argparse.Namespace) -> int:
    from dateline.cli import now  # the clock lives in the CLI layer

    try:
        config = load_config(args.site)
        if args.date is None:
            day = now().astimezone(config.tz).date()
        else:
            day = dates.parse_date(args.date, tz=config.tz).date()
        taken = frozenset(a.path for a in load_site(config).articles)
        bulletin = new_bulletin(
            config,
            args.title,
            date=day,
            countries=args.country,
            themes=args.theme,
            place=args.place,
            taken=taken,
        )
        create(bulletin)
    except DatelineError as exc:
        for diagnostic in exc.diagnostics:
            print(diagnostic, file=sys.stderr)
        return 1
    except dates.DateParseError as exc:
        print(error("--date", None, f"{args.date!r}: {exc.message}", exc.hint), file=sys.stderr)
        return 2
    except (ScaffoldError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    for note in bulletin.warnings:
        print(note, file=sys.stderr)
    print(f"created {_display(bulletin.path)} (a draft: set 'draft: false' to publish it)")
    return 0


def _display(path: Path) -> str:
    try:
        return path.absolute().relative_to(Path.cwd()).as_posix()
    except ValueError:
        return path.as_posix()
