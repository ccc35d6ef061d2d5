"""The Gongkai web site: public search and reading pages, staff tools and the JSON API.

Build it with :func:`create_app`; nothing is opened at import time. Public pages read the data
directory through a read-only :class:`~indexer.service.Gongkai` per server thread; staff
writes open a separate writable one for the duration of the request and take the write lock.

Configuration keys (``create_app({...})``):

``DATA_DIR``       the data directory (required)
``SECRET_KEY``     signs session cookies; default: env ``GONGKAI_SECRET_KEY``, else a random key
                   kept in ``<DATA_DIR>/web-secret.key`` (created 0600) so sessions survive restarts
``MAX_CONTENT_LENGTH``  largest upload, bytes (default 100 MB)
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
    if not app.config.get("DATA_DIR"):
        raise ValueError("create_app needs DATA_DIR (the Gongkai data directory)")
    data_dir = Path(app.config["DATA_DIR"])
    app.config["DATA_DIR"] = data_dir
    _prepare_data_dir(data_dir)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = os.environ.get("GONGKAI_SECRET_KEY") or _secret_key(data_dir)
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    app.extensions["gongkai_local"] = threading.local()

    from search_app import api, auth, filters
    from search_app.views import check, document, feed, search, staff

    staff.clean_uploads(data_dir)
    filters.register(app)
    for module in (search, document, check, feed, staff):
        app.register_blueprint(module.bp)
    app.register_blueprint(auth.bp)
    app.register_blueprint(api.bp)
    auth.register(app)  # after the blueprints: it wraps the login view to throttle it
    from search_app import errors

    errors.register(app)
    return app


def _prepare_data_dir(data_dir: Path) -> None:
    """Apply pending migrations (the users table) once, with a short-lived writable open."""
    if not (data_dir / Archive.DB_NAME).exists():
        from archive.errors import NotFoundError

        raise NotFoundError(f"no Gongkai archive in {data_dir} (run `gongkai import` first)")
    with contextlib.suppress(OSError, sqlite3.OperationalError):  # read-only medium: serve it
        Archive.open(data_dir).close()


def _secret_key(data_dir: Path) -> str:
    path = data_dir / "web-secret.key"
    try:
        return path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        pass
    key = secrets.token_hex(32)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
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
