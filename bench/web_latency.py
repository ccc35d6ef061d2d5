"""Search latency of the web site: 200 requests to /search (and /api/v1/search), p50/p95.

    python bench/web_latency.py --data DATA_DIR [--requests 200] [--mode client|waitress] [--json]
    python bench/web_latency.py --data DIR --against OTHER_DIR   # alternating, both served

``client`` drives the Flask app in-process with its test client (no network); ``waitress``
starts the production server on a free loopback port in a thread and uses real HTTP. Queries
are words taken from the titles of the archive's own documents (so every corpus has hits),
mixed with facet, sort and paging parameters. The first ``--warm-up`` requests (50, other
queries than the measured ones) are not counted: a server that has just started (its
connections' catalogue and plan caches on PostgreSQL, the vocabulary, the engine's reader)
is slower for its first requests than in the steady state this figure is about.

``--against`` serves a second data directory of the same documents (say, the same archive on
PostgreSQL) beside the first and sends every request to both, one after the other: runs made
one after another on this machine drift by more than the difference being measured.
"""

from __future__ import annotations

import argparse
import json
import random
import socket
import statistics
import sys
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from indexer.analysis import words
from indexer.service import Gongkai
from search_app import create_app


def queries(data: Path, count: int, seed: int = 7) -> list[str]:
    """``count`` search URLs built from the archive's titles and metadata."""
    rng = random.Random(seed)
    with Gongkai(data, readonly=True) as gk:
        docs = list(gk.archive.iter_documents())
    if not docs:
        raise SystemExit(f"no documents in {data}")
    urls = []
    for i in range(count):
        doc = rng.choice(docs)
        terms = [w for w in words(doc.title) if len(w) >= 2] or [doc.title[:2]]
        params: list[tuple[str, str]] = [("q", " ".join(rng.sample(terms, min(2, len(terms)))))]
        if i % 4 == 1 and doc.agency:
            params.append(("agency", doc.agency))
        if i % 5 == 2:
            params.append(("sort", "newest"))
        if i % 7 == 3:
            params.append(("valid_only", "1"))
        if i % 9 == 4:
            params.append(("page", "2"))
        path = "/api/v1/search" if i % 3 == 0 else "/search"
        urls.append(path + "?" + urllib.parse.urlencode(params))
    return urls


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def run_client(data: Path, urls: list[str], warm: list[str]) -> list[float]:
    client = create_app({"DATA_DIR": data}).test_client()
    for url in warm:
        client.get(url)
    timings = []
    for url in urls:
        start = time.perf_counter()
        response = client.get(url)
        timings.append((time.perf_counter() - start) * 1000)
        if response.status_code != 200:
            raise SystemExit(f"{url} → {response.status_code}")
    return timings


@contextmanager
def serving(data: Path) -> Iterator[str]:
    """The production server (waitress) on a free loopback port, in a thread: its base URL."""
    from waitress.server import create_server

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = create_server(create_app({"DATA_DIR": data}), host="127.0.0.1", port=port)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        time.sleep(0.2)  # let the last channel finish before the trigger closes
        server.close()


def _timed_get(base: str, url: str) -> float:
    start = time.perf_counter()
    with urllib.request.urlopen(base + url) as response:
        response.read()
    return (time.perf_counter() - start) * 1000


def run_waitress(data: Path, urls: list[str], warm: list[str]) -> list[float]:
    with serving(data) as base:
        for url in warm:
            _timed_get(base, url)
        return [_timed_get(base, url) for url in urls]


def run_alternating(
    first: Path, second: Path, urls: list[str], warm: list[str]
) -> tuple[list[float], list[float]]:
    """Each URL asked of ``first``'s server, then of ``second``'s, request by request (the
    order swapped every other URL): both meet the same drift of the machine's speed, which
    between runs one after the other is larger than many differences worth measuring."""
    with serving(first) as one, serving(second) as two:
        for url in warm:
            _timed_get(one, url)
            _timed_get(two, url)
        a: list[float] = []
        b: list[float] = []
        for n, url in enumerate(urls):
            if n % 2:
                b.append(_timed_get(two, url))
                a.append(_timed_get(one, url))
            else:
                a.append(_timed_get(one, url))
                b.append(_timed_get(two, url))
        return a, b


def summary(timings: list[float]) -> dict[str, float]:
    return {
        "p50_ms": round(statistics.median(timings), 1),
        "p95_ms": round(percentile(timings, 0.95), 1),
        "max_ms": round(max(timings), 1),
        "mean_ms": round(statistics.mean(timings), 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, required=True, help="an imported data directory")
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--mode", choices=("client", "waitress"), default="waitress")
    parser.add_argument(
        "--warm-up",
        type=int,
        default=50,
        help="requests (other queries, not counted) before the measured ones",
    )
    parser.add_argument(
        "--against",
        type=Path,
        default=None,
        help="a second data directory (of the same documents): both served by waitress, the "
        "same requests alternating between them; p50/p95 of each and their ratios",
    )
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    every = queries(args.data, args.warm_up + args.requests)
    warm, urls = every[: args.warm_up], every[args.warm_up :]
    if args.against is not None:
        alternate(args.data, args.against, urls, warm, as_json=args.json)
        return
    timings = (run_client if args.mode == "client" else run_waitress)(args.data, urls, warm)
    with Gongkai(args.data, readonly=True) as gk:
        documents = gk.archive.count()
    report = {
        "mode": args.mode,
        "documents": documents,
        "requests": len(timings),
        "warm_up": len(warm),
        "p50_ms": round(statistics.median(timings), 1),
        "p95_ms": round(percentile(timings, 0.95), 1),
        "max_ms": round(max(timings), 1),
    }
    if args.json:
        print(json.dumps(report))
    else:
        print(
            f"{report['requests']} search requests ({args.mode}, {documents} documents): "
            f"p50 {report['p50_ms']} ms, p95 {report['p95_ms']} ms, max {report['max_ms']} ms"
        )


def alternate(
    first: Path, second: Path, urls: list[str], warm: list[str], *, as_json: bool
) -> None:
    a, b = run_alternating(first, second, urls, warm)
    one, two = summary(a), summary(b)
    report = {
        "mode": "waitress, alternating",
        "requests": len(urls),
        "warm_up": len(warm),
        "first": {"data": str(first), **one},
        "second": {"data": str(second), **two},
        "p50_ratio": round(two["p50_ms"] / one["p50_ms"], 3),
        "p95_ratio": round(two["p95_ms"] / one["p95_ms"], 3),
        "mean_ratio": round(two["mean_ms"] / one["mean_ms"], 3),
    }
    if as_json:
        print(json.dumps(report))
        return
    for name, row in (("first", one), ("second", two)):
        print(f"{name}: p50 {row['p50_ms']} ms, p95 {row['p95_ms']} ms, mean {row['mean_ms']} ms")
    print(
        f"second / first: p50 {report['p50_ratio']}×, p95 {report['p95_ratio']}×, "
        f"mean {report['mean_ratio']}× ({len(urls)} requests each, alternating)"
    )


if __name__ == "__main__":
    main()
