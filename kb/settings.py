"""Frozen settings of one knowledge base: its folders, languages and site name."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_LANGUAGES: tuple[str, ...] = ("nb", "sv", "en")
DEFAULT_SITE_NAME = "Help Center"
DEFAULT_RETENTION_DAYS = 365
CONFIG_FILE = "kb.yml"  # read by kb.content.config
CONFIG_FILE_ALTERNATIVE = "kb.yaml"  # read when kb.yml is absent
TRUSTED_HOSTS_ENV = "KB_TRUSTED_HOSTS"  # comma-separated host names; replaces kb.yml's trusted_hosts


@dataclass(frozen=True)
class Settings:
    """Where a knowledge base lives and how it is presented; build one with ``load_settings``."""

    root: Path
    site_name: str = DEFAULT_SITE_NAME
    languages: tuple[str, ...] = DEFAULT_LANGUAGES
    default_language: str = "en"
    base_url: str = ""
    trusted_hosts: tuple[str, ...] = ()  # the Host headers answered (empty: any, for development)
    support_url: str = ""  # readers' way to support: an https URL or a mailto: address (validated)
    retention_days: int = DEFAULT_RETENTION_DAYS  # reader data (searches, clicks, votes) is kept this long
    max_file_size: int = 1_000_000  # bytes; a bigger image or attachment is a warning of `kb check`
    edit_url: str = ""  # "https://…/edit/main/{path}": the edit-this-page link, with the file's path
    extra: dict[str, object] = field(default_factory=dict, compare=False, hash=False)

    @property
    def articles_dir(self) -> Path:
        return self.root / "articles"

    @property
    def locales_dir(self) -> Path:
        return self.root / "locales"

    @property
    def instance_dir(self) -> Path:
        return self.root / "instance"

    @property
    def index_dir(self) -> Path:
        return self.instance_dir / "index"

    @property
    def build_dir(self) -> Path:
        return self.root / "build"

    def relative(self, path: Path) -> str:
        """``path`` as messages show it: relative to the knowledge base's root when inside it."""
        try:
            return path.relative_to(self.root).as_posix()
        except ValueError:
            return path.as_posix()


def resolve_root(root: str | os.PathLike[str] | None = None) -> Path:
    """The knowledge-base folder: the given one, else ``KB_ROOT``, else the current folder."""
    chosen = root if root is not None else os.environ.get("KB_ROOT") or "."
    return Path(chosen).resolve()
