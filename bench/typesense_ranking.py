"""How often the Typesense engine's top 10 agree with tantivy's, and what each choice of
candidates costs.

Typesense orders hits by tantivy's BM25 (:mod:`indexer.engines.typesense_scoring`), but only
over candidates: the best ``CANDIDATES`` by its own text match and the ``OFTEN`` bodies
saying the query's words most often (:mod:`indexer.engines.typesense`). This script indexes
``--docs`` documents of a JSONL manifest (``bench/engines.py`` writes one) into tantivy and
into one loopback Typesense node, draws ``--queries`` queries with ``bench.common.make_queries``
and, for each ``--choices`` pair ``candidates:often``, prints how many queries have the same
first hit as tantivy, the mean share of tantivy's top 10 in Typesense's, and p50 / p95 of
``engine.search(parsed, limit=50)`` (the window the service re-ranks)::

    .venv/bin/python bench/typesense_ranking.py --manifest docs-20000.jsonl --docs 20000
"""

from __future__ import annotations

import argparse
import itertools
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

import indexer.engines.typesense as ts  # noqa: E402
from bench.common import make_queries  # noqa: E402
from bench.servers import Cluster  # noqa: E402
from bench.typesense_latency import load  # noqa: E402
from indexer.engines.typesense_cluster import read_settings  # noqa: E402
from indexer.query import QuerySyntaxError, parse  # noqa: E402
from indexer.service import open_engine  # noqa: E402


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--manifest", type=Path, required=True)
    p.add_argument("--docs", type=int, default=20000)
    p.add_argument("--queries", type=int, default=100)
    p.add_argument("--choices", default="250:0,100:0,100:50,50:50")
    args = p.parse_args()
    docs = load(args.manifest, args.docs)
    with args.manifest.open(encoding="utf-8") as f:
        rows = [json.loads(line) for line in itertools.islice(f, args.docs)]
    queries = [q["q"] for q in make_queries(rows, args.queries)]
    with tempfile.TemporaryDirectory() as tmp, Cluster(Path(tmp) / "ts", 1):
        tantivy = open_engine(Path(tmp) / "tantivy", "tantivy")
        tantivy.add(docs)
        tantivy.refresh()
        engine = ts.TypesenseEngine(Path(tmp) / "typesense", read_settings(Path(tmp)))
        started = time.monotonic()
        engine.add(docs)
        print(
            json.dumps(
                {"docs": len(docs), "typesense_index_s": round(time.monotonic() - started, 1)}
            )
        )
        truth: dict[str, list[str]] = {}
        for q in queries:
            try:
                truth[q] = [h.id for h in tantivy.search(parse(q), limit=10).hits]
            except QuerySyntaxError:
                continue
        for choice in args.choices.split(","):
            ts.CANDIDATES, ts.OFTEN = (int(n) for n in choice.split(":"))
            first = 0
            shares: list[float] = []
            times: list[float] = []
            for q, expected in truth.items():
                started = time.perf_counter()
                hits = [h.id for h in engine.search(parse(q), limit=50).hits][:10]
                times.append((time.perf_counter() - started) * 1000)
                first += hits[:1] == expected[:1]
                shares.append(len(set(hits) & set(expected)) / max(1, len(expected)))
            times.sort()
            print(
                json.dumps(
                    {
                        "candidates": ts.CANDIDATES,
                        "often": ts.OFTEN,
                        "queries": len(times),
                        "same_first": first,
                        "top10_share": round(statistics.mean(shares), 3),
                        "p50_ms": round(statistics.median(times), 1),
                        "p95_ms": round(times[int(0.95 * (len(times) - 1))], 1),
                    }
                )
            )
        engine.drop()
        tantivy.close()


if __name__ == "__main__":
    main()
