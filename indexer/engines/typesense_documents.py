"""What the Typesense engine stores: the collection's fields, and each document as our
analyzer's terms, pairs and runs of three, hashed (:mod:`indexer.engines.typesense_query`),
with its frequency maps (:mod:`indexer.engines.typesense_scoring`), facets and validity spans.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from indexer import analysis
from indexer.engines import spans
from indexer.engines import typesense_scoring as scoring
from indexer.engines.base import IndexDoc
from indexer.engines.typesense_query import (
    PAIRS,
    TERMS,
    TIERED,
    TIERS,
    TRIPLES,
    date_key,
    field_terms,
    key,
    placed,
    run_value,
    tier_values,
)
from indexer.normalize import doc_number_suffix

_TEXT = [
    ("title", "string", False),
    ("body", "string", False),
    ("key", "string", False),  # the id again: Typesense refuses `id:!=`
    (TERMS, "string[]", True),  # the title's and the body's terms, hashed with their field
    # Their adjacent pairs and their runs of three, the same way, each as one text of
    # space-separated values, asked word by word (``pr:[...]``): Typesense reads a hit's or
    # a facet value's whole stored document, and a text of thousands of values reads in half
    # the time of a list of them (a list allocates each value).
    (PAIRS, "string", True),
    (TRIPLES, "string", True),
    (TIERED, "string", True),  # body terms said often, by tier: candidates (typesense_query)
    ("dn", "string[]", True),
    ("ix", "string", True),
]
_FACETS = [
    ("agency", "string"),
    ("category", "string[]"),
    ("kind", "string"),
    ("doc_type", "string"),
    ("validity", "string"),
    ("year", "int32"),
    ("tn", "int32"),  # field lengths: facets for their average (BM25)
    ("bn", "int32"),
]


def collection_schema(name: str, runs: bool = True) -> dict[str, Any]:
    """The collection's fields; without ``runs``, no runs of three (phrases "pairs")."""
    fields: list[dict[str, Any]] = [
        {"name": n, "type": t, "optional": optional}
        for n, t, optional in _TEXT
        if runs or n != TRIPLES
    ]
    fields += [{"name": n, "type": t, "facet": True, "optional": True} for n, t in _FACETS]
    fields.append({"name": "date", "type": "int32"})
    for slot in range(spans.SLOTS):  # validity spans (:mod:`indexer.engines.spans`)
        start, end, validity = spans.field_names(slot)
        fields += [
            {"name": start, "type": "int32", "optional": True},
            {"name": end, "type": "int32", "optional": True},
            {"name": validity, "type": "string", "optional": True},
        ]
    # rev, the frequency maps (f0…f7) and anything else not listed is stored, not indexed.
    return {"name": name, "fields": fields, "default_sorting_field": "date"}


#: The key of :func:`text_fields` saying whether they hold the runs of three.
_RUNS_KEY = "_runs"


def text_fields(
    title_positions: Mapping[str, list[int]], body_positions: Mapping[str, list[int]], runs: bool
) -> dict[str, Any]:
    """The fields of a Typesense document that come of its title's and body's terms alone:
    their texts and lengths, frequency maps, hashed terms, tiers, pairs and (with ``runs``)
    runs of three. Nine tenths of :func:`to_document`'s work: an import worker does it
    (:func:`indexer.engines.prepare_text`), beside the segmenting, so that the process that
    writes the index only adds the metadata."""
    title, body = field_terms(title_positions), field_terms(body_positions)
    d: dict[str, Any] = {
        _RUNS_KEY: runs,
        "title": title.text,
        "body": body.text,
        "tn": title.length,
        "bn": body.length,
    }
    d.update(
        scoring.frequency_maps(
            (placed(short, hashed), n)
            for short, counts in (("t", title.counts), ("b", body.counts))
            for hashed, n in counts.items()
            if n > 1
        )
    )
    body_terms = [placed("b", h) for h in body.terms]
    terms = [placed("t", h) for h in title.terms] + body_terms
    if terms:
        d[TERMS] = terms
    tiers = tier_values(
        {
            value: body.counts[h]
            for h, value in zip(body.terms, body_terms, strict=True)
            if body.counts[h] >= TIERS[0]
        }
    )
    if tiers:
        d[TIERED] = " ".join(tiers)
    pairs = [placed("t", h) for h in title.pairs] + [placed("b", h) for h in body.pairs]
    if pairs:
        d[PAIRS] = " ".join(pairs)
    if runs and (title.runs or body.runs):
        d[TRIPLES] = " ".join(
            sorted(
                {run_value("t", *r) for r in title.runs} | {run_value("b", *r) for r in body.runs}
            )
        )
    return d


def to_document(doc: IndexDoc, runs: bool = True) -> dict[str, Any]:
    """The Typesense document for ``doc``; empty values are left out (no facet value "");
    ``runs``: the collection has the runs of three. Its :func:`text_fields` are the ones an
    import worker made (``doc.engine_fields``) when they were made for such a collection."""
    made = doc.engine_fields
    if made is not None and made.get(_RUNS_KEY) == runs:
        texts = dict(made)
    else:
        title_positions = (
            doc.title_terms if doc.title_terms is not None else analysis.term_positions(doc.title)
        )
        body_positions = (
            doc.body_terms if doc.body_terms is not None else analysis.term_positions(doc.body)
        )
        texts = text_fields(title_positions, body_positions, runs)
    del texts[_RUNS_KEY]
    d: dict[str, Any] = {
        "id": doc.id,
        "key": doc.id,
        "rev": doc.rev,
        "date": date_key(doc.date_issued),
        **texts,
    }
    if doc.doc_number:
        d["dn"] = [
            key(t) for t in dict.fromkeys([doc.doc_number, doc_number_suffix(doc.doc_number)])
        ]
    if doc.index_number:
        d["ix"] = key(doc.index_number)
    for name in ("agency", "kind", "doc_type", "validity"):
        value = getattr(doc, name)
        if value:
            d[name] = value
    categories = [c for c in dict.fromkeys(doc.categories) if c]
    if categories:
        d["category"] = categories
    if doc.year is not None:
        d["year"] = doc.year
    for slot, span in enumerate(spans.stored_spans(doc.spans)):
        d.update(zip(spans.field_names(slot), span, strict=True))
    return d
