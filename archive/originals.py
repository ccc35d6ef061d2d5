"""Original files, byte for byte, in a content-addressed store: ``originals/ab/cd/<sha256>``.

They are private to the writing account (0600) unless the store's folder is setgid (a data
directory shared with the web server's group, :mod:`archive.sharing`): then 0640."""

from __future__ import annotations

import contextlib
import hashlib
import os
import threading
from pathlib import Path

from archive.sharing import file_mode

_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_CLOEXEC", 0)


#: A new document's id is the start of its original's sha256, this many characters (longer
#: only on a clash: :meth:`archive.store.Archive.add`).
ID_CHARS = 10


def first_id(digest: str) -> str:
    """The id a new document with these bytes asks for (unless it is given one)."""
    return digest[:ID_CHARS]


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class OriginalStore:
    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self._root = str(self.root)

    def path(self, sha256: str) -> Path:
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def put(
        self, data: bytes, *, durable: bool = True, sha256: str = "", replace: bool = False
    ) -> str:
        """Store ``data`` (if not already there) and return its sha256 (``sha256``, when the
        caller has just computed it from these bytes).

        Written to a temporary file in the same directory, then renamed into place, so no
        reader ever sees a partial original under its final name. With ``durable`` the file is
        fsynced before the rename; a bulk import passes ``durable=False`` and calls
        :meth:`sync` once before committing the rows that name a group of originals (one
        flush instead of one per file). A file found in place with the wrong size (an
        unflushed write cut short by a crash) is written again; with ``replace``, one found
        with the right size is too (a damaged original being restored).
        """
        digest = sha256 or sha256_of(data)
        # Plain strings rather than Path objects: this runs for every imported file.
        folder = os.path.join(self._root, digest[:2], digest[2:4])
        target = os.path.join(folder, digest)
        try:
            if not replace and os.stat(target).st_size == len(data):
                return digest
        except FileNotFoundError:
            pass
        # The temporary name is this writer's own (process and thread), so no other writer
        # of the same bytes can touch it; a leftover from a crash is simply overwritten.
        tmp = os.path.join(folder, f".tmp-{digest}-{os.getpid()}-{threading.get_ident()}")
        # 0600, or 0640 in a store shared with a group (asked each time: one stat, and a
        # store kept open by a worker follows `gongkai init --group`).
        mode = file_mode(self._root)
        try:
            fd = os.open(tmp, _FLAGS, mode)
        except FileNotFoundError:  # the first original in this folder
            os.makedirs(folder, exist_ok=True)
            fd = os.open(tmp, _FLAGS, mode)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                if durable:
                    handle.flush()
                    os.fsync(handle.fileno())
            os.replace(tmp, target)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            raise
        return digest

    def sync(self) -> None:
        """Make every original written with ``durable=False`` so far durable (and their
        renames): flushes the file system's dirty data, which costs about what a single
        fsync does, not one per file."""
        os.sync()

    def read(self, sha256: str) -> bytes:
        return self.path(sha256).read_bytes()

    def exists(self, sha256: str) -> bool:
        return self.path(sha256).exists()

    def holds(self, sha256: str, size: int) -> bool:
        """Whether the original ``sha256`` is in place whole (of ``size`` bytes): a write cut
        short by a crash before the group's flush can leave a short file."""
        try:
            return (
                os.stat(os.path.join(self._root, sha256[:2], sha256[2:4], sha256)).st_size == size
            )
        except FileNotFoundError:
            return False

    def intact(self, sha256: str) -> bool:
        """Whether the original ``sha256`` is in place and its bytes still hash to its name
        (read in blocks: a flipped byte on disk, a truncated or replaced file all fail)."""
        digest = hashlib.sha256()
        try:
            with open(self.path(sha256), "rb") as handle:
                while block := handle.read(1 << 20):
                    digest.update(block)
        except OSError:
            return False
        return digest.hexdigest() == sha256

    def all_digests(self) -> set[str]:
        return {p.name for p in self.root.glob("??/??/*") if not p.name.startswith(".tmp-")}

    def remove_unreferenced(self, referenced: set[str], *, since: float) -> int:
        """Remove originals (and temporary files) written at ``since`` or later that no
        document names: what a failed group wrote before its rows were rolled back (a full
        disk). Older unnamed files are left alone. Returns how many were removed."""
        removed = 0
        for path in self.root.glob("??/??/*"):
            name = path.name
            digest = name[5:].split("-", 1)[0] if name.startswith(".tmp-") else name
            if digest in referenced and not name.startswith(".tmp-"):
                continue
            try:
                if path.stat().st_mtime >= since - 1:
                    path.unlink()
                    removed += 1
            except FileNotFoundError:
                pass
        return removed
