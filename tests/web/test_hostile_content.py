"""Content and catalogs that used to break the site: hostile UI translations, control characters,
feed links, category names in every script."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from babel.support import NullTranslations
from flask.testing import FlaskClient

import kb.web.app
from kb.content.config import load_settings
from kb.web.app import create_app
from tests.helpers import KnowledgeBase, article

ATOM = "{http://www.w3.org/2005/Atom}"
CATEGORIES = """konto:
  nb: {name: Konto}
  uk: {name: Обліковий запис}
  el: {name: Λογαριασμός}
  ja: {name: アカウント}
"""


def client_for(root: Path, base_url: str = "") -> FlaskClient:
    settings = load_settings(root)
    if base_url:
        import dataclasses

        settings = dataclasses.replace(settings, base_url=base_url)
    return create_app(settings).test_client()


# --- item 9: UI translations are text, never markup ----------------------------------------------------


def test_a_hostile_ui_translation_is_shown_as_text(
    kb_root: KnowledgeBase, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = kb_root({"articles/en/a.md": article("Body.", category="General")}, languages=("en",))

    class Hostile(NullTranslations):
        def gettext(self, message: str) -> str:
            return '<meta http-equiv="refresh" content="0;url=https://evil.example/">' + message

        def ngettext(self, singular: str, plural: str, n: int) -> str:
            return "<b>" + (singular if n == 1 else plural)

    monkeypatch.setattr(kb.web.app, "translations", lambda lang: Hostile())
    client = client_for(root)
    for url in ("/en/", "/en/search?q=body", "/en/articles/a/", "/en/missing/"):
        page = client.get(url).get_data(as_text=True)
        assert "<meta http-equiv" not in page and "<b>" not in page, url
        assert (
            "&lt;meta http-equiv=&#34;refresh&#34;" in page
            or "&lt;meta http-equiv=&quot;refresh&quot;" in page
        )
    search = client.get("/en/search?q=<i>x</i>").get_data(as_text=True)
    assert "<i>x</i>" not in search  # the %(query)s value formatted into a translation stays escaped too


# --- item 12: the feed is well-formed XML whatever the content -------------------------------------------


def test_control_characters_are_warned_with_their_line_and_left_out_of_the_feed(
    kb_root: KnowledgeBase,
) -> None:
    body = "First line.\n\nA bell \x07 and a backspace \x08 here.\n"
    root = kb_root(
        {"articles/en/a.md": article(body, title='"Title \\x01 with a control"')},
        languages=("en",),
    )
    from click.testing import CliRunner

    from kb.cli import cli

    check = CliRunner(env={"KB_LANG": "en"}).invoke(cli, ["--root", str(root), "check"])
    assert "articles/en/a.md:2: warning: invisible control character U+0001" in check.output
    assert "articles/en/a.md:10: warning: invisible control character U+0007" in check.output
    assert check.exit_code == 0
    feed = client_for(root).get("/en/feed.xml").get_data(as_text=True)
    entry = ET.fromstring(feed).find(f"{ATOM}entry")  # raises on a feed that is not well-formed
    assert entry is not None
    assert entry.findtext(f"{ATOM}title") == "Title  with a control"
    assert "A bell  and a backspace  here." in (entry.findtext(f"{ATOM}content") or "")


# --- item 17: feed entries' links lead somewhere from a feed reader -------------------------------------


def test_feed_entry_links_are_absolute_on_the_site(kb_root: KnowledgeBase) -> None:
    body = "See [the other](../b/), [a section](#part) and ![a picture](/static/favicon.svg).\n\n## Part\n"
    root = kb_root(
        {"articles/en/a.md": article(body), "articles/en/b.md": article("Other.", title="B")},
        languages=("en",),
    )
    feed = client_for(root, "https://help.example.org").get("/en/feed.xml").get_data(as_text=True)
    contents = [e.findtext(f"{ATOM}content") or "" for e in ET.fromstring(feed).iter(f"{ATOM}entry")]
    content = next(c for c in contents if "the other" in c)
    assert 'href="https://help.example.org/en/articles/b/"' in content
    assert 'href="https://help.example.org/en/articles/a/#part"' in content
    assert 'src="https://help.example.org/static/favicon.svg"' in content
    assert not re.search(r'(?:href|src)="(?!https://help\.example\.org/)', content)


# --- item 13: a category in any script has its own address ----------------------------------------------


def test_categories_in_every_script_have_working_addresses(kb_root: KnowledgeBase) -> None:
    files = {"articles/categories.yml": CATEGORIES, "kb.yml": "languages: [nb, uk, el, ja]\n"}
    for lang in ("nb", "uk", "el", "ja"):
        files[f"articles/{lang}/a.md"] = article("Text.", category="konto")
    root = kb_root(files, languages=("nb", "uk", "el", "ja"))
    client = client_for(root, "https://help.example.org")
    sitemap = client.get("/sitemap.xml").get_data(as_text=True)
    locations = [
        e.text or "" for e in ET.fromstring(sitemap).iter("{http://www.sitemaps.org/schemas/sitemap/0.9}loc")
    ]
    categories = [loc for loc in locations if "/categories/" in loc]
    assert len(categories) == 4 and not any(loc.endswith("/categories//") for loc in categories)
    assert "https://help.example.org/nb/categories/konto/" in categories
    for loc in categories:
        page = client.get(loc.removeprefix("https://help.example.org"))
        assert page.status_code == 200, loc
    assert client.get("/uk/categories/обліковий-запис/").status_code == 200
    hits = client.get("/api/search?q=text&lang=uk&category=обліковий-запис").get_json()
    assert hits["total"] == 1


def test_two_category_names_sharing_an_address_are_reported_and_both_reachable(
    kb_root: KnowledgeBase,
) -> None:
    categories = "a:\n  en: {name: Billing}\nb:\n  en: {name: billing!}\nc:\n  en: {name: '???'}\n"
    categories += "'--':\n  en: {name: '?'}\n"
    root = kb_root(
        {
            "articles/categories.yml": categories,
            "articles/en/one.md": article("One.", category="a"),
            "articles/en/two.md": article("Two.", category="b"),
            "articles/en/three.md": article("Three.", category="c"),
            "articles/en/four.md": article("Four.", category="'--'"),
        },
        languages=("en",),
    )
    from click.testing import CliRunner

    from kb.cli import cli

    check = CliRunner(env={"KB_LANG": "en"}).invoke(cli, ["--root", str(root), "check"])
    assert check.exit_code == 1
    assert (
        "articles/categories.yml:4: error: category 'b' in 'en' has the address of category 'a' (line 2)"
        in check.output
    )
    assert (
        "articles/categories.yml:8: error: category '--' in 'en': neither its name nor its key"
        in check.output
    )
    assert check.output.count("error:") == 2
    client = client_for(root)
    assert "One." in client.get("/en/categories/billing/").get_data(as_text=True)
    assert "Two." in client.get("/en/categories/billing-2/").get_data(as_text=True)
    assert "Three." in client.get("/en/categories/c/").get_data(as_text=True)
    assert "Four." in client.get("/en/categories/category/").get_data(as_text=True)
