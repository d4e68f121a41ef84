"""The pipeline: config → load → archive → plan → render → write.

One readable function names every stage. Time is injected (`now`), so a build
depends only on its inputs; the same tree builds to byte-identical output.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from dateline.archive import build_archive, publishable
from dateline.config import SiteConfig, load_config
from dateline.content.gazetteer import load_gazetteer
from dateline.content.loader import load_site
from dateline.errors import BuildError, Diagnostic, sorted_diagnostics, warning
from dateline.feeds import plan_feeds
from dateline.metadata import check_base_url
from dateline.model import Archive, Artifact
from dateline.plan import plan_site
from dateline.render import RenderError, make_environment, render_artifact
from dateline.sitemap import plan_sitemaps
from dateline.theme import theme_static
from dateline.urls import UnsafePathError, output_path
from dateline.write import OutputError, check_output_folder, write_site


@dataclass(frozen=True, slots=True)
class BuildReport:
    """What a build did: the observable record tests and the CLI read."""

    out_dir: Path
    articles: int
    pages: int
    written: tuple[str, ...]
    unchanged: int
    removed: tuple[str, ...]
    diagnostics: tuple[Diagnostic, ...]
    seconds: float = field(compare=False)


@dataclass(frozen=True, slots=True)
class SitePlan:
    """Everything known before rendering: used by build, check and serve alike."""

    config: SiteConfig
    archive: Archive
    artifacts: tuple[Artifact, ...]
    diagnostics: tuple[Diagnostic, ...]


def plan_build(
    root: Path,
    *,
    now: dt.datetime,
    drafts: bool = False,
    overrides: Mapping[str, object] | None = None,
) -> SitePlan:
    """Stages 0–3. Raises ConfigError or BuildError (with every content error found)."""
    config = load_config(root, overrides)
    check_base_url(config)  # feeds, sitemaps and canonical links need an absolute URL
    loaded = load_site(config)
    if any(d.is_error for d in loaded.diagnostics):
        raise BuildError(loaded.diagnostics)
    articles = publishable(loaded.articles, now=now, drafts=drafts)
    notes = [
        warning(a.source.path, a.source.line, f"no country found for {a.title!r}; it is listed under Regional",
                "add 'country: XX' to the front matter, or start the lead with a dateline such as 'San Salvador – '")
        for a in articles
        if not a.countries
    ]  # fmt: skip
    gazetteer = load_gazetteer()
    archive = build_archive(
        articles,
        country_name=lambda code: gazetteer.country_name(code, config.language),
        related=config.related,
    )
    artifacts, collisions = plan_site(archive, config)
    artifacts += plan_feeds(archive, config)
    artifacts += plan_sitemaps(artifacts, config)
    diagnostics = sorted_diagnostics([*loaded.diagnostics, *notes, *collisions])
    if collisions:
        raise BuildError(diagnostics)
    return SitePlan(config, archive, artifacts, diagnostics)


def build_site(
    root: Path,
    *,
    now: dt.datetime,
    out_dir: Path | None = None,
    drafts: bool = False,
    force: bool = False,
    overrides: Mapping[str, object] | None = None,
) -> BuildReport:
    """Build the site at `root` into `out_dir` (default: the config's output_dir)."""
    started = time.perf_counter()
    plan = plan_build(root, now=now, drafts=drafts, overrides=overrides)
    out = (out_dir or root / plan.config.output_dir).absolute()
    check_out_dir(root, out)
    check_output_folder(out, force=force)
    env = make_environment(plan.config, plan.archive)
    errors: list[Diagnostic] = []

    def files() -> Iterator[tuple[str, bytes]]:
        for artifact in plan.artifacts:
            try:
                yield output_path(artifact.path), render_artifact(env, artifact)
            except RenderError as exc:
                if exc.diagnostic not in errors:
                    errors.append(exc.diagnostic)
                if len(errors) >= 20:
                    break
        if errors:
            raise BuildError(errors)
        yield from static_files(plan.config)

    report = write_site(out, files())
    return BuildReport(
        out_dir=out,
        articles=len(plan.archive.articles),
        pages=len(plan.artifacts),
        written=report.written,
        unchanged=report.unchanged,
        removed=report.removed,
        diagnostics=plan.diagnostics,
        seconds=time.perf_counter() - started,
    )


def static_files(config: SiteConfig) -> Iterator[tuple[str, bytes]]:
    """The theme's static files, then the site's (a site file replaces a theme file)."""
    found: dict[str, Path] = {}
    for base in (theme_static(), config.root / "static"):
        if not base.is_dir():
            continue
        for path in sorted(base.rglob("*")):
            relative = path.relative_to(base).as_posix()
            if path.is_file() and not any(part.startswith(".") for part in relative.split("/")):
                found[relative] = path
    for relative, path in sorted(found.items()):
        if not _inside(path, (config.root, theme_static())):
            raise UnsafePathError(
                f"static/{relative} links to a file outside the site; "
                "copy the file into static/ instead of linking to it"
            )
        yield f"static/{relative}", path.read_bytes()


def _inside(path: Path, folders: tuple[Path, ...]) -> bool:
    """True when `path`, links resolved, is inside one of `folders` (never publish /etc/passwd)."""
    real = path.resolve()
    return any(real.is_relative_to(folder.resolve()) for folder in folders)


def check_out_dir(root: Path, out: Path) -> None:
    """Refuse outputs that would replace the site's own sources or a home/system folder."""
    site = root.resolve()
    target = out.resolve()
    protected = {site, Path(target.anchor), Path.home().resolve()}
    protected |= {(site / name).resolve() for name in ("content", "templates", "static")}
    if target in protected or site.is_relative_to(target):
        raise OutputError(
            f"refusing to write the site into {out}: it would replace the site's own files"
        )
    for name in ("content", "templates", "static"):
        if target.is_relative_to((site / name).resolve()):
            raise OutputError(f"refusing to write the site inside {name}/; choose another --out")
