"""Response headers and request limits that every page and API answer shares.

Why one module: a header set by one view and forgotten by the next is how sites end up with
holes. Every response gets a Content-Security-Policy that allows only this site's own files
(no inline script or style anywhere: the templates have none and must keep it that way; the
JSON-LD of document pages is a ``<script type="application/ld+json">`` data block, never
executed, which ``script-src`` does not govern, so it needs no nonce),
``frame-ancestors 'none'`` (and ``X-Frame-Options: DENY`` for older browsers),
``X-Content-Type-Options: nosniff`` and a ``Referrer-Policy`` that sends no path to other
sites.

Request bodies are bounded before they are read: ``MAX_BODY`` (1 MB) for JSON and forms,
``MAX_CONTENT_LENGTH`` (100 MB) only for the staff upload form. An anonymous 56 MB JSON POST
used to be read whole into memory.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, abort, request

#: Largest body of a request other than a staff upload, bytes.
MAX_BODY = 1024 * 1024
#: Endpoints that may send up to ``MAX_CONTENT_LENGTH`` (files).
UPLOAD_ENDPOINTS = frozenset({"staff.upload"})

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}


def register(app: Flask) -> None:
    """Install the body limit and the headers on ``app``."""

    @app.before_request
    def limit_body() -> None:
        if request.endpoint in UPLOAD_ENDPOINTS:
            return
        limit = int(app.config.get("MAX_BODY", MAX_BODY))
        length = request.content_length
        if length is not None and length > limit:
            abort(413, description=f"请求体过大（上限 {limit // 1024} KB）。")
        request.max_content_length = limit  # also bounds a body sent without a length

    @app.after_request
    def security_headers(response: Any) -> Any:
        for name, value in HEADERS.items():
            response.headers.setdefault(name, value)
        return response
