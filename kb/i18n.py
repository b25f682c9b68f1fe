"""Translation and localisation: gettext catalogs, Babel dates, language codes and negotiation."""

from __future__ import annotations

import datetime as dt
import io
import os
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from babel import Locale, UnknownLocaleError
from babel.dates import format_date as babel_format_date
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po
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


# --- article content catalogs -------------------------------------------------------------------

CODE_SPAN = re.compile(r"`+[^`]+`+")
LINK_TARGET = re.compile(r"\]\(\s*<?([^)\s>]+)")


@dataclass(frozen=True)
class ContentTranslation:
    """One translated segment of article content, with where it stands in its .po file."""

    text: str
    line: int
    fuzzy: bool


def protected_parts(markdown: str) -> list[str]:
    """Code spans and link targets: a translation must keep them exactly."""
    return sorted(CODE_SPAN.findall(markdown)) + sorted(LINK_TARGET.findall(markdown))


def content_catalog_path(locales_dir: Path, lang: str) -> Path:
    return locales_dir / lang / "LC_MESSAGES" / "articles.po"


def read_content_catalog(locales_dir: Path, lang: str) -> dict[str, ContentTranslation]:
    """The translated segments of ``locales/<lang>/LC_MESSAGES/articles.po``, by source text."""
    path = content_catalog_path(locales_dir, lang)
    if not path.is_file():
        return {}
    with path.open("rb") as handle:
        catalog = read_po(handle, locale=lang.replace("-", "_"))
    found = {}
    for message in catalog:
        if message.id and isinstance(message.id, str) and isinstance(message.string, str) and message.string:
            found[message.id] = ContentTranslation(message.string, message.lineno or 0, message.fuzzy)
    return found


def write_content_template(segments: list[tuple[str, str, int]], path: Path) -> int:
    """Write ``articles.pot`` from (text, file path, line) segments; returns the message count."""
    catalog = Catalog(project="kb articles", charset="utf-8")
    for text, source, line in segments:
        catalog.add(text, locations=[(source, line)])
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as handle:
        write_po(handle, catalog, width=0, sort_output=False)
    return len(catalog)


def update_content_catalog(template: Path, locales_dir: Path, lang: str) -> tuple[Path, int, int]:
    """Create or update ``articles.po`` for ``lang`` from the template; changed entries go fuzzy."""
    with template.open("rb") as handle:
        pot = read_po(handle)
    path = content_catalog_path(locales_dir, lang)
    if path.is_file():
        with path.open("rb") as handle:
            catalog = read_po(handle, locale=lang.replace("-", "_"))
        catalog.update(pot, update_header_comment=False)
    else:
        catalog = Catalog(locale=lang.replace("-", "_"), project="kb articles", charset="utf-8")
        catalog.update(pot)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as handle:
        write_po(handle, catalog, width=0, ignore_obsolete=True)
    return path, len(catalog), sum(1 for m in catalog if m.id and m.fuzzy)


def compile_catalogs(locales_dir: Path) -> list[Path]:
    """Compile every ``.po`` under ``locales/`` to ``.mo`` beside it; fuzzy entries are left out."""
    written = []
    for po_path in sorted(locales_dir.glob("*/LC_MESSAGES/*.po")):
        lang = po_path.parent.parent.name
        with po_path.open("rb") as handle:
            catalog = read_po(handle, locale=lang.replace("-", "_"))
        mo_path = po_path.with_suffix(".mo")
        with mo_path.open("wb") as handle:
            write_mo(handle, catalog, use_fuzzy=False)
        written.append(mo_path)
    translations.cache_clear()
    return written
