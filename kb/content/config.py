"""The knowledge base's settings: ``kb.yml`` read into a frozen Settings, each problem as ``kb.yml:line``."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from kb.content.frontmatter import as_int, as_list, as_text, compose_mapping, decode_source, hint
from kb.errors import ConfigError, ContentError
from kb.i18n import _, is_known_language, normalize_language
from kb.model import unique
from kb.settings import (
    CONFIG_FILE,
    CONFIG_FILE_ALTERNATIVE,
    DEFAULT_LANGUAGES,
    DEFAULT_SITE_NAME,
    TRUSTED_HOSTS_ENV,
    Settings,
    resolve_root,
)

CONFIG_KEYS = (
    "site_name",
    "languages",
    "default_language",
    "base_url",
    "trusted_hosts",
    "max_file_size_kb",
    "edit_url",
)
READER_KEYS = ("support_url", "retention_days")  # feedback and search analytics (kb.web.readers)
MAILTO = re.compile(r"mailto:[^@\s<>\"'?]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
MAX_RETENTION_DAYS = 3650


def load_settings(root: str | Path | None = None) -> Settings:
    """Settings of the knowledge base at ``root`` (or ``KB_ROOT``, or here), from its ``kb.yml``.

    Raises ConfigError with a ``kb.yml:line: error: message`` text when the file is unusable.
    """
    base = resolve_root(root)
    try:
        return _read_settings(base)
    except ContentError as exc:
        raise ConfigError(str(exc)) from exc


def config_file(base: Path) -> Path:
    """The knowledge base's configuration file: ``kb.yml``, else ``kb.yaml``; both is an error."""
    config = base / CONFIG_FILE
    alternative = base / CONFIG_FILE_ALTERNATIVE
    if config.is_file() and alternative.is_file():
        message = _("both {name} and {other} exist: keep one (kb reads only one configuration file)")
        raise ContentError(alternative.name, 1, message.format(name=config.name, other=alternative.name))
    return alternative if alternative.is_file() else config


def trusted_hosts(values: list[str], name: str, line: int) -> tuple[str, ...]:
    """Host names as Werkzeug compares them: lower case, no port; ``.example.com`` is every subdomain."""
    hosts = []
    for value in values:
        host = value.strip().lower()
        if not host or "/" in host or any(c.isspace() for c in host):
            message = _("{value!r} in 'trusted_hosts' is not a host name (e.g. help.example.com)")
            raise ContentError(name, line, message.format(value=value))
        hosts.append(host)
    return unique(hosts)


def _read_settings(base: Path) -> Settings:
    config = config_file(base)
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
            if key not in CONFIG_KEYS + READER_KEYS:
                message = _("unknown key {key!r}").format(key=key) + hint(key, CONFIG_KEYS + READER_KEYS)
                raise ContentError(name, line, message)
            convert = CONVERT.get(key, as_text)
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
    hosts = trusted_hosts(list(values.get("trusted_hosts", ())), name, lines.get("trusted_hosts", 1))
    from_env = os.environ.get(TRUSTED_HOSTS_ENV, "").strip()
    if from_env:
        hosts = trusted_hosts(from_env.split(","), TRUSTED_HOSTS_ENV, 1)
    return Settings(
        root=base,
        site_name=values.get("site_name") or DEFAULT_SITE_NAME,
        languages=languages,
        default_language=default,
        base_url=str(values.get("base_url") or "").rstrip("/"),
        trusted_hosts=hosts,
        support_url=values.get("support_url", ""),
        **({"retention_days": values["retention_days"]} if "retention_days" in values else {}),
        max_file_size=_kilobytes(values.get("max_file_size_kb"), lines.get("max_file_size_kb", 1)),
        edit_url=_edit_url(str(values.get("edit_url") or ""), lines.get("edit_url", 1)),
    )


def as_support_url(node: Any, key: str) -> str:
    """The readers' support link: an ``https://`` (or ``http://``) address or a ``mailto:`` address."""
    text = as_text(node, key)
    if MAILTO.fullmatch(text):
        return text
    parts = urlsplit(text)
    if parts.scheme in ("https", "http") and parts.hostname and not re.search(r"[\s<>\"'\\]", text):
        return text
    raise ValueError(_("{key!r} must be an https:// address or mailto:name@example.com").format(key=key))


def as_retention_days(node: Any, key: str) -> int:
    """Days reader data is kept: a whole number from 1 to ``MAX_RETENTION_DAYS``."""
    days = as_int(node, key)
    if not 1 <= days <= MAX_RETENTION_DAYS:
        message = _("{key!r} must be a whole number of days from 1 to {most}")
        raise ValueError(message.format(key=key, most=MAX_RETENTION_DAYS))
    return days


CONVERT: dict[str, Any] = {
    "languages": as_list,
    "trusted_hosts": as_list,
    "support_url": as_support_url,
    "retention_days": as_retention_days,
}


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
