"""Worker processes for the import: items go out in chunks, results come back in order.

The importing process is the archive's single writer; it hands extraction (and the other work
that needs no archive, see :func:`indexer.building.build_safely`) to ``N`` worker processes.
Each worker has a pipe for tasks and a pipe for results, and threads that move them, so that
neither side ever waits on the other to write: the importer sends a chunk and goes on
committing, a worker builds chunk after chunk and its results wait in the pipe until the
importer asks for them. (``concurrent.futures.ProcessPoolExecutor`` does this with two helper
threads in the importer, which in a large import spent seconds per 10,000 documents blocked
on the executor's wake-up pipe; here the importer has no thread besides its own.)

Workers come from a fork server, not from forking the importer: a forked worker would inherit
the importer's open files, among them the flock on ``write.lock``, and if the importer were
killed the orphans would keep the data directory locked. Workers also exit on their own once
the importer is gone. A worker that dies (a crash in a native library, a kill) fails only the
item that killed it: the items it held are tried again one at a time in a fresh worker.
"""

from __future__ import annotations

import contextlib
import fcntl
import multiprocessing
import os
import pickle
import queue
import signal
import sys
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import Any

#: Items go to a worker in chunks of at most this many items or bytes.
CHUNK_ITEMS = 16
CHUNK_BYTES = 1_000_000
CRASHED = "the extractor crashed on this file (or went over the memory limit for one file)"
PIPE_BYTES = 1 << 20

#: Builds the results of a chunk: ``build(items, *args)`` → one result per item.
Build = Callable[..., list[Any]]


@dataclass(eq=False)
class _Chunk:
    items: list[tuple[Any, bytes]] = field(default_factory=list)
    size: int = 0
    worker: _Worker | None = None  # once sent
    results: list[Any] | None = None
    crashed: bool = False  # its worker died before answering


class _Worker:
    """One worker process and the importer's ends of its two pipes."""

    def __init__(
        self, context: Any, build: Build, args: tuple[Any, ...], memory_limit: int = 0
    ) -> None:
        tasks_out, self.tasks = context.Pipe(duplex=False)
        self.results, results_in = context.Pipe(duplex=False)
        _widen(self.tasks)
        _widen(self.results)
        self.process = context.Process(
            target=_serve,
            args=(tasks_out, results_in, build, args, os.getpid(), memory_limit),
            name="gongkai-import-worker",
            daemon=True,
        )
        self.process.start()
        tasks_out.close()
        results_in.close()
        self.waiting: deque[_Chunk] = deque()  # sent, not yet answered, in order

    def send(self, chunk: _Chunk) -> bool:
        try:
            self.tasks.send_bytes(pickle.dumps(chunk.items, pickle.HIGHEST_PROTOCOL))
        except OSError:
            return False
        chunk.worker = self
        self.waiting.append(chunk)
        return True

    def receive(self) -> bool:
        """Fill in the oldest waiting chunk's results; False if the worker is gone."""
        try:
            results = pickle.loads(self.results.recv_bytes())
        except (EOFError, OSError):
            return False
        self.waiting.popleft().results = results
        return True

    def stop(self, timeout: float) -> None:
        """Tell the worker to stop; results it has not sent yet are dropped (its writes
        fail once this end is closed, so it never waits for a reader that is gone)."""
        self.results.close()
        with contextlib.suppress(OSError):  # already gone
            self.tasks.send_bytes(b"")
        self.tasks.close()
        self.process.join(timeout)
        if self.process.is_alive():
            self.process.kill()
            self.process.join()


def _widen(conn: Connection) -> None:
    """Give a pipe room for a whole chunk (Linux; 64 KB by default), so that a write rarely
    waits for the other side's reading thread to be scheduled."""
    with contextlib.suppress(AttributeError, OSError):
        fcntl.fcntl(conn.fileno(), fcntl.F_SETPIPE_SZ, PIPE_BYTES)


class WorkerPool:
    """``workers`` processes that run ``build(items, *args)`` on chunks of items.

    :meth:`submit` queues an item and returns a ticket; :meth:`result` gives that item's
    result, waiting for it if need be. A chunk is sent when full, or as soon as a result of an
    item in it is asked for.
    """

    def __init__(
        self, workers: int, build: Build, *args: Any, preload: list[str], memory_limit: int = 0
    ) -> None:
        self._context = multiprocessing.get_context("forkserver")
        self._context.set_forkserver_preload(preload)
        self._build, self._args = build, args
        self._memory_limit = memory_limit
        self._workers = [self._start() for _ in range(workers)]
        self._open = _Chunk()

    def _start(self) -> _Worker:
        return _Worker(self._context, self._build, self._args, self._memory_limit)

    def submit(self, item: Any, data: bytes) -> tuple[_Chunk, int]:
        chunk = self._open
        chunk.items.append((item, data))
        chunk.size += len(data)
        if len(chunk.items) >= CHUNK_ITEMS or chunk.size >= CHUNK_BYTES:
            self._send()
        return chunk, len(chunk.items) - 1

    def _send(self) -> None:
        chunk, self._open = self._open, _Chunk()
        for _ in range(2):
            worker = min(self._workers, key=lambda w: len(w.waiting))
            if worker.send(chunk):
                return
            self._replace(worker)
        chunk.crashed = True  # two fresh workers could not take it: try its items alone

    def result(self, ticket: tuple[_Chunk, int]) -> Any:
        chunk, index = ticket
        if chunk.worker is None and not chunk.crashed:
            self._send()
        while chunk.results is None and not chunk.crashed:
            worker = chunk.worker
            assert worker is not None
            if not worker.receive():
                self._replace(worker)
        if chunk.results is not None:
            return chunk.results[index]
        return self._alone(*chunk.items[index])

    def _alone(self, item: Any, data: bytes) -> Any:
        """The result of one item of a chunk whose worker died, tried in a fresh worker of
        its own; if it kills that one too, it is the culprit."""
        worker = self._start()
        try:
            single = _Chunk([(item, data)], len(data))
            if worker.send(single) and worker.receive():
                return single.results[0]  # type: ignore[index]
            return CRASHED
        finally:
            worker.stop(timeout=5)

    def _replace(self, worker: _Worker) -> None:
        """Start a worker in the place of ``worker``, which died; what it held is crashed."""
        for chunk in worker.waiting:
            chunk.crashed = True
        worker.waiting.clear()
        worker.stop(timeout=1)
        self._workers[self._workers.index(worker)] = self._start()

    def shutdown(self) -> None:
        for worker in self._workers:
            worker.stop(timeout=10)


def _serve(
    tasks: Connection,
    results: Connection,
    build: Build,
    args: tuple[Any, ...],
    importer: int,
    memory_limit: int = 0,
) -> None:
    """A worker's life: chunks in, results out, until told to stop or the importer is gone.

    One thread reads tasks and one writes results, so this process never blocks the
    importer's writes and its own building never waits for the importer to read. With
    ``memory_limit``, the worker may grow by at most that many bytes of address space
    (:func:`limit_memory`)."""
    _exit_with_parent(importer)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the importer stops its workers itself
    # Hand the interpreter lock to the pipe threads soon after their reads and writes, so
    # that building (which holds it) does not hold up the importer.
    sys.setswitchinterval(0.0005)
    inbox: queue.SimpleQueue[bytes | None] = queue.SimpleQueue()
    outbox: queue.SimpleQueue[bytes | None] = queue.SimpleQueue()
    stopping = threading.Event()  # chunks still queued are not built

    def read() -> None:
        while True:
            try:
                message = tasks.recv_bytes()
            except (EOFError, OSError):
                message = b""
            if not message:
                stopping.set()
                inbox.put(None)
                return
            inbox.put(message)

    def write() -> None:
        while (message := outbox.get()) is not None:
            try:
                results.send_bytes(message)
            except OSError:
                return

    threading.Thread(target=read, daemon=True).start()
    writer = threading.Thread(target=write, daemon=True)
    writer.start()
    if memory_limit:
        limit_memory(memory_limit)
    while (message := inbox.get()) is not None and not stopping.is_set():
        chunk = pickle.loads(message)
        outbox.put(pickle.dumps(build(chunk, *args), pickle.HIGHEST_PROTOCOL))
    outbox.put(None)
    writer.join()


def limit_memory(extra: int) -> None:
    """Let this process grow by at most ``extra`` bytes of address space (``RLIMIT_AS``)
    beyond what it holds now: a hostile file (a decompression bomb) then makes the building
    fail with ``MemoryError`` in this worker, which reports it for that file alone, instead
    of taking the machine's memory (or the importer) down."""
    import resource

    with open("/proc/self/statm", encoding="ascii") as statm:
        now = int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    limit = now + extra
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


def _exit_with_parent(importer: int) -> None:
    """In a worker: end this process when the importer that started it is gone (kill -9).

    The worker's own parent is the fork server, which exits when the importer does; the
    importer is also checked directly."""
    server = os.getppid()

    def alive(pid: int) -> bool:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True

    def watch() -> None:
        while os.getppid() == server and alive(importer):
            time.sleep(1.0)
        os._exit(0)

    threading.Thread(target=watch, daemon=True).start()
