"""Pinyin queries: ``gongzufang``, ``gzf``, ``guanli banfa`` and ``gong zu fang`` find the words
they spell.

People without a Chinese input method at hand, or on a phone, type pinyin. A query word made
only of Latin letters that the archive does not itself contain (``PPP``, ``PM``, an ID part or an
English word that some document holds is left alone) and that spells words of the archive's
vocabulary (:class:`~indexer.vocabulary.Vocabulary`: full pinyin first, then initials) gets
those words — the :data:`MAX_SPELLINGS` most frequent — as extra alternatives of the same query
word. The Latin text stays the first alternative, so nothing that matched before stops matching.

A word read that is a term of the synonym table (shipped + staff) also searches the other terms
of its group, as typed Chinese does (``gongzufang`` → 公租房 → 公共租赁住房), and is reported as a
synonym expansion with the pinyin it was read from; with a table, the terms of its groups are
candidates as well as the vocabulary's words (:mod:`indexer.synonym_pinyin`), so ``gzf`` reads
公租房 even where the archive only ever writes 公共租赁住房.

Syllables typed apart (``gong zu fang``) are separate query words; a run of such words is joined
when the joined letters spell something and the words alone do not all do so.

This rewrites the parsed query (:class:`~indexer.query.ParsedQuery`) and nothing else: both
engines compile word alternatives as OR, and the highlighter marks whichever matched.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import TYPE_CHECKING

from indexer import analysis, synonym_pinyin
from indexer.normalize import fold
from indexer.query import Clause, Expansion, Match, ParsedQuery, Word, term_alternatives
from indexer.vocabulary import Entry, Vocabulary

if TYPE_CHECKING:
    from indexer.synonyms import Synonyms

MAX_SPELLINGS = 3  # vocabulary words one pinyin spelling is expanded to
MAX_JOINED = 6  # query words joined into one spelling (gong zu fang → gongzufang)
MIN_SHARE = 10  # a spelling also means a less frequent word in at least 1/10 the documents
KNOWN_LATIN_DF = 1  # a Latin word in at least this many documents is taken as meant
_LATIN = re.compile(r"[a-z]{2,40}")


def _latin(clause: Clause) -> str:
    """The lower-case Latin word of a plain one-word clause, or ""."""
    if clause.negated or len(clause.options) != 1:
        return ""
    match = clause.options[0]
    if match.doc_number or match.index_number:
        return ""
    if len(match.words) != 1:
        return ""
    text = match.words[0].text
    return text if _LATIN.fullmatch(text) else ""


class _Reader:
    """What one query's pinyin words are read against, and the synonym expansions made."""

    def __init__(self, vocab: Vocabulary, synonyms: Synonyms | None) -> None:
        self.vocab = vocab
        self.synonyms = synonyms
        self.expansions: list[Expansion] = []

    def spelled(self, latin: str) -> list[Entry]:
        """The words ``latin`` spells: the most frequent, and the others in at least
        :data:`MIN_SHARE` as many documents (guanli is 管理, rarely 惯例)."""
        if self.vocab.df(latin) >= KNOWN_LATIN_DF:
            return []
        found = synonym_pinyin.spelled(self.vocab, latin, self.synonyms)[:MAX_SPELLINGS]
        return [e for e in found if e.df * MIN_SHARE >= found[0].df] if found else []

    def word(self, text: str, original: tuple[tuple[str, ...], ...], entries: list[Entry]) -> Word:
        """The query word ``text`` (``original``: what it matched before, its synonyms
        included — ``ppp`` is also 政府和社会资本合作) with the words read as further
        alternatives, and the other terms of the group of each word read that is a synonym
        term."""
        alternatives = list(original)
        for entry in entries:
            if len(entry.tokens) == 1:
                alternatives += analysis.alternatives(entry.tokens[0])
            else:
                alternatives.append(entry.tokens)
            group = self.synonyms.group_of(entry.text) if self.synonyms is not None else None
            if group is None:
                continue
            others = tuple(t for t in group.terms if fold(t) != fold(entry.text))
            for other in others:
                alternatives += term_alternatives(other)
            self.expansions.append(Expansion(entry.text, others, text))
        return Word(text, tuple(dict.fromkeys(alternatives)))


def expand(
    parsed: ParsedQuery, vocab: Vocabulary, synonyms: Synonyms | None = None
) -> tuple[ParsedQuery, dict[str, list[str]]]:
    """``parsed`` with pinyin words expanded, and what each spelling was taken for
    ({"gongzufang": ["公租房"]}); ``parsed`` itself when nothing was expanded. With
    ``synonyms``, synonym terms are read too and a term read searches its group (added to
    :attr:`ParsedQuery.expansions`)."""
    reader = _Reader(vocab, synonyms)
    clauses = list(parsed.clauses)
    latin = [_latin(c) for c in clauses]
    out: list[Clause] = []
    found: dict[str, list[str]] = {}
    i = 0
    while i < len(clauses):
        if not latin[i]:
            out.append(clauses[i])
            i += 1
            continue
        run = 1
        fields = clauses[i].options[0].fields
        while (
            i + run < len(clauses)
            and run < MAX_JOINED
            and latin[i + run]
            and clauses[i + run].options[0].fields == fields
        ):
            run += 1
        # The longest run from i that spells something, when its words do not each do so.
        for size in range(run, 1, -1):
            words = latin[i : i + size]
            entries = reader.spelled("".join(words))
            if entries and not all(reader.spelled(w) for w in words):
                text = " ".join(words)
                word = reader.word(text, (tuple(words),), entries)
                out.append(Clause((Match((word,), True, fields),)))
                found[text] = [e.text for e in entries]
                i += size
                break
        else:
            entries = reader.spelled(latin[i])
            if entries:
                match = clauses[i].options[0]
                word = reader.word(latin[i], match.words[0].alternatives, entries)
                out.append(Clause((replace(match, words=(word,)),)))
                found[latin[i]] = [e.text for e in entries]
            else:
                out.append(clauses[i])
            i += 1
    if not found:
        return parsed, {}
    expansions = parsed.expansions + tuple(reader.expansions)
    return replace(parsed, clauses=tuple(out), expansions=expansions), found
