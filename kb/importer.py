"""Import of help-center pages exported as plain text into front-matter Markdown articles."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from kb.content import decode_source
from kb.errors import ContentError
from kb.i18n import _
from kb.model import slugify

TITLE = re.compile(r"^#{1,6}\s+(?P<title>.+?)\s*#*\s*$")
BYLINE = re.compile(r"^(?P<author>.+?)\s+[-–—]\s+(?P<date>\d{4}-\d{2}-\d{2})\s+[-–—]\s+(?P<category>.+?)\s*$")
LIST_ITEM = re.compile(r"^(?P<indent> *)(?P<marker>[-*+]|\d{1,9}[.)])(?P<space> +)(?=\S)")


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
        return slugify(self.title)

    def to_markdown(self) -> str:
        """The page as a kb article: YAML front-matter, a blank line, then the body."""
        front = {
            "title": self.title,
            "author": self.author,
            "date": self.date,
            "category": self.category,
        }
        header = yaml.safe_dump(front, allow_unicode=True, sort_keys=False, width=10_000)
        return f"---\n{header}---\n\n{self.body.strip()}\n"


def repair_list_indentation(body: str) -> str:
    """Indent sub-items that an export shifted left so they nest under their parent item again.

    CommonMark nests an item only when it is indented to its parent's content column (three
    spaces under ``1. ``); exports often indent by two, which flattens the steps into one list.
    """
    out: list[str] = []
    stack: list[tuple[int, int]] = []  # (indent as written, content column after repair)
    for line in body.split("\n"):
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
        if stack and indent > 0 and indent < stack[-1][1]:
            new_indent = stack[-1][1]
        content_column = new_indent + len(match["marker"]) + len(match["space"])
        stack.append((indent, content_column))
        out.append(" " * new_indent + line[indent:])
    return "\n".join(out)


def parse_export(text: str, path: str) -> ExportedPage:
    """Read one exported page: a ``## Title`` line, an ``Author - YYYY-MM-DD - Category`` line, a body."""
    lines = text.split("\n")
    numbered = [(n, line) for n, line in enumerate(lines, start=1) if line.strip()]
    if not numbered:
        raise ContentError(path, 1, _("empty file: expected a '## Title' line"))
    title_line, title_text = numbered[0]
    title = TITLE.match(title_text.strip())
    if title is None:
        raise ContentError(path, title_line, _("expected a '## Title' line"))
    if len(numbered) < 2:
        raise ContentError(path, title_line, _("expected an 'Author - YYYY-MM-DD - Category' line"))
    byline_line, byline_text = numbered[1]
    byline = BYLINE.match(byline_text.strip())
    if byline is None:
        raise ContentError(path, byline_line, _("expected an 'Author - YYYY-MM-DD - Category' line"))
    try:
        date = dt.date.fromisoformat(byline["date"])
    except ValueError as exc:
        raise ContentError(
            path,
            byline_line,
            _("bad date {value!r}: {reason}").format(value=byline["date"], reason=exc),
        ) from exc
    body = "\n".join(lines[byline_line:])
    return ExportedPage(
        title=title["title"],
        author=byline["author"],
        date=date,
        category=byline["category"],
        body=repair_list_indentation(body),
    )


def import_file(source: Path, articles_dir: Path, lang: str, force: bool = False) -> Path:
    """Convert one export into ``articles/<lang>/<slug>.md``; refuse to overwrite unless forced."""
    page = parse_export(decode_source(source.read_bytes(), str(source)), str(source))
    if not page.slug:
        raise ContentError(str(source), 1, _("the title gives no usable slug"))
    target = articles_dir / lang / f"{page.slug}.md"
    if target.exists() and not force:
        raise ContentError(
            str(source),
            1,
            _("{target} exists already (use --force to overwrite)").format(target=target),
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(page.to_markdown(), encoding="utf-8")
    return target
