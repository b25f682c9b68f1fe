"""Import of help-center pages exported as plain text into front-matter Markdown articles."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from kb.content.files import atomic_write_text
from kb.content.frontmatter import decode_source, dump_front_matter
from kb.errors import ContentError
from kb.i18n import _
from kb.model import fit_slug, slugify

TITLE = re.compile(r"^#{1,6}[ \t]+(?P<title>.+?)(?:[ \t]+#+)?[ \t]*$")
DASH = "[-\u2013\u2014]"  # hyphen, en dash or em dash between the byline's parts
BYLINE = re.compile(
    rf"^(?P<author>.+?)\s+{DASH}\s+(?P<date>\d{{4}}-\d{{2}}-\d{{2}})\s+{DASH}\s+(?P<category>.+?)\s*$"
)
LIST_ITEM = re.compile(r"^(?P<indent> *)(?P<marker>[-*+]|\d{1,9}[.)])(?P<space> +)(?=\S)")
CODE_FENCE = re.compile(r"^ {0,3}(?P<fence>`{3,}|~{3,})")


@dataclass(frozen=True)
class ExportedPage:
    """One page of a help-center export: its metadata and its Markdown body."""

    title: str
    author: str
    date: dt.date
    category: str
    body: str

    @property
    def slug(self) -> str:
        return fit_slug(slugify(self.title))

    def to_markdown(self) -> str:
        """The page as a kb article: YAML front-matter, a blank line, then the body."""
        front = {
            "title": self.title,
            "author": self.author,
            "date": self.date,
            "category": self.category,
        }
        return f"{dump_front_matter(front)}\n{self.body.strip()}\n"


def repair_list_indentation(body: str) -> str:
    """Indent sub-items that an export shifted left so they nest under their parent item again.

    CommonMark nests an item only when it is indented to its parent's content column (three
    spaces under ``1. ``); exports often indent by two, which flattens the steps into one list.
    Fenced code blocks are copied as they are.
    """
    out: list[str] = []
    stack: list[tuple[int, int]] = []  # (indent as written, content column after repair)
    fence = ""
    for line in body.split("\n"):
        opened = CODE_FENCE.match(line)
        if fence:
            if opened and opened["fence"][0] == fence[0] and len(opened["fence"]) >= len(fence):
                fence = ""
            out.append(line)
            continue
        if opened:
            fence = opened["fence"]
            out.append(line)
            continue
        match = LIST_ITEM.match(line)
        if match is None:
            if line.strip() and not line.startswith(" "):
                stack.clear()
            out.append(line)
            continue
        indent = len(match["indent"])
        while stack and stack[-1][0] >= indent:
            stack.pop()
        new_indent = indent
        if stack and 0 < indent < stack[-1][1]:
            new_indent = stack[-1][1]
        content_column = new_indent + len(match["marker"]) + len(match["space"])
        stack.append((indent, content_column))
        out.append(" " * new_indent + line[indent:])
    return "\n".join(out)


def parse_export(text: str, path: str) -> ExportedPage:
    """Read one exported page: ``## Title``, then ``Author - YYYY-MM-DD - Category``, then a body."""
    lines = text.split("\n")
    numbered = [(n, line) for n, line in enumerate(lines, start=1) if line.strip()]
    if not numbered:
        raise ContentError(path, 1, _("empty file: expected a '## Title' line"))
    title_line, title_text = numbered[0]
    title = TITLE.match(title_text.strip())
    if title is None:
        raise ContentError(path, title_line, _("expected a '## Title' line"))
    byline_expected = _("expected an 'Author - YYYY-MM-DD - Category' line")
    if len(numbered) < 2:
        raise ContentError(path, title_line, byline_expected)
    byline_line, byline_text = numbered[1]
    byline = BYLINE.match(byline_text.strip())
    if byline is None:
        raise ContentError(path, byline_line, byline_expected)
    try:
        date = dt.date.fromisoformat(byline["date"])
    except ValueError as exc:
        message = _("bad date {value!r}: {reason}").format(value=byline["date"], reason=exc)
        raise ContentError(path, byline_line, message) from exc
    body = "\n".join(lines[byline_line:])
    return ExportedPage(
        title=title["title"],
        author=byline["author"],
        date=date,
        category=byline["category"],
        body=repair_list_indentation(body),
    )


def import_file(
    source: Path, articles_dir: Path, lang: str, force: bool = False, taken: Mapping[str, str] | None = None
) -> Path:
    """Convert one export into ``articles/<lang>/<slug>.md``; refuse to overwrite unless forced.

    ``taken`` maps each slug the language's articles use already to the file using it (see
    ``loader.slugs_in_use``): another file's slug is refused too, or it would replace that article.
    """
    page = parse_export(decode_source(source.read_bytes(), str(source)), str(source))
    if not page.slug:
        raise ContentError(str(source), 1, _("the title gives no usable slug"))
    target = articles_dir / lang / f"{page.slug}.md"
    if target.exists() and not force:
        shown = target.relative_to(articles_dir.parent).as_posix()
        message = _("{target} exists already (use --force to overwrite)").format(target=shown)
        raise ContentError(str(source), 1, message)
    other = (taken or {}).get(page.slug)
    shown = target.relative_to(articles_dir.parent).as_posix()
    if other is not None and other != shown and not force:
        message = _("the slug {slug!r} is used already by {other}: that article would be replaced")
        raise ContentError(str(source), 1, message.format(slug=page.slug, other=other))
    try:
        atomic_write_text(target, page.to_markdown(), exclusive=not force)
    except FileExistsError as exc:  # written by another run since the check above
        message = _("{target} exists already (use --force to overwrite)").format(target=shown)
        raise ContentError(str(source), 1, message) from exc
    return target
