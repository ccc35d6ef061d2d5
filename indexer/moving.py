"""`gongkai migrate --to URL|DIR`: move a data directory's archive to PostgreSQL, or make a
laptop copy of a PostgreSQL-backed one in a new SQLite data directory.

To PostgreSQL, in place: the archive and its originals are copied into the (empty) schema
the URL names and compared with the source (rows per table, revisions, every original
hashed); only then does the data directory switch to it. The SQLite file is kept beside, as
``archive.sqlite3.migrated`` (and the ``originals`` folder as it was): nothing is deleted.
The index is unchanged: the ids and revisions it holds are the same.

To a directory: a new data directory with an SQLite archive, the same engine, and an index
built there from the copy. The source is not changed. Both hold the write lock throughout.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from archive import Archive, backend
from archive.errors import ConflictError, DamagedError, InvalidInput
from archive.moving import copy_archive, differences, open_new_sqlite
from indexer.config import engine_name, init_data_dir, read_config
from indexer.locking import write_lock

MIGRATED_NAME = "archive.sqlite3.migrated"


def migrate(data_dir: Path, to: str) -> dict[str, object]:
    """Copy ``data_dir``'s archive to ``to`` (a PostgreSQL URL or a new directory), check
    the copy, and report ``{"from", "to", "copied"}`` (rows per table, and originals)."""
    data_dir = Path(data_dir)
    if not Archive.present(data_dir):
        raise InvalidInput(f"no Gongkai archive in {data_dir}")
    with write_lock(data_dir):
        if backend.is_url(to):
            return _to_postgresql(data_dir, to)
        return _to_directory(data_dir, Path(to))


def migrate_text(report: dict[str, object]) -> str:
    """What ``gongkai migrate`` says when the copy matches: documents, originals, rows."""
    copied = report["copied"]
    assert isinstance(copied, dict)
    rows = sum(n for table, n in copied.items() if table != "originals")
    return (
        f"copied {copied.get('documents', 0)} documents, {copied['originals']} originals "
        f"and {rows} rows in all to {report['to']}; the copy matches"
    )


def _checked(src: Archive, dst: Archive) -> dict[str, int]:
    copied = copy_archive(src, dst)
    problems = differences(src, dst)
    if problems:
        raise DamagedError("the copy differs from the source: " + "; ".join(problems))
    return copied


def _to_postgresql(data_dir: Path, url: str) -> dict[str, object]:
    if backend.stored_url(data_dir) is not None:
        raise InvalidInput(f"{data_dir} is in PostgreSQL already; `--to DIR` makes an SQLite copy")
    staging = data_dir / ".migrate"  # the new archive's address until the copy is checked
    shutil.rmtree(staging, ignore_errors=True)
    stored = backend.store_url(staging, url)
    try:
        with Archive.open(data_dir, readonly=True) as src, Archive.open(staging) as dst:
            copied = _checked(src, dst)
        db = data_dir / Archive.DB_NAME
        for suffix in ("", "-wal", "-shm"):
            if Path(f"{db}{suffix}").exists():
                os.replace(f"{db}{suffix}", data_dir / f"{MIGRATED_NAME}{suffix}")
        backend.store_url(data_dir, stored)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return {"from": str(data_dir / MIGRATED_NAME), "to": stored, "copied": copied}


def _to_directory(data_dir: Path, dest: Path) -> dict[str, object]:
    if dest.exists() and any(dest.iterdir()):
        raise ConflictError(f"{dest} is not empty; name a new directory")
    from indexer.service import Gongkai

    try:
        with Archive.open(data_dir, readonly=True) as src, open_new_sqlite(dest) as dst:
            copied = _checked(src, dst)
        init_data_dir(dest, engine_name(read_config(data_dir)))
        with Gongkai(dest) as gk:
            gk.reindex()
    except BaseException:
        shutil.rmtree(dest, ignore_errors=True)
        raise
    return {
        "from": backend.stored_url(data_dir) or str(data_dir),
        "to": str(dest),
        "copied": copied,
    }
