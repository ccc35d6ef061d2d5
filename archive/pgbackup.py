"""Backups of a PostgreSQL archive with ``pg_dump``, and their restore with ``pg_restore``.

The same promise as :mod:`archive.backup` makes for SQLite: one consistent snapshot taken
while the site serves and an import writes (``pg_dump`` reads in one repeatable-read
transaction), the originals in it (they are rows of the same schema), a manifest of sha256
hashes, written beside ``DEST`` and renamed into place when complete; a restore re-hashes
every file before it touches anything. The dump holds the archive's schema only
(``pg_dump -n``), so it restores into any database, under another schema name too.

The password is handed to ``pg_dump``/``pg_restore`` in their environment (``PGPASSWORD``),
never on their command line, where other accounts could read it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from archive.backend import PgConnection, connect_url, redacted
from archive.errors import ConflictError, DamagedError, InvalidInput, NotFoundError
from archive.planner import analyze_all

DUMP_NAME = "archive.pgdump"


def _tool_env(url: str) -> dict[str, str]:
    env = dict(os.environ)
    password = urlsplit(connect_url(url)).password
    if password is not None:
        env["PGPASSWORD"] = password
    return env


def _run(command: list[str], url: str) -> None:
    if shutil.which(command[0]) is None:
        raise NotFoundError(f"{command[0]} is not installed (Debian: postgresql-client)")
    done = subprocess.run(command, env=_tool_env(url), capture_output=True, text=True)
    if done.returncode != 0:
        why = (done.stderr.strip().splitlines() or ["(no message)"])[-1]
        raise DamagedError(f"{command[0]} failed: {why}")


def _database_url(url: str) -> str:
    """``url`` without its options (``pg_dump`` chooses the schema itself)."""
    parts = urlsplit(redacted(url))
    return parts._replace(query="").geturl()


def dump(url: str, target: Path) -> dict[str, Any]:
    """Dump the archive schema at ``url`` into the file ``target``; returns what the
    manifest records of it (the schema, documents, originals found damaged)."""
    conn = PgConnection(url, readonly=True)
    try:
        schema = conn.execute("SELECT current_schema()").fetchone()[0]
        documents = conn.execute("SELECT COUNT(*) FROM documents").fetchone()[0]
        damaged = [
            r[0]
            for r in conn.execute(
                "SELECT sha256 FROM originals WHERE encode(sha256(data), 'hex') <> sha256"
            )
        ]
        missing = [
            r[0]
            for r in conn.execute(
                "SELECT d.sha256 FROM documents d LEFT JOIN originals o ON o.sha256 = d.sha256 "
                "WHERE o.sha256 IS NULL"
            )
        ]
    finally:
        conn.close()
    _run(
        ["pg_dump", "--format=custom", "--no-owner", "--no-privileges", f"--schema={schema}",
         f"--file={target}", f"--dbname={_database_url(url)}"],
        url,
    )  # fmt: skip
    return {
        "database": "postgresql",
        "archive": redacted(url),
        "schema": schema,
        "documents": documents,
        "missing_originals": missing,
        "damaged_originals": damaged,
    }


def restore(dump_file: Path, manifest: dict[str, Any], url: str, *, force: bool) -> None:
    """Restore ``dump_file`` into the schema ``url`` names (created if missing; one that
    holds tables is replaced only with ``force``)."""
    source = str(manifest.get("schema") or "")
    if not source:
        raise InvalidInput("the backup's manifest names no schema")
    conn = PgConnection(url, check_schema=False)
    try:
        target = conn.execute("SELECT current_setting('search_path')").fetchone()[0]
        target = target.split(",")[0].strip().strip('"')
        if target in ("", "$user"):
            target = "public"
        tables = conn.execute(
            "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = ?", (target,)
        ).fetchone()[0]
        if tables and not force:
            raise ConflictError(
                f"the schema {target} of {redacted(url)} holds an archive; give --force to "
                "replace it with the backup"
            )
        if source != target:
            taken = conn.execute(
                "SELECT 1 FROM pg_namespace WHERE nspname = ?", (source,)
            ).fetchone()
            if taken:
                raise ConflictError(
                    f"the backup's schema {source} exists in that database: restore into it, "
                    "or into another database"
                )
        conn.execute(f'DROP SCHEMA IF EXISTS "{target}" CASCADE')
        _run(
            ["pg_restore", "--no-owner", "--no-privileges", "--exit-on-error",
             f"--dbname={_database_url(url)}", str(dump_file)],
            url,
        )  # fmt: skip
        if source != target:
            conn.execute(f'ALTER SCHEMA "{source}" RENAME TO "{target}"')
        analyze_all(conn)  # pg_restore brings no statistics
    finally:
        conn.close()
