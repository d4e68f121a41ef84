"""Diagnostics: where a problem is, how bad it is, and what to do about it.

Every stage reports problems as `Diagnostic` values rather than printing or
raising halfway, so a build can show *all* content problems in one run, in the
`path:line: severity: message` form editors and CI annotations understand.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any


class Severity(enum.Enum):
    """How a diagnostic affects the exit status."""

    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, slots=True, order=True)
class SourceLocation:
    """A position in a site file; `path` is relative to the site root when possible."""

    path: str
    line: int | None = None

    def __str__(self) -> str:
        return f"{self.path}:{self.line}" if self.line else self.path


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """One problem found in the site, with a hint saying how to fix it."""

    severity: Severity
    location: SourceLocation
    message: str
    hint: str | None = None

    def __str__(self) -> str:
        text = f"{self.location}: {self.severity.value}: {self.message}"
        return f"{text} (hint: {self.hint})" if self.hint else text

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR

    def sort_key(self) -> tuple[str, int, str]:
        return (self.location.path, self.location.line or 0, self.message)


def error(
    path: str | PurePosixPath, line: int | None, message: str, hint: str | None = None
) -> Diagnostic:
    """Make an error diagnostic."""
    return Diagnostic(Severity.ERROR, SourceLocation(str(path), line), message, hint)


def warning(
    path: str | PurePosixPath, line: int | None, message: str, hint: str | None = None
) -> Diagnostic:
    """Make a warning diagnostic."""
    return Diagnostic(Severity.WARNING, SourceLocation(str(path), line), message, hint)


def diagnostic_to_json(diagnostic: Diagnostic) -> list[Any]:
    """A JSON form, for the caches (a cached load or build repeats its warnings)."""
    location = diagnostic.location
    return [diagnostic.severity.value, location.path, location.line, diagnostic.message,
            diagnostic.hint]  # fmt: skip


def diagnostic_from_json(data: Any) -> Diagnostic:
    severity, path, line, message, hint = data
    return Diagnostic(Severity(severity), SourceLocation(str(path), line), str(message), hint)


def sorted_diagnostics(items: Iterable[Diagnostic]) -> tuple[Diagnostic, ...]:
    """Order diagnostics by file and line so reports are stable and easy to scan."""
    return tuple(sorted(items, key=Diagnostic.sort_key))


class DatelineError(Exception):
    """A failure the user can fix; the CLI prints its diagnostics, never a traceback."""

    def __init__(self, diagnostics: Iterable[Diagnostic]) -> None:
        self.diagnostics = tuple(diagnostics)
        super().__init__("\n".join(str(d) for d in self.diagnostics))


class ConfigError(DatelineError):
    """The site configuration is invalid; nothing can be built."""


class BuildError(DatelineError):
    """The build found errors; the previous output was left untouched."""
