"""The judged query set and the relevance metrics of ``bench/eval.py``, apart from any engine.

Kept in a module of its own (no corpus, no index) so that ``tests/test_eval.py`` can check the
metrics on known inputs and the query file's shape in a fraction of a second.

A judged query names its relevant documents by stable metadata, never by Gongkai's internal ids
(those depend on the import): ``{"match": {"title": ...}}``, ``{"match": {"title_contains": ...}}``,
``{"match": {"doc_number": ...}}`` (文号 as the document states it), ``{"match": {"source": ...}}``
(the file name), optionally with ``"date_issued"`` to single out one version of a regulation. All
keys of one ``match`` must hold; a document's grade is the highest grade of the entries it
matches.

Metrics over the top ``k`` results (``k`` = 10): success@k (a relevant document in the top k),
success@1, reciprocal rank of the first relevant document (0 when none is in the top k; its mean
is MRR), nDCG@k with gain ``2**grade - 1`` and the ideal ranking taken from every judged document
in the collection, and whether the query found nothing at all.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

KINDS = (
    "title",
    "title_part",
    "traditional",
    "abbreviation",
    "pinyin",
    "typo",
    "question",
    "cut_phrase",
    "wenhao",
    "topic",
)
MATCH_KEYS = frozenset({"title", "title_contains", "doc_number", "source", "date_issued"})
GRADES = (1, 2, 3)
DEFAULT_QUERIES = Path(__file__).resolve().parent / "eval" / "queries.jsonl"


@dataclass(frozen=True)
class DocMeta:
    """The stable metadata of one document of the collection."""

    source: str
    title: str
    doc_number: str = ""
    date_issued: str = ""


def load_queries(path: Path = DEFAULT_QUERIES) -> list[dict]:
    """The judged queries of a JSONL file, in file order."""
    queries: list[dict] = []
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            if line.strip():
                try:
                    queries.append(json.loads(line))
                except json.JSONDecodeError as exc:
                    raise ValueError(f"{path}:{number}: not JSON ({exc})") from None
    return queries


def query_problems(queries: Sequence[Mapping]) -> list[str]:
    """What is wrong with a query set (empty when it is well-formed)."""
    problems: list[str] = []
    seen: set[str] = set()
    for item in queries:
        qid = str(item.get("id", "?"))
        if not item.get("id") or qid in seen:
            problems.append(f"{qid}: missing or repeated id")
        seen.add(qid)
        if item.get("kind") not in KINDS:
            problems.append(f"{qid}: unknown kind {item.get('kind')!r}")
        if not isinstance(item.get("query"), str) or not item["query"].strip():
            problems.append(f"{qid}: empty query")
        if not isinstance(item.get("note", ""), str):
            problems.append(f"{qid}: note is not text")
        relevant = item.get("relevant")
        if not isinstance(relevant, list) or not relevant:
            problems.append(f"{qid}: no relevant documents")
            continue
        for entry in relevant:
            match = entry.get("match") if isinstance(entry, dict) else None
            if not isinstance(match, dict) or not match:
                problems.append(f"{qid}: a relevant entry without a match")
            elif not set(match) <= MATCH_KEYS or not all(
                isinstance(v, str) and v for v in match.values()
            ):
                problems.append(f"{qid}: bad match {match}")
            elif set(match) == {"date_issued"}:
                problems.append(f"{qid}: date_issued alone names no document")
            if not isinstance(entry, dict) or entry.get("grade") not in GRADES:
                problems.append(f"{qid}: grade must be one of {GRADES}")
    return problems


def matches(match: Mapping[str, str], doc: DocMeta) -> bool:
    """Whether ``doc`` satisfies every key of one ``match``."""
    for key, value in match.items():
        if key == "title_contains":
            if value not in doc.title:
                return False
        elif getattr(doc, key) != value:
            return False
    return True


def grade_of(relevant: Iterable[Mapping], doc: DocMeta | None) -> int:
    """The grade of ``doc`` for a query (0: not relevant, or not a known document)."""
    if doc is None:
        return 0
    return max((int(e["grade"]) for e in relevant if matches(e["match"], doc)), default=0)


def ideal_grades(relevant: Sequence[Mapping], catalog: Iterable[DocMeta]) -> list[int]:
    """Grades of every relevant document in the collection, best first."""
    grades = (grade_of(relevant, doc) for doc in catalog)
    return sorted((g for g in grades if g > 0), reverse=True)


def reciprocal_rank(grades: Sequence[int], k: int = 10) -> float:
    """1/rank of the first relevant result among the top ``k``; 0.0 when there is none."""
    for rank, grade in enumerate(grades[:k], 1):
        if grade > 0:
            return 1.0 / rank
    return 0.0


def dcg(grades: Sequence[int], k: int = 10) -> float:
    """Discounted cumulative gain of the top ``k``, gain ``2**grade - 1``."""
    return sum((2**g - 1) / math.log2(rank + 1) for rank, g in enumerate(grades[:k], 1))


def ndcg(grades: Sequence[int], ideal: Sequence[int], k: int = 10) -> float:
    """DCG of the results over the DCG of the ideal ranking (0.0 when nothing is relevant)."""
    best = dcg(sorted(ideal, reverse=True), k)
    return dcg(grades, k) / best if best > 0 else 0.0


def success(grades: Sequence[int], k: int) -> bool:
    """A relevant document among the top ``k``."""
    return any(g > 0 for g in grades[:k])


def score_query(grades: Sequence[int], ideal: Sequence[int], total: int, k: int = 10) -> dict:
    """The per-query figures: ``grades`` of the results in rank order, ``total`` matches."""
    return {
        "success_at_1": success(grades, 1),
        "success_at_10": success(grades, k),
        "reciprocal_rank": round(reciprocal_rank(grades, k), 4),
        "ndcg_at_10": round(ndcg(grades, ideal, k), 4),
        "zero_results": total == 0,
    }


def summarize(scores: Sequence[Mapping]) -> dict[str, float]:
    """Means over per-query figures (rates as fractions 0–1)."""
    n = len(scores)
    if not n:
        return {"queries": 0, "success_at_1": 0.0, "success_at_10": 0.0, "mrr": 0.0,
                "ndcg_at_10": 0.0, "zero_result_rate": 0.0}  # fmt: skip

    def mean(key: str) -> float:
        return round(sum(float(s[key]) for s in scores) / n, 4)

    return {
        "queries": n,
        "success_at_1": mean("success_at_1"),
        "success_at_10": mean("success_at_10"),
        "mrr": mean("reciprocal_rank"),
        "ndcg_at_10": mean("ndcg_at_10"),
        "zero_result_rate": mean("zero_results"),
    }
