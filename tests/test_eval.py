"""The relevance harness's metrics on known inputs, and the shape of the judged query file.

Fast: no corpus and no index (``bench/eval.py`` does the real run; ``make eval``)."""

from __future__ import annotations

import importlib.util
import math
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "bench"
_spec = importlib.util.spec_from_file_location("bench_relevance", BENCH / "relevance.py")
assert _spec is not None and _spec.loader is not None
relevance = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = relevance  # dataclasses look their module up there
_spec.loader.exec_module(relevance)
DocMeta = relevance.DocMeta


def test_reciprocal_rank() -> None:
    assert relevance.reciprocal_rank([0, 0, 2, 3]) == pytest.approx(1 / 3)
    assert relevance.reciprocal_rank([1]) == 1.0
    assert relevance.reciprocal_rank([]) == 0.0
    # beyond the cut-off it counts as not found
    assert relevance.reciprocal_rank([0] * 10 + [3]) == 0.0


def test_ndcg_known_values() -> None:
    # perfect order scores 1
    assert relevance.ndcg([3, 2, 1], [3, 2, 1]) == pytest.approx(1.0)
    # one grade-3 document at rank 2 of 1 possible: (7/log2(3)) / 7
    assert relevance.ndcg([0, 3], [3]) == pytest.approx(1 / math.log2(3))
    # swapped: (3/1 + 7/log2(3)) / (7/1 + 3/log2(3))
    expected = (3 + 7 / math.log2(3)) / (7 + 3 / math.log2(3))
    assert relevance.ndcg([2, 3], [3, 2]) == pytest.approx(expected)
    # a relevant document the results missed lowers the score
    assert relevance.ndcg([3], [3, 3]) == pytest.approx(7 / (7 + 7 / math.log2(3)))
    assert relevance.ndcg([0, 0], []) == 0.0


def test_success_and_summary() -> None:
    found_second = relevance.score_query([0, 2], [2], total=5)
    nothing = relevance.score_query([], [3], total=0)
    assert found_second["success_at_1"] is False and found_second["success_at_10"] is True
    assert nothing["zero_results"] is True and nothing["reciprocal_rank"] == 0.0
    summary = relevance.summarize([found_second, nothing])
    assert summary["queries"] == 2
    assert summary["success_at_10"] == 0.5
    assert summary["mrr"] == 0.25
    assert summary["zero_result_rate"] == 0.5


def test_grades_by_metadata() -> None:
    old = DocMeta("a.txt", "某市养犬管理条例", "", "2010-01-01")
    new = DocMeta("b.txt", "某市养犬管理条例", "", "2020-01-01")
    notice = DocMeta("c.txt", "关于某事的通知", "某发〔2019〕8号", "2019-05-01")
    relevant = [
        {"match": {"title": "某市养犬管理条例"}, "grade": 1},
        {"match": {"title": "某市养犬管理条例", "date_issued": "2020-01-01"}, "grade": 3},
        {"match": {"doc_number": "某发〔2019〕8号"}, "grade": 2},
    ]
    assert relevance.grade_of(relevant, new) == 3  # the highest entry it matches
    assert relevance.grade_of(relevant, old) == 1
    assert relevance.grade_of(relevant, notice) == 2
    assert relevance.grade_of(relevant, None) == 0
    assert relevance.grade_of([{"match": {"title_contains": "养犬"}, "grade": 2}], old) == 2
    assert relevance.ideal_grades(relevant, [old, notice, new]) == [3, 2, 1]


def test_query_problems_found() -> None:
    bad = [
        {"id": "x", "kind": "title", "query": "某", "relevant": []},
        {"id": "x", "kind": "nope", "query": " ", "relevant": [{"match": {}, "grade": 5}]},
        {
            "id": "y",
            "kind": "title",
            "query": "某",
            "relevant": [{"match": {"id": "1"}, "grade": 1}],
        },
    ]
    problems = relevance.query_problems(bad)
    assert any("no relevant" in p for p in problems)
    assert any("repeated id" in p for p in problems)
    assert any("unknown kind" in p for p in problems)
    assert any("empty query" in p for p in problems)
    assert any("without a match" in p for p in problems)
    assert any("grade" in p for p in problems)
    assert any("bad match" in p for p in problems)


def test_query_file_is_well_formed() -> None:
    queries = relevance.load_queries()
    assert relevance.query_problems(queries) == []
    assert len(queries) >= 150
    kinds = {q["kind"] for q in queries}
    assert kinds == set(relevance.KINDS)
    for kind in relevance.KINDS:
        assert sum(q["kind"] == kind for q in queries) >= 10, kind
    for q in queries:
        for entry in q["relevant"]:
            assert entry["match"], q["id"]
