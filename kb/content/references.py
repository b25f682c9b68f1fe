"""Links between articles once all are loaded: placeholders made URLs, anchors and aliases checked."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from kb.errors import Problems
from kb.i18n import _, language_name
from kb.model import Article, Reference

ARTICLE_LINK = "kb-article:"  # a scheme no author can write (links with unknown schemes are refused)
# Both placeholders, found by their common literal start (4x faster over 27 MB of pages than an
# alternation); what must come before each (``href="``, ``<!--``) is checked where one is found.
_PLACEHOLDER = re.compile(r'kb-(?:article:(\d+)"|lang:(\d+)-->)')
DEFAULT_MAX_BYTES = 1_000_000


@dataclass(frozen=True)
class ReferenceContext:
    """What resolving an article's links and images needs: the root, the article's file and language."""

    root: Path
    path: str
    lang: str
    max_bytes: int = DEFAULT_MAX_BYTES


def article_link(index: int) -> str:
    """The placeholder href of the article's ``index``-th reference, replaced by ``link_articles``."""
    return f"{ARTICLE_LINK}{index}"


def language_marker(index: int) -> str:
    """Where a link's "(in another language)" mark goes, after the link."""
    return f"<!--kb-lang:{index}-->"


@dataclass(frozen=True)
class _Target:
    url: str
    lang: str


class Linker:
    """Resolves ``.md`` links to article URLs in the reader's language, else the default one."""

    def __init__(self, articles: Iterable[Article], default_language: str) -> None:
        self.articles = list(articles)
        self.default = default_language
        self.by_path = {a.path: a for a in self.articles if not a.translation}
        self.by_key = {(a.lang, a.slug): a for a in self.articles}

    def target(self, article: Article, ref: Reference) -> _Target | None:
        written = self.by_path.get(ref.resolved)
        if written is None:
            return None
        chosen = (
            self.by_key.get((article.lang, written.slug))
            or self.by_key.get((self.default, written.slug))
            or written
        )
        anchor = self.anchor(written, chosen, ref.fragment)
        return _Target(chosen.url + (f"#{anchor}" if anchor else ""), chosen.lang)

    @staticmethod
    def anchor(written: Article, chosen: Article, fragment: str) -> str:
        """The heading id on the page linked to: the same heading, by position, in a translation."""
        if not fragment or written is chosen:
            return fragment
        anchors = [h.anchor for h in written.toc]
        if fragment in anchors and len(chosen.toc) == len(anchors):
            return chosen.toc[anchors.index(fragment)].anchor
        return fragment

    def link(self, article: Article) -> Article:
        """``article`` with its placeholders replaced by URLs (and marks for other languages)."""
        if not article.references or ARTICLE_LINK not in article.html:
            return article
        targets = [self.target(article, ref) if ref.kind == "article" else None for ref in article.references]
        page = article.html
        pieces: list[str] = []
        done = 0  # where the page is copied up to
        for match in _PLACEHOLDER.finditer(page):
            start = match.start()
            if match[1] is not None and page.endswith('href="', 0, start):
                found = targets[int(match[1])]
                url = found.url if found else article.references[int(match[1])].target
                pieces += (page[done:start], url, '"')
            elif match[2] is not None and page.endswith("<!--", 0, start):
                pieces.append(page[done : start - 4])
                found = targets[int(match[2])]
                if found is not None and found.lang != article.lang:
                    name = language_name(found.lang)
                    pieces.append(f' <span class="link-language" lang="{found.lang}">({name})</span>')
            else:
                continue
            done = match.end()
        pieces.append(page[done:])
        links = tuple(self._link(article, targets, link) for link in article.links)
        return dataclasses.replace(article, html="".join(pieces), links=links)

    @staticmethod
    def _link(article: Article, targets: list[_Target | None], link: str) -> str:
        if not link.startswith(ARTICLE_LINK):
            return link
        index = int(link[len(ARTICLE_LINK) :])
        found = targets[index]
        return found.url if found else article.references[index].target

    def check(self, article: Article, problems: Problems) -> None:
        """Report broken article links and unknown heading anchors of a written article."""
        own = {h.anchor for h in article.toc}
        footnotes: set[str] | None = None  # read from the page only when a link needs them
        for ref in article.references:
            if ref.kind == "anchor" and ref.fragment not in own:
                if footnotes is None:
                    footnotes = _footnote_ids(article)
                    own |= footnotes
                if ref.fragment in own:
                    continue
                message = _("unknown anchor #{anchor} (headings here: {known})")
                known = ", ".join("#" + h.anchor for h in article.toc) or "-"
                problems.add(ref.path, ref.line, message.format(anchor=ref.fragment, known=known))
            elif ref.kind == "article":
                written = self.by_path.get(ref.resolved)
                if written is None:
                    message = _("broken link to {target}: there is no article {path}")
                    problems.add(ref.path, ref.line, message.format(target=ref.target, path=ref.resolved))
                elif ref.fragment and ref.fragment not in {h.anchor for h in written.toc}:
                    message = _("unknown anchor #{anchor} in {path}")
                    problems.add(ref.path, ref.line, message.format(anchor=ref.fragment, path=written.path))


def _footnote_ids(article: Article) -> set[str]:
    return set(re.findall(r'id="(fn[^"]*)"', article.html))


def link_articles(articles: list[Article], default_language: str, problems: Problems) -> list[Article]:
    """Every article with its links resolved; broken ones reported at their ``path:line``."""
    linker = Linker(articles, default_language)
    for article in articles:
        if not article.translation:
            linker.check(article, problems)
    return [linker.link(a) for a in articles]


def check_aliases(articles: list[Article], problems: Problems) -> None:
    """An alias that is another article's slug, or another article's alias, is an error naming it."""
    slugs = {(a.lang, a.slug): a for a in articles}
    taken: dict[tuple[str, str], Article] = {}
    for article in articles:
        for ref in article.references:
            if ref.kind != "alias":
                continue
            alias, line = ref.target, ref.line
            key = (article.lang, alias)
            if key in slugs:
                message = _("alias {alias!r} collides with the slug of {other}")
                problems.add(article.path, line, message.format(alias=alias, other=slugs[key].path))
            elif key in taken and taken[key] is not article:
                message = _("alias {alias!r} is also an alias of {other}")
                problems.add(article.path, line, message.format(alias=alias, other=taken[key].path))
            else:
                taken[key] = article
