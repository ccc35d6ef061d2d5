"""Relaxed matching: when requiring every word finds (almost) nothing, rank by how many match.

A query typed as people type it — a title with one wrong word, a question with a filler word —
often finds nothing because one word is missing from the document. Like Elasticsearch's
``minimum_should_match``, the relaxed query asks for at least :data:`SHARE` of the query's
plain words (rounded up, always at least one fewer than all of them). It is written as an
ordinary :class:`~indexer.query.ParsedQuery` — one OR clause whose options are the combinations
of that many words — so both engines run it with the code they run every query with, and a
document holding more of the words matches more options and scores higher. What the user
asked for precisely keeps applying: exclusions, quoted phrases, 文号 and 索引号 clauses, OR
clauses and ``title:`` words stay required as typed. The results are labelled partial by
:mod:`indexer.searching`, never mixed silently with full matches.
"""

from __future__ import annotations

import math
from itertools import combinations

from indexer.query import TEXT_FIELDS, Clause, Match, ParsedQuery, Word

#: Relax when a query's full matches are fewer than this (a query of two words: when it has
#: none; one of two words alone is too little to offer beside real matches).
RELAX_BELOW = 3
#: Share of the plain words a partial match must hold (rounded up).
SHARE = 0.6
#: At most this many combinations of words; more words then must match instead.
MAX_OPTIONS = 64


def _relaxable(clause: Clause) -> bool:
    if clause.negated or len(clause.options) != 1:
        return False
    match = clause.options[0]
    plain = not (match.quoted or match.doc_number or match.index_number)
    return plain and match.fields == TEXT_FIELDS and (not match.phrase or len(match.words) == 1)


def minimum(count: int) -> int:
    """How many of ``count`` plain words a partial match must hold."""
    need = max(1, min(count - 1, math.ceil(count * SHARE)))
    while need < count - 1 and math.comb(count, need) > MAX_OPTIONS:
        need += 1
    return need


def relax(parsed: ParsedQuery, full: int = 0) -> ParsedQuery | None:
    """The relaxed form of ``parsed`` whose full matches number ``full``, or None when it
    has fewer than two plain words or enough full matches."""
    kept: list[Clause] = []
    words: list[Word] = []
    for clause in parsed.clauses:
        if _relaxable(clause):
            words.extend(clause.options[0].words)
        else:
            kept.append(clause)
    words = list(dict.fromkeys(words))
    if len(words) < 2 or full >= (RELAX_BELOW if len(words) > 2 else 1):
        return None
    need = minimum(len(words))
    options = tuple(Match(combo, phrase=len(combo) == 1) for combo in combinations(words, need))
    return ParsedQuery(parsed.text, (*kept, Clause(options)))
