"""Markdown rendering: anchors, contents, extensions, highlighting, link safety, excerpt, plain text."""

from __future__ import annotations

from html.parser import HTMLParser

from hypothesis import given, settings
from hypothesis import strategies as st

from kb.content.markup import is_safe_link, make_excerpt, render_markdown, slugify_heading
from kb.model import Heading

NORWEGIAN = "Årsaker til hvorfor e-post kan bli merket som søppelpost:"


def test_heading_ids_stay_readable_in_norwegian() -> None:
    rendered = render_markdown(f"### {NORWEGIAN}\n")
    anchor = "årsaker-til-hvorfor-e-post-kan-bli-merket-som-søppelpost"
    assert rendered.html == f'<h3 id="{anchor}">{NORWEGIAN}</h3>\n'
    assert rendered.toc == (Heading(level=3, text=NORWEGIAN, anchor=anchor),)


def test_slugify_heading() -> None:
    assert slugify_heading("Årsaker til …") == "årsaker-til"
    assert slugify_heading("Bytt  passord: steg 1–3!") == "bytt-passord-steg-1-3"
    assert slugify_heading("Straße") == "strasse"
    assert slugify_heading("!!!") == "section"


def test_duplicate_headings_get_numbered_ids_that_never_collide() -> None:
    rendered = render_markdown("## Intro\n\n## Intro\n\n## Intro 2\n\n## Intro\n")
    assert [h.anchor for h in rendered.toc] == ["intro", "intro-2", "intro-2-2", "intro-3"]
    assert rendered.html.count('id="intro-2"') == 1


def test_toc_lists_every_heading_with_its_level_and_plain_text() -> None:
    source = "# Main\n\nText.\n\n## Use `kb check` **now**\n\nSetext\n------\n\n### [Linked](https://x.no)\n"
    assert [(h.level, h.text, h.anchor) for h in render_markdown(source).toc] == [
        (1, "Main", "main"),
        (2, "Use kb check now", "use-kb-check-now"),
        (2, "Setext", "setext"),
        (3, "Linked", "linked"),
    ]


def test_tables() -> None:
    html = render_markdown("| Rolle | Tilgang |\n|:--|--:|\n| Admin | Alt |\n").html
    # Alignment as classes, not style attributes: the CSP forbids inline styles.
    assert '<th class="align-left">Rolle</th>' in html
    assert '<td class="align-right">Alt</td>' in html
    assert "style=" not in html
    assert html.startswith("<table>\n<thead>")


def test_footnotes() -> None:
    html = render_markdown("Tekst[^1].\n\n[^1]: En fotnote.\n").html
    assert '<sup class="footnote-ref"><a href="#fn1" id="fnref1">[1]</a></sup>' in html
    assert '<li id="fn1" class="footnote-item"><p>En fotnote. <a href="#fnref1"' in html


def test_task_lists() -> None:
    html = render_markdown("- [x] Ferdig\n- [ ] Gjenstår\n").html
    assert '<ul class="contains-task-list">' in html
    assert 'checked="checked" disabled="disabled" type="checkbox"> Ferdig</li>' in html
    assert '<input class="task-list-item-checkbox" disabled="disabled" type="checkbox"> Gjenstår' in html


def test_strikethrough() -> None:
    assert render_markdown("~~gammel~~ ny").html == "<p><s>gammel</s> ny</p>\n"


def test_code_is_highlighted_with_pygments_spans() -> None:
    html = render_markdown("```python\ndef f():\n    return '<x>'\n```\n").html
    assert html.startswith('<pre><code class="language-python"><span class="k">def</span>')
    assert "<span class=\"s1\">'&lt;x&gt;'</span>" in html


def test_code_in_an_unknown_language_is_escaped_plain_text() -> None:
    html = render_markdown("```ukjent\n<b>x</b>\n```\n\n    <i>indented</i>\n").html
    assert html == (
        '<pre><code class="language-ukjent">&lt;b&gt;x&lt;/b&gt;\n</code></pre>\n'
        "<pre><code>&lt;i&gt;indented&lt;/i&gt;\n</code></pre>\n"
    )


def test_script_links_are_not_rendered_as_links() -> None:
    source = (
        "[a](javascript:alert(1)) [b](JaVaScRiPt:alert(2)) [c](&#106;avascript:alert(3)) "
        "[d](data:text/html;base64,PHNjcmlwdD4=) ![e](data:image/svg+xml,x) [f](vbscript:x) "
        "<javascript:alert(4)> [g][ref]\n\n[ref]: javascript:alert(5)\n"
    )
    rendered = render_markdown(source)
    assert "<a " not in rendered.html and "<img" not in rendered.html
    assert "[a](javascript:alert(1))" in rendered.html  # shown as the text the author wrote
    assert rendered.links == ()


def test_safe_links() -> None:
    html = render_markdown("[a](mailto:a@b.no) [b](tel:+4712345678) [c](../x/) [d](#steg-2)").html
    assert html == (
        '<p><a href="mailto:a@b.no">a</a> <a href="tel:+4712345678">b</a> '
        '<a href="../x/">c</a> <a href="#steg-2">d</a></p>\n'
    )
    assert is_safe_link("https://x.no") and is_safe_link("/a") and is_safe_link("a:b/../c") is False
    assert not is_safe_link(" java\tscript:alert(1)")


def test_external_links_get_rel_noopener_noreferrer() -> None:
    html = render_markdown("[a](https://example.com) [b](//cdn.example.com/x) <HTTP://X.NO>").html
    assert html == (
        '<p><a href="https://example.com" rel="noopener noreferrer">a</a> '
        '<a href="//cdn.example.com/x" rel="noopener noreferrer">b</a> '
        '<a href="HTTP://X.NO" rel="noopener noreferrer">HTTP://X.NO</a></p>\n'
    )


def test_raw_html_is_escaped() -> None:
    rendered = render_markdown('<script>alert(1)</script>\n\nHei <b onclick="x()">du</b>\n')
    assert rendered.html == (
        "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>\n"
        "<p>Hei &lt;b onclick=&quot;x()&quot;&gt;du&lt;/b&gt;</p>\n"
    )


def test_excerpt_is_the_first_paragraph_as_plain_text() -> None:
    source = "## Overskrift\n\n- punkt\n\nSe [veiledningen][v] for **mer** om `kb`.\n\nAndre avsnitt.\n\n[v]: https://x.no\n"
    assert render_markdown(source).excerpt == "Se veiledningen for mer om kb."


def test_excerpt_falls_back_to_the_text_and_is_cut_at_a_word() -> None:
    assert render_markdown("# Bare en tittel\n").excerpt == "Bare en tittel"
    long = " ".join(["e-postinnstillinger"] * 30)
    excerpt = render_markdown(long).excerpt
    assert excerpt.endswith("e-postinnstillinger…") and len(excerpt) <= 201
    assert make_excerpt("Første setning, andre setning", limit=16) == "Første setning…"


def test_plain_text_has_no_markup() -> None:
    source = (
        "# Tittel\n\nEt **fett** og *kursivt* ord med `kode` og [lenke](https://x.no).\n\n"
        "> Sitat\n\n1. Steg ett\n2. Steg to\n\n| A | B |\n|---|---|\n| c | d |\n\n"
        "![Skjermbilde av menyen](bilde.png)\n\n```\nkb check\n```\n"
    )
    assert render_markdown(source).text == (
        "Tittel\nEt fett og kursivt ord med kode og lenke.\nSitat\nSteg ett\nSteg to\n"
        "A\nB\nc\nd\nSkjermbilde av menyen\nkb check"
    )


def test_segments_and_links() -> None:
    rendered = render_markdown("## Steg\n\n1. Klikk [her](../x/).\n\n| Celle |\n|---|\n| v |\n", first_line=7)
    assert [(s.kind, s.line, s.text) for s in rendered.segments] == [
        ("heading", 7, "Steg"),
        ("item", 9, "Klikk [her](../x/)."),
        ("cell", 11, "Celle"),
        ("cell", 13, "v"),
    ]
    assert rendered.links == ("../x/",)


# --- random Markdown -------------------------------------------------------------------------------

ALLOWED_TAGS = {
    "a", "blockquote", "br", "code", "em", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "img", "input",
    "li", "ol", "p", "pre", "s", "section", "span", "strong", "sup", "table", "tbody", "td", "th",
    "thead", "tr", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"href", "src", "alt", "title", "id", "class", "rel", "style", "start", "type",
                      "checked", "disabled"}  # fmt: skip
MARKDOWN = [
    "# ", "## ", "\n", "\n\n", "- ", "1. ", "   ", "> ", "* ", "_", "**", "~~", "`", "```", "```python\n",
    "| a | b |\n|---|---|\n", "[", "]", "(", ")", "![", "<", ">", "&", "&#106;", "&lt;", "\\", "[^1]",
    "[^1]: ", "[x]: ", "- [ ] ", "- [x] ", "javascript:", "JAVASCRIPT:", "data:", "vbscript:",
    "java\tscript:", "https://x.no", "mailto:a@b", "<script>", "</script>", "<img src=x onerror=y>",
    '"', "'", "onclick=", "<a href=", "æøå", "e-post", "Årsaker",
]  # fmt: skip


class TagCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, {name: value or "" for name, value in attrs}))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.sampled_from(MARKDOWN), st.text(max_size=8)), max_size=40).map("".join))
def test_random_markdown_renders_safely(source: str) -> None:
    rendered = render_markdown(source)
    assert "<script" not in rendered.html.lower()
    collector = TagCollector()
    collector.feed(rendered.html)
    collector.close()
    for tag, attrs in collector.tags:
        assert tag in ALLOWED_TAGS, tag
        assert set(attrs) <= ALLOWED_ATTRIBUTES, attrs
        for name in ("href", "src"):
            target = "".join(attrs.get(name, "").split()).lower()
            assert not target.startswith(("javascript:", "data:", "vbscript:")), target
    for link in rendered.links:
        assert is_safe_link(link)
    assert len(rendered.excerpt) <= 201  # plain text (templates escape it), at most 200 + "…"
