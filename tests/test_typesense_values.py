"""The values the Typesense engine stores for a document: its hashes are the documented
10-digit base-36 blake2b numbers (a collection written before stays readable: the import's
faster hashing must give the same text), and one pass over a field gives the terms, the pairs
of adjacent positions, the runs of three and their frequencies as their definitions say."""

from __future__ import annotations

import hashlib
from collections import Counter

from hypothesis import given, settings
from hypothesis import strategies as st

from indexer import analysis
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
