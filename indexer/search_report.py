"""``gongkai search`` without click: the filters its options choose, and its results as
plain text (the hits numbered from the offset, their snippets marked, the facet counts).

The command parses options, calls :meth:`indexer.service.Gongkai.search` and prints what
:func:`search_lines` gives; ``--json`` prints the result's ``to_dict()`` instead.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from archive.vocab import IN_FORCE, KIND_LABELS, doc_type_label
from indexer.engines.base import Filters
from indexer.highlight import pieces
from indexer.status_text import cluster_line


def filters_from_options(valid_only: bool, on_date: str | None, **chosen: Any) -> Filters:
    """The search filters of the options; with ``--as-of`` and no ``--validity``, in force."""
    validities = list(chosen.pop("validity"))
    if valid_only:
        validities = [v for v in validities if v in IN_FORCE] if validities else sorted(IN_FORCE)
    if on_date and not validities:
        validities = sorted(IN_FORCE)
    return Filters(
        agency=list(chosen["agency"]),
        kind=list(chosen["kind"]),
        doc_type=list(chosen["doc_type"]),
        year=list(chosen["year"]),
        category=list(chosen["category"]),
        validity=validities,
        date_from=chosen["date_from"],
        date_to=chosen["date_to"],
    )


def marked(text: str, spans: list[list[int]], marks: tuple[str, ...]) -> str:
    """The snippet with each match between ``marks`` (``[``, ``]``, or a terminal's colour)."""
    before, after = marks
    return "".join(
        f"{before}{piece}{after}" if hit else piece for piece, hit in pieces(text, spans)
    )


def search_lines(
    result: Any,
    *,
    offset: int,
    facets: bool,
    marks: tuple[str, ...] = ("[", "]"),
    title: Callable[[str], str] = str,
) -> Iterable[str]:
    """A :class:`indexer.searching.SearchResult` as the lines ``gongkai search`` prints:
    the answer to a validity question, suggestions, the count, the hits (``title`` styles
    each title, ``marks`` wrap each match) and, with ``facets``, the facet counts."""
    from indexer.searching import suggestion_lines

    if result.validity_answer:  # a validity question (还有效吗): the answer first
        yield f"有效性 / status: {result.validity_answer}"
    yield from suggestion_lines(result)
    yield f"{result.total} 条结果 / results"
    if result.ignored:
        yield f"未要求匹配 / not required: {'、'.join(result.ignored)}"
    for expansion in result.expansions:
        term = expansion.term
        if expansion.pinyin:
            term += f"（拼音 {expansion.pinyin}）"
        yield f"同时搜索 / also searched: {term} → {'、'.join(expansion.also)}"
    for rank, hit in enumerate(result.hits, start=offset + 1):
        meta = " · ".join(
            x for x in (hit.doc_number, hit.agency, hit.date_issued, hit.validity) if x
        )
        yield f"\n{rank}. {title(hit.title)}  [{hit.id}]"
        yield f"   {meta}  ({doc_type_label(hit.doc_type) or KIND_LABELS.get(hit.kind)})"
        yield f"   {marked(hit.snippet, hit.highlights, marks)}"
        linked = cluster_line(hit.cluster)
        if linked:
            yield f"   {linked}"
        for entry in hit.explanation or []:
            yield f"   · {entry['detail']}"
    if facets:
        for name, counts in result.facets.items():
            shown = ", ".join(
                f"{k} ({v})" for k, v in sorted(counts.items(), key=lambda kv: -kv[1])
            )
            yield f"\n{name}: {shown}"
