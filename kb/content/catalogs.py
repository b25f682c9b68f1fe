"""Article content through gettext catalogs: the .pot and .po files, and articles translated by segment."""

from __future__ import annotations

import dataclasses
import hashlib
import io
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import PoFileError, read_po, write_po

from kb.content.files import atomic_write_bytes
from kb.content.markup import make_excerpt, protected_parts, render_markdown
from kb.content.references import ReferenceContext
from kb.errors import ContentError, Problems
from kb.i18n import _
from kb.model import Article, Category
from kb.settings import Settings

META_SEGMENTS = ("title", "summary", "tags", "keywords")
CategoryResolver = Callable[[str, str], Category | None]
CONFLICT_MARKER = re.compile(r"^(?:<{7}|={7}|>{7}|\|{7})(?: |$)", re.MULTILINE)


@dataclass(frozen=True)
class ContentTranslation:
    """One translated segment of article content, with where it stands in its .po file."""

    text: str
    line: int
    fuzzy: bool


def content_catalog_path(locales_dir: Path, lang: str) -> Path:
    return locales_dir / lang / "LC_MESSAGES" / "articles.po"


def read_catalog_file(path: Path, lang: str | None, shown: str) -> Catalog:
    """A .po or .pot file as a Catalog; a merge conflict or a malformed line is a ContentError at its line.

    Raises OSError when the file cannot be read.
    """
    raw = path.read_bytes()
    text = raw.decode("utf-8", errors="replace")
    conflict = CONFLICT_MARKER.search(text)
    if conflict is not None:
        line = text.count("\n", 0, conflict.start()) + 1
        message = _("unresolved merge conflict ({marker}): resolve it, then run 'kb i18n update' again")
        raise ContentError(shown, line, message.format(marker=conflict.group().strip()))
    try:
        return read_po(io.BytesIO(raw), locale=lang.replace("-", "_") if lang else None, abort_invalid=True)
    except PoFileError as exc:
        message = _("cannot read the catalog: {reason}").format(reason=str(exc).rsplit(" on ", 1)[0])
        raise ContentError(shown, exc.lineno + 1, message) from exc
    except (ValueError, UnicodeDecodeError) as exc:
        raise ContentError(shown, 1, _("cannot read the catalog: {reason}").format(reason=exc)) from exc


def read_content_catalog(locales_dir: Path, lang: str, shown: str = "") -> dict[str, ContentTranslation]:
    """The translated segments of ``locales/<lang>/LC_MESSAGES/articles.po``, by source text.

    Raises ContentError (located at ``shown``) for a malformed catalog, OSError for an unreadable one.
    """
    path = content_catalog_path(locales_dir, lang)
    if not path.is_file():
        return {}
    catalog = read_catalog_file(path, lang, shown or path.as_posix())
    found = {}
    for message in catalog:
        if message.id and isinstance(message.id, str) and isinstance(message.string, str) and message.string:
            found[message.id] = ContentTranslation(message.string, message.lineno or 0, message.fuzzy)
    return found


def catalog_bytes(catalog: Catalog, sort_output: bool = False) -> bytes:
    """A catalog in .po form, obsolete entries kept (as ``#~``) so no translation is ever dropped."""
    buffer = io.BytesIO()
    write_po(buffer, catalog, width=0, sort_output=sort_output, ignore_obsolete=False)
    return buffer.getvalue()


def write_content_template(segments: list[tuple[str, str, int]], path: Path) -> int:
    """Write ``articles.pot`` from (text, file path, line) segments; returns the message count."""
    catalog = Catalog(project="kb articles", charset="utf-8")
    for text, source, line in segments:
        catalog.add(text, locations=[(source, line)])
    atomic_write_bytes(path, catalog_bytes(catalog))
    return len(catalog)


def update_content_catalog(
    template: Path, locales_dir: Path, lang: str, shown: str = ""
) -> tuple[Path, int, int]:
    """Create or update ``articles.po`` for ``lang`` from the template; changed entries go fuzzy.

    Entries whose source is gone are kept as obsolete (``#~``) and come back when it returns.
    """
    pot = read_catalog_file(template, None, template.name)
    path = content_catalog_path(locales_dir, lang)
    if path.is_file():
        catalog = read_catalog_file(path, lang, shown or path.as_posix())
        for message in list(catalog.obsolete.values()):  # revive them: Catalog.update sees live ones only
            if catalog.get(message.id, message.context) is None:
                catalog[message.id] = message
        catalog.obsolete.clear()
        catalog.update(pot, update_header_comment=False)
    else:
        catalog = Catalog(locale=lang.replace("-", "_"), project="kb articles", charset="utf-8")
        catalog.update(pot)
    atomic_write_bytes(path, catalog_bytes(catalog))
    return path, len(catalog), sum(1 for m in catalog if m.id and m.fuzzy)


def compile_catalogs(locales_dir: Path) -> list[Path]:
    """Compile every ``.po`` under ``locales/`` to ``.mo`` beside it; fuzzy entries are left out."""
    written = []
    for po_path in sorted(locales_dir.glob("*/LC_MESSAGES/*.po")):
        lang = po_path.parent.parent.name
        catalog = read_catalog_file(po_path, lang, po_path.relative_to(locales_dir.parent).as_posix())
        buffer = io.BytesIO()
        write_mo(buffer, catalog, use_fuzzy=False)
        mo_path = po_path.with_suffix(".mo")
        atomic_write_bytes(mo_path, buffer.getvalue())
        written.append(mo_path)
    return written


def usable_translations(settings: Settings, lang: str, problems: Problems) -> dict[str, str]:
    """The catalog translations for ``lang`` that may be shown: not fuzzy, code and links intact."""
    rel = content_catalog_path(Path(settings.locales_dir.name), lang).as_posix()
    try:
        catalog = read_content_catalog(settings.locales_dir, lang, rel)
    except ContentError as exc:
        problems.items.append(exc)
        return {}
    except OSError as exc:
        problems.add(rel, 1, _("cannot read the catalog: {reason}").format(reason=exc.strerror or exc))
        return {}
    usable = {}
    for source, translation in catalog.items():
        if translation.fuzzy:
            message = _("outdated translation: its source text changed, so the source is shown")
            problems.add(rel, translation.line, message, "warning")
        elif protected_parts(source) != protected_parts(translation.text):
            message = _("the translation changes a code span or link target, so the source is shown")
            problems.add(rel, translation.line, message)
        else:
            usable[source] = translation.text
    return usable


def translate_article(
    article: Article,
    lang: str,
    usable: dict[str, str],
    category: Category | None,
    context: ReferenceContext | None = None,
) -> Article:
    """``article`` in ``lang`` from catalog translations; untranslated blocks stay in the source."""
    rendered = render_markdown(
        article.body, translate=usable.get, source_lang=article.lang, context=context, origins=article.origins
    )
    meta = [s.text for s in article.segments if s.kind in META_SEGMENTS]
    missing = rendered.untranslated + sum(1 for text in meta if text not in usable)
    summary = usable.get(article.summary, article.summary)
    used = "".join(usable.get(s.text, "") for s in article.segments)
    return dataclasses.replace(
        article,
        lang=lang,
        title=usable.get(article.title, article.title),
        summary=summary,
        tags=tuple(usable.get(tag, tag) for tag in article.tags),
        keywords=tuple(usable.get(word, word) for word in article.keywords),
        html=rendered.html,
        text=rendered.text,
        excerpt=make_excerpt(summary) if summary else rendered.excerpt,
        toc=rendered.toc,
        links=rendered.links,
        references=rendered.references + tuple(r for r in article.references if r.kind == "alias"),
        image=rendered.image,
        segments=(),
        category=category or dataclasses.replace(article.category, lang=lang),
        translation="partial" if missing else "catalog",
        source_lang=article.lang,
        source_hash=hashlib.sha256((article.source_hash + used).encode("utf-8")).hexdigest(),
    )


def _check_translated_files(settings: Settings, lang: str, article: Article, problems: Problems) -> None:
    """A translated image path that names no file is reported at its entry in the catalog."""
    missing = {r.target: r for r in article.references if r.kind == "missing"}
    if not missing:
        return
    rel = content_catalog_path(Path(settings.locales_dir.name), lang).as_posix()
    for source, translation in read_content_catalog(settings.locales_dir, lang).items():
        found = missing.get(translation.text)
        if found is not None and source != translation.text:
            message = _("missing file {target} (looked for {path})")
            problems.add(rel, translation.line, message.format(target=found.target, path=found.resolved))


def catalog_articles(
    settings: Settings, written: list[Article], resolve: CategoryResolver, problems: Problems
) -> list[Article]:
    """Articles that exist in a language only through its content catalog; written files win."""
    have = {(a.lang, a.slug) for a in written}
    sources = [a for a in written if a.lang == settings.default_language]
    made: list[Article] = []
    for lang in settings.languages:
        if lang == settings.default_language:
            continue
        usable = usable_translations(settings, lang, problems)
        for article in sources:
            if (lang, article.slug) not in have and any(s.text in usable for s in article.segments):
                category = resolve(lang, article.category.key)
                context = ReferenceContext(settings.root, article.path, lang, settings.max_file_size)
                made.append(translate_article(article, lang, usable, category, context))
                _check_translated_files(settings, lang, made[-1], problems)
    return made
