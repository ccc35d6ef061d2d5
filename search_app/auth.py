"""Staff accounts, server-side sessions, CSRF protection and login throttling.

Accounts live in the archive's ``users`` table (created by ``gongkai user add``, stored by
:mod:`archive.users`) with werkzeug password hashes, which are made and checked here.

A signed-in browser holds one cookie (``gongkai_staff``) with a random token and nothing else;
the session itself is a row in the archive database (:mod:`archive.sessions`), checked on every
request that carries the cookie: a deleted or disabled account, a changed password, 30 minutes
idle or 12 hours in all (``STAFF_SESSION_IDLE`` / ``STAFF_SESSION_MAX``, seconds) end it, and
logout, ``gongkai user disable|delete|passwd`` end every session of the account at once.

Every form carries a CSRF token and every state-changing (POST) request outside the JSON API
must send it back: a signed-in session's token is stored with the session; before sign-in
(the login form) it is kept in Flask's signed cookie.

Failed sign-ins are counted in the archive database, so every server process sees the same
counts: per (account, address) pair (5 in 5 minutes) and per address (20 in 5 minutes). Past
either the form answers 429 with ``Retry-After``. Someone failing from another address cannot
lock the owner out; one address cannot try many accounts at speed.
"""

from __future__ import annotations

import hmac
import secrets
import sqlite3
from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Flask,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from markupsafe import Markup
from werkzeug.exceptions import TooManyRequests
from werkzeug.security import check_password_hash, generate_password_hash

from archive import Archive
from archive.errors import InvalidInput, NotFoundError
from archive.sessions import ABSOLUTE_TIMEOUT, IDLE_TIMEOUT, LoginFailures, Session, Sessions
from archive.users import AccountExistsError, Users

bp = Blueprint("auth", __name__)

MIN_PASSWORD = 8
_DUMMY_HASH = generate_password_hash("not a real password")


class UserError(InvalidInput):
    """A bad account name or password, or an account that already exists."""


# -- accounts (used by the CLI and the login form) ----------------------------------------


def add_user(archive: Archive, name: str, password: str) -> None:
    """Create an account; raises :class:`UserError` for a bad name/password or a duplicate."""
    name = name.strip()
    if not name or len(name) > 64 or any(ch.isspace() for ch in name):
        raise UserError("account name must be 1-64 characters without spaces")
    _valid_password(password)
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


def _valid_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise UserError(f"password must be at least {MIN_PASSWORD} characters")


def _account_change(archive: Archive, name: str, change: Callable[[Users], bool]) -> int:
    """Apply ``change`` and end every session of the account, in one transaction; returns how
    many sessions ended. :class:`NotFoundError` when there is no such account."""
    with archive.transaction():
        if not change(Users(archive)):
            raise NotFoundError(f"no account {name!r}")
        return Sessions(archive).end_all(name)


def disable_user(archive: Archive, name: str) -> int:
    """Disable an account and end its sessions; returns how many sessions ended."""
    return _account_change(archive, name, lambda users: users.set_disabled(name, True))


def enable_user(archive: Archive, name: str) -> int:
    """Enable an account again (it signs in anew: no session survives a disable)."""
    return _account_change(archive, name, lambda users: users.set_disabled(name, False))


def delete_user(archive: Archive, name: str) -> int:
    """Delete an account and end its sessions; returns how many sessions ended."""
    return _account_change(archive, name, lambda users: users.delete(name))


def change_password(archive: Archive, name: str, password: str) -> int:
    """Set a new password and end every session of the account; returns how many ended."""
    _valid_password(password)
    new_hash = generate_password_hash(password)
    return _account_change(archive, name, lambda users: users.set_password(name, new_hash))


def list_sessions(archive: Archive, name: str | None = None) -> list[dict[str, object]]:
    """The live sessions (of one account, or all) as ``user``, ``created_at``,
    ``last_seen_at``, ``address`` (the CLI's JSON keys); never their tokens."""
    if name is not None and Users(archive).get(name) is None:
        raise NotFoundError(f"no account {name!r}")
    return [s.to_dict() for s in Sessions(archive).live(name)]


# -- sessions -----------------------------------------------------------------------------

COOKIE = "gongkai_staff"


def _sessions() -> Sessions | None:
    """The session store of this server thread, or None when the archive is read-only."""
    from search_app import auth_archive

    archive = auth_archive()
    if archive is None:
        return None
    return Sessions(
        archive,
        idle=float(current_app.config.get("STAFF_SESSION_IDLE", IDLE_TIMEOUT)),
        absolute=float(current_app.config.get("STAFF_SESSION_MAX", ABSOLUTE_TIMEOUT)),
    )


def _load_session() -> Session | None:
    token = request.cookies.get(COOKIE, "")
    if not token:
        return None
    store = _sessions()
    found = store.check(token) if store is not None else None
    if found is None:
        g.drop_cookie = True
    return found


def _set_cookie(response: Any, token: str) -> None:
    config = current_app.config
    response.set_cookie(
        COOKIE,
        token,
        max_age=int(config.get("STAFF_SESSION_MAX", ABSOLUTE_TIMEOUT)),
        httponly=True,
        secure=bool(config.get("SESSION_COOKIE_SECURE")),
        samesite="Lax",
        path="/",
    )


# -- CSRF ---------------------------------------------------------------------------------


def csrf_token() -> str:
    """The CSRF token forms must send back: the session's once signed in."""
    staff: Session | None = g.get("staff")
    if staff is not None:
        return staff.csrf
    token = session.get("csrf")
    if not token:
        token = secrets.token_urlsafe(32)
        session["csrf"] = token
    return token


def csrf_field() -> Markup:
    return Markup('<input type="hidden" name="csrf_token" value="{}">').format(csrf_token())


def _check_csrf() -> None:
    sent = request.form.get("csrf_token", "") or request.headers.get("X-CSRF-Token", "")
    staff: Session | None = g.get("staff")
    expected = staff.csrf if staff is not None else session.get("csrf", "")
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
        g.staff = _load_session()
        g.user = g.staff.user if g.staff is not None else None
        if request.url_rule is None or request.blueprint == "api":
            return  # unknown route or method (404/405 follow), or the cookie-less JSON API
        if request.method in ("POST", "PUT", "PATCH", "DELETE"):
            view = app.view_functions.get(request.endpoint or "")
            if getattr(view, "login_required", False) and not g.user:
                abort(401)  # anonymous writes are refused before anything else is looked at
            _check_csrf()

    @app.after_request
    def staff_cookie(response: Any) -> Any:
        token = g.get("new_token")
        if token:
            _set_cookie(response, token)
        elif g.get("drop_cookie"):
            response.delete_cookie(COOKIE, path="/")
        if g.get("user"):
            response.headers["Cache-Control"] = "no-store"
        return response

    @app.context_processor
    def inject() -> dict[str, Any]:
        return {"csrf_field": csrf_field, "current_user": g.get("user")}


# -- throttling ---------------------------------------------------------------------------

#: Failed sign-ins allowed, as (count, window in seconds); app config keys override.
LOGIN_FAILURES_PER_PAIR = (5, 300)
LOGIN_FAILURES_PER_ADDRESS = (20, 300)


def _limits() -> tuple[tuple[int, float], tuple[int, float]]:
    config = current_app.config
    pair = config.get("LOGIN_FAILURES_PER_PAIR", LOGIN_FAILURES_PER_PAIR)
    address = config.get("LOGIN_FAILURES_PER_ADDRESS", LOGIN_FAILURES_PER_ADDRESS)
    return (int(pair[0]), float(pair[1])), (int(address[0]), float(address[1]))


def _throttle_keys(name: str) -> tuple[str, str]:
    address = request.remote_addr or "-"
    return f"pair:{name.strip().lower()}|{address}", f"address:{address}"


def _safe_next(target: str | None) -> str:
    if not target:
        return url_for("staff.index")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return url_for("staff.index")
    return target


def has_control_chars(value: str) -> bool:
    """True when ``value`` holds a C0 control character or DEL (CR/LF in a redirect)."""
    return any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in value)


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    from search_app import get_gk

    error = ""
    status = 200
    next_target = request.values.get("next", "")
    if has_control_chars(next_target) or len(next_target) > 2000:
        abort(400, description="next 参数无效（含控制字符或过长）。")
    if request.method == "POST":
        name = request.form.get("name", "")
        password = request.form.get("password", "")
        store = _sessions()
        if store is None:
            abort(503, description="数据目录为只读，无法登录。")
        failures = LoginFailures(store.archive)
        (pair_limit, pair_window), (addr_limit, addr_window) = _limits()
        pair_key, addr_key = _throttle_keys(name)
        wait = max(
            failures.retry_after(pair_key, pair_limit, pair_window),
            failures.retry_after(addr_key, addr_limit, addr_window),
        )
        if wait:
            raise TooManyRequests(retry_after=wait)
        if check_user(get_gk().archive, name, password):
            old = request.cookies.get(COOKIE)
            try:
                if old:
                    store.end(old)
                failures.clear(pair_key)
                g.new_token = store.start(name.strip(), address=request.remote_addr or "")
            except (LookupError, sqlite3.OperationalError):
                abort(503, description="暂时无法登录，请稍后再试。")
            session.clear()
            flash(f"已登录：{name.strip()}")
            return redirect(_safe_next(next_target))
        failures.record(pair_key, addr_key)
        failures.purge(max(pair_window, addr_window))
        error = "账号或密码不正确。"
        status = 401
    return render_template("login.html", error=error, next=next_target), status


@bp.route("/logout", methods=["GET", "POST"])
def logout() -> Any:
    if request.method == "POST":
        token = request.cookies.get(COOKIE)
        store = _sessions()
        if token and store is not None:
            store.end(token)
        g.drop_cookie = True
        g.user = g.staff = None
        session.clear()
        flash("已退出登录。")
        return redirect(url_for("search.home"))
    return render_template("logout.html")
