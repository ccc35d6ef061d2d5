"""The SQL behind version chains: each document's comparable title and agency, and the
relations a manifest row claims.

Versions of one regulation share a title once the 修订/修正/试行 and year markers are taken
off (:func:`indexer.versioning.version_key` makes the key); finding the other versions of a
newly imported document is then one look-up on an index (``version_keys_title``), never a
pass over the archive. A manifest row may say what its document supersedes, amends or
repeals; the claim is kept under every key its value could match (文号, 索引号, id, title) so
that a target imported in a later run finds the claims naming it the same way.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from archive.chunks import in_chunks
from archive.schema import tables
from archive.store import Archive


@dataclass(frozen=True)
class VersionKey:
    """A document's title and agency in comparable form."""

    doc_id: str
    title_key: str
    agency_key: str


@dataclass(frozen=True)
class Claim:
    """A manifest row's word: ``src`` ``type`` (supersedes/amends/repeals) the document named
    by ``value`` (文号, 索引号, id or title)."""

    src: str
    type: str
    value: str


class VersionIndex:
    """``version_keys`` and ``manifest_claims`` of one :class:`~archive.store.Archive`."""

    def __init__(self, archive: Archive) -> None:
        self.archive = archive
        self.conn = archive.conn
        row = True if "version_keys" in tables(self.conn) else None
        #: False for a read-only archive written by a Gongkai older than version chains.
        self.available = row is not None

    def set_keys(self, keys: Iterable[VersionKey]) -> None:
        """Keep (or replace) the keys of these documents."""
        with self.archive.transaction():
            self.conn.executemany(
                "INSERT INTO version_keys (doc_id, title_key, agency_key) VALUES (?, ?, ?) "
                "ON CONFLICT(doc_id) DO UPDATE SET title_key = excluded.title_key, "
                "agency_key = excluded.agency_key",
                [(k.doc_id, k.title_key, k.agency_key) for k in keys],
            )

    def linked(self, ids: Iterable[str], rel_type: str) -> set[tuple[str, str]]:
        """(src, dst) of every relation of ``rel_type`` (in any state) from one of ``ids``:
        what the version linker would otherwise ask pair by pair (a round trip each on
        PostgreSQL), one statement per chunk."""
        pairs: set[tuple[str, str]] = set()
        for chunk, marks in in_chunks(sorted(set(ids))):
            rows = self.conn.execute(
                f"SELECT src, dst FROM relations WHERE type = ? AND src IN ({marks})",
                (rel_type, *chunk),
            )
            pairs.update((str(r[0]), str(r[1])) for r in rows)
        return pairs

    def same_title(self, title_keys: Iterable[str]) -> dict[str, list[VersionKey]]:
        """The documents under each of ``title_keys`` (indexed look-ups), by key."""
        values = [k for k in dict.fromkeys(title_keys) if k]
        found: dict[str, list[VersionKey]] = {}
        if not self.available:
            return found
        for chunk, marks in in_chunks(values):
            rows = self.conn.execute(
                "SELECT doc_id, title_key, agency_key FROM version_keys "
                f"WHERE title_key IN ({marks}) ORDER BY doc_id",
                chunk,
            )
            for row in rows:
                key = VersionKey(row[0], row[1], row[2])
                found.setdefault(key.title_key, []).append(key)
        return found

    def replace_claims(self, src: str, claims: Iterable[tuple[Claim, Iterable[str]]]) -> None:
        """The claims of ``src``'s manifest row, each under its keys (replaced on relink)."""
        with self.archive.transaction():
            self.conn.execute("DELETE FROM manifest_claims WHERE src = ?", (src,))
            self.conn.executemany(
                "INSERT INTO manifest_claims (src, type, value, value_key) VALUES (?, ?, ?, ?)",
                [
                    (claim.src, claim.type, claim.value, key)
                    for claim, keys in claims
                    for key in dict.fromkeys(keys)
                ],
            )

    def claims_naming(self, keys: Iterable[str]) -> list[Claim]:
        """Claims (of any document) filed under one of ``keys``."""
        values = [k for k in dict.fromkeys(keys) if k]
        found: dict[Claim, None] = {}
        if not self.available:
            return []
        for chunk, marks in in_chunks(values):
            rows = self.conn.execute(
                "SELECT src, type, value FROM manifest_claims "
                f"WHERE value_key IN ({marks}) ORDER BY id",
                chunk,
            )
            for row in rows:
                found[Claim(row[0], row[1], row[2])] = None
        return list(found)
