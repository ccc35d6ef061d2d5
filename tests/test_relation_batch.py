"""Automatic relations made a batch at a time (archive/relation_batch.py), on both archive back
ends: the same rules as one at a time, in a number of statements that does not grow with the
batch. The documents are invented (青测市 does not exist)."""

from __future__ import annotations

from pathlib import Path

import pytest

from archive import Archive, Document
from archive.backend import traced
from archive.relation_batch import NewRelation, add_auto, plan
from archive.relations import (
    AMENDS,
    AUTO,
    CITES,
    CONFIRMED,
    PROPOSED,
    REJECTED,
    REPEALS,
    RelationError,
    Relations,
)

pytestmark = pytest.mark.usefixtures("archive_backend")


@pytest.fixture
def archive(tmp_path: Path) -> Archive:
    store = Archive.open(tmp_path / "data")
    for i in range(1, 31):
        title = f"青测市第{i}号公园管理规定"
        doc = Document(
            title=title, text=f"{title}。第一条 园内禁止烧烤（第{i}片）。", id=f"d{i:02d}"
        )
        store.add(doc, doc.text.encode("utf-8"))
    return store


def test_plan_keeps_the_rules_of_one_at_a_time() -> None:
    there = {("a", "b", AMENDS): REJECTED, ("a", "c", REPEALS): CONFIRMED}
    wanted = [
        NewRelation("a", AMENDS, "b"),  # there (rejected): left as it is
        NewRelation("a", CITES, "b"),  # the rejected amendment does not count
        NewRelation("a", CITES, "c"),  # a repeal of c is there: nothing to add
        NewRelation("a", REPEALS, "d"),
        NewRelation("a", REPEALS, "d"),  # the same twice
        NewRelation("a", CITES, "d"),  # repealed just before, in this batch
        NewRelation("e", CITES, "d"),
    ]
    assert [r.key for r in plan(wanted, there)] == [
        ("a", "b", CITES),
        ("a", "d", REPEALS),
        ("e", "d", CITES),
    ]


def test_a_batch_is_added_with_its_history(archive: Archive) -> None:
    relations = Relations(archive)
    relations.add("d01", AMENDS, "d02", origin=AUTO, actor="linker")
    relations.set_state(relations.find("d01", AMENDS, "d02").id, REJECTED, actor="staff")  # type: ignore[union-attr]
    wanted = [
        NewRelation("d01", AMENDS, "d02"),
        NewRelation("d03", REPEALS, "d04", effective="2026-01-01", evidence="同时废止"),
        NewRelation("d05", CITES, "d06", state=PROPOSED, note="按标题匹配"),
        NewRelation("d03", CITES, "d04"),
    ]
    made = add_auto(relations, wanted, actor="linker")
    assert [(r.src, r.type, r.dst, r.state, r.origin) for r in made] == [
        ("d03", REPEALS, "d04", CONFIRMED, AUTO),
        ("d05", CITES, "d06", PROPOSED, AUTO),
    ]
    assert made[0].effective == "2026-01-01" and made[0].evidence == "同时废止"
    assert relations.find("d01", AMENDS, "d02").state == REJECTED  # type: ignore[union-attr]
    for doc_id in ("d03", "d04"):
        details = [h["detail"] for h in archive.history(doc_id) if h["action"] == "relation"]
        assert [(d["relation"], d["change"]) for d in details] == [  # type: ignore[index]
            (made[0].id, "added")
        ]
    assert add_auto(relations, wanted, actor="linker") == []  # all there now


def test_statements_do_not_grow_with_the_batch(archive: Archive, archive_backend: str) -> None:
    """One look-up, one INSERT of relations and one of history entries (two a relation) for
    2 relations or for 27."""
    relations = Relations(archive)
    archive.existing([f"d{i:02d}" for i in range(1, 31)])  # an import has seen them

    def statements(pairs: list[tuple[int, int]]) -> list[str]:
        wanted = [NewRelation(f"d{a:02d}", CITES, f"d{b:02d}") for a, b in pairs]
        with traced(archive.conn) as seen:
            made = add_auto(relations, wanted, actor="linker")
        assert len(made) == len(pairs)
        for rel in made:
            for doc_id in (rel.src, rel.dst):
                logged = [h["detail"] for h in archive.history(doc_id) if h["action"] == "relation"]
                assert rel.id in [d["relation"] for d in logged]  # type: ignore[index]
        if archive_backend == "sqlite":  # traced again for each row its triggers act on
            seen = [s for i, s in enumerate(seen) if i == 0 or s != seen[i - 1]]
        return seen

    few = statements([(1, 2), (2, 3)])
    many = statements([(a, a + 1) for a in range(4, 30)] + [(30, 1)])
    assert len(many) == len(few), many
    assert len([s for s in many if "INSERT INTO history" in s]) == 1


def test_bad_relations_write_nothing(archive: Archive) -> None:
    relations = Relations(archive)
    for bad in (
        NewRelation("d01", "likes", "d02"),
        NewRelation("d01", CITES, "d01"),
        NewRelation("d01", CITES, "nope"),
    ):
        with pytest.raises(RelationError):
            add_auto(relations, [NewRelation("d07", CITES, "d08"), bad], actor="linker")
    assert relations.find("d07", CITES, "d08") is None
