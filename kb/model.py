"""The content model: frozen articles, categories and headings, and the Library of pure lookups."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Heading:
    """One heading of an article, as listed in its table of contents."""

    level: int
    text: str
    anchor: str


@dataclass(frozen=True)
class Segment:
    """One translatable block of an article's source (a heading, paragraph, list item or cell)."""

    text: str
    line: int
    kind: str


@dataclass(frozen=True)
class Reference:
    """One link or image in an article's source, where it is written and what it points at.

    ``kind`` is ``article`` (a ``.md`` link), ``anchor`` (``#heading`` in the article itself),
    ``file`` (an image or attachment found on disk) or ``missing`` (a file that is not there);
    ``resolved`` is the target's path from the knowledge base's root.
    """

    kind: str
    target: str
    path: str
    line: int
    resolved: str = ""
    fragment: str = ""


@dataclass(frozen=True)
class Category:
    """A category in one language; ``key`` is shared by its versions in every language."""

    key: str
    lang: str
    name: str
    slug: str
    description: str = ""
    order: int = 1000


@dataclass(frozen=True)
class Article:
    """One validated, rendered help article in one language."""

    lang: str
    slug: str
    title: str
    author: str
    date: dt.date
    category: Category
    path: str
    html: str
    text: str
    excerpt: str
    toc: tuple[Heading, ...] = ()
    segments: tuple[Segment, ...] = ()
    tags: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    summary: str = ""
    updated: dt.date | None = None
    draft: bool = False
    order: int = 1000
    links: tuple[str, ...] = ()
    source_hash: str = ""
    body: str = field(default="", repr=False, compare=False)
    translation: str = ""  # "" for a written file, "catalog" or "partial" for a catalog translation
    source_lang: str = ""
    references: tuple[Reference, ...] = ()
    origins: tuple[tuple[str, int], ...] = field(default=(), repr=False, compare=False)  # snippets' lines
    aliases: tuple[str, ...] = ()
    image: str = ""  # the URL of the article's first image: its preview when shared
    modified: dt.date | None = None  # the last commit touching the file, when the knowledge base is in git

    @property
    def url(self) -> str:
        """The article's path on the site."""
        return f"/{self.lang}/articles/{self.slug}/"

    @property
    def last_changed(self) -> dt.date:
        if self.updated:
            return self.updated
        return max(self.modified, self.date) if self.modified else self.date

    @property
    def headings_text(self) -> str:
        return "\n".join(h.text for h in self.toc)


def sort_key(article: Article) -> tuple[int, str, str]:
    """Articles in a category: by ``order``, then title, then slug."""
    return (article.order, article.title.casefold(), article.slug)


@dataclass(frozen=True)
class Library:
    """All published articles and categories, with pure lookups by language, slug, category and tag.

    The lookup tables are built once, when the Library is made: a page asks for a category's
    articles several times, and the export does so for each of thousands of pages.
    """

    articles: tuple[Article, ...]
    categories: tuple[Category, ...] = ()
    languages: tuple[str, ...] = ()
    _by_key: dict[tuple[str, str], Article] = field(init=False, repr=False, compare=False)
    _by_lang: dict[str, tuple[Article, ...]] = field(init=False, repr=False, compare=False)
    _by_category: dict[Category, tuple[Article, ...]] = field(init=False, repr=False, compare=False)
    _by_tag: dict[tuple[str, str], tuple[Article, ...]] = field(init=False, repr=False, compare=False)
    _categories: dict[str, tuple[Category, ...]] = field(init=False, repr=False, compare=False)
    _category_by: dict[tuple[str, str, str], Category] = field(init=False, repr=False, compare=False)
    _by_alias: dict[tuple[str, str], Article] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        by_lang: dict[str, list[Article]] = {}
        by_category: dict[Category, list[Article]] = {}
        by_tag: dict[tuple[str, str], list[Article]] = {}
        for article in self.articles:
            by_lang.setdefault(article.lang, []).append(article)
            by_category.setdefault(article.category, []).append(article)
            for tag in article.tags:
                by_tag.setdefault((article.lang, tag.casefold()), []).append(article)
        categories: dict[str, list[Category]] = {}
        category_by: dict[tuple[str, str, str], Category] = {}
        for category in self.categories:
            categories.setdefault(category.lang, []).append(category)
            category_by.setdefault((category.lang, "slug", category.slug), category)
            category_by.setdefault((category.lang, "key", category.key), category)
        tables = {
            "_by_key": {(a.lang, a.slug): a for a in self.articles},
            "_by_lang": {lang: tuple(found) for lang, found in by_lang.items()},
            "_by_category": {c: tuple(sorted(found, key=sort_key)) for c, found in by_category.items()},
            "_by_tag": {key: tuple(sorted(found, key=sort_key)) for key, found in by_tag.items()},
            "_categories": {
                lang: tuple(sorted(found, key=lambda c: (c.order, c.name)))
                for lang, found in categories.items()
            },
            "_category_by": category_by,
            "_by_alias": {(a.lang, alias): a for a in reversed(self.articles) for alias in a.aliases},
        }
        for name, table in tables.items():
            object.__setattr__(self, name, table)

    def __iter__(self) -> Iterator[Article]:
        return iter(self.articles)

    def __len__(self) -> int:
        return len(self.articles)

    def in_language(self, lang: str) -> list[Article]:
        return list(self._by_lang.get(lang, ()))

    def get(self, lang: str, slug: str) -> Article | None:
        return self._by_key.get((lang, slug))

    def by_alias(self, lang: str, slug: str) -> Article | None:
        """The article that used to live at ``slug`` (one of its ``aliases``)."""
        return self._by_alias.get((lang, slug))

    def translations(self, article: Article) -> dict[str, Article]:
        """The same article in every language that has it, the article itself included."""
        found = {lang: self._by_key.get((lang, article.slug)) for lang in self.languages}
        return {lang: a for lang, a in found.items() if a is not None}

    def categories_in(self, lang: str) -> list[Category]:
        return list(self._categories.get(lang, ()))

    def category(self, lang: str, slug: str) -> Category | None:
        return self._category_by.get((lang, "slug", slug))

    def category_by_key(self, lang: str, key: str) -> Category | None:
        return self._category_by.get((lang, "key", key))

    def in_category(self, category: Category) -> list[Article]:
        """The category's articles in their order (``order``, then title)."""
        return list(self._by_category.get(category, ()))

    def tagged(self, lang: str, tag: str) -> list[Article]:
        """The articles of ``lang`` carrying ``tag`` (compared without case), in category order."""
        return list(self._by_tag.get((lang, tag.casefold()), ()))

    def recent(self, lang: str, limit: int = 5) -> list[Article]:
        return sorted(self.in_language(lang), key=lambda a: (a.last_changed, a.slug), reverse=True)[:limit]


def unique(values: Iterable[str]) -> tuple[str, ...]:
    """The values in first-seen order, without repeats."""
    return tuple(dict.fromkeys(values))


_TRANSLITERATION = str.maketrans(
    {"æ": "ae", "ø": "o", "å": "a", "ä": "a", "ö": "o", "ü": "u", "é": "e", "ß": "ss"}
)


def slugify(text: str) -> str:
    """An ASCII URL slug: Nordic letters transliterated, lowercased, other runs turned into ``-``."""
    lowered = text.casefold().translate(_TRANSLITERATION)
    ascii_only = unicodedata.normalize("NFKD", lowered).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", ascii_only).strip("-")
