"""The static export (``kb build``): every page through the live templates, with relative links, for file://.

Pages are rendered by the same Flask app and views as the live site, then every internal link is
rewritten to a relative one that names a real file (``…/index.html``), so the folder works opened
from disk, from any sub-path of a static host, and after being moved. The build is written into a
hidden sibling folder and swapped in only when complete: a failed build leaves the previous one.
The build it replaces is kept beside it (``.<out>.spare``) and is what the next build writes over:
only the files that changed since are written again.
"""

from __future__ import annotations

import contextlib
import ctypes
import dataclasses
import errno
import functools
import hashlib
import html
import json
import logging
import multiprocessing
import os
import posixpath
import re
import shutil
import signal
import time
import zipfile
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

from flask import g, render_template
from jinja2 import TemplateNotFound
from werkzeug.exceptions import HTTPException

from kb.content.files import locked, write_new_file
from kb.errors import ContentError, ExportError
from kb.i18n import _
from kb.model import Article, Library
from kb.search.offline import IndexSize, write_offline_index
from kb.search.synonyms import Synonyms
from kb.settings import Settings
from kb.web.app import create_app
from kb.web.pages import site_urls
from kb.web.state import STATIC_DIR

log = logging.getLogger(__name__)

MARKER = ".kb-build"  # marks a folder as a kb build, so a rebuild may replace it
MANIFEST = ".kb-manifest.json"  # what each file of a build was made from, for the next build
MANIFEST_FORMAT = 1
PLACEHOLDER = "https://kb-export.invalid"  # the site's address when the export has none: made relative
LINK = re.compile(r'(?P<attr>\s(?:href|src|action|data-index|data-text)=")(?P<value>[^"]*)"')
PLACEHOLDER_URL = re.compile(re.escape(PLACEHOLDER) + r'(?P<path>/[^"<>\s&]*)')  # "&": escaped quotes
UNSAFE = re.compile(r'[&<>"\']')
SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.\-]*:|^//")
RELATIVE_SLOW = re.compile(r"[?#;:\\]|//|^$")  # relative links the link check leaves to urljoin
CHUNK = 100  # pages per job when several processes render
PARALLEL_FROM = 400  # pages; below this, starting processes costs more than it saves
BUILD_LOCK_WAIT = 600.0  # seconds a build waits for another one writing beside the same folder
Progress = Callable[[int], None]
Job = tuple[str, tuple["Page", ...]]  # a language's search index (lang, ()) or ("pages", the pages)


@dataclass(frozen=True)
class Page:
    """One exported file: its site path (links resolve against it), its file and what to request."""

    path: str
    file: str
    request: str = ""


@dataclass(frozen=True)
class BrokenLink:
    """A link or image in an article that leads to no page or file of the site."""

    path: str
    target: str

    def __str__(self) -> str:
        return BrokenLink.lines([self])[0]

    @staticmethod
    def lines(links: Iterable[BrokenLink]) -> list[str]:
        """Each of ``links`` as the line that reports it (the message translated once for all)."""
        message = _("broken link to {target}")
        return [f"{link.path}: " + message.format(target=link.target) for link in links]


@dataclass(frozen=True)
class BuildReport:
    """What a build wrote."""

    out: Path
    pages: int
    files: int
    size: int
    seconds: float
    indexes: tuple[IndexSize, ...]
    reused: int = 0  # files taken unchanged from the previous build


# --- links ------------------------------------------------------------------------------------


def file_for(path: str) -> str:
    """The exported file serving a site path: a folder (or an extension-less name) gets index.html."""
    if path.endswith("/"):
        return path + "index.html"
    if "." not in path.rsplit("/", 1)[-1]:
        return path + "/index.html"
    return path


def relative(target: str, page_file: str) -> str:
    """``target`` (a file path from the site's root) relative to the folder of ``page_file``."""
    to = target.lstrip("/").split("/")
    start = page_file.lstrip("/").split("/")[:-1]
    common = 0
    while common < len(start) and common < len(to) - 1 and start[common] == to[common]:
        common += 1
    return "../" * (len(start) - common) + "/".join(to[common:])


@lru_cache(maxsize=16384)
def _site_target(value: str) -> tuple[str, str]:
    """An absolute site path (``/nb/search?q=x``) as the file serving it and what follows the path;
    static files drop their cache-busting query."""
    parts = urlsplit(value)
    rest = "?" + parts.query if parts.query and not parts.path.startswith(("/static/", "/media/")) else ""
    return file_for(parts.path), rest + ("#" + parts.fragment if parts.fragment else "")


def local_link(value: str, page: Page, base_url: str = "") -> str | None:
    """The relative form of an internal link on ``page`` (absolute on ``base_url`` when given);
    None for external links and fragments."""
    if not value or value.startswith("#"):
        return None
    if value.startswith(PLACEHOLDER):
        value = value[len(PLACEHOLDER) :] or "/"
    elif SCHEME.match(value):
        return None
    if not value.startswith("/"):  # relative in the source, as in articles: ../other-slug/
        value = urljoin(page.path, value)
    target, rest = _site_target(value)
    return base_url + target + rest if base_url else relative(target, page.file) + rest


def rewrite_html(text: str, page: Page, base_url: str = "") -> str:
    """Every internal href, src, form action and index address of a page made relative (or, with
    ``base_url``, absolute: for the 404 pages a host serves at any depth)."""

    def replace(match: re.Match[str]) -> str:
        value = match["value"]
        found = local_link(html.unescape(value) if "&" in value else value, page, base_url)
        if found is None:
            return match.group()
        return f'{match["attr"]}{html.escape(found) if UNSAFE.search(found) else found}"'

    return LINK.sub(replace, text)


def rewrite_xml(text: str, page: Page) -> str:
    """Placeholder addresses in a feed (its entries' HTML included) made relative to the feed file,
    which is what a feed reader resolves them against (the export had no base URL)."""

    def replace(match: re.Match[str]) -> str:
        target, rest = _site_target(match["path"])
        return html.escape(relative(target, page.file) + rest)

    return PLACEHOLDER_URL.sub(replace, text)


def link_path(base: str, target: str) -> str:
    """The site path a link on the page at ``base`` points to (no scheme, not an anchor).

    Most article links are absolute paths (``/en/articles/x/#part``): they are their own path, and
    ``urljoin`` for each of them was 0.8 s of a warm Business Central build (39,000 links).
    """
    if target.startswith("/") and not target.startswith("//"):
        path = urlsplit(target).path
        if "/." not in path and ";" not in path:  # no dot segments (or ;params): urljoin keeps it as it is
            return unquote(path)
    elif (
        not RELATIVE_SLOW.search(target)
        and "/." not in base
        and "//" not in base
        and target.count("..") < base.count("/") - 1  # never above the root (urljoin's own rules)
    ):
        # A plain relative path (``../other/``, ``media/a.png``): its dot segments resolved as
        # urljoin resolves them, a trailing slash kept (the rest of the links, another 0.3 s).
        joined = posixpath.normpath(base[: base.rfind("/") + 1] + target)
        last = target.rsplit("/", 1)[-1]
        if target.endswith("/") or last in (".", ".."):
            joined = joined.rstrip("/") + "/"
        return unquote(joined)
    return unquote(urlsplit(urljoin(base, target)).path)


def broken_links(library: Library, files: set[str]) -> list[BrokenLink]:
    """Each article link or image whose target is not among ``files`` (site paths of the export)."""
    found: dict[tuple[str, str], BrokenLink] = {}
    # Whether a target exists, by (page, target); an absolute one is the same on every page. The
    # Business Central help has 37,500 links, 8,700 of them different in this sense.
    exists: dict[tuple[str, str], bool] = {}
    for article in library:
        for target in article.links:
            if not target or target.startswith("#") or SCHEME.match(target):
                continue
            key = ("" if target.startswith("/") and not target.startswith("//") else article.url, target)
            known = exists.get(key)
            if known is None:
                known = exists[key] = file_for(link_path(article.url, target)) in files
            if not known:
                found.setdefault((article.path, target), BrokenLink(article.path, target))
    return list(found.values())


# --- the build folder -------------------------------------------------------------------------


def check_target(out: Path, root: Path) -> None:
    """Refuse to replace a folder that is not an earlier build (or that holds the knowledge base)."""
    if out == root or out in root.parents:
        raise ExportError(_("{path}: the build folder cannot hold the knowledge base").format(path=out))
    if out.exists() and not out.is_dir():
        raise ExportError(_("{path} exists and is not a folder").format(path=out))
    if out.is_dir() and any(out.iterdir()) and not (out / MARKER).is_file():
        message = _("{path} exists and is not a kb build (it has no {marker}): choose another --out")
        raise ExportError(message.format(path=out, marker=MARKER))


def check_archive(out: Path, archive: Path) -> None:
    """Refuse a zip inside the build folder: each build replaces that folder, and the zip with it."""
    if archive == out or out in archive.parents:
        message = _(
            "{zip}: a zip inside the build folder {path} goes with it at the next build: write it elsewhere"
        )
        raise ExportError(message.format(zip=archive, path=out))


RENAME_EXCHANGE = 2  # renameat2(2) flag: swap two paths atomically
AT_FDCWD = -100


def exchange(first: Path, second: Path) -> bool:
    """Swap two existing paths in one atomic step (Linux renameat2); False where that is not offered."""
    renameat2 = getattr(ctypes.CDLL(None, use_errno=True), "renameat2", None)
    if renameat2 is None:
        return False
    if renameat2(AT_FDCWD, os.fsencode(first), AT_FDCWD, os.fsencode(second), RENAME_EXCHANGE) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP):  # an old kernel or a filesystem without it
        return False
    raise OSError(code, os.strerror(code), str(second))


def spare_of(out: Path) -> Path:
    """Where the build before the one at ``out`` is kept, for the next build to write over."""
    return out.with_name(f".{out.name}.spare")


def swap_in(staging: Path, out: Path, keep: Path | None = None) -> None:
    """Put the finished build in place: exchanged atomically with the old one where the system can,
    else the old one aside, the new one in; then the old one kept at ``keep`` (the spare the next
    build writes over) or deleted. A reader, or a kill, never finds ``out`` missing or half written
    where the exchange is available (Linux 3.15+)."""
    if out.is_dir() and exchange(staging, out):
        if keep is not None:  # it holds the old build now
            try:
                os.rename(staging, keep)
                return
            except OSError:  # another build kept its spare first
                pass
        shutil.rmtree(staging, ignore_errors=True)
        return
    old = out.with_name(f".{out.name}.old-{os.getpid()}")
    if out.exists():
        os.rename(out, old)
    try:
        os.rename(staging, out)
    except OSError:
        if old.exists():
            os.rename(old, out)
        raise
    shutil.rmtree(old, ignore_errors=True)  # the new build is in place; a leftover is only clutter


def make_spare(out: Path) -> None:
    """A spare of the build at ``out`` (its files hard-linked): the next build is written over it
    and touches only what changed. Without one, that build would link every unchanged file into a
    new folder (0.5-1.5 s for the 3,300 pages of the Business Central help, each in a folder of its
    own), so the first build pays for that instead. A spare that cannot be made is only missed."""
    staging = out.with_name(f".{out.name}.new-{os.getpid()}")  # a leftover of a kill: removed as one

    def copy(source: str, target: str) -> None:
        with os.scandir(source) as entries:
            for entry in entries:
                if entry.is_dir(follow_symlinks=False):
                    os.mkdir(os.path.join(target, entry.name))
                    copy(entry.path, os.path.join(target, entry.name))
                elif entry.path != marker:
                    share_file(entry.path, os.path.join(target, entry.name))

    marker = os.fspath(out / MARKER)
    try:
        os.mkdir(staging)
        share_file(marker, os.fspath(staging / MARKER))  # first: a leftover of a kill is known as ours
        copy(os.fspath(out), os.fspath(staging))
        os.rename(staging, spare_of(out))
    except OSError as exc:
        log.info("no spare build beside %s: %s", out, exc.strerror or exc)
        shutil.rmtree(staging, ignore_errors=True)


def remove_leftovers(out: Path) -> None:
    """Folders interrupted builds left beside ``out``: kb builds (with the marker) of dead processes,
    and empty ones (a build killed between making its folder and marking it)."""
    for pattern in (f".{out.name}.new-*", f".{out.name}.old-*"):
        for leftover in out.parent.glob(pattern):
            pid = leftover.name.rsplit("-", 1)[-1]
            ours = (leftover / MARKER).is_file() or (leftover.is_dir() and not any(leftover.iterdir()))
            if ours and pid.isdigit() and not _alive(int(pid)):
                shutil.rmtree(leftover, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True


def write_zip(folder: Path, target: Path) -> Path:
    """``folder`` as a zip beside ``target`` (renamed into place later); entries under one folder."""
    temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    top = target.stem or "site"
    with zipfile.ZipFile(temporary, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as archive:
        for path in sorted(folder.rglob("*")):
            if path.is_file() and path.name not in (MARKER, MANIFEST):
                archive.write(path, f"{top}/{path.relative_to(folder).as_posix()}")
    return temporary


def settle(folder: Path, wanted: set[str], prune: bool = True) -> tuple[int, int]:
    """With ``prune``, delete the files of ``folder`` not in ``wanted`` (paths relative to it: what a
    spare build had and this one has not) and the folders left empty; count the files and bytes.
    A fresh folder is not pruned: a file a build writes but does not list then shows up as a
    difference between a build over a spare and a clean one, never as a file lost."""
    files = size = 0

    def walk(path: str, prefix: str) -> bool:
        nonlocal files, size
        empty = True
        with os.scandir(path) as entries:
            for entry in entries:
                name = prefix + entry.name
                if entry.is_dir(follow_symlinks=False):
                    if walk(entry.path, name + "/") and prune:
                        os.rmdir(entry.path)
                    else:
                        empty = False
                elif name in wanted or not prune:
                    files, size, empty = files + 1, size + entry.stat(follow_symlinks=False).st_size, False
                else:
                    os.unlink(entry.path)
        return empty

    walk(os.fspath(folder), "")
    return files, size


# --- reusing the previous build ---------------------------------------------------------------


def share_file(source: str, target: str) -> None:
    """``target`` made a hard link to ``source`` (the same bytes, shared by two builds), or a copy on
    another file system; a file already at ``target`` is replaced, never written into (it may be
    another build's). Plain ``os`` calls: pathlib's were 0.4 s of linking 3,300 unchanged pages."""
    try:
        os.link(source, target)
        return
    except FileNotFoundError:  # a new folder (or no source: the second try says so)
        os.makedirs(os.path.dirname(target), exist_ok=True)
    except OSError:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(target)  # a spare build's older file
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)  # another file system, or no hard links there


@dataclass(frozen=True)
class PreviousBuild:
    """The build in place before this one and the fingerprint of what each of its files was made
    from: a file whose fingerprint is unchanged is linked into the new build, not rendered again."""

    folder: Path | None = None
    files: dict[str, str] = field(default_factory=dict)
    indexes: dict[str, tuple[str, IndexSize]] = field(default_factory=dict)

    @classmethod
    def read(cls, out: Path) -> PreviousBuild:
        """The previous build at ``out`` (none when it is missing, not a kb build or unreadable)."""
        try:
            manifest = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
            if not (out / MARKER).is_file() or manifest.get("format") != MANIFEST_FORMAT:
                return cls()
            indexes = {lang: (fp, IndexSize(**size)) for lang, (fp, size) in manifest["indexes"].items()}
            return cls(out, dict(manifest["files"]), indexes)
        except (OSError, ValueError, KeyError, TypeError):
            return cls()

    def made(self, files: list[str], fingerprint: str) -> bool:
        """Whether all ``files`` (site paths) of this build were made from ``fingerprint``."""
        return (
            bool(fingerprint)
            and self.folder is not None
            and all(self.files.get(f) == fingerprint for f in files)
        )

    def holds(self, files: list[str], fingerprint: str) -> bool:
        """Whether this build's folder has ``files``, made from ``fingerprint``, in place: the spare
        build a new one is written over keeps them as they are."""
        folder = self.folder
        return (
            self.made(files, fingerprint)
            and folder is not None
            and all((folder / f.lstrip("/")).is_file() for f in files)
        )

    def take(self, files: list[str], fingerprint: str, folder: Path) -> bool:
        """Link ``files`` (site paths) of the previous build into ``folder`` when all were made
        from ``fingerprint``; False (and nothing taken) when any must be made again."""
        if self.folder is None or not self.made(files, fingerprint):
            return False
        for name in files:
            rel = name.lstrip("/")
            try:
                share_file(os.path.join(self.folder, rel), os.path.join(folder, rel))
            except OSError:
                return False
        return True

    @classmethod
    def claim(cls, spare: Path, staging: Path) -> PreviousBuild:
        """The spare build, moved to ``staging`` for this build to write over (a rename: of builds
        started together, one gets it); none when there is none or it is not a whole kb build."""
        if not (spare / MARKER).is_file():
            return cls()  # none, or not ours: never touched
        try:
            os.rename(spare, staging)
        except OSError:
            return cls()
        found = cls.read(staging)
        if found.folder is None:
            shutil.rmtree(staging, ignore_errors=True)
            return found
        (staging / MANIFEST).unlink()  # what it holds changes from here on
        return found


def tree_fingerprint(folder: Path) -> str:
    """A hash of every file under ``folder`` (kb's code, templates, static files, catalogs)."""
    digest = hashlib.sha256()
    for path in sorted(folder.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            digest.update(path.relative_to(folder).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


# --- rendering --------------------------------------------------------------------------------

# What pages other than its own show of an article: all but its body, headings, links and sources
# (and what an article's repr leaves out: where its snippets' lines come from).
SHOWN_ELSEWHERE = tuple(
    f.name
    for f in dataclasses.fields(Article)
    if f.repr and f.name not in {"html", "text", "toc", "segments", "source_hash", "links", "references"}
)
_FORKED: tuple[Exporter, Path] | None = None  # what a forked worker process works on


PR_SET_PDEATHSIG = 1  # prctl(2): the signal a process gets when its parent dies


def die_with_parent() -> None:
    """In a forked build worker: end with the build. A build killed with -9 must not leave workers
    writing into its folder while the next build cleans it up (Linux; elsewhere nothing happens)."""
    prctl = getattr(ctypes.CDLL(None, use_errno=True), "prctl", None)
    if prctl is not None:
        prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() == 1:  # the parent died before the request took effect
        os._exit(1)


def _forked_job(job: Job) -> int | IndexSize:
    assert _FORKED is not None, "a build job outside a build"
    exporter, folder = _FORKED
    return exporter.run_job(job, folder)


class Exporter:
    """Renders a knowledge base's site as static files; load once, then check links and build."""

    def __init__(self, settings: Settings, base_url: str = "", workers: int = 0, reuse: bool = True) -> None:
        self.settings = settings
        self.reuse = reuse
        self.previous = PreviousBuild()
        self.spare = PreviousBuild()  # the build this one is written over (kept files stay)
        self.reused = 0
        self.base_url = (base_url or settings.base_url).rstrip("/")
        self.workers = workers or available_cpus()
        served = dataclasses.replace(settings, base_url=self.base_url or PLACEHOLDER)
        self.app = create_app(served, index=False)
        self.app.config.update(KB_OFFLINE=True, KB_OFFLINE_BASE_URL=self.base_url)
        served_state = self.app.extensions["kb"]
        self.library: Library = served_state.library
        self.problems: tuple[ContentError, ...] = tuple(served_state.loaded.problems)

    @functools.cached_property
    def site_fingerprint(self) -> str:
        """What every page depends on: kb's code and templates, the settings, the catalogs and synonyms, and
        everything other pages show of an article (title, category, dates, excerpt, …) — all but
        its body, on which only its own page and its language's search index depend."""
        digest = hashlib.sha256(tree_fingerprint(Path(__file__).resolve().parent).encode())
        for folder in (self.settings.root / "locales", self.settings.root / "synonyms"):
            if folder.is_dir():
                digest.update(tree_fingerprint(folder).encode())
        digest.update(repr((dataclasses.replace(self.settings, root=Path()), self.base_url)).encode())
        for article in sorted(self.library, key=lambda a: (a.lang, a.slug)):
            digest.update(repr([getattr(article, name) for name in SHOWN_ELSEWHERE]).encode())
        digest.update(repr(sorted(self.library.categories, key=repr)).encode())
        return digest.hexdigest()

    @functools.cached_property
    def _articles_by_url(self) -> dict[str, Article]:
        return {a.url: a for a in self.library}

    @functools.cache  # noqa: B019 - one Exporter per build; its pages are few thousand
    def page_fingerprint(self, page: Page) -> str:
        """What ``page`` is made from: the site, and for an article page the article itself; feeds
        carry whole articles, so they are always made again."""
        if page.path.endswith("/feed.xml"):
            return ""  # never taken from the previous build
        article = self._articles_by_url.get(page.path)
        own = article.source_hash + hashlib.sha256(article.html.encode()).hexdigest() if article else ""
        return hashlib.sha256(f"{self.site_fingerprint}\0{page.path}\0{own}".encode()).hexdigest()

    @functools.cache  # noqa: B019 - as page_fingerprint
    def index_fingerprint(self, lang: str) -> str:
        """What a language's offline search index is made from: the site and its articles' sources."""
        digest = hashlib.sha256(f"{self.site_fingerprint}\0{lang}".encode())
        for article in sorted(self.library.in_language(lang), key=lambda a: a.slug):
            digest.update(f"\0{article.slug}\0{article.source_hash}\0{len(article.text)}\0".encode())
            digest.update(article.text.encode("utf-8", "surrogatepass"))
        return digest.hexdigest()

    def pages(self) -> list[Page]:
        """Every file rendered from a template, in every language."""
        languages = self.settings.languages
        pages = [Page("/", "/index.html"), Page("/404.html", "/404.html", request="/404/not-found")]
        pages += [Page(p, file_for(p)) for p in site_urls(self.library, languages)]
        for code in languages:
            pages.append(Page(f"/{code}/search", f"/{code}/search/index.html"))
            pages += [Page(f"/{code}/404.html", f"/{code}/404.html"), Page(f"/{code}/feed.xml", "")]
            if self.base_url:
                pages.append(Page(f"/{code}/opensearch.xml", ""))
        if self.base_url:
            pages += [Page("/sitemap.xml", ""), Page("/robots.txt", "")]
        return [p if p.file else dataclasses.replace(p, file=p.path) for p in pages]

    def redirects(self) -> list[tuple[Page, str]]:
        """A page at each old slug (``aliases``) of an article, and the article's site path."""
        return [
            (Page(f"/{a.lang}/articles/{alias}/", f"/{a.lang}/articles/{alias}/index.html"), a.url)
            for a in self.library
            for alias in a.aliases
            if self.library.get(a.lang, alias) is None
        ]

    def media(self) -> list[str]:
        """The images and attachments the articles reference (paths from the root): copied as they are."""
        return sorted({r.resolved for a in self.library for r in a.references if r.kind == "file"})

    def files(self) -> set[str]:
        """The site path of every file a build writes."""
        found = {p.file for p in self.pages()}
        found |= {page.file for page, _target in self.redirects()}
        found |= {f"/media/{path}" for path in self.media()}
        found |= {f"/static/{p.name}" for p in STATIC_DIR.iterdir() if p.is_file()}
        found |= {
            f"/{code}/search/{name}" for code in self.settings.languages for name in ("index.js", "text.js")
        }
        return found

    @functools.cache  # noqa: B019 - as page_fingerprint
    def broken_links(self) -> list[BrokenLink]:
        """The article links and images that lead nowhere in this build (found once per build)."""
        return broken_links(self.library, self.files())

    def steps(self) -> int:
        """How many progress steps a build reports: one per page and one per search index."""
        return len(self.pages()) + len(self.settings.languages)

    def render(self, page: Page) -> bytes:
        """One page as the live site serves it, its links made relative; a missing template is a
        broken installation, never reported as a write failure (jinja2's error is an OSError)."""
        try:
            return self.render_page(page)
        except TemplateNotFound as exc:
            message = _("{path}: the template {name} is missing from the installed kb package")
            raise ExportError(message.format(path=page.path, name=exc.name)) from exc

    def render_page(self, page: Page) -> bytes:
        app = self.app
        with app.test_request_context(page.request or page.path):
            if page.path == "/":
                g.lang = self.settings.default_language
                body = render_template("root.html", default_language=self.settings.default_language)
                return rewrite_html(body, page).encode("utf-8")
            try:
                answer = app.preprocess_request() or app.dispatch_request()
            except HTTPException as exc:
                answer = app.handle_user_exception(exc)
            response = app.make_response(answer)
            if response.status_code != (404 if page.file.endswith("/404.html") else 200):
                message = _("{path}: the page answered {status}")
                raise ExportError(message.format(path=page.path, status=response.status_code))
            text = response.get_data(as_text=True)
            if response.mimetype == "text/html":
                absolute = self.base_url if page.file.endswith("/404.html") else ""
                return rewrite_html(text, page, absolute).encode("utf-8")
            return (text if self.base_url else rewrite_xml(text, page)).encode("utf-8")

    def render_redirect(self, page: Page, target: str) -> bytes:
        """A page that sends the reader from an old address to the article (canonical + refresh)."""
        with self.app.test_request_context(target):
            g.lang = target.split("/")[1]
            refresh = local_link(target, page, self.base_url) or target
            body = render_template("redirect.html", target=target, refresh=refresh)
        return rewrite_html(body, page).encode("utf-8")

    def write_extras(self, folder: Path) -> None:
        """The static files, the referenced images and attachments, and a redirect page at each alias."""
        for source in sorted(STATIC_DIR.iterdir()):
            if source.is_file() and not source.name.startswith("."):
                write_new_file(folder / "static" / source.name, source.read_bytes())
        for path in self.media():
            write_new_file(folder / "media" / path, (self.settings.root / path).read_bytes())
        for page, url in self.redirects():
            write_new_file(folder / page.file.lstrip("/"), self.render_redirect(page, url))

    def run_job(self, job: Job, folder: Path) -> int | IndexSize:
        """One language's search index, or a run of pages, written into ``folder``."""
        kind, pages = job
        if kind != "pages":
            synonyms = Synonyms(self.settings).table(kind)
            cache = self.settings.instance_dir / "cache" / f"offline-{kind}.pickle"
            return write_offline_index(folder, kind, self.library.in_language(kind), synonyms, cache)
        for page in pages:
            write_new_file(folder / page.file.lstrip("/"), self.render(page))
        return len(pages)

    def stale_indexes(self, folder: Path) -> tuple[list[str], list[IndexSize]]:
        """The languages whose search index must be written again, and the sizes of those taken."""
        languages, taken = [], []
        for lang in self.settings.languages:
            fingerprint = self.index_fingerprint(lang)
            built = (b.indexes.get(lang) for b in (self.spare, self.previous))
            known = next((k for k in built if k is not None and k[0] == fingerprint), None)
            names = [f"/{lang}/search/index.js", f"/{lang}/search/text.js"]
            if known is not None and self.unchanged(names, fingerprint, folder):
                taken.append(known[1])
            else:
                languages.append(lang)
        return languages, taken

    def unchanged(self, files: list[str], fingerprint: str, folder: Path) -> bool:
        """Whether ``files`` are in ``folder`` as this build would make them: kept from the spare
        build, or linked from the previous one."""
        spare = self.spare
        return (spare.folder == folder and spare.holds(files, fingerprint)) or self.previous.take(
            files, fingerprint, folder
        )

    def write_manifest(self, folder: Path, pages: list[Page], sizes: list[IndexSize]) -> None:
        """Record what each file was made from, for the next build to reuse what is unchanged."""
        files = {page.file: self.page_fingerprint(page) for page in pages}
        indexes = {}
        for size in sizes:
            fingerprint = self.index_fingerprint(size.lang)
            indexes[size.lang] = (fingerprint, dataclasses.asdict(size))
            for name in ("index.js", "text.js"):
                files[f"/{size.lang}/search/{name}"] = fingerprint
        manifest = {"format": MANIFEST_FORMAT, "files": files, "indexes": indexes}
        write_new_file(folder / MANIFEST, json.dumps(manifest, separators=(",", ":")).encode("utf-8"))

    def write(self, folder: Path, progress: Progress | None = None) -> tuple[int, list[IndexSize]]:
        """Write every page, the static files and the search indexes into ``folder``: on a big site in
        several forked processes (they share the loaded library), a search index always in one of
        its own where the system has two cores, while this process finds and renders the pages."""
        global _FORKED
        write_new_file(folder / MARKER, b"kb build\n")  # first: marks a leftover as ours
        languages, taken = self.stale_indexes(folder)
        forking = self.workers > 1 and "fork" in multiprocessing.get_all_start_methods()
        big = len(self.library) >= PARALLEL_FROM  # a small site's index takes less than forking costs
        pool = self._fork_pool(folder) if forking and languages and big else None
        try:
            jobs: list[Job] = [(code, ()) for code in languages]
            pending = [pool.submit(_forked_job, job) for job in jobs] if pool else []
            self.write_extras(folder)
            pages = self.pages()
            todo = [p for p in pages if not self.unchanged([p.file], self.page_fingerprint(p), folder)]
            self.reused = len(pages) - len(todo) + 2 * len(taken)
            if progress:
                progress(len(pages) - len(todo) + len(taken))
            chunks: list[Job] = [("pages", tuple(todo[i : i + CHUNK])) for i in range(0, len(todo), CHUNK)]
            here: list[Job] = [] if pool else list(jobs)  # the jobs this process runs itself
            if forking and len(todo) >= PARALLEL_FROM:
                pool = pool or self._fork_pool(folder)
                pending += [pool.submit(_forked_job, job) for job in chunks]
            else:
                here += chunks
            results: list[int | IndexSize] = []
            for job in here:
                results.append(self.run_job(job, folder))
                if progress:
                    progress(_steps(results[-1]))
            if pending:
                self.broken_links()  # while the workers work: the report after the build is ready
            for future in as_completed(pending):
                results.append(future.result())
                if progress:
                    progress(_steps(results[-1]))
        finally:
            _FORKED = None
            if pool is not None:
                pool.shutdown(wait=True, cancel_futures=True)
        made = {r.lang: r for r in results if isinstance(r, IndexSize)} | {s.lang: s for s in taken}
        sizes = [made[lang] for lang in self.settings.languages if lang in made]
        self.write_manifest(folder, pages, sizes)
        return len(pages) + len(self.redirects()), sizes

    def _fork_pool(self, folder: Path) -> ProcessPoolExecutor:
        """Worker processes forked from this one (sharing the loaded library), to write into ``folder``."""
        global _FORKED
        _FORKED = (self, folder)  # read by each worker as it is forked: workers start on the first job
        return ProcessPoolExecutor(
            self.workers, mp_context=multiprocessing.get_context("fork"), initializer=die_with_parent
        )

    def build(self, out: Path, zip_file: Path | None = None, progress: Progress | None = None) -> BuildReport:
        """Build into a sibling folder, then swap it in; on any failure the old build stays."""
        started = time.perf_counter()
        out = out.absolute()
        check_target(out, self.settings.root.absolute())
        if zip_file is not None:
            check_archive(out, zip_file.absolute())
        staging = out.with_name(f".{out.name}.new-{os.getpid()}")
        archive: Path | None = None
        try:
            out.parent.mkdir(parents=True, exist_ok=True)
            # One build at a time beside ``out``: another would link files from a build being
            # swapped under it, or claim the same spare.
            with locked(out.parent, wait=BUILD_LOCK_WAIT):
                remove_leftovers(out)
                self.previous = PreviousBuild.read(out) if self.reuse else PreviousBuild()
                self.spare = PreviousBuild.claim(spare_of(out), staging) if self.reuse else PreviousBuild()
                if self.spare.folder is None:
                    staging.mkdir()
                pages, sizes = self.write(staging, progress)
                wanted = {f.lstrip("/") for f in self.files()} | {MARKER, MANIFEST}
                files, size = settle(staging, wanted, prune=self.spare.folder is not None)
                if zip_file is not None:
                    archive = write_zip(staging, zip_file.absolute())
                swap_in(staging, out, keep=spare_of(out) if self.reuse else None)
                if archive is not None:
                    os.replace(archive, zip_file.absolute())  # type: ignore[union-attr]
                if self.reuse and not spare_of(out).exists():
                    make_spare(out)  # the first build here: the next one writes over this copy
        except OSError as exc:
            reason = exc.strerror or str(exc)
            message = _("cannot write the build to {path}: {reason}").format(path=out, reason=reason)
            raise ExportError(message + " – " + _("the previous build is unchanged")) from exc
        finally:
            for leftover in (staging, archive):
                if leftover is not None and leftover.is_dir():
                    shutil.rmtree(leftover, ignore_errors=True)
                elif leftover is not None and leftover.exists():
                    leftover.unlink()
        seconds = time.perf_counter() - started
        return BuildReport(out, pages, files, size, seconds, tuple(sizes), reused=self.reused)


def available_cpus() -> int:
    affinity = getattr(os, "sched_getaffinity", None)
    return len(affinity(0)) if affinity else os.cpu_count() or 1


def _steps(result: int | IndexSize) -> int:
    return 1 if isinstance(result, IndexSize) else result
