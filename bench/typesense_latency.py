"""How long the Typesense engine takes to search, and how big its stored document is.

Typesense 0.24 reads each hit's whole stored document whatever ``include_fields`` asks, so
a search's cost follows the documents' size times the hits it loads. This script indexes
``--docs`` documents of a JSONL manifest (``bench/engines.py`` writes one) straight into the
engine on one loopback node (``bench/servers.py``), runs ``--queries`` queries drawn from the
titles (1–3 words of the analyzer's terms, fixed seed) through
``engine.search(parsed, limit=10, facets=True)``, and prints p50 / p95 and the stored bytes
per document (the JSON the engine sends, and what the node exports)::

    .venv/bin/python bench/typesense_latency.py --manifest docs-5000.jsonl --docs 3000
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from bench.servers import Cluster  # noqa: E402
from indexer import analysis  # noqa: E402
from indexer.engines.base import IndexDoc  # noqa: E402
from indexer.engines.typesense import TypesenseEngine, to_document  # noqa: E402
from indexer.engines.typesense_cluster import read_settings  # noqa: E402
from indexer.query import parse  # noqa: E402


def load(manifest: Path, count: int) -> list[IndexDoc]:
    docs = []
    with manifest.open(encoding="utf-8") as f:
        for line in f:
            if len(docs) >= count:
                break
            r = json.loads(line)
            category = r.get("category") or ""
            docs.append(
                IndexDoc(
                    id=str(r["id"]),
                    rev=1,
                    title=r.get("title", ""),
                    body=r.get("body", ""),
                    doc_number=r.get("doc_number", "") or "",
                    index_number=r.get("index_number", "") or "",
                    agency=r.get("agency", "") or "",
                    categories=(category,) if category else (),
                    kind=r.get("kind", "notice") or "notice",
                    validity=r.get("validity", "未知") or "未知",
                    date_issued=r.get("date_issued", "") or "",
                )
            )
    return docs


def queries(docs: list[IndexDoc], count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    found: list[str] = []
    while len(found) < count:
        title = rng.choice(docs).title
        words = [w for w in analysis.term_positions(title) if len(w) >= 2]
        if words:
            found.append(" ".join(rng.sample(words, min(len(words), rng.randint(1, 3)))))
    return found


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--manifest", type=Path, default=Path("/tmp/gkprof/docs-5000.jsonl"))
    p.add_argument("--docs", type=int, default=3000)
    p.add_argument("--queries", type=int, default=30)
    p.add_argument("--rounds", type=int, default=2, help="passes over the queries (first warms)")
    p.add_argument("--seed", type=int, default=18)
    args = p.parse_args()
    docs = load(args.manifest, args.docs)
    sent = statistics.mean(
        len(json.dumps(to_document(d), ensure_ascii=False).encode()) for d in docs[:300]
    )
    with tempfile.TemporaryDirectory() as tmp, Cluster(Path(tmp) / "ts", 1):
        engine = TypesenseEngine(Path(tmp) / "index", read_settings(Path(tmp)))
        started = time.monotonic()
        engine.add(docs)
        indexed = time.monotonic() - started
        collection = engine.collection
        exported = engine._read(lambda c: c.collections[collection].documents.export())
        lines = exported.splitlines()  # every stored field
        stored = statistics.mean(len(line.encode()) for line in lines if line.strip())
        qs = queries(docs, args.queries, args.seed)
        times: list[float] = []
        send = engine._search
        calls = {"requests": 0, "searches": 0}

        def counted(searches: list[dict]) -> list[dict]:
            calls["requests"] += 1
            calls["searches"] += len(searches)
            return send(searches)

        engine._search = counted  # type: ignore[method-assign]
        for round_ in range(args.rounds):
            if round_ == args.rounds - 1:
                calls.update(requests=0, searches=0)
            for q in qs:
                parsed = parse(q)
                t = time.perf_counter()
                engine.search(parsed, limit=10, facets=True)
                if round_:
                    times.append((time.perf_counter() - t) * 1000)
        engine.drop()
    times.sort()
    print(
        json.dumps(
            {
                "docs": len(docs),
                "queries": len(times),
                "index_s": round(indexed, 1),
                "sent_bytes_per_doc": round(sent),
                "stored_bytes_per_doc": round(stored),
                "p50_ms": round(statistics.median(times), 1),
                "p95_ms": round(times[int(0.95 * (len(times) - 1))], 1),
                "requests_per_search": round(calls["requests"] / len(qs), 1),
                "searches_per_search": round(calls["searches"] / len(qs), 1),
            }
        )
    )


if __name__ == "__main__":
    main()
