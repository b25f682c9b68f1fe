"""Articles in other languages through content catalogs: translated segments replace the source ones."""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Callable
from pathlib import Path

from kb.errors import Problems
from kb.i18n import _, content_catalog_path, protected_parts, read_content_catalog
from kb.markup import make_excerpt, render_markdown
from kb.model import Article, Category
from kb.settings import Settings

META_SEGMENTS = ("title", "summary", "tags", "keywords")
CategoryResolver = Callable[[str, str], Category | None]


def usable_translations(settings: Settings, lang: str, problems: Problems) -> dict[str, str]:
    """The catalog translations for ``lang`` that may be shown: not fuzzy, code and links intact."""
    rel = content_catalog_path(Path(settings.locales_dir.name), lang).as_posix()
    try:
        catalog = read_content_catalog(settings.locales_dir, lang)
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        problems.add(rel, 1, _("cannot read the catalog: {reason}").format(reason=exc))
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
    article: Article, lang: str, usable: dict[str, str], category: Category | None
) -> Article:
    """``article`` in ``lang`` from catalog translations; untranslated blocks stay in the source."""
    rendered = render_markdown(article.body, translate=usable.get, source_lang=article.lang)
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
        segments=(),
        category=category or dataclasses.replace(article.category, lang=lang),
        translation="partial" if missing else "catalog",
        source_lang=article.lang,
        source_hash=hashlib.sha256((article.source_hash + used).encode("utf-8")).hexdigest(),
    )


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
                made.append(translate_article(article, lang, usable, category))
    return made
