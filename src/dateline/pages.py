"""Rendering for a build: skip pages whose fingerprint is unchanged, render the rest in a pool.

A page is rendered when what it shows changed (its artifact's data, the templates,
the site-wide values: see `cache.Fingerprints`) or when the output no longer holds
the bytes it was last rendered to. Rendering runs in batches, so a cold build of a
big archive never holds every page in memory at once.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path

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

BATCH = 2048  # pages rendered between two writes: bounds memory on a cold build
MAX_ERRORS = 20

EnvFactory = Callable[[], Mapping[str, jinja2.Environment]]


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


def _setup(
    artifacts: Sequence[Artifact], default_lang: str, make_envs: EnvFactory, cards: CardCache
) -> None:
    _worker.update(artifacts=artifacts, default=default_lang, envs=make_envs(), cards=cards)


def _render(index: int) -> tuple[bytes, NewCards, list[str]] | Diagnostic:
    """Render one artifact by its index (the unit sent to a worker: an int pickles cheaply).

    The cards rendered for it and the digests of the bodies it showed go back with the
    bytes, so the parent can keep them."""
    artifact = _worker["artifacts"][index]  # type: ignore[index]
    envs: Mapping[str, jinja2.Environment] = _worker["envs"]  # type: ignore[assignment]
    try:
        with bodies_shown() as shown:
            data = render_artifact(envs[artifact.lang or _worker["default"]], artifact)  # type: ignore[index]
    except RenderError as exc:  # a Diagnostic pickles; the exception would lose it
        return exc.diagnostic
    return data, _worker["cards"].take_new(), sorted(shown)  # type: ignore[attr-defined]


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
) -> Iterator[tuple[str, FileData]]:
    """Every artifact's (path, bytes), or UNCHANGED where the output already holds them.

    `cards` must be the one `make_envs` gives its environments (see cards.py)."""
    cards = cards or CardCache(None, "")
    todo: list[int] = []
    prints: list[str] = []
    paths = [output_path(artifact.path) for artifact in artifacts]
    for index, artifact in enumerate(artifacts):
        fingerprint = fingerprints.of(artifact, paths[index])
        prints.append(fingerprint)
        if not records.unchanged(paths[index], fingerprint, previous, fingerprints.bodies):
            todo.append(index)
    pending = set(todo)
    errors: list[Diagnostic] = []
    position = 0

    def upto(last: int, done: dict[int, tuple[bytes, list[str]]]) -> Iterator[tuple[str, FileData]]:
        nonlocal position
        while position <= last:
            relative = paths[position]
            if position in pending:
                data, shown = done.pop(position)
                records.record(relative, prints[position], data, fingerprints.body_deps(shown))
                yield relative, data
            else:
                yield relative, UNCHANGED
            position += 1

    # one set of workers for every batch: each sets up its templates and cards once
    with Workers(jobs=jobs, total=len(todo), setup=_setup,
                 setup_args=(artifacts, default_lang, make_envs, cards)) as workers:  # fmt: skip
        if workers.jobs > 1:
            cards.preload()  # read once before the workers fork, not once in each of them
        for start in range(0, len(todo), BATCH):
            batch = todo[start : start + BATCH]
            results = workers.map(_render, batch)
            done: dict[int, tuple[bytes, list[str]]] = {}
            for index, result in zip(batch, results, strict=True):
                if not isinstance(result, Diagnostic):
                    done[index] = (result[0], result[2])
                    cards.merge(result[1])
                elif result not in errors:
                    errors.append(result)
            if errors:
                raise BuildError(errors[:MAX_ERRORS])
            yield from upto(batch[-1], done)
    yield from upto(len(artifacts) - 1, {})
