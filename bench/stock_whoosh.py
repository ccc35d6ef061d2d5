"""The stock baseline: what a user would build from the Whoosh and jieba documentation.

One Whoosh index with ``jieba.analyse.ChineseAnalyzer()`` on title and body (body stored, so
results can be highlighted), one process, one ``ix.writer()`` → ``add_document`` per file →
``commit()``; queries parsed by ``MultifieldParser(["title", "body"])`` and the top 10 hits
highlighted with ``hit.highlights("body")``.

Run on its own (normally :mod:`bench.import_search` runs it in a fresh subprocess)::

    .venv/bin/python bench/stock_whoosh.py --texts DIR --queries queries.json --out result.json
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import cpu_seconds, dir_size, latency_summary, peak_rss_mb, read_text_file


def build_index(texts: Path, index_dir: Path) -> dict[str, float]:
    """Index every ``*.txt`` under ``texts`` into a new Whoosh index at ``index_dir``."""
    import jieba
    import jieba.analyse
    from whoosh import fields, index

    jieba.setLogLevel(logging.WARNING)
    started = time.perf_counter()
    cpu_started = cpu_seconds()
    analyzer = jieba.analyse.ChineseAnalyzer()
    schema = fields.Schema(
        id=fields.ID(stored=True, unique=True),
        title=fields.TEXT(stored=True, analyzer=analyzer),
        body=fields.TEXT(stored=True, analyzer=analyzer),
    )
    index_dir.mkdir(parents=True, exist_ok=True)
    ix = index.create_in(str(index_dir), schema)
    writer = ix.writer()
    count = 0
    body_bytes = 0
    for path in sorted(texts.glob("*.txt")):
        title, body = read_text_file(path)
        body_bytes += len(body.encode("utf-8"))
        writer.add_document(id=path.stem, title=title, body=body)
        count += 1
    commit_started = time.perf_counter()
    writer.commit()
    ix.close()
    ended = time.perf_counter()
    cpu = cpu_seconds() - cpu_started
    return {
        "docs": count,
        "body_bytes": body_bytes,
        "seconds": ended - started,
        "commit_seconds": ended - commit_started,
        "cpu_seconds": cpu,
    }


def run_queries(index_dir: Path, queries: list[dict]) -> dict[str, object]:
    """Run every query (top 10, highlighted); latency per query in ms and hit counts."""
    from whoosh import index
    from whoosh.qparser import MultifieldParser

    ix = index.open_dir(str(index_dir))
    searcher = ix.searcher()
    parser = MultifieldParser(["title", "body"], schema=ix.schema)

    def one(q: str) -> int:
        results = searcher.search(parser.parse(q), limit=10)
        for hit in results:
            _ = hit["title"], hit.highlights("body")
        return len(results)

    cold_started = time.perf_counter()
    one("条例")  # first query pays for opening the index's files; reported apart
    cold_ms = (time.perf_counter() - cold_started) * 1000
    latencies: list[float] = []
    hits: list[int] = []
    per_query: list[dict] = []
    for item in queries:
        started = time.perf_counter()
        try:
            total = one(item["q"])
            error = ""
        except Exception as exc:  # a stock parser error is a result worth recording
            total, error = 0, f"{type(exc).__name__}: {exc}"
        elapsed = (time.perf_counter() - started) * 1000
        latencies.append(elapsed)
        hits.append(total)
        per_query.append(
            {"q": item["q"], "kind": item["kind"], "ms": round(elapsed, 2), "hits": total}
            | ({"error": error} if error else {})
        )
    searcher.close()
    ix.close()
    return {
        "cold_first_query_ms": round(cold_ms, 2),
        **latency_summary(latencies, hits),
        "per_query": per_query,
    }


def run(texts: Path, queries: list[dict], work: Path) -> dict[str, object]:
    """The whole stock measurement: import, sizes, queries, peak RSS."""
    index_dir = work / "stock-index"
    imp = build_index(texts, index_dir)
    rss_after_import = peak_rss_mb()
    search = run_queries(index_dir, queries)
    mb = imp["body_bytes"] / 1e6
    return {
        "engine": "stock whoosh + jieba ChineseAnalyzer",
        "import": {
            "docs": imp["docs"],
            "seconds": round(imp["seconds"], 2),
            "commit_seconds": round(imp["commit_seconds"], 2),
            "cpu_seconds": round(imp["cpu_seconds"], 2),
            "docs_per_s": round(imp["docs"] / imp["seconds"], 1),
            "mb_per_s": round(mb / imp["seconds"], 3),
            "body_mb": round(mb, 2),
            "peak_rss_mb_after_import": round(rss_after_import, 1),
            "index_bytes": dir_size(index_dir),
            "data_bytes": dir_size(index_dir),
        },
        "search": search,
        "peak_rss_mb": round(peak_rss_mb(), 1),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--texts", type=Path, required=True, help="folder of .txt files")
    ap.add_argument("--queries", type=Path, required=True, help="JSON list of {q, kind}")
    ap.add_argument("--out", type=Path, required=True, help="where to write the JSON result")
    ap.add_argument("--work", type=Path, help="scratch folder (default: a new temp folder)")
    args = ap.parse_args(argv)
    queries = json.loads(args.queries.read_text(encoding="utf-8"))
    if args.work:
        result = run(args.texts, queries, args.work)
    else:
        with tempfile.TemporaryDirectory(prefix="bench-stock-") as work:
            result = run(args.texts, queries, Path(work))
    args.out.write_text(json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
