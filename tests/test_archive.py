"""The archive: duplicates change nothing, originals byte for byte, append-only history, schema
version, and the index rebuilt or repaired from the archive (``reindex``, ``verify``)."""

from __future__ import annotations

import hashlib
import json
import shutil
import sqlite3

import pytest
from helpers import CORPUS, Corpus, history_rows, run_cli

from archive import Archive, Document
from archive.schema import MIGRATIONS
from indexer.service import Gongkai


def test_reimport_is_duplicate_and_changes_nothing(fresh_corpus: Corpus) -> None:
    before_history = history_rows(fresh_corpus.data)
    with Gongkai(fresh_corpus.data) as gk:
        count = gk.archive.count()
        revisions = gk.archive.revisions()
    result = run_cli(fresh_corpus.data, "import", "-q", "--json", str(CORPUS))
    assert result.exit_code == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["imported"] == 0
    assert summary["duplicate"] == len(fresh_corpus.ids)
    with Gongkai(fresh_corpus.data, readonly=True) as gk:
        assert gk.archive.count() == count
        assert gk.archive.revisions() == revisions
    assert history_rows(fresh_corpus.data) == before_history


def test_same_bytes_under_another_name_are_a_duplicate(fresh_corpus: Corpus, tmp_path) -> None:
    copy = tmp_path / "renamed.txt"
    copy.write_bytes((CORPUS / "shidi-xize.txt").read_bytes())
    with Gongkai(fresh_corpus.data) as gk:
        report = gk.import_paths([copy])
    (outcome,) = report.outcomes
    assert outcome.status == "duplicate"
    assert outcome.id == fresh_corpus.ids["shidi-xize.txt"]


def test_originals_are_stored_byte_for_byte(corpus: Corpus) -> None:
    with Archive.open(corpus.data, readonly=True) as archive:
        for name, doc_id in corpus.ids.items():
            original = (CORPUS / name).read_bytes()
            doc = archive.get(doc_id)
            assert doc is not None
            assert doc.sha256 == hashlib.sha256(original).hexdigest()
            assert doc.size == len(original)
            stored = archive.originals.path(doc.sha256)
            assert stored.name == doc.sha256
            assert stored.read_bytes() == original


def test_history_records_the_import(corpus: Corpus) -> None:
    with Archive.open(corpus.data, readonly=True) as archive:
        doc_id = corpus.ids["guoban-2019-2.txt"]
        (entry,) = [h for h in archive.history(doc_id) if h["action"] == "import"]
        assert entry["detail"]["source"] == "guoban-2019-2.txt"


@pytest.mark.parametrize(
    "statement", ["UPDATE history SET actor = 'someone'", "DELETE FROM history"]
)
def test_history_is_append_only(fresh_corpus: Corpus, statement: str) -> None:
    before = history_rows(fresh_corpus.data)
    assert before
    with (
        Archive.open(fresh_corpus.data) as archive,
        pytest.raises(sqlite3.DatabaseError, match="append-only"),
    ):
        archive.conn.execute(statement)
    assert history_rows(fresh_corpus.data) == before


def test_schema_version_is_set(tmp_path) -> None:
    with Archive.open(tmp_path / "new") as archive:
        version = archive.conn.execute("PRAGMA user_version").fetchone()[0]
    assert version == len(MIGRATIONS) > 0
    # opening again applies nothing and keeps the version
    with Archive.open(tmp_path / "new") as archive:
        assert archive.conn.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)


def test_add_is_all_or_nothing_on_duplicate_bytes(tmp_path) -> None:
    with Archive.open(tmp_path / "a") as archive:
        first = archive.add(Document(title="甲", text="正文甲"), b"same bytes")
        second = archive.add(Document(title="乙", text="正文乙"), b"same bytes")
        assert first.status == "imported"
        assert second.status == "duplicate" and second.id == first.id
        assert archive.count() == 1
        assert archive.get(first.id).title == "甲"


@pytest.mark.parametrize("workers", ["1", "2"])  # in this process; segmented in 2 + writer
def test_reindex_rebuilds_a_deleted_index(fresh_corpus: Corpus, workers: str) -> None:
    data = fresh_corpus.data
    shutil.rmtree(data / "index")
    result = run_cli(data, "reindex", "--json", "--workers", workers)
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout) == {"indexed": len(fresh_corpus.ids)}
    found = run_cli(data, "search", "--json", "湿地保护")
    ids = [h["id"] for h in json.loads(found.stdout)["hits"]]
    assert ids[0] == fresh_corpus.ids["shidi-xize.txt"]
    assert run_cli(data, "verify").exit_code == 0


def test_verify_detects_and_repairs_a_missing_index_entry(fresh_corpus: Corpus) -> None:
    data = fresh_corpus.data
    ok = run_cli(data, "verify", "--json")
    assert ok.exit_code == 0, ok.stdout
    assert json.loads(ok.stdout)["ok"] is True

    lost = fresh_corpus.ids["houniao-2016.txt"]
    with Gongkai(data) as gk:
        assert gk.engine.delete([lost]) == 1
    broken = run_cli(data, "verify", "--json")
    assert broken.exit_code == 1
    report = json.loads(broken.stdout)
    assert report["ok"] is False
    assert report["missing_from_index"] == [lost]
    assert lost not in run_cli(data, "search", "--json", "候鸟").stdout

    repaired = run_cli(data, "verify", "--repair", "--json")
    assert repaired.exit_code == 0, repaired.stdout
    assert json.loads(repaired.stdout)["repaired"]["indexed"] == 1
    assert run_cli(data, "verify").exit_code == 0
    assert lost in run_cli(data, "search", "--json", "候鸟").stdout


def test_verify_reports_a_missing_original(fresh_corpus: Corpus) -> None:
    data = fresh_corpus.data
    doc_id = fresh_corpus.ids["caizheng-dafu.txt"]
    with Archive.open(data, readonly=True) as archive:
        archive.originals.path(archive.get(doc_id).sha256).unlink()
    result = run_cli(data, "verify", "--json")
    assert result.exit_code == 1
    assert json.loads(result.stdout)["missing_originals"] == [doc_id]
