"""Interface translation and localisation: UI gettext catalogs, Babel dates, the table of language codes."""

from __future__ import annotations

import datetime as dt
import io
import os
from collections.abc import Iterable, Sequence
from functools import cache
from pathlib import Path

from babel import Locale, UnknownLocaleError
from babel.dates import format_date as babel_format_date
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

LOCALES_DIR = Path(__file__).resolve().parent / "locales"  # the UI catalogs, shipped in the wheel

# The one table of language codes. Norwegian has two written standards: ``nb`` (bokmål) and ``nn``
# (nynorsk); ``no`` is the macro-language, read as bokmål. Whoosh's stemmer table knows only ``no``.
NORWEGIAN = ("nb", "nn", "no")
ALIASES = {"no": "nb"}
SNOWBALL_CODES = dict.fromkeys(NORWEGIAN, "no")


def normalize_language(code: str) -> str:
    """A language code in the form used for folders and URLs: ``nb_NO`` and ``no-NO`` become ``nb``,
    ``nn-NO`` stays nynorsk (``nn``)."""
    base = code.strip().replace("_", "-").split("-")[0].lower()
    return ALIASES.get(base, base)


def published_language(code: str, languages: Sequence[str]) -> str | None:
    """The one check of "does this site publish that language": ``code`` in its folder form if the
    site has it, else None (``NB``, ``nb-NO`` and ``no`` are ``nb``)."""
    normal = normalize_language(code) if code else ""
    return normal if normal in languages else None


def closest_language(wanted: Iterable[str], offered: Sequence[str]) -> str | None:
    """The first of ``wanted`` (best first) that the site offers; a reader of any Norwegian who is
    not offered their own standard gets the other one before any other language."""
    for code in wanted:
        normal = normalize_language(code)
        if normal in offered:
            return normal
        if normal in NORWEGIAN:
            found = next((c for c in NORWEGIAN if c in offered), None)
            if found is not None:
                return found
    return None


def stemmer_language(code: str) -> str:
    """The name of ``code``'s language in Snowball's table (``nb`` and ``nn`` are ``no``)."""
    return SNOWBALL_CODES.get(code, code)


@cache
def language_name(code: str) -> str:
    """A language's name in itself, as a language menu shows it (``Norsk bokmål``, ``Svenska``).

    Babel's autonyms are lower-case for most European languages; a menu entry starts with a capital.
    """
    try:
        name = Locale.parse(code.replace("-", "_")).get_display_name(code.replace("-", "_"))
    except (UnknownLocaleError, ValueError):
        return code
    return name[:1].upper() + name[1:] if name else code


@cache
def is_known_language(code: str) -> bool:
    """Whether Babel knows ``code`` as a language (``xx`` and ``english`` are not)."""
    if not code or not code.isascii() or not code.replace("_", "").isalnum():
        return False
    try:
        Locale.parse(code.replace("-", "_"))
    except (UnknownLocaleError, ValueError):
        return False
    return True


@cache
def translations(lang: str, domain: str = "messages", locales_dir: Path = LOCALES_DIR) -> NullTranslations:
    """The catalog of ``domain`` for ``lang``, compiled in memory from its .po (no .mo in git)."""
    path = locales_dir / lang / "LC_MESSAGES" / f"{domain}.po"
    if not path.is_file():
        return NullTranslations()
    with path.open("rb") as handle:
        catalog = read_po(handle, locale=lang.replace("-", "_"))
    compiled = io.BytesIO()
    write_mo(compiled, catalog, use_fuzzy=False)
    compiled.seek(0)
    return Translations(compiled, domain=domain)


def cli_language() -> str:
    """The language of command-line messages, from ``KB_LANG`` or the usual locale variables."""
    for name in ("KB_LANG", "LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(name, "")
        if value and value not in ("C", "POSIX") and not value.startswith("C."):
            return normalize_language(value.split(":")[0].split(".")[0])
    return "en"


def gettext(message: str) -> str:
    """``message`` translated into the command-line language."""
    return translations(cli_language()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """The singular or plural form of a message for ``n``, in the command-line language."""
    return translations(cli_language()).ngettext(singular, plural, n)


_ = gettext


def format_date(value: dt.date, lang: str, style: str = "long") -> str:
    """A date as readers of ``lang`` write it: ``24. juli 2024``, ``24 juli 2024``, ``July 24, 2024``."""
    return babel_format_date(value, style, locale=lang.replace("-", "_"))
