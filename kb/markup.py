"""Markdown rendering: one markdown-it parse per article gives HTML, contents, plain text and segments."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.renderer import RendererHTML
from markdown_it.token import Token
from markdown_it.utils import EnvType, OptionsDict
from mdit_py_plugins.footnote import footnote_plugin
from mdit_py_plugins.tasklists import tasklists_plugin
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import get_lexer_by_name
from pygments.util import ClassNotFound

from kb.model import Heading, Segment

SAFE_SCHEMES = frozenset({"http", "https", "mailto", "tel"})
_SCHEME = re.compile(r"^([a-z][a-z0-9+.\-]*):", re.IGNORECASE)
_CONTROL = re.compile(r"[\x00-\x20\x7f]+")
_NON_WORD = re.compile(r"[^\w]+", re.UNICODE)
EXCERPT_LENGTH = 200
MAX_NESTING = 40


@dataclass(frozen=True)
class Rendered:
    """What one parse of an article body yields."""

    html: str
    toc: tuple[Heading, ...]
    text: str
    segments: tuple[Segment, ...]
    links: tuple[str, ...]
    excerpt: str


def is_safe_link(url: str) -> bool:
    """Whether a link target may reach a reader: relative, or http(s), mailto or tel."""
    cleaned = _CONTROL.sub("", url)
    match = _SCHEME.match(cleaned)
    return match is None or match.group(1).lower() in SAFE_SCHEMES


def is_external(url: str) -> bool:
    return bool(re.match(r"^(https?:)?//", url, re.IGNORECASE))


def slugify_heading(text: str) -> str:
    """A readable anchor for a heading: lowercase words joined by ``-``, non-ASCII letters kept."""
    normalized = unicodedata.normalize("NFC", text).casefold()
    return _NON_WORD.sub("-", normalized).strip("-_") or "section"


def highlight_code(code: str, lang: str, _attrs: str) -> str:
    """Pygments spans for a fenced code block; plain escaped text for unknown languages."""
    try:
        lexer = get_lexer_by_name(lang.strip()) if lang.strip() else None
    except ClassNotFound:
        lexer = None
    if lexer is None:
        return ""
    return highlight(code, lexer, HtmlFormatter(nowrap=True))


def _render_link_open(
    renderer: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    token = tokens[idx]
    href = str(token.attrGet("href") or "")
    if is_external(href):
        token.attrSet("rel", "noopener noreferrer")
    return renderer.renderToken(tokens, idx, options, env)


def create_parser() -> MarkdownIt:
    """The one configured parser: js-default (raw HTML off), tables, footnotes, task lists."""
    md = MarkdownIt("js-default", {"highlight": highlight_code, "maxNesting": MAX_NESTING})
    md.use(footnote_plugin).use(tasklists_plugin)
    md.validateLink = is_safe_link  # type: ignore[method-assign]
    md.add_render_rule("link_open", _render_link_open)
    return md


_PARSER = create_parser()


def inline_text(token: Token) -> str:
    """The reader-visible text of an inline token (markup stripped, image alt text kept)."""
    parts: list[str] = []
    for child in token.children or []:
        if child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append(" ")
        elif child.type == "image":
            parts.append(inline_text(child))
    return "".join(parts)


def _assign_anchors(tokens: list[Token]) -> tuple[Heading, ...]:
    seen: dict[str, int] = {}
    toc: list[Heading] = []
    for i, token in enumerate(tokens):
        if token.type != "heading_open":
            continue
        text = inline_text(tokens[i + 1]).strip()
        base = slugify_heading(text)
        seen[base] = seen.get(base, 0) + 1
        anchor = base if seen[base] == 1 else f"{base}-{seen[base]}"
        token.attrSet("id", anchor)
        toc.append(Heading(level=int(token.tag[1]), text=text, anchor=anchor))
    return tuple(toc)


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


def _collect(tokens: list[Token], first_line: int) -> tuple[str, list[Segment], list[str]]:
    texts: list[str] = []
    segments: list[Segment] = []
    links: list[str] = []
    for i, token in enumerate(tokens):
        if token.type == "inline":
            text = inline_text(token).strip()
            if text:
                texts.append(text)
                line = first_line + (token.map[0] if token.map else 0)
                segments.append(Segment(text=token.content, line=line, kind=_segment_kind(tokens, i)))
            for child in token.children or []:
                target = child.attrGet("href") if child.type == "link_open" else None
                target = target or (child.attrGet("src") if child.type == "image" else None)
                if target:
                    links.append(str(target))
        elif token.type in ("fence", "code_block"):
            texts.append(token.content.strip())
    return "\n".join(texts), segments, links


def make_excerpt(text: str, limit: int = EXCERPT_LENGTH) -> str:
    """The first ``limit`` characters of plain text, cut at a word boundary."""
    flat = " ".join(text.split())
    if len(flat) <= limit:
        return flat
    cut = flat[:limit].rsplit(" ", 1)[0].rstrip(",.;:–-")
    return cut + "…"


def render_markdown(source: str, first_line: int = 1) -> Rendered:
    """Parse ``source`` once; ``first_line`` is the file line the body starts on (for segments)."""
    env: dict[str, Any] = {}
    tokens = _PARSER.parse(source, env)
    toc = _assign_anchors(tokens)
    text, segments, links = _collect(tokens, first_line)
    html = _PARSER.renderer.render(tokens, _PARSER.options, env)
    first_paragraph = next((s.text for s in segments if s.kind == "paragraph"), "")
    excerpt_source = inline_text(_PARSER.parseInline(first_paragraph)[0]) if first_paragraph else ""
    return Rendered(
        html=html,
        toc=toc,
        text=text,
        segments=tuple(segments),
        links=tuple(links),
        excerpt=make_excerpt(excerpt_source or text),
    )
