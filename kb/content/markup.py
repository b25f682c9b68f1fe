"""Markdown rendering: one markdown-it parse per article gives HTML, contents, text and segments."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.common.utils import normalizeReference
from markdown_it.renderer import RendererHTML
from markdown_it.rules_block import StateBlock
from markdown_it.token import Token
from markdown_it.utils import EnvType, OptionsDict
from mdit_py_plugins.footnote import footnote_plugin
from mdit_py_plugins.tasklists import tasklists_plugin
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexer import Lexer
from pygments.lexers import get_lexer_by_name
from pygments.util import ClassNotFound

from kb.model import Heading, Segment

Translator = Callable[[str], str | None]
SAFE_SCHEMES = frozenset({"http", "https", "mailto", "tel"})
_SCHEME = re.compile(r"^([a-z][a-z0-9+.\-]*):", re.IGNORECASE)
_CONTROL = re.compile(r"[\x00-\x20\x7f]+")
_NON_WORD = re.compile(r"[^\w]+", re.UNICODE)
_EXTERNAL = re.compile(r"^(https?:)?//", re.IGNORECASE)
_EXCERPT_TRAILING = ",.;:\u2013-"  # cut these (and the en dash) off before the ellipsis
EXCERPT_LENGTH = 200
MAX_NESTING = 40
_FORMATTER = HtmlFormatter(nowrap=True)
REFERENCE = "\x00reference:"  # a reference link's target while a segment is read without its article


@dataclass(frozen=True)
class Rendered:
    """What one parse of an article body yields."""

    html: str
    toc: tuple[Heading, ...]
    text: str
    segments: tuple[Segment, ...]
    links: tuple[str, ...]
    excerpt: str
    untranslated: int = 0


def is_safe_link(url: str) -> bool:
    """Whether a link target may reach a reader: relative, or http(s), mailto or tel."""
    cleaned = _CONTROL.sub("", url)
    match = _SCHEME.match(cleaned)
    return match is None or match.group(1).lower() in SAFE_SCHEMES


def is_external(url: str) -> bool:
    return _EXTERNAL.match(url) is not None


def slugify_heading(text: str) -> str:
    """A readable anchor for a heading: lowercase words joined by ``-``, non-ASCII letters kept."""
    normalized = unicodedata.normalize("NFC", text).casefold()
    return _NON_WORD.sub("-", normalized).strip("-_") or "section"


@lru_cache(maxsize=64)
def _lexer(name: str) -> Lexer | None:
    try:
        return get_lexer_by_name(name)
    except ClassNotFound:
        return None


def highlight_code(code: str, lang: str, _attrs: str) -> str:
    """Pygments spans for a fenced code block; "" (plain escaped text) for unknown languages."""
    lexer = _lexer(lang.strip().lower()) if lang.strip() else None
    if lexer is None:
        return ""
    return highlight(code, lexer, _FORMATTER)


def _render_link_open(
    renderer: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    token = tokens[idx]
    href = str(token.attrGet("href") or "")
    if is_external(href):
        token.attrSet("rel", "noopener noreferrer")
    return renderer.renderToken(tokens, idx, options, env)


def _render_cell_open(
    renderer: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    """A table column's alignment as a class: the site's CSP blocks ``style`` attributes."""
    token = tokens[idx]
    style = str(token.attrGet("style") or "")
    if style.startswith("text-align:"):
        del token.attrs["style"]
        token.attrJoin("class", "align-" + style.removeprefix("text-align:"))
    return renderer.renderToken(tokens, idx, options, env)


def _keep_deep_text(md: MarkdownIt) -> None:
    """Past ``maxNesting``, keep the deeper lines as one flat paragraph instead of dropping them.

    markdown-it skips every line of a block nested deeper than ``maxNesting`` (the bound that keeps
    its recursion safe); for a list that is the rest of the document, lost without a word.
    """
    tokenize = md.block.tokenize

    def bounded(state: StateBlock, start: int, end: int) -> None:
        if state.level < MAX_NESTING:
            tokenize(state, start, end)
            return
        line = start
        while line < end and (state.isEmpty(line) or state.sCount[line] >= state.blkIndent):
            line += 1
        text = state.getLines(start, line, state.blkIndent, False).strip()
        if text:
            state.push("paragraph_open", "p", 1).map = [start, line]
            inline = state.push("inline", "", 0)
            inline.content, inline.map, inline.children = text, [start, line], []
            state.push("paragraph_close", "p", -1)
        state.line = line

    md.block.tokenize = bounded  # type: ignore[method-assign, assignment]


def create_parser() -> MarkdownIt:
    """The one configured parser: js-default (raw HTML off), tables, footnotes, task lists."""
    md = MarkdownIt("js-default", {"highlight": highlight_code, "maxNesting": MAX_NESTING})
    md.use(footnote_plugin).use(tasklists_plugin)
    md.validateLink = is_safe_link  # type: ignore[method-assign]
    md.add_render_rule("link_open", _render_link_open)
    md.add_render_rule("th_open", _render_cell_open)
    md.add_render_rule("td_open", _render_cell_open)
    _keep_deep_text(md)
    return md


_PARSER = create_parser()


def inline_text(token: Token) -> str:
    """The reader-visible text of an inline token (markup stripped, image alt text kept)."""
    parts: list[str] = []
    for child in token.children or ():
        kind = child.type
        if kind == "text" or kind == "code_inline":
            parts.append(child.content)
        elif kind == "softbreak" or kind == "hardbreak":
            parts.append(" ")
        elif kind == "image":
            parts.append(inline_text(child))
    return "".join(parts)


def _inline_links(token: Token) -> list[str]:
    found: list[str] = []
    for child in token.children or ():
        if child.type == "link_open":
            target = child.attrGet("href")
        elif child.type == "image":
            target = child.attrGet("src")
        else:
            continue
        if target:
            found.append(str(target))
    return found


class _AnyReference(dict[str, dict[str, str]]):
    """Reference definitions where every label is defined, as itself: a segment read alone still
    shows its reference links (``[text][label]``), whose definitions live elsewhere in the article."""

    def get(self, key: str, default: object = None) -> dict[str, str] | None:  # type: ignore[override]
        if key.startswith("^"):  # a footnote reference, not a link
            return None
        return {"href": REFERENCE + key, "title": ""}


class _AnyLabel(dict[str, int]):
    """Footnote labels where every label is known: ``[^label]`` is a footnote reference in any segment."""

    def __contains__(self, key: object) -> bool:
        return True

    def __bool__(self) -> bool:
        return True


def _link_text(children: Sequence[Token], start: int) -> str:
    depth, parts = 0, []
    for child in children[start + 1 :]:
        if child.type == "link_close" and depth == 0:
            break
        depth += child.nesting
        parts.append(child.content)
    return "".join(parts)


def _protected_in(children: Sequence[Token], found: list[str]) -> None:
    for i, child in enumerate(children):
        if child.type == "link_open":
            href = str(child.attrGet("href") or "")
            if href.startswith(REFERENCE):  # [text][label] keeps its label; [text] alone is translated
                label = href.removeprefix(REFERENCE)
                if label != normalizeReference(_link_text(children, i)):
                    found.append("reference " + label)
            else:
                found.append("link " + href)
        elif child.type == "image":
            found.append("image " + str(child.attrGet("src") or ""))
            _protected_in(child.children or (), found)
        elif child.type == "code_inline":
            found.append("code " + child.content)
        elif child.type == "footnote_ref" and child.meta.get("label"):
            found.append("footnote " + str(child.meta["label"]))


def protected_parts(markdown: str) -> tuple[str, ...]:
    """What a translation of one segment must keep exactly, from its tokens: every link and image
    target (inline, autolink ``<https://…>``, reference, footnote, inline footnote) and code span."""
    footnotes: dict[str, Any] = {"refs": _AnyLabel(), "list": {}}
    env: dict[str, Any] = {"references": _AnyReference(), "footnotes": footnotes}
    found: list[str] = []
    for token in _PARSER.parseInline(markdown, env):  # inline footnotes come as blocks at the end
        _protected_in(token.children or (), found)
    return tuple(sorted(found))


def _segment_kind(tokens: list[Token], i: int) -> str:
    opener = tokens[i - 1] if i > 0 else None
    if opener is None:
        return "paragraph"
    if opener.type == "heading_open":
        return "heading"
    if opener.type in ("th_open", "td_open"):
        return "cell"
    if opener.type == "paragraph_open" and i > 1 and tokens[i - 2].type == "list_item_open":
        return "item"
    return "paragraph"


@dataclass
class _Walk:
    """What one pass over the block tokens collects."""

    texts: list[str]
    segments: list[Segment]
    links: list[str]
    toc: list[Heading]
    first_paragraph: str = ""


def _walk(tokens: list[Token], first_line: int) -> _Walk:
    """One pass: anchors on headings (unique within the page), plain text, segments and links."""
    found = _Walk([], [], [], [])
    used: set[str] = set()
    tried: dict[str, int] = {}  # per base, the last suffix taken: repeated headings stay linear
    for i, token in enumerate(tokens):
        kind = token.type
        if kind == "inline":
            text = inline_text(token).strip()
            if text:
                found.texts.append(text)
                line = first_line + (token.map[0] if token.map else 0)
                segment_kind = _segment_kind(tokens, i)
                found.segments.append(Segment(text=token.content, line=line, kind=segment_kind))
                if segment_kind == "paragraph" and not found.first_paragraph:
                    found.first_paragraph = text
            if token.children:
                found.links.extend(_inline_links(token))
        elif kind == "heading_open":
            text = inline_text(tokens[i + 1]).strip()
            base = slugify_heading(text)
            n = tried.get(base, 1)
            anchor = base if n == 1 else f"{base}-{n}"
            while anchor in used:
                n += 1
                anchor = f"{base}-{n}"
            tried[base] = n
            used.add(anchor)
            token.attrSet("id", anchor)
            found.toc.append(Heading(level=int(token.tag[1]), text=text, anchor=anchor))
        elif kind == "fence" or kind == "code_block":
            found.texts.append(token.content.strip())
    return found


def make_excerpt(text: str, limit: int = EXCERPT_LENGTH) -> str:
    """The first ``limit`` characters of plain text, cut at a word boundary."""
    flat = " ".join(text.split())
    if len(flat) <= limit:
        return flat
    cut = flat[:limit].rsplit(" ", 1)[0].rstrip(_EXCERPT_TRAILING)
    return cut + "…"


def _translate(tokens: list[Token], env: dict[str, Any], translate: Translator, source_lang: str) -> int:
    """Swap each block's text for its translation; mark the blocks left in ``source_lang``."""
    missing = 0
    for i, token in enumerate(tokens):
        if token.type != "inline" or not token.content.strip():
            continue
        translated = translate(token.content)
        if translated:
            token.content = translated
            token.children = _PARSER.parseInline(translated, env)[0].children
            continue
        missing += 1
        j = i - 1
        while j > 0 and tokens[j].hidden:  # tight list items hide their paragraph
            j -= 1
        if j >= 0 and tokens[j].nesting == 1:
            tokens[j].attrSet("lang", source_lang)
    return missing


def render_markdown(
    source: str, first_line: int = 1, translate: Translator | None = None, source_lang: str = ""
) -> Rendered:
    """Parse ``source`` once; ``first_line`` is the file line the body starts on (for segments).

    With ``translate``, each block's text is replaced by its translation where there is one, and
    blocks without one keep the source text, marked with ``lang=source_lang``.
    """
    env: dict[str, Any] = {}
    tokens = _PARSER.parse(source, env)
    untranslated = _translate(tokens, env, translate, source_lang) if translate else 0
    found = _walk(tokens, first_line)
    html = _PARSER.renderer.render(tokens, _PARSER.options, env)
    text = "\n".join(found.texts)
    return Rendered(
        html=html,
        toc=tuple(found.toc),
        text=text,
        segments=tuple(found.segments),
        links=tuple(found.links),
        excerpt=make_excerpt(found.first_paragraph or text),
        untranslated=untranslated,
    )
