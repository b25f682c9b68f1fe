"""The static export (``kb build``): every page through the live templates, with relative links, for file://.

Pages are rendered by the same Flask app and views as the live site, then every internal link is
rewritten to a relative one that names a real file (``…/index.html``), so the folder works opened
from disk, from any sub-path of a static host, and after being moved. The build is written into a
hidden sibling folder and swapped in only when complete: a failed build leaves the previous one.
"""

from __future__ import annotations

import ctypes
import dataclasses
import errno
import html
import multiprocessing
import os
import re
import shutil
import time
import zipfile
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

from flask import g, render_template
from werkzeug.exceptions import HTTPException

from kb.errors import ContentError, ExportError
from kb.i18n import _
from kb.model import Library
from kb.search.offline import IndexSize, write_offline_index
from kb.search.synonyms import Synonyms
from kb.settings import Settings
from kb.web.app import create_app
from kb.web.pages import site_urls
from kb.web.state import STATIC_DIR

MARKER = ".kb-build"  # marks a folder as a kb build, so a rebuild may replace it
PLACEHOLDER = "https://kb-export.invalid"  # the site's address when the export has none: made relative
LINK = re.compile(r'(?P<attr>\s(?:href|src|action|data-index|data-text)=")(?P<value>[^"]*)"')
PLACEHOLDER_URL = re.compile(re.escape(PLACEHOLDER) + r'(?P<path>/[^"<>\s]*)')
UNSAFE = re.compile(r'[&<>"\']')
SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.\-]*:|^//")
CHUNK = 100  # pages per job when several processes render
PARALLEL_FROM = 400  # pages; below this, starting processes costs more than it saves
Progress = Callable[[int], None]
Job = tuple[str, int, int]  # a language's search index ("index", lang, 0, 0) or pages[start:stop]


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
        return f"{self.path}: " + _("broken link to {target}").format(target=self.target)


@dataclass(frozen=True)
class BuildReport:
    """What a build wrote."""

    out: Path
    pages: int
    files: int
    size: int
    seconds: float
    indexes: tuple[IndexSize, ...]


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
    rest = "?" + parts.query if parts.query and not parts.path.startswith("/static/") else ""
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
    """Placeholder addresses in a feed made relative to it (the export had no base URL)."""
    return PLACEHOLDER_URL.sub(lambda m: html.escape(relative(file_for(m["path"]), page.file)), text)


def broken_links(library: Library, files: set[str]) -> list[BrokenLink]:
    """Each article link or image whose target is not among ``files`` (site paths of the export)."""
    found: dict[tuple[str, str], BrokenLink] = {}
    for article in library:
        for target in article.links:
            if not target or target.startswith("#") or SCHEME.match(target):
                continue
            path = unquote(urlsplit(urljoin(article.url, target)).path)
            if file_for(path) not in files:
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


def swap_in(staging: Path, out: Path) -> None:
    """Put the finished build in place: exchanged atomically with the old one where the system can,
    else the old one aside, the new one in; then the old one deleted. A reader, or a kill, never
    finds ``out`` missing or half written where the exchange is available (Linux 3.15+)."""
    if out.is_dir() and exchange(staging, out):
        shutil.rmtree(staging, ignore_errors=True)  # it holds the old build now
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


def remove_leftovers(out: Path) -> None:
    """Folders interrupted builds left beside ``out``: kb builds (with the marker) of dead processes."""
    for pattern in (f".{out.name}.new-*", f".{out.name}.old-*"):
        for leftover in out.parent.glob(pattern):
            pid = leftover.name.rsplit("-", 1)[-1]
            if (leftover / MARKER).is_file() and pid.isdigit() and not _alive(int(pid)):
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
            if path.is_file() and path.name != MARKER:
                archive.write(path, f"{top}/{path.relative_to(folder).as_posix()}")
    return temporary


def _size(folder: Path) -> tuple[int, int]:
    files = [p for p in folder.rglob("*") if p.is_file()]
    return len(files), sum(p.stat().st_size for p in files)


# --- rendering --------------------------------------------------------------------------------

_FORKED: tuple[Exporter, Path, list[Page]] | None = None  # what a forked worker process works on


def _forked_job(job: Job) -> int | IndexSize:
    assert _FORKED is not None, "a build job outside a build"
    exporter, folder, pages = _FORKED
    return exporter.run_job(job, folder, pages)


class Exporter:
    """Renders a knowledge base's site as static files; load once, then check links and build."""

    def __init__(self, settings: Settings, base_url: str = "", workers: int = 0) -> None:
        self.settings = settings
        self.base_url = (base_url or settings.base_url).rstrip("/")
        self.workers = workers or available_cpus()
        served = dataclasses.replace(settings, base_url=self.base_url or PLACEHOLDER)
        self.app = create_app(served, index=False)
        self.app.config.update(KB_OFFLINE=True, KB_OFFLINE_BASE_URL=self.base_url)
        served_state = self.app.extensions["kb"]
        self.library: Library = served_state.library
        self.problems: tuple[ContentError, ...] = tuple(served_state.loaded.problems)

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

    def files(self) -> set[str]:
        """The site path of every file a build writes."""
        found = {p.file for p in self.pages()}
        found |= {f"/static/{p.name}" for p in STATIC_DIR.iterdir() if p.is_file()}
        found |= {
            f"/{code}/search/{name}" for code in self.settings.languages for name in ("index.js", "text.js")
        }
        return found

    def broken_links(self) -> list[BrokenLink]:
        return broken_links(self.library, self.files())

    def steps(self) -> int:
        """How many progress steps a build reports: one per page and one per search index."""
        return len(self.pages()) + len(self.settings.languages)

    def render(self, page: Page) -> bytes:
        """One page as the live site serves it, its links made relative."""
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

    def run_job(self, job: Job, folder: Path, pages: list[Page]) -> int | IndexSize:
        """One language's search index, or a run of pages, written into ``folder``."""
        kind, start, stop = job
        if kind != "pages":
            synonyms = Synonyms(self.settings).table(kind)
            return write_offline_index(folder, kind, self.library.in_language(kind), synonyms)
        for page in pages[start:stop]:
            target = folder / page.file.lstrip("/")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(self.render(page))
        return stop - start

    def write(self, folder: Path, progress: Progress | None = None) -> tuple[int, list[IndexSize]]:
        """Write every page, the static files and the search indexes into ``folder``; on a big site,
        in several forked processes (they share the loaded library)."""
        (folder / MARKER).write_text("kb build\n", encoding="utf-8")  # first: marks a leftover as ours
        shutil.copytree(STATIC_DIR, folder / "static", ignore=shutil.ignore_patterns(".*"))
        pages = self.pages()
        jobs: list[Job] = [(code, 0, 0) for code in self.settings.languages]
        jobs += [("pages", i, min(i + CHUNK, len(pages))) for i in range(0, len(pages), CHUNK)]
        forking = "fork" in multiprocessing.get_all_start_methods()  # shares the loaded library
        parallel = forking and self.workers > 1 and len(pages) >= PARALLEL_FROM
        results = self._run_forked(jobs, folder, pages, progress) if parallel else []
        for job in [] if parallel else jobs:
            results.append(self.run_job(job, folder, pages))
            if progress:
                progress(_steps(results[-1]))
        sizes = sorted(
            (r for r in results if isinstance(r, IndexSize)), key=lambda s: jobs.index((s.lang, 0, 0))
        )
        return len(pages), sizes

    def _run_forked(
        self, jobs: list[Job], folder: Path, pages: list[Page], progress: Progress | None
    ) -> list[int | IndexSize]:
        global _FORKED
        _FORKED = (self, folder, pages)
        results: list[int | IndexSize] = []
        pool = ProcessPoolExecutor(self.workers, mp_context=multiprocessing.get_context("fork"))
        try:
            for future in as_completed([pool.submit(_forked_job, job) for job in jobs]):
                results.append(future.result())
                if progress:
                    progress(_steps(results[-1]))
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
            _FORKED = None
        return results

    def build(self, out: Path, zip_file: Path | None = None, progress: Progress | None = None) -> BuildReport:
        """Build into a sibling folder, then swap it in; on any failure the old build stays."""
        started = time.perf_counter()
        out = out.absolute()
        check_target(out, self.settings.root.absolute())
        staging = out.with_name(f".{out.name}.new-{os.getpid()}")
        archive: Path | None = None
        try:
            out.parent.mkdir(parents=True, exist_ok=True)
            remove_leftovers(out)
            staging.mkdir()
            pages, sizes = self.write(staging, progress)
            if zip_file is not None:
                archive = write_zip(staging, zip_file.absolute())
            swap_in(staging, out)
            if archive is not None:
                os.replace(archive, zip_file.absolute())  # type: ignore[union-attr]
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
        files, size = _size(out)
        return BuildReport(out, pages, files, size, time.perf_counter() - started, tuple(sizes))


def available_cpus() -> int:
    affinity = getattr(os, "sched_getaffinity", None)
    return len(affinity(0)) if affinity else os.cpu_count() or 1


def _steps(result: int | IndexSize) -> int:
    return 1 if isinstance(result, IndexSize) else result
