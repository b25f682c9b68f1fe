"""The content model: frozen articles, categories and headings, and the Library of pure lookups."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import NamedTuple
from urllib.parse import quote

MAX_SLUG_BYTES = 255  # a file name's limit on common filesystems: the export writes <slug>/index.html
# Characters XML 1.0 forbids (C0 controls but tab and newlines, lone surrogates, U+FFFE, U+FFFF)
XML_FORBIDDEN = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


class Heading(NamedTuple):
    """One heading of an article, as listed in its table of contents."""

    level: int
    text: str
    anchor: str


class Segment(NamedTuple):
    """One translatable block of an article's source (a heading, paragraph, list item or cell)."""

    text: str
    line: int
    kind: str


class Reference(NamedTuple):
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
    depends: tuple[str, ...] = field(default=(), repr=False, compare=False)  # snippets and files it names
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


# Latin letters NFKD does not take apart, spelled as their languages do without them (æ -> ae as in
# today's URLs). kb/static/offline.js has the same table: keep them equal.
_TRANSLITERATION = str.maketrans(
    {
        "æ": "ae",
        "ø": "o",
        "å": "a",
        "ä": "a",
        "ö": "o",
        "ü": "u",
        "é": "e",
        "ß": "ss",
        "œ": "oe",
        "đ": "d",
        "ð": "d",
        "þ": "th",
        "ł": "l",
        "ı": "i",
        "ς": "σ",
    }
)


def slugify(text: str) -> str:
    """A URL slug for any script: lowercase words joined by ``-``.

    Latin letters become ASCII (accents dropped, Nordic letters transliterated: ``blåbær`` ->
    ``blabaer``); letters, digits and marks of other scripts are kept as they are (``Аккаунт`` ->
    ``аккаунт``, percent-encoded in URLs), so Cyrillic, Greek, Arabic or CJK names get a slug too;
    other symbols and punctuation are left out.
    Its JavaScript twin is ``slugify`` in kb/static/offline.js.
    """
    lowered = text.lower().translate(_TRANSLITERATION)
    out: list[str] = []
    latin = False  # whether the last letter kept was ASCII: its combining accents are dropped
    for char in unicodedata.normalize("NFKD", lowered).lower():  # "𝐀" is "A" once decomposed
        kind = unicodedata.category(char)
        if char.isascii():
            latin = char.isalnum()
            out.append(char if latin else "-")
        elif kind[0] == "M":
            if not latin and out and out[-1] != "-":
                out.append(char)
        elif kind[0] in "LN":
            latin = False
            out.append(char)
        elif kind[0] == "Z":
            out.append("-")
        # other symbols and punctuation outside ASCII (’, ®, –) are left out, as they always were
    joined = unicodedata.normalize("NFC", "".join(out))
    return re.sub(r"-+", "-", joined).strip("-")


def slug_file_bytes(slug: str) -> int:
    """The length in bytes of ``slug`` as the export's folder name (percent-encoded, as in its URL)."""
    return len(quote(slug, safe=""))


def fit_slug(slug: str, limit: int = MAX_SLUG_BYTES) -> str:
    """``slug`` cut (at a ``-`` where it can) to fit ``limit`` bytes as a file name."""
    while slug_file_bytes(slug) > limit:
        shorter = slug.rsplit("-", 1)[0] if "-" in slug else slug[:-1]
        slug = shorter if shorter and slug_file_bytes(shorter) < slug_file_bytes(slug) else slug[:-1]
    return slug
