"""Rendering for a build: skip pages whose fingerprint is unchanged, render the rest in a pool.

A page is rendered when what it shows changed (its artifact's data, the templates,
the site-wide values: see `cache.Fingerprints`) or when the output no longer holds
the bytes it was last rendered to. When every page renders (a cold build), at most
`RENDER_WINDOW` are rendered ahead of the one being written, so a big archive never holds
every page in memory at once; when the workers check pages that mostly stay, the pool's
own window applies (its results are mostly "unchanged").
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, Generic, TypeVar

import jinja2

from dateline.cache import Fingerprints, PageRecords, code_version, digest_files
from dateline.cards import CardCache, NewCards
from dateline.config import SiteConfig
from dateline.errors import BuildError, Diagnostic
from dateline.model import Archive, Artifact, bodies_shown
from dateline.parallel import Workers
from dateline.render import RenderError, render_artifact, template_dirs
from dateline.urls import output_path
from dateline.write import UNCHANGED, FileData

BATCH = 1024  # after a page's error, the pages up to the next multiple of this are rendered
CHECK_IN_WORKERS = 10_000  # pages: from here a fully planned site is fingerprinted in the workers
MAX_ERRORS = 20
# Pages handed out ahead of the one being written when every unit renders one (about
# 25 KB each: 13 MB held at most). When the workers check pages that mostly stay, the
# results are small and the pool's longer default keeps the worker fed.
RENDER_WINDOW = 512

EnvFactory = Callable[[], Mapping[str, jinja2.Environment]]
R = TypeVar("R")


@dataclasses.dataclass(frozen=True, slots=True)
class SideJob(Generic[R]):
    """Work for a render worker beside the pages (build.py pickles the plan for the next
    build): `run` goes to the first free worker, or runs here once the pages are done when
    there are no workers; `done` gets its result here."""

    run: Callable[[], R]
    done: Callable[[R], None]


def site_fingerprint(
    config: SiteConfig, archives: Sequence[Archive], envs: Mapping[str, jinja2.Environment],
    extra_folders: Sequence[Path] = (),
) -> str:  # fmt: skip
    """What every page may show besides its own data: config, code, templates, terms."""
    parts = Fingerprints("")
    digest = hashlib.sha256()
    digest.update(f"{code_version()}\0{config!r}\0".encode())
    digest.update(digest_files([*template_dirs(config), *extra_folders]).encode())
    shown = _mentioned_in_templates(config, "article_count")
    for lang, env in sorted(envs.items()):
        site = env.globals.get("site")
        if not shown and dataclasses.is_dataclass(site) and hasattr(site, "article_count"):
            site = dataclasses.replace(site, article_count=0)  # type: ignore[type-var]
        digest.update(parts.of((lang, site)).encode())
    for archive in archives:
        terms = tuple(group.term for group in (*archive.countries, *archive.themes))
        digest.update(parts.of(terms).encode())
    return digest.hexdigest()


def _mentioned_in_templates(config: SiteConfig, name: str) -> bool:
    """Whether any template names `name`: a count no page shows must not make all stale."""
    return any(
        name in path.read_text(encoding="utf-8", errors="replace")
        for folder in template_dirs(config)
        for path in folder.rglob("*")
        if path.is_file()
    )


_worker: dict[str, object] = {}


def _setup(job: _Job) -> None:
    _worker.update(job=job, envs=job.make_envs())


@dataclasses.dataclass(frozen=True, slots=True)
class _Job:
    """What rendering a page needs: inherited by forked workers, never pickled."""

    artifacts: Sequence[Artifact]
    paths: Sequence[str]
    default_lang: str
    make_envs: EnvFactory
    cards: CardCache
    fingerprints: Fingerprints
    records: PageRecords
    previous: Mapping[str, str]
    checked: bool  # the parent fingerprinted every page and sends only the ones to render
    side: SideJob[Any] | None


Rendered = tuple[str | None, bytes, NewCards, list[str]]


def _side() -> object:
    job: _Job = _worker["job"]  # type: ignore[assignment]
    assert job.side is not None
    return job.side.run()


def _page(index: int) -> Rendered | Diagnostic | None:
    """Render one artifact by its index (the unit sent to a worker: an int pickles cheaply).

    Unless the parent checked it already (`_Job.checked`), the page is fingerprinted here
    first and None returned when the output holds it. Its fingerprint, the cards rendered
    for it and the digests of the bodies it showed go back with the bytes, so the parent
    can keep them."""
    job: _Job = _worker["job"]  # type: ignore[assignment]
    artifact, relative = job.artifacts[index], job.paths[index]
    fingerprint = None
    if not job.checked:
        fingerprint = job.fingerprints.of(artifact, relative)
        if job.records.unchanged(relative, fingerprint, job.previous, job.fingerprints.bodies):
            return None
    envs: Mapping[str, jinja2.Environment] = _worker["envs"]  # type: ignore[assignment]
    try:
        with bodies_shown() as shown:
            data = render_artifact(envs[artifact.lang or job.default_lang], artifact)
    except RenderError as exc:  # a Diagnostic pickles; the exception would lose it
        return exc.diagnostic
    return fingerprint, data, job.cards.take_new(), sorted(shown)


def rendered_files(
    artifacts: Sequence[Artifact],
    *,
    default_lang: str,
    make_envs: EnvFactory,
    fingerprints: Fingerprints,
    records: PageRecords,
    previous: Mapping[str, str],
    jobs: int,
    cards: CardCache | None = None,
    side: SideJob[Any] | None = None,
) -> Iterator[tuple[str, FileData]]:
    """Every artifact's (path, bytes), or UNCHANGED where the output already holds them.

    Fingerprints are checked here, and only the pages to render go to the workers,
    unless fingerprinting a big plan costs more than forking (`CHECK_IN_WORKERS`): then
    the workers check and render every page between them. Either way each page is
    yielded, to be written, as soon as it and the pages before it are done. A `side` job
    runs beside the pages (see `SideJob`). `cards` must be the one `make_envs` gives its
    environments (see cards.py)."""
    cards = cards or CardCache(None, "")
    paths = [output_path(artifact.path) for artifact in artifacts]
    checked = not (fingerprints.costly and jobs > 1 and len(artifacts) >= CHECK_IN_WORKERS)
    prints: list[str] = []
    units: Sequence[int] = range(len(artifacts))
    if checked:
        prints = [fingerprints.of(a, p) for a, p in zip(artifacts, paths, strict=True)]
        units = [
            index
            for index, relative in enumerate(paths)
            if not records.unchanged(relative, prints[index], previous, fingerprints.bodies)
        ]
    job = _Job(artifacts, paths, default_lang, make_envs, cards, fingerprints, records,
               previous, checked, side)  # fmt: skip
    errors: list[Diagnostic] = []
    stop = len(artifacts)  # after an error, the pages up to the end of its batch, for theirs
    position = 0
    try:
        with Workers(jobs=jobs, total=len(units), setup=_setup, setup_args=(job,)) as workers:
            if workers.jobs > 1:
                cards.preload()  # read once before the workers fork, not once in each of them
            beside = workers.submit(_side) if side is not None else None  # first in line
            every_unit_renders = checked or not records.records  # checked: only those left
            window = RENDER_WINDOW if every_unit_renders else None
            results = workers.map(_page, units, window=window)
            for index, result in zip(units, results, strict=True):
                if index >= stop:
                    break
                if isinstance(result, Diagnostic):
                    errors += [] if result in errors else [result]
                    stop = min(stop, (index // BATCH + 1) * BATCH)
                    continue
                if errors:
                    continue
                for skipped in range(position, index):  # kept by the parent's check
                    yield paths[skipped], UNCHANGED
                position = index + 1
                relative = paths[index]
                if result is None:  # a worker's check found the output up to date
                    records.keep(relative)
                    yield relative, UNCHANGED
                    continue
                fingerprint, data, new_cards, shown = result
                cards.merge(new_cards)
                records.record(relative, fingerprint or prints[index], data,
                               fingerprints.body_deps(shown))  # fmt: skip
                yield relative, data
            if errors:
                raise BuildError(errors[:MAX_ERRORS])
            if side is not None:
                side.done(beside.result() if beside is not None else side.run())
    finally:
        _worker.clear()  # this process rendered too: let the plan go
    for skipped in range(position, len(artifacts)):
        yield paths[skipped], UNCHANGED
