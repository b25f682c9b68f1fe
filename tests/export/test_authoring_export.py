"""Authoring features in the static export: referenced files copied (and only those), article links
relative to real files, and a redirect page at every old slug."""

from __future__ import annotations

import re
from pathlib import Path

from kb.content.config import load_settings
from kb.export import Exporter
from tests.helpers import KnowledgeBase, article, png


def build(kb_root: KnowledgeBase, tmp_path: Path) -> Path:
    body = "![Skjerm](bilder/skjerm.png) ![Logo](/assets/logo.png)\n\n[Videre](neste.md#steg-2)"
    root = kb_root(
        {
            "articles/nb/guide.md": article(body, title="Guide", aliases="[gammel-guide]"),
            "articles/nb/neste.md": article("## Steg 2\n\nTekst.", title="Neste"),
            "articles/nb/bilder/skjerm.png": png(30, 20),
            "articles/nb/bilder/ubrukt.png": png(4, 4),
            "assets/logo.png": png(8, 8),
        },
        languages=("nb",),
    )
    out = tmp_path / "site"
    Exporter(load_settings(root), workers=1).build(out)
    return out


def test_the_export_copies_exactly_the_referenced_files(kb_root: KnowledgeBase, tmp_path: Path) -> None:
    out = build(kb_root, tmp_path)
    copied = sorted(
        p.relative_to(out / "media").as_posix() for p in (out / "media").rglob("*") if p.is_file()
    )
    assert copied == ["articles/nb/bilder/skjerm.png", "assets/logo.png"]
    page = (out / "nb/articles/guide/index.html").read_text(encoding="utf-8")
    sources = re.findall(r'<img src="([^"]+)"', page)
    assert sources == ["../../../media/articles/nb/bilder/skjerm.png", "../../../media/assets/logo.png"]
    for src in sources:
        assert (out / "nb/articles/guide" / src).resolve().is_file()
    assert '<a href="../neste/index.html#steg-2">Videre</a>' in page


def test_an_old_slug_is_a_redirect_page_to_the_article(kb_root: KnowledgeBase, tmp_path: Path) -> None:
    out = build(kb_root, tmp_path)
    page = (out / "nb/articles/gammel-guide/index.html").read_text(encoding="utf-8")
    assert '<meta http-equiv="refresh" content="0; url=../guide/index.html">' in page
    assert '<link rel="canonical" href="../guide/index.html">' in page
    assert '<a href="../guide/index.html">' in page
    assert (out / "nb/articles/gammel-guide/../guide/index.html").resolve().is_file()
