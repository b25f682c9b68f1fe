"""The store package's own dependency rule: SQLAlchemy is its one third-party library, no web or CLI."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

STORE = Path(__file__).resolve().parents[2] / "kb" / "store"
ALLOWED_THIRD_PARTY = {"sqlalchemy"}  # psycopg is loaded by SQLAlchemy from the URL, never imported


def imports_of(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module if node.level == 0 else "kb.store")
    return found


@pytest.mark.parametrize("path", sorted(STORE.glob("*.py")), ids=lambda p: p.name)
def test_the_store_imports_sqlalchemy_and_kb_basics_only(path: Path) -> None:
    names = imports_of(path)
    roots = {name.split(".")[0] for name in names}
    third_party = {r for r in roots if r not in sys.stdlib_module_names and r not in ("kb", "__future__")}
    assert third_party <= ALLOWED_THIRD_PARTY, third_party
    kb_imports = {n for n in names if n.split(".")[0] == "kb"}
    assert all(n == "kb.settings" or n.startswith("kb.store") for n in kb_imports), kb_imports
    text = path.read_text(encoding="utf-8")
    assert text.splitlines()[0].startswith('"""') and "from __future__ import annotations" in text
