"""Staff accounts: stored by ``archive.users`` (names, hashes, disabled flag), checked by
``search_app.auth`` (validation, password hashes) and managed with ``gongkai user add/list``."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from archive import Archive
from archive.errors import EXIT_USAGE
from archive.users import Account, AccountExistsError, Users
from cli import main
from search_app.auth import UserError, add_user, check_user, list_users

#: Every test here runs on an SQLite and on a PostgreSQL archive.
pytestmark = pytest.mark.usefixtures("archive_backend")

PASSWORD = "correct horse battery"


def user_cli(data: Path, *args: str, password: str = "") -> Result:
    return CliRunner().invoke(
        main, ["--data", str(data), "user", *args], input=password + "\n", catch_exceptions=False
    )


@pytest.fixture
def archive(tmp_path: Path) -> Iterator[Archive]:
    with Archive.open(tmp_path / "data") as opened:
        yield opened


def test_users_add_get_and_list(archive: Archive) -> None:
    users = Users(archive)
    assert users.get("alice") is None and users.all() == []
    bob = users.add("bob", "hash-b")
    alice = users.add("alice", "hash-a")
    assert users.get("alice") == alice
    assert alice == Account("alice", alice.created_at, disabled=False, password_hash="hash-a")
    assert alice.created_at[:4].isdigit() and "T" in alice.created_at
    assert [a.name for a in users.all()] == ["alice", "bob"]
    assert users.get("bob") == bob
    assert users.get("Alice") is None  # names are exact
    assert "hash-a" not in repr(alice)


def test_users_refuse_a_taken_name(archive: Archive) -> None:
    users = Users(archive)
    users.add("alice", "hash-a")
    with pytest.raises(AccountExistsError, match="account 'alice' already exists"):
        users.add("alice", "other")
    assert users.get("alice").password_hash == "hash-a"


def test_users_disable_and_enable(archive: Archive) -> None:
    users = Users(archive)
    users.add("alice", "hash-a")
    assert users.set_disabled("alice") is True
    assert users.get("alice").disabled is True
    assert users.set_disabled("alice", False) is True
    assert users.get("alice").disabled is False
    assert users.set_disabled("nobody") is False


def test_accounts_are_stored_for_other_connections(tmp_path: Path) -> None:
    with Archive.open(tmp_path / "data") as writer:
        Users(writer).add("alice", "hash-a")
    with Archive.open(tmp_path / "data", readonly=True) as reader:
        assert [a.name for a in Users(reader).all()] == ["alice"]


def test_auth_hashes_and_checks_passwords(archive: Archive) -> None:
    add_user(archive, "  alice ", PASSWORD)
    stored = Users(archive).get("alice")
    assert stored is not None and stored.password_hash != PASSWORD
    assert check_user(archive, "alice", PASSWORD)
    assert check_user(archive, " alice ", PASSWORD)
    assert not check_user(archive, "alice", PASSWORD + "!")
    assert not check_user(archive, "nobody", PASSWORD)
    Users(archive).set_disabled("alice")
    assert not check_user(archive, "alice", PASSWORD)
    assert list_users(archive) == [
        {"name": "alice", "created_at": stored.created_at, "disabled": True}
    ]


@pytest.mark.parametrize(
    ("name", "password", "message"),
    [
        ("", PASSWORD, "account name must be 1-64 characters without spaces"),
        ("a b", PASSWORD, "account name must be 1-64 characters without spaces"),
        ("x" * 65, PASSWORD, "account name must be 1-64 characters without spaces"),
        ("alice", "short", "password must be at least 8 characters"),
        ("taken", PASSWORD, "account 'taken' already exists"),
    ],
)
def test_auth_refuses_bad_accounts(
    archive: Archive, name: str, password: str, message: str
) -> None:
    add_user(archive, "taken", PASSWORD)
    with pytest.raises(UserError) as raised:
        add_user(archive, name, password)
    assert str(raised.value) == message
    assert [a.name for a in Users(archive).all()] == ["taken"]


def test_cli_user_add_and_list(tmp_path: Path) -> None:
    data = tmp_path / "data"
    added = user_cli(data, "add", "alice", "--password-stdin", password=PASSWORD)
    assert added.exit_code == 0, added.stderr
    assert added.stdout == "added user alice\n"

    again = user_cli(data, "add", "alice", "--password-stdin", password=PASSWORD)
    assert again.exit_code == EXIT_USAGE
    assert "account 'alice' already exists" in again.stderr

    listed = user_cli(data, "list", "--json")
    assert listed.exit_code == 0, listed.stderr
    (account,) = json.loads(listed.stdout)
    assert set(account) == {"name", "created_at", "disabled"}
    assert (account["name"], account["disabled"]) == ("alice", False)
    plain = user_cli(data, "list")
    assert plain.stdout == f"alice  {account['created_at']}\n"
    with Archive.open(data, readonly=True) as archive:
        assert check_user(archive, "alice", PASSWORD)
