"""The SQL of import runs: when each ran, who ran it with which arguments, what it counted,
and what became of each of its items with where the item came from.

Provenance (issue 17): a document's source file name alone does not say which office's folder
it came from, which manifest line gave its metadata, or which import brought it. A run row is
written when an import starts (so an interrupted run is still listed, without an end time) and
finished with its counts; its items (``run_items``) are written as the run ends, one per item:
the label the import reported, the path under the imported folder, the manifest line, the
outcome and the document it concerned (imported, or already there, or copied).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field

from archive.schema import tables
from archive.store import Archive, now


@dataclass(frozen=True)
class RunItem:
    """One item of a run: where it came from and what became of it."""

    seq: int
    label: str
    status: str
    doc_id: str = ""
    path: str = ""  # under the imported folder (or the manifest's path column)
    manifest_row: str = ""  # ``manifest.csv:17`` when a manifest row gave the item
    reason: str = ""

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


@dataclass
class Run:
    """One import run."""

    id: int
    started_at: str
    ended_at: str
    actor: str
    arguments: dict[str, object] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    stopped: str = ""

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


class Runs:
    """The import runs of one archive."""

    def __init__(self, archive: Archive) -> None:
        self.archive = archive
        self.conn = archive.conn

    def available(self) -> bool:
        """Whether the archive has the tables (an archive opened read-only before its
        migration to version 11 has not)."""
        found = True if "run_items" in tables(self.conn) else None
        return found is not None

    def start(self, actor: str, arguments: Mapping[str, object]) -> int:
        """Record a run that starts now; its id."""
        with self.archive.transaction():
            cursor = self.conn.execute(
                "INSERT INTO runs (started_at, actor, arguments) VALUES (?, ?, ?)",
                (now(), actor, json.dumps(dict(arguments), ensure_ascii=False)),
            )
        return int(cursor.lastrowid or 0)

    def finish(
        self, run_id: int, counts: Mapping[str, int], items: Iterable[RunItem], stopped: str = ""
    ) -> None:
        """Record the end of run ``run_id``: its counts and its items."""
        with self.archive.transaction():
            self.conn.executemany(
                "INSERT INTO run_items (run_id, seq, label, path, manifest_row, "
                "status, doc_id, reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (run_id, seq) DO UPDATE SET label = excluded.label, "
                "path = excluded.path, manifest_row = excluded.manifest_row, "
                "status = excluded.status, doc_id = excluded.doc_id, reason = excluded.reason",
                [
                    (run_id, i.seq, i.label, i.path, i.manifest_row, i.status, i.doc_id, i.reason)
                    for i in items
                ],
            )
            self.conn.execute(
                "UPDATE runs SET ended_at = ?, counts = ?, stopped = ? WHERE id = ?",
                (now(), json.dumps(dict(counts)), stopped, run_id),
            )

    def get(self, run_id: int) -> Run | None:
        row = self.conn.execute("SELECT * FROM runs WHERE id = ?", (run_id,)).fetchone()
        return _run(row) if row else None

    def latest(self, limit: int = 50) -> list[Run]:
        """The last ``limit`` runs, newest first."""
        rows = self.conn.execute("SELECT * FROM runs ORDER BY id DESC LIMIT ?", (limit,))
        return [_run(r) for r in rows]

    def items(self, run_id: int) -> list[RunItem]:
        """The items of run ``run_id``, in the order the run reported them."""
        rows = self.conn.execute(
            "SELECT seq, label, status, doc_id, path, manifest_row, reason FROM run_items "
            "WHERE run_id = ? ORDER BY seq",
            (run_id,),
        )
        return [RunItem(**dict(r)) for r in rows]

    def sources(self, doc_id: str) -> list[dict[str, object]]:
        """Every run item that concerned ``doc_id`` (imported it, found it again, or a copy
        of it), oldest first, with its run's start time."""
        rows = self.conn.execute(
            "SELECT i.run_id AS run, r.started_at, i.label, i.path, i.manifest_row, i.status "
            "FROM run_items i JOIN runs r ON r.id = i.run_id WHERE i.doc_id = ? "
            "ORDER BY i.run_id, i.seq",
            (doc_id,),
        )
        return [dict(r) for r in rows]


def _run(row: object) -> Run:
    data = dict(row)  # type: ignore[call-overload]
    data["arguments"] = json.loads(data["arguments"] or "{}")
    data["counts"] = json.loads(data["counts"] or "{}")
    return Run(**data)
