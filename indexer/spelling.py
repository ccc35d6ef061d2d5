"""Typo correction: 管里 → 管理, 关与 → 关于, 中华寻 → 中华鲟.

Most typos in Chinese queries come from pinyin input: the right syllables, the wrong character
(管里 for 管理). jieba then cuts the query oddly — the typo becomes an unknown two-character
word (管里) or a stray single character (中华 / 寻) — and the search finds nothing. This module
looks at those places only: a span of one to three adjacent query words (two to
:data:`MAX_SPAN` characters) holding a word the archive never uses, or two or more single
characters. For each it looks for a replacement of the same length in the archive's vocabulary
(:class:`~indexer.vocabulary.Vocabulary`) that reads the same in pinyin or, for one unknown word
of three or more characters, differs in one character whose pinyin starts with the same letter
(the neighbour a pinyin input method offers); the replacement must be in at least
:data:`MIN_DF` documents. Among candidates, one that forms a known title phrase with its
neighbour wins (防治 条例 over 防止), then the longer span, then the more frequent word.

It proposes; :func:`indexer.searching.search` decides: it shows a suggestion only when the
corrected query finds more than the original, and runs the corrected query at once only when
the original finds nothing.
"""

from __future__ import annotations

import itertools
from collections.abc import Container
from dataclasses import dataclass

from indexer import analysis
from indexer.vocabulary import Vocabulary, is_han, readings

MIN_DF = 3  # a correction must be used in at least this many documents
RARE_DF = 1  # a word in at most this many documents may be a typo
MAX_SPAN = 4  # characters of a span tried for correction
MAX_TOKENS = 3


@dataclass(frozen=True)
class Fix:
    start: int  # offsets into the query string
    end: int
    old: str
    new: str


@dataclass(frozen=True)
class Correction:
    query: str  # the corrected query
    fixes: tuple[Fix, ...]


def _near(a: str, b: str) -> bool:
    """Characters a pinyin input method may swap: readings that start with the same letter."""
    return any(x[0] == y[0] for x in readings(a) for y in readings(b))


def _candidates(vocab: Vocabulary, text: str, merged: bool) -> list[tuple[str, int]]:
    """Replacements for ``text``: same pinyin; and, for one unknown word (not words merged)
    of three characters or more, one character apart with a near reading."""
    found = {e.text: e.df for e in vocab.same_pinyin(text) if e.df >= MIN_DF}
    if len(text) >= 3 and not merged:
        for i in range(len(text)):
            for e in vocab.one_char_apart(text, i):
                if e.df >= MIN_DF and _near(text[i], e.text[i]):
                    found.setdefault(e.text, e.df)
    return list(found.items())


def correct(query: str, vocab: Vocabulary, known: Container[str] = ()) -> Correction | None:
    """The query with its likely typos fixed, or None when nothing looks wrong. Words in
    ``known`` (the synonym table's abbreviations: 法援 is not a typo of 法院) are never
    changed, nor are spans that hold one."""
    tokens = [t for t in analysis.tokenize(query) if is_han(t.text)]
    options: list[tuple[tuple[int, int, int], Fix]] = []
    for i in range(len(tokens)):
        for j in range(i, min(i + MAX_TOKENS, len(tokens))):
            span = tokens[i : j + 1]
            if any(a.end != b.start for a, b in itertools.pairwise(span)):
                break
            text = query[span[0].start : span[-1].end]
            if len(text) > MAX_SPAN:
                break
            if len(text) < 2 or text != "".join(t.text for t in span):
                continue
            if text in known or any(t.text in known for t in span):
                continue
            unknown = any(len(t.text) >= 2 and vocab.df(t.text) <= RARE_DF for t in span)
            singles = sum(len(t.text) == 1 for t in span)
            if not (unknown or singles >= 2 or (singles and len(span) > 1)):
                continue
            if vocab.df(text) >= MIN_DF:
                continue
            before = tokens[i - 1].text if i > 0 and tokens[i - 1].end == span[0].start else ""
            after = (
                tokens[j + 1].text
                if j + 1 < len(tokens) and tokens[j + 1].start == span[-1].end
                else ""
            )
            for new, df in _candidates(vocab, text, len(span) > 1):
                context = vocab.phrase_count(before, new) + vocab.phrase_count(new, after)
                rank = (context, len(text), df)
                options.append((rank, Fix(span[0].start, span[-1].end, text, new)))
    chosen: list[Fix] = []
    for _, fix in sorted(options, key=lambda o: o[0], reverse=True):
        if all(fix.end <= f.start or fix.start >= f.end for f in chosen):
            chosen.append(fix)
    if not chosen:
        return None
    chosen.sort(key=lambda f: f.start)
    out, last = [], 0
    for fix in chosen:
        out += [query[last : fix.start], fix.new]
        last = fix.end
    out.append(query[last:])
    return Correction("".join(out), tuple(chosen))
