"""The static export (kb build): the file set, relative links that resolve on disk, pages equal to the
live site's, the offline search index, the build swap and the link check."""

from __future__ import annotations

import gzip
import json
import re
import zipfile
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urljoin, urlsplit

import pytest
from click.testing import CliRunner
from flask import Flask
from hypothesis import given
from hypothesis import strategies as st

import kb.export
from kb.cli import cli
from kb.content.loader import load_library
from kb.errors import ExportError
from kb.export import MANIFEST, MARKER, PLACEHOLDER, BuildReport, Exporter, file_for, link_path, relative
from kb.model import Library
from kb.search.indexing import update_indexes
from kb.search.offline import CONTINUED, TERMINAL, Stemmer, varints
from kb.search.service import SearchService, analyze
from kb.search.words import surface_words
from kb.settings import Settings
from kb.web.app import create_app
from tests.helpers import copy_sample

URL_ATTRIBUTES = ("href", "src", "action", "data-index", "data-text")
ARTICLE = re.compile(r"<article\b.*?</article>", re.DOTALL)
ATTRIBUTE = re.compile(r'\s(href|src|action)="([^"]*)"')


class Links(HTMLParser):
    """Every URL-valued attribute of a page, and whether it has inline scripts."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.urls: list[tuple[str, str]] = []
        self.inline_scripts = 0
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in URL_ATTRIBUTES and value is not None:
                self.urls.append((name, value))
            if name.startswith("on"):
                self.inline_scripts += 1
        if tag == "script" and not dict(attrs).get("src"):
            self.inline_scripts += 1


def links_of(path: Path) -> Links:
    parser = Links()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


def html_files(root: Path) -> Iterator[Path]:
    return (p for p in sorted(root.rglob("*.html")) if not p.name.startswith("."))


def is_external(url: str) -> bool:
    return bool(re.match(r"^[a-z][a-z0-9+.-]*:|^//", url, re.IGNORECASE))


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return copy_sample(tmp_path_factory.mktemp("export") / "kb")


@pytest.fixture(scope="module")
def exporter(settings: Settings) -> Exporter:
    return Exporter(settings)


@pytest.fixture(scope="module")
def built(exporter: Exporter, settings: Settings) -> BuildReport:
    return exporter.build(settings.root / "build")


@pytest.fixture(scope="module")
def out(built: BuildReport) -> Path:
    return built.out


@pytest.fixture(scope="module")
def library(exporter: Exporter) -> Library:
    return exporter.library


@pytest.fixture(scope="module")
def live(settings: Settings) -> Flask:
    return create_app(settings, index=False)


# --- the file set -------------------------------------------------------------------------------


def test_every_page_of_every_language_is_exported(out: Path, library: Library, settings: Settings) -> None:
    expected = {"index.html", "404.html", MARKER, MANIFEST}
    expected |= {f"static/{p.name}" for p in (Path(kb.export.__file__).parent / "static").iterdir()}
    for lang in settings.languages:
        expected |= {f"{lang}/index.html", f"{lang}/404.html", f"{lang}/feed.xml"}
        expected |= {f"{lang}/search/index.html", f"{lang}/search/index.js", f"{lang}/search/text.js"}
        expected |= {f"{lang}/categories/{c.slug}/index.html" for c in library.categories_in(lang)}
        expected |= {f"{lang}/articles/{a.slug}/index.html" for a in library.in_language(lang)}
        expected |= {
            f"{lang}/articles/{alias}/index.html" for a in library.in_language(lang) for alias in a.aliases
        }
    expected |= {f"media/{r.resolved}" for a in library for r in a.references if r.kind == "file"}
    written = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}
    assert written == expected
    assert len(library.in_language("nb")) >= 30  # the whole sample, not a stub


def test_the_report_counts_what_was_written(built: BuildReport, out: Path) -> None:
    assert built.files == sum(1 for p in out.rglob("*") if p.is_file())
    media = sum(1 for p in (out / "media").rglob("*") if p.is_file())  # copied, not rendered
    static = len(list((out / "static").iterdir()))
    marker_and_manifest = 2
    assert built.pages == built.files - static - media - marker_and_manifest - 2 * len(built.indexes)
    assert [s.lang for s in built.indexes] == ["nb", "sv", "en"]


# --- links --------------------------------------------------------------------------------------


def test_every_relative_link_resolves_to_a_file(out: Path) -> None:
    checked = 0
    for page in html_files(out):
        for name, url in links_of(page).urls:
            if url.startswith("#") or is_external(url):
                continue
            path = unquote(urlsplit(url).path)
            target = (page.parent / path).resolve()
            assert target.is_file(), f"{page.relative_to(out)}: {name}={url} -> {target}"
            assert out.resolve() in target.parents, f"{page.relative_to(out)}: {url} leaves the build"
            checked += 1
    assert checked > 3000


def test_links_end_in_a_file_name_so_file_urls_work(out: Path) -> None:
    for page in html_files(out):
        for name, url in links_of(page).urls:
            if url.startswith("#") or is_external(url):
                continue
            assert not urlsplit(url).path.endswith("/"), f"{page.relative_to(out)}: {name}={url}"


def test_no_absolute_internal_link_remains(out: Path) -> None:
    for path in out.rglob("*"):
        if path.suffix not in (".html", ".xml", ".js") or path.parent.name == "static":
            continue
        text = path.read_text(encoding="utf-8")
        assert PLACEHOLDER not in text, path
        assert "/api/" not in text, path
        if path.suffix == ".html":
            for name, url in links_of(path).urls:
                assert not (url.startswith("/") and not url.startswith("//")), f"{path}: {name}={url}"


def test_article_links_between_articles_point_at_the_other_article(out: Path) -> None:
    page = out / "en" / "articles" / "reset-password" / "index.html"
    urls = [url for _name, url in links_of(page).urls]
    assert "../single-sign-on/index.html" in urls
    assert "../two-step-verification/index.html" in urls


@pytest.mark.parametrize(
    ("target", "page", "expected"),
    [
        ("/nb/articles/x/index.html", "/nb/articles/y/index.html", "../x/index.html"),
        ("/nb/articles/y/index.html", "/nb/articles/y/index.html", "index.html"),
        ("/static/kb.css", "/nb/articles/y/index.html", "../../../static/kb.css"),
        ("/nb/index.html", "/index.html", "nb/index.html"),
        ("/sv/search/index.html", "/nb/404.html", "../sv/search/index.html"),
    ],
)
def test_relative_paths(target: str, page: str, expected: str) -> None:
    assert relative(target, page) == expected


def test_site_paths_map_to_files() -> None:
    assert file_for("/nb/") == "/nb/index.html"
    assert file_for("/nb/search") == "/nb/search/index.html"
    assert file_for("/static/kb.css") == "/static/kb.css"


# --- the same pages as the live site ------------------------------------------------------------


def normalise(html: str, page_url: str, exported: bool) -> str:
    """An <article> with every link as the site path it leads to (no index.html, no cache buster)."""

    def canonical(match: re.Match[str]) -> str:
        url = match.group(2).replace("&amp;", "&")
        if url.startswith("#") or is_external(url):
            return match.group()
        parts = urlsplit(urljoin(page_url, url))
        path = parts.path.removesuffix("index.html") if exported else parts.path
        if exported and path.endswith("/search/"):
            path = path.rstrip("/")
        query = "" if path.startswith(("/static/", "/media/")) or not parts.query else "?" + parts.query
        fragment = "#" + parts.fragment if parts.fragment else ""
        return f' {match.group(1)}="{path}{query}{fragment}"'

    return ATTRIBUTE.sub(canonical, html)


def test_exported_articles_equal_the_live_pages_apart_from_link_form(
    out: Path, live: Flask, library: Library
) -> None:
    client = live.test_client()
    compared = 0
    for article in library:
        served = client.get(article.url).get_data(as_text=True)
        exported = (out / article.url.strip("/") / "index.html").read_text(encoding="utf-8")
        live_article = ARTICLE.search(served)
        file_article = ARTICLE.search(exported)
        assert live_article and file_article, article.url
        assert normalise(file_article.group(), article.url, True) == normalise(
            live_article.group(), article.url, False
        ), article.url
        compared += 1
    assert compared == len(library)


def test_exported_pages_have_no_inline_script_and_a_content_security_policy(out: Path) -> None:
    for page in html_files(out):
        assert links_of(page).inline_scripts == 0, page
        text = page.read_text(encoding="utf-8")
        assert 'http-equiv="Content-Security-Policy"' in text, page
        if 'http-equiv="refresh"' in text:  # an old slug's redirect page (aliases): nothing to search
            continue
        # search.js brings the combobox, offline.js feeds it from the index on disk; no server API.
        assert "offline.js" in text and "search.js" in text and "/api/" not in text, page


def test_the_header_search_uses_the_offline_index(out: Path) -> None:
    page = (out / "sv" / "articles" / "reset-password" / "index.html").read_text(encoding="utf-8")
    assert 'data-index="../../search/index.js"' in page
    assert 'action="../../search/index.html"' in page
    assert "data-suggest" not in page


def test_the_root_page_lists_every_language_for_readers_without_javascript(out: Path) -> None:
    links = [url for name, url in links_of(out / "index.html").urls if name == "href"]
    for lang in ("nb", "sv", "en"):
        assert f"{lang}/index.html" in links
    assert 'class="link-list language-picker"' in (out / "index.html").read_text(encoding="utf-8")


def test_the_404_pages_are_error_pages_in_their_language(out: Path) -> None:
    root = (out / "404.html").read_text(encoding="utf-8")
    assert '<html lang="nb">' in root and 'name="robots" content="noindex"' in root
    assert '<html lang="sv">' in (out / "sv" / "404.html").read_text(encoding="utf-8")


def test_without_a_base_url_feeds_link_relatively_and_there_is_no_sitemap(out: Path) -> None:
    feed = (out / "en" / "feed.xml").read_text(encoding="utf-8")
    assert 'href="articles/reset-password/index.html"' in feed
    assert not (out / "sitemap.xml").exists()
    assert "opensearch" not in (out / "en" / "index.html").read_text(encoding="utf-8")


def test_with_a_base_url_the_sitemap_feeds_and_canonical_links_are_absolute(
    exporter: Exporter, settings: Settings, tmp_path: Path
) -> None:
    with_base = Exporter(settings, base_url="https://help.example.com/docs/")
    result = with_base.build(tmp_path / "site")
    sitemap = (result.out / "sitemap.xml").read_text(encoding="utf-8")
    assert "<loc>https://help.example.com/docs/nb/articles/reset-password/</loc>" in sitemap
    feed = (result.out / "sv" / "feed.xml").read_text(encoding="utf-8")
    assert 'href="https://help.example.com/docs/sv/articles/' in feed
    page = (result.out / "nb" / "articles" / "reset-password" / "index.html").read_text(encoding="utf-8")
    assert 'rel="canonical" href="https://help.example.com/docs/nb/articles/reset-password/"' in page
    assert (result.out / "nb" / "opensearch.xml").is_file()
    missing = (result.out / "404.html").read_text(encoding="utf-8")  # served at any depth by a host
    assert 'href="https://help.example.com/docs/static/kb.css"' in missing
    assert 'action="https://help.example.com/docs/nb/search/index.html"' in missing
    assert "Sitemap: https://help.example.com/docs/sitemap.xml" in (result.out / "robots.txt").read_text()


# --- the offline search index -------------------------------------------------------------------


def read_index(out: Path, lang: str, name: str = "index.js") -> object:
    script = (out / lang / "search" / name).read_text(encoding="utf-8")
    prefix = f'window["KB_{"INDEX" if name == "index.js" else "TEXT"}_{lang}"]=JSON.parse('
    assert script.startswith(prefix) and script.endswith(");\n")
    return json.loads(json.loads(script[len(prefix) : -3]))


@pytest.fixture(scope="module")
def service(settings: Settings) -> SearchService:
    update_indexes(settings, load_library(settings).library, rebuild=True)
    return SearchService(settings)


def vocabulary(index: dict[str, Any]) -> dict[str, str]:
    """Each surface word of an offline index with the stem it is filed under."""
    filed = {}
    for stem, forms in zip(index["stems"].split("\n"), index["forms"].split("\n"), strict=True):
        if forms != "~":
            filed.update({stem + suffix: stem for suffix in forms.split(" ")})
    return {**filed, **index["irregular"]}


@pytest.mark.parametrize("lang", ["nb", "sv", "en"])
def test_the_offline_vocabulary_is_the_servers(out: Path, service: SearchService, lang: str) -> None:
    """Every stem the browser can find is a term of the server's index, and each surface word of
    the articles is filed under exactly the stem the server's analyzer gives it."""
    index = read_index(out, lang)
    assert isinstance(index, dict)
    opened = service.searcher(lang)
    assert opened is not None
    ix, searcher = opened
    reader = searcher.reader()
    server_terms: set[str] = set()
    for name in ("title", "keywords", "headings", "body"):
        server_terms |= {t.decode() if isinstance(t, bytes) else t for t in reader.lexicon(name)}
    stems = index["stems"].split("\n")
    assert set(stems) == server_terms
    assert stems == sorted(stems, key=lambda s: s.encode("utf-16-be"))  # the browser's binary search
    assert len(index["body"].split(",")) == len(index["meta"].split(",")) == len(stems)
    filed = vocabulary(index)
    assert len(filed) > 1000
    for word, stem in filed.items():
        assert analyze(ix, "body", word) == stem, word


def test_postings_are_varints_of_gaps_and_frequencies(out: Path, library: Library) -> None:
    index = read_index(out, "en")
    assert isinstance(index, dict)
    assert varints([0, 31, 32, 1000, 32768]) == "0vB0_8BAA0"
    stems = index["stems"].split("\n")
    body = index["body"].split(",")[stems.index("password")]
    slugs = [doc[0] for doc in index["docs"]]
    docs, doc, value = [], 0, 0
    for char in body:
        if char in TERMINAL:
            number = value * 32 + TERMINAL.index(char)
            doc += number >> 4
            docs.append(slugs[doc])
            value = 0
        else:
            value = value * 32 + CONTINUED.index(char)
    with_password = {a.slug for a in library.in_language("en") if "password" in a.text.lower().split()}
    assert with_password <= set(docs)
    assert "reset-password" in docs


def test_hyphenated_and_stop_words_are_filed_like_the_server(out: Path) -> None:
    index = read_index(out, "nb")
    assert isinstance(index, dict)
    stem = Stemmer("nb")
    assert list(surface_words("E-post")) == ["epost", "e", "post"]
    assert vocabulary(index)["epost"] == stem("epost") == "epost"
    assert "søppelpost" in vocabulary(index)
    assert {"e", "og", "ikke"} <= set(index["stop"].split())


def test_the_index_is_small(built: BuildReport) -> None:
    for size in built.indexes:
        assert size.gzipped / size.articles <= 2048, size
        assert size.text_gzipped / size.articles <= 1024, size


def test_snippet_text_is_plain_text_per_article(out: Path, library: Library) -> None:
    texts = read_index(out, "en", "text.js")
    index = read_index(out, "en")
    assert isinstance(texts, list) and isinstance(index, dict)
    assert len(texts) == len(index["docs"]) == len(library.in_language("en"))
    slugs = [doc[0] for doc in index["docs"]]
    assert texts[slugs.index("reset-password")].startswith(library.get("en", "reset-password").text[:40])


def test_the_index_script_is_gzip_friendly_json(out: Path) -> None:
    raw = (out / "nb" / "search" / "index.js").read_bytes()
    assert len(gzip.compress(raw)) < len(raw) / 2


# --- building aside and swapping ----------------------------------------------------------------


@pytest.fixture
def small(tmp_path: Path) -> Settings:
    root = tmp_path / "kb"
    (root / "articles" / "en").mkdir(parents=True)
    (root / "kb.yml").write_text("languages: [en]\ndefault_language: en\n", encoding="utf-8")
    for slug, link in (("first", "../second/"), ("second", "../first/#top")):
        (root / "articles" / "en" / f"{slug}.md").write_text(
            f"---\ntitle: The {slug} article\nauthor: A\ndate: 2024-05-01\ncategory: General\n---\n\n"
            f"Text of {slug}. See [the other]({link}).\n",
            encoding="utf-8",
        )
    from kb.content.config import load_settings

    return load_settings(root)


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def test_old_files_do_not_linger(small: Settings) -> None:
    out = Exporter(small).build(small.root / "build").out
    (out / "stale.html").write_text("old", encoding="utf-8")
    (out / "en" / "stale").mkdir()
    (out / "en" / "stale" / "index.html").write_text("old", encoding="utf-8")
    for _build in range(3):  # the third writes over the first (kept beside it as the spare)
        Exporter(small).build(out)
        assert not (out / "stale.html").exists()
        assert not (out / "en" / "stale").exists()
        assert (out / "en" / "articles" / "first" / "index.html").is_file()
        # the build it replaced is kept, for the next one to write over; nothing else is left
        assert [p.name for p in out.parent.iterdir() if p.name.startswith(".build")] == [".build.spare"]


def test_an_exception_mid_build_leaves_the_previous_build(
    small: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    exporter = Exporter(small)
    out = exporter.build(small.root / "build").out
    before = snapshot(out)
    calls = {"n": 0}
    real = Exporter.render

    def failing(self: Exporter, page: kb.export.Page) -> bytes:
        calls["n"] += 1
        if calls["n"] == 4:
            raise RuntimeError("disk on fire")
        return real(self, page)

    monkeypatch.setattr(Exporter, "render", failing)
    exporter.reuse = False  # render every page again, so the failure comes mid-build
    with pytest.raises(RuntimeError, match="disk on fire"):
        exporter.build(out)
    assert snapshot(out) == before
    # nothing of the failed build beside it, only the spare the first build left for the next one
    assert [p.name for p in out.parent.iterdir() if p.name.startswith(".build")] == [".build.spare"]


def test_an_unwritable_out_path_fails_cleanly(small: Settings, tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder", encoding="utf-8")
    with pytest.raises(ExportError, match="cannot write the build"):
        Exporter(small).build(blocker / "build")
    result = CliRunner().invoke(cli, ["--root", str(small.root), "build", "--out", str(blocker / "build")])
    assert result.exit_code == 1
    assert "error: cannot write the build" in result.output
    assert "Traceback" not in result.output


def test_a_failed_swap_puts_the_old_build_back(small: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    exporter = Exporter(small)
    out = exporter.build(small.root / "build").out
    before = snapshot(out)
    real = kb.export.os.rename

    def rename(source: Path, target: Path) -> None:
        if ".new-" in str(source):
            raise OSError(28, "No space left on device")
        real(source, target)

    monkeypatch.setattr(kb.export.os, "rename", rename)
    monkeypatch.setattr(kb.export, "exchange", lambda first, second: False)  # a system without renameat2
    with pytest.raises(ExportError, match="No space left on device"):
        exporter.build(out)
    assert snapshot(out) == before


def test_a_folder_that_is_not_a_build_is_never_replaced(small: Settings, tmp_path: Path) -> None:
    precious = tmp_path / "precious"
    precious.mkdir()
    (precious / "thesis.tex").write_text("years of work", encoding="utf-8")
    with pytest.raises(ExportError, match="not a kb build"):
        Exporter(small).build(precious)
    assert (precious / "thesis.tex").read_text(encoding="utf-8") == "years of work"
    with pytest.raises(ExportError, match="cannot hold the knowledge base"):
        Exporter(small).build(small.root)


def test_several_processes_build_the_same_site(
    small: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    serial = snapshot(Exporter(small, workers=1).build(tmp_path / "one").out)
    monkeypatch.setattr(kb.export, "PARALLEL_FROM", 1)
    monkeypatch.setattr(kb.export, "CHUNK", 2)
    calls: list[int] = []
    parallel = snapshot(Exporter(small, workers=2).build(tmp_path / "two", progress=calls.append).out)
    assert parallel == serial
    assert sum(calls) == Exporter(small).steps()


def test_non_ascii_slugs_are_folders_that_links_reach(small: Settings, tmp_path: Path) -> None:
    (small.root / "articles" / "en" / "blåbær.md").write_text(
        "---\ntitle: Blåbær\nauthor: A\ndate: 2024-05-01\ncategory: General\n---\n\n[First](../first/).\n",
        encoding="utf-8",
    )
    first = small.root / "articles" / "en" / "first.md"
    first.write_text(first.read_text(encoding="utf-8") + "\nAnd [berries](../blåbær/).\n", encoding="utf-8")
    exporter = Exporter(small)
    assert exporter.broken_links() == []
    out = exporter.build(tmp_path / "site").out
    page = out / "en" / "articles" / "first" / "index.html"
    hrefs = [url for name, url in links_of(page).urls if name == "href" and "bl" in url]
    assert hrefs and all((page.parent / unquote(h)).resolve().is_file() for h in hrefs), hrefs
    assert (out / "en" / "articles" / "blåbær" / "index.html").is_file()


def test_the_zip_holds_the_site(small: Settings, tmp_path: Path) -> None:
    archive = tmp_path / "help-center.zip"
    Exporter(small).build(tmp_path / "site", zip_file=archive)
    with zipfile.ZipFile(archive) as opened:
        names = opened.namelist()
    assert "help-center/index.html" in names
    assert "help-center/en/articles/first/index.html" in names
    assert "help-center/en/search/index.js" in names
    assert not any(name.endswith(MARKER) for name in names)


# --- the command --------------------------------------------------------------------------------


def test_kb_build_reports_sizes_and_is_quiet_without_a_terminal(small: Settings, tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["--root", str(small.root), "build", "--out", str(tmp_path / "b")])
    assert result.exit_code == 0, result.output
    assert "en: search index" in result.output
    assert "pages" in result.output and "Building" not in result.output
    assert (tmp_path / "b" / "en" / "index.html").is_file()


def test_strict_fails_on_a_broken_article_link(small: Settings, tmp_path: Path) -> None:
    broken = small.root / "articles" / "en" / "broken.md"
    broken.write_text(
        "---\ntitle: Broken\nauthor: A\ndate: 2024-05-01\ncategory: General\n---\n\n"
        "See [gone](../no-such-article/), ![a picture](images/missing.png), [fine](../first/) "
        "and [outside](https://example.com/).\n",
        encoding="utf-8",
    )
    args = ["--root", str(small.root), "build", "--out", str(tmp_path / "b")]
    result = CliRunner().invoke(cli, [*args, "--strict"])
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert "articles/en/broken.md: broken link to ../no-such-article/" in lines
    assert "articles/en/broken.md: broken link to images/missing.png" in lines
    assert not any("first" in line or "example.com" in line for line in lines)
    assert not (tmp_path / "b").exists()

    relaxed = CliRunner().invoke(cli, args)
    assert relaxed.exit_code == 0
    assert "articles/en/broken.md: broken link to ../no-such-article/" in relaxed.output
    assert (tmp_path / "b" / "en" / "articles" / "broken" / "index.html").is_file()


def test_the_sample_knowledge_base_has_no_broken_links(exporter: Exporter) -> None:
    assert exporter.broken_links() == []


def test_a_new_build_is_exchanged_with_the_old_one_in_one_step(tmp_path: Path) -> None:
    from kb.export import exchange, swap_in

    old, new = tmp_path / "build", tmp_path / ".build.new-1"
    old.mkdir()
    new.mkdir()
    (old / "index.html").write_text("old", encoding="utf-8")
    (new / "index.html").write_text("new", encoding="utf-8")
    assert exchange(new, old)  # Linux: one atomic renameat2, so build/ is never missing
    assert (old / "index.html").read_text(encoding="utf-8") == "new"
    assert (new / "index.html").read_text(encoding="utf-8") == "old"
    swap_in(new, old)  # and back, leaving nothing beside it
    assert (old / "index.html").read_text(encoding="utf-8") == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["build"]


@given(
    st.sampled_from(["/en/articles/a/", "/nb/categories/b/", "/", "/en/search", "/a/./b/", "/sv/x/../"]),
    st.text(alphabet="/.#?%ab-20;:", max_size=30).flatmap(lambda s: st.sampled_from([s, "/" + s, "../" + s])),
)
def test_the_link_checks_shortcut_resolves_like_urljoin(base: str, target: str) -> None:
    assert link_path(base, target) == unquote(urlsplit(urljoin(base, target)).path)
