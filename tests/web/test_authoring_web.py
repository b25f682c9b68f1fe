"""Authoring features on the live site: files served safely and cached, old slugs redirected, article
links resolved, video players allowed by the CSP, and sharing metadata."""

from __future__ import annotations

import json
import re
from pathlib import Path

from flask.testing import FlaskClient

from kb.content.config import load_settings
from kb.web import debug
from kb.web.app import create_app
from tests.helpers import KnowledgeBase, article, png

SVG = b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><script>alert(1)</script></svg>'


def client_for(root: Path) -> FlaskClient:
    return create_app(load_settings(root), index=False).test_client()


def make(kb_root: KnowledgeBase) -> FlaskClient:
    body = (
        "![Skjerm](bilder/skjerm.png) ![Ikon](../../assets/ikon.svg)\n\n"
        "[Last ned skjemaet](vedlegg/skjema.pdf) og [les om SSO](sso.md#oppsett).\n\n"
        "https://youtu.be/dQw4w9WgXcQ"
    )
    root = kb_root(
        {
            "kb.yml": "languages: [nb]\nedit_url: https://git.example.com/kb/edit/main/{path}\n",
            "articles/nb/guide.md": article(body, title="Guide", aliases="[gammel-guide]"),
            "articles/nb/sso.md": article("## Oppsett\n\nTekst.", title="SSO"),
            "articles/nb/bilder/skjerm.png": png(30, 20),
            "articles/nb/bilder/ikke-brukt.png": png(5, 5),
            "articles/nb/vedlegg/skjema.pdf": b"%PDF-1.4\n%%EOF\n",
            "assets/ikon.svg": SVG,
        },
        languages=("nb",),
    )
    return client_for(root)


def test_images_are_served_with_their_type_and_cached_for_a_year(kb_root: KnowledgeBase) -> None:
    client = make(kb_root)
    page = client.get("/nb/articles/guide/").get_data(as_text=True)
    src = re.search(r'<img src="(/media/articles/nb/bilder/skjerm\.png\?v=\w+)"', page)
    assert src is not None
    answer = client.get(src[1])
    assert answer.status_code == 200 and answer.mimetype == "image/png"
    assert answer.data.startswith(b"\x89PNG")
    assert "immutable" in answer.headers["Cache-Control"]
    again = client.get(src[1], headers={"If-None-Match": answer.headers["ETag"]})
    assert again.status_code == 304


def test_an_svg_can_never_run_script(kb_root: KnowledgeBase) -> None:
    client = make(kb_root)
    answer = client.get("/media/assets/ikon.svg")
    assert answer.status_code == 200 and answer.mimetype == "image/svg+xml"
    policy = answer.headers["Content-Security-Policy"]
    assert "sandbox" in policy and "script-src" not in policy and "default-src 'none'" in policy


def test_attachments_download_with_their_name(kb_root: KnowledgeBase) -> None:
    client = make(kb_root)
    page = client.get("/nb/articles/guide/").get_data(as_text=True)
    link = re.search(
        r'<a href="(/media/articles/nb/vedlegg/skjema\.pdf\?v=\w+)" download="skjema.pdf">', page
    )
    assert link is not None
    answer = client.get(link[1])
    assert answer.mimetype == "application/pdf"
    assert answer.headers["Content-Disposition"] == "attachment; filename=skjema.pdf"


def test_only_referenced_files_are_served(kb_root: KnowledgeBase) -> None:
    client = make(kb_root)
    for path in (
        "/media/articles/nb/bilder/ikke-brukt.png",  # on disk, but no article shows it
        "/media/articles/nb/guide.md",
        "/media/kb.yml",
        "/media/articles/nb/bilder/../../../kb.yml",
        "/media/%2e%2e/%2e%2e/etc/passwd",
    ):
        assert client.get(path).status_code == 404, path


def test_an_old_slug_answers_301_with_the_article(kb_root: KnowledgeBase) -> None:
    client = make(kb_root)
    answer = client.get("/nb/articles/gammel-guide/")
    assert answer.status_code == 301
    assert answer.headers["Location"] == "/nb/articles/guide/"
    assert client.get("/nb/articles/ingen-slik/").status_code == 404


def test_article_links_and_players_on_the_page(kb_root: KnowledgeBase) -> None:
    client = make(kb_root)
    answer = client.get("/nb/articles/guide/")
    page = answer.get_data(as_text=True)
    assert '<a href="/nb/articles/sso/#oppsett">les om SSO</a>' in page
    assert 'id="oppsett"' in client.get("/nb/articles/sso/").get_data(as_text=True)
    assert '<iframe src="https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ"' in page
    csp = answer.headers["Content-Security-Policy"]
    assert "frame-src https://www.youtube-nocookie.com https://player.vimeo.com" in csp
    assert "script-src 'self';" in csp


def test_sharing_metadata_and_edit_link(kb_root: KnowledgeBase) -> None:
    client = make(kb_root)
    page = client.get("/nb/articles/guide/").get_data(as_text=True)
    assert '<meta property="og:title" content="Guide">' in page
    assert re.search(
        r'<meta property="og:image" content="http://localhost/media/articles/nb/bilder/skjerm.png\?v=', page
    )
    data = json.loads(re.search(r'<script type="application/ld\+json">(.*?)</script>', page, re.S)[1])  # type: ignore[index]
    kinds = [item["@type"] for item in data]
    assert kinds == ["Article", "BreadcrumbList"]
    assert data[0]["headline"] == "Guide" and data[0]["image"].endswith(".png?v=" + data[0]["image"][-12:])
    assert [i["position"] for i in data[1]["itemListElement"]] == [1, 2, 3]
    assert '<a href="https://git.example.com/kb/edit/main/articles/nb/guide.md"' in page


def test_the_debug_server_shows_a_pages_problems_and_reloads(kb_root: KnowledgeBase) -> None:
    root = kb_root(
        {
            "articles/nb/guide.md": article("![Borte](borte.png)", title="Guide"),
            "articles/nb/ugyldig.md": "---\ntitle: [\n---\n\nTekst.\n",
        },
        languages=("nb",),
    )
    production = client_for(root)
    app = create_app(load_settings(root), index=False)
    debug.install(app)
    client = app.test_client()
    answer = client.get("/nb/articles/guide/")
    page = answer.get_data(as_text=True)
    assert '<section class="debug-banner" role="alert"' in page
    assert "articles/nb/guide.md:8: error: missing file borte.png (looked for articles/nb/borte.png)" in page
    assert 'src="/static/reload.js?v=' in page
    invalid = client.get("/nb/articles/ugyldig/")  # never a silent 404: the reason is on the page
    assert invalid.status_code == 404
    assert "articles/nb/ugyldig.md:3: error: bad YAML" in invalid.get_data(as_text=True)
    assert client.get("/_kb/run").get_json()["run"]
    served = production.get("/nb/articles/guide/")
    assert "debug-banner" not in served.get_data(as_text=True) and "reload.js" not in served.get_data(
        as_text=True
    )
    assert production.get("/_kb/run").status_code == 404
    assert served.headers["Content-Security-Policy"] == answer.headers["Content-Security-Policy"]
