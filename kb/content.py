"""Content loading: read articles and categories from disk, validate front-matter, build the Library."""

from __future__ import annotations

import dataclasses
import datetime as dt
import difflib
import hashlib
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from kb.errors import ConfigError, ContentError
from kb.i18n import (
    _,
    content_catalog_path,
    is_known_language,
    normalize_language,
    protected_parts,
    read_content_catalog,
)
from kb.markup import make_excerpt, render_markdown
from kb.model import Article, Category, Library, Segment, slugify, unique
from kb.settings import DEFAULT_LANGUAGES, Settings, resolve_root

try:  # the C loader is several times faster; both report the same marks
    from yaml import CSafeLoader as YamlLoader
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    from yaml import SafeLoader as YamlLoader  # type: ignore[assignment]

REQUIRED = ("title", "author", "date", "category")
OPTIONAL = ("slug", "tags", "summary", "updated", "draft", "order", "keywords", "lang")
KNOWN_KEYS = REQUIRED + OPTIONAL
FENCE = re.compile(r"^(---|\.\.\.)[ \t]*$")
SLUG = re.compile(r"^[^\W_][\w-]*$")
TAG_STR = "tag:yaml.org,2002:str"
TAG_BOOL = "tag:yaml.org,2002:bool"
TAG_INT = "tag:yaml.org,2002:int"
TAG_NULL = "tag:yaml.org,2002:null"
TAG_TIMESTAMP = "tag:yaml.org,2002:timestamp"
BOOLEANS = {"true": True, "yes": True, "on": True, "false": False, "no": False, "off": False}


@dataclass(frozen=True)
class FrontMatter:
    """The front-matter of one file: values by key, the line of each key, and the body."""

    values: dict[str, Any]
    lines: dict[str, int]
    body: str
    body_line: int


@dataclass(frozen=True)
class LoadResult:
    """A Library of the articles that loaded, and every problem found on the way."""

    library: Library
    problems: tuple[ContentError, ...] = ()
    drafts: tuple[Article, ...] = ()

    @property
    def errors(self) -> tuple[ContentError, ...]:
        return tuple(p for p in self.problems if p.is_error)

    @property
    def warnings(self) -> tuple[ContentError, ...]:
        return tuple(p for p in self.problems if not p.is_error)


@dataclass
class _Problems:
    items: list[ContentError] = field(default_factory=list)

    def add(self, path: str, line: int, message: str, severity: str = "error") -> None:
        self.items.append(ContentError(path, line, message, severity))


# --- settings -----------------------------------------------------------------------------------


def load_settings(root: str | Path | None = None) -> Settings:
    """Settings for the knowledge base at ``root`` (or ``KB_ROOT``, or here), from its ``kb.yml``."""
    base = resolve_root(root)
    config = base / "kb.yml"
    data: dict[str, Any] = {}
    if config.is_file():
        try:
            loaded = yaml.load(config.read_text(encoding="utf-8-sig"), Loader=YamlLoader)
        except (yaml.YAMLError, UnicodeDecodeError) as exc:
            raise ConfigError(_("kb.yml: cannot be read: {error}").format(error=exc)) from exc
        if loaded is not None and not isinstance(loaded, dict):
            raise ConfigError(_("kb.yml: must be a mapping of keys to values"))
        data = loaded or {}
    unknown = sorted(set(data) - {"site_name", "languages", "default_language", "base_url"})
    if unknown:
        raise ConfigError(_("kb.yml: unknown key {key!r}").format(key=unknown[0]))
    languages = data.get("languages") or _discover_languages(base / "articles")
    if not isinstance(languages, list | tuple) or not all(isinstance(x, str) for x in languages):
        raise ConfigError(_("kb.yml: 'languages' must be a list of language codes (quote 'no')"))
    languages = tuple(normalize_language(x) for x in languages)
    default = normalize_language(str(data.get("default_language") or languages[0]))
    if default not in languages:
        raise ConfigError(_("kb.yml: default_language {lang!r} is not in languages").format(lang=default))
    return Settings(
        root=base,
        site_name=str(data.get("site_name") or "Help Center"),
        languages=languages,
        default_language=default,
        base_url=str(data.get("base_url") or "").rstrip("/"),
    )


def _discover_languages(articles_dir: Path) -> tuple[str, ...]:
    if not articles_dir.is_dir():
        return DEFAULT_LANGUAGES
    found = sorted(p.name for p in articles_dir.iterdir() if p.is_dir() and is_known_language(p.name))
    return tuple(found) or DEFAULT_LANGUAGES


# --- reading one file ---------------------------------------------------------------------------


def decode_source(raw: bytes, path: str) -> str:
    """The text of a file: UTF-8 (a BOM allowed), line endings made ``\\n``."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        message = _("not valid UTF-8: byte 0x{byte:02x} at offset {offset}; save the file as UTF-8")
        raise ContentError(path, line, message.format(byte=raw[exc.start], offset=exc.start)) from exc
    if "\x00" in text:
        line = text.count("\n", 0, text.index("\x00")) + 1
        raise ContentError(path, line, _("contains a NUL character: this is not a text file"))
    return text.replace("\r\n", "\n").replace("\r", "\n")


def split_front_matter(text: str, path: str) -> tuple[str, str, int]:
    """The YAML text between the fences, the body, and the file line the body starts on."""
    lines = text.split("\n")
    if not lines or not FENCE.match(lines[0]) or lines[0].startswith("..."):
        raise ContentError(path, 1, _("no front-matter: the file must start with a '---' line"))
    for number, line in enumerate(lines[1:], start=2):
        if FENCE.match(line):
            return "\n".join(lines[1 : number - 1]), "\n".join(lines[number:]), number + 1
    raise ContentError(path, 1, _("front-matter is never closed: add a '---' line after it"))


def parse_front_matter(text: str, path: str) -> FrontMatter:
    """Parse the front-matter of ``text`` into raw YAML nodes' values, keeping each key's line."""
    yaml_text, body, body_line = split_front_matter(text, path)
    try:
        node = yaml.compose(yaml_text, Loader=YamlLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 2 if mark is not None else 2
        raise ContentError(path, line, _("bad YAML: {problem}").format(problem=exc.problem)) from exc
    except yaml.YAMLError as exc:
        raise ContentError(path, 2, _("bad YAML: {problem}").format(problem=exc)) from exc
    if node is None:
        return FrontMatter({}, {}, body, body_line)
    if not isinstance(node, yaml.MappingNode):
        raise ContentError(path, 2, _("front-matter must be keys with values ('title: …')"))
    values: dict[str, Any] = {}
    lines: dict[str, int] = {}
    problems: list[ContentError] = []
    for key_node, value_node in node.value:
        key = str(key_node.value)
        line = key_node.start_mark.line + 2
        if key in lines:
            message = _("duplicate key {key!r} (first given on line {line})")
            problems.append(ContentError(path, line, message.format(key=key, line=lines[key])))
            continue
        values[key] = value_node
        lines[key] = line
    if problems:
        raise problems[0]
    return FrontMatter(values, lines, body, body_line)


# --- validating values --------------------------------------------------------------------------


def _as_text(node: yaml.Node, key: str) -> str:
    """A plain scalar as the author wrote it: ``title: no`` is the text "no", not false."""
    if isinstance(node, yaml.ScalarNode):
        if node.tag == TAG_NULL and node.value in ("", "~", "null", "Null", "NULL"):
            raise ValueError(_("{key!r} is empty").format(key=key))
        return str(node.value).strip()
    kind = _("a list") if isinstance(node, yaml.SequenceNode) else _("a mapping")
    raise ValueError(_("{key!r} must be text, not {kind}").format(key=key, kind=kind))


def _as_list(node: yaml.Node, key: str) -> tuple[str, ...]:
    if isinstance(node, yaml.ScalarNode):
        if node.tag == TAG_NULL:
            return ()
        return tuple(part.strip() for part in str(node.value).split(",") if part.strip())
    if isinstance(node, yaml.SequenceNode):
        return unique(_as_text(item, key) for item in node.value)
    raise ValueError(_("{key!r} must be a list like [a, b], not a mapping").format(key=key))


def _as_date(node: yaml.Node, key: str) -> dt.date:
    text = _as_text(node, key).strip("'\"")
    match = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})(?:[T ][0-9:.+\-Z ]*)?", text)
    if match is None:
        raise ValueError(
            _("bad date {value!r} for {key!r}: write it as YYYY-MM-DD").format(value=text, key=key)
        )
    try:
        return dt.date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError as exc:
        raise ValueError(
            _("bad date {value!r} for {key!r}: {reason}").format(value=text, key=key, reason=exc)
        ) from exc


def _as_bool(node: yaml.Node, key: str) -> bool:
    text = _as_text(node, key).lower()
    if text not in BOOLEANS:
        raise ValueError(_("{key!r} must be true or false, not {value!r}").format(key=key, value=text))
    return BOOLEANS[text]


def _as_int(node: yaml.Node, key: str) -> int:
    text = _as_text(node, key)
    if isinstance(node, yaml.ScalarNode) and node.tag == TAG_INT and re.fullmatch(r"[-+]?\d+", text):
        return int(text)
    raise ValueError(_("{key!r} must be a whole number, not {value!r}").format(key=key, value=text))


CONVERTERS: dict[str, Callable[[yaml.Node, str], Any]] = {
    "title": _as_text,
    "author": _as_text,
    "category": _as_text,
    "summary": _as_text,
    "slug": _as_text,
    "lang": _as_text,
    "date": _as_date,
    "updated": _as_date,
    "draft": _as_bool,
    "order": _as_int,
    "tags": _as_list,
    "keywords": _as_list,
}


def validate_front_matter(front: FrontMatter, path: str, problems: _Problems) -> dict[str, Any] | None:
    """Typed values for the known keys, or None when any key is missing, unknown or mistyped."""
    ok = True
    values: dict[str, Any] = {}
    for key, node in front.values.items():
        line = front.lines[key]
        if key not in CONVERTERS:
            hint = difflib.get_close_matches(key, KNOWN_KEYS, n=1)
            message = _("unknown key {key!r}").format(key=key)
            if hint:
                message += " " + _("(did you mean {hint!r}?)").format(hint=hint[0])
            problems.add(path, line, message)
            ok = False
            continue
        try:
            values[key] = CONVERTERS[key](node, key)
        except ValueError as exc:
            problems.add(path, line, str(exc))
            ok = False
    for key in REQUIRED:
        if key not in front.values:
            problems.add(path, 1, _("missing required field {key!r}").format(key=key))
            ok = False
    if ok and "updated" in values and values["updated"] < values["date"]:
        problems.add(path, front.lines["updated"], _("'updated' is earlier than 'date'"), "warning")
    return values if ok else None


# --- categories ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class CategoryTable:
    """Categories from ``articles/categories.yml``: by language, each name and key to a Category."""

    by_lang: dict[str, dict[str, Category]]
    declared: bool

    def resolve(self, lang: str, value: str) -> Category | None:
        table = self.by_lang.get(lang, {})
        return table.get(value.casefold())

    def names(self, lang: str) -> list[str]:
        return sorted({c.name for c in self.by_lang.get(lang, {}).values()})


def load_categories(settings: Settings, problems: _Problems) -> CategoryTable:
    """Read ``articles/categories.yml`` (optional): per category key, names and descriptions by language."""
    path = settings.articles_dir / "categories.yml"
    rel = _relative(path, settings.root)
    table: dict[str, dict[str, Category]] = {lang: {} for lang in settings.languages}
    if not path.is_file():
        return CategoryTable(table, declared=False)
    try:
        data = yaml.load(decode_source(path.read_bytes(), rel), Loader=YamlLoader) or {}
    except ContentError as exc:
        problems.items.append(exc)
        return CategoryTable(table, declared=False)
    except yaml.MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else 1
        problems.add(rel, line, _("bad YAML: {problem}").format(problem=exc.problem))
        return CategoryTable(table, declared=False)
    if not isinstance(data, dict):
        problems.add(rel, 1, _("categories.yml must map category keys to their names"))
        return CategoryTable(table, declared=False)
    for position, (key, entry) in enumerate(data.items()):
        if not isinstance(entry, dict):
            problems.add(rel, 1, _("category {key!r} must be a mapping").format(key=key))
            continue
        order = entry.get("order", position + 1)
        for lang in settings.languages:
            local = entry.get(lang)
            if not isinstance(local, dict) or not local.get("name"):
                continue
            category = Category(
                key=str(key),
                lang=lang,
                name=str(local["name"]),
                slug=slugify(str(local["name"])) or slugify(str(key)),
                description=str(local.get("description") or ""),
                order=order if isinstance(order, int) else 1000,
            )
            table[lang][str(key).casefold()] = category
            table[lang][category.name.casefold()] = category
    return CategoryTable(table, declared=True)


# --- articles -----------------------------------------------------------------------------------


def _relative(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()


def read_article(
    raw: bytes, path: str, lang: str, categories: CategoryTable, problems: _Problems
) -> Article | None:
    """One Article from a file's bytes, or None after adding its problems to ``problems``."""
    try:
        text = decode_source(raw, path)
        front = parse_front_matter(text, path)
    except ContentError as exc:
        problems.items.append(exc)
        return None
    values = validate_front_matter(front, path, problems)
    if values is None:
        return None
    slug = values.get("slug") or Path(path).stem
    if not SLUG.match(slug):
        line = front.lines.get("slug", 1)
        problems.add(path, line, _("bad slug {slug!r}: use letters, digits and '-'").format(slug=slug))
        return None
    if "lang" in values and normalize_language(values["lang"]) != lang:
        message = _("'lang: {value}' does not match the folder's language {lang!r}")
        problems.add(path, front.lines["lang"], message.format(value=values["lang"], lang=lang))
        return None
    category = categories.resolve(lang, values["category"])
    if category is None and categories.declared:
        message = _("unknown category {name!r}").format(name=values["category"])
        hint = difflib.get_close_matches(values["category"], categories.names(lang), n=1)
        if hint:
            message += " " + _("(did you mean {hint!r}?)").format(hint=hint[0])
        problems.add(path, front.lines["category"], message)
        return None
    if category is None:
        name = values["category"]
        category = Category(key=slugify(name), lang=lang, name=name, slug=slugify(name) or "general")
    rendered = render_markdown(front.body, front.body_line)
    if not rendered.text.strip():
        problems.add(
            path,
            front.body_line - 1,
            _("the article has no text after its front-matter"),
            "warning",
        )
    summary = values.get("summary", "")
    return Article(
        lang=lang,
        slug=slug,
        title=values["title"],
        author=values["author"],
        date=values["date"],
        category=category,
        path=path,
        html=rendered.html,
        text=rendered.text,
        excerpt=make_excerpt(summary) if summary else rendered.excerpt,
        toc=rendered.toc,
        tags=values.get("tags", ()),
        keywords=values.get("keywords", ()),
        summary=summary,
        updated=values.get("updated"),
        draft=values.get("draft", False),
        order=values.get("order", 1000),
        links=rendered.links,
        source_hash=hashlib.sha256(raw).hexdigest(),
        body=front.body,
        segments=_meta_segments(values, front) + rendered.segments,
    )


def _meta_segments(values: dict[str, Any], front: FrontMatter) -> tuple[Segment, ...]:
    """The translatable front-matter values: title and summary."""
    return tuple(
        Segment(text=values[key], line=front.lines[key], kind=key)
        for key in ("title", "summary")
        if values.get(key)
    )


def article_files(settings: Settings, problems: _Problems) -> Iterable[tuple[Path, str]]:
    """Each Markdown file under ``articles/`` with its language, reporting misplaced ones."""
    base = settings.articles_dir
    if not base.is_dir():
        return
    for path in sorted(base.rglob("*.md")):
        rel = _relative(path, settings.root)
        parts = path.relative_to(base).parts
        if len(parts) < 2:
            problems.add(rel, 1, _("article outside a language folder: move it to articles/<lang>/"))
            continue
        folder = parts[0]
        lang = normalize_language(folder)
        if lang not in settings.languages or folder != lang:
            message = _("unknown language folder {folder!r} (languages: {languages})")
            problems.add(rel, 1, message.format(folder=folder, languages=", ".join(settings.languages)))
            continue
        yield path, lang


def _usable_translations(settings: Settings, lang: str, problems: _Problems) -> dict[str, str]:
    """The catalog translations for ``lang`` that may be shown: not fuzzy, code and links intact."""
    path = content_catalog_path(settings.locales_dir, lang)
    rel = _relative(path, settings.root)
    try:
        catalog = read_content_catalog(settings.locales_dir, lang)
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        problems.add(rel, 1, _("cannot read the catalog: {reason}").format(reason=exc))
        return {}
    usable = {}
    for source, translation in catalog.items():
        if translation.fuzzy:
            message = _("outdated translation: its source text changed, so the source is shown")
            problems.add(rel, translation.line, message, "warning")
        elif protected_parts(source) != protected_parts(translation.text):
            message = _("the translation changes a code span or link target, so the source is shown")
            problems.add(rel, translation.line, message)
        else:
            usable[source] = translation.text
    return usable


def translate_article(
    article: Article, lang: str, usable: dict[str, str], categories: CategoryTable
) -> Article:
    """``article`` in ``lang`` from catalog translations; untranslated blocks stay in the source."""
    rendered = render_markdown(article.body, translate=usable.get, source_lang=article.lang)
    meta = [s.text for s in article.segments if s.kind in ("title", "summary")]
    missing = rendered.untranslated + sum(1 for text in meta if text not in usable)
    summary = usable.get(article.summary, article.summary)
    used = "".join(usable.get(s.text, "") for s in article.segments)
    category = categories.resolve(lang, article.category.key)
    return dataclasses.replace(
        article,
        lang=lang,
        title=usable.get(article.title, article.title),
        summary=summary,
        html=rendered.html,
        text=rendered.text,
        excerpt=make_excerpt(summary) if summary else rendered.excerpt,
        toc=rendered.toc,
        links=rendered.links,
        segments=(),
        category=category or dataclasses.replace(article.category, lang=lang),
        translation="partial" if missing else "catalog",
        source_lang=article.lang,
        source_hash=hashlib.sha256((article.source_hash + used).encode("utf-8")).hexdigest(),
    )


def catalog_articles(
    settings: Settings, written: list[Article], categories: CategoryTable, problems: _Problems
) -> list[Article]:
    """Articles that exist in a language only through its content catalog; written files win."""
    have = {(a.lang, a.slug) for a in written}
    sources = [a for a in written if a.lang == settings.default_language]
    made: list[Article] = []
    for lang in settings.languages:
        if lang == settings.default_language:
            continue
        usable = _usable_translations(settings, lang, problems)
        for article in sources:
            if (lang, article.slug) not in have and any(s.text in usable for s in article.segments):
                made.append(translate_article(article, lang, usable, categories))
    return made


def load_library(settings: Settings) -> LoadResult:
    """Read, validate and render every article; bad files are reported and skipped, never fatal."""
    problems = _Problems()
    categories = load_categories(settings, problems)
    published: list[Article] = []
    drafts: list[Article] = []
    first_path: dict[tuple[str, str], str] = {}
    for path, lang in article_files(settings, problems):
        rel = _relative(path, settings.root)
        try:
            raw = path.read_bytes()
        except OSError as exc:
            problems.add(rel, 1, _("cannot be read: {reason}").format(reason=exc.strerror))
            continue
        article = read_article(raw, rel, lang, categories, problems)
        if article is None:
            continue
        key = (lang, article.slug)
        if key in first_path:
            message = _("duplicate slug {slug!r} in {lang!r}: also used by {other}")
            problems.add(rel, 1, message.format(slug=article.slug, lang=lang, other=first_path[key]))
            continue
        first_path[key] = rel
        (drafts if article.draft else published).append(article)
    published += catalog_articles(settings, published, categories, problems)
    used = {(a.lang, a.category.key) for a in published}
    all_categories = {(c.lang, c.key): c for t in categories.by_lang.values() for c in t.values()}
    all_categories.update({(a.lang, a.category.key): a.category for a in published})
    shown = tuple(c for k, c in all_categories.items() if k in used or categories.declared)
    library = Library(articles=tuple(published), categories=shown, languages=settings.languages)
    problems.items.sort(key=lambda p: (p.path, p.line))
    return LoadResult(library, tuple(problems.items), tuple(drafts))
