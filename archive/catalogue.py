"""The metadata catalogue (政府信息公开目录) as rows, read in pages: for the catalogue export and
the annual report.

Every document's published metadata without its text, filtered in SQL by agency, kind, type
and issue date, read ``batch`` rows at a time in id order (keyset paging), so that exporting
100,000 documents holds one page in memory, never the archive.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from archive.store import Archive

#: The columns a catalogue row carries (no text).
CATALOGUE_COLUMNS = (
    "id",
    "index_number",
    "title",
    "agency",
    "doc_number",
    "category",
    "date_written",
    "date_issued",
    "date_effective",
    "validity",
    "validity_raw",
    "kind",
    "doc_type",
    "source_name",
    "rev",
)


@dataclass
class CatalogueFilter:
    """Which documents: any of ``agencies`` / ``kinds`` / ``doc_types`` (empty: all), issued
    (发文日期, else 成文日期) from ``date_from`` to ``date_to`` inclusive (YYYY-MM-DD, "" open)."""

    agencies: Sequence[str] = field(default_factory=tuple)
    kinds: Sequence[str] = field(default_factory=tuple)
    doc_types: Sequence[str] = field(default_factory=tuple)
    date_from: str = ""
    date_to: str = ""

    def where(self) -> tuple[list[str], list[object]]:
        clauses: list[str] = []
        params: list[object] = []
        for column, values in (
            ("agency", self.agencies),
            ("kind", self.kinds),
            ("doc_type", self.doc_types),
        ):
            if values:
                clauses.append(f"{column} IN ({', '.join('?' for _ in values)})")
                params.extend(values)
        day = "COALESCE(NULLIF(date_issued, ''), date_written)"
        if self.date_from:
            clauses.append(f"{day} >= ?")
            params.append(self.date_from)
        if self.date_to:
            clauses.append(f"{day} <> '' AND {day} <= ?")
            params.append(self.date_to)
        return clauses, params


def catalogue_pages(
    archive: Archive,
    chosen: CatalogueFilter | None = None,
    *,
    batch: int = 1000,
    text: bool = False,
) -> Iterator[list[dict[str, Any]]]:
    """The chosen documents' catalogue rows (and ``text`` if asked), a page of ``batch`` rows
    at a time, in id order."""
    clauses, params = (chosen or CatalogueFilter()).where()
    columns = ", ".join(CATALOGUE_COLUMNS + (("text",) if text else ()))
    where = " AND ".join(["id > ?", *clauses])
    last = ""
    while True:
        rows = archive.conn.execute(
            f"SELECT {columns} FROM documents WHERE {where} ORDER BY id LIMIT ?",
            [last, *params, batch],
        ).fetchall()
        if not rows:
            return
        yield [dict(r) for r in rows]
        last = rows[-1]["id"]


__all__ = ["CATALOGUE_COLUMNS", "CatalogueFilter", "catalogue_pages"]
