"""The dependency rule of ARCHITECTURE.md, read from the source with ``ast``, by package prefix.

Which kb package may import which, where each third-party library lives, and no import cycles
anywhere in ``kb/`` (imports inside functions count too). Run on its own:
``.venv/bin/pytest tests/test_architecture.py``.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

KB = Path(__file__).resolve().parent.parent / "kb"


def module_name(path: Path) -> str:
    parts = path.relative_to(KB.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in sorted(KB.rglob("*.py"))}

# Each third-party library and the kb modules (by prefix) allowed to import it.
HOMES: dict[str, tuple[str, ...]] = {
    "yaml": ("kb.content.frontmatter",),
    "markdown_it": ("kb.content.markup",),
    "mdit_py_plugins": ("kb.content.markup",),
    "pygments": ("kb.content.markup",),
    "whoosh": ("kb.search.analysis", "kb.search.indexing", "kb.search.scoring", "kb.search.service"),
    # gettext catalogs: the interface's (kb.i18n) and the articles' (kb.content.catalogs)
    "babel": ("kb.i18n", "kb.content.catalogs"),
    "click": ("kb.cli",),
    "flask": ("kb.web", "kb.export"),
    "werkzeug": ("kb.web", "kb.export"),
    "jinja2": ("kb.web", "kb.export"),  # Flask's template engine
    "markupsafe": ("kb.web",),  # Flask's escaping: the server-drawn SVG charts (kb.web.charts)
    "gunicorn": ("kb.web.server", "kb.web.worker"),
    "gevent": ("kb.web.gate", "kb.web.worker"),  # searches off the loop; the fair worker
    "sqlalchemy": ("kb.store",),
    "psycopg": ("kb.store",),
    "numpy": ("kb.search",),
    "Stemmer": ("kb.search.analysis",),  # PyStemmer: Snowball's stemmers, inside the analyzers
}
# Which kb modules each part may import (by prefix); a part may always import itself.
STDLIB_ONLY = ("kb.model", "kb.settings", "kb.errors")
ALLOWED: dict[str, tuple[str, ...]] = {
    "kb.model": (),
    "kb.settings": (),
    "kb.errors": (),
    "kb.i18n": (),
    "kb.content": (*STDLIB_ONLY, "kb.i18n"),
    "kb.search": (*STDLIB_ONLY, "kb.i18n", "kb.content"),
    "kb.store": (*STDLIB_ONLY, "kb.i18n"),
    "kb.web": (*STDLIB_ONLY, "kb.i18n", "kb.content", "kb.search", "kb.store"),
    "kb.export": (*STDLIB_ONLY, "kb.i18n", "kb.content", "kb.search", "kb.web"),
    "kb.cli": ("kb",),
    "kb.__main__": ("kb.cli",),
    "kb": (),
}


def imports_of(module: str) -> set[str]:
    """Everything a kb module imports, at any depth of the file (inside functions too)."""
    return imports_in(MODULES[module].read_text(encoding="utf-8"), module)


def imports_in(source: str, module: str = "kb.x") -> set[str]:
    found: set[str] = set()
    package = module.rsplit(".", 1)[0]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module)
        elif isinstance(node, ast.ImportFrom):  # relative: resolved against the module's package
            base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
            found.add(f"{base}.{node.module}" if node.module else base)
    return found


def kb_imports(module: str) -> set[str]:
    """The kb modules ``module`` imports (a name imported from a package counts as the package)."""
    found = set()
    for name in imports_of(module):
        while name and name not in MODULES and "." in name:
            name = name.rsplit(".", 1)[0]
        if name in MODULES and name != module:
            found.add(name)
    return found


def third_party(names: set[str]) -> set[str]:
    roots = {name.split(".")[0] for name in names}
    return {r for r in roots if r not in sys.stdlib_module_names and r not in ("kb", "__future__")}


def part_of(module: str) -> str:
    """The rule that governs ``module``: the longest prefix in ALLOWED."""
    return max((p for p in ALLOWED if module == p or module.startswith(p + ".")), key=len)


def within(module: str, prefixes: tuple[str, ...]) -> bool:
    return any(module == p or module.startswith(p + ".") for p in prefixes)


def cycles(graph: dict[str, set[str]] | None = None) -> list[list[str]]:
    """Every module that reaches itself again through its kb imports, with one such path."""
    graph = graph if graph is not None else {m: kb_imports(m) for m in MODULES}
    found = []
    for start in graph:
        stack, seen = [(start, [start])], set()
        while stack:
            node, path = stack.pop()
            for nxt in graph[node]:
                if nxt == start:
                    found.append([*path, start])
                    stack.clear()
                    break
                if nxt not in seen:
                    seen.add(nxt)
                    stack.append((nxt, [*path, nxt]))
    return found


def test_the_layout_has_its_three_packages_and_flat_modules() -> None:
    for name in ("kb.content", "kb.search", "kb.web", *STDLIB_ONLY, "kb.i18n", "kb.export", "kb.cli"):
        assert name in MODULES, name
    assert not any(m.endswith("utils") for m in MODULES)


@pytest.mark.parametrize("module", sorted(MODULES))
def test_each_third_party_library_is_imported_only_in_its_home(module: str) -> None:
    for library in third_party(imports_of(module)):
        assert library in HOMES, f"{module} imports {library}, which has no home in the rule"
        assert within(module, HOMES[library]), f"{module} imports {library} (its home: {HOMES[library]})"


@pytest.mark.parametrize("module", sorted(MODULES))
def test_each_part_imports_only_the_parts_below_it(module: str) -> None:
    rule = part_of(module)
    for imported in kb_imports(module):
        if within(imported, (rule,)) and rule != "kb":
            continue  # inside its own part
        assert within(imported, ALLOWED[rule]), f"{module} imports {imported} ({rule}: {ALLOWED[rule]})"


def test_no_module_imports_a_module_that_imports_it_back() -> None:
    assert cycles() == []


def test_state_is_imported_from_its_own_module_never_from_the_factory() -> None:
    for module in MODULES:
        if module.startswith("kb.web.") and module != "kb.web.app":
            assert "kb.web.app" not in kb_imports(module) or module == "kb.web.server", module


def test_the_cycle_check_finds_a_cycle_through_a_function_level_import() -> None:
    sources = {"kb.a": "from kb.b import x\n", "kb.b": "def f():\n    from kb.a import y\n", "kb.c": ""}
    graph = {name: imports_in(text, name) for name, text in sources.items()}
    assert cycles(graph) == [["kb.a", "kb.b", "kb.a"], ["kb.b", "kb.a", "kb.b"]]
    assert imports_in("from . import model\nfrom .markup import x\n", "kb.content.loader") == {
        "kb.content",
        "kb.content.markup",
    }


def test_the_rule_sees_imports_hidden_in_functions() -> None:
    source = "import os.path\nfrom yaml import safe_load\n\ndef f():\n    import click\n"
    assert imports_in(source) == {"os.path", "yaml", "click"}
    assert third_party(imports_in(source)) == {"yaml", "click"}


def test_no_test_file_imports_another_test_file() -> None:
    """Shared builders live in ``tests/helpers.py`` or in fixtures, never in a test module."""
    tests = Path(__file__).resolve().parent
    for path in tests.rglob("*.py"):
        if "data" in path.relative_to(tests).parts:
            continue
        for name in imports_in(path.read_text(encoding="utf-8"), "tests.x"):
            last = name.rsplit(".", 1)[-1]
            assert not (name.startswith("tests") and (last.startswith("test_") or last == "conftest")), (
                f"{path.relative_to(tests)} imports {name}"
            )
