"""A generator of realistic multilingual help articles (nb, sv, en) for the search benchmarks.

Articles are 300-900 words of Markdown with a title, ``##`` headings, numbered steps, bullet
lists, tables, tips and tags. Words follow a Zipf-like distribution over a help-center vocabulary,
and Norwegian and Swedish get compounds (``kurs`` + ``bevis`` -> ``kursbevis``) as real text does.
Each article is rendered by ``kb.content.markup.render_markdown`` into a kb ``Article``, exactly what the
content loader hands to the indexer, so the index sees the same plain text and headings.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import random
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import yaml

from kb.content.markup import render_markdown
from kb.model import Article, Category, slugify

LANGUAGES = ("nb", "sv", "en")

WORDS = yaml.safe_load(
    (Path(__file__).resolve().parent / "data" / "help_corpus_words.yml").read_text("utf-8")
)
CATEGORIES: dict[str, dict[str, str]] = WORDS["categories"]
AUTHORS: tuple[str, ...] = tuple(WORDS["authors"])
VOCABULARY: dict[str, dict[str, list[str]]] = WORDS["vocabulary"]
SYLLABLES: dict[str, list[str]] = WORDS["syllables"]
RARE_SHARE = 0.06


@dataclass(frozen=True)
class GeneratedArticle:
    """One generated article: its Markdown source (front-matter included) and the parts kb needs."""

    lang: str
    slug: str
    title: str
    author: str
    date: dt.date
    category_key: str
    tags: tuple[str, ...]
    body: str

    def source(self) -> str:
        tags = ", ".join(self.tags)
        return (
            f'---\ntitle: "{self.title}"\nauthor: {self.author}\ndate: {self.date.isoformat()}\n'
            f"category: {CATEGORIES[self.category_key][self.lang]}\ntags: [{tags}]\n---\n\n{self.body}"
        )


class Writer:
    """Help-article Markdown in one language, words drawn with Zipf-like frequencies."""

    def __init__(self, rng: random.Random, lang: str) -> None:
        self.rng = rng
        self.lang = lang
        self.vocab = VOCABULARY[lang]
        self.words = 0
        self._weights = {
            kind: [1.0 / (rank + 1) ** 0.8 for rank in range(len(values))]
            for kind, values in self.vocab.items()
        }

    def rare(self) -> str:
        """A long-tail word (product names, codes, rare terms): real vocabularies keep growing."""
        syllables = SYLLABLES[self.lang]
        word = "".join(self.rng.choice(syllables) for _ in range(self.rng.randint(2, 4)))
        return word if self.rng.random() < 0.8 else f"{word}{self.rng.randint(2, 999)}"

    def pick(self, kind: str) -> str:
        if kind == "nouns" and self.rng.random() < RARE_SHARE:
            return self.rare()
        if kind == "nouns" and self.vocab["heads"] and self.rng.random() < 0.12:
            return self.rng.choice(self.vocab["heads"]).rstrip("-") + self.rng.choice(self.vocab["tails"])
        return self.rng.choices(self.vocab[kind], weights=self._weights[kind])[0]

    def sentence(self) -> str:
        parts: list[str] = []
        for _ in range(self.rng.randint(7, 16)):
            roll = self.rng.random()
            kind = "glue" if roll < 0.42 else "nouns" if roll < 0.75 else "verbs" if roll < 0.88 else "adjs"
            parts.append(self.pick(kind))
        self.words += len(parts)
        if self.rng.random() < 0.15:
            parts[self.rng.randrange(len(parts))] = f"**{self.pick('nouns').capitalize()}**"
        if self.rng.random() < 0.06:
            noun = self.pick("nouns")
            parts.append(f"([{noun}](https://help.example.com/{self.lang}/{slugify(noun)}/))")
        if self.rng.random() < 0.04:
            parts.append(f"`{self.pick('nouns')}`")
        text = " ".join(parts)
        return text[0].upper() + text[1:] + self.rng.choice(".....?!")

    def paragraph(self) -> str:
        return " ".join(self.sentence() for _ in range(self.rng.randint(2, 5)))

    def block(self) -> str:
        roll = self.rng.random()
        if roll < 0.45:
            return "\n".join(
                f"{n}. {self.pick('verbs').capitalize()} **{self.pick('nouns').capitalize()}**. "
                f"{self.sentence()}"
                for n in range(1, self.rng.randint(3, 8))
            )
        if roll < 0.75:
            return "\n".join(f"- {self.sentence()}" for _ in range(self.rng.randint(2, 5)))
        if roll < 0.9:
            rows = [
                "| " + " | ".join(self.pick("nouns").capitalize() for _ in range(3)) + " |",
                "|---|---|---|",
            ]
            for _ in range(self.rng.randint(2, 6)):
                self.words += 4
                rows.append(f"| {self.pick('nouns')} | {self.pick('adjs')} | {self.rng.randint(1, 90)} min |")
            return "\n".join(rows)
        return '```json\n{"participant": "ester@example.com", "project": 42, "active": true}\n```'

    def body(self) -> str:
        target = self.rng.randint(300, 900)
        blocks = [self.paragraph()]
        headings = self.rng.sample(self.vocab["headings"], k=len(self.vocab["headings"]))
        while self.words < target:
            heading = headings.pop() if headings else self.sentence().rstrip(".?!")[:40]
            blocks += [f"## {heading}", self.paragraph(), self.block()]
            if self.rng.random() < 0.25:
                blocks.append(f"> **{self.vocab['tip'][0]}:** {self.sentence()}")
        return "\n\n".join(blocks) + "\n"

    def title(self) -> str:
        template = self.rng.choice(self.vocab["titles"])
        noun = self.pick("nouns")
        return template.format(
            v=self.pick("verbs"), n=noun, N=noun.capitalize(), n2=self.pick("nouns"), adj=self.pick("adjs")
        )


def generate(n: int, seed: int = 1, languages: tuple[str, ...] = LANGUAGES) -> Iterator[GeneratedArticle]:
    """``n`` articles spread evenly over ``languages``; the same seed gives the same articles."""
    rng = random.Random(seed)
    for i in range(n):
        lang = languages[i % len(languages)]
        writer = Writer(rng, lang)
        title = writer.title()
        yield GeneratedArticle(
            lang=lang,
            slug=f"{slugify(title)[:60].strip('-')}-{i}",
            title=title,
            author=rng.choice(AUTHORS),
            date=dt.date(2019, 1, 1) + dt.timedelta(days=rng.randrange(2000)),
            category_key=rng.choice(list(CATEGORIES)),
            tags=tuple(dict.fromkeys(writer.pick("nouns") for _ in range(rng.randint(1, 4)))),
            body=writer.body(),
        )


def category(key: str, lang: str) -> Category:
    name = CATEGORIES[key][lang]
    return Category(key=key, lang=lang, name=name, slug=slugify(name))


def to_article(item: GeneratedArticle, keep_html: bool = True) -> Article:
    """The kb Article the content loader would build from ``item.source()``.

    ``keep_html=False`` drops the HTML and segments, which indexing never reads, to keep a 50k
    corpus in memory without measuring the benchmark's own copies as the index's memory.
    """
    rendered = render_markdown(item.body)
    source = item.source().encode("utf-8")
    return Article(
        lang=item.lang,
        slug=item.slug,
        title=item.title,
        author=item.author,
        date=item.date,
        category=category(item.category_key, item.lang),
        path=f"articles/{item.lang}/{item.slug}.md",
        html=rendered.html if keep_html else "",
        text=rendered.text,
        excerpt=rendered.excerpt,
        toc=rendered.toc,
        segments=rendered.segments if keep_html else (),
        tags=item.tags,
        links=rendered.links,
        source_hash=hashlib.sha256(source).hexdigest(),
    )


def write_knowledge_base(root: Path, items: list[GeneratedArticle]) -> None:
    """The articles as files of a knowledge base at ``root`` (for benchmarks that load from disk)."""
    (root / "kb.yml").write_text(f"site_name: Bench\nlanguages: [{', '.join(LANGUAGES)}]\n", encoding="utf-8")
    for item in items:
        folder = root / "articles" / item.lang
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{item.slug}.md").write_text(item.source(), encoding="utf-8")
