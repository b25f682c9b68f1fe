"""Translation and localisation: gettext catalogs, Babel dates, language codes and negotiation."""

from __future__ import annotations

import datetime as dt
import os
from functools import cache
from pathlib import Path

from babel import Locale, UnknownLocaleError
from babel.dates import format_date as babel_format_date
from babel.support import NullTranslations, Translations

LOCALES_DIR = Path(__file__).resolve().parent.parent / "locales"
ALIASES = {"no": "nb", "nn": "nn", "nb": "nb"}


def normalize_language(code: str) -> str:
    """A language code in the form used for folders and URLs: ``nb_NO`` and ``no-NO`` become ``nb``."""
    base = code.strip().replace("_", "-").split("-")[0].lower()
    return ALIASES.get(base, base)


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
    """The compiled catalog of ``domain`` for ``lang``, or a pass-through when there is none."""
    return Translations.load(str(locales_dir), [lang.replace("-", "_")], domain)


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
