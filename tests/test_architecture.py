"""The dependency rule of DESIGN.md, read from the source with ``ast``: each library has one home."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

KB = Path(__file__).resolve().parent.parent / "kb"
MODULES = sorted(p.stem for p in KB.glob("*.py"))

# Third-party libraries and the kb modules allowed to import them. The design gives each library
# one home; the search layer (analysis, indexing, search) and the web layer (app and its
# blueprints, server) are each split over a few modules, listed here on purpose.
WEB = {"app", "views", "api", "feeds", "export", "server"}
HOMES: dict[str, set[str]] = {
    "yaml": {"content", "importer"},
    "markdown_it": {"markup"},
    "mdit_py_plugins": {"markup"},
    "pygments": {"markup"},
    "whoosh": {"search", "analysis", "indexing"},
    "babel": {"i18n"},
    "click": {"cli"},
    "flask": WEB,
    "werkzeug": WEB,
    "gunicorn": {"server"},
}
STDLIB_ONLY = {"model", "settings", "errors"}  # and each other
NEVER_WEB_OR_CLI = {"markup", "content", "search", "i18n", "importer", "analysis", "indexing", "query"}


def imports_of(module: str) -> set[str]:
    """Everything ``kb/<module>.py`` imports, at any depth of the file (inside functions too)."""
    return imports_in((KB / f"{module}.py").read_text(encoding="utf-8"))


def imports_in(source: str) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module)
        elif isinstance(node, ast.ImportFrom):
            found.add("kb")  # a relative import stays inside kb
    return found


def third_party(names: set[str]) -> set[str]:
    roots = {name.split(".")[0] for name in names}
    return {r for r in roots if r not in sys.stdlib_module_names and r not in ("kb", "__future__")}


def test_the_rules_know_the_modules() -> None:
    for module in STDLIB_ONLY | NEVER_WEB_OR_CLI | {"cli"}:
        assert module in MODULES, module


@pytest.mark.parametrize("module", MODULES)
def test_each_third_party_library_is_imported_only_in_its_home(module: str) -> None:
    for library in third_party(imports_of(module)):
        assert library in HOMES, f"kb/{module}.py imports {library}, which has no home in the rule"
        assert module in HOMES[library], f"kb/{module}.py imports {library} (its home: {HOMES[library]})"


@pytest.mark.parametrize("module", sorted(STDLIB_ONLY))
def test_model_settings_and_errors_import_only_the_standard_library(module: str) -> None:
    names = imports_of(module)
    assert third_party(names) == set()
    kb_imports = {n for n in names if n == "kb" or n.startswith("kb.")}
    assert kb_imports <= {f"kb.{m}" for m in STDLIB_ONLY}, kb_imports


@pytest.mark.parametrize("module", sorted(NEVER_WEB_OR_CLI))
def test_the_core_never_imports_the_web_or_the_command_line(module: str) -> None:
    roots = {name.split(".")[0] for name in imports_of(module)}
    assert not roots & {"flask", "werkzeug", "click", "gunicorn"}
    assert not {n for n in imports_of(module) if n in ("kb.cli", "kb.app", "kb.views")}


def test_the_rule_sees_imports_hidden_in_functions() -> None:
    source = "import os.path\nfrom yaml import safe_load\nfrom . import model\n\ndef f():\n    import click\n"
    assert imports_in(source) == {"os.path", "yaml", "kb", "click"}
    assert third_party(imports_in(source)) == {"yaml", "click"}
