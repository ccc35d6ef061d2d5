"""What the web server's account must be able to read, checked before ``gongkai serve`` starts.

Run by another account than the importer's, the site used to start and then answer 500 to
every page that opened an original (0600), or not start at all (``web-secret.key`` 0600).
:func:`unreadable` tries, as this process's account, to read each thing the site reads —
the data directory, ``gongkai.json``, the archive opened read-only the way a server thread
opens it (with its -wal/-shm files when a writer left them), ``web-secret.key``, a sample of
the originals (every folder, and a few files of each) and the live index — and
:func:`check_access` turns the first failure into one :class:`~archive.errors.AccessError`
line (exit 8). The remedy is ``gongkai init --group NAME`` (:mod:`archive.sharing`) and the
web server's account in that group; README "Running as two users".
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path

from archive import Archive, backend
from archive.errors import AccessError
from archive.sharing import account
from indexer.config import CONFIG_NAME, live_index_path

#: How many originals of each folder are opened (every folder is listed).
FILES_PER_FOLDER = 2
#: At most this many originals are opened in all, so the check stays quick on a large archive.
MAX_ORIGINALS = 2000


def _cannot_read_file(path: Path) -> str | None:
    try:
        with open(path, "rb") as handle:
            handle.read(1)
    except FileNotFoundError:
        return None  # gone meanwhile (a reindex, a checkpoint): not a permission problem
    except OSError as exc:
        return f"{path}: {exc.strerror or exc}"
    return None


def _folders(root: Path) -> Iterator[tuple[Path, list[Path] | str]]:
    """Each folder under ``root`` (``root`` included) with its files, or the reason it cannot
    be listed."""
    pending = [root]
    while pending:
        folder = pending.pop()
        try:
            entries = list(os.scandir(folder))
        except FileNotFoundError:
            continue
        except OSError as exc:
            yield folder, str(exc.strerror or exc)
            continue
        files = []
        for entry in entries:
            if entry.is_dir(follow_symlinks=False):
                pending.append(Path(entry.path))
            elif not entry.name.startswith(".tmp-"):
                files.append(Path(entry.path))
        yield folder, sorted(files)


def _tree(root: Path, *, per_folder: int | None, limit: int) -> Iterator[str]:
    opened = 0
    for folder, files in _folders(root):
        if isinstance(files, str):
            yield f"{folder}: {files}"
            continue
        for path in files[:per_folder]:
            if opened >= limit:
                return
            opened += 1
            if problem := _cannot_read_file(path):
                yield problem


def _database(data_dir: Path) -> Iterator[str]:
    db = data_dir / Archive.DB_NAME
    for path in (db, Path(f"{db}-wal"), Path(f"{db}-shm")):
        if path.exists() and (problem := _cannot_read_file(path)):
            yield problem
            return
    try:
        with Archive.open(data_dir, readonly=True) as archive:
            archive.count()  # reads the documents table
    except sqlite3.Error as exc:
        if backend.stored_url(data_dir) is not None:
            yield f"{data_dir / backend.URL_FILE}: the archive database cannot be read ({exc})"
        else:
            yield f"{db}: SQLite cannot open it read-only ({exc})"


def unreadable(data_dir: Path | str) -> list[str]:
    """What this account cannot read of what the site reads in ``data_dir``: one
    ``"<path>: <reason>"`` per problem; empty when the site can serve."""
    data_dir = Path(data_dir)
    try:
        os.listdir(data_dir)
    except OSError as exc:
        return [f"{data_dir}: {exc.strerror or exc}"]
    problems: list[str] = []
    for name in (CONFIG_NAME, "web-secret.key"):
        if (data_dir / name).exists() and (problem := _cannot_read_file(data_dir / name)):
            problems.append(problem)
    if problems and problems[0].startswith(str(data_dir / CONFIG_NAME)):
        return problems  # without the configuration the index cannot be found
    problems += _database(data_dir)
    problems += _tree(data_dir / "originals", per_folder=FILES_PER_FOLDER, limit=MAX_ORIGINALS)
    index = live_index_path(data_dir)
    if index.exists():
        problems += _tree(index, per_folder=None, limit=MAX_ORIGINALS)
        lock = index / ".tantivy-meta.lock"  # a tantivy reader locks it, opening it to write
        if lock.exists() and not os.access(lock, os.W_OK):
            problems.append(f"{lock}: not writable (a tantivy reader must lock it)")
    return problems


def check_access(data_dir: Path | str) -> None:
    """Raise :class:`AccessError` naming what this account cannot read (the first thing, and
    how many more), or return when the site can serve ``data_dir``."""
    problems = unreadable(data_dir)
    if problems:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise AccessError(
            f"this account, {account()}, cannot read what the site needs: {problems[0]}{more}; "
            "share the data "
            "directory with `gongkai init --group NAME` and add this account to the group "
            "(README: Running as two users)"
        )
