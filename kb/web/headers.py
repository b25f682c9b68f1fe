"""HTTP headers of every response: security, caching validators (ETag, Last-Modified, 304) and gzip."""

from __future__ import annotations

import gzip
import hashlib

from flask import request
from werkzeug.wrappers import Response

from kb.web.pagecache import MIN_GZIP_BYTES
from kb.web.state import state

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: https:; "
        "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'; "
        "frame-src https://www.youtube-nocookie.com https://player.vimeo.com"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), interest-cohort=()",
}
PAGE_CACHE = "public, max-age=300"
STATIC_CACHE = "public, max-age=3600"
VERSIONED_STATIC_CACHE = "public, max-age=31536000, immutable"
COMPRESSIBLE = ("text/", "application/json", "application/xml", "application/atom+xml", "image/svg+xml")
COMPRESSIBLE_EXTRA = ("application/javascript", "application/opensearchdescription+xml")


def finish_response(response: Response) -> Response:
    """Security headers, caching validators (ETag, Last-Modified, 304) and gzip, in that order."""
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    if is_compressible(response):
        response.vary.add("Accept-Encoding")  # on 200 and 304 alike
    if request.method in ("GET", "HEAD") and response.status_code == 200:
        add_validators(response)
        response = response.make_conditional(request)
    if response.status_code == 200 and request.method == "GET" and is_compressible(response):
        compress(response)
    elif response.status_code >= 400:
        response.headers.setdefault("Cache-Control", "no-store")
    return response


def add_validators(response: Response) -> None:
    """ETag from the body (static files have one already), Last-Modified and a Cache-Control policy."""
    if request.endpoint == "static":
        versioned = request.args.get("v")
        name = (request.view_args or {}).get("filename", "")
        fresh = versioned is not None and versioned == state().assets.get(name)
        response.headers["Cache-Control"] = VERSIONED_STATIC_CACHE if fresh else STATIC_CACHE
        return
    response.headers.setdefault("Cache-Control", PAGE_CACHE)
    if response.direct_passthrough or response.is_streamed:
        return
    if "ETag" not in response.headers:
        response.set_etag(hashlib.sha256(response.get_data()).hexdigest()[:32])
    if response.last_modified is None:
        response.last_modified = state().loaded_at


def is_compressible(response: Response) -> bool:
    mimetype = response.mimetype or ""
    return mimetype.startswith(COMPRESSIBLE) or mimetype in COMPRESSIBLE_EXTRA


def compress(response: Response) -> None:
    """Gzip a text response when the client accepts it; Vary tells caches the body depends on that."""
    if (
        "gzip" not in request.headers.get("Accept-Encoding", "").lower()
        or "Content-Encoding" in response.headers
    ):
        return
    response.direct_passthrough = False
    data = response.get_data()
    if len(data) < MIN_GZIP_BYTES:
        return
    ready = getattr(response, "gzipped", None)  # a cached page comes gzipped once (kb.web.pagecache)
    response.set_data(ready if isinstance(ready, bytes) else gzip.compress(data, compresslevel=6, mtime=0))
    response.headers["Content-Encoding"] = "gzip"
    etag, weak = response.get_etag()
    if etag and not weak:  # another representation of the same content: a weak validator
        response.set_etag(etag, weak=True)
