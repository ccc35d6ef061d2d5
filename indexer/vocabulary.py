"""The vocabulary of the archive: the words it actually contains, with document frequencies,
and their pinyin — what pinyin queries (:mod:`indexer.pinyin_query`) and typo correction
(:mod:`indexer.spelling`) draw on.

Why the archive's own words and not a dictionary: a pinyin spelling such as ``gzf`` or a typo
such as 管里 has many possible readings; the right one is the one the documents use, and the
more documents use it, the likelier it is meant. So every candidate comes from here, ranked by
how many documents hold it.

What it holds:

* ``title`` / ``body`` — every term of the index (the index-mode words of
  :mod:`indexer.analysis`, so exactly the terms a search can match) with its document
  frequency, read from the engine's term dictionary (:meth:`Engine.term_counts`): no text is
  segmented again, which at 100,000 documents would take many minutes;
* ``phrases`` — sequences of two or three consecutive title words (垃圾 分类, 物业 管理) with
  the number of titles holding them, because people spell a whole title fragment in pinyin
  (``lajifenlei``, ``ljfl``) and jieba may cut it into several words;
* two pinyin indexes built from those: full toneless pinyin (``lajifenlei``) and initials
  (``ljfl``), each mapping to entries sorted by frequency. A polyphonic character contributes
  each of its readings (a few combinations at most), because people type the reading they know.

Body terms found in a single document and terms of one character are left out of the pinyin
indexes (they are noise for spelling), but stay in the frequency tables.

Edges of words (:meth:`Vocabulary.starting`, :meth:`Vocabulary.ending`,
:meth:`Vocabulary.containing`): the terms that begin with, end with or hold a piece of text, most
frequent first and at most :data:`MAX_EXPANSIONS` of them — what a quoted phrase cut in the
middle of a word is matched with (:func:`indexer.query.cut_phrases`). Built on first use from the
frequency tables with the vocabulary and saved with it (:class:`SortedTerms`: the terms sorted
in one string, and the reversed terms likewise, looked up by bisection; a few bytes a term, and
a string and two arrays load from the saved file at copying speed).

Kept current: :func:`vocabulary_for` builds once per process and per archive state
(:meth:`Archive.membership`), at most once every :data:`REBUILD_INTERVAL` seconds while an import
is changing the archive; a vocabulary a few minutes stale only misses the newest words. The
build (about 1.5 s for 2,000 documents) is saved beside the index (``index/<engine>-
vocabulary.pickle``, written by whichever process built it), so that a one-shot ``gongkai
search`` loads it instead of building it again.
"""

from __future__ import annotations

import itertools
import os
import pickle
import re
import threading
import time
from array import array
from bisect import bisect_left
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple

# Readings are looked up one character at a time (every reading of each, see :func:`readings`),
# so pypinyin's phrase dictionary is never consulted: without it the import of pypinyin takes
# 75 ms instead of 400 ms, and no segmentation model is trained on first use.
os.environ.setdefault("PYPINYIN_NO_PHRASES", "1")

from pypinyin import Style, pinyin

from archive import Archive
from indexer import analysis
from indexer.engines.base import Engine

MIN_BODY_DF = 2  # body terms in fewer documents are not offered as spellings or corrections
MAX_WORD_CHARS = 8
MAX_READINGS = 4  # pinyin combinations kept for a word with polyphonic characters
PHRASE_SIZES = (2, 3)
MIN_INITIALS, MAX_INITIALS = 3, 6
REBUILD_INTERVAL = 300.0  # seconds between rebuilds while the archive keeps changing
#: Terms a piece of a word is expanded to (the most frequent first): a cut phrase whose edge is
#: a common character (标 → 标准, 标题, 标志 …) matches the documents using its likelier words.
MAX_EXPANSIONS = 50
_LAST = "\U0010ffff"

Tokens = tuple[str, ...]


_HAN = re.compile("[\u3400-\u9fff]+")


def is_han(text: str) -> bool:
    return _HAN.fullmatch(text) is not None


@lru_cache(maxsize=32768)
def readings(ch: str) -> tuple[str, ...]:
    """The toneless pinyin readings of one character (ü written v), most common first."""
    found = pinyin(ch, style=Style.NORMAL, heteronym=True, errors="ignore", v_to_u=False)
    return tuple(dict.fromkeys(r for r in (found[0] if found else []) if r.isalpha()))


def spellings(word: str) -> list[tuple[str, str]]:
    """(full pinyin, initials) of ``word``, one pair per reading, at most :data:`MAX_READINGS`."""
    per_char = [readings(ch) for ch in word]
    if not all(per_char):
        return []
    combos = itertools.islice(itertools.product(*per_char), MAX_READINGS)
    return list(dict.fromkeys(("".join(c), "".join(s[0] for s in c)) for c in combos))


class Entry(NamedTuple):
    """A spelling's target: one word, or a phrase of consecutive title words. (A named tuple:
    tens of thousands of them are pickled into the saved vocabulary, and tuples load fast.)"""

    tokens: Tokens
    df: int

    @property
    def text(self) -> str:
        return "".join(self.tokens)


def _entry_order(entry: Entry) -> tuple[int, int, str]:
    return (-entry.df, len(entry.tokens), "".join(entry.tokens))


class SortedTerms:
    """Terms in sorted order, kept in one string (a newline after each) with the offsets of
    their starts and their document frequencies in flat arrays: far smaller than a list of
    strings, and a prefix is a contiguous run found by bisection."""

    def __init__(self, dfs: Iterable[tuple[str, int]]) -> None:
        pairs = sorted(dfs)
        self.text = "".join(f"{term}\n" for term, _ in pairs)
        starts = array("I", [0])
        for term, _ in pairs:
            starts.append(starts[-1] + len(term) + 1)
        self.starts = starts
        self.dfs = array("I", (df for _, df in pairs))

    def __len__(self) -> int:
        return len(self.dfs)

    def term(self, i: int) -> str:
        return self.text[self.starts[i] : self.starts[i + 1] - 1]

    def with_prefix(self, prefix: str, limit: int) -> list[tuple[str, int]]:
        """(term, df) of the terms beginning with ``prefix``, the ``limit`` most frequent."""
        everything = range(len(self))
        lo = bisect_left(everything, prefix, key=self.term)
        hi = bisect_left(everything, prefix + _LAST, lo, key=self.term)
        best = sorted(zip(self.dfs[lo:hi], range(lo, hi), strict=True), reverse=True)
        return [(self.term(i), df) for df, i in best[:limit]]


class _Edges:
    """The look-ups behind :meth:`Vocabulary.starting` and friends (built with the
    vocabulary; on first use for one saved before them)."""

    def __init__(self, dfs: dict[str, int]) -> None:
        self.forward = SortedTerms(dfs.items())
        self.backward = SortedTerms((term[::-1], df) for term, df in dfs.items())
        # Terms of three characters or more, for a piece of two or more lying inside one.
        self.long = "".join(f"{term}\n" for term in dfs if len(term) > 2)


def _most_frequent(found: Iterable[tuple[str, int]], limit: int) -> tuple[str, ...]:
    ranked = sorted(found, key=lambda p: (-p[1], p[0]))
    return tuple(term for term, _ in ranked[:limit])


@dataclass
class Vocabulary:
    title: dict[str, int] = field(default_factory=dict)
    body: dict[str, int] = field(default_factory=dict)
    phrases: dict[Tokens, int] = field(default_factory=dict)
    full: dict[str, list[Entry]] = field(default_factory=dict)
    initials: dict[str, list[Entry]] = field(default_factory=dict)
    _wildcards: dict[str, list[Entry]] | None = field(default=None, repr=False)
    _edges: _Edges | None = field(default=None, repr=False, compare=False)

    def df(self, term: str) -> int:
        """Documents holding ``term`` in the title or the body (the larger of the two counts)."""
        return max(self.title.get(term, 0), self.body.get(term, 0))

    def __contains__(self, term: object) -> bool:
        return isinstance(term, str) and (term in self.title or term in self.body)

    def __len__(self) -> int:
        return len(self.title.keys() | self.body.keys())

    def spelled(self, latin: str) -> list[Entry]:
        """Words and title phrases whose full pinyin is ``latin`` or, failing that, whose
        initials are (three to :data:`MAX_INITIALS` letters: two are too ambiguous), most
        frequent first, one entry per text."""
        key = latin.lower()
        found = self.full.get(key, [])
        if not found and MIN_INITIALS <= len(key) <= MAX_INITIALS:
            found = self.initials.get(key, [])
        return list({e.text: e for e in found}.values())

    def same_pinyin(self, text: str) -> list[Entry]:
        """Entries other than ``text`` itself, of its length, that read like it."""
        seen: dict[str, Entry] = {}
        for full, _ in spellings(text):
            for entry in self.full.get(full, []):
                if entry.text != text and len(entry.text) == len(text):
                    seen.setdefault(entry.text, entry)
        return sorted(seen.values(), key=lambda e: -e.df)

    def phrase_count(self, first: str, second: str) -> int:
        """Titles in which word ``first`` is followed by word ``second``."""
        if not first or not second:
            return 0
        return self.phrases.get((first, second), 0)

    def one_char_apart(self, text: str, i: int) -> list[Entry]:
        """Words of three characters or more that differ from ``text`` only at position ``i``
        (an index built on first use: each word under each of its positions blanked)."""
        if self._wildcards is None:
            index: dict[str, list[Entry]] = {}
            for term in self.title.keys() | self.body.keys():
                if 3 <= len(term) <= MAX_WORD_CHARS and is_han(term):
                    entry = Entry((term,), self.df(term))
                    if term in self.title or entry.df >= MIN_BODY_DF:
                        for k in range(len(term)):
                            index.setdefault(term[:k] + "?" + term[k + 1 :], []).append(entry)
            self._wildcards = index
        return [
            e for e in self._wildcards.get(text[:i] + "?" + text[i + 1 :], []) if e.text != text
        ]

    def _edge_index(self) -> _Edges:
        if self._edges is None:
            dfs = dict(self.body)
            for term, df in self.title.items():
                if df > dfs.get(term, 0):
                    dfs[term] = df
            self._edges = _Edges(dfs)
        return self._edges

    def starting(self, piece: str, limit: int = MAX_EXPANSIONS) -> tuple[str, ...]:
        """Terms (title or body) that begin with ``piece``, ``piece`` itself included when it
        is a term; the ``limit`` most frequent, most frequent first."""
        if not piece:
            return ()
        return _most_frequent(self._edge_index().forward.with_prefix(piece, limit), limit)

    def ending(self, piece: str, limit: int = MAX_EXPANSIONS) -> tuple[str, ...]:
        """Terms that end with ``piece`` (as :meth:`starting`)."""
        if not piece:
            return ()
        found = self._edge_index().backward.with_prefix(piece[::-1], limit)
        return _most_frequent(((term[::-1], df) for term, df in found), limit)

    def containing(self, piece: str, limit: int = MAX_EXPANSIONS) -> tuple[str, ...]:
        """Terms longer than ``piece`` that hold it (a piece of two characters or more; one
        character would hold half the vocabulary), as :meth:`starting`."""
        if len(piece) < 2:
            return ()
        edges = self._edge_index()
        text, found = edges.long, {}
        at = text.find(piece)
        while at >= 0:
            start, end = text.rfind("\n", 0, at) + 1, text.find("\n", at)
            term = text[start:end]
            found[term] = self.df(term)
            at = text.find(piece, end)
        found.pop(piece, None)
        return _most_frequent(found.items(), limit)

    @classmethod
    def build(cls, titles: Iterable[str], engine: Engine) -> Vocabulary:
        """The vocabulary of an archive whose titles are ``titles`` and whose index is
        ``engine``."""
        vocab = cls(engine.term_counts("title"), engine.term_counts("body"))
        phrases: Counter[Tokens] = Counter()
        for title in titles:
            words = analysis.words(title)
            han = [is_han(w) for w in words]
            seen = set()
            for size in PHRASE_SIZES:
                for i in range(len(words) - size + 1):
                    if all(han[i : i + size]):
                        gram = tuple(words[i : i + size])
                        if sum(map(len, gram)) <= MAX_WORD_CHARS:
                            seen.add(gram)
            phrases.update(seen)
        vocab.phrases = dict(phrases)
        entries = [
            Entry((term,), vocab.df(term))
            for term in vocab.title.keys() | vocab.body.keys()
            if 2 <= len(term) <= MAX_WORD_CHARS
            and is_han(term)
            and (term in vocab.title or vocab.body[term] >= MIN_BODY_DF)
        ]
        entries += [Entry(gram, df) for gram, df in phrases.items()]
        full: dict[str, list[Entry]] = {}
        short: dict[str, list[Entry]] = {}
        for entry in entries:
            for spelled, initial in spellings("".join(entry.tokens)):
                full.setdefault(spelled, []).append(entry)
                short.setdefault(initial, []).append(entry)
        for index in (full, short):
            for found in index.values():
                if len(found) > 1:
                    found.sort(key=_entry_order)
        vocab.full, vocab.initials = full, short
        vocab._edge_index()
        return vocab


# -- one per process and archive state ------------------------------------------------------


@dataclass
class _Cached:
    stamp: tuple[int, int, int]
    built: float
    vocabulary: Vocabulary
    mtime: float = 0.0  # of the saved file this process last wrote or read


_lock = threading.Lock()
_cache: dict[tuple[str, str], _Cached] = {}
_seen = threading.local()  # per thread: cache key -> (archive, Archive.version()) last checked


def vocabulary_for(archive: Archive, engine: Engine) -> Vocabulary:
    """The vocabulary of ``archive`` as indexed by ``engine``, shared by every thread that
    searches the same index; loaded or built on first use and renewed when the archive has
    changed, but not more often than every :data:`REBUILD_INTERVAL` seconds.

    A search waits for a build only when there is no vocabulary at all (neither in this
    process nor saved beside the index). Otherwise the one in hand answers while a
    renewal runs in a thread of its own (:func:`_renew_in_background`): a long-lived server
    never makes a reader wait the seconds a build takes at 100,000 documents. An import
    builds and saves it at its end (:func:`refresh`), so usually there is nothing to renew.

    A search pays nothing while the archive is unchanged: :meth:`Archive.version` (no table
    read) tells this connection nothing happened; only then is :meth:`Archive.membership` read."""
    key = _key(engine)
    version = archive.version()
    seen: dict[tuple[str, str], tuple[int, tuple[int, int]]] = _seen.__dict__.setdefault(
        "versions", {}
    )
    with _lock:
        cached = _cache.get(key)
        if cached is not None and seen.get(key) == (id(archive), version):
            return cached.vocabulary
        stamp = _stamp(archive)
        now = time.monotonic()
        if cached is None or (cached.stamp != stamp and _saved_since(engine, cached)):
            saved = _load(engine)
            if saved is not None:  # saved by an import (or another process): use it
                saved_stamp, vocab, age = saved
                cached = _cache[key] = _Cached(saved_stamp, now - age, vocab, _mtime(engine))
        if cached is None:  # nothing to answer with: build now
            vocab = Vocabulary.build(archive.titles(), engine)
            _save(engine, stamp, vocab)
            cached = _cache[key] = _Cached(stamp, now, vocab, _mtime(engine))
        elif cached.stamp != stamp and now - cached.built >= REBUILD_INTERVAL:
            _renew_in_background(key, archive.root, engine)
        if cached.stamp == stamp:
            seen[key] = (id(archive), version)
        return cached.vocabulary


def refresh(archive: Archive, engine: Engine) -> Vocabulary:
    """Build the vocabulary of ``archive`` now and save it beside the index (what an import
    does at its end, so that no reader has to)."""
    stamp = _stamp(archive)
    vocab = Vocabulary.build(archive.titles(), engine)
    _save(engine, stamp, vocab)
    with _lock:
        _cache[_key(engine)] = _Cached(stamp, time.monotonic(), vocab, _mtime(engine))
    return vocab


def _stamp(archive: Archive) -> tuple[int, int, int]:
    """What the vocabulary depends on: which documents there are (a status or date changed by
    staff leaves it as it is; an edited title calls :func:`refresh`)."""
    count, last = archive.membership()
    return (count, 0, last)


def _after_fork_in_child() -> None:
    """A process forked while another thread held the lock or was renewing (a server's master
    forks its workers) starts with a free lock and no renewal of its own under way."""
    global _lock
    _lock = threading.Lock()
    _renewing.clear()


os.register_at_fork(after_in_child=_after_fork_in_child)


def _key(engine: Engine) -> tuple[str, str]:
    return (engine.name, str(getattr(engine, "path", id(engine))))


_renewing: set[tuple[str, str]] = set()


def _renew_in_background(key: tuple[str, str], root: Path, engine: Engine) -> None:
    """Start building a fresh vocabulary in a thread (one at a time per index), with a
    connection of its own; the old one answers until it is done. Called with ``_lock``."""
    if key in _renewing:
        return
    _renewing.add(key)
    # Marked as just built, so the next searches do not start another renewal meanwhile.
    old = _cache[key]
    _cache[key] = _Cached(old.stamp, time.monotonic(), old.vocabulary, old.mtime)

    def renew() -> None:
        try:
            with Archive.open(root, readonly=True) as archive:
                refresh(archive, engine)
        except Exception:  # the old vocabulary keeps answering; the next change retries
            pass
        finally:
            with _lock:
                _renewing.discard(key)

    threading.Thread(target=renew, name="gongkai-vocabulary", daemon=True).start()


def _mtime(engine: Engine) -> float:
    path = cache_path(engine)
    try:
        return path.stat().st_mtime if path is not None else 0.0
    except OSError:
        return 0.0


def _saved_since(engine: Engine, cached: _Cached) -> bool:
    """Whether a vocabulary was saved beside the index after ``cached`` was (one stat)."""
    return _mtime(engine) > cached.mtime


def cache_path(engine: Engine) -> Path | None:
    """Where the vocabulary of ``engine``'s index is saved (beside the index directory)."""
    path = getattr(engine, "path", None)
    if path is None:
        return None
    return Path(path).parent / f"{engine.name}-vocabulary.pickle"


def _load(engine: Engine) -> tuple[tuple[int, int, int], Vocabulary, float] | None:
    """The saved vocabulary with the archive state it was built from and its age in seconds,
    or None. The file lives in the data directory, which is trusted as much as the archive
    database beside it."""
    path = cache_path(engine)
    try:
        if path is None or not path.exists():
            return None
        age = max(time.time() - path.stat().st_mtime, 0.0)
        with path.open("rb") as fh:
            saved_stamp, vocab = pickle.load(fh)
    except (OSError, pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError):
        return None
    if not isinstance(vocab, Vocabulary):
        return None
    return tuple(saved_stamp), vocab, age


def _save(engine: Engine, stamp: tuple[int, int, int], vocab: Vocabulary) -> None:
    """Save for the next process; a read-only or full disk only costs the next one a build."""
    path = cache_path(engine)
    if path is None:
        return
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    try:
        with tmp.open("wb") as fh:
            pickle.dump((stamp, vocab), fh, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)
    except OSError:
        tmp.unlink(missing_ok=True)
