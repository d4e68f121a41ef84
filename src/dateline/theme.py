"""Where the default theme lives, installed or in a source checkout.

A wheel carries the theme as package data (`dateline/theme/`); an editable
install reads it from the repository's top-level `templates/` and `static/`,
which are the single source of both.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGED = Path(__file__).parent / "theme"
_CHECKOUT = Path(__file__).resolve().parents[2]


def theme_templates() -> Path:
    """The default theme's template folder."""
    packaged = _PACKAGED / "templates"
    return packaged if packaged.is_dir() else _CHECKOUT / "templates"


def theme_static() -> Path:
    """The default theme's static folder (copied under /static/)."""
    packaged = _PACKAGED / "static"
    return packaged if packaged.is_dir() else _CHECKOUT / "static"
