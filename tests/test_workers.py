"""The import's worker processes (indexer/workers.py): results come back for every item in
order, and a worker that dies fails only the item that killed it."""

from __future__ import annotations

import os
import signal

from indexer.workers import CHUNK_ITEMS, CRASHED, WorkerPool


def shout(chunk: list[tuple[str, bytes]], suffix: str) -> list[str]:
    """A stand-in for building: runs in the workers; the item b"die" kills its worker."""
    results = []
    for label, data in chunk:
        if data == b"die":
            os._exit(3)  # as a crash in a native library would
        results.append(f"{label}:{data.decode().upper()}{suffix}")
    return results


def run(pool: WorkerPool, items: list[tuple[str, bytes]]) -> list[str]:
    tickets = [pool.submit(label, data) for label, data in items]
    return [pool.result(t) for t in tickets]


def test_every_item_gets_its_own_result_in_order() -> None:
    pool = WorkerPool(2, shout, "!", preload=[])
    try:
        items = [(f"i{n}", f"text {n}".encode()) for n in range(CHUNK_ITEMS * 5 + 3)]
        assert run(pool, items) == [f"i{n}:TEXT {n}!" for n in range(len(items))]
        pids = {w.process.pid for w in pool._workers}
        assert len(pids) == 2 and os.getpid() not in pids
    finally:
        pool.shutdown()
    assert all(not w.process.is_alive() for w in pool._workers)


def test_an_item_that_kills_its_worker_fails_alone() -> None:
    pool = WorkerPool(2, shout, "", preload=[])
    try:
        items = [(f"i{n}", b"die" if n == 21 else b"ok") for n in range(CHUNK_ITEMS * 3)]
        results = run(pool, items)
        assert results[21] == CRASHED
        assert results[:21] + results[22:] == [f"i{n}:OK" for n in range(len(items)) if n != 21]
        # the pool goes on working with fresh workers
        assert run(pool, [("after", b"fine")]) == ["after:FINE"]
    finally:
        pool.shutdown()


def test_a_worker_killed_from_outside_loses_nothing() -> None:
    pool = WorkerPool(2, shout, "", preload=[])
    try:
        first = [pool.submit(f"a{n}", b"x") for n in range(CHUNK_ITEMS * 4)]
        os.kill(pool._workers[0].process.pid, signal.SIGKILL)
        rest = [pool.submit(f"b{n}", b"y") for n in range(CHUNK_ITEMS * 2)]
        results = [pool.result(t) for t in first + rest]
        expected = [f"a{n}:X" for n in range(CHUNK_ITEMS * 4)]
        expected += [f"b{n}:Y" for n in range(CHUNK_ITEMS * 2)]
        assert results == expected
    finally:
        pool.shutdown()
