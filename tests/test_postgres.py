"""A data directory whose archive is in PostgreSQL: `gongkai init --archive URL` keeps the
password out of every file and every output, the originals live in the database and are
written with their rows, and `verify` hashes them; `gongkai migrate` moves an SQLite data
directory there and makes an SQLite copy back. (The archive's behaviour itself is tested
on both databases by the modules that use ``archive_backend``.)"""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urlsplit

import postgres
import pytest
from helpers import CORPUS, import_docs, run_cli, run_process

from archive import Archive, Document, backend
from archive.errors import InvalidInput, UnavailableError
from archive.planner import refresh_statistics
from archive.relations import Relations


@pytest.fixture
def url(monkeypatch: pytest.MonkeyPatch, postgres_schemas: None) -> str:
    """A fresh schema's URL, with the test server's password in it."""
    base = postgres.require()
    monkeypatch.delenv("PGPASSWORD", raising=False)
    monkeypatch.delenv(backend.NEW_ENV, raising=False)
    monkeypatch.setenv(backend.PREFIX_ENV, postgres.PREFIX)  # dropped at the end of the run
    with_schema = backend.new_schema_url(base)
    assert urlsplit(with_schema).password == urlsplit(base).password
    monkeypatch.setenv(backend.URL_ENV, with_schema)  # the only place the password is
    return with_schema


def test_init_keeps_the_password_out_of_files_and_output(
    url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    password = urlsplit(url).password
    assert password
    secret = f":{password}@"  # the password as a URL carries it (the test role's may be its name)
    data = tmp_path / "data"
    result = run_cli(data, "init", "--archive", url, "--json")
    assert result.exit_code == 0, result.stderr
    assert secret not in result.stdout + result.stderr
    assert json.loads(result.stdout)["archive"] == backend.redacted(url)
    assert not (data / "archive.sqlite3").exists()
    for path in data.rglob("*"):
        if path.is_file():
            assert secret.encode() not in path.read_bytes(), path
    # the whole cycle through a real process, the password from the environment only
    imported = run_process(data, "import", "-q", "--json", str(CORPUS))
    assert imported.returncode == 0, imported.stderr
    assert json.loads(imported.stdout)["imported"] > 5
    found = run_process(data, "search", "--json", "通知")
    assert found.returncode == 0 and json.loads(found.stdout)["total"] > 0
    checked = run_process(data, "verify", "--json")
    assert checked.returncode == 0, checked.stdout
    # without any password the archive cannot be opened: exit 5 and one line, no secret
    monkeypatch.delenv(backend.URL_ENV)
    refused = run_process(data, "stats")
    assert refused.returncode == 5 and len(refused.stderr.strip().splitlines()) == 1
    assert secret not in refused.stderr and "no password supplied" in refused.stderr


def test_init_refuses_a_schema_that_does_not_exist(tmp_path: Path) -> None:
    base = postgres.require()
    missing = base + "?options=-csearch_path%3Dgk_no_such_schema"
    with pytest.raises(InvalidInput, match="does not exist"):
        backend.PgConnection(missing)


def test_originals_are_rows_written_with_their_document(url: str, tmp_path: Path) -> None:
    backend.store_url(tmp_path, url)
    with Archive.open(tmp_path) as archive:
        assert not (tmp_path / "originals").exists()  # nothing on this machine's disk
        archive.begin_group()
        archive.add(Document(title="甲", text="正文甲"), b"first original")
        archive.rollback_group()
        assert archive.count() == 0 and archive.originals.all_digests() == set()
        kept = archive.add(Document(title="乙", text="正文乙"), b"second original")
        digest = archive.get(kept.id).sha256
        assert archive.originals.read(digest) == b"second original"
        assert archive.originals.intact(digest)


def test_verify_finds_a_damaged_original_and_import_mends_it(url: str, tmp_path: Path) -> None:
    data = tmp_path / "data"
    backend.store_url(data, url)
    source = tmp_path / "one.txt"
    source.write_text("名称：一份通知\n\n正文，第一条。", encoding="utf-8")
    assert run_cli(data, "import", "-q", str(source)).exit_code == 0
    with Archive.open(data) as archive:
        (doc_id,) = archive.revisions()
        digest = archive.get(doc_id).sha256
        archive.conn.execute("UPDATE originals SET data = ? WHERE sha256 = ?", (b"flipped", digest))
    report = run_cli(data, "verify", "--json")
    assert report.exit_code == 1
    assert json.loads(report.stdout)["corrupt_originals"] == [doc_id]
    assert run_cli(data, "import", "-q", str(source)).exit_code == 0  # the same file mends it
    assert json.loads(run_cli(data, "verify", "--json").stdout)["ok"]


def test_migrate_to_postgresql_and_back(url: str, tmp_path: Path) -> None:
    data = tmp_path / "data"
    import_docs(data, CORPUS)  # an SQLite data directory
    assert (data / "archive.sqlite3").exists()
    with Archive.open(data, readonly=True) as archive:
        revisions, digests = archive.revisions(), archive.digests()
        history = {doc: archive.history(doc) for doc in revisions}
    searched = json.loads(run_cli(data, "search", "--json", "通知").stdout)["total"]

    moved = run_cli(data, "migrate", "--to", url, "--json")
    assert moved.exit_code == 0, moved.stderr
    report = json.loads(moved.stdout)
    assert report["to"] == backend.redacted(url) and report["copied"]["originals"] == len(digests)
    assert not (data / "archive.sqlite3").exists() and (data / "archive.sqlite3.migrated").exists()
    assert backend.stored_url(data) == backend.redacted(url)
    with Archive.open(data) as archive:
        assert archive.dialect == "postgresql"
        assert archive.revisions() == revisions and archive.digests() == digests
        assert {doc: archive.history(doc) for doc in revisions} == history
        assert all(archive.originals.intact(d) for d in digests.values())
        # new rows continue after the copied keys (relations, history)
        a, b = sorted(revisions)[:2]
        rel, changed = Relations(archive).add(a, "supersedes", b, actor="test")
        assert changed and rel.id > 1  # a new row: its key did not start again at 1
        assert _analyzed(archive) >= {"documents", "history", "relations"}
    assert json.loads(run_cli(data, "verify", "--json").stdout)["ok"]
    assert json.loads(run_cli(data, "search", "--json", "通知").stdout)["total"] == searched
    again = run_cli(data, "migrate", "--to", url)
    assert again.exit_code == 2  # already there

    laptop = tmp_path / "laptop"
    back = run_cli(data, "migrate", "--to", str(laptop), "--json")
    assert back.exit_code == 0, back.stderr
    assert (laptop / "archive.sqlite3").exists() and not (laptop / "archive.url").exists()
    with Archive.open(laptop, readonly=True) as archive:
        assert archive.dialect == "sqlite" and archive.digests() == digests
    assert json.loads(run_cli(laptop, "verify", "--json").stdout)["ok"]
    assert json.loads(run_cli(laptop, "search", "--json", "通知").stdout)["total"] == searched
    assert run_cli(data, "migrate", "--to", str(laptop)).exit_code == 2  # not empty


def test_backup_with_pg_dump_and_restore(
    url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data, saved = tmp_path / "data", tmp_path / "backup"
    backend.store_url(data, url)
    import_docs(data, CORPUS)
    with Archive.open(data, readonly=True) as archive:
        revisions, digests = archive.revisions(), archive.digests()
        schema_name = archive.conn.execute("SELECT current_schema()").fetchone()[0]
    made = run_cli(data, "backup", str(saved), "--json")
    assert made.exit_code == 0, made.stderr
    assert json.loads(made.stdout)["documents"] == len(revisions)
    assert (saved / "archive.pgdump").is_file() and not (saved / "archive.sqlite3").exists()
    assert f":{urlsplit(url).password}@" not in (saved / "gongkai-backup.json").read_text()

    doc = sorted(revisions)[0]
    with Archive.open(data) as archive:  # a mistake to undo
        archive.conn.execute("UPDATE documents SET title = 'wrong' WHERE id = ?", (doc,))
    assert run_cli(data, "restore", str(saved)).exit_code == 2  # holds an archive: --force
    restored = run_cli(data, "restore", str(saved), "--force", "--json")
    assert restored.exit_code == 0, restored.stderr
    assert json.loads(restored.stdout)["ok"]
    with Archive.open(data, readonly=True) as archive:
        assert archive.get(doc).title != "wrong"
        assert archive.revisions() == revisions and archive.digests() == digests

    # the database lost, restored elsewhere: into another (empty) schema
    postgres.drop({schema_name})
    elsewhere = tmp_path / "elsewhere"
    monkeypatch.setenv("PGPASSWORD", urlsplit(url).password or "")  # (libpq's own variable)
    backend.store_url(elsewhere, backend.new_schema_url(postgres.URL))
    moved = run_cli(elsewhere, "restore", str(saved), "--json")
    assert moved.exit_code == 0, moved.stderr
    assert json.loads(moved.stdout)["verify"]["ok"]
    with Archive.open(elsewhere, readonly=True) as archive:
        assert archive.revisions() == revisions
        assert all(archive.originals.intact(d) for d in digests.values())
        assert _analyzed(archive) >= {"documents", "history", "relations"}


def _analyzed(archive: Archive) -> set[str]:
    """The tables that have planner statistics (made by ANALYZE: neither a bulk copy nor
    pg_restore brings them, so without one the first searches are planned for empty tables)."""
    rows = archive.conn.execute(
        "SELECT DISTINCT tablename FROM pg_stats WHERE schemaname = current_schema()"
    ).fetchall()
    return {str(r[0]) for r in rows}


def test_a_column_kept_off_its_index_stays_off_it_on_postgresql() -> None:
    """SQLite's ``+state`` (look documents' relations up by document, not by state) is
    ``(state || '')`` on PostgreSQL: dropping the plus let PostgreSQL's planner scan every
    relation in that state for each results page (0.5 ms at 5,000 documents, growing)."""
    sql, _ = backend.translate(
        "SELECT * FROM relations WHERE dst IN (?, ?) AND +state IN (?) AND note = 'a +b'"
    )
    assert sql == (
        "SELECT * FROM relations WHERE dst IN (%s, %s) AND (state || '') IN (%s) AND note = 'a +b'"
    )


def test_an_in_list_is_one_array_on_postgresql() -> None:
    """``IN (?, ?, …)`` is sent as ``= ANY(?)`` with one list: the same statement whatever
    the list's length (parsed and prepared once), outside string literals only."""
    sql, values = backend.fold_in_lists(
        "SELECT * FROM relations WHERE dst IN (?, ?, ?) AND +state IN (?) "
        "AND note = 'x IN (?, ?)' AND src NOT IN (?,?) AND type = ?",
        ["a", "b", "c", "confirmed", "d", "e", "cites"],
    )
    assert sql == (
        "SELECT * FROM relations WHERE dst = ANY(?) AND +state IN (?) "
        "AND note = 'x IN (?, ?)' AND src <> ALL(?) AND type = ?"
    )
    # texts as one array literal (psycopg adapts a list value by value, 7× slower)
    assert values == ['{"a","b","c"}', "confirmed", '{"d","e"}', "cites"]
    assert backend.fold_in_lists("SELECT 1 WHERE a IN (?)", (1,)) == (
        "SELECT 1 WHERE a IN (?)",
        [1],
    )
    assert backend.fold_in_lists("SELECT 1 WHERE a IN (?, ?)", (1, 2))[1] == [[1, 2]]
    assert backend.fold_in_lists("SELECT 1 WHERE a IN (?, ?)", ("x", None))[1] == [["x", None]]


def test_texts_in_an_in_list_match_whatever_characters_they_hold(url: str, tmp_path: Path) -> None:
    """The array literal an ``IN`` list of texts is sent as quotes what would end or split
    an element: quotes, backslashes, commas, braces, spaces, the word NULL, empty text."""
    backend.store_url(tmp_path, url)
    titles = ['甲"乙', "丙\\丁", "a,b", "{c}", " 空 格 ", "NULL", "", '\\"', "普通"]
    with Archive.open(tmp_path) as archive:
        for n, title in enumerate(titles):
            archive.add(Document(title=title, text=f"正文{n}"), b"%d" % n)
        for wanted in (titles, titles[:2], titles[5:7]):
            got = archive.conn.execute(
                "SELECT title FROM documents WHERE title IN ({})".format(
                    ", ".join("?" for _ in wanted)
                ),
                wanted,
            ).fetchall()
            assert sorted(r[0] for r in got) == sorted(wanted)
        left = archive.conn.execute(
            "SELECT title FROM documents WHERE title NOT IN (?, ?)", titles[:2]
        ).fetchall()
        assert sorted(r[0] for r in left) == sorted(titles[2:])


def test_in_lists_of_any_length_answer_as_before(url: str, tmp_path: Path) -> None:
    backend.store_url(tmp_path, url)
    with Archive.open(tmp_path) as archive:
        ids = [
            archive.add(Document(title=f"第{n}号", text=f"正文{n}"), b"%d" % n).id for n in range(5)
        ]
        many = [*ids[:3], *(f"nobody-{n}" for n in range(700))]  # past psycopg's 50 values
        got = archive.conn.execute(
            "SELECT id FROM documents WHERE id IN ({}) AND rev IN (?, ?) ORDER BY id".format(
                ", ".join("?" for _ in many)
            ),
            [*many, 1, 2],
        ).fetchall()
        assert [r["id"] for r in got] == sorted(ids[:3])
        rest = archive.conn.execute(
            "SELECT id FROM documents WHERE id NOT IN (?, ?) ORDER BY id", ids[:2]
        ).fetchall()
        assert [r[0] for r in rest] == sorted(ids[2:])


def test_long_texts_are_compressed_with_lz4(url: str, tmp_path: Path) -> None:
    backend.store_url(tmp_path, url)
    text = "".join(
        f"第{n}条 本办法所称公共租赁住房，是指限定建设标准和租金水平。" for n in range(400)
    )
    with Archive.open(tmp_path) as archive:
        doc_id = archive.add(Document(title="办法", text=text), text.encode()).id
        assert archive.get(doc_id).text == text
        row = archive.conn.execute(
            "SELECT pg_column_compression(text) FROM documents WHERE id = ?", (doc_id,)
        ).fetchone()
        assert row[0] == "lz4"  # (PostgreSQL's default is pglz)


def _plan(archive: Archive, ids: list[str]) -> str:
    """The plan the server keeps for the linker's look-up once prepared (a generic plan)."""
    conn = archive.conn.raw
    conn.execute("SET plan_cache_mode = force_generic_plan")
    try:
        conn.execute("DEALLOCATE ALL")
        conn.execute("PREPARE by_src(text[]) AS SELECT * FROM relations WHERE src = ANY($1)")
        literal = "'{" + ",".join(ids) + "}'"  # (EXPLAIN takes no parameters; ids are plain)
        rows = conn.execute(f"EXPLAIN EXECUTE by_src({literal})").fetchall()
        return "\n".join(str(r[0]) for r in rows)
    finally:
        conn.execute("DEALLOCATE ALL")
        conn.execute("RESET plan_cache_mode")


def test_tables_an_import_grew_are_analyzed_so_lookups_use_their_indexes(
    url: str, tmp_path: Path
) -> None:
    """A statement prepared while a table is nearly empty is planned as a scan of it; once
    the table has grown, refresh_statistics (run between an import's batches) analyzes it
    and the same statement is planned through its index again."""
    backend.store_url(tmp_path, url)
    with Archive.open(tmp_path) as archive:
        conn = archive.conn
        # PostgreSQL's default cost model (an operator's choice; sessions otherwise plan
        # for tables in memory, where stale statistics mislead less often)
        conn.raw.execute("SET random_page_cost = 4")
        conn.execute("ANALYZE relations")  # as an import begins: statistics of no rows
        ids = [f"doc-{n:05d}" for n in range(3000)]
        with archive.transaction():
            for chunk in range(0, 3000, 500):
                conn.raw.cursor().executemany(
                    "INSERT INTO relations (src, dst, type, created_at, updated_at) "
                    "VALUES (%s, %s, 'cites', '', '')",
                    [(a, ids[-1 - n]) for n, a in enumerate(ids[chunk : chunk + 500], chunk)],
                )
        conn.execute("SELECT pg_stat_force_next_flush()")  # the counts, now, not within 1 s
        assert "Seq Scan on relations" in _plan(archive, ids[:400])
        assert "relations" in refresh_statistics(conn)
        assert "Index" in _plan(archive, ids[:400])
        assert refresh_statistics(conn) == []  # nothing changed since
        conn.execute("BEGIN")
        assert refresh_statistics(conn) == []  # never inside a transaction
        conn.execute("ROLLBACK")


def test_rows_read_as_on_sqlite_whatever_the_column_types(url: str, tmp_path: Path) -> None:
    """A sum of integers (numeric on PostgreSQL) comes back as an int, a fraction as a
    float, bytea as bytes; other columns as they are, by position and by name."""
    backend.store_url(tmp_path, url)
    with Archive.open(tmp_path) as archive:
        row = archive.conn.execute(
            "SELECT SUM(n) AS total, SUM(n) / 4.0 AS part, 'x' AS name, "
            "decode('00ff', 'hex') AS raw, 7 AS seven FROM (VALUES (1), (2)) AS t(n)"
        ).fetchone()
        plain = archive.conn.execute("SELECT 'a' AS first, 2 AS second").fetchone()
        twice = archive.conn.execute("SELECT 1 AS n, 2 AS n, 3 AS m").fetchone()
        again = archive.conn.execute("SELECT 'b' AS first, 3 AS second").fetchone()
    assert twice["n"] == 1 and twice["m"] == 3 and twice.keys() == ["n", "n", "m"]  # as SQLite
    assert again["second"] == 3 and type(again) is type(plain)  # (one class per shape)
    assert (row["total"], row["part"], row["name"], row["raw"], row[4]) == (
        3,
        0.75,
        "x",
        b"\x00\xff",
        7,
    )
    assert type(row["total"]) is int and type(row["part"]) is float and type(row["raw"]) is bytes
    assert dict(zip(plain.keys(), plain, strict=True)) == {"first": "a", "second": 2}


_OLD_COUNTER = """
CREATE OR REPLACE FUNCTION gongkai_count_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE changes SET n = n + 1, xact = txid_current()
        WHERE id = 1 AND xact IS DISTINCT FROM txid_current();
    RETURN NULL;
END $$
"""


def test_the_change_counter_moves_once_a_transaction_whatever_its_savepoints(
    url: str, tmp_path: Path
) -> None:
    """The counter readers compare moves once in a transaction that writes, however many
    rows; a savepoint rolled back takes its move back, so the transaction's next write moves
    it; a transaction rolled back leaves it. An archive whose trigger function an older
    version wrote gets this one's when opened for writing."""
    backend.store_url(tmp_path, url)
    with Archive.open(tmp_path) as archive:
        conn = archive.conn

        def counter() -> int:
            return int(conn.execute("SELECT n FROM changes WHERE id = 1").fetchone()[0])

        def write(key: str) -> None:
            conn.execute(
                "INSERT INTO meta (key, value) VALUES (?, '1') "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (key,),
            )

        start = counter()
        with archive.transaction():
            for n in range(5):
                write(f"k{n}")
        assert counter() == start + 1
        conn.execute("BEGIN")
        write("gone")
        conn.execute("ROLLBACK")
        assert counter() == start + 1
        conn.execute("BEGIN")
        conn.execute("SAVEPOINT one")
        write("undone")
        conn.execute("ROLLBACK TO one")
        conn.execute("RELEASE one")
        write("kept")
        conn.execute("COMMIT")
        assert counter() == start + 2
        conn.raw.execute(_OLD_COUNTER)  # as an older Gongkai left it
    with Archive.open(tmp_path, readonly=True) as archive:  # a reader changes nothing
        source = (
            "SELECT prosrc FROM pg_proc WHERE proname = 'gongkai_count_change' "
            "AND pronamespace = current_schema()::regnamespace"
        )
        assert "gongkai.counted" not in archive.conn.execute(source).fetchone()[0]
    with Archive.open(tmp_path) as archive:
        assert "gongkai.counted" in archive.conn.execute(source).fetchone()[0]


@pytest.mark.parametrize("readonly", [True, False])
def test_a_session_the_server_ends_while_it_is_set_up_is_unavailable_not_a_crash(
    url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, readonly: bool
) -> None:
    """A server stopping as a web node connects again ends the new session before its set-up
    is done: that is the database being unavailable (a 503), never a psycopg error (a 500)."""
    import psycopg

    backend.store_url(tmp_path, url)
    with Archive.open(tmp_path) as archive:
        archive.add(Document(title="通知", text="公园管理"), b"x")
    reader = backend.PgConnection(url, readonly=readonly)
    real_connect = psycopg.connect

    def connect_then_ended(*args: object, **kwargs: object) -> psycopg.Connection:
        conn = real_connect(*args, **kwargs)  # type: ignore[arg-type]
        with real_connect(postgres.URL, autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", (conn.info.backend_pid,))
        return conn

    monkeypatch.setattr(psycopg, "connect", connect_then_ended)
    with pytest.raises(UnavailableError, match="cannot connect"):
        backend.PgConnection(url, readonly=readonly)
    with real_connect(postgres.URL, autocommit=True) as admin:  # the open session ends too
        admin.execute("SELECT pg_terminate_backend(%s)", (reader.raw.info.backend_pid,))
    with pytest.raises(UnavailableError):
        reader.execute("SELECT count(*) FROM documents")
    monkeypatch.undo()  # the server answers again: so does the same connection
    assert reader.execute("SELECT count(*) FROM documents").fetchone()[0] == 1
    reader.close()


def _with_option(url: str, option: str) -> str:
    """``url`` with one more ``-c`` setting in its ``options``."""
    from urllib.parse import parse_qsl, quote, urlencode, urlunsplit

    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query))
    query["options"] = f"{query.get('options', '')} {option}".strip()
    return urlunsplit(parts._replace(query=urlencode(query, quote_via=quote)))


def test_sessions_plan_for_tables_in_memory_unless_the_operator_set_the_cost(
    url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With PostgreSQL's default random_page_cost (a spinning disk's), a page's look-up of
    50 ids among a few thousand relations was planned as a scan of the whole table; the
    archive's sessions plan for tables read from memory, so the index answers it. A cost the
    operator set (here on the connection) is left as it is."""
    backend.store_url(tmp_path, url)
    with Archive.open(tmp_path, readonly=False) as archive:
        conn = archive.conn
        assert conn.execute("SHOW random_page_cost").fetchone()[0] == backend.RANDOM_PAGE_COST
        with archive.transaction():
            conn.raw.cursor().executemany(
                "INSERT INTO relations (src, dst, type, created_at, updated_at) "
                "VALUES (%s, %s, 'cites', '', '')",
                [(f"doc-{n:05d}", f"doc-{(n * 7 + 1) % 4000:05d}") for n in range(4000)],
            )
        conn.execute("ANALYZE relations")
        literal = "'{" + ",".join(f"doc-{n:05d}" for n in range(0, 4000, 80)) + "}'"
        explain = f"EXPLAIN SELECT * FROM relations WHERE dst = ANY({literal}::text[])"
        plan = "\n".join(str(r[0]) for r in conn.raw.execute(explain).fetchall())
        assert "relations_dst" in plan and "Seq Scan" not in plan
        conn.raw.execute("RESET random_page_cost")  # the default: what sessions had before
        plan = "\n".join(str(r[0]) for r in conn.raw.execute(explain).fetchall())
        assert "Seq Scan on relations" in plan
    other = tmp_path / "other"
    other.mkdir()
    own = _with_option(url, "-crandom_page_cost=2.5")
    backend.store_url(other, own)
    monkeypatch.setenv(backend.URL_ENV, own)
    with Archive.open(other) as archive:
        assert archive.conn.execute("SHOW random_page_cost").fetchone()[0] == "2.5"


def test_statements_without_rows_answer_none_as_on_sqlite(url: str, tmp_path: Path) -> None:
    """A write's cursor (no columns) answers no row; a read that found none, an empty list."""
    backend.store_url(tmp_path, url)
    with Archive.open(tmp_path) as archive:
        conn = archive.conn
        written = conn.execute("UPDATE documents SET title = title WHERE id = ?", ("none",))
        assert written.fetchone() is None and written.fetchall() == []
        found = conn.execute("SELECT id FROM documents WHERE id = ?", ("none",))
        assert found.fetchall() == []
        assert conn.execute("SELECT id FROM documents WHERE id = ?", ("none",)).fetchone() is None
        assert conn.execute("SELECT 1 AS one").fetchone()["one"] == 1
