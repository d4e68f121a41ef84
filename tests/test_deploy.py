"""`dateline deploy` and the URL ledger: what a web engineer sees in the target after a deploy.

Every target is real: a folder, the system's rsync (to a local path, and to `user@host:path`
through a stand-in for ssh), and the system's git with a temporary repository.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dateline.deploy import Target, built_site, deploy_site, parse_target
from dateline.ledger import LEDGER, ledger_bytes, parse_ledger
from dateline.urls import output_path
from tests.conftest import REPO, MakeSite, RunCli, article_md, build, page

BASE = "https://example.org/news-archive/"
ARTICLES = {
    "content/floods.md": article_md("Floods in Tapachula", "2018-06-12", country="MX"),
    "content/training.md": article_md("Training in San Salvador", "2018-06-13", country="SV"),
    "content/shelter.md": article_md("A shelter opens", "2018-07-02", country="GT"),
}
SHELTER = "/news/2018/07/02/a-shelter-opens/"


@pytest.fixture
def site(make_site: MakeSite) -> Path:
    return make_site({"dateline.toml": f'base_url = "{BASE}"\n', **ARTICLES})


def tree(folder: Path) -> dict[str, bytes]:
    """Every file below `folder` (relative path → bytes)."""
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def published(folder: Path) -> dict[str, bytes]:
    """What a deploy must put in a target: the build's files without its own manifest."""
    return {k: v for k, v in tree(folder).items() if k != ".dateline/manifest.json"}


def deploy_dir(cli: RunCli, site: Path, dest: Path | str, *extra: str) -> tuple[int, str, str]:
    return cli("deploy", "--site", site, "--to", dest, *extra)


def copied(stdout: str) -> int:
    """The number of files a deploy says it copied."""
    match = re.search(r"copy (\d+) files", stdout)
    assert match, stdout
    return int(match.group(1))


def require(tool: str) -> None:
    """A missing tool skips the test locally and fails it in CI (as tests/browser does)."""
    if shutil.which(tool) is None:
        message = f"{tool} not installed (apt-get install {tool}; .ci/run installs it)"
        if os.environ.get("CI") == "true":
            pytest.fail(f"[CI=true] {message}", pytrace=False)
        pytest.skip(message)


# --------------------------------------------------------------------------- a folder


def test_second_deploy_to_a_folder_copies_nothing(site: Path, cli: RunCli, tmp_path: Path) -> None:
    """The first deploy copies the whole build; the second finds every file already there."""
    dest = tmp_path / "www"
    code, out, _ = deploy_dir(cli, site, dest)
    assert code == 0
    assert copied(out) == len(published(site / "dist"))
    assert {k: v for k, v in tree(dest).items() if k != ".dateline/deploy.json"} == published(
        site / "dist"
    )
    before = {p: p.stat().st_mtime_ns for p in dest.rglob("*")}
    code, out, _ = deploy_dir(cli, site, dest)
    assert code == 0
    assert copied(out) == 0
    assert {p: p.stat().st_mtime_ns for p in dest.rglob("*")} == before  # nothing touched


def test_a_folder_deploy_deletes_only_what_it_wrote(
    site: Path, cli: RunCli, tmp_path: Path
) -> None:
    """A removed article's files go; the host's own files (CNAME, .htaccess, logs) stay."""
    dest = tmp_path / "www"
    dest.mkdir()
    own = {"CNAME": b"news.example.org\n", ".htaccess": b"Options -Indexes\n", "logs/a.log": b"x"}
    for name, data in own.items():
        (dest / name).parent.mkdir(parents=True, exist_ok=True)
        (dest / name).write_bytes(data)
    assert deploy_dir(cli, site, dest)[0] == 0
    (site / "content/shelter.md").unlink()
    code, out, _ = deploy_dir(cli, site, dest, "--allow-removed")
    assert code == 0, out
    assert not (dest / output_path(SHELTER)).exists()
    assert not (dest / "news/2018/07").exists(), "folders the deploy emptied are removed"
    assert all((dest / name).read_bytes() == data for name, data in own.items())
    assert {
        k: v for k, v in tree(dest).items() if k not in own and k != ".dateline/deploy.json"
    } == (published(site / "dist"))


def test_dry_run_lists_changes_and_changes_nothing(site: Path, cli: RunCli, tmp_path: Path) -> None:
    dest = tmp_path / "www"
    deploy_dir(cli, site, dest)
    (site / "content/shelter.md").write_text(
        article_md("A shelter opens", "2018-07-02", "New text.", country="GT"), encoding="utf-8"
    )
    before = tree(dest)
    code, out, _ = deploy_dir(cli, site, dest, "--dry-run")
    assert code == 0
    assert f"would copy   {output_path(SHELTER)}" in out.splitlines()
    assert tree(dest) == before
    assert copied(out) >= 1


def test_removed_urls_stop_a_deploy_until_allowed(site: Path, cli: RunCli, tmp_path: Path) -> None:
    """The ledger in the target names the URL a removed article had; the target is left as it was."""
    dest = tmp_path / "www"
    deploy_dir(cli, site, dest)
    (site / "content/shelter.md").unlink()
    before = tree(dest)
    code, _, err = deploy_dir(cli, site, dest)
    assert code == 1
    assert f"/news-archive{SHELTER}" in err
    assert "--allow-removed" in err
    assert tree(dest) == before
    code, _, err = deploy_dir(cli, site, dest, "--allow-removed")
    assert code == 0
    assert SHELTER in err


def test_a_file_dateline_did_not_write_is_not_replaced(
    site: Path, cli: RunCli, tmp_path: Path
) -> None:
    dest = tmp_path / "www"
    dest.mkdir()
    (dest / "index.html").write_text("the old site", encoding="utf-8")
    code, _, err = deploy_dir(cli, site, dest)
    assert code == 1
    assert "index.html" in err
    assert "--force" in err
    assert (dest / "index.html").read_text(encoding="utf-8") == "the old site"
    assert deploy_dir(cli, site, dest, "--force")[0] == 0
    assert (dest / "index.html").read_bytes() == (site / "dist/index.html").read_bytes()


def test_a_build_with_errors_deploys_nothing(site: Path, cli: RunCli, tmp_path: Path) -> None:
    dest = tmp_path / "www"
    deploy_dir(cli, site, dest)
    before = tree(dest)
    (site / "content/broken.md").write_text("---\ntitle: No date\n---\nText.\n", encoding="utf-8")
    code, _, err = deploy_dir(cli, site, dest)
    assert code == 1
    assert "content/broken.md" in err
    assert "nothing was deployed" in err
    assert tree(dest) == before


@pytest.mark.parametrize("into", ["content", "static", "."])
def test_a_deploy_never_writes_into_the_sites_sources(site: Path, cli: RunCli, into: str) -> None:
    (site / "static").mkdir(exist_ok=True)
    before = tree(site / into) if into != "." else None
    code, _, err = deploy_dir(cli, site, site / into)
    assert code == 1
    assert "refusing" in err or "overlaps" in err
    if before is not None:
        assert tree(site / into) == before


def test_drafts_are_never_deployed(site: Path, cli: RunCli, tmp_path: Path) -> None:
    code, _, err = deploy_dir(cli, site, tmp_path / "www", "--drafts")
    assert code == 2
    assert "drafts" in err
    assert not (tmp_path / "www").exists()


def test_the_target_comes_from_the_config(make_site: MakeSite, cli: RunCli) -> None:
    """`[deploy] to = "public"` is a folder of the site, whatever the current folder is."""
    root = make_site(
        {"dateline.toml": f'base_url = "{BASE}"\n[deploy]\nto = "public"\n', **ARTICLES}
    )
    assert Path.cwd() != root
    code, _, _ = cli("deploy", "--site", root)
    assert code == 0
    assert (root / "public/index.html").read_bytes() == (root / "dist/index.html").read_bytes()


@pytest.mark.parametrize(
    ("table", "line", "expected"),
    [
        ('[deploy]\ntoo = "x"', 3, "did you mean 'to'?"),
        ("[deploy]\nto = 3", 3, "'to' must be a text"),
        ('[deploy]\nauthor = "nobody"', 3, "Name <email>"),
    ],
)
def test_deploy_config_mistakes_name_their_line(
    make_site: MakeSite, cli: RunCli, table: str, line: int, expected: str
) -> None:
    root = make_site({"dateline.toml": f'base_url = "{BASE}"\n{table}\n', **ARTICLES})
    code, _, err = cli("deploy", "--site", root, "--to", root.parent / "www")
    assert code == 1
    assert f"dateline.toml:{line}: error:" in err
    assert expected in err


def test_no_target_is_a_usage_error(site: Path, cli: RunCli) -> None:
    code, _, err = cli("deploy", "--site", site)
    assert code == 2
    assert "--to" in err
    assert "[deploy]" in err


# --------------------------------------------------------------------------- rsync


def test_rsync_to_a_path_copies_changes_and_deletes_only_its_files(
    site: Path, tmp_path: Path
) -> None:
    """Checksum mode: a second run sends nothing; a removed article's files go, CNAME stays."""
    require("rsync")
    dest = tmp_path / "rsync-www"
    dest.mkdir()
    (dest / "CNAME").write_text("news.example.org\n", encoding="utf-8")
    target = Target("rsync", f"{dest}/")  # a local path, through rsync
    first = deploy_site(built_site(build(site).out_dir, BASE), target, site_root=site)
    assert len(first.copied) == len(published(site / "dist"))
    second = deploy_site(built_site(build(site).out_dir, BASE), target, site_root=site)
    assert second.copied == ()
    assert second.deleted == ()
    (site / "content/shelter.md").unlink()
    built = built_site(build(site).out_dir, BASE)
    third = deploy_site(built, target, site_root=site, allow_removed=True)
    assert output_path(SHELTER) in third.deleted
    assert SHELTER in third.removed_urls
    assert (dest / "CNAME").is_file()
    assert {k: v for k, v in tree(dest).items() if k not in ("CNAME", ".dateline/deploy.json")} == (
        published(site / "dist")
    )


FAKE_SSH = """#!/bin/sh
# A stand-in for ssh: skip the options and the host name, run rsync's server here.
while [ $# -gt 0 ]; do case "$1" in -l|-p) shift 2;; -*) shift;; *) break;; esac; done
shift
exec "$@"
"""


def test_rsync_over_a_remote_shell(
    site: Path, cli: RunCli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`--to user@host:path` runs rsync through the remote shell (RSYNC_RSH stands in for ssh)."""
    require("rsync")
    ssh = tmp_path / "fake-ssh"
    ssh.write_text(FAKE_SSH, encoding="utf-8")
    ssh.chmod(0o755)
    monkeypatch.setenv("RSYNC_RSH", str(ssh))
    dest = tmp_path / "remote-www"
    code, out, err = cli("deploy", "--site", site, "--to", f"editor@news-host:{dest}")
    assert code == 0, err
    assert copied(out) == len(published(site / "dist"))
    assert page(dest, "/").title is not None
    code, out, _ = cli("deploy", "--site", site, "--to", f"editor@news-host:{dest}")
    assert code == 0
    assert copied(out) == 0
    (site / "content/shelter.md").unlink()
    code, _, err = cli("deploy", "--site", site, "--to", f"editor@news-host:{dest}")
    assert code == 1, "the remote ledger is read before anything is sent"
    assert SHELTER in err
    assert (dest / output_path(SHELTER)).is_file()


# --------------------------------------------------------------------------- git


def git(repo: Path, *args: str) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.org",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.org"}  # fmt: skip
    result = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True,
                            env=env, check=True)  # fmt: skip
    return result.stdout.strip()


@pytest.fixture
def repo(make_site: MakeSite) -> Path:
    require("git")
    author = 'author = "Web team <web@example.org>"'
    root = make_site({"dateline.toml": f'base_url = "{BASE}"\n[deploy]\n{author}\n', **ARTICLES})
    git(root, "init", "-q", "-b", "main")
    return root


def test_git_branch_deploy_is_reproducible_and_skips_empty_commits(repo: Path, cli: RunCli) -> None:
    code, out, err = cli("deploy", "--site", repo, "--to-branch", "gh-pages")
    assert code == 0, err
    first = git(repo, "rev-parse", "gh-pages")
    files = set(git(repo, "ls-tree", "-r", "--name-only", "gh-pages").splitlines())
    assert files == {*published(repo / "dist"), ".dateline/deploy.json"}
    assert (
        git(repo, "show", "gh-pages:index.html")
        == (repo / "dist/index.html").read_text(encoding="utf-8").strip()
    )
    log = git(repo, "log", "-1", "--format=%an <%ae>|%cn <%ce>|%aI|%cI", "gh-pages")
    newest = "2018-07-02T00:00:00+00:00"  # the shelter article, in the site's time zone (UTC)
    assert log == f"Web team <web@example.org>|Web team <web@example.org>|{newest}|{newest}"
    code, out, _ = cli("deploy", "--site", repo, "--to", "git:gh-pages")
    assert code == 0
    assert "no commit" in out
    assert git(repo, "rev-parse", "gh-pages") == first
    git(repo, "branch", "-D", "gh-pages")
    cli("deploy", "--site", repo, "--to-branch", "gh-pages")
    assert git(repo, "rev-parse", "gh-pages") == first, "same site, same commit"
    assert git(repo, "status", "--porcelain", "--untracked-files=no") == ""


def test_git_deploy_keeps_files_it_did_not_write(repo: Path, cli: RunCli, tmp_path: Path) -> None:
    """A CNAME committed to gh-pages by hand survives; the removed article's files do not."""
    cli("deploy", "--site", repo, "--to-branch", "gh-pages")
    worktree = tmp_path / "pages"
    git(repo, "worktree", "add", "-q", str(worktree), "gh-pages")
    (worktree / "CNAME").write_text("news.example.org\n", encoding="utf-8")
    git(worktree, "add", "CNAME")
    git(worktree, "commit", "-q", "-m", "custom domain")
    git(repo, "worktree", "remove", str(worktree))
    (repo / "content/shelter.md").unlink()
    code, _, err = cli("deploy", "--site", repo, "--to-branch", "gh-pages")
    assert code == 1
    assert SHELTER in err
    code, _out, err = cli("deploy", "--site", repo, "--to-branch", "gh-pages", "--allow-removed")
    assert code == 0, err
    files = set(git(repo, "ls-tree", "-r", "--name-only", "gh-pages").splitlines())
    assert "CNAME" in files
    assert output_path(SHELTER) not in files
    assert files - {"CNAME", ".dateline/deploy.json"} == set(published(repo / "dist"))


def test_git_deploy_refuses_a_checked_out_branch_and_a_folder_without_git(
    repo: Path, make_site: MakeSite, cli: RunCli, tmp_path: Path
) -> None:
    git(repo, "checkout", "-q", "-b", "gh-pages")
    code, _, err = cli("deploy", "--site", repo, "--to-branch", "gh-pages")
    assert code == 1
    assert "checked out" in err
    plain = tmp_path / "plain"
    shutil.copytree(repo, plain, ignore=shutil.ignore_patterns(".git"))
    code, _, err = cli("deploy", "--site", plain, "--to-branch", "gh-pages")
    assert code == 1
    assert "not in a git repository" in err


# --------------------------------------------------------------------------- the ledger


def test_each_build_writes_the_ledger_of_published_urls(site: Path) -> None:
    """Sorted site paths, one a line; every one is a file in the output."""
    out = build(site).out_dir
    lines = (out / LEDGER).read_text(encoding="utf-8").splitlines()
    assert lines == sorted(lines)
    assert SHELTER in lines
    assert "/feed.xml" in lines
    assert all((out / output_path(line)).is_file() for line in lines)
    html = {p.relative_to(out).as_posix() for p in out.rglob("*.html")}
    assert html <= {output_path(line) for line in lines}


def test_a_build_warns_about_a_removed_article(site: Path) -> None:
    build(site)
    (site / "content/shelter.md").unlink()
    report = build(site)
    assert SHELTER in report.removed_urls, "with its month and country pages"
    assert not any((site / "dist" / output_path(url)).exists() for url in report.removed_urls)
    [note] = [d for d in report.diagnostics if "no longer exist" in d.message]
    assert f"/news-archive{SHELTER}" in note.message
    assert "redirect_from" in (note.hint or "")
    assert build(site).removed_urls == (), "the next build compares with this one"


def test_a_renamed_article_with_redirect_from_keeps_its_old_url(site: Path) -> None:
    """The old URL still answers, with a page that sends the reader to the new one."""
    out = build(site).out_dir
    (site / "content/shelter.md").write_text(
        article_md("A new shelter opens", "2018-07-02", country="GT", redirect_from=f"[{SHELTER}]"),
        encoding="utf-8",
    )
    report = build(site)
    assert report.removed_urls == ()
    new = "/news/2018/07/02/a-new-shelter-opens/"
    refresh = page(out, SHELTER).find("meta", attrs={"http-equiv": "refresh"})
    assert refresh is not None
    assert str(refresh["content"]).endswith(f"url=/news-archive{new}")
    assert (out / output_path(new)).is_file()


def test_hosts_get_nojekyll_a_404_page_and_plain_file_names(tmp_path: Path) -> None:
    """The bundled site: `.nojekyll` and `404.html` at the root, only [a-z0-9._/-] in paths.

    GitHub Pages runs Jekyll (which drops `_*` files) without `.nojekyll`; S3 and CDNs
    encode spaces, `+` and non-ASCII letters differently, so such names break links.
    """
    out = build(REPO, out_dir=tmp_path / "dist").out_dir
    assert (out / ".nojekyll").is_file()
    assert (out / "404.html").is_file()
    names = [p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()]
    assert len(names) > 50
    assert [n for n in names if not re.fullmatch(r"[a-z0-9._/-]+", n)] == []


SEGMENT = st.text("abcdefghijklmnopqrstuvwxyz0123456789-._", min_size=1, max_size=8).filter(
    lambda s: s not in (".", "..")
)
SITE_PATH = st.lists(SEGMENT, max_size=4).map(lambda parts: "/" + "".join(f"{p}/" for p in parts))


@settings(max_examples=200)  # a simple format: more examples find nothing new
@given(st.lists(SITE_PATH | SITE_PATH.map(lambda path: path + "feed.xml"), max_size=30))
def test_the_ledger_reads_back_what_was_written(urls: list[str]) -> None:
    assert parse_ledger(ledger_bytes(urls)) == frozenset(urls)
    assert ledger_bytes(parse_ledger(ledger_bytes(urls))) == ledger_bytes(set(urls))


@pytest.mark.parametrize(
    ("text", "kind", "where"),
    [
        ("git:gh-pages", "git", "gh-pages"),
        ("rsync://host/module/www/", "rsync", "rsync://host/module/www/"),
        ("editor@host:/srv/www", "rsync", "editor@host:/srv/www"),
        ("host:www", "rsync", "host:www"),
        ("/srv/www", "folder", "/srv/www"),
        ("public/site:2", "folder", "public/site:2"),
    ],
)
def test_targets_are_read_like_rsync_and_git_read_them(text: str, kind: str, where: str) -> None:
    target = parse_target(text)
    assert (target.kind, target.where) == (kind, where)


def test_manifest_is_json(site: Path, cli: RunCli, tmp_path: Path) -> None:
    dest = tmp_path / "www"
    deploy_dir(cli, site, dest)
    data = json.loads((dest / ".dateline/deploy.json").read_text(encoding="utf-8"))
    assert set(data["files"]) == {*published(site / "dist"), ".dateline/deploy.json"}
