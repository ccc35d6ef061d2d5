"""The PostgreSQL server the archive tests also run on (tests/conftest.py ``archive_backend``).

``GONGKAI_TEST_POSTGRES`` names it (a URL; default the role and database that `.ci/run`
creates). Without a reachable server the PostgreSQL half of the tests is skipped, saying so,
unless ``GONGKAI_REQUIRE_POSTGRES=1`` (CI), which makes it fail instead. Every archive a test
creates gets a schema of its own (``GONGKAI_NEW_ARCHIVE_URL``, see archive/backend.py), and
the schemas a run created are dropped at its end."""

from __future__ import annotations

import functools
import os
from urllib.parse import urlsplit

import pytest

from archive.backend import NEW_ENV, PREFIX_ENV, redacted

URL = os.environ.get(
    "GONGKAI_TEST_POSTGRES", "postgresql://gongkai:gongkai@localhost:5432/gongkai_test"
)
REQUIRED = os.environ.get("GONGKAI_REQUIRE_POSTGRES") == "1"
#: This run's schemas start with it, so that dropping them at the end touches no other
#: run's (or a benchmark's) in the same database.
PREFIX = f"gktest{os.getpid()}"


@functools.cache
def problem() -> str | None:
    """Why the test server cannot be used, or None."""
    try:
        import psycopg
    except ImportError as exc:  # pragma: no cover - a dependency
        return f"psycopg is not installed ({exc})"
    try:
        with psycopg.connect(URL, connect_timeout=3) as conn:
            conn.execute("SELECT 1")
    except psycopg.Error as exc:
        lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
        return lines[-1] if lines else type(exc).__name__
    return None


def require() -> str:
    """The server's URL, or skip (fail when required) with the reason."""
    why = problem()
    if why is not None:
        message = (
            f"PostgreSQL tests skipped: no server at {redacted(URL)} ({why}); "
            "set GONGKAI_TEST_POSTGRES to a reachable one (`.ci/run` starts one)"
        )
        if REQUIRED:
            pytest.fail(message.replace("skipped", "required (GONGKAI_REQUIRE_POSTGRES=1)"))
        pytest.skip(message)
    return URL


def schemas() -> set[str]:
    import psycopg

    with psycopg.connect(URL, connect_timeout=3) as conn:
        rows = conn.execute(
            "SELECT nspname FROM pg_namespace WHERE nspname LIKE %s", (PREFIX + r"\_%",)
        )
        return {r[0] for r in rows}


def drop(names: set[str]) -> None:
    import psycopg

    with psycopg.connect(URL, connect_timeout=3, autocommit=True) as conn:
        for name in sorted(names):
            conn.execute(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')


def use(monkeypatch: pytest.MonkeyPatch) -> str:
    """Make every archive created from now on in this test (and in the processes it starts)
    a PostgreSQL archive in a new schema; returns the server's URL."""
    url = require()
    password = urlsplit(url).password
    if password is not None:
        monkeypatch.setenv("PGPASSWORD", password)
    monkeypatch.setenv(NEW_ENV, redacted(url))
    monkeypatch.setenv(PREFIX_ENV, PREFIX)
    return url
