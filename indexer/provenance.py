"""Provenance in reports: the import runs (``gongkai runs``, the last run in ``gongkai stats``)
and where one document came from (``gongkai show --json``: ``provenance``).

The rows are :mod:`archive.runs` and :mod:`archive.fingerprints`; this module puts them in
the shape the CLI prints (``--json``, stable keys) and says them as lines of text, so that the
commands stay a few lines each.

Paths under the imported folder name the offices' folders (``收文/市教育局/…``): staff need them
to trace a document, but the public should not see an archive's internal folder names, so
they appear in the CLI (run by whoever holds the data directory), in the staff-only history on
the document page, and never on public pages or in the public API.
"""

from __future__ import annotations

from archive import Archive
from archive.errors import NotFoundError
from archive.fingerprints import Fingerprints
from archive.runs import Runs

#: The counts a run shows, in this order (keys of :meth:`ImportReport.counts`).
COUNT_KEYS = ("imported", "duplicate", "duplicate-text", "failed", "skipped")


def run_list(archive: Archive, limit: int = 50) -> list[dict[str, object]]:
    """The last ``limit`` runs, newest first: id, times, who, arguments, counts."""
    runs = Runs(archive)
    return [run.to_dict() for run in runs.latest(limit)] if runs.available() else []


def last_run(archive: Archive) -> dict[str, object] | None:
    """The latest run, or None before the first."""
    runs = Runs(archive)
    latest = runs.latest(1) if runs.available() else []
    return latest[0].to_dict() if latest else None


def run_detail(archive: Archive, run_id: int) -> dict[str, object]:
    """One run and its items, each with the title of the document it concerned."""
    runs = Runs(archive)
    run = runs.get(run_id) if runs.available() else None
    if run is None:
        raise NotFoundError(f"no import run {run_id}")
    items = runs.items(run_id)
    docs = archive.get_many(sorted({i.doc_id for i in items if i.doc_id}))
    rows = []
    for item in items:
        row = item.to_dict()
        found = docs.get(item.doc_id)
        row["title"] = found.title if found is not None else ""
        rows.append(row)
    return {**run.to_dict(), "items": rows}


def document_provenance(archive: Archive, doc_id: str) -> dict[str, object]:
    """Where ``doc_id`` came from: every run item that concerned it (with path under the
    imported folder and manifest line) and the copies kept with it."""
    runs = Runs(archive)
    if not runs.available():
        return {"sources": [], "copies": []}
    return {
        "sources": runs.sources(doc_id),
        "copies": [c.to_dict() for c in Fingerprints(archive).copies_of(doc_id)],
    }


# -- in words ---------------------------------------------------------------------------------


def counts_text(counts: dict[str, int]) -> str:
    return ", ".join(f"{key} {counts.get(key, 0)}" for key in COUNT_KEYS)


def run_line(run: dict[str, object]) -> str:
    """One run in a line: ``#3  2026-12-01T10:00:00+00:00 → …  wang  imported 12, …``."""
    ended = run["ended_at"] or "(not finished)"
    counts = run["counts"] if isinstance(run["counts"], dict) else {}
    line = f"#{run['id']}  {run['started_at']} → {ended}  {run['actor']}  {counts_text(counts)}"
    return line + (f"  stopped: {run['stopped']}" if run.get("stopped") else "")


def runs_text(runs: list[dict[str, object]]) -> list[str]:
    return [run_line(r) for r in runs] or ["no import runs yet"]


def sources_text(provenance: dict[str, object]) -> list[str]:
    """Where a document came from, a line per import and per copy kept with it."""
    lines = []
    for source in provenance["sources"]:  # type: ignore[attr-defined]
        where = source["path"] or source["label"]
        row = f"（{source['manifest_row']}）" if source["manifest_row"] else ""
        lines.append(
            f"导入 #{source['run']} {source['started_at']} {source['status']}: {where}{row}"
        )
    for copy in provenance["copies"]:  # type: ignore[attr-defined]
        how = "相同文本" if copy["match"] == "same-text" else f"近似 {copy['similarity']:.0%}"
        lines.append(f"副本（{how}）: {copy['path'] or copy['source_name']}")
    return lines


def run_text(detail: dict[str, object]) -> list[str]:
    """A run, its arguments, then one line per item."""
    lines = [run_line(detail)]
    arguments = detail.get("arguments") or {}
    if isinstance(arguments, dict) and arguments:
        lines.append("arguments: " + ", ".join(f"{k}={v}" for k, v in arguments.items()))
    for item in detail["items"]:  # type: ignore[attr-defined]
        where = item["path"] or item["label"]
        if item["manifest_row"]:
            where += f" ({item['manifest_row']})"
        doc = f"  {item['doc_id']} 《{item['title']}》" if item["doc_id"] else ""
        reason = f"  {item['reason']}" if item["reason"] and not item["doc_id"] else ""
        lines.append(f"  {item['status']:<14} {where}{doc}{reason}")
    return lines


__all__ = [
    "COUNT_KEYS",
    "document_provenance",
    "last_run",
    "run_detail",
    "run_list",
    "run_text",
    "runs_text",
]
