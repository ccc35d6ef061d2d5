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
        assert len(cache._rows) == 3 and cache._chars <= longest + 1
        reads = cache.reads
        cache.get_many(ids[-1:])  # the most recently used is still there
        assert cache.reads == reads
        cache.get_many(ids[:1])  # the least recently used was dropped
        assert cache.reads == reads + 1
