"""`dateline list`: the archive as the loader sees it, one row per article.

The rows are what scripts and tests compare (``--json``), so they hold exactly
the facts the loader decided: source path:line, URL, date (ISO 8601), title,
place, countries, themes, language and draft flag, newest first.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from collections.abc import Iterable
from typing import Any

from dateline.archive import publishable
from dateline.cli import add_site_folder
from dateline.config import SiteConfig, load_config
from dateline.content.loader import load_site
from dateline.errors import DatelineError, Diagnostic
from dateline.model import Article

FIELDS = ("source", "url", "date", "title", "place", "countries", "themes", "lang", "draft")


def article_row(article: Article) -> dict[str, Any]:
    """One article as a JSON-ready record; `url` is the page's path below base_url."""
    return {
        "source": str(article.source),
        "url": article.path,
        "date": article.date.isoformat(),
        "title": article.title,
        "place": article.place,
        "countries": list(article.countries),
        "themes": list(article.themes),
        "lang": article.lang,
        "draft": article.draft,
    }


def list_articles(
    config: SiteConfig, *, now: dt.datetime, drafts: bool
) -> tuple[list[dict[str, Any]], tuple[Diagnostic, ...]]:
    """The rows of the articles a build would publish (all of them with `drafts`)."""
    loaded = load_site(config)
    articles = publishable(loaded.articles, now=now, drafts=drafts)
    return [article_row(a) for a in articles], loaded.diagnostics


def format_rows(rows: Iterable[dict[str, Any]]) -> str:
    """Tab-separated text, one article a line, with a header (for people and `cut`)."""
    lines = ["\t".join(FIELDS)]
    for row in rows:
        cells = [
            ""
            if row[key] is None
            else ", ".join(row[key])
            if isinstance(row[key], list)
            else str(row[key])
            for key in FIELDS
        ]
        cells[FIELDS.index("date")] = row["date"][:10]
        cells[FIELDS.index("draft")] = "draft" if row["draft"] else ""
        lines.append("\t".join(cells))
    return "\n".join(lines)


def add_list_command(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """`dateline list [--json] [--drafts]`."""
    parser = commands.add_parser("list", help="list the articles as the loader sees them")
    add_site_folder(parser)
    parser.add_argument("--json", action="store_true", help="print a JSON array for scripts")
    parser.add_argument(
        "--drafts", action="store_true", help="include drafts and future-dated articles"
    )
    parser.set_defaults(handler=run_list)


def run_list(args: argparse.Namespace) -> int:
    from dateline.cli import now  # the clock lives in the CLI layer

    try:
        config = load_config(args.site)
        rows, diagnostics = list_articles(config, now=now(), drafts=args.drafts)
    except DatelineError as exc:
        rows, diagnostics = [], exc.diagnostics
    for diagnostic in diagnostics:
        print(diagnostic, file=sys.stderr)
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
    else:
        print(format_rows(rows))
    return 1 if any(d.is_error for d in diagnostics) else 0
