"""Load on the real server: 1, 8 and 32 concurrent clients against ``gongkai serve``.

    python bench/load.py --data DATA_DIR [--prepare --engine tantivy|whoosh --corpus JSONL]
        [--clients 1 8 32] [--requests 400] [--seconds 30] [--workers N] [--server NAME]
        [--distinct 300] [--gongkai PATH] [--json]

Why a separate script from ``bench/web_latency.py``: that one times one search at a time in
one process; this one starts the server as people run it (``gongkai serve`` on a free
loopback port, its own processes) and measures what a portal sees on a busy day: throughput
and tail latency under concurrency, errors, and the memory of every server process.

The mix, drawn from the archive's own documents (so every corpus has hits), per 100 requests:
30 result pages (``/search``, half of them with a filter: agency, valid only, kind, year or
newest first), 15 ``/api/v1/search``, 25 document pages, 10 ``/wenhao/…`` look-ups (302, 200
and 404 are all answers), 10 ``/api/v1/check`` POSTs of 20 references, 10 home pages. Each
request is one new connection (as from nginx without upstream keep-alive); ``--distinct``
bounds how many different URLs the mix holds, so popular pages repeat as they do on a real
site. Each level runs until ``--requests`` are answered or ``--seconds`` pass, whichever comes
first, after a warm-up of 20 requests that is not counted; each level draws its own requests
from the same pool (so a later level finds some pages in the server's cache, as a site does).

``--prepare`` builds ``DATA_DIR`` from the shared corpus first when it holds no archive
(``gongkai init --engine`` + ``gongkai import``). ``--gongkai`` runs another checkout's
command (to compare before and after a change). Only loopback is ever contacted.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from common import DEFAULT_CORPUS, load_corpus, write_texts

HOST = "127.0.0.1"
#: Statuses that are answers (not errors) per kind of request.
EXPECTED = {"wenhao": {200, 302, 404}}
WARM_UP = 20


@dataclass
class Request:
    kind: str
    path: str
    body: bytes | None = None


@dataclass
class Level:
    clients: int
    timings: dict[str, list[float]] = field(default_factory=dict)
    errors: int = 0
    error_samples: list[str] = field(default_factory=list)
    seconds: float = 0.0


def gongkai_command(given: str | None) -> list[str]:
    if given:
        return [given]
    script = Path(sys.executable).with_name("gongkai")
    return [str(script)] if script.exists() else [sys.executable, "-m", "cli"]


def prepare(data: Path, engine: str, command: list[str], corpus: Path, limit: int | None) -> None:
    """An archive of the shared corpus in ``data`` (left alone when one is there)."""
    if (data / "archive.sqlite3").exists():
        return
    with tempfile.TemporaryDirectory() as tmp:
        write_texts(load_corpus(corpus, limit), Path(tmp) / "corpus")
        subprocess.run([*command, "--data", str(data), "init", "--engine", engine], check=True)
        subprocess.run(
            [*command, "--data", str(data), "import", "--quiet", str(Path(tmp) / "corpus")],
            check=True,
        )


def build_mix(data: Path, total: int, distinct: int, seed: int = 11) -> list[Request]:
    """``total`` requests drawn from ``distinct`` different ones (see the module docstring)."""
    from archive import Archive
    from indexer.analysis import words

    rng = random.Random(seed)
    with Archive.open(data, readonly=True) as archive:
        docs = list(
            archive.fields(
                ["id", "title", "agency", "kind", "date_issued", "doc_number", "doc_number_norm"]
            )
        )
    if not docs:
        raise SystemExit(f"no documents in {data}")
    numbered = [d for d in docs if d["doc_number_norm"]]

    def query(doc: dict) -> str:
        terms = [w for w in words(doc["title"]) if len(w) >= 2] or [doc["title"][:2]]
        return " ".join(rng.sample(terms, min(2, len(terms))))

    def search_params(doc: dict, i: int) -> list[tuple[str, str]]:
        params = [("q", query(doc))]
        extra = i % 10
        if extra == 1 and doc["agency"]:
            params.append(("agency", doc["agency"]))
        elif extra == 2:
            params.append(("valid_only", "1"))
        elif extra == 3:
            params.append(("kind", doc["kind"]))
        elif extra == 4 and doc["date_issued"][:4]:
            params.append(("year", doc["date_issued"][:4]))
        elif extra == 5:
            params.append(("sort", "newest"))
        return params

    def ref(doc: dict) -> str:
        return doc["doc_number"] or doc["title"]

    pool: list[Request] = []
    for i in range(distinct):
        doc = rng.choice(docs)
        slot = i % 20
        if slot < 6:
            pool.append(
                Request("search", "/search?" + urllib.parse.urlencode(search_params(doc, i)))
            )
        elif slot < 9:
            pool.append(
                Request(
                    "api_search", "/api/v1/search?" + urllib.parse.urlencode(search_params(doc, i))
                )
            )
        elif slot < 14:
            pool.append(Request("document", f"/doc/{doc['id']}"))
        elif slot < 16:
            if numbered and slot == 14:
                number = rng.choice(numbered)["doc_number"]
            else:
                number = f"某府发〔{rng.randint(2000, 2024)}〕{rng.randint(1, 99)}号"
            pool.append(Request("wenhao", "/wenhao/" + urllib.parse.quote(number)))
        elif slot < 18:
            refs = [ref(rng.choice(docs)) for _ in range(20)]
            body = json.dumps({"refs": refs}, ensure_ascii=False).encode("utf-8")
            pool.append(Request("check", "/api/v1/check", body))
        else:
            pool.append(Request("home", "/"))
    return [rng.choice(pool) for _ in range(total)]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def fetch(port: int, request: Request, timeout: float = 30.0) -> int:
    conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        if request.body is None:
            conn.request("GET", request.path)
        else:
            conn.request(
                "POST",
                request.path,
                body=request.body,
                headers={"Content-Type": "application/json"},
            )
        response = conn.getresponse()
        response.read()
        return response.status
    finally:
        conn.close()


def start_server(command: list[str], data: Path, port: int, extra: list[str]) -> subprocess.Popen:
    """``gongkai serve`` on ``port``, answering. Its log goes to a file, not a pipe: a pipe
    nobody reads fills (64 KB) and then stops the server at its next log line."""
    log = tempfile.TemporaryFile()  # noqa: SIM115 (the server writes it until it stops)
    server = subprocess.Popen(
        [*command, "--data", str(data), "serve", "--host", HOST, "--port", str(port), *extra],
        stdout=subprocess.DEVNULL,
        stderr=log,
        start_new_session=True,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if server.poll() is not None:
            log.seek(0)
            raise SystemExit(f"server exited: {log.read().decode(errors='replace')[-2000:]}")
        try:
            fetch(port, Request("probe", "/api/v1/openapi.json"), timeout=5)
            return server
        except OSError:
            time.sleep(0.2)
    server.kill()
    raise SystemExit("server did not answer within 120 s")


def first_request_ms(port: int, request: Request) -> float:
    start = time.perf_counter()
    fetch(port, request)
    return (time.perf_counter() - start) * 1000


def run_level(
    port: int | list[int], clients: int, mix: list[Request], requests: int, seconds: float
) -> Level:
    """``clients`` threads sending ``mix``; with several ports (web nodes), request ``i``
    goes to node ``i mod n`` (a round-robin balancer)."""
    ports = port if isinstance(port, list) else [port]
    level = Level(clients)
    lock = threading.Lock()
    cursor = iter(range(requests))
    deadline = time.monotonic() + seconds

    def client() -> None:
        while time.monotonic() < deadline:
            with lock:
                i = next(cursor, None)
            if i is None:
                return
            request = mix[i % len(mix)]
            start = time.perf_counter()
            try:
                status = fetch(ports[i % len(ports)], request)
                ok = status in EXPECTED.get(request.kind, {200})
                why = f"{status} {request.path[:80]}"
            except OSError as exc:
                ok, why = False, f"{type(exc).__name__} {request.path[:80]}"
            elapsed = (time.perf_counter() - start) * 1000
            with lock:
                level.timings.setdefault(request.kind, []).append(elapsed)
                if not ok:
                    level.errors += 1
                    if len(level.error_samples) < 5:
                        level.error_samples.append(why)

    threads = [threading.Thread(target=client, daemon=True) for _ in range(clients)]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(seconds + 60)
    level.seconds = time.perf_counter() - start
    return level


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))] if ordered else 0.0


def rss_per_process(root: int) -> list[float]:
    """Resident MB of the server process and each of its descendants (Linux /proc)."""
    parents: dict[int, int] = {}
    rss: dict[int, float] = {}
    page = os.sysconf("SC_PAGE_SIZE")
    for entry in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = entry.read_text()
        except OSError:
            continue
        fields = text[text.rfind(")") + 2 :].split()
        pid = int(entry.parent.name)
        parents[pid] = int(fields[1])
        rss[pid] = round(int(fields[21]) * page / 1e6, 1)
    tree, grew = {root}, True
    while grew:
        grew = False
        for pid, parent in parents.items():
            if pid not in tree and parent in tree:
                tree.add(pid)
                grew = True
    return [rss[p] for p in sorted(tree) if p in rss]


def summary(level: Level, rss: list[float]) -> dict[str, object]:
    every = [t for values in level.timings.values() for t in values]
    count = len(every)
    return {
        "clients": level.clients,
        "requests": count,
        "seconds": round(level.seconds, 2),
        "requests_per_s": round(count / level.seconds, 1) if level.seconds else 0.0,
        "p50_ms": round(percentile(every, 0.50), 1),
        "p95_ms": round(percentile(every, 0.95), 1),
        "p99_ms": round(percentile(every, 0.99), 1),
        "max_ms": round(max(every, default=0.0), 1),
        "errors": level.errors,
        "error_samples": level.error_samples,
        "rss_mb": rss,
        "by_kind": {
            kind: {
                "n": len(values),
                "p50_ms": round(statistics.median(values), 1),
                "p95_ms": round(percentile(values, 0.95), 1),
            }
            for kind, values in sorted(level.timings.items())
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--prepare", action="store_true", help="import the corpus if needed")
    parser.add_argument("--engine", default="tantivy", help="engine for --prepare")
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS, help="for --prepare")
    parser.add_argument("--limit", type=int, default=None, help="corpus rows for --prepare")
    parser.add_argument("--clients", type=int, nargs="+", default=[1, 8, 32])
    parser.add_argument("--requests", type=int, default=400, help="per level, at most")
    parser.add_argument("--seconds", type=float, default=30.0, help="per level, at most")
    parser.add_argument("--distinct", type=int, default=300, help="different requests")
    parser.add_argument("--workers", type=int, default=None, help="serve --workers")
    parser.add_argument("--server", default=None, help="serve --server")
    parser.add_argument("--gongkai", default=None, help="the gongkai command to run")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    command = gongkai_command(args.gongkai)
    if args.prepare:
        prepare(args.data, args.engine, command, args.corpus, args.limit)
    per_level = max(args.requests, 1)
    mix = build_mix(args.data, WARM_UP + per_level * len(args.clients), max(args.distinct, 1))
    extra = []
    if args.workers is not None:
        extra += ["--workers", str(args.workers)]
    if args.server:
        extra += ["--server", args.server]
    port = free_port()
    started = time.perf_counter()
    server = start_server(command, args.data, port, extra)
    report: dict[str, object] = {
        "data": str(args.data),
        "serve_args": extra,
        "start_s": round(time.perf_counter() - started, 2),
        "first_search_ms": round(first_request_ms(port, mix[0]), 1),
        "levels": [],
    }
    try:
        for request in mix[:WARM_UP]:
            fetch(port, request)
        for n, clients in enumerate(args.clients):
            start = WARM_UP + n * per_level
            level = run_level(
                port, clients, mix[start : start + per_level], per_level, args.seconds
            )
            report["levels"].append(summary(level, rss_per_process(server.pid)))  # type: ignore[union-attr]
    finally:
        os.killpg(server.pid, 15)
        try:
            server.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, 9)
    if args.json:
        print(json.dumps(report, ensure_ascii=False))
        return
    print(
        f"{args.data} {' '.join(extra) or '(default serve)'}: started in {report['start_s']} s, "
        f"first request {report['first_search_ms']} ms"
    )
    print("clients  requests  req/s   p50 ms  p95 ms  p99 ms  max ms  errors  RSS MB per process")
    for row in report["levels"]:  # type: ignore[union-attr]
        print(
            f"{row['clients']:>7}  {row['requests']:>8}  {row['requests_per_s']:>5}  "
            f"{row['p50_ms']:>6}  {row['p95_ms']:>6}  {row['p99_ms']:>6}  {row['max_ms']:>6}  "
            f"{row['errors']:>6}  {row['rss_mb']}"
        )
        kinds = ", ".join(f"{k} p95 {v['p95_ms']}" for k, v in row["by_kind"].items())
        print(f"         {kinds}")
        for sample in row["error_samples"]:
            print(f"         error: {sample}")


if __name__ == "__main__":
    main()
