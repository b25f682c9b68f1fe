"""The exception hierarchy: every error kb reports carries its meaning and, for content, its place."""

from __future__ import annotations

from dataclasses import dataclass, field


class KBError(Exception):
    """Base class of every error kb reports to a user."""


class ConfigError(KBError):
    """The knowledge-base configuration (kb.yml, folders) is unusable."""


class ContentError(KBError):
    """A problem in one content file, located as ``path:line``."""

    def __init__(self, path: str, line: int, message: str, severity: str = "error") -> None:
        self.path = path
        self.line = line
        self.message = message
        self.severity = severity
        super().__init__(str(self))

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.severity}: {self.message}"

    @property
    def is_error(self) -> bool:
        return self.severity == "error"

    def __reduce__(self) -> tuple[type[ContentError], tuple[str, int, str, str]]:
        return (ContentError, (self.path, self.line, self.message, self.severity))


@dataclass
class Problems:
    """The problems found so far; loading collects them all instead of stopping at the first."""

    items: list[ContentError] = field(default_factory=list)

    def add(self, path: str, line: int, message: str, severity: str = "error") -> None:
        self.items.append(ContentError(path, line, message, severity))


class SearchError(KBError):
    """A search index could not be built, opened or queried."""


class ExportError(KBError):
    """The static export could not be written."""
