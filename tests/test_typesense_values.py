"""The values the Typesense engine stores for a document: its hashes are the documented
10-digit base-36 blake2b numbers (a collection written before stays readable: the import's
faster hashing must give the same text), and one pass over a field gives the terms, the pairs
of adjacent positions, the runs of three and their frequencies as their definitions say."""

from __future__ import annotations

import hashlib
from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from indexer import analysis
from indexer.analysis import TermPositions
from indexer.engines import TEXT_SPECS, prepare_text
from indexer.engines.base import IndexDoc
from indexer.engines.typesense_documents import to_document
from indexer.engines.typesense_query import (
    KEY_CHARS,
    field_terms,
    key,
    pair_key,
)

DIGITS = "0123456789abcdefghijklmnopqrstuvwxyz"


def reference_key(term: str) -> str:
    """One base-36 digit at a time, least significant first."""
    n = int.from_bytes(hashlib.blake2b(term.encode("utf-8"), digest_size=8).digest())
    n %= 36**KEY_CHARS
    digits = []
    for _ in range(KEY_CHARS):
        n, d = divmod(n, 36)
        digits.append(DIGITS[d])
    return "".join(digits)


@given(st.text(max_size=40))
@settings(max_examples=300, deadline=None)
def test_key_is_the_documented_hash(term: str) -> None:
    assert key(term) == reference_key(term)
    assert key(term) == reference_key(term)  # a kept hash too


def test_known_hashes_never_change() -> None:
    # Written by the first version of the engine: a collection holding them must stay readable.
    assert key("住房") == reference_key("住房")
    assert len({key(str(i)) for i in range(20_000)}) == 20_000
    assert all(len(key(str(i))) == KEY_CHARS for i in range(1000))


TEXTS = st.text(alphabet="公共租赁住房管理办法的通知关于印发市政府第一二条 ，。", max_size=60)


@given(TEXTS)
@settings(max_examples=150, deadline=None)
def test_field_terms_follow_their_definitions(text: str) -> None:
    positions = analysis.term_positions(text)
    found = field_terms(positions)
    at: dict[int, list[str]] = {}
    for term, places in positions.items():
        for p in places:
            at.setdefault(p, []).append(term)
    pairs: Counter[str] = Counter()
    runs: set[tuple[str, str, str]] = set()
    for p, here in at.items():
        for a in here:
            for b in at.get(p + 1, []):
                pairs[pair_key(a, b)] += 1
                runs |= {(a, b, c) for c in at.get(p + 2, [])}
    terms = Counter({key(t): len(p) for t, p in positions.items()})
    assert found.terms == sorted(terms)
    assert found.pairs == sorted(pairs)
    assert found.runs == runs
    assert found.counts == terms + pairs
    assert found.length == sum(len(p) for p in positions.values())
    assert found.text.split() == [t for p in sorted(at) for t in at[p]]


DOC = IndexDoc(
    id="q1",
    rev=3,
    title="青测市公共租赁住房管理办法",
    body="第一条 为了规范公共租赁住房的管理，制定本办法。公共租赁住房由区人民政府负责。" * 3,
    doc_number="青测发〔2021〕7号",
    agency="青测市住房局",
    categories=("住房保障",),
    validity="有效",
    date_issued="2021-05-06",
)


@pytest.mark.parametrize("runs", [True, False])
def test_fields_an_import_worker_prepared_give_the_same_document(
    runs: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A worker's :func:`prepare_text` (for the collection's spec) stands in for the
    writer's own hashing: the document sent is the same, key for key, and the writer hashes
    nothing again."""
    from dataclasses import replace

    from indexer.engines import typesense_documents

    spec = TEXT_SPECS[0] if runs else TEXT_SPECS[1]
    title, body = TermPositions.of(DOC.title), TermPositions.of(DOC.body)
    made = prepare_text(spec, title, body)
    assert made is not None
    prepared = replace(DOC, title_terms=title, body_terms=body, engine_fields=made)
    expected = to_document(DOC, runs)
    with monkeypatch.context() as patched:
        patched.setattr(typesense_documents, "field_terms", None)  # called: a TypeError
        assert to_document(prepared, runs) == expected
    assert ("tr" in to_document(prepared, runs)) is runs
    assert "_runs" not in to_document(prepared, runs)
    assert made["_runs"] is runs  # (the worker's dict is left as it was)


def test_fields_prepared_for_another_layout_are_made_again() -> None:
    """Fields made with runs of three sent to a collection without them (or the reverse)
    would hold values it has no field for, or lack ones its phrases need: made again."""
    from dataclasses import replace

    title, body = TermPositions.of(DOC.title), TermPositions.of(DOC.body)
    for spec, runs in ((TEXT_SPECS[0], False), (TEXT_SPECS[1], True)):
        wrong = replace(DOC, engine_fields=prepare_text(spec, title, body))
        assert to_document(wrong, runs) == to_document(DOC, runs)
    assert prepare_text("", title, body) is None  # Whoosh and tantivy: nothing to prepare
