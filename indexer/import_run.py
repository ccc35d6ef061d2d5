"""One ``gongkai import`` run as the command line starts it: the files and manifest rows it
names, a progress bar on stderr, the ``--report`` file (one JSON line per item), a dry run or
a real one under the write lock, and the summary it prints.

The command (:mod:`cli`) only parses options; everything it used to do between parsing and
printing is here, so the same run can be read, tested and reused without click.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from indexer.items import FileOutcome, ImportReport


@dataclass(frozen=True)
class ImportRequest:
    """What ``gongkai import`` was asked to do (its options, parsed)."""

    paths: tuple[Path, ...]
    manifest: Path | None
    workers: int
    report: Path | None = None
    max_size: int | None = None  # MB
    dry_run: bool = False
    follow_symlinks: bool = False
    allow_outside: bool = False
    on_error: str = "skip"
    editor: str = ""
    reason: str = ""
    keep_copies: bool = False
    who: str = ""
    quiet: bool = False


def run_import(data_dir: Path, request: ImportRequest) -> ImportReport:
    """Import (or with ``dry_run`` only check) what ``request`` names into ``data_dir``,
    showing progress on stderr and writing the ``--report`` lines as items finish."""
    from tqdm import tqdm

    from indexer.importing import run_items
    from indexer.manifest import count_rows
    from indexer.reading import iter_files

    paths, manifest = request.paths, request.manifest
    files = list(iter_files(paths, follow_symlinks=request.follow_symlinks))
    items = run_items(
        files,
        manifest,
        allow_outside=request.allow_outside,
        on_error=request.on_error,
        data_dir=data_dir,
        roots=paths,
    )
    total = len(files) + ((count_rows(manifest) or 0) if manifest else 0)
    bar = tqdm(
        total=total, unit="file", disable=request.quiet or None, file=sys.stderr, dynamic_ncols=True
    )
    counts = {
        "imported": 0,
        "duplicate": 0,
        "failed": 0,
        "skipped": 0,
        "updated": 0,
        "duplicate-text": 0,
    }
    report_handle = request.report.open("w", encoding="utf-8") if request.report else None

    def progress(outcome: FileOutcome) -> None:
        counts[outcome.status] += 1
        bar.set_postfix(
            imported=counts["imported"],
            updated=counts["updated"],
            duplicate=counts["duplicate"],
            failed=counts["failed"],
            refresh=False,
        )
        bar.update(1)
        if report_handle:
            report_handle.write(json.dumps(outcome.to_dict(), ensure_ascii=False) + "\n")

    max_bytes = request.max_size * 1024 * 1024 if request.max_size else None
    try:
        if request.dry_run:
            from indexer.importing import ImportOptions, import_items

            checking = ImportOptions(
                progress,
                max_bytes,
                request.workers,
                dry_run=True,
                expected=total,
                editor=request.editor,
                reason=request.reason,
            )
            return import_items(items, checking, data_dir=data_dir)
        from indexer.service import Gongkai

        with Gongkai(data_dir) as gk:
            return gk.import_items(
                items,
                on_progress=progress,
                max_bytes=max_bytes,
                workers=request.workers,
                expected=total,
                editor=request.editor,
                reason=request.reason,
                keep_copies=request.keep_copies,
                who=request.who,
                arguments={
                    "paths": [str(p) for p in paths],
                    "manifest": str(manifest or ""),
                    "workers": request.workers,
                },
            )
    finally:
        bar.close()
        if report_handle:
            report_handle.close()


def _copies(result: ImportReport) -> list[dict[str, Any]]:
    return [o.to_dict() for o in result.outcomes if o.status == "duplicate-text"]


def summary_dict(result: ImportReport, *, dry_run: bool) -> dict[str, object]:
    """The ``--json`` summary of a run (stable keys)."""
    return {
        **result.counts(),
        "dry_run": dry_run,
        "attachments": len(result.attachments),
        "failures": [o.to_dict() for o in result.failed],
        "stopped": result.stopped,
        "updates": [o.to_dict() for o in result.outcomes if o.status == "updated"],
        "run": result.run_id,
        "copies": _copies(result),
    }


def summary_text(
    result: ImportReport, *, dry_run: bool, manifest: bool
) -> tuple[list[str], list[str]]:
    """The plain-text summary of a run: the lines for stdout (counts, updates, copies) and
    those for stderr (one per failed item)."""
    from indexer.editing import render_updates

    summary = result.counts()
    copies = _copies(result)
    out = [
        ("dry run (nothing written): would import " if dry_run else "imported ")
        + f"{summary['imported']}, duplicate {summary['duplicate']}, "
        f"{'would fail' if dry_run else 'failed'} {summary['failed']}, "
        f"skipped {summary['skipped']}"
        + (
            f", {'would update' if dry_run else 'updated'} {summary['updated']}"
            if manifest or summary["updated"]
            else ""
        )
        + (f", duplicate-text {len(copies)}" if copies else "")
        + (f", attachments linked {len(result.attachments)}" if result.attachments else "")
        + (f" (run {result.run_id})" if result.run_id is not None else "")
    ]
    out += render_updates(result.outcomes)
    out += [f"  COPY {copy['path']}: {copy['reason']}" for copy in copies]
    err = [f"  FAILED {o['path']}: {o['reason']}" for o in (f.to_dict() for f in result.failed)]
    return out, err
