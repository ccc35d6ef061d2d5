"""Pinyin of synonym terms: ``gongzufang`` and ``gzf`` mean 公租房 even in an archive that only
ever writes 公共租赁住房, and ``dibao`` means 低保 where the documents say 最低生活保障.

Pinyin is read against the archive's vocabulary (:mod:`indexer.vocabulary`), the words the
documents actually use. An abbreviation the documents never write is not there, so its pinyin
spelled nothing, although the synonym table (shipped + staff entries, :mod:`indexer.synonyms`)
knows exactly what it means. This module makes the terms of the synonym groups candidates for
a pinyin reading as well, next to the vocabulary's words:

* :class:`SynonymSpellings` — every term of the table (two to
  :data:`~indexer.vocabulary.MAX_WORD_CHARS` Han characters, as in the vocabulary) under its
  full pinyin and its initials. It depends on the table only, is built on first use for each
  table (a thousand terms: about a millisecond once each term's pinyin is cached) and is kept
  with the table (:func:`spellings_for`), so a staff entry takes effect with the next search,
  without a reindex or a vocabulary rebuild.
* :func:`spelled` — what a Latin word spells: the vocabulary's entries and the synonym terms
  whose group the archive holds, ranked together by document frequency. A group counts as
  held when one of its terms is in the vocabulary (a term cut into several words: all of
  them); its frequency is that of its most frequent term as far as the vocabulary can tell
  without asking the index (:func:`term_df`: a low estimate rather than a high one, so a
  synonym term does not crowd out the words the documents use). Groups the archive does
  not hold add nothing, so a spelling of something the archive never mentions still finds
  nothing.

:mod:`indexer.pinyin_query` then searches the other terms of a read term's group too and
reports it as a synonym expansion (:class:`~indexer.query.Expansion` with its ``pinyin``).
"""

from __future__ import annotations

import threading
import weakref
from functools import lru_cache

from indexer import analysis
from indexer.synonyms import SynonymGroup, Synonyms
from indexer.vocabulary import (
    MAX_INITIALS,
    MAX_WORD_CHARS,
    MIN_INITIALS,
    Entry,
    Vocabulary,
    is_han,
    spellings,
)


@lru_cache(maxsize=8192)
def _term_spellings(term: str) -> tuple[tuple[str, str], ...]:
    return tuple(spellings(term))


class SynonymSpellings:
    """The terms of one synonym table under their full pinyin and their initials."""

    def __init__(self, synonyms: Synonyms) -> None:
        self.full: dict[str, list[tuple[str, SynonymGroup]]] = {}
        self.initials: dict[str, list[tuple[str, SynonymGroup]]] = {}
        for group in synonyms.groups:
            for term in group.terms:
                if not (2 <= len(term) <= MAX_WORD_CHARS and is_han(term)):
                    continue
                for full, short in _term_spellings(term):
                    self.full.setdefault(full, []).append((term, group))
                    self.initials.setdefault(short, []).append((term, group))

    def terms(self, latin: str, initials: bool) -> list[tuple[str, SynonymGroup]]:
        """(term, group) spelled ``latin`` in full pinyin, or with ``initials`` by initials."""
        index = self.initials if initials else self.full
        return index.get(latin, [])


_lock = threading.Lock()
_built: weakref.WeakKeyDictionary[Synonyms, SynonymSpellings] = weakref.WeakKeyDictionary()


def spellings_for(synonyms: Synonyms) -> SynonymSpellings:
    """The spellings of ``synonyms``, built once per table (a table is immutable; a staff
    change makes a new one, :class:`~indexer.synonym_table.SynonymTable`)."""
    with _lock:
        found = _built.get(synonyms)
        if found is None:
            found = _built[synonyms] = SynonymSpellings(synonyms)
        return found


def term_df(term: str, vocab: Vocabulary) -> int:
    """Documents holding ``term`` as far as the vocabulary tells, never more: its own count
    when it is an index term; for a term the analyzer cuts into several words, the titles
    holding them in a row (a title phrase), or 1 when every word is in the archive but not
    as a title phrase (the body is not counted: the rarest word's count would be an upper
    bound only, often far too high — 委员会 for 发展和改革委员会); 0 when a word is missing."""
    df = vocab.df(term)
    if df:
        return df
    words = analysis.words(term)
    if len(words) < 2 or not all(vocab.df(w) for w in words):
        return 0
    return max(vocab.phrases.get(tuple(words), 0), 1)


def group_df(group: SynonymGroup, vocab: Vocabulary) -> int:
    """The estimated documents of ``group``: those of its most frequent term (0: the
    archive does not hold the group)."""
    return max(term_df(t, vocab) for t in group.terms)


def spelled(vocab: Vocabulary, latin: str, synonyms: Synonyms | None) -> list[Entry]:
    """Words, title phrases and synonym terms whose full pinyin is ``latin`` or, failing
    that, whose initials are (as :meth:`Vocabulary.spelled`), most frequent first, one entry
    per text. A synonym term counts its whole group's documents."""
    key = latin.lower()
    table = spellings_for(synonyms) if synonyms is not None else None
    for initials in (False, True):
        if initials and not MIN_INITIALS <= len(key) <= MAX_INITIALS:
            break
        found = (vocab.initials if initials else vocab.full).get(key, [])
        if table is not None:
            terms = table.terms(key, initials)
            if terms:
                found = _merged(found, terms, vocab)
        if found:
            return list({e.text: e for e in found}.values())
    return []


def _merged(
    entries: list[Entry], terms: list[tuple[str, SynonymGroup]], vocab: Vocabulary
) -> list[Entry]:
    """``entries`` with the synonym ``terms`` whose group the archive holds, a synonym term
    ranked by its group's documents, most frequent first."""
    best: dict[str, Entry] = {}
    for entry in entries:
        if entry.text not in best:
            best[entry.text] = entry
    for term, group in terms:
        df = group_df(group, vocab)
        if not df:
            continue
        held = best.get(term)
        if held is None or held.df < df:
            tokens = held.tokens if held is not None else (term,)
            best[term] = Entry(tokens, df)
    return sorted(best.values(), key=lambda e: (-e.df, len(e.tokens), e.text))
