"""Reading the catalogue in pages for machines: the sitemap and OAI-PMH harvesting.

Search engines and harvesters walk every document, over and over, at 100,000 documents and
more. Each page they ask for is therefore one SQL statement over the ``documents`` table that
reads only the small metadata columns (never ``text``), bounded by ``LIMIT``:

- :func:`sitemap_entries` — one sitemap page: ids and ``updated_at``, in id order, by
  ``OFFSET`` (a crawler asks for page *n* directly), and :func:`sitemap_pages` — each page's
  latest change, for the sitemap index; both read only the ``documents_id_updated`` index
  (migration 12), never the rows with their text;
- :func:`harvest_rows` — one OAI-PMH page: the metadata of documents after an id (keyset
  paging, so a token stays valid while documents are added), filtered by the day of
  ``updated_at`` (the OAI datestamp), agency and document type;
- :func:`agencies` and :func:`datestamp_bounds` — the sets and the earliest datestamp.
"""

from __future__ import annotations

from typing import Any

from archive.store import Archive

#: The columns a harvester receives: the catalogue fields, never the text.
HARVEST_COLUMNS = (
    "id",
    "title",
    "agency",
    "doc_number",
    "index_number",
    "category",
    "date_written",
    "date_issued",
    "date_effective",
    "validity",
    "kind",
    "doc_type",
    "rev",
    "updated_at",
)


def sitemap_entries(archive: Archive, *, offset: int, limit: int) -> list[tuple[str, str]]:
    """(id, updated_at) of the documents ``offset`` … ``offset + limit - 1`` in id order."""
    rows = archive.conn.execute(
        f"SELECT id, updated_at FROM documents WHERE {_PUBLIC} ORDER BY id LIMIT ? OFFSET ?",
        (limit, offset),
    )
    return [(r[0], r[1]) for r in rows]


def sitemap_pages(archive: Archive, *, size: int) -> list[str]:
    """The latest ``updated_at`` of each sitemap page of ``size`` documents, page 1 first
    (one pass over the ``documents_id_updated`` index)."""
    rows = archive.conn.execute(
        "SELECT page, MAX(updated_at) FROM (SELECT (ROW_NUMBER() OVER (ORDER BY id) - 1) / ? "
        f"AS page, updated_at FROM documents WHERE {_PUBLIC}) GROUP BY page ORDER BY page",
        (size,),
    )
    return [r[1] for r in rows]


def harvest_rows(
    archive: Archive, *, after: str = "", limit: int = 100, **filters: Any
) -> list[dict[str, Any]]:
    """Up to ``limit`` documents with an id greater than ``after``, in id order, that pass
    ``filters`` (see :func:`_where`). Only :data:`HARVEST_COLUMNS`."""
    where, args = _where(after=after, **filters)
    rows = archive.conn.execute(
        f"SELECT {', '.join(HARVEST_COLUMNS)} FROM documents WHERE {where} ORDER BY id LIMIT ?",
        (*args, limit),
    )
    return [dict(r) for r in rows]


def harvest_count(archive: Archive, **filters: Any) -> int:
    """How many documents pass ``filters``, on every page (the ``completeListSize``)."""
    where, args = _where(**filters)
    return int(
        archive.conn.execute(f"SELECT COUNT(*) FROM documents WHERE {where}", args).fetchone()[0]
    )


#: A withdrawn document (撤回, :mod:`archive.withdrawals`) is in no sitemap and no harvest.
_PUBLIC = "id NOT IN (SELECT doc_id FROM withdrawals)"


def _where(
    *,
    after: str = "",
    since: str = "",
    until: str = "",
    agency: str | None = None,
    any_agency: bool = False,
    doc_type: str | None = None,
    any_doc_type: bool = False,
    ids: list[str] | None = None,
) -> tuple[str, list[Any]]:
    """The WHERE clause: ids after ``after``; ``updated_at`` on or after the day ``since``
    and on or before the day ``until`` (YYYY-MM-DD, "" for no bound); this ``agency`` and
    ``doc_type`` when given, any non-empty one with ``any_agency`` / ``any_doc_type``;
    among ``ids`` when given."""
    where, args = ["id > ?", _PUBLIC], [after]
    if since:
        where.append("substr(updated_at, 1, 10) >= ?")
        args.append(since)
    if until:
        where.append("substr(updated_at, 1, 10) <= ?")
        args.append(until)
    if agency is not None:
        where.append("agency = ?")
        args.append(agency)
    if any_agency:
        where.append("agency != ''")
    if doc_type is not None:
        where.append("doc_type = ?")
        args.append(doc_type)
    if any_doc_type:
        where.append("doc_type != ''")
    if ids is not None:
        where.append(f"id IN ({', '.join('?' for _ in ids)})")
        args.extend(ids)
    return " AND ".join(where), args


def agencies(archive: Archive) -> list[str]:
    """Every non-empty agency of the archive, sorted."""
    rows = archive.conn.execute(
        "SELECT DISTINCT agency FROM documents WHERE agency != '' ORDER BY agency"
    )
    return [r[0] for r in rows]


def doc_types(archive: Archive) -> list[str]:
    """Every non-empty document type in use, sorted."""
    rows = archive.conn.execute(
        "SELECT DISTINCT doc_type FROM documents WHERE doc_type != '' ORDER BY doc_type"
    )
    return [r[0] for r in rows]


def datestamp_bounds(archive: Archive) -> tuple[str, str]:
    """The earliest and latest ``updated_at`` ("" and "" when the archive is empty)."""
    row = archive.conn.execute("SELECT MIN(updated_at), MAX(updated_at) FROM documents").fetchone()
    return (row[0] or "", row[1] or "")
