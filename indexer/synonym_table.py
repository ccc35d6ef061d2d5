"""The synonyms a data directory searches with: the shipped table plus its staff entries.

:mod:`indexer.synonyms` holds the reviewed table shipped with Gongkai and the rules for
extending it; :mod:`archive.synonym_entries` stores what staff added. This module joins the
two for one archive, checks a staff change against the table before it is stored (an entry
that would join two shipped groups is refused with the reason), and caches the merged table by
the archive's change counter (:meth:`archive.Archive.version`), so a search pays for the merge
only after the archive changed.
"""

from __future__ import annotations

from archive import Archive
from archive.synonym_entries import StaffSynonym, StaffSynonyms
from indexer.synonyms import Extension, Synonyms, load


def _extension(entry: StaffSynonym) -> Extension:
    return Extension(entry.terms, replace=entry.replace, note=entry.note, domain=entry.domain)


class SynonymTable:
    """Shipped + staff synonyms of one archive; :meth:`current` is what a search uses."""

    def __init__(self, archive: Archive) -> None:
        self.archive = archive
        self.entries = StaffSynonyms(archive)
        self._cached: tuple[tuple[int, int], Synonyms] | None = None

    def current(self) -> Synonyms:
        """The merged table, rebuilt only when the archive changed since the last call."""
        version = self.archive.version()
        if self._cached is not None and self._cached[0] == version:
            return self._cached[1]
        table = load().extended(_extension(e) for e in self.entries.active())
        self._cached = (version, table)
        return table

    def add(
        self, terms: list[str], *, actor: str, note: str = "", replace: bool = False
    ) -> StaffSynonym:
        """Check ``terms`` against the current table, then store them (with history).
        Raises :class:`~indexer.synonyms.SynonymsError` (an InvalidInput) naming the problem."""
        cleaned = [t.strip() for t in terms if t.strip()]
        self.current().extended([Extension(cleaned, replace=replace, note=note)])
        return self.entries.add(cleaned, actor=actor, note=note, replace=replace)

    def remove(self, entry_id: int, *, actor: str, note: str = "") -> StaffSynonym:
        """Withdraw a staff entry (kept, marked removed; recorded in history)."""
        return self.entries.remove(entry_id, actor=actor, note=note)

    def staff_entries(self) -> list[StaffSynonym]:
        """The staff entries in force, oldest first."""
        return self.entries.active()


def entry_lines(rows: list[dict[str, object]]) -> list[str]:
    """Staff entries (``StaffSynonym.to_dict()``) as ``gongkai synonyms list`` prints them."""
    lines = []
    for row in rows:
        kind = "replace" if row["replace"] else "extend"
        terms = "|".join(row["terms"])  # type: ignore[arg-type]
        lines.append(
            f"#{row['id']}  {terms}  ({kind}; {row['actor']}, "
            f"{row['created_at']}){'  ' + str(row['note']) if row['note'] else ''}"
        )
    return lines
