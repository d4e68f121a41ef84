"""Slugs and site paths: readable ASCII URLs, and nothing that could leave the output folder."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dateline.urls import UnsafePathError, check_site_path, output_path, slugify


@pytest.mark.parametrize(
    ("title", "slug"),
    [
        ("IOM Trains Salvadoran Medical Staff", "iom-trains-salvadoran-medical-staff"),
        ("Ciudad de Panamá: ¿qué pasó?", "ciudad-de-panama-que-paso"),
        ("IOM's work", "ioms-work"),
        ("IOM’s work", "ioms-work"),
        ("IOM´s work", "ioms-work"),
        ("MigrantApp - Effective Communication", "migrantapp-effective-communication"),
        ("  ", ""),
        ("💥🔥", ""),
    ],
)
def test_slug_examples(title: str, slug: str) -> None:
    """Accents fold, every apostrophe style is dropped alike, punctuation becomes one hyphen."""
    assert slugify(title) == slug


@given(st.text())
def test_slug_is_clean_and_idempotent(text: str) -> None:
    """Any text gives [a-z0-9-] without edge or double hyphens, and slugifying again changes nothing."""
    slug = slugify(text)
    assert re.fullmatch(r"([a-z0-9]+(-[a-z0-9]+)*)?", slug)
    assert len(slug) <= 80
    assert slugify(slug) == slug


@pytest.mark.parametrize(
    "path",
    ["news/x/", "/news/../x/", "/news/./x/", "/a//b/", "/a\\b/", "/a\0/", "/.git/x", "/a/\x07/"],
)
def test_unsafe_site_paths_are_refused(path: str) -> None:
    """Relative, dot, empty, hidden or control-character segments never reach the writer."""
    with pytest.raises(UnsafePathError):
        check_site_path(path)


def test_output_paths() -> None:
    """Pages end in index.html; files keep their name; the reserved .dateline folder is allowed."""
    assert output_path("/") == "index.html"
    assert output_path("/countries/el-salvador/") == "countries/el-salvador/index.html"
    assert output_path("/feed.xml") == "feed.xml"
    assert output_path("/.dateline/urls.txt") == ".dateline/urls.txt"
