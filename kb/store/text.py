"""The authors' report (``build_report``'s dict) as plain-text tables for a terminal."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Sequence
from typing import Any

Translate = Callable[[str], str]  # the command line's gettext, passed in: the store imports no kb.i18n

WIDEST = 60  # characters of a query, title or reason shown in one cell


def printable(text: object, width: int = WIDEST) -> str:
    """A cell's text: controls and format characters (terminal escapes) dropped, cut to ``width``."""
    shown = "".join(ch for ch in str(text) if unicodedata.category(ch) not in ("Cc", "Cf", "Cs"))
    return shown if len(shown) <= width else shown[: width - 1] + "…"


def table(headers: Sequence[str], rows: Sequence[Sequence[object]], numeric: Sequence[int] = ()) -> str:
    """Columns padded to their widest cell; the ``numeric`` columns right-aligned."""
    cells = [[printable(h) for h in headers], *([printable(c) for c in row] for row in rows)]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = []
    for n, row in enumerate(cells):
        pairs = enumerate(zip(row, widths, strict=True))
        parts = [c.rjust(w) if i in numeric else c.ljust(w) for i, (c, w) in pairs]
        lines.append("  ".join(parts).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _queries(title: str, rows: list[dict[str, Any]], _: Translate) -> str:
    body = table(
        [_("query"), _("language"), _("searches")], [(r["query"], r["lang"], r["count"]) for r in rows], (2,)
    )
    return f"{title}\n{body if rows else _('(none)')}"


def report_text(report: dict[str, Any], _: Translate) -> str:
    """Every section of the report as a titled table, in the order authors read them, in ``_``'s language."""
    period = report["period"]
    head = _("Reader report: the last {days} days ({language}), {searches} searches").format(
        days=period["days"], language=period["lang"] or _("all languages"), searches=report["searches"]
    )
    articles = [
        (
            a["title"] or a["slug"], a["lang"], a["yes"], a["no"], f"{round(a['helpful_share'] * 100)} %",
            "; ".join(f"{r['reason']} ({r['count']})" for r in a["reasons"]),
        )
        for a in report["articles"]
    ]  # fmt: skip
    article_table = table(
        [_("article"), _("language"), _("yes"), _("no"), _("helpful"), _("reasons")], articles, (2, 3, 4)
    )
    suggestions = [
        (s["query"], s["lang"], s["count"], ", ".join(a["slug"] for a in s["articles"]))
        for s in report["suggestions"]
    ]
    suggestion_table = table(
        [_("query"), _("language"), _("searches"), _("close articles")], suggestions, (2,)
    )
    sections = [
        head,
        _queries(_("Top queries"), report["top_queries"], _),
        _queries(_("Queries with no results"), report["zero_result_queries"], _),
        _queries(_("Queries whose results nobody opened"), report["unopened_queries"], _),
        _("Articles by helpfulness") + "\n" + (article_table if articles else _("(none)")),
        _("Zero-result queries close to an article")
        + "\n"
        + (suggestion_table if suggestions else _("(none)")),
    ]
    return "\n\n".join(sections)
