"""The read stage of the import: which files to import, and each one's bytes.

:func:`iter_files` walks folders; :func:`file_items` turns what it found into
:class:`~indexer.items.Item` values (a manifest gives items too: :mod:`indexer.manifest`); the
pipeline's read stage (:class:`indexer.pipeline.ReadStage`) reads each with
:func:`read_limited`, hashes it, and stops there for what is skipped or already archived.

An import reads only what it was pointed at (issue 12): regular files only (a FIFO would block
the read forever, ``/dev/zero`` never ends), with the size cap applied while reading (a file's
stated size can lie), and no symbolic link that leads out of the imported folders unless the
caller asks to follow them (a link ``passwd.txt → /etc/passwd`` would publish that file).
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable, Iterator
from pathlib import Path

from indexer.extract import ExtractionError, supported_suffixes
from indexer.items import FAILED, SKIPPED, Item

_READ_CHUNK = 1 << 20
_KINDS = {
    stat.S_IFIFO: "a FIFO",
    stat.S_IFCHR: "a character device",
    stat.S_IFBLK: "a block device",
    stat.S_IFSOCK: "a socket",
    stat.S_IFDIR: "a folder",
}
OUTSIDE = "symbolic link leads outside the imported folders (--follow-symlinks to import it)"


def not_regular(mode: int) -> str:
    """The reason a file of ``mode`` is not read, or "" for a regular file."""
    if stat.S_ISREG(mode):
        return ""
    return f"not a regular file ({_KINDS.get(stat.S_IFMT(mode), 'special file')})"


def within(path: str | Path, roots: Iterable[str]) -> bool:
    """Whether ``path`` (resolved, links followed) lies in one of ``roots`` (resolved)."""
    real = os.path.realpath(path)
    return any(real == root or real.startswith(root.rstrip(os.sep) + os.sep) for root in roots)


def iter_files(
    paths: Iterable[Path], *, follow_symlinks: bool = False
) -> Iterator[tuple[Path, str]]:
    """Files under ``paths`` (recursively, in a stable order) with "" or the reason to skip.

    Hidden files and folders are passed over; symbolic links to folders are not followed, so a
    link loop cannot trap the walk. Files named explicitly are always tried. Only regular files
    are read; a link to a file outside every folder in ``paths`` is skipped unless
    ``follow_symlinks``.
    """
    suffixes = supported_suffixes()
    paths = list(paths)
    roots = [os.path.realpath(p) for p in paths]
    for path in paths:
        if path.is_dir():
            for root, dirs, files in os.walk(path, followlinks=False):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                for name in sorted(files):
                    if name.startswith("."):
                        continue
                    file = Path(root) / name
                    yield file, _skip_reason(file, suffixes, roots, follow_symlinks)
        elif path.exists():
            yield path, ""
        else:
            yield path, "no such file or folder"


def _skip_reason(file: Path, suffixes: set[str], roots: list[str], follow: bool) -> str:
    if file.suffix.lower() not in suffixes:
        return f"not a supported file type ({file.suffix or 'no suffix'})"
    try:
        mode = os.stat(file).st_mode
    except OSError:
        return ""  # a dangling or looping link: reading it reports why
    if reason := not_regular(mode):
        return reason
    if not follow and os.path.islink(file) and not within(file, roots):
        return OUTSIDE
    return ""


def read_limited(path: Path, max_bytes: int) -> bytes:
    """The bytes of the regular file ``path``, at most ``max_bytes`` of them.

    Opened without blocking (a FIFO would otherwise wait for a writer) and checked to be a
    regular file before anything is read; the cap is applied while reading, since a file's
    stated size can be wrong (``/proc``) or grow while it is read."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    try:
        info = os.fstat(fd)
        if reason := not_regular(info.st_mode):
            raise ExtractionError(reason)
        if info.st_size > max_bytes:
            raise ExtractionError(f"file is {info.st_size} bytes, over the limit of {max_bytes}")
        os.set_blocking(fd, True)
        chunks: list[bytes] = []
        total = 0
        while chunk := os.read(fd, min(_READ_CHUNK, max_bytes + 1 - total) or 1):
            chunks.append(chunk)
            total += len(chunk)
            if total > max_bytes:
                raise ExtractionError(f"file is over the limit of {max_bytes} bytes")
        return b"".join(chunks)
    finally:
        os.close(fd)


def file_items(files: Iterable[tuple[Path, str]], roots: Iterable[Path] = ()) -> Iterator[Item]:
    """An :class:`Item` for each (path, reason to skip or "") from :func:`iter_files`; with
    ``roots`` (the folders walked), each knows its :func:`source_path`."""
    folders = [Path(r) for r in roots if Path(r).is_dir()]
    for path, reason in files:
        yield Item(
            str(path),
            path,
            skip=reason,
            skip_status=SKIPPED if (reason and path.exists()) else FAILED,
            source_path=source_path(path, folders),
        )


def source_path(path: Path, folders: Iterable[Path]) -> str:
    """Where ``path`` lies in the imported folder it was found in, starting with that
    folder's own name (``收文/市教育局/通知.txt`` for ``收文`` imported from anywhere): which
    office's folder a document came from, without the absolute path of the machine that
    imported it. A file named on its own is its name."""
    for folder in folders:
        try:
            inside = path.relative_to(folder)
        except ValueError:
            continue
        name = folder.name or Path(os.path.abspath(folder)).name
        return (Path(name) / inside).as_posix() if name else inside.as_posix()
    return path.name
