"""Relevance harness: how often each engine puts a relevant document in the top 10.

Runs the judged query set (``bench/eval/queries.jsonl``, see :mod:`relevance`) through both
Gongkai engines (``Gongkai(data).search(q, limit=10)``, the public API) and through stock Whoosh
+ jieba (:mod:`stock_whoosh`), over the shared corpus plus ``examples/``, and prints per engine
and per query kind: success@1, success@10, MRR, nDCG@10 and the zero-result rate. The point is to
measure the search improvements being built, so nothing here is tuned to the queries.

Indexes are built once into ``bench/out/eval/<key>/`` (git-ignored); the key hashes the selected
corpus rows, the example files, the code that builds an index (``archive/``, ``indexer/``,
``bench/common.py``, ``bench/stock_whoosh.py``) and the versions of the index libraries, so a
re-run with the same code only searches.

    .venv/bin/python bench/eval.py [--engines whoosh,tantivy,stock] [--kinds title,typo]
                                   [--limit-docs N] [--json] [--rebuild]

Exit codes: 0 done; 1 an index could not be built or a search failed unexpectedly; 2 bad
options, an invalid query file, or the corpus is missing.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import os
import shutil
import sys
import time
from importlib import metadata
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import DEFAULT_CORPUS, OUT_DIR, REPO, header_text, load_corpus
from relevance import (
    DEFAULT_QUERIES,
    KINDS,
    DocMeta,
    grade_of,
    ideal_grades,
    load_queries,
    query_problems,
    score_query,
    summarize,
)

sys.path.insert(0, str(REPO))

ENGINES = ("whoosh", "tantivy", "stock")
EXAMPLES = REPO / "examples"
K = 10
CACHE_ROOT = OUT_DIR / "eval"
_CODE_DIRS = ("archive", "indexer")
_CODE_FILES = ("bench/common.py", "bench/stock_whoosh.py", "pyproject.toml")
_LIBRARIES = ("whoosh-reloaded", "tantivy", "rjieba", "jieba")


def default_corpus() -> Path:
    """``shared/corpus/local-regulations.jsonl`` beside the checkout, or beside a folder above
    it (a git worktree under ``wt/``); :data:`common.DEFAULT_CORPUS` when neither exists."""
    for folder in REPO.parents:
        candidate = folder / "shared" / "corpus" / DEFAULT_CORPUS.name
        if candidate.exists():
            return candidate
    return DEFAULT_CORPUS


class EvalError(Exception):
    """A failure that ends the run with exit code 1."""


class UsageError(Exception):
    """Bad input (query file, options): exit code 2."""


# -- the collection ------------------------------------------------------------------------------


def example_files() -> list[Path]:
    """The bundled example documents (``examples/*.*`` without the README), as ``make demo``."""
    return sorted(p for p in EXAMPLES.glob("*.*") if p.name != "README.md")


def example_docs() -> list[tuple[DocMeta, str]]:
    """Each example file's metadata as Gongkai reads it, with the whole extracted text (header
    block included, as a stock user who indexes the file's text would have it)."""
    from indexer.building import build_document
    from indexer.extract import extract

    out = []
    for path in example_files():
        data = path.read_bytes()
        doc = build_document(path, data)
        meta = DocMeta(path.name, doc.title, doc.doc_number, doc.date_issued)
        out.append((meta, extract(path, data).text))
    return out


def corpus_meta(row: dict) -> DocMeta:
    return DocMeta(f"{row['id']}.txt", row.get("title") or "", "", row.get("date_issued") or "")


def cache_key(rows: list[dict], corpus: Path) -> str:
    """A hash of everything an index depends on: the corpus rows, the examples, the code that
    builds indexes, the library versions."""
    digest = hashlib.sha256()
    digest.update(f"{corpus.name}:{len(rows)}\n".encode())
    for row in rows:
        digest.update(header_text(row).encode("utf-8"))
    files = [*example_files(), *(REPO / f for f in _CODE_FILES)]
    for folder in _CODE_DIRS:
        files += sorted((REPO / folder).rglob("*.py"))
    for path in files:
        digest.update(str(path.relative_to(REPO)).encode() + b"\0" + path.read_bytes())
    for name in _LIBRARIES:
        try:
            digest.update(f"{name}={metadata.version(name)}\n".encode())
        except metadata.PackageNotFoundError:
            digest.update(f"{name}=none\n".encode())
    return digest.hexdigest()[:16]


def prepare_texts(work: Path, rows: list[dict], examples: list[tuple[DocMeta, str]]) -> Path:
    """``work/corpus/<id>.txt`` for every row (header block + body), done once per key."""
    corpus_dir = work / "corpus"
    done = work / "corpus.done"
    if not done.exists():
        shutil.rmtree(corpus_dir, ignore_errors=True)
        corpus_dir.mkdir(parents=True)
        for row in rows:
            (corpus_dir / f"{row['id']}.txt").write_text(header_text(row), encoding="utf-8")
        done.touch()
    return corpus_dir


# -- building ------------------------------------------------------------------------------------


def build_gongkai(engine: str, data: Path, corpus_dir: Path) -> dict[str, object]:
    """Import the corpus texts and the example files into a fresh data dir using ``engine``."""
    from indexer.service import Gongkai, init_data_dir

    shutil.rmtree(data, ignore_errors=True)
    init_data_dir(data, engine)
    started = time.perf_counter()
    with Gongkai(data) as gk:
        report = gk.import_paths([corpus_dir, *example_files()])
    counts = report.counts()
    if counts.get("failed"):
        raise EvalError(f"{engine}: {counts['failed']} files failed to import")
    return {"seconds": round(time.perf_counter() - started, 1), "outcomes": counts}


def build_stock(index_dir: Path, work: Path, corpus_dir: Path, examples) -> dict[str, object]:
    """The stock index (:func:`stock_whoosh.build_index`) over the same corpus files and the
    examples' extracted text; a file ``<source>.txt`` per example so hits map back by name."""
    from stock_whoosh import build_index

    texts = work / "stock-texts"
    shutil.rmtree(texts, ignore_errors=True)
    texts.mkdir(parents=True)
    for path in corpus_dir.glob("*.txt"):
        os.link(path, texts / path.name)
    for meta, text in examples:
        (texts / f"{meta.source}.txt").write_text(f"名称: {meta.title}\n\n{text}", encoding="utf-8")
    shutil.rmtree(index_dir, ignore_errors=True)
    result = build_index(texts, index_dir)
    shutil.rmtree(texts)
    return {"seconds": round(result["seconds"], 1), "outcomes": {"imported": result["docs"]}}


def ensure_index(engine: str, work: Path, corpus_dir: Path, examples, rebuild: bool) -> dict:
    """Build ``engine``'s index under ``work`` unless a finished one is there."""
    target = work / engine
    marker = work / f"{engine}.done"
    if marker.exists() and not rebuild:
        info = json.loads(marker.read_text(encoding="utf-8"))
        return {**info, "cached": True}
    marker.unlink(missing_ok=True)
    if engine == "stock":
        info = build_stock(target, work, corpus_dir, examples)
    else:
        info = build_gongkai(engine, target, corpus_dir)
    marker.write_text(json.dumps(info), encoding="utf-8")
    return {**info, "cached": False}


# -- searching -----------------------------------------------------------------------------------


def search_gongkai(data: Path, queries: list[dict]) -> list[tuple[list[str], int, str]]:
    """(sources of the top 10, total matches, error) per query, through ``Gongkai.search``."""
    from indexer.query import QuerySyntaxError
    from indexer.service import Gongkai

    out = []
    with Gongkai(data, readonly=True) as gk:
        for item in queries:
            try:
                result = gk.search(item["query"], limit=K)
            except QuerySyntaxError as exc:
                out.append(([], 0, f"QuerySyntaxError: {exc}"))
                continue
            out.append(([hit.source for hit in result.hits], result.total, ""))
    return out


def search_stock(index_dir: Path, queries: list[dict]) -> list[tuple[list[str], int, str]]:
    """The same through stock Whoosh: ``MultifieldParser(["title", "body"])``, top 10."""
    from whoosh import index
    from whoosh.qparser import MultifieldParser

    out = []
    ix = index.open_dir(str(index_dir))
    with ix.searcher() as searcher:
        parser = MultifieldParser(["title", "body"], schema=ix.schema)
        for item in queries:
            try:
                results = searcher.search(parser.parse(item["query"]), limit=K)
            except Exception as exc:  # a stock parser error is a result, as in stock_whoosh
                out.append(([], 0, f"{type(exc).__name__}: {exc}"))
                continue
            # corpus files are <id>.txt, examples <source>.txt: the stem is the source name
            sources = [h["id"] if "." in h["id"] else f"{h['id']}.txt" for h in results]
            out.append((sources, len(results), ""))
    ix.close()
    return out


# -- the run -------------------------------------------------------------------------------------


def evaluate(
    queries: list[dict], catalog: dict[str, DocMeta], runs: list[tuple[list[str], int, str]]
) -> dict[str, object]:
    """Per-query scores, and their means overall and per kind."""
    per_query = []
    for item, (sources, total, error) in zip(queries, runs, strict=True):
        grades = [grade_of(item["relevant"], catalog.get(s)) for s in sources]
        ideal = ideal_grades(item["relevant"], catalog.values())
        per_query.append(
            {"id": item["id"], "kind": item["kind"], "query": item["query"], "total": total}
            | score_query(grades, ideal, total, K)
            | {"grades": grades, "hits": sources}
            | ({"error": error} if error else {})
        )
    kinds = {
        kind: summarize([q for q in per_query if q["kind"] == kind])
        for kind in KINDS
        if any(q["kind"] == kind for q in per_query)
    }
    return {"overall": summarize(per_query), "kinds": kinds, "per_query": per_query}


def _pct(value: float) -> str:
    return f"{value * 100:5.1f}%"


def print_tables(report: dict[str, object]) -> None:
    engines: dict = report["engines"]  # type: ignore[assignment]
    head = (
        f"{'kind':<13} {'n':>4} {'succ@1':>7} {'succ@10':>7} {'MRR':>6} {'nDCG@10':>7} {'zero':>6}"
    )
    for name, result in engines.items():
        build = result["build"]
        state = "cached" if build["cached"] else f"built in {build['seconds']} s"
        print(f"\n== {name} ({state}) ==")
        print(head)
        rows = [*result["kinds"].items(), ("ALL", result["overall"])]
        for kind, m in rows:
            print(
                f"{kind:<13} {m['queries']:>4} {_pct(m['success_at_1']):>7} "
                f"{_pct(m['success_at_10']):>7} {m['mrr']:>6.3f} {m['ndcg_at_10']:>7.3f} "
                f"{_pct(m['zero_result_rate']):>6}"
            )
    if len(engines) > 1:
        names = list(engines)
        print("\nsuccess@10 by kind")
        print(f"{'kind':<13} " + " ".join(f"{n:>8}" for n in names))
        kinds = [k for k in KINDS if any(k in engines[n]["kinds"] for n in names)]
        for kind in [*kinds, "ALL"]:
            cells = []
            for n in names:
                m = engines[n]["overall"] if kind == "ALL" else engines[n]["kinds"].get(kind)
                cells.append(f"{_pct(m['success_at_10']):>8}" if m else f"{'-':>8}")
            print(f"{kind:<13} " + " ".join(cells))
    skipped = report["skipped_queries"]
    if skipped:
        print(f"\n{len(skipped)} queries skipped: no relevant document in this collection")


def run(args: argparse.Namespace) -> dict[str, object]:
    started = time.perf_counter()
    try:
        queries = load_queries(args.queries)
    except (OSError, ValueError) as exc:
        raise UsageError(str(exc)) from None
    problems = query_problems(queries)
    if problems:
        raise UsageError(f"{args.queries}: {problems[0]} ({len(problems)} problems)")
    if args.kinds:
        queries = [q for q in queries if q["kind"] in args.kinds]
    rows = load_corpus(args.corpus, args.limit_docs)
    examples = example_docs()
    catalog = {corpus_meta(r).source: corpus_meta(r) for r in rows}
    catalog.update({meta.source: meta for meta, _ in examples})
    judged = [q for q in queries if ideal_grades(q["relevant"], catalog.values())]
    skipped = [q["id"] for q in queries if q not in judged]

    key = cache_key(rows, args.corpus)
    work = args.out / key
    work.mkdir(parents=True, exist_ok=True)
    for old in args.out.iterdir():  # one cached collection at a time: the current one
        if old.is_dir() and old.name != key and len(old.name) == 16:
            shutil.rmtree(old, ignore_errors=True)
    corpus_dir = prepare_texts(work, rows, examples)

    report: dict[str, object] = {
        "corpus": {"path": str(args.corpus), "rows": len(rows), "examples": len(examples)},
        "cache_key": key,
        "queries": len(judged),
        "skipped_queries": skipped,
        "k": K,
        "engines": {},
    }
    for engine in args.engines:
        if not args.json:
            print(f"{engine}: indexing / searching ...", file=sys.stderr, flush=True)
        build = ensure_index(engine, work, corpus_dir, examples, args.rebuild)
        search_started = time.perf_counter()
        if engine == "stock":
            runs = search_stock(work / engine, judged)
        else:
            runs = search_gongkai(work / engine, judged)
        result = evaluate(judged, catalog, runs)
        result["build"] = build
        result["search_seconds"] = round(time.perf_counter() - search_started, 1)
        report["engines"][engine] = result  # type: ignore[index]
    report["seconds"] = round(time.perf_counter() - started, 1)
    return report


def _csv(allowed: tuple[str, ...]):
    def parse(text: str) -> list[str]:
        values = [v.strip() for v in text.split(",") if v.strip()]
        unknown = [v for v in values if v not in allowed]
        if unknown or not values:
            raise argparse.ArgumentTypeError(f"choose from {', '.join(allowed)}")
        return values

    return parse


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--engines", type=_csv(ENGINES), default=list(ENGINES), help="whoosh,tantivy,stock"
    )
    ap.add_argument("--kinds", type=_csv(KINDS), default=None, help="only these query kinds")
    ap.add_argument("--limit-docs", type=int, default=None, help="first N corpus rows only")
    ap.add_argument("--corpus", type=Path, default=default_corpus())
    ap.add_argument("--queries", type=Path, default=DEFAULT_QUERIES)
    ap.add_argument("--out", type=Path, default=CACHE_ROOT, help="cache folder")
    ap.add_argument("--json", action="store_true", help="print the whole report as JSON")
    ap.add_argument("--rebuild", action="store_true", help="ignore cached indexes")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("jieba").setLevel(logging.WARNING)
    if not args.corpus.exists():
        print(f"error: no corpus at {args.corpus}", file=sys.stderr)
        return 2
    try:
        report = run(args)
    except UsageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except (EvalError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=1))
    else:
        print_tables(report)
        print(f"\n{report['queries']} queries, {report['seconds']} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
