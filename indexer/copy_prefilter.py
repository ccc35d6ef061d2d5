"""Which new files cannot be copies, told in memory: the copy check's first look during a
large import.

The copy check (:class:`indexer.near_duplicates.CopyFinder`) asks the archive, for every new
file, which documents share its text hash or one of its LSH bucket keys. Nearly every answer
is "none": a file is a new document. On PostgreSQL each such question is a round trip and a
planned statement, about 0.6 ms, 12 s of a 20,000-document import. :class:`KnownPrints`
holds every fingerprinted text's hash and every bucket key the archive has (8 bytes each, in
sorted NumPy arrays: 14 MB at 100,000 documents), so a file that shares none of them is known
to be no copy without asking; only the rest are asked as before, so what is found is the
same.

It is a filter that may say "perhaps" wrongly, never "no" wrongly, as long as it is told of
every fingerprint written while it lives (:meth:`KnownPrints.note`). It lives for one import
run, which holds the data directory's write lock: the run is the only writer, and its commit
stage, the only place documents are added, notes each one. A group rolled back leaves notes of
documents that are no longer there: they only cost a question.
"""

from __future__ import annotations

import numpy as np

from archive.fingerprints import Fingerprints

#: Hex digits of a text hash kept (60 bits: a false "perhaps" about once in 10¹⁸ pairs).
_HASH_DIGITS = 15


def _hash_key(text_hash: str) -> int:
    return int(text_hash[:_HASH_DIGITS], 16)


def _stored_keys(hashes: list[str]) -> list[int]:
    """The keys of stored hashes; one that is not hex (a damaged row) is left out: no new
    file's hash can equal it."""
    keys = []
    for text_hash in hashes:
        try:
            keys.append(_hash_key(text_hash))
        except (TypeError, ValueError):
            continue
    return keys


def _sorted(chunks: list[np.ndarray]) -> np.ndarray:
    keys = np.concatenate(chunks) if chunks else np.empty(0, dtype=np.int64)
    return np.unique(keys)  # sorted, once each


def _holds(keys: np.ndarray, wanted: np.ndarray) -> bool:
    if not len(keys) or not len(wanted):
        return False
    at = np.searchsorted(keys, wanted)
    at[at == len(keys)] = 0
    return bool(np.any(keys[at] == wanted))


class KnownPrints:
    """The text hashes and bucket keys of the archive's fingerprints, for
    :meth:`may_match`; those written later are added by :meth:`note`."""

    def __init__(self, hashes: np.ndarray, buckets: np.ndarray) -> None:
        self.hashes = hashes
        self.buckets = buckets
        self.noted_hashes: set[int] = set()
        self.noted_buckets: set[int] = set()

    @classmethod
    def load(cls, store: Fingerprints) -> KnownPrints:
        """Read every hash and bucket key of ``store`` (a few chunked, indexed reads)."""
        hashes = [np.array(_stored_keys(chunk), dtype=np.int64) for chunk in store.text_hashes()]
        buckets = [np.array(chunk, dtype=np.int64) for chunk in store.bucket_keys()]
        return cls(_sorted(hashes), _sorted(buckets))

    def note(self, text_hash: str, buckets: tuple[int, ...]) -> None:
        """A fingerprint written since :meth:`load` (a document the run added)."""
        self.noted_hashes.add(_hash_key(text_hash))
        self.noted_buckets.update(buckets)

    def may_match(self, text_hash: str, buckets: tuple[int, ...]) -> bool:
        """False when no archived document shares the text hash or a bucket key: the file
        is certainly not a copy. True: perhaps, ask the archive."""
        key = _hash_key(text_hash)
        if key in self.noted_hashes or not self.noted_buckets.isdisjoint(buckets):
            return True
        if _holds(self.hashes, np.array([key], dtype=np.int64)):
            return True
        return _holds(self.buckets, np.array(buckets, dtype=np.int64))

    def __len__(self) -> int:
        return len(self.hashes) + len(self.noted_hashes)
