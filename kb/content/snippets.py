"""Snippet includes: ``{% include "path.md" %}`` lines expanded before parsing, each keeping its origin."""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, field
from pathlib import Path

from kb.errors import ContentError
from kb.i18n import _

INCLUDE = re.compile(r'^ {0,3}\{%-?\s*include\s+"(?P<path>[^"]+)"\s*-?%\}[ \t]*$')
FENCE = re.compile(r"^ {0,3}(?P<marker>`{3,}|~{3,})")
MAX_DEPTH = 10
Origin = tuple[str, int]  # a file (from the knowledge base's root) and a line in it


@dataclass(frozen=True)
class Expanded:
    """A body with its includes expanded: the text, where each line came from, and the problems."""

    text: str
    origins: tuple[Origin, ...] = ()  # empty when nothing was included: line n is first_line + n
    problems: tuple[ContentError, ...] = ()
    snippets: tuple[str, ...] = ()
    wanted: tuple[str, ...] = ()  # every snippet path an include named, found or not


@dataclass
class _Expansion:
    root: Path
    lines: list[str] = field(default_factory=list)
    origins: list[Origin] = field(default_factory=list)
    problems: list[ContentError] = field(default_factory=list)
    snippets: list[str] = field(default_factory=list)
    wanted: list[str] = field(default_factory=list)


def expand_includes(body: str, path: str, first_line: int, root: Path) -> Expanded:
    """``body`` of the file ``path`` (starting at ``first_line``) with every include line replaced by
    the snippet's text. A missing snippet, one outside the knowledge base, or a cycle is an error at
    the include line of the file that names it; the line then stays as it was written."""
    if "{%" not in body:
        return Expanded(body)
    work = _Expansion(root)
    _expand(body, path, first_line, work, (path,))
    if not work.snippets:
        return Expanded(body, problems=tuple(work.problems), wanted=tuple(work.wanted))
    lines, origins = "\n".join(work.lines), tuple(work.origins)
    return Expanded(lines, origins, tuple(work.problems), tuple(work.snippets), tuple(work.wanted))


def _expand(text: str, path: str, first_line: int, work: _Expansion, stack: tuple[str, ...]) -> None:
    fence = ""
    for number, line in enumerate(text.split("\n"), first_line):
        opened = FENCE.match(line)
        if fence:
            if opened and opened["marker"][0] == fence[0] and len(opened["marker"]) >= len(fence):
                fence = ""
        elif opened:
            fence = opened["marker"]
        found = None if fence or opened else INCLUDE.match(line)
        snippet = _snippet(found["path"], path, number, work, stack) if found else None
        if snippet is None:
            work.lines.append(line)
            work.origins.append((path, number))
            continue
        rel, content = snippet
        work.snippets.append(rel)
        _expand(content.rstrip("\n"), rel, 1, work, (*stack, rel))


def _snippet(
    target: str, path: str, line: int, work: _Expansion, stack: tuple[str, ...]
) -> tuple[str, str] | None:
    rel = posixpath.normpath(posixpath.join(posixpath.dirname(path), target))
    if not rel.startswith(".."):
        work.wanted.append(rel)
    if rel.startswith("..") or target.startswith("/") or not rel.endswith(".md"):
        message = _("include {target}: a snippet is a .md file inside the knowledge base").format(
            target=target
        )
        work.problems.append(ContentError(path, line, message))
        return None
    if rel in stack:
        chain = " → ".join((*stack, rel))
        work.problems.append(ContentError(path, line, _("include cycle: {chain}").format(chain=chain)))
        return None
    if len(stack) > MAX_DEPTH:
        message = _("include {target}: snippets nested more than {n} deep").format(target=target, n=MAX_DEPTH)
        work.problems.append(ContentError(path, line, message))
        return None
    full = work.root / rel
    try:
        if not full.resolve(strict=True).is_relative_to(work.root.resolve()):
            raise FileNotFoundError(rel)
        content = full.read_bytes().decode("utf-8-sig").replace("\r\n", "\n")
    except (OSError, UnicodeDecodeError, RuntimeError):
        message = _("include {target}: there is no snippet {path}").format(target=target, path=rel)
        work.problems.append(ContentError(path, line, message))
        return None
    return rel, content
