"""Searches go only to the Typesense nodes that hold the collection, nearly whole
(indexer.engines.typesense_reads): a node that answers but lags (as one restarted after a
crash does while it loads its copy) or has no such collection yet is left out, and taken
back once it has caught up.

Two real servers that are not one cluster stand for the nodes, so that one of them holds a
known part of the collection for as long as the test needs."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from typesense_servers import API_KEY, Node

from indexer.engines.base import IndexDoc
from indexer.engines.typesense import TypesenseEngine
from indexer.engines.typesense_cluster import Settings, parse_nodes
from indexer.engines.typesense_reads import READ_LAG
from indexer.engines.typesense_searches import split_by_hits
from indexer.query import parse

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


@pytest.fixture
def servers(tmp_path: Path) -> Iterator[list[Node]]:
    nodes = [Node(tmp_path / f"server{i}") for i in range(2)]
    try:
        for node in nodes:
            node.start()
        if not all(n.wait_healthy(60) for n in nodes):
            raise RuntimeError("a Typesense server did not become healthy")
    except (ImportError, OSError, RuntimeError) as exc:
        for node in nodes:
            node.stop()
        if os.environ.get("GONGKAI_REQUIRE_TYPESENSE") == "1":
            pytest.fail(f"Typesense cannot start: {exc}")
        pytest.skip(f"Typesense cannot start: {exc}")
    try:
        yield nodes
    finally:
        for node in nodes:
            node.stop()


def _engine(path: Path, nodes: list[Node]) -> TypesenseEngine:
    settings = Settings(tuple(parse_nodes([n.address for n in nodes])), API_KEY)
    return TypesenseEngine(path, settings)


def _docs(count: int) -> list[IndexDoc]:
    return [IndexDoc(id=f"d{i}", rev=1, title=f"通知{i}", body="湿地保护") for i in range(count)]


def test_a_node_behind_or_without_the_collection_is_not_searched(
    servers: list[Node], tmp_path: Path
) -> None:
    full, behind = servers
    index = tmp_path / "index"
    whole = READ_LAG + 50
    writer = _engine(index, [full])
    writer.add(_docs(whole))
    both = _engine(index, [full, behind])  # the same collection name (the index folder's)
    try:
        # The second server has not got the collection at all: not searched.
        totals = {both.search(parse("湿地"), limit=5).total for _ in range(6)}
        assert totals == {whole}
        assert both._reads.nodes == tuple(parse_nodes([full.address]))

        # It holds a part of it, more than READ_LAG documents short: still not searched.
        lagging = _engine(index, [behind])
        lagging.add(_docs(whole - READ_LAG - 1))
        status = both._reads.check()
        assert [n.lag for n in status.nodes] == [0, READ_LAG + 1]
        assert {both.search(parse("湿地"), limit=5).total for _ in range(6)} == {whole}

        # Caught up to within READ_LAG: searched again.
        lagging.add(_docs(whole)[whole - READ_LAG - 1 : whole - 10])
        both._reads.check()
        assert both._reads.nodes == tuple(parse_nodes([full.address, behind.address]))
        totals = {both.search(parse("湿地"), limit=5).total for _ in range(6)}
        assert totals <= {whole, whole - 10}
    finally:
        both.close()
        writer.drop()
        _engine(index, [behind]).drop()


def test_when_every_chosen_node_fails_a_lagging_one_answers(
    servers: list[Node], tmp_path: Path
) -> None:
    first, second = servers
    index = tmp_path / "index"
    _engine(index, [first]).add(_docs(READ_LAG + 5))
    _engine(index, [second]).add(_docs(3))
    both = _engine(index, [first, second])
    try:
        # The first search looks at the nodes (then a thread does, every few seconds).
        assert both.search(parse("湿地"), limit=5).total == READ_LAG + 5
        assert both._reads.nodes == tuple(parse_nodes([first.address]))
        first.kill()  # before the thread looks again
        assert both.search(parse("湿地"), limit=5).total == 3
        assert both._reads.nodes == tuple(parse_nodes([first.address, second.address]))
    finally:
        both.close()
        _engine(index, [second]).drop()


def test_the_engines_of_one_process_share_one_watcher() -> None:
    """A web server opens an engine per thread: they share one look at the nodes, which
    stops with the last of them."""
    from indexer.engines.typesense_reads import shared

    settings = Settings(tuple(parse_nodes("127.0.0.1:1,127.0.0.1:2")), "key")
    first = shared(settings, "c1", lambda config: object())
    second = shared(settings, "c1", lambda config: object())
    other = shared(settings, "c2", lambda config: object())
    assert first is second and other is not first
    first.release()
    assert shared(settings, "c1", lambda config: object()) is first  # still held
    first.release()
    first.release()
    again = shared(settings, "c1", lambda config: object())
    assert again is not first
    again.release()
    other.release()


def _without_times(results: list[dict]) -> list[dict]:
    return [{k: v for k, v in r.items() if k != "search_time_ms"} for r in results]


def test_searches_sent_as_several_requests_answer_in_order(
    servers: list[Node], tmp_path: Path
) -> None:
    engine = _engine(tmp_path / "index", servers[:1])
    try:
        engine.add(_docs(40))
        searches = [
            {"q": "*", "query_by": "title", "per_page": per_page, "sort_by": "date:desc"}
            | ({"filter_by": f"key:=[`d{i}`]"} if i % 2 else {})
            for i, per_page in enumerate([0, 40, 3, 25, 0, 1, 10])
        ]
        alone = engine._search([dict(s) for s in searches])
        sent: list[int] = []
        search = engine._search

        def counted(some: list[dict]) -> list[dict]:
            sent.append(len(some))
            return search(some)

        engine._search = counted  # type: ignore[method-assign,assignment]
        apart = engine._search_split([dict(s) for s in searches])
        assert _without_times(apart) == _without_times(alone)
        assert len(sent) > 1 and sum(sent) == len(searches)  # several requests, none lost
    finally:
        engine.drop()
        engine.close()


@given(st.lists(st.integers(min_value=0, max_value=250), max_size=40), st.integers(1, 4))
def test_searches_are_split_in_order_into_runs_of_about_equal_hits(
    pages: list[int], ways: int
) -> None:
    searches = [{"q": "*", "per_page": n, "n": i} for i, n in enumerate(pages)]
    groups = split_by_hits(searches, ways)
    assert [s for g in groups for s in g] == searches  # all of them, in order
    assert len(groups) <= ways and all(groups)
    if pages:
        weights = [1 + n for n in pages]
        fair = sum(weights) / ways + max(weights)  # no run takes more than its share and one
        assert all(sum(1 + s["per_page"] for s in g) <= fair for g in groups)


def test_a_search_of_many_hits_and_many_small_ones_go_apart() -> None:
    searches = [{"per_page": 100}] + [{"per_page": 0} for _ in range(10)] + [{"per_page": 60}]
    assert [len(g) for g in split_by_hits(searches, 3)] == [1, 10, 1]
