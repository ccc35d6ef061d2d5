"""The searches a Typesense query is sent as (the count and facets, the windows of
candidates, newest first), and reading their answers (:mod:`indexer.engines.typesense`)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from indexer.engines.base import FACET_FIELDS, TOP_FACETS, EngineHit
from indexer.engines.typesense_query import TIERED, conjunction, ranking_fields
from indexer.query import ParsedQuery

Note = Callable[[list[dict[str, Any]]], None]
MAX_FACET_VALUES = 10_000
TITLE_WEIGHT, BODY_WEIGHT = 3, 1  # of Typesense's text match, choosing candidates


def heads(base: dict[str, Any], facets: bool, top: int | None) -> list[dict[str, Any]]:
    """The searches of the count and the facets: with ``top``, the facets of
    :data:`TOP_FACETS` in a search of their own that names only their ``top`` most frequent
    values (Typesense reads a stored document for each value it names, and its
    ``max_facet_values`` is one for all facets of a search)."""
    head: dict[str, Any] = {**base, "per_page": 0}
    if not facets:
        return [head]
    full = [n for n in FACET_FIELDS if top is None or n not in TOP_FACETS]
    head.update(facet_by=",".join(full), max_facet_values=MAX_FACET_VALUES)
    if top is None:
        return [head]
    cut = {**base, "per_page": 0, "facet_by": ",".join(TOP_FACETS), "max_facet_values": max(top, 1)}
    return [head, cut]


def dated_search(parts: list[str], count: int, fields: str) -> dict[str, Any]:
    """Up to ``count`` matches of ``parts``, newest first, with what the scorer needs
    (``fields``)."""
    return {
        "q": "*",
        "query_by": "title",
        "sort_by": "date:desc",
        "include_fields": "id,date," + fields,
        "per_page": count,
        **filter_of(parts),
    }


def dated_hits(result: dict[str, Any], note: Note) -> list[tuple[str, int]]:
    hits = result.get("hits", []) or []
    note(hits)
    return [(hit_id(h), int(h["document"].get("date", 0))) for h in hits]


def text_search(query: ParsedQuery, parts: list[str], count: int, fields: str) -> dict[str, Any]:
    """A search of the matches of ``parts`` by Typesense's text match over the title
    (weighted) and body (its ``q``, one of the ranking texts, to be added), with what the
    scorer needs (``fields``)."""
    ranked = ranking_fields(query)
    weights = {"title": TITLE_WEIGHT, "body": BODY_WEIGHT}
    return {
        "query_by": ",".join(ranked),
        "query_by_weights": ",".join(str(weights[f]) for f in ranked),
        "prefix": "false",
        "num_typos": 0,
        "typo_tokens_threshold": 0,
        "drop_tokens_threshold": count + 1,
        "sort_by": "_text_match:desc,date:desc",
        "include_fields": "id,date," + fields,
        "highlight_fields": "none",
        **filter_of(parts),
    }


def often_search(tiers: str, parts: list[str], fields: str, count: int) -> dict[str, Any]:
    """The matches of ``parts`` whose bodies say the query's words most often, by
    Typesense's text match over their tiers (:func:`tier_text`), shorter bodies first at a
    tie (as BM25 prefers them)."""
    return {
        "q": tiers,
        "query_by": TIERED,
        "prefix": "false",
        "num_typos": 0,
        "typo_tokens_threshold": 0,
        "drop_tokens_threshold": count + 1,
        "sort_by": "_text_match:desc,bn:asc",
        "include_fields": "id,date," + fields,
        "highlight_fields": "none",
        "per_page": count,
        **filter_of(parts),
    }


def best(
    results: list[dict[str, Any]], note: Note, leave: set[str], count: int
) -> list[tuple[str, int]]:
    """(id, date) of the first ``count`` hits of the ranking texts' ``results`` by their
    best text match, then newest, but those in ``leave``."""
    best: dict[str, tuple[int, int]] = {}  # id -> (text match, date)
    for result in results:
        hits = result.get("hits", []) or []
        note(hits)
        for h in hits:
            doc_id, match = hit_id(h), int(h.get("text_match", 0))
            date = int(h["document"].get("date", 0))
            if doc_id not in leave and match >= best.get(doc_id, (-1, 0))[0]:
                best[doc_id] = (match, date)
    order = sorted(best.items(), key=lambda kv: (-kv[1][0], -kv[1][1]))
    return [(i, date) for i, (_, date) in order[:count]]


def by_score(
    dated: list[tuple[str, int]], scores: dict[str, float], boost: float = 1.0
) -> list[EngineHit]:
    """Hits by score (rounded as the other engines compare them), then newest first."""
    order = sorted(dated, key=lambda d: (-round(scores.get(d[0], 0.0), 6), -d[1]))
    return [
        EngineHit(i, boost * (1.0 + scores.get(i, 0.0)) if boost != 1.0 else scores.get(i, 0.0))
        for i, _ in order
    ]


def split_by_hits(searches: list[dict[str, Any]], ways: int) -> list[list[dict[str, Any]]]:
    """``searches`` in order, cut into at most ``ways`` runs of about as much work each: a
    search costs the node about the hits it loads (its ``per_page``), plus one."""
    weights = [1 + int(s.get("per_page", 10)) for s in searches]
    share = sum(weights) / max(ways, 1)
    groups: list[list[dict[str, Any]]] = [[]]
    load = 0.0
    for search, weight in zip(searches, weights, strict=True):
        # a new run when this search would sit mostly past the current run's share
        if groups[-1] and load + weight / 2 > share * len(groups) and len(groups) < ways:
            groups.append([])
        groups[-1].append(search)
        load += weight
    return [g for g in groups if g]


def value_list(values: Iterable[str]) -> str:
    return "[" + ",".join(f"`{v}`" for v in values) + "]"


def filter_of(parts: list[str]) -> dict[str, str]:
    return {"filter_by": conjunction(parts)} if parts else {}


def hit_id(hit: dict[str, Any]) -> str:
    return str(hit["document"]["id"])


def facets(results: list[dict[str, Any]]) -> dict[str, dict[str, int]]:
    """Each facet's counts, from the searches that asked for it (:func:`heads`)."""
    counts: dict[str, dict[str, int]] = {name: {} for name in FACET_FIELDS}
    for result in results:
        for facet in result.get("facet_counts", []):
            counts[facet["field_name"]] = {
                str(c["value"]): int(c["count"])
                for c in facet["counts"]
                if c["value"] not in ("", None)
            }
    return counts
