"""Front-matter and the YAML home: compose YAML keeping every key's line, convert typed values, dump."""

from __future__ import annotations

import datetime as dt
import difflib
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import yaml

from kb.errors import ContentError, Problems
from kb.i18n import _
from kb.model import unique

try:  # the C loader is several times faster; both report the same marks
    from yaml import CSafeDumper as YamlDumper
    from yaml import CSafeLoader as YamlLoader
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    from yaml import SafeDumper as YamlDumper  # type: ignore[assignment]
    from yaml import SafeLoader as YamlLoader  # type: ignore[assignment]

Node = yaml.Node  # a YAML value as composed: other modules pass nodes along without importing yaml
REQUIRED = ("title", "author", "date", "category")
OPTIONAL = ("slug", "tags", "summary", "updated", "draft", "order", "keywords", "lang", "aliases")
KNOWN_KEYS = REQUIRED + OPTIONAL
FENCE = re.compile(r"^(---|\.\.\.)[ \t]*$")
WHOLE_NUMBER = re.compile(r"[-+]?\d{1,9}")
DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})(?:[T ][0-9:.+\-Z ]*)?")
TAG_INT = "tag:yaml.org,2002:int"
TAG_NULL = "tag:yaml.org,2002:null"
BOOLEANS = {"true": True, "yes": True, "on": True, "false": False, "no": False, "off": False}


@dataclass(frozen=True)
class FrontMatter:
    """The front-matter of one file: YAML nodes by key, the line of each key, and the body."""

    values: dict[str, yaml.Node]
    lines: dict[str, int]
    body: str
    body_line: int


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


def hint(value: str, choices: Iterable[str]) -> str:
    """`` (did you mean 'x'?)`` for the closest choice, or ""."""
    close = difflib.get_close_matches(value, list(choices), n=1)
    return " " + _("(did you mean {hint!r}?)").format(hint=close[0]) if close else ""


def shown(value: str, limit: int = 40) -> str:
    """A value as quoted in a message: long ones cut short."""
    return value if len(value) <= limit else value[: limit - 1] + "…"


def as_text(node: yaml.Node, key: str) -> str:
    """A plain scalar as the author wrote it: ``title: no`` is the text "no", not false."""
    if isinstance(node, yaml.ScalarNode):
        if node.tag == TAG_NULL and node.value in ("", "~", "null", "Null", "NULL"):
            raise ValueError(_("{key!r} is empty").format(key=key))
        return str(node.value).strip()
    kind = _("a list") if isinstance(node, yaml.SequenceNode) else _("a mapping")
    raise ValueError(_("{key!r} must be text, not {kind}").format(key=key, kind=kind))


def as_required_text(node: yaml.Node, key: str) -> str:
    text = as_text(node, key)
    if not text:
        raise ValueError(_("{key!r} is empty").format(key=key))
    return text


def as_list(node: yaml.Node, key: str) -> tuple[str, ...]:
    if isinstance(node, yaml.ScalarNode):
        if node.tag == TAG_NULL:
            return ()
        return unique(part.strip() for part in str(node.value).split(",") if part.strip())
    if isinstance(node, yaml.SequenceNode):
        return unique(as_required_text(item, key) for item in node.value)
    raise ValueError(_("{key!r} must be a list like [a, b], not a mapping").format(key=key))


def as_date(node: yaml.Node, key: str) -> dt.date:
    text = as_text(node, key)
    match = DATE.fullmatch(text)
    if match is None:
        message = _("bad date {value!r} for {key!r}: write it as YYYY-MM-DD")
        raise ValueError(message.format(value=shown(text), key=key))
    try:
        return dt.date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError as exc:
        message = _("bad date {value!r} for {key!r}: {reason}")
        raise ValueError(message.format(value=shown(text), key=key, reason=exc)) from exc


def as_bool(node: yaml.Node, key: str) -> bool:
    text = as_text(node, key)
    if text.lower() not in BOOLEANS:
        message = _("{key!r} must be true or false, not {value!r}")
        raise ValueError(message.format(key=key, value=shown(text)))
    return BOOLEANS[text.lower()]


def as_int(node: yaml.Node, key: str) -> int:
    text = as_text(node, key)
    if node.tag == TAG_INT and WHOLE_NUMBER.fullmatch(text):
        return int(text)
    message = _("{key!r} must be a whole number, not {value!r}")
    raise ValueError(message.format(key=key, value=shown(text)))


CONVERTERS: dict[str, Callable[[yaml.Node, str], Any]] = {
    "title": as_required_text,
    "author": as_required_text,
    "category": as_required_text,
    "summary": as_text,
    "slug": as_required_text,
    "lang": as_required_text,
    "date": as_date,
    "updated": as_date,
    "draft": as_bool,
    "order": as_int,
    "tags": as_list,
    "keywords": as_list,
    "aliases": as_list,
}


def validate_front_matter(front: FrontMatter, path: str, problems: Problems) -> dict[str, Any] | None:
    """Typed values for the known keys, or None when any key is missing, unknown or mistyped."""
    ok = True
    values: dict[str, Any] = {}
    for key, node in front.values.items():
        line = front.lines[key]
        if key not in CONVERTERS:
            problems.add(path, line, _("unknown key {key!r}").format(key=key) + hint(key, KNOWN_KEYS))
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


def compose_fields(node: yaml.Node, key: str) -> dict[str, tuple[int, yaml.Node]]:
    """The ``name: (line, node)`` fields of a nested YAML mapping (lines are 1-based)."""
    if not isinstance(node, yaml.MappingNode):
        raise ValueError(_("{key!r} must be a mapping of names to values").format(key=key))
    return {str(k.value): (k.start_mark.line + 1, v) for k, v in node.value if isinstance(k, yaml.ScalarNode)}
