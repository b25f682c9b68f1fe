"""The one helpers module of the test suite: builders of real knowledge bases on disk and shared checks.

Test files import from here (or use the fixtures of ``conftest.py``), never from one another.
"""

from __future__ import annotations

import html
import re
import shutil
import struct
import zlib
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path

from babel.messages.pofile import read_po, write_po
from click.testing import CliRunner, Result

from kb.cli import cli
from kb.content.config import load_settings
from kb.content.loader import load_library
from kb.search.indexing import update_indexes
from kb.search.service import SearchRequest, SearchService
from kb.settings import Settings
from kb.store import Store

TESTS = Path(__file__).resolve().parent
REPO = TESTS.parent
DATA = TESTS / "data"
SEED = DATA / "exports" / "000_79c1fb1d0dfecd68.txt"  # a real export
BROKEN = DATA / "broken"
HOSTILE_DATA = DATA / "hostile"  # every hostile input file of the suite lives under here
StoreFactory = Callable[[], Store]  # opens the same database again
KnowledgeBase = Callable[..., Path]  # the ``kb_root`` fixture: files in, a knowledge base's folder out
# Debian's chromium (never a downloaded browser), as the browser tests and benchmarks start it
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


# --- content ---------------------------------------------------------------------------------------


def article(body: str = "Some text.", **front: str) -> str:
    """An article's text: the given front-matter lines (defaults for the required ones), a body."""
    values = {"title": "A title", "author": "Ester Andersson", "date": "2024-07-24", "category": "General"}
    values.update(front)
    header = "".join(f"{key}: {value}\n" for key, value in values.items())
    return f"---\n{header}---\n\n{body}\n"


def png(width: int, height: int) -> bytes:
    """A real, valid PNG of ``width`` x ``height`` red pixels."""
    rows = b"".join(b"\x00" + b"\xcc\x22\x22" * width for _ in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


# --- search ----------------------------------------------------------------------------------------


def copy_sample(target: Path) -> Settings:
    """A copy of the sample knowledge base (articles, categories, synonyms, kb.yml) in ``target``."""
    shutil.copytree(REPO / "articles", target / "articles")
    copy_shared_files(target)
    shutil.copytree(REPO / "synonyms", target / "synonyms")
    shutil.copy(REPO / "kb.yml", target / "kb.yml")
    return load_settings(target)


def copy_shared_files(target: Path) -> None:
    """The sample's shared images (assets/) and snippets, and each language's images/ folder."""
    for folder in ("assets", "snippets"):
        shutil.copytree(REPO / folder, target / folder, dirs_exist_ok=True)
    for images in (REPO / "articles").glob("*/images"):
        shutil.copytree(images, target / images.relative_to(REPO), dirs_exist_ok=True)


def indexed_service(settings: Settings) -> SearchService:
    """A SearchService over freshly built indexes of ``settings``' knowledge base."""
    update_indexes(settings, load_library(settings).library, rebuild=True)
    return SearchService(settings)


def indexed_articles(root: Path, articles: list[tuple[str, str, str, str]]) -> SearchService:
    """A search service over ``articles`` (language, slug, title, body) written into ``root``."""
    for lang, slug, title, body in articles:
        folder = root / "articles" / lang
        folder.mkdir(parents=True, exist_ok=True)
        front = f"---\ntitle: {title}\nauthor: Test Author\ndate: 2024-05-01\ncategory: Help\n---\n\n"
        (folder / f"{slug}.md").write_text(front + body + "\n", encoding="utf-8")
    return indexed_service(load_settings(root))


def search_slugs(service: SearchService, text: str, lang: str) -> list[str]:
    """The slugs of a search's results, best first."""
    return [h.slug for h in service.search(SearchRequest(text, lang)).hits]


# --- web -------------------------------------------------------------------------------------------

SLUGS = (
    "reset-password",
    "two-step-verification",
    "single-sign-on",
    "add-video-to-a-course",
    "invite-participants",
    "create-your-first-project",
)
NB_ONLY = "kun-pa-norsk"
HOSTILE = "hostile"
HOSTILE_ARTICLE = (DATA / "hostile" / "extra" / "en" / "hostile.md").read_text(encoding="utf-8")
NB_ONLY_ARTICLE = """---
title: Bare på norsk
author: Kari Nordmann
date: 2024-06-01
category: Kom i gang
tags: [norsk]
summary: En artikkel som bare finnes på norsk.
---

Denne artikkelen finnes bare på norsk. Den handler om passord og pålogging.

## Første del

Tekst.

## Andre del

Mer tekst.
"""


def make_web_kb(target: Path, hostile: bool = True) -> Settings:
    """A knowledge base in ``target``: six sample articles in nb, sv and en, one nb-only article and,
    unless ``hostile`` is false, an English article full of markup injection attempts."""
    (target / "articles").mkdir(parents=True)
    shutil.copy(REPO / "articles" / "categories.yml", target / "articles" / "categories.yml")
    for lang in ("nb", "sv", "en"):
        (target / "articles" / lang).mkdir()
        for slug in SLUGS:
            shutil.copy(REPO / "articles" / lang / f"{slug}.md", target / "articles" / lang / f"{slug}.md")
    copy_shared_files(target)
    (target / "articles" / "nb" / f"{NB_ONLY}.md").write_text(NB_ONLY_ARTICLE, encoding="utf-8")
    if hostile:
        (target / "articles" / "en" / f"{HOSTILE}.md").write_text(HOSTILE_ARTICLE, encoding="utf-8")
    (target / "kb.yml").write_text(
        "site_name: Test Help Center\nlanguages: [nb, sv, en]\ndefault_language: nb\n", encoding="utf-8"
    )
    return load_settings(target)


# --- hostile input: payloads and what a page must never contain --------------------------------------

# At least twenty ways to smuggle markup or script through a parameter.
PAYLOADS = [
    "<script>alert(1)</script>",
    "<ScRiPt>alert(1)</sCrIpT>",
    '"><svg onload=alert(1)>',
    "'><img src=x onerror=alert(1)>",
    '" onmouseover="alert(1)',
    "' onfocus='alert(1)' autofocus='",
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)//",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    '<iframe src="javascript:alert(1)"></iframe>',
    "<body onload=alert(1)>",
    "</title><script>alert(1)</script>",
    "</textarea><script>alert(1)</script>",
    "\\u003cscript\\u003ealert(1)\\u003c/script\\u003e",
    "%3Cscript%3Ealert(1)%3C%2Fscript%3E",
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    "<scr<script>ipt>alert(1)</script>",
    '<a href="javascript:alert(1)">x</a>',
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "<svg><script>alert&#40;1&#41;</script>",
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    '<base href="//evil.example/">',
    '<object data="data:text/html,<script>alert(1)</script>">',
    "\u200b<script\u200b>alert(1)</script>\u202e",
    "\x00<script>alert(1)</script>",
    "'';!--\"<XSS>=&{()}",
    "{{7*7}}<b>{% raw %}</b>",
    '"-alert(1)-"<x>',
    "<img src=x:alert(alt) onerror=eval(src) alt=0>",
    "<style>@import'//evil.example/x.css'</style>",
]
SPECIAL = set("<>\"'&")
SCRIPT_SCHEMES = ("javascript:", "vbscript:", "data:", "file:")
INVISIBLE = re.compile(r"[\x00-\x20\x7f\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]")
VIDEO_PLAYERS = (
    "https://www.youtube-nocookie.com/embed/",
    "https://player.vimeo.com/video/",
)  # the allow-list
OWN_SCRIPT = re.compile(r"^(?:/|(?:\.\./)*)static/[\w.-]+\.js(?:\?v=\w+)?$")  # served, or exported
LINK_ATTRIBUTES = ("href", "src", "action", "formaction", "data", "srcset", "xlink:href", "poster")
SECURITY_HEADERS = ("Content-Security-Policy", "X-Content-Type-Options", "Referrer-Policy", "X-Frame-Options")


def dangerous_link(value: str) -> bool:
    """Whether an href/src value would run as script or embed a document in a browser.

    Entities are decoded and whitespace, control and invisible characters dropped first, as a
    browser (or a sloppier one) would; percent-escapes stay, because ``javascript%3A…`` is a
    harmless relative address to a browser.
    """
    cleaned = INVISIBLE.sub("", html.unescape(value)).lower()
    return cleaned.startswith(SCRIPT_SCHEMES)


class Audit(HTMLParser):
    """What a page must never contain: inline or foreign scripts, event handlers, script links and
    elements that load or redirect to something (iframes, objects, base, meta refresh, styles)."""

    FORBIDDEN = frozenset({"iframe", "frame", "object", "embed", "base", "style", "math", "applet", "form-x"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        data_block = values.get("type") == "application/ld+json" and "src" not in values  # JSON-LD: inert
        if tag == "script" and not OWN_SCRIPT.match(values.get("src", "")) and not data_block:
            self.problems.append(f"<script> that is not one of the site's own files: {values}")
        video = tag == "iframe" and values.get("src", "").startswith(VIDEO_PLAYERS)
        if tag in self.FORBIDDEN and not video:
            self.problems.append(f"<{tag}> element")
        if tag == "svg" and values.get("aria-hidden") != "true":
            self.problems.append("<svg> that is not a decorative icon")
        if tag == "meta" and values.get("http-equiv", "").lower() not in ("", "content-security-policy"):
            self.problems.append(f"<meta http-equiv={values['http-equiv']!r}>")
        for name, value in values.items():
            if name.startswith("on"):
                self.problems.append(f"event handler {name} on <{tag}>")
            if name in LINK_ATTRIBUTES and dangerous_link(value):
                self.problems.append(f"{name}={value[:40]!r} on <{tag}>")
            if name == "style":
                self.problems.append(f"style attribute on <{tag}>")

    handle_startendtag = handle_starttag


def audit(text: str) -> list[str]:
    """The problems :class:`Audit` finds in an HTML text."""
    parser = Audit()
    parser.feed(text)
    parser.close()
    return parser.problems


def kb_cli(root: Path, *args: str) -> Result:
    """``kb --root ROOT ARGS…`` run in-process, whatever its exit code."""
    return CliRunner().invoke(cli, ["--root", str(root), *args])


def kb_ok(root: Path, *args: str) -> Result:
    """``kb --root ROOT ARGS…`` that must succeed (its output is the failure message)."""
    result = kb_cli(root, *args)
    assert result.exit_code == 0, result.output
    return result


def article_catalog(root: Path, lang: str) -> Path:
    return root / "locales" / lang / "LC_MESSAGES" / "articles.po"


def translate(root: Path, lang: str, table: dict[str, str]) -> None:
    """A translator's work: the msgstr of each msgid in ``table`` in ``lang``'s article catalog."""
    path = article_catalog(root, lang)
    with path.open("rb") as handle:
        catalog = read_po(handle, locale=lang)
    for message in catalog:
        if message.id in table:
            message.string = table[message.id]
    with path.open("wb") as handle:
        write_po(handle, catalog, width=0)


def catalog_kb(root: Path, article_text: str) -> Path:
    """A knowledge base in nb and en with one nb article, extracted and its en catalog made."""
    (root / "kb.yml").write_text("languages: [nb, en]\ndefault_language: nb\n", encoding="utf-8")
    folder = root / "articles" / "nb"
    folder.mkdir(parents=True)
    (folder / "endre-passord.md").write_text(article_text, encoding="utf-8")
    kb_ok(root, "i18n", "extract")
    kb_ok(root, "i18n", "update", "--lang", "en")
    return root
