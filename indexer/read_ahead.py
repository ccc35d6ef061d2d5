"""Plain files read and looked up ahead of the read stage, on a PostgreSQL archive.

The read stage asks three questions of each file's bytes: are they archived, were they kept
as a copy, and (at the commit) is the id a new document would take free. On PostgreSQL each
question is a round trip, three per file; a manifest's rows were already looked up ahead
(:func:`indexer.editing._looked_ahead`), but plain files are only read in the read stage.
Here up to :data:`AHEAD_ITEMS` files (or :data:`AHEAD_BYTES`) are read and hashed before the
stage asks for them, and their digests and ids looked up in one go
(:meth:`~archive.store.Archive.look_ahead`, :mod:`archive.known`); the stage then takes the
bytes from here instead of reading the file again. Only a run of plain files is read ahead:
from the first manifest row on (matched against the archive as it is taken, see
:func:`indexer.editing.updating`), items are taken one at a time as before. On SQLite, where
a question costs microseconds, nothing is read ahead: its behaviour and memory stay as they
were.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from archive import Archive
from archive.originals import first_id, sha256_of
from indexer.extract import ExtractionError
from indexer.items import Item
from indexer.reading import read_limited

#: Plain files read ahead at most this many at a time …
AHEAD_ITEMS = 100
#: … and about this many bytes (the next file waits for the next look-ahead).
AHEAD_BYTES = 32 * 1024 * 1024


def read_ahead(
    archive: Archive | None,
    max_bytes: int,
    held: dict[int, tuple[Item, bytes]],
    items: Iterable[Item],
) -> Iterator[Item]:
    """``items`` in order; on a PostgreSQL archive each plain file's bytes put in ``held``
    (``id(item)`` → (item, bytes)) and its digest in ``item.sha256`` before it is yielded,
    looked up with the others of its run. ``held`` and the answers are cleared at the end."""
    if archive is None or archive.dialect != "postgresql":
        yield from items
        return
    source = iter(items)
    plain = True
    try:
        while plain:
            run: list[Item] = []
            size = 0
            try:
                for item in source:
                    run.append(item)
                    plain = item.meta is None and item.data is None
                    if not plain:  # a manifest row: matched as it is taken (editing.updating),
                        break  # so the rest is taken one at a time, as the stage asks
                    size += _read(item, max_bytes, held)
                    if len(run) >= AHEAD_ITEMS or size >= AHEAD_BYTES:
                        break
            except BaseException:
                yield from run  # the items before an input that breaks off still count
                raise
            if not run:
                return
            fresh = [i for i in run if id(i) in held]
            if fresh:
                archive.look_ahead([i.sha256 for i in fresh], [first_id(i.sha256) for i in fresh])
            yield from run
        yield from source
    finally:
        held.clear()
        archive.known.clear()


def _read(item: Item, max_bytes: int, held: dict[int, tuple[Item, bytes]]) -> int:
    """Read and hash a plain file now; how many bytes (0 when there is nothing to read, or
    it cannot be read: the read stage tries again and says why)."""
    if item.data is not None or item.skip:
        return 0
    try:
        data = read_limited(item.path, max_bytes)
    except (ExtractionError, OSError):
        return 0
    item.sha256 = sha256_of(data)
    held[id(item)] = (item, data)
    return len(data)


def bytes_of(item: Item, max_bytes: int, held: dict[int, tuple[Item, bytes]]) -> tuple[bytes, bool]:
    """``item``'s bytes (read ahead, in hand, or read now) and whether ``item.sha256`` is
    already theirs (hashed ahead). Raises what :func:`~indexer.reading.read_limited` raises."""
    early = held.pop(id(item), None)
    if early is not None and early[0] is item:
        return early[1], True
    if item.data is not None:
        return item.data, bool(item.sha256)
    return read_limited(item.path, max_bytes), False
