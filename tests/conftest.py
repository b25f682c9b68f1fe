"""Shared pytest fixtures: real temporary knowledge bases on disk."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import pytest

from tests.helpers import KnowledgeBase


@pytest.fixture
def kb_root(tmp_path: Path) -> KnowledgeBase:
    """A factory for a knowledge base in a temp folder: ``root = kb_root({"articles/nb/a.md": text})``.

    It makes ``kb.yml`` (unless given) and ``articles/<lang>/`` for each language, then writes each
    file exactly as given: ``str`` as UTF-8, ``bytes`` untouched.
    """

    def make(
        files: Mapping[str, str | bytes] | None = None, languages: Sequence[str] = ("nb", "sv", "en")
    ) -> Path:
        root = tmp_path / "kb"
        for lang in languages:
            (root / "articles" / lang).mkdir(parents=True, exist_ok=True)
        files = dict(files or {})
        files.setdefault("kb.yml", f"languages: [{', '.join(languages)}]\n")
        for name, content in files.items():
            path = root / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
        return root

    return make


@pytest.fixture
def english_messages(monkeypatch: pytest.MonkeyPatch) -> None:
    """Command-line and content messages in English, whatever the machine's locale."""
    monkeypatch.setenv("KB_LANG", "en")
