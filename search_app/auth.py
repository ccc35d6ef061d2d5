"""Staff accounts, sessions, CSRF protection and login throttling.

Accounts live in the archive's ``users`` table (created by ``gongkai user add``, stored by
:mod:`archive.users`) with werkzeug password hashes, which are made and checked here. A
signed-in session holds the account name. Every form carries a per-session CSRF token, and
every state-changing (POST) request outside the JSON API must send it back. Failed sign-ins
are limited per client address and per account name (Flask-Limiter, counted in the server
process's memory): past the limit the login form answers 429 until the window has passed, so
passwords cannot be guessed at speed.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Flask,
    abort,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from markupsafe import Markup
from werkzeug.security import check_password_hash, generate_password_hash

from archive import Archive
from archive.errors import InvalidInput
from archive.users import AccountExistsError, Users

bp = Blueprint("auth", __name__)

MIN_PASSWORD = 8
#: Failed sign-ins allowed per window (Flask-Limiter notation); app config keys override.
LOGIN_FAILURES_PER_ADDRESS = "10 per 5 minutes"
LOGIN_FAILURES_PER_ACCOUNT = "5 per 5 minutes"
_DUMMY_HASH = generate_password_hash("not a real password")


class UserError(InvalidInput):
    """A bad account name or password, or an account that already exists."""


# -- accounts (used by the CLI and the login form) ----------------------------------------


def add_user(archive: Archive, name: str, password: str) -> None:
    """Create an account; raises :class:`UserError` for a bad name/password or a duplicate."""
    name = name.strip()
    if not name or len(name) > 64 or any(ch.isspace() for ch in name):
        raise UserError("account name must be 1-64 characters without spaces")
    if len(password) < MIN_PASSWORD:
        raise UserError(f"password must be at least {MIN_PASSWORD} characters")
    try:
        Users(archive).add(name, generate_password_hash(password))
    except AccountExistsError as exc:
        raise UserError(str(exc)) from None


def list_users(archive: Archive) -> list[dict[str, object]]:
    """Every account as ``name``, ``created_at`` and ``disabled`` (the CLI's JSON keys)."""
    return [
        {"name": a.name, "created_at": a.created_at, "disabled": a.disabled}
        for a in Users(archive).all()
    ]


def check_user(archive: Archive, name: str, password: str) -> bool:
    """True when ``name`` is an enabled account with this password (same work either way)."""
    account = Users(archive).get(name.strip())
    if account is None:
        check_password_hash(_DUMMY_HASH, password)
        return False
    return check_password_hash(account.password_hash, password) and not account.disabled


# -- CSRF ---------------------------------------------------------------------------------


def csrf_token() -> str:
    token = session.get("csrf")
    if not token:
        token = secrets.token_urlsafe(32)
        session["csrf"] = token
    return token


def csrf_field() -> Markup:
    return Markup('<input type="hidden" name="csrf_token" value="{}">').format(csrf_token())


def _check_csrf() -> None:
    sent = request.form.get("csrf_token", "") or request.headers.get("X-CSRF-Token", "")
    expected = session.get("csrf", "")
    if not expected or not sent or not hmac.compare_digest(str(sent), str(expected)):
        abort(400, description="表单已过期或来源不明（CSRF 校验失败），请刷新页面后重试。")


def login_required(view: Callable[..., Any]) -> Callable[..., Any]:
    """Anonymous GET → the login page; anonymous anything else → 401."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if not g.get("user"):
            if request.method == "GET":
                return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
            abort(401)
        return view(*args, **kwargs)

    wrapper.login_required = True  # type: ignore[attr-defined]
    return wrapper


def register(app: Flask) -> None:
    @app.before_request
    def load_user_and_check_csrf() -> None:
        g.user = session.get("user")
        if request.url_rule is None or request.blueprint == "api":
            return  # unknown route or method (404/405 follow), or the cookie-less JSON API
        if request.method in ("POST", "PUT", "PATCH", "DELETE"):
            view = app.view_functions.get(request.endpoint or "")
            if getattr(view, "login_required", False) and not g.user:
                abort(401)  # anonymous writes are refused before anything else is looked at
            _check_csrf()

    @app.context_processor
    def inject() -> dict[str, Any]:
        return {"csrf_field": csrf_field, "current_user": g.get("user")}

    # One limiter per app (its counts live with it); only failed attempts count.
    limiter = Limiter(
        get_remote_address,
        app=app,
        storage_uri=app.config.get("RATELIMIT_STORAGE_URI", "memory://"),
        headers_enabled=True,  # Retry-After on 429
    )
    per_address = app.config.get("LOGIN_FAILURES_PER_ADDRESS", LOGIN_FAILURES_PER_ADDRESS)
    per_account = app.config.get("LOGIN_FAILURES_PER_ACCOUNT", LOGIN_FAILURES_PER_ACCOUNT)
    view = limiter.limit(per_account, key_func=_account_key, methods=["POST"], deduct_when=_failed)(
        login
    )
    app.view_functions["auth.login"] = limiter.limit(
        per_address, methods=["POST"], deduct_when=_failed
    )(view)


def _failed(response: Any) -> bool:
    return response.status_code == 401


def _account_key() -> str:
    return "account:" + request.form.get("name", "").strip().lower()


def _safe_next(target: str | None) -> str:
    if not target:
        return url_for("staff.index")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return url_for("staff.index")
    return target


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    from search_app import get_gk

    error = ""
    status = 200
    if request.method == "POST":
        name = request.form.get("name", "")
        password = request.form.get("password", "")
        if check_user(get_gk().archive, name, password):
            session.clear()
            session["user"] = name.strip()
            csrf_token()
            flash(f"已登录：{name.strip()}")
            return redirect(_safe_next(request.form.get("next")))
        error = "账号或密码不正确。"
        status = 401
    return (
        render_template("login.html", error=error, next=request.values.get("next", "")),
        status,
    )


@bp.route("/logout", methods=["GET", "POST"])
def logout() -> Any:
    if request.method == "POST":
        session.clear()
        flash("已退出登录。")
        return redirect(url_for("search.home"))
    return render_template("logout.html")
