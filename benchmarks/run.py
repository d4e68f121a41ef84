#!/usr/bin/env python3
"""Time `dateline build` as whole processes on the synthetic archive (issue 9).

    python benchmarks/run.py [--sizes 1000,4000,20000] [--runs 3] [--peers]
                             [--out results.md] [--keep DIR] [--dry-run] [--pss]

Why whole processes: the edit-publish loop the issue cares about is a CI job running
`dateline build` from scratch, so interpreter start-up, imports and cache loading are
part of the cost. Each measurement is one untimed warm-up then ``--runs`` timed runs;
the table shows the median. See benchmarks/README.md for what each measure means and
how CPU time and peak RSS are obtained.

Everything happens in a scratch work dir (default /tmp/dateline-bench, removed at the
end unless ``--keep DIR``), never inside the repository.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shlex
import shutil
import signal
import statistics
import subprocess
import sys
import threading
import time
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))

import make_corpus  # noqa: E402  (a sibling script, not a package)

PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")
REFRESH = b'http-equiv="refresh"'
MiB = 1024 * 1024
DEFAULT_WORK = Path("/tmp/dateline-bench")
BLOCK_MAIN = "{% block main %}"
EDITED_INDEX = 7  # the article every "edit one" measure touches (the peers' kit uses 7 too)
PRIME_DOC = "one untimed build if the output (or cache) is missing"
EDIT_DOC = f"append a 'Correction k' paragraph to {{}}/*-{EDITED_INDEX:05d}.md"

# Issue 9's targets: measure -> {N: seconds}; peak RSS (all processes) per N in MiB.
WALL_TARGETS: dict[str, dict[int, float]] = {
    "cold": {4000: 3.0, 20000: 9.0, 100000: 50.0},
    "nochange": {4000: 0.4, 20000: 1.2, 100000: 5.0},
    "edit1": {4000: 0.6, 20000: 1.5, 100000: 6.0},
    "add1": {4000: 1.5, 20000: 4.0},
}
RSS_TARGETS: dict[int, float] = {4000: 200.0, 20000: 600.0, 100000: 2048.0}
# Hugo 0.111's cold build on the issue's machine: the yardstick for `machine_factor`.
ISSUE_HUGO_COLD: dict[int, float] = {4000: 1.57, 20000: 8.50}

LABELS = {
    "cold": "cold full build (no cache)",
    "nochange": "rebuild, nothing changed",
    "edit1": "rebuild, one article body edited",
    "add1": "rebuild, one newest article added",
    "template": "rebuild, one template edited",
    "cold-nosearch": "cold full build, --no-search",
    "cold-cache": "cold full build, cache on",
}


# --------------------------------------------------------------------------- timing


class TreeRssSampler(threading.Thread):
    """Peak of the summed RSS of every process in the measured session, every 20 ms.

    wait4's ru_maxrss is the largest *single* process (the kernel keeps a max, not a sum,
    over reaped children), so a build fanned out to a process pool would look small.
    The command runs in its own session (start_new_session), so every process whose
    session id equals the leader's pid belongs to it, even pool workers re-parented to
    init. Summed RSS counts pages shared between a forked parent and its workers once
    per process, so it errs high, which is the safe side for a memory budget.

    The summed PSS (proportional set size: a page shared by k processes counts 1/k in
    each, `/proc/PID/smaps_rollup`) is taken alongside: the physical memory the session
    really holds, reported next to the RSS the issue's targets are stated in. Reading it
    makes the kernel walk each process's page tables (about 20 ms for an 800 MiB process:
    at every sample it took half a core from the build being timed), so it is read only
    with `pss_every` > 0, on every `pss_every`-th sample (`--pss`).
    """

    def __init__(self, sid: int, interval: float = 0.02, pss_every: int = 0) -> None:
        super().__init__(daemon=True)
        self.sid = sid
        self.interval = interval
        self.pss_every = pss_every
        self.peak_bytes = 0
        self.peak_pss = 0
        self.peak_procs = 0
        self._samples = 0
        self._done = threading.Event()

    def sample(self) -> None:
        total = pss = procs = 0
        with_pss = self.pss_every > 0 and self._samples % self.pss_every == 0
        self._samples += 1
        for entry in os.scandir("/proc"):
            if not entry.name.isdigit():
                continue
            try:
                stat = Path(entry.path, "stat").read_bytes()
            except OSError:
                continue  # exited between listdir and open
            # fields after "(comm)": state ppid pgrp session ... rss is field 24 overall
            rest = stat[stat.rfind(b")") + 2 :].split()
            if int(rest[3]) != self.sid:
                continue
            total += int(rest[21]) * PAGE_SIZE
            pss += _pss_bytes(entry.path) if with_pss else 0
            procs += 1
        self.peak_bytes = max(self.peak_bytes, total)
        self.peak_pss = max(self.peak_pss, pss)
        self.peak_procs = max(self.peak_procs, procs)

    def run(self) -> None:
        while not self._done.is_set():
            self.sample()
            self._done.wait(self.interval)

    def stop(self) -> None:
        self._done.set()
        self.join()


def _pss_bytes(proc: str) -> int:
    """A process's proportional set size (0 if it exited or the kernel lacks smaps_rollup)."""
    try:
        for line in Path(proc, "smaps_rollup").read_bytes().splitlines():
            if line.startswith(b"Pss:"):
                return int(line.split()[1]) * 1024  # kB
    except (OSError, ValueError, IndexError):
        pass
    return 0


@dataclass
class Sample:
    wall: float
    cpu: float  # user+sys of the process and every descendant it reaped
    rss_tree: float  # MiB, peak of the summed RSS of the session (sampled)
    rss_max1: float  # MiB, wait4 ru_maxrss: the largest single process
    pss_tree: float | None  # MiB, peak of the summed PSS of the session (with --pss)
    procs: int
    rc: int

    @property
    def rss(self) -> float:
        """Reported peak: the sampled sum, or the exact single-process peak if higher
        (a spike shorter than the sampling interval can slip between two samples)."""
        return max(self.rss_tree, self.rss_max1)


class BuildFailed(Exception):
    def __init__(self, cmd: list[str], rc: int, log: Path) -> None:
        self.cmd, self.rc, self.log = cmd, rc, log
        tail = log.read_text(errors="replace")[-3000:] if log.exists() else ""
        super().__init__(f"exit {rc}: {' '.join(cmd)}\n{tail}")


def run_timed(cmd: list[str], cwd: Path, log: Path, timeout: float, pss_every: int = 0) -> Sample:
    """Run cmd once as a whole process; wall, CPU and peak RSS of its process tree."""
    os.sync()  # settle write-back from the previous build outside the timing
    with log.open("wb") as out:
        t0 = time.perf_counter()
        p = subprocess.Popen(
            cmd,
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        sampler = TreeRssSampler(p.pid, pss_every=pss_every)
        sampler.start()
        deadline = t0 + timeout
        while True:
            pid, status, ru = os.wait4(p.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() > deadline:
                os.killpg(p.pid, signal.SIGKILL)
                pid, status, ru = os.wait4(p.pid, 0)
                break
            time.sleep(0.002)
        wall = time.perf_counter() - t0
        sampler.stop()
    rc = os.waitstatus_to_exitcode(status)
    p.returncode = rc  # we reaped it ourselves; keep Popen from waiting again
    if wall > timeout:
        rc = -signal.SIGKILL
    return Sample(
        wall=wall,
        cpu=ru.ru_utime + ru.ru_stime,
        rss_tree=sampler.peak_bytes / MiB,
        rss_max1=ru.ru_maxrss * 1024 / MiB,  # Linux reports KiB
        pss_tree=sampler.peak_pss / MiB if pss_every else None,
        procs=sampler.peak_procs,
        rc=rc,
    )


# ------------------------------------------------------------------------ measures


@dataclass
class Measure:
    """One row: how to put the site in the right state before each run, and what to run."""

    key: str
    tool: str
    n: int
    cmd: list[str]
    cwd: Path
    prepare: Callable[[int], None] = lambda k: None
    prepare_doc: str = ""
    setup: Callable[[], None] = lambda: None  # once, untimed, before the warm-up
    setup_doc: str = ""
    teardown: Callable[[], None] = lambda: None
    teardown_doc: str = ""
    out_dir: Path | None = None
    check: Callable[[], str | None] = lambda: None  # a warning if the run measured nothing


@dataclass
class Result:
    measure: Measure
    samples: list[Sample] = field(default_factory=list)
    pages: int = 0
    stubs: int = 0  # of those pages, redirect stubs (Hugo's page/1/ aliases); peers only
    error: str | None = None
    warning: str | None = None
    summary: str = ""  # the tool's last output line of the last run (what it rewrote)

    def med(self, attr: str) -> float:
        return statistics.median(getattr(s, attr) for s in self.samples)


def rm(*paths: Path) -> None:
    for p in paths:
        if p.is_dir() and not p.is_symlink():
            shutil.rmtree(p)
        elif p.exists() or p.is_symlink():
            p.unlink()


def count_html(out: Path | None) -> int:
    if out is None or not out.is_dir():
        return 0
    n = 0
    for _root, _dirs, files in os.walk(out):
        n += sum(1 for f in files if f.endswith(".html"))
    return n


def count_redirect_stubs(out: Path | None) -> int:
    """HTML files that only redirect (Hugo writes a `page/1/` alias per paginated list):
    not pages of the archive, so the peer table leaves them out of the page count."""
    if out is None or not out.is_dir():
        return 0
    return sum(REFRESH in p.read_bytes() for p in out.rglob("*.html"))


def count_html_containing(out: Path, needle: str) -> int:
    """How many pages show an edit: proof that a timed rebuild did the work."""
    raw = needle.encode()
    return sum(raw in p.read_bytes() for p in out.rglob("*.html"))


def site_timezone(site: Path) -> str:
    """The timezone in dateline.toml (the corpus writes one), UTC if absent."""
    try:
        with (site / "dateline.toml").open("rb") as f:
            return str(tomllib.load(f).get("timezone", "UTC"))
    except (OSError, tomllib.TOMLDecodeError):
        return "UTC"


def find_default_template(python: Path, name: str = "article.html") -> Path | None:
    """The default theme's template: the repo's templates/ (editable install) or the
    installed package's theme/templates/ (wheel install, see pyproject force-include)."""
    cand = REPO / "templates" / name
    if cand.is_file():
        return cand
    code = (
        "import importlib.resources as r, dateline;"
        f"p = r.files('dateline') / 'theme' / 'templates' / {name!r};"
        "print(p if p.is_file() else '')"
    )
    try:
        out = subprocess.run(
            [str(python), "-c", code], capture_output=True, text=True, timeout=60
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return Path(out) if out else None


@dataclass
class DatelineInfo:
    exe: Path
    ok: bool
    help: str
    no_search: bool


def probe_dateline(exe: Path) -> DatelineInfo:
    """`dateline build --help`: does the command exist, and does it know --no-search?"""
    try:
        p = subprocess.run(
            [str(exe), "build", "--help"], capture_output=True, text=True, timeout=120
        )
    except (OSError, subprocess.SubprocessError) as e:
        return DatelineInfo(exe, False, str(e), False)
    text = p.stdout + p.stderr
    return DatelineInfo(exe, p.returncode == 0, text, "--no-search" in text)


def dateline_measures(
    n: int,
    site: Path,
    info: DatelineInfo,
    seed: str,
    langs: list[str],
    python: Path,
    skipped: list[str],
) -> list[Measure]:
    out = site / "dist"
    cache = site / ".dateline-cache"
    build = [str(info.exe), "build", "--site", str(site), "--out", str(out)]
    build += shlex.split(os.environ.get("DATELINE_BUILD_ARGS", ""))  # e.g. "--no-search"
    content = site / "content"
    edited = make_corpus.make_article(seed, EDITED_INDEX, langs[EDITED_INDEX % len(langs)])
    edited_path = content / make_corpus.article_path(edited)
    added: list[Path] = []
    override = site / "templates" / "article.html"
    last: dict[str, int] = {}  # measure -> number of the latest edit, for the checks

    def untimed_build() -> None:
        subprocess.run(build, cwd=site, check=True, capture_output=True)

    def cold_prep(k: int) -> None:
        rm(out, cache)

    def edit_prep(k: int) -> None:
        last["edit1"] = k
        with edited_path.open("a", encoding="utf-8") as f:
            f.write(f"\nCorrection {k}: the figures above were updated by the field team.\n")

    def edit_check() -> str | None:
        needle = f"Correction {last['edit1']}:"
        if not count_html_containing(out, needle):
            return f"no page shows the last edit ({needle!r}) to {edited_path.name}"
        return None

    # dateline holds back future-dated articles (unless --drafts), and the corpus runs to
    # the end of 2026, so "newest" means today in the site's time zone: the newest article
    # a build publishes, the one an office adds several times a day.
    newest = dt.datetime.now(ZoneInfo(site_timezone(site))).date()

    def add_prep(k: int) -> None:
        a = make_corpus.make_article(seed, n + k, langs[(n + k) % len(langs)])
        last["add1"] = k
        slug = f"bench-added-{k:03d}-" + a.slug
        title = f"Bench added {k}: {a.title}"
        a = make_corpus.Article(
            a.i, a.lang, slug, title, newest, a.country, a.themes, a.summary, a.body, a.words
        )
        path = content / make_corpus.article_path(a)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(make_corpus.render(a, len(langs) > 1), encoding="utf-8")
        added.append(path)

    def add_check() -> str | None:
        needle = f"Bench added {last['add1']}:"
        if not count_html_containing(out, needle):
            return f"no page shows the added article ({needle!r}, dated {newest}): held back?"
        return None

    def add_teardown() -> None:
        for p in added:
            rm(p)
        added.clear()
        untimed_build()

    template = find_default_template(python)
    if template is None:
        skipped.append("template: no default article.html found (repo templates/ or package)")

    original: list[str] = []

    def template_setup() -> None:
        assert template is not None
        override.parent.mkdir(exist_ok=True)
        shutil.copyfile(template, override)
        original.append(override.read_text(encoding="utf-8"))
        untimed_build()

    def template_prep(k: int) -> None:
        # Text appended after the blocks of a child template ({% extends %}) never reaches
        # the output, so the comment goes inside the main block when there is one: then
        # every article page must change, and the check below can tell it did.
        last["template"] = k
        text, mark = original[0], f"<!-- bench edit {k} -->"
        if BLOCK_MAIN in text:
            text = text.replace(BLOCK_MAIN, BLOCK_MAIN + mark, 1)
        else:
            text += mark + "\n"
        override.write_text(text, encoding="utf-8")

    def template_check() -> str | None:
        needle = f"<!-- bench edit {last['template']} -->"
        hits = count_html_containing(out, needle)
        if hits < n // 2:
            return f"only {hits} pages show the template edit {needle!r} (expected about {n})"
        return None

    def template_teardown() -> None:
        rm(override)
        if not any(override.parent.iterdir()):
            override.parent.rmdir()

    common = {"tool": "dateline", "n": n, "cwd": site, "out_dir": out}
    prime = primed(build, site, out)
    ms = [
        Measure(
            "cold", cmd=build, prepare=cold_prep, prepare_doc=f"rm -rf {out} {cache}", **common
        ),
        Measure("nochange", cmd=build, setup=prime, setup_doc=PRIME_DOC, **common),
        Measure(
            "edit1",
            cmd=build,
            prepare=edit_prep,
            check=edit_check,
            setup=prime,
            setup_doc=PRIME_DOC,
            prepare_doc=f"append a 'Correction k' paragraph to {edited_path}",
            **common,
        ),
        Measure(
            "add1",
            cmd=build,
            prepare=add_prep,
            check=add_check,
            setup=prime,
            setup_doc=PRIME_DOC,
            prepare_doc=f"write a new article dated {newest} (today) into {content}/YYYY/MM/",
            teardown=add_teardown,
            teardown_doc="delete the added articles; untimed build",
            **common,
        ),
    ]
    if template is not None:
        ms.append(
            Measure(
                "template",
                cmd=build,
                prepare=template_prep,
                check=template_check,
                setup=template_setup,
                setup_doc=f"cp {template} {override}; untimed build",
                prepare_doc=f"put '<!-- bench edit k -->' after {BLOCK_MAIN} in {override}",
                teardown=template_teardown,
                teardown_doc=f"rm {override}",
                **common,
            )
        )
    if not info.no_search:
        skipped.append("cold-nosearch: `dateline build --help` does not list --no-search")
    elif "--no-search" in build:
        skipped.append("cold-nosearch: DATELINE_BUILD_ARGS has --no-search, `cold` is that")
    else:
        ms.append(
            Measure(
                "cold-nosearch",
                cmd=[*build, "--no-search"],
                prepare=cold_prep,
                prepare_doc=f"rm -rf {out} {cache}",
                **common,
            )
        )
    return ms


# --------------------------------------------------------------------------- peers


def primed(cmd: list[str], cwd: Path, *needed: Path) -> Callable[[], None]:
    """A setup that runs one untimed build when `needed` is missing, so a rebuild measure
    run on its own (``--only nochange --warmup 0``) does not time a cold build."""

    def setup() -> None:
        if not all(p.exists() for p in needed):
            subprocess.run(cmd, cwd=cwd, check=True, capture_output=True)

    return setup


def copy_kit(src: Path, dst: Path) -> None:
    """Copy a kit folder and make the copy writable: the shared kit is read-only, and
    copytree keeps modes, so the corpus could not be written into it (nor the copy
    deleted) by anyone but root."""
    rm(dst)
    shutil.copytree(src, dst)
    for root, dirs, files in os.walk(dst):
        for name in dirs + files:
            path = Path(root, name)
            path.chmod(path.stat().st_mode | 0o200)
    dst.chmod(dst.stat().st_mode | 0o200)


def kit_corpus(shared: Path, n: int, outdir: Path, flavor: str, seed: str) -> None:
    """The kit's own generator (as its prepare.sh runs it): article i is our article i."""
    cmd = [sys.executable, str(shared / "make_corpus.py"), str(n), str(outdir)]
    subprocess.run([*cmd, "--flavor", flavor, "--seed", seed], check=True)


def numbered_edit(
    folder: Path, out: Path
) -> tuple[Callable[[int], None], Callable[[], str | None]]:
    """Append "Correction k" to the kit's article 7 before each run, and check afterwards
    that the peer's output shows the last one (else the rebuild timed a no-op)."""
    last = [-1]

    def prepare(k: int) -> None:
        last[0] = k
        append_to_numbered(folder, k)

    def check() -> str | None:
        needle = f"Correction {last[0]}:"
        if not count_html_containing(out, needle):
            return f"no page shows the last edit ({needle!r}) to article {EDITED_INDEX}"
        return None

    return prepare, check


def peer_measures(
    n: int,
    work: Path,
    shared: Path,
    hugo: str | None,
    pelican: str | None,
    seed: str,
    dry: bool,
) -> list[Measure]:
    """Hugo and Pelican on the same corpus, with the shared kit's configurations.

    The sites are laid out as the kit's prepare.sh does (a copy of its hugo/ or pelican/
    folder plus its make_corpus.py output), whose article i is the article i our
    generator writes for dateline.
    """
    ms: list[Measure] = []
    if hugo:
        site = work / "sites" / f"hugo-{n}"
        articles = site / "content" / "articles"
        if not dry:
            copy_kit(shared / "hugo", site)
            kit_corpus(shared, n, articles, "hugo", seed)
        out = site / "out"
        cmd = [hugo, "--quiet", "-d", "out"]
        edit, edit_check = numbered_edit(articles, out)
        common = {"tool": "hugo", "n": n, "cwd": site, "out_dir": out, "cmd": cmd}
        prime = primed(cmd, site, out)
        ms += [
            Measure(
                "cold",
                prepare=lambda k, s=site: rm(s / "out", s / "resources"),
                prepare_doc=f"rm -rf {out} {site}/resources",
                **common,
            ),
            Measure("nochange", setup=prime, setup_doc=PRIME_DOC, **common),
            Measure(
                "edit1",
                prepare=edit,
                check=edit_check,
                setup=prime,
                setup_doc=PRIME_DOC,
                prepare_doc=EDIT_DOC.format(articles),
                **common,
            ),
        ]
    if pelican:
        site = work / "sites" / f"pelican-{n}"
        content = site / "content"
        if not dry:
            copy_kit(shared / "pelican", site)
            kit_corpus(shared, n, content, "pelican", seed)
        out = site / "out"
        plain = [pelican, "content", "-s", "pelicanconf.py", "-o", "out", "-q"]
        cached = [pelican, "content", "-s", "pelicanconf_cache.py", "-o", "out", "-q"]
        edit, edit_check = numbered_edit(content, out)
        common = {"tool": "pelican", "n": n, "cwd": site, "out_dir": out}
        prime = primed(cached, site, out, site / "cache")
        ms += [
            Measure(
                "cold",
                cmd=plain,
                prepare=lambda k, s=site: rm(s / "out", s / "cache"),
                prepare_doc=f"rm -rf {out} {site}/cache",
                **common,
            ),
            Measure(
                "cold-cache",
                cmd=cached,
                prepare=lambda k, s=site: rm(s / "out", s / "cache"),
                prepare_doc=f"rm -rf {out} {site}/cache",
                **common,
            ),
            Measure("nochange", cmd=cached, setup=prime, setup_doc=PRIME_DOC, **common),
            Measure(
                "edit1",
                cmd=cached,
                prepare=edit,
                check=edit_check,
                setup=prime,
                setup_doc=PRIME_DOC,
                prepare_doc=EDIT_DOC.format(content),
                **common,
            ),
        ]
    return ms


def append_to_numbered(folder: Path, k: int) -> None:
    (path,) = folder.glob(f"*-{EDITED_INDEX:05d}.md")
    with path.open("a", encoding="utf-8") as f:
        f.write(f"\nCorrection {k}: the figures above were updated by the field team.\n")


def first_line(cmd: list[str]) -> str:
    """The first line a version command prints, or why it printed none."""
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.SubprocessError) as e:
        return f"unknown ({type(e).__name__})"
    lines = (p.stdout + p.stderr).strip().splitlines()
    return lines[0].strip() if lines else f"unknown (exit {p.returncode})"


def tool_versions(dateline: Path, hugo: str | None, pelican: str | None) -> dict[str, str]:
    """What was timed: `dateline --version`, `hugo version`, `pelican --version` and the
    Markdown/Jinja2/Python of Pelican's venv (the kit's RESULTS.md records the same)."""
    found = {"dateline": first_line([str(dateline), "--version"])}
    if hugo:
        found["hugo"] = f"{first_line([hugo, 'version'])} ({hugo})"
    if pelican:
        py = Path(pelican).parent / "python"
        libs = first_line(
            [
                str(py),
                "-c",
                "import markdown, jinja2, sys;"
                "print('Markdown', markdown.__version__, 'Jinja2', jinja2.__version__,"
                " 'Python', sys.version.split()[0])",
            ]
        )
        found["pelican"] = f"{first_line([pelican, '--version'])}, {libs} ({pelican})"
    return found


# -------------------------------------------------------------------------- running


def run_measure(
    m: Measure, runs: int, warmup: int, logs: Path, timeout: float, pss_every: int = 0
) -> Result:
    res = Result(m)
    log = logs / f"{m.tool}-{m.n}-{m.key}.log"
    try:
        m.setup()
        for i in range(warmup + runs):
            m.prepare(i)  # i numbers the edits, so every run changes something new
            s = run_timed(m.cmd, m.cwd, log, timeout, pss_every)
            if s.rc != 0:
                raise BuildFailed(m.cmd, s.rc, log)
            if i >= warmup:
                res.samples.append(s)
        res.pages = count_html(m.out_dir)
        if m.tool != "dateline":
            res.stubs = count_redirect_stubs(m.out_dir)
        said = log.read_text(errors="replace").strip()
        if m.tool == "dateline":  # its summary line comes last, after any warnings
            res.summary = said.splitlines()[-1].strip() if said else ""
        else:  # Pelican's one "Done: ..." line comes wrapped at 80 columns
            res.summary = " ".join(said.split())[-300:]
        res.warning = m.check()
        m.teardown()
    except BuildFailed as e:
        res.error = str(e)
    except (OSError, subprocess.CalledProcessError) as e:
        res.error = f"{type(e).__name__}: {e}"
    return res


def fmt_target(key: str, n: int, wall: float | None) -> tuple[str, str]:
    t = WALL_TARGETS.get(key, {}).get(n)
    if t is None:
        return "—", ""
    if wall is None:
        return f"≤ {t:g}", ""
    return f"≤ {t:g}", "PASS" if wall <= t else "MISS"


def fmt_rss_target(n: int, rss: float | None) -> tuple[str, str]:
    t = RSS_TARGETS.get(n)
    if t is None:
        return "—", ""
    if rss is None:
        return f"≤ {t:g}", ""
    return f"≤ {t:g}", "PASS" if rss <= t else "MISS"


def fmt_pss(samples: list[Sample]) -> str:
    found = [s.pss_tree for s in samples if s.pss_tree is not None]
    return f"{max(found):.0f}" if found else "—"


def dateline_table(results: list[Result]) -> str:
    head = (
        "| measure | N | wall s (median) | min-max | target s | | CPU s | peak RSS MiB "
        "| target MiB | | peak PSS MiB | procs | pages | pages/s |\n"
        "|---|---:|---:|---|---:|---|---:|---:|---:|---|---:|---:|---:|---:|\n"
    )
    rows = []
    for r in results:
        m = r.measure
        label = LABELS.get(m.key, m.key)
        if r.error or not r.samples:
            rows.append(f"| {label} | {m.n} | FAILED | | | | | | | | | | | |")
            continue
        wall = r.med("wall")
        walls = [s.wall for s in r.samples]
        t, verdict = fmt_target(m.key, m.n, wall)
        rss = max(s.rss for s in r.samples)
        rt, rverdict = fmt_rss_target(m.n, rss)
        rows.append(
            f"| {label} | {m.n} | {wall:.2f} | {min(walls):.2f}-{max(walls):.2f} | {t} "
            f"| {verdict} | {r.med('cpu'):.2f} | {rss:.0f} | {rt} | {rverdict} "
            f"| {fmt_pss(r.samples)} "
            f"| {max(s.procs for s in r.samples)} | {r.pages} | {r.pages / wall:.0f} |"
        )
    return head + "\n".join(rows) + "\n"


def machine_factor(peers: list[Result], n: int) -> float | None:
    """How much slower this machine is than the issue's, by Hugo's cold build at N (a
    compiled tool whose speed depends on the machine, not on dateline)."""
    issue = ISSUE_HUGO_COLD.get(n)
    hugo = [r for r in peers if (r.measure.tool, r.measure.key, r.measure.n) == ("hugo", "cold", n)]
    if issue is None or not hugo or hugo[0].error or not hugo[0].samples:
        return None
    return hugo[0].med("wall") / issue


def scaled_table(dl: list[Result], peers: list[Result]) -> str:
    """The wall-time targets stretched by `machine_factor`: what they mean on this machine.

    Informative only: the verdicts of the main table stay against the issue's figures."""
    rows = []
    for r in dl:
        m = r.measure
        target = WALL_TARGETS.get(m.key, {}).get(m.n)
        factor = machine_factor(peers, m.n)
        if target is None or factor is None or r.error or not r.samples:
            continue
        wall = r.med("wall")
        rows.append(
            f"| {LABELS.get(m.key, m.key)} | {m.n} | {wall:.2f} | {target:g} | {factor:.2f} "
            f"| {target * factor:.2f} | {'PASS' if wall <= target * factor else 'MISS'} |"
        )
    if not rows:
        return ""
    head = (
        "| measure | N | wall s (median) | issue's target s | machine factor "
        "| target × factor | |\n|---|---:|---:|---:|---:|---:|---|\n"
    )
    return head + "\n".join(rows) + "\n"


def peer_pages(r: Result, expected: int | None) -> str:
    """Pages without redirect stubs, and whether they are the kit's page set."""
    text = str(r.pages - r.stubs)
    if r.stubs:
        text += f" (+{r.stubs} redirect stubs)"
    if expected is not None and r.pages - r.stubs != expected:
        text += f" **≠ {expected} expected**"
    return text


def peer_table(dl: list[Result], peers: list[Result], expected: dict[int, int]) -> str:
    """Each peer row beside dateline's median for the same measure and N, and the ratio
    (dateline / peer: below 1, dateline is faster). Both cold rows of Pelican (cache off
    and on) are set against dateline's one cold build, which always writes its cache."""
    ours = {(r.measure.key, r.measure.n): r for r in dl if r.samples and not r.error}
    head = (
        "| tool | measure | N | wall s (median) | min-max | CPU s | peak RSS MiB | pages "
        "| dateline wall s | dateline / peer |\n"
        "|---|---|---:|---:|---|---:|---:|---|---:|---:|\n"
    )
    rows = []
    for r in peers:
        m = r.measure
        label = LABELS.get(m.key, m.key)
        if r.error or not r.samples:
            rows.append(f"| {m.tool} | {label} | {m.n} | FAILED | | | | | | |")
            continue
        wall = r.med("wall")
        walls = [s.wall for s in r.samples]
        mine = ours.get(("cold" if m.key == "cold-cache" else m.key, m.n))
        mw = mine.med("wall") if mine else None
        rows.append(
            f"| {m.tool} | {label} | {m.n} | {wall:.2f} | {min(walls):.2f}-{max(walls):.2f} "
            f"| {r.med('cpu'):.2f} | {max(s.rss for s in r.samples):.0f} "
            f"| {peer_pages(r, expected.get(m.n))} "
            f"| {'—' if mw is None else f'{mw:.2f}'} "
            f"| {'—' if mw is None else f'{mw / wall:.2f}'} |"
        )
    return head + "\n".join(rows) + "\n"


def machine() -> dict[str, str]:
    """What the numbers were measured on, for docs/benchmarks.md."""
    cpu = "unknown"
    mem = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
                break
    except OSError:
        pass
    try:
        commit = subprocess.run(
            ["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=False,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(REPO), "status", "--porcelain", "--untracked-files=no", "src"],
            capture_output=True,
            text=True,
            check=False,
        ).stdout.strip()
        if commit and dirty:  # others edit the same tree: say the code was not the commit's
            commit += f" + {len(dirty.splitlines())} uncommitted file(s) under src/"
    except OSError:
        commit = ""
    try:
        load = " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        load = "unknown"
    return {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "load": load,
        "cpu": cpu,
        "nproc": str(os.cpu_count()),
        "memory": mem,
        "kernel": platform.release(),
        "python": platform.python_version(),
        "dateline commit": commit or "unknown",
    }


# ----------------------------------------------------------------------------- main


def parse_sizes(text: str) -> list[int]:
    return [int(x.replace("_", "")) for x in text.split(",") if x.strip()]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    ap.add_argument("--sizes", default="1000,4000,20000", help="comma-separated article counts")
    ap.add_argument("--runs", type=int, default=3, help="timed runs per measure (median shown)")
    ap.add_argument("--warmup", type=int, default=1, help="untimed runs before them")
    ap.add_argument(
        "--peers",
        action="store_true",
        help="also time hugo (on PATH) and pelican (--pelican-venv or PATH) on the same "
        "corpus at every size, all their measures whatever --only says",
    )
    ap.add_argument("--pelican-venv", type=Path, help="a venv with pelican and markdown")
    ap.add_argument(
        "--shared-bench",
        type=Path,
        default=REPO.parent / "shared" / "bench",
        help="the shared peer kit (configs for --peers)",
    )
    ap.add_argument("--out", type=Path, help="also write the tables to this Markdown file")
    ap.add_argument("--json", type=Path, help="write every sample to this JSON file")
    ap.add_argument("--keep", type=Path, metavar="DIR", help="work in DIR and keep it")
    ap.add_argument(
        "--dateline",
        type=Path,
        default=Path(sys.prefix) / "bin" / "dateline",
        help="the dateline executable (default: this interpreter's venv)",
    )
    ap.add_argument("--seed", default="dateline-bench-1")
    ap.add_argument("--langs", default="en")
    ap.add_argument("--timeout", type=float, default=1800, help="seconds per build")
    ap.add_argument("--dry-run", action="store_true", help="print what would be timed")
    ap.add_argument(
        "--pss",
        action="store_true",
        help="also sample the summed PSS every 100 ms; it costs the kernel a page-table walk "
        "per process, which slows the builds timed: use it in a run of its own",
    )
    ap.add_argument(
        "--only",
        help=f"comma-separated dateline measures to time, from: {', '.join(LABELS)} "
        "(default: all; the peers always run all of theirs)",
    )
    args = ap.parse_args(argv)

    sizes = parse_sizes(args.sizes)
    only = {x.strip() for x in (args.only or "").split(",") if x.strip()}
    if only - set(LABELS):
        ap.error(f"--only: unknown {sorted(only - set(LABELS))}; known: {', '.join(LABELS)}")
    langs = [x.strip() for x in args.langs.split(",") if x.strip()]
    work = (args.keep or DEFAULT_WORK).resolve()
    if work == REPO or REPO in work.parents:
        ap.error(f"work dir {work} is inside the repository")
    python = args.dateline.parent / "python"

    info = probe_dateline(args.dateline)
    print(f"dateline: {args.dateline}  build --help: {'ok' if info.ok else 'FAILED'}")
    if not info.ok:
        print("  " + info.help.strip().replace("\n", "\n  "))
        if not args.dry_run:
            print("dateline build is not available; nothing to time (try --dry-run)")
            return 2
    for flag in ("--site", "--out"):
        if info.ok and flag not in info.help:
            print(f"  warning: `dateline build --help` does not mention {flag}")
    print(f"  --no-search: {'known' if info.no_search else 'unknown, search cost not measured'}")

    hugo = pelican = None
    if args.peers:
        if not args.shared_bench.is_dir():
            print(f"peers: skipped, the shared kit {args.shared_bench} is absent")
        else:
            hugo = shutil.which("hugo")
            if args.pelican_venv:
                cand = args.pelican_venv / "bin" / "pelican"
                pelican = str(cand) if cand.exists() else None
            else:
                pelican = shutil.which("pelican")
            print(f"peers: hugo={hugo or 'not found'} pelican={pelican or 'not found'}")
            if langs != ["en"]:
                print(f"peers: skipped, --langs {args.langs} is not the kit's English corpus")
                hugo = pelican = None
    versions = tool_versions(args.dateline, hugo, pelican)
    for tool, version in versions.items():
        print(f"  {tool}: {version}")

    load_before = machine()["load"]
    if not args.dry_run:
        rm(work)
    logs = work / "logs"
    if not args.dry_run:
        logs.mkdir(parents=True)

    all_dl: list[Result] = []
    all_peers: list[Result] = []
    expected: dict[int, int] = {}  # N -> the kit's page set (articles + listings)
    for n in sizes:
        site = work / "sites" / f"dateline-{n}"
        print(f"\n== N={n}: {site}")
        if args.dry_run:
            print(f"  corpus: make_corpus.py {n} {site} --seed {args.seed} --langs {args.langs}")
        else:
            t0 = time.perf_counter()
            stats = make_corpus.write_site(n, site, args.seed, langs)
            pages = stats["expected_html"]
            assert isinstance(pages, dict)
            expected[n] = sum(pages.values())
            print(
                f"  corpus written in {time.perf_counter() - t0:.1f} s; "
                f"the peers' page set is {expected[n]} pages"
            )
        skipped: list[str] = []
        measures = dateline_measures(n, site, info, args.seed, langs, python, skipped)
        for why in skipped:
            print(f"  [dateline] skipped {why}")
        if only:  # a dateline filter: a peer row needs its own cold build before it anyway
            measures = [m for m in measures if m.key in only]
        if hugo or pelican:
            measures += peer_measures(
                n, work, args.shared_bench, hugo, pelican, args.seed, args.dry_run
            )
        for m in measures:
            tag = f"[{m.tool} {m.key}]"
            if args.dry_run:
                if m.setup_doc:
                    print(f"  {tag} once, untimed: {m.setup_doc}")
                print(f"  {tag} {args.warmup} warm-up + {args.runs} timed run(s), each:")
                if m.prepare_doc:
                    print(f"      untimed: {m.prepare_doc}")
                print(f"      timed:   (cd {m.cwd} && {' '.join(m.cmd)})")
                if m.teardown_doc:
                    print(f"  {tag} after, untimed: {m.teardown_doc}")
                continue
            r = run_measure(m, args.runs, args.warmup, logs, args.timeout, 5 if args.pss else 0)
            (all_dl if m.tool == "dateline" else all_peers).append(r)
            stubs = f" (+{r.stubs} redirect stubs)" if r.stubs else ""
            want = expected.get(n)
            if m.tool != "dateline" and want and not r.error and r.pages - r.stubs != want:
                wrong = f"wrote {r.pages - r.stubs} pages, not the kit's {want}: not the same site"
                r.warning = f"{r.warning}; {wrong}" if r.warning else wrong
            if r.error:
                print(f"  {tag} FAILED: {r.error}")
                if m.tool == "dateline" and m.key == "cold":
                    print(f"  skipping the other dateline measures at N={n}")
                    break
                continue
            ws = ", ".join(f"{s.wall:.2f}" for s in r.samples)
            print(
                f"  {tag} wall {r.med('wall'):.2f} s ({ws}), cpu {r.med('cpu'):.2f} s, "
                f"peak RSS {max(s.rss for s in r.samples):.0f} MiB, "
                f"{r.pages - r.stubs} pages{stubs}"
            )
            if r.summary:
                print(f"  {tag} last run said: {r.summary}")
            if r.warning:
                print(f"  {tag} warning: {r.warning}")
    if args.dry_run:
        return 0

    command = shlex.join(["benchmarks/run.py", *(sys.argv[1:] if argv is None else argv)])
    if os.environ.get("DATELINE_BUILD_ARGS"):
        command = f"DATELINE_BUILD_ARGS={shlex.quote(os.environ['DATELINE_BUILD_ARGS'])} {command}"
    text = report(all_dl, all_peers, command, versions, expected, load_before)
    print("\n" + text)
    if args.out:
        args.out.write_text(text, encoding="utf-8")
    if args.json:
        dump = [
            {
                "tool": r.measure.tool,
                "measure": r.measure.key,
                "n": r.measure.n,
                "pages": r.pages,
                "redirect_stubs": r.stubs,
                "error": r.error,
                "warning": r.warning,
                "samples": [s.__dict__ | {"rss": s.rss} for s in r.samples],
            }
            for r in all_dl + all_peers
        ]
        meta = {"machine": machine(), "versions": versions, "expected_pages": expected}
        args.json.write_text(json.dumps(meta | {"results": dump}, indent=1))
    if not args.keep:
        rm(work)
    return 1 if any(r.error for r in all_dl + all_peers) else 0


def report(
    dl: list[Result],
    peers: list[Result],
    command: str,
    versions: dict[str, str],
    expected: dict[int, int],
    load_before: str,
) -> str:
    mach = machine()
    lines = [
        f"Measured {mach['date']} on {mach['nproc']} x {mach['cpu']}, {mach['memory']} RAM, "
        f"Linux {mach['kernel']}, Python {mach['python']}, dateline at {mach['dateline commit']}.",
        f"`{command}`",
        f"Load average (1, 5, 15 min) before the run: {load_before}; after: {mach['load']}. "
        "Wall times on a busy machine stretch; CPU seconds much less.",
        "",
        *(f"- {tool}: {version}" for tool, version in versions.items()),
        "",
        dateline_table(dl),
    ]
    errors = [r for r in dl + peers if r.error]
    warnings = [r for r in dl + peers if r.warning]
    if peers:
        lines += [
            "Peers, same corpus, same run (pages: HTML files without redirect stubs; "
            "Hugo's rebuilds are full builds over the old output, Pelican's use its "
            "content cache):",
            "",
            peer_table(dl, peers, expected),
        ]
        scaled = scaled_table(dl, peers)
        if scaled:
            lines += [
                "The wall-time targets on this machine: each stretched by how much longer "
                "Hugo's cold build took here than in the issue (informative; the verdicts "
                "above are against the issue's figures):",
                "",
                scaled,
            ]
    for r in errors:
        lines += [
            f"**{r.measure.tool} {r.measure.key} N={r.measure.n} failed**:",
            "",
            "```",
            (r.error or "").strip(),
            "```",
            "",
        ]
    said = [r for r in dl if r.summary]
    if said:
        lines += ["What dateline said about its last timed run of each measure:", ""]
        lines += [f"- {r.measure.key}, N={r.measure.n}: `{r.summary}`" for r in said]
        lines.append("")
    for r in warnings:
        lines.append(f"- warning, {r.measure.tool} {r.measure.key} N={r.measure.n}: {r.warning}")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
