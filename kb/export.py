"""The static export (``kb build``): every page through the live templates, with relative links, for file://.

Pages are rendered by the same Flask app and views as the live site, then every internal link is
rewritten to a relative one that names a real file (``…/index.html``), so the folder works opened
from disk, from any sub-path of a static host, and after being moved. The build is written into a
hidden sibling folder and swapped in only when complete: a failed build leaves the previous one.
"""

from __future__ import annotations

import dataclasses
import gzip
import html
import os
import posixpath
import re
import shutil
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urljoin, urlsplit

from flask import g, render_template
from werkzeug.exceptions import HTTPException

from kb.app import STATIC_DIR, create_app
from kb.errors import ContentError, ExportError
from kb.i18n import _
from kb.model import Library
from kb.offline import build_offline_index
from kb.settings import Settings
from kb.views import site_urls

MARKER = ".kb-build"  # marks a folder as a kb build, so a rebuild may replace it
PLACEHOLDER = "https://kb-export.invalid"  # the site's address when the export has none: made relative
LINK = re.compile(r'(?P<attr>\s(?:href|src|action|data-index|data-text)=")(?P<value>[^"]*)"')
PLACEHOLDER_URL = re.compile(re.escape(PLACEHOLDER) + r'(?P<path>/[^"<>\s]*)')
SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.\-]*:|^//")
Progress = Callable[[int], None]


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
class IndexSize:
    """Bytes of one language's offline search index (and its snippet text), raw and gzipped."""

    lang: str
    articles: int
    raw: int
    gzipped: int
    text_raw: int
    text_gzipped: int


@dataclass(frozen=True)
class BuildReport:
    """What a build wrote."""

    out: Path
    pages: int
    files: int
    size: int
    seconds: float
    indexes: tuple[IndexSize, ...]


def file_for(path: str) -> str:
    """The exported file serving a site path: a folder (or an extension-less name) gets index.html."""
    if path.endswith("/"):
        return path + "index.html"
    if "." not in path.rsplit("/", 1)[-1]:
        return path + "/index.html"
    return path


def relative(target: str, page_file: str) -> str:
    """``target`` (a file path from the site's root) relative to the folder of ``page_file``."""
    start = posixpath.dirname(page_file.lstrip("/")) or "."
    return posixpath.relpath(target.lstrip("/"), start)


def local_link(value: str, page: Page) -> str | None:
    """The relative form of an internal link on ``page``; None for external links and fragments."""
    if not value or value.startswith("#"):
        return None
    if value.startswith(PLACEHOLDER):
        value = value[len(PLACEHOLDER) :] or "/"
    elif SCHEME.match(value):
        return None
    parts = urlsplit(urljoin(page.path, value))
    target = relative(file_for(parts.path), page.file)
    if parts.query and not parts.path.startswith("/static/"):  # static files drop the cache buster
        target += "?" + parts.query
    return target + ("#" + parts.fragment if parts.fragment else "")


def rewrite_html(text: str, page: Page) -> str:
    """Every internal href, src, form action and index address of a page made relative."""

    def replace(match: re.Match[str]) -> str:
        found = local_link(html.unescape(match["value"]), page)
        if found is None:
            return match.group()
        return f'{match["attr"]}{html.escape(found)}"'

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
            path = urlsplit(urljoin(article.url, target)).path
            if file_for(path) not in files:
                found.setdefault((article.path, target), BrokenLink(article.path, target))
    return list(found.values())


def _size(folder: Path) -> tuple[int, int]:
    files = [p for p in folder.rglob("*") if p.is_file()]
    return len(files), sum(p.stat().st_size for p in files)


def check_target(out: Path, root: Path) -> None:
    """Refuse to replace a folder that is not an earlier build (or that holds the knowledge base)."""
    if out == root or out in root.parents:
        raise ExportError(_("{path}: the build folder cannot hold the knowledge base").format(path=out))
    if out.exists() and not out.is_dir():
        raise ExportError(_("{path} exists and is not a folder").format(path=out))
    if out.is_dir() and any(out.iterdir()) and not (out / MARKER).is_file():
        message = _("{path} exists and is not a kb build (it has no {marker}): choose another --out")
        raise ExportError(message.format(path=out, marker=MARKER))


def swap_in(staging: Path, out: Path) -> None:
    """Put the finished build in place: the old one aside, the new one in, the old one deleted."""
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


def write_zip(folder: Path, target: Path) -> Path:
    """``folder`` as a zip beside ``target`` (renamed into place later); entries under one folder."""
    temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    top = target.stem or "site"
    with zipfile.ZipFile(temporary, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as archive:
        for path in sorted(folder.rglob("*")):
            if path.is_file() and path.name != MARKER:
                archive.write(path, f"{top}/{path.relative_to(folder).as_posix()}")
    return temporary


class Exporter:
    """Renders a knowledge base's site as static files; load once, then check links and build."""

    def __init__(self, settings: Settings, base_url: str = "") -> None:
        self.settings = settings
        self.base_url = (base_url or settings.base_url).rstrip("/")
        served = dataclasses.replace(settings, base_url=self.base_url or PLACEHOLDER)
        self.app = create_app(served, index=False)
        self.app.config.update(KB_OFFLINE=True, KB_OFFLINE_BASE_URL=self.base_url)
        loaded = self.app.extensions["kb"].loaded
        self.library: Library = loaded.library
        self.problems: tuple[ContentError, ...] = tuple(loaded.problems)

    def pages(self) -> list[Page]:
        """Every file rendered from a template, in every language."""
        languages = self.settings.languages
        pages = [Page("/", "/index.html"), Page("/404.html", "/404.html", request="/404/not-found")]
        pages += [Page(p, file_for(p)) for p in site_urls(self.library, languages)]
        for code in languages:
            pages += [Page(f"/{code}/search", f"/{code}/search/index.html")]
            pages += [Page(f"/{code}/404.html", f"/{code}/404.html"), Page(f"/{code}/feed.xml", "")]
            if self.base_url:
                pages.append(Page(f"/{code}/opensearch.xml", ""))
        if self.base_url:
            pages += [Page("/sitemap.xml", ""), Page("/robots.txt", "")]
        return [p if p.file else dataclasses.replace(p, file=p.path) for p in pages]

    def files(self) -> set[str]:
        """The site path of every file the build writes (before index.html is appended)."""
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
                answer = app.preprocess_request()
                if answer is None:
                    answer = app.dispatch_request()
            except HTTPException as exc:
                answer = app.handle_user_exception(exc)
            response = app.make_response(answer)
            expected = 404 if page.file.endswith("/404.html") else 200
            if response.status_code != expected:
                message = _("{path}: the page answered {status}").format(
                    path=page.path, status=response.status_code
                )
                raise ExportError(message)
            text = response.get_data(as_text=True)
            if response.mimetype == "text/html":
                return rewrite_html(text, page).encode("utf-8")
            return (text if self.base_url else rewrite_xml(text, page)).encode("utf-8")

    def write(self, folder: Path, progress: Progress | None = None) -> tuple[int, list[IndexSize]]:
        """Write every page, the static files and the search indexes into ``folder``."""
        (folder / MARKER).write_text("kb build\n", encoding="utf-8")  # first: marks a leftover as ours
        pages = self.pages()
        for page in pages:
            target = folder / page.file.lstrip("/")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(self.render(page))
            if progress:
                progress(1)
        shutil.copytree(STATIC_DIR, folder / "static", ignore=shutil.ignore_patterns("*.map", ".*"))
        sizes = []
        for code in self.settings.languages:
            built = build_offline_index(code, self.library.in_language(code))
            index, text = built.index_js.encode("utf-8"), built.text_js.encode("utf-8")
            (folder / code / "search" / "index.js").write_bytes(index)
            (folder / code / "search" / "text.js").write_bytes(text)
            sizes.append(
                IndexSize(
                    code,
                    built.articles,
                    len(index),
                    len(gzip.compress(index, 6)),
                    len(text),
                    len(gzip.compress(text, 6)),
                )
            )
            if progress:
                progress(1)
        return len(pages), sizes

    def build(self, out: Path, zip_file: Path | None = None, progress: Progress | None = None) -> BuildReport:
        """Build into a sibling folder, then swap it in; on any failure the old build stays."""
        started = time.perf_counter()
        out = out.absolute()
        check_target(out, self.settings.root.absolute())
        staging = out.with_name(f".{out.name}.new-{os.getpid()}")
        archive: Path | None = None
        try:
            _remove_leftovers(out)
            staging.mkdir(parents=True)
            pages, sizes = self.write(staging, progress)
            if zip_file is not None:
                archive = write_zip(staging, zip_file.absolute())
            swap_in(staging, out)
            if archive is not None and zip_file is not None:
                os.replace(archive, zip_file.absolute())
        except OSError as exc:
            raise ExportError(
                _("cannot write the build to {path}: {reason}").format(
                    path=out, reason=exc.strerror or str(exc)
                )
                + " – "
                + _("the previous build is unchanged")
            ) from exc
        finally:
            for leftover in (staging, archive):
                if leftover is not None and leftover.exists():
                    _remove(leftover)
        files, size = _size(out)
        return BuildReport(out, pages, files, size, time.perf_counter() - started, tuple(sizes))


def _remove(path: Path) -> None:
    if path.is_dir():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def _remove_leftovers(out: Path) -> None:
    """Folders an interrupted build left beside ``out``: kb builds (with the marker) of dead processes."""
    if not out.parent.is_dir():
        return
    for pattern in (f".{out.name}.new-*", f".{out.name}.old-*"):
        for leftover in out.parent.glob(pattern):
            pid = leftover.name.rsplit("-", 1)[-1]
            if leftover.is_dir() and (leftover / MARKER).is_file() and pid.isdigit() and not _alive(int(pid)):
                shutil.rmtree(leftover, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
