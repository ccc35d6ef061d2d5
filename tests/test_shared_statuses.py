"""Statuses shared by the views of one archive in a process (:mod:`indexer.shared_statuses`),
on both databases: what one thread's view worked out serves another's, a change made through
any connection is seen by the next read at once, a reader of an older state neither reads nor
adds, and a view inside a transaction keeps to itself.

The documents are fictional (青测市 and its 文号 are invented for these tests)."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import import_docs

from archive import Archive
from archive.backend import traced
from archive.reads import read_together
from archive.relations import Relations
from archive.validity import ReadFacts, statuses
from indexer.shared_statuses import SharedStatuses, shared_statuses
from indexer.validity_view import ValidityView

pytestmark = pytest.mark.usefixtures("archive_backend")


@pytest.fixture
def data(tmp_path: Path) -> Path:
    folder = tmp_path / "docs"
    folder.mkdir()
    for i in range(1, 5):
        (folder / f"rule-{i}.txt").write_text(
            f"名称：青测市第{i}号河道保洁办法\n发布机构：青测市水务局\n"
            f"文号：青水发〔2021〕{i}号\n发布日期：2021-05-{i:02d}\n有效性：有效\n\n"
            f"第一条 为了做好第{i}段河道的保洁工作，制定本办法。\n",
            encoding="utf-8",
        )
    data = tmp_path / "data"
    import_docs(data, folder)
    return data


def test_one_views_statuses_serve_another_until_the_archive_changes(data: Path) -> None:
    with Archive.open(data) as one, Archive.open(data) as two, Archive.open(data) as writer:
        shared = shared_statuses(one)
        assert shared is shared_statuses(two)  # the same archive: one memory
        docs = list(one.get_many(sorted(one.revisions()), text=False).values())
        first = ValidityView(one).statuses(docs, "2024-01-01")
        worked = shared.worked_out
        assert worked >= len(docs)
        again = ValidityView(two).statuses(docs, "2024-01-01")  # another thread's view
        assert again == first and shared.worked_out == worked  # nothing asked again
        again[docs[0].id].validity = "改过"  # a caller's copy
        assert ValidityView(two).statuses(docs[:1], "2024-01-01") == {docs[0].id: first[docs[0].id]}
        Relations(writer).record_status(docs[0].id, "失效", effective="2023-06-01", actor="staff")
        after = ValidityView(two).statuses(docs, "2024-01-01")  # seen at once
        assert after[docs[0].id].validity == "失效" and after[docs[1].id] == first[docs[1].id]
        assert shared.worked_out == worked + len(docs)  # emptied by the change
        assert ValidityView(one).statuses(docs[:1], "2024-01-01")[docs[0].id].validity == "失效"


def test_a_reader_of_an_older_state_neither_reads_nor_adds(data: Path) -> None:
    with Archive.open(data) as archive:
        docs = list(archive.get_many(sorted(archive.revisions()), text=False).values())
        shared = SharedStatuses()
        n, at = archive.changes() or (0, "")
        newer = (n + 1, "later")
        shared.statuses(archive, newer, docs[:1], "2024-01-01")
        assert shared.worked_out == 1
        shared.statuses(archive, (n, at), docs[:2], "2024-01-01")  # began before the change
        assert shared.worked_out == 3  # both asked: what the newer state keeps is not its
        shared.statuses(archive, newer, docs[:2], "2024-01-01")
        assert shared.worked_out == 4  # the older reader added nothing; the first is kept


def test_a_view_inside_a_transaction_keeps_to_itself(data: Path) -> None:
    with Archive.open(data) as writer, Archive.open(data) as reader:
        docs = list(reader.get_many(sorted(reader.revisions()), text=False).values())
        assert ValidityView(reader).statuses(docs[:1])[docs[0].id].validity == "有效"
        writer.conn.execute("BEGIN")
        Relations(writer).record_status(docs[0].id, "失效", effective="2023-06-01", actor="staff")
        assert ValidityView(writer).statuses(docs[:1])[docs[0].id].validity == "失效"
        writer.conn.execute("ROLLBACK")
        worked = shared_statuses(reader).worked_out
        assert ValidityView(reader).statuses(docs[:1])[docs[0].id].validity == "有效"
        assert shared_statuses(reader).worked_out == worked  # still kept: untouched by it
        assert ValidityView(writer).statuses(docs[:1])[docs[0].id].validity == "有效"


def test_facts_are_read_ahead_only_for_the_statuses_not_known(data: Path) -> None:
    """A search reads its hits' rows and the facts of their statuses together: it asks which
    are not known (before it has their rows) and reads only theirs; after a change, all."""
    with Archive.open(data) as archive, Archive.open(data) as writer:
        view = ValidityView(archive)
        docs = list(archive.get_many(sorted(archive.revisions()), text=False).values())
        ids = [d.id for d in docs]
        unknown, reads = view.facts_ahead(ids, "2024-01-01")
        assert unknown == ids and len(reads) == 6
        view.statuses(docs[:2], "2024-01-01")
        unknown, reads = view.facts_ahead(ids, "2024-01-01")
        assert unknown == ids[2:] and len(reads) == 6
        assert view.facts_ahead(ids, "2025-01-01")[0] == ids  # another day: not known
        view.statuses(docs, "2024-01-01")
        assert view.facts_ahead(ids, "2024-01-01") == ([], [])
        Relations(writer).record_status(ids[0], "失效", effective="2023-06-01", actor="staff")
        assert view.facts_ahead(ids, "2024-01-01")[0] == ids


def test_statuses_from_facts_read_ahead_ask_nothing_more(data: Path) -> None:
    """With the facts of every unknown status read ahead, working the statuses out reads
    nothing; facts read ahead for other documents are not used."""
    with Archive.open(data) as archive, Archive.open(data) as writer:
        docs = list(archive.get_many(sorted(archive.revisions()), text=False).values())
        Relations(writer).record_status(docs[1].id, "失效", effective="2023-06-01", actor="staff")
        view = ValidityView(archive)
        unknown, reads = view.facts_ahead([d.id for d in docs], "2024-01-01")
        ahead = ReadFacts(frozenset(unknown), read_together(archive.conn, reads))
        with traced(archive.conn) as seen:
            found = view.statuses(docs, "2024-01-01", ahead)
        assert not [s for s in seen if "status_changes" in s or "relations" in s], seen
        assert found == statuses(writer, docs, "2024-01-01")  # worked out alone
        assert found[docs[1].id].validity == "失效"
        other = ReadFacts(frozenset([docs[0].id]), ahead.answers)  # not for these documents
        with traced(archive.conn) as seen:
            assert statuses(archive, docs, "2024-01-01", other) == found
        assert [s for s in seen if "status_changes" in s], seen
