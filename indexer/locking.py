"""The data directory's single-writer lock (``write.lock``).

Whoever changes the archive or the index (import, reindex, staff changes) holds an exclusive
``flock`` on ``write.lock`` for the duration; a second writer is refused at once with
:class:`~archive.errors.BusyError` (exit 5) naming the holder. The kernel releases the lock when
the holder dies, so a killed import never leaves the directory locked.

When the archive lives in PostgreSQL (several machines may write it), the lock is a
PostgreSQL advisory lock instead (:mod:`archive.pglock`), released by the server when the
holder's session ends.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from archive.backend import stored_url
from archive.errors import BusyError
from archive.pglock import advisory_lock

LOCK_NAME = "write.lock"


@contextmanager
def write_lock(data_dir: Path) -> Iterator[None]:
    """Exclusive right to write ``data_dir``; a second writer gets :class:`BusyError`."""
    url = stored_url(Path(data_dir))
    if url is not None:
        with advisory_lock(url):
            yield
        return
    path = Path(data_dir) / LOCK_NAME
    handle = open(path, "a+")  # noqa: SIM115 - held for the duration of the block
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            raise BusyError(
                f"{data_dir} is being written by {holder}; wait for it to finish"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()}")
        handle.flush()
        yield
    finally:
        handle.close()
