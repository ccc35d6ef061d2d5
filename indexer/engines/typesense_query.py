"""Our analyzer's terms as Typesense sees them, and a :class:`ParsedQuery` as its filter.

Typesense's own query language ANDs words and has no OR, and its tokenizer is not ours. So
which documents match is decided by ``filter_by`` alone, over fields we fill ourselves:

* ``tm``: every term of the title and of the body (:func:`indexer.analysis.term_positions`:
  words, sub-words, 文号 normalised, traditional folded), each as a short hash of the field and
  the term (:func:`key`, :func:`placed`), so no Typesense tokenizer or symbol rule ever touches
  a term, and one condition asks the title, the body or either (``tm:=[title's, body's]``);
* ``pr``: every pair of terms at adjacent positions (sub-words sit at their parent's
  position, as on tantivy), hashed with its field the same way, stored as one text of
  space-separated values (``pr:`` asks for a word of it): a phrase of two places is one pair
  lookup;
* ``tr``: every run of three terms at consecutive positions, hashed with its field and
  stored the same way: a phrase of three places is one lookup, a longer one the AND of its
  consecutive runs of three. Exact for phrases of up to three places; a longer one may still
  match where its runs of three occur apart, which needs a run of two of its words twice in
  the text with different neighbours. That is the only difference from the other engines'
  positions. (With pairs alone, "按照国家有关规定" matched 2,132 of 20,000 documents where tantivy's
  positions match 2,108. Runs hashed into 36**4 values to save memory were tried: a long
  regulation holds some 15,000 runs, so about 1 in 100 of the documents holding a phrase's
  pairs apart matched by a shared value, and "行政主管部门应当" found 2,414 documents against
  2,409.) A collection made with ``phrases`` "pairs"
  (:mod:`indexer.engines.typesense_cluster`) has no runs, and checks every phrase by its
  pairs;
* ``dn`` / ``ix``: the 文号 (and its suffix) and the 索引号, hashed.

A query word is an OR of its alternatives, a phrase an OR of at most
:data:`MAX_PHRASE_VARIANTS` combinations of its words' alternatives, clauses are ANDed, an
OR clause is an OR, and an excluded clause whose terms are plain is a ``!=``; any other
excluded clause is looked up first and its documents left out by id (see
:meth:`indexer.engines.typesense.TypesenseEngine.search`). Ranking uses Typesense's
``text_match`` over ``title`` and ``body`` (the same terms as text), the title weighted above
the body; filters never rank.
"""

from __future__ import annotations

import functools
import hashlib
import itertools
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from indexer import analysis
from indexer.engines import spans
from indexer.engines.base import Filters
from indexer.query import Match, ParsedQuery, Word, doc_number_terms

MAX_PHRASE_VARIANTS = 16
#: Typesense 0.24 refuses a filter of more than 100 tokens: conditions, ``&&`` / ``||`` and
#: parentheses (measured: an OR of 49 conditions in parentheses passes, of 50 fails).
MAX_CONDITIONS = 99
_TOKEN = re.compile(r"`[^`]*`|(&&|\|\||\(|\)|:(?:!=|>=|<=|=|>|<)?)")
_DATE = re.compile(r"^(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?")
#: The fields holding the hashed terms and pairs of the title and the body (:func:`placed`).
TERMS, PAIRS, TRIPLES = "tm", "pr", "tr"
#: The body terms a document holds often, one value per term and tier it reaches
#: (:data:`TIERS`): what the second window of candidates is chosen by (:func:`tier_text`).
TIERED = "tq"
TIERS = (2, 4, 8, 16)
#: Each text field's letter in its hashed values; "all" is either field.
_SHORT = {"title": ("t",), "body": ("b",), "all": ("t", "b")}
#: A hash is :data:`KEY_CHARS` base-36 digits (51.7 bits): Typesense reads each hit's whole
#: stored document, so every byte of the thousands of values a document holds costs. At
#: 100,000 documents (~20 million distinct terms, pairs and frequency bits) a looked-up
#: value collides with another one in about 1 of 200 million look-ups.
KEY_CHARS = 10
_DIGITS = "0123456789abcdefghijklmnopqrstuvwxyz"
_KEY_SPACE = 36**KEY_CHARS


#: The base-36 digits of every number below 36**3, least significant first: a hash is
#: written three digits at a time (the same text as one digit at a time, 3× faster).
_TRIPLES = [_DIGITS[n % 36] + _DIGITS[n // 36 % 36] + _DIGITS[n // 1296] for n in range(36**3)]


def fresh_key(term: str) -> str:
    """:func:`key`, not kept: for values that seldom repeat (runs of three), which would
    push the terms' and pairs' hashes out of its cache."""
    n = int.from_bytes(hashlib.blake2b(term.encode("utf-8"), digest_size=8).digest()) % _KEY_SPACE
    a, n = _TRIPLES[n % 46656], n // 46656
    b, n = _TRIPLES[n % 46656], n // 46656
    c, n = _TRIPLES[n % 46656], n // 46656
    return a + b + c + _DIGITS[n]


#: A term (or a pair) as a 10-character base-36 hash: an exact, tokenizer-proof value
#: (lower-case letters and digits only). Words repeat across documents, so hashes are kept
#: (the import hashes each term, pair and frequency bit of every document).
key = functools.lru_cache(maxsize=1 << 17)(fresh_key)


def pair_key(first: str, second: str) -> str:
    return key(first + "\x00" + second)


def run_value(short: str, first: str, second: str, third: str) -> str:
    """The stored value of a run of three terms in the field ``short``: one hash of the
    field and the terms (not kept: see :func:`fresh_key`)."""
    return fresh_key(short + "\x02" + first + "\x00" + second + "\x00" + third)


def placed(short: str, hashed: str) -> str:
    """The stored value of a hashed term or pair in the field ``short`` ("t" the title, "b"
    the body): title and body values share the :data:`TERMS` / :data:`PAIRS` fields."""
    return key(short + "\x02" + hashed)


@dataclass(frozen=True)
class FieldTerms:
    """What one text field sends to Typesense, from its term → positions map."""

    text: str  # the terms in position order (for Typesense's text match)
    terms: list[str]  # hashed terms, sorted
    pairs: list[str]  # hashed pairs of terms at adjacent positions, sorted
    runs: set[tuple[str, str, str]]  # runs of three terms at consecutive positions
    length: int  # tokens, sub-words included, as tantivy counts
    counts: Counter[str]  # hashed term or pair → how often


def field_terms(positions: Mapping[str, list[int]]) -> FieldTerms:
    """One pass over a field's positions: each distinct term and pair is hashed once."""
    words, places = analysis.flat_positions(positions)
    at: dict[int, list[str]] = {}
    for word, pos in zip(words, places, strict=True):
        at.setdefault(pos, []).append(word)
    text = " ".join(w for pos in sorted(at) for w in at[pos])
    adjacent: Counter[tuple[str, str]] = Counter()
    runs: set[tuple[str, str, str]] = set()
    for pos, here in at.items():
        after = at.get(pos + 1)
        if after:
            adjacent.update((a, b) for a in here for b in after)
            last = at.get(pos + 2)
            if last:
                runs.update(itertools.product(here, after, last))
    counts: Counter[str] = Counter()
    for t, p in positions.items():
        counts[key(t)] += len(p)
    terms = sorted(counts)
    pair_counts: Counter[str] = Counter()
    for (a, b), n in adjacent.items():
        pair_counts[pair_key(a, b)] += n
    counts.update(pair_counts)
    length = sum(len(p) for p in positions.values())
    return FieldTerms(text, terms, sorted(pair_counts), runs, length, counts)


def date_key(value: str) -> int:
    """A date (YYYY-MM-DD, YYYY-MM or YYYY) as the number YYYYMMDD (missing parts 00), 0
    when absent: the order Whoosh and tantivy sort by."""
    m = _DATE.match(value or "")
    if not m:
        return 0
    return int(m.group(1) + (m.group(2) or "00") + (m.group(3) or "00"))


def _values(values: Iterable[object]) -> str:
    """A Typesense value list; backticks keep commas and brackets inside a value."""
    return "[" + ",".join(f"`{str(v).replace('`', '')}`" for v in values) + "]"


class Expr(str):
    """A filter expression that remembers its operator and operands, so a filter too long
    for Typesense can be run in pieces (:mod:`indexer.engines.typesense_split`)."""

    op: str
    parts: tuple[str, ...]

    def __new__(cls, op: str, parts: list[str]) -> Expr:
        made = super().__new__(cls, "(" + f" {op} ".join(parts) + ")")
        made.op, made.parts = op, tuple(parts)
        return made


def _any(parts: list[str]) -> str:
    parts = list(dict.fromkeys(parts))
    return parts[0] if len(parts) == 1 else Expr("||", parts)


def _all(parts: list[str]) -> str:
    parts = list(dict.fromkeys(parts))
    return parts[0] if len(parts) == 1 else Expr("&&", parts)


any_of, all_of = _any, _all


def _places(fieldname: str, places: list[list[str]], triples: bool) -> str:
    """The places in a row, each any of its terms (``triples``: the collection has runs of
    three, :data:`TRIPLES`; one made before has pairs only): its pairs, or its runs of three
    when it has three places or more and the collection has them."""
    shorts = _SHORT[fieldname]
    if len(places) == 1:
        hashed = {key(t) for t in places[0]}
        return f"{TERMS}:=" + _values(sorted({placed(f, h) for f in shorts for h in hashed}))
    size = 3 if triples and len(places) > 2 else 2

    def value(f: str, run: tuple[str, ...]) -> str:
        return run_value(f, *run) if size == 3 else placed(f, pair_key(*run))

    return _all(
        [
            f"{TRIPLES if size == 3 else PAIRS}:"  # a word of the text of values
            + _values(
                sorted(
                    {
                        value(f, run)
                        for f in shorts
                        for run in itertools.product(*places[i : i + size])
                    }
                )
            )
            for i in range(len(places) - size + 1)
        ]
    )


def _word(fieldname: str, word: Word, triples: bool) -> str:
    single = [alt[0] for alt in word.alternatives if len(alt) == 1]
    parts = [_places(fieldname, [single], triples)] if single else []
    parts += [
        _places(fieldname, [[t] for t in alt], triples) for alt in word.alternatives if len(alt) > 1
    ]
    return _any(parts)


def _choices(word: Word) -> list[list[list[str]]]:
    single = [alt[0] for alt in word.alternatives if len(alt) == 1]
    choices = [[single]] if single else []
    return choices + [[[t] for t in alt] for alt in word.alternatives if len(alt) > 1]


def _sequence(fieldname: str, words: tuple[Word, ...], triples: bool) -> str:
    if len(words) == 1:
        return _word(fieldname, words[0], triples)
    combos = itertools.islice(itertools.product(*(_choices(w) for w in words)), MAX_PHRASE_VARIANTS)
    return _any(
        [
            _places(fieldname, [place for choice in combo for place in choice], triples)
            for combo in combos
        ]
    )


def exact_filter(match: Match) -> str | None:
    """The 文号 / 索引号 lookup of a clause that is one (it ranks first)."""
    if match.doc_number:
        return "dn:" + _values(key(t) for t in doc_number_terms(match))
    if match.index_number:
        return "ix:" + _values([key(match.index_number)])
    return None


def match_filter(match: Match, triples: bool = True) -> str:
    # Title or body: one condition over both fields' values instead of two conditions.
    fields = ["all"] if set(match.fields) == {"title", "body"} else list(match.fields)
    if match.phrase:
        text = _any([_sequence(f, match.words, triples) for f in fields])
    else:
        text = _all([_any([_word(f, w, triples) for f in fields]) for w in match.words])
    exact = exact_filter(match)
    return _any([exact, text]) if exact else text


def simple_exclusion(options: tuple[Match, ...]) -> str | None:
    """An excluded clause made of single words whose alternatives are single terms, as
    ``!=`` conditions (none of the terms in any of the fields); None for anything else."""
    values: set[str] = set()
    for match in options:
        if match.doc_number or match.index_number or len(match.words) != 1:
            return None
        word = match.words[0]
        if any(len(alt) != 1 for alt in word.alternatives):
            return None
        hashed = {key(alt[0]) for alt in word.alternatives}
        values |= {placed(f, h) for name in match.fields for f in _SHORT[name] for h in hashed}
    return f"{TERMS}:!=" + _values(sorted(values)) if values else None


def conditions(expression: str) -> int:
    """How many tokens Typesense counts in a filter: conditions, operators and parentheses
    (values in backticks are skipped); it refuses more than :data:`MAX_CONDITIONS`."""
    return sum(1 for m in _TOKEN.finditer(expression) if m.group(1))


def query_filters(parsed: ParsedQuery, triples: bool = True) -> tuple[list[str], list[str]]:
    """(conditions every hit meets, excluded clauses that need an id lookup first);
    ``triples``: whether the collection has :data:`TRIPLES`."""
    required: list[str] = []
    excluded: list[str] = []
    for clause in parsed.clauses:
        if clause.negated:
            simple = simple_exclusion(clause.options)
            if simple is not None:
                required.append(simple)
            else:
                excluded.append(_any([match_filter(m, triples) for m in clause.options]))
        else:
            required.append(_any([match_filter(m, triples) for m in clause.options]))
    return required, excluded


MAX_RANKINGS = 4


def ranking_texts(parsed: ParsedQuery) -> list[str]:
    """What Typesense ranks by: the positive words as the query cut them, one text per
    option of an OR (the first :data:`MAX_RANKINGS` combinations), since Typesense's own
    query ANDs its words (and drops the last ones first)."""
    clauses = [c.options for c in parsed.clauses if not c.negated]
    texts = []
    for combo in itertools.islice(itertools.product(*clauses), MAX_RANKINGS):
        words = [w.text for m in combo for w in m.words]
        texts.append(" ".join(dict.fromkeys(w for w in words if w)) or "*")
    return list(dict.fromkeys(texts)) or ["*"]


def tier_value(body_value: str, tier: int) -> str:
    """The value a document holds for a body term (its stored value) said ``tier`` times or
    more."""
    return key(body_value + "^" + str(tier))


def tier_values(counts: Mapping[str, int]) -> list[str]:
    """A body's :data:`TIERED` values from its terms' stored values and counts."""
    return [tier_value(v, t) for v, n in counts.items() for t in TIERS if n >= t]


def tier_text(parsed: ParsedQuery) -> str:
    """What Typesense's text match ranks the second window of candidates by: every tier of
    each positive body word (its one-term alternatives), the lowest tiers first. A document
    matches as many of them as its words reach tiers, so those that say the query's words
    most often come first; Typesense drops the last words (the highest tiers) first when too
    few match them all."""
    values = [
        placed("b", key(alternative[0]))
        for match in parsed.positive
        if "body" in match.fields
        for word in match.words
        for alternative in word.alternatives
        if len(alternative) == 1
    ]
    values = list(dict.fromkeys(values))
    return " ".join(tier_value(v, t) for t in TIERS for v in values)


def ranking_fields(parsed: ParsedQuery) -> list[str]:
    """The text fields the positive words are looked for in (``title:`` → the title)."""
    found = {f for m in parsed.positive for f in m.fields}
    return [f for f in ("title", "body") if f in found] or ["title", "body"]


def field_filters(filters: Filters | None) -> list[str]:
    """The non-text restrictions (``filters.ids`` included) as conditions."""
    if filters is None:
        return []
    parts: list[str] = []
    for name in ("agency", "category", "kind", "doc_type"):
        values = getattr(filters, name)
        if values:
            parts.append(f"{name}:=" + _values(values))
    if filters.validity:
        parts.append(validity_condition(filters))
    if filters.year:
        parts.append("year:=[" + ",".join(str(int(y)) for y in filters.year) + "]")
    if filters.date_from or filters.date_to:
        parts.append(f"date:>={max(date_key(filters.date_from), 1)}")
        if filters.date_to:
            parts.append(f"date:<={date_key(filters.date_to)}")
    if filters.ids is not None:
        parts.append("id:=" + _values(sorted(filters.ids)))
    return parts


def validity_condition(filters: Filters) -> str:
    """The validity filter: the stored field, or on ``filters.validity_on`` the spans."""
    if not filters.validity_on:
        return "validity:=" + _values(filters.validity)
    day = filters.validity_on
    options = []
    for slot in range(spans.SLOTS):
        start, end, validity = spans.field_names(slot)
        options.append(
            _all(
                [
                    f"{start}:<={day}",
                    f"{end}:>{day}",
                    f"{validity}:=" + _values(filters.validity),
                ]
            )
        )
    if filters.validity_also:
        options.append("id:=" + _values(sorted(filters.validity_also)))
    return _any(options)


def conjunction(parts: list[str]) -> str:
    return " && ".join(parts)
