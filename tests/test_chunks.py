"""Ids read in chunks for ``IN (…)`` lists (archive/chunks.py): the helper's runs, and look-ups
across a chunk boundary on a real archive, on SQLite and on PostgreSQL."""

from __future__ import annotations

import pytest

from archive import Archive, Document
from archive.chunks import CHUNK, ROW_VALUES, in_chunks, rows_in_chunks
from archive.relations import Relations

pytestmark = pytest.mark.usefixtures("archive_backend")


def test_runs_cover_every_value_once_in_order_with_one_placeholder_each() -> None:
    values = [f"id{i}" for i in range(2 * CHUNK + 1)]
    runs = list(in_chunks(values))
    assert [len(chunk) for chunk, _ in runs] == [CHUNK, CHUNK, 1]
    assert [v for chunk, _ in runs for v in chunk] == values
    assert all(marks == ", ".join(["?"] * len(chunk)) for chunk, marks in runs)
    assert list(in_chunks([])) == []
    assert [c for c, _ in in_chunks("abcde", 2)] == [["a", "b"], ["c", "d"], ["e"]]


def test_row_runs_stay_under_the_parameter_budget_in_order() -> None:
    rows = [(f"d{i}", i, "x") for i in range(ROW_VALUES // 3 * 2 + 5)]
    runs = list(rows_in_chunks(rows))
    assert [len(values) for values, _ in runs] == [ROW_VALUES, ROW_VALUES, 15]
    assert [v for values, _ in runs for v in values] == [v for row in rows for v in row]
    assert runs[-1][1] == ", ".join(["(?, ?, ?)"] * 5)
    assert list(rows_in_chunks([])) == []
    assert [len(v) for v, _ in rows_in_chunks([(1, 2)] * 5, budget=4)] == [4, 4, 2]


def test_look_ups_across_a_chunk_boundary_find_every_document(tmp_path) -> None:
    count = CHUNK + 3
    with Archive.open(tmp_path / "data") as archive:
        ids = [
            archive.add(Document(title=f"通知{i}", text=f"正文{i}"), f"原件{i}".encode()).id
            for i in range(count)
        ]
        asked = [*ids, "no-such-id"]
        assert set(archive.get_many(asked)) == set(ids)
        assert {row["id"] for row in archive.fields(["id", "title"], asked)} == set(ids)
        assert len(list(archive.texts_containing("正文", asked))) == count
        assert Relations(archive).status_changes(asked) == {}
