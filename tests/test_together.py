"""Look-ups sent together (archive/together.py), on both archive back ends: the same answers
as one by one, each statement sent once, and only reads. The documents are invented."""

from __future__ import annotations

from pathlib import Path

import pytest

from archive import Archive, Document
from archive.backend import traced
from archive.relations import AMENDS, REPEALS, Relations
from archive.together import together

pytestmark = pytest.mark.usefixtures("archive_backend")


@pytest.fixture
def archive(tmp_path: Path) -> Archive:
    store = Archive.open(tmp_path / "data")
    for i in range(1, 9):
        doc = Document(title=f"青测市第{i}号河道管理规定", text=f"第一条 河道{i}。", id=f"r{i}")
        store.add(doc, doc.text.encode("utf-8"))
    relations = Relations(store)
    relations.add("r2", REPEALS, "r1", effective="2024-01-01")
    relations.add("r3", AMENDS, "r1")
    relations.record_status("r4", "失效", effective="2023-05-01", note="测试")
    return store


def test_the_answers_are_those_of_one_by_one(archive: Archive) -> None:
    relations = Relations(archive)
    ids = [f"r{i}" for i in range(1, 9)]
    lookups = (
        lambda: relations.incoming(ids, types=(REPEALS, AMENDS)),
        lambda: relations.status_changes(ids),
        lambda: relations.text_dates(ids),
        lambda: archive.get_many(ids),
    )
    alone = [lookup() for lookup in lookups]
    with traced(archive.conn) as seen:
        joined = together(archive, *lookups)
    assert joined == alone
    assert sorted(alone[0]) == ["r1"] and sorted(alone[1]) == ["r4"]
    assert len(seen) == len(set(seen)) >= 4, seen  # each statement sent once


def test_a_lookup_whose_statements_change_is_answered_by_the_database(
    archive: Archive,
) -> None:
    """On PostgreSQL the look-ups run twice (collect, then answer): one that asks something
    else the second time gets the database's answer to what it asked then."""
    asked = iter([["r1"], ["r1", "r2", "r3"]])
    last: list[str] = []

    def changing() -> dict[str, Document]:
        last[:] = next(asked)
        return archive.get_many(last)

    found, changes = together(archive, changing, lambda: Relations(archive).status_changes(["r4"]))
    assert sorted(found) == sorted(last) and list(changes) == ["r4"]
    assert found == archive.get_many(last)


def test_only_reads(archive: Archive, archive_backend: str) -> None:
    def writes() -> None:
        archive.conn.execute("UPDATE documents SET title = title WHERE id = ?", ("r1",))

    if archive_backend == "postgresql":
        with pytest.raises(RuntimeError, match="for reads"):
            together(archive, writes, lambda: archive.get_many(["r1"]))
