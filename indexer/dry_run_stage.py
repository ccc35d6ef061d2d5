"""The commit stage of a dry run (``gongkai import --dry-run``): says what a real commit
would do, and commits nothing (:mod:`indexer.pipeline`)."""

from __future__ import annotations

from archive import Archive, Document
from indexer.items import FAILED, IMPORTED, FileOutcome, ImportReport, Item, ProgressCallback


class DryRunStage:
    """Commits nothing: says what a real commit would do (a would-be import has no id).
    Clashing ids are found against the archive (if any) and earlier items of the run."""

    name = "dry-run"

    def __init__(
        self, archive: Archive | None, report: ImportReport, on_progress: ProgressCallback | None
    ) -> None:
        self.archive = archive
        self.report = report
        self.on_progress = on_progress
        self.ids: dict[str, str] = {}

    def setup(self) -> None:
        pass

    def run(self, item: Item, data: bytes, built: Document | str) -> FileOutcome:
        label = item.label
        if not isinstance(built, Document):
            return FileOutcome(label, FAILED, reason=str(built))
        if built.id:
            if (self.archive is not None and self.archive.exists(built.id)) or built.id in self.ids:
                return FileOutcome(
                    label, FAILED, reason=f"id {built.id} is already used by another document"
                )
            self.ids[built.id] = label
        return FileOutcome(label, IMPORTED, built.id, built.title)

    def emit(self, outcome: FileOutcome) -> None:
        self.report.outcomes.append(outcome)
        if self.on_progress:
            self.on_progress(outcome)

    def checkpoint(self, batch_ends: bool) -> None:
        pass

    def commit(self) -> None:
        pass

    def cleanup(self) -> None:
        pass
