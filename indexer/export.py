"""The metadata catalogue (政府信息公开目录) as CSV, JSONL or XLSX, for staff and other systems.

One row per document: the catalogue's columns (索引号, 名称, 发布机构, 文号, 主题分类, 成文日期,
发文日期, 有效性), the 施行日期, kind and type, the id, the file the original was imported from
(``path``), and the status today with its basis (:class:`indexer.validity_view.ValidityView`,
the answer search and badges give). The column names are the manifest's
(:data:`indexer.manifest.FIELDS`), so ``gongkai import --manifest`` reads an export back: the
status columns are derived and ignored by it (:data:`indexer.manifest.DERIVED`).

Streaming: the archive is read a page at a time (:func:`archive.catalogue.catalogue_pages`),
each page's statuses worked out together and written out, so memory stays constant whatever
the archive's size; XLSX goes through openpyxl's write-only mode.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any, cast

from archive import Archive, Document
from archive.catalogue import CatalogueFilter, catalogue_pages
from archive.csvfile import safe_cell
from archive.errors import InvalidInput
from archive.vocab import UNKNOWN, canonical_validity
from indexer.validity_view import ValidityView

#: The columns, in order; what they mean in the 目录 is :data:`COLUMN_LABELS`.
COLUMNS = (
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
    "kind",
    "doc_type",
    "path",
    "status",
    "status_since",
    "status_basis",
    "status_by",
)
COLUMN_LABELS = {
    "id": "标识",
    "index_number": "索引号",
    "title": "名称",
    "agency": "发布机构",
    "doc_number": "文号",
    "category": "主题分类",
    "date_written": "成文日期",
    "date_issued": "发文日期",
    "date_effective": "施行日期",
    "validity": "有效性（原文）",
    "kind": "类别",
    "doc_type": "文件类型",
    "path": "原件文件名",
    "status": "当前状态",
    "status_since": "状态起始日期",
    "status_basis": "状态依据",
    "status_by": "依据文件",
}
FORMATS = ("csv", "jsonl", "xlsx")


def catalogue(
    archive: Archive,
    chosen: CatalogueFilter | None = None,
    *,
    valid_only: bool = False,
    view: ValidityView | None = None,
    batch: int = 1000,
) -> Iterator[dict[str, str]]:
    """Each chosen document's catalogue row (see :data:`COLUMNS`), in id order; with
    ``valid_only``, only those in force today."""
    view = view or ValidityView(archive)
    for page in catalogue_pages(archive, chosen, batch=batch):
        docs = [Document.from_row({**r, "text": ""}) for r in page]
        statuses = view.statuses(docs)
        for row, doc in zip(page, docs, strict=True):
            status = statuses[doc.id]
            if valid_only and not status.in_force:
                continue
            published = row["validity"] if row["validity"] != UNKNOWN else ""
            if row["validity_raw"] and canonical_validity(row["validity_raw"]) == row["validity"]:
                published = row["validity_raw"]  # as the original says it (现行有效)
            yield {
                **{name: str(row.get(name) or "") for name in COLUMNS[:9]},
                "validity": str(published),
                "kind": str(row["kind"]),
                "doc_type": str(row["doc_type"]),
                "path": str(row["source_name"]),
                "status": status.validity,
                "status_since": status.since,
                "status_basis": status.source,
                "status_by": status.by,
            }


def write_catalogue(
    rows: Iterator[dict[str, str]], fmt: str, out: IO[str] | IO[bytes] | Path
) -> int:
    """Write ``rows`` as ``fmt`` to ``out`` (a text stream for csv/jsonl, a path or binary
    stream for xlsx); returns how many rows were written."""
    if fmt not in FORMATS:
        raise InvalidInput(f"unknown format {fmt!r} (one of {', '.join(FORMATS)})")
    count = 0
    if fmt == "xlsx":
        from openpyxl import Workbook

        book = Workbook(write_only=True)
        sheet = book.create_sheet("目录")
        sheet.append(list(COLUMNS))
        for row in rows:
            sheet.append([_text_cell(sheet, row[name]) for name in COLUMNS])
            count += 1
        book.save(out)
        return count
    if isinstance(out, Path):
        raise InvalidInput(f"{fmt} is written to a text stream")
    text = cast("IO[str]", out)
    if fmt == "csv":
        writer = csv.writer(text)
        writer.writerow(COLUMNS)
        for row in rows:
            writer.writerow([safe_cell(row[name]) for name in COLUMNS])
            count += 1
        return count
    for row in rows:
        text.write(json.dumps(row, ensure_ascii=False) + "\n")
        count += 1
    return count


def _text_cell(sheet: Any, value: str) -> object:
    """``value`` as an XLSX cell of text: openpyxl writes a string as text unless it starts
    with ``=`` (a formula), so only those are made text cells (one object per cell would cost
    several times the time)."""
    if not value.startswith("="):
        return value
    from openpyxl.cell import WriteOnlyCell

    cell = WriteOnlyCell(sheet, value=value)
    cell.data_type = "s"
    return cell


__all__ = ["COLUMNS", "COLUMN_LABELS", "FORMATS", "catalogue", "write_catalogue"]


def export_catalogue(rows: Iterator[dict[str, str]], fmt: str, out: IO[str] | Path) -> int:
    """``gongkai export``: ``rows`` as ``fmt`` to a stream, or to the file ``out`` (a CSV
    with a byte-order mark, which Excel needs to read it as UTF-8). Returns the row count."""
    if not isinstance(out, Path) or fmt == "xlsx":
        return write_catalogue(rows, fmt, out)
    encoding = "utf-8-sig" if fmt == "csv" else "utf-8"
    with out.open("w", encoding=encoding, newline="") as handle:
        return write_catalogue(rows, fmt, handle)
