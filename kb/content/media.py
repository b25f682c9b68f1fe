"""Files beside articles and in ``assets/``: where a written path leads, its type, size, pixels and hash."""

from __future__ import annotations

import hashlib
import posixpath
import re
import struct
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from urllib.parse import unquote, urlsplit

ASSETS = "assets"  # the shared folder at the knowledge base's root
ARTICLES = "articles"
MEDIA_PREFIX = "/media/"  # where the site serves them: /media/<path from the root>
IMAGE_TYPES = {
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".avif": "image/avif",
    ".svg": "image/svg+xml",
}
ATTACHMENT_TYPES = {
    ".pdf": "application/pdf",
    ".zip": "application/zip",
    ".txt": "text/plain",
    ".csv": "text/csv",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    ".mp4": "video/mp4",
    ".webm": "video/webm",
}
MEDIA_TYPES = IMAGE_TYPES | ATTACHMENT_TYPES
_SVG_LENGTH = re.compile(r"^\s*([0-9.]+)\s*(px)?\s*$")
_SVG_ATTR = re.compile(r'\s(width|height|viewBox)\s*=\s*["\']([^"\']*)["\']')


class OutsideError(ValueError):
    """A written path that leaves the knowledge base (or its articles/ and assets/ folders)."""


@dataclass(frozen=True)
class MediaFile:
    """A file an article references: its path from the root, bytes, pixel size and content hash."""

    path: str
    size: int
    digest: str
    width: int = 0
    height: int = 0

    @property
    def url(self) -> str:
        """The site path serving it, with its hash so browsers may keep it for a year."""
        return f"{MEDIA_PREFIX}{self.path}?v={self.digest}"

    @property
    def name(self) -> str:
        return posixpath.basename(self.path)

    @property
    def is_image(self) -> bool:
        return media_type(self.path) in IMAGE_TYPES.values()


def media_type(path: str) -> str | None:
    """The content type a file is served with; None for files kb never serves (``.md`` sources)."""
    return MEDIA_TYPES.get(posixpath.splitext(path)[1].lower())


def is_local(target: str) -> bool:
    """Whether a link target names a path inside the site (no scheme, no host, not only a fragment)."""
    parts = urlsplit(target)
    return not (parts.scheme or parts.netloc or target.startswith("#") or not parts.path)


def resolve_path(target: str, article_path: str) -> tuple[str, str]:
    """A written target's path from the knowledge base's root, and its fragment.

    ``images/x.png`` from ``articles/nb/a.md`` is ``articles/nb/images/x.png``; ``/assets/x.png``
    is ``assets/x.png``. Raises OutsideError for a path that leaves ``articles/`` and ``assets/``.
    """
    parts = urlsplit(target)
    written = unquote(parts.path)
    if written.startswith("/"):
        joined = posixpath.normpath(written.lstrip("/"))
    else:
        joined = posixpath.normpath(posixpath.join(posixpath.dirname(article_path), written))
    first = joined.split("/", 1)[0]
    if joined.startswith("..") or first not in (ARTICLES, ASSETS) or "\x00" in joined:
        raise OutsideError(joined)
    if any(part.startswith(".") for part in joined.split("/")):  # .git, .env: never
        raise OutsideError(joined)
    return joined, unquote(parts.fragment)


def inspect_file(root: Path, path: str) -> MediaFile | None:
    """The facts about ``path`` (from ``root``), or None when it is not a regular file inside ``root``."""
    full = root / path
    try:
        real = full.resolve(strict=True)
        if not real.is_relative_to(root.resolve()) or not real.is_file():
            return None
        info = real.stat()
    except (OSError, RuntimeError):
        return None
    return _inspect(str(real), path, info.st_mtime_ns, info.st_size)


@lru_cache(maxsize=4096)
def _inspect(real: str, path: str, _mtime: int, size: int) -> MediaFile | None:
    try:
        data = Path(real).read_bytes()
    except OSError:
        return None
    width, height = image_size(data, posixpath.splitext(path)[1].lower())
    return MediaFile(path, size, hashlib.sha256(data).hexdigest()[:12], width, height)


def image_size(data: bytes, suffix: str) -> tuple[int, int]:
    """An image's width and height in pixels read from its header; (0, 0) when unknown."""
    try:
        if data.startswith(b"\x89PNG\r\n\x1a\n") and data[12:16] == b"IHDR":
            width, height = struct.unpack(">II", data[16:24])
            return int(width), int(height)
        if data[:6] in (b"GIF87a", b"GIF89a"):
            width, height = struct.unpack("<HH", data[6:10])
            return int(width), int(height)
        if data.startswith(b"\xff\xd8"):
            return _jpeg_size(data)
        if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
            return _webp_size(data)
        if suffix == ".svg":
            return _svg_size(data[:4096].decode("utf-8", "replace"))
    except struct.error:
        return 0, 0
    return 0, 0


def _jpeg_size(data: bytes) -> tuple[int, int]:
    at = 2
    while at + 9 < len(data):
        if data[at] != 0xFF:
            return 0, 0
        marker = data[at + 1]
        length = struct.unpack(">H", data[at + 2 : at + 4])[0]
        if marker in (0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF):
            height, width = struct.unpack(">HH", data[at + 5 : at + 9])
            return int(width), int(height)
        at += 2 + length
    return 0, 0


def _webp_size(data: bytes) -> tuple[int, int]:
    kind = data[12:16]
    if kind == b"VP8X":
        return 1 + int.from_bytes(data[24:27], "little"), 1 + int.from_bytes(data[27:30], "little")
    if kind == b"VP8 ":
        width, height = struct.unpack("<HH", data[26:30])
        return int(width) & 0x3FFF, int(height) & 0x3FFF
    if kind == b"VP8L":
        bits = int.from_bytes(data[21:25], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    return 0, 0


def _svg_size(head: str) -> tuple[int, int]:
    start = head.find("<svg")
    if start < 0:
        return 0, 0
    tag = head[start : head.find(">", start) + 1]
    attrs = dict(_SVG_ATTR.findall(tag))
    width, height = _SVG_LENGTH.match(attrs.get("width", "")), _SVG_LENGTH.match(attrs.get("height", ""))
    if width and height:
        return round(float(width[1])), round(float(height[1]))
    box = attrs.get("viewBox", "").replace(",", " ").split()
    if len(box) == 4:
        try:
            return round(float(box[2])), round(float(box[3]))
        except ValueError:
            return 0, 0
    return 0, 0
