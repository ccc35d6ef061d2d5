"""Import and search benchmark: Gongkai against stock Whoosh + jieba, on the shared corpus.

Steps (each engine in its own fresh subprocess, one after the other, so peak RSS and timings
are its own):

1. write every corpus row as a .txt file with a header block into a temp folder;
2. Gongkai: ``Gongkai(data_dir).import_paths([folder])`` into a fresh data dir, then the query
   set through ``Gongkai.search(q, limit=10)`` (snippets and highlights included);
3. stock: :mod:`stock_whoosh` on the same files and queries;
4. segmentation alone: jieba precise / search mode, jieba's Whoosh analyzer, rjieba, and our
   ``indexer.analysis.term_positions``, in MB/s on the same text;
5. where our import spends its time: an instrumented import of ``--profile-docs`` files
   (extraction, archive, segmentation, Whoosh), then the same under cProfile
   (``bench/out/profile.txt``).

Prints a table and writes ``bench/out/results.json``. ``make bench`` runs it on the full
corpus (several minutes); ``--limit 300`` is a quick run.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (
    DEFAULT_CORPUS,
    OUT_DIR,
    REPO,
    SEED,
    TreeMonitor,
    body_bytes,
    dir_size,
    latency_summary,
    load_corpus,
    make_queries,
    peak_rss_mb,
    write_texts,
)

HERE = Path(__file__).resolve()


# -- workers (each runs in a fresh subprocess) ---------------------------------------------------


def worker_gongkai(
    texts: Path, queries: list[dict], work: Path, workers: int = 1
) -> dict[str, object]:
    """Import ``texts`` with the library into a new data dir, then run the queries.

    With ``workers`` > 1 the library's parallel import (``import_files(..., workers=N)``) is
    used. The CPU figure counts every process of the import (workers, background index
    writer)."""
    sys.path.insert(0, str(REPO))
    from indexer.query import QuerySyntaxError
    from indexer.reading import iter_files
    from indexer.service import Gongkai

    files = sorted(texts.glob("*.txt"))
    total_bytes = 0
    for path in files:
        body = path.read_text(encoding="utf-8").partition("\n\n")[2]
        total_bytes += len(body.encode("utf-8"))
    data_dir = work / "gongkai-data"
    started = time.perf_counter()
    with TreeMonitor() as tree, Gongkai(data_dir) as gk:
        if workers > 1:
            report = gk.import_files(iter_files([texts]), workers=workers)
        else:
            report = gk.import_paths([texts])
    seconds = time.perf_counter() - started
    cpu = tree.cpu_seconds  # with the workers and the background index writer
    rss_after_import = peak_rss_mb()
    counts = report.counts()

    gk = Gongkai(data_dir, readonly=True)  # as the web app opens it
    cold_started = time.perf_counter()
    gk.search("条例", limit=10)  # first query pays for opening the index; reported apart
    cold_ms = (time.perf_counter() - cold_started) * 1000
    latencies: list[float] = []
    hits: list[int] = []
    per_query: list[dict] = []
    for item in queries:
        q_started = time.perf_counter()
        try:
            result = gk.search(item["q"], limit=10)
            total, error = result.total, ""
        except QuerySyntaxError as exc:
            total, error = 0, f"QuerySyntaxError: {exc}"
        elapsed = (time.perf_counter() - q_started) * 1000
        latencies.append(elapsed)
        hits.append(total)
        per_query.append(
            {"q": item["q"], "kind": item["kind"], "ms": round(elapsed, 2), "hits": total}
            | ({"error": error} if error else {})
        )
    gk.close()
    mb = total_bytes / 1e6
    return {
        "engine": "gongkai (archive + whoosh, own analyzer)",
        "import": {
            "docs": counts["imported"],
            "outcomes": counts,
            "workers": workers,
            "seconds": round(seconds, 2),
            "cpu_seconds": round(cpu, 2),
            "docs_per_s": round(counts["imported"] / seconds, 1),
            "mb_per_s": round(mb / seconds, 3),
            "body_mb": round(mb, 2),
            "peak_rss_mb_after_import": round(rss_after_import, 1),
            "peak_rss_mb_all_processes": tree.peak_rss_mb,
            "index_bytes": dir_size(data_dir / "index"),
            "archive_bytes": dir_size(data_dir) - dir_size(data_dir / "index"),
            "data_bytes": dir_size(data_dir),
        },
        "search": {
            "cold_first_query_ms": round(cold_ms, 2),
            **latency_summary(latencies, hits),
            "per_query": per_query,
        },
        "peak_rss_mb": round(peak_rss_mb(), 1),
    }


def worker_segmentation(corpus: Path, limit: int | None, seg_mb: float) -> dict[str, object]:
    """MB/s of each segmenter over the same body texts (the first ``seg_mb`` MB of them)."""
    sys.path.insert(0, str(REPO))
    import jieba
    import jieba.analyse
    import rjieba

    from indexer import analysis

    jieba.setLogLevel(logging.WARNING)
    texts: list[str] = []
    size = 0
    for doc in load_corpus(corpus, limit):
        body = doc.get("body") or ""
        texts.append(body)
        size += len(body.encode("utf-8"))
        if size >= seg_mb * 1e6:
            break
    stock_analyzer = jieba.analyse.ChineseAnalyzer()
    methods = {
        "jieba.cut (precise, HMM)": lambda t: sum(1 for _ in jieba.cut(t)),
        "jieba.tokenize (search mode)": lambda t: sum(1 for _ in jieba.tokenize(t, mode="search")),
        "jieba ChineseAnalyzer (stock Whoosh analyzer)": lambda t: sum(
            1 for _ in stock_analyzer(t, positions=True, chars=True)
        ),
        "rjieba.cut": lambda t: len(rjieba.cut(t)),
        "rjieba.tokenize (default, hmm)": lambda t: len(
            rjieba.tokenize(t, mode="default", hmm=True)
        ),
        "indexer.analysis.term_positions (ours, index mode)": lambda t: len(
            analysis.term_positions(t)
        ),
    }
    results: dict[str, dict[str, float]] = {}
    for name, fn in methods.items():
        fn("本条例自公布之日起施行。")  # load the dictionary before timing
        started = time.perf_counter()
        for text in texts:
            fn(text)
        seconds = time.perf_counter() - started
        results[name] = {"seconds": round(seconds, 2), "mb_per_s": round(size / 1e6 / seconds, 3)}
    return {"docs": len(texts), "mb": round(size / 1e6, 2), "methods": results}


def worker_profile(texts: Path, docs: int, work: Path, out_txt: Path) -> dict[str, object]:
    """Where the import spends its time on the first ``docs`` files: an instrumented run
    (wall time per stage) and a cProfile run (top functions, written to ``out_txt``)."""
    sys.path.insert(0, str(REPO))
    import cProfile
    import io
    import pstats

    from whoosh import writing

    import indexer.analysis
    import indexer.building
    from archive import Archive
    from indexer.engines.whoosh import WhooshEngine
    from indexer.service import Gongkai

    files = sorted(texts.glob("*.txt"))[:docs]
    build = "extract + header (build_document)"
    store = "archive.add (SQLite + originals)"
    engine = "engine.add (Whoosh, all)"
    seg = "  of which segmentation (term_positions)"
    commit = "  of which Whoosh commit (flush, merge)"
    postings = "  of which postings/update_document (rest)"
    rest = "rest (read, sha256, dedupe check, loop)"
    spent: dict[str, float] = {}

    def timed(owner: object, attr: str, label: str) -> None:
        original = getattr(owner, attr)

        def wrapper(*args: object, **kwargs: object) -> object:
            started = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                spent[label] = spent.get(label, 0.0) + time.perf_counter() - started

        setattr(owner, attr, wrapper)
        restore.append((owner, attr, original))

    restore: list[tuple[object, str, object]] = []
    timed(indexer.building, "build_document", build)
    timed(Archive, "add", store)
    timed(WhooshEngine, "add", engine)
    timed(indexer.analysis, "term_positions", seg)
    timed(writing.SegmentWriter, "commit", commit)
    started = time.perf_counter()
    with Gongkai(work / "instrumented") as gk:
        gk.import_paths(files)
    total = time.perf_counter() - started
    for owner, attr, original in reversed(restore):
        setattr(owner, attr, original)
    stages = {name: spent.get(name, 0.0) for name in (build, store, engine, seg, commit)}
    stages[postings] = stages[engine] - stages[seg] - stages[commit]
    stages[rest] = total - stages[engine] - stages[build] - stages[store]
    stages = {
        name: round(stages[name], 3) for name in (build, store, rest, engine, seg, postings, commit)
    }

    profiler = cProfile.Profile()
    with Gongkai(work / "profiled") as gk:
        profiler.enable()
        gk.import_paths(files)
        profiler.disable()
    buffer = io.StringIO()
    buffer.write(f"cProfile of importing {len(files)} files (Gongkai.import_paths)\n\n")
    stats = pstats.Stats(profiler, stream=buffer).strip_dirs()
    buffer.write("== top 15 by cumulative time ==\n")
    stats.sort_stats("cumulative").print_stats(15)
    buffer.write("\n== top 15 by own (total) time ==\n")
    stats.sort_stats("tottime").print_stats(15)
    out_txt.write_text(buffer.getvalue(), encoding="utf-8")
    top = []
    stats.sort_stats("cumulative")
    for func in stats.fcn_list[:15]:  # type: ignore[attr-defined]
        _cc, ncalls, tottime, cumtime, _callers = stats.stats[func]  # type: ignore[attr-defined]
        top.append(
            {
                "function": f"{func[0]}:{func[1]}({func[2]})",
                "calls": ncalls,
                "tottime_s": round(tottime, 3),
                "cumtime_s": round(cumtime, 3),
            }
        )
    return {
        "docs": len(files),
        "instrumented_seconds": round(total, 3),
        "stages_seconds": stages,
        "profile_top_cumulative": top,
    }


# -- orchestration -----------------------------------------------------------------------------


def run_worker(args: list[str], out: Path) -> dict[str, object]:
    """Run this script as a worker in a fresh interpreter and read back its JSON."""
    cmd = [sys.executable, str(HERE), *args, "--result", str(out)]
    subprocess.run(cmd, check=True, cwd=REPO)
    return json.loads(out.read_text(encoding="utf-8"))


def _mb(n: int) -> str:
    return f"{n / 1e6:.1f}"


def print_table(results: dict) -> None:
    ours = results.get("gongkai")
    stock = results.get("stock")
    cols = [("gongkai", ours), ("stock whoosh+jieba", stock)]
    cols = [(name, r) for name, r in cols if r]
    rows = [
        ("docs imported", lambda r: str(r["import"]["docs"])),
        ("import wall time (s)", lambda r: f"{r['import']['seconds']:.1f}"),
        ("import CPU time, all processes (s)", lambda r: f"{r['import']['cpu_seconds']:.1f}"),
        ("docs/s", lambda r: f"{r['import']['docs_per_s']:.1f}"),
        ("MB/s (UTF-8 body text)", lambda r: f"{r['import']['mb_per_s']:.3f}"),
        ("peak RSS after import (MB)", lambda r: f"{r['import']['peak_rss_mb_after_import']:.0f}"),
        ("peak RSS incl. search (MB)", lambda r: f"{r['peak_rss_mb']:.0f}"),
        (
            "peak RSS, all import processes (MB)",
            lambda r: f"{r['import'].get('peak_rss_mb_all_processes', r['peak_rss_mb']):.0f}",
        ),
        ("index on disk (MB)", lambda r: _mb(r["import"]["index_bytes"])),
        ("whole data dir on disk (MB)", lambda r: _mb(r["import"]["data_bytes"])),
        ("first (cold) query (ms)", lambda r: f"{r['search']['cold_first_query_ms']:.1f}"),
        ("queries", lambda r: str(r["search"]["queries"])),
        ("search p50 (ms)", lambda r: f"{r['search']['p50_ms']:.1f}"),
        ("search p95 (ms)", lambda r: f"{r['search']['p95_ms']:.1f}"),
        ("search max (ms)", lambda r: f"{r['search']['max_ms']:.1f}"),
        ("mean hits per query", lambda r: f"{r['search']['mean_hits']:.1f}"),
        ("queries with 0 hits", lambda r: str(r["search"]["zero_hit_queries"])),
    ]
    width = max(len(label) for label, _ in rows) + 2
    print()
    print("".ljust(width) + "".join(name.rjust(20) for name, _ in cols))
    for label, fn in rows:
        print(label.ljust(width) + "".join(fn(r).rjust(20) for _, r in cols))

    if ours and stock:
        print("\nper query kind: n, p50 ms and mean hits (gongkai | stock)")
        kinds: dict[str, list[tuple[dict, dict]]] = {}
        for a, b in zip(ours["search"]["per_query"], stock["search"]["per_query"], strict=True):
            kinds.setdefault(a["kind"], []).append((a, b))
        for kind, pairs in kinds.items():
            a_ms = sorted(p[0]["ms"] for p in pairs)
            b_ms = sorted(p[1]["ms"] for p in pairs)
            a_hits = sum(p[0]["hits"] for p in pairs) / len(pairs)
            b_hits = sum(p[1]["hits"] for p in pairs) / len(pairs)
            print(
                f"  {kind:<18}{len(pairs):>4}   {a_ms[len(a_ms) // 2]:>7.1f} ms {a_hits:>7.1f} hits"
                f"   | {b_ms[len(b_ms) // 2]:>7.1f} ms {b_hits:>7.1f} hits"
            )

    seg = results.get("segmentation")
    if seg:
        print(f"\nsegmentation alone, {seg['docs']} bodies, {seg['mb']} MB:")
        for name, r in seg["methods"].items():
            print(f"  {name:<52}{r['mb_per_s']:>8.3f} MB/s  ({r['seconds']:.1f} s)")

    prof = results.get("profile")
    if prof:
        print(
            f"\nour import, instrumented, {prof['docs']} files, "
            f"{prof['instrumented_seconds']:.2f} s:"
        )
        for label, seconds in prof["stages_seconds"].items():
            share = 100 * seconds / prof["instrumented_seconds"]
            print(f"  {label:<52}{seconds:>8.2f} s {share:>5.1f}%")
        print("\ncProfile top 15 by cumulative time (full listing: bench/out/profile.txt):")
        for row in prof["profile_top_cumulative"]:
            cum, own = row["cumtime_s"], row["tottime_s"]
            print(f"  {cum:>8.3f} s cum {own:>8.3f} s own  {row['function']}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Import and search benchmark (Gongkai vs stock).")
    ap.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS, help="JSONL corpus")
    ap.add_argument("--limit", type=int, help="use only the first N documents (quick run)")
    ap.add_argument("--queries", type=int, default=120, help="number of queries (default 120)")
    ap.add_argument("--seed", type=int, default=SEED, help="seed of the query sample")
    ap.add_argument("--seg-mb", type=float, default=4.0, help="MB of text to segment (default 4)")
    ap.add_argument("--profile-docs", type=int, default=200, help="files in the profiled import")
    ap.add_argument("--out", type=Path, default=OUT_DIR, help="output folder (bench/out)")
    ap.add_argument(
        "--skip",
        action="append",
        default=[],
        help="skip a part",
        choices=("stock", "segmentation", "profile"),
    )
    ap.add_argument(
        "--workers", type=int, default=1, help="our import's worker processes (default 1)"
    )
    ap.add_argument("--keep", action="store_true", help="keep the temp folder (printed)")
    # worker mode (internal)
    ap.add_argument(
        "--worker", choices=("gongkai", "stock", "segmentation", "profile"), help=argparse.SUPPRESS
    )
    ap.add_argument("--texts", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--query-file", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--work", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--result", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)

    if args.worker:
        return _worker_main(args)

    if not args.corpus.exists():
        print(f"error: corpus not found: {args.corpus} (pass --corpus PATH)", file=sys.stderr)
        return 2
    args.out.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix="gongkai-bench-"))
    try:
        return _run(args, tmp)
    finally:
        if args.keep:
            print(f"temp folder kept: {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


def _run(args: argparse.Namespace, tmp: Path) -> int:
    overall = time.perf_counter()
    docs = load_corpus(args.corpus, args.limit)
    texts = tmp / "texts"
    write_texts(docs, texts)
    queries = make_queries(docs, n=args.queries, seed=args.seed)
    query_file = tmp / "queries.json"
    query_file.write_text(json.dumps(queries, ensure_ascii=False), encoding="utf-8")
    (args.out / "queries.json").write_text(
        json.dumps(queries, ensure_ascii=False, indent=0), encoding="utf-8"
    )
    print(
        f"corpus: {len(docs)} docs, {body_bytes(docs) / 1e6:.1f} MB of body text; "
        f"{len(queries)} queries (seed {args.seed})",
        flush=True,
    )
    common = ["--texts", str(texts), "--query-file", str(query_file)]
    results: dict[str, object] = {
        "corpus": str(args.corpus),
        "limit": args.limit,
        "docs": len(docs),
        "body_mb": round(body_bytes(docs) / 1e6, 2),
        "seed": args.seed,
        "python": sys.version.split()[0],
        "cpus": os.cpu_count(),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
    }

    print("[1/4] gongkai import + search ...", flush=True)
    results["gongkai"] = run_worker(
        ["--worker", "gongkai", *common, "--work", str(tmp / "g"), "--workers", str(args.workers)],
        tmp / "gongkai.json",
    )
    if "stock" not in args.skip:
        print("[2/4] stock whoosh + jieba import + search ...", flush=True)
        results["stock"] = run_worker(
            ["--worker", "stock", *common, "--work", str(tmp / "s")], tmp / "stock.json"
        )
    if "segmentation" not in args.skip:
        print("[3/4] segmentation throughput ...", flush=True)
        seg_args = ["--worker", "segmentation", "--corpus", str(args.corpus)]
        seg_args += ["--seg-mb", str(args.seg_mb)]
        if args.limit:
            seg_args += ["--limit", str(args.limit)]
        results["segmentation"] = run_worker(seg_args, tmp / "seg.json")
    if "profile" not in args.skip:
        print("[4/4] profile of our import ...", flush=True)
        results["profile"] = run_worker(
            [
                "--worker", "profile", *common, "--work", str(tmp / "p"),
                "--profile-docs", str(args.profile_docs), "--out", str(args.out),
            ],
            tmp / "profile.json",
        )  # fmt: skip
    results["bench_seconds"] = round(time.perf_counter() - overall, 1)
    (args.out / "results.json").write_text(
        json.dumps(results, ensure_ascii=False, indent=1), encoding="utf-8"
    )
    print_table(results)
    print(f"\nresults: {args.out / 'results.json'}  (whole run {results['bench_seconds']} s)")
    return 0


def _worker_main(args: argparse.Namespace) -> int:
    queries = []
    if args.query_file:
        queries = json.loads(args.query_file.read_text(encoding="utf-8"))
    if args.work:
        args.work.mkdir(parents=True, exist_ok=True)
    if args.worker == "gongkai":
        result = worker_gongkai(args.texts, queries, args.work, args.workers)
    elif args.worker == "stock":
        import stock_whoosh

        result = stock_whoosh.run(args.texts, queries, args.work)
    elif args.worker == "segmentation":
        result = worker_segmentation(args.corpus, args.limit, args.seg_mb)
    else:
        result = worker_profile(args.texts, args.profile_docs, args.work, args.out / "profile.txt")
    args.result.write_text(json.dumps(result, ensure_ascii=False), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
