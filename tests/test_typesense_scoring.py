"""The Typesense engine scores as tantivy does; here the one figure it cannot ask the server
for, the field length as tantivy rounds it (one byte per document and field), checked against a
real tantivy index of documents of many lengths."""

from __future__ import annotations

import json

import tantivy

from indexer.engines.typesense_scoring import fieldnorm

LENGTHS = [*range(0, 130), 151, 152, 167, 168, 311, 312, 313, 1047, 1048, 5000, 20_001]


def _dl(explanation: dict) -> float | None:
    if str(explanation.get("description", "")).startswith("dl,"):
        return float(explanation["value"])
    for child in explanation.get("details", []) or []:
        found = _dl(child)
        if found is not None:
            return found
    return None


def test_fieldnorm_is_tantivys() -> None:
    sb = tantivy.SchemaBuilder()
    sb.add_text_field("id", stored=True, tokenizer_name="raw")
    sb.add_text_field("body", tokenizer_name="raw", index_option="position")
    schema = sb.build()
    index = tantivy.Index(schema)
    writer = index.writer(50_000_000, 1)
    for n in LENGTHS:
        doc = tantivy.Document()
        doc.add_text("id", str(n))
        # "x" once, then n - 1 other tokens: the field is n long.
        tokens = [tantivy.Token("x" if p == 0 else "y", p, 0, 0) for p in range(max(n, 1))]
        doc.add_pre_tokenized_text("body", tantivy.PreTokenizedString("", tokens))
        writer.add_document(doc)
    writer.commit()
    index.reload()
    searcher = index.searcher()
    query = tantivy.Query.term_query(schema, "body", "x")
    seen = {}
    for _, address in searcher.search(query, len(LENGTHS)).hits:
        n = int(searcher.doc(address)["id"][0])
        seen[max(n, 1)] = _dl(json.loads(query.explain(searcher, address).to_json()))
    assert len(seen) == len(LENGTHS) - 1  # 0 and 1 are the same document length
    assert {n: float(fieldnorm(n)) for n in seen} == seen
    assert fieldnorm(41) == 40 and fieldnorm(49) == 48 and fieldnorm(0) == 0
