"""Content loading: read articles from disk, validate them, render them and build a Library."""

from __future__ import annotations

import dataclasses
import errno
import gc
import hashlib
import itertools
import multiprocessing
import os
import re
import stat
import unicodedata
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kb.content.cache import ArticleCache, Outcome
from kb.content.catalogs import META_SEGMENTS, catalog_articles
from kb.content.categories import CategoryTable, load_categories
from kb.content.frontmatter import (
    FrontMatter,
    as_text,
    decode_source,
    hint,
    parse_front_matter,
    validate_front_matter,
)
from kb.content.history import git_dates
from kb.content.markup import N_, make_excerpt, render_markdown
from kb.content.references import ReferenceContext, check_aliases, link_articles
from kb.content.snippets import Expanded, expand_includes
from kb.errors import ContentError, Problems
from kb.i18n import _, cli_language, normalize_language, translations
from kb.model import (
    MAX_SLUG_BYTES,
    XML_FORBIDDEN,
    Article,
    Category,
    Library,
    Reference,
    Segment,
    slug_file_bytes,
    slugify,
)
from kb.settings import Settings

SLUG = re.compile(r"^[^\W_][\w-]*$")
PARALLEL_FROM = 1000  # below this, starting worker processes costs more than it saves
CHUNK_SIZE = 250
MAX_WORKERS = 8
MAX_ARTICLE_BYTES = 1_000_000  # 1 MB: the densest markup measured ~3-7 s to render here; prose far less
SCAFFOLD = N_("Write the article here.")  # the body `kb new` writes, in the article's language
Media = tuple[Path, int]  # the knowledge base's root and the largest file size without a warning


@dataclass(frozen=True)
class LoadResult:
    """A Library of the articles that loaded, and every problem found on the way."""

    library: Library
    problems: tuple[ContentError, ...] = ()
    drafts: tuple[Article, ...] = ()
    from_cache: int = 0  # files whose article came from the cache, not rendered again

    @property
    def errors(self) -> tuple[ContentError, ...]:
        return tuple(p for p in self.problems if p.is_error)

    @property
    def warnings(self) -> tuple[ContentError, ...]:
        return tuple(p for p in self.problems if not p.is_error)


# --- articles -----------------------------------------------------------------------------------


def read_article(
    raw: bytes,
    path: str,
    lang: str,
    categories: CategoryTable,
    problems: Problems,
    media: Media | None = None,
) -> Article | None:
    """One Article from a file's bytes, or None after adding its problems to ``problems``.

    With ``media`` (the knowledge base's root and the size limit), images and links are resolved
    against the file and every broken one is reported; the article is never dropped for them.
    """
    if len(raw) > MAX_ARTICLE_BYTES:
        message = _("the file is larger than the limit of {limit} bytes for an article: split it up")
        problems.add(path, 1, message.format(limit=MAX_ARTICLE_BYTES))
        return None
    try:
        text = decode_source(raw, path)
        front = parse_front_matter(text, path)
    except ContentError as exc:
        problems.items.append(exc)
        return None
    values = validate_front_matter(front, path, problems)
    if values is None:
        return None
    slug = values.get("slug") or Path(path).stem
    if not is_valid_slug(slug):
        message = _("bad slug {slug!r}: use letters, digits and '-'").format(slug=slug)
        problems.add(path, front.lines.get("slug", 1), message)
        return None
    if slug_file_bytes(slug) > MAX_SLUG_BYTES:
        message = _(
            "the slug is too long: {size} bytes as a file name (percent-encoded), the limit is {limit}"
        )
        problems.add(
            path, front.lines.get("slug", 1), message.format(size=slug_file_bytes(slug), limit=MAX_SLUG_BYTES)
        )
        return None
    if "lang" in values and normalize_language(values["lang"]) != lang:
        message = _("'lang: {value}' does not match the folder's language {lang!r}")
        problems.add(path, front.lines["lang"], message.format(value=values["lang"], lang=lang))
        return None
    category = categories.resolve(lang, values["category"])
    if category is None and categories.declared:
        message = _("unknown category {name!r}").format(name=values["category"])
        message += hint(values["category"], categories.names(lang))
        problems.add(path, front.lines["category"], message)
        return None
    if category is None:
        name = values["category"]
        category = Category(key=slugify(name), lang=lang, name=name, slug=slugify(name) or "general")
    context = ReferenceContext(media[0], path, lang, media[1]) if media else None
    expanded = expand_includes(front.body, path, front.body_line, media[0]) if media else Expanded(front.body)
    problems.items.extend(expanded.problems)
    rendered = render_markdown(expanded.text, front.body_line, context=context, origins=expanded.origins)
    problems.items.extend(rendered.problems)
    aliases = _aliases(values.get("aliases", ()), path, front.lines.get("aliases", 1), problems)
    report_forbidden_characters(values, front, path, problems)
    if not rendered.text.strip():
        message = _("the article has no text after its front-matter")
        problems.add(path, front.body_line - 1, message, "warning")
    _warn_scaffold(front.body, front.body_line, path, lang, problems)
    summary = values.get("summary", "")
    return Article(
        lang=lang,
        slug=slug,
        title=values["title"],
        author=values["author"],
        date=values["date"],
        category=category,
        path=path,
        html=rendered.html,
        text=rendered.text,
        excerpt=make_excerpt(summary) if summary else rendered.excerpt,
        toc=rendered.toc,
        tags=values.get("tags", ()),
        keywords=values.get("keywords", ()),
        summary=summary,
        updated=values.get("updated"),
        draft=values.get("draft", False),
        order=values.get("order", 1000),
        links=rendered.links,
        source_hash=hashlib.sha256(raw).hexdigest(),
        body=expanded.text,
        origins=expanded.origins,
        segments=_meta_segments(values, front) + rendered.segments,
        references=rendered.references + aliases,
        depends=expanded.wanted
        + tuple(r.resolved for r in rendered.references if r.resolved and r.kind != "article"),
        aliases=tuple(a.target for a in aliases),
        image=rendered.image,
    )


def scaffold_body(lang: str) -> str:
    """The placeholder body of a new article, in its language."""
    return translations(lang).gettext(SCAFFOLD)


def _warn_scaffold(body: str, first_line: int, path: str, lang: str, problems: Problems) -> None:
    placeholders = {SCAFFOLD, scaffold_body(lang)}
    for number, line in enumerate(body.split("\n"), first_line):
        if line.strip() in placeholders:
            message = _("the placeholder text of `kb new` is still here: write the article")
            problems.add(path, number, message, "warning")


def _aliases(values: tuple[str, ...], path: str, line: int, problems: Problems) -> tuple[Reference, ...]:
    """The old slugs of an article, each kept as a reference to the line naming them."""
    found: list[Reference] = []
    for alias in values:
        alias = alias.strip("/").rsplit("/", 1)[-1] if "/" in alias else alias
        if not is_valid_slug(alias):
            message = _("bad alias {alias!r}: use the old slug (letters, digits and '-')").format(alias=alias)
            problems.add(path, line, message)
            continue
        found.append(Reference("alias", alias, path, line))
    return tuple(found)


def is_valid_slug(slug: str) -> bool:
    """Letters, digits, ``-`` and ``_`` of any script (marks included), a letter or digit first."""
    bare = "".join(c for c in slug if not unicodedata.category(c).startswith("M"))
    return bool(slug) and bool(SLUG.match(bare)) and not unicodedata.category(slug[0]).startswith("M")


def report_forbidden_characters(
    values: dict[str, Any], front: FrontMatter, path: str, problems: Problems
) -> None:
    """Warn, at its line, of each character XML forbids (control characters): feeds leave them out."""
    message = _("invisible control character U+{code:04X}: feeds and the export leave it out; delete it")
    for key, value in values.items():
        for item in value if isinstance(value, tuple) else (value,):
            found = XML_FORBIDDEN.search(item) if isinstance(item, str) else None
            if found is not None:
                problems.add(
                    path, front.lines.get(key, 1), message.format(code=ord(found.group())), "warning"
                )
                break
    lines: set[int] = set()
    for found in XML_FORBIDDEN.finditer(front.body):
        line = front.body_line + front.body.count("\n", 0, found.start())
        if line not in lines and len(lines) < 10:
            lines.add(line)
            problems.add(path, line, message.format(code=ord(found.group())), "warning")


def _meta_segments(values: dict[str, Any], front: FrontMatter) -> tuple[Segment, ...]:
    """The translatable front-matter values: title, summary, and each tag and keyword."""
    found: list[Segment] = []
    for key in META_SEGMENTS:
        value = values.get(key)
        texts = value if isinstance(value, tuple) else (value,) if value else ()
        found.extend(Segment(text=text, line=front.lines[key], kind=key) for text in texts)
    return tuple(found)


def article_files(settings: Settings, problems: Problems) -> Iterator[tuple[Path, str]]:
    """Each Markdown file under ``articles/`` with its language, reporting misplaced ones."""
    base = settings.articles_dir
    if not base.is_dir():
        return
    for path in sorted(base.rglob("*.md")):
        rel = settings.relative(path)
        parts = path.relative_to(base).parts
        if len(parts) < 2:
            message = _("article outside a language folder: move it to articles/<lang>/")
            problems.add(rel, 1, message)
            continue
        folder = parts[0]
        lang = normalize_language(folder)
        if lang not in settings.languages or folder != lang:
            if lang in settings.languages:  # "no", "nb-NO", "NB": the code is right, its form is not
                message = _("unknown language folder {folder!r} (did you mean {hint!r}?)")
                message = message.format(folder=folder, hint=lang)
            else:
                message = _("unknown language folder {folder!r} (languages: {languages})")
                message = message.format(folder=folder, languages=", ".join(settings.languages))
            problems.add(rel, 1, message)
            continue
        yield path, lang


def slugs_in_use(settings: Settings, lang: str) -> dict[str, str]:
    """Each slug the files of ``articles/<lang>/`` use (their ``slug:``, else their name), with the file.

    Only the front-matter is read: this is the cheap look-up ``kb new`` and ``kb import`` make.
    """
    folder = settings.articles_dir / lang
    used: dict[str, str] = {}
    for path in sorted(folder.rglob("*.md")) if folder.is_dir() else ():
        rel = settings.relative(path)
        slug = path.stem
        try:
            front = parse_front_matter(
                decode_source(read_regular_file(path, MAX_ARTICLE_BYTES + 1), rel), rel
            )
            node = front.values.get("slug")
            slug = as_text(node, "slug") if node is not None else slug
        except (ContentError, OSError, ValueError):
            slug = path.stem  # a file that does not load keeps the slug of its name (kb check says why)
        used.setdefault(slug or path.stem, rel)
    return used


NOT_REGULAR = "not a regular file (a FIFO, device or socket)"  # reads as an OS reason, in English


def read_regular_file(path: Path, limit: int = -1) -> bytes:
    """A file's bytes (at most ``limit``); a FIFO or device (whose read would block, or never end) is
    refused with OSError."""
    with open(path, "rb", opener=lambda name, flags: os.open(name, flags | os.O_NONBLOCK)) as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            raise OSError(errno.EINVAL, NOT_REGULAR)
        return handle.read(limit)


Job = tuple[str, str, bytes, str]  # a file's path from the root, its language, its bytes and cache key


def _read_one(job: Job, categories: CategoryTable, media: Media | None = None) -> Outcome:
    rel, lang, raw, _key = job
    problems = Problems()
    return read_article(raw, rel, lang, categories, problems, media), problems.items


def _read_chunk(
    jobs: list[Job], categories: CategoryTable, media: Media | None = None, cache: ArticleCache | None = None
) -> list[Outcome]:
    outcomes = []
    for job in jobs:
        outcome = _read_one(job, categories, media)
        if cache is not None:  # written where it was made: on every core, while the others render
            depends = [media[0] / p for p in outcome[0].depends] if media and outcome[0] else []
            cache.put(job[3], outcome, depends)  # valid while the snippets and files it names are unchanged
        outcomes.append(outcome)
    return outcomes


def render_all(
    jobs: list[Job], categories: CategoryTable, media: Media | None = None, cache: ArticleCache | None = None
) -> list[Outcome]:
    """Validate and render jobs in order, on every core for large sets, each kept in ``cache``.

    Rendering is CPU-bound pure Python, so a large knowledge base is split into chunks rendered
    by worker processes (spawned, so no lock or thread state of the caller is inherited).
    """
    workers = min(os.cpu_count() or 1, MAX_WORKERS)
    if len(jobs) < PARALLEL_FROM or workers < 2:
        return _read_chunk(jobs, categories, media, cache)
    chunks = [jobs[i : i + CHUNK_SIZE] for i in range(0, len(jobs), CHUNK_SIZE)]
    try:
        with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
            shared = itertools.repeat(categories), itertools.repeat(media), itertools.repeat(cache)
            done = pool.map(_read_chunk, chunks, *shared)
            return [outcome for chunk in done for outcome in chunk]
    except (OSError, BrokenProcessPool):  # no processes to be had here: read them in this one
        return _read_chunk(jobs, categories, media, cache)


def read_all(
    files: list[tuple[Path, str, str]],
    categories: CategoryTable,
    cache: ArticleCache | None = None,
    media: Media | None = None,
) -> list[Outcome]:
    """Read (path, relative path, language) files in order: from the cache where an entry is current,
    else rendered (and then cached); cache entries of files no longer there are deleted."""
    outcomes: list[Outcome | None] = [None] * len(files)
    pending: list[tuple[int, Job]] = []
    used: set[str] = set()
    for number, (path, rel, lang) in enumerate(files):
        try:
            raw = read_regular_file(path, MAX_ARTICLE_BYTES + 1)  # past the limit: reported, not read
        except OSError as exc:
            reason = _("cannot be read: {reason}").format(reason=exc.strerror)
            outcomes[number] = (None, [ContentError(rel, 1, reason)])
            continue
        key = cache.key(rel, lang, raw) if cache is not None else ""
        used.add(key)
        hit = cache.get(key) if cache is not None else None
        if hit is not None:
            outcomes[number] = hit
        else:
            pending.append((number, (rel, lang, raw, key)))
    rendered = render_all([job for _number, job in pending], categories, media, cache)
    for (number, _job), outcome in zip(pending, rendered, strict=True):
        outcomes[number] = outcome
    if cache is not None:
        cache.prune(used)
    return [outcome for outcome in outcomes if outcome is not None]


def article_cache(settings: Settings, categories: CategoryTable) -> ArticleCache:
    """The knowledge base's article cache, for these categories, languages and message language."""
    context = repr(
        (
            settings.languages,
            categories.declared,
            sorted(categories.by_lang.items()),
            cli_language(),
            settings.max_file_size,
        )
    )
    folder = settings.instance_dir / "cache" / "articles"
    return ArticleCache(folder, hashlib.sha256(context.encode("utf-8", "surrogateescape")).hexdigest())


def shared_categories(articles: list[Article], problems: Problems) -> list[Article]:
    """Without ``categories.yml`` a category is its name: names sharing an address (``Konto`` and
    ``konto!``) are one category, under the first name seen, with a warning; none is unreachable."""
    first: dict[tuple[str, str], Category] = {}
    found: list[Article] = []
    for article in articles:
        category = first.setdefault((article.lang, article.category.slug), article.category)
        if category != article.category:
            message = _("category {name!r} has the address of category {other!r}: shown as {other!r}")
            problems.add(
                article.path, 1, message.format(name=article.category.name, other=category.name), "warning"
            )
            article = dataclasses.replace(article, category=category)
        found.append(article)
    return found


def load_library(settings: Settings) -> LoadResult:
    """Read, validate and render every article; bad files are reported and skipped, never fatal."""
    # Rendering makes millions of short-lived, acyclic objects while the Library grows: the
    # cyclic collector would rescan that growing heap over and over (10-20 % of the time).
    # Reference counting frees everything here, so pause the collector for the load.
    #
    # Once loaded, the library lives until the next reload, and holds no reference cycles (reference
    # counting frees an old one): freezing it keeps every later collection from rescanning it (a
    # warm Business Central build spent 0.4 s there), in this process and in the ones it forks.
    collecting = gc.isenabled()
    if collecting and gc.get_freeze_count():  # a reload: what is garbage now is never frozen
        gc.collect()  # cheap: the library loaded before is frozen, so not scanned
    gc.disable()
    try:
        return _load_library(settings)
    finally:
        if collecting:
            gc.freeze()
            gc.enable()


def _load_library(settings: Settings) -> LoadResult:
    problems = Problems()
    categories = load_categories(settings, problems)
    published: list[Article] = []
    drafts: list[Article] = []
    first_path: dict[tuple[str, str], str] = {}
    files = [(path, settings.relative(path), lang) for path, lang in article_files(settings, problems)]
    cache = article_cache(settings, categories)
    media = (settings.root, settings.max_file_size)
    changed = git_dates(settings.root)
    for article, found in read_all(files, categories, cache, media):
        problems.items.extend(found)
        if article is None:
            continue
        rel, lang = article.path, article.lang
        key = (lang, article.slug)
        if key in first_path:
            message = _("duplicate slug {slug!r} in {lang!r}: also used by {other}")
            problems.add(rel, 1, message.format(slug=article.slug, lang=lang, other=first_path[key]))
            continue
        first_path[key] = rel
        if rel in changed:
            article = dataclasses.replace(article, modified=changed[rel])
        (drafts if article.draft else published).append(article)
    if not categories.declared:
        published = shared_categories(published, problems)
    check_aliases(published, problems)
    published += catalog_articles(settings, published, categories.resolve, problems)
    published = link_articles(published, settings.default_language, problems)
    used = {(a.lang, a.category.key) for a in published}
    all_categories = {(c.lang, c.key): c for t in categories.by_lang.values() for c in t.values()}
    all_categories.update({(a.lang, a.category.key): a.category for a in published})
    shown = tuple(c for k, c in all_categories.items() if k in used or categories.declared)
    library = Library(articles=tuple(published), categories=shown, languages=settings.languages)
    unique_problems = {str(p): p for p in problems.items}  # a snippet's problem, once for all its articles
    problems.items = sorted(unique_problems.values(), key=lambda p: (p.path, p.line))
    return LoadResult(library, tuple(problems.items), tuple(drafts), from_cache=cache.hits)
