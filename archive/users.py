"""Staff accounts as stored in the archive's ``users`` table.

The table is created by a migration in :mod:`archive.schema`, so the SQL that reads and writes
it lives here, next to it. This module stores and returns password *hashes* only: choosing the
hash, checking a password and the login session are the web app's business
(:mod:`search_app.auth`).
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field

from archive.errors import ConflictError
from archive.store import Archive, now


class AccountExistsError(ConflictError):
    """An account with this name is already stored."""


@dataclass(frozen=True)
class Account:
    """One staff account; ``password_hash`` is kept out of its repr."""

    name: str
    created_at: str
    disabled: bool = False
    password_hash: str = field(default="", repr=False)


class Users:
    """The staff accounts of one :class:`~archive.store.Archive`."""

    def __init__(self, archive: Archive) -> None:
        self.archive = archive

    def add(self, name: str, password_hash: str) -> Account:
        """Store a new, enabled account; raises :class:`AccountExistsError` for a taken name."""
        account = Account(name, now(), password_hash=password_hash)
        try:
            self.archive.conn.execute(
                "INSERT INTO users (name, password_hash, created_at) VALUES (?, ?, ?)",
                (account.name, account.password_hash, account.created_at),
            )
        except sqlite3.IntegrityError:
            raise AccountExistsError(f"account {name!r} already exists") from None
        return account

    def get(self, name: str) -> Account | None:
        """The account called ``name`` (exactly), or None."""
        row = self.archive.conn.execute(
            "SELECT name, created_at, disabled, password_hash FROM users WHERE name = ?", (name,)
        ).fetchone()
        return _account(row) if row else None

    def all(self) -> list[Account]:
        """Every account, by name."""
        rows = self.archive.conn.execute(
            "SELECT name, created_at, disabled, password_hash FROM users ORDER BY name"
        )
        return [_account(r) for r in rows]

    def set_disabled(self, name: str, disabled: bool = True) -> bool:
        """Disable (or enable again) an account; False when there is no such account."""
        cursor = self.archive.conn.execute(
            "UPDATE users SET disabled = ? WHERE name = ?", (int(disabled), name)
        )
        return cursor.rowcount > 0

    def set_password(self, name: str, password_hash: str) -> bool:
        """Store a new password hash; False when there is no such account."""
        cursor = self.archive.conn.execute(
            "UPDATE users SET password_hash = ? WHERE name = ?", (password_hash, name)
        )
        return cursor.rowcount > 0

    def delete(self, name: str) -> bool:
        """Remove an account (its history entries keep its name); False when there is none."""
        cursor = self.archive.conn.execute("DELETE FROM users WHERE name = ?", (name,))
        return cursor.rowcount > 0


def _account(row: sqlite3.Row) -> Account:
    return Account(
        name=row["name"],
        created_at=row["created_at"],
        disabled=bool(row["disabled"]),
        password_hash=row["password_hash"],
    )


__all__ = ["Account", "AccountExistsError", "Users"]
