"""What a build did: its own small module, so the no-change short cut (stamp.py) can
return the last build's report without importing the pipeline."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from dateline.errors import Diagnostic


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
    removed_urls: tuple[str, ...] = ()  # published by the previous build, gone now (ledger.py)
    newest: dt.datetime | None = None  # the newest article's date or update (deploy commits)
