"""``verify`` checks what is stored, not only that it is there (issue 12 item 11): originals
re-hashed, SQLite's integrity check, every row decoded, each problem named with its document;
a damaged document gives a clear error (CLI exit 7, web 503), never exit 6 or a 500; importing
the same file again restores a lost or damaged original; ``--repair`` says what it cannot do."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from helpers import Corpus, run_cli

from archive import Archive
from archive.errors import EXIT_DAMAGED
from search_app import create_app


def _original(data: Path, doc_id: str) -> Path:
    with Archive.open(data, readonly=True) as archive:
        return archive.originals.path(archive.get(doc_id).sha256)


def _flip_a_byte(path: Path) -> None:
    raw = bytearray(path.read_bytes())
    raw[len(raw) // 2] ^= 0x01
    path.write_bytes(bytes(raw))


def test_a_flipped_byte_in_an_original_is_found_and_a_reimport_restores_it(
    fresh_corpus: Corpus,
) -> None:
    data = fresh_corpus.data
    name = "caizheng-dafu.txt"
    doc_id = fresh_corpus.ids[name]
    original = _original(data, doc_id)
    _flip_a_byte(original)
    result = run_cli(data, "verify", "--json")
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert report["corrupt_originals"] == [doc_id]
    assert report["ok"] is False
    quick = json.loads(run_cli(data, "verify", "--quick", "--json").stdout)
    assert quick["corrupt_originals"] == [] and quick["ok"] is True

    repaired = json.loads(run_cli(data, "verify", "--repair", "--json").stdout)
    assert any(doc_id in line and "import the same file" in line for line in repaired["unrepaired"])

    source = next(p for p in (Path(__file__).parent / "fixtures" / "corpus").rglob(name))
    again = json.loads(run_cli(data, "import", str(source), "-q", "--json").stdout)
    assert again["duplicate"] == 1
    assert json.loads(run_cli(data, "verify", "--json").stdout)["ok"] is True
    assert original.read_bytes() == source.read_bytes()


def test_a_lost_original_is_restored_by_importing_the_file_again(fresh_corpus: Corpus) -> None:
    data = fresh_corpus.data
    name = "houniao-2016.txt"
    _original(data, fresh_corpus.ids[name]).unlink()
    source = next(p for p in (Path(__file__).parent / "fixtures" / "corpus").rglob(name))
    report = run_cli(data, "import", str(source), "-q", "--report", str(data.parent / "r.jsonl"))
    assert report.exit_code == 0
    line = json.loads((data.parent / "r.jsonl").read_text(encoding="utf-8"))
    assert "restored" in line["reason"]
    assert json.loads(run_cli(data, "verify", "--json").stdout)["missing_originals"] == []


def _damage_row(data: Path, doc_id: str) -> None:
    conn = sqlite3.connect(data / "archive.sqlite3")
    conn.execute("UPDATE documents SET extra = '{not json' WHERE id = ?", (doc_id,))
    conn.commit()
    conn.close()


def test_a_row_that_does_not_decode_is_reported_and_shown_as_damaged(
    fresh_corpus: Corpus,
) -> None:
    data = fresh_corpus.data
    doc_id = fresh_corpus.ids["houniao-2016.txt"]
    _damage_row(data, doc_id)
    report = json.loads(run_cli(data, "verify", "--json").stdout)
    assert report["bad_rows"] == [doc_id]
    assert report["ok"] is False
    shown = run_cli(data, "show", doc_id)
    assert shown.exit_code == EXIT_DAMAGED
    assert "damaged" in shown.stderr and "Traceback" not in shown.stderr
    app = create_app({"DATA_DIR": data, "SECRET_KEY": "t"})
    client = app.test_client()
    page = client.get(f"/doc/{doc_id}")
    assert page.status_code == 503
    assert "损坏" in page.get_data(as_text=True)
    api = client.get(f"/api/v1/documents/{doc_id}")
    assert api.status_code == 503
    assert api.get_json()["error"]["code"] == "damaged"


def test_damaged_database_pages_are_reported_not_a_crash(fresh_corpus: Corpus) -> None:
    data = fresh_corpus.data
    db = data / "archive.sqlite3"
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    page_size = conn.execute("PRAGMA page_size").fetchone()[0]
    (root,) = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = 'history'").fetchone()
    conn.close()
    raw = bytearray(db.read_bytes())
    start = (root - 1) * page_size  # garbage over the history table's first page header
    raw[start : start + 12] = b"\xa5" * 12
    db.write_bytes(bytes(raw))
    result = run_cli(data, "verify", "--quick", "--json")
    assert result.exit_code == 1, result.stderr
    report = json.loads(result.stdout)
    assert report["integrity_errors"]
    assert report["ok"] is False
