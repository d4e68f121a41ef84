"""Proof that the quality-gate harness works, against the hand-written tests/browser/fixture_site/.

These are scaffolding: the gates on the real generated site live in test_browser_site.py.
"""

from __future__ import annotations

import gzip
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

FIXTURE_SITE = Path(__file__).resolve().parent / "fixture_site"
FIXTURE_PAGES = ("index.html", "about.html", "404.html")
PHONE, DESKTOP = 375, 1280

# Lighthouse thresholds of the issue; the fixture is tiny, so it must meet them all.
MIN_SCORES = {"performance": 0.95, "accessibility": 1.0, "best-practices": 0.95, "seo": 1.0}


def _fetch(url: str) -> tuple[int, str, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.headers["Content-Type"], response.read().decode()
    except urllib.error.HTTPError as error:
        with error:
            return error.code, error.headers["Content-Type"], error.read().decode()


# --------------------------------------------------------------------------- harness units


def test_require_tool_skips_locally(
    monkeypatch: pytest.MonkeyPatch, require_tool: Callable[[str, str], None]
) -> None:
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="frobnicator not available: testing"):
        require_tool("frobnicator", "testing")


def test_require_tool_fails_in_ci(
    monkeypatch: pytest.MonkeyPatch, require_tool: Callable[[str, str], None]
) -> None:
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match=r"\[CI=true\] frobnicator not available"):
        require_tool("frobnicator", "testing")


def test_served_site_serves_under_base_path_with_404_body(
    served_site: Callable[..., Any],
) -> None:
    with served_site(FIXTURE_SITE, base_path="/archive/") as base_url:
        assert base_url.startswith("http://127.0.0.1:")
        assert base_url.endswith("/archive/")
        status, content_type, body = _fetch(base_url)
        assert (status, content_type) == (200, "text/html")
        assert "<h1>Latest bulletins</h1>" in body
        status, content_type, _ = _fetch(base_url + "style.css")
        assert (status, content_type) == (200, "text/css")
        status, _, body = _fetch(base_url + "no/such/page/")
        assert status == 404
        assert "<h1>Page not found</h1>" in body
        outside = base_url.removesuffix("archive/") + "index.html"
        assert _fetch(outside)[0] == 404
    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(base_url, timeout=2)


def test_served_site_plain_404_without_404_page(
    served_site: Callable[..., Any], tmp_path: Path
) -> None:
    (tmp_path / "index.html").write_text("<!DOCTYPE html><title>x</title>", encoding="utf-8")
    base_url = served_site(tmp_path).start()  # stopped by the fixture at teardown
    assert _fetch(base_url)[0] == 200
    assert _fetch(base_url + "missing.html")[0] == 404


def test_served_site_gzips_text_for_clients_that_accept_it(
    served_site: Callable[..., Any],
) -> None:
    with served_site(FIXTURE_SITE, base_path="/archive/") as base_url:
        for name, served in (("", "index.html"), ("style.css", "style.css")):
            request = urllib.request.Request(
                base_url + name, headers={"Accept-Encoding": "gzip, deflate"}
            )
            with urllib.request.urlopen(request, timeout=10) as response:
                assert response.headers["Content-Encoding"] == "gzip"
                assert response.headers["Vary"] == "Accept-Encoding"
                body = gzip.decompress(response.read())
            assert body == (FIXTURE_SITE / served).read_bytes()
        assert _fetch(base_url + "style.css")[2] == (FIXTURE_SITE / "style.css").read_text()


# --------------------------------------------------------------------------- browser


@pytest.mark.browser
def test_fixture_pages_open_and_link_to_each_other(
    page: Any, fixture_site_url: str, screenshots_dir: Path
) -> None:
    page.goto(fixture_site_url)
    assert page.title() == "Fixture Bulletins: latest news"
    page.screenshot(path=screenshots_dir / "fixture-home-1280.png", full_page=True)
    page.get_by_role("link", name="how this archive is put together").click()
    page.wait_for_url("**/about.html")
    assert page.locator("h1").inner_text() == "About this archive"
    page.get_by_role("link", name="the latest bulletins").click()
    page.wait_for_url("**/index.html")
    page.go_back()
    assert page.url.endswith("/about.html")


@pytest.mark.browser
def test_page_fixture_records_console_errors_and_failed_requests(
    page: Any, served_site: Callable[..., Any], tmp_path: Path
) -> None:
    (tmp_path / "index.html").write_text(
        '<!DOCTYPE html><html lang="en"><title>broken</title>'
        '<link rel="icon" href="data:,"><link rel="stylesheet" href="missing.css">'
        "<script>console.error('boom')</script>",
        encoding="utf-8",
    )
    with served_site(tmp_path) as base_url:
        page.goto(base_url)
        page.wait_for_load_state("networkidle")
    problems = page.watch.take()  # taken, so the fixture does not fail this test at teardown
    assert any(p.startswith("console error: boom") for p in problems), problems
    assert any(p.startswith("HTTP 404: GET") and "missing.css" in p for p in problems), problems


@pytest.mark.browser
def test_page_fixture_forgives_requests_cut_off_by_leaving_the_page(
    page: Any, served_site: Callable[..., Any], tmp_path: Path
) -> None:
    """A reader who clicks on before an image has arrived is not a broken link; a request
    that fails on a page nobody left still is."""
    (tmp_path / "slow").mkdir()
    (tmp_path / "index.html").write_text(
        '<!DOCTYPE html><html lang="en"><title>left</title><link rel="icon" href="data:,">'
        '<a href="next.html">next</a>',
        encoding="utf-8",
    )
    (tmp_path / "next.html").write_text(
        '<!DOCTYPE html><html lang="en"><title>next</title><link rel="icon" href="data:,">',
        encoding="utf-8",
    )
    with served_site(tmp_path) as base_url:
        page.route("**/slow/*", lambda route: None)  # never answered: in flight until we leave
        page.goto(base_url)
        with page.expect_request("**/slow/pic.png"):
            page.evaluate("() => { window.pic = new Image(); pic.src = 'slow/pic.png'; }")
        page.click("a")
        page.wait_for_url("**/next.html")
        assert page.watch.take() == []
        page.route("**/gone.png", lambda route: route.abort("connectionrefused"))
        page.evaluate(
            "() => new Promise(r => { const i = new Image(); i.onerror = r; i.src = 'gone.png'; })"
        )
        problems = page.watch.take()
    assert any(p.startswith("request failed: GET") and "gone.png" in p for p in problems), problems


@pytest.mark.browser
@pytest.mark.parametrize("name", ["index.html", "about.html"])
def test_keyboard_tab_reaches_skip_link_first_then_every_link(
    page: Any, fixture_site_url: str, name: str, tab_walk: Callable[..., Any]
) -> None:
    page.goto(fixture_site_url + name)
    focused, links = tab_walk(page)
    assert focused, "Tab focused nothing"
    first = focused[0]
    assert first["tag"] == "a"
    assert first["href"].endswith("#main")
    assert "skip" in first["text"].lower()
    reached = {item["index"] for item in focused}
    missing = [link for link in links if link["index"] not in reached]
    assert not missing, f"links never reached by Tab: {missing}"


@pytest.mark.browser
def test_skip_link_is_visible_when_focused_and_moves_focus_to_main(
    page: Any, fixture_site_url: str
) -> None:
    page.goto(fixture_site_url)
    page.keyboard.press("Tab")
    skip = page.locator("a.skip-link")
    box = skip.bounding_box()
    assert box is not None
    assert box["y"] >= 0, "focused skip link is off screen"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"


@pytest.mark.browser
@pytest.mark.parametrize("name", ["index.html", "about.html", "404.html"])
def test_no_horizontal_scroll_on_phone(
    page_factory: Callable[..., Any],
    fixture_site_url: str,
    name: str,
    horizontal_overflow: Callable[[Any], int],
    screenshots_dir: Path,
) -> None:
    phone = page_factory(width=PHONE, height=812)
    phone.goto(fixture_site_url + name)
    phone.screenshot(path=screenshots_dir / f"fixture-{Path(name).stem}-{PHONE}.png")
    assert horizontal_overflow(phone) == 0


@pytest.mark.browser
def test_overflow_helper_detects_a_too_wide_page(
    page_factory: Callable[..., Any],
    served_site: Callable[..., Any],
    tmp_path: Path,
    horizontal_overflow: Callable[[Any], int],
) -> None:
    (tmp_path / "index.html").write_text(
        '<!DOCTYPE html><html lang="en"><title>wide</title><link rel="icon" href="data:,">'
        '<body style="margin:0"><div style="width:500px">wide</div>',
        encoding="utf-8",
    )
    phone = page_factory(width=PHONE, height=812)
    with served_site(tmp_path) as base_url:
        phone.goto(base_url)
        assert horizontal_overflow(phone) == 500 - PHONE


@pytest.mark.browser
@pytest.mark.parametrize("name", ["index.html", "about.html", "404.html"])
@pytest.mark.parametrize("width", [PHONE, DESKTOP])
def test_axe_reports_no_violations(
    page_factory: Callable[..., Any],
    fixture_site_url: str,
    name: str,
    width: int,
    axe_check: Callable[..., Any],
) -> None:
    page = page_factory(width=width)
    page.goto(fixture_site_url + name)
    violations = axe_check(page)
    assert not violations, violations.report()


@pytest.mark.browser
def test_axe_check_finds_violations_on_a_bad_page(
    page: Any, served_site: Callable[..., Any], tmp_path: Path, axe_check: Callable[..., Any]
) -> None:
    (tmp_path / "index.html").write_text(
        '<!DOCTYPE html><html><title>bad</title><link rel="icon" href="data:,">'
        '<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=">'
        '<p style="color:#bbb;background:#fff">low contrast</p>',
        encoding="utf-8",
    )
    with served_site(tmp_path) as base_url:
        page.goto(base_url)
        violations = axe_check(page)
    ids = {v["id"] for v in violations}
    assert {"html-has-lang", "image-alt", "color-contrast"} <= ids, violations.report()
    assert "image-alt" in violations.report()


@pytest.mark.browser
def test_vnu_reports_no_errors_on_fixture_site(vnu_check: Callable[..., Any]) -> None:
    errors = vnu_check(FIXTURE_SITE / name for name in FIXTURE_PAGES)
    assert not errors, errors.report()


@pytest.mark.browser
def test_vnu_reports_file_and_line_of_errors(vnu_check: Callable[..., Any], tmp_path: Path) -> None:
    bad = tmp_path / "bad.html"
    bad.write_text("<!DOCTYPE html>\n<html lang=en>\n<p>no title</p>\n<div><span></div>\n", "utf-8")
    errors = vnu_check([bad])
    assert errors
    report = errors.report()
    assert f"{bad}:" in report, report
    assert any(e.get("lastLine") == 4 for e in errors), report


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.parametrize("preset", [None, "desktop"], ids=["mobile", "desktop"])
def test_lighthouse_scores_on_fixture_site(
    fixture_site_url: str, preset: str | None, lighthouse_scores: Callable[..., Any]
) -> None:
    scores = lighthouse_scores(fixture_site_url, preset, report_name="fixture-home")
    assert set(scores) == set(MIN_SCORES)
    low = {k: v for k, v in scores.items() if v is None or v < MIN_SCORES[k]}
    assert not low, f"below threshold {MIN_SCORES}: {low}"
