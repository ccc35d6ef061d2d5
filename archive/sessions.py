"""Server-side staff sessions and failed sign-ins, stored in the archive database.

Why here and not in a signed cookie: a signed cookie cannot be taken back. A copy made before
logout kept working after it, and neither disabling nor deleting the account ended it. Now the
cookie holds only a random token; the database holds a SHA-256 hash of it (a copy of the
database does not sign anybody in), the account it belongs to, its CSRF token, and a stamp of
the account's password hash. :meth:`Sessions.check` runs on every request and ends the session
when the account is gone, disabled, has a new password, or the idle or absolute timeout has
passed. Several server processes or nodes on one archive see the same sessions.

Failed sign-ins (:class:`LoginFailures`) are kept here for the same reason: counts in one
process's memory are neither shared between processes nor kept across a restart.

The migration that creates both tables is number 6 in :mod:`archive.schema`. Times are Unix
seconds (``time.time()``), so that expiry is a comparison, not a date parse.
"""

from __future__ import annotations

import hashlib
import secrets
import sqlite3
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from archive.store import Archive

#: Default idle and absolute lifetimes of a staff session, in seconds (30 min, 12 h).
IDLE_TIMEOUT = 30 * 60
ABSOLUTE_TIMEOUT = 12 * 60 * 60
#: ``last_seen`` is written at most this often per session, so that reading pages does not
#: write to the database on every request.
TOUCH_EVERY = 30


#: How long a request waits behind another writer's transaction (an import) before giving up.
BUSY_TIMEOUT_MS = 5000


def open_for_sessions(root: Path | str) -> Archive:
    """A writable archive for the web server's session and sign-in writes: it waits only
    :data:`BUSY_TIMEOUT_MS` behind another writer, not the archive's usual 30 s."""
    archive = Archive.open(root)
    archive.conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    return archive


def token_hash(token: str) -> str:
    """What is stored for a session token (the token itself never is)."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def password_stamp(password_hash: str) -> str:
    """A short fingerprint of an account's password hash: it changes when the password does."""
    return hashlib.sha256(password_hash.encode("utf-8")).hexdigest()[:32]


def _iso(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).isoformat(timespec="seconds")


@dataclass(frozen=True)
class Session:
    """A live staff session, as a request sees it (the token is not part of it)."""

    user: str
    csrf: str
    created: float
    last_seen: float
    address: str = ""

    def to_dict(self) -> dict[str, object]:
        """The ``gongkai user sessions --json`` keys."""
        return {
            "user": self.user,
            "created_at": _iso(self.created),
            "last_seen_at": _iso(self.last_seen),
            "address": self.address,
        }


class Sessions:
    """The staff sessions of one :class:`~archive.store.Archive` (a writable one)."""

    def __init__(
        self,
        archive: Archive,
        *,
        idle: float = IDLE_TIMEOUT,
        absolute: float = ABSOLUTE_TIMEOUT,
    ) -> None:
        self.archive = archive
        self.idle = idle
        self.absolute = absolute

    def start(self, user: str, *, address: str = "", at: float | None = None) -> str:
        """A new session for the account ``user``; returns its token (shown only this once).

        Raises :class:`LookupError` when there is no such enabled account."""
        at = time.time() if at is None else at
        row = self.archive.conn.execute(
            "SELECT password_hash, disabled FROM users WHERE name = ?", (user,)
        ).fetchone()
        if row is None or row["disabled"]:
            raise LookupError(f"no enabled account {user!r}")
        token = secrets.token_urlsafe(32)
        self.archive.conn.execute(
            'INSERT INTO sessions (token_hash, "user", csrf, password_stamp, created, last_seen,'
            " address) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                token_hash(token),
                user,
                secrets.token_urlsafe(32),
                password_stamp(row["password_hash"]),
                at,
                at,
                address[:64],
            ),
        )
        return token

    def check(self, token: str, *, at: float | None = None) -> Session | None:
        """The live session of ``token``, or None; a session that has ended is removed.

        It has ended when its account was deleted or disabled or its password changed, when
        it was idle longer than ``idle`` or is older than ``absolute``."""
        if not token or len(token) > 200:
            return None
        at = time.time() if at is None else at
        digest = token_hash(token)
        row = self.archive.conn.execute(
            'SELECT s."user", s.csrf, s.password_stamp, s.created, s.last_seen, s.address,'
            ' u.password_hash, u.disabled FROM sessions s LEFT JOIN users u ON u.name = s."user"'
            " WHERE s.token_hash = ?",
            (digest,),
        ).fetchone()
        if row is None:
            return None
        ended = (
            row["password_hash"] is None
            or row["disabled"]
            or password_stamp(row["password_hash"]) != row["password_stamp"]
            or at - row["last_seen"] > self.idle
            or at - row["created"] > self.absolute
        )
        if ended:
            self._best_effort("DELETE FROM sessions WHERE token_hash = ?", (digest,))
            return None
        last_seen = row["last_seen"]
        if at - last_seen >= TOUCH_EVERY and self._best_effort(
            "UPDATE sessions SET last_seen = ? WHERE token_hash = ?", (at, digest)
        ):
            last_seen = at
        return Session(row["user"], row["csrf"], row["created"], last_seen, row["address"])

    def _best_effort(self, sql: str, args: tuple[object, ...]) -> bool:
        """Run a bookkeeping write; False when the database stays locked (an import's long
        transaction): the check's answer does not depend on it, and the next request retries."""
        try:
            self.archive.conn.execute(sql, args)
        except sqlite3.OperationalError:
            return False
        return True

    def end(self, token: str) -> bool:
        """End one session (logout); False when it was not live."""
        cursor = self.archive.conn.execute(
            "DELETE FROM sessions WHERE token_hash = ?", (token_hash(token),)
        )
        return cursor.rowcount > 0

    def end_all(self, user: str) -> int:
        """End every session of the account ``user``; returns how many there were."""
        cursor = self.archive.conn.execute('DELETE FROM sessions WHERE "user" = ?', (user,))
        return cursor.rowcount

    def live(self, user: str | None = None, *, at: float | None = None) -> list[Session]:
        """The sessions that have not timed out (of one account, or of all), oldest first."""
        at = time.time() if at is None else at
        sql = (
            'SELECT "user", csrf, created, last_seen, address FROM sessions'
            " WHERE last_seen >= ? AND created >= ?"
        )
        args: list[object] = [at - self.idle, at - self.absolute]
        if user is not None:
            sql += ' AND "user" = ?'
            args.append(user)
        rows = self.archive.conn.execute(sql + " ORDER BY created", args)
        return [
            Session(r["user"], r["csrf"], r["created"], r["last_seen"], r["address"]) for r in rows
        ]

    def purge(self, *, at: float | None = None) -> int:
        """Remove the sessions that have timed out; returns how many."""
        at = time.time() if at is None else at
        cursor = self.archive.conn.execute(
            "DELETE FROM sessions WHERE last_seen < ? OR created < ?",
            (at - self.idle, at - self.absolute),
        )
        return cursor.rowcount


class LoginFailures:
    """Failed sign-ins by key (``pair:<account>|<address>``, ``address:<address>``), in a
    sliding window: what the login throttle counts."""

    def __init__(self, archive: Archive) -> None:
        self.archive = archive

    def record(self, *keys: str, at: float | None = None) -> None:
        """One failed sign-in under each of ``keys``."""
        at = time.time() if at is None else at
        self.archive.conn.executemany(
            "INSERT INTO login_failures (key, at) VALUES (?, ?)", [(k, at) for k in keys]
        )

    def retry_after(self, key: str, limit: int, window: float, *, at: float | None = None) -> int:
        """Seconds until ``key`` may try again (0: it may now): ``limit`` failures within the
        last ``window`` seconds close it until the oldest of them leaves the window."""
        at = time.time() if at is None else at
        rows = self.archive.conn.execute(
            "SELECT at FROM login_failures WHERE key = ? AND at > ? ORDER BY at DESC LIMIT ?",
            (key, at - window, limit),
        ).fetchall()
        if len(rows) < limit:
            return 0
        return max(1, int(rows[-1]["at"] + window - at + 0.999))

    def clear(self, key: str) -> None:
        """Forget the failures of ``key`` (after a successful sign-in)."""
        self.archive.conn.execute("DELETE FROM login_failures WHERE key = ?", (key,))

    def purge(self, window: float, *, at: float | None = None) -> int:
        """Remove failures older than ``window`` seconds; returns how many."""
        at = time.time() if at is None else at
        cursor = self.archive.conn.execute(
            "DELETE FROM login_failures WHERE at <= ?", (at - window,)
        )
        return cursor.rowcount


__all__ = [
    "ABSOLUTE_TIMEOUT",
    "IDLE_TIMEOUT",
    "LoginFailures",
    "Session",
    "Sessions",
    "open_for_sessions",
    "password_stamp",
    "token_hash",
]
