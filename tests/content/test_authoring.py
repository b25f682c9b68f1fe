"""Authoring features as `kb check` and the loader see them: files beside articles, links, callouts,
snippets, videos and aliases, each problem at the ``path:line`` of the offending reference."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from kb.cli import cli
from kb.content.config import load_settings
from kb.content.loader import LoadResult, load_library
from tests.helpers import KnowledgeBase, article, png


def kb(root: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--root", str(root), *args])


def load(root: Path) -> LoadResult:
    return load_library(load_settings(root))


def messages(result: LoadResult) -> list[str]:
    return [str(p) for p in result.problems]


BROKEN_BODY = """## Første steg

Se bildet ![Søkefeltet](images/sok.png) her,
og så ![Mangler](images/borte.png) midt i avsnittet.

Les [enkel pålogging](sso.md) og [ukjent](finnes-ikke.md),
og [et anker](sso.md#ingen-slik) eller [her](#forste-steg).

{% include "../../snippets/a.md" %}
"""


def test_check_reports_each_broken_reference_at_its_line_and_exits_1(kb_root: KnowledgeBase) -> None:
    root = kb_root(
        {
            "articles/nb/guide.md": article(BROKEN_BODY, aliases="[gammel-guide, sso]"),
            "articles/nb/images/sok.png": png(20, 10),
            "articles/nb/sso.md": article("## Oppsett\n\nTekst.", title="SSO", aliases="[gammel-guide]"),
            "snippets/a.md": 'Fra a.\n\n{% include "b.md" %}\n',
            "snippets/b.md": 'Fra b.\n{% include "a.md" %}\n',
        },
        languages=("nb",),
    )
    result = kb(root, "check")
    assert result.exit_code == 1
    out = result.output
    # the front-matter has 4 required lines then aliases on line 6; the body starts on line 9
    assert "articles/nb/guide.md:12: error: missing file images/borte.png" in out
    assert "articles/nb/guide.md:14: error: broken link to finnes-ikke.md" in out
    assert "articles/nb/guide.md:15: error: unknown anchor #ingen-slik in articles/nb/sso.md" in out
    assert "articles/nb/guide.md:15: error: unknown anchor #forste-steg" in out  # the id is #første-steg
    assert (
        "snippets/b.md:2: error: include cycle: articles/nb/guide.md → snippets/a.md → snippets/b.md" in out
    )
    assert "articles/nb/guide.md:6: error: alias 'sso' collides with the slug of articles/nb/sso.md" in out
    assert "alias 'gammel-guide' is also an alias of" in out
    assert "Traceback" not in out
    # a broken reference never drops the article: it is served, with what did resolve
    library = load(root).library
    guide = library.get("nb", "guide")
    assert guide is not None
    assert 'href="/nb/articles/sso/"' in guide.html
    assert "Fra a." in guide.text and "Fra b." in guide.text  # the expanded text is what is indexed


def test_images_get_hashed_urls_pixel_sizes_and_lazy_loading(kb_root: KnowledgeBase) -> None:
    root = kb_root(
        {
            "articles/nb/a.md": article("![Logo](../../assets/logo.png) og ![Skjerm](bilder/skjerm.png)"),
            "assets/logo.png": png(12, 8),
            "articles/nb/bilder/skjerm.png": png(300, 200),
        },
        languages=("nb",),
    )
    result = load(root)
    assert messages(result) == []
    html = result.library.get("nb", "a").html  # type: ignore[union-attr]
    assert '<img src="/media/assets/logo.png?v=' in html
    assert 'alt="Logo" width="12" height="8" loading="lazy"' in html
    assert 'src="/media/articles/nb/bilder/skjerm.png?v=' in html and 'width="300" height="200"' in html


def test_alt_text_size_and_paths_leaving_the_knowledge_base(kb_root: KnowledgeBase) -> None:
    root = kb_root(
        {
            "kb.yml": "languages: [nb]\nmax_file_size_kb: 1\n",
            "articles/nb/a.md": article(
                "![](stor.png)\n\n![Hemmelig](../../kb.yml) [passwd](../../../../etc/passwd.pdf)"
            ),
            "articles/nb/stor.png": png(200, 200) + b"\0" * 2000,
        },
        languages=("nb",),
    )
    found = messages(load(root))
    assert any(m.startswith("articles/nb/a.md:8: warning: image stor.png has no alt text") for m in found)
    assert any(m.startswith("articles/nb/a.md:8: warning: stor.png is ") and "over 1 kB" in m for m in found)
    assert "articles/nb/a.md:10: error: ../../kb.yml leaves the knowledge base" in "\n".join(found)
    assert "articles/nb/a.md:10: error: ../../../../etc/passwd.pdf leaves the knowledge base" in "\n".join(
        found
    )


def test_links_go_to_the_readers_language_else_the_default_marked(kb_root: KnowledgeBase) -> None:
    body = "[SSO](sso.md#oppsett), [bare norsk](../nb/kun-norsk.md) og [ref][r].\n\n[r]: sso.md"
    root = kb_root(
        {
            "kb.yml": "languages: [nb, sv]\ndefault_language: nb\n",
            "articles/sv/guide.md": article(body, category="Allmänt"),
            "articles/sv/sso.md": article("## Oppsett\n\nText.", category="Allmänt"),
            "articles/nb/sso.md": article("## Oppsett\n\nTekst."),
            "articles/nb/kun-norsk.md": article("Tekst."),
        },
        languages=("nb", "sv"),
    )
    result = load(root)
    assert messages(result) == []
    html = result.library.get("sv", "guide").html  # type: ignore[union-attr]
    assert '<a href="/sv/articles/sso/#oppsett">SSO</a>' in html  # fragment kept, no redirect hop
    assert '<a href="/nb/articles/kun-norsk/">bare norsk</a> <span class="link-language" lang="nb">' in html
    assert '<a href="/sv/articles/sso/">ref</a>' in html


def test_reference_style_links_are_reported_where_they_are_used(kb_root: KnowledgeBase) -> None:
    body = "Første linje\nandre linje med [lenke][borte]\n\n[borte]: borte.md"
    root = kb_root({"articles/nb/a.md": article(body)}, languages=("nb",))
    assert [m for m in messages(load(root)) if "borte.md" in m] == [
        "articles/nb/a.md:9: error: broken link to borte.md: there is no article articles/nb/borte.md"
    ]


def test_callouts_are_typed_boxes_with_labels_in_the_articles_language(kb_root: KnowledgeBase) -> None:
    body = "> [!WARNING]\n> Slett ikke kontoen.\n\n> [!hint]\n> Et tips.\n\n> Et vanlig sitat."
    root = kb_root({"articles/nb/a.md": article(body)}, languages=("nb",))
    found = load(root).library.get("nb", "a")
    assert found is not None
    assert '<div class="callout callout-warning" role="note">' in found.html
    assert "Advarsel</p>" in found.html  # the label, in Norwegian
    assert '<div class="callout callout-tip" role="note">' in found.html and "Tips</p>" in found.html
    assert "<blockquote>\n<p>Et vanlig sitat.</p>" in found.html
    assert "[!WARNING]" not in found.text and "Slett ikke kontoen." in found.text


def test_only_allow_listed_videos_become_players(kb_root: KnowledgeBase) -> None:
    body = (
        "https://www.youtube.com/watch?v=dQw4w9WgXcQ\n\n[Oppsett](https://vimeo.com/76979871)\n\n"
        "https://example.com/watch?v=dQw4w9WgXcQ\n\nSe https://youtu.be/dQw4w9WgXcQ her."
    )
    root = kb_root({"articles/nb/a.md": article(body)}, languages=("nb",))
    html = load(root).library.get("nb", "a").html  # type: ignore[union-attr]
    assert '<iframe src="https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ" title="Video på YouTube"' in html
    assert '<iframe src="https://player.vimeo.com/video/76979871?dnt=1" title="Oppsett"' in html
    assert html.count("<iframe") == 2  # another host, or a URL inside a sentence, stays text


def test_an_error_inside_a_snippet_points_at_the_snippet(kb_root: KnowledgeBase) -> None:
    root = kb_root(
        {
            "articles/nb/a.md": article('Innledning.\n\n{% include "../../snippets/felles.md" %}'),
            "articles/nb/b.md": article(
                '{% include "../../snippets/felles.md" %}\n\n{% include "mangler.md" %}'
            ),
            "snippets/felles.md": "Felles tekst.\n\n![Bilde](../assets/borte.png)\n",
        },
        languages=("nb",),
    )
    found = messages(load(root))
    assert (
        found.count(
            "snippets/felles.md:3: error: missing file ../assets/borte.png (looked for assets/borte.png)"
        )
        == 1
    )
    assert (
        "articles/nb/b.md:10: error: include mangler.md: there is no snippet articles/nb/mangler.md" in found
    )
    assert "Felles tekst." in load(root).library.get("nb", "b").text  # type: ignore[union-attr]


def test_the_sample_uses_images_callouts_md_links_a_snippet_and_an_alias() -> None:
    from tests.helpers import REPO

    result = load(REPO)
    assert result.errors == ()
    used = [a for a in result.library if a.lang == "nb"]
    assert sum(1 for a in used if any(r.kind == "file" for r in a.references)) >= 3
    assert any("callout-tip" in a.html for a in used)
    assert any(a.aliases for a in used)
    assert any(r.kind == "article" for a in used for r in a.references)


def test_last_change_comes_from_one_git_call(kb_root: KnowledgeBase, monkeypatch: pytest.MonkeyPatch) -> None:
    root = kb_root(
        {"articles/nb/a.md": article("Tekst."), "articles/nb/b.md": article("Tekst.", updated="2025-01-02")},
        languages=("nb",),
    )
    when = {"GIT_AUTHOR_DATE": "2025-03-04T12:00:00Z", "GIT_COMMITTER_DATE": "2025-03-04T12:00:00Z"}
    for command in (
        ["init", "-q"],
        ["add", "."],
        ["-c", "user.name=T", "-c", "user.email=t@e", "commit", "-qm", "x"],
    ):
        subprocess.run(["git", *command], cwd=root, check=True, env={**os.environ, **when})
    calls: list[list[str]] = []
    real_run = subprocess.run

    def counting_run(args: list[str], **kwargs: Any) -> Any:
        calls.append(args)
        return real_run(args, **kwargs)

    monkeypatch.setattr(subprocess, "run", counting_run)
    library = load(root).library
    assert len([c for c in calls if c[0] == "git"]) == 1
    assert library.get("nb", "a").last_changed == dt.date(2025, 3, 4)  # type: ignore[union-attr]
    assert library.get("nb", "b").last_changed == dt.date(2025, 1, 2)  # type: ignore[union-attr]  # updated: wins


PO_HEADER = 'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n\n'


def test_a_catalog_translates_a_screenshots_path_as_its_own_checked_segment(kb_root: KnowledgeBase) -> None:
    body = "Se her: ![Skjerm](bilder/skjerm.png)\n\n![Meny](bilder/meny.png)"
    po = PO_HEADER + (
        'msgid "Se her: ![Skjerm](bilder/skjerm.png)"\nmsgstr "Se här: ![Skärm](bilder/skjerm.png)"\n\n'
        'msgid "bilder/skjerm.png"\nmsgstr "bilder/skjerm-sv.png"\n\n'
        'msgid "bilder/meny.png"\nmsgstr "bilder/meny-sv.png"\n'
    )
    root = kb_root(
        {
            "kb.yml": "languages: [nb, sv]\ndefault_language: nb\n",
            "articles/nb/a.md": article(body),
            "articles/nb/bilder/skjerm.png": png(10, 10),
            "articles/nb/bilder/skjerm-sv.png": png(20, 10),
            "articles/nb/bilder/meny.png": png(10, 10),
            "locales/sv/LC_MESSAGES/articles.po": po,
        },
        languages=("nb", "sv"),
    )
    nb = load(root).library.get("nb", "a")
    assert nb is not None and [s.text for s in nb.segments if s.kind == "image"] == [
        "bilder/skjerm.png",
        "bilder/meny.png",
    ]
    result = load(root)
    sv = result.library.get("sv", "a")
    assert sv is not None
    assert 'src="/media/articles/nb/bilder/skjerm-sv.png?v=' in sv.html and 'width="20"' in sv.html
    assert messages(result) == [
        "locales/sv/LC_MESSAGES/articles.po:11: error: missing file bilder/meny-sv.png "
        "(looked for articles/nb/bilder/meny-sv.png)"
    ]


def test_the_article_cache_notices_a_changed_snippet_and_a_file_that_appears(kb_root: KnowledgeBase) -> None:
    root = kb_root(
        {
            "articles/nb/a.md": article('![Bilde](bilde.png)\n\n{% include "../../snippets/s.md" %}'),
            "snippets/s.md": "Første versjon.\n",
        },
        languages=("nb",),
    )
    first = load(root)
    assert [p.message.split(" (")[0] for p in first.errors] == ["missing file bilde.png"]
    (root / "articles/nb/bilde.png").write_bytes(png(6, 4))
    (root / "snippets/s.md").write_text("Andre versjon.\n", encoding="utf-8")
    again = load(root)
    assert again.errors == ()
    found = again.library.get("nb", "a")
    assert found is not None and "Andre versjon." in found.text and 'width="6" height="4"' in found.html
    assert load(root).from_cache == 1  # and unchanged since: from the cache
