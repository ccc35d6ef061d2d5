"""Chinese word segmentation for indexing, querying and highlighting.

One segmenter serves all three, so that the words a query is cut into are the words the index
holds and the spans a highlight marks are whole words:

* precise-mode jieba words (the jieba dictionary, via rjieba — the Rust port, ~25x faster and
  word-for-word identical on our tests) at *sequential* positions, so phrase queries work;
* in index mode, also the search-mode sub-words of long words (政务公开 → 政务, 公开) at the same
  position as the word they came from;
* every token carries its character offsets into the original text (not the folded copy);
* punctuation and white space are dropped without taking a position; digits and single
  characters are kept.

The stock ``jieba.analyse.ChineseAnalyzer`` gets each of these wrong: it uses character offsets
as positions (so phrases never match), and drops one-character non-Han tokens such as ``2``.
"""

from __future__ import annotations

import re
from array import array
from collections.abc import ItemsView, Iterable, Iterator, Mapping, ValuesView
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from functools import lru_cache
from itertools import chain, repeat

import rjieba

from indexer.normalize import fold

# The version of this analyzer lives in indexer.config (read by every command, which must not
# load the segmenter for it): bump it there whenever the same text would be indexed differently.


@dataclass(frozen=True, slots=True)
class Token:
    text: str
    pos: int
    start: int
    end: int


def _is_word(word: str) -> bool:
    """A token worth indexing: it has a letter, digit or ideograph in it."""
    return any(ch.isalnum() for ch in word)


def _is_han(word: str) -> bool:
    return all("\u3400" <= ch <= "\u9fff" for ch in word)


@lru_cache(maxsize=65536)
def sub_words(word: str) -> tuple[tuple[str, int], ...]:
    """The dictionary 2- and 3-character words inside ``word`` with their offsets, as jieba's
    search mode finds them; empty for words of one or two characters."""
    if len(word) <= 2 or not _is_han(word):
        return ()
    found = []
    for size in (2, 3):
        if len(word) <= size:
            break
        for i in range(len(word) - size + 1):
            gram = word[i : i + size]
            if rjieba.has_word(gram):
                found.append((gram, i))
    return tuple(found)


def tokenize(text: str, *, index: bool = False) -> Iterator[Token]:
    """Segment ``text`` into tokens with positions and offsets into ``text``.

    With ``index=True`` the sub-words of long words are added at their parent's position.
    """
    folded = fold(text)
    pos = 0
    for word, start, end in rjieba.tokenize(folded, mode="default", hmm=True):
        if not _is_word(word):
            continue
        yield Token(word, pos, start, end)
        if index:
            for gram, offset in sub_words(word):
                yield Token(gram, pos, start + offset, start + offset + len(gram))
        pos += 1


def tokens_of(text: str, wanted: AbstractSet[str]) -> Iterator[tuple[str, int, int, int]]:
    """The index-mode tokens of ``text`` whose word is in ``wanted``, as (word, pos, start,
    end): exactly those of ``tokenize(text, index=True)``, in the same order, without making
    a token object for every other word (what highlighting needs: the query's words)."""
    pos = 0
    for word, start, end in rjieba.tokenize(fold(text), mode="default", hmm=True):
        if not (word.isalnum() or _is_word(word)):
            continue
        if word in wanted:
            yield word, pos, start, end
        if len(word) > 2:
            for gram, offset in sub_words(word):
                if gram in wanted:
                    yield gram, pos, start + offset, start + offset + len(gram)
        pos += 1


def words(text: str) -> list[str]:
    """The precise-mode words of ``text``, as a query is cut."""
    return [token.text for token in tokenize(text)]


def term_positions(text: str) -> dict[str, list[int]]:
    """Index-mode terms of ``text`` with their positions: what an engine stores for a field.

    The same terms and positions as ``tokenize(text, index=True)``, built without token
    objects or offsets: this is the hot loop of indexing.
    """
    positions: dict[str, list[int]] = {}
    pos = 0
    for word in rjieba.cut(fold(text), hmm=True):
        if not (word.isalnum() or _is_word(word)):
            continue
        found = positions.get(word)
        if found is None:
            positions[word] = [pos]
        else:
            found.append(pos)
        if len(word) > 2:
            for gram, _ in sub_words(word):
                positions.setdefault(gram, []).append(pos)
        pos += 1
    return positions


class TermPositions(Mapping[str, list[int]]):
    """A :func:`term_positions` map in a packed form that crosses processes cheaply.

    Import workers segment a document's title and body (the hot loop of indexing) and send
    the result to the process that writes the index. Pickled as a dict, the map costs the
    receiver about as much to rebuild as segmenting did; packed as the terms joined in one
    string and the counts and positions as flat integer arrays, it costs almost nothing, and
    :meth:`flat` hands an engine the (term, position) pairs without building the dict. Terms
    never hold white space (:func:`rjieba.cut` splits on it and those tokens are dropped), so
    a newline separates them. Transient: an index is fed with it, the archive never stores it.
    """

    __slots__ = ("_counts", "_positions", "_terms")

    def __init__(self, positions: Mapping[str, list[int]]) -> None:
        self._terms = "\n".join(positions)
        self._counts = array("I", map(len, positions.values())).tobytes()
        self._positions = array("I", chain.from_iterable(positions.values())).tobytes()

    @classmethod
    def of(cls, text: str) -> TermPositions:
        """The packed :func:`term_positions` of ``text``."""
        return cls(term_positions(text))

    @classmethod
    def _unpack(cls, terms: str, counts: bytes, positions: bytes) -> TermPositions:
        self = cls.__new__(cls)
        self._terms, self._counts, self._positions = terms, counts, positions
        return self

    def __reduce__(self) -> tuple[object, tuple[str, bytes, bytes]]:
        return (TermPositions._unpack, (self._terms, self._counts, self._positions))

    def _parts(self) -> tuple[list[str], array, array]:
        counts, positions = array("I"), array("I")
        counts.frombytes(self._counts)
        positions.frombytes(self._positions)
        terms = self._terms.split("\n") if counts else []
        if len(terms) != len(counts) or sum(counts) != len(positions):
            raise ValueError("corrupt TermPositions")
        return terms, counts, positions

    def flat(self) -> tuple[Iterator[str], array]:
        """Each (term, position) as two parallel sequences: the term repeated once per
        position, and the positions (ascending within each term)."""
        terms, counts, positions = self._parts()
        return chain.from_iterable(map(repeat, terms, counts)), positions

    def _dict(self) -> dict[str, list[int]]:
        # Unpacked afresh each time, never kept: an engine reads it once (a batch of
        # unpacked maps would take many times the memory of the packed form).
        terms, counts, positions = self._parts()
        found: dict[str, list[int]] = {}
        start = 0
        for term, count in zip(terms, counts, strict=True):
            found[term] = positions[start : start + count].tolist()
            start += count
        return found

    def __getitem__(self, term: str) -> list[int]:
        return self._dict()[term]

    def __iter__(self) -> Iterator[str]:
        return iter(self._dict())

    def __len__(self) -> int:
        return len(self._counts) // array("I").itemsize

    # Each view unpacks once: the Mapping mixins' would unpack again for every term (a
    # Typesense document's lengths summed over values() made its hashing 4× slower).
    def items(self) -> ItemsView[str, list[int]]:
        return self._dict().items()

    def values(self) -> ValuesView[list[int]]:
        return self._dict().values()


def flat_positions(positions: Mapping[str, list[int]]) -> tuple[Iterator[str], Iterable[int]]:
    """The (term, position) pairs of a :func:`term_positions` map (or :class:`TermPositions`)
    as two parallel sequences, term by term, without a Python loop per pair."""
    if isinstance(positions, TermPositions):
        return positions.flat()
    terms = chain.from_iterable(map(repeat, positions.keys(), map(len, positions.values())))
    return terms, chain.from_iterable(positions.values())


def alternatives(word: str) -> list[tuple[str, ...]]:
    """Ways a query word may have been cut in a document, as word sequences.

    jieba cuts by context: 政务公开 alone is one word, but inside 政务公开工作 it may be cut
    政务 / 公开. A query for the word must also match the two-word sequence. The first
    alternative is always the word itself; the second (when there is one) tiles the word with
    its longest dictionary sub-words from the left.
    """
    result: list[tuple[str, ...]] = [(word,)]
    grams = sub_words(word)
    if not grams:
        return result
    known = {(offset, gram) for gram, offset in grams}
    tiling: list[str] = []
    i = 0
    while i < len(word):
        for size in (3, 2):
            if (i, word[i : i + size]) in known and i + size <= len(word):
                tiling.append(word[i : i + size])
                i += size
                break
        else:
            tiling.append(word[i])
            i += 1
    if len(tiling) > 1:
        result.append(tuple(tiling))
    return result


# -- a phrase's characters ---------------------------------------------------------------
#
# A quoted phrase copied from a document may start or end inside a word (``…提取标`` where
# the text says 提取标准) or lie inside one word (管理办 in 管理办法); word positions alone
# cannot match it. The index keeps words only: the query is widened instead, its edge words to
# the terms beginning or ending with them (:func:`indexer.query.cut_phrases`), and the
# highlighter marks the phrase's characters in a row, white space and punctuation between them
# ignored (so a line break inside a phrase copied from a PDF does not matter).

_NOT_WORD_CHARS = re.compile(r"[\W_]+")


def bigram_chars(text: str) -> str:
    """The characters of ``text`` a phrase is made of: ``text`` folded, letters, digits and
    ideographs only."""
    return _NOT_WORD_CHARS.sub("", fold(text))
