"""Copies at import: the same document re-saved (GBK, other line breaks, an HTML page with
its site's navigation) must not become a second document that clutters search (issue 17).

Each document's text is normalised — the project's folding (:func:`indexer.normalize.fold`:
full-width forms, case, radicals, traditional → simplified) with whitespace, line breaks,
punctuation and control characters dropped — and fingerprinted twice:

- the SHA-256 of the normalised text: a file whose normalised text equals an archived
  document's is a copy (``same-text``);
- a MinHash signature of its character 5-grams, with locality-sensitive hashing (LSH) bucket
  keys: a file whose estimated Jaccard similarity with an archived document is at least
  :data:`THRESHOLD` is a near copy (``near``: a few characters changed, a footer left in).

A match whose published metadata disagrees (both have a 文号, an issue date or a published
validity, and they differ) is not a copy: a revised regulation shares most of its text with
the old version and is a document of its own.

The MinHash is one-permutation hashing (Li, Owen & Zhang 2012) with rotation densification
(Shrivastava & Li 2014): every 5-gram is hashed once, its hash picks one of :data:`BINS` bins
and the bin keeps its smallest value; bins left empty (short texts) borrow from the next full
one. That is one vectorised pass over the text (about 1 ms for a 6,000-character regulation)
instead of :data:`BINS` passes. ``datasketch`` (MIT) installs here and does the classic
k-permutation MinHash, but it needs SciPy besides NumPy (40 MB more for nothing used here)
and hashes each shingle with SHA-1 in a Python loop (tens of ms per document), and its LSH
index lives in memory or Redis/Cassandra; ours must persist in the archive. So this module
keeps ~100 lines of MinHash on NumPy, and the signatures and bucket keys are stored by
:class:`archive.fingerprints.Fingerprints`, so the index survives across runs and
processes. Fingerprints are computed in the import's worker processes with the rest of the
document's preparation (:class:`indexer.items.Prepared`); documents archived before this
module are fingerprinted by the next import (:meth:`CopyFinder.fill_missing`).
"""

from __future__ import annotations

import hashlib
import unicodedata
from dataclasses import dataclass

import numpy as np

from archive import Archive, Document
from archive.fingerprints import NEAR, SAME_TEXT, CopyRecord, Fingerprints
from archive.vocab import UNKNOWN
from indexer.copy_prefilter import KnownPrints
from indexer.normalize import fold

#: MinHash bins (the signature's length) and the LSH banding: BANDS bands of ROWS bins each.
#: With 16 x 8 a pair of similarity 0.85 shares a bucket with probability 0.99, one of 0.5
#: with 0.06 (then compared, and rejected, by its signature).
BINS, BANDS, ROWS = 128, 16, 8
#: Characters per shingle.
SHINGLE = 5
#: Estimated Jaccard similarity of the 5-gram sets at or above which a file is a near copy.
THRESHOLD = 0.85
#: Normalised texts shorter than this are never matched (an empty body, a one-line 附件 would
#: otherwise make unrelated documents copies of each other); shorter than NEAR_MIN_CHARS,
#: only exact copies are (a signature of a few dozen shingles is too rough).
MIN_CHARS, NEAR_MIN_CHARS = 30, 200
#: The copy check reads the archive's fingerprints into memory once it has checked one file
#: for every PREFILTER_SHARE archived documents (reading costs about that many questions).
PREFILTER_SHARE = 25

_EMPTY = np.uint32(0xFFFFFFFF)
_MIX = [
    np.uint64(m)
    for m in (
        0x9E3779B97F4A7C15,
        0xC2B2AE3D27D4EB4F,
        0x165667B19E3779F9,
        0xD6E8FEB86659FD93,
        0xFF51AFD7ED558CCD,
        0xC4CEB9FE1A85EC53,
    )
]


class _DropTable(dict[int, int | None]):
    """A str.translate table dropping whitespace, line breaks, punctuation and control and
    format characters (category Z*, P*, C*), computed on demand."""

    def __missing__(self, code: int) -> int | None:
        result = None if unicodedata.category(chr(code))[0] in "ZPC" else code
        self[code] = result
        return result


_DROP = _DropTable()


def normalised_text(text: str) -> str:
    """``text`` as copies are compared: folded (:func:`indexer.normalize.fold`), without
    whitespace, line breaks, punctuation or control characters."""
    return fold(text).translate(_DROP)


@dataclass(frozen=True)
class Fingerprint:
    """A text's fingerprint: the hash of its normalised text, how long that is, and (for a
    text long enough) its MinHash signature and LSH bucket keys."""

    text_hash: str
    length: int
    minhash: bytes = b""
    buckets: tuple[int, ...] = ()

    def stored(self) -> tuple[str, bytes, tuple[int, ...]]:
        """What the archive keeps of it (``Archive.add(fingerprint=…)``)."""
        return (self.text_hash, self.minhash, self.buckets)


def fingerprint(text: str) -> Fingerprint:
    """The :class:`Fingerprint` of a document's text."""
    norm = normalised_text(text)
    text_hash = hashlib.sha256(norm.encode("utf-8")).hexdigest()
    if len(norm) < NEAR_MIN_CHARS:
        return Fingerprint(text_hash, len(norm))
    signature = _minhash(norm)
    return Fingerprint(text_hash, len(norm), signature.tobytes(), _buckets(signature))


def _minhash(norm: str) -> np.ndarray:
    """One-permutation MinHash of the 5-grams of ``norm`` (at least :data:`SHINGLE` long)."""
    points = np.frombuffer(norm.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    count = len(points) - SHINGLE + 1
    hashes = np.zeros(count, dtype=np.uint64)
    shift = np.uint64(29)
    with np.errstate(over="ignore"):
        for j in range(SHINGLE):  # a 64-bit hash of each 5-gram, mixed as it grows
            hashes ^= points[j : j + count] * _MIX[j]
            hashes *= _MIX[j + 1]
            hashes ^= hashes >> shift
    bins = (hashes & np.uint64(BINS - 1)).astype(np.intp)
    values = (hashes >> np.uint64(32)).astype(np.uint32)
    signature = np.full(BINS, _EMPTY, dtype=np.uint32)
    np.minimum.at(signature, bins, values)
    full = np.flatnonzero(signature != _EMPTY)
    if len(full) < BINS:  # rotation densification: an empty bin borrows from the next full one
        for empty in np.flatnonzero(signature == _EMPTY):
            ahead = full[full > empty]
            source = int(ahead[0]) if len(ahead) else int(full[0])
            distance = (source - empty) % BINS
            signature[empty] = (int(signature[source]) + distance * 0x9E3779B1) % 0xFFFFFFFF
    return signature


def _buckets(signature: np.ndarray) -> tuple[int, ...]:
    """One bucket key per band: a signed 64-bit hash of the band number and its bins."""
    keys = []
    for band in range(BANDS):
        rows = signature[band * ROWS : (band + 1) * ROWS].tobytes()
        digest = hashlib.blake2b(rows, digest_size=8, salt=band.to_bytes(16, "little")).digest()
        keys.append(int.from_bytes(digest, "little", signed=True))
    return tuple(keys)


def similarity(a: bytes, b: bytes) -> float:
    """Estimated Jaccard similarity of two texts' 5-gram sets, from their signatures."""
    first = np.frombuffer(a, dtype=np.uint32)
    second = np.frombuffer(b, dtype=np.uint32)
    if len(first) != BINS or len(second) != BINS:
        return 0.0
    return float(np.count_nonzero(first == second)) / BINS


@dataclass(frozen=True)
class Match:
    """The archived document a new file copies."""

    doc_id: str
    title: str
    match: str  # SAME_TEXT or NEAR
    similarity: float

    @property
    def reason(self) -> str:
        if self.match == SAME_TEXT:
            return f"same text as {self.doc_id} 《{self.title}》"
        return f"near copy ({self.similarity:.0%} similar) of {self.doc_id} 《{self.title}》"


class CopyFinder:
    """Finds, among the archived documents, the one a newly built document copies, and keeps
    the copy's original as a copy of it. Works on the archive's connection, so documents
    added earlier in the same (uncommitted) group are found too."""

    def __init__(self, archive: Archive, *, threshold: float = THRESHOLD) -> None:
        self.archive = archive
        self.store = Fingerprints(archive)
        self.threshold = threshold
        #: Held in memory once enough files were checked to pay for reading it (a run that
        #: checks :data:`PREFILTER_SHARE` times fewer files than the archive holds asks the
        #: archive about each): see :mod:`indexer.copy_prefilter`.
        self.known: KnownPrints | None = None
        self.checked = 0
        self.load_after: int | None = None

    def fill_missing(self) -> int:
        """Fingerprint the documents that have none (archived before fingerprints, or by
        another path); how many. A few ms a document, once."""
        done = 0
        for rows in self.store.unfingerprinted():
            with self.archive.transaction():
                for doc_id, text in rows:
                    self.remember(doc_id, fingerprint(text))
            done += len(rows)
        return done

    def remember(self, doc_id: str, print_: Fingerprint) -> None:
        """Store the fingerprint of the archived document ``doc_id``."""
        self.store.put(doc_id, print_.text_hash, print_.minhash, print_.buckets)
        self.noted(print_)

    def noted(self, print_: Fingerprint) -> None:
        """``print_`` was written to the archive by another path (``Archive.add`` with the
        document): :meth:`find` must not rule it out."""
        if self.known is not None:
            self.known.note(print_.text_hash, print_.buckets)

    def _could_match(self, print_: Fingerprint) -> bool:
        if self.load_after is None:
            self.load_after = self.store.count() // PREFILTER_SHARE
        self.checked += 1
        if self.known is None and self.checked > self.load_after:
            self.known = KnownPrints.load(self.store)
        return self.known is None or self.known.may_match(print_.text_hash, print_.buckets)

    def find(self, doc: Document, print_: Fingerprint) -> Match | None:
        """The archived document ``doc`` copies (same normalised text, or similar at least
        :attr:`threshold`), or None. Documents whose 文号 or issue date disagree with
        ``doc``'s are never its copies."""
        if print_.length < MIN_CHARS or not self._could_match(print_):
            return None
        same, signatures = self.store.candidates(
            print_.text_hash, print_.buckets if print_.minhash else ()
        )
        for found in self.archive.get_many(same).values() if same else ():
            if _agrees(doc, found):
                return Match(found.id, found.title, SAME_TEXT, 1.0)
        if not print_.minhash:
            return None
        scored = sorted(
            (
                (similarity(print_.minhash, signature), doc_id)
                for doc_id, signature in signatures.items()
            ),
            reverse=True,
        )
        close = [(score, doc_id) for score, doc_id in scored if score >= self.threshold]
        if not close:
            return None
        docs = self.archive.get_many([doc_id for _, doc_id in close])
        for score, doc_id in close:
            near = docs.get(doc_id)
            if near is not None and _agrees(doc, near):
                return Match(near.id, near.title, NEAR, score)
        return None

    def keep(
        self,
        match: Match,
        doc: Document,
        data: bytes,
        sha256: str,
        *,
        actor: str,
        run_id: int | None = None,
        path: str = "",
    ) -> None:
        """Keep ``data`` (the copy's original bytes) in the store and record it as a copy of
        ``match.doc_id``, in that document's history too. Inside an import group, the group's
        commit makes the original durable with the rest."""
        if not self.archive.originals.holds(sha256, len(data)):
            self.archive.originals.put(
                data, durable=not self.archive.conn.in_transaction, sha256=sha256
            )
        record = CopyRecord(
            sha256=sha256,
            doc_id=match.doc_id,
            match=match.match,
            similarity=match.similarity,
            source_name=doc.source_name,
            size=len(data),
            media_type=doc.media_type,
            run_id=run_id,
            path=path,
        )
        self.store.add_copy(record, actor=actor)


def _agrees(new: Document, old: Document) -> bool:
    """Whether nothing in the two documents' published metadata says they differ: the same
    文号, issue date and published validity where both have one (an old version of a revised
    regulation, 已修改, shares most of its text with the version in force)."""
    pairs = (
        (new.doc_number_norm, old.doc_number_norm),
        (new.date_issued, old.date_issued),
        (_known(new.validity), _known(old.validity)),
    )
    return all(not (a and b and a != b) for a, b in pairs)


def _known(validity: str) -> str:
    return "" if validity == UNKNOWN else validity
