"""Frozen settings of one knowledge base: its folders, languages and site name."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_LANGUAGES: tuple[str, ...] = ("nb", "sv", "en")


@dataclass(frozen=True)
class Settings:
    """Where a knowledge base lives and how it is presented; build one with ``load_settings``."""

    root: Path
    site_name: str = "Help Center"
    languages: tuple[str, ...] = DEFAULT_LANGUAGES
    default_language: str = "en"
    base_url: str = ""
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

    @property
    def config_file(self) -> Path:
        return self.root / "kb.yml"


def resolve_root(root: str | os.PathLike[str] | None = None) -> Path:
    """The knowledge-base folder: the given one, else ``KB_ROOT``, else the current folder."""
    chosen = root if root is not None else os.environ.get("KB_ROOT") or "."
    return Path(chosen).resolve()
