"""Where an archive's database is, and the thin dialect layer that lets one set of SQL
statements run on SQLite (the embedded default) and on PostgreSQL (several machines).

Why a thin layer over psycopg rather than SQLAlchemy Core: every statement of the archive
is already written, reviewed and tested as plain SQL in SQLite's dialect, and nearly all of
it is standard. Rewriting it as expression trees would touch every query for the sake of a
handful of differences, which are few enough to name here and translate mechanically:

- ``?`` placeholders become ``%s`` (and a literal ``%`` is doubled);
- ``BEGIN IMMEDIATE`` (take the write lock now) becomes ``BEGIN``: one writer at a time on
  PostgreSQL is the advisory lock's job (:mod:`archive.pglock`), not the transaction's;
- ``INSERT OR IGNORE`` becomes ``INSERT … ON CONFLICT DO NOTHING``;
- ``cursor.lastrowid`` after an insert into a table with a generated key becomes a
  ``RETURNING`` of that key (the tables and keys read from the schema, so a table added by
  a later migration needs nothing here);
- ``instr(a, b)`` becomes ``strpos(a, b)``; SQLite's unary ``+column`` (a hint not to use an
  index) is dropped; ``PRAGMA busy_timeout=N`` becomes ``SET lock_timeout``;
- errors are raised as the :mod:`sqlite3` classes (``IntegrityError``, ``OperationalError``,
  ``DatabaseError``), chained to psycopg's, so that the code above catches one vocabulary.

Statements are translated by :mod:`archive.pgdialect`, the schema by :mod:`archive.pgschema`,
results made rows by :mod:`archive.pgrows`.
Statements that have no equivalent (``PRAGMA integrity_check``, ``rowid``) are chosen by
:attr:`Archive.dialect` in the archive's own modules.

Where: a data directory holds ``archive.sqlite3``, or ``archive.url`` naming a PostgreSQL
database (and optionally a schema) *without* its password. The password comes from libpq's
own places (``PGPASSWORD``, ``PGPASSFILE`` or ``~/.pgpass``) or from ``GONGKAI_ARCHIVE_URL``
when that names the same database: it is never written into the data directory, nor printed.
"""

from __future__ import annotations

import logging
import os
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from archive.errors import InvalidInput, UnavailableError
from archive.pgdialect import WRITES, fold_in_lists, translate
from archive.pgrows import has_rows, row_factory

# psycopg logs a warning of its own when a pipeline cannot be closed on a lost connection
# ("error ignored terminating …"); with no handler, Python would print it on stderr beside
# the one line the CLI prints for the same event (UnavailableError).
logging.getLogger("psycopg").addHandler(logging.NullHandler())

URL_FILE = "archive.url"
URL_ENV = "GONGKAI_ARCHIVE_URL"
SCHEMES = ("postgresql", "postgres")


def is_url(location: str | os.PathLike[str]) -> bool:
    return str(location).split("://", 1)[0].lower() in SCHEMES and "://" in str(location)


def redacted(url: str) -> str:
    """``url`` without its password: what may be stored and shown."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    netloc = f"{parts.username}@{host}" if parts.username else host
    if parts.port:
        netloc += f":{parts.port}"
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def stored_url(root: Path) -> str | None:
    """The PostgreSQL URL this data directory's archive lives at, or None (SQLite)."""
    try:
        text = (Path(root) / URL_FILE).read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    return text or None


def store_url(root: Path, url: str) -> str:
    """Record that the archive of ``root`` lives at ``url`` (its password left out);
    returns what was stored."""
    if not is_url(url):
        raise InvalidInput(f"not a PostgreSQL URL (postgresql://…): {redacted(url)}")
    clean = redacted(url)
    Path(root).mkdir(parents=True, exist_ok=True)
    target = Path(root) / URL_FILE
    tmp = target.with_name(f".{URL_FILE}.tmp")
    tmp.write_text(clean + "\n", encoding="utf-8")
    os.replace(tmp, target)
    return clean


def connect_url(stored: str) -> str:
    """The URL to connect with: the stored one, or ``GONGKAI_ARCHIVE_URL`` when that names
    the same database with a password (the password is taken from there only)."""
    given = os.environ.get(URL_ENV, "")
    if given and is_url(given) and redacted(given) == stored:
        return given
    return stored


def new_schema_url(base: str) -> str:
    """Create a new, empty schema in the database ``base`` names and return the URL of it
    (``options=-csearch_path=…``): one database can hold many archives."""
    import secrets
    from urllib.parse import parse_qsl, urlencode

    import psycopg

    name = f"{os.environ.get(PREFIX_ENV) or 'gk'}_{secrets.token_hex(6)}"
    try:
        with psycopg.connect(connect_url(base), autocommit=True, connect_timeout=10) as conn:
            conn.execute(f'CREATE SCHEMA "{name}"')
    except psycopg.Error as exc:
        raise sqlite3.OperationalError(
            f"cannot create a schema in {redacted(base)}: {str(exc).strip()}"
        ) from exc
    parts = urlsplit(base)
    query = [(k, v) for k, v in parse_qsl(parts.query) if k != "options"]
    query.append(("options", f"-csearch_path={name}"))
    return urlunsplit(parts._replace(query=urlencode(query)))


NEW_ENV = "GONGKAI_NEW_ARCHIVE_URL"
#: The first part of the names of the schemas :func:`new_schema_url` creates (default gk).
PREFIX_ENV = "GONGKAI_NEW_SCHEMA_PREFIX"


def location_for_new(root: Path) -> str | None:
    """Where a new archive in ``root`` goes: SQLite (None) unless ``GONGKAI_NEW_ARCHIVE_URL``
    names a PostgreSQL database, where it then gets a schema of its own (recorded in
    ``root``). Used by deployments that create data directories by script, and by the
    test suite to run the same tests on both databases."""
    base = os.environ.get(NEW_ENV, "")
    if not base:
        return None
    return store_url(root, new_schema_url(base))


# -- rows ----------------------------------------------------------------------------------


def _as_sqlite_error(exc: Exception) -> sqlite3.Error:
    import psycopg

    message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    if isinstance(exc, psycopg.IntegrityError | psycopg.errors.RaiseException):
        return sqlite3.IntegrityError(message)
    if isinstance(
        exc,
        psycopg.OperationalError
        | psycopg.errors.UndefinedTable
        | psycopg.errors.UndefinedColumn
        | psycopg.errors.ReadOnlySqlTransaction
        | psycopg.errors.LockNotAvailable
        | psycopg.errors.QueryCanceled
        | psycopg.InterfaceError,
    ):
        return sqlite3.OperationalError(message)
    return sqlite3.DatabaseError(message)


class PgCursor:
    """The part of :class:`sqlite3.Cursor` the archive uses. Inside
    :meth:`PgConnection.pipeline` its result arrives when first asked for; without a
    cursor, the answer of a statement that had nothing to do."""

    def __init__(
        self,
        cursor: Any,
        returning: str | None,
        pipeline: Any = None,
        waited: Callable[[], object] | None = None,
    ) -> None:
        self._cursor = cursor
        self._pipeline = pipeline
        self._waited = waited  # told of each round trip it waits for
        self._returning = returning
        self._rowid: int | None = None

    @property
    def lastrowid(self) -> int | None:
        """The key the database gave the row inserted (read when first asked for: in a
        pipeline, asking at once would wait for the answer, a round trip per INSERT)."""
        if self._returning is not None:
            self._returning = None
            self._arrived()
            row = self._cursor.fetchone()
            self._rowid = int(row[0]) if row is not None else None
        return self._rowid

    def _arrived(self) -> None:
        """In a pipeline, wait for the statements sent so far (one round trip for all)."""
        if self._pipeline is not None and self._cursor.pgresult is None:
            import psycopg

            if self._waited is not None:
                self._waited()
            try:
                self._pipeline.sync()
            except psycopg.Error as exc:
                raise _as_sqlite_error(exc) from exc

    @property
    def rowcount(self) -> int:
        if self._cursor is None:
            return 0
        self._arrived()
        return int(self._cursor.rowcount)

    def fetchone(self) -> Any:
        if self._cursor is None:
            return None
        self._arrived()
        if not has_rows(self._cursor):
            return None
        return self._cursor.fetchone()

    def fetchall(self) -> list[Any]:
        if self._cursor is None:
            return []
        self._arrived()
        if not has_rows(self._cursor):
            return []
        return list(self._cursor.fetchall())

    def __iter__(self) -> Iterator[Any]:
        return iter(self.fetchall())


def _compress_with_lz4(conn: Any) -> None:
    """Long texts (a document's text; originals are stored uncompressed) written by this
    session compressed with lz4, not pglz (PostgreSQL's default): a 20,000-document import
    cost the server 5% less CPU (33.6-33.7 s against 34.8-36.2 s), reading them back is
    faster too, and they take the same room. A server built without lz4 keeps pglz; values
    of either kind are read alike."""
    import psycopg

    with suppress(psycopg.Error):
        conn.execute("SET default_toast_compression = 'lz4'")


#: PostgreSQL's cost of reading a page out of order against in order (its default is 4.0,
#: a spinning disk's). An archive's tables and indexes are read from memory or SSD, where
#: PostgreSQL's documentation suggests 1.1.
RANDOM_PAGE_COST = "1.1"


def _plan_for_memory(conn: Any) -> None:
    """Plan this session's statements for tables read from memory (:data:`RANDOM_PAGE_COST`),
    unless the operator set ``random_page_cost`` (server, database, role or connection): with
    the default, a results page's look-ups of 50 ids among a few thousand relations were
    whole-table scans comparing every row with every id (0.6 ms each, five of them a page)
    where the index answers in 0.1 ms."""
    import psycopg

    with suppress(psycopg.Error):
        conn.execute(
            "SELECT set_config(name, %s, false) FROM pg_settings "
            "WHERE name = 'random_page_cost' AND source = 'default'",
            (RANDOM_PAGE_COST,),
        )


class PgConnection:
    """A psycopg connection that answers like the :class:`sqlite3.Connection` the archive
    was written for (autocommit, with explicit ``BEGIN``/``COMMIT`` as the archive issues)."""

    dialect = "postgresql"

    def __init__(self, url: str, *, readonly: bool = False, check_schema: bool = True) -> None:
        self.url = url
        self.readonly = readonly
        self._conn = self._connect(check_schema=check_schema)
        self.row_factory: Any = None  # accepted and ignored: rows always read both ways
        self._keys: dict[str, str] | None = None
        #: the schema's tables once read (:func:`archive.pgschema.tables`)
        self.tables_seen: frozenset[str] | None = None
        self.total_changes = 0
        self._pipeline: Any = None  # inside pipeline()
        self._gathered: list[tuple[str, list[Any]]] | None = None  # inside together()
        self._was_in_transaction = False
        #: called with each statement before it is sent (see :func:`traced`)
        self.trace: Callable[[str], object] | None = None
        #: the times this session waited for the server: each statement outside a pipeline,
        #: each pipeline's end and each answer asked for inside one (see :func:`traced`)
        self.round_trips = 0

    def _connect(self, *, check_schema: bool = True) -> Any:
        """A new session, set up. The server going away before the set-up is done (it is
        stopping, or it ended the new session) is :class:`UnavailableError`, as a refused
        connection is: never a psycopg error for the caller to meet."""
        import psycopg

        conn = None
        try:
            conn = psycopg.connect(
                connect_url(self.url),
                autocommit=True,
                row_factory=row_factory,
                connect_timeout=10,
                application_name="gongkai",
            )
            schema = conn.execute("SELECT current_schema()").fetchone()
            if not check_schema or (schema is not None and schema[0] is not None):
                _plan_for_memory(conn)
                if self.readonly:
                    conn.execute("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY")
                else:
                    _compress_with_lz4(conn)
                return conn
        except psycopg.Error as exc:
            if conn is not None:
                with suppress(Exception):
                    conn.close()
            why = str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__
            raise UnavailableError(
                f"cannot connect to the archive database {redacted(self.url)}: {why}"
            ) from exc
        conn.close()
        raise InvalidInput(
            f"the schema that {redacted(self.url)} names does not exist in that database "
            "(create it first: CREATE SCHEMA …)"
        )

    @property
    def lost(self) -> bool:
        """Whether the connection to the server is gone (the server restarted, the network
        dropped it): nothing more can be done on it."""
        return bool(self._conn.broken or self._conn.closed)

    def _reconnect(self) -> None:
        """A new session in place of a lost one (it held no transaction worth keeping: the
        server rolled back whatever was open when the session ended)."""
        with suppress(Exception):
            self._conn.close()
        self._conn = self._connect()

    def _unavailable(self, exc: Exception) -> UnavailableError:
        why = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return UnavailableError(
            f"lost the connection to the archive database {redacted(self.url)} ({why}); "
            "nothing uncommitted was kept: try again when the database answers"
        )

    @property
    def raw(self) -> Any:
        """The psycopg connection, for the archive's PostgreSQL-only modules."""
        return self._conn

    @property
    def in_transaction(self) -> bool:
        from psycopg.pq import TransactionStatus

        if self.lost:  # the server ended it: still open for this side until its ROLLBACK
            return self._was_in_transaction
        return bool(self._conn.info.transaction_status != TransactionStatus.IDLE)

    def execute(self, sql: str, params: Iterable[Any] = ()) -> PgCursor:
        """Run one statement. A lost connection (the server restarted) is opened again, and
        a statement that failed with it retried once when that cannot change its meaning: a
        read, or any statement of a read-only connection, outside a transaction. A
        transaction open when the connection was lost is gone (the server rolled it back):
        its statements raise :class:`UnavailableError` until its ``ROLLBACK``, so that
        nothing of it is written outside it."""
        import psycopg

        if self.trace is not None:
            self.trace(sql)
        sql, values = fold_in_lists(sql, params)
        statement, table = translate(sql)
        verb = statement.split(None, 1)[0].upper()
        if self._gathered is not None:
            if verb in WRITES:
                self._gathered.append((statement, values))
                return PgCursor(None, None)
            self._send_gathered()
        if self.lost and self._pipeline is None:
            if self._was_in_transaction:
                if verb != "ROLLBACK" or " TO " in statement.upper():
                    raise self._unavailable(psycopg.OperationalError("the connection was lost"))
                self._was_in_transaction = False  # the server rolled it back already;
                return PgCursor(None, None)  # the next statement connects again
            self._reconnect()
        returning = self.generated_keys().get(table) if table else None
        if returning is not None:
            statement += f" RETURNING {returning}"
        idle = not self.in_transaction and self._pipeline is None
        if self._pipeline is None:
            self.round_trips += 1
        with self.translated():
            try:
                cursor = self._conn.execute(statement, values)
            except psycopg.OperationalError:
                if not (self.lost and idle and (self.readonly or verb in ("SELECT", "WITH"))):
                    raise
                self._reconnect()
                cursor = self._conn.execute(statement, values)
            result = PgCursor(cursor, returning, self._pipeline, self._waited)
        if self._pipeline is None and verb in ("INSERT", "UPDATE", "DELETE"):
            # not asked in a pipeline (that would wait): PostgreSQL readers use `changes`
            self.total_changes += max(0, result.rowcount)
        return result

    @contextmanager
    def translated(self) -> Iterator[None]:
        """A psycopg error in the block raised as its :mod:`sqlite3` class (or, on a lost
        connection, :class:`UnavailableError`); then whether a transaction is open noted."""
        import psycopg

        try:
            yield
        except psycopg.Error as exc:
            if self.lost:
                raise self._unavailable(exc) from exc
            raise _as_sqlite_error(exc) from exc
        finally:
            self._note_transaction()

    def _note_transaction(self) -> None:
        """Remember whether a transaction is open, for when the connection is lost."""
        from psycopg.pq import TransactionStatus

        if not self.lost:
            status = self._conn.info.transaction_status
            self._was_in_transaction = status != TransactionStatus.IDLE

    @contextmanager
    def pipeline(self) -> Iterator[None]:
        """Send the statements of the block without waiting for each one's answer: they
        go in one round trip, at the first result asked for or at the end of the block
        (psycopg's pipeline mode). An error is raised there, as the :mod:`sqlite3` class,
        and the statements after it in the same round trip are not run. Nested: joins the
        outer one."""
        if self._pipeline is not None:
            yield
            return
        with self.translated():
            block = self._conn.pipeline()
            self._pipeline = block.__enter__()
            try:
                yield
            except BaseException as exc:
                self._pipeline = None
                if not self.lost:  # (a lost connection is dropped whole, its pipeline too)
                    block.__exit__(type(exc), exc, exc.__traceback__)
                elif isinstance(exc, sqlite3.Error) and not isinstance(exc, UnavailableError):
                    # a result read in the block (PgCursor) found the connection gone
                    raise self._unavailable(exc) from exc
                raise
            self._pipeline = None
            self.round_trips += 1
            block.__exit__(None, None, None)

    def _waited(self) -> None:
        self.round_trips += 1

    @contextmanager
    def together(self) -> Iterator[None]:
        """:meth:`pipeline`, and the writes of the block (``INSERT``, ``UPDATE``,
        ``DELETE``) that follow one another sent as *one* statement: the first ones as
        data-modifying ``WITH`` parts of the last. Each statement costs the client about as
        much as a small write costs the server, so a new document's five inserts are one.
        Within the block a write answers nothing (no row count, no generated key); any
        other statement (a ``SAVEPOINT``, a read) sends the writes gathered before it. All
        parts see the database as it was before the statement, so none may read what
        another writes."""
        if self._gathered is not None:
            yield
            return
        with self.pipeline():
            self._gathered = []
            try:
                yield
                self._send_gathered()
            finally:
                self._gathered = None

    def _send_gathered(self) -> None:
        gathered, self._gathered = self._gathered or [], []
        if not gathered:
            return
        *parts, (statement, _) = gathered
        if parts:
            named = ", ".join(f"w{i} AS ({part})" for i, (part, _) in enumerate(parts))
            statement = f"WITH {named} {statement}"
        with self.translated():
            self._conn.execute(statement, [value for _, values in gathered for value in values])

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        import psycopg

        if self.trace is not None:
            self.trace(sql)
        statement, _ = translate(sql)
        if self.lost and self._pipeline is None:
            if self._was_in_transaction:
                raise self._unavailable(psycopg.OperationalError("the connection was lost"))
            self._reconnect()
        with self.translated(), self._conn.cursor() as cursor:
            cursor.executemany(statement, [list(r) for r in rows])

    def generated_keys(self) -> dict[str, str]:
        """Table → its key column, for the tables whose key the database generates (read
        from the schema once; :func:`archive.pgschema.migrate` asks again after a change)."""
        if self._keys is None:
            with self.translated():
                rows = self._conn.execute(
                    "SELECT table_name, column_name FROM information_schema.columns "
                    "WHERE table_schema = current_schema() AND is_identity = 'YES'"
                ).fetchall()
            self._keys = {str(r[0]): str(r[1]) for r in rows}
        return self._keys

    def schema_changed(self) -> None:
        """Tables were added or rebuilt: read :meth:`generated_keys` and the tables again."""
        self._keys = None
        self.tables_seen = None

    def close(self) -> None:
        self._conn.close()


@contextmanager
def traced(conn: Any) -> Iterator[list[str]]:
    """The statements ``conn`` (an SQLite or a PostgreSQL connection) runs inside the block,
    in order: how tests and benchmarks count the statements a request makes. On PostgreSQL
    each is a round trip unless pipelined (:attr:`PgConnection.round_trips` counts the round
    trips); SQLite reports the statements it prepares."""
    seen: list[str] = []
    if isinstance(conn, PgConnection):
        before = conn.trace
        conn.trace = seen.append
        try:
            yield seen
        finally:
            conn.trace = before
    else:
        conn.set_trace_callback(seen.append)
        try:
            yield seen
        finally:
            conn.set_trace_callback(None)
