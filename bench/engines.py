"""Whoosh vs tantivy vs Typesense at archive scale: import and search through the whole
product path.

For each size (default 20,000 and 100,000 documents) the script generates a corpus by
recombining paragraphs of ``../shared/corpus/local-regulations.jsonl`` (runs of consecutive
paragraphs from several regulations, with metadata drawn the same way: realistic vocabulary,
never repeated sentences; fixed seed), writes it as a JSONL manifest in a temp folder, and for
each engine (Whoosh only up to ``--whoosh-max``):

1. imports it in a fresh subprocess: ``gongkai init --engine E`` then
   ``Gongkai.import_manifest`` — archive rows, originals, linking and the index — timed end to
   end; docs/s, MB/s of body text, peak RSS of that process;
2. measures the index size (``index/<engine>/``) and the whole data directory;
3. searches in another fresh subprocess: one cold query, then ``--queries`` queries of 1–4 words
   (``bench.common.make_queries``: title and body words, word pairs, 3–4 words, quoted phrases,
   文号) through ``Gongkai.search(q, limit=10, facets=True, facet_top=12)`` — snippets,
   highlights, title marks and the facets as the results page asks for them (every value of
   year, validity, kind and type; the 12 most frequent of agency and category) included;
   p50/p95/max and the peak RSS of the search process;
4. with ``--clients N`` (default 20), throughput: N client processes searching at once for
   ``--throughput-seconds`` (:func:`bench.servers.throughput`).

The engine ``typesense-1`` / ``typesense-3`` is Typesense on a cluster of 1 / 3 nodes on
loopback, started for the run (temp data dirs, free ports) and stopped after it, whatever
happens (:mod:`bench.servers`); its runs add each node's RSS and data on disk. All nodes share
this machine's cores, so 3 nodes add copies, not CPU.

Nothing of the corpus is written into the repository: the generated manifest lives in a temp
folder that is removed afterwards; results go to ``bench/out/engines.json`` (git-ignored).

    .venv/bin/python bench/engines.py --sizes 2000            # quick, ~1 minute
    .venv/bin/python bench/engines.py --sizes 20000           # both engines, ~15 minutes
    .venv/bin/python bench/engines.py --sizes 100000 --engines tantivy
    .venv/bin/python bench/engines.py --sizes 20000 \
        --engines whoosh,tantivy,typesense-1,typesense-3                # ~40 minutes
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import servers
from bench.common import (
    DEFAULT_CORPUS,
    OUT_DIR,
    TreeMonitor,
    latency_summary,
    load_corpus,
    make_queries,
    write_results,
)

SEED = 20240601
CATEGORIES = (
    "综合政务", "城乡建设", "交通运输", "卫生健康", "生态环境", "教育", "财政金融",
    "农业农村", "科技", "社会保障", "公安司法", "文化旅游",
)  # fmt: skip
VALIDITY_WEIGHTS = (("有效", 75), ("已废止", 8), ("失效", 7), ("已修改", 5), ("部分失效", 5))
PREFIXES = (
    "国办发", "国发", "沪府发", "京政发", "鲁政办发", "豫政", "浙政发", "渝府发", "粤府",
    "苏政发", "川府发", "湘政办发", "闽政", "皖政", "冀政字",
)  # fmt: skip


# -- the generated corpus -----------------------------------------------------------------


def _paragraphs(body: str) -> list[str]:
    return [p for p in body.split("\n") if p.strip() and not p.lstrip().startswith("#")]


def generate(source: list[dict], n: int, seed: int = SEED) -> list[dict]:
    """``n`` manifest rows made of 2–4 runs of consecutive paragraphs from random regulations
    (6–36 paragraphs in all), with a title, agency, date, validity, category and for some a
    文号 and 索引号, all drawn with ``seed``."""
    rng = random.Random(seed)
    pools = [(d, _paragraphs(d.get("body") or "")) for d in source]
    pools = [(d, p) for d, p in pools if len(p) >= 3]
    used_numbers: set[tuple[str, int, int]] = set()
    rows: list[dict] = []
    validities, weights = zip(*VALIDITY_WEIGHTS, strict=True)
    for i in range(n):
        wanted = rng.randint(6, 36)
        runs = rng.randint(2, 4)
        body: list[str] = []
        first = None
        for r in range(runs):
            doc, paras = rng.choice(pools)
            first = first or doc
            size = max(1, wanted // runs + (wanted % runs if r == 0 else 0))
            start = rng.randrange(max(1, len(paras) - size + 1))
            body.extend(paras[start : start + size])
        base = (first.get("title") or "").strip() or "规定"
        year = rng.randint(2000, 2024)
        date = f"{year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        shape = rng.random()
        if shape < 0.55:
            title, kind = f"关于印发《{base}》的通知", "notice"
        elif shape < 0.75:
            title, kind = base, "notice"
        elif shape < 0.90:
            title, kind = f"《{base}》政策解读", "interpretation"
        else:
            title, kind = f"关于{base}有关问题申请的答复", "request_answer"
        row = {
            "id": f"gen-{i:06d}",
            "title": title,
            "agency": first.get("agency") or "",
            "date_issued": date,
            "validity": rng.choices(validities, weights)[0],
            "kind": kind,
            "category": rng.choice(CATEGORIES),
            "body": "\n".join(body),
        }
        if rng.random() < 0.4:
            while True:
                key = (rng.choice(PREFIXES), year, rng.randint(1, 300))
                if key not in used_numbers:
                    used_numbers.add(key)
                    break
            row["doc_number"] = f"{key[0]}〔{key[1]}〕{key[2]}号"
            row["index_number"] = f"{rng.randint(10**8, 10**9 - 1)}/{year}-{i:05d}"
        rows.append(row)
    return rows


def write_manifest(rows: list[dict], path: Path) -> None:
    with path.open("w", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")


# -- the measured steps (each in its own subprocess) --------------------------------------


def peak_rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def step_import(run_name: str, data: Path, manifest: Path, workers: int) -> dict:
    """Import ``manifest`` into a new data directory for the run ``run_name`` (an engine, or
    a server run of :data:`servers.SERVER_RUNS`)."""
    servers.patient_client()
    from indexer.service import Gongkai, init_data_dir

    start = time.perf_counter()
    with TreeMonitor() as tree:
        engine, phrases = servers.engine_of(run_name), servers.phrases_of(run_name)
        init_data_dir(data, engine, phrases=phrases)
        with Gongkai(data) as gk:
            report = gk.import_manifest(manifest, workers=workers)
        seconds = time.perf_counter() - start
    counts = report.counts()
    return {
        "seconds": round(seconds, 2),
        "counts": counts,
        "peak_rss_mb": peak_rss_mb(),
        # with the import workers and the background index writer:
        "all_processes_peak_rss_mb": tree.peak_rss_mb,
        "all_processes_cpu_s": tree.cpu_seconds,
    }


def step_search(data: Path, queries_file: Path) -> dict:
    servers.patient_client()
    from indexer.query import parse
    from indexer.service import Gongkai

    queries = json.loads(queries_file.read_text(encoding="utf-8"))
    top = servers.page_facets()
    with Gongkai(data, readonly=True) as gk:
        start = time.perf_counter()
        gk.search("条例", limit=10, facets=True, facet_top=top)
        cold_ms = (time.perf_counter() - start) * 1000
        latencies: list[float] = []
        hits: list[int] = []
        per_kind: dict[str, list[float]] = {}
        for q in queries:
            start = time.perf_counter()
            result = gk.search(q["q"], limit=10, facets=True, facet_top=top)
            ms = (time.perf_counter() - start) * 1000
            latencies.append(ms)
            hits.append(result.total)
            per_kind.setdefault(q["kind"], []).append(ms)
        # The engine alone (same queries, parsed, facets on): what the seam costs, without the
        # archive look-ups, validity status and snippets the service adds per hit.
        engine_ms: list[float] = []
        for q in queries:
            start = time.perf_counter()
            gk.engine.search(parse(q["q"]), limit=10, facets=True, facet_top=top)
            engine_ms.append((time.perf_counter() - start) * 1000)
    summary = latency_summary(latencies, hits)
    engine_summary = latency_summary(engine_ms, [])
    summary["engine_only"] = {k: engine_summary[k] for k in ("p50_ms", "p95_ms", "max_ms")}
    summary["cold_ms"] = round(cold_ms, 1)
    summary["p95_by_kind_ms"] = {
        k: latency_summary(v, [])["p95_ms"] for k, v in sorted(per_kind.items())
    }
    summary["totals"] = hits
    summary["peak_rss_mb"] = peak_rss_mb()
    return summary


def _child(*args: str) -> dict:
    """Run a step of this script in a fresh interpreter; its last stdout line is JSON."""
    done = subprocess.run(
        [sys.executable, __file__, *args], capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"step {args[0]} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def du_mb(path: Path) -> float:
    total = sum(f.stat().st_size for f in path.rglob("*") if f.is_file())
    return round(total / 1e6, 1)


# -- driver -------------------------------------------------------------------------------


def run(args: argparse.Namespace) -> dict:
    source = load_corpus(Path(args.corpus))
    results: dict = {
        "corpus": str(args.corpus),
        "seed": args.seed,
        "cpus": os.cpu_count(),
        "loadavg_start": os.getloadavg(),
        "runs": [],
    }
    tmp_root = Path(tempfile.mkdtemp(prefix="gongkai-engines-", dir=args.tmp))
    try:
        for size in args.sizes:
            rows = generate(source, size, args.seed)
            manifest = tmp_root / f"docs-{size}.jsonl"
            write_manifest(rows, manifest)
            body_mb = sum(len(r["body"].encode("utf-8")) for r in rows) / 1e6
            queries = make_queries(rows, n=args.queries, seed=args.seed)
            queries_file = tmp_root / f"queries-{size}.json"
            queries_file.write_text(json.dumps(queries, ensure_ascii=False), encoding="utf-8")
            del rows
            for engine in args.engines:
                if engine == "whoosh" and size > args.whoosh_max:
                    continue
                data = tmp_root / f"data-{engine}-{size}"
                with servers.maybe_cluster(engine, tmp_root / f"nodes-{engine}-{size}") as cluster:
                    run_ = measure(
                        args, engine, size, body_mb, data, manifest, queries_file, cluster
                    )
                    if cluster is not None:
                        run_["nodes"] = cluster.memory()
                        run_["index_mb"] = round(sum(n["disk_mb"] for n in run_["nodes"]), 1)
                results["runs"].append(run_)
                print_run(run_)
                if not args.keep:
                    shutil.rmtree(data, ignore_errors=True)
            compare_totals(results["runs"], size)
    finally:
        if not args.keep:
            shutil.rmtree(tmp_root, ignore_errors=True)
        else:
            print(f"kept {tmp_root}")
    results["loadavg_end"] = os.getloadavg()
    return results


def measure(
    args: argparse.Namespace,
    engine: str,
    size: int,
    body_mb: float,
    data: Path,
    manifest: Path,
    queries_file: Path,
    cluster: servers.Cluster | None = None,
) -> dict:
    """Import, search and (with ``--clients``) throughput of one engine at one size; with a
    ``cluster``, the CPU its nodes spent on the import too."""
    name = servers.engine_of(engine)
    print(f"[{size} docs, {body_mb:.1f} MB] {engine}: importing…", flush=True)
    before = cluster.cpu_seconds() if cluster is not None else []
    imported = _child("_import", engine, str(data), str(manifest), str(args.workers))
    if cluster is not None:
        after = cluster.cpu_seconds()
        imported["nodes_cpu_s"] = [round(b - a, 1) for a, b in zip(before, after, strict=True)]
    print(f"[{size} docs] {engine}: searching…", flush=True)
    searched = _child("_search", str(data), str(queries_file))
    run_ = {
        "engine": engine,
        "docs": size,
        "body_mb": round(body_mb, 1),
        "loadavg": os.getloadavg(),
        "import": {
            **imported,
            "docs_per_s": round(size / imported["seconds"], 1),
            "mb_per_s": round(body_mb / imported["seconds"], 2),
        },
        "index_mb": du_mb(data / "index" / name),
        "data_dir_mb": du_mb(data),
        "search": searched,
    }
    if args.clients:
        print(f"[{size} docs] {engine}: {args.clients} clients at once…", flush=True)
        run_["throughput"] = servers.throughput(
            Path(__file__), data, queries_file, args.clients, args.throughput_seconds
        )
    return run_


def compare_totals(runs: list[dict], size: int) -> None:
    """How often both engines found the same number of documents for a query."""
    at_size = {r["engine"]: r["search"]["totals"] for r in runs if r["docs"] == size}
    if len(at_size) >= 2:
        first, *others = at_size.items()
        for engine, totals in others:
            same = sum(1 for x, y in zip(first[1], totals, strict=True) if x == y)
            print(
                f"[{size} docs] queries with the same total on {first[0]} and {engine}: "
                f"{same}/{len(totals)}"
            )


def _nodes_cpu(imp: dict) -> str:
    spent = imp.get("nodes_cpu_s")
    return f", nodes {' + '.join(str(s) for s in spent)} s" if spent else ""


def print_run(run_: dict) -> None:
    imp, s = run_["import"], run_["search"]
    print(
        f"  {run_['engine']:<8} {run_['docs']:>7} docs {run_['body_mb']:>6} MB | import "
        f"{imp['seconds']:>7.1f} s {imp['docs_per_s']:>7.1f} docs/s {imp['mb_per_s']:>5.2f} MB/s "
        f"RSS {imp['peak_rss_mb']:>6} MB (all processes {imp['all_processes_peak_rss_mb']} MB, "
        f"CPU {imp['all_processes_cpu_s']} s{_nodes_cpu(imp)}) | index {run_['index_mb']} MB "
        f"(data dir {run_['data_dir_mb']} MB) | search p50 {s['p50_ms']} ms p95 {s['p95_ms']} ms "
        f"max {s['max_ms']} ms cold {s['cold_ms']} ms RSS {s['peak_rss_mb']} MB "
        f"(engine alone p50 {s['engine_only']['p50_ms']} p95 {s['engine_only']['p95_ms']} ms) | "
        f"failed {imp['counts'].get('failed', 0)} | load {run_['loadavg'][0]:.1f}",
        flush=True,
    )
    if "throughput" in run_:
        t = run_["throughput"]
        print(
            f"  {'':<8} {t['clients']} clients: {t['searches_per_s']} searches/s "
            f"(p50 {t['p50_ms']} ms, p95 {t['p95_ms']} ms over {t['searches']} searches, "
            f"{t['failed']} failed)",
            flush=True,
        )
    for i, node in enumerate(run_.get("nodes", [])):
        print(
            f"  {'':<8} node {i}: RSS {node['rss_mb']} MB (peak {node['peak_rss_mb']} MB), "
            f"data {node['disk_mb']} MB",
            flush=True,
        )


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "_import":
        engine, data, manifest, workers = sys.argv[2:6]
        print(json.dumps(step_import(engine, Path(data), Path(manifest), int(workers))))
        return
    if len(sys.argv) > 1 and sys.argv[1] == "_client":
        data, queries, ready, go, seconds = sys.argv[2:7]
        result = servers.client(Path(data), Path(queries), Path(ready), Path(go), float(seconds))
        print(json.dumps(result))
        return
    if len(sys.argv) > 1 and sys.argv[1] == "_search":
        print(json.dumps(step_search(Path(sys.argv[2]), Path(sys.argv[3]))))
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--sizes", default="20000,100000", type=lambda s: [int(x) for x in s.split(",")]
    )
    parser.add_argument(
        "--engines",
        default="whoosh,tantivy,typesense-1,typesense-3",
        type=lambda s: [x for x in s.split(",") if x],
    )
    parser.add_argument("--whoosh-max", type=int, default=20000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument(
        "--workers",
        type=int,
        default=os.cpu_count() or 1,
        help="import worker processes (default: the cores, as gongkai import)",
    )
    parser.add_argument("--clients", type=int, default=20, help="concurrent clients (0: none)")
    parser.add_argument("--throughput-seconds", type=float, default=20.0)
    parser.add_argument("--corpus", default=str(DEFAULT_CORPUS))
    parser.add_argument("--tmp", default=None, help="folder for the temp data (default: system)")
    parser.add_argument("--out", default=str(OUT_DIR / "engines.json"))
    parser.add_argument("--keep", action="store_true", help="keep the generated data")
    args = parser.parse_args()
    results = run(args)
    for r in results["runs"]:
        r["search"].pop("totals", None)
    write_results(Path(args.out), results)


if __name__ == "__main__":
    main()
