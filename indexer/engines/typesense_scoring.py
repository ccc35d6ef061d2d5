"""BM25 for the Typesense engine, computed here from statistics Typesense answers.

Typesense's own ``text_match`` counts which query words a document holds, not how often, and
knows nothing of our term weights; the service's re-ranking (:mod:`indexer.ranking`) compares
engine scores, and people expect a document that says a word ten times to rank above one that
says it once, as on tantivy and Whoosh. So the candidates are scored here with the BM25 of
those engines (k1 = 1.2, b = 0.75; title ×3, words adjacent as typed ×2, exact 文号 ×50):

* **document frequency** of a term in a field: the count of a filter on its hash in that
  field (``tm``); a phrase's idf is the sum of its terms', as on tantivy;
* **term frequency** in each candidate (a phrase's: the least of its adjacent pairs', ``pr``):
  which candidates hold a term or pair is one filter of the candidates' ids and its hash
  (loaded from its smaller side: the holders, or the rest through ``!=``); how often, the
  document's stored frequency maps say (:data:`FREQUENCY_FIELDS`: each term and pair it
  holds more than once, with its count; not indexed, they come with the candidate's hit);
* **field length**: ``tn`` / ``bn`` per document (tokens, sub-words included, as tantivy
  counts), rounded down as tantivy stores it (one byte: :func:`fieldnorm`), their average over
  the whole collection (not the candidates) from Typesense's facet statistics.

The look-ups of one search go to the cluster in two rounds of ``multi_search`` requests (in
batches of :data:`BATCH`): how many candidates hold each term or pair, then which. The
collection's figures (documents, average lengths, document frequencies) are kept between
searches until the index changes (:class:`Statistics`).
"""

from __future__ import annotations

import bisect
import itertools
import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from indexer.engines.typesense_query import PAIRS, TERMS, key, pair_key, placed
from indexer.query import Match, ParsedQuery, Word

K1, B = 1.2, 0.75
TITLE_BOOST = 3.0
EXACT_BOOST = 50.0
PROXIMITY_BOOST = 2.0
BATCH = 40  # searches per multi_search request
FIELDS = {"title": "t", "body": "b"}
#: The stored, unindexed fields of a document's frequencies above 1 (:func:`frequency_maps`):
#: a value's field is chosen by its first digit, so a search brings back only the fields of
#: its own values (every byte of a hit is sent and read again).
FREQUENCY_FIELDS = tuple(f"f{n}" for n in range(8))
LENGTHS = ",".join(short + "n" for short in FIELDS.values())


def frequency_field(value: str) -> str:
    return FREQUENCY_FIELDS[int(value[0], 36) % len(FREQUENCY_FIELDS)]


def stored(parsed: ParsedQuery) -> str:
    """What a candidate's hit brings for the score of ``parsed``: its field lengths and the
    frequency fields of the query's terms and pairs."""
    values = {placed(FIELDS[f], h) for f, unit in plan(parsed).units() for h in unit.hashes}
    return ",".join([LENGTHS, *sorted({frequency_field(v) for v in values})])


def _norm_value(code: int) -> int:
    """The length tantivy's one-byte field norm ``code`` stands for (Lucene's SmallFloat
    ``byte4ToInt``: exact below 24, then four significant bits)."""
    if code < 24:
        return code
    bits, shift = (code - 24) & 7, ((code - 24) >> 3) - 1
    return 24 + (bits if shift < 0 else (bits | 8) << shift)


_NORMS = [_norm_value(c) for c in range(256)]


def fieldnorm(length: int) -> int:
    """``length`` as tantivy scores it: the largest of its 256 stored lengths not above it
    (exact up to 40; 41 counts as 40, 49 as 48)."""
    return _NORMS[bisect.bisect_right(_NORMS, max(length, 0)) - 1]


Search = Callable[[list[dict[str, Any]]], list[dict[str, Any]]]


def frequency_maps(counts: Iterable[tuple[str, int]]) -> dict[str, str]:
    """The frequency fields of a document: ``value:count`` for each stored term or pair
    value (:func:`indexer.engines.typesense_query.placed`) held more than once,
    space-separated, in the field :func:`frequency_field` names (a value held once needs
    none: holding it says it)."""
    maps: dict[str, list[str]] = {}
    for value, n in counts:
        if n > 1:
            maps.setdefault(frequency_field(value), []).append(f"{value}:{n}")
    return {name: " ".join(items) for name, items in sorted(maps.items())}


def read_frequency_map(text: str) -> dict[str, int]:
    found: dict[str, int] = {}
    for item in text.split():
        value, _, n = item.partition(":")
        if n.isdigit():
            found[value] = int(n)
    return found


@dataclass(frozen=True)
class Unit:
    """Something counted in a field: a term, or a sequence of terms (its adjacent pairs)."""

    terms: tuple[str, ...]

    @property
    def hashes(self) -> tuple[str, ...]:
        if len(self.terms) == 1:
            return (key(self.terms[0]),)
        return tuple(pair_key(a, b) for a, b in itertools.pairwise(self.terms))

    @property
    def term_hashes(self) -> tuple[str, ...]:
        return tuple(key(t) for t in self.terms)

    def kind(self) -> str:
        return "t" if len(self.terms) == 1 else "p"


def _word_units(word: Word) -> list[Unit]:
    return [Unit(tuple(alt)) for alt in word.alternatives if alt]


@dataclass
class _Plan:
    """What one query is scored by: per field, the units of each word and the phrases."""

    words: list[tuple[tuple[str, ...], list[Unit]]]  # (fields, the word's alternatives)
    phrases: list[tuple[tuple[str, ...], Unit, float]]  # (fields, unit, boost)

    def units(self) -> set[tuple[str, Unit]]:
        found = {(f, u) for fields, units in self.words for f in fields for u in units}
        return found | {(f, u) for fields, u, _ in self.phrases for f in fields}


def plan(parsed: ParsedQuery) -> _Plan:
    words: list[tuple[tuple[str, ...], list[Unit]]] = []
    phrases: list[tuple[tuple[str, ...], Unit, float]] = []
    for clause in parsed.clauses:
        if clause.negated:
            continue
        for match in clause.options:
            _add(match, words, phrases)
    return _Plan(words, phrases)


def _add(
    match: Match,
    words: list[tuple[tuple[str, ...], list[Unit]]],
    phrases: list[tuple[tuple[str, ...], Unit, float]],
) -> None:
    fields = tuple(f for f in match.fields if f in FIELDS)
    if not fields:
        return
    if match.phrase and len(match.words) > 1:
        first = tuple(t for w in match.words for t in (w.alternatives[0] if w.alternatives else ()))
        if first:
            phrases.append((fields, Unit(first), 1.0))
        return
    for word in match.words:
        words.append((fields, _word_units(word)))
    plain = tuple(w.text for w in match.words if w.text)
    if len(plain) > 1:
        phrases.append((fields, Unit(plain), PROXIMITY_BOOST))


@dataclass
class Statistics:
    """The collection's figures a score needs besides the candidates' own: how many
    documents, the average field lengths and the document frequencies asked so far. The
    engine keeps them until the index changes (its ``refresh``, or a write of its own), so a
    term's frequency is asked once per index version, not once per search."""

    documents: int = 0
    average: dict[str, float] | None = None
    df: dict[tuple[str, str], int] = field(default_factory=dict)

    MAX_TERMS = 100_000  # document frequencies kept; beyond, the cache starts again

    def remember(self, place: tuple[str, str], count: int) -> None:
        if len(self.df) >= self.MAX_TERMS:
            self.df.clear()
        self.df[place] = count


class Scorer:
    """Scores candidates of one query; ``search`` runs a list of Typesense searches.

    What a candidate's hit brings (its field lengths and frequency map, :meth:`note`) is
    kept; a candidate not seen yet is loaded. A first round of look-ups: the collection's
    figures not yet in ``stats``, and for each term or pair how many candidates hold it. What
    a look-up costs is mostly the hits it returns (Typesense reads each hit's whole stored
    document), not how many look-ups there are: a count costs a millisecond. So a second
    round loads each set from its smaller side (:meth:`_members`): a common word every
    candidate holds loads no hit at all, where it loaded every candidate."""

    def __init__(self, search: Search, stats: Statistics | None = None, fields: str = "") -> None:
        self.search = search
        #: What a candidate's hit must bring (:func:`stored`), for the candidates loaded here.
        self.fields = fields
        self.stats = stats if stats is not None else Statistics()
        #: Field → id → length of the documents already seen; the rest are looked up.
        self.lengths: dict[str, dict[str, int]] = {f: {} for f in FIELDS}
        #: Id → stored value → frequency above 1, of the documents already seen.
        self.frequencies: dict[str, dict[str, int]] = {}

    def note(self, hits: Iterable[Mapping[str, Any]]) -> None:
        """Keep what hits loaded with :func:`stored` bring: lengths and frequency maps."""
        for h in hits:
            document = h["document"]
            doc_id = str(document["id"])
            for f, short in FIELDS.items():
                if short + "n" in document:
                    self.lengths[f][doc_id] = int(document[short + "n"] or 0)
            frequencies = self.frequencies.setdefault(doc_id, {})
            for name in FREQUENCY_FIELDS:
                if name in document:
                    frequencies.update(read_frequency_map(str(document[name])))

    def _run(self, searches: list[dict[str, Any]]) -> list[dict[str, Any]]:
        results: list[dict[str, Any]] = []
        for start in range(0, len(searches), BATCH):
            results += self.search(searches[start : start + BATCH])
        return results

    def scores(self, parsed: ParsedQuery, candidates: list[str]) -> dict[str, float]:
        if not candidates:
            return {}
        p = plan(parsed)
        units = sorted(p.units(), key=lambda fu: (fu[0], fu[1].terms))
        ids = _ids(candidates)
        stats = self.stats
        unknown = [
            d
            for d in candidates
            if d not in self.frequencies or any(d not in self.lengths[f] for f in FIELDS)
        ]
        searches: list[dict[str, Any]] = []
        asks: list[tuple[str, Any]] = []
        if unknown:
            searches.append(
                {
                    "q": "*",
                    "query_by": "title",
                    "per_page": len(unknown),
                    "filter_by": _ids(unknown),
                    "include_fields": "id," + (self.fields or stored(parsed)),
                }
            )
            asks.append(("stored", None))
        if stats.average is None:
            # The average field lengths over the whole collection, as tantivy's (not the
            # candidates': their average favours the longer ones).
            searches.append({"q": "*", "query_by": "title", "per_page": 0, "facet_by": "tn,bn"})
            asks.append(("stats", None))
        # A phrase's idf is its terms' (as on tantivy); its frequency, its pairs' least.
        counted = sorted({(f, h) for f, unit in units for h in unit.term_hashes})
        for f, hashed in counted:
            if (f, hashed) not in stats.df:
                cond = f"{TERMS}:=[`{placed(FIELDS[f], hashed)}`]"
                searches.append({"q": "*", "query_by": "title", "per_page": 0, "filter_by": cond})
                asks.append(("df", (f, hashed)))
        places = sorted({(f, unit.kind(), h) for f, unit in units for h in unit.hashes})
        sets: list[_Set] = []
        for f, kind, hashed in places:
            value = placed(FIELDS[f], hashed)
            if kind == "t":
                condition = f"{TERMS}:=[`{value}`]"
                rest: str | None = f"{ids} && {TERMS}:!=[`{value}`]"
            else:  # a word of the pairs' text, which has no "not"
                condition, rest = f"{PAIRS}:[`{value}`]", None
            sets.append(_Set((f, hashed), value, f"{ids} && {condition}", rest))
        for s in sets:  # first how many: a count costs a millisecond, a hit loaded far more
            searches.append({"q": "*", "query_by": "title", "per_page": 0, "filter_by": s.cond})
            asks.append(("count", None))
        results = self._run(searches)
        counts: list[int] = []
        for (what, place), result in zip(asks, results, strict=True):
            if what == "stored":
                self.note(_hits(result))
            elif what == "stats":
                stats.documents = int(result.get("out_of", 0) or 0)
                stats.average = _averages(result)
            elif what == "df":
                stats.remember(place, int(result.get("found", 0)))
            else:
                counts.append(int(result.get("found", 0)))
        tf: dict[tuple[str, str], dict[str, int]] = {}
        for s, members in zip(sets, self._members(sets, counts, candidates), strict=True):
            held = tf.setdefault(s.place, {})
            for doc in members:
                held[doc] = self.frequencies.get(doc, {}).get(s.value, 1)
        return self._combine(p, candidates, self.lengths, tf)

    def _members(
        self, sets: list[_Set], counts: list[int], candidates: list[str]
    ) -> list[set[str]]:
        """The candidates holding each set's term or pair, from how many do
        (``counts``): each set is loaded from its smaller side, the holders or the rest
        (``!=``), and a rest that does not add up to its count (a node lagging, a candidate
        without the field) is loaded again from the holders."""
        everyone = set(candidates)
        searches: list[dict[str, Any]] = []
        asks: list[tuple[int, bool]] = []  # (set, loaded as the rest)
        for i, (s, count) in enumerate(zip(sets, counts, strict=True)):
            if count == 0 or count == len(everyone):
                continue
            side = s.rest if 2 * count > len(everyone) else None  # the rest, when smaller
            searches.append(_members(side or s.cond, len(candidates)))
            asks.append((i, side is not None))
        results = self._run(searches)
        loaded = {
            i: (rest, {_id(h) for h in _hits(r)})
            for (i, rest), r in zip(asks, results, strict=True)
        }
        again = [
            i
            for i, (rest, found) in loaded.items()
            if rest and len(found) != len(everyone) - counts[i]
        ]
        reloaded = self._run([_members(sets[i].cond, len(candidates)) for i in again])
        for i, r in zip(again, reloaded, strict=True):
            loaded[i] = (False, {_id(h) for h in _hits(r)})
        members: list[set[str]] = []
        for i, count in enumerate(counts):
            if count == 0:
                members.append(set())
            elif i not in loaded:
                members.append(set(everyone))
            else:
                rest, found = loaded[i]
                members.append(everyone - found if rest else found)
        return members

    def _combine(
        self,
        p: _Plan,
        candidates: list[str],
        lengths: dict[str, dict[str, int]],
        tf: dict[tuple[str, str], dict[str, int]],
    ) -> dict[str, float]:
        stats = self.stats
        average = stats.average or {}
        df = stats.df
        total_docs = max(stats.documents, max(df.values(), default=1), 1)

        def unit_score(f: str, unit: Unit, doc: str) -> float:
            freq = min(tf.get((f, h), {}).get(doc, 0) for h in unit.hashes)
            if not freq:
                return 0.0
            idf = sum(_idf(total_docs, df.get((f, h), 0)) for h in unit.term_hashes)
            norm = 1 - B + B * fieldnorm(lengths[f].get(doc, 0)) / average.get(f, 1.0)
            return idf * freq * (K1 + 1) / (freq + K1 * norm)

        boost = {"title": TITLE_BOOST, "body": 1.0}
        scores: dict[str, float] = {}
        for doc in candidates:
            score = 0.0
            for fields, units in p.words:
                score += sum(boost[f] * unit_score(f, u, doc) for f in fields for u in units)
            for fields, unit, weight in p.phrases:
                score += weight * sum(boost[f] * unit_score(f, unit, doc) for f in fields)
            scores[doc] = score
        return scores


@dataclass(frozen=True)
class _Set:
    """The candidates holding a term or pair of a field (``place``; ``value``, as stored):
    ``cond`` finds them, ``rest`` (when Typesense can say "not" of the field) the other
    candidates."""

    place: tuple[str, str]
    value: str
    cond: str
    rest: str | None


def _id(hit: Mapping[str, Any]) -> str:
    return str(hit["document"]["id"])


def _ids(docs: list[str]) -> str:
    return "id:=[" + ",".join(f"`{i}`" for i in docs) + "]"


def _averages(result: Mapping[str, Any]) -> dict[str, float]:
    average = {f: 1.0 for f in FIELDS}
    for facet in result.get("facet_counts", []) or []:
        name = str(facet.get("field_name", ""))
        avg = float((facet.get("stats") or {}).get("avg", 0) or 0)
        for f, short in FIELDS.items():
            if name == short + "n" and avg > 0:
                average[f] = avg
    return average


def _members(condition: str, count: int) -> dict[str, Any]:
    return {
        "q": "*",
        "query_by": "title",
        "per_page": count,
        "filter_by": condition,
        "include_fields": "id",
    }


def _hits(result: Mapping[str, Any]) -> Iterable[dict[str, Any]]:
    return result.get("hits", []) or []


def _idf(documents: int, df: int) -> float:
    return math.log(1 + (documents - df + 0.5) / (df + 0.5))
