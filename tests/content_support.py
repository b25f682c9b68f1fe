"""Shared helpers for content tests: article text with front-matter, and the repository's files."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SEED = Path(__file__).resolve().parent / "data" / "exports" / "000_79c1fb1d0dfecd68.txt"  # a real export
BROKEN = Path(__file__).resolve().parent / "data" / "broken"


def article(body: str = "Some text.", **front: str) -> str:
    """An article's text: the given front-matter lines (defaults for the required ones), a body."""
    values = {"title": "A title", "author": "Ester Andersson", "date": "2024-07-24", "category": "General"}
    values.update(front)
    header = "".join(f"{key}: {value}\n" for key, value in values.items())
    return f"---\n{header}---\n\n{body}\n"
