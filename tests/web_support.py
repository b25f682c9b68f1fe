"""Shared set-up for web tests: a small real knowledge base (with a hostile article) in a temp folder."""

from __future__ import annotations

import shutil
from pathlib import Path

from kb.content.config import load_settings
from kb.settings import Settings

REPO = Path(__file__).resolve().parent.parent
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
HOSTILE_ARTICLE = """---
title: '<script>alert("title")</script> "><img src=x onerror=alert(1)>'
author: '"><img src=x onerror=alert(2)>'
date: 2024-05-02
category: Account and security
tags: ['<b>bold</b>', '"><svg onload=alert(3)>']
summary: 'javascript:alert(4) "><img src=x onerror=alert(5)>'
---

Hostile body <script>alert("body")</script> and <img src=x onerror=alert(6)>.

## Heading <script>alert(7)</script>

A [bad link](javascript:alert(8)) and [another](JaVaScRiPt:alert(9))
and [data](data:text/html;base64,PHNjcmlwdD4=).

Some password text so that searches for password find this article too.
"""
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
    (target / "articles" / "nb" / f"{NB_ONLY}.md").write_text(NB_ONLY_ARTICLE, encoding="utf-8")
    if hostile:
        (target / "articles" / "en" / f"{HOSTILE}.md").write_text(HOSTILE_ARTICLE, encoding="utf-8")
    (target / "kb.yml").write_text(
        "site_name: Test Help Center\nlanguages: [nb, sv, en]\ndefault_language: nb\n", encoding="utf-8"
    )
    return load_settings(target)
