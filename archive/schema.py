"""The archive's SQLite schema as an ordered list of forward migrations.

``PRAGMA user_version`` holds how many have been applied; opening an archive applies the rest,
each in its own transaction. Never edit a released migration: add the next one.
"""

from __future__ import annotations

import sqlite3
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from archive.backend import PgConnection

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
    # 3: relations between documents, staff status records, references found in text (see
    # archive/relations.py). Relations change state but are never deleted; every change is
    # also written to history. Status records are append-only.
    """
    CREATE TABLE relations (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        src TEXT NOT NULL,
        dst TEXT NOT NULL,
        type TEXT NOT NULL CHECK (
            type IN ('repeals', 'amends', 'supersedes', 'interprets', 'answers', 'cites')),
        effective TEXT NOT NULL DEFAULT '',
        origin TEXT NOT NULL DEFAULT 'manual' CHECK (origin IN ('manual', 'auto', 'manifest')),
        state TEXT NOT NULL DEFAULT 'confirmed' CHECK (
            state IN ('proposed', 'confirmed', 'rejected')),
        note TEXT NOT NULL DEFAULT '',
        evidence TEXT NOT NULL DEFAULT '',
        actor TEXT NOT NULL DEFAULT '',
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        CHECK (src <> dst),
        UNIQUE (src, dst, type)
    );
    CREATE INDEX relations_dst ON relations(dst, type);
    CREATE INDEX relations_state ON relations(state);
    CREATE TRIGGER relations_are_never_deleted BEFORE DELETE ON relations
        BEGIN SELECT RAISE(ABORT, 'relations are never deleted; reject them instead'); END;
    CREATE TABLE status_changes (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        doc_id TEXT NOT NULL,
        validity TEXT NOT NULL,
        effective TEXT NOT NULL DEFAULT '',
        by_doc TEXT NOT NULL DEFAULT '',
        note TEXT NOT NULL DEFAULT '',
        actor TEXT NOT NULL,
        created_at TEXT NOT NULL
    );
    CREATE INDEX status_changes_doc ON status_changes(doc_id, seq);
    CREATE TRIGGER status_changes_append_only_update BEFORE UPDATE ON status_changes
        BEGIN SELECT RAISE(ABORT, 'status changes are append-only'); END;
    CREATE TRIGGER status_changes_append_only_delete BEFORE DELETE ON status_changes
        BEGIN SELECT RAISE(ABORT, 'status changes are append-only'); END;
    CREATE TABLE refs (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        src TEXT NOT NULL,
        type TEXT NOT NULL,
        title_key TEXT NOT NULL DEFAULT '',
        number_suffix TEXT NOT NULL DEFAULT '',
        number_before TEXT NOT NULL DEFAULT '',
        effective TEXT NOT NULL DEFAULT '',
        evidence TEXT NOT NULL DEFAULT ''
    );
    CREATE INDEX refs_src ON refs(src);
    CREATE INDEX refs_title ON refs(title_key);
    CREATE INDEX refs_number ON refs(number_suffix);
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    """,
    # 4: a document's own 施行日期 as its text states it (本办法自……起施行), kept beside the
    # published metadata, which stays as imported.
    """
    CREATE TABLE text_dates (
        doc_id TEXT PRIMARY KEY,
        effective TEXT NOT NULL,
        evidence TEXT NOT NULL DEFAULT '',
        created_at TEXT NOT NULL
    );
    """,
    # 5: relation type 'attachment' (src is a 附件 of dst). SQLite cannot change a CHECK
    # constraint, so the relations table is rebuilt with its rows, ids, indexes and trigger
    # (DROP TABLE fires no DELETE trigger).
    """
    CREATE TABLE relations_v5 (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        src TEXT NOT NULL,
        dst TEXT NOT NULL,
        type TEXT NOT NULL CHECK (
            type IN ('repeals', 'amends', 'supersedes', 'interprets', 'answers', 'cites',
                     'attachment')),
        effective TEXT NOT NULL DEFAULT '',
        origin TEXT NOT NULL DEFAULT 'manual' CHECK (origin IN ('manual', 'auto', 'manifest')),
        state TEXT NOT NULL DEFAULT 'confirmed' CHECK (
            state IN ('proposed', 'confirmed', 'rejected')),
        note TEXT NOT NULL DEFAULT '',
        evidence TEXT NOT NULL DEFAULT '',
        actor TEXT NOT NULL DEFAULT '',
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        CHECK (src <> dst),
        UNIQUE (src, dst, type)
    );
    INSERT INTO relations_v5 (id, src, dst, type, effective, origin, state, note, evidence,
        actor, created_at, updated_at)
        SELECT id, src, dst, type, effective, origin, state, note, evidence, actor, created_at,
            updated_at FROM relations ORDER BY id;
    DROP TABLE relations;
    ALTER TABLE relations_v5 RENAME TO relations;
    CREATE INDEX relations_dst ON relations(dst, type);
    CREATE INDEX relations_state ON relations(state);
    CREATE TRIGGER relations_are_never_deleted BEFORE DELETE ON relations
        BEGIN SELECT RAISE(ABORT, 'relations are never deleted; reject them instead'); END;
    """,
    # 6: synonym groups added by staff (see archive/synonym_entries.py). A removed entry is
    # kept, marked removed; every add and remove is also written to history.
    """
    CREATE TABLE staff_synonyms (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        terms TEXT NOT NULL,
        replace INTEGER NOT NULL DEFAULT 0,
        domain TEXT NOT NULL DEFAULT 'government',
        note TEXT NOT NULL DEFAULT '',
        actor TEXT NOT NULL,
        created_at TEXT NOT NULL,
        removed_at TEXT NOT NULL DEFAULT '',
        removed_by TEXT NOT NULL DEFAULT ''
    );
    CREATE TRIGGER staff_synonyms_are_never_deleted BEFORE DELETE ON staff_synonyms
        BEGIN SELECT RAISE(ABORT, 'staff synonyms are never deleted; remove them instead'); END;
    """,
    # 7: server-side staff sessions (archive/sessions.py) and failed sign-ins, kept in the
    # database so that every server process and node sees the same ones. A session row holds
    # a hash of its token, never the token; ``password_stamp`` ends it when the password
    # changes. Times are Unix seconds.
    """
    CREATE TABLE sessions (
        token_hash TEXT PRIMARY KEY,
        user TEXT NOT NULL,
        csrf TEXT NOT NULL,
        password_stamp TEXT NOT NULL,
        created REAL NOT NULL,
        last_seen REAL NOT NULL,
        address TEXT NOT NULL DEFAULT ''
    );
    CREATE INDEX sessions_user ON sessions(user);
    CREATE TABLE login_failures (
        key TEXT NOT NULL,
        at REAL NOT NULL
    );
    CREATE INDEX login_failures_key ON login_failures(key, at);
    """,
    # 8: the day a document's own 有效期 ends, from its text (本规定有效期三年, 有效期至……) or its
    # header's 有效期 field, beside the published metadata (which stays as imported). Derived
    # data, found again when the document is relinked; every change is written to history.
    """
    CREATE TABLE text_expiry (
        doc_id TEXT PRIMARY KEY,
        expires TEXT NOT NULL,
        clause TEXT NOT NULL DEFAULT '',
        basis TEXT NOT NULL DEFAULT '',
        evidence TEXT NOT NULL DEFAULT '',
        created_at TEXT NOT NULL
    );
    CREATE INDEX text_expiry_expires ON text_expiry(expires);
    """,
    # 9: document types (法律, 行政法规, 地方性法规, 规章, 规范性文件 …: archive/vocab.py DOC_TYPES)
    # and who decided each (auto, manifest, staff). Rows of the three answering kinds take the
    # type of the same name here; the rest are typed by `gongkai retype` (or `gongkai reindex`,
    # which the index version bump asks for), which never overrides a manifest's or staff's.
    """
    ALTER TABLE documents ADD COLUMN doc_type TEXT NOT NULL DEFAULT '';
    ALTER TABLE documents ADD COLUMN doc_type_origin TEXT NOT NULL DEFAULT '';
    UPDATE documents SET doc_type = kind, doc_type_origin = 'auto'
        WHERE kind IN ('interpretation', 'request_answer', 'proposal_reply');
    CREATE INDEX documents_doc_type ON documents(doc_type);
    """,
    # 10: a change counter for the whole archive, persistent and shared by every connection
    # and process (``PRAGMA data_version`` is per connection), so that web caches and HTTP
    # validators can tell whether anything a reader sees has changed. Triggers bump it on
    # every row written to a counted table (see :func:`count_changes`).
    """
    CREATE TABLE changes (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        n INTEGER NOT NULL,
        at TEXT NOT NULL
    );
    INSERT INTO changes (id, n, at) VALUES (1, 0, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'));
    """,
    # 11: versions of one document (archive/versions.py). ``version_keys`` holds each document's
    # title without its 修订/修正/试行 and year markers and its agency, folded, so that the
    # versions of a newly imported document are found by one indexed look-up, not a scan.
    # ``manifest_claims`` keeps what a manifest row says a document supersedes, amends or
    # repeals (文号, 索引号, id or title as keys), so that a target imported later is linked.
    # Both are derived data, filled at import and by `gongkai relink`.
    """
    CREATE TABLE version_keys (
        doc_id TEXT PRIMARY KEY,
        title_key TEXT NOT NULL,
        agency_key TEXT NOT NULL DEFAULT ''
    );
    CREATE INDEX version_keys_title ON version_keys(title_key);
    CREATE TABLE manifest_claims (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        src TEXT NOT NULL,
        type TEXT NOT NULL,
        value TEXT NOT NULL,
        value_key TEXT NOT NULL
    );
    CREATE INDEX manifest_claims_src ON manifest_claims(src);
    CREATE INDEX manifest_claims_key ON manifest_claims(value_key);
    """,
    # 12: withdrawn documents (撤回): kept in the archive with their history, left out of the
    # index and of every public page, list and API answer until restored (archive/withdrawals.py).
    """
    CREATE TABLE IF NOT EXISTS withdrawals (
        doc_id TEXT PRIMARY KEY REFERENCES documents(id),
        at TEXT NOT NULL,
        actor TEXT NOT NULL,
        reason TEXT NOT NULL
    );
    """,
    # 13: copies and provenance (archive/fingerprints.py, archive/runs.py). Each document's
    # normalised-text hash (indexed: an exact copy is one look-up) and MinHash signature with
    # its LSH bucket keys (a near copy is a few look-ups), beside the documents table so that
    # a document row keeps its shape and an archive made before this is filled in by the next
    # import. ``copies``: files found to be a copy of an archived document, whose original
    # bytes are kept in the store (nothing is lost) instead of becoming a second document.
    # ``runs``: every import run (who, arguments, counts); ``run_items``: what became of each
    # item of a run, with where it came from (path under the imported folder, manifest line).
    """
    CREATE TABLE text_fingerprints (
        doc_id TEXT PRIMARY KEY,
        text_hash TEXT NOT NULL,
        minhash BLOB NOT NULL,
        created_at TEXT NOT NULL
    );
    CREATE INDEX text_fingerprints_hash ON text_fingerprints(text_hash);
    CREATE TABLE text_buckets (
        bucket INTEGER NOT NULL,
        doc_id TEXT NOT NULL,
        PRIMARY KEY (bucket, doc_id)
    ) WITHOUT ROWID;
    CREATE TABLE copies (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        sha256 TEXT NOT NULL UNIQUE,
        doc_id TEXT NOT NULL,
        match TEXT NOT NULL CHECK (match IN ('same-text', 'near')),
        similarity REAL NOT NULL,
        source_name TEXT NOT NULL DEFAULT '',
        size INTEGER NOT NULL DEFAULT 0,
        media_type TEXT NOT NULL DEFAULT '',
        run_id INTEGER,
        path TEXT NOT NULL DEFAULT '',
        created_at TEXT NOT NULL
    );
    CREATE INDEX copies_doc ON copies(doc_id);
    CREATE TRIGGER copies_are_never_deleted BEFORE DELETE ON copies
        BEGIN SELECT RAISE(ABORT, 'copies are never deleted'); END;
    CREATE TABLE runs (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        started_at TEXT NOT NULL,
        ended_at TEXT NOT NULL DEFAULT '',
        actor TEXT NOT NULL,
        arguments TEXT NOT NULL DEFAULT '{}',
        counts TEXT NOT NULL DEFAULT '{}',
        stopped TEXT NOT NULL DEFAULT ''
    );
    CREATE TABLE run_items (
        run_id INTEGER NOT NULL,
        seq INTEGER NOT NULL,
        label TEXT NOT NULL,
        path TEXT NOT NULL DEFAULT '',
        manifest_row TEXT NOT NULL DEFAULT '',
        status TEXT NOT NULL,
        doc_id TEXT NOT NULL DEFAULT '',
        reason TEXT NOT NULL DEFAULT '',
        PRIMARY KEY (run_id, seq)
    ) WITHOUT ROWID;
    CREATE INDEX run_items_doc ON run_items(doc_id);
    """,
    # 14: the outcome (办理结果) of each answered 依申请公开 request, for the annual report's
    # section 三 (archive/outcomes.py): read from the answer's text (origin 'auto') or set by
    # staff (origin 'staff', never read again); every staff change is written to history.
    """
    CREATE TABLE request_outcomes (
        doc_id TEXT PRIMARY KEY,
        outcome TEXT NOT NULL,
        origin TEXT NOT NULL CHECK (origin IN ('auto', 'staff')),
        evidence TEXT NOT NULL DEFAULT '',
        actor TEXT NOT NULL DEFAULT '',
        updated_at TEXT NOT NULL
    );
    """,
    # 15: the sitemap and OAI-PMH read ids and ``updated_at`` of every document in id order
    # (archive/harvest.py). Both columns sit after ``text`` in the row, so without a covering
    # index SQLite would walk each document's text pages to reach ``updated_at``.
    """
    CREATE INDEX IF NOT EXISTS documents_id_updated ON documents(id, updated_at);
    """,
    # 16: a document's fingerprint is replaced by deleting its bucket keys first; the keys'
    # primary key starts with the bucket, so without this index each replacement scanned every
    # key of the archive (an import of 20,000 documents spent most of its time there).
    """
    CREATE INDEX IF NOT EXISTS text_buckets_doc ON text_buckets(doc_id);
    """,
]

#: Tables whose writes change nothing a public reader sees: staff sign-ins, sessions (written
#: on every staff request) and accounts; the text fingerprints (derived, for finding copies);
#: the counter itself; and a PostgreSQL archive's originals (archive/pgoriginals.py), each
#: written with a counted document row.
UNCOUNTED = frozenset(
    {
        "changes",
        "sessions",
        "login_failures",
        "users",
        "text_fingerprints",
        "text_buckets",
        "originals",
    }
)

_BUMP = "UPDATE changes SET n = n + 1, at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE id = 1;"


def migrate(conn: sqlite3.Connection | PgConnection) -> int:
    """Apply the migrations this database has not seen; returns the resulting version.
    On PostgreSQL the same migrations run translated (:mod:`archive.pgschema`)."""
    if not isinstance(conn, sqlite3.Connection):
        from archive import pgschema

        return pgschema.migrate(conn, MIGRATIONS, UNCOUNTED)
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
    count_changes(conn)
    return len(MIGRATIONS)


def version(conn: sqlite3.Connection | PgConnection) -> int:
    """How many of :data:`MIGRATIONS` this archive has applied."""
    if not isinstance(conn, sqlite3.Connection):
        return int(conn.execute("SELECT version FROM gongkai_schema").fetchone()[0])
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def tables(conn: sqlite3.Connection | PgConnection) -> set[str]:
    """The names of the archive's tables."""
    if not isinstance(conn, sqlite3.Connection):
        from archive.pgschema import tables as pg_tables

        return pg_tables(conn)
    rows = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
    return {r[0] for r in rows if not r[0].startswith("sqlite_")}


def primary_key(conn: sqlite3.Connection | PgConnection, table: str) -> list[str]:
    """The columns of ``table``'s primary key, in order (empty when it has none)."""
    if not isinstance(conn, sqlite3.Connection):
        from archive.pgschema import primary_key as pg_primary_key

        return pg_primary_key(conn, table)
    rows = conn.execute(f'PRAGMA table_info("{table}")').fetchall()
    return [r[1] for r in sorted(rows, key=lambda r: r[5]) if r[5]]


def count_changes(conn: sqlite3.Connection) -> int:
    """Make every table outside :data:`UNCOUNTED` bump the change counter on insert, update
    and delete; returns how many triggers were added.

    Done by triggers, not by the writers, so that no writer path (today's or one added later,
    a new table included: this runs after every migration) can forget it; a table rebuilt
    by a migration gets its triggers back here."""
    if conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'changes'").fetchone() is None:
        return 0
    tables = [
        r[0]
        for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        )
        if r[0] not in UNCOUNTED
    ]
    triggers = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")}
    wanted = [
        (f"{table}_counts_{event.lower()}", table, event)
        for table in tables
        for event in ("INSERT", "UPDATE", "DELETE")
        if f"{table}_counts_{event.lower()}" not in triggers
    ]
    if not wanted:
        return 0
    conn.execute("BEGIN IMMEDIATE")
    try:
        for name, table, event in wanted:
            conn.execute(
                f'CREATE TRIGGER IF NOT EXISTS "{name}" AFTER {event} ON "{table}" '
                f"BEGIN {_BUMP} END"
            )
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return len(wanted)


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
