"""Manifests: a JSONL or CSV file listing documents with their metadata, one row each.

A row names a file (``path``, relative to the manifest) or carries the text inline (``body``),
with any of the fields in :data:`FIELDS`. What a row gives overrides what the header parser
found in the text. Columns not in :data:`FIELDS` are kept in ``Document.extra`` (for example
``region``, ``history``, ``source_repo``). ``doc_type`` — a code or Chinese name (地方性法规,
规章, 部门规章, 规范性文件 …, see :func:`archive.vocab.canonical_doc_type`) — is the document's
type, never inferred again; a value that names no type is only kept in ``extra`` and the type
is inferred. ``supersedes``, ``amends`` and ``repeals`` name (by 文号, 索引号, id or title;
several separated by ；) what the row's document replaces, amends or repeals
(:mod:`indexer.manifest_links`). ``doc_type`` is kept in ``extra`` too and, when no ``kind``
is given, decides the kind (地方性法规 → notice). The file may be UTF-8 (with or without the
BOM Excel writes) or GB18030. A bad row is reported with its line number and reason
(``manifest.csv:17``) and the other rows are imported.

For an inline row the original stored is the body's UTF-8 bytes, so importing the same
manifest again finds every row a duplicate.
"""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Iterator
from pathlib import Path

from archive.csvfile import FORMULA_STARTS
from archive.document import check_doc_id
from archive.errors import InvalidInput
from archive.vocab import (
    VALIDITY,
    canonical_doc_type,
    canonical_kind,
    canonical_validity,
    kind_choices,
)
from indexer.building import apply_meta, build_inline
from indexer.header import parse_date
from indexer.items import FAILED, Item
from indexer.reading import within

FIELDS = (
    "id", "title", "agency", "doc_number", "index_number", "category", "date_written",
    "date_issued", "date_effective", "validity", "kind", "interprets", "path", "body",
    "supersedes", "amends", "repeals",
)  # fmt: skip
DATE_FIELDS = ("date_written", "date_issued", "date_effective")
TEXT_FIELDS = ("title", "agency", "category")
FORMATS = {
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".csv": "csv",
    ".tsv": "tsv",
    ".xlsx": "xlsx",
}
#: Columns of ``gongkai export`` worked out from the archive (the status today and its
#: basis), not metadata: a manifest row's are ignored, so that an export reads back unchanged.
DERIVED = ("status", "status_since", "status_basis", "status_by")
SNIFF_BYTES = 1 << 20


class ManifestError(InvalidInput):
    """The manifest as a whole cannot be read (unknown format, encoding, no header row)."""


def manifest_format(path: Path) -> str:
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise ManifestError(
            f"{path.name}: unknown manifest format {path.suffix or '(none)'} "
            f"(use {', '.join(FORMATS)})"
        )
    return fmt


def detect_encoding(path: Path) -> str:
    """``utf-8-sig`` (BOM), ``utf-8`` or ``gb18030``, from the start of the file.

    Text that is neither counts as UTF-8, so that each undecodable row is reported."""
    with path.open("rb") as handle:
        head = handle.read(SNIFF_BYTES)
    if head.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    if len(head) == SNIFF_BYTES:  # do not judge by a character cut in half
        head = head[: head.rfind(b"\n") + 1] or head[:-4]
    try:
        head.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        head.decode("gb18030")
        return "gb18030"
    except UnicodeDecodeError:
        return "utf-8"  # mostly UTF-8 with bad lines: those rows are reported one by one


def read_rows(path: Path) -> Iterator[tuple[int, dict[str, object] | str]]:
    """(line number, row) for each row of the manifest, or (line number, reason) for a row
    that cannot be read. Streams: the file is never held in memory whole."""
    fmt = manifest_format(path)
    if fmt == "xlsx":
        yield from _xlsx_rows(path)
        return
    encoding = detect_encoding(path)
    if fmt == "jsonl":
        with path.open("rb") as handle:
            for number, raw in enumerate(handle, start=1):
                if number == 1 and encoding == "utf-8-sig":
                    raw = raw.removeprefix(b"\xef\xbb\xbf")
                if not raw.strip():
                    continue
                try:
                    line = raw.decode(encoding.removesuffix("-sig"))
                except UnicodeDecodeError:
                    yield number, f"not valid {encoding.removesuffix('-sig')} text"
                    continue
                try:
                    row = json.loads(line)
                except json.JSONDecodeError as exc:
                    yield number, f"not valid JSON: {exc.msg} (column {exc.colno})"
                    continue
                if not isinstance(row, dict):
                    yield number, "not a JSON object"
                    continue
                yield number, row
        return
    with path.open("r", encoding=encoding, errors="replace", newline="") as handle:
        reader = csv.reader(handle, delimiter="\t" if fmt == "tsv" else ",")
        try:
            header = next(reader)
        except StopIteration:
            raise ManifestError(f"{path.name}: empty manifest (no header row)") from None
        names = [h.strip().lower() for h in header]
        if not any(names):
            raise ManifestError(f"{path.name}: the first row must name the columns")
        start = reader.line_num + 1
        for cells in reader:
            number, start = start, reader.line_num + 1
            if not any(c.strip() for c in cells):
                continue
            if "\ufffd" in "".join(cells):
                yield number, f"not valid {encoding.removesuffix('-sig')} text"
                continue
            if len(cells) > len(names):
                yield number, f"{len(cells)} cells but only {len(names)} columns"
                continue
            yield (
                number,
                {n: _unguarded(c) for n, c in zip(names, cells, strict=False) if n and c != ""},
            )


def _unguarded(cell: str) -> str:
    """A CSV cell as it was before :func:`archive.csvfile.safe_cell` guarded it against
    spreadsheets (``'=x`` → ``=x``), so that an export reads back unchanged."""
    if cell.startswith("'") and cell[1:].startswith(FORMULA_STARTS):
        return cell[1:]
    return cell


def _xlsx_rows(path: Path) -> Iterator[tuple[int, dict[str, object] | str]]:
    """(row number, row) of the first sheet of a workbook, the first row naming the columns;
    read in openpyxl's read-only mode (streamed)."""
    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # zipfile.BadZipFile, KeyError, InvalidFileException …
        raise ManifestError(f"{path.name}: not a readable XLSX workbook ({exc})") from None
    try:
        sheet = book.worksheets[0]
        rows = sheet.iter_rows(values_only=True)
        header = next(rows, None)
        names = [str(h).strip().lower() if h is not None else "" for h in header or ()]
        if not any(names):
            raise ManifestError(f"{path.name}: the first row must name the columns")
        for number, values in enumerate(rows, start=2):
            cells = ["" if v is None else str(v) for v in values]
            if not any(c.strip() for c in cells):
                continue
            if len(cells) > len(names) and any(cells[len(names) :]):
                yield number, f"{len(cells)} cells but only {len(names)} columns"
                continue
            yield number, {n: c for n, c in zip(names, cells, strict=False) if n and c != ""}
    finally:
        book.close()


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return ",".join(str(v) for v in value if v is not None)
    return str(value).strip()


def _has_nul(value: object) -> bool:
    """True when a manifest value (or anything nested in a JSON one) holds a NUL."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    return False


def row_meta(row: dict[str, object]) -> dict[str, object]:
    """Check a row's fields and put them in the form :func:`apply_meta` takes.

    Raises ValueError with the reason for a row that cannot be imported.
    """
    meta: dict[str, object] = {}
    extra: dict[str, object] = {}
    for key, value in row.items():
        key = str(key).strip()
        if _has_nul(key) or _has_nul(value):
            raise ValueError(f"{key or 'a column'} contains a NUL character")
        if key in ("path", "body", *DERIVED) or value is None or value == "":
            continue
        if key not in FIELDS:
            extra[key] = value
            continue
        text = _text(value)
        if not text:
            continue
        if key in DATE_FIELDS:
            date = parse_date(text)
            if not date:
                raise ValueError(f"{key} {text!r} is not a date")
            meta[key] = date
        elif key == "validity":
            canonical = canonical_validity(text)
            if canonical is None:
                raise ValueError(
                    f"validity {text!r} is not a known validity (one of {', '.join(VALIDITY)}, "
                    "or 现行有效, 废止, 已失效 …)"
                )
            meta["validity"], meta["validity_raw"] = canonical, text
        elif key == "kind":
            kind = canonical_kind(text)
            if kind is None:
                raise ValueError(f"kind {text!r} is not a known kind (one of {kind_choices()})")
            meta["kind"] = kind
            typed = canonical_doc_type(text)  # 规章, rule: the type as well
            if typed and "doc_type" not in row:
                meta["doc_type"] = typed
        elif key == "id":
            meta["id"] = check_doc_id(text)
        elif key in ("interprets", "supersedes", "amends", "repeals"):
            # What it names is linked after import (indexer.manifest_links); a JSON list of
            # several is kept as one value separated by ；.
            extra[key] = (
                "；".join(str(v).strip() for v in value if v is not None)
                if isinstance(value, list)
                else text
            )
        else:
            meta[key] = text
    if isinstance(extra.get("doc_type"), str):
        doc_type = canonical_doc_type(str(extra["doc_type"]))
        if doc_type:
            meta["doc_type"] = doc_type
        kind = canonical_kind(str(extra["doc_type"]))
        if kind and "kind" not in meta:
            meta["kind"] = kind
    if extra:
        meta["extra"] = extra
    return meta


def manifest_items(manifest: Path, *, allow_outside: bool = False) -> Iterator[Item]:
    """The :class:`Item` to import for each row of ``manifest`` (bad rows as failed items).

    A row's ``path`` must lead (links followed) into the manifest's folder or below, unless
    ``allow_outside``: a manifest from elsewhere must not import ``/etc/passwd`` or
    ``../../secret``."""
    base = manifest.parent
    roots = [os.path.realpath(base)]
    for number, row in read_rows(manifest):
        label = f"{manifest.name}:{number}"
        if isinstance(row, str):
            yield Item(label, manifest, skip=row, skip_status=FAILED)
            continue
        try:
            meta = row_meta(row)
        except ValueError as exc:
            yield Item(label, manifest, skip=str(exc), skip_status=FAILED)
            continue
        path, body = _text(row.get("path")), row.get("body")
        if path and body:
            yield Item(label, manifest, skip="give path or body, not both", skip_status=FAILED)
        elif path:
            target = base / path
            if not target.exists() and not target.is_symlink():
                yield Item(label, target, skip=f"no such file: {path}", skip_status=FAILED)
                continue
            if not allow_outside and not within(target, roots):
                yield Item(label, target, skip=OUTSIDE_MANIFEST, skip_status=FAILED)
                continue
            meta.setdefault("extra", {})["manifest_row"] = label  # type: ignore[index]
            yield Item(label, target, meta=meta, source_path=path, manifest_row=label)
        elif isinstance(body, str) and body.strip():
            yield Item(label, Path(label), data=body.encode("utf-8"), meta=meta, manifest_row=label)
        else:  # only metadata: it may update an archived document (indexer.editing)
            yield Item(label, manifest, meta=meta, skip=NO_CONTENT, skip_status=FAILED)


NO_CONTENT = "row has neither path nor body"
#: What ``--on-error`` may say: report bad rows and apply the rest, or apply nothing.
ON_ERROR = ("skip", "stop")


class ManifestRowsError(InvalidInput):
    """``--on-error stop`` and some rows are bad: nothing was applied (exit 2)."""


def check_rows(manifest: Path, *, allow_outside: bool = False) -> list[tuple[str, str]]:
    """(label, reason) of each row of ``manifest`` that cannot be applied as it stands (not
    read, bad values, a missing file), without reading any document file. A metadata-only
    row is checked later, against the archive."""
    return [
        (item.label, item.skip)
        for item in manifest_items(manifest, allow_outside=allow_outside)
        if item.skip and item.skip != NO_CONTENT
    ]


def refuse_bad_rows(bad: list[tuple[str, str]]) -> None:
    """For ``--on-error stop``: :class:`ManifestRowsError` naming the first of the ``bad``
    rows (label, reason) and how many there are; nothing has been applied then."""
    if bad:
        label, reason = bad[0]
        more = f" (and {len(bad) - 1} more bad rows)" if len(bad) > 1 else ""
        raise ManifestRowsError(
            f"{label}: {reason}{more}; nothing applied (--on-error skip applies the good rows)"
        )


OUTSIDE_MANIFEST = "path leads outside the manifest's folder (--allow-outside to import it)"


def count_rows(manifest: Path) -> int | None:
    """Roughly how many rows ``manifest`` has (non-blank lines), for a progress bar."""
    if manifest_format(manifest) == "xlsx":
        return None  # a zip: its lines mean nothing
    try:
        with manifest.open("rb") as handle:
            lines = sum(1 for line in handle if line.strip())
    except OSError:
        return None
    return max(lines - (0 if manifest_format(manifest) == "jsonl" else 1), 0)


__all__ = [
    "DERIVED",
    "FIELDS",
    "NO_CONTENT",
    "ON_ERROR",
    "OUTSIDE_MANIFEST",
    "ManifestError",
    "ManifestRowsError",
    "apply_meta",
    "build_inline",
    "check_rows",
    "count_rows",
    "manifest_items",
    "read_rows",
    "refuse_bad_rows",
    "row_meta",
]
