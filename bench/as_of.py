"""As-of searches: a search filtered by validity on a past date, before and after the spans.

Before: the index holds no validity spans, so the status of every document on the date is
worked out from the archive (``archive.validity.validity_groups``, remembered per date) and
handed to the engine as a set of ids. After: the engine filters its validity spans
(:mod:`indexer.engines.spans`) for the day. Both are timed on the same data directory (the
"before" path is what an index without spans takes: ``engine.timeline`` turned off), each for
the first search of a date never asked before and for the same search repeated, with the
validity facet on that date and without.

    .venv/bin/python bench/as_of.py --data /tmp/asof-20k --manifest docs-20000.jsonl

The data directory is made (tantivy, the manifest imported) when it does not exist. Results
go to ``bench/out/as_of.json`` (git-ignored).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import OUT_DIR
from indexer.engines.base import Filters
from indexer.service import Gongkai, init_data_dir
from indexer.validity_view import ValidityView

QUERIES = ("管理", "通知", "办法", "规定", "实施")
IN_FORCE = Filters(validity=["有效", "部分失效"])


def build(data: Path, manifest: Path) -> None:
    started = time.perf_counter()
    init_data_dir(data, "tantivy")
    with Gongkai(data) as gk:
        gk.import_manifest(manifest, workers=1)
    print(f"built {data} in {time.perf_counter() - started:.0f} s", flush=True)


def timed(gk: Gongkai, query: str, day: str, facets: bool) -> float:
    started = time.perf_counter()
    gk.search(query, filters=IN_FORCE, as_of=day, limit=10, facets=facets)
    return (time.perf_counter() - started) * 1000


def measure(gk: Gongkai, spans: bool, dates: list[str], facets: bool) -> dict[str, float]:
    first, repeat = [], []
    for day in dates:
        gk.validity = ValidityView(gk.archive)  # nothing remembered: a date never asked
        if not spans:  # the path of an index without spans
            gk.validity._on_spans = lambda engine, as_of: 0  # type: ignore[method-assign]
        first.append(timed(gk, QUERIES[0], day, facets))
        repeat += [timed(gk, q, day, facets) for q in QUERIES]
    return {
        "first_ms_median": round(statistics.median(first), 1),
        "first_ms_max": round(max(first), 1),
        "repeat_ms_median": round(statistics.median(repeat), 1),
        "repeat_ms_max": round(max(repeat), 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--manifest", type=Path)
    parser.add_argument("--dates", default="2012-03-01,2015-07-15,2018-01-01,2020-06-30,2022-11-11")
    args = parser.parse_args()
    if not args.data.exists():
        if args.manifest is None:
            parser.error("--manifest is needed to build a new data directory")
        build(args.data, args.manifest)
    dates = args.dates.split(",")
    results: dict[str, object] = {}
    with Gongkai(args.data, readonly=True) as gk:
        results["documents"] = len(gk.indexer.indexable())
        paths = [("before (archive pass)", False), ("after (spans)", True)]
        if not gk.engine.timeline:  # an index made before the spans: only "before"
            print("the index has no validity spans: timing the archive pass only", flush=True)
            paths = paths[:1]
        gk.search(QUERIES[0], limit=1)  # load the engine and the segmenter
        for facets in (False, True):
            for name, spans in paths:
                key = f"{name}{' + facet' if facets else ''}"
                results[key] = measure(gk, spans, dates, facets)
                print(key, results[key], flush=True)
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    (OUT_DIR / "as_of.json").write_text(json.dumps(results, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
