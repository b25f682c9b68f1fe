"""Search indexes on disk: one Whoosh index per language, updated incrementally or rebuilt aside and swapped.

Layout under ``instance/index/``: ``<lang>`` is a symlink to ``<lang>.<stamp>/``, the index readers
use. A rebuild writes a new folder and swaps the link atomically, so a reader never sees a half-built
index and an open searcher keeps the folder it opened. ``.lock`` serialises writers across processes.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import fcntl
import json
import logging
import multiprocessing
import os
import re
import shutil
import time
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from whoosh import index as whoosh_index
from whoosh.fields import DATETIME, ID, KEYWORD, STORED, TEXT, Schema
from whoosh.filedb.filestore import FileStorage
from whoosh.index import Index

from kb.content.markup import is_external
from kb.errors import SearchError
from kb.i18n import _
from kb.model import Article, Library, slugify
from kb.search.analysis import (
    ANALYSIS_VERSION,
    compound_analyzer,
    exact_analyzer,
    folded_analyzer,
    stem_analyzer,
)
from kb.search.words import spaced, strip_invisible, token_pattern
from kb.settings import Settings

META_FILE = "kb-index.json"
HASHES_FILE = "kb-hashes.json"  # slug -> source hash of the latest generation: updates read no index
LOCK_WAIT = 30.0
PROGRESS_EVERY = 1000  # documents between progress lines on large knowledge bases

log = logging.getLogger(__name__)
KEEP_OLD = 1
# the disk or folder refuses writes: full, over quota or a file-size limit, read-only, not permitted
WRITE_REFUSED = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EROFS, errno.EACCES, errno.EPERM)
PARALLEL_FROM = 500
MAX_WORKERS = 4
WEIGHTS = {"title": 3.0, "keywords": 2.8, "headings": 1.5, "body": 1.0}


def build_schema(lang: str) -> Schema:
    """The fields of a language's index: BM25F-weighted text fields plus filters and stored values."""
    stem = stem_analyzer(lang)
    return Schema(
        slug=ID(stored=True, unique=True, sortable=True),
        title=TEXT(analyzer=stem, stored=True, field_boost=WEIGHTS["title"]),
        # Positions only where quoted phrases look (title, body): the other fields are scored from
        # term frequencies alone, and positions were most of what indexing wrote.
        keywords=TEXT(analyzer=stem, field_boost=WEIGHTS["keywords"], phrase=False),
        headings=TEXT(analyzer=stem, field_boost=WEIGHTS["headings"], phrase=False),
        body=TEXT(analyzer=stem, stored=True, field_boost=WEIGHTS["body"]),
        exact=TEXT(analyzer=exact_analyzer(lang), field_boost=0.8, phrase=False),
        folded=TEXT(analyzer=folded_analyzer(lang), field_boost=0.3, phrase=False),
        compound=TEXT(analyzer=compound_analyzer(lang), field_boost=0.4, phrase=False),
        category=ID(stored=True, sortable=True),
        category_terms=KEYWORD(commas=True, scorable=False),
        category_name=STORED,
        author=STORED,
        author_terms=KEYWORD(commas=True, scorable=False),
        tags=KEYWORD(commas=True, scorable=False),
        date=DATETIME(stored=True, sortable=True),
        url=STORED,
        source_hash=ID(stored=True, sortable=True),  # a column: changes found without reading bodies
    )


INTERNAL_LINK = re.compile(r"(?<!!)\[([^\]\n]+)\]\(\s*<?([^)\s>]+)")


def link_texts(article: Article) -> list[str]:
    """The texts of the article's links to other articles: the words of the linked article's title,
    not this article's content."""
    found = []
    for segment in article.segments:
        for match in INTERNAL_LINK.finditer(segment.text):
            target = match[2]
            if not is_external(target) and not target.startswith(("#", "mailto:", "tel:")):
                found.append(spaced(match[1]))
    return [text for text in found if text]


def own_text(article: Article) -> str:
    """The body text without the link text pointing to other articles (once per link)."""
    text = article.text
    for linked in link_texts(article):
        at = text.find(linked)
        if at >= 0:
            text = text[:at] + text[at + len(linked) :]
    return text


def article_document(article: Article) -> dict[str, object]:
    """The fields Whoosh indexes for one article (soft hyphens and zero-width characters removed)."""
    title, headings, body = (
        strip_invisible(t) for t in (article.title, article.headings_text, own_text(article))
    )
    # What the author says the article is about: its keywords, tags and summary (the excerpt readers
    # see in listings; indexing it raised the real questions' MRR@5 from 0.588 to 0.619).
    searchable = strip_invisible(" ".join([*article.keywords, *article.tags, article.summary]))
    all_text = "\n".join((title, searchable, headings, body))
    # The compound field only says whether a word ends in a query word, so each distinct word is
    # analysed (and cut into tails) once: a third of the tokens of a typical article.
    lowered = all_text.lower()
    words = token_pattern(lowered).findall(lowered)
    distinct = " ".join(dict.fromkeys(words))
    # The folded field keeps only the words accent folding changes, and folding changes none of
    # pure ASCII: only the others are analysed (the same terms and counts, a fraction of the work).
    foldable = " ".join(word for word in words if not word.isascii())
    changed = article.last_changed
    category = article.category
    return {
        "slug": article.slug,
        "title": title,
        "keywords": searchable,
        "headings": headings,
        "body": body,
        "exact": all_text,
        "folded": foldable,
        "compound": distinct,
        "category": category.key,
        "category_terms": ",".join({category.key, category.slug, slugify(category.name)}),
        "category_name": category.name,
        "author": article.author,
        "author_terms": ",".join({slugify(article.author), *article.author.lower().split()}),
        "tags": ",".join(slugify(t) for t in article.tags),
        "date": dt.datetime(changed.year, changed.month, changed.day),
        "url": article.url,
        "source_hash": article.source_hash,
    }


@dataclass(frozen=True)
class IndexReport:
    """What one index run did to one language's index."""

    lang: str
    articles: int
    added: int
    changed: int
    removed: int
    rebuilt: bool
    seconds: float


@contextlib.contextmanager
def writer_lock(settings: Settings, wait: float = LOCK_WAIT) -> Iterator[None]:
    """Hold the cross-process index lock, waiting up to ``wait`` seconds for another run."""
    root = settings.index_dir
    try:
        root.mkdir(parents=True, exist_ok=True)
        handle = open(root / ".lock", "a+")  # noqa: SIM115 - held for the whole block
    except OSError as exc:
        raise SearchError(
            _("cannot write the search index in {path}: {reason}").format(path=root, reason=exc.strerror)
        ) from exc
    deadline = time.monotonic() + wait
    with handle:
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise SearchError(
                        _(
                            "another index run is in progress (waited {seconds} s); "
                            "try again when it has finished"
                        ).format(seconds=int(wait))
                    ) from None
                time.sleep(0.2)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def current_dir(settings: Settings, lang: str) -> Path | None:
    """The folder the language's link points at, when it holds an index of this kb version."""
    link = settings.index_dir / lang
    if not link.is_symlink() and not link.is_dir():
        return None
    target = link.resolve()
    try:
        meta = json.loads((target / META_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if meta.get("version") != ANALYSIS_VERSION or not whoosh_index.exists_in(str(target)):
        return None
    return target


def open_index(settings: Settings, lang: str) -> Index | None:
    """The language's current index, or None when there is none yet."""
    target = current_dir(settings, lang)
    if target is None:
        return None
    # Without mmap, Whoosh reads a compound segment's parts through the file itself; with it, it
    # copies each part of the mapping into a BytesIO (whoosh.filedb.structfile.BufferFile): 110 MB
    # per process for Business Central's four languages, where this keeps 26 MB. Reads then come
    # from the page cache, which every worker shares; query times measured the same.
    return FileStorage(str(target), supports_mmap=False).open_index()


def _write_documents(
    ix: Index, articles: list[Article], deletions: Iterable[str] = (), fresh: bool = False
) -> None:
    """Write documents in one commit (``fresh``: into a new index, so nothing to replace)."""
    writer = ix.writer(limitmb=256)
    try:
        for slug in deletions:
            writer.delete_by_term("slug", slug)
        for done, article in enumerate(articles, start=1):
            document = article_document(article)
            if fresh:
                writer.add_document(**document)
            else:
                writer.update_document(**document)
            if done % PROGRESS_EVERY == 0:
                log.info("%s: %d of %d articles indexed", article.lang, done, len(articles))
    except BaseException:
        writer.cancel()
        raise
    if len(articles) >= PROGRESS_EVERY:
        log.info("%s: writing the index of %d articles", articles[0].lang, len(articles))
    writer.commit()


def _swap_link(link: Path, target: Path) -> None:
    temporary = link.with_name(f".{link.name}.{os.getpid()}.link")
    with contextlib.suppress(FileNotFoundError):
        temporary.unlink()
    temporary.symlink_to(target.name)
    if link.exists() and not link.is_symlink():
        shutil.rmtree(link)
    os.replace(temporary, link)


def _remove_old(settings: Settings, lang: str, keep: Path) -> None:
    """Delete earlier indexes but the newest ``KEEP_OLD`` (open searchers may still read them), and
    whatever a killed run left: half-built folders (no meta file) and temporary links. Called under
    the writer lock, so no other run is writing any of them."""
    folders = sorted(p for p in settings.index_dir.glob(f"{lang}.*") if p.is_dir() and p != keep)
    complete = [p for p in folders if (p / META_FILE).is_file()]
    unfinished = [p for p in folders if p not in complete]
    for folder in unfinished + complete[: max(0, len(complete) - KEEP_OLD)]:
        shutil.rmtree(folder, ignore_errors=True)
    for link in settings.index_dir.glob(f".{lang}.*.link"):
        link.unlink(missing_ok=True)


def rebuild_language(settings: Settings, lang: str, articles: list[Article]) -> Path:
    """Build a fresh index aside, then point the language's link at it."""
    target = settings.index_dir / f"{lang}.{time.time_ns()}"
    target.mkdir(parents=True)
    try:
        ix = whoosh_index.create_in(str(target), build_schema(lang))
        _write_documents(ix, articles, fresh=True)
        write_hashes(target, ix, {a.slug: a.source_hash for a in articles})
        ix.close()
        meta = {"version": ANALYSIS_VERSION, "lang": lang, "articles": len(articles)}
        (target / META_FILE).write_text(json.dumps(meta), encoding="utf-8")
        _swap_link(settings.index_dir / lang, target)
    except BaseException:
        shutil.rmtree(target, ignore_errors=True)
        raise
    _remove_old(settings, lang, keep=target)
    return target


def indexed_hashes(ix: Index) -> dict[str, str]:
    """Each indexed article's source hash, read from two small columns (never the stored bodies)."""
    found: dict[str, str] = {}
    with ix.reader() as reader:
        for segment, _offset in reader.leaf_readers():
            if not segment.has_column("slug") or not segment.has_column("source_hash"):
                return {f["slug"]: f["source_hash"] for f in reader.all_stored_fields()}
            slugs = list(segment.column_reader("slug"))
            hashes = list(segment.column_reader("source_hash"))
            deleted = segment.has_deletions()
            for docnum, (slug, value) in enumerate(zip(slugs, hashes, strict=True)):
                if not deleted or not segment.is_deleted(docnum):
                    found[str(slug)] = str(value)
    return found


def write_hashes(folder: Path, ix: Index, hashes: dict[str, str]) -> None:
    """The side file of source hashes, stamped with the generation it describes (written after the
    commit: a crash in between leaves an older stamp, and the columns are read instead)."""
    data = {"generation": ix.latest_generation(), "hashes": hashes}
    temporary = folder / f".{HASHES_FILE}.{os.getpid()}"
    temporary.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    os.replace(temporary, folder / HASHES_FILE)


def read_hashes(folder: Path, ix: Index) -> dict[str, str] | None:
    """The side file's hashes when they describe the index's latest generation, else None."""
    try:
        data = json.loads((folder / HASHES_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("generation") != ix.latest_generation():
        return None
    hashes = data.get("hashes")
    return {str(k): str(v) for k, v in hashes.items()} if isinstance(hashes, dict) else None


def update_language(settings: Settings, lang: str, articles: list[Article], rebuild: bool) -> IndexReport:
    """Bring one language's index up to date, touching only what changed unless ``rebuild``."""
    started = time.perf_counter()
    ix = None if rebuild else open_index(settings, lang)
    if ix is None:
        rebuild_language(settings, lang, articles)
        return IndexReport(lang, len(articles), len(articles), 0, 0, True, time.perf_counter() - started)
    folder = current_dir(settings, lang)
    indexed = read_hashes(folder, ix) if folder is not None else None
    if indexed is None:
        indexed = indexed_hashes(ix)
    current = {a.slug: a for a in articles}
    removed = sorted(set(indexed) - set(current))
    added = [a for slug, a in current.items() if slug not in indexed]
    changed = [a for slug, a in current.items() if slug in indexed and indexed[slug] != a.source_hash]
    if removed or added or changed:
        _write_documents(ix, added + changed, removed)
        if folder is not None:
            hashes = {slug: value for slug, value in indexed.items() if slug in current}
            hashes.update({a.slug: a.source_hash for a in added + changed})
            write_hashes(folder, ix, hashes)
    ix.close()
    serving = current_dir(settings, lang)
    if serving is not None:  # what killed rebuilds left behind goes on every run, not only the next rebuild
        _remove_old(settings, lang, keep=serving)
    return IndexReport(
        lang,
        len(articles),
        len(added),
        len(changed),
        len(removed),
        False,
        time.perf_counter() - started,
    )


_PENDING: dict[str, tuple[Settings, list[Article], bool]] = {}


def _update_one(settings: Settings, lang: str, articles: list[Article], rebuild: bool) -> IndexReport:
    """One language's update; a refused write says which index and that the previous one serves."""
    try:
        return update_language(settings, lang, articles, rebuild)
    except OSError as exc:
        reason = os.strerror(exc.errno) if exc.errno else str(exc)
        if exc.errno in WRITE_REFUSED:
            reason += " – " + _("the previous index keeps serving")
        raise SearchError(
            _("cannot write the {lang} search index: {reason}").format(lang=lang, reason=reason)
        ) from exc


def _update_pending(lang: str) -> IndexReport:
    """One language's update in a forked worker (the articles are inherited, not pickled)."""
    settings, articles, rebuild = _PENDING[lang]
    return _update_one(settings, lang, articles, rebuild)


def _update_all(settings: Settings, library: Library, rebuild: bool) -> list[IndexReport]:
    """Every language's update: one process per language when a big site is (re)built, so both
    cores work; an incremental update stays in this process (a fork costs more than it saves)."""
    work = {lang: library.in_language(lang) for lang in settings.languages}
    workers = min(MAX_WORKERS, os.cpu_count() or 1, len(work))
    big = sum(len(articles) for articles in work.values()) >= PARALLEL_FROM
    building = rebuild or any(current_dir(settings, lang) is None for lang in work)
    if workers < 2 or not big or not building or "fork" not in multiprocessing.get_all_start_methods():
        return [_update_one(settings, lang, articles, rebuild) for lang, articles in work.items()]
    _PENDING.update({lang: (settings, articles, rebuild) for lang, articles in work.items()})
    try:
        context = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
            return list(pool.map(_update_pending, list(work)))
    finally:
        _PENDING.clear()


def update_indexes(
    settings: Settings, library: Library, rebuild: bool = False, wait: float = LOCK_WAIT
) -> list[IndexReport]:
    """Update (or rebuild) every language's index; a failed run leaves the previous index serving."""
    with writer_lock(settings, wait):
        return _update_all(settings, library, rebuild)
