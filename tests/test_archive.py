"""The archive: duplicates change nothing, originals byte for byte, append-only history, schema
version, the index rebuilt or repaired from the archive (``reindex``, ``verify``), and the
public methods through which the indexer, the web app and the CLI read and write it."""

from __future__ import annotations

import hashlib
import json
import shutil
import sqlite3

import pytest
from helpers import CORPUS, Corpus, history_rows, run_cli

from archive import Archive, Document, schema
from archive.errors import InvalidInput, NotFoundError
from archive.relations import CITES, REJECTED, Relations
from archive.schema import MIGRATIONS
from indexer.service import Gongkai

#: Every test here runs on an SQLite and on a PostgreSQL archive.
pytestmark = pytest.mark.usefixtures("archive_backend")


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
            assert archive.originals.read(doc.sha256) == original
            if archive.dialect == "sqlite":  # a file named by its hash; else a row
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
        version = schema.version(archive.conn)
    assert version == len(MIGRATIONS) > 0
    # opening again applies nothing and keeps the version
    with Archive.open(tmp_path / "new") as archive:
        assert schema.version(archive.conn) == len(MIGRATIONS)


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
    with Archive.open(data) as archive:
        digest = archive.get(doc_id).sha256
        if archive.dialect == "sqlite":
            archive.originals.path(digest).unlink()
        else:
            archive.conn.execute("DELETE FROM originals WHERE sha256 = ?", (digest,))
    result = run_cli(data, "verify", "--json")
    assert result.exit_code == 1
    assert json.loads(result.stdout)["missing_originals"] == [doc_id]


# -- the archive's public methods, called directly on a real SQLite archive -----------------


def _archive_with(tmp_path, texts: dict[str, str]) -> tuple[Archive, dict[str, str]]:
    """A new archive holding one document per (title, text); returns it and title → id."""
    archive = Archive.open(tmp_path / "data")
    ids = {}
    for title, text in texts.items():
        ids[title] = archive.add(Document(title=title, text=text), text.encode()).id
    return archive, ids


def test_transaction_keeps_all_or_nothing_and_nested_blocks_join_it(tmp_path) -> None:
    archive, ids = _archive_with(tmp_path, {"甲": "正文甲"})
    doc = ids["甲"]
    with archive:
        with pytest.raises(RuntimeError), archive.transaction():
            archive.log(doc, "tester", "note", {"n": 1})
            with archive.transaction():  # joins the outer one: rolled back with it
                archive.log(doc, "tester", "note", {"n": 2})
            raise RuntimeError("stop")
        assert [h["action"] for h in archive.history(doc)] == ["import"]
        assert not archive.conn.in_transaction

        with archive.transaction():
            archive.log(doc, "tester", "note", {"n": 3})
            archive.log(doc, "tester", "note", {"n": 4})
    with Archive.open(tmp_path / "data", readonly=True) as reader:
        notes = [h["detail"] for h in reader.history(doc) if h["action"] == "note"]
    assert notes == [{"n": 3}, {"n": 4}]


def test_recent_history_is_newest_first_across_documents(tmp_path) -> None:
    archive, ids = _archive_with(tmp_path, {"甲": "正文甲", "乙": "正文乙"})
    with archive:
        with archive.transaction():
            archive.log(ids["甲"], "alice", "upload", {"file": "甲.txt"})
        recent = archive.recent_history(2)
        assert [(r["doc_id"], r["action"], r["actor"]) for r in recent] == [
            (ids["甲"], "upload", "alice"),
            (ids["乙"], "import", "import"),
        ]
        assert recent[0]["detail"] == {"file": "甲.txt"}
        assert len(archive.recent_history(10)) == 3


def test_set_kind_makes_a_new_revision_recorded_in_history(tmp_path) -> None:
    archive, ids = _archive_with(tmp_path, {"甲": "正文甲"})
    doc = ids["甲"]
    with archive:
        before = archive.get(doc)
        assert before.kind == "notice"
        assert archive.set_kind(doc, "other", actor="tester", why="测试") is True
        after = archive.get(doc)
        assert (after.kind, after.rev) == ("other", before.rev + 1)
        assert archive.history(doc)[-1]["detail"] == {
            "before": "notice",
            "after": "other",
            "why": "测试",
        }
        assert archive.set_kind(doc, "other", actor="tester") is False  # nothing to change
        assert archive.get(doc).rev == after.rev
        with pytest.raises(InvalidInput):
            archive.set_kind(doc, "poem", actor="tester")
        with pytest.raises(NotFoundError):
            archive.set_kind("nosuchid", "other", actor="tester")


def test_fields_and_texts_containing_read_only_what_is_asked(tmp_path) -> None:
    texts = {f"文件{i}": f"第{i}号正文" + ("，附件：表格" * (i % 3 == 0)) for i in range(450)}
    archive, ids = _archive_with(tmp_path, texts)
    with archive:
        assert archive.exists(ids["文件7"]) and not archive.exists("nosuchid")
        wanted = [*ids.values(), "nosuchid"]  # more than one chunk; unknown ids are left out
        rows = list(archive.fields(["id", "title"], wanted))
        assert {r["id"]: r["title"] for r in rows} == {v: k for k, v in ids.items()}
        assert all(set(r) == {"id", "title"} for r in rows)
        assert len(list(archive.fields(["id"]))) == 450  # every document
        with pytest.raises(InvalidInput):
            archive.fields(["id", "title; DROP TABLE documents"])

        found = dict(archive.texts_containing("附件", ids.values()))
        assert set(found) == {ids[f"文件{i}"] for i in range(0, 450, 3)}
        assert found[ids["文件3"]] == "第3号正文，附件：表格"
        assert dict(archive.texts_containing("附件", [ids["文件1"]])) == {}


def test_open_untouched_reads_without_writing_anything(tmp_path) -> None:
    assert Archive.open_untouched(tmp_path / "nothing-here") is None
    archive, ids = _archive_with(tmp_path, {"甲": "正文甲"})
    archive.close()
    data = tmp_path / "data"
    before = {p.name: p.read_bytes() for p in data.iterdir() if p.is_file()}
    reader = Archive.open_untouched(data)
    assert reader is not None
    with reader:
        assert reader.get(ids["甲"]).text == "正文甲"
    assert {p.name: p.read_bytes() for p in data.iterdir() if p.is_file()} == before


def test_related_ignores_direction_type_and_rejected_relations(tmp_path) -> None:
    archive, ids = _archive_with(tmp_path, {"甲": "正文甲", "乙": "正文乙"})
    a, b = ids["甲"], ids["乙"]
    with archive:
        relations = Relations(archive)
        assert not relations.related(a, b)
        rel, _ = relations.add(a, CITES, b)
        assert relations.related(a, b) and not relations.related(b, a)
        relations.set_state(rel.id, REJECTED, actor="tester")
        assert not relations.related(a, b)
