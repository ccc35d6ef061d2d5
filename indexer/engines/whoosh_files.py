"""Reading a Whoosh index without copying it into memory.

Whoosh maps each compound segment file and hands every searcher its parts as ``BufferFile``s,
whose sequential reader is ``BytesIO(buffer)``: a *copy* of the part (a segment's postings are
most of the index; 150 MB at 20,000 documents), made again by each searcher, and a server has
one searcher per thread. Opening the index without mmap avoids the copy but makes every read a
seek and a system call, which halves the speed of range filters (years, validity spans).

:class:`MappedFile` keeps the mapping and reads it in place: the same ``BufferFile`` whose
sequential reader is a cursor over the memoryview. The pages are the OS's page cache, shared
by every process. Installed by :func:`install` (called when the Whoosh engine is imported).
"""

from __future__ import annotations

from typing import Any

from whoosh.filedb import compound
from whoosh.filedb.structfile import BufferFile


class _Cursor:
    """A read-only file over a memoryview: what ``BytesIO`` offers a reader, without a copy."""

    def __init__(self, view: memoryview) -> None:
        self._view = view
        self._pos = 0

    def read(self, size: int | None = -1) -> bytes:
        start = self._pos
        end = len(self._view) if size is None or size < 0 else min(start + size, len(self._view))
        self._pos = max(end, start)
        return bytes(self._view[start:end])

    def readline(self, size: int | None = -1) -> bytes:
        end, stop = len(self._view), self._pos
        while stop < end:  # look for the newline a page at a time, not over the whole rest
            found = bytes(self._view[stop : stop + 4096]).find(b"\n")
            if found >= 0:
                stop += found + 1
                break
            stop = min(stop + 4096, end)
        if size is not None and size >= 0:
            stop = min(stop, self._pos + size)
        return self.read(stop - self._pos)

    def readinto(self, target: Any) -> int:
        data = self.read(len(target))
        target[: len(data)] = data
        return len(data)

    def seek(self, offset: int, whence: int = 0) -> int:
        base = (0, self._pos, len(self._view))[whence]
        self._pos = max(base + offset, 0)
        return self._pos

    def tell(self) -> int:
        return self._pos

    def close(self) -> None:
        self._view = memoryview(b"")

    def flush(self) -> None:
        pass


class MappedFile(BufferFile):
    """Whoosh's ``BufferFile`` reading its buffer in place."""

    def __init__(self, buf: Any, name: str | None = None, onclose: Any = None) -> None:
        super().__init__(b"", name=name, onclose=onclose)
        self._buf = buf
        self.file = _Cursor(memoryview(buf))

    def subset(self, position: int, length: int, name: str | None = None) -> MappedFile:
        return MappedFile(self._buf[position : position + length], name=name or self._name)


def install() -> None:
    """Make Whoosh's compound storage hand out :class:`MappedFile`s."""
    compound.BufferFile = MappedFile
