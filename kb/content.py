"""Content loading: read articles and categories from disk, validate front-matter, build a Library."""

from __future__ import annotations

import datetime as dt
import difflib
import errno
import gc
import hashlib
import itertools
import multiprocessing
import os
import re
import stat
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from kb.catalogs import META_SEGMENTS, catalog_articles
from kb.errors import ConfigError, ContentError, Problems
from kb.i18n import _, is_known_language, normalize_language
from kb.markup import make_excerpt, render_markdown
from kb.model import Article, Category, Library, Segment, slugify, unique
from kb.settings import DEFAULT_LANGUAGES, Settings, resolve_root

try:  # the C loader is several times faster; both report the same marks
    from yaml import CSafeDumper as YamlDumper
    from yaml import CSafeLoader as YamlLoader
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    from yaml import SafeDumper as YamlDumper  # type: ignore[assignment]
    from yaml import SafeLoader as YamlLoader  # type: ignore[assignment]

REQUIRED = ("title", "author", "date", "category")
OPTIONAL = ("slug", "tags", "summary", "updated", "draft", "order", "keywords", "lang")
KNOWN_KEYS = REQUIRED + OPTIONAL
CONFIG_KEYS = ("site_name", "languages", "default_language", "base_url")
FENCE = re.compile(r"^(---|\.\.\.)[ \t]*$")
SLUG = re.compile(r"^[^\W_][\w-]*$")
WHOLE_NUMBER = re.compile(r"[-+]?\d{1,9}")
DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})(?:[T ][0-9:.+\-Z ]*)?")
TAG_INT = "tag:yaml.org,2002:int"
TAG_NULL = "tag:yaml.org,2002:null"
PARALLEL_FROM = 1000  # below this, starting worker processes costs more than it saves
CHUNK_SIZE = 250
MAX_WORKERS = 8
BOOLEANS = {"true": True, "yes": True, "on": True, "false": False, "no": False, "off": False}


@dataclass(frozen=True)
class FrontMatter:
    """The front-matter of one file: YAML nodes by key, the line of each key, and the body."""

    values: dict[str, yaml.Node]
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


# --- YAML ---------------------------------------------------------------------------------------


def compose_mapping(text: str, path: str, first_line: int = 1) -> list[tuple[str, int, yaml.Node]]:
    """The ``(key, line, value node)`` entries of a YAML mapping; ``first_line`` is its file line.

    Values stay YAML nodes, so each one is typed by its converter (``title: no`` is the text
    "no"), and every problem is a ContentError at the file line it is on.
    """
    try:
        node = yaml.compose(text, Loader=YamlLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = first_line + (mark.line if mark is not None else 0)
        message = _("bad YAML: {problem}").format(problem=exc.problem or exc.context)
        if exc.context and exc.context_mark is not None and exc.problem:
            message += " " + _("({context} that starts on line {line})").format(
                context=exc.context, line=first_line + exc.context_mark.line
            )
        tab = mark is not None and text[mark.index : mark.index + 1] == "\t"
        if tab and "tab" not in str(exc.problem):
            message += " " + _("(indent with spaces, not tabs)")
        raise ContentError(path, line, message) from exc
    except yaml.reader.ReaderError as exc:
        line = first_line + text.count("\n", 0, exc.position)
        message = _("bad YAML: character U+{code:04X} is not allowed ({reason})")
        code = exc.character if isinstance(exc.character, int) else ord(exc.character)
        raise ContentError(path, line, message.format(code=code, reason=exc.reason)) from exc
    except yaml.YAMLError as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ContentError(path, first_line, _("bad YAML: {problem}").format(problem=first)) from exc
    except RecursionError as exc:
        raise ContentError(path, first_line, _("bad YAML: nested too deeply")) from exc
    if node is None:
        return []
    if not isinstance(node, yaml.MappingNode):
        message = _("expected 'key: value' lines, not a list or plain text")
        raise ContentError(path, first_line, message)
    entries: list[tuple[str, int, yaml.Node]] = []
    seen: dict[str, int] = {}
    for key_node, value_node in node.value:
        line = first_line + key_node.start_mark.line
        if not isinstance(key_node, yaml.ScalarNode):
            raise ContentError(path, line, _("a key must be a plain name, not a list or mapping"))
        key = str(key_node.value)
        if key in seen:
            message = _("duplicate key {key!r} (first given on line {line})")
            raise ContentError(path, line, message.format(key=key, line=seen[key]))
        seen[key] = line
        entries.append((key, line, value_node))
    return entries


def dump_front_matter(values: Mapping[str, object]) -> str:
    """YAML front-matter between ``---`` fences, quoted so it reads back as the same values."""
    header = yaml.dump(dict(values), Dumper=YamlDumper, allow_unicode=True, sort_keys=False, width=10_000)
    return f"---\n{header}---\n"


# --- settings -----------------------------------------------------------------------------------


def load_settings(root: str | Path | None = None) -> Settings:
    """Settings of the knowledge base at ``root`` (or ``KB_ROOT``, or here), from its ``kb.yml``.

    Raises ConfigError with a ``kb.yml:line: error: message`` text when the file is unusable.
    """
    base = resolve_root(root)
    try:
        return _read_settings(base)
    except ContentError as exc:
        raise ConfigError(str(exc)) from exc


def _read_settings(base: Path) -> Settings:
    config = base / "kb.yml"
    name = config.name
    values: dict[str, Any] = {}
    lines: dict[str, int] = {}
    if config.is_file():
        try:
            raw = config.read_bytes()
        except OSError as exc:
            message = _("cannot be read: {reason}").format(reason=exc.strerror)
            raise ContentError(name, 1, message) from exc
        for key, line, node in compose_mapping(decode_source(raw, name), name):
            if key not in CONFIG_KEYS:
                message = _("unknown key {key!r}").format(key=key) + _hint(key, CONFIG_KEYS)
                raise ContentError(name, line, message)
            convert = _as_list if key == "languages" else _as_text
            try:
                values[key] = convert(node, key)
            except ValueError as exc:
                raise ContentError(name, line, str(exc)) from exc
            lines[key] = line
    languages = unique(normalize_language(x) for x in values.get("languages", ()))
    for lang in languages:
        if not is_known_language(lang):
            message = _("unknown language code {lang!r} in 'languages'").format(lang=lang)
            raise ContentError(name, lines["languages"], message)
    languages = languages or _discover_languages(base / "articles")
    default = normalize_language(values.get("default_language") or languages[0])
    if default not in languages:
        message = _("default_language {lang!r} is not one of the languages ({languages})")
        raise ContentError(
            name,
            lines.get("default_language", 1),
            message.format(lang=default, languages=", ".join(languages)),
        )
    return Settings(
        root=base,
        site_name=values.get("site_name") or "Help Center",
        languages=languages,
        default_language=default,
        base_url=str(values.get("base_url") or "").rstrip("/"),
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
    if not FENCE.match(lines[0]) or lines[0].startswith("..."):
        raise ContentError(path, 1, _("no front-matter: the file must start with a '---' line"))
    for number, line in enumerate(lines[1:], start=2):
        if FENCE.match(line):
            return "\n".join(lines[1 : number - 1]), "\n".join(lines[number:]), number + 1
    raise ContentError(path, 1, _("front-matter is never closed: add a '---' line after it"))


def parse_front_matter(text: str, path: str) -> FrontMatter:
    """Split off the front-matter and compose it, keeping each key's YAML node and file line."""
    yaml_text, body, body_line = split_front_matter(text, path)
    values: dict[str, yaml.Node] = {}
    lines: dict[str, int] = {}
    for key, line, node in compose_mapping(yaml_text, path, first_line=2):
        values[key] = node
        lines[key] = line
    return FrontMatter(values, lines, body, body_line)


# --- validating values --------------------------------------------------------------------------


def _hint(value: str, choices: Iterable[str]) -> str:
    """`` (did you mean 'x'?)`` for the closest choice, or ""."""
    close = difflib.get_close_matches(value, list(choices), n=1)
    return " " + _("(did you mean {hint!r}?)").format(hint=close[0]) if close else ""


def _shown(value: str, limit: int = 40) -> str:
    """A value as quoted in a message: long ones cut short."""
    return value if len(value) <= limit else value[: limit - 1] + "…"


def _as_text(node: yaml.Node, key: str) -> str:
    """A plain scalar as the author wrote it: ``title: no`` is the text "no", not false."""
    if isinstance(node, yaml.ScalarNode):
        if node.tag == TAG_NULL and node.value in ("", "~", "null", "Null", "NULL"):
            raise ValueError(_("{key!r} is empty").format(key=key))
        return str(node.value).strip()
    kind = _("a list") if isinstance(node, yaml.SequenceNode) else _("a mapping")
    raise ValueError(_("{key!r} must be text, not {kind}").format(key=key, kind=kind))


def _as_required_text(node: yaml.Node, key: str) -> str:
    text = _as_text(node, key)
    if not text:
        raise ValueError(_("{key!r} is empty").format(key=key))
    return text


def _as_list(node: yaml.Node, key: str) -> tuple[str, ...]:
    if isinstance(node, yaml.ScalarNode):
        if node.tag == TAG_NULL:
            return ()
        return unique(part.strip() for part in str(node.value).split(",") if part.strip())
    if isinstance(node, yaml.SequenceNode):
        return unique(_as_required_text(item, key) for item in node.value)
    raise ValueError(_("{key!r} must be a list like [a, b], not a mapping").format(key=key))


def _as_date(node: yaml.Node, key: str) -> dt.date:
    text = _as_text(node, key)
    match = DATE.fullmatch(text)
    if match is None:
        message = _("bad date {value!r} for {key!r}: write it as YYYY-MM-DD")
        raise ValueError(message.format(value=_shown(text), key=key))
    try:
        return dt.date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError as exc:
        message = _("bad date {value!r} for {key!r}: {reason}")
        raise ValueError(message.format(value=_shown(text), key=key, reason=exc)) from exc


def _as_bool(node: yaml.Node, key: str) -> bool:
    text = _as_text(node, key)
    if text.lower() not in BOOLEANS:
        message = _("{key!r} must be true or false, not {value!r}")
        raise ValueError(message.format(key=key, value=_shown(text)))
    return BOOLEANS[text.lower()]


def _as_int(node: yaml.Node, key: str) -> int:
    text = _as_text(node, key)
    if node.tag == TAG_INT and WHOLE_NUMBER.fullmatch(text):
        return int(text)
    message = _("{key!r} must be a whole number, not {value!r}")
    raise ValueError(message.format(key=key, value=_shown(text)))


CONVERTERS: dict[str, Callable[[yaml.Node, str], Any]] = {
    "title": _as_required_text,
    "author": _as_required_text,
    "category": _as_required_text,
    "summary": _as_text,
    "slug": _as_required_text,
    "lang": _as_required_text,
    "date": _as_date,
    "updated": _as_date,
    "draft": _as_bool,
    "order": _as_int,
    "tags": _as_list,
    "keywords": _as_list,
}


def validate_front_matter(front: FrontMatter, path: str, problems: Problems) -> dict[str, Any] | None:
    """Typed values for the known keys, or None when any key is missing, unknown or mistyped."""
    ok = True
    values: dict[str, Any] = {}
    for key, node in front.values.items():
        line = front.lines[key]
        if key not in CONVERTERS:
            problems.add(path, line, _("unknown key {key!r}").format(key=key) + _hint(key, KNOWN_KEYS))
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


def load_categories(settings: Settings, problems: Problems) -> CategoryTable:
    """Read ``articles/categories.yml`` (optional): per category key, names by language."""
    path = settings.articles_dir / "categories.yml"
    rel = _relative(path, settings.root)
    table: dict[str, dict[str, Category]] = {lang: {} for lang in settings.languages}
    if not path.is_file():
        return CategoryTable(table, declared=False)
    try:
        entries = compose_mapping(decode_source(path.read_bytes(), rel), rel)
    except ContentError as exc:  # reported once here, not again for every article
        problems.items.append(exc)
        return CategoryTable(table, declared=False)
    except OSError as exc:
        problems.add(rel, 1, _("cannot be read: {reason}").format(reason=exc.strerror))
        return CategoryTable(table, declared=False)
    for position, (key, line, node) in enumerate(entries, start=1):
        try:
            fields = compose_fields(node, key)
            order = _as_int(fields["order"][1], "order") if "order" in fields else position
            for lang_key, (lang_line, local) in fields.items():
                if lang_key == "order":
                    continue
                lang = normalize_language(lang_key)
                if not is_known_language(lang):
                    message = _("unknown language {lang!r} in category {key!r}")
                    problems.add(rel, lang_line, message.format(lang=lang_key, key=key))
                    continue
                if lang not in settings.languages:  # a language the site does not publish
                    continue
                names = compose_fields(local, f"{key}.{lang_key}")
                name = _as_required_text(names["name"][1], "name") if "name" in names else ""
                if not name:
                    message = _("category {key!r} has no 'name' in {lang!r}")
                    problems.add(rel, lang_line, message.format(key=key, lang=lang_key))
                    continue
                description = names.get("description")
                category = Category(
                    key=key,
                    lang=lang,
                    name=name,
                    slug=slugify(name) or slugify(key),
                    description=_as_text(description[1], "description") if description else "",
                    order=order,
                )
                table[lang][key.casefold()] = category
                table[lang][name.casefold()] = category
        except ValueError as exc:
            problems.add(rel, line, str(exc))
    return CategoryTable(table, declared=True)


def compose_fields(node: yaml.Node, key: str) -> dict[str, tuple[int, yaml.Node]]:
    """The ``name: (line, node)`` fields of a nested YAML mapping (lines are 1-based)."""
    if not isinstance(node, yaml.MappingNode):
        raise ValueError(_("{key!r} must be a mapping of names to values").format(key=key))
    return {str(k.value): (k.start_mark.line + 1, v) for k, v in node.value if isinstance(k, yaml.ScalarNode)}


# --- articles -----------------------------------------------------------------------------------


def _relative(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()


def read_article(
    raw: bytes, path: str, lang: str, categories: CategoryTable, problems: Problems
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
        message = _("bad slug {slug!r}: use letters, digits and '-'").format(slug=slug)
        problems.add(path, front.lines.get("slug", 1), message)
        return None
    if "lang" in values and normalize_language(values["lang"]) != lang:
        message = _("'lang: {value}' does not match the folder's language {lang!r}")
        problems.add(path, front.lines["lang"], message.format(value=values["lang"], lang=lang))
        return None
    category = categories.resolve(lang, values["category"])
    if category is None and categories.declared:
        message = _("unknown category {name!r}").format(name=values["category"])
        message += _hint(values["category"], categories.names(lang))
        problems.add(path, front.lines["category"], message)
        return None
    if category is None:
        name = values["category"]
        category = Category(key=slugify(name), lang=lang, name=name, slug=slugify(name) or "general")
    rendered = render_markdown(front.body, front.body_line)
    if not rendered.text.strip():
        message = _("the article has no text after its front-matter")
        problems.add(path, front.body_line - 1, message, "warning")
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
    """The translatable front-matter values: title, summary, and each tag and keyword."""
    found: list[Segment] = []
    for key in META_SEGMENTS:
        value = values.get(key)
        texts = value if isinstance(value, tuple) else (value,) if value else ()
        found.extend(Segment(text=text, line=front.lines[key], kind=key) for text in texts)
    return tuple(found)


def article_files(settings: Settings, problems: Problems) -> Iterator[tuple[Path, str]]:
    """Each Markdown file under ``articles/`` with its language, reporting misplaced ones."""
    base = settings.articles_dir
    if not base.is_dir():
        return
    for path in sorted(base.rglob("*.md")):
        rel = _relative(path, settings.root)
        parts = path.relative_to(base).parts
        if len(parts) < 2:
            message = _("article outside a language folder: move it to articles/<lang>/")
            problems.add(rel, 1, message)
            continue
        folder = parts[0]
        lang = normalize_language(folder)
        if lang not in settings.languages or folder != lang:
            if lang in settings.languages:  # "no", "nb-NO", "NB": the code is right, its form is not
                message = _("unknown language folder {folder!r} (did you mean {hint!r}?)")
                message = message.format(folder=folder, hint=lang)
            else:
                message = _("unknown language folder {folder!r} (languages: {languages})")
                message = message.format(folder=folder, languages=", ".join(settings.languages))
            problems.add(rel, 1, message)
            continue
        yield path, lang


NOT_REGULAR = "not a regular file (a FIFO, device or socket)"  # reads as an OS reason, in English


def read_regular_file(path: Path) -> bytes:
    """A file's bytes; a FIFO or device (whose read would block, or never end) is refused with OSError."""
    with open(path, "rb", opener=lambda name, flags: os.open(name, flags | os.O_NONBLOCK)) as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            raise OSError(errno.EINVAL, NOT_REGULAR)
        return handle.read()


def _read_one(
    job: tuple[str, str, str], categories: CategoryTable
) -> tuple[Article | None, list[ContentError]]:
    path, rel, lang = job
    problems = Problems()
    try:
        raw = read_regular_file(Path(path))
    except OSError as exc:
        problems.add(rel, 1, _("cannot be read: {reason}").format(reason=exc.strerror))
        return None, problems.items
    return read_article(raw, rel, lang, categories, problems), problems.items


def _read_chunk(
    jobs: list[tuple[str, str, str]], categories: CategoryTable
) -> list[tuple[Article | None, list[ContentError]]]:
    return [_read_one(job, categories) for job in jobs]


def read_all(
    jobs: list[tuple[str, str, str]], categories: CategoryTable
) -> list[tuple[Article | None, list[ContentError]]]:
    """Read and render (path, relative path, language) jobs in order, on every core for large sets.

    Rendering is CPU-bound pure Python, so a large knowledge base is split into chunks rendered
    by worker processes (spawned, so no lock or thread state of the caller is inherited).
    """
    workers = min(os.cpu_count() or 1, MAX_WORKERS)
    if len(jobs) < PARALLEL_FROM or workers < 2:
        return _read_chunk(jobs, categories)
    chunks = [jobs[i : i + CHUNK_SIZE] for i in range(0, len(jobs), CHUNK_SIZE)]
    try:
        with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
            done = pool.map(_read_chunk, chunks, itertools.repeat(categories))
            return [outcome for chunk in done for outcome in chunk]
    except (OSError, BrokenProcessPool):  # no processes to be had here: read them in this one
        return _read_chunk(jobs, categories)


def load_library(settings: Settings) -> LoadResult:
    """Read, validate and render every article; bad files are reported and skipped, never fatal."""
    # Rendering makes millions of short-lived, acyclic objects while the Library grows: the
    # cyclic collector would rescan that growing heap over and over (10-20 % of the time).
    # Reference counting frees everything here, so pause the collector for the load.
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _load_library(settings)
    finally:
        if collecting:
            gc.enable()


def _load_library(settings: Settings) -> LoadResult:
    problems = Problems()
    categories = load_categories(settings, problems)
    published: list[Article] = []
    drafts: list[Article] = []
    first_path: dict[tuple[str, str], str] = {}
    jobs = [
        (str(path), _relative(path, settings.root), lang) for path, lang in article_files(settings, problems)
    ]
    for article, found in read_all(jobs, categories):
        problems.items.extend(found)
        if article is None:
            continue
        rel, lang = article.path, article.lang
        key = (lang, article.slug)
        if key in first_path:
            message = _("duplicate slug {slug!r} in {lang!r}: also used by {other}")
            problems.add(rel, 1, message.format(slug=article.slug, lang=lang, other=first_path[key]))
            continue
        first_path[key] = rel
        (drafts if article.draft else published).append(article)
    published += catalog_articles(settings, published, categories.resolve, problems)
    used = {(a.lang, a.category.key) for a in published}
    all_categories = {(c.lang, c.key): c for t in categories.by_lang.values() for c in t.values()}
    all_categories.update({(a.lang, a.category.key): a.category for a in published})
    shown = tuple(c for k, c in all_categories.items() if k in used or categories.declared)
    library = Library(articles=tuple(published), categories=shown, languages=settings.languages)
    problems.items.sort(key=lambda p: (p.path, p.line))
    return LoadResult(library, tuple(problems.items), tuple(drafts))
