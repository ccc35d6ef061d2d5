"""Backups of a data directory that can be taken while the site serves and an import writes,
and restores that refuse anything they cannot vouch for.

What a backup holds is what cannot be rebuilt: the database, taken with SQLite's online backup
API from a read-only connection (one consistent snapshot, even while another process commits),
the originals that snapshot names (each re-hashed as it is copied: a damaged one is reported,
not copied), ``gongkai.json`` and ``web-secret.key``. The search index is left out: it is
derived, and a restore rebuilds it. A manifest (:data:`MANIFEST_NAME`) lists every file with
its size and sha256; the backup is written to a temporary folder beside ``DEST`` and renamed
into place only when complete, so a killed backup never looks like a finished one.

A restore checks every file against the manifest before it touches the data directory, and
refuses one that already holds anything unless told to replace it (``force``). Rebuilding the
index and verifying the result are the caller's (:func:`indexer.restoring.restore`), because the
archive layer knows no engine.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import sqlite3
import time
from pathlib import Path
from typing import Any

from archive import backend, pgbackup
from archive.errors import ConflictError, DamagedError, InvalidInput, NotFoundError

MANIFEST_NAME = "gongkai-backup.json"
FORMAT = 1
DB_NAME = "archive.sqlite3"
CONFIG_NAME = "gongkai.json"
#: Small files copied as they are when present (the index location is dropped from the config).
EXTRA_FILES = ("web-secret.key",)
#: What a restore with ``force`` removes from the data directory before copying.
REPLACED = (
    DB_NAME,
    f"{DB_NAME}-wal",
    f"{DB_NAME}-shm",
    CONFIG_NAME,
    *EXTRA_FILES,
    "originals",
    "index",
)


def _hash_copy(src: Path, dst: Path) -> tuple[str, int]:
    """Copy ``src`` to ``dst`` in blocks; the sha256 and size of what was copied."""
    digest = hashlib.sha256()
    size = 0
    dst.parent.mkdir(parents=True, exist_ok=True)
    with open(src, "rb") as reader, open(dst, "wb") as writer:
        while block := reader.read(1 << 20):
            digest.update(block)
            writer.write(block)
            size += len(block)
        writer.flush()
        os.fsync(writer.fileno())
    return digest.hexdigest(), size


def _hash_file(path: Path) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    with open(path, "rb") as reader:
        while block := reader.read(1 << 20):
            digest.update(block)
            size += len(block)
    return digest.hexdigest(), size


def _original_path(digest: str) -> str:
    return f"originals/{digest[:2]}/{digest[2:4]}/{digest}"


def _snapshot_database(source: Path, target: Path) -> tuple[int, list[str]]:
    """Copy the database ``source`` to ``target`` with SQLite's online backup (one read
    transaction: a consistent state while others commit); returns how many documents it holds
    and the sha256 of every original it names."""
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=30)
    dst = sqlite3.connect(target)
    try:
        src.execute("PRAGMA busy_timeout=30000")
        src.backup(dst)  # all pages in one step: the snapshot is a single read transaction
        dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside
        documents = dst.execute("SELECT count(*) FROM documents").fetchone()[0]
        digests = sorted({r[0] for r in dst.execute("SELECT sha256 FROM documents")})
    finally:
        dst.close()
        src.close()
    return int(documents), digests


def backup(data_dir: Path | str, dest: Path | str) -> dict[str, object]:
    """Back up ``data_dir`` into the new folder ``dest`` (which must not exist, or be empty);
    see the module docstring. ``ok`` is False when an original was missing or damaged (the
    backup is still written, without it, and the manifest lists it)."""
    data_dir, dest = Path(data_dir), Path(dest)
    url = backend.stored_url(data_dir)  # a PostgreSQL archive: pg_dump (archive/pgbackup.py)
    if url is None and not (data_dir / DB_NAME).is_file():
        raise NotFoundError(f"no Gongkai archive in {data_dir}")
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise ConflictError(f"{dest} already exists and is not an empty folder")
    dest.parent.mkdir(parents=True, exist_ok=True)
    work = dest.parent / f".{dest.name}.partial-{os.getpid()}"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir()
    try:
        files: dict[str, dict[str, object]] = {}
        database: dict[str, Any] = {}
        missing: list[str] = []
        damaged: list[str] = []
        digests: list[str] = []
        if url is not None:  # the originals are rows of the dump
            database = pgbackup.dump(url, work / pgbackup.DUMP_NAME)
            documents = int(database.pop("documents"))
            missing = list(database.pop("missing_originals"))
            damaged = list(database.pop("damaged_originals"))
        else:
            documents, digests = _snapshot_database(data_dir / DB_NAME, work / DB_NAME)
        for digest in digests:
            rel = _original_path(digest)
            if not (data_dir / rel).is_file():
                missing.append(digest)
                continue
            got, size = _hash_copy(data_dir / rel, work / rel)
            if got != digest:
                (work / rel).unlink()
                damaged.append(digest)
                continue
            files[rel] = {"sha256": got, "size": size}
        config_path = data_dir / CONFIG_NAME
        config = json.loads(config_path.read_text("utf-8")) if config_path.exists() else {}
        config.pop("index_dir", None)  # the index is rebuilt where the restore puts it
        (work / CONFIG_NAME).write_text(json.dumps(config, ensure_ascii=False), "utf-8")
        for name in EXTRA_FILES:
            if (data_dir / name).is_file():
                shutil.copy2(data_dir / name, work / name)  # with its mode (the key is 0600)
        for name in (DB_NAME, pgbackup.DUMP_NAME, CONFIG_NAME, *EXTRA_FILES):
            if (work / name).is_file():
                sha, size = _hash_file(work / name)
                files[name] = {"sha256": sha, "size": size}
        manifest = {
            "format": FORMAT,
            "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "source": str(data_dir.resolve()),
            "documents": documents,
            "missing_originals": missing,
            "damaged_originals": damaged,
            "files": files,
            **database,
        }
        (work / MANIFEST_NAME).write_text(
            json.dumps(manifest, ensure_ascii=False, indent=1), "utf-8"
        )
        if dest.exists():
            dest.rmdir()
        os.replace(work, dest)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return {
        "ok": not (missing or damaged),
        "dest": str(dest),
        "documents": documents,
        "originals": (len(digests) or documents) - len(missing) - len(damaged),
        "files": len(files),
        "bytes": sum(int(f["size"]) for f in files.values()),  # type: ignore[call-overload]
        "missing_originals": missing,
        "damaged_originals": damaged,
    }


def read_manifest(src: Path | str) -> dict[str, object]:
    """The manifest of the backup ``src``, its file names checked to stay inside it."""
    src = Path(src)
    path = src / MANIFEST_NAME
    if not path.is_file():
        raise NotFoundError(f"{src} is not a Gongkai backup (no {MANIFEST_NAME})")
    try:
        manifest = json.loads(path.read_text("utf-8"))
        files = manifest["files"]
        if manifest.get("format") != FORMAT or not isinstance(files, dict):
            raise ValueError("unknown format")
    except (ValueError, KeyError, TypeError) as exc:
        raise InvalidInput(f"{path} cannot be read as a backup manifest: {exc}") from None
    for name in files:
        parts = Path(name).parts
        if Path(name).is_absolute() or ".." in parts or not parts:
            raise InvalidInput(f"{path} names a file outside the backup: {name!r}")
    if DB_NAME not in files and pgbackup.DUMP_NAME not in files:
        raise InvalidInput(f"{path} lists no {DB_NAME} (nor {pgbackup.DUMP_NAME})")
    return manifest


def check_backup(src: Path | str) -> dict[str, object]:
    """Re-hash every file of the backup ``src`` against its manifest; :class:`DamagedError`
    naming the files that differ or are missing. Returns the manifest."""
    src = Path(src)
    manifest = read_manifest(src)
    bad: list[str] = []
    for name, entry in manifest["files"].items():  # type: ignore[attr-defined]
        try:
            sha, size = _hash_file(src / name)
        except OSError:
            bad.append(f"{name} (missing)")
            continue
        if sha != entry.get("sha256") or size != entry.get("size"):
            bad.append(f"{name} (changed)")
    if bad:
        more = " …" if len(bad) > 5 else ""
        raise DamagedError(
            f"the backup {src} does not match its manifest: {len(bad)} files "
            f"({', '.join(bad[:5])}{more}); nothing was restored"
        )
    return manifest


def restore_files(src: Path | str, data_dir: Path | str, *, force: bool = False) -> int:
    """Copy the backup ``src`` into ``data_dir`` after checking every file (nothing is
    touched if one differs); a data directory that holds anything is refused unless ``force``,
    which replaces its archive, originals, configuration and index. Returns how many
    documents the restored archive holds. The caller rebuilds the index."""
    src, data_dir = Path(src), Path(data_dir)
    manifest = check_backup(src)
    if manifest.get("database") == "postgresql":
        return _restore_postgresql(src, manifest, data_dir, force=force)
    if data_dir.exists() and any(p.name != "write.lock" for p in data_dir.iterdir()):
        if not force:
            raise ConflictError(
                f"{data_dir} is not empty; give --force to replace its archive with the backup"
            )
        for name in REPLACED:
            path = data_dir / name
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)
            else:
                with contextlib.suppress(FileNotFoundError):
                    path.unlink()
    data_dir.mkdir(parents=True, exist_ok=True)
    for name in manifest["files"]:  # type: ignore[attr-defined]
        target = data_dir / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src / name, target)
    return int(manifest.get("documents", 0))  # type: ignore[call-overload]


def _restore_postgresql(
    src: Path, manifest: dict[str, object], data_dir: Path, *, force: bool
) -> int:
    """A PostgreSQL backup restored into the database the data directory names (or, in an
    empty data directory, the one it was taken from); then its other files copied."""
    url = backend.stored_url(data_dir) or str(manifest.get("archive") or "")
    if not backend.is_url(url):
        raise InvalidInput("the backup names no database; `gongkai init --archive URL` first")
    pgbackup.restore(src / pgbackup.DUMP_NAME, manifest, url, force=force)
    data_dir.mkdir(parents=True, exist_ok=True)
    for name in (CONFIG_NAME, *EXTRA_FILES):
        if name in manifest["files"]:  # type: ignore[operator]
            shutil.copy2(src / name, data_dir / name)
    shutil.rmtree(data_dir / "index", ignore_errors=True)  # rebuilt by the caller
    backend.store_url(data_dir, url)
    return int(manifest.get("documents", 0))  # type: ignore[call-overload]
