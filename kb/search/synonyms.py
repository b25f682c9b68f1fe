"""Synonyms authors keep in ``synonyms/<lang>.yml``: read, checked with ``path:line``, applied to queries.

Each line is ``word: [other, another]``; every word of a line finds the others (both directions),
one word each (``e-post`` is the one word ``epost``). The server and the offline search
(``kb.search.offline`` ships the table in the export's index) expand a query word the same way.
"""

from __future__ import annotations

import os
from pathlib import Path

from kb.content.frontmatter import as_list, compose_mapping
from kb.errors import ContentError, Problems
from kb.i18n import _
from kb.search.words import TOKEN_PATTERN, is_single, pieces, strip_invisible
from kb.settings import Settings

Table = dict[str, tuple[str, ...]]
NO_SYNONYMS: Table = {}  # the one table of a language without synonyms (results are cached by its id)
FOLDER = "synonyms"


def synonyms_path(settings: Settings, lang: str) -> Path:
    """Where a language's synonyms live: ``synonyms/<lang>.yml`` in the knowledge base."""
    return settings.root / FOLDER / f"{lang}.yml"


def normal(text: str) -> str:
    """A synonym as queries see it: lowercased words, hyphenated ones joined, single spaces; Chinese,
    Japanese or Korean characters written side by side stay one word (编辑)."""
    found: list[str] = []
    end = -1
    for match in TOKEN_PATTERN.finditer(strip_invisible(text)):
        word = pieces(match.group().lower())[0]
        if found and match.start() == end and is_single(word) and is_single(found[-1][-1]):
            found[-1] += word
        else:
            found.append(word)
        end = match.end()
    return " ".join(found)


def parse_synonyms(text: str, path: str, problems: Problems) -> Table:
    """The table of one file (word -> the words it also finds); problems collected with their line."""
    try:
        entries = compose_mapping(text, path)
    except ContentError as exc:
        problems.items.append(exc)
        return {}
    table: dict[str, list[str]] = {}
    for key, line, node in entries:
        word = normal(key)
        if not word or " " in word:
            problems.add(path, line, _("a synonym key must be one word, not {key!r}").format(key=key))
            continue
        try:
            values = as_list(node, key)
        except ValueError as exc:
            problems.add(path, line, str(exc))
            continue
        others = [normal(v) for v in values]
        if not others or not all(others):
            problems.add(path, line, _("{key!r} needs a list of words, like [a, b]").format(key=key))
            continue
        phrases = [v for v, o in zip(values, others, strict=True) if " " in o]
        if phrases:
            message = _("a synonym must be one word, not {value!r}").format(value=phrases[0])
            problems.add(path, line, message)
            continue
        group = [word, *others]
        for member in group:
            found = table.setdefault(member, [])
            found.extend(o for o in group if o != member and o not in found)
    return {word: tuple(others) for word, others in table.items()}


def check_synonyms(settings: Settings, problems: Problems) -> None:
    """Validate every language's synonyms file (``kb check``); a file for another language warns."""
    folder = settings.root / FOLDER
    if not folder.is_dir():
        return
    for path in sorted(folder.glob("*.yml")):
        shown = settings.relative(path)
        if path.stem not in settings.languages:
            problems.add(shown, 1, _("no language {lang!r} on this site").format(lang=path.stem), "warning")
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            problems.add(shown, 1, _("cannot read this file: {reason}").format(reason=exc))
            continue
        parse_synonyms(text, shown, problems)


class Synonyms:
    """Each language's table, reread when its file changes (authors edit it while the server runs)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._tables: dict[str, tuple[float, Table]] = {}

    def table(self, lang: str) -> Table:
        path = synonyms_path(self.settings, lang)
        try:
            stamp = os.stat(path).st_mtime
        except OSError:
            return NO_SYNONYMS
        known = self._tables.get(lang)
        if known is not None and known[0] == stamp:
            return known[1]
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            return NO_SYNONYMS
        table = parse_synonyms(text, str(path), Problems())
        self._tables[lang] = (stamp, table)
        return table
