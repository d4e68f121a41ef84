"""`dateline import`: bulletin digests → one Markdown file per article.

Each digest is read with the loader's own digest parsing (`parse_digest_entries`
and `load_source`), so an imported article is the article the build would have
made from the digest. Every generated file is loaded back with the real loader
before it is written and must give the same URL, title, date, place, countries,
themes, summary and body; an entry that would not is refused, never written.

Files go to ``<into>/YYYY/MM/DD-slug.md`` (the article's date and slug). The
importer never replaces a file: an identical one is skipped (so re-importing is
a no-op), a different one is refused unless ``force``.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import os
import re
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml

from dateline.cli import add_site_folder
from dateline.config import SiteConfig, load_config
from dateline.content import dates, digest, sources
from dateline.content.loader import Loader, load_site, load_source, parse_digest_entries
from dateline.errors import DatelineError, Diagnostic, error
from dateline.model import Article

_INLINE = str.maketrans(
    {c: "\\" + c for c in "\\`*_[]{}"} | {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
)
_LINE_START = re.compile(r"^(?:([#+\-])|([0-9]+)\.|([~:]))")
_ENTITY_FOR = {"~": "&#126;", ":": "&#58;"}  # not backslash-escapable in Python-Markdown


def markdown_escape(paragraph: str) -> str:
    """Plain text → Markdown that renders exactly that text (digests are never markup).

    Inline markup characters and HTML are escaped everywhere; list, heading,
    rule, fence and definition markers only at the start, where they act.
    """
    text = " ".join(paragraph.split()).translate(_INLINE)
    match = _LINE_START.match(text)
    if match is None:
        return text
    if match[1]:
        return "\\" + text
    if match[2]:
        return f"{match[2]}\\{text[match.end(2) :]}"
    return _ENTITY_FOR[match[3]] + text[1:]


def article_markdown(article: Article, paragraphs: Sequence[str], *, lang: str | None) -> str:
    """The Markdown file for one digest article: complete front matter, the lead as body.

    `yaml.safe_dump` quotes every value YAML 1.1 would read as something else
    (`NO`, `2018-07-06`, `yes`), so our strict loader reads back the same text.
    """
    date = article.date
    midnight = (date.hour, date.minute, date.second, date.microsecond) == (0, 0, 0, 0)
    fields: dict[str, object] = {
        "title": article.title,
        "date": date.date().isoformat() if midnight else date.isoformat(),
    }
    if article.place:
        fields["place"] = article.place
    fields["countries"] = list(article.countries)
    fields["themes"] = list(article.themes)
    fields["summary"] = article.summary
    if lang:
        fields["lang"] = lang
    header = yaml.safe_dump(
        fields, sort_keys=False, allow_unicode=True, default_flow_style=None, width=1_000_000
    )
    body = "\n\n".join(markdown_escape(p) for p in paragraphs if p.strip())
    return f"---\n{header}---\n\n{body}\n" if body else f"---\n{header}---\n"


def target_name(article: Article) -> str:
    """`YYYY/MM/DD-slug.md`, from the article's own date (as its URL uses it) and slug."""
    d = article.date
    return f"{d.year:04d}/{d.month:02d}/{d.day:02d}-{article.slug}.md"


@dataclass(frozen=True, slots=True)
class Planned:
    """One file the import would write, and the digest entry it comes from."""

    origin: Diagnostic  # location of the entry in the digest (severity unused)
    digest: Path  # the digest file, resolved
    target: Path
    text: str
    article: Article


@dataclass(frozen=True, slots=True)
class ImportReport:
    """What an import did (or, with dry_run, would do)."""

    written: tuple[Path, ...]
    skipped: tuple[Path, ...]
    diagnostics: tuple[Diagnostic, ...]  # digest problems and refused entries

    @property
    def ok(self) -> bool:
        return not any(d.is_error for d in self.diagnostics)


def plan_digest(
    path: Path,
    display: str,
    loader: Loader,
    into: Path,
    *,
    default_date: dt.datetime | None = None,
    lang: str | None = None,
) -> tuple[list[Planned], list[Diagnostic]]:
    """Parse one digest as the loader does and make each article's Markdown file.

    A digest with any error imports nothing: half a digest is harder to fix than none.
    """
    if path.suffix.lower() != ".txt":
        return [], [
            error(
                display,
                None,
                "dateline import reads plain-text digests (.txt files)",
                "save the digest as a .txt file; Markdown files can be copied into content/ as they are",
            )
        ]
    source = sources.read_source(path, Path())
    if isinstance(source, Diagnostic):
        return [], [source]
    source = dataclasses.replace(source, path=display)
    articles, problems = load_source(source, loader, default_date=default_date)
    entries, digest_problems = parse_digest_entries(source.text, loader, default_date)
    problems = [_with_date_hint(d, digest_problems) for d in problems]
    if any(d.is_error for d in problems):
        return [], problems
    paragraphs = {entry.line: entry.paragraphs for entry in entries}
    planned: list[Planned] = []
    for article in articles:
        where = error(display, article.source.line, "")
        text = article_markdown(article, paragraphs[article.source.line or 0], lang=lang)
        mismatch = _round_trip(text, article, loader, display)
        if mismatch:
            problems.append(
                error(
                    display,
                    article.source.line,
                    f"cannot import {article.title!r} faithfully: {mismatch}",
                    "please report this; meanwhile write the article by hand with 'dateline new'",
                )
            )
            continue
        planned.append(Planned(where, path.resolve(), into / target_name(article), text, article))
    return planned, problems


def _with_date_hint(diagnostic: Diagnostic, found: list[digest.DigestProblem]) -> Diagnostic:
    """Undated entries can be imported with one date for all: say so."""
    undated = {p.line for p in found if p.kind == digest.UNDATED}
    if diagnostic.location.line in undated and diagnostic.hint:
        hint = f"{diagnostic.hint}, or give one date for all of them with --date 2018-07-06"
        return dataclasses.replace(diagnostic, hint=hint)
    return diagnostic


_COMPARED = ("path", "title", "date", "place", "countries", "themes", "summary", "lang")


def _round_trip(text: str, article: Article, loader: Loader, display: str) -> str | None:
    """Load the generated file with the real loader; describe what differs, if anything."""
    found, problems = load_source(sources.SourceFile(display + ".md", text, ""), loader)
    if any(d.is_error for d in problems) or len(found) != 1:
        return "; ".join(d.message for d in problems) or "the file did not load"
    again = found[0]
    for name in _COMPARED:
        if getattr(again, name) != getattr(article, name):
            return f"its {name} would change from {getattr(article, name)!r} to {getattr(again, name)!r}"
    if _visible(again.body_html) != _visible(article.body_html):
        return "its text would change"
    return None


def _visible(body_html: str) -> str:
    return body_html.replace("&#126;", "~").replace("&#58;", ":")


def import_digests(
    digests: Sequence[Path],
    config: SiteConfig,
    into: Path,
    *,
    default_date: dt.datetime | None = None,
    lang: str | None = None,
    dry_run: bool = False,
    force: bool = False,
) -> ImportReport:
    """Import every digest; write nothing when any target is in doubt or `dry_run`."""
    if lang:
        config = dataclasses.replace(config, language=lang)
    loader = Loader.for_site(config)
    planned: list[Planned] = []
    problems: list[Diagnostic] = []
    for path in digests:
        found, found_problems = plan_digest(
            path, _display(path), loader, into, default_date=default_date, lang=lang
        )
        planned.extend(found)
        problems.extend(found_problems)
    existing = _site_urls(config, {p.target.resolve() for p in planned})
    written: list[Path] = []
    skipped: list[Path] = []
    claimed: dict[Path, Planned] = {}
    for item in planned:
        refusal = _refusal(item, claimed, existing, force)
        if refusal is not None:
            problems.append(refusal)
            continue
        claimed[item.target] = item
        if _read(item.target) == item.text:
            skipped.append(item.target)
            continue
        if not dry_run:
            _write_atomic(item.target, item.text)
        written.append(item.target)
    return ImportReport(tuple(written), tuple(skipped), tuple(problems))


def _refusal(
    item: Planned, claimed: dict[Path, Planned], existing: dict[str, tuple[str, Path]], force: bool
) -> Diagnostic | None:
    where = item.origin.location
    shown = _display(item.target)
    if item.target in claimed:
        other = claimed[item.target].origin.location
        return error(
            where.path,
            where.line,
            f"{shown} would be written twice (also from {other})",
            "give one of the two articles a different title",
        )
    if item.article.path in existing:
        owner, owner_file = existing[item.article.path]
        hint = "give it a different title, or remove the other article"
        if owner_file == item.digest:
            hint = "the digest itself is inside the site's content folder: move it out first"
        return error(
            where.path,
            where.line,
            f"the site already has an article at {item.article.path} ({owner})",
            hint,
        )
    current = _read(item.target)
    if current is not None and current != item.text and not force:
        return error(
            where.path,
            where.line,
            f"{shown} already exists with different text; it was left as it was",
            "compare the two, then use --force to replace the file",
        )
    return None


def _site_urls(config: SiteConfig, targets: set[Path]) -> dict[str, tuple[str, Path]]:
    """URL → source of the articles already in the site, except the files we would write."""
    try:
        loaded = load_site(config)
    except DatelineError:
        return {}
    files = {a.path: (config.root / a.source.path).resolve() for a in loaded.articles}
    return {
        a.path: (str(a.source), files[a.path])
        for a in loaded.articles
        if files[a.path] not in targets
    }


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except (FileNotFoundError, UnicodeDecodeError):
        return None


def _write_atomic(path: Path, text: str) -> None:
    """Write through a temporary file, so an interrupted import leaves no half file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=".import-", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
        Path(temp).replace(path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def _display(path: Path) -> str:
    try:
        return path.absolute().relative_to(Path.cwd()).as_posix()
    except ValueError:
        return path.as_posix()


def add_import_command(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """`dateline import DIGEST... [--into DIR] [--dry-run] [--date DATE] [--lang en|es] [--force]`."""
    parser = commands.add_parser(
        "import", help="turn bulletin digests (.txt) into one Markdown file per article"
    )
    parser.add_argument("digests", nargs="+", type=Path, metavar="DIGEST")
    add_site_folder(parser)
    parser.add_argument(
        "--into", type=Path, help="folder to write into (default: the site's content/)"
    )
    parser.add_argument("--dry-run", action="store_true", help="show what would be written")
    parser.add_argument("--date", help="the date of every entry that has no date line")
    parser.add_argument("--lang", help="language of the bulletins (default: the site's)")
    parser.add_argument(
        "--force", action="store_true", help="replace files that exist with different text"
    )
    parser.set_defaults(handler=run_import)


def run_import(args: argparse.Namespace) -> int:
    try:
        config = load_config(args.site)
    except DatelineError as exc:
        _print(exc.diagnostics)
        return 1
    default_date = None
    if args.date is not None:
        try:
            default_date = dates.parse_date(args.date, tz=config.tz)
        except dates.DateParseError as exc:
            print(f"error: --date {args.date!r}: {exc.message}", file=sys.stderr)
            return 2
    missing = [p for p in args.digests if not p.is_file()]
    if missing:
        print(f"error: no such file: {', '.join(map(str, missing))}", file=sys.stderr)
        return 2
    into = args.into or config.root / config.content_dir
    try:
        report = import_digests(
            args.digests,
            config,
            into,
            default_date=default_date,
            lang=args.lang,
            dry_run=args.dry_run,
            force=args.force,
        )
    except OSError as exc:
        print(f"error: cannot write: {exc}", file=sys.stderr)
        return 1
    verb = "would write" if args.dry_run else "wrote"
    for path in report.written:
        print(f"{verb} {_display(path)}")
    for path in report.skipped:
        print(f"skipped {_display(path)} (already imported, identical)")
    _print(report.diagnostics)
    refused = sum(d.is_error for d in report.diagnostics)
    if not report.written and report.skipped and not refused:
        count = len(report.skipped)
        print(f"nothing new: {count} article{'s' * (count != 1)} already imported")
    else:
        print(
            f"{'dry run: ' if args.dry_run else ''}{len(report.written)} "
            f"{'to write' if args.dry_run else 'written'}, "
            f"{len(report.skipped)} skipped, {refused} refused"
        )
    return 0 if report.ok else 1


def _print(diagnostics: Sequence[Diagnostic]) -> None:
    for diagnostic in diagnostics:
        print(diagnostic, file=sys.stderr)
