"""Refresh the interface catalogs (kb/locales/): extract messages.pot, update each messages.po, fill English.

Run from anywhere: ``.venv/bin/python locales/refresh_messages.py``. It runs the pybabel commands
documented in babel.cfg (no fuzzy matching, so no entry is ever fuzzy), sets msgstr = msgid in the
English catalog, and lists the entries still to translate; it exits 1 while any is left.
A new language: ``.venv/bin/pybabel init -i kb/locales/messages.pot -d kb/locales -D messages -l <lang>``.
The script stays in the site's locales/ (beside the article catalogs) so the wheel does not ship it.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from babel.messages.frontend import CommandLineInterface
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
LOCALES = ROOT / "kb" / "locales"  # the UI catalogs live in the package
SOURCE_LANGUAGE = "en"  # the language of the msgids
# Sorted by msgid, locations by file only: a change elsewhere in a file never rewrites the catalogs,
# and branches that add messages merge without touching the same lines.
EXTRACT = ["extract", "-F", "babel.cfg", "-k", "N_", "-c", "TRANSLATORS:", "--project=kb", "--sort-output",
           "--add-location=file"]  # fmt: skip
UPDATE = ["update", "-i", "kb/locales/messages.pot", "-d", "kb/locales", "-D", "messages", "--no-fuzzy-matching"]


def pybabel(*args: str) -> None:
    CommandLineInterface().run(["pybabel", "--quiet", *args])


def fill_source_language(path: Path) -> None:
    """Every entry of the source language's catalog translates to itself."""
    with path.open("rb") as handle:
        catalog = read_po(handle, locale=SOURCE_LANGUAGE)
    for message in catalog:
        if message.id:
            message.string = message.id
            message.flags.discard("fuzzy")
    with path.open("wb") as handle:
        write_po(handle, catalog, ignore_obsolete=True, width=76)


def untranslated(path: Path) -> list[str]:
    with path.open("rb") as handle:
        catalog = read_po(handle, locale=path.parent.parent.name)
    strings = [(m.id, m.string) for m in catalog if m.id]
    return [str(i) for i, s in strings if not (all(s) if isinstance(s, tuple) else s)]


def main() -> int:
    os.chdir(ROOT)
    pybabel(*EXTRACT, "-o", "kb/locales/messages.pot", ".")
    pybabel(*UPDATE)
    fill_source_language(LOCALES / SOURCE_LANGUAGE / "LC_MESSAGES" / "messages.po")
    left = 0
    for path in sorted(LOCALES.glob("*/LC_MESSAGES/messages.po")):
        missing = untranslated(path)
        left += len(missing)
        print(f"{path.relative_to(ROOT)}: {len(missing)} to translate")
        for msgid in missing:
            print(f"  {msgid}")
    return 1 if left else 0


if __name__ == "__main__":
    sys.exit(main())
