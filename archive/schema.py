"""The archive's SQLite schema as an ordered list of forward migrations.

``PRAGMA user_version`` holds how many have been applied; opening an archive applies the rest,
each in its own transaction. Never edit a released migration: add the next one.
"""

from __future__ import annotations

import sqlite3

MIGRATIONS: list[str] = [
    # 1: documents and their append-only history
    """
    CREATE TABLE documents (
        id TEXT PRIMARY KEY,
        rev INTEGER NOT NULL DEFAULT 1,
        title TEXT NOT NULL,
        index_number TEXT NOT NULL DEFAULT '',
        index_number_norm TEXT NOT NULL DEFAULT '',
        agency TEXT NOT NULL DEFAULT '',
        doc_number TEXT NOT NULL DEFAULT '',
        doc_number_norm TEXT NOT NULL DEFAULT '',
        category TEXT NOT NULL DEFAULT '',
        date_written TEXT NOT NULL DEFAULT '',
        date_issued TEXT NOT NULL DEFAULT '',
        date_effective TEXT NOT NULL DEFAULT '',
        validity TEXT NOT NULL DEFAULT '未知',
        validity_raw TEXT NOT NULL DEFAULT '',
        kind TEXT NOT NULL DEFAULT 'notice',
        source_name TEXT NOT NULL DEFAULT '',
        sha256 TEXT NOT NULL UNIQUE,
        size INTEGER NOT NULL DEFAULT 0,
        media_type TEXT NOT NULL DEFAULT '',
        extractor TEXT NOT NULL DEFAULT '',
        text TEXT NOT NULL DEFAULT '',
        extra TEXT NOT NULL DEFAULT '{}',
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    CREATE INDEX documents_doc_number ON documents(doc_number_norm);
    CREATE INDEX documents_index_number ON documents(index_number_norm);
    CREATE INDEX documents_title ON documents(title);
    CREATE INDEX documents_date_issued ON documents(date_issued);
    CREATE TABLE history (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        doc_id TEXT NOT NULL,
        at TEXT NOT NULL,
        actor TEXT NOT NULL,
        action TEXT NOT NULL,
        detail TEXT NOT NULL DEFAULT '{}'
    );
    CREATE INDEX history_doc ON history(doc_id, seq);
    CREATE TRIGGER history_is_append_only_update BEFORE UPDATE ON history
        BEGIN SELECT RAISE(ABORT, 'history is append-only'); END;
    CREATE TRIGGER history_is_append_only_delete BEFORE DELETE ON history
        BEGIN SELECT RAISE(ABORT, 'history is append-only'); END;
    """,
    # 2: staff accounts for the web tools (werkzeug password hashes)
    """
    CREATE TABLE users (
        name TEXT PRIMARY KEY,
        password_hash TEXT NOT NULL,
        created_at TEXT NOT NULL,
        disabled INTEGER NOT NULL DEFAULT 0
    );
    """,
]


def migrate(conn: sqlite3.Connection) -> int:
    """Apply the migrations this database has not seen; returns the resulting version."""
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version > len(MIGRATIONS):
        raise RuntimeError(
            f"archive schema version {version} is newer than this Gongkai ({len(MIGRATIONS)}); "
            "upgrade Gongkai"
        )
    for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
        conn.execute("BEGIN IMMEDIATE")
        try:
            for statement in _statements(script):
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {number}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
    return len(MIGRATIONS)


def _statements(script: str) -> list[str]:
    """Split a migration into statements, keeping trigger bodies whole."""
    statements, current = [], []
    for line in script.strip().splitlines():
        current.append(line)
        joined = "\n".join(current).strip()
        if joined.endswith(";") and sqlite3.complete_statement(joined):
            statements.append(joined)
            current = []
    if "\n".join(current).strip():
        statements.append("\n".join(current))
    return statements
