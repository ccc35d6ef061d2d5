"""How a large import commits and indexes: documents are committed to the archive in groups
(one transaction and one flush of the originals each), an outcome is reported only once its
document is committed, an import cut short keeps exactly the groups it committed, and large
imports write the index in a background process that loses nothing if it dies."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import archived_ids, numbered_notice

from archive.originals import OriginalStore, sha256_of
from indexer import pipeline
from indexer.engines import background
from indexer.pipeline import Item
from indexer.service import ENGINES, Gongkai, init_data_dir

TOPICS = ["河道保洁", "燃气安全", "学生资助", "电梯检验", "古树保护", "秸秆禁烧"]


def notice(i: int) -> bytes:
    return numbered_notice(i, TOPICS, series="批量发〔2022〕", clauses=11).encode()


def items(count: int, start: int = 0) -> Iterator[Item]:
    for i in range(start, start + count):
        yield Item(f"row-{i}", Path(f"row-{i}.txt"), data=notice(i))


def search_total(data: Path, query: str) -> int:
    with Gongkai(data, readonly=True) as gk:
        return gk.search(query, limit=1).total


@pytest.mark.parametrize("workers", [1, 2])
def test_an_outcome_is_reported_only_once_committed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, workers: int
) -> None:
    monkeypatch.setattr(pipeline, "GROUP_DOCS", 7)
    data = tmp_path / "data"
    reported: list[str] = []
    uncommitted: list[str] = []

    def on_progress(outcome: pipeline.FileOutcome) -> None:
        assert outcome.status == "imported", outcome
        reported.append(outcome.id)
        if outcome.id not in archived_ids(data):
            uncommitted.append(outcome.id)

    with Gongkai(data) as gk:
        report = gk.import_items(items(40), on_progress=on_progress, workers=workers)
    assert report.counts()["imported"] == 40
    assert [o.path for o in report.outcomes] == [f"row-{i}" for i in range(40)]  # input order
    assert len(reported) == 40 and not uncommitted
    assert archived_ids(data) == set(reported)


class Interrupted(Exception):
    pass


@pytest.mark.parametrize("workers", [1, 2])
def test_an_import_cut_short_keeps_whole_groups_and_resumes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, workers: int
) -> None:
    monkeypatch.setattr(pipeline, "GROUP_DOCS", 5)
    monkeypatch.setattr(pipeline, "GROUP_SECONDS", 3600.0)
    data = tmp_path / "data"
    reported: list[str] = []
    # With workers, this many items are read ahead of the one being committed.
    ahead = pipeline.WINDOW_ITEMS * workers if workers > 1 else 0
    total = 23 + ahead

    def dying() -> Iterator[Item]:
        yield from items(total)
        raise Interrupted  # the input breaks off with 23 committed or in the open group

    with Gongkai(data) as gk, pytest.raises(Interrupted):
        gk.import_items(dying(), on_progress=lambda o: reported.append(o.id), workers=workers)
    kept = archived_ids(data)
    assert len(kept) == 20  # four whole groups; the open group of three is rolled back
    assert set(reported) == kept  # everything reported is there, nothing else
    with sqlite3.connect(data / "archive.sqlite3") as conn:
        logged = conn.execute("SELECT COUNT(DISTINCT doc_id) FROM history").fetchone()[0]
    assert logged == 20

    with Gongkai(data) as gk:  # the same input again completes the import
        report = gk.import_items(items(total), workers=workers)
        counts = report.counts()
        assert counts["duplicate"] == 20 and counts["imported"] == total - 20
        assert gk.verify()["ok"]
    assert search_total(data, "落实情况") == total


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("workers", [1, 2])
def test_a_large_import_indexes_in_the_background(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, engine: str, workers: int
) -> None:
    monkeypatch.setattr(pipeline, "BATCH_DOCS", 20)  # 75 documents: 3 full batches and a rest
    started: list[background.BackgroundWriter] = []
    real_init = background.BackgroundWriter.__init__

    def spy(self: background.BackgroundWriter, *args: object) -> None:
        real_init(self, *args)  # type: ignore[arg-type]
        started.append(self)

    monkeypatch.setattr(background.BackgroundWriter, "__init__", spy)
    data = tmp_path / "data"
    init_data_dir(data, engine)
    with Gongkai(data) as gk:
        report = gk.import_items(items(75), workers=workers)
        assert report.counts()["imported"] == 75
        assert gk.search("河道保洁", limit=1).total == 13  # this process sees it at once
        assert gk.verify()["ok"]
    assert len(started) == 1
    assert started[0].written == 75 and not started[0].failure
    assert not started[0]._process.is_alive()
    assert search_total(data, '"落实情况"') == 75
    assert search_total(data, "批量发〔2022〕75号") == 1


@pytest.mark.parametrize("engine", ENGINES)
def test_a_dead_background_writer_loses_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, engine: str
) -> None:
    monkeypatch.setattr(pipeline, "BATCH_DOCS", 20)
    real_add = background.BackgroundWriter.add
    calls: list[background.BackgroundWriter] = []

    def add_then_die(self: background.BackgroundWriter, docs: list) -> None:
        calls.append(self)
        if len(calls) == 2:  # the writer is killed while the import goes on
            self._process.kill()
            self._process.join()
        real_add(self, docs)

    monkeypatch.setattr(background.BackgroundWriter, "add", add_then_die)
    data = tmp_path / "data"
    init_data_dir(data, engine)
    with Gongkai(data) as gk:
        report = gk.import_items(items(75), workers=2)
        assert report.counts()["imported"] == 75
        assert gk.verify()["ok"]  # what the dead writer did not write was indexed after
    assert len(calls) >= 3 and "index writer" in calls[0].failure
    assert search_total(data, '"落实情况"') == 75


def test_background_writer_reports_an_engine_error(tmp_path: Path) -> None:
    data = tmp_path / "data"
    init_data_dir(data, "whoosh")
    writer = background.BackgroundWriter(data, "no-such-engine")
    writer.add([])
    assert writer.close() is False
    assert "no-such-engine" in writer.failure or "ended" in writer.failure


def test_originals_written_without_flush_then_synced(tmp_path: Path) -> None:
    store = OriginalStore(tmp_path / "originals")
    data = "原件内容".encode() * 100
    digest = store.put(data, durable=False)
    store.sync()
    assert digest == sha256_of(data) and store.read(digest) == data
    assert not list(store.root.rglob(".tmp-*"))


def test_an_original_cut_short_is_written_again(tmp_path: Path) -> None:
    store = OriginalStore(tmp_path / "originals")
    data = b"complete original bytes" * 50
    target = store.path(sha256_of(data))
    target.parent.mkdir(parents=True)
    target.write_bytes(b"")  # what an unflushed write can leave after a power cut
    store.put(data)
    assert store.read(sha256_of(data)) == data
