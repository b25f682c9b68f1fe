"""Markdown rendering: one markdown-it parse per article gives HTML, contents, text and segments."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from urllib.parse import unquote, urlsplit

from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml, normalizeReference
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

from kb.content.media import MediaFile, OutsideError, inspect_file, is_local, media_type, resolve_path
from kb.content.references import ReferenceContext, article_link, language_marker
from kb.errors import ContentError
from kb.i18n import _, translations
from kb.model import Heading, Reference, Segment

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
    references: tuple[Reference, ...] = ()
    problems: tuple[ContentError, ...] = ()
    image: str = ""


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
                line = first_line + (token.map[0] if token.map else 0)
                found.segments.extend(
                    Segment(text=str(child.meta["written"]), line=line, kind="image")
                    for child in token.children
                    if child.type == "image" and child.meta.get("written")
                )
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


# --- links and images beside articles ------------------------------------------------------------


@dataclass
class _References:
    """What resolving one article's links and images found."""

    context: ReferenceContext
    found: list[Reference]
    problems: list[ContentError]
    image: str = ""
    first_line: int = 1
    origins: tuple[tuple[str, int], ...] = ()
    path: str = ""  # the file the reference being resolved is written in (an article or a snippet)

    def locate(self, offset: int) -> int:
        """The file line of the body's line ``offset``; ``path`` becomes the file it is in."""
        if 0 <= offset < len(self.origins):
            self.path, line = self.origins[offset]
            return line
        self.path = self.context.path
        return self.first_line + offset

    def add(self, line: int, message: str, severity: str = "error") -> None:
        self.problems.append(ContentError(self.path, line, message, severity))


def _resolve_image(child: Token, line: int, refs: _References) -> None:
    src = str(child.attrGet("src") or "")
    if is_local(src):
        child.meta["written"] = src  # the path as the author wrote it: a translatable segment
    if not inline_text(child).strip():
        message = _("image {target} has no alt text: describe it for readers who cannot see it")
        refs.add(line, message.format(target=src), "warning")
    if not is_local(src):
        refs.image = refs.image or (src if is_external(src) else "")
        return
    if src.startswith("/") and not src.startswith("/assets/"):  # a path of the site itself: as written
        return
    found = _resolve_file(src, line, refs)
    if found is None:
        return
    child.attrSet("src", found.url)
    if found.width and found.height:
        child.attrSet("width", str(found.width))
        child.attrSet("height", str(found.height))
    child.attrSet("loading", "lazy")
    child.attrSet("decoding", "async")
    refs.image = refs.image or found.url


def _resolve_file(target: str, line: int, refs: _References) -> MediaFile | None:
    """The MediaFile a written path names, or None after reporting why there is none."""
    ctx = refs.context
    try:
        path, _fragment = resolve_path(target, refs.path)
    except OutsideError:
        refs.add(
            line,
            _("{target} leaves the knowledge base (files go beside articles or in assets/)").format(
                target=target
            ),
        )
        refs.found.append(Reference("missing", target, refs.path, line))
        return None
    found = inspect_file(ctx.root, path) if media_type(path) else None
    if found is None:
        message = (
            _("missing file {target} (looked for {path})")
            if media_type(path)
            else _("{target}: kb does not serve this type of file")
        )
        refs.add(line, message.format(target=target, path=path))
        refs.found.append(Reference("missing", target, refs.path, line, path))
        return None
    if found.size > ctx.max_bytes:
        message = _("{target} is {size} kB (over {limit} kB): make it smaller")
        refs.add(
            line,
            message.format(target=target, size=found.size // 1000, limit=ctx.max_bytes // 1000),
            "warning",
        )
    refs.found.append(Reference("file", target, refs.path, line, path))
    return found


def _resolve_link(child: Token, line: int, refs: _References) -> bool:
    """Resolve one link; True when it leads to another article (its language mark follows it)."""
    href = str(child.attrGet("href") or "")
    ctx = refs.context
    if href.startswith("#") and len(href) > 1:
        refs.found.append(Reference("anchor", href, refs.path, line, ctx.path, unquote(href[1:])))
        return False
    if not is_local(href):
        return False
    written = urlsplit(href).path
    if written.endswith(".md"):
        try:
            path, fragment = resolve_path(href, refs.path)
        except OutsideError:
            message = _("{target} leaves the knowledge base (files go beside articles or in assets/)")
            refs.add(line, message.format(target=href))
            return False
        refs.found.append(Reference("article", href, refs.path, line, path, fragment))
        child.attrSet("href", article_link(len(refs.found) - 1))
        return True
    if media_type(written) and (not written.startswith("/") or written.startswith("/assets/")):
        found = _resolve_file(href, line, refs)
        if found is not None:
            child.attrSet("href", found.url)
            child.attrSet("download", found.name)
    return False


def _resolve_references(tokens: list[Token], refs: _References) -> None:
    """Images and links of every inline block: files found and served, ``.md`` links marked for the Linker."""
    for token in tokens:
        if token.type != "inline" or not token.children:
            continue
        offset = token.map[0] if token.map else 0
        line = refs.locate(offset)
        children: list[Token] = []
        marker = -1
        for child in token.children:
            children.append(child)
            kind = child.type
            if kind in ("softbreak", "hardbreak"):
                offset += 1
                line = refs.locate(offset)
            elif kind == "image":
                _resolve_image(child, line, refs)
            elif kind == "link_open" and _resolve_link(child, line, refs):
                marker = len(refs.found) - 1
            elif kind == "link_close" and marker >= 0:
                mark = Token("html_inline", "", 0)
                mark.content = language_marker(marker)
                children.append(mark)
                marker = -1
        token.children = children


def gettext_of(lang: str) -> Callable[[str], str]:
    """The interface catalog's gettext for ``lang`` (labels rendered into article HTML)."""
    return translations(lang).gettext


# --- callouts and video ---------------------------------------------------------------------------


def N_(message: str) -> str:
    """Mark ``message`` for extraction; it is translated where it is shown."""
    return message


CALLOUTS = {
    "note": N_("Note"),
    "tip": N_("Tip"),
    "important": N_("Important"),
    "warning": N_("Warning"),
    "caution": N_("Caution"),
}
CALLOUT_SYNONYMS = {"info": "note", "hint": "tip", "danger": "caution", "attention": "warning"}
_CALLOUT = re.compile(r"^\[!([A-Za-z]+)\][ \t]*(?:\n|$)")
_ICON_PATHS = {
    "note": "M12 2a10 10 0 1 0 0 20 10 10 0 0 0 0-20Zm1 15h-2v-6h2v6Zm0-8h-2V7h2v2Z",
    "tip": "M9 21h6v-1H9v1Zm3-19a7 7 0 0 0-4 12.7V18h8v-3.3A7 7 0 0 0 12 2Z",
    "important": "M4 3h16v13H8l-4 4V3Zm7 3v5h2V6h-2Zm0 7v2h2v-2h-2Z",
    "warning": "M12 2 1 21h22L12 2Zm1 16h-2v-2h2v2Zm0-4h-2v-4h2v4Z",
    "caution": "M8.3 2h7.4L22 8.3v7.4L15.7 22H8.3L2 15.7V8.3L8.3 2ZM11 7v6h2V7h-2Zm0 8v2h2v-2h-2Z",
}
VIDEO_HOSTS = ("https://www.youtube-nocookie.com", "https://player.vimeo.com")
_YOUTUBE = re.compile(
    r"^https?://(?:www\.|m\.)?(?:youtube\.com/watch\?(?:[^#\s]*&)?v=|youtu\.be/|youtube\.com/embed/)"
    r"([A-Za-z0-9_-]{11})(?:[&?#][^\s]*)?$"
)
_VIMEO = re.compile(r"^https?://(?:www\.)?vimeo\.com/(\d{1,12})/?(?:[?#][^\s]*)?$")


def video_embed(url: str) -> tuple[str, str] | None:
    """The privacy-enhanced player address and service name of a YouTube or Vimeo URL, else None."""
    if found := _YOUTUBE.match(url):
        return f"{VIDEO_HOSTS[0]}/embed/{found[1]}", "YouTube"
    if found := _VIMEO.match(url):
        return f"{VIDEO_HOSTS[1]}/video/{found[1]}?dnt=1", "Vimeo"
    return None


def _mark_callouts(tokens: list[Token], env: dict[str, Any]) -> list[Token]:
    """``> [!NOTE]`` quotes become typed callouts; the marker line is no longer part of the text."""
    drop: set[int] = set()
    for i, token in enumerate(tokens):
        if token.type != "blockquote_open" or i + 2 >= len(tokens) or tokens[i + 2].type != "inline":
            continue
        found = _CALLOUT.match(tokens[i + 2].content)
        kind = CALLOUT_SYNONYMS.get(found[1].lower(), found[1].lower()) if found else ""
        if kind not in CALLOUTS:
            continue
        inline = tokens[i + 2]
        rest = inline.content[found.end() :] if found else ""
        token.meta["callout"] = kind
        closer = next(
            j
            for j in range(i + 1, len(tokens))
            if tokens[j].type == "blockquote_close" and tokens[j].level == token.level
        )
        tokens[closer].meta["callout"] = kind
        if rest.strip():
            inline.content = rest
            inline.children = _PARSER.parseInline(rest, env)[0].children
            if inline.map:
                inline.map = [inline.map[0] + 1, inline.map[1]]
        else:
            drop.update((i + 1, i + 2, i + 3))
    return [t for j, t in enumerate(tokens) if j not in drop]


def _mark_videos(tokens: list[Token]) -> list[Token]:
    """A paragraph holding only a YouTube or Vimeo URL becomes one ``video`` token."""
    out: list[Token] = []
    i = 0
    while i < len(tokens):
        token = tokens[i]
        if token.type == "paragraph_open" and i + 2 < len(tokens) and tokens[i + 1].type == "inline":
            inline = tokens[i + 1]
            url, title = _lone_url(inline)
            embed = video_embed(url) if url else None
            if embed is not None:
                video = Token("video", "iframe", 0)
                video.meta = {"src": embed[0], "service": embed[1], "title": title, "url": url}
                video.map, video.block = token.map, True
                out.append(video)
                i += 3
                continue
        out.append(token)
        i += 1
    return out


def _lone_url(inline: Token) -> tuple[str, str]:
    """The URL (and link text) of an inline block that is a bare URL, an autolink or one link."""
    content = inline.content.strip()
    if re.fullmatch(r"https?://\S+", content):
        return content, ""
    children = [c for c in inline.children or () if not (c.type == "text" and not c.content.strip())]
    if len(children) >= 2 and children[0].type == "link_open" and children[-1].type == "link_close":
        text = "".join(c.content for c in children[1:-1] if c.type == "text")
        return str(children[0].attrGet("href") or ""), "" if text.startswith("http") else text
    return "", ""


def _render_blockquote(
    renderer: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    token = tokens[idx]
    kind = token.meta.get("callout") if token.meta else None
    if not kind:
        return renderer.renderToken(tokens, idx, options, env)
    if token.nesting < 0:
        return "</div>\n"
    label = escapeHtml(gettext_of(env.get("lang") or "en")(CALLOUTS[kind]))
    icon = (
        '<svg class="callout-icon" viewBox="0 0 24 24" width="20" height="20" aria-hidden="true" '
        f'focusable="false"><path fill="currentColor" d="{_ICON_PATHS[kind]}"/></svg>'
    )
    return f'<div class="callout callout-{kind}" role="note">\n<p class="callout-title">{icon}{label}</p>\n'


def _render_video(
    renderer: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    meta = tokens[idx].meta
    tr = gettext_of(env.get("lang") or "en")
    title = meta["title"] or tr(N_("Video on {service}")).format(service=meta["service"])
    link = tr(N_("Watch on {service}")).format(service=meta["service"])
    return (
        f'<figure class="video"><iframe src="{escapeHtml(meta["src"])}" title="{escapeHtml(title)}" '
        'loading="lazy" referrerpolicy="strict-origin-when-cross-origin" '
        'allow="encrypted-media; picture-in-picture; fullscreen" allowfullscreen></iframe>'
        f'<figcaption><a href="{escapeHtml(meta["url"])}" rel="noopener noreferrer">{escapeHtml(link)}</a>'
        "</figcaption></figure>\n"
    )


def make_excerpt(text: str, limit: int = EXCERPT_LENGTH) -> str:
    """The first ``limit`` characters of plain text, cut at a word boundary."""
    flat = " ".join(text.split())
    if len(flat) <= limit:
        return flat
    cut = flat[:limit].rsplit(" ", 1)[0].rstrip(_EXCERPT_TRAILING)
    return cut + "…"


def _translate_images(token: Token, translate: Translator) -> None:
    """A screenshot's path is a segment of its own: a catalog may name the picture for its language."""
    for child in token.children or ():
        src = str(child.attrGet("src") or "") if child.type == "image" else ""
        if src and is_local(src) and (translated := translate(src)):
            child.attrSet("src", translated)


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
        _translate_images(token, translate)
        if translated:
            continue
        missing += 1
        j = i - 1
        while j > 0 and tokens[j].hidden:  # tight list items hide their paragraph
            j -= 1
        if j >= 0 and tokens[j].nesting == 1:
            tokens[j].attrSet("lang", source_lang)
    return missing


def render_markdown(
    source: str,
    first_line: int = 1,
    translate: Translator | None = None,
    source_lang: str = "",
    context: ReferenceContext | None = None,
    origins: tuple[tuple[str, int], ...] = (),
) -> Rendered:
    """Parse ``source`` once; ``first_line`` is the file line the body starts on (for segments).

    With ``translate``, each block's text is replaced by its translation where there is one, and
    blocks without one keep the source text, marked with ``lang=source_lang``. With ``context``,
    images and links are resolved against the article's file (see ``_resolve_references``), and
    callout labels are in the context's language.
    """
    env: dict[str, Any] = {"lang": context.lang if context else ""}
    tokens = _mark_videos(_mark_callouts(_PARSER.parse(source, env), env))
    untranslated = _translate(tokens, env, translate, source_lang) if translate else 0
    refs = _References(context, [], [], first_line=first_line, origins=origins) if context else None
    if refs is not None:
        _resolve_references(tokens, refs)
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
        references=tuple(refs.found) if refs else (),
        problems=tuple(refs.problems) if refs else (),
        image=refs.image if refs else "",
    )


def create_parser() -> MarkdownIt:
    """The one configured parser: js-default (raw HTML off), tables, footnotes, task lists."""
    md = MarkdownIt("js-default", {"highlight": highlight_code, "maxNesting": MAX_NESTING})
    md.use(footnote_plugin).use(tasklists_plugin)
    md.validateLink = is_safe_link  # type: ignore[method-assign]
    md.add_render_rule("link_open", _render_link_open)
    md.add_render_rule("th_open", _render_cell_open)
    md.add_render_rule("td_open", _render_cell_open)
    md.add_render_rule("blockquote_open", _render_blockquote)
    md.add_render_rule("blockquote_close", _render_blockquote)
    md.add_render_rule("video", _render_video)
    _keep_deep_text(md)
    return md


_PARSER = create_parser()
