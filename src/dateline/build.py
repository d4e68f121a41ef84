"""The pipeline: config → load → archive → plan → render → write.

One readable function names every stage. Time is injected (`now`), so a build
depends only on its inputs; the same tree builds to byte-identical output.
"""

from __future__ import annotations

import datetime as dt
import gc
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path

import jinja2
from babel.support import NullTranslations

from dateline import snapshot
from dateline.archive import build_archive, publishable
from dateline.cache import (
    PRUNE_EVERY,
    ContentCache,
    Fingerprints,
    PageRecords,
    RecordedFingerprints,
    cache_dir,
    clear_content_cache,
    jinja_cache,
    shown_identity,
)
from dateline.cards import CardCache
from dateline.config import SiteConfig, load_config
from dateline.content.gazetteer import load_gazetteer
from dateline.content.loader import LoadResult, load_site
from dateline.errors import BuildError, Diagnostic, sorted_diagnostics, warning
from dateline.feeds import plan_feeds
from dateline.i18n import (
    Edition,
    articles_by_language,
    editions,
    link_translations,
    load_catalogues,
    taxonomy_paths,
    translation_key_problems,
)
from dateline.ledger import host_files, published_urls, read_ledger, removed_urls, removed_warning
from dateline.metadata import check_base_url
from dateline.model import Archive, Article, Artifact, BodyUnavailable
from dateline.pages import SideJob, rendered_files, site_fingerprint
from dateline.parallel import default_jobs
from dateline.plan import collisions as find_collisions
from dateline.plan import plan_site
from dateline.render import locale_dirs, make_environment
from dateline.report import BuildReport as BuildReport  # re-exported: its old home
from dateline.search import search_index, search_pages
from dateline.sitemap import plan_sitemaps
from dateline.stamp import Stamp
from dateline.theme import theme_static
from dateline.urls import UnsafePathError
from dateline.write import (
    FileData,
    MissingPreviousError,
    OutputError,
    check_output_folder,
    read_manifest,
    write_site,
)


@dataclass(frozen=True, slots=True)
class SitePlan:
    """Everything known before rendering: used by build, check and serve alike."""

    config: SiteConfig
    archive: Archive  # the default language's
    artifacts: tuple[Artifact, ...]
    diagnostics: tuple[Diagnostic, ...]
    archives: tuple[Archive, ...] = ()  # one per language, the default language's first
    catalogues: Mapping[str, NullTranslations] = field(default_factory=dict)  # UI strings
    embargo: dt.datetime | None = None  # when the first held-back (future-dated) article is due
    loaded: LoadResult | None = None  # every article and loading diagnostic (for snapshot.py)
    sources: Mapping[str, str] = field(default_factory=dict)  # content file → digest (cache only)
    identities: Mapping[str, tuple[Article, str]] = field(default_factory=dict)  # Earlier.known


def plan_build(
    root: Path,
    *,
    now: dt.datetime,
    drafts: bool = False,
    overrides: Mapping[str, object] | None = None,
    use_cache: bool = False,
    jobs: int | None = None,
    earlier: Callable[[ContentCache], snapshot.Earlier] | None = None,
    loaded: LoadResult | None = None,
) -> SitePlan:
    """Stages 0–3. Raises ConfigError or BuildError (with every content error found).

    `earlier` gives the last full build's loads (snapshot.py), read through the cache.
    `loaded`: the site as the caller loaded it already (`check` needs the articles even
    when planning fails), so it is not converted twice.

    Planning runs once per language (i18n.editions: the default language first, at the
    root). Each language has its own `Archive` (its articles only, names and slugs in
    its language, `archive.prefix` "" or "/es"); a per-language planner is called as
    `planner(archive, config)` inside the loop and must put `archive.prefix` in front of
    its paths. Site-wide planners (the sitemap) run after the loop, on every artifact,
    once `link_translations` has given each page its `alternates` (language → path).
    """
    config = load_config(root, overrides)
    check_base_url(config)  # feeds, sitemaps and canonical links need an absolute URL
    cache = ContentCache.for_site(config, enabled=use_cache)
    # the last plan's loads, unless it is time to read the whole cache and prune it
    reuse = earlier is not None and use_cache and cache.unpruned < PRUNE_EVERY
    kept = earlier(cache) if earlier and reuse else None
    if loaded is None:
        loaded = load_site(config, cache=cache, jobs=jobs or default_jobs(),
                           earlier=kept.files if kept else None)  # fmt: skip
    if any(d.is_error for d in loaded.diagnostics):
        raise BuildError(loaded.diagnostics)
    articles = publishable(loaded.articles, now=now, drafts=drafts)
    notes = [
        warning(a.source.path, a.source.line, f"no country found for {a.title!r}; it is listed under Regional",
                "add 'country: XX' to the front matter, or start the lead with a dateline such as 'San Salvador – '")
        for a in articles
        if not a.countries
    ]  # fmt: skip
    catalogues, catalogue_notes = load_catalogues(config, locale_dirs(config))
    key_problems = translation_key_problems(articles)
    if key_problems or any(d.is_error for d in catalogue_notes):
        raise BuildError(sorted_diagnostics([*key_problems, *catalogue_notes]))
    archives = tuple(
        language_archive(articles_by_language(articles, config)[e.lang], config, e, catalogues)
        for e in editions(config)
    )
    artifacts: tuple[Artifact, ...] = ()
    for archive in archives:
        # One language's whole site. A per-language planner takes that language's archive
        # and puts archive.prefix ("" for the default language, "/es", …) in front of every
        # path it makes; the loop stamps the language on its artifacts for rendering.
        pages = plan_site(archive, config)[0] + plan_feeds(archive, config)
        artifacts += tuple(replace(page, lang=archive.lang) for page in pages)
    artifacts = link_translations(artifacts)  # hreflang / switcher targets, all languages known
    artifacts += plan_sitemaps(artifacts, config)  # site-wide planners come after the loop
    collisions = find_collisions(artifacts)
    diagnostics = sorted_diagnostics([*loaded.diagnostics, *notes, *catalogue_notes, *collisions])
    if collisions:
        raise BuildError(diagnostics)
    embargo = (
        None
        if drafts
        else min((a.date for a in loaded.articles if not a.draft and a.date > now), default=None)
    )
    return SitePlan(config, archives[0], artifacts, diagnostics, archives, catalogues, embargo,
                    loaded, cache.digests() if use_cache else {},
                    kept.known(loaded.articles) if kept else {})  # fmt: skip


def language_archive(
    articles: tuple[Article, ...],
    config: SiteConfig,
    edition: Edition,
    catalogues: Mapping[str, NullTranslations],
) -> Archive:
    """One language's archive: its articles, with country and theme names in that language."""
    gazetteer = load_gazetteer()
    catalogue = catalogues[edition.lang]
    return build_archive(
        articles,
        country_name=lambda code: gazetteer.country_name(code, edition.lang),
        theme_name=lambda name: config.theme_name(name, edition.lang),
        regional_name=catalogue.gettext("Regional"),
        related=config.related,
        lang=edition.lang,
        prefix=edition.prefix,
        taxonomy_paths=taxonomy_paths(edition.prefix, catalogue),
    )


def build_site(
    root: Path,
    *,
    now: dt.datetime,
    out_dir: Path | None = None,
    drafts: bool = False,
    force: bool = False,
    overrides: Mapping[str, object] | None = None,
    use_cache: bool = True,
    jobs: int | None = None,
    search: bool = True,
    stamp: Stamp | None = None,
) -> BuildReport:
    """Build the site at `root` into `out_dir` (default: the config's output_dir).

    `use_cache=False` is the reference full build: no cache read or written, every
    page rendered. `jobs` processes convert and render (default: one per CPU).
    `search=False` (--no-search) makes no search index (see search.py).
    With the cache, a build whose inputs did not change returns the last report (stamp.py;
    the CLI passes the `stamp` it already checked), and one whose only changes are article
    bodies restores the last full build's plan instead of planning (snapshot.py).
    """
    started = time.perf_counter()
    if use_cache:
        stamp = stamp or Stamp.for_build(root, out_dir, drafts, overrides, search=search)
        if (last := stamp.fresh_report(now, started)) is not None:
            return last

    # A plan kept by the last full build (snapshot.py), when the cache and stamp are used.
    kept = snapshot.snapshot_path(cache_dir(root), stamp.out_key) if use_cache and stamp else None

    def attempt(reuse: bool) -> BuildReport:
        with _archive_heap() as planned:
            found = (
                snapshot.open_kept(kept, frame=stamp.frame, root=root)
                if reuse and kept is not None and stamp
                else None
            )
            plan, read = _restored_plan(found, now) if found is not None else (None, None)
            replay, keep = plan is not None, None
            if plan is None:
                plan = plan_build(
                    root,
                    now=now,
                    drafts=drafts,
                    overrides=overrides,
                    use_cache=use_cache,
                    jobs=jobs,
                    earlier=partial(_read_already, read)
                    if read is not None
                    else partial(snapshot.earlier_loads, kept, stamp.frame)
                    if reuse and kept is not None and stamp
                    else None,
                )
                read = None  # 20,000 files' loads: planning took what it needed
                if kept is not None:  # records are about to change: the old plan is stale
                    snapshot.drop(kept)
                keep = _snapshot_saver(kept, stamp, plan, found.files if found else {})
            planned()
            try:
                return _render_and_write(root, plan, out_dir=out_dir, force=force,
                                         use_cache=use_cache, jobs=jobs, search=search,
                                         stamp=stamp, started=started, replay=replay,
                                         keep=keep)  # fmt: skip
            finally:
                if keep is not None:
                    keep[0].discard()  # unless committed: a failed build keeps no plan

    try:
        return attempt(reuse=True)
    except BodyUnavailable:  # a cache file vanished under the build; nothing was swapped in
        clear_content_cache(root)
        return attempt(reuse=False)


def _read_already(loads: snapshot.Earlier, _cache: ContentCache) -> snapshot.Earlier:
    """`plan_build`'s `earlier` when restoring read the last plan's loads already."""
    return loads


def _restored_plan(
    found: snapshot.Kept, now: dt.datetime
) -> tuple[SitePlan | None, snapshot.Earlier | None]:
    """The last full build's plan when only bodies changed since (snapshot.py), else None
    and the last plan's loads if restoring read them (the full build takes them)."""
    cache = ContentCache.for_site(found.config)
    outcome = snapshot.restore(found, now=now, cache=cache, identity=shown_identity)
    cache.bodies_only()  # the restored articles' (or the loads read') body store, no more
    restored = outcome.restored
    if restored is None:
        return None, outcome.earlier
    catalogues, _notes = load_catalogues(restored.config, locale_dirs(restored.config))
    return SitePlan(restored.config, restored.archives[0], restored.artifacts,
                    restored.diagnostics, restored.archives, catalogues, restored.embargo), None  # fmt: skip


def _snapshot_saver(
    kept: Path | None, stamp: Stamp | None, plan: SitePlan, known: Mapping[str, tuple[str, str]]
) -> tuple[snapshot.Pending, Callable[[Fingerprints], bool]] | None:
    """Keeps a full build's plan for the next build (snapshot.py): where it goes once the
    build has succeeded, and what writes it (given the fingerprints, in a render worker).

    `known` is the last snapshot's (digest, signature) per file, made with the same frame:
    a file with the same digest loads the same, so its signature is taken, not recomputed.
    """
    if kept is None or stamp is None or plan.loaded is None or not plan.sources:
        return None
    if stamp.frame_racy:  # a template changed just now may change again unseen: keep nothing
        return None
    loaded = plan.loaded
    pending = snapshot.Pending.beside(kept)

    def save(fingerprints: Fingerprints) -> bool:
        files = snapshot.by_file(loaded.articles, loaded.diagnostics)
        return snapshot.save(
            pending,
            frame=stamp.frame,
            sources_digests=plan.sources,
            loads=files,
            identity=fingerprints.identity,
            signatures={
                relative: known[relative][1]
                if relative in known and known[relative][0] == digest
                else snapshot.signature(files.get(relative, ([], [])), fingerprints.identity)
                for relative, digest in plan.sources.items()
            },
            config=plan.config,
            archives=plan.archives,
            artifacts=plan.artifacts,
            diagnostics=plan.diagnostics,
            embargo=plan.embargo,
        )

    return pending, save


@contextmanager
def _archive_heap() -> Iterator[Callable[[], None]]:
    """No cycle collection while the archive is loaded and planned; exempt it afterwards.

    Loading and planning make tens of thousands of long-lived objects and no cyclic
    garbage, yet every collection walked all of them (a third of a 20k rebuild). The
    plan is then frozen (`gc.freeze`) for rendering, which does make cyclic garbage,
    so collections skip it and forked workers do not copy its pages by touching it.
    Unfrozen at the end: a long-running `serve` collects each old plan as usual.
    """
    enabled = gc.isenabled()
    gc.disable()

    def planned() -> None:
        gc.freeze()
        if enabled:
            gc.enable()

    try:
        yield planned
    finally:
        gc.unfreeze()
        if enabled:
            gc.enable()


def _render_and_write(
    root: Path,
    plan: SitePlan,
    *,
    out_dir: Path | None,
    force: bool,
    use_cache: bool,
    jobs: int | None,
    search: bool,
    stamp: Stamp | None,
    started: float,
    replay: bool = False,
    keep: tuple[snapshot.Pending, Callable[[Fingerprints], bool]] | None = None,
) -> BuildReport:
    """Stages 4–5. `replay`: the plan was restored (snapshot.py), so each page keeps its
    recorded fingerprint. `keep` writes the plan for the next build while the pages render
    (a side job of the render workers); it is put in place once the build is done."""
    plan = replace(plan, artifacts=search_pages(plan.artifacts, enabled=search))
    out = (out_dir or root / plan.config.output_dir).absolute()
    check_out_dir(root, out)
    check_output_folder(out, force=force)
    previous_urls = read_ledger(out)

    cards: CardCache | None = None  # rendered listing cards kept between builds (cards.py)

    def make_envs() -> dict[str, jinja2.Environment]:
        envs = {
            archive.lang: make_environment(
                plan.config, archive, plan.catalogues.get(archive.lang), cards
            )
            for archive in plan.archives
        }
        for env in envs.values():  # compiled templates, checked against their source
            env.bytecode_cache = jinja_cache(root) if use_cache else None
        return envs

    # Incremental: pages whose fingerprint and output bytes are unchanged are not rendered
    # (see pages.py and cache.py); without the cache every page is rendered and written.
    records = PageRecords(root if use_cache else None, out)
    articles = [a for archive in plan.archives for a in archive.articles]
    site = site_fingerprint(plan.config, plan.archives, make_envs(), locale_dirs(plan.config))
    fingerprints = (
        RecordedFingerprints(site, articles, records)
        if replay
        else Fingerprints(site, articles, known=plan.identities)
    )
    cards = CardCache(root if use_cache else None, site, out, fingerprints.identity)
    saved: list[bool] = []  # whether the side job wrote the plan for the next build
    side = SideJob(partial(keep[1], fingerprints), saved.append) if keep is not None else None

    def files() -> Iterator[tuple[str, FileData]]:
        yield from rendered_files(
            plan.artifacts, default_lang=plan.config.language, make_envs=make_envs,
            fingerprints=fingerprints, records=records,
            previous=read_manifest(out) if use_cache else {}, jobs=jobs or default_jobs(),
            cards=cards, side=side if use_cache else None,
        )  # fmt: skip
        yield from static_files(plan.config)
        yield from host_files(plan.artifacts)  # .nojekyll and the URL ledger

    finalize = search_index(out, enabled=search)
    try:
        report = write_site(out, files(), finalize)
    except MissingPreviousError:  # someone removed files from the output: write it all
        records = PageRecords(None, out)
        use_cache = False
        report = write_site(out, files(), finalize, trust_previous=False)
    records.save()
    cards.save((archive.lang, a.path) for archive in plan.archives for a in archive.articles)
    gone = removed_urls(previous_urls, published_urls(plan.artifacts))
    ledger_notes = (removed_warning(gone, plan.config, "the last build"),) if gone else ()
    built = BuildReport(
        out_dir=out,
        articles=sum(len(archive.articles) for archive in plan.archives),
        pages=len(plan.artifacts),
        written=report.written,
        unchanged=report.unchanged,
        removed=report.removed,
        diagnostics=plan.diagnostics + ledger_notes,
        seconds=time.perf_counter() - started,
        removed_urls=gone,
        newest=max((a.updated or a.date for a in articles), default=None),
    )
    if stamp is not None:
        stamp.save(built, plan.embargo)
    if keep is not None and use_cache and saved and saved[-1]:
        keep[0].commit()
    return built


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
