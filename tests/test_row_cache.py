"""The documents a results page reads, remembered until the archive changes
(:mod:`indexer.row_cache`), on both databases: the same answers as the archive's, copies
that a caller may change, read again after any change, and bounded.

The documents are fictional (青测市 and its 文号 are invented for these tests)."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import import_docs

from archive import Archive
from indexer.row_cache import RowCache

pytestmark = pytest.mark.usefixtures("archive_backend")


@pytest.fixture
def data(tmp_path: Path) -> Path:
    folder = tmp_path / "docs"
    folder.mkdir()
    for i in range(1, 7):
        (folder / f"rule-{i}.txt").write_text(
            f"名称：青测市第{i}号河道保洁办法\n发布机构：青测市水务局\n"
            f"文号：青水发〔2021〕{i}号\n发布日期：2021-05-{i:02d}\n\n"
            f"第一条 为了做好第{i}段河道的保洁工作，制定本办法。" * (i * 40) + "\n",
            encoding="utf-8",
        )
    data = tmp_path / "data"
    import_docs(data, folder)
    return data


def test_the_cache_answers_as_the_archive_and_reads_again_after_a_change(data: Path) -> None:
    with Archive.open(data) as archive:
        ids = sorted(archive.revisions())
        cache = RowCache(archive)
        assert cache.get_many(ids) == archive.get_many(ids)
        assert cache.get_many(ids[:3], text=False) == archive.get_many(ids[:3], text=False)
        assert cache.reads == 1  # the texts came with the rows the first time
        mine = cache.get_many(ids[:1])[ids[0]]
        mine.title, mine.extra["note"] = "改过", "x"  # a caller's copy
        assert cache.get_many(ids[:1]) == archive.get_many(ids[:1])
        assert cache.get_many(["no-such-id", ids[1]]).keys() == {ids[1]}
        with archive.transaction():
            archive.conn.execute("UPDATE documents SET title = '新标题' WHERE id = ?", (ids[0],))
        reads = cache.reads
        assert cache.get_many(ids[:2])[ids[0]].title == "新标题"
        assert cache.reads == reads + 1


def test_another_connections_change_is_seen_at_once(data: Path) -> None:
    with Archive.open(data) as reader, Archive.open(data) as writer:  # two processes
        ids = sorted(reader.revisions())
        cache = RowCache(reader)
        assert cache.get_many(ids[:1], text=False)[ids[0]].title != "另一节点改的标题"
        with writer.transaction():
            writer.conn.execute(
                "UPDATE documents SET title = '另一节点改的标题' WHERE id = ?", (ids[0],)
            )
        assert cache.get_many(ids[:1], text=False)[ids[0]].title == "另一节点改的标题"


def test_the_cache_keeps_at_most_its_rows_and_characters(data: Path) -> None:
    with Archive.open(data) as archive:
        ids = sorted(archive.revisions())
        longest = max(len(d.text) for d in archive.get_many(ids).values())
        cache = RowCache(archive, rows=3, text_chars=longest + 1)
        found = cache.get_many(ids)
        assert found == archive.get_many(ids)  # all answered, though not all kept
        rows, chars = cache.kept()
        assert rows == 3 and chars <= longest + 1
        reads = cache.reads
        cache.get_many(ids[-1:])  # the most recently used is still there
        assert cache.reads == reads
        cache.get_many(ids[:1])  # the least recently used was dropped
        assert cache.reads == reads + 1


def test_the_caches_of_one_archive_share_what_they_read(data: Path) -> None:
    with Archive.open(data) as one, Archive.open(data) as two:  # two threads' connections
        ids = sorted(one.revisions())
        first, second = RowCache(one), RowCache(two)
        assert first.get_many(ids) == one.get_many(ids)
        assert second.get_many(ids) == two.get_many(ids)
        assert (first.reads, second.reads) == (1, 0)  # the second read nothing
        with one.transaction():
            one.conn.execute(
                "UPDATE documents SET title = '第一个线程改的' WHERE id = ?", (ids[0],)
            )
        assert second.get_many(ids[:1])[ids[0]].title == "第一个线程改的"
        assert second.reads == 1


def test_what_a_transaction_reads_of_its_own_writes_stays_in_it(data: Path) -> None:
    with Archive.open(data) as writer, Archive.open(data) as reader:
        ids = sorted(reader.revisions())
        theirs, mine = RowCache(reader), RowCache(writer)
        title = theirs.get_many(ids[:1])[ids[0]].title
        with pytest.raises(RuntimeError), writer.transaction():
            writer.conn.execute(
                "UPDATE documents SET title = '未提交的标题' WHERE id = ?", (ids[0],)
            )
            assert mine.get_many(ids[:1])[ids[0]].title == "未提交的标题"
            assert theirs.get_many(ids[:1])[ids[0]].title == title
            raise RuntimeError("rolled back")
        assert mine.get_many(ids[:1])[ids[0]].title == title
        assert theirs.get_many(ids[:1])[ids[0]].title == title
