"""Restoring a backup: the files put back, then the index rebuilt from the restored archive and
everything verified (originals re-hashed), so a restore is never trusted unchecked. The copying
and checking of files is :mod:`archive.backup`'s; this is the part that needs the index."""

from __future__ import annotations

from pathlib import Path

from indexer.locking import write_lock
from indexer.service import Gongkai


def restore(src: Path | str, data_dir: Path | str, *, force: bool = False) -> dict[str, object]:
    """Restore the backup ``src`` (made by :func:`archive.backup.backup`) into ``data_dir``:
    every file checked against the manifest first, a directory holding anything refused
    unless ``force``, then the index rebuilt and everything verified (originals re-hashed).
    Under the data directory's write lock."""
    from archive.backup import restore_files

    data_dir = Path(data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    with write_lock(data_dir):
        documents = restore_files(src, data_dir, force=force)
        with Gongkai(data_dir) as gk:
            indexed = gk.indexer.reindex()
            report = gk.verify()
    return {
        "ok": bool(report["ok"]) and indexed == documents,
        "data": str(data_dir),
        "restored_from": str(src),
        "documents": documents,
        "indexed": indexed,
        "verify": report,
    }
