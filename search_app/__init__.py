"""The Gongkai web site: public search and reading pages, staff tools and the JSON API.

Build it with :func:`create_app`; nothing is opened at import time. Public pages read the data
directory through a read-only :class:`~indexer.service.Gongkai` per server thread; staff
writes open a separate writable one for the duration of the request and take the write lock.

Configuration keys (``create_app({...})``):

``DATA_DIR``       the data directory (required)
``SECRET_KEY``     signs session cookies; default: env ``GONGKAI_SECRET_KEY``, else a random key
                   kept in ``<DATA_DIR>/web-secret.key`` (created 0600, 0640 in a data directory
                   shared with a group) so sessions survive restarts
``MAX_CONTENT_LENGTH``  largest staff upload, bytes (default 100 MB)
``MAX_BODY``       largest body of any other request (JSON, forms), bytes (default 1 MB)
``BASE_URL``       the site's public root (``https://gongkai.example.gov``) for absolute URLs in
                   feeds and the API; default: env ``GONGKAI_BASE_URL``, else the request's own
                   (``gongkai serve`` always sets it, so the ``Host`` header is never trusted)
``SESSION_COOKIE_SECURE``  send cookies over HTTPS only; default: env
                   ``GONGKAI_SECURE_COOKIES`` (1/true/yes), else on when ``BASE_URL`` is https
``STAFF_SESSION_IDLE`` / ``STAFF_SESSION_MAX``  staff session timeouts, seconds (30 min / 12 h)
``PAGE_CACHE_SIZE``  rendered result pages kept per process (default 256; 0: none), see
                   :mod:`search_app.caching` (ETag, Last-Modified, 304s)
``OAI_PAGE_SIZE``  records per page of OAI-PMH lists; default: env ``GONGKAI_OAI_PAGE_SIZE``,
                   else 100 (:mod:`indexer.oai`)
``OAI_ADMIN_EMAIL``  the adminEmail of OAI-PMH Identify; default: env ``GONGKAI_ADMIN_EMAIL``
``LOGIN_FAILURES_PER_PAIR`` / ``LOGIN_FAILURES_PER_ADDRESS``  (count, seconds) sign-in limits
"""

from __future__ import annotations

import contextlib
import os
import secrets
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, current_app, g

from archive import Archive


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """The Flask application for one data directory."""
    app = Flask(__name__)
    app.config.update(
        MAX_CONTENT_LENGTH=100 * 1024 * 1024,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        JSON_AS_ASCII=False,
        PAGE_SIZE=10,
    )
    app.config.update(config or {})
    _configure_urls_and_cookies(app, config or {})
    if not app.config.get("DATA_DIR"):
        raise ValueError("create_app needs DATA_DIR (the Gongkai data directory)")
    data_dir = Path(app.config["DATA_DIR"])
    app.config["DATA_DIR"] = data_dir
    _prepare_data_dir(data_dir)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = os.environ.get("GONGKAI_SECRET_KEY") or _secret_key(data_dir)
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    app.extensions["gongkai_local"] = threading.local()
    app.jinja_env.globals["external_url"] = external_url

    from search_app import api, auth, filters, security
    from search_app.views import (
        check,
        compare,
        document,
        edit,
        feed,
        following,
        oai,
        report,
        search,
        sitemap,
        staff,
    )

    staff.clean_uploads(data_dir)
    filters.register(app)
    for module in (
        search,
        document,
        compare,
        check,
        feed,
        following,
        oai,
        sitemap,
        staff,
        edit,
        report,
    ):
        app.register_blueprint(module.bp)
    app.register_blueprint(auth.bp)
    app.register_blueprint(api.bp)
    security.register(app)  # first: it bounds the body before anything reads it
    auth.register(app)
    from search_app import caching, errors

    caching.register(app)  # after auth: validators and cached pages are for anonymous readers

    errors.register(app)
    app.before_request(_reopen_if_outdated)
    return app


def _reopen_if_outdated() -> None:
    """At the start of a request: a thread's archive read as immutable (the web server's
    account may not create the -wal/-shm files and a writer had closed them) is opened again
    once a writer has started, so the pages show what it commits."""
    local = current_app.extensions["gongkai_local"]
    gk = getattr(local, "gk", None)
    if gk is not None and gk.archive.outdated():
        gk.close()
        local.gk = None


def _truthy(value: str | None) -> bool:
    return (value or "").strip().lower() in ("1", "true", "yes", "on")


def _configure_urls_and_cookies(app: Flask, given: dict[str, Any]) -> None:
    """``BASE_URL`` and ``SESSION_COOKIE_SECURE`` from the config, else the environment."""
    base = app.config.get("BASE_URL") or os.environ.get("GONGKAI_BASE_URL", "")
    base = base.strip().rstrip("/")
    if base and urlsplit(base).scheme not in ("http", "https"):
        raise ValueError(f"base URL must start with http:// or https:// (got {base!r})")
    app.config["BASE_URL"] = base
    if given.get("SESSION_COOKIE_SECURE") is None:
        env = os.environ.get("GONGKAI_SECURE_COOKIES")
        secure = _truthy(env) if env is not None else base.startswith("https://")
        app.config["SESSION_COOKIE_SECURE"] = secure


def _prepare_data_dir(data_dir: Path) -> None:
    """Apply pending migrations (the users table) once, with a short-lived writable open."""
    if not Archive.present(data_dir):
        from archive.errors import NotFoundError

        raise NotFoundError(f"no Gongkai archive in {data_dir} (run `gongkai import` first)")
    with contextlib.suppress(OSError, sqlite3.OperationalError):  # read-only medium: serve it
        Archive.open(data_dir).close()


def _secret_key(data_dir: Path) -> str:
    from archive.errors import AccessError
    from archive.sharing import file_mode

    path = data_dir / "web-secret.key"
    try:
        return path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        pass
    except PermissionError:
        raise AccessError(
            f"this account cannot read {path} (permission denied); share the data directory "
            "with `gongkai init --group NAME`, or set GONGKAI_SECRET_KEY"
        ) from None
    key = secrets.token_hex(32)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, file_mode(data_dir))
    except FileExistsError:
        return path.read_text(encoding="ascii").strip()
    except OSError:
        return key  # not writable: sessions last until restart
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(key)
    return key


def get_gk():
    """The read-only Gongkai of this server thread (opened on first use, kept open)."""
    from indexer.service import Gongkai

    local = current_app.extensions["gongkai_local"]
    gk = getattr(local, "gk", None)
    if gk is None:
        gk = Gongkai(current_app.config["DATA_DIR"], readonly=True)
        local.gk = gk
    return gk


def auth_archive() -> Archive | None:
    """This server thread's writable archive connection for sessions and sign-in counts
    (opened on first use, kept open); None when the archive cannot be written."""
    local = current_app.extensions["gongkai_local"]
    archive = getattr(local, "auth", None)
    if archive is None and not getattr(local, "auth_failed", False):
        try:
            from archive.sessions import open_for_sessions

            archive = open_for_sessions(current_app.config["DATA_DIR"])
        except (OSError, sqlite3.OperationalError):
            local.auth_failed = True
            return None
        local.auth = archive
    return archive


def external_url(endpoint: str, **values: Any) -> str:
    """An absolute URL: ``BASE_URL`` + the path when a base URL is configured."""
    from flask import url_for

    base = current_app.config.get("BASE_URL", "")
    if base:
        return base + url_for(endpoint, **values)
    return url_for(endpoint, _external=True, **values)


@contextmanager
def writable_gk() -> Iterator[Any]:
    """A writable Gongkai for one staff request; closed afterwards."""
    from indexer.service import Gongkai

    gk = Gongkai(current_app.config["DATA_DIR"])
    try:
        yield gk
    finally:
        gk.close()


def current_user() -> str | None:
    """The signed-in staff account name, or None."""
    return g.get("user")
