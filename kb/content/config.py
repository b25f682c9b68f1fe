"""The knowledge base's settings: ``kb.yml`` read into a frozen Settings, each problem as ``kb.yml:line``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kb.content.frontmatter import as_list, as_text, compose_mapping, decode_source, hint
from kb.errors import ConfigError, ContentError
from kb.i18n import _, is_known_language, normalize_language
from kb.model import unique
from kb.settings import CONFIG_FILE, DEFAULT_LANGUAGES, DEFAULT_SITE_NAME, Settings, resolve_root

CONFIG_KEYS = ("site_name", "languages", "default_language", "base_url", "max_file_size_kb", "edit_url")


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
    config = base / CONFIG_FILE
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
                message = _("unknown key {key!r}").format(key=key) + hint(key, CONFIG_KEYS)
                raise ContentError(name, line, message)
            convert = as_list if key == "languages" else as_text
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
        site_name=values.get("site_name") or DEFAULT_SITE_NAME,
        languages=languages,
        default_language=default,
        base_url=str(values.get("base_url") or "").rstrip("/"),
        max_file_size=_kilobytes(values.get("max_file_size_kb"), lines.get("max_file_size_kb", 1)),
        edit_url=_edit_url(str(values.get("edit_url") or ""), lines.get("edit_url", 1)),
    )


def _kilobytes(value: str | None, line: int) -> int:
    if value is None:
        return Settings.max_file_size
    if not value.strip().isdigit():
        raise ContentError(CONFIG_FILE, line, _("max_file_size_kb must be a whole number of kilobytes"))
    return int(value) * 1000


def _edit_url(value: str, line: int) -> str:
    if value and (not value.startswith(("https://", "http://")) or "{path}" not in value):
        message = _("edit_url must be an http(s) address with {path} where the file's path goes")
        raise ContentError(CONFIG_FILE, line, message)
    return value


def _discover_languages(articles_dir: Path) -> tuple[str, ...]:
    if not articles_dir.is_dir():
        return DEFAULT_LANGUAGES
    found = sorted(p.name for p in articles_dir.iterdir() if p.is_dir() and is_known_language(p.name))
    return tuple(found) or DEFAULT_LANGUAGES
