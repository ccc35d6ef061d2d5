"""Staff sessions are server-side and revocable, and sign-in throttling is shared (issue 12,
items 1-2): a copied cookie dies at logout, disable, delete and password change; idle and
absolute timeouts end a session; the cookie holds only a random token and the database only
its hash; failures from one address never lock the owner out at theirs."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from flask import Flask
from flask.testing import FlaskClient
from helpers import PASSWORD, WEB, csrf_token, history_rows, import_docs, login

from archive import Archive
from archive.errors import EXIT_NOT_FOUND
from archive.sessions import LoginFailures, Sessions, token_hash
from archive.users import Users
from cli import main
from indexer.service import Gongkai
from search_app import create_app
from search_app.auth import COOKIE, add_user

#: Every test here runs on an SQLite and on a PostgreSQL archive.
pytestmark = pytest.mark.usefixtures("archive_backend")

OTHER_ADDRESS = {"REMOTE_ADDR": "198.51.100.7"}


@pytest.fixture(scope="module")
def template_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data = tmp_path_factory.mktemp("sessions-template")
    import_docs(data, WEB / "yuanlin-2016-2.txt")
    with Gongkai(data) as gk:
        add_user(gk.archive, "alice", PASSWORD)
    return data


@pytest.fixture
def data(template_data: Path, tmp_path: Path) -> Path:
    """A private copy of a small data directory with the account alice."""
    import shutil

    target = tmp_path / "data"
    shutil.copytree(template_data, target)
    return target


@pytest.fixture
def app(data: Path) -> Flask:
    return create_app({"DATA_DIR": data, "TESTING": True, "SECRET_KEY": "s"})


def doc_id(data: Path) -> str:
    with Archive.open(data, readonly=True) as archive:
        return archive.conn.execute("SELECT id FROM documents").fetchone()[0]


def status_post(client: FlaskClient, data: Path, token: str) -> int:
    """A staff status change; returns the status code."""
    return client.post(
        "/staff/status",
        data={
            "csrf_token": token,
            "doc_id": doc_id(data),
            "validity": "已废止",
            "date": "2024-01-01",
        },
    ).status_code


def signed_in(app: Flask) -> tuple[FlaskClient, str]:
    client = app.test_client()
    assert login(client).status_code == 302
    return client, csrf_token(client.get("/staff/"))


def copy_of(app: Flask, client: FlaskClient) -> FlaskClient:
    """A second client holding a copy of ``client``'s staff cookie (a stolen cookie)."""
    cookie = client.get_cookie(COOKIE)
    assert cookie is not None
    thief = app.test_client()
    thief.set_cookie(COOKIE, cookie.value)
    return thief


def user_cli(data: Path, *args: str, stdin: str = "") -> Result:
    return CliRunner().invoke(main, ["--data", str(data), "user", *args], input=stdin)


def test_cookie_holds_only_a_token_and_the_database_only_its_hash(app: Flask, data: Path) -> None:
    client, _ = signed_in(app)
    cookie = client.get_cookie(COOKIE)
    assert cookie is not None and cookie.http_only and cookie.same_site == "Lax"
    assert "alice" not in cookie.value and len(cookie.value) >= 40
    with Archive.open(data, readonly=True) as archive:
        rows = [dict(r) for r in archive.conn.execute("SELECT * FROM sessions")]
    assert [r["user"] for r in rows] == ["alice"]
    assert rows[0]["token_hash"] == token_hash(cookie.value)
    assert cookie.value not in json.dumps(rows)


def test_a_copied_cookie_dies_at_logout(app: Flask, data: Path) -> None:
    client, token = signed_in(app)
    thief = copy_of(app, client)
    assert thief.get("/staff/").status_code == 200
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302
    assert thief.get("/staff/").status_code == 302  # to the login page
    before = history_rows(data)
    assert status_post(thief, data, token) == 401
    assert history_rows(data) == before


@pytest.mark.parametrize(
    ("args", "stdin"),
    [
        (("disable", "alice"), ""),
        (("delete", "alice"), ""),
        (("passwd", "alice", "--password-stdin"), "a new password 2\n"),
    ],
)
def test_disable_delete_and_passwd_end_every_session(
    app: Flask, data: Path, args: tuple[str, ...], stdin: str
) -> None:
    first, token = signed_in(app)
    second, _ = signed_in(app)
    result = user_cli(data, *args, "--json", stdin=stdin)
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report == {"user": "alice", "action": args[0], "sessions_ended": 2}
    for client in (first, second):
        assert client.get("/staff/").status_code == 302
        assert status_post(client, data, token) == 401


def test_account_changes_made_behind_the_session_store_still_end_it(app: Flask, data: Path) -> None:
    """The per-request check reads the account itself, not only the session rows."""
    client, token = signed_in(app)
    with Archive.open(data) as archive:
        Users(archive).set_disabled("alice")
    assert client.get("/staff/").status_code == 302
    with Archive.open(data) as archive:
        Users(archive).set_disabled("alice", False)
    client, token = signed_in(app)
    with Archive.open(data) as archive:
        Users(archive).set_password("alice", "some-other-hash")
    assert status_post(client, data, token) == 401


def test_enable_signs_in_again_and_sessions_lists_without_tokens(app: Flask, data: Path) -> None:
    assert user_cli(data, "disable", "alice").exit_code == 0
    assert login(app.test_client()).status_code == 401
    enabled = user_cli(data, "enable", "alice")
    assert enabled.exit_code == 0 and "enabled alice" in enabled.stdout
    client, _ = signed_in(app)
    listed = user_cli(data, "sessions", "--json")
    assert listed.exit_code == 0, listed.output
    (row,) = json.loads(listed.stdout)
    assert set(row) == {"user", "created_at", "last_seen_at", "address"}
    assert row["user"] == "alice"
    cookie = client.get_cookie(COOKIE)
    assert cookie is not None and cookie.value not in listed.stdout
    missing = user_cli(data, "disable", "nobody")
    assert missing.exit_code == EXIT_NOT_FOUND and "no account 'nobody'" in missing.stderr


def test_passwd_refuses_a_short_password(data: Path) -> None:
    result = user_cli(data, "passwd", "alice", "--password-stdin", stdin="short\n")
    assert result.exit_code == 2 and "at least 8" in result.stderr


def test_idle_and_absolute_timeouts(data: Path) -> None:
    with Archive.open(data) as archive:
        sessions = Sessions(archive, idle=1800, absolute=43200)
        token = sessions.start("alice", at=1000.0)
        assert sessions.check(token, at=1000.0 + 1799) is not None  # touches last_seen
        assert sessions.check(token, at=1000.0 + 1799 + 1799) is not None
        assert sessions.check(token, at=1000.0 + 1799 + 1799 + 1801) is None  # idle
        assert sessions.check(token, at=5000.0) is None  # gone for good
        token = sessions.start("alice", at=0.0)
        for minute in range(1, 12 * 60 + 1):
            seen = sessions.check(token, at=minute * 60.0)
            assert (seen is not None) == (minute * 60 <= 43200), minute
        assert sessions.check(token, at=43201.0) is None


def test_web_timeouts_are_configurable(data: Path) -> None:
    app = create_app(
        {"DATA_DIR": data, "TESTING": True, "SECRET_KEY": "s", "STAFF_SESSION_IDLE": 0}
    )
    client = app.test_client()
    assert login(client).status_code == 302
    with Archive.open(data) as archive:  # a second later the session has been idle too long
        archive.conn.execute("UPDATE sessions SET last_seen = last_seen - 2")
    assert client.get("/staff/").status_code == 302
    assert client.get_cookie(COOKIE) is None  # and the browser is told to forget it


@pytest.mark.parametrize(
    ("config", "env", "secure"),
    [
        ({}, {}, False),
        ({"BASE_URL": "https://gongkai.example.gov"}, {}, True),
        ({}, {"GONGKAI_SECURE_COOKIES": "1"}, True),
        ({"BASE_URL": "https://gongkai.example.gov"}, {"GONGKAI_SECURE_COOKIES": "0"}, False),
        ({"SESSION_COOKIE_SECURE": True}, {}, True),
    ],
)
def test_secure_cookies_setting(
    data: Path, monkeypatch: pytest.MonkeyPatch, config: dict, env: dict, secure: bool
) -> None:
    monkeypatch.delenv("GONGKAI_SECURE_COOKIES", raising=False)
    monkeypatch.delenv("GONGKAI_BASE_URL", raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    app = create_app({"DATA_DIR": data, "TESTING": True, "SECRET_KEY": "s", **config})
    assert app.config["SESSION_COOKIE_SECURE"] is secure
    client = app.test_client()
    base = "https://localhost" if secure else "http://localhost"
    token = csrf_token(client.get("/login", base_url=base))
    response = client.post(
        "/login",
        data={"name": "alice", "password": PASSWORD, "csrf_token": token},
        base_url=base,
    )
    assert response.status_code == 302
    staff_cookie = [c for c in response.headers.getlist("Set-Cookie") if c.startswith(COOKIE)]
    assert staff_cookie and ("Secure" in staff_cookie[0]) is secure


def test_someone_elses_failures_do_not_lock_the_owner_out(app: Flask) -> None:
    attacker = app.test_client()
    for _ in range(12):
        response = login_from(attacker, "alice", "guess guess", OTHER_ADDRESS)
        assert response.status_code in (401, 429)
    assert login_from(attacker, "alice", PASSWORD, OTHER_ADDRESS).status_code == 429
    assert login(app.test_client()).status_code == 302  # the owner, at their own address


def test_failure_counts_live_in_the_database(data: Path) -> None:
    with Archive.open(data) as archive:
        failures = LoginFailures(archive)
        for second in range(5):
            failures.record("pair:alice|a", at=100.0 + second)
        assert failures.retry_after("pair:alice|a", 5, 300, at=110.0) == 290
        assert failures.retry_after("pair:alice|a", 6, 300, at=110.0) == 0
        assert failures.retry_after("pair:alice|a", 5, 300, at=401.0) == 0
        assert failures.retry_after("pair:alice|b", 5, 300, at=110.0) == 0
        assert failures.purge(300, at=402.0) == 3  # 100, 101, 102 have left the window


def login_from(client: FlaskClient, name: str, password: str, environ: dict) -> object:
    token = csrf_token(client.get("/login", environ_base=environ))
    return client.post(
        "/login",
        data={"name": name, "password": password, "csrf_token": token},
        environ_base=environ,
    )


def test_session_rows_are_not_reachable_from_a_readonly_archive(data: Path) -> None:
    """Sessions need a writable archive; a read-only one cannot start any."""
    with Archive.open(data, readonly=True) as archive, pytest.raises(sqlite3.OperationalError):
        Sessions(archive).start("alice")
