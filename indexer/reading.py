"""The read stage of the import: which files to import, and each one's bytes.

:func:`iter_files` walks folders; :func:`file_items` turns what it found into
:class:`~indexer.items.Item` values (a manifest gives items too: :mod:`indexer.manifest`); the
pipeline's read stage (:class:`indexer.pipeline.ReadStage`) reads each with
:func:`read_limited`, hashes it, and stops there for what is skipped or already archived.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from pathlib import Path

from indexer.extract import ExtractionError, supported_suffixes
from indexer.items import FAILED, SKIPPED, Item


def iter_files(paths: Iterable[Path]) -> Iterator[tuple[Path, str]]:
    """Files under ``paths`` (recursively, in a stable order) with "" or the reason to skip.

    Hidden files and folders are passed over; symbolic links to folders are not followed, so a
    link loop cannot trap the walk. Files named explicitly are always tried.
    """
    suffixes = supported_suffixes()
    for path in paths:
        if path.is_dir():
            for root, dirs, files in os.walk(path, followlinks=False):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                for name in sorted(files):
                    if name.startswith("."):
                        continue
                    file = Path(root) / name
                    if file.suffix.lower() in suffixes:
                        yield file, ""
                    else:
                        yield file, f"not a supported file type ({file.suffix or 'no suffix'})"
        elif path.exists():
            yield path, ""
        else:
            yield path, "no such file or folder"


def read_limited(path: Path, max_bytes: int) -> bytes:
    size = path.stat().st_size
    if size > max_bytes:
        raise ExtractionError(f"file is {size} bytes, over the limit of {max_bytes}")
    return path.read_bytes()


def file_items(files: Iterable[tuple[Path, str]]) -> Iterator[Item]:
    """An :class:`Item` for each (path, reason to skip or "") from :func:`iter_files`."""
    for path, reason in files:
        yield Item(
            str(path),
            path,
            skip=reason,
            skip_status=SKIPPED if (reason and path.exists()) else FAILED,
        )
